"""GraphBuilder: hash-consing, and arguments that are no node refused with a diffkit error in both modes."""

import pytest

import diffkit as dk
from diffkit.builder import GraphBuilder
from diffkit.ops import PRIMITIVES


@pytest.mark.parametrize("simplify", [False, True])
def test_an_argument_that_is_no_node_is_refused(simplify):
    builder = GraphBuilder(simplify=simplify)
    x = builder.variable("x")
    with pytest.raises(dk.ConversionError, match="'nope' is not a node"):
        builder.apply(PRIMITIVES["add"], x, "nope")
    assert "nope" not in builder.nx  # nothing half-built


@pytest.mark.parametrize("simplify", [False, True])
def test_the_same_application_is_one_node(simplify):
    builder = GraphBuilder(simplify=simplify)
    x, y = builder.variable("x"), builder.variable("y")
    assert builder.apply(PRIMITIVES["mul"], x, y) == builder.apply(PRIMITIVES["mul"], x, y)


def test_simplify_folds_constants_and_drops_no_ops():
    builder = GraphBuilder(simplify=True)
    x = builder.variable("x")
    assert builder.apply(PRIMITIVES["mul"], x, builder.constant(1.0)) == x
    two = builder.apply(PRIMITIVES["add"], builder.constant(1.0), builder.constant(1.0))
    assert builder.value_of(two) == 2.0
