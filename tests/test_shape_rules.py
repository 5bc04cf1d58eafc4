"""Every tensor primitive states its output's shape from its arguments' shapes alone, and that rule agrees with
what the primitive computes: the memory estimate (and a traced value's shape) rest on it."""

import numpy as np
import pytest

from diffkit.ops import PRIMITIVES
from diffkit.shaping import frozen_fancy_index, frozen_indices
from diffkit.tensor_ops import frozen_index

rng = np.random.default_rng(3)


def a(*shape):
    return rng.normal(size=shape)


# name -> list of (arguments, params): at least one sample per tensor primitive of the table
SAMPLES = {
    "matmul": [((a(3, 4), a(4, 2)), {}), ((a(5, 3, 4), a(4, 2)), {}), ((a(4), a(4, 2)), {}),
               ((a(3, 4), a(4)), {}), ((a(4), a(4)), {})],
    **{name: [((a(3, 2), a(3, 4), a(4, 2)), {}), ((a(3), a(3, 4), a(4)), {}), ((a(2), a(4), a(4, 2)), {}),
               ((a(), a(4), a(4)), {})] for name in ("matmul_grad_left", "matmul_grad_right")},
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
    # shaping (diffkit/shaping.py)
    **{name: [((a(3, 1), a(4)), {})] for name in ("less", "less_equal", "greater", "greater_equal", "equal",
                                                   "not_equal")},
    "where": [((a(3, 1), a(4), a(1, 4)), {}), ((a(4), a(2, 1), a()), {})],
    "concatenate": [((a(3, 4), a(2, 4)), {"axis": 0}), ((a(3, 4), a(3, 1)), {"axis": -1})],
    "split_part": [((a(5, 4), a(2, 4)), {"axis": 0, "part": 0}), ((a(3, 5), a(3, 1)), {"axis": -1, "part": 1})],
    "split_place": [((a(3, 4), a(5, 4), a(2, 4)), {"axis": 0, "part": 1})],
    "stack": [((a(3, 4), a(3, 4)), {"axis": 1}), ((a(3,), a(3,)), {"axis": -1})],
    "expand_dims": [((a(3, 4),), {"axis": 1}), ((a(3,),), {"axis": (0, -1)})],
    "squeeze": [((a(3, 1, 4, 1),), {}), ((a(3, 1, 4, 1),), {"axis": -1})],
    "swapaxes": [((a(2, 3, 4),), {"axis1": 0, "axis2": -1})],
    "moveaxis": [((a(2, 3, 4),), {"source": 0, "destination": -1}),
                 ((a(2, 3, 4),), {"source": (0, 1), "destination": (2, 0)})],
    "permute_dims": [((a(2, 3, 4),), {"axes": (1, 2, 0)}), ((a(2, 3, 4),), {})],
    "broadcast_to": [((a(3, 1),), {"shape": (2, 3, 4)})],
    "flip": [((a(3, 4),), {}), ((a(3, 4),), {"axis": 1})],
    "roll": [((a(3, 4),), {"shift": 5}), ((a(3, 4),), {"shift": (1, -2), "axis": (0, 1)})],
    "tile": [((a(3, 4),), {"reps": (2,)}), ((a(3,),), {"reps": (2, 1, 2)})],
    "untile_like": [((a(3, 8), a(3, 4)), {"reps": (2,)}), ((a(2, 1, 6), a(3)), {"reps": (2, 1, 2)})],
    "repeat": [((a(3, 4),), {"repeats": 2}), ((a(3, 4),), {"repeats": (1, 0, 3), "axis": 0})],
    "unrepeat_like": [((a(24), a(3, 4)), {"repeats": 2}), ((a(4, 4), a(3, 4)), {"repeats": (1, 0, 3), "axis": 0})],
    "pad": [((a(3, 4),), {"pad_width": ((1, 2),)}), ((a(3, 4),), {"pad_width": ((0, 1), (2, 0))})],
    "unpad": [((a(6, 7),), {"pad_width": ((1, 2),)})],
    "gather": [((a(3, 4),), {"index": frozen_fancy_index(([0, 2, 2], slice(1, None)))}),
               ((a(3, 4, 2),), {"index": frozen_fancy_index(([0, 1], slice(None), [1, 0]))}),
               ((a(3, 4),), {"index": frozen_fancy_index(np.array([True, False, True]))})],
    "gather_add_like": [((a(3, 3), a(3, 4)), {"index": frozen_fancy_index(([0, 2, 2], slice(1, None)))})],
    "take": [((a(3, 4),), {"indices": frozen_indices([3, 0, 3]), "axis": 1}),
             ((a(3, 4),), {"indices": frozen_indices([[1, 11]])})],
    "take_along_axis": [((a(3, 4),), {"indices": frozen_indices([[0], [3], [1]]), "axis": 1}),
                        ((a(3, 1),), {"indices": frozen_indices([[0, 0]]), "axis": 0})],
    "take_along_axis_add_like": [((a(3, 1), a(3, 4)), {"indices": frozen_indices([[0], [3], [1]]), "axis": 1})],
    # reductions (diffkit/reductions.py)
    **{name: [((a(3, 4),), {}), ((a(3, 4, 2),), {"axis": (0, 2)}), ((a(3, 4),), {"axis": -1})]
       for name in ("prod", "max", "min")},
    **{name: [((a(3, 4),), {"axis": 0}), ((a(3, 4),), {"axis": -1, "reverse": True})]
       for name in ("cumsum", "cumprod")},
    "shift": [((a(3, 4),), {"axis": 1, "fill": 1}), ((a(3, 4),), {"axis": 0, "reverse": True})],
    "linear_scan": [((a(3, 4), a(4)), {"axis": 1}), ((a(3, 1), a(3, 4)), {"axis": 0, "reverse": True})],
    # linear algebra (diffkit/linalg.py)
    "matrix_trace": [((a(3, 3),), {}), ((a(3, 4),), {})],
    "diagonal_like": [((a(), a(3, 3)), {}), ((a(), a(2, 4)), {})],
    "dot": [((a(3, 4), a(4, 2)), {}), ((a(4), a(4, 2)), {}), ((a(3, 4), a(4)), {}), ((a(4), a(4)), {})],
    "outer": [((a(3), a(5)), {})],
    **{name: [((a(3, 3) + 3 * np.eye(3),), {})] for name in ("inv", "det", "logabsdet", "det_sign", "tril_half")},
    "solve": [((a(3, 3) + 3 * np.eye(3), a(3)), {}), ((a(3, 3) + 3 * np.eye(3), a(3, 2)), {})],
    "cholesky": [((np.eye(3) * 3 + 0.1 * a(3, 3),), {})],
    "einsum": [((a(3, 4), a(4, 2)), {"subscripts": "ij,jk->ik"}), ((a(3, 4), a()), {"subscripts": "ij,->ji"}),
               ((a(3, 4), a(4)), {"subscripts": "ij,j->"}), ((a(3), a(2)), {"subscripts": "i,j->ji"})],
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
