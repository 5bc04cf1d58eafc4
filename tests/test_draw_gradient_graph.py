"""The picture of reverse mode's gradient graph: laid out by level, the adjoint part told apart, no collisions."""

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.text  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

import diffkit as dk  # noqa: E402
from diffkit.draw import style  # noqa: E402
from diffkit.draw.dag import draw  # noqa: E402
from diffkit.draw.layout import layered_layout  # noqa: E402

EXPRESSIONS = ["log(x1) + x1*x2 - sin(x2)", "(x1 + x2) * sin(x3)", "exp(x*y) / (1 + x**2)"]


@pytest.fixture(params=EXPRESSIONS)
def picture(request):
    graph = dk.gradient_graph(request.param, with_value=True)
    fig = draw(graph)
    FigureCanvasAgg(fig).draw()  # (the library's figures have no canvas of their own: pyplot is not used)
    return graph, fig


def boxes(fig) -> dict[str, object]:
    """Each node's box in display coordinates, by node id."""
    return {p.get_gid()[5:]: p.get_window_extent() for p in fig.findobj(FancyBboxPatch)
            if (p.get_gid() or "").startswith("node:")}


def overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_node_boxes_and_labels_do_not_overlap(picture):
    graph, fig = picture
    node_boxes = boxes(fig)
    assert set(node_boxes) == set(graph.plan.nodes)
    for (a, box_a), (b, box_b) in itertools.combinations(node_boxes.items(), 2):
        assert not overlap(box_a, box_b), (a, b)
    renderer = fig.canvas.get_renderer()
    labels = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text() and t.get_gid()]
    extents = [(t.get_gid(), t.get_text(), t.get_window_extent(renderer)) for t in labels]
    assert len(extents) > len(node_boxes)  # labels, output names, position marks, the title
    for (gid_a, text_a, a), (gid_b, text_b, b) in itertools.combinations(extents, 2):
        assert not overlap(a, b), (gid_a, text_a, gid_b, text_b)
    for gid, text, extent in extents:  # a node's label sits inside its box, and in no other
        for node, box in node_boxes.items():
            inside = box.x0 <= extent.x0 and extent.x1 <= box.x1 and box.y0 <= extent.y0 and extent.y1 <= box.y1
            if gid == f"label:{node}":
                assert inside, (node, text)
            else:
                assert not overlap(box, extent), (node, gid, text)


def test_nodes_are_placed_by_level(picture):
    graph, fig = picture
    node_boxes = boxes(fig)
    layout = layered_layout(graph)
    x = {node: (box.x0 + box.x1) / 2 for node, box in node_boxes.items()}
    for node in graph.plan.nodes:  # every edge points right, one level or more
        for arg in graph.nx.nodes[node].get("args", ()):
            assert layout.layer_of[arg] < layout.layer_of[node]
            assert x[arg] < x[node], (arg, node)
    for layer in layout.layers:  # a level's nodes share one column
        xs = {round(x[n], 3) for n in layer if n in x}
        assert len(xs) <= 1


def test_adjoint_nodes_carry_their_own_style_and_legend_entry(picture):
    graph, fig = picture
    original = dk.parse(graph.expression(graph.outputs[-1]))
    patches = {p.get_gid()[5:]: p for p in fig.findobj(FancyBboxPatch) if (p.get_gid() or "").startswith("node:")}
    adjoint = [n for n in graph.plan.nodes if graph.nx.nodes[n].get("adjoint")]
    assert adjoint and len(adjoint) < len(graph.plan.nodes)
    assert graph.outputs[-1] not in adjoint  # y itself is the original's
    assert len(graph.plan.nodes) - len(adjoint) == len(original.plan.nodes)

    def look(node):
        p = patches[node]
        return p.get_linestyle(), matplotlib.colors.to_hex(p.get_edgecolor())

    adjoint_looks = {look(n) for n in adjoint}
    original_looks = {look(n) for n in graph.plan.nodes if n not in adjoint}
    assert adjoint_looks == {("--", style.ADJOINT_COLOR.lower())}
    assert not adjoint_looks & original_looks
    operations = [n for n in adjoint if n not in graph.outputs and graph.nx.nodes[n]["op"] not in ("var", "const")]
    for node in operations:
        assert matplotlib.colors.to_hex(patches[node].get_facecolor()) == style.NODE_COLORS["adjoint"].lower()
    legend = [t.get_text() for leg in fig.legends + [a.get_legend() for a in fig.axes if a.get_legend()]
              for t in leg.get_texts()]
    assert "adjoint computation (reverse mode)" in legend
    # the gradient outputs are marked: their names in reverse mode's colour, y's in plain grey
    for name, node in zip(graph.output_names, graph.outputs, strict=True):
        [mark] = [t for t in fig.findobj(matplotlib.text.Text) if t.get_gid() == f"output:{node}"]
        assert name in mark.get_text().split(", ")  # two gradients may be one node: (x1 + x2)*sin(x3)
        gradient = name.startswith("dy/d")
        assert (matplotlib.colors.to_hex(mark.get_color()) == style.ADJOINT_COLOR.lower()) == gradient


def test_original_nodes_sit_above_adjoint_nodes_in_each_level(picture):
    graph, fig = picture
    layout = layered_layout(graph)
    for layer in layout.layers:
        bands = [int(bool(graph.nx.nodes[n].get("adjoint"))) for n in layer if n not in layout.dummies]
        assert bands == sorted(bands)


def test_a_parsed_graph_has_no_adjoint_part():
    graph = dk.parse(EXPRESSIONS[0])
    fig = draw(graph)
    legend = [t.get_text() for a in fig.axes if a.get_legend() for t in a.get_legend().get_texts()]
    assert "adjoint computation (reverse mode)" not in legend
    nodes = [p for p in fig.findobj(FancyBboxPatch) if (p.get_gid() or "").startswith("node:")]
    assert nodes and all(p.get_linestyle() in ("-", "solid") for p in nodes)
