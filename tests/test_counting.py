"""Cost records checked against counts made by hand on small graphs: what each method must do, primitive by
primitive, so that the studies built on these counts measure the right thing."""

import numpy as np
import pytest

import diffkit as dk
from diffkit.ops import TRANSCENDENTAL

PRODUCT_OF_SUMS = "(x1 + x2) * (x3 + x4)"
AT = {"x1": 1.0, "x2": 2.0, "x3": 3.0, "x4": 4.0}


def cost(method, expr=PRODUCT_OF_SUMS, at=AT, verb=dk.gradient, **options):
    return verb(expr, at=at, method=method, **options).cost


def test_product_of_sums_forward_mode_by_hand():
    """Four sweeps (one per input). Each evaluates z1 = x1 + x2, z2 = x3 + x4, y = z1·z2 (2 add, 1 mul) and one
    tangent product: the seeded input's tangent passes the additions unchanged (partial 1, no work) and meets
    the product once (ẏ = z2·ż1 or z1·ż2: 1 mul). The chain-rule work is 4 multiplications: one per input."""
    c = cost("forward")
    assert (c.forward_sweeps, c.backward_sweeps) == (4, 0)
    assert c.operations == {"add": 4 * 2, "mul": 4 * (1 + 1)}
    assert c.flops == 16


def test_product_of_sums_reverse_mode_by_hand():
    """One forward sweep (2 add, 1 mul) and one backward sweep: the product sends ȳ·z2 and ȳ·z1 (2 mul), the
    additions pass their adjoints on unchanged (partials 1). The chain-rule work is 2 multiplications for all four
    inputs — the lecture's 4 versus 2."""
    c = cost("reverse")
    assert (c.forward_sweeps, c.backward_sweeps) == (1, 1)
    assert c.operations == {"add": 2, "mul": 1 + 2}
    assert c.details["tape values"] == 7  # 4 inputs, z1, z2, y


def test_product_of_sums_numeric_by_hand():
    """Central differences: 1 + 2·4 evaluations of 3 operations each, and a difference quotient (sub, div) per
    input."""
    c = cost("numeric")
    assert c.evaluations == 9
    assert c.operations == {"add": 9 * 2, "mul": 9 * 1, "sub": 4, "div": 4}


def test_product_of_sums_symbolic_by_hand():
    """SymPy's derivatives are x3 + x4 (for x1 and x2) and x1 + x2 (for x3 and x4); after CSE the value
    (x1 + x2)·(x3 + x4) reuses both sums: 2 additions and 1 multiplication to evaluate everything."""
    c = cost("symbolic")
    assert c.evaluations == 1
    assert c.operations == {"add": 2, "mul": 1}
    assert c.details["derivative tree size"] == 4 * 3  # four derivative trees of 3 nodes (a sum of two symbols)
    assert c.details["CSE temporaries"] == 2  # the two sums
    assert c.details["after CSE (DAG size)"] == 6  # the same four trees with each distinct subexpression once


def test_a_square_costs_what_its_rule_computes():
    """d(x**2)/dx by the general power rule b·x^(b-1): sub, pow, mul (1 + 10 + 1 flops), then ȳ times it; the
    forward pow is 10 flops. (A shortcut 2x would be cheaper, but the count must be what really runs.)"""
    c = cost("reverse", "x**2", {"x": 3.0})
    assert c.operations == {"pow": 2, "sub": 1, "mul": 2}
    assert c.flops == 10 + (1 + 10 + 1) + 1


def test_elementwise_flops_are_per_element_with_transcendental_weight():
    """exp over 1,000 points: the forward sweep costs 10 flops per element (a libm call), the backward one
    multiplication per element (exp' is the output itself: nothing to compute)."""
    c = cost("reverse", "exp(x)", {"x": np.ones(1000)})
    assert c.operations == {"exp": 1, "mul": 1}
    assert c.flops == TRANSCENDENTAL * 1000 + 1000


def test_matmul_flops_are_2mnk():
    X, W = np.ones((8, 5)), np.ones((5, 3))
    c = dk.gradient(dk.trace(lambda X, W: dk.sum(X @ W)), at={"X": X, "W": W}, wrt=["W"]).cost
    # forward X·W: 2·8·5·3; the sum: 24 elements; backward: the sum's broadcast is free, Xᵀ·ḡ: 2·5·8·3
    assert c.flops == 2 * 8 * 5 * 3 + 24 + 2 * 5 * 8 * 3


@pytest.mark.parametrize("n, m", [(1, 6), (2, 3), (3, 2), (6, 1)])
def test_jacobian_sweeps_forward_per_input_reverse_per_output(n, m):
    """f: Rⁿ → Rᵐ: forward mode needs n sweeps, reverse mode 1 forward + m backward: they cross at n = m."""
    names = [f"x{i}" for i in range(n)]
    outputs = [" + ".join(f"sin({j + 1}*{x})" for x in names) for j in range(m)]
    at = {x: 0.1 * (i + 1) for i, x in enumerate(names)}
    forward = dk.jacobian(outputs, at=at, method="forward").cost
    reverse = dk.jacobian(outputs, at=at, method="reverse").cost
    assert (forward.forward_sweeps, forward.backward_sweeps) == (n, 0)
    assert (reverse.forward_sweeps, reverse.backward_sweeps) == (1, m)


def test_gradient_sweeps_do_not_grow_with_inputs_in_reverse_mode():
    for n in (2, 8, 32):
        names = [f"x{i}" for i in range(n)]
        g = dk.trace(lambda *xs: sum(xs[i] * xs[i + 1] for i in range(len(xs) - 1)), variables=names)
        at = dict.fromkeys(names, 0.5)
        reverse, forward = dk.gradient(g, at=at).cost, dk.gradient(g, at=at, method="forward").cost
        assert (reverse.forward_sweeps, reverse.backward_sweeps) == (1, 1)
        assert forward.forward_sweeps == n
        # Σ x_i x_{i+1}: n-1 products and n-2 additions forward; backward 2 products per x_i·x_{i+1} term
        assert reverse.operations["mul"] == (n - 1) + 2 * (n - 1)


def test_reverse_mode_memory_is_its_tape_and_the_adjoints_in_flight():
    """Over 1,000 points: the tape holds z1, z2 and y (3 × 8,000 bytes beyond the inputs); the backward sweep
    holds the seed (8 bytes) and the product's two messages ȳ·z2 and ȳ·z1 (2 × 8,000). The additions pass those
    very arrays on to x1..x4 (partials 1): no new memory, and counted once."""
    at = {k: np.full(1000, v) for k, v in AT.items()}
    assert cost("reverse", at=at).memory_bytes == 3 * 8000 + 8 + 2 * 8000


def test_forward_mode_memory_is_one_sweep_and_the_columns_kept():
    """Forward mode keeps each finished gradient column (8,000 bytes) until all four sweeps are done; the last
    sweep holds z1, z2, y and y's tangent (4 × 8,000) on top of three kept columns, plus two 8-byte tangents
    (the seed and z1's, passed on unchanged)."""
    at = {k: np.full(1000, v) for k, v in AT.items()}
    assert cost("forward", at=at).memory_bytes == 3 * 8000 + 4 * 8000 + 2 * 8
