"""Command line: ``diffkit demo``, ``diff``, ``hessian``, ``jacobian``, ``graph``, ``study``, ``train`` and
``crosscheck`` (see
``diffkit --help``). Errors are one line, exit status 2."""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import re
import sys
import warnings
from dataclasses import dataclass

import numpy as np

from .errors import DiffkitError, ParseError


def _point(text: str) -> dict[str, float]:
    """``x=1,y=2`` -> {"x": 1.0, "y": 2.0} (numbers only; nothing is evaluated)."""
    point = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise argparse.ArgumentTypeError(f"expected name=value, got {item!r}")
        if name.strip() in point:
            raise argparse.ArgumentTypeError(f"{name.strip()} is given twice")
        try:
            number = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"value of {name.strip()!r} is not a number: {value!r}") from None
        if math.isinf(number) and "inf" not in value.lower():  # 1e309 reads as inf: say so rather than use it
            raise argparse.ArgumentTypeError(
                f"value of {name.strip()!r} is too large for a float64 (past 1.8e308): {value!r}; write inf if "
                "infinity is meant")
        point[name.strip()] = number
    return point


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (it prints the whole usage block otherwise); --help has the rest.

    Its negative-number matcher is widened: argparse takes an argument for a value (not an option) only when it
    looks like ``-1`` or ``-0.5``, so ``--sizes -1,0``, ``--lr -1e-3`` or ``--lr -inf`` got "expected one
    argument" instead of diffkit's own message about the value. No diffkit option starts with a digit, a dot,
    "inf" or "nan", so anything of that shape after a dash is a (negative) value.
    """

    _NEGATIVE_VALUE = re.compile(r"^-(\d|\.\d|inf|nan)[\w.,+\-]*$", re.IGNORECASE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = self._NEGATIVE_VALUE  # argparse sets its own in __init__

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="diffkit", description="Four ways of taking a derivative, side by side, with what each costs."
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"diffkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="the lecture examples compared four ways; -o DIR also writes "
                                              "graphs, tables, a cost study and an MLP's training, with an index")
    demo.add_argument("-o", "--output", default=None, help="the folder to write into (created if missing)")
    diff = commands.add_parser("diff", help="differentiate an expression with one or all methods")
    diff.add_argument("expression", help='e.g. "log(x1) + x1*x2 - sin(x2)"')
    diff.add_argument("--at", type=_point, default={}, help="the point, e.g. x1=2,x2=5")
    diff.add_argument("--method", default="all", choices=["all", "symbolic", "numeric", "forward", "reverse"])
    diff.add_argument("--order", type=int, default=1, help="derivative order (in one variable: see --wrt)")
    diff.add_argument("--wrt", default=None, help="the variable(s) to differentiate by, e.g. x or x,y "
                                                 "(default: all; one for --order 2 and up)")
    diff.add_argument("--json", action="store_true", help="machine-readable output")

    hessian = commands.add_parser("hessian", help="the Hessian of an expression")
    hessian.add_argument("expression")
    hessian.add_argument("--at", type=_point, default={}, help="the point, e.g. x=1,y=2")
    hessian.add_argument("--method", default="reverse", choices=["symbolic", "numeric", "forward", "reverse"])
    hessian.add_argument("--json", action="store_true", help="machine-readable output")

    jacobian = commands.add_parser("jacobian", help="the Jacobian of several expressions (one per output)")
    jacobian.add_argument("expressions", nargs="+")
    jacobian.add_argument("--at", type=_point, default={}, help="the point, e.g. x=1,y=2")
    jacobian.add_argument("--method", default="reverse", choices=["symbolic", "numeric", "forward", "reverse"])
    jacobian.add_argument("--json", action="store_true", help="machine-readable output")

    graph = commands.add_parser("graph", help="draw an expression's computation graph")
    graph.add_argument("expression")
    graph.add_argument("--at", type=_point, default=None, help="the point, e.g. x1=2,x2=5")
    graph.add_argument("--show", choices=["values", "adjoints", "tangents"], default=None)
    graph.add_argument("--wrt", default=None, help="the variable for --show tangents")
    graph.add_argument("--format", choices=["png", "svg", "pdf", "dot"], default=None,
                       help="dot: Graphviz DOT text, for `dot -Tsvg` (default: from -o's suffix)")
    graph.add_argument("-o", "--output", default=None, help="the file to write (.png, .svg, .pdf; .dot or .gv "
                                                            "for DOT; DOT without -o goes to standard output)")

    study = commands.add_parser("study", help="how each method's cost grows over a family of functions, how "
                                              "optimizers fare on mini-batches (stochastic_second_order), or how "
                                              "activations and gradients change across depth "
                                              "(activations_vs_depth)")
    study.add_argument("family", help="a cost family: gradient_vs_inputs, jacobian_shape, depth, mlp_width, "
                                      "mlp_depth, hessian_vs_inputs, hvp_vs_inputs; or stochastic_second_order: "
                                      "GD, Adam, Newton, Newton-CG and L-BFGS trained full-batch and on "
                                      "mini-batches; or activations_vs_depth: per-layer activation and gradient "
                                      "statistics of deep MLPs, with and without normalization")
    # The cost families' flags default to None so that one given to stochastic_second_order can be told apart.
    study.add_argument("--sizes", type=_sizes, default=None, help="e.g. 2,4,8,16 (cost families)")
    study.add_argument("--methods", type=_names, default=None,
                       help="e.g. forward,reverse (cost families; default: all four)")
    study.add_argument("--variant", default=None, help="the family's function, e.g. logistic for depth "
                                                        "(default: the family's first); for "
                                                        "stochastic_second_order the problem, logistic "
                                                        "(the default) or digits; for activations_vs_depth the "
                                                        "batch, digits (the default) or synthetic")
    study.add_argument("--y", default=None, help="flops (the default), seconds, memory_bytes, operations, "
                                                 "sweeps, ... (cost families)")
    study.add_argument("--repeats", type=int, default=None,
                       help="timed runs per size and method, median kept (cost families; default 3)")
    study.add_argument("--epochs", type=int, default=None, help="stochastic_second_order: epochs per run "
                                                                "(default 20)")
    study.add_argument("--batch-size", type=int, default=None, help="stochastic_second_order: the mini-batches' "
                                                                    "size (default 32)")
    study.add_argument("--optimizers", type=_names, default=None,
                       help="stochastic_second_order: e.g. gd,lbfgs (default: gd,adam,newton,newtoncg,lbfgs)")
    study.add_argument("--depth", type=int, default=None, help="activations_vs_depth: hidden layers (default 12)")
    study.add_argument("--width", type=int, default=None, help="activations_vs_depth: units per hidden layer "
                                                               "(default 32)")
    study.add_argument("--activations", type=_names, default=None,
                       help="activations_vs_depth: e.g. tanh,relu (default: tanh,sigmoid,relu)")
    study.add_argument("--inits", type=_names, default=None, help="activations_vs_depth: of small, default, "
                                                                  "large (these three by default), normal, xavier, "
                                                                  "kaiming")
    study.add_argument("--normalizations", type=_names, default=None,
                       help="activations_vs_depth: e.g. none,layer (the default), batch")
    study.add_argument("-o", "--output", default=None, help="the plot to write (.png, .svg)")
    study.add_argument("--csv", default=None, help="also write the rows as CSV (cost families)")
    study.add_argument("--json", action="store_true", help="the rows and fitted exponents as JSON (for "
                                                           "stochastic_second_order: the rows and the runs not made)")

    crosscheck = commands.add_parser("crosscheck", help="every expression of a file (one a line) differentiated "
                                                        "four ways, disagreements diagnosed; on a Dask cluster "
                                                        "with --scheduler")
    crosscheck.add_argument("file", help="a text file, one expression a line (blank lines and # comments skipped)")
    crosscheck.add_argument("--at", type=_point, default={}, help="the point, e.g. x=1,y=2 (each expression at "
                                                                  "the variables it uses)")
    crosscheck.add_argument("--scheduler", default=None, help="a Dask scheduler's address, e.g. "
                                                              "tcp://10.0.0.5:8786 (pip install "
                                                              "'diffkit[distributed]'); default: run here")
    crosscheck.add_argument("-o", "--output", default=None, help="a .jsonl file the results are appended to as "
                                                                 "they arrive; run again to resume")
    crosscheck.add_argument("--worst", type=int, default=5, help="how many of the worst cases to list (default 5)")
    crosscheck.add_argument("--json", action="store_true", help="the counts and the worst cases as JSON")

    from .datasets import DATASETS
    from .optim import OPTIMIZERS

    train = commands.add_parser("train", help="train an MLP on one of diffkit's datasets")
    train.add_argument("dataset", choices=list(DATASETS), help="a dataset of diffkit.datasets")
    train.add_argument("--optimizer", default="adam", choices=list(OPTIMIZERS),
                       help="an optimizer of diffkit.optim (default: adam)")
    train.add_argument("--lr", type=float, default=None, help="learning rate (default: the dataset's)")
    train.add_argument("--epochs", type=int, default=None)
    train.add_argument("--damping", type=float, default=None,
                       help="Newton's damping μ in (H + μI)⁻¹g (default 0.1: plain Newton jumps to saddles)")
    train.add_argument("--seed", type=int, default=0, help="for the initial weights, the batches and the data "
                                                           "(where random)")
    train.add_argument("--json", action="store_true", help="the training history as JSON")
    return parser


def _make_folder(path: str, csv: bool = False) -> None:
    """Create the folder an output file goes into, as ``demo -o`` does for its folder — once its suffix is one
    diffkit writes (checked first, so that a mistyped name leaves no new folder behind)."""
    from .draw.style import figure_format
    from .errors import BindingError

    if not csv:
        figure_format(path)
    elif not path or os.path.splitext(path)[1].lower() != ".csv":
        raise BindingError(f"{path!r} must end in .csv")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)


def _sizes(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be whole numbers separated by commas, got {text!r}") from None


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class _Recipe:
    """How ``diffkit train`` trains on a dataset: the hidden layers and the defaults of the flags. The input and
    output layers come from the data (a class label: one output for two classes, else one per class)."""

    hidden: tuple[int, ...] = (16,)
    activation: str = "tanh"
    lr: float = 0.05
    epochs: int = 300
    batch_size: int | None = None  # None: full batch
    loss: str | None = None  # None: from the targets (cross-entropy for class labels, mean squared error else)
    l2: float = 0.0


# The lecture's networks; a dataset of diffkit.datasets.DATASETS not listed here trains with _Recipe()'s defaults.
_RECIPES = {
    "xor": _Recipe(hidden=(4,), lr=0.1, epochs=300),
    "encoder": _Recipe(hidden=(3,), activation="sigmoid", lr=0.05, epochs=2000, loss="binary_cross_entropy"),
    "sine": _Recipe(hidden=(32,), activation="relu", lr=0.01, epochs=2000),
    "moons": _Recipe(hidden=(16,), lr=0.05, epochs=300),
    "spirals": _Recipe(hidden=(32, 32), lr=0.02, epochs=1000),
    "digits": _Recipe(hidden=(128,), activation="relu", lr=3e-3, epochs=40, batch_size=64, l2=1e-4),
}


def _network(recipe: _Recipe, X: np.ndarray, y: np.ndarray) -> dict:
    """The MLP's arguments for this data: as many inputs as X has columns, outputs as the targets need."""
    if y.ndim == 1 and y.dtype.kind in "iu":  # class labels
        classes = int(y.max()) + 1
        outputs, loss = (1, "binary_cross_entropy") if classes == 2 else (classes, "cross_entropy")
    else:
        outputs, loss = (1 if y.ndim == 1 else y.shape[1]), "mse"
    return dict(sizes=[X.shape[1], *recipe.hidden, outputs], activation=recipe.activation,
                loss=recipe.loss or loss, l2=recipe.l2)


def _load(name: str, seed: int) -> tuple[np.ndarray, ...]:
    """A dataset by name; the seed goes to the datasets that draw random numbers (xor and encoder do not)."""
    from . import datasets

    takes_seed = "seed" in inspect.signature(datasets.DATASETS[name]).parameters
    return datasets.load(name, **({"seed": seed} if takes_seed else {}))


def _hessian(args) -> str:
    from .api import hessian

    r = hessian(args.expression, at=args.at, method=args.method)
    if args.json:
        return _json(_as_json(r))
    rows = [" ".join(f"{float(x):>14.8g}" for x in row) for row in np.asarray(r.hessian)]
    return "\n".join([f"Hessian by {args.method} ({', '.join(r.variables)}):", *rows, f"[{r.cost.summary()}]"])


def _jacobian(args) -> str:
    from .api import jacobian

    r = jacobian(list(args.expressions), at=args.at, method=args.method)
    if args.json:
        return _json(_as_json(r))
    rows = [" ".join(f"{float(x):>14.8g}" for x in row) for row in np.asarray(r.jacobian)]
    return "\n".join([f"Jacobian by {args.method} (rows: outputs; columns: {', '.join(r.variables)}):", *rows,
                      f"[{r.cost.summary()}]"])


def _graph(args) -> str:
    from .draw import draw
    from .errors import BindingError
    from .parse import parse

    graph = parse(args.expression)
    if args.show and args.at is None:
        raise BindingError(f"--show {args.show} needs the point: add --at, e.g. --at x=1,y=2")
    if _graph_format(args) == "dot":
        if args.show:
            raise BindingError(f"--show {args.show} writes numbers on a picture; DOT holds the structure only: "
                               "drop --show, or write a .png, .svg or .pdf")
        if args.output is None:
            return graph.to_dot()
        os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
        with open(args.output, "w", encoding="utf-8") as file:
            file.write(graph.to_dot() + "\n")
        return f"wrote {args.output}"
    wrt = args.wrt
    if args.show == "tangents" and wrt is None:
        if len(graph.variables) != 1:
            raise BindingError(f"--show tangents needs --wrt, one of: {', '.join(graph.variables)}")
        wrt = graph.variables[0]
    _make_folder(args.output)
    draw(graph, at=args.at, show=args.show, wrt=wrt, path=args.output)
    return f"wrote {args.output}"


_DOT_SUFFIXES = (".dot", ".gv")


def _graph_format(args) -> str:
    """What ``diffkit graph`` writes: --format, else what -o's suffix names; the two must agree."""
    from .draw.style import figure_format
    from .errors import BindingError

    if args.output is None:
        if args.format == "dot":
            return "dot"
        raise BindingError("give -o FILE for the picture (.png, .svg or .pdf), or --format dot for DOT text on "
                           "standard output")
    named = "dot" if os.path.splitext(args.output)[1].lower() in _DOT_SUFFIXES else None
    if named is None and args.format != "dot":
        try:
            named = figure_format(args.output)
        except BindingError:
            raise BindingError(f"-o {args.output!r} must end in .png, .svg or .pdf (a picture) or .dot or .gv (DOT "
                               "text)") from None
    if args.format not in (None, named):
        wanted = ".dot or .gv" if args.format == "dot" else f".{args.format}"
        raise BindingError(f"--format {args.format} does not match -o {args.output!r}: name the file {wanted}")
    return named


# The two studies that do not count a method's cost: one trains, one measures a network's layers. Each kind of
# study has flags of its own, refused by the others.
_STOCHASTIC = "stochastic_second_order"
_DEPTH = "activations_vs_depth"
_COST_FLAGS = {"sizes": "--sizes", "methods": "--methods", "y": "--y", "repeats": "--repeats", "csv": "--csv"}
_TRAINING_FLAGS = {"epochs": "--epochs", "batch_size": "--batch-size", "optimizers": "--optimizers"}
_DEPTH_FLAGS = {"depth": "--depth", "width": "--width", "activations": "--activations", "inits": "--inits",
                "normalizations": "--normalizations"}
_TAKES = {_STOCHASTIC: "--variant, --epochs, --batch-size, --optimizers, -o and --json",
          _DEPTH: "--variant, --depth, --width, --activations, --inits, --normalizations, -o and --json"}


def _study(args) -> str:
    _study_name(args.family)
    if args.family == _STOCHASTIC:
        _refuse(args, _COST_FLAGS, f"is for the cost families, not {_STOCHASTIC} (which takes {_TAKES[_STOCHASTIC]})")
        _refuse(args, _DEPTH_FLAGS, f"is for {_DEPTH}, not {_STOCHASTIC} (which takes {_TAKES[_STOCHASTIC]})")
        return _stochastic_study(args)
    if args.family == _DEPTH:
        _refuse(args, _COST_FLAGS, f"is for the cost families, not {_DEPTH} (which takes {_TAKES[_DEPTH]})")
        _refuse(args, _TRAINING_FLAGS, f"is for {_STOCHASTIC}, not {_DEPTH} (which takes {_TAKES[_DEPTH]})")
        return _depth_study(args)
    takes = "--sizes, --methods, --variant, --y, --repeats, -o, --csv and --json"
    _refuse(args, _TRAINING_FLAGS, f"is for {_STOCHASTIC}, not the cost family {args.family} (which takes {takes})")
    _refuse(args, _DEPTH_FLAGS, f"is for {_DEPTH}, not the cost family {args.family} (which takes {takes})")
    return _cost_study(args)


def _study_name(name: str) -> None:
    """Refuse a name that is neither a cost family nor the stochastic study, naming both kinds."""
    from . import options as check
    from . import studies

    known = [*studies.FAMILIES, _STOCHASTIC, _DEPTH]
    if name not in known:
        raise check.OptionError(f"unknown study family {check.shown(name)}{check.suggestion(name, known)}; choose "
                                f"one of {', '.join(known)}")


def _refuse(args, flags: dict[str, str], reason: str) -> None:
    """Raise for the first of ``flags`` (attribute -> flag) that was given: it does not apply to this study."""
    from .errors import BindingError

    for attribute, flag in flags.items():
        if getattr(args, attribute) is not None:
            raise BindingError(f"{flag} {reason}")


def _cost_study(args) -> str:
    from . import studies
    from .api import METHODS
    from .studies.runner import FIT_METRICS, METRICS, check_metric

    y = "flops" if args.y is None else args.y
    # Before the study runs: a wrong figure or file name should not cost a study.
    check_metric(y, METRICS if args.output else FIT_METRICS)
    # "is not None": an empty -o '' or --methods '' is refused, not taken as "no plot" or "all methods".
    if args.output is not None:
        _make_folder(args.output)
    if args.csv is not None:
        _make_folder(args.csv, csv=True)
    methods = METHODS if args.methods is None else args.methods
    result = studies.run(args.family, sizes=args.sizes, methods=methods,
                         repeats=3 if args.repeats is None else args.repeats, variant=args.variant,
                         progress=sys.stderr.isatty())
    lines = [_json({"rows": result.rows, "fits": studies.fits(result, y)}) if args.json
             else studies.report(result, y=y)]
    if args.output:
        studies.plot(result, y=y, path=args.output)
        lines.append(f"wrote {args.output}")
    if args.csv:
        result.to_csv(args.csv)
        lines.append(f"wrote {args.csv}")
    return "\n".join(lines)


def _stochastic_study(args) -> str:
    """``diffkit study stochastic_second_order``: the flags checked in their own words, then the study; the
    defaults are the library's (only the flags given are passed on)."""
    from . import options as check
    from .studies import stochastic

    given = {}
    if args.variant is not None:
        given["problem"] = check.choice("--variant", args.variant, stochastic.PROBLEMS)
    if args.epochs is not None:
        given["epochs"] = check.positive_int("--epochs", args.epochs, high=stochastic.MAX_EPOCHS)
    if args.batch_size is not None:
        given["batch_size"] = check.positive_int("--batch-size", args.batch_size)
    if args.optimizers is not None:
        given["optimizers"] = _choices("--optimizers", args.optimizers, stochastic.OPTIMIZERS)
    if args.output is not None:  # a wrong figure name should not cost a study
        _make_folder(args.output)
    try:
        study = stochastic.stochastic_second_order(**given)
    except check.OptionError as exc:  # the one option checked against the data (its size), in the flag's words
        if not str(exc).startswith("batch_size "):
            raise
        raise check.OptionError("--batch-size " + str(exc).removeprefix("batch_size ")) from None
    refused = [{"optimizer": name, "batch": batch, "reason": reason} for (name, batch), reason in study.refused.items()]
    lines = [_json({"problem": study.problem, "parameters": study.parameters, "rows": study.rows,
                    "refused": refused}) if args.json else stochastic.report(study)]
    if args.output:
        stochastic.plot(study, path=args.output)
        lines.append(f"wrote {args.output}")
    return "\n".join(lines)


def _depth_study(args) -> str:
    """``diffkit study activations_vs_depth``: the flags checked in their own words, then the study (only the
    flags given are passed on: the defaults are the library's)."""
    from . import options as check
    from .studies import depth

    given = {}
    if args.variant is not None:
        given["data"] = check.choice("--variant", args.variant, depth.DATA)
    if args.depth is not None:
        given["depth"] = check.positive_int("--depth", args.depth, high=depth.MAX_DEPTH)
    if args.width is not None:
        given["width"] = check.positive_int("--width", args.width, high=depth.MAX_WIDTH)
    for attribute, known in (("activations", depth.ACTIVATIONS), ("inits", depth.INITS),
                             ("normalizations", depth.NORMALIZATIONS)):
        if getattr(args, attribute) is not None:
            given[attribute] = _choices(f"--{attribute}", getattr(args, attribute), known)
    if args.output is not None:  # a wrong figure name should not cost a study
        _make_folder(args.output)
    study = depth.activations_vs_depth(**given)
    lines = [_json({"depth": study.depth, "width": study.width, "data": study.data, "samples": study.samples,
                    "seed": study.seed, "rows": study.rows}) if args.json else depth.report(study)]
    if args.output:
        depth.plot(study, path=args.output)
        lines.append(f"wrote {args.output}")
    return "\n".join(lines)


def _choices(flag: str, names: tuple[str, ...], known: tuple[str, ...]) -> tuple[str, ...]:
    """A list flag as given (``_names`` split it): at least one name, each known, none twice."""
    from . import options as check

    if not names:  # "--optimizers ''" would otherwise mean every optimizer
        raise check.OptionError(f"{flag} names none: give some of {','.join(known)}, or leave it out for the "
                                "default")
    for name in names:
        check.choice(flag.removeprefix("--").removesuffix("s").replace("-", " "), name, known)
    twice = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if twice:
        raise check.OptionError(f"{flag} names {twice[0]} twice")
    return names


def _train(args) -> str:
    from . import nn, optim
    from .errors import BindingError, ResourceError
    from .limits import amount

    recipe = _RECIPES.get(args.dataset, _Recipe())
    newton = args.optimizer == "newton"
    if args.damping is not None and not newton:
        raise BindingError("--damping is for --optimizer newton")
    lr = (1.0 if newton else recipe.lr) if args.lr is None else args.lr  # Newton's natural step is the whole step
    epochs = recipe.epochs if args.epochs is None else args.epochs
    batch = recipe.batch_size
    if not (np.isfinite(lr) and lr > 0):
        raise BindingError(f"--lr must be a positive number, got {lr}")
    # The flags are checked before the data is loaded: the library would say "seed=", not "--seed".
    if args.seed < 0:
        raise BindingError(f"--seed must be a whole number >= 0, got {args.seed}")
    if epochs < 1:
        raise BindingError(f"--epochs must be a positive whole number, got {epochs}")
    data = _load(args.dataset, args.seed)
    X, y = data[:2]
    validation = data[2:] if len(data) == 4 else None  # digits: a train and a test set
    net = nn.MLP(**_network(recipe, X, y), seed=args.seed)
    hyper = {"damping": 0.1 if args.damping is None else args.damping} if newton else {}
    optimizer = optim.by_name(args.optimizer, lr=lr, **hyper)
    try:
        history = nn.train(net, X, y, optimizer=optimizer, epochs=epochs, batch_size=batch, validation=validation,
                           seed=args.seed, progress=sys.stderr.isatty())
    except nn.DivergenceError as exc:  # its advice, in the flag's words
        raise nn.DivergenceError(str(exc).replace(" lr=", " --lr "), exc.epoch, exc.batch, exc.loss) from None
    except ResourceError as exc:
        raise ResourceError(str(exc).replace(f"{amount(epochs)} epochs", f"--epochs {amount(epochs)}")) from None
    if args.json:
        return _json({"network": str(net), "optimizer": str(optimizer), "epochs": epochs, "steps": history.steps,
                           "loss": history.loss, "accuracy": history.accuracy, "val_loss": history.val_loss,
                           "val_accuracy": history.val_accuracy, "seconds": sum(history.seconds)})
    lines = [f"{net}", f"{optimizer}, {epochs} epochs, {history.steps} steps, "
                       f"{sum(history.seconds):.2f} s: loss {history.loss[-1]:.6g}"]
    if history.accuracy:
        lines.append(f"training accuracy {history.accuracy[-1]:.4f}")
    if history.val_accuracy:
        lines.append(f"test accuracy {history.val_accuracy[-1]:.4f}")
    if args.dataset == "sine":
        lines.append(f"largest error on [-pi, pi]: {float(np.max(np.abs(net.forward(X) - y))):.4g}")
    return "\n".join(lines)


def _crosscheck(args) -> str:
    from . import options as check
    from .crosscheck import crosscheck

    worst = check.positive_int("--worst", args.worst)
    expressions = _expression_lines(args.file)
    if args.output is not None:
        if os.path.splitext(args.output)[1].lower() != ".jsonl":
            raise check.OptionError(f"-o {args.output!r} must end in .jsonl (the results, one JSON record a line)")
        if os.path.abspath(args.output) == os.path.abspath(args.file):
            raise check.OptionError("-o names the expressions' own file: give another file for the results")
    client = _scheduler(args.scheduler) if args.scheduler is not None else None
    try:
        result = crosscheck(expressions, at=args.at, client=client, out=args.output, progress=sys.stderr.isatty())
    finally:
        if client is not None:
            client.close()
    lines = [_json({"expressions": len(expressions), "at": result.at, "counts": result.counts,
                    "worst": result.worst(worst), "lost": result.lost}) if args.json else result.report(worst)]
    if args.output:
        lines.append(f"wrote {args.output}")
    return "\n".join(lines)


def _expression_lines(path: str) -> list[str]:
    """The expressions of a crosscheck file: one a line, blank lines and lines starting with # left out."""
    from .errors import BindingError

    if not os.path.isfile(path):
        raise BindingError(f"no file {path!r}: give a text file with one expression a line")
    try:
        with open(path, encoding="utf-8") as file:
            lines = [line.strip() for line in file]
    except UnicodeDecodeError:
        raise BindingError(f"{path!r} is not UTF-8 text: give a text file with one expression a line") from None
    expressions = [line for line in lines if line and not line.startswith("#")]
    if not expressions:
        raise BindingError(f"{path!r} holds no expressions (one a line; blank lines and # comments are skipped)")
    return expressions


_CONNECT_SECONDS = 10  # how long --scheduler waits for the scheduler to answer


def _scheduler(address: str):
    """A client of the Dask scheduler at ``address``; a clear error when dask is missing or nothing answers."""
    from .errors import BindingError

    port = re.fullmatch(r"(?:(?:tcp|tls)://)?[\w.\-\[\]:]+:(\d{1,5})", address)
    if port is None or not 0 < int(port.group(1)) < 65536:
        raise BindingError(f"--scheduler {address!r} is not a scheduler's address: give host:port, e.g. "
                           "tcp://127.0.0.1:8786 (what `dask scheduler` prints)")
    try:
        from distributed import Client
    except ImportError:
        raise BindingError("--scheduler needs dask's distributed scheduler: pip install 'diffkit[distributed]'") \
            from None
    try:
        return Client(address, timeout=_CONNECT_SECONDS)
    except (OSError, TimeoutError) as exc:
        raise BindingError(f"no Dask scheduler answered at {address} within {_CONNECT_SECONDS} s "
                           f"({type(exc).__name__}): start one with `dask scheduler`, or leave --scheduler out "
                           "to run here") from None


def _diff(args) -> str:
    from .api import METHODS, derivative, gradient
    from .compare import compare
    from .errors import BindingError
    from .parse import parse

    graph = parse(args.expression)  # once, for every method
    if args.wrt is not None and not _names(args.wrt):  # "--wrt ''" would otherwise mean every variable
        raise BindingError(f"--wrt names no variable ({args.wrt!r}): give one or more, e.g. --wrt x or --wrt x,y, "
                           "or leave --wrt out for all of them")
    methods = METHODS if args.method == "all" else (args.method,)
    skipped = {}
    if args.order != 1:
        if args.method == "all" and args.order > 2:
            methods = tuple(m for m in METHODS if m != "numeric")
            skipped["numeric"] = "finite differences stop at order 2"
        results = {m: derivative(graph, wrt=args.wrt, order=args.order, at=args.at, method=m) for m in methods}
    else:
        wrt = _names(args.wrt) if args.wrt else None
        if args.method == "all":  # the table and the JSON both come from one comparison
            comparison = compare(graph, at=args.at, wrt=wrt)
            return _json(_comparison_json(comparison)) if args.json else str(comparison)
        results = {m: gradient(graph, at=args.at, method=m, wrt=wrt) for m in methods}
    if args.json:
        first = next(iter(results.values()))
        return _json({"expression": str(graph), "at": args.at, "variables": list(first.variables),
                      "order": args.order, "value": first.value,
                      **{m: _as_json(r) for m, r in results.items()}, "skipped": skipped})
    lines = []
    for m, r in results.items():
        lines.append(f"{m:<9} value {r.value:.10g}  derivative {_text(r.derivative)}  [{r.cost.summary()}]")
    return "\n".join(lines + [f"{m:<9} skipped: {reason}" for m, reason in skipped.items()])


def _comparison_json(comparison) -> dict:
    """Every fact of the comparison table: the point, the variables in order, each method's answer and cost (or
    why it has none), the discrepancies between methods and the findings; keys are the same for every request.

    The methods are top-level keys (``data["reverse"]["derivative"]``), as for a single ``--method``."""
    answered = list(comparison.results.values())
    pair, worst = comparison.largest_discrepancy
    methods = {m: _as_json(r) for m, r in comparison.results.items()}
    for m, failure in comparison.failures.items():
        methods[m] = {"failure": "cut off" if failure.cut_off else "failed", "reason": failure.reason,
                      "cost": _cost_json(failure.cost) if failure.cost is not None else None}
    return {
        "expression": comparison.expression,
        "at": comparison.at,
        "variables": list(answered[0].variables) if answered else [],
        "order": 1,
        "value": answered[0].value if answered else None,
        **{m: methods[m] for m in comparison._methods()},
        "discrepancies": [{"methods": list(p), "relative": d} for p, d in comparison.discrepancies.items()],
        "largest_discrepancy": {"methods": list(pair), "relative": worst} if pair is not None else None,
        "findings": [{"method": f.method, "discrepancy": f.discrepancy, "causes": list(f.causes), "text": str(f)}
                     for f in comparison.findings],
    }


def _text(x) -> str:
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}: {float(v):.10g}" for k, v in x.items()) + "}"
    return f"{float(x):.10g}"


def _json(data) -> str:
    """Strict JSON (what jq and other parsers accept): NumPy values as lists and numbers, nan and ±inf as null."""
    return json.dumps(_finite(data), indent=2, allow_nan=False)


def _finite(x):
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    if isinstance(x, np.ndarray | np.generic):
        return _finite(x.tolist())
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x


def _as_json(result) -> dict:
    """A result's answer, cost and diagnostics, for ``_json`` (which turns NumPy values into lists and numbers);
    the numeric method's own error estimate too, when it made one."""
    data = {"value": result.value, "derivative": result.derivative, "cost": _cost_json(result.cost),
            "diagnostics": list(result.diagnostics)}
    if result.error_estimate is not None:
        data["error_estimate"] = result.error_estimate
    return data


def _cost_json(c) -> dict:
    return {"operations": c.operations, "total_operations": c.total_operations, "flops": c.flops,
            "forward_sweeps": c.forward_sweeps, "backward_sweeps": c.backward_sweeps,
            "evaluations": c.evaluations, "memory_bytes": c.memory_bytes, "seconds": c.seconds}


def _in_flags(message: str) -> str:
    """The library's messages speak Python (``wrt=``, ``method='forward'``); on the command line, say the flags."""
    message = re.sub(r"\bmethod='(\w+)'", r"--method \1", message)
    message = re.sub(r"\bwrt=\s*", "--wrt ", message)
    return re.sub(r"\bat=\{[^}]*\}", "--at name=value,...", message)


def _warn_on_one_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"diffkit: warning: {_in_flags(str(message))}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, 2 for an error, 130 when interrupted with Ctrl-C)."""
    try:
        parser = _parser()
        args = parser.parse_args(argv)
        with warnings.catch_warnings():
            warnings.showwarning = _warn_on_one_line  # not the library's file and line: the user did not write them
            return _run(args)
    except KeyboardInterrupt:  # Ctrl-C: one line and the shell's status for SIGINT (128 + 2), not a traceback
        print("diffkit: interrupted", file=sys.stderr)
        return 130


def _printable(text: str) -> str:
    """``text`` with control characters written as escapes (a name holding a carriage return or an escape
    sequence, typed by the user and quoted in a message, must not break the line or drive the terminal)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _error_lines(exc: DiffkitError) -> tuple[str, list[str]]:
    """An error as the CLI prints it: one line, plus, for a parse error, the expression and a caret under the
    token (two more lines, only when the expression prints on one line as typed)."""
    if isinstance(exc, ParseError) and exc.column is not None and exc.text is not None and \
            len(str(exc).splitlines()) == 3 and exc.text.isprintable():
        return _printable(exc.reason), str(exc).splitlines()[1:]
    # Lines a message was written in (none are, today) joined; a "\r" or other control character is escaped.
    return _printable(" ".join(str(exc).split("\n")) or type(exc).__name__), []


def _run(args) -> int:
    try:
        if args.command == "demo":
            from .demo import run

            run(directory=args.output)
        else:
            print({"diff": _diff, "hessian": _hessian, "jacobian": _jacobian, "graph": _graph, "study": _study,
                   "train": _train, "crosscheck": _crosscheck}[args.command](args))
    except DiffkitError as exc:
        first_line, detail = _error_lines(exc)
        first_line = _in_flags(first_line)
        if first_line.startswith("no value given") and args.command != "demo":
            first_line += "; give values with --at, e.g. --at x=1,y=2"
        print(f"diffkit: error: {first_line}", file=sys.stderr)
        for line in detail:
            print(line, file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`diffkit demo | head`): stop quietly, as Unix tools do
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 — Python flushes stdout at exit; give it somewhere
        return 0
    except OSError as exc:  # a file could not be written (a missing folder, no permission, a full disk)
        print(f"diffkit: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    return 0
