"""Regenerate the study pictures in docs/images (docs/studies.md, second-order.md, mlp.md) and print each study's
report.

    python3 docs/images/make_study_images.py            # about 3 minutes on one core

Writes study_*.png, stochastic_second_order_*.png and activations_vs_depth.png next to this script (name some
to make only those, e.g. ``activations_vs_depth``). Counted figures (flops, sweeps, sizes) are the same on every
run; the seconds, and so where the symbolic method meets its 5 s budget, depend on the machine.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run from a checkout without installing

from diffkit import studies  # noqa: E402
from diffkit.studies import depth, stochastic  # noqa: E402

BUDGET = 5  # seconds per (size, method): the symbolic method meets it on the larger sizes
REPEATS = 3

# image name -> the study (family, sizes, options of studies.run) and the figures to plot (the first is the image,
# the others get the figure's name as a suffix), with options of studies.plot
STUDIES = {
    "gradient_vs_inputs": ("gradient_vs_inputs", [8, 16, 32, 64, 128, 256, 512], {}, ["flops", "seconds"], {}),
    "gradient_rosenbrock": ("gradient_vs_inputs", [8, 16, 32, 64, 128], {"variant": "rosenbrock"}, ["flops"], {}),
    "gradient_mlp": ("gradient_vs_inputs", [16, 32, 64, 128, 256, 512, 1024], {"variant": "mlp"}, ["flops"], {}),
    "jacobian_shape": ("jacobian_shape", [1, 2, 4, 8, 16, 32, 64], {}, ["sweeps", "flops"], {}),
    "jacobian_shape_trunk": ("jacobian_shape", [1, 2, 4, 8, 16, 32, 64],
                             {"variant": "trunk", "methods": ["numeric", "forward", "reverse"]}, ["flops"], {}),
    "depth": ("depth", [2, 4, 8, 16, 32, 64, 128, 256], {}, ["expression_size", "flops"], {}),
    "depth_logistic": ("depth", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16], {"variant": "logistic"},
                       ["expression_size"], {"xscale": "linear"}),
    "mlp_width": ("mlp_width", [1, 2, 4, 8, 16, 32, 64, 128], {}, ["flops"], {}),
    "mlp_depth": ("mlp_depth", [1, 2, 4, 8, 16], {}, ["flops"], {}),
    "hessian_vs_inputs": ("hessian_vs_inputs", [2, 4, 8, 16, 32, 64], {}, ["flops", "expression_size"], {}),
    "hvp_vs_inputs": ("hvp_vs_inputs", [2, 4, 8, 16, 32, 64, 128], {}, ["flops", "sweeps"], {}),
}


def main(only: list[str] | None = None) -> None:
    for name, (family, sizes, options, figures, look) in STUDIES.items():
        if only and name not in only:
            continue
        started = time.perf_counter()
        res = studies.run(family, sizes=sizes, repeats=REPEATS, seed=0, budget_seconds=BUDGET, progress=False,
                          **options)
        for i, y in enumerate(figures):
            suffix = "" if i == 0 else f"_{y}"
            studies.plot(res, y=y, path=HERE / f"study_{name}{suffix}.png", **look)
        print(f"=== study_{name}.png ({time.perf_counter() - started:.1f} s)")
        for y in dict.fromkeys([*figures, "flops"]):
            print(studies.report(res, y=y))
            print()
    for problem in ("logistic", "digits"):  # the lecture's warning about second order on mini-batches
        name = f"stochastic_second_order_{problem}"
        if only and name not in only:
            continue
        res = stochastic.stochastic_second_order(problem, epochs=20 if problem == "logistic" else 10)
        stochastic.plot(res, path=HERE / f"{name}.png")
        print(f"=== {name}.png")
        print(stochastic.report(res))
        print()
    if not only or "activations_vs_depth" in only:  # vanishing and exploding gradients (docs/mlp.md)
        res = depth.activations_vs_depth()
        depth.plot(res, path=HERE / "activations_vs_depth.png")
        print("=== activations_vs_depth.png")
        print(depth.report(res))


if __name__ == "__main__":
    main(sys.argv[1:])
