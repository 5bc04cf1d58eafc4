"""The four ways of differentiating a graph, one module each; none imports another.

Each module offers ``jacobian``, ``hessian`` and ``derivative`` (and ``jvp``/``vjp`` where the method has a
native way to compute them), taking a graph, the bound variable values and the variables to differentiate
with respect to, and returning a ``diffkit.result.Computed``.
"""
