"""Equations whose unknowns separate into factors, ``c·f₁(x₁)·…·fₙ(xₙ) = N`` (Flatten's
C·⌊…H…⌋·⌊…W…⌋ = 1,600): their solutions found by joining each factor's table on the product
instead of trying every combination."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import sympy
from sympy import Integer

from ..maths.integers import compile_form


def joined(joint: Sequence[sympy.Basic], syms: Sequence[sympy.Symbol],
           domains: Sequence[Sequence[int]], limit: int) -> list[tuple[int, ...]] | None:
    """The candidates of an equation ``c·f₁(x₁)·…·fₙ(xₙ) = N`` whose factors each depend on
    one unknown (Flatten's C·⌊…H…⌋·⌊…W…⌋ = 1,600), found by tabulating each factor over its
    domain and joining on the product, in the domains' order; None when no joint condition
    has that form; at most `limit` (and one) candidates. Other conditions are checked
    afterwards."""
    for condition in joint:
        split = _separable(condition, syms)
        if split is None:
            continue
        constant, factors, total = split
        tables = []
        for sym, values in zip(syms, domains):
            fn = compile_form(factors.get(sym, Integer(1)), [sym])
            tables.append([(x, fn((x,))) for x in values])
        out: list[tuple[int, ...]] = []
        _join(tables, 0, Fraction(total) / constant, (), out, limit)
        return out
    return None


def _join(tables: list[list[tuple[int, object]]], i: int, need: Fraction,
          prefix: tuple[int, ...], out: list[tuple[int, ...]], limit: int) -> None:
    if i == len(tables):
        if need == 1:
            out.append(prefix)
        return
    for x, value in tables[i]:
        if value != 0 and (i < len(tables) - 1 or value == need):
            _join(tables, i + 1, need / Fraction(value), prefix + (x,), out,  # type: ignore[arg-type]
                  limit)
        if len(out) > limit:
            return


def _separable(condition: sympy.Basic, syms: Sequence[sympy.Symbol]):  # type: ignore[no-untyped-def]
    """(c, {x: f(x)}, N) for ``c·∏f(x) = N`` with N ≠ 0 a number, else None."""
    if not isinstance(condition, sympy.Eq):
        return None
    lhs, rhs = condition.lhs, condition.rhs
    if lhs.is_number:
        lhs, rhs = rhs, lhs
    if not rhs.is_Integer or rhs == 0:
        return None
    constant, factors = Integer(1), {}
    for factor in sympy.Mul.make_args(lhs):
        used = [x for x in syms if x in factor.free_symbols]
        if not used:
            if not factor.is_number:
                return None
            constant *= factor
        elif len(used) == 1:
            factors[used[0]] = factors.get(used[0], Integer(1)) * factor
        else:
            return None
    if len(factors) < 2 or not constant.is_Rational:
        return None
    return Fraction(int(constant.p), int(constant.q)), factors, int(rhs)
