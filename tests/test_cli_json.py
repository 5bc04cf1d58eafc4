"""`diffkit diff --json` holds every fact the text table shows: variables in order, answers, costs, discrepancies,
findings and failures."""

import json

import pytest

import diffkit as dk
from diffkit.cli import main
from diffkit.cost import format_bytes
from diffkit.text import format_value


def outputs(capsys, *argv):
    """The text output and the parsed JSON output of one `diffkit diff` request."""
    assert main(["diff", *argv]) == 0
    text = capsys.readouterr().out
    assert main(["diff", *argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))
    return text, data


def table_rows(text: str) -> dict[str, list[str]]:
    """The method rows of the comparison table, split into cells (cells are separated by two spaces or more)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("method "))
    rows = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        cells = [cell.strip() for cell in line.split("  ") if cell.strip()]
        rows[cells[0]] = cells
    return rows


def test_the_json_holds_every_column_and_line_of_the_table(capsys):
    text, data = outputs(capsys, "log(x1) + x1*x2 - sin(x2)", "--at", "x2=5,x1=2")
    assert data["variables"] == ["x1", "x2"]  # the order of the table's columns, whatever --at's order
    header = next(line for line in text.splitlines() if line.startswith("method "))
    assert header.split()[1:3] == [f"d/d{v}" for v in data["variables"]]
    assert data["expression"] == "log(x1) + x1*x2 - sin(x2)" and data["at"] == {"x1": 2.0, "x2": 5.0}
    assert data["order"] == 1
    assert f"value: {format_value(data['value'])}" in text
    rows = table_rows(text)
    assert list(rows) == ["symbolic", "numeric", "forward", "reverse"]
    for method, cells in rows.items():
        entry = data[method]
        assert cells[1:3] == [format_value(entry["derivative"][v]) for v in data["variables"]]
        cost = entry["cost"]
        assert cost["total_operations"] == sum(cost["operations"].values())
        assert cells[3:5] == [str(cost["total_operations"]), str(cost["flops"])]
        sweeps = f"{cost['forward_sweeps']} fwd + {cost['backward_sweeps']} bwd"
        evals = f"{cost['evaluations']} eval{'s' * (cost['evaluations'] != 1)}"
        assert cells[5] == (sweeps if cost["forward_sweeps"] + cost["backward_sweeps"] else evals)
        assert cells[6] == format_bytes(cost["memory_bytes"])
    largest = data["largest_discrepancy"]
    assert (f"largest relative discrepancy: {largest['relative']:.2e} ({largest['methods'][0]} vs "
            f"{largest['methods'][1]})") in text
    assert largest["relative"] == max(d["relative"] for d in data["discrepancies"])
    assert len(data["discrepancies"]) == 6  # every pair of the four methods
    estimate = max(abs(v) for v in data["numeric"]["error_estimate"].values())
    assert f"numeric method's own error estimate: {estimate:.1e} (absolute)" in text
    assert data["findings"] == [] and "note:" not in text


def test_findings_are_in_the_json(capsys):
    text, data = outputs(capsys, "relu(x) * y", "--at", "x=0,y=2")
    notes = [line.removeprefix("note: ") for line in text.splitlines() if line.startswith("note: ")]
    assert notes and [finding["text"] for finding in data["findings"]] == notes
    finding = data["findings"][0]
    assert finding["method"] == "numeric" and any("relu at 0" in cause for cause in finding["causes"])
    assert finding["discrepancy"] == pytest.approx(1.0)


def test_a_cut_off_method_is_in_the_json_with_its_reason(capsys, monkeypatch):
    monkeypatch.setattr(dk.limits, "symbolic_size", 1000)
    expression = "x"
    for _ in range(9):
        expression = f"sin({expression})*cos({expression})"
    text, data = outputs(capsys, expression, "--at", "x=0.5")
    symbolic = data["symbolic"]
    assert symbolic["failure"] == "cut off" and "1,000" in symbolic["reason"]
    assert f"symbolic: cut off: {symbolic['reason']}" in text
    assert symbolic["cost"]["seconds"] is not None and "derivative" not in symbolic
    assert table_rows(text)["symbolic"][1] == "cut off"
    assert not any("symbolic" in d["methods"] for d in data["discrepancies"])
    assert data["reverse"]["derivative"]["x"] == pytest.approx(data["forward"]["derivative"]["x"])


def test_one_method_and_higher_orders_say_their_variables_and_what_was_skipped(capsys):
    text, data = outputs(capsys, "x**4", "--at", "x=2", "--order", "3")
    assert data["variables"] == ["x"] and data["order"] == 3 and data["value"] == 16.0
    assert data["skipped"] == {"numeric": "finite differences stop at order 2"}
    assert "numeric   skipped: finite differences stop at order 2" in text
    assert [m for m in ("symbolic", "numeric", "forward", "reverse") if m in data] == ["symbolic", "forward",
                                                                                      "reverse"]
    assert all(data[m]["derivative"] == 48.0 for m in ("symbolic", "forward", "reverse"))
    _, data = outputs(capsys, "x*sin(y)", "--at", "y=1,x=2", "--method", "forward", "--wrt", "y")
    assert data["variables"] == ["y"] and list(data["forward"]["derivative"]) == ["y"]
    assert data["skipped"] == {}
