"""The execution core's targets (issue "One execution core"): diffkit against its peers, run in this process.

Run: python3 benchmarks/engine.py [--repeats 7] [--quick]
Prints one row per measure — the peer's time, diffkit's time, the ratio diffkit / peer and the target — and
exits with status 1 naming every target missed. Calls of one measure run interleaved (each once per round, in a
new random order) and the medians are compared. Peers are optional (pip install autograd numdifftools); a measure
whose peer is missing is printed as such and judged on diffkit alone where the target is absolute. NumPy's BLAS
is limited to one thread (what diffkit's scalar graphs use anyway); quote figures with the thread count printed.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import diffkit as dk  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interleave import medians  # noqa: E402

try:
    import autograd
    import autograd.numpy as anp
except ImportError:  # optional peer
    autograd = anp = None
try:
    import numdifftools
except ImportError:
    numdifftools = None


# The functions, written once for the peers (a vector) and once for diffkit (n scalar variables, traced).
def sum_of_products_vector(x):
    return (x[:-1] * x[1:]).sum()


def rosenbrock_vector(x):
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()


def sum_of_products_scalars(*x):
    total = x[0] * x[1]
    for i in range(1, len(x) - 1):
        total = total + x[i] * x[i + 1]
    return total


def rosenbrock_scalars(*x):
    total = 0.0
    for i in range(len(x) - 1):
        total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return total


FUNCTIONS = {"sum of x_i*x_i+1": (sum_of_products_vector, sum_of_products_scalars),
             "Rosenbrock": (rosenbrock_vector, rosenbrock_scalars)}


def scalar_problem(scalar_f, n: int):
    names = [f"x{i}" for i in range(n)]
    graph = dk.trace(scalar_f, variables=names)
    x = np.random.default_rng(n).uniform(-1, 1, n)
    return graph, x, {name: float(v) for name, v in zip(names, x, strict=True)}, names


class Table:
    def __init__(self):
        self.rows, self.missed = [], []

    def row(self, measure: str, peer: str, peer_s, ours_s: float, target: str, met: bool | None) -> None:
        ratio = f"{ours_s / peer_s:8.2f}x" if peer_s else "        -"
        peer_text = f"{peer_s * 1e3:10.2f}" if peer_s else "         -"
        verdict = {True: "met", False: "MISSED", None: "no peer"}[met]
        self.rows.append(f"{measure:<46} {peer:<22} {peer_text} {ours_s * 1e3:10.2f} {ratio}  {target:<12} {verdict}")
        print(f"  measured: {self.rows[-1]}", flush=True)  # as it goes: the large sizes take minutes
        if met is False:
            self.missed.append(f"{measure}: {target}")

    def print(self) -> None:
        print(f"{'measure':<46} {'peer':<22} {'peer ms':>10} {'diffkit ms':>10} {'ratio':>9}  {'target':<12}")
        for line in self.rows:
            print(line)


def reverse_gradients(table: Table, n: int, repeats: int) -> None:
    for label, (vector_f, scalar_f) in FUNCTIONS.items():
        graph, x, at, names = scalar_problem(scalar_f, n)
        calls = {"diffkit": lambda graph=graph, at=at: dk.gradient(graph, at=at)}
        if autograd is not None:
            grad = autograd.grad(lambda v, f=vector_f: f(v))
            calls["autograd"] = lambda grad=grad, x=x: grad(x)
        times = medians(calls, repeats)
        peer = times.get("autograd")
        table.row(f"reverse gradient, {label}, n = {n}", "HIPS autograd grad", peer, times["diffkit"], "<= 1.0x",
                  None if peer is None else times["diffkit"] <= peer)


def large_reverse(table: Table, n: int, repeats: int) -> None:
    graph, _, at, _ = scalar_problem(rosenbrock_scalars, n)
    seconds = medians({"diffkit": lambda: dk.gradient(graph, at=at)}, repeats)["diffkit"]
    table.row(f"reverse gradient, Rosenbrock, n = {n:,}", "(absolute)", None, seconds, "< 1 s", seconds < 1.0)


def numeric_gradient(table: Table, n: int, repeats: int) -> None:
    graph, x, at, names = scalar_problem(rosenbrock_scalars, n)
    exact_gradient = dk.gradient(graph, at=at).gradient
    exact = np.array([exact_gradient[k] for k in names])
    # numdifftools' central differences are Richardson-extrapolated by default: diffkit's like for like is
    # scheme="richardson" (4n evaluations), judged at equal or better accuracy.
    numeric = dk.gradient(graph, at=at, method="numeric", scheme="richardson").gradient
    ours = np.array([numeric[k] for k in names])
    calls = {"diffkit": lambda: dk.gradient(graph, at=at, method="numeric", scheme="richardson")}
    if numdifftools is not None:
        gradient = numdifftools.Gradient(rosenbrock_vector, method="central")
        theirs = gradient(x)
        calls["numdifftools"] = lambda: gradient(x)
    times = medians(calls, repeats)
    our_error = float(np.max(np.abs(ours - exact)))
    peer = times.get("numdifftools")
    met = None
    if peer is not None:
        their_error = float(np.max(np.abs(theirs - exact)))
        met = times["diffkit"] <= peer and our_error <= their_error
        print(f"  numeric errors: diffkit {our_error:.1e}, numdifftools {their_error:.1e}")
    table.row(f"numeric gradient (richardson), Rosenbrock, n = {n}", "numdifftools Gradient", peer, times["diffkit"],
              "<= 1.0x", met)


def forward_gradient(table: Table, n: int, repeats: int) -> None:
    graph, _, at, _ = scalar_problem(rosenbrock_scalars, n)
    times = medians({"reverse": lambda: dk.gradient(graph, at=at),
                     "forward": lambda: dk.gradient(graph, at=at, method="forward", batch=True)}, repeats)
    table.row(f"forward gradient (batched tangents), n = {n}", "diffkit reverse", times["reverse"],
              times["forward"], "<= 3.0x", times["forward"] <= 3 * times["reverse"])


def first_call(table: Table, nodes: int, repeats: int) -> None:
    def chain(x):
        for _ in range(nodes // 2):
            x = dk.functions.sin(x) * 1.0001
        return x

    firsts = []
    for _ in range(repeats):
        graph = dk.trace(chain)  # a new graph: nothing compiled or counted yet
        gc.collect()
        start = time.perf_counter()
        dk.gradient(graph, at={"x": 0.3})
        firsts.append(time.perf_counter() - start)
    warm = medians({"warm": lambda: dk.gradient(graph, at={"x": 0.3})}, repeats)["warm"]
    first = statistics.median(firsts)
    table.row(f"first call, {nodes:,}-node chain", "diffkit warm call", warm, first, "<= 3.0x", first <= 3 * warm)


def parsing(table: Table, terms: int) -> None:
    text = "+".join(["x"] * terms)
    start = time.perf_counter()
    try:
        graph = dk.parse(text)
    except dk.ParseError as error:
        seconds = time.perf_counter() - start
        table.row(f"parse {len(text) / 1e6:.1f} MB of x+x+...", "(absolute)", None, seconds, "<= 1 s", False)
        print(f"  parse refused: {error.reason[:80]}")
        return
    seconds = time.perf_counter() - start
    table.row(f"parse {len(text) / 1e6:.1f} MB of x+x+...", "(absolute)", None, seconds, "<= 1 s", seconds <= 1.0)
    start = time.perf_counter()
    graph.evaluate({"x": 1.0})
    once = time.perf_counter() - start
    table.row("  ... and evaluate it once", "(absolute)", None, once, "<= 10 ms", once <= 0.010)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds per measure (default 7)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (n = 200, 10^4), 3 rounds")
    parser.add_argument("--n", type=int, help="the size of the peer comparisons (default 1000)")
    parser.add_argument("--large", type=int, help="the size of the absolute reverse-mode target (default 10^5)")
    args = parser.parse_args()
    repeats = 3 if args.quick else args.repeats
    n, large = (200, 10**4) if args.quick else (1000, 10**5)
    n, large = args.n or n, args.large or large
    print(f"diffkit {dk.__version__}, numpy {np.__version__}, BLAS threads {os.environ['OPENBLAS_NUM_THREADS']}, "
          f"{os.cpu_count()} CPUs; autograd {'yes' if autograd else 'not installed'}, numdifftools "
          f"{'yes' if numdifftools else 'not installed'}")
    table = Table()
    reverse_gradients(table, n, repeats)
    large_reverse(table, large, max(3, repeats // 2))
    numeric_gradient(table, n, max(3, repeats // 2))
    forward_gradient(table, n, repeats)
    first_call(table, 10**4, max(3, repeats // 2))
    parsing(table, 500_000 if not args.quick else 50_000)
    table.print()
    if table.missed:
        print("\ntargets missed:\n  " + "\n  ".join(table.missed))
        return 1
    print("\nevery target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
