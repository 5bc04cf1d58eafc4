"""Graph diagrams (diffkit.draw.dag), their layout and the step-by-step pictures of reverse mode's sweeps."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)
import matplotlib.text  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

import diffkit as dk  # noqa: E402
from diffkit.draw import style  # noqa: E402
from diffkit.draw.dag import draw, to_svg  # noqa: E402
from diffkit.draw.layout import MAX_NODES, layered_layout, layered_positions  # noqa: E402
from diffkit.draw.sweeps import MAX_PANEL_STEPS, draw_sweeps, frame_count  # noqa: E402
from diffkit.errors import BindingError, DiffkitError, MethodError  # noqa: E402
from diffkit.methods.reverse import node_adjoints  # noqa: E402

LECTURE = "log(x1) + x1*x2 - sin(x2)"
AT = {"x1": 2.0, "x2": 5.0}


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    """The library draws on Figure objects only: pyplot's list of figures stays empty."""
    yield
    assert plt.get_fignums() == []
    plt.close("all")


@pytest.fixture(scope="module")
def lecture():
    return dk.parse(LECTURE)


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


def by_gid(fig: Figure, gid: str) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_gid() == gid]


def node_with_op(graph, op: str) -> str:
    (node,) = [n for n in graph.plan.nodes if graph.nx.nodes[n]["op"] == op]
    return node


def uses(graph):
    """Every (argument, node, position) among the nodes the outputs depend on."""
    return [(arg, node, i) for node in graph.plan.nodes for i, arg in enumerate(graph.nx.nodes[node].get("args", ()))]


# --- structure ------------------------------------------------------------------------------------------------


def test_one_text_per_node_label(lecture):
    fig = draw(lecture)
    assert isinstance(fig, Figure)
    for node in lecture.plan.nodes:
        assert by_gid(fig, f"label:{node}") == [lecture.nx.nodes[node]["label"]]
    assert {"x1", "x2", "log", "*", "sin", "+", "-"} <= set(texts(fig))
    assert by_gid(fig, f"output:{lecture.outputs[0]}") == ["y"]
    # sub is not commutative: its arguments' positions are marked
    sub = node_with_op(lecture, "sub")
    assert sorted(t for node in lecture.plan.nodes for t in by_gid(fig, f"position:{node}->{sub}")) == ["1st", "2nd"]


def test_fanout_nodes_have_their_own_border_and_legend(lecture):
    fig = draw(lecture)
    borders = {p.get_gid(): p.get_edgecolor() for p in fig.axes[0].patches if (p.get_gid() or "").startswith("node:")}
    fanout = matplotlib.colors.to_rgba(style.FANOUT_COLOR)
    assert borders["node:x1"] == fanout and borders["node:x2"] == fanout  # both used twice
    assert borders[f"node:{node_with_op(lecture, 'log')}"] != fanout
    assert any("fan-out" in t for t in texts(fig))


def test_layers_respect_topological_order(lecture):
    graphs = [lecture, dk.gradient_graph(lecture), dk.parse("x*x + 2*3*x"),
              dk.parse(" + ".join(f"sin(x{i % 7}*x{(3 * i) % 5}) * exp(x{i % 3})" for i in range(12)))]
    for graph in graphs:
        positions = layered_positions(graph)
        assert set(positions) == set(graph.plan.nodes)
        for arg, node, _ in uses(graph):
            assert positions[arg][0] < positions[node][0]
        for name in graph.variables:
            assert positions[name][0] == 0  # inputs on the left
    positions = layered_positions(lecture)
    assert positions[lecture.outputs[0]][0] == max(x for x, _ in positions.values())  # output on the right
    # y spread evenly one unit apart, centred on 0: log, *, sin in layer 1
    assert sorted(y for x, y in positions.values() if x == 1) == [-1.0, 0.0, 1.0]
    # deterministic
    assert layered_positions(dk.parse(LECTURE)) == positions


def test_layout_untangles_the_lecture_example(lecture):
    assert layered_layout(lecture).crossings() == 0


def test_dot_has_every_node_and_edge(lecture):
    for graph in (lecture, dk.gradient_graph(lecture)):
        dot = graph.to_dot()
        node_lines = [line for line in dot.splitlines() if "[label=" in line and "->" not in line]
        edge_lines = [line for line in dot.splitlines() if "->" in line]
        assert len(node_lines) == len(graph.plan.nodes)
        assert len(edge_lines) == len(uses(graph))
        for arg, node, _ in uses(graph):
            assert f'"{arg}" -> "{node}"' in dot


# --- numbers on the graph -------------------------------------------------------------------------------------


def test_values(lecture):
    fig = draw(lecture, at=AT, show="values")
    assert by_gid(fig, f"value:{lecture.outputs[0]}") == ["= 11.65"]
    assert any("11.65" in t for t in texts(fig))
    assert any("11.652" in t for t in texts(draw(lecture, at=AT, show="values", precision=6)))
    # a point alone shows the values too
    assert any("11.65" in t for t in texts(draw(lecture, at=AT)))


def test_adjoints_and_local_partials(lecture):
    fig = draw(lecture, at=AT, show="adjoints")
    all_texts = texts(fig)
    assert any("5.5" in t for t in all_texts) and any("1.716" in t for t in all_texts)
    assert by_gid(fig, "adjoint:x1") == ["adj = 5.5"]
    assert by_gid(fig, "adjoint:x2") == ["adj = 1.716"]
    product = node_with_op(lecture, "mul")
    assert by_gid(fig, f"partial:x1->{product}@0") == ["5"]  # ∂(x1*x2)/∂x1 = x2 = 5
    assert by_gid(fig, f"partial:x2->{product}@1") == ["2"]
    sub = node_with_op(lecture, "sub")
    assert by_gid(fig, f"partial:{node_with_op(lecture, 'sin')}->{sub}@1") == ["-1"]  # a structural constant
    assert by_gid(fig, f"value:{lecture.outputs[0]}") == ["= 11.65"]  # values too


def test_tangents(lecture):
    fig = draw(lecture, at=AT, show="tangents", wrt="x1")
    assert by_gid(fig, f"tangent:{lecture.outputs[0]}") == ["d/dx1 = 5.5"]
    assert by_gid(fig, "tangent:x2") == ["d/dx1 = 0"]
    fig = draw(lecture, at=AT, show="tangents", wrt="x2")
    assert by_gid(fig, f"tangent:{lecture.outputs[0]}") == ["d/dx2 = 1.716"]


def test_gradient_graph(lecture):
    gradient = dk.gradient_graph(lecture)
    fig = draw(gradient)
    names = [t for node in gradient.outputs for t in by_gid(fig, f"output:{node}")]
    assert sorted(names) == ["dy/dx1", "dy/dx2"]
    fig = draw(gradient, at=AT, show="values")
    assert any(t == "= 5.5" for t in texts(fig)) and any(t == "= 1.716" for t in texts(fig))


def test_tensor_graph():
    graph = dk.trace(lambda X, W: dk.sum(dk.tanh(X @ W)))
    at = {"X": np.arange(6.0).reshape(3, 2) / 10, "W": np.full((2, 2), 0.1)}
    fig = draw(graph, at=at, show="adjoints")
    all_texts = texts(fig)
    assert "= array(3, 2)" in all_texts and "adj = array(2, 2)" in all_texts
    matmul = node_with_op(graph, "matmul")
    assert by_gid(fig, f"partial:X->{matmul}@0") == ["VJP"]
    assert by_gid(fig, f"adjoint:{graph.outputs[0]}") == ["adj = 1"]
    draw(graph, at=at, show="tangents", wrt="W")
    draw(dk.trace(lambda X, W: dk.sum(X @ W, axis=1)))  # parameters in the label
    assert "sum(axis=1)" in texts(draw(dk.trace(lambda X, W: dk.sum(X @ W, axis=1))))


# --- errors ---------------------------------------------------------------------------------------------------


def test_bad_arguments(lecture):
    with pytest.raises(MethodError, match="'values', 'adjoints', 'tangents'"):
        draw(lecture, at=AT, show="gradients")
    with pytest.raises(BindingError, match="needs a point"):
        draw(lecture, show="adjoints")
    with pytest.raises(BindingError, match="needs wrt.*x1, x2"):
        draw(lecture, at=AT, show="tangents")
    with pytest.raises(BindingError, match="not a variable.*x1, x2"):
        draw(lecture, at=AT, show="tangents", wrt="x3")
    with pytest.raises(MethodError, match="wrt is used with show='tangents'"):
        draw(lecture, at=AT, show="values", wrt="x1")
    for precision in (0, -1, 2.5, True, "4"):
        with pytest.raises(MethodError, match="precision"):
            draw(lecture, precision=precision)
    with pytest.raises(BindingError, match="x2"):
        draw(lecture, at={"x1": 2.0}, show="values")
    with pytest.raises(MethodError, match=r"\.png"):
        draw(lecture, path="diagram.jpeg")
    with pytest.raises(BindingError, match="needs a point"):
        draw_sweeps(lecture, None)
    with pytest.raises(BindingError, match="x1, x2"):
        draw_sweeps(lecture, AT, wrt="z")
    with pytest.raises(MethodError, match="fps"):
        draw_sweeps(lecture, AT, path="s.gif", fps=0)
    long = dk.parse(" + ".join(f"sin(x{i})" for i in range(MAX_PANEL_STEPS // 2 + 1)))
    assert len(long.plan.steps) > MAX_PANEL_STEPS
    with pytest.raises(MethodError, match=f"{len(long.plan.steps)} steps.*up to {MAX_PANEL_STEPS}.*gif"):
        draw_sweeps(long, dict.fromkeys(long.variables, 1.0))


def test_graphs_over_max_nodes_are_refused():
    big = dk.parse(" + ".join(f"sin(x{i})" for i in range(MAX_NODES // 2)))
    assert len(big.plan.nodes) > MAX_NODES
    for call in (lambda: draw(big), lambda: layered_positions(big)):
        with pytest.raises(DiffkitError, match=f"this graph has {len(big.plan.nodes)} nodes; diagrams are drawn "
                                               f"up to {MAX_NODES}.*to_dot"):
            call()


# --- files ----------------------------------------------------------------------------------------------------


def test_path_writes_png_and_svg(lecture, tmp_path):
    png, svg = tmp_path / "g.png", tmp_path / "g.svg"
    assert isinstance(draw(lecture, at=AT, show="adjoints", path=png), Figure)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    draw(lecture, path=str(svg))
    assert "<svg" in svg.read_text()
    text = to_svg(lecture)
    assert text.lstrip().startswith("<?xml") and "<svg" in text


def test_into_existing_axes(lecture):
    fig = Figure()
    ax = fig.add_subplot()
    assert draw(lecture, ax=ax, title="mine") is fig
    assert "mine" in [t.get_text() for t in ax.texts]


# --- sweeps ---------------------------------------------------------------------------------------------------


def test_frame_count(lecture):
    steps = len(lecture.plan.steps)
    assert frame_count(lecture, AT) == 2 * steps + 2 == 12
    # 2*3 depends on no variable: the backward sweep skips it (forward 3 steps, backward 2)
    assert frame_count("x*x + 2*3*x", {"x": 3.0}) == 1 + 4 + 1 + 3
    assert frame_count(lecture, AT, wrt="x1") == 1 + steps + 1 + 4  # sin(x2) carries nothing to x1


def test_gif_frames(lecture, tmp_path):
    path = tmp_path / "sweeps.gif"
    assert isinstance(draw_sweeps(lecture, AT, path=path, fps=2), Figure)
    with Image.open(path) as image:
        assert image.n_frames == frame_count(lecture, AT) == 12


def test_panels(lecture, tmp_path):
    fig = draw_sweeps(lecture, AT, path=tmp_path / "sweeps.png")
    assert len(fig.axes) == 12
    assert (tmp_path / "sweeps.png").stat().st_size > 0
    final = fig.axes[-1]
    adjoints = {t.get_gid(): t.get_text() for t in final.texts if (t.get_gid() or "").startswith("adjoint:")}
    assert adjoints["adjoint:x1"] == "adj = 5.5" and adjoints["adjoint:x2"] == "adj = 1.716"
    # x1 receives its two contributions one after the other: 5 from the product, then 0.5 from log
    seen = [t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == "adjoint:x1"]
    assert seen == ["adj = 5", "adj = 5.5"]
    first = [t.get_text() for t in fig.axes[0].texts if (t.get_gid() or "").startswith("value:")]
    assert sorted(first) == ["= 2", "= 5"]  # the inputs only


def test_sweeps_agree_with_the_engine():
    graph = dk.trace(lambda X, W, b: dk.mean((dk.tanh(X @ W + b) - 1.0) ** 2))
    at = {"X": np.arange(6.0).reshape(3, 2) / 10, "W": np.full((2, 4), 0.1), "b": np.zeros(4)}
    from diffkit.draw.sweeps import sweep_frames

    frames = sweep_frames(graph, at, graph.variables, 6)
    _, adjoints = node_adjoints(graph, graph.bind(at))
    last = frames[-1].scene.lines
    for node, adjoint in zip(graph.plan.nodes, adjoints, strict=True):
        if adjoint is not None:
            assert last[node][2].text == f"adj = {style.fmt(adjoint, 6)}"
    assert len(frames) == 2 * len(graph.plan.steps) + 2
