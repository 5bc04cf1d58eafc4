"""Hostile option values for every option of every public function: only diffkit errors (or results) come out.

``CASES`` is an explicit table: for each public function, a valid base call on a tiny input and the name of
one of its options. Each case is called with the option replaced by a hostile value (nan, ±inf, 0, -1, huge
numbers, strings, bools, None, arrays, wrong-length lists, an arbitrary object). The call must either succeed
or raise a ``diffkit.DiffkitError`` (the base class of every error diffkit raises on purpose) — never a bare
ValueError, TypeError, OverflowError, ... from deep inside — and must return within ``_ALARM`` seconds (a
guard that turns a hang into a failure, not a timing assertion).

A deterministic sweep over ``HOSTILE`` covers every (case, value) pair; a hypothesis test adds drawn numbers
and containers around them, with few examples so the file stays quick.
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pytest
from hang_guard import Hang, guard
from hypothesis import given, settings
from hypothesis import strategies as st

import diffkit as dk
from diffkit import datasets, nn, optim, second_order, studies

_ALARM = 10  # seconds one call may take before it counts as a hang


@pytest.fixture(autouse=True, scope="module")
def _in_a_scratch_folder(tmp_path_factory):
    """Every call runs in a fresh folder: a hostile value that is a fine file name ("1") writes its file there."""
    saved = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("option_fuzz"))
    yield
    os.chdir(saved)


HOSTILE = [math.nan, math.inf, -math.inf, 0, -1, 1e300, 10**400, "1", "", True, None, np.array([1, 2]), [1, 2, 3],
           object()]
_HOSTILE_IDS = ["nan", "inf", "-inf", "0", "-1", "1e300", "10**400", "'1'", "''", "True", "None", "array",
                "list3", "object"]

# --- tiny inputs -------------------------------------------------------------------------------------------------

EXPR = "x*y + sin(x)"
AT = {"x": 0.5, "y": 2.0}
X4, Y4 = datasets.xor()


def _net():
    return nn.MLP([2, 2, 1], activation="tanh", loss="binary_cross_entropy", seed=0)


def _history():
    return nn.train(_net(), X4, Y4, optimizer=optim.GD(lr=0.1), epochs=2, progress=False)


_STUDY = None


def _study():
    global _STUDY
    if _STUDY is None:
        _STUDY = studies.run("gradient_vs_inputs", sizes=[2, 3, 4], methods=["forward", "reverse"], repeats=1,
                             budget_seconds=None, progress=False)
    return _STUDY


def _square(params):
    return float(sum(np.sum(np.asarray(v) ** 2) for v in params.values()))


def _square_grad(params):
    return {k: 2 * np.asarray(v) for k, v in params.items()}


def _call(function, *args, **base):
    """A case: ``function(*args, **base)`` with one option overridden (args may be factories, called anew)."""
    def run(option: str, value):
        made = [a() if callable(a) and getattr(a, "_factory", False) else a for a in args]
        kwargs = {k: (v() if callable(v) and getattr(v, "_factory", False) else v) for k, v in base.items()}
        kwargs[option] = value
        return function(*made, **kwargs)
    return run


def factory(f):
    f._factory = True
    return f


net, history, study = factory(_net), factory(_history), factory(_study)
gd = factory(lambda: optim.GD(lr=0.1))


def _method(verb, method, **extra):
    return _call(verb, EXPR, at=AT, method=method, **extra)


# (label, runner, options): the runner takes (option, value).
CASES = [
    # --- the verbs, with each method's options ---
    ("gradient", _method(dk.gradient, "reverse"), ["method", "wrt", "errors", "at"]),
    ("gradient numeric", _method(dk.gradient, "numeric"), ["step", "scheme", "error_estimate", "batch"]),
    ("gradient symbolic", _method(dk.gradient, "symbolic"), ["seconds", "max_size"]),
    ("derivative", _call(dk.derivative, "sin(x)", wrt="x", at={"x": 0.5}), ["order", "method", "wrt", "at"]),
    ("hessian", _method(dk.hessian, "reverse"), ["method", "wrt", "over"]),
    ("jacobian", _call(dk.jacobian, ["x*y", "x+y"], at=AT), ["method", "wrt", "errors"]),
    ("jvp", _call(dk.jvp, EXPR, at=AT, tangents={"x": 1.0, "y": 0.0}), ["tangents", "method"]),
    ("hvp", _call(dk.hvp, EXPR, at=AT, vector={"x": 1.0, "y": 0.0}), ["vector", "method", "wrt", "over"]),
    ("vjp", _call(dk.vjp, EXPR, at=AT, cotangents=1.0), ["cotangents", "method"]),
    ("grad", _call(lambda **k: dk.grad(EXPR, **{o: v for o, v in k.items() if o != "point"})(k.get("point", AT)),
                   point=AT), ["method", "wrt", "point"]),
    ("value_and_grad", _call(lambda **k: dk.value_and_grad(EXPR, **k)(AT)), ["method", "errors", "wrt"]),
    ("jacfwd", _call(lambda **k: dk.jacfwd(lambda a: dk.sin(a) * 2.0, **k)(np.array([0.5, 1.0]))),
     ["argnums", "method"]),
    ("jacrev", _call(lambda **k: dk.jacrev(lambda a: dk.sin(a) * 2.0, **k)(np.array([0.5, 1.0]))),
     ["argnums", "method"]),
    ("gradient_graph", _call(dk.gradient_graph, EXPR), ["wrt", "with_value"]),
    ("compare", _call(dk.compare, EXPR, at=AT, methods=("forward", "reverse")),
     ["methods", "wrt", "options", "errors", "at"]),
    ("check_gradient", _call(dk.check_gradient, _square, _square_grad, {"w": np.array([1.0, 2.0])}),
     ["directions", "coordinates", "step", "rtol", "atol", "seed"]),
    ("sweep_table", _call(dk.sweep_table, EXPR), ["at"]),
    ("Graph.output", _call(lambda **k: dk.parse_many(["x+1", "x*2"]).output(**k)), ["which"]),
    ("Graph.evaluate", _call(lambda **k: dk.parse(EXPR).evaluate(**{"at": AT, **k})), ["at", "errors"]),
    ("Graph.expression", _call(lambda **k: dk.parse(EXPR).expression(**k)), ["node", "limit"]),
    ("Graph.with_data", _call(lambda **k: dk.parse(EXPR).with_data(**k)), ["x", "z"]),
    ("Comparison.table", _call(lambda **k: dk.compare(EXPR, at=AT, methods=("reverse",)).table(**k)), ["timing"]),
    ("parse_many", _call(dk.parse_many, ["x+1", "x*2"]), ["names"]),
    # --- neural networks ---
    ("MLP", _call(nn.MLP, sizes=[2, 2, 1]),
     ["sizes", "activation", "output", "loss", "bias", "init", "l1", "l2", "seed"]),
    ("MLP.hidden", _call(lambda **k: _net().hidden(X4, **k)), ["layer"]),
    ("MLP.gradient", _call(lambda **k: _net().gradient(X4, Y4, **k)), ["method"]),
    ("MLP.hessian", _call(lambda **k: _net().hessian(X4, Y4, **k)), ["method"]),
    ("MLP.set_parameters", _call(lambda **k: _net().set_parameters(**k)), ["params"]),
    ("MLP.loss", _call(lambda **k: _net().loss(**{"X": X4, "y": Y4, **k})), ["X", "y"]),
    ("MLP.accuracy", _call(lambda **k: _net().accuracy(**{"X": X4, "y": Y4, **k})), ["X", "y"]),
    ("train", _call(nn.train, net, X4, Y4, optimizer=gd, epochs=2, progress=False),
     ["optimizer", "epochs", "batch_size", "validation", "shuffle", "seed", "progress", "method"]),
    # --- optimizers ---
    ("GD", _call(optim.GD, lr=0.1), ["lr", "schedule", "weight_decay"]),
    ("Momentum", _call(optim.Momentum, lr=0.1), ["lr", "momentum", "nesterov", "weight_decay"]),
    ("Nesterov", _call(optim.Nesterov, lr=0.1), ["momentum"]),
    ("AdaGrad", _call(optim.AdaGrad, lr=0.1), ["eps"]),
    ("RMSProp", _call(optim.RMSProp, lr=0.1), ["decay", "eps"]),
    ("Adam", _call(optim.Adam), ["lr", "beta1", "beta2", "eps", "weight_decay", "schedule"]),
    ("AdamW", _call(optim.AdamW), ["weight_decay"]),
    ("Newton", _call(optim.Newton), ["lr", "damping"]),
    ("LBFGS", _call(second_order.LBFGS), ["lr", "memory", "c1", "c2", "max_evaluations"]),
    ("NewtonCG", _call(second_order.NewtonCG), ["max_cg"]),
    ("LevenbergMarquardt", _call(second_order.LevenbergMarquardt), ["damping", "max_cg", "max_tries"]),
    ("step_decay", _call(optim.step_decay, every=2), ["every", "factor"]),
    ("inverse_time", _call(optim.inverse_time), ["decay"]),
    ("cosine", _call(optim.cosine, total=3), ["total", "floor"]),
    ("by_name", _call(optim.by_name, name="gd", lr=0.1), ["name", "lr"]),
    ("lr_at", _call(lambda **k: optim.GD(lr=0.1).lr_at(**k)), ["t"]),
    ("step", _call(lambda **k: optim.Adam(lr=0.1).step(**{"params": {"w": 1.0}, "grads": {"w": 0.5}, **k})),
     ["params", "grads"]),
    ("Newton.step", _call(lambda **k: optim.Newton().step({"w": 1.0}, {"w": 0.5}, **k)), ["hessian"]),
    ("Momentum.lookahead", _call(lambda **k: optim.Momentum(lr=0.1).lookahead(**k)), ["params"]),
    ("minimize", _call(optim.minimize, "x**2 + y**2", start={"x": 1.0, "y": -1.0}, optimizer=gd, steps=5),
     ["start", "optimizer", "steps", "tol", "method"]),
    ("minimize Newton", _call(lambda **k: optim.minimize("x**2", {"x": 1.0}, optim.Newton(), **k)), ["steps"]),
    # --- studies ---
    ("studies.run", _call(studies.run, family="gradient_vs_inputs", sizes=[2, 3], methods=["reverse"], repeats=1,
                          budget_seconds=None, progress=False),
     ["family", "sizes", "methods", "repeats", "seed", "budget_seconds", "progress", "variant", "symbolic_size",
      "batch"]),
    ("studies.run mlp", _call(studies.run, "mlp_width", sizes=[2], methods=["reverse"], repeats=1,
                              budget_seconds=None, progress=False), ["inputs", "outputs", "batch"]),
    ("studies.fit", _call(lambda **k: _study().fit(**k)), ["y"]),
    ("StudyResult.points", _call(lambda **k: _study().points(**{"method": "reverse", **k})), ["method", "y"]),
    ("studies.report", _call(studies.report, res=study), ["res", "y"]),
    ("studies.fits", _call(studies.fits, study), ["y"]),
    ("studies.mlp_shape", _call(studies.mlp_shape, parameters=100), ["parameters"]),
    ("studies.plot", _call(studies.plot, study), ["y", "theory", "title", "xscale", "figsize", "path"]),
    ("studies.load", _call(studies.load, path="missing.json"), ["path"]),
    ("StudyResult.to_csv", _call(lambda **k: _study().to_csv(**k), path="rows.txt"), ["path"]),
    ("StudyResult.to_json", _call(lambda **k: _study().to_json(**k), path="rows.txt"), ["path"]),
    # --- datasets ---
    ("moons", _call(datasets.moons, n=10), ["n", "noise", "seed"]),
    ("sine", _call(datasets.sine, n=10), ["n", "noise", "seed"]),
    ("spirals", _call(datasets.spirals, n=10), ["n", "turns", "noise", "classes", "seed"]),
    ("encoder", _call(datasets.encoder), ["n"]),
    ("one_hot", _call(datasets.one_hot, labels=np.array([0, 1, 2])), ["labels", "classes"]),
    ("load", _call(datasets.load, n=10), ["name"]),
    ("digits", _call(datasets.digits), ["test_size", "seed", "scale"]),
    # --- pictures ---
    ("draw", _call(dk.draw, "x*y", at={"x": 1.0, "y": 2.0}),
     ["at", "show", "wrt", "precision", "title", "path", "ax"]),
    ("draw tangents", _call(dk.draw, "x*y", at={"x": 1.0, "y": 2.0}, show="tangents"), ["wrt"]),
    ("draw_sweeps", _call(dk.draw_sweeps, "x*y", at={"x": 1.0, "y": 2.0}), ["at", "wrt", "precision", "fps", "path"]),
    ("draw_mlp", _call(dk.draw_mlp, net=net), ["net", "max_neurons", "title", "path"]),
    ("draw_history", _call(dk.draw_history, history=history), ["history", "title", "path"]),
    ("draw_optimizers", _call(dk.draw_optimizers, optimizers=["GD"], steps=3),
     ["expr", "start", "optimizers", "steps", "bounds", "levels", "title", "values", "minimum"]),
]

PAIRS = [(label, run, option) for label, run, options in CASES for option in options]
_PAIR_IDS = [f"{label}:{option}" for label, _, option in PAIRS]


def _escape(label: str, run, option: str, value) -> str | None:
    """Call one case with a hostile value: None on success or a DiffkitError, else what escaped."""
    where = f"{label}({option}={_shown(value)})"
    with guard(where, _ALARM), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DomainWarnings on nan inputs are diffkit's own way to report them
        try:
            run(option, value)
        except dk.DiffkitError:
            return None
        except Hang:
            raise
        except Exception as exc:  # noqa: BLE001 — what the test exists to catch
            return f"{where} raised {type(exc).__name__}: {str(exc)[:200]}"
    return None


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:30] + "..."


@pytest.mark.parametrize("label, run, option", PAIRS, ids=_PAIR_IDS)
def test_every_hostile_value_gives_a_result_or_a_diffkit_error(label, run, option):
    escaped = [e for e in (_escape(label, run, option, value) for value in HOSTILE) if e]
    assert not escaped, "\n".join(escaped)


# Drawn values beyond the fixed list: any float (subnormals, huge, nan), big ints, short text, and lists or
# dicts of them (the wrong container, the wrong length).
# (The text has no path separators or dots: a drawn string is a fine file name for the path options, and the
# files it names must stay in the scratch folder.)
_text = st.text(st.characters(blacklist_characters="/\\.~", blacklist_categories=("Cs",)), max_size=4)
_scalars = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-10**30, max_value=10**30),
                     _text, st.booleans(), st.none())
_values = st.one_of(_scalars, st.lists(_scalars, max_size=3),
                    st.dictionaries(_text, _scalars, max_size=2), st.sampled_from(HOSTILE))


@settings(max_examples=150, deadline=None, database=None)
@given(pair=st.sampled_from(PAIRS), value=_values)
def test_drawn_hostile_values_give_a_result_or_a_diffkit_error(pair, value):
    label, run, option = pair
    escaped = _escape(label, run, option, value)
    assert escaped is None, escaped


def test_the_guard_turns_a_hang_into_a_failure():
    """The alarm works: a call that would sleep past it is stopped with Hang (here after 1 s)."""
    import time

    with pytest.raises(Hang), guard("sleep", 1):
        time.sleep(5)


# --- what the sweep found, one by one: the error each now raises ----------------------------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda: dk.gradient(EXPR, at=AT, method="symbolic", seconds=1e300), dk.OptionError, "seconds= must be at most"),
    (lambda: optim.GD(lr=10**400), dk.OptionError, "beyond float64's range"),
    (lambda: optim.Adam(beta1=10**400), dk.OptionError, "beta1 must be a real number"),
    (lambda: nn.MLP([2, 1], l2=10**400), dk.OptionError, "l2 must be a non-negative number"),
    (lambda: nn.MLP([2, 1], init=np.array([1, 2])), dk.OptionError, "unknown init"),
    (lambda: nn.MLP([2, 10**400, 1]), dk.ResourceError, "MLP(2-about 10^400-1)"),
    (lambda: nn.train(_net(), X4, Y4, optimizer=optim.GD(lr=0.1), epochs=10**400), dk.ResourceError,
     "training for about 10^400 epochs"),
    (lambda: nn.train(_net(), X4, Y4, optimizer=optim.GD(lr=0.1), shuffle=np.array([1, 2])), dk.OptionError,
     "shuffle must be True or False"),
    (lambda: nn.train(_net(), X4, Y4, optimizer=optim.GD(lr=0.1), progress="yes"), dk.OptionError,
     "progress must be True or False (or None"),
    (lambda: optim.minimize("x**2", {"x": 1.0}, optim.GD(lr=0.1), steps=10**400), dk.ResourceError,
     "minimize for about 10^400 steps"),
    (lambda: optim.by_name([1, 2]), dk.OptionError, "unknown optimizer [1, 2]"),
    (lambda: second_order.LBFGS(memory=10**400), dk.OptionError, "LBFGS: memory must be a whole number >= 1"),
    (lambda: dk.check_gradient(_square, _square_grad, {"w": 1.0}, directions=10**400), dk.ResourceError,
     "check_gradient with about 10^400 random directions"),
    (lambda: dk.check_gradient(_square, _square_grad, {"w": 1.0}, rtol=10**400), dk.OptionError, "rtol"),
    (lambda: datasets.spirals(n=10, classes=11), dk.OptionError, "classes must be an integer in 2..10"),
    (lambda: datasets.spirals(n=10**400), dk.ResourceError, "spirals(n=about 10^400)"),
    (lambda: datasets.moons(noise=10**400), dk.OptionError, "noise must be a finite number"),
    (lambda: studies.run("depth", sizes=[2], repeats=10**400, budget_seconds=None, progress=False),
     dk.ResourceError, "about 10^400 timed runs"),
    (lambda: studies.run("depth", sizes=[10**400], progress=False), dk.OptionError, "at most 2**53"),
    (lambda: studies.run("depth", sizes=[2], variant=np.array([1, 2])), dk.OptionError, "unknown variant"),
    (lambda: studies.run("depth", sizes=[2], budget_seconds=1e300), dk.OptionError, "budget_seconds must be at most"),
    (lambda: studies.run("mlp_width", sizes=[2], inputs=10**400), dk.OptionError, "inputs must be a positive whole"),
    (lambda: studies.run("mlp_width", sizes=[2], batch=10**400), dk.OptionError, "batch must be a positive whole"),
    (lambda: studies.run("mlp_width", sizes=[2], batch=2**53), dk.ResourceError, "dk.limits."),
    (lambda: studies.mlp_shape(0), dk.OptionError, "parameters must be a whole number"),
    (lambda: studies.plot(_study(), xscale=np.array([1, 2])), dk.OptionError, "unknown xscale"),
    (lambda: studies.plot(_study(), path=1), dk.OptionError, "path must be a file path"),
    (lambda: _study().to_csv(1), dk.OptionError, "path must be a file path"),  # open(1) would close stdout
    (lambda: studies.load("missing.json"), dk.OptionError, "no study file at 'missing.json'"),
    (lambda: datasets.digits(scale=1), dk.OptionError, "scale must be 'standard', 'unit' (or True) or False"),
    (lambda: dk.draw("x", ax=1), dk.OptionError, "ax must be a matplotlib Axes"),
    (lambda: dk.gradient_graph(EXPR, with_value=np.array([1, 2])), dk.OptionError, "with_value must be True"),
    (lambda: dk.compare(EXPR, at=AT, methods=None), dk.MethodError, "compare needs methods"),
    (lambda: dk.compare(EXPR, at=AT, options=[1]), dk.OptionError, "options must be a dict"),
    (lambda: dk.parse_many(["x", "y"], names=1), dk.ParseError, "names must be a list"),
    (lambda: dk.draw("x", title=1), dk.OptionError, "title must be a string"),
    (lambda: dk.draw("x", show=np.array([1, 2])), dk.OptionError, "unknown show"),
    (lambda: dk.draw_sweeps("x*y", {"x": 1.0, "y": 2.0}, wrt=1), dk.OptionError, "wrt must be a variable's name"),
    (lambda: dk.draw_optimizers(levels=10**400), dk.OptionError, "levels must be a whole number in 2..1000"),
    (lambda: dk.draw_optimizers(minimum=1), dk.OptionError, "minimum must be a point"),
])
def test_each_escape_found_is_now_a_diffkit_error(call, error, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error) as info:
            call()
    assert message in str(info.value)


def test_option_checkers_for_text_paths_and_optional_flags():
    from diffkit import options

    assert options.flag("progress", None, allow_none=True) is None
    assert options.text("title", "t") == "t" and options.text("title", None) is None
    assert options.path("path", "a.png") == "a.png"
    for bad in ("", "a\0b", 1, True, [1]):
        with pytest.raises(dk.OptionError, match="path must be a file path"):
            options.path("path", bad)
    with pytest.raises(dk.OptionError, match=r"n must be a whole number in \[1, about 10\^400\], got 0"):
        options.number("n", 0, low=1, high=10**400, integer=True)
