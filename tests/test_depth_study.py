"""The activations_vs_depth study: its per-layer numbers checked against PyTorch, diffkit's numeric method and a
hand-written backprop; the vanishing and exploding gradients it is meant to show, against the lecture's theory;
bad options refused; the report, the plot and the command line."""

import json
import re

import numpy as np
import pytest
from cli_run import run

import diffkit as dk
from diffkit.studies import depth

SMALL = dict(data="synthetic", samples=16, seed=0)


def _configured(activation, init, normalization, layers, width):
    X, y = depth.batch(**SMALL)
    net = depth.network(activation, init, normalization, layers, width)
    return net, X, y


def _torch_statistics(net, X, y, normalization):
    """The same network in PyTorch: per hidden layer (a_k, ∂L/∂W_k, ∂L/∂z_k), z_k before normalization."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    params = {name: torch.tensor(value, requires_grad=True) for name, value in net.parameters().items()}
    act = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[net.activation]
    a, hidden, pre = torch.tensor(X), [], []
    layers = len(net.sizes) - 1
    for k in range(1, layers + 1):
        z = a @ params[f"W{k}"] + params[f"b{k}"]
        if k == layers:
            break
        z.retain_grad()
        pre.append(z)
        width = net.sizes[k]
        if normalization == "layer":
            z = F.layer_norm(z, (width,), params[f"gamma{k}"], params[f"beta{k}"], eps=1e-5)
        elif normalization == "batch":
            z = F.batch_norm(z, None, None, params[f"gamma{k}"], params[f"beta{k}"], training=True, eps=1e-5)
        a = act(z)
        hidden.append(a)
    F.cross_entropy(z, torch.tensor(y)).backward()
    return [(hidden[k].detach().numpy(), params[f"W{k + 1}"].grad.numpy(), pre[k].grad.numpy())
            for k in range(layers - 1)]


@pytest.mark.parametrize("activation, init, normalization", [
    ("tanh", "default", "none"), ("sigmoid", "small", "layer"), ("relu", "large", "batch"), ("relu", "xavier", "none"),
])
def test_every_statistic_agrees_with_pytorch(activation, init, normalization):
    net, X, y = _configured(activation, init, normalization, layers=3, width=6)
    rows = depth.layer_statistics(net, X, y)
    assert [r["layer"] for r in rows] == [1, 2, 3]
    for row, (a, weight, delta) in zip(rows, _torch_statistics(net, X, y, normalization), strict=True):
        expected = {"activation_mean": a.mean(), "activation_std": a.std(),
                    "weight_gradient_norm": np.linalg.norm(weight), "weight_gradient_std": weight.std(),
                    "preactivation_gradient_norm": np.linalg.norm(delta), "preactivation_gradient_std": delta.std()}
        for name, value in expected.items():
            assert row[name] == pytest.approx(value, rel=1e-10, abs=1e-300), (row["layer"], name)


def test_weight_gradient_norms_agree_with_the_numeric_method():
    net, X, y = _configured("tanh", "default", "layer", layers=2, width=4)
    numeric = dk.gradient(net.loss_graph(X, y), at=net.parameters(), method="numeric")
    rows = depth.layer_statistics(net, X, y)
    for row in rows:
        assert row["weight_gradient_norm"] == pytest.approx(np.linalg.norm(numeric[f"W{row['layer']}"]), rel=1e-7)


def test_one_hidden_layer_by_hand():
    # L = 1: a = tanh(X W1 + b1), logits = a W2 + b2, L = mean cross-entropy; backprop written out in NumPy
    net, X, y = _configured("tanh", "default", "none", layers=1, width=5)
    p = net.parameters()
    a = np.tanh(X @ p["W1"] + p["b1"])
    logits = a @ p["W2"] + p["b2"]
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    d_logits = (softmax - np.eye(10)[y]) / len(X)
    delta = (d_logits @ p["W2"].T) * (1 - a * a)
    weight = X.T @ delta
    (row,) = depth.layer_statistics(net, X, y)
    assert row["activation_mean"] == pytest.approx(a.mean(), rel=1e-12)
    assert row["activation_std"] == pytest.approx(a.std(), rel=1e-12)
    assert row["saturated"] == np.mean(np.abs(a) > np.sqrt(0.99))  # slope 1 - a² below 1% of its peak 1
    assert row["preactivation_gradient_norm"] == pytest.approx(np.linalg.norm(delta), rel=1e-12)
    assert row["weight_gradient_norm"] == pytest.approx(np.linalg.norm(weight), rel=1e-12)
    assert row["weight_gradient_std"] == pytest.approx(weight.std(), rel=1e-12)


def test_the_layers_graph_carries_backprops_identity():
    # ∂L/∂W_k = a_{k-1}ᵀ δ_k for every layer, with the z_k and a_k read off the graph's extra outputs
    from diffkit.methods.reverse import node_adjoints

    net, X, y = _configured("relu", "default", "layer", layers=3, width=4)
    graph = net.layers_graph(X, y)
    values, adjoints = node_adjoints(graph, graph.bind(net.parameters()))
    outputs, variables = graph.plan.outputs, graph.plan.variables
    assert values[outputs[0]] == pytest.approx(float(net.loss_graph(X, y).evaluate(net.parameters())), rel=1e-14)
    inputs = [X] + [values[outputs[2 * k]] for k in (1, 2)]
    for k in (1, 2, 3):
        np.testing.assert_allclose(values[outputs[2 * k - 1]], inputs[k - 1] @ net.parameters()[f"W{k}"]
                                   + net.parameters()[f"b{k}"], rtol=1e-13)
        np.testing.assert_allclose(adjoints[variables[f"W{k}"]], inputs[k - 1].T @ adjoints[outputs[2 * k - 1]],
                                   rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(adjoints[variables["W1"]], net.gradient(X, y)["W1"], rtol=1e-13)


# --- what the study shows (digits-free: the synthetic batch, so it runs without scikit-learn) ---------------

@pytest.fixture(scope="module")
def study():
    return depth.activations_vs_depth(depth=12, width=32, inits=("small", "default", "large"),
                                      normalizations=("none", "layer", "batch"), data="synthetic")


def _ratio(study, configuration, statistic="weight_gradient_norm"):
    curve = study.curve(configuration, statistic)
    return curve[0] / curve[-1]


def test_sigmoid_with_a_small_init_vanishes(study):
    # slope ≤ 1/4 and weights of 0.01: the first layer's gradient is orders of magnitude below the last's
    assert _ratio(study, ("sigmoid", "small", "none")) < 1e-10
    assert _ratio(study, ("sigmoid", "default", "none")) < 1e-3  # Xavier alone does not save sigmoid


def test_activations_shrink_and_grow_at_the_rate_theory_gives(study):
    # per layer the activations' scale changes by σ_w·√width·(gain): tanh near 0 is linear (gain 1), relu keeps
    # half its inputs' second moment (gain 1/√2); the geometric mean over layers 1..12 follows it within 10%
    width = 32
    for configuration, predicted in ((("tanh", "small", "none"), 0.01 * np.sqrt(width)),
                                     (("relu", "small", "none"), 0.01 * np.sqrt(width / 2)),
                                     (("relu", "large", "none"), np.sqrt(width / 2))):
        std = study.curve(configuration, "activation_std")
        rate = (std[-1] / std[0]) ** (1 / (len(std) - 1))
        assert rate == pytest.approx(predicted, rel=0.1), configuration
    # exploding: relu with N(0, 1) weights, the pre-activation gradient grows geometrically towards the input
    assert _ratio(study, ("relu", "large", "none"), "preactivation_gradient_norm") > 1e5


def test_layer_normalization_keeps_tanh_and_relu_within_a_factor_five(study):
    # the bound docs/mlp.md states: |dW_1|/|dW_12| in [1/5, 5] for every init, against 1e-20..1e3 without
    for activation in ("tanh", "relu"):
        for init in ("small", "default", "large"):
            assert 1 / 5 < _ratio(study, (activation, init, "layer")) < 5, (activation, init)
    assert not 1 / 5 < _ratio(study, ("tanh", "large", "none")) < 5


def test_layer_normalization_does_not_save_sigmoid_but_batch_normalization_does(study):
    # layer norm centres each sample over its units, not sigmoid's mean 0.5 in every unit (docs/mlp.md)
    assert _ratio(study, ("sigmoid", "default", "layer")) < 1e-3
    for init in ("small", "default", "large"):
        assert 1 / 5 < _ratio(study, ("sigmoid", init, "batch")) < 5, init


def test_saturation_and_dead_units(study):
    saturated = {c: study.curve(c, "saturated").max() for c in study.configurations}
    assert saturated["tanh", "large", "none"] > 0.5  # N(0, 1) weights drive tanh into its flat tails
    assert saturated["tanh", "default", "layer"] < 0.05
    assert 0.4 < saturated["relu", "default", "none"] < 0.7  # about half of relu's units are off for a sample


def test_the_digits_batch():
    pytest.importorskip("sklearn")
    X, y = depth.batch("digits", samples=256)
    assert X.shape == (256, 64) and y.shape == (256,) and set(np.unique(y)) <= set(range(10))
    res = depth.activations_vs_depth(depth=12, activations=("sigmoid",), inits=("small",), normalizations=("none",))
    assert _ratio(res, ("sigmoid", "small", "none")) < 1 / 10


# --- options ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    ({"depth": 0}, "depth must be a whole number in [1, 100], got 0"),
    ({"depth": 101}, "depth must be a whole number in [1, 100], got 101"),
    ({"width": 2.5}, "width must be a whole number in [1, 1024], got 2.5"),
    ({"activations": ("swish",)}, "unknown each of activations 'swish'"),
    ({"activations": ()}, "activations must be a non-empty list"),
    ({"inits": ("zero",)}, "unknown each of inits 'zero'"),
    ({"normalizations": ("group",)}, "unknown each of normalizations 'group'"),
    ({"normalizations": (None, "none")}, "normalizations names one twice"),
    ({"samples": 1}, "samples must be a whole number >= 2 (batch normalization needs two samples), got 1"),
    ({"data": "mnist"}, "unknown data 'mnist'"),
    ({"seed": -1}, "seed must be a whole number >= 0, got -1"),
])
def test_bad_options_are_refused(options, message):
    with pytest.raises(dk.OptionError) as info:
        depth.activations_vs_depth(**{"data": "synthetic", **options})
    assert message in str(info.value)


def test_more_samples_than_the_data_holds_is_refused():
    pytest.importorskip("sklearn")
    with pytest.raises(dk.OptionError, match=r"samples must be at most the 1,347 rows of the digits training data"):
        depth.activations_vs_depth(samples=2000)


def test_a_smaller_batch_is_the_start_of_a_larger_one():
    small, large = depth.batch("synthetic", samples=10), depth.batch("synthetic", samples=300)
    assert np.array_equal(small[0], large[0][:10]) and np.array_equal(small[1], large[1][:10])
    assert len(set(large[1])) == 10  # the random teacher uses every class


def test_none_is_the_name_none():
    res = depth.activations_vs_depth(depth=2, width=4, activations=("relu",), inits=("default",),
                                     normalizations=(None,), data="synthetic")
    assert res.configurations == [("relu", "default", "none")]


# --- report, plot, command line -------------------------------------------------------------------------

def test_the_report_is_rounded_and_complete(study):
    text = depth.report(study)
    assert text == depth.report(study)
    lines = text.splitlines()
    assert lines[0] == ("activations and gradients across depth: MLP 64-32x12-10, cross-entropy, one batch of 256 "
                        "synthetic samples (seed 0)")
    table = lines[4:4 + len(study.configurations)]
    assert [tuple(line.split()[:3]) for line in table] == study.configurations
    numbers = re.findall(r"(?<![\w.])\d[\d.]*(?:e[+-]\d+)?", " ".join(" ".join(line.split()[3:]) for line in table))
    assert numbers and all(len(n.split("e")[0].replace(".", "").lstrip("0")) <= 3 for n in numbers)
    detail = depth.report(study, every_layer=True).splitlines()
    assert len(detail) == len(lines) + 3 + len(study.rows)


def test_the_plot(study, tmp_path):
    path = tmp_path / "depth.png"
    fig = depth.plot(study, path=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    axes = fig.get_axes()
    assert len(axes) == 3 and all(ax.get_yscale() == "log" for ax in axes)
    assert len(axes[1].get_lines()) == len(study.configurations)


def test_the_command_line(capsys, tmp_path):
    argv = ["study", "activations_vs_depth", "--variant", "synthetic", "--depth", "3", "--width", "8",
            "--activations", "tanh,relu", "--inits", "small", "--normalizations", "none,batch"]
    status, out, err = run(capsys, *argv)
    assert status == 0 and err == ""
    expected = depth.activations_vs_depth(depth=3, width=8, activations=("tanh", "relu"), inits=("small",),
                                          normalizations=("none", "batch"), data="synthetic")
    assert out == depth.report(expected) + "\n"
    status, out, _ = run(capsys, *argv, "--json", "-o", str(tmp_path / "plots" / "depth.svg"))
    assert status == 0
    data = json.loads(out[:out.rindex("}") + 1])
    assert data["rows"] == expected.rows and (data["depth"], data["width"]) == (3, 8)
    assert out.splitlines()[-1] == f"wrote {tmp_path / 'plots' / 'depth.svg'}"


@pytest.mark.parametrize("argv, message", [
    (("--epochs", "2"), "--epochs is for stochastic_second_order, not activations_vs_depth"),
    (("--sizes", "2,4"), "--sizes is for the cost families, not activations_vs_depth"),
    (("--depth", "0"), "--depth must be a whole number in [1, 100], got 0"),
    (("--width", "5000"), "--width must be a whole number in [1, 1024], got 5000"),
    (("--activations", ","), "--activations names none"),
    (("--inits", "zero"), "unknown init 'zero'"),
    (("--normalizations", "layer,layer"), "--normalizations names layer twice"),
    (("--variant", "moons"), "unknown --variant 'moons'"),
    (("-o", "plot.txt"), "must end in .png, .svg or .pdf"),
])
def test_the_command_line_refuses_what_does_not_apply(capsys, argv, message):
    status, out, err = run(capsys, "study", "activations_vs_depth", *argv)
    assert status == 2 and out == "" and len(err.splitlines()) == 1
    assert message in err


def test_other_studies_refuse_its_flags(capsys):
    status, _, err = run(capsys, "study", "stochastic_second_order", "--depth", "3")
    assert status == 2 and "--depth is for activations_vs_depth, not stochastic_second_order" in err
    status, _, err = run(capsys, "study", "mlp_depth", "--activations", "tanh")
    assert status == 2 and "--activations is for activations_vs_depth, not the cost family mlp_depth" in err
