"""Gradient-based optimizers on parameter dicts, learning-rate schedules, and ``minimize`` for an expression.

Every optimizer works on a dict of parameters ``{name: float or np.ndarray}`` and a dict of gradients with the
same names and shapes, and returns a *new* dict: the arrays passed in are never modified:

    >>> import diffkit as dk
    >>> from diffkit.optim import Adam
    >>> params, opt = {"x": 3.0, "y": -1.0}, Adam(lr=0.1)
    >>> for _ in range(200):
    ...     grads = dk.gradient("x**2 + 10*y**2", at=params).gradient
    ...     params = opt.step(params, grads)
    >>> abs(params["x"]) < 1e-3 and abs(params["y"]) < 1e-3    # the minimum (0, 0)
    True

An optimizer keeps its own state (velocities, accumulators, step counts) keyed by parameter name; ``reset()``
forgets it, so one optimizer object can be reused on a new problem.

The updates, with γ the (scheduled) learning rate and g = ∇L at the current parameters:

| optimizer | update |
| --- | --- |
| ``GD``/``SGD`` | θ ← θ − γg |
| ``Momentum`` | Δθ ← αΔθ − γg,  θ ← θ + Δθ |
| ``Nesterov`` | the same, with the gradient taken at the look-ahead point θ + αΔθ (see ``Nesterov``) |
| ``AdaGrad`` | G ← G + g²,  θ ← θ − γ g / (√G + ε) |
| ``RMSProp`` | S ← ρS + (1 − ρ)g²,  θ ← θ − γ g / (√S + ε) |
| ``Adam`` | m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,  θ ← θ − γ m̂ / (√v̂ + ε)  (bias-corrected m̂, v̂) |
| ``Newton`` | θ ← θ − γ (H + μI)⁻¹ g  (with Levenberg-style damping where H is not positive definite) |

``weight_decay=λ`` (every optimizer) is *decoupled* weight decay, applied once in the base class:
θ ← (1 − γλ)θ + (the optimizer's own step), i.e. θ ← (1 − γλ)θ − γg for gradient descent — the weight-decay
formula of the lecture notes, and AdamW's rule for Adam.

Non-finite gradients (nan, ±inf) are not refused: they pass through the update, so the parameters (and, for
the stateful optimizers, their state) become non-finite too — check your loss, or ``reset()`` after one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from . import options as check
from .errors import BindingError, MethodError
from .keywords import checked_keywords, suggestion
from .limits import amount, check_memory
from .names import VariableDict, keyed, symbols_given
from .names import by_name as variables_by_name

__all__ = [
    "GD", "OPTIMIZERS", "SGD", "AdaGrad", "Adam", "AdamW", "Constant", "Cosine", "InverseTime", "Momentum",
    "Nesterov", "Newton", "Optimizer", "RMSProp", "StepDecay", "Trajectory", "by_name", "constant", "cosine",
    "inverse_time", "minimize", "step_decay",
]


# --- checking arguments -----------------------------------------------------------------------------------------

# Each is ``diffkit.options``' checker with this module's wording: first the type (a real number: not a bool, a
# string, nan, or a whole number beyond float64 such as 10**400), then the range; both raise an OptionError (a
# BindingError).

def _real(value, what: str) -> float:
    """A real number (not a bool, not nan), as a float."""
    return check.number(what, value, finite=False, what="a real number")


def _positive(value, what: str) -> float:
    return check.positive(what, _real(value, what))


def _non_negative(value, what: str) -> float:
    return check.number(what, _real(value, what), low=0, what="a finite number >= 0")


def _fraction(value, what: str) -> float:
    """A number in [0, 1): a momentum, a beta, a decay rate."""
    return check.number(what, _real(value, what), low=0, high=1, high_open=True, what="in [0, 1)")


def _whole(value, what: str, low: int) -> int:
    return check.number(what, value, low=low, integer=True, what=f"a whole number >= {low}")


def _as_array(value, what: str) -> np.ndarray:
    """A parameter or gradient as a float array (a copy is not made here; nothing writes to it)."""
    if isinstance(value, bool | str | bytes) or value is None:
        raise BindingError(f"{what} must be a number or an array of numbers, got {value!r}")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a whole number past float64, 10**400
        raise BindingError(f"{what} must be a number or an array of numbers (within float64's range), got "
                           f"{check.shown(value)}") from None
    return array


# --- learning-rate schedules ------------------------------------------------------------------------------------

class Schedule:
    """A learning-rate schedule: ``schedule(t)`` is the multiplier of the base rate at step t = 1, 2, ...

    Any callable ``t -> multiplier`` works as a schedule; these classes add a readable ``repr``.
    """

    def __call__(self, t: int) -> float:  # pragma: no cover - overridden
        raise NotImplementedError


class Constant(Schedule):
    """γ_t = γ₀: the multiplier is 1 at every step."""

    def __call__(self, t: int) -> float:
        return 1.0

    def __repr__(self) -> str:
        return "constant()"


class StepDecay(Schedule):
    """γ_t = γ₀ · factor^⌊(t − 1) / every⌋: steps 1..every use γ₀, the next ``every`` steps γ₀·factor, ..."""

    def __init__(self, every: int, factor: float = 0.5):
        self.every = _whole(every, "step_decay: every", 1)
        self.factor = _positive(factor, "step_decay: factor")

    def __call__(self, t: int) -> float:
        return self.factor ** ((t - 1) // self.every)

    def __repr__(self) -> str:
        return f"step_decay(every={self.every}, factor={self.factor!r})"


class InverseTime(Schedule):
    """γ_t = γ₀ / (1 + decay·(t − 1)): γ₀ at the first step, then decaying like 1/t.

    With ``decay=1`` this is exactly the lecture's γ₀/t (steps count from t = 1); the ``t − 1`` makes every
    decay rate start at γ₀, and a smaller ``decay`` stretches the same 1/t shape over more steps.
    """

    def __init__(self, decay: float = 1.0):
        self.decay = _non_negative(decay, "inverse_time: decay")

    def __call__(self, t: int) -> float:
        return 1.0 / (1.0 + self.decay * (t - 1))

    def __repr__(self) -> str:
        return f"inverse_time(decay={self.decay!r})"


class Cosine(Schedule):
    """Cosine annealing from γ₀ to floor·γ₀ over ``total`` steps, then floor·γ₀ (PyTorch's convention).

    multiplier(t) = floor + (1 − floor)·(1 + cos(π·min(t − 1, total)/total))/2: 1 at t = 1, ``floor`` from
    t = total + 1 on (so all ``total`` steps of a run get a non-zero rate when floor = 0). ``floor`` is a
    fraction of the base rate, in [0, 1].
    """

    def __init__(self, total: int, floor: float = 0.0):
        self.total = _whole(total, "cosine: total", 1)
        self.floor = _non_negative(floor, "cosine: floor")
        if self.floor > 1:
            raise BindingError(f"cosine: floor is a fraction of the base rate, in [0, 1], got {floor!r}")

    def __call__(self, t: int) -> float:
        progress = min(t - 1, self.total) / self.total
        return self.floor + (1.0 - self.floor) * (1.0 + math.cos(math.pi * progress)) / 2.0

    def __repr__(self) -> str:
        return f"cosine(total={self.total}, floor={self.floor!r})"


def constant() -> Constant:
    """The constant schedule (multiplier 1)."""
    return Constant()


def step_decay(every: int, factor: float = 0.5) -> StepDecay:
    """Multiply the rate by ``factor`` every ``every`` steps."""
    return StepDecay(every, factor)


def inverse_time(decay: float = 1.0) -> InverseTime:
    """γ₀ / (1 + decay·(t − 1)); decay = 1 is γ₀/t."""
    return InverseTime(decay)


def cosine(total: int, floor: float = 0.0) -> Cosine:
    """Cosine annealing from γ₀ down to floor·γ₀ over ``total`` steps."""
    return Cosine(total, floor)


# --- the optimizers -----------------------------------------------------------------------------------------------

class Optimizer:
    """Base class: checks the arguments, keeps the step count, applies the schedule and the weight decay.

    ``step(params, grads, hessian=None)`` returns the new parameters as a new dict (floats stay floats, arrays
    come back as new arrays of the same shape). ``grads`` must have exactly the names of ``params`` and each
    gradient the shape of its parameter. ``hessian`` is used by ``Newton`` only (``needs_hessian``) and
    ignored by the others.

    ``t`` counts the steps taken (0 before the first; the first step is t = 1); ``lr_at(t)`` is the rate used
    at step t. ``state`` maps each parameter name to that parameter's state (arrays of
    its shape, and Adam's per-parameter step count).
    """

    needs_hessian: bool = False

    def __init__(self, lr: float, schedule: Callable[[int], float] | None = None, weight_decay: float = 0.0):
        self.lr = _positive(lr, f"{type(self).__name__}: lr")
        if schedule is not None and not callable(schedule):
            raise BindingError(f"{type(self).__name__}: schedule must be a callable t -> multiplier, got "
                               f"{schedule!r}")
        self.schedule = schedule if schedule is not None else Constant()
        self.weight_decay = _non_negative(weight_decay, f"{type(self).__name__}: weight_decay")
        self.t = 0
        self.state: dict[str, dict] = {}

    @property
    def name(self) -> str:
        return type(self).__name__

    def __copy__(self) -> Optimizer:
        """A copy that goes on independently: its own per-parameter state (a shallow copy would share the
        state's dicts, so stepping one optimizer would move the other's moments too)."""
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin.state = {name: dict(entry) for name, entry in self.state.items()}
        return twin

    def reset(self) -> None:
        """Forget the state and the step count, as if newly made."""
        self.t = 0
        self.state = {}

    def lr_at(self, t: int) -> float:
        """The learning rate at step t (t = 1 is the first step): ``lr * schedule(t)``."""
        t = _whole(t, "step t", 1)
        multiplier = self.schedule(t)
        try:
            multiplier = float(multiplier)
        except (TypeError, ValueError):
            raise BindingError(f"schedule {self.schedule!r} returned {multiplier!r} at t={t}, not a number") from None
        if not (math.isfinite(multiplier) and multiplier >= 0):
            raise BindingError(f"schedule {self.schedule!r} returned {multiplier!r} at t={t}; a learning-rate "
                               "multiplier must be finite and >= 0")
        return self.lr * multiplier

    # The public step: check, compute each parameter's change, apply weight decay, count.
    def step(self, params: Mapping, grads: Mapping, hessian=None) -> dict:
        """The new parameters after one step from ``params`` with gradients ``grads`` (both left untouched)."""
        names, values, gradients = self._check(params, grads)
        t = self.t + 1
        lr = self.lr_at(t)
        deltas = self._deltas(names, values, gradients, lr, hessian)
        shrink = 1.0 - lr * self.weight_decay
        out = {}
        for name in names:
            new = values[name] + deltas[name] if shrink == 1.0 else shrink * values[name] + deltas[name]
            out[name] = _like(params[name], new)
        self.t = t
        return out

    def _deltas(self, names, values: dict, gradients: dict, lr: float, hessian) -> dict:
        """The optimizer's own change of each parameter (before weight decay); updates ``state``."""
        return {name: self._delta(name, values[name], gradients[name], lr) for name in names}

    def _delta(self, name: str, value: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
        raise NotImplementedError

    def _slot(self, name: str, key: str, shape: tuple) -> np.ndarray:
        """State array ``key`` of parameter ``name`` (zeros at first)."""
        slots = self.state.setdefault(name, {})
        if key not in slots:
            slots[key] = np.zeros(shape)
        return slots[key]

    def _check(self, params, grads) -> tuple[list[str], dict, dict]:
        who = self.name
        if not isinstance(params, Mapping):
            raise BindingError(f"{who}.step: give params as a dict {{name: value}}, got {type(params).__name__}")
        if not isinstance(grads, Mapping):
            raise BindingError(f"{who}.step: give grads as a dict {{name: gradient}}, got {type(grads).__name__}")
        missing = [n for n in params if n not in grads]
        unknown = [n for n in grads if n not in params]
        if missing or unknown:
            differences = _differences(missing, "no gradient for", unknown, "gradient for unknown parameter(s)")
            raise BindingError(f"{who}.step: grads must have the same names as params: {differences}")
        names = list(params)
        values, gradients = {}, {}
        for name in names:
            value = _as_array(params[name], f"parameter {name!r}")
            grad = _as_array(grads[name], f"gradient of {name!r}")
            if grad.shape != value.shape:
                raise BindingError(f"{who}.step: gradient of {name!r} has shape {grad.shape}, but the parameter "
                                   f"has shape {value.shape}")
            for key, slot in self.state.get(name, {}).items():
                if isinstance(slot, np.ndarray) and slot.shape != value.shape:
                    raise BindingError(f"{who}.step: parameter {name!r} has shape {value.shape}, but the "
                                       f"optimizer's {key} for it has shape {np.shape(slot)}; call reset() to start "
                                       "a new problem")
            values[name], gradients[name] = value, grad
        return names, values, gradients

    def _hyper(self) -> str:
        return ""

    def __repr__(self) -> str:
        extra = self._hyper()
        decay = f", weight_decay={self.weight_decay!r}" if self.weight_decay else ""
        schedule = "" if isinstance(self.schedule, Constant) else f", schedule={self.schedule!r}"
        return f"{self.name}(lr={self.lr!r}{', ' + extra if extra else ''}{decay}{schedule})"


def _like(original, new: np.ndarray):
    """``new`` in the form of ``original``: a new array for an array, a float for a number."""
    if isinstance(original, np.ndarray):  # ``new`` is always a fresh result of arithmetic here: no copy needed
        return np.asarray(new, dtype=np.float64).reshape(original.shape)
    return float(new)


class GD(Optimizer):
    """Gradient descent: θ ← θ − γ∇L."""

    def _delta(self, name, value, grad, lr):
        return -lr * grad


class SGD(GD):
    """Stochastic gradient descent: the gradient-descent update θ ← θ − γ∇L, used with mini-batches.

    The update is ``GD``'s; what makes it stochastic is the gradient it is given — that of a random
    mini-batch of the data, which is what ``nn.train`` feeds it. On a plain expression it is GD exactly.
    """


class Momentum(Optimizer):
    """Gradient descent with momentum: Δθ ← αΔθ − γ∇L, θ ← θ + Δθ (Δθ = 0 before the first step).

    ``nesterov=True`` gives ``Nesterov``'s update.
    """

    def __init__(self, lr: float, momentum: float = 0.9, nesterov: bool = False, schedule=None,
                 weight_decay: float = 0.0):
        super().__init__(lr, schedule, weight_decay)
        self.momentum = _fraction(momentum, f"{self.name}: momentum")
        self.nesterov = check.flag(f"{self.name}: nesterov", nesterov)

    def _delta(self, name, value, grad, lr):
        velocity = self._slot(name, "velocity", value.shape)
        new_velocity = self.momentum * velocity - lr * grad
        self.state[name]["velocity"] = new_velocity
        if self.nesterov:
            return self.momentum * new_velocity - lr * grad
        return new_velocity

    def lookahead(self, params: Mapping) -> dict:
        """θ + αΔθ for each parameter, with the current velocity Δθ (θ itself before the first step).

        This is where the literal Nesterov method takes its gradient (see ``Nesterov``).
        """
        if not isinstance(params, Mapping):
            raise BindingError(f"{self.name}.lookahead: give params as a dict {{name: value}}")
        out = {}
        for name, original in params.items():
            value = _as_array(original, f"parameter {name!r}")
            velocity = self.state.get(name, {}).get("velocity")
            if velocity is None:
                out[name] = _like(original, value)
                continue
            if velocity.shape != value.shape:
                raise BindingError(f"{self.name}.lookahead: parameter {name!r} has shape {value.shape}, but its "
                                   f"velocity has shape {velocity.shape}")
            out[name] = _like(original, value + self.momentum * velocity)
        return out

    def _hyper(self) -> str:
        return f"momentum={self.momentum!r}" + (", nesterov=True" if self.nesterov and type(self) is Momentum else "")


class Nesterov(Momentum):
    """Nesterov's accelerated gradient, written so that it needs only the gradient at the current parameters.

    The lecture's (literal) form takes the gradient at the look-ahead point:

        Δθ ← αΔθ − γ∇L(θ + αΔθ),   θ ← θ + Δθ

    Writing φ = θ + αΔθ for the look-ahead point and substituting gives the same method in φ (Sutskever et al.
    2013; PyTorch's ``nesterov=True``):

        Δθ ← αΔθ − γ∇L(φ),   φ ← φ + αΔθ − γ∇L(φ)     (with the new Δθ)

    ``step(params, grads)`` performs this: ``params`` are the φ's and ``grads`` the gradient at them, so it
    plugs into any loop that computes the gradient at the current parameters. Its iterates are the literal
    form's look-ahead points, φ_t = θ_t + αΔθ_t (φ_0 = θ_0 as Δθ_0 = 0), and converge to the same minimum.

    For the literal form, hold θ, take the gradient at ``lookahead(θ)`` and pass it to ``literal_step(θ, g)``
    (the plain momentum update). Use one form or the other on one optimizer: they share the velocity.
    """

    def __init__(self, lr: float, momentum: float = 0.9, schedule=None, weight_decay: float = 0.0):
        super().__init__(lr, momentum, nesterov=True, schedule=schedule, weight_decay=weight_decay)

    def literal_step(self, params: Mapping, grads: Mapping) -> dict:
        """The literal form's step: Δθ ← αΔθ − γg, θ ← θ + Δθ, with g the gradient at ``lookahead(params)``."""
        self.nesterov = False
        try:
            return self.step(params, grads)
        finally:
            self.nesterov = True


class AdaGrad(Optimizer):
    """AdaGrad: G ← G + g², D = √G, θ ← θ − γ g / (D + ε) (per coordinate)."""

    def __init__(self, lr: float, eps: float = 1e-8, schedule=None, weight_decay: float = 0.0):
        super().__init__(lr, schedule, weight_decay)
        self.eps = _positive(eps, f"{self.name}: eps")

    def _delta(self, name, value, grad, lr):
        total = self._slot(name, "sum_squares", value.shape) + grad * grad
        self.state[name]["sum_squares"] = total
        return -lr * grad / (np.sqrt(total) + self.eps)

    def _hyper(self) -> str:
        return f"eps={self.eps!r}"


class RMSProp(Optimizer):
    """RMSProp: S ← ρS + (1 − ρ)g², θ ← θ − γ g / (√S + ε), with ρ = ``decay`` (S = 0 at first)."""

    def __init__(self, lr: float, decay: float = 0.9, eps: float = 1e-8, schedule=None, weight_decay: float = 0.0):
        super().__init__(lr, schedule, weight_decay)
        self.decay = _fraction(decay, f"{self.name}: decay")
        self.eps = _positive(eps, f"{self.name}: eps")

    def _delta(self, name, value, grad, lr):
        mean_square = self.decay * self._slot(name, "mean_square", value.shape) + (1 - self.decay) * grad * grad
        self.state[name]["mean_square"] = mean_square
        return -lr * grad / (np.sqrt(mean_square) + self.eps)

    def _hyper(self) -> str:
        return f"decay={self.decay!r}, eps={self.eps!r}"


class Adam(Optimizer):
    """Adam with bias correction (Kingma & Ba 2015):

        m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²,   m̂ = m/(1 − β₁ᵗ),   v̂ = v/(1 − β₂ᵗ)
        θ ← θ − γ m̂ / (√v̂ + ε)

    with t the number of steps this parameter has taken (1 at the first). The first step moves each
    coordinate by γ·|g|/(|g| + ε) ≈ γ. ``weight_decay`` is decoupled, as everywhere in this module — so
    ``Adam(weight_decay=λ)`` is AdamW; for the older L2 form (λθ added to the gradient) add λ‖θ‖²/2 to the loss.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.0, schedule=None):
        super().__init__(lr, schedule, weight_decay)
        self.beta1 = _fraction(beta1, f"{self.name}: beta1")
        self.beta2 = _fraction(beta2, f"{self.name}: beta2")
        self.eps = _positive(eps, f"{self.name}: eps")

    def _delta(self, name, value, grad, lr):
        m = self.beta1 * self._slot(name, "m", value.shape) + (1 - self.beta1) * grad
        v = self.beta2 * self._slot(name, "v", value.shape) + (1 - self.beta2) * grad * grad
        t = self.state[name].get("t", 0) + 1
        self.state[name].update(m=m, v=v, t=t)
        m_hat = m / (1 - self.beta1 ** t)
        v_hat = v / (1 - self.beta2 ** t)
        return -lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def _hyper(self) -> str:
        return f"beta1={self.beta1!r}, beta2={self.beta2!r}, eps={self.eps!r}"


class AdamW(Adam):
    """Adam with decoupled weight decay θ ← θ − γλθ applied beside the Adam step (Loshchilov & Hutter 2019).

    Identical to ``Adam(weight_decay=λ)`` here (diffkit's weight decay is always decoupled); the class exists
    for the familiar name and PyTorch's default λ = 0.01.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.01, schedule=None):
        super().__init__(lr, beta1, beta2, eps, weight_decay, schedule)


class Newton(Optimizer):
    """Newton's method: θ ← θ − γ (H + μI)⁻¹ ∇L, with Levenberg-style damping where it is needed.

    The Hessian is over all parameters flattened into one vector: each parameter ``ravel()``-ed, in the dict's
    insertion order, concatenated (the gradient likewise). Give it as ``step(params, grads, hessian=H)``, H of
    shape (n, n) with n the total number of parameter entries; it is symmetrised as (H + Hᵀ)/2.

    Plain Newton jumps to the stationary point of the local quadratic model, which is a maximum or a saddle
    where H is not positive definite: it can move uphill. So the step direction p = (H + μI)⁻¹g is first
    solved with the given ``damping`` μ, and if H + μI is singular or p is not a descent direction (gᵀp ≤ 0),
    μ is raised — starting at 1e-8·max|diag H| (1e-8 if the diagonal is zero), ×10 at a time — until H + μI is
    positive definite (its Cholesky factorisation succeeds) and p is a descent direction. The damping used in
    the last step is ``last_damping``. A large μ turns the step into gradient descent with rate γ/μ.

    On a quadratic with positive definite H, ``Newton(lr=1)`` reaches the minimum in one step. A zero
    gradient gives a zero step; a non-finite H or gradient gives a non-finite step.
    """

    needs_hessian = True
    MAX_DAMPING_TRIES = 60

    def __init__(self, lr: float = 1.0, damping: float = 0.0, schedule=None, weight_decay: float = 0.0):
        super().__init__(lr, schedule, weight_decay)
        self.damping = _non_negative(damping, f"{self.name}: damping")
        self.last_damping: float | None = None

    def reset(self) -> None:
        super().reset()
        self.last_damping = None

    def _deltas(self, names, values, gradients, lr, hessian):
        sizes = [values[name].size for name in names]
        n = sum(sizes)
        if hessian is None:
            raise BindingError(f"Newton.step needs the Hessian: step(params, grads, hessian=H) with H of shape "
                               f"({n}, {n})")
        H = _as_array(hessian, "the Hessian")
        if H.shape != (n, n):
            raise BindingError(f"Newton.step: the Hessian has shape {H.shape}, but the parameters have {n} entries "
                               f"in all, so it must be ({n}, {n}) (each parameter ravel()-ed, in dict order)")
        g = np.concatenate([gradients[name].ravel() for name in names]) if names else np.zeros(0)
        p, self.last_damping = self._direction((H + H.T) / 2, g)
        deltas, start = {}, 0
        for name, size in zip(names, sizes, strict=True):
            deltas[name] = (-lr * p[start:start + size]).reshape(values[name].shape)
            start += size
        return deltas

    def _direction(self, H: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, float]:
        """p with (H + μI)p = g and gᵀp > 0, and the μ used."""
        n = g.size
        mu = self.damping
        if n == 0 or not np.any(g):
            return np.zeros(n), mu
        if not (np.all(np.isfinite(H)) and np.all(np.isfinite(g))):
            return np.full(n, np.nan), mu
        eye = np.eye(n)
        try:
            p = np.linalg.solve(H + mu * eye, g)
            if np.all(np.isfinite(p)) and g @ p > 0:
                return p, mu
        except np.linalg.LinAlgError:
            pass
        scale = float(np.max(np.abs(np.diag(H))))
        mu = max(mu, 1e-8 * scale if scale > 0 else 1e-8)
        for _ in range(self.MAX_DAMPING_TRIES):
            try:
                factor = np.linalg.cholesky(H + mu * eye)
            except np.linalg.LinAlgError:
                mu *= 10
                continue
            p = np.linalg.solve(factor.T, np.linalg.solve(factor, g))
            if np.all(np.isfinite(p)) and g @ p > 0:
                return p, mu
            mu *= 10
        # Unreachable for finite H (μ exceeds ‖H‖ long before); fall back to a gradient step.
        return g / mu, mu

    def _hyper(self) -> str:
        return f"damping={self.damping!r}"


# --- minimizing an expression -------------------------------------------------------------------------------------

# Every optimizer by its name (lower case, as on the command line): ``diffkit train --optimizer`` offers these.
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "gd": GD, "sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": AdaGrad, "rmsprop": RMSProp,
    "adam": Adam, "adamw": AdamW, "newton": Newton,
}


def register_optimizers(**optimizers: type[Optimizer]) -> None:
    """Offer more optimizers by name (``diffkit.second_order`` registers L-BFGS and Newton-CG: they build on
    this module, so this module cannot import them)."""
    OPTIMIZERS.update(optimizers)


def by_name(name: str, **hyper) -> Optimizer:
    """A new optimizer from its name in ``OPTIMIZERS`` (any case: "adam", "AdamW"), e.g. ``by_name("adam",
    lr=0.1)``; ``hyper`` goes to its constructor."""
    key = name.lower() if isinstance(name, str) else None  # not a string (a list, an array): no optimizer's name
    if key not in OPTIMIZERS:
        close = suggestion(name.lower(), OPTIMIZERS) if isinstance(name, str) else ""
        raise check.OptionError(f"unknown optimizer {check.shown(name)}{close} (the optimizers: "
                                f"{', '.join(OPTIMIZERS)})")
    return OPTIMIZERS[key](**hyper)


@dataclass
class Trajectory:
    """The path of ``minimize``: one row per point visited, the start first.

    ``points`` has shape (steps + 1, n), columns in the order of ``variables`` (the graph's variables);
    ``values`` and ``gradient_norms`` (Euclidean) have one entry per point. ``converged`` says whether a
    stopping test (‖∇L‖ ≤ tol or ‖Δθ‖ ≤ tol) was met before the step budget ran out (or the values stopped
    being finite).
    """

    points: np.ndarray
    values: np.ndarray
    gradient_norms: np.ndarray
    variables: tuple[str, ...]
    converged: bool
    steps: int
    optimizer: str
    symbols: dict = field(default_factory=dict, repr=False, compare=False)  # {name: Symbol} the user keyed by

    @property
    def final(self) -> VariableDict:
        """The last point, {variable: value}, keyed as ``start`` named the variables (names or SymPy Symbols)."""
        return keyed({name: float(x) for name, x in zip(self.variables, self.points[-1], strict=True)}, self.symbols)

    @property
    def final_value(self) -> float:
        return float(self.values[-1])

    def __repr__(self) -> str:
        state = "converged" if self.converged else "not converged"
        return (f"Trajectory({self.optimizer}, {self.steps} steps, {state}, value {self.values[0]:.6g} -> "
                f"{self.values[-1]:.6g}, final {self.final})")


def _differences(missing: list, missing_text: str, unknown: list, unknown_text: str) -> str:
    """What two sets of names disagree on, for an error message: "missing a, b; unknown c"."""
    parts = [f"{missing_text} {', '.join(map(str, missing))}"] if missing else []
    if unknown:
        parts.append(f"{unknown_text} {', '.join(map(str, unknown))}")
    return "; ".join(parts)


@checked_keywords
def minimize(expr, start: Mapping, optimizer: Optimizer, steps: int = 100, tol: float = 1e-10,
             method: str = "reverse", **options) -> Trajectory:
    """Minimize a scalar expression (text, SymPy, Graph, function) from ``start`` with ``optimizer``.

    For ``second_order.GaussNewton`` and ``LevenbergMarquardt``, ``expr`` is the residuals instead (a list of
    expressions, or a graph with several or vector outputs), and the value minimized is ½‖r‖².

    Gradients come from ``dk.gradient(graph, at=point, method=method)``, Hessians (for optimizers that
    ``needs_hessian``) from ``dk.hessian``; ``options`` go to both (e.g. ``errors="ignore"``). It stops after
    ``steps`` steps, when ‖∇L‖ ≤ tol or ‖Δθ‖ ≤ tol (converged), or when the value or point stops being finite
    (diverged; not converged). ``start`` must give a real number for exactly the expression's variables. The
    optimizer is ``reset()`` first, so it can be reused.
    """
    from . import api
    from .convert import as_graph

    if not isinstance(optimizer, Optimizer):
        raise BindingError(f"minimize: optimizer must be a diffkit.optim.Optimizer (e.g. Adam(lr=0.1)), got "
                           f"{optimizer!r}")
    steps = _whole(steps, "minimize: steps", 0)
    tol = _non_negative(tol, "minimize: tol")
    residuals = getattr(optimizer, "needs_residuals", False)  # Gauss-Newton, Levenberg-Marquardt: ½‖r‖²
    graph = as_graph(expr)
    # The trajectory keeps a point, a value and a norm per step (Python floats in lists, ~32 bytes each): refuse
    # a step budget it could not hold before the first step (steps=10**400 would otherwise run until memory ends).
    check_memory(f"minimize for {amount(steps)} steps", 32 * (steps + 1) * (len(graph.variables) + 2),
                 "ask for fewer steps (a Trajectory keeps every point), or minimize in several calls")
    if not graph.is_scalar_output and not residuals:
        raise MethodError(f"minimize needs a single output; this expression has {len(graph.outputs)} (a list of "
                          "residuals is minimized as ½‖r‖² by second_order.GaussNewton or LevenbergMarquardt)")
    variables = tuple(graph.variables)
    if not variables:
        raise BindingError("minimize: the expression has no variables to optimize")
    if not isinstance(start, Mapping):
        raise BindingError(f"minimize: give start as a dict {{variable: value}} for {', '.join(variables)}")
    symbols = symbols_given(start)
    start = variables_by_name(start, "minimize: start")  # a SymPy Symbol stands for its name, as in every verb
    missing = [v for v in variables if v not in start]
    unknown = [k for k in start if k not in variables]
    if missing or unknown:
        raise BindingError(f"minimize: start must give exactly the variables {', '.join(variables)}; "
                           f"{_differences(missing, 'missing', unknown, 'not variables of the expression:')}")
    point = {}
    for v in variables:
        x = np.asarray(_as_array(start[v], f"start value of {v!r}"))
        if x.ndim != 0:
            raise BindingError(f"minimize: start value of {v!r} must be a single number, got shape {x.shape}")
        if not np.isfinite(x):
            raise BindingError(f"minimize: start value of {v!r} must be finite, got {float(x)}")
        point[v] = float(x)

    searching = getattr(optimizer, "needs_oracle", False)
    oracle = None
    if searching:  # L-BFGS, Newton-CG: they evaluate trial points and ask for H·v themselves
        from .oracle import Oracle, ResidualOracle

        oracle = ResidualOracle(graph, **options) if residuals else Oracle(graph, method=method, **options)

    def evaluate(at: dict) -> tuple[float, dict, float]:
        if oracle is not None:  # the oracle remembers the point its line search accepted: no second gradient
            value, gradient = oracle.value_and_grad(at)
        else:
            result = api.gradient(graph, at=at, method=method, **options)
            value, gradient = result.value, result.gradient
        grads = {v: float(gradient[v]) for v in variables}
        return float(value), grads, math.hypot(*(grads[v] for v in variables))

    optimizer.reset()
    value, grads, norm = evaluate(point)
    points, values, norms = [[point[v] for v in variables]], [value], [norm]
    converged = norm <= tol
    taken = 0
    while not converged and taken < steps and math.isfinite(value):
        if searching:
            new = optimizer.step(point, grads, oracle=oracle)
        else:
            hessian = (api.hessian(graph, at=point, method=method, **options).hessian if optimizer.needs_hessian
                       else None)
            new = optimizer.step(point, grads, hessian=hessian)
        taken += 1
        move = math.hypot(*(new[v] - point[v] for v in variables))
        point = new
        coords = [point[v] for v in variables]
        if not all(math.isfinite(x) for x in coords):
            value, norm = math.nan, math.nan
        else:
            value, grads, norm = evaluate(point)
        points.append(coords)
        values.append(value)
        norms.append(norm)
        converged = norm <= tol or move <= tol
    return Trajectory(
        points=np.array(points, dtype=np.float64).reshape(len(points), len(variables)),
        values=np.array(values, dtype=np.float64),
        gradient_norms=np.array(norms, dtype=np.float64),
        variables=variables,
        converged=bool(converged),
        steps=taken,
        optimizer=optimizer.name,
        symbols=symbols,
    )
