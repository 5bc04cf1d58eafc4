"""L-BFGS and Newton-CG wherever optimizers are used: dk.optim.minimize and by_name, nn.train (full-batch and
mini-batch, counting gradient evaluations), the CLI, draw_optimizers, and the stochastic_second_order study."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import diffkit as dk  # noqa: E402
from diffkit import cli  # noqa: E402
from diffkit.second_order import LBFGS, NewtonCG  # noqa: E402
from diffkit.studies import stochastic  # noqa: E402

ROSENBROCK = "100*(y - x**2)**2 + (1 - x)**2"


@pytest.mark.parametrize("name", ["lbfgs", "newtoncg"])
def test_minimize_converges_with_each(name):
    optimizer = dk.optim.by_name(name)
    trajectory = dk.optim.minimize(ROSENBROCK, {"x": -1.2, "y": 1.0}, optimizer, steps=200, tol=1e-8)
    assert trajectory.converged and trajectory.final_value < 1e-12
    assert trajectory.final["x"] == pytest.approx(1.0, abs=1e-6)


def test_by_name_lists_them():
    assert {"lbfgs", "newtoncg"} <= set(dk.optim.OPTIMIZERS)
    with pytest.raises(dk.BindingError, match="lbfgs"):
        dk.optim.by_name("lbgfs")


def _logistic():
    X, y = dk.datasets.moons(200, noise=0.25, seed=0)
    return dk.nn.MLP([2, 1], loss="binary_cross_entropy", l2=1e-3, seed=0), X, y


def test_train_full_batch_lbfgs_reaches_newtons_loss_and_counts_its_gradients():
    net, X, y = _logistic()
    start = net.parameters()
    newton = dk.nn.train(net, X, y, optimizer=dk.optim.Newton(damping=1e-6), epochs=30, progress=False)
    net.set_parameters(start)
    history = dk.nn.train(net, X, y, optimizer=LBFGS(), epochs=30, progress=False)
    assert history.loss[-1] == pytest.approx(newton.loss[-1], rel=1e-6)
    assert history.gradients == sorted(history.gradients) and history.gradients[0] >= 1
    assert newton.gradients[0] == 1 + net.parameter_count  # a gradient and a Hessian (one per parameter)


def test_train_mini_batch_newtoncg_counts_products():
    net, X, y = _logistic()
    history = dk.nn.train(net, X, y, optimizer=NewtonCG(), epochs=2, batch_size=50, progress=False)
    assert history.steps == 8 and len(history.gradients) == 2
    assert history.gradients[1] > history.gradients[0] >= 4 * 3  # each step: gradients and 2 per H·v


def test_cli_trains_with_lbfgs():
    out = cli.main(["train", "xor", "--optimizer", "lbfgs", "--epochs", "20", "--json"])
    assert out == 0


def test_draw_optimizers_draws_their_trajectories(tmp_path):
    from diffkit.draw.optimizers import ROSENBROCK as PRESET

    fig = dk.draw_optimizers(PRESET, optimizers=[LBFGS(), NewtonCG()], steps=100,
                             path=tmp_path / "second_order.png")
    assert (tmp_path / "second_order.png").stat().st_size > 0 and fig is not None


def test_the_stochastic_study_shows_the_lectures_warning():
    """Full-batch, the second-order methods reach the lowest loss in few gradient evaluations; on mini-batches
    Newton's method, trusting each batch's curvature, ends far above its full-batch loss."""
    res = stochastic.stochastic_second_order("logistic", epochs=8, optimizers=("gd", "newton", "lbfgs"))
    final = {(r["optimizer"], r["batch"]): r for r in res.rows if r["epoch"] == 8}
    full, mini = "full", "mini-batch 32"
    assert final["lbfgs", full]["loss"] < final["gd", full]["loss"]
    assert final["newton", full]["loss"] == pytest.approx(final["lbfgs", full]["loss"], rel=1e-4)
    assert final["newton", mini]["loss"] > 2 * final["newton", full]["loss"]
    assert final["lbfgs", full]["gradients"] < final["gd", mini]["gradients"]
    x, loss = res.curve("gd", full, "gradients")
    assert list(x) == list(range(9)) and np.all(np.diff(loss) <= 0)
    text = stochastic.report(res)
    assert "lbfgs" in text and "mini-batch 32" in text


def test_the_stochastic_study_refuses_newton_on_a_large_network_and_plots(tmp_path):
    pytest.importorskip("sklearn")
    res = stochastic.stochastic_second_order("digits", epochs=1, optimizers=("newton", "lbfgs"))
    assert ("newton", "full") in res.refused and "newtoncg" in res.refused["newton", "full"]
    stochastic.plot(res, path=tmp_path / "digits.png")
    assert (tmp_path / "digits.png").stat().st_size > 0


@pytest.mark.parametrize("bad", [{"problem": "mnist"}, {"optimizers": ["sgd2"]}, {"epochs": 0},
                                 {"batch_size": 400}])  # logistic's 400 samples in one batch: the full-batch run
def test_the_stochastic_study_checks_its_options(bad):
    with pytest.raises(dk.DiffkitError):
        stochastic.stochastic_second_order(**bad)


@pytest.mark.parametrize("optimizer", [dk.second_order.LevenbergMarquardt, dk.second_order.GaussNewton])
def test_minimize_takes_residuals_for_least_squares(optimizer):
    trajectory = dk.optim.minimize(["10*(y - x**2)", "1 - x"], {"x": -1.2, "y": 1.0}, optimizer(), steps=100,
                                   tol=1e-12)
    assert trajectory.converged and trajectory.values[0] == pytest.approx(0.5 * (4.4**2 + 2.2**2))
    assert trajectory.final["x"] == pytest.approx(1.0, abs=1e-9)


def test_minimize_refuses_residuals_for_a_loss_optimizer():
    with pytest.raises(dk.MethodError, match="GaussNewton or LevenbergMarquardt"):
        dk.optim.minimize(["x", "y"], {"x": 1.0, "y": 1.0}, LBFGS())
