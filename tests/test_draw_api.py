"""The drawing functions as users reach them: dk.draw & co., Jupyter's SVG, an MLP's tensor-level loss graph."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import diffkit as dk  # noqa: E402
from diffkit import nn  # noqa: E402


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


def test_top_level_functions_return_figures():
    g = dk.parse("log(x1) + x1*x2 - sin(x2)")
    assert isinstance(dk.draw(g, at={"x1": 2, "x2": 5}, show="adjoints"), Figure)
    assert isinstance(dk.draw_sweeps(g, at={"x1": 2, "x2": 5}), Figure)
    assert isinstance(dk.draw_optimizers(), Figure)
    assert isinstance(dk.draw_mlp(nn.MLP([2, 3, 1])), Figure)


def test_jupyter_shows_a_graph_as_svg():
    svg = dk.parse("x*y + sin(x)")._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg


def test_an_mlp_loss_graph_draws_with_its_tensor_nodes_and_adjoints():
    net = nn.MLP([3, 4, 2], activation="relu", loss="cross_entropy", seed=0)
    X, y = np.random.default_rng(0).normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    fig = dk.draw(net.loss_graph(X, y), at=net.parameters(), show="adjoints")
    shown = texts(fig)
    for label in ("@", "relu", "log_softmax(axis=1)", "sum(axis=1)", "mean", "W1", "b2"):
        assert label in shown, label
    assert "VJP" in shown  # edges into tensor primitives
    assert any("array(3, 4)" in t for t in shown)  # W1's adjoint, shown by shape


def test_gradient_graph_with_value_holds_the_whole_extended_computation():
    g = dk.parse("log(x1) + x1*x2 - sin(x2)")
    extended = dk.gradient_graph(g, with_value=True)
    assert extended.output_names == ("dy/dx1", "dy/dx2", "y")
    assert extended.evaluate({"x1": 2.0, "x2": 5.0}) == (5.5, 1.7163378145367738, 11.652071455223084)
    shown = texts(dk.draw(extended))
    for label in ("log", "sin", "cos", "dy/dx1", "dy/dx2", "y"):
        assert label in shown, label
