"""Values in error messages print as Python prints them (-0.5), not as the exact rationals
symconv computes with (-1/2)."""

from __future__ import annotations

import pytest
import sympy

import symconv
from symconv.errors import shown


def _message(text: str) -> str:
    with pytest.raises(symconv.SymconvError) as caught:
        symconv.derive(text)
    return caught.value.message


# (the .arch text, the value as written, what the message says before it)
CASES = {
    "dropout-rate": ("input (8,)\nDropout(-0.5)\n", "-0.5", "'rate' must be in [0, 1], not "),
    "dropout-above": ("input (8,)\nDropout(0.1 + 1)\n", "1.1", "'rate' must be in [0, 1], not "),
    "dropout-tiny": ("input (8,)\nDropout(-1e-9)\n", "-1e-09", "must be in [0, 1], not "),
    "units": ("input (8,)\nDense(0.5)\n", "0.5", "'units' must be a whole number, not "),
    "flag": ("input (8,)\nDense(3, use_bias=0.25)\n", "0.25", "must be True or False, not "),
    "choice": ("input (8,)\nDense(3, activation=2.5)\n", "2.5", "'tanh_shrink', not "),
    "reshape": ("input (8,)\nReshape((0.5, 16))\n", "0.5", "must be a whole number, not "),
    "default": ("sizes H=0.5\ninput (8,)\nDense(H)\n", "0.5", "whole number, not "),
    "repeat": ("input (8,)\nrepeat 1.5:\n    Dense(3)\n", "1.5", "whole number ≥ 0, not "),
    "condition": ("input (8,)\nif 0.5:\n    Dense(3)\n", "0.5", "or a comparison, not "),
    "input": ("input (0.5,)\nDense(3)\n", "0.5", "whole number ≥ 1, not "),
    "axis": ("input a: (8, 4)\ninput b: (8, 4)\nConcatenate(axis=0.5)(a, b)\n", "0.5",
             "'axis' must be a whole number, not "),
    "dot-axes": ("input a: (8, 4)\ninput b: (8, 4)\nDot(axes=1.5)(a, b)\n", "1.5",
                 "'axes' must be whole numbers, not "),
}


@pytest.mark.parametrize("text,value,before", CASES.values(), ids=CASES.keys())
def test_a_value_prints_as_python_prints_it(text: str, value: str, before: str) -> None:
    message = _message(text)
    assert message.endswith(before + value), message


def test_a_fraction_stays_as_written() -> None:
    assert _message("input (8,)\nDense(1/3)\n").endswith("whole number, not 1/3")


@pytest.mark.parametrize("value,expected", [
    (sympy.Rational(-1, 2), repr(-0.5)), (sympy.Rational(1, 10), repr(0.1)),
    (sympy.Rational(1, 100000), repr(1e-05)), (sympy.Rational(1, 10 ** 999), "1e-999"),
    (sympy.Rational(10 ** 40 + 1, 2), "5" + "0" * 39 + ".5"),
    (sympy.Rational(2, 3), "2/3"), (sympy.Integer(7), "7"),
    (sympy.Symbol("H") / 2, "H/2"), ("relu", "'relu'"), (True, "True"), (None, "None"),
], ids=["half", "tenth", "exponent", "beyond-float", "beyond-digits", "third", "integer",
        "formula", "string", "bool", "none"])
def test_shown(value: object, expected: str) -> None:
    assert shown(value) == expected
