"""Speed-up of a cross-check and of a study on a Dask LocalCluster of 1 and 2 worker processes against the local run.

Run: python3 benchmarks/distributed.py [--expressions 10000] [--workers 1,2] [--repeats 1]
(needs the extra: pip install '.[distributed]'). Prints a table of seconds and speed-ups (local seconds / cluster
seconds; the cluster's start-up is not counted, being paid once per session) and exits with status 1 when 2
workers fall short of 1.7× on either job. Each job's results are checked equal to the local run's, so the speed
is of the same work. On a machine other programs are loading, the speed-ups fall: the table prints the load.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# This file's folder off the path (its name would hide the distributed package), this checkout's diffkit on it
# (the workers start with this path too).
sys.path[:] = [str(HERE.parent), *(p for p in sys.path if Path(p or ".").resolve() != HERE)]

import diffkit as dk  # noqa: E402
from diffkit import studies  # noqa: E402

TARGET = 1.7  # at 2 workers, on the 2-core machine the project runs on
AT = {"x": 0.5, "y": -1.25, "z": 0.75}
FORMS = ("{c}*{0}*{1} + sin({2})", "{0}*{1} + {c}", "{c}*{0} + {1}*{2}", "sin({c}*{0}) + {1}", "exp({0}/{c})*{1}",
         "tanh({0}) + {c}*{1}", "{c}*{0}**2 + {2}", "cos({0})/{c} - {1}")
STUDY = dict(family="gradient_vs_inputs", sizes=[64, 128, 192, 256, 320, 384, 448, 512],
             methods=["numeric", "forward", "reverse"], budget_seconds=None, progress=False)


def corpus(count: int) -> list[str]:
    """``count`` distinct cheap expressions (the forms of tests/test_distributed.py)."""
    names = ("x", "y", "z")
    return [FORMS[i % len(FORMS)].format(*(names[(i + k) % 3] for k in range(3)), c=i // len(FORMS) + 2)
            for i in range(count)]


def _without_seconds(rows):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def timed(job, client=None):
    started = time.perf_counter()
    result = job(client)
    return time.perf_counter() - started, result


def plot(seconds: dict, counts: list[int], path: str) -> None:
    """Speed-up (local seconds / cluster seconds) against worker processes, one line per job, with the ideal."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5.5, 3.6))
    axes.plot([1, max(counts)], [1, max(counts)], color="0.7", linestyle="--", label="ideal (n workers: n×)")
    for name, s in seconds.items():
        axes.plot(counts, [s["local"] / s[n] for n in counts], marker="o", label=name)
    axes.axhline(TARGET, color="0.4", linewidth=0.8, linestyle=":")
    axes.set(xlabel=f"worker processes ({os.cpu_count()} cores)", ylabel="speed-up over the local run",
             xticks=counts)
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expressions", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2", help="worker processes to try, e.g. 1,2,4")
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per study cell")
    parser.add_argument("--plot", default=None, help="draw the speed-up curves to this file (e.g. speedup.png)")
    args = parser.parse_args()
    import dask
    from distributed import Client, LocalCluster

    # The workers' statistical profiler samples every thread's stack every 10 ms; SymPy's deep stacks make that
    # about a fifth of a worker's time (docs/scaling-out.md).
    dask.config.set({"distributed.worker.profile.enabled": False})

    expressions = corpus(args.expressions)
    jobs = {
        f"cross-check of {len(expressions):,} expressions": lambda client: dk.crosscheck(expressions, at=AT,
                                                                                          client=client),
        f"study {STUDY['family']}, {len(STUDY['sizes'])} sizes × 3 methods":
            lambda client: studies.run(repeats=args.repeats, client=client, **STUDY),
    }
    same = {jobs_name: (lambda a, b: a.records == b.records) if "cross" in jobs_name else
            (lambda a, b: _without_seconds(a.rows) == _without_seconds(b.rows)) for jobs_name in jobs}
    counts = [int(n) for n in args.workers.split(",")]
    local = {name: timed(job) for name, job in jobs.items()}
    seconds = {name: {"local": local[name][0]} for name in jobs}
    for n in counts:
        with LocalCluster(n_workers=n, processes=True, threads_per_worker=1, dashboard_address=":0") as cluster, \
                Client(cluster) as client:
            for name, job in jobs.items():
                taken, result = timed(job, client)
                if not same[name](result, local[name][1]):
                    print(f"{name} on {n} workers: results differ from the local run's", file=sys.stderr)
                    return 2
                seconds[name][n] = taken
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f} at the end (other programs slow the cluster too)")
    header = ["job", "local", *(f"{n} worker{'s' * (n > 1)}" for n in counts)]
    rows = [[name, f"{s['local']:.1f} s", *(f"{s[n]:.1f} s ({s['local'] / s[n]:.2f}×)" for n in counts)]
            for name, s in seconds.items()]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    if args.plot:
        plot(seconds, counts, args.plot)
        print(f"speed-up curves: {args.plot}")
    if 2 in counts:
        missed = [name for name, s in seconds.items() if s["local"] / s[2] < TARGET]
        if missed:
            print(f"target {TARGET}× at 2 workers missed: {'; '.join(missed)}")
            return 1
        print(f"target {TARGET}× at 2 workers met by both jobs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
