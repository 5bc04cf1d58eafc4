"""The optimizer, training-history and network pictures (diffkit.draw.optimizers, diffkit.draw.mlp), under Agg."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

from diffkit import datasets, nn, optim  # noqa: E402
from diffkit.draw import style  # noqa: E402
from diffkit.draw.mlp import draw_mlp  # noqa: E402
from diffkit.draw.optimizers import (  # noqa: E402
    QUADRATIC,
    ROSENBROCK,
    default_optimizers,
    draw_history,
    draw_optimizers,
)
from diffkit.errors import BindingError, DiffkitError  # noqa: E402

NAMES = ["GD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "Newton"]


@pytest.fixture(autouse=True)
def _close_figures():
    """The library builds Figures without pyplot: none may show up in pyplot's registry. Close any anyway."""
    import matplotlib.pyplot as plt

    yield
    leaked = plt.get_fignums()
    plt.close("all")
    assert leaked == [], "a diffkit.draw function created a pyplot figure"


def legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


# --- draw_optimizers ----------------------------------------------------------------------------------------

def test_default_picture_has_one_line_per_optimizer_with_its_trajectory():
    fig = draw_optimizers()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert len(lines) == len(NAMES)
    for line, optimizer, name in zip(lines, default_optimizers(), NAMES, strict=True):
        assert optimizer.name == name
        direct = optim.minimize(QUADRATIC, {"x": -2.5, "y": 2.0}, optimizer, steps=50)
        np.testing.assert_allclose(line.get_xdata(), direct.points[:, 0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(line.get_ydata(), direct.points[:, 1], rtol=1e-12, atol=1e-12)
        assert line.get_color() == style.OPTIMIZER_COLORS[name]
    texts = legend_texts(fig)
    for name in NAMES:
        assert any(t.startswith(name + ",") for t in texts), (name, texts)
    assert any("start" in t for t in texts) and any("minimum (0, -3)" in t for t in texts)
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "y"


def test_every_default_optimizer_makes_progress_and_gd_is_stable():
    fig = draw_optimizers()
    for line in fig.axes[0].get_lines():
        x, y = line.get_xdata(), line.get_ydata()
        values = 4 * x**2 + (y + 3) ** 2 / 15
        assert np.all(np.isfinite(values))
        assert values[-1] < 0.2 * values[0]
    gd = default_optimizers()[0]
    assert gd.name == "GD" and gd.lr < 2 / 8  # the stability limit 2/λ_max on the quadratic


def test_newton_reaches_the_minimum_of_the_quadratic_in_one_step():
    fig = draw_optimizers(optimizers=[optim.Newton(lr=1.0)])
    (line,) = fig.axes[0].get_lines()
    assert len(line.get_xdata()) == 2  # the start and one step
    np.testing.assert_allclose([line.get_xdata()[-1], line.get_ydata()[-1]], [0.0, -3.0], atol=1e-12)
    assert any(t.startswith("Newton") and "1 step," in t for t in legend_texts(fig))


def test_custom_optimizers_labels_start_steps_and_the_values_panel():
    optimizers = {"slow GD": optim.GD(lr=0.05), "fast GD": optim.GD(lr=0.2), "Adam": optim.Adam(lr=0.1)}
    fig = draw_optimizers(start=(1.0, 1.0), optimizers=optimizers, steps=20, values=True, title="three runs")
    contour = fig.axes[0]
    values = next(ax for ax in fig.axes if ax.get_xlabel() == "step t")
    lines = contour.get_lines()
    assert len(lines) == 3
    assert lines[0].get_color() != lines[1].get_color()  # two GDs, two colours
    assert all(len(line.get_xdata()) == 21 for line in lines)
    assert [line.get_label() for line in values.get_lines()] == list(optimizers)
    assert values.get_yscale() == "log"
    for line, contour_line in zip(values.get_lines(), lines, strict=True):
        x, y = contour_line.get_xdata(), contour_line.get_ydata()
        np.testing.assert_allclose(line.get_ydata(), 4 * x**2 + (y + 3) ** 2 / 15, rtol=1e-9)
    texts = legend_texts(fig)
    assert any(t.startswith("slow GD: 20 steps") for t in texts)
    assert fig._suptitle.get_text() == "three runs"


def test_rosenbrock_has_its_own_defaults():
    fig = draw_optimizers(ROSENBROCK, values=True)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert len(lines) == len(NAMES)
    assert ax.get_xlim() == (-2.0, 2.0) and ax.get_ylim() == (-1.0, 3.0)
    starts = {(line.get_xdata()[0], line.get_ydata()[0]) for line in lines}
    assert starts == {(-1.2, 1.0)}
    newton = lines[-1]
    np.testing.assert_allclose([newton.get_xdata()[-1], newton.get_ydata()[-1]], [1.0, 1.0], atol=1e-8)
    for line in lines:  # every optimizer gets well into the valley
        x, y = line.get_xdata(), line.get_ydata()
        values = (1 - x) ** 2 + 100 * (y - x**2) ** 2
        assert np.all(np.isfinite(values)) and values[-1] < 0.1 * values[0]
    assert any("minimum (1, 1)" in t for t in legend_texts(fig))


@pytest.mark.parametrize("expr", ["x**2 + 1", "x**2 + y**2 + z**2"])
def test_an_expression_without_exactly_two_variables_is_refused(expr):
    with pytest.raises(BindingError, match="exactly two variables"):
        draw_optimizers(expr, start={"x": 1.0})


@pytest.mark.parametrize("optimizers", [["adam"], [object()], 3, []])
def test_unknown_optimizers_are_refused(optimizers):
    with pytest.raises(BindingError):
        draw_optimizers(optimizers=optimizers)


def test_other_expressions_need_a_start():
    with pytest.raises(BindingError, match="start"):
        draw_optimizers("x**2 + 3*y**2")
    fig = draw_optimizers("x**2 + 3*y**2", start={"x": 1.0, "y": 1.0}, optimizers=["GD", "Adam"], steps=10)
    assert len(fig.axes[0].get_lines()) == 2


# --- draw_history ---------------------------------------------------------------------------------------------

def test_history_of_a_short_xor_run():
    X, y = datasets.xor()
    net = nn.MLP([2, 4, 1], activation="tanh", loss="binary_cross_entropy", seed=0)
    history = nn.train(net, X, y, optimizer=optim.Adam(lr=0.1), epochs=50, validation=(X, y), progress=False)
    fig = draw_history(history)
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_xlabel() == acc_ax.get_xlabel() == "epoch"
    assert "loss" in loss_ax.get_ylabel() and acc_ax.get_ylabel() == "accuracy"
    train, val = loss_ax.get_lines()
    np.testing.assert_allclose(train.get_xdata(), np.arange(1, 51))
    np.testing.assert_allclose(train.get_ydata(), history.loss)
    np.testing.assert_allclose(val.get_ydata(), history.val_loss)
    assert val.get_linestyle() == "--"
    acc_train, acc_val = acc_ax.get_lines()
    np.testing.assert_allclose(acc_train.get_ydata(), history.accuracy)
    np.testing.assert_allclose(acc_val.get_ydata(), history.val_accuracy)
    labels = [t.get_text() for t in loss_ax.get_legend().get_texts()]
    assert labels[0].startswith("training") and labels[1].startswith("validation")


def test_history_loss_axis_is_logarithmic_over_many_decades_and_without_accuracy_one_panel():
    history = nn.History(loss=[10.0, 1.0, 0.01], seconds=[0.1] * 3, steps=3)
    fig = draw_history(history)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    fig = draw_history(nn.History(loss=[1.0, 0.5, 0.4], accuracy=[0.5, 0.7, 0.9]))
    assert fig.axes[0].get_yscale() == "linear" and len(fig.axes) == 2
    with pytest.raises(BindingError):
        draw_history([1.0, 0.5])
    with pytest.raises(BindingError):
        draw_history(nn.History())


# --- draw_mlp ---------------------------------------------------------------------------------------------------

def segments(fig: Figure, prefix: str) -> int:
    return sum(len(c.get_segments()) for c in fig.axes[0].collections
               if isinstance(c, LineCollection) and (c.get_gid() or "").startswith(prefix))


def test_mlp_of_the_encoder_has_every_neuron_and_weight():
    net = nn.MLP([8, 3, 8], activation="sigmoid", loss="binary_cross_entropy", seed=0)
    fig = draw_mlp(net)
    ax = fig.axes[0]
    assert sum(isinstance(p, Circle) for p in ax.patches) == 8 + 3 + 8
    assert segments(fig, "W") == 8 * 3 + 3 * 8
    assert segments(fig, "b") == 3 + 8
    texts = {t.get_text() for t in ax.texts}
    assert {"x₁", "x₈", "y₁", "y₈"} <= texts
    assert any("sigmoid" in t for t in texts)
    # line widths are an increasing affine function of |w|
    W1 = net.parameters()["W1"]
    (w1,) = [c for c in ax.collections if c.get_gid() == "W1"]
    widths = np.asarray(w1.get_linewidths())
    np.testing.assert_allclose(np.sort(widths), widths)  # drawn weakest first
    slope, intercept = np.polyfit(np.sort(np.abs(W1.ravel())), widths, 1)
    np.testing.assert_allclose(widths, intercept + slope * np.sort(np.abs(W1.ravel())), atol=1e-9)
    assert slope > 0


def test_mlp_without_bias_and_too_wide_nets():
    net = nn.MLP([2, 4, 1], activation="tanh", loss="binary_cross_entropy", bias=False)
    fig = draw_mlp(net)
    assert segments(fig, "W") == 2 * 4 + 4 * 1 and segments(fig, "b") == 0
    with pytest.raises(DiffkitError, match=r"dk\.draw\(net\.loss_graph\(\)\)"):
        draw_mlp(nn.MLP([64, 128, 10]))
    with pytest.raises(DiffkitError, match="max_neurons=4"):
        draw_mlp(nn.MLP([2, 5, 1]), max_neurons=4)
    with pytest.raises(BindingError):
        draw_mlp("not a network")


# --- writing files ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_path_writes_png_and_svg(tmp_path, suffix, magic):
    net = nn.MLP([2, 3, 1], seed=0)
    history = nn.History(loss=[1.0, 0.5], accuracy=[0.5, 1.0])
    pictures = {
        "optimizers": lambda p: draw_optimizers(optimizers=["GD", "Newton"], steps=5, path=p),
        "history": lambda p: draw_history(history, path=p),
        "mlp": lambda p: draw_mlp(net, path=p),
    }
    for name, draw in pictures.items():
        path = tmp_path / f"{name}{suffix}"
        assert isinstance(draw(path), Figure)
        assert path.read_bytes().startswith(magic)
    with pytest.raises(BindingError, match="suffix"):
        draw_mlp(net, path=tmp_path / "picture.jpeg2000")
