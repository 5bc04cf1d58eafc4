"""Adding a primitive is one entry: a primitive defined here, in the test alone, and registered with
``ops.register`` parses, traces, draws and differentiates correctly four ways, like a built-in one.

It runs in a fresh interpreter so the rest of the suite sees the built-in table only."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent('''
    import numpy as np
    import sympy as sp
    import diffkit as dk
    from diffkit.ops import register
    from diffkit.primitive import ARITHMETIC, Primitive

    # softsign(a) = a / (1 + |a|), its derivative 1 / (1 + |a|)^2: one entry, nothing else edited
    softsign = register(Primitive(
        "softsign", 1, lambda a: a / (1.0 + np.abs(a)), lambda a: a / (1 + sp.Abs(a)),
        (lambda xp, out, a: 1.0 / (1.0 + xp.abs(a)) ** 2,), 3 * ARITHMETIC, smooth=False))

    x, y = 0.7, -1.9
    exact = {"x": y / (1 + abs(x)) ** 2, "y": x / (1 + abs(x))}
    graph = dk.parse("softsign(x) * y")
    assert graph.evaluate({"x": x, "y": y}) == softsign.numpy(x) * y
    assert dk.trace(lambda x, y: dk.functions.softsign(x) * y).expression() == "softsign(x)*y"
    for method in dk.METHODS:
        gradient = dk.gradient(graph, at={"x": x, "y": y}, method=method).gradient
        for name, value in exact.items():
            assert abs(gradient[name] - value) < 1e-8, (method, name, gradient[name], value)
    assert dk.gradient(graph, at={"x": x, "y": y}).cost.operations["softsign"] == 1
    second = dk.derivative("softsign(x)", wrt="x", order=2, at={"x": x}, method="forward").derivative
    assert abs(second - (-2 / (1 + x) ** 3)) < 1e-12, second
    table = dk.compare(graph, at={"x": x, "y": y})
    assert not table.failures and max(table.discrepancies.values()) < 1e-8
    figure = dk.draw(graph, at={"x": x, "y": y}, show="adjoints")
    assert "softsign" in {t.get_text() for t in figure.axes[0].texts}
    # a SymPy counterpart that is a class of the user's own (an sp.Function with eval and fdiff), as RealCbrt is
    class Square(sp.Function):
        @classmethod
        def eval(cls, a):
            return a**2 if a.is_Number else None

        def fdiff(self, argindex=1):
            return 2 * self.args[0]

    register(Primitive("square", 1, np.square, Square, (lambda xp, out, a: 2.0 * a,), ARITHMETIC))
    for method in dk.METHODS:
        got = dk.gradient("square(x) * y", at={"x": x, "y": y}, method=method).gradient
        assert abs(got["x"] - 2 * x * y) < 1e-8 and abs(got["y"] - x * x) < 1e-8, (method, got)
    assert dk.from_sympy(Square(sp.Symbol("x")) * 2).evaluate({"x": 3.0}) == 18.0  # read back as the primitive
    print("ok")
''')


def test_a_primitive_added_in_one_entry_works_everywhere():
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={"PYTHONPATH": str(ROOT), "PATH": "", "MPLBACKEND": "Agg"})
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stdout + run.stderr
