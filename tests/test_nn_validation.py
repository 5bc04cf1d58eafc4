"""Bad input to the networks, losses, training and datasets gets a diffkit error naming the problem and the fix;
the values next to each bad one are still accepted (a check that refused everything would pass the first half)."""

import numpy as np
import pytest

import diffkit as dk
from diffkit import datasets, nn, optim
from diffkit.errors import BindingError, DiffkitError, DomainWarning, ResourceError
from diffkit.nn import losses

X4 = datasets.xor()[0]


def bce_net():
    return nn.MLP([2, 4, 1], activation="tanh", loss="binary_cross_entropy", seed=0)


# --- binary cross-entropy: targets in [0, 1] -------------------------------------------------------------------


@pytest.mark.parametrize("bad, shown", [(2.0, "got 2 "), (-1.0, "got -1 "), (1.0000001, "got 1.0000001 "),
                                        (-1e-12, "got -1e-12 ")])
def test_binary_cross_entropy_refuses_targets_outside_0_1(bad, shown):
    y = np.array([0.0, bad, 1.0, 0.0])
    with pytest.raises(BindingError, match="binary_cross_entropy needs targets in \\[0, 1\\]") as info:
        bce_net().loss(X4, y)
    assert shown in str(info.value) and "(row 1;" in str(info.value) and "(y + 1) / 2" in str(info.value)


def test_the_old_silent_answer_was_a_negative_loss():
    """What the check prevents: softplus(z) - y·z with y = 2 is negative for large z, a loss no model can have."""
    z, y = np.array([[5.0]]), 2.0
    assert np.log1p(np.exp(z)) - y * z < 0
    with pytest.raises(BindingError, match="needs targets in"):
        losses.binary_cross_entropy(z, np.array([[y]]))


@pytest.mark.parametrize("y", [[0, 1, 1, 0], [0.0, 1.0, 1.0, 0.0], [0.0, 0.5, 1.0, 0.25]])
def test_binary_cross_entropy_accepts_labels_and_probabilities_including_0_and_1_exactly(y):
    loss = bce_net().loss(X4, np.array(y))
    assert np.isfinite(loss) and loss > 0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_targets_are_refused_for_every_loss(bad):
    for loss, width in [("binary_cross_entropy", 1), ("mse", 2), ("sse", 2), ("mae", 2), ("huber", 2),
                        ("log_cosh", 2), ("cross_entropy", 2)]:
        net = nn.MLP([2, 3, width], loss=loss, seed=0)
        y = np.full((4, width), 0.5)
        y[2, 0] = bad
        with pytest.raises(BindingError, match=rf"y holds {bad} \(row 2\): every target must be a finite number"):
            net.loss(X4, y)


# --- cross-entropy: labels in 0..k-1, one-hot rows that are distributions ----------------------------------------


def ce_net():
    return nn.MLP([2, 4, 3], activation="tanh", loss="cross_entropy", seed=0)


@pytest.mark.parametrize("bad, message", [
    (3, r"must lie in 0..2 \(the network has 3 outputs\), got 3 "),
    (-1, r"must lie in 0..2 \(the network has 3 outputs\), got -1 "),
    (1.5, r"must be whole numbers 0..2, got 1.5 \(dtype float64\)"),
    (np.nan, r"must be whole numbers 0..2, got nan"),
])
def test_cross_entropy_refuses_labels_out_of_range_or_not_whole(bad, message):
    y = np.array([0, 1, bad, 2])
    with pytest.raises(BindingError, match=message):
        ce_net().loss(X4, y)


def test_cross_entropy_accepts_every_label_from_0_to_k_minus_1_and_integer_valued_floats():
    net = ce_net()
    as_int = net.loss(X4, np.array([0, 1, 2, 2]))
    assert net.loss(X4, np.array([0.0, 1.0, 2.0, 2.0])) == as_int
    assert net.loss(X4, np.eye(3)[[0, 1, 2, 2]]) == pytest.approx(as_int, rel=1e-15)


def test_bool_labels_are_not_class_indices():
    with pytest.raises(BindingError, match="whole numbers 0..2, got True"):
        ce_net().loss(X4, np.array([True, False, True, False]))


@pytest.mark.parametrize("row, shown", [([1.0, 1.0, 0.0], "sum 2"), ([2.0, -1.0, 0.0], "sum 1"),
                                        ([0.5, 0.4, 0.0], "sum 0.9"), ([0.0, 0.0, 0.0], "sum 0")])
def test_cross_entropy_refuses_target_rows_that_are_not_distributions(row, shown):
    Y = np.eye(3)[[0, 1, 2, 0]]
    Y[3] = row
    with pytest.raises(BindingError, match="row 3 is .*" + shown + r"\); give class labels 0..k-1 or one-hot"):
        ce_net().loss(X4, Y)


def test_cross_entropy_accepts_soft_rows_and_float_rounding_of_a_distribution():
    Y = np.eye(3)[[0, 1, 2, 0]]
    Y[3] = [0.1, 0.2, 0.7]  # 0.1 + 0.2 + 0.7 is 1 only up to rounding
    Y[2] = np.array([1, 1, 1], dtype=np.float32) / np.float32(3)  # float32 thirds: off 1 by ~1e-8
    assert np.isfinite(ce_net().loss(X4, Y))


# --- shapes: no silent broadcasting ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sse", "mse", "mae", "huber", "log_cosh", "binary_cross_entropy",
                                  "cross_entropy"])
def test_losses_on_arrays_refuse_targets_that_would_broadcast(name):
    loss = losses.LOSSES[name][0]
    output = np.full((4, 2), 0.5)
    for target in (np.full((4, 1), 0.5), np.full((1, 2), 0.5), np.full(2, 0.5), np.full((2, 4), 0.5)):
        with pytest.raises(BindingError, match=rf"{name} compares outputs of shape \(4, 2\) with targets of shape"):
            loss(output, target)
    assert np.isfinite(loss(output, np.full((4, 2), 0.5)))  # the same shape: a number


def test_mean_squared_error_of_a_network_refuses_mismatched_targets():
    net = nn.MLP([2, 3, 2], loss="mse", seed=0)
    with pytest.raises(BindingError, match=r"y must have shape \(4, 2\), got \(4, 1\)"):
        net.loss(X4, np.ones((4, 1)))
    with pytest.raises(BindingError, match="y has 1 row for 4 samples: give one target per row of X"):
        net.loss(X4, np.ones((1, 2)))
    assert net.loss(X4, np.ones((4, 2))) > 0


# --- training ------------------------------------------------------------------------------------------------------


def sine_net():
    return nn.MLP([1, 8, 1], activation="tanh", loss="mse", seed=0)


def test_a_diverging_run_stops_and_says_where_and_what_to_do():
    X, y = datasets.sine(n=20)
    net = sine_net()
    with pytest.raises(nn.DivergenceError) as info, pytest.warns(DomainWarning, match="overflow"):
        nn.train(net, X, y, optimizer=optim.GD(lr=1e3), epochs=100, progress=False)
    error = info.value
    message = str(error)
    assert message.startswith(f"training diverged at the end of epoch {error.epoch}: the loss over all training "
                              "data became inf")
    assert "try a smaller one, e.g. lr=100 (now 1000)" in message
    assert 1 < error.epoch < 100 and error.batch is None and not np.isfinite(error.loss)
    assert all(np.all(np.isfinite(p)) for p in net.parameters().values())  # the last finite parameters
    assert isinstance(error, DiffkitError)


def test_a_diverging_minibatch_names_its_batch():
    X, y = datasets.sine(n=20)
    with (pytest.raises(nn.DivergenceError, match=r"at epoch \d+, batch \d+ of 4: the loss of the batch became")
          as info, pytest.warns(DomainWarning, match="overflow")):
        nn.train(sine_net(), X, y, optimizer=optim.GD(lr=1e3), epochs=100, batch_size=5, progress=False)
    assert 1 <= info.value.batch <= 4


def test_a_learning_rate_just_small_enough_trains_on():
    X, y = datasets.sine(n=20)
    history = nn.train(sine_net(), X, y, optimizer=optim.GD(lr=0.05), epochs=30, progress=False)
    assert np.all(np.isfinite(history.loss)) and history.loss[-1] < history.loss[0]


def test_empty_data_is_refused_up_front():
    net = bce_net()
    with pytest.raises(BindingError, match=r"X has no samples \(shape \(0, 2\)\): training needs at least one row"):
        nn.train(net, np.zeros((0, 2)), np.zeros(0), optimizer=optim.GD(lr=0.1), progress=False)
    with pytest.raises(BindingError, match="the validation X has no samples"):
        nn.train(net, X4, np.array([0, 1, 1, 0]), optimizer=optim.GD(lr=0.1), progress=False,
                 validation=(np.zeros((0, 2)), np.zeros(0)))
    history = nn.train(net, X4[:1], np.array([0]), optimizer=optim.GD(lr=0.1), epochs=2, progress=False)
    assert history.steps == 2  # one sample is enough


@pytest.mark.parametrize("net, y, message", [
    (bce_net(), np.array([0, 1, 1]), "y has 3 rows for 4 samples"),
    (bce_net(), np.array([0, 1, 1, 0, 1]), "y has 5 rows for 4 samples"),
    (ce_net(), np.array([0, 1, 2]), "y has 3 labels for 4 samples"),
    (nn.MLP([2, 2], loss="mse"), np.ones((3, 2)), "y has 3 rows for 4 samples"),
])
def test_mismatched_sample_counts_are_refused(net, y, message):
    with pytest.raises(BindingError, match=message + ": give one"):
        nn.train(net, X4, y, optimizer=optim.GD(lr=0.1), progress=False)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs_are_refused(bad):
    X = X4.copy()
    X[3, 1] = bad
    with pytest.raises(BindingError, match=rf"X holds {bad} \(row 3, column 1\): inputs must be finite"):
        nn.train(bce_net(), X, np.array([0, 1, 1, 0]), optimizer=optim.GD(lr=0.1), progress=False)
    with pytest.raises(BindingError, match="X holds"):
        bce_net().forward(X)
    X[3, 1] = 1e300  # large but finite: the network's business
    assert np.isfinite(bce_net().loss(X, np.array([0, 1, 1, 0])))


def test_a_history_past_the_memory_budget_is_refused_before_training(limits):
    net = bce_net()
    limits.memory_bytes = 10_000
    # a classifier records loss, accuracy and seconds: 3 numbers of ~32 bytes per epoch
    with pytest.raises(ResourceError, match=r"training for 105 epochs \(105 steps\) would hold about"):
        nn.train(net, X4, np.array([0, 1, 1, 0]), optimizer=optim.GD(lr=0.1), epochs=105, progress=False)
    history = nn.train(net, X4, np.array([0, 1, 1, 0]), optimizer=optim.GD(lr=0.1), epochs=104, progress=False)
    assert len(history.loss) == 104


# --- seeds, layer sizes, memory ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", ["x", -1, True, False, 1.5, 2.0, np.bool_(True), [1, 2]])
def test_bad_seeds_are_refused(seed):
    with pytest.raises(BindingError, match=r"seed must be a whole number >= 0 \(or None for a fresh random one\)"):
        nn.MLP([2, 3, 1], seed=seed)
    with pytest.raises(BindingError, match="seed must be a whole number >= 0"):
        nn.train(bce_net(), X4, np.array([0, 1, 1, 0]), optimizer=optim.GD(lr=0.1), seed=seed, progress=False)


@pytest.mark.parametrize("seed", [0, 1, np.int64(7), 2**64, None])
def test_good_seeds_are_accepted(seed):
    net = nn.MLP([2, 3, 1], seed=seed)
    if seed is not None:
        assert np.array_equal(net.parameters()["W1"], nn.MLP([2, 3, 1], seed=seed).parameters()["W1"])
    nn.train(net, X4, np.zeros(4), optimizer=optim.GD(lr=0.1), epochs=1, seed=seed, progress=False)


@pytest.mark.parametrize("sizes", [[2, 2.5, 1], [2, 0, 1], [2, -3, 1], [2, "3", 1], [2, True, 1], [2, 3.0, 1]])
def test_bad_layer_widths_are_refused(sizes):
    with pytest.raises(BindingError, match=r"layer widths must be positive integers \(e.g. \[2, 3, 1\]\), got"):
        nn.MLP(sizes)


def test_layer_widths_may_be_numpy_integers_or_an_array():
    assert nn.MLP([2, np.int64(3), 1]).sizes == (2, 3, 1)
    assert nn.MLP(np.array([2, 3, 1])).sizes == (2, 3, 1)


def test_bias_must_be_a_bool():
    with pytest.raises(BindingError, match="bias must be True or False, got 'no'"):
        nn.MLP([2, 1], bias="no")
    assert nn.MLP([2, 1], bias=False).parameter_names == ("W1",)


def test_a_network_too_large_for_memory_is_refused_before_allocating():
    with pytest.raises(ResourceError) as info:
        nn.MLP([2, 10**6, 10**6])
    message = str(info.value)
    assert message.startswith("MLP(2-1000000-1000000) with 1,000,004,000,000 parameters would hold about "
                              "7450.61 GiB of arrays, over the budget of 2.00 GiB (dk.limits.memory_bytes)")
    assert "raise the budget (dk.limits.memory_bytes = ...)" in message


def test_the_parameter_budget_is_exact_at_its_edge(limits):
    # 2-3-1 with biases: (2 + 1)·3 + (3 + 1)·1 = 13 parameters, 104 bytes
    limits.memory_bytes = 104
    assert nn.MLP([2, 3, 1]).parameter_count == 13
    limits.memory_bytes = 103
    with pytest.raises(ResourceError, match="13 parameters"):
        nn.MLP([2, 3, 1])
    assert nn.MLP([2, 3, 1], bias=False).parameter_count == 9  # 72 bytes: fits


# --- datasets ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make, name", [
    (lambda: datasets.encoder(10**6), r"encoder\(n=1,000,000\)"),
    (lambda: datasets.sine(n=10**10), r"sine\(n=10,000,000,000\)"),
    (lambda: datasets.moons(n=10**10), r"moons\(n=10,000,000,000\)"),
    (lambda: datasets.spirals(n=10**10), r"spirals\(n=10,000,000,000\)"),
    (lambda: datasets.one_hot([0, 1], classes=10**12), "one_hot of 2 labels into 1,000,000,000,000 classes"),
])
def test_datasets_too_large_for_memory_are_refused_before_allocating(make, name):
    with pytest.raises(ResourceError, match=name + r" would hold about .* \(dk.limits.memory_bytes\)"):
        make()


def test_datasets_within_the_budget_are_made(limits):
    limits.memory_bytes = 8 * 100 * 100 * 2  # encoder(100): two 100×100 float64 arrays, exactly
    assert datasets.encoder(100)[0].shape == (100, 100)
    with pytest.raises(ResourceError):
        datasets.encoder(101)


@pytest.fixture
def limits():
    saved = dk.limits.memory_bytes
    yield dk.limits
    dk.limits.memory_bytes = saved


def test_targets_that_are_not_a_table_of_numbers_are_refused():
    from diffkit.nn.losses import check_targets

    for target in ([[0.0, 1.0], [1.0]], [["a"], ["b"]]):
        with pytest.raises(dk.BindingError, match="not numbers in rows of equal length"):
            check_targets("mse", target)
