"""diffkit.options: bad option values raise OptionError naming the option, the value and what is allowed."""

import numpy as np
import pytest

import diffkit as dk
from diffkit import options


@pytest.mark.parametrize("option, value, message", [
    ("seconds", float("nan"), "seconds= must be a finite number of seconds > 0 (or None for the default), got nan"),
    ("seconds", float("inf"), "seconds= must be a finite number of seconds > 0 (or None for the default), got inf"),
    ("seconds", "1", "seconds= must be a finite number of seconds > 0 (or None for the default), got '1'"),
    ("max_size", "10", "max_size= must be a whole number >= 1 (or None), got '10'"),
    ("max_size", True, "max_size= must be a whole number >= 1 (or None), got True"),
])
def test_symbolic_budgets_refuse_values_that_are_not_budgets(option, value, message):
    with pytest.raises(dk.OptionError) as info:
        dk.gradient("x**2", at={"x": 1.0}, method="symbolic", **{option: value})
    assert str(info.value) == message


def test_numpy_scalars_are_numbers():
    assert dk.gradient("x**2", at={"x": 1.0}, method="symbolic", seconds=np.float32(5),
                       max_size=np.int64(1000)).gradient == {"x": 2.0}


def test_an_unknown_method_gets_a_suggestion():
    with pytest.raises(dk.MethodError, match=r"unknown method 'revrse'; did you mean reverse\?"):
        dk.gradient("x", at={"x": 1.0}, method="revrse")


def test_an_array_policy_is_refused_by_name():
    with pytest.raises(dk.OptionError, match=r"unknown errors= array"):
        dk.gradient("x", at={"x": 1.0}, errors=np.array([1, 2]))


@pytest.mark.parametrize("value", ["x", -1, 0, 1.5, True, None, float("inf")])
def test_limits_refuse_a_budget_that_is_not_one(value):
    before = dk.limits.memory_bytes
    with pytest.raises(dk.OptionError, match="dk.limits.memory_bytes must be a whole number >= 1"):
        dk.limits.memory_bytes = value
    assert dk.limits.memory_bytes == before


def test_limits_refuse_a_misspelled_budget():
    with pytest.raises(dk.OptionError, match="did you mean memory_bytes"):
        dk.limits.memory_byte = 5


def test_a_huge_integer_is_refused_not_overflowed():
    with pytest.raises(dk.OptionError, match="beyond float64"):
        options.number("lr", 10**400)
    assert options.number("n", 10**400, integer=True) == 10**400


@pytest.mark.parametrize("bad", [True, np.bool_(False), "1", None, [1], np.array([1.0])])
def test_bools_strings_and_arrays_are_not_numbers(bad):
    with pytest.raises(dk.OptionError):
        options.number("x", bad)


def test_the_work_budget_takes_any_finite_count_and_refuses_the_rest():
    before = dk.limits.work_operations
    try:
        dk.limits.work_operations = 1e10  # written as a float as often as an int
        assert dk.limits.work_operations == 1e10
        for bad in (float("nan"), float("inf"), -1, 0, "3e9", True, None):
            with pytest.raises(dk.OptionError, match="work_operations"):
                dk.limits.work_operations = bad
    finally:
        dk.limits.work_operations = before
