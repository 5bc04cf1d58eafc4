"""One MLP training step (forward + backward + SGD update): diffkit's reverse mode against hand-written NumPy backprop.

Run: python3 benchmarks/mlp_step.py [--repeats 30] [--warmup 5] [--threads N] [--profile]
Networks: the lecture's 1000-100-10 ReLU net, no bias, sse loss, batch 64; 784-512-512-10 ReLU with bias, softmax
cross-entropy, batch 256. Gradients are checked against the hand-written ones first; then the steps run interleaved
(each once per round, in a new random order) under time.perf_counter. Printed: median and minimum ms per step,
diffkit / hand-written (target 1.15x), PyTorch's CPU eager float64 step when torch imports, minor page faults per
step (~2 µs each here; how many depends on glibc's adaptive mmap threshold, i.e. on the process's history).
--profile: cProfile over 20 diffkit steps of the first network, top 25 functions by cumulative and by total time,
in µs per step. NumPy ufuncs and @ are not calls to cProfile: their time is the tottime of the caller (run_plan).
On a loaded 2-core machine a 2-thread BLAS stalls whenever another process holds a core, and every contender
then waits on it (flagged UNRELIABLE): use --threads 1.
"""

import argparse
import cProfile
import pstats
import random
import resource
import statistics
import time
import timeit

import numpy as np

import diffkit as dk
from diffkit import nn, optim

try:
    import torch
except ImportError:  # the torch row is optional
    torch = None
try:
    import threadpoolctl  # reports (and with --threads limits) the BLAS/OpenMP thread pools
except ImportError:
    threadpoolctl = None

TARGET = 1.15
CONFIGS = {
    "1000-100-10 relu, no bias, sse, N=64": dict(sizes=[1000, 100, 10], loss="sse", bias=False, batch=64, lr=1e-6),
    "784-512-512-10 relu, bias, cross-entropy, N=256": dict(sizes=[784, 512, 512, 10], loss="cross_entropy",
                                                           bias=True, batch=256, lr=1e-2),
}


def hand_gradient(X, Y, p: dict, loss: str) -> dict:
    """Backprop written out: ReLU hidden layers, a linear last layer, then sse or mean softmax cross-entropy."""
    layers = sum(name.startswith("W") for name in p)
    acts, pre = [X], []
    for k in range(1, layers + 1):
        z = acts[-1] @ p[f"W{k}"]
        if f"b{k}" in p:
            z += p[f"b{k}"]
        pre.append(z)
        if k < layers:
            acts.append(np.maximum(z, 0.0))
    z = pre[-1]
    if loss == "sse":
        g = 2.0 * (z - Y)  # d/dŷ Σ(ŷ − y)²
    else:
        e = np.exp(z - z.max(axis=1, keepdims=True))  # the stable softmax; G = (S − Y)/N
        g = (e / e.sum(axis=1, keepdims=True) - Y) / X.shape[0]
    grads = {}
    for k in range(layers, 0, -1):
        grads[f"W{k}"] = acts[k - 1].T @ g
        if f"b{k}" in p:
            grads[f"b{k}"] = g.sum(axis=0)
        if k > 1:
            g = g @ p[f"W{k}"].T
            g *= pre[k - 2] > 0
    return grads


def hand_flops(sizes, batch: int) -> int:
    """2mnk per matmul: the forward product and the two backward ones per layer (no dX for the first layer)."""
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    return sum(2 * batch * a * b * (3 if k else 2) for k, (a, b) in enumerate(pairs))


def torch_setup(X, Y, p: dict, loss: str, lr: float):
    """A torch step on float64 leaf tensors; returns (step, the gradient at the starting parameters)."""
    tX, tY = torch.from_numpy(X.copy()), torch.from_numpy(Y.copy())
    tp = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True) for name, value in p.items()}
    layers = sum(name.startswith("W") for name in tp)

    def backward():
        a = tX
        for k in range(1, layers + 1):
            a = a @ tp[f"W{k}"] + tp[f"b{k}"] if f"b{k}" in tp else a @ tp[f"W{k}"]
            if k < layers:
                a = torch.relu(a)
        if loss == "sse":
            value = ((a - tY) ** 2).sum()
        else:
            value = -(tY * torch.log_softmax(a, dim=1)).sum(dim=1).mean()
        value.backward()

    def step():
        backward()
        with torch.no_grad():
            for t in tp.values():
                t -= lr * t.grad
                t.grad = None

    backward()
    grads = {name: t.grad.numpy().copy() for name, t in tp.items()}
    for t in tp.values():
        t.grad = None
    return step, grads


def contenders(cfg: dict):
    """The steps to time (each on its own copy of the same parameters) and a report of the gradient check."""
    net = nn.MLP(cfg["sizes"], activation="relu", loss=cfg["loss"], bias=cfg["bias"], seed=0)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((cfg["batch"], cfg["sizes"][0]))
    Y = (rng.standard_normal((cfg["batch"], cfg["sizes"][-1])) if cfg["loss"] == "sse"  # one-hot rows for CE
         else net.targets(rng.integers(0, cfg["sizes"][-1], cfg["batch"]), cfg["batch"]))
    lr, names, graph, opt = cfg["lr"], net.parameter_names, net.loss_graph(), optim.GD(cfg["lr"])
    reference = hand_gradient(X, Y, net.parameters(), cfg["loss"])
    result = net.gradient(X, Y)
    checks = {"diffkit": result.gradient}
    hand_p, dk_p = net.parameters(), net.parameters()

    def hand_step():
        for name, g in hand_gradient(X, Y, hand_p, cfg["loss"]).items():
            hand_p[name] -= lr * g

    def diffkit_step():
        grads = dk.gradient(graph, at={"X": X, "Y": Y, **dk_p}, wrt=names, method="reverse").gradient
        for name in names:
            dk_p[name] -= lr * grads[name]

    def convenient_step():
        net.set_parameters(opt.step(net.parameters(), net.gradient(X, Y).gradient))

    steps = {"hand-written NumPy": hand_step, "diffkit dk.gradient + NumPy update": diffkit_step,
             "diffkit net.gradient + GD.step + set_parameters": convenient_step}
    if torch is not None:
        steps[f"torch {torch.__version__} eager, float64"], checks["torch"] = torch_setup(X, Y, net.parameters(),
                                                                                           cfg["loss"], lr)
    for who, grads in checks.items():
        worst = max(dk.discrepancy(grads[n], reference[n]) for n in names)
        same = all(np.allclose(grads[n], reference[n], rtol=1e-12, atol=1e-12 * np.abs(reference[n]).max())
                   for n in names)
        print(f"  gradient check {who:>7} vs hand-written: max relative difference {worst:.2e}"
              f"  ({'equal' if same else 'NOT EQUAL'} at rtol 1e-12)")
        if not same:
            raise SystemExit(f"{who}'s gradient differs from the hand-written backprop")
    print(f"  diffkit cost of one gradient: {result.cost.summary()}")
    print(f"    operations: {dict(sorted(result.cost.operations.items()))}")
    print(f"    diffkit flops {result.cost.flops:,}; hand-written matmul flops (2mnk each) "
          f"{hand_flops(cfg['sizes'], cfg['batch']):,}")
    return steps


def timed(steps: dict, repeats: int, warmup: int) -> tuple[dict, dict]:
    """Seconds per step of each contender and its page faults per step. A new random order every round: a fixed or
    rotated one would always put the same step after torch's, whose OpenMP threads may still be spinning."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    names, shuffle = list(steps), random.Random(0).shuffle
    times: dict = {name: [] for name in names}
    faults = dict.fromkeys(names, 0.0)
    for _ in range(repeats):
        shuffle(names)
        for name in names:
            before, start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter()
            steps[name]()
            times[name].append(time.perf_counter() - start)
            faults[name] += (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / repeats
    return times, faults


def limit_threads(n: int):
    """Every BLAS/OpenMP pool and torch to n threads; returns the limiter, to be kept alive."""
    if threadpoolctl is None:
        raise SystemExit("--threads needs threadpoolctl (pip install threadpoolctl)")
    if torch is not None:
        torch.set_num_threads(n)
    return threadpoolctl.threadpool_limits(limits=n)


def blas_stalled(cfg: dict) -> bool:
    """Is the multi-threaded BLAS 1.5x slower than one thread on the first layer's matmul (a loaded machine)?"""
    if threadpoolctl is None:
        return False
    X, W = np.ones((cfg["batch"], cfg["sizes"][0])), np.ones(cfg["sizes"][:2])
    many = min(timeit.repeat(lambda: X @ W, number=1, repeat=20))
    with threadpoolctl.threadpool_limits(limits=1):
        return many > 1.5 * min(timeit.repeat(lambda: X @ W, number=1, repeat=20))


def threads() -> str:
    info = threadpoolctl.threadpool_info() if threadpoolctl is not None else []
    blas = ", ".join(f"{i['internal_api']} {i['num_threads']}" for i in info) or "unknown (no threadpoolctl)"
    return f"BLAS/OpenMP threads: {blas}; torch threads: {torch.get_num_threads() if torch is not None else 'n/a'}"


def profile(steps: int = 20) -> None:
    candidates = contenders(next(iter(CONFIGS.values())))
    step, hand = candidates["diffkit dk.gradient + NumPy update"], candidates["hand-written NumPy"]
    times, _ = timed({"hand": hand, "diffkit": step}, steps, 3)
    ours, base = min(times["diffkit"]) * 1e6, min(times["hand"]) * 1e6
    print(f"  per step (min of {steps}): diffkit {ours:.0f} µs, hand-written {base:.0f} µs (≈ the NumPy kernels), "
          f"difference {ours - base:.0f} µs")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # {function: (primitive calls, calls, tottime, cumtime, callers)}
    for key, column in (("cumulative", 3), ("total", 2)):
        print(f"\ncProfile, {steps} diffkit steps, top 25 by {key} time (per step; the profiler inflates Python time):")
        print(f"  {'calls':>6} {'tottime µs':>11} {'cumtime µs':>11}  function")
        for func, row in sorted(stats.items(), key=lambda item: -item[1][column])[:25]:
            where = pstats.func_std_string(pstats.func_strip_path(func))
            print(f"  {row[1] / steps:6.1f} {row[2] * 1e6 / steps:11.1f} {row[3] * 1e6 / steps:11.1f}  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed steps per contender (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps per contender first (default 5)")
    parser.add_argument("--threads", type=int, help="limit BLAS/OpenMP and torch to N threads (default: as set up)")
    parser.add_argument("--profile", action="store_true", help="cProfile 20 diffkit steps of configuration 1")
    args = parser.parse_args()
    limiter = limit_threads(args.threads) if args.threads else None  # noqa: F841  (kept alive to the end)
    print(threads())
    if args.profile:
        profile()
        return
    for title, cfg in CONFIGS.items():
        print(f"\n{title}")
        times, faults = timed(contenders(cfg), args.repeats, args.warmup)
        hand = times["hand-written NumPy"]
        base_med, base_min = statistics.median(hand), min(hand)
        print(f"  {'contender':<50} {'median ms':>10} {'min ms':>9} {'x hand (median)':>16} {'x hand (min)':>13} "
              f"{'faults':>7}")
        for name, ts in times.items():
            med, low = statistics.median(ts), min(ts)
            print(f"  {name:<50} {med * 1e3:10.3f} {low * 1e3:9.3f} {med / base_med:15.2f}x {low / base_min:12.2f}x "
                  f"{faults[name]:7.0f}")
        ours = times["diffkit dk.gradient + NumPy update"]
        med_ratio, min_ratio = statistics.median(ours) / base_med, min(ours) / base_min
        print(f"  hand-written: {hand_flops(cfg['sizes'], cfg['batch']) / base_min / 1e9:.1f} GFLOP/s at its minimum")
        print(f"  diffkit / hand-written: {med_ratio:.2f}x median, {min_ratio:.2f}x min; target {TARGET}x: "
              f"{'met' if med_ratio <= TARGET else 'NOT met'} by the median, "
              f"{'met' if min_ratio <= TARGET else 'NOT met'} by the minimum")
        if base_med > 1.5 * base_min:
            print("  noisy: the hand-written median is over 1.5x its minimum; trust the minimum or use --threads 1")
        if args.threads != 1 and blas_stalled(cfg):
            print("  UNRELIABLE: the multi-threaded BLAS runs slower than one thread (another process holds a core), "
                  "so every step waits on it; rerun with --threads 1")


if __name__ == "__main__":
    main()
