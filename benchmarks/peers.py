"""diffkit's gradients against its peers: SymPy lambdify(diff), JAX (jit and eager), PyTorch, HIPS autograd,
numdifftools.

Run: python3 benchmarks/peers.py [--quick] [--tasks 1,2,3] [--repeats 10] [--calls 2000] [--threads N]
Every peer is optional: one that does not import is printed as "not installed" (pip install jax autograd
numdifftools; torch only as torch==2.13.0, the pinned CPU wheel). JAX runs in float64 (jax_enable_x64), like
diffkit, SymPy's NumPy code, torch's float64 tensors and autograd.
Tasks:
  1. the gradient of f(x, y) = sin(x)·exp(-y²) + log(1 + x²)·y (10 operations) at 10⁶ points (a batch:
     one gradient per point). Targets: diffkit's reverse mode no slower than SymPy's lambdify(diff(f)) (compiled
     once, outside the timing) and within 2x of JAX's jit(vmap(grad(f))).
  2. per-call overhead: the gradient of a 24-node expression in three variables at one point of Python floats,
     many calls. Target: diffkit's per-call time below HIPS autograd's grad on floats.
  3. gradients of Σ xᵢxᵢ₊₁ and of Rosenbrock at n = 10, 100, 1000: diffkit on a traced graph of n scalar variables
     (and, for reference, on a tensor graph with x an n×1 column), the peers on a vector; then diffkit's numeric
     method against numdifftools' Gradient, with their errors against the exact gradient. No target.
Each contender is checked against diffkit's reverse mode (or the exact gradient) first. Then the calls run
interleaved, each once per round in a new random order, under time.perf_counter (JAX results blocked on). Printed:
median and minimum per call and the ratio peer / diffkit (above 1: diffkit is faster), same process. On a loaded
machine the minimum is the steadier number; targets are judged on both. Task 3 limits NumPy's BLAS to one thread
unless --threads is given (a 2-thread OpenBLAS stalled the tensor-graph rows here: 31 s for a 0.5 s gradient).
--quick: fewer repeats, numeric only up to n = 100 (under a minute). NumPy's ufuncs run on one thread while JAX's
XLA and torch use every CPU: for one thread against one, run
  XLA_FLAGS='--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1' python3 benchmarks/peers.py --threads 1
"""

import argparse
import os
import random
import statistics
import time
import warnings
from importlib import metadata

import numpy as np
import sympy

import diffkit as dk

try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError:  # every peer is optional
    jax = jnp = None
try:
    import torch
except ImportError:
    torch = None
try:
    import autograd
    import autograd.numpy as anp
except ImportError:
    autograd = anp = None
try:
    import numdifftools
except ImportError:
    numdifftools = None
try:
    import threadpoolctl
except ImportError:
    threadpoolctl = None

PEERS = {"JAX": jax, "torch": torch, "autograd": autograd, "numdifftools": numdifftools}
F1 = "sin(x)*exp(-y**2) + log(1 + x**2)*y"
F2 = "sin(x)*exp(-y**2) + log(1 + x**2)*y + tanh(x*z) - sqrt(1 + z**2)/(1 + y**2)"
POINT2 = {"x": 0.5, "y": -1.2, "z": 0.3}
ONE_XLA_THREAD = "XLA_FLAGS='--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1'"
SPEED_TARGETS = {"SymPy lambdify(diff)": 1.0, "JAX jit(vmap(grad))": 0.5}  # peer / diffkit must be at least this


def f1(m):
    """Task 1's function in the namespace ``m`` (jax.numpy, torch, autograd.numpy)."""
    return lambda x, y: m.sin(x) * m.exp(-y**2) + m.log(1 + x**2) * y


def f2(m):
    return lambda x, y, z: m.sin(x) * m.exp(-y**2) + m.log(1 + x**2) * y + m.tanh(x * z) - m.sqrt(1 + z**2) / (1 + y**2)


def sum_of_products(x):
    """Σ xᵢxᵢ₊₁ on a vector (any array namespace: slicing and * only)."""
    return (x[:-1] * x[1:]).sum()


def rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def sum_of_products_scalars(*x):
    """The same, one scalar at a time (what dk.trace records as a graph of n variables)."""
    total = x[0] * x[1]
    for a, b in zip(x[1:-1], x[2:], strict=True):
        total = total + a * b
    return total


def rosenbrock_scalars(*x):
    total = 0.0
    for a, b in zip(x[:-1], x[1:], strict=True):
        total = total + 100 * (b - a**2) ** 2 + (1 - a) ** 2
    return total


def exact_gradient(name: str, x: np.ndarray) -> np.ndarray:
    g = np.zeros_like(x)
    if name == "sum of products":
        g[:-1] += x[1:]
        g[1:] += x[:-1]
    else:
        g[:-1] += -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
        g[1:] += 200 * (x[1:] - x[:-1] ** 2)
    return g


TASK3 = {"sum of products": (sum_of_products, sum_of_products_scalars),
         "Rosenbrock": (rosenbrock, rosenbrock_scalars)}


def timed(calls: dict, repeats: int, warmup: int = 1, seed: int = 0) -> dict:
    """Seconds per call of each contender: ``repeats`` rounds, each calling every contender once in a new random
    order (a fixed order would always put the same call after torch's, whose threads may still be spinning)."""
    for call in calls.values():
        for _ in range(warmup):
            call()
    names, shuffle = list(calls), random.Random(seed).shuffle
    times: dict = {name: [] for name in names}
    for _ in range(repeats):
        shuffle(names)
        for name in names:
            start = time.perf_counter()
            calls[name]()
            times[name].append(time.perf_counter() - start)
    return times


def times_x(ratio: float) -> str:
    """A ratio with two decimals, or two significant digits below 0.1 (the peers are up to 1000x faster)."""
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.2g}x"


def table(times: dict, base: str, missing: list, unit: str = "ms", notes: dict | None = None) -> dict:
    """Print median and min per call and peer / base; return {name: (median ratio, min ratio)}."""
    scale = {"ms": 1e3, "µs": 1e6}[unit]
    base_med, base_min = statistics.median(times[base]), min(times[base])
    print(f"  {'contender':<52} {'median ' + unit:>10} {'min ' + unit:>9} {'/ diffkit (med)':>16} "
          f"{'/ diffkit (min)':>16}")
    ratios = {}
    for name, ts in times.items():
        med, low = statistics.median(ts), min(ts)
        ratios[name] = (med / base_med, low / base_min)
        note = f"  {notes[name]}" if notes and name in notes else ""
        print(f"  {name:<52} {med * scale:10.3f} {low * scale:9.3f} {times_x(ratios[name][0]):>16} "
              f"{times_x(ratios[name][1]):>16}{note}")
    for name in missing:
        print(f"  {name:<52} {'not installed':>20}")
    if base_med > 1.5 * base_min:
        print(f"  noisy: the {base} median is over 1.5x its minimum; trust the minimum")
    return ratios


def check(name: str, got, reference) -> str:
    """The largest relative difference of a contender's gradient (a list of arrays) from the reference."""
    worst = max(float(np.max(np.abs(np.asarray(a, dtype=np.float64) - b)) / max(float(np.max(np.abs(b))), 1e-300))
                for a, b in zip(got, reference, strict=True))
    if not worst <= 1e-10:
        raise SystemExit(f"{name}'s gradient differs from diffkit's reverse mode by {worst:.2e}")
    return f"{worst:.0e}"


def verdict(ratios: dict, peer: str, base: str, least: float, what: str) -> None:
    if peer not in ratios:
        print(f"  target ({what}): {peer} not installed, not judged")
        return
    med, low = ratios[peer]
    held = ["holds" if r >= least else "does NOT hold" for r in (med, low)]
    print(f"  target ({what}): {peer} / {base} = {med:.2f}x median, {low:.2f}x min (needs >= {least:g}x): "
          f"{held[0]} by the median, {held[1]} by the minimum")


def task1(points: int, repeats: int) -> None:
    print(f"\n1. Elementwise gradient of f(x, y) = {F1} at {points:,} points (ms per gradient of all points)")
    rng = np.random.default_rng(0)
    X, Y = rng.uniform(-2, 2, points), rng.uniform(-2, 2, points)
    g = dk.parse(F1)
    at = {"x": X, "y": Y}
    result = dk.gradient(g, at=at, method="reverse")
    reference = [result.gradient["x"], result.gradient["y"]]
    print(f"  diffkit cost of one reverse gradient (the first call): {result.cost.summary()}")
    prepared, with_value = dk.grad(g), dk.value_and_grad(g)
    base = "diffkit dk.gradient(method='reverse')"
    calls = {base: (lambda: dk.gradient(g, at=at, method="reverse"), lambda r: [r.gradient["x"], r.gradient["y"]]),
             "diffkit dk.gradient(method='forward')":
                 (lambda: dk.gradient(g, at=at, method="forward"), lambda r: [r.gradient["x"], r.gradient["y"]]),
             "diffkit dk.grad(g) (prepared)": (lambda: prepared(at), lambda r: [r["x"], r["y"]]),
             "diffkit dk.value_and_grad(g) (prepared)": (lambda: with_value(at), lambda r: [r[1]["x"], r[1]["y"]])}
    setup = []
    x, y = sympy.symbols("x y")
    expr = sympy.sin(x) * sympy.exp(-y**2) + sympy.log(1 + x**2) * y
    start = time.perf_counter()
    lambdified = sympy.lambdify([x, y], [sympy.diff(expr, x), sympy.diff(expr, y)], "numpy")
    setup.append(f"SymPy diff + lambdify {(time.perf_counter() - start) * 1e3:.0f} ms")
    calls["SymPy lambdify(diff)"] = (lambda: lambdified(X, Y), list)
    missing = []
    if jax is not None:
        jf = jax.vmap(jax.grad(f1(jnp), argnums=(0, 1)))
        jitted = jax.jit(jf)
        JX, JY = jnp.asarray(X), jnp.asarray(Y)
        start = time.perf_counter()
        jax.block_until_ready(jitted(JX, JY))
        setup.append(f"JAX jit compile + first call {(time.perf_counter() - start) * 1e3:.0f} ms")
        calls["JAX jit(vmap(grad))"] = (lambda: jax.block_until_ready(jitted(JX, JY)), list)
        calls["JAX eager vmap(grad)"] = (lambda: jax.block_until_ready(jf(JX, JY)), list)
    else:
        missing += ["JAX jit(vmap(grad))", "JAX eager vmap(grad)"]
    if torch is not None:
        tf = f1(torch)

        def torch_gradient():
            tx, ty = torch.from_numpy(X).requires_grad_(), torch.from_numpy(Y).requires_grad_()
            tf(tx, ty).sum().backward()
            return tx.grad, ty.grad

        calls[f"torch {torch.__version__} .sum().backward()"] = (torch_gradient, lambda r: [t.numpy() for t in r])
    else:
        missing.append("torch .sum().backward()")
    if autograd is not None:
        egrad = autograd.elementwise_grad(f1(anp), (0, 1))
        calls["autograd elementwise_grad"] = (lambda: egrad(X, Y), list)
    else:
        missing.append("autograd elementwise_grad")
    agreement = {name: check(name, extract(call()), reference) for name, (call, extract) in calls.items()}
    print(f"  setup (untimed): {'; '.join(setup)}")
    times = timed({name: call for name, (call, _) in calls.items()}, repeats)
    ratios = table(times, base, missing, notes={n: f"(agrees to {a})" for n, a in agreement.items()})
    for peer, least in SPEED_TARGETS.items():
        what = "no slower than SymPy" if least == 1.0 else "within 2x of JAX jit"
        verdict(ratios, peer, "diffkit reverse", least, what)
    print(f"  (diffkit, SymPy and autograd run NumPy ufuncs on one thread; JAX's XLA and torch may use all "
          f"{os.cpu_count()} CPUs: one thread against one is --threads 1 with {ONE_XLA_THREAD})")


def task2(calls_per: int) -> None:
    g = dk.parse(F2)
    at = dict(POINT2)
    result = dk.gradient(g, at=at)
    print(f"\n2. Per-call overhead: the gradient of {F2} ({len(g.nx)} nodes, "
          f"{sum(result.cost.operations.values())} operations) at one point of Python floats (µs per call)")
    names = list(g.variables)
    reference = [np.asarray(result.gradient[n]) for n in names]
    args = tuple(at[n] for n in names)
    with_value, prepared = dk.value_and_grad(g), dk.grad(g)
    base = "diffkit dk.gradient(g, at) (g a parsed Graph)"
    calls = {base: (lambda: dk.gradient(g, at=at), lambda r: [r.gradient[n] for n in names]),
             "diffkit dk.value_and_grad(g) (prepared)": (lambda: with_value(at), lambda r: [r[1][n] for n in names]),
             "diffkit dk.grad(g) (prepared)": (lambda: prepared(at), lambda r: [r[n] for n in names])}
    missing = []
    if autograd is not None:
        agrad = autograd.grad(f2(anp), (0, 1, 2))
        calls["autograd grad (floats)"] = (lambda: agrad(*args), list)
    else:
        missing.append("autograd grad (floats)")
    if jax is not None:
        jgrad = jax.grad(f2(jnp), argnums=(0, 1, 2))
        jitted = jax.jit(jgrad)
        calls["JAX eager grad"] = (lambda: jax.block_until_ready(jgrad(*args)), list)
        calls["JAX jit(grad)"] = (lambda: jax.block_until_ready(jitted(*args)), list)
    else:
        missing += ["JAX eager grad", "JAX jit(grad)"]
    if torch is not None:
        tf = f2(torch)

        def torch_gradient():
            ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in args]
            tf(*ts).backward()
            return [t.grad for t in ts]

        calls["torch scalar tensors .backward()"] = (torch_gradient, lambda r: [t.numpy() for t in r])
    else:
        missing.append("torch scalar tensors .backward()")
    agreement = {name: check(name, extract(call()), reference) for name, (call, extract) in calls.items()}
    times = timed({name: call for name, (call, _) in calls.items()}, calls_per, warmup=20)
    ratios = table(times, base, missing, unit="µs", notes={n: f"(agrees to {a})" for n, a in agreement.items()})
    if "autograd grad (floats)" not in ratios:
        print("  target (below HIPS autograd's per-call time): autograd not installed, not judged")
        return
    for ours in (base, "diffkit dk.value_and_grad(g) (prepared)"):
        med = ratios["autograd grad (floats)"][0] / ratios[ours][0]
        low = ratios["autograd grad (floats)"][1] / ratios[ours][1]
        ok = ["holds" if r > 1 else "does NOT hold" for r in (med, low)]
        print(f"  target (below HIPS autograd's per-call time): autograd / {ours.split(' (')[0]} = {med:.2f}x "
              f"median, {low:.2f}x min (needs > 1x): {ok[0]} by the median, {ok[1]} by the minimum")


def selection_graph(vector_f, n: int):
    """A tensor graph of the vector function: x an n×1 column, x[:-1] and x[1:] as products with selection
    matrices (an O(n²) matmul each: a reference for what a vector form buys, not an efficient one)."""
    first, rest = np.eye(n)[:-1], np.eye(n)[1:]

    def f(x):
        a, b = dk.matmul(first, x), dk.matmul(rest, x)
        return dk.sum(a * b) if vector_f is sum_of_products else dk.sum(100 * (b - a**2) ** 2 + (1 - a) ** 2)

    return dk.trace(f)


def task3(sizes: list, repeats: int, numeric_max: int, numeric_budget: float) -> None:
    print("\n3. Gradients at growing n (ms per gradient); diffkit's graphs have n scalar variables, the peers take a "
          "vector")
    for label, (vector_f, scalar_f) in TASK3.items():
        for n in sizes:
            task3_one(label, vector_f, scalar_f, n, repeats, numeric_max, numeric_budget)


def task3_one(label, vector_f, scalar_f, n, repeats, numeric_max, numeric_budget) -> None:
    names = [f"x{i}" for i in range(n)]
    x0 = np.random.default_rng(n).uniform(-1, 1, n)
    exact = exact_gradient(label, x0)
    start = time.perf_counter()
    g = dk.trace(scalar_f, variables=names)
    traced = time.perf_counter() - start
    at = {name: float(v) for name, v in zip(names, x0, strict=True)}
    tensor_g = selection_graph(vector_f, n)
    column = {"x": x0[:, None].copy()}
    with_value, tensor_vg = dk.value_and_grad(g), dk.value_and_grad(tensor_g)
    print(f"\n  {label}, n = {n}: diffkit graph of {len(g.nx)} nodes (dk.trace {traced * 1e3:.1f} ms, untimed)")
    base = "diffkit dk.gradient(method='reverse')"
    def from_result(r):
        return [np.array([r.gradient[k] for k in names])]

    def from_pair(r):
        return [np.array([r[1][k] for k in names])]

    calls = {base: (lambda: dk.gradient(g, at=at, method="reverse"), from_result),
             "diffkit dk.value_and_grad(g) (prepared)": (lambda: with_value(at), from_pair),
             "diffkit tensor graph, x n×1 (selection matmuls)": (lambda: tensor_vg(column),
                                                                  lambda r: [r[1]["x"].ravel()])}
    missing = []
    if jax is not None:
        jgrad = jax.grad(vector_f)
        jitted = jax.jit(jgrad)
        jx = jnp.asarray(x0)
        calls["JAX jit(grad)"] = (lambda: jitted(jx).block_until_ready(), lambda r: [np.asarray(r)])
        calls["JAX eager grad"] = (lambda: jgrad(jx).block_until_ready(), lambda r: [np.asarray(r)])
    else:
        missing += ["JAX jit(grad)", "JAX eager grad"]
    if torch is not None:
        def torch_gradient():
            t = torch.tensor(x0, requires_grad=True)
            vector_f(t).backward()
            return t.grad

        calls["torch .backward()"] = (torch_gradient, lambda r: [r.numpy()])
    else:
        missing.append("torch .backward()")
    if autograd is not None:
        agrad = autograd.grad(vector_f)
        calls["autograd grad"] = (lambda: agrad(x0), lambda r: [r])
    else:
        missing.append("autograd grad")
    agreement = {name: check(name, extract(call()), [exact]) for name, (call, extract) in calls.items()}
    times = timed({name: call for name, (call, _) in calls.items()}, repeats)
    table(times, base, missing, notes={k: f"(agrees to {a})" for k, a in agreement.items()})
    if n <= numeric_max:
        numeric(vector_f, g, tensor_g, at, column, names, x0, exact, numeric_budget)
    else:
        print(f"  numeric: skipped at n = {n} (over --numeric-max {numeric_max})")


def numeric(vector_f, g, tensor_g, at, column, names, x0, exact, budget) -> None:
    """diffkit's numeric method against numdifftools' Gradient: a few calls each (they are slow), then errors."""
    n = len(names)
    calls = {"diffkit numeric (central)": (lambda: dk.gradient(g, at=at, method="numeric"),
                                           lambda r: np.array([r.gradient[k] for k in names]))}
    if n <= 100:  # four evaluations per variable: too slow at n = 1000 on a graph of scalars
        calls["diffkit numeric (richardson)"] = (lambda: dk.gradient(g, at=at, method="numeric", scheme="richardson"),
                                                 lambda r: np.array([r.gradient[k] for k in names]))
    calls["diffkit numeric (central), tensor graph"] = (lambda: dk.gradient(tensor_g, at=column, method="numeric"),
                                                        lambda r: r.gradient["x"].ravel())
    missing = []
    if numdifftools is not None:
        nd_gradient = numdifftools.Gradient(vector_f)
        calls["numdifftools Gradient (defaults)"] = (lambda: nd_gradient(x0), np.asarray)
    else:
        missing.append("numdifftools Gradient")
    rows = {}
    for name, (call, extract) in calls.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numdifftools' step-size warnings; diffkit's diagnostics are in r
            start = time.perf_counter()
            got = extract(call())
            first = time.perf_counter() - start
            ts = [] if 6 * first < budget else [first]  # a cheap first call is a warm-up, a slow one a sample
            while len(ts) < 5 and sum(ts) + first < budget:  # repeat only while within the budget
                start = time.perf_counter()
                call()
                ts.append(time.perf_counter() - start)
        error = float(np.max(np.abs(got - exact)) / np.max(np.abs(exact)))
        rows[name] = (ts, error)
    base = rows["diffkit numeric (central)"][0]
    print(f"  numeric (each call timed alone after a warm-up, up to 5 calls within {budget:g} s; "
          "error = max|g - exact| / max|exact|)")
    print(f"  {'contender':<52} {'median ms':>10} {'min ms':>9} {'/ diffkit (med)':>16} {'/ diffkit (min)':>16} "
          f"{'calls':>5} {'error':>9}")
    for name, (ts, error) in rows.items():
        print(f"  {name:<52} {statistics.median(ts) * 1e3:10.2f} {min(ts) * 1e3:9.2f} "
              f"{times_x(statistics.median(ts) / statistics.median(base)):>16} {times_x(min(ts) / min(base)):>16} "
              f"{len(ts):5d} {error:9.1e}")
    for name in missing:
        print(f"  {name:<52} {'not installed':>20}")


def threads() -> str:
    info = threadpoolctl.threadpool_info() if threadpoolctl is not None else []
    pools = ", ".join(f"{i['prefix']} {i['num_threads']}" for i in info) or "unknown (no threadpoolctl)"
    torch_threads = torch.get_num_threads() if torch is not None else "n/a"
    xla = os.environ.get("XLA_FLAGS", "default")
    return (f"threads: BLAS/OpenMP pools {pools} (NumPy's elementwise ufuncs use one thread); torch "
            f"{torch_threads}; JAX/XLA its own pool (XLA_FLAGS {xla}); {os.cpu_count()} CPUs")


def versions() -> str:
    found = [f"diffkit {getattr(dk, '__version__', '(checkout)')}", f"NumPy {np.__version__}",
             f"SymPy {sympy.__version__}"]
    found += [f"{name} {metadata.version(name if name != 'JAX' else 'jax')}"
              for name, module in PEERS.items() if module is not None]
    absent = [name for name, module in PEERS.items() if module is None]
    return "versions: " + ", ".join(found) + (f"; not installed: {', '.join(absent)}" if absent else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, numeric up to n = 100 (< 1 minute)")
    parser.add_argument("--tasks", default="1,2,3", help="which tasks to run (default 1,2,3)")
    parser.add_argument("--points", type=int, default=10**6, help="task 1's points (default 10**6)")
    parser.add_argument("--repeats", type=int, help="timed rounds in tasks 1 and 3 (default 10 and 20; quick 3, 5)")
    parser.add_argument("--calls", type=int, help="timed calls per contender in task 2 (default 2000, quick 300)")
    parser.add_argument("--sizes", default="10,100,1000", help="task 3's n (default 10,100,1000)")
    parser.add_argument("--numeric-max", type=int, help="largest n for the numeric methods (default 1000, quick 100)")
    parser.add_argument("--numeric-budget", type=float, default=10.0,
                        help="seconds of repeats per numeric contender (default 10)")
    parser.add_argument("--threads", type=int, help="limit BLAS/OpenMP and torch to N threads")
    args = parser.parse_args()
    limiter = None
    if args.threads:
        if threadpoolctl is None:
            raise SystemExit("--threads needs threadpoolctl (pip install threadpoolctl)")
        limiter = threadpoolctl.threadpool_limits(limits=args.threads)  # noqa: F841  (kept alive to the end)
        if torch is not None:
            torch.set_num_threads(args.threads)
    tasks = {int(t) for t in args.tasks.split(",")}
    print(versions())
    print(threads())
    print("ratios are peer time / diffkit time in the same process (above 1: diffkit faster); timings on a shared "
          "machine are noisy: prefer the min columns")
    if 1 in tasks:
        task1(args.points, args.repeats or (3 if args.quick else 10))
    if 2 in tasks:
        task2(args.calls or (300 if args.quick else 2000))
    if 3 in tasks:
        numeric_max = args.numeric_max if args.numeric_max is not None else (100 if args.quick else 1000)
        sizes, repeats = [int(s) for s in args.sizes.split(",")], args.repeats or (5 if args.quick else 20)
        budget = 2.0 if args.quick else args.numeric_budget
        if args.threads or threadpoolctl is None:
            task3(sizes, repeats, numeric_max, budget)
        else:  # the tensor-graph rows' matrix-vector products: a 2-thread BLAS gains nothing and can stall
            with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
                print("\n(task 3 runs with NumPy's BLAS limited to 1 thread: its only BLAS work is the tensor-graph "
                      "rows' matrix-vector products, and a 2-thread OpenBLAS on a loaded 2-core machine stalls)")
                task3(sizes, repeats, numeric_max, budget)


if __name__ == "__main__":
    main()
