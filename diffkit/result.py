"""The record every differentiation call returns: value, derivative, method and cost."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cost import Cost
from .errors import DiffkitError
from .text import html_table


@dataclass
class Result:
    """What a method computed, and what it cost.

    ``kind`` says what ``derivative`` holds:

    * ``"gradient"``   -> {variable: ∂f/∂variable} (floats, or arrays of the batch's shape),
    * ``"jacobian"``   -> array of shape (outputs, variables[, *batch]),
    * ``"hessian"``    -> array of shape (variables, variables[, *batch]),
    * ``"derivative"`` -> dⁿf/dxⁿ, a float or a batch array,
    * ``"jvp"``        -> J·v, one entry per output (a float/array, or a tuple for several outputs),
    * ``"vjp"``        -> {variable: (uᵀJ)_variable}.

    ``result.gradient``, ``.jacobian``, ``.hessian`` read ``derivative`` by its kind (and say so if it holds
    another); ``result["x1"]`` reads one variable's entry of a gradient.

    Attributes:
        method: the method that computed it.
        kind: what ``derivative`` holds (above).
        value: f at the point (a tuple for several outputs).
        derivative: the answer.
        cost: what computing it took: a ``Cost``.
        variables: the variables differentiated by, in order (the columns of a Jacobian or Hessian).
        outputs: the outputs' names.
        error_estimate: the numeric method's estimate of its absolute error, when asked for.
        diagnostics: floating-point trouble met on the way, named by primitive (a log of a negative, ...).
        details: method-specific figures (a derivative's order, ...).
    """

    method: str
    kind: str
    value: object
    derivative: object
    cost: Cost
    variables: tuple[str, ...]
    outputs: tuple[str, ...] = ("y",)
    error_estimate: object = None  # numeric method only: estimated absolute error of the derivative
    diagnostics: list[str] = field(default_factory=list)  # what went wrong numerically, by primitive
    details: dict = field(default_factory=dict)

    def _only(self, kind: str):
        if self.kind != kind:
            raise DiffkitError(f"this result holds a {self.kind}, not a {kind}; use .derivative")
        return self.derivative

    @property
    def gradient(self) -> dict:
        return self._only("gradient")

    @property
    def jacobian(self) -> np.ndarray:
        return self._only("jacobian")

    @property
    def hessian(self) -> np.ndarray:
        return self._only("hessian")

    @property
    def hvp(self) -> dict:
        """H·v, ``{variable: entry}`` (``dk.hvp``)."""
        return self._only("hvp")

    def __getitem__(self, name: str):
        """``result["W1"]``: one variable's entry of a gradient or vjp."""
        if not isinstance(self.derivative, dict):
            raise DiffkitError(f"this result holds a {self.kind}; index .derivative instead")
        if name not in self.derivative:
            raise DiffkitError(f"no derivative for {name!r}; this result has {', '.join(self.derivative)}")
        return self.derivative[name]

    def as_array(self) -> np.ndarray:
        """The derivative as one array (a gradient or vjp stacked in the order of ``variables``)."""
        if isinstance(self.derivative, dict):
            entries = [np.asarray(self.derivative[v], dtype=float) for v in self.variables]
            if len({e.shape for e in entries}) > 1:  # a tensor graph's parameters: one raveled vector
                return np.concatenate([e.ravel() for e in entries])
            return np.stack(entries)
        return np.asarray(self.derivative, dtype=float)

    def __repr__(self) -> str:
        return (
            f"Result(method={self.method!r}, kind={self.kind!r}, value={_short(self.value)}, "
            f"derivative={_short(self.derivative)}, cost=<{self.cost.summary()}>)"
        )

    def _repr_html_(self) -> str:
        """Jupyter shows a result as a small table: the value, each derivative entry, the cost."""
        if isinstance(self.derivative, dict):
            entries = [[f"d/d{name}", _one_line(value)] for name, value in self.derivative.items()]
        else:
            entries = [[self.kind, _one_line(self.derivative)]]
        rows = [["value", _one_line(self.value)], *entries, ["cost", self.cost.summary()]]
        return html_table(["", self.method], rows, caption=f"{self.kind} by the {self.method} method")


def _short(x) -> str:
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {_short(v)}" for k, v in x.items()) + "}"
    if isinstance(x, tuple):
        return "(" + ", ".join(_short(v) for v in x) + ")"
    array = np.asarray(x)
    if array.ndim == 0:
        return f"{float(array):.10g}"
    if array.size <= 6:
        return np.array2string(array, precision=6, separator=", ")
    return f"<array {array.shape}>"


def _one_line(x) -> str:
    """``_short`` on one line (a small matrix prints over several), for a table cell."""
    return " ".join(line.strip() for line in _short(x).splitlines())


@dataclass
class Computed:
    """What a method module hands back to the API before it is dressed as a Result.

    ``derivative`` entries that are ``None`` are identically zero (no path from the variable to the output).
    """

    value: object
    derivative: object
    cost: Cost
    error_estimate: object = None
    diagnostics: list[str] = field(default_factory=list)  # e.g. the numeric method's cancellation report


def _offsets(shapes: list[tuple]) -> list[int]:
    """Where each raveled variable starts in one vector of all entries (and where the last ends)."""
    offsets = [0]
    for shape in shapes:
        offsets.append(offsets[-1] + int(np.prod(shape)))
    return offsets


def split_blocks(matrix: np.ndarray, shapes: list[tuple]) -> list[list[np.ndarray]]:
    """A matrix over all entries of the variables (each raveled, in order) as blocks shaped shapes[i] + shapes[j]."""
    at = _offsets(shapes)
    return [[matrix[at[i]:at[i + 1], at[j]:at[j + 1]].reshape(a + b) for j, b in enumerate(shapes)]
            for i, a in enumerate(shapes)]


def split_vector(vector, shapes: list[tuple]) -> list[np.ndarray]:
    """A vector over all entries of the variables (each raveled, in order) as arrays shaped shapes[i]."""
    at, flat = _offsets(shapes), np.asarray(vector, dtype=np.float64)
    return [flat[at[i]:at[i + 1]].reshape(shape) for i, shape in enumerate(shapes)]


def join_blocks(blocks: list[list], shapes: list[tuple]) -> np.ndarray:
    """The inverse of ``split_blocks``: one matrix over all entries (zeros where a block is None)."""
    at = _offsets(shapes)
    matrix = np.zeros((at[-1], at[-1]))
    for i, row in enumerate(blocks):
        for j, block in enumerate(row):
            if block is not None:
                matrix[at[i]:at[i + 1], at[j]:at[j + 1]] = np.reshape(block, (at[i + 1] - at[i], at[j + 1] - at[j]))
    return matrix
