"""A plan's steps come in networkx's topological order exactly: the order decides every memory figure (slots
are released after their last use), so the faster hand-written sort must not move a single step."""

import networkx as nx
import numpy as np
import pytest

import diffkit as dk
from diffkit.plan import ancestors_of_all, topological_order


def _networkx_order(graph, needed):
    return [node for node in nx.topological_sort(graph) if node in needed]


@pytest.mark.parametrize("text", [
    "log(x1) + x1*x2 - sin(x2)",
    "x*x + exp(x*x) * y - y/x",
    "sin(cos(tan(exp(log(sqrt(x))))))",
    "+".join(f"x{i}*x{i + 1}" for i in range(40)),
])
def test_parsed_graphs_keep_networkx_order(text):
    graph = dk.parse(text)
    needed = ancestors_of_all(graph.nx, graph.outputs)
    assert topological_order(graph.nx, needed) == _networkx_order(graph.nx, needed)


def test_random_dags_keep_networkx_order_over_an_ancestor_closed_part():
    rng = np.random.default_rng(0)
    for _ in range(50):
        size = int(rng.integers(2, 60))
        graph = nx.DiGraph()
        # insertion order shuffled against the edges' direction, so sources are not simply the first nodes
        names = [f"n{i}" for i in rng.permutation(size)]
        graph.add_nodes_from(names)
        for child in range(1, size):
            for parent in rng.choice(child, size=min(child, int(rng.integers(1, 4))), replace=False):
                graph.add_edge(f"n{parent}", f"n{child}")
        outputs = [f"n{i}" for i in rng.choice(size, size=min(size, int(rng.integers(1, 4))), replace=False)]
        needed = ancestors_of_all(graph, outputs)
        assert topological_order(graph, needed) == _networkx_order(graph, needed)


def test_a_cycle_is_refused():
    graph = nx.DiGraph([("a", "b"), ("b", "a")])
    with pytest.raises(nx.NetworkXUnfeasible):
        topological_order(graph, {"a", "b"})
