"""Real programs differentiated (issue "Real NumPy programs"): each task of programs.py written once in NumPy's
API, differentiated by diffkit's reverse mode and by JAX (jit), PyTorch (eager) and HIPS autograd where installed.

Run: python3 benchmarks/tasks/run.py [--repeats 15] [--tasks 1,2] [--threads 1]

First, at a small size, diffkit's four methods must agree on each task's gradient (symbolic where SymPy manages;
a refusal is printed). Then at full size every peer's gradient is checked against diffkit's, and the calls run
interleaved (each once per round, in a new random order); the medians are printed with the ratios:
  grad/primal = diffkit's gradient time / NumPy's time for the program itself  (target <= 3)
  vs JAX jit  = diffkit / jax.jit(jax.grad(f))                                  (target <= 1.5)
  vs torch    = diffkit / torch eager (forward + autograd.grad)                  (target <= 1.0)
"diffkit" is reverse mode on the graph traced once (what jit is to JAX); "dk.grad" traces again on every call.
Threads: one for everybody by default (NumPy's BLAS, torch, XLA), printed; --threads N gives N.
"""

import argparse
import os
import sys

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--repeats", type=int, default=15)
parser.add_argument("--tasks", default="", help="comma-separated task numbers (1-based); default all")
parser.add_argument("--threads", type=int, default=1)
ARGS = parser.parse_args()
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(ARGS.threads)
if ARGS.threads == 1:
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")


import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import programs  # noqa: E402
from interleave import medians  # noqa: E402

import diffkit as dk  # noqa: E402

try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError:  # every peer is optional
    jax = jnp = None
try:
    import torch
    import torch_programs

    torch.set_num_threads(ARGS.threads)
except ImportError:
    torch = None
try:
    import autograd
    import autograd.numpy as anp
except ImportError:
    autograd = anp = None


def traced(program, params: dict, data: dict) -> dk.Graph:
    names = list(params)
    return dk.trace(lambda *values: program(np, **dict(zip(names, values, strict=False)), **data), names,
                    shapes={name: value.shape for name, value in params.items()})


def four_way(program, make) -> str:
    """The largest discrepancy of each method's gradient from reverse mode's, at a small size."""
    params, data = make(np.random.default_rng(1), "small")
    graph = traced(program, params, data)
    reference = dk.gradient(graph, at=params, method="reverse").gradient
    shown = []
    for method in ("symbolic", "numeric", "forward"):
        try:
            gradient = dk.gradient(graph, at=params, method=method).gradient
        except dk.DiffkitError as exc:
            shown.append(f"{method} refused ({type(exc).__name__})")
            continue
        worst = max(dk.discrepancy(gradient[name], reference[name]) for name in params)
        shown.append(f"{method} {worst:.0e}")
    return ", ".join(shown)


def contenders(program, params: dict, data: dict, name: str) -> tuple[dict, dict]:
    """{contender: call} and {contender: its gradient as a dict}, every one checked against diffkit's."""
    graph = traced(program, params, data)
    names = list(params)
    calls = {
        "primal": lambda: program(np, **params, **data),
        "diffkit": lambda: dk.gradient(graph, at=params, method="reverse").gradient,
        "dk.grad": lambda: dk.grad(lambda *v: program(np, **dict(zip(names, v, strict=False)), **data),
                                   argnums=tuple(range(len(names))))(*params.values()),
    }
    gradients = {"diffkit": calls["diffkit"](), "dk.grad": dict(zip(names, calls["dk.grad"](), strict=True))}
    if jax is not None:
        jdata = {k: jnp.asarray(v) for k, v in data.items()}
        jgrad = jax.jit(jax.grad(lambda p: program(jnp, **p, **jdata)))
        jparams = {k: jnp.asarray(v) for k, v in params.items()}
        calls["JAX jit"] = lambda: jax.block_until_ready(jgrad(jparams))
        gradients["JAX jit"] = {k: np.asarray(v) for k, v in calls["JAX jit"]().items()}
    if torch is not None:
        tprogram = torch_programs.PROGRAMS[program.__name__]
        tdata = {k: torch.from_numpy(v) for k, v in data.items()}
        tparams = {k: torch.from_numpy(v.copy()).requires_grad_() for k, v in params.items()}

        def torch_gradient():
            loss = tprogram(**tparams, **tdata)
            return dict(zip(names, torch.autograd.grad(loss, list(tparams.values())), strict=True))

        calls["torch"] = torch_gradient
        gradients["torch"] = {k: v.numpy() for k, v in torch_gradient().items()}
    if autograd is not None:
        agrad = autograd.grad(lambda p: program(anp, **p, **data))
        calls["autograd"] = lambda: agrad(params)
        gradients["autograd"] = calls["autograd"]()
    for peer, gradient in gradients.items():
        worst = max(dk.discrepancy(np.asarray(gradient[k]), gradients["diffkit"][k]) for k in names)
        if not worst <= 1e-8:
            raise SystemExit(f"{name}: {peer}'s gradient differs from diffkit's by {worst:.1e}")
    return calls, gradients


def main() -> int:
    chosen = [int(t) - 1 for t in ARGS.tasks.split(",") if t] or range(len(programs.TASKS))
    print(f"threads: {ARGS.threads} (BLAS, torch, XLA); repeats: {ARGS.repeats}; medians of interleaved calls")
    print(f"peers: JAX {'yes' if jax else 'not installed'}, torch {'yes' if torch else 'not installed'}, "
          f"autograd {'yes' if autograd else 'not installed'}")
    missed = []
    for index in chosen:
        name, program, make = programs.TASKS[index]
        print(f"\n{index + 1}. {name}")
        print(f"   small size, against reverse mode: {four_way(program, make)}")
        params, data = make(np.random.default_rng(0), "full")
        calls, _ = contenders(program, params, data, name)
        t = medians(calls, ARGS.repeats)
        ms = {k: f"{v * 1e3:.3g} ms" for k, v in t.items()}
        print("   " + ", ".join(f"{k} {v}" for k, v in ms.items()))
        ratio = t["diffkit"] / t["primal"]
        line = [f"grad/primal {ratio:.2f} (<= 3: {'met' if ratio <= 3 else 'MISSED'})"]
        if ratio > 3:
            missed.append(f"{name}: grad/primal {ratio:.2f}")
        for peer, target in (("JAX jit", 1.5), ("torch", 1.0)):
            if peer in t:
                r = t["diffkit"] / t[peer]
                line.append(f"vs {peer} {r:.2f} (<= {target}: {'met' if r <= target else 'MISSED'})")
                if r > target:
                    missed.append(f"{name}: vs {peer} {r:.2f}")
        if "autograd" in t:
            line.append(f"vs autograd {t['diffkit'] / t['autograd']:.2f}")
        print("   " + "; ".join(line))
    print("\nmissed: " + ("; ".join(missed) if missed else "none"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
