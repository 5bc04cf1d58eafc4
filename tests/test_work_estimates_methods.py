"""Methods estimate their work before starting and refuse what is over dk.limits (subprocess: a regression
fails on the timeout instead of hanging the suite)."""

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import diffkit as dk
from diffkit import estimate

ROOT = Path(__file__).resolve().parent.parent

CASES = {
    "broadcast": 'dk.derivative("x**2*y + sin(x)", wrt="x", at={"x": np.ones((100000, 1)), '
                 '"y": np.ones((1, 100000))}, method="forward")',
    "order 8": 'dk.derivative("sin(x)", wrt="x", at={"x": np.ones(10**6)}, method="forward", order=8)',
    "hessian": 'dk.hessian(" + ".join(f"x{i}*x{i+1}" for i in range(999)), '
               'at={f"x{i}": 1.0 for i in range(1000)}, method="forward")',
    "gradient": 'dk.gradient(" + ".join(f"sin(x{i})" for i in range(2000)), '
                'at={f"x{i}": 1.0 for i in range(2000)}, method="forward")',
    "tensor gradient": 'dk.gradient(_net.loss_graph(np.ones((64, 100)), np.ones((64, 1))), at=_net.parameters(), '
                       'method="forward")',
}
# What each refusal must name besides the budget: the cheaper method where there is one.
CHEAPER = {"hessian": "method='reverse' needs 1001 sweeps", "gradient": "method='reverse' needs 2 sweeps",
           "tensor gradient": "method='reverse' needs 2 sweeps"}
# Cases that ran unrefused before their estimates (seconds on the reference machine, or until killed).
CASES.update({
    "numeric hessian": 'dk.hessian(" + ".join(f"sin(x{i})*x{i+1}" for i in range(99)), '  # 30 s
                       'at={f"x{i}": 1.0 for i in range(100)}, method="numeric")',
    "numeric points": 'dk.gradient(" + ".join(f"sin(x{i})*x{i+1}" for i in range(49)), '  # killed after 90 s
                      'at={f"x{i}": np.ones(10**6) for i in range(50)}, method="numeric")',
    "numeric richardson": 'dk.gradient(" + ".join(f"sin(x{i})*x{i+1}" for i in range(29)), '
                          'at={f"x{i}": np.ones(10**6) for i in range(30)}, method="numeric", scheme="richardson")',
    "reverse hessian": 'dk.hessian(" + ".join(f"sin(x{i})*x{i+1}" for i in range(4999)), '  # 57 s
                       'at={f"x{i}": 1.0 for i in range(5000)}, method="reverse")',
    "forward-over-reverse": 'dk.hessian(" + ".join(f"sin(x{i})*x{i+1}" for i in range(4999)), '  # killed after 90 s
                            'at={f"x{i}": 1.0 for i in range(5000)}, method="reverse", over="forward")',
    "many outputs": 'dk.jacobian([f"sin(x*{i})" for i in range(1, 3001)], at={"x": np.ones(10**4)}, '
                    'method="reverse")',
    "reverse jacobian": 'dk.jacobian([f"sin(x0)*x{i}" for i in range(1, 3001)], '  # an ArrayMemoryError
                        'at={f"x{i}": np.ones(1000) for i in range(3001)}, method="reverse")',
})
CHEAPER.update({"many outputs": "method='forward' needs 1 sweep for the Jacobian",
                "numeric hessian": "method='reverse' needs 101 sweeps",
                "numeric points": "method='reverse' needs 2 sweeps"})


@pytest.mark.parametrize("case", CASES)
def test_an_oversized_forward_request_is_refused_up_front(case):
    code = ("import numpy as np, diffkit as dk\n_net = dk.nn.MLP([100, 300, 1], seed=0)\ntry:\n    " + CASES[case]
            + "\n    print('ran')\nexcept dk.ResourceError as e:\n    print('refused', e)\n")
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=40,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case} was not refused within 40 s")
    assert done.stdout.startswith("refused"), done.stdout + done.stderr[-2000:]
    assert "dk.limits." in done.stdout
    assert CHEAPER.get(case, "") in done.stdout, done.stdout


def _ratios(work, cost):
    return work.applications / cost.total_operations, work.flops / cost.flops


CHAIN = " + ".join(f"sin(x{i})*x{i + 1}" for i in range(30))


@pytest.mark.parametrize("label", ["forward gradient", "forward batched", "forward hessian", "reverse gradient",
                                   "order 3", "order 8", "order 8 of sin"])
def test_estimates_are_within_twice_what_is_counted(label):
    if label.startswith("order"):
        # a variable's first steps see sparse seeds (x + ε₁ + …), later ones dense duals: both are probed
        g = dk.parse("sin(x)" if label.endswith("sin") else "exp(x)*log(x)/x + tanh(x)*y")
        at = {"x": np.full(10, 1.5)} if label.endswith("sin") else {"x": np.full(10, 1.5), "y": np.ones(10)}
        order = int(label.split()[1])
        work = estimate.sweep_work(g.plan, ("x",), order, 10)
        cost = dk.derivative(g, wrt="x", at=at, method="forward", order=order).cost
    else:
        g = dk.parse(CHAIN)
        at = {name: 1.0 for name in g.variables}
        bound, wrt = g.bind(at), tuple(g.variables)
        if label == "forward gradient":
            work, cost = (estimate.forward_jacobian_work(g.plan, bound, wrt, False),
                          dk.gradient(g, at=at, method="forward").cost)
        elif label == "forward batched":  # partials on the value, products on the n-wide tangents
            work, cost = (estimate.forward_jacobian_work(g.plan, bound, wrt, True),
                          dk.gradient(g, at=at, method="forward", batch=True).cost)
        elif label == "forward hessian":
            work, cost = estimate.forward_hessian_work(g.plan, bound, wrt), dk.hessian(g, at=at, method="forward").cost
        else:
            work, cost = estimate.reverse_work(g.plan, bound, wrt, 1), dk.gradient(g, at=at, method="reverse").cost
    for ratio in _ratios(work, cost):
        assert 0.5 <= ratio <= 2, (label, ratio)


# --- the numeric method and reverse mode, estimated against what they count -------------------------------------

GRAPHS = {
    "chain": " + ".join(f"sin(x{i})*x{i + 1}" for i in range(11)),
    "rosenbrock": " + ".join(f"100*(x{i + 1} - x{i}**2)**2 + (1 - x{i})**2" for i in range(5)),
    "log-sum-exp": "log(" + " + ".join(f"exp(x{i})" for i in range(6)) + ")",
    "mixed": "exp(x)*log(y)/x + tanh(x*y) + sqrt(x**2 + y**2)",
}

# (verb, method, options): the requests estimated
REQUESTS = {
    "numeric central": ("gradient", "numeric", {}),
    "numeric forward": ("gradient", "numeric", {"scheme": "forward"}),
    "numeric richardson": ("gradient", "numeric", {"scheme": "richardson"}),
    "numeric complex": ("gradient", "numeric", {"scheme": "complex"}),
    "numeric error estimate": ("gradient", "numeric", {"error_estimate": True}),
    "numeric hessian": ("hessian", "numeric", {}),
    "reverse gradient": ("gradient", "reverse", {}),
    "reverse-over-reverse": ("hessian", "reverse", {}),
    "forward-over-reverse": ("hessian", "reverse", {"over": "forward"}),
}


def _work_of(label, graph, bound, wrt):
    from diffkit.api import NUMERIC_BATCHING
    from diffkit.methods import reverse

    verb, method, options = REQUESTS[label]
    plan = graph.plan
    if method == "numeric":
        return estimate.numeric_work(plan, bound, "jacobian" if verb == "gradient" else verb, wrt,
                                     options.get("scheme", "central"), options.get("error_estimate", False),
                                     batching=NUMERIC_BATCHING)
    if verb == "gradient":
        return estimate.reverse_jacobian_work(plan, bound, wrt)
    if options.get("over") == "forward":
        return estimate.forward_over_reverse_work(plan, bound, wrt)
    grad = reverse._with_value(reverse.gradient_graph(graph, wrt), graph).plan
    sweeps = tuple(int(np.size(bound[name])) if plan.tensor else 1 for name in wrt)
    return estimate.reverse_jacobian_work(grad, bound, wrt, grad.outputs[:-1], sweeps=sweeps)


def _point(graph, points):
    return {name: (np.linspace(1.1, 1.9, points) if points > 1 else 1.3 + 0.01 * k)
            for k, name in enumerate(graph.variables)}


@pytest.mark.parametrize("points", [1, 200])
@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("label", REQUESTS)
def test_numeric_and_reverse_estimates_are_within_twice_what_is_counted(label, graph, points):
    g = dk.parse(GRAPHS[graph])
    at = _point(g, points)
    verb, method, options = REQUESTS[label]
    cost = getattr(dk, verb)(g, at=at, method=method, **options).cost
    work = _work_of(label, g, g.bind(at), tuple(g.variables))
    applications, flops = _ratios(work, cost)
    assert 0.5 <= flops <= 2, (label, graph, points, flops)
    batched = method == "numeric" and verb == "gradient" and points == 1 and len(g.variables) >= 8 and \
        options.get("scheme") != "complex"
    if batched:  # its evaluations run a chunk at a time: fewer applications than Cost meters one by one
        assert applications < 1
    else:
        assert 0.5 <= applications <= 2, (label, graph, points, applications)


@pytest.mark.parametrize("label", ["numeric central", "reverse gradient", "reverse-over-reverse",
                                   "forward-over-reverse", "forward"])
def test_a_tensor_graph_s_estimates_are_within_twice_what_is_counted(label):
    net = dk.nn.MLP([3, 5, 2], activation="tanh", loss="mse", seed=0)
    rng = np.random.default_rng(0)
    g = net.loss_graph(rng.normal(size=(8, 3)), rng.normal(size=(8, 2)))
    at, wrt = net.parameters(), tuple(net.parameter_names)
    if label == "forward":
        work = estimate.forward_gradient_work(g.plan, g.bind(at), wrt)
        cost = dk.gradient(g, at=at, method="forward").cost
    else:
        verb, method, options = REQUESTS[label]
        work = _work_of(label, g, g.bind(at), wrt)
        cost = getattr(dk, verb)(g, at=at, method=method, **options).cost
    for ratio in _ratios(work, cost):
        assert 0.5 <= ratio <= 2, (label, ratio)


@pytest.mark.parametrize("order", [1, 2])
def test_a_numeric_derivative_s_estimate_is_what_is_counted(order):
    g = dk.parse("exp(x)*log(x)/x + tanh(x)")
    at = {"x": np.full(50, 1.5)}
    work = estimate.numeric_work(g.plan, g.bind(at), "derivative", ("x",), order=order)
    cost = dk.derivative(g, wrt="x", at=at, method="numeric", order=order).cost
    for ratio in _ratios(work, cost):
        assert 0.5 <= ratio <= 2, ratio


@pytest.mark.parametrize("order", [2, 3, 4])
def test_a_reverse_derivative_s_estimate_is_within_twice_what_is_counted(order):
    from diffkit.methods import reverse

    g = dk.parse("exp(x)*log(x)/x + tanh(x)*sin(x)")
    at = {"x": np.full(20, 1.5)}
    current = g
    for _ in range(order - 1):
        current = reverse.gradient_graph(current, ("x",))
    plan = reverse._with_value(current, g).plan
    work = estimate.reverse_jacobian_work(plan, g.bind(at), ("x",), plan.outputs[:1])
    for ratio in _ratios(work, dk.derivative(g, wrt="x", at=at, method="reverse", order=order).cost):
        assert 0.5 <= ratio <= 2, ratio


def test_a_jacobian_s_backward_sweeps_visit_only_what_their_output_depends_on():
    # each output its own terms: the sweeps together cost about one gradient, not m of them
    g = dk.parse_many([" + ".join(f"sin(x{i}*{j + 1})" for i in range(4)) for j in range(12)])
    at = {name: 1.2 for name in g.variables}
    for ratio in _ratios(estimate.reverse_jacobian_work(g.plan, g.bind(at), tuple(g.variables)),
                         dk.jacobian(g, at=at, method="reverse").cost):
        assert 0.5 <= ratio <= 2, ratio


# --- memory: estimated against Cost.memory_bytes and what tracemalloc sees NumPy allocate ------------------------

def _memory_estimate(method, plan, bound, wrt):
    if method == "forward":
        return estimate.forward_memory(plan, bound, 1, len(plan.outputs) * len(wrt))
    if method == "reverse":
        return estimate.reverse_memory(plan, bound)
    return estimate.numeric_memory(plan, bound, "jacobian", len(wrt))


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("method", ["forward", "reverse", "numeric"])
def test_memory_estimates_are_within_twice_what_is_held(method, graph):
    g = dk.parse(GRAPHS[graph])
    at = _point(g, 20_000)
    bound, wrt = g.bind(at), tuple(g.variables)
    dk.gradient(g, at=at, method=method)  # the plan's analyses and the primitives' probes, out of the way
    tracemalloc.start()
    try:
        cost = dk.gradient(g, at=at, method=method).cost
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    held = _memory_estimate(method, g.plan, bound, wrt)
    assert 0.5 <= held / cost.memory_bytes <= 2, (method, graph, held / cost.memory_bytes)
    assert 0.5 <= held / peak <= 2, (method, graph, held / peak)


def test_the_numeric_method_refuses_derivatives_it_could_not_keep_before_evaluating(monkeypatch):
    # each evaluation fits the budget (the method's own check passes), but the 20 × 20 second derivatives it
    # keeps until the Hessian is assembled do not
    g = dk.parse(" + ".join(f"sin(x{i})*x{i + 1}" for i in range(19)))
    at = {name: np.ones(300) for name in g.variables}
    per_evaluation = 8.0 * g.plan.size * 300
    monkeypatch.setattr(dk.limits, "memory_bytes", int(per_evaluation * 1.1))
    monkeypatch.setattr(dk.limits, "work_operations", 1e15)  # (the memory is what this test is about)
    with pytest.raises(dk.ResourceError, match=r"numeric method over 20 variables would hold .*memory_bytes"):
        dk.hessian(g, at=at, method="numeric")
    estimated = estimate.numeric_memory(g.plan, g.bind(at), "hessian", 20)
    monkeypatch.setattr(dk.limits, "memory_bytes", 2**31)
    # What it does hold, when allowed, as tracemalloc sees it (Cost.memory_bytes leaves out the rows of second
    # derivatives kept until the Hessian is assembled).
    tracemalloc.start()
    try:
        dk.hessian(g, at=at, method="numeric")
        held = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 0.5 <= estimated / held <= 2, estimated / held


@pytest.mark.parametrize("call, advice", [
    (lambda at: dk.derivative("sin(x)*exp(x)", wrt="x", at=at, method="forward", order=6), "use a lower order"),
    (lambda at: dk.jvp("sin(x)*exp(x)", at=at, tangents={"x": 1.0}, method="forward"), "fewer points at once"),
    (lambda at: dk.gradient("sin(x)*exp(x)", at=at, method="forward", batch=True), "batch=False"),
])
def test_forward_memory_advice_names_only_options_the_verb_has(call, advice, monkeypatch):
    monkeypatch.setattr(dk.limits, "memory_bytes", 10_000)
    with pytest.raises(dk.ResourceError) as refused:
        call({"x": np.ones(1000)})
    assert advice in str(refused.value)
    if advice != "batch=False":
        assert "batch=" not in str(refused.value)


@pytest.mark.parametrize(("sizes", "loss"), [([64, 128, 16], "cross_entropy"), ([8, 32, 32, 1], "mse"),
                                             ([4, 10, 2], "mse")])
def test_a_tensor_graph_s_memory_estimate_follows_its_shapes(sizes, loss):
    """Each step's output shape is propagated from the inputs' (matmul, sums, reshapes, broadcasts), so an MLP's
    tape is estimated at its real size, not every node at the largest input's (which was 2-9x over)."""
    rng = np.random.default_rng(0)
    net = dk.nn.MLP(sizes, loss=loss, seed=0)
    X = rng.normal(size=(50, sizes[0]))
    y = rng.integers(0, sizes[-1], size=50) if loss == "cross_entropy" else rng.normal(size=(50, sizes[-1]))
    graph, at = net.loss_graph(X, y), net.parameters()
    bound, entries = graph.bind(at), sum(v.size for v in at.values())
    assert 0.5 <= estimate.reverse_memory(graph.plan, bound) / dk.gradient(graph, at=at).cost.memory_bytes <= 2
    if entries < 2000:
        measured = dk.gradient(graph, at=at, method="forward").cost.memory_bytes
        assert 0.5 <= estimate.forward_memory(graph.plan, bound, 1, entries) / measured <= 2
