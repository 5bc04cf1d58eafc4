"""The comparison table: rows as plain values, the table with and without timing, Jacobians of several outputs."""

import numpy as np
import pytest

import diffkit as dk

LECTURE = "(x1 + x2)*(x3 + x4)"
AT = {"x1": 1.0, "x2": 2.0, "x3": 3.0, "x4": 4.0}


def test_rows_carry_answers_and_costs_per_method():
    rows = dk.compare(LECTURE, at=AT).rows()
    assert [row["method"] for row in rows] == list(dk.METHODS)
    for row in rows:  # exact methods exactly, central differences to their rounding
        assert [row[f"d/dx{i}"] for i in range(1, 5)] == pytest.approx([7.0, 7.0, 3.0, 3.0],
                                                                      rel=1e-8 if row["method"] == "numeric" else 0)
    reverse = rows[-1]
    assert (reverse["forward_sweeps"], reverse["backward_sweeps"]) == (1, 1)
    assert rows[2]["forward_sweeps"] == 4  # forward mode: one sweep per input


def test_table_without_timing_is_the_same_on_every_run():
    first = dk.compare(LECTURE, at=AT).table(timing=False)
    assert first == dk.compare(LECTURE, at=AT).table(timing=False)
    assert " ms" not in first and "time" not in first.splitlines()[3]
    assert "time" in str(dk.compare(LECTURE, at=AT)).splitlines()[3]


def test_jacobian_of_two_outputs_prints_its_entries():
    text = str(dk.compare(["x*y", "sin(x)"], at={"x": 1.0, "y": 2.0}))
    header = text.splitlines()[3].split()
    assert header[1:5] == ["df1/dx", "df1/dy", "df2/dx", "df2/dy"]
    assert "0.5403023059" in text and "numeric method's own error estimate" in text


def test_batched_jacobian_prints_its_shape():
    text = dk.compare(["x*y", "sin(x)"], at={"x": np.ones(3), "y": 2.0}).table(timing=False)
    assert "array(2, 2, 3)" in text
