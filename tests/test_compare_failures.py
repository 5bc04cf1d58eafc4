"""dk.compare never aborts because one method fails: the failed method gets a row with its reason."""

import pytest

import diffkit as dk
from diffkit.errors import BindingError, ParseError, SwellError


def _swelling(depth: int = 9) -> str:
    text = "x"
    for _ in range(depth):
        text = f"sin({text})*cos({text})"
    return text


def test_symbolic_swell_is_a_cut_off_row_and_the_others_are_computed():
    # depth 7: written out, the expression (509 nodes) fits the budget; its derivative (4,028) does not
    c = dk.compare(_swelling(7), at={"x": 0.5}, options={"symbolic": {"max_size": 1000}})
    assert set(c.results) == {"numeric", "forward", "reverse"}
    failure = c.failures["symbolic"]
    assert failure.cut_off and isinstance(failure.error, SwellError)
    assert failure.error.limit == 1000 and failure.error.size > 1000
    assert "1,000" in failure.reason and "dk.limits.symbolic_size" in failure.reason
    assert failure.cost is not None and failure.cost.details["derivative tree size"] == failure.error.size
    table = c.table(timing=False)
    row = next(line for line in table.splitlines() if line.startswith("symbolic "))
    assert "cut off" in row and " 0 " not in row  # no claim of a free derivative
    assert f"symbolic: cut off: symbolic derivative has {failure.error.size:,} tree nodes" in table
    rows = {r["method"]: r for r in c.rows()}
    assert rows["symbolic"]["failure"].startswith("cut off:") and "d/dx" in rows["reverse"]
    assert ("forward", "reverse") in c.discrepancies and not any("symbolic" in p for p in c.discrepancies)


def test_domain_error_under_raise_is_a_failed_row_without_a_repeated_prefix():
    c = dk.compare("log(x) + y", at={"x": -1.0, "y": 1.0}, errors="raise")
    assert not c.results and set(c.failures) == set(dk.METHODS)
    assert c.failures["numeric"].reason == "log: outside its domain (result nan)"
    table = c.table()
    assert "numeric: failed: log: outside its domain" in table and "numeric method:" not in table
    assert "no method could evaluate it" in table


def test_an_unsupported_option_fails_only_its_method():
    c = dk.compare("x*y", at={"x": 1.0, "y": 2.0}, options={"forward": {"scheme": "central"}})
    assert "forward" in c.failures and not c.failures["forward"].cut_off
    assert "scheme" in c.failures["forward"].reason
    assert c.results["reverse"].gradient["y"] == 1.0


def test_numeric_cancellation_diagnostic_is_not_prefixed_twice():
    table = dk.compare("x + 1e10", at={"x": 1.0}).table(timing=False)
    assert "\nnumeric: cancellation in the difference for x" in table and "numeric: numeric:" not in table


@pytest.mark.parametrize("expr, at, error", [
    ("x*y", {"x": 1.0, "z": 2.0}, BindingError),
    ("2*(x", {"x": 1.0}, ParseError),
])
def test_a_bad_request_still_raises(expr, at, error):
    with pytest.raises(error):
        dk.compare(expr, at=at)


def test_the_time_guard_is_a_cut_off_row_that_names_itself():
    def chain(x):
        for _ in range(110):  # SymPy needs ~10 s for this
            x = dk.sin(x) * 0.9 + 0.1
        return x

    c = dk.compare(dk.trace(chain), at={"x": 0.3}, options={"symbolic": {"seconds": 0.3}})
    failure = c.failures["symbolic"]
    assert failure.cut_off and failure.error.time_guard and failure.reason.startswith("time guard fired")
    assert "symbolic: cut off: time guard fired" in c.table(timing=False)
    assert set(c.results) == {"numeric", "forward", "reverse"}


def test_a_swell_error_outside_compare_is_not_a_time_guard():
    with pytest.raises(SwellError) as info:
        dk.gradient(_swelling(7), at={"x": 0.5}, method="symbolic", max_size=1000)
    assert not info.value.time_guard and info.value.cost.details["derivative tree size"] == info.value.size
