"""Regenerate the graph diagrams in docs/images: dag_*.png (with an MLP's tensor-level loss graph),
sweeps_lecture.gif and sweeps_lecture.png.

    python3 docs/images/make_dag_images.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import diffkit as dk  # noqa: E402
from diffkit.draw.dag import draw  # noqa: E402
from diffkit.draw.sweeps import draw_sweeps  # noqa: E402

HERE = Path(__file__).resolve().parent
LECTURE = dk.parse("log(x1) + x1*x2 - sin(x2)")
AT = {"x1": 2.0, "x2": 5.0}


def _mlp_loss_graph():
    """The tensor-level loss graph of a 4-5-3 ReLU classifier (the same for any widths)."""
    from diffkit import nn

    return nn.MLP([4, 5, 3], activation="relu", loss="cross_entropy").loss_graph()


def main() -> None:
    images = {
        "dag_lecture.png": lambda path: draw(LECTURE, path=path),
        "dag_lecture_values.png": lambda path: draw(LECTURE, at=AT, show="values", path=path),
        "dag_lecture_adjoints.png": lambda path: draw(LECTURE, at=AT, show="adjoints", path=path),
        "dag_lecture_tangents_x1.png": lambda path: draw(LECTURE, at=AT, show="tangents", wrt="x1", path=path),
        "dag_gradient_graph.png": lambda path: draw(dk.gradient_graph(LECTURE, with_value=True), path=path),
        "dag_product_of_sums.png": lambda path: draw(
            "(x1 + x2) * (x3 + x4)", at={"x1": 1.0, "x2": 2.0, "x3": 3.0, "x4": 4.0}, show="adjoints", path=path
        ),
        "dag_mlp_loss_graph.png": lambda path: draw(_mlp_loss_graph(), path=path),
        "sweeps_lecture.gif": lambda path: draw_sweeps(LECTURE, AT, path=path, fps=1),
        "sweeps_lecture.png": lambda path: draw_sweeps(LECTURE, AT, path=path),
    }
    for name, make in images.items():
        make(HERE / name)
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
