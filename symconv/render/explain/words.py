"""The words and arithmetic of `explain`: values in its one notation (`spoken`), counts
multiplied out, steps that say nothing dropped, and checks that a step reproduces the derived
value."""

from __future__ import annotations

import random

import sympy
from sympy import Expr

from ...derivation.model import Derivation, LayerRecord, arguments
from ...maths import limits
from ...maths.printing import spoken

Lines = list[str]


def said(value: object) -> str:
    """A value on its own: a number with thousands separators, a formula in explain's one
    notation (`spoken`: 7·(40·C + 1), ⌊H/2⌋, digits without separators)."""
    if isinstance(value, sympy.Integer):
        return f"{int(value):,}"
    return spoken(value)  # type: ignore[arg-type]


def term(value: object) -> str:
    """A value inside arithmetic: plain digits, a formula in parentheses."""
    atomic = isinstance(value, (sympy.Symbol, sympy.floor, sympy.ceiling, sympy.Integer))
    return spoken(value) if atomic else f"({spoken(value)})"  # type: ignore[arg-type]


def counted(value: object) -> str:
    """A count: a number with separators, a formula multiplied out (280·C + 1137, not
    7·(40·C + 1) + 1130), as it is when the expansion would be too large to print."""
    if isinstance(value, sympy.Expr) and not value.is_Integer:
        value = multiplied_out(value)
    return said(value)


def multiplied_out(value: sympy.Expr) -> sympy.Expr:
    """`value` expanded with each rounding (⌊ ⌋, ⌈ ⌉, max, …) kept whole: expanding inside
    them rebuilds every floor of a deep chain (seconds a layer) and does not read better."""
    held = {f: sympy.Dummy() for f in value.atoms(sympy.Function)}
    try:
        out = limits.expand(value.xreplace(held))
    except limits.TooLarge:
        return value
    return out.xreplace({v: k for k, v in held.items()})


def equals(steps: str, value: object, count: bool = True) -> str:
    """``steps = result``, or the steps alone when the result reads the same (⌈H/2⌉, not
    ⌈H/2⌉ = ⌈H/2⌉); a count multiplied out, an extent as derived."""
    result = counted(value) if count else said(value)
    return steps if result == steps else f"{steps} = {result}"


def argument(d: Derivation, record: LayerRecord, name: str) -> object:
    assert record.call is not None
    return arguments(record.call, d.convention).get(name)


def per_axis(value: object, rank: int) -> tuple[object, ...]:
    return value if isinstance(value, tuple) else (value,) * rank


def agree(a: Expr, b: Expr) -> bool:
    """Whether two extents agree at the layer's sizes (sampled where symbolic)."""
    if a == b:  # one expression (the window arithmetic remembers what it built)
        return True
    free = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = random.Random(0)
    for _ in range(6 if free else 1):
        values = {s: sympy.Integer(rng.randint(200, 400)) for s in free}
        if sympy.Integer(0) != (a.xreplace(values) - b.xreplace(values)):
            return False
    return True


def shape_text(shape: tuple[Expr, ...]) -> str:
    return "(" + ", ".join(spoken(e) for e in shape) + ("," if len(shape) == 1 else "") + ")"
