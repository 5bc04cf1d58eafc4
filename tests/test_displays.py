"""Rich displays for Jupyter: Comparison, Result, Cost and SweepTable render as HTML tables; short reprs."""

import re

import diffkit as dk
from diffkit.text import html_table

EXPR = "log(x1) + x1*x2 - sin(x2)"
AT = {"x1": 2.0, "x2": 5.0}


def _cells(html: str, tag: str = "td") -> list[str]:
    return re.findall(rf"<{tag}(?: [^>]*)?>(.*?)</{tag}>", html)


def _rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [_cells(row) for row in re.findall(r"<tr>(.*?)</tr>", body)]


def test_html_table_escapes_every_piece_of_text():
    html = html_table(["a<b", "c"], [["x & y", '"q"']], caption="<script>", notes=["1 < 2"])
    assert html.startswith("<table>") and html.endswith("</table>")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert _cells(html, "th") == ["a&lt;b", "c"]
    assert _rows(html) == [["x &amp; y", "&quot;q&quot;"]]
    assert "1 &lt; 2" in html.split("<tfoot>")[1]


def test_comparison_html_is_its_four_row_table_without_timings():
    c = dk.compare(EXPR, at=AT)
    html = c._repr_html_()
    assert html.startswith("<table>")
    header = _cells(html, "th")
    assert header == ["method", "d/dx1", "d/dx2", "ops", "flops", "sweeps / evals", "memory"]  # no "time"
    rows = {row[0]: row for row in _rows(html)}
    assert list(rows) == ["symbolic", "numeric", "forward", "reverse"]
    assert rows["reverse"][1:3] == ["5.5", "1.716337815"]
    assert rows["reverse"][3:6] == [str(c.results["reverse"].cost.total_operations),
                                    str(c.results["reverse"].cost.flops), "1 fwd + 1 bwd"]
    assert "largest relative discrepancy" in html.split("<tfoot>")[1]
    assert " ms<" not in html
    # the text table says the same: the HTML comes from the same cells
    text_rows = [re.split(r"\s{2,}", line) for line in c.table(timing=False).splitlines()]
    assert rows["forward"] in text_rows and rows["symbolic"] in text_rows


def test_comparison_html_shows_a_failed_method_as_a_row():
    text = "x"
    for _ in range(9):
        text = f"sin({text})*cos({text})"
    c = dk.compare(text, at={"x": 0.5}, options={"symbolic": {"max_size": 1000}})
    rows = {row[0]: row for row in _rows(c._repr_html_())}
    assert rows["symbolic"][1] == "cut off" and "d/dx" not in rows["symbolic"]
    assert rows["reverse"][1] == dk.text.format_value(c.results["reverse"].gradient["x"])
    assert "symbolic: cut off:" in c._repr_html_().split("<tfoot>")[1]
    assert repr(c).endswith("; symbolic cut off>")


def test_comparison_repr_is_one_short_line():
    c = dk.compare(EXPR, at=AT)
    pair, worst = c.largest_discrepancy
    assert repr(c) == (f"<Comparison of 4 methods on f = {EXPR}: largest discrepancy {worst:.1e} "
                       f"({pair[0]} vs {pair[1]})>")
    long = dk.compare(" + ".join(f"sin({k}*x)" for k in range(1, 30)), at={"x": 0.3}, methods=("reverse",))
    assert "\n" not in repr(long) and len(repr(long)) < 120 and "…" in repr(long)
    assert repr(long).startswith("<Comparison of 1 method on f = ")


def test_result_html_lists_value_derivatives_and_cost():
    r = dk.gradient(EXPR, at=AT, method="reverse")
    html = r._repr_html_()
    assert html.startswith("<table>") and "gradient by the reverse method" in html
    rows = dict(_rows(html))
    assert rows["value"] == "11.65207146" and rows["d/dx1"] == "5.5" and rows["d/dx2"] == "1.716337815"
    assert rows["cost"] == r.cost.summary()
    jac = dk.jacobian(["x*y", "x+y"], at={"x": 1.0, "y": 2.0}, method="forward")
    assert dict(_rows(jac._repr_html_()))["jacobian"] == "[[2., 1.], [1., 1.]]"


def test_cost_html_lists_its_figures():
    cost = dk.gradient(EXPR, at=AT, method="reverse").cost
    rows = dict(_rows(cost._repr_html_()))
    assert rows["flops"] == str(cost.flops) and rows["sweeps"] == "1 fwd + 1 bwd"
    assert rows["operations"].startswith(f"{cost.total_operations} (") and "log 1" in rows["operations"]


def test_sweep_table_html_has_a_row_per_node():
    table = dk.sweep_table(EXPR, at=AT)
    html = table._repr_html_()
    assert _cells(html, "th") == ["node", "computes", "value", "d/dx1", "d/dx2", "adjoint dy/dnode"]
    rows = _rows(html)
    assert [row[0] for row in rows] == ["x1", "x2", "v1", "v2", "v3", "v4", "v5"]
    assert rows[0] == ["x1", "input", "2", "1", "0", "5.5"]
    assert rows[1][-1] == "1.716337815"


def _assert_png_of(png: bytes, fig) -> None:
    """``png`` is a PNG of ``fig``'s size at diffkit's resolution (matplotlib rounds pixels its own way: ±1)."""
    from diffkit.draw import style

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    size = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    expected = fig.get_size_inches() * style.DPI
    assert all(abs(pixels - inches_dpi) <= 1 for pixels, inches_dpi in zip(size, expected, strict=True)), size


def test_pictures_show_in_jupyter_as_png_without_matplotlib_inline():
    from diffkit import nn

    for fig in (dk.draw(EXPR, at=AT, show="adjoints"), dk.draw_mlp(nn.MLP([2, 3, 1])), dk.draw_optimizers(steps=5)):
        _assert_png_of(fig._repr_png_(), fig)


def test_a_study_shows_as_its_plot():
    from diffkit import studies
    from diffkit.studies.runner import StudyResult

    res = studies.run("gradient_vs_inputs", sizes=[2, 4, 8], methods=["forward", "reverse"], repeats=1,
                      progress=False)
    png = res._repr_png_()
    _assert_png_of(png, studies.plot(res))
    assert repr(res).startswith("<StudyResult gradient_vs_inputs")
    assert StudyResult([], "gradient_vs_inputs")._repr_png_() is None  # nothing to plot: the text repr shows
