"""Every tensor primitive states its output's shape from its arguments' shapes alone, and that rule agrees with
what the primitive computes: the memory estimate (and a traced value's shape) rest on it."""

import numpy as np
import pytest

from diffkit.ops import PRIMITIVES
from diffkit.tensor_ops import frozen_index

rng = np.random.default_rng(3)


def a(*shape):
    return rng.normal(size=shape)


# name -> list of (arguments, params): at least one sample per tensor primitive of the table
SAMPLES = {
    "matmul": [((a(3, 4), a(4, 2)), {}), ((a(5, 3, 4), a(4, 2)), {})],
    "transpose": [((a(3, 4),), {})],
    "reshape": [((a(3, 4),), {"shape": (2, -1)}), ((a(3, 4),), {"shape": (12,)})],
    "reshape_like": [((a(3, 4), a(6, 2)), {})],
    "sum": [((a(3, 4),), {}), ((a(3, 4, 2),), {"axis": (0, 2)}), ((a(3, 4),), {"axis": -1})],
    "mean": [((a(3, 4),), {"axis": 0})],
    "broadcast_like": [((a(4), a(3, 4)), {}), ((a(3), a(3, 4)), {"axis": 1})],
    "sum_like": [((a(3, 4), a(4)), {})],
    "logsumexp": [((a(3, 4),), {}), ((a(3, 4),), {"axis": 0})],
    "softmax": [((a(3, 4),), {"axis": 0})],
    "log_softmax": [((a(3, 4),), {})],
    "index": [((a(3, 4),), {"index": frozen_index((slice(1, None), 0))}),
              ((a(3, 4, 5),), {"index": frozen_index((Ellipsis, slice(None, None, 2)))})],
    "scatter_like": [((a(2), a(3, 4)), {"index": frozen_index((slice(1, None), 0))})],
}

TENSOR = sorted(name for name, p in PRIMITIVES.items() if p.tensor)


def test_every_tensor_primitive_has_a_shape_rule_and_a_sample_here():
    assert [n for n in TENSOR if PRIMITIVES[n].shape is None] == []
    assert sorted(set(TENSOR) - set(SAMPLES)) == [], "add a sample for each new tensor primitive"


@pytest.mark.parametrize("name", TENSOR)
def test_the_shape_rule_is_the_shape_computed(name):
    primitive = PRIMITIVES[name]
    for args, params in SAMPLES[name]:
        expected = np.shape(primitive.numpy(*args, **params))
        assert primitive.out_shape(*(np.shape(x) for x in args), **params) == expected, (name, params)


def test_elementwise_primitives_broadcast_and_refuse_misfits():
    assert PRIMITIVES["add"].out_shape((3, 1), (4,)) == (3, 4)
    with pytest.raises(ValueError):
        PRIMITIVES["mul"].out_shape((3,), (4,))
    with pytest.raises(ValueError):
        PRIMITIVES["matmul"].out_shape((3, 4), (3, 4))
