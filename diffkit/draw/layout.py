"""A layered (Sugiyama-style) layout of a graph's nodes, computed without external binaries.

Inputs sit in layer 0 on the left and every node one layer right of its deepest argument (the longest path from
an input: ``networkx.topological_generations``), so every edge points right. Two adjustments keep edges short:
a constant sits just left of its first consumer, and an output nothing else uses sits in the last layer. Edges
spanning several layers pass through invisible *dummy* points, one per layer crossed, and a few rounds of
barycentric ordering (down and up sweeps, keeping the order with the fewest crossings) untangle the layers.

A graph whose nodes are in two parts (a gradient graph: the original computation and the adjoint computation
reverse mode added, marked ``adjoint`` on the node) keeps the parts apart within each layer: the original's nodes
above, the adjoint's below, so each reads as its own band.

Everything is deterministic: ties are broken by the nodes' ids in natural order (x2 before x10).
"""

from __future__ import annotations

from bisect import bisect_right, insort
from dataclasses import dataclass

import networkx as nx

from ..errors import DiffkitError
from ..graph import Graph
from ..plan import CONST, VAR, natural_key

MAX_NODES = 300  # the largest graph drawn: beyond this a diagram is unreadable anyway
_SWEEPS = 8  # barycentric sweeps (alternately down and up)


@dataclass(frozen=True)
class Edge:
    """One use of a node as an argument: ``arg`` is argument ``position`` of ``node``; ``via`` are the dummy
    points (one per layer crossed) the edge is routed through, left to right."""

    arg: str
    node: str
    position: int
    via: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    """Layers left to right, each a tuple of node ids top to bottom (dummies included), and the edges."""

    layers: tuple[tuple[str, ...], ...]
    layer_of: dict[str, int]
    edges: tuple[Edge, ...]
    dummies: frozenset[str]

    @property
    def nodes(self) -> list[str]:
        """The real nodes (no dummies), layer by layer."""
        return [n for layer in self.layers for n in layer if n not in self.dummies]

    def crossings(self) -> int:
        """Edge crossings between adjacent layers in this order."""
        return sum(_crossings(pairs) for pairs in _layer_pairs(self.layers, self.edges))


def check_size(graph: Graph) -> None:
    """Refuse a graph too large to draw readably."""
    size = len(graph.plan.nodes)
    if size > MAX_NODES:
        raise DiffkitError(
            f"this graph has {size} nodes; diagrams are drawn up to {MAX_NODES}: draw a smaller part, "
            "or use g.to_dot() with graphviz"
        )


def layered_layout(graph: Graph) -> Layout:
    """The layers, their order and the edge routes of the nodes the graph's outputs depend on."""
    check_size(graph)
    nodes = graph.plan.nodes
    sub = graph.nx.subgraph(nodes)
    layer_of: dict[str, int] = {}
    for depth, generation in enumerate(nx.topological_generations(sub)):
        for node in generation:
            layer_of[node] = depth
    last = max(layer_of.values())
    consumers: dict[str, list[str]] = {n: [] for n in nodes}
    uses: list[tuple[str, str, int]] = []
    for node in nodes:
        for position, arg in enumerate(sub.nodes[node].get("args", ())):
            consumers[arg].append(node)
            uses.append((arg, node, position))
    # Outputs nothing uses go to the last layer (outputs on the right), before constants are placed next to
    # their consumers; visiting in reverse topological order lets each move see its consumers' final layers.
    for node in graph.outputs:
        if not consumers[node] and sub.nodes[node]["op"] != VAR:
            layer_of[node] = last
    for node in reversed(nodes):
        if sub.nodes[node]["op"] == CONST and consumers[node]:
            layer_of[node] = min(layer_of[c] for c in consumers[node]) - 1

    # Dummy points on edges spanning more than one layer.
    members: list[list[str]] = [[] for _ in range(last + 1)]
    for node in nodes:
        members[layer_of[node]].append(node)
    edges, dummies = [], set()
    for arg, node, position in uses:
        via = []
        for layer in range(layer_of[arg] + 1, layer_of[node]):
            dummy = f"{arg}->{node}@{position}#{layer}"
            via.append(dummy)
            dummies.add(dummy)
            layer_of[dummy] = layer
            members[layer].append(dummy)
        edges.append(Edge(arg, node, position, tuple(via)))
    # the band of each node: 0 for the original computation, 1 for an adjoint one (a dummy: its edge's head)
    band = {node: int(bool(sub.nodes[node].get("adjoint"))) for node in nodes}
    for edge in edges:
        for dummy in edge.via:
            band[dummy] = band[edge.node]
    layers = _ordered([sorted(m, key=lambda n: (band[n], natural_key(n))) for m in members], edges, band)
    return Layout(tuple(tuple(layer) for layer in layers), layer_of, tuple(edges), frozenset(dummies))


def layered_positions(graph: Graph) -> dict[str, tuple[float, float]]:
    """Each node's (x, y): x is its layer (inputs at 0, outputs on the right), y its place in the layer, spread
    evenly one unit apart and centred on 0 (the first node on top). Dummy points of long edges take places too,
    so an edge can pass between nodes; they are not returned.

    Raises DiffkitError for graphs of more than ``MAX_NODES`` nodes.
    """
    layout = layered_layout(graph)
    positions = {}
    for x, layer in enumerate(layout.layers):
        top = (len(layer) - 1) / 2
        for index, node in enumerate(layer):
            if node not in layout.dummies:
                positions[node] = (float(x), top - index)
    return positions


# --- ordering -------------------------------------------------------------------------------------------------


def _segments(edges) -> list[tuple[str, str]]:
    """The edges cut into single-layer steps (through their dummies)."""
    pieces = []
    for edge in edges:
        chain = (edge.arg, *edge.via, edge.node)
        pieces.extend(zip(chain, chain[1:], strict=False))
    return pieces


def _ordered(layers: list[list[str]], edges, band: dict[str, int]) -> list[list[str]]:
    """Barycentric ordering: alternate down sweeps (order a layer by its arguments' places) and up sweeps (by
    its consumers' places), keeping the best order seen; a layer's bands stay in order."""
    segments = _segments(edges)
    ups: dict[str, list[str]] = {}
    downs: dict[str, list[str]] = {}
    for a, b in segments:
        downs.setdefault(a, []).append(b)
        ups.setdefault(b, []).append(a)
    best = [list(layer) for layer in layers]
    best_count = _total_crossings(best, segments)
    current = [list(layer) for layer in layers]
    for sweep in range(_SWEEPS):
        if best_count == 0:
            break
        down = sweep % 2 == 0
        indices = range(1, len(current)) if down else range(len(current) - 2, -1, -1)
        for i in indices:
            fixed = current[i - 1] if down else current[i + 1]
            place = {node: p for p, node in enumerate(fixed)}
            neighbours = ups if down else downs
            current[i] = _by_barycenter(current[i], neighbours, place, band)
        count = _total_crossings(current, segments)
        if count < best_count:
            best, best_count = [list(layer) for layer in current], count
    if best_count:
        _transpose(best, segments, band)
    return best


def _transpose(layers: list[list[str]], segments, band: dict[str, int], rounds: int = 4) -> None:
    """Swap neighbours within a layer (of one band) while that removes crossings with the adjacent layers (in
    place)."""
    left: dict[str, list[str]] = {}
    right: dict[str, list[str]] = {}
    for a, b in segments:
        right.setdefault(a, []).append(b)
        left.setdefault(b, []).append(a)
    for _ in range(rounds):
        improved = False
        places = [{node: p for p, node in enumerate(layer)} for layer in layers]
        for i, layer in enumerate(layers):
            for k in range(len(layer) - 1):
                u, v = layer[k], layer[k + 1]
                if band[u] != band[v]:
                    continue
                before = after = 0
                for links, j in ((left, i - 1), (right, i + 1)):
                    if not 0 <= j < len(layers):
                        continue
                    pu = [places[j][n] for n in links.get(u, ())]
                    pv = [places[j][n] for n in links.get(v, ())]
                    before += sum(1 for a in pu for b in pv if a > b)
                    after += sum(1 for a in pu for b in pv if a < b)
                if after < before:
                    layer[k], layer[k + 1] = v, u
                    places[i][u], places[i][v] = k + 1, k
                    improved = True
        if not improved:
            break


def _by_barycenter(layer: list[str], neighbours: dict, place: dict, band: dict[str, int]) -> list[str]:
    def key(item):
        index, node = item
        linked = [place[n] for n in neighbours.get(node, ()) if n in place]
        # a node without neighbours in the fixed layer keeps its place
        centre = sum(linked) / len(linked) if linked else index * (len(place) / max(len(layer), 1))
        return (band[node], centre, natural_key(node))

    return [node for _, node in sorted(enumerate(layer), key=key)]


def _layer_pairs(layers, edges) -> list[list[tuple[int, int]]]:
    return _pairs(layers, _segments(edges))


def _pairs(layers, segments) -> list[list[tuple[int, int]]]:
    place, layer_index = {}, {}
    for i, layer in enumerate(layers):
        for p, node in enumerate(layer):
            place[node], layer_index[node] = p, i
    by_layer: list[list[tuple[int, int]]] = [[] for _ in range(max(len(layers) - 1, 0))]
    for a, b in segments:
        by_layer[layer_index[a]].append((place[a], place[b]))
    return by_layer


def _total_crossings(layers, segments) -> int:
    return sum(_crossings(pairs) for pairs in _pairs(layers, segments))


def _crossings(pairs: list[tuple[int, int]]) -> int:
    """Crossings among segments between two layers: inversions of the lower ends, ordered by the upper ends."""
    seen: list[int] = []
    count = 0
    for _, lower in sorted(pairs):
        count += len(seen) - bisect_right(seen, lower)
        insort(seen, lower)
    return count


__all__ = ["MAX_NODES", "Edge", "Layout", "check_size", "layered_layout", "layered_positions"]
