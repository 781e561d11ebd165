"""The conditions a derivation shows: every layer's, less those the others imply, so that
"Valid when" lists a set a reader can take in (LeNet written with `16*(((H-4)//2-4)//2)*…`
showed an `in_features ≥ 1` that H ≥ 16 and W ≥ 16 already give)."""

from __future__ import annotations

import sympy
from sympy import Expr

from ..layers.base import Requirement


def prune(every: list[Requirement]) -> tuple[Requirement, ...]:
    """The conditions less repeats, weaker bounds on one expression (`_strongest`), and those
    the sizes' least values imply (`_implied`)."""
    kept = _strongest(every)
    least = _least_values(kept)
    return tuple(r for r in kept if not _implied(r.condition, least))


def _strongest(every: list[Requirement]) -> list[Requirement]:
    """The conditions less those another one implies: a repeat of an earlier one, or
    ``X ≥ c + R`` where another is ``X ≥ c' + R`` with c' > c (R the symbolic part of the right
    side, c and c' numbers). One pass keeps, per left side and R, the largest c (the first of
    equals): O(n) dictionary lookups, where comparing every pair was O(n²) sympy
    subtractions."""
    strongest: dict[tuple[object, object], Expr] = {}
    for r in every:
        key = _bound_key(r.condition)
        if key is not None:
            c = key[1]
            if key[0] not in strongest or bool(c > strongest[key[0]]):
                strongest[key[0]] = c
    kept, seen = [], set()
    for r in every:
        if r.condition in seen:
            continue
        seen.add(r.condition)
        key = _bound_key(r.condition)
        if key is None or key[1] == strongest[key[0]]:
            kept.append(r)
    return kept


def _bound_key(condition: object) -> tuple[tuple[object, object], Expr] | None:
    """((left side, symbolic part of the right), its number) for a ``≥`` condition."""
    if not isinstance(condition, sympy.GreaterThan):
        return None
    c, rest = condition.rhs.as_coeff_Add()
    return (condition.lhs, rest), c


def _least_values(kept: list[Requirement]) -> dict[sympy.Symbol, int]:
    """Each size's least value by the bounds among the conditions (``H ≥ 16``)."""
    least: dict[sympy.Symbol, int] = {}
    for r in kept:
        c = r.condition
        if isinstance(c, sympy.GreaterThan) and c.lhs.is_Symbol and c.rhs.is_Integer:
            least[c.lhs] = max(least.get(c.lhs, int(c.rhs)), int(c.rhs))
    return least


def _implied(condition: object, least: dict[sympy.Symbol, int]) -> bool:
    """Whether a condition holds wherever the bounds do (`_holds`). A bound itself (``H ≥ 16``)
    is never dropped: it is what the others rest on. ``n1 = 0 or H ≥ 4`` is, beside H ≥ 32
    (ConvNeXt's stages)."""
    if isinstance(condition, sympy.Or):
        return any(_holds(c, least) for c in condition.args)
    lhs = getattr(condition, "lhs", None)
    return lhs is not None and not lhs.is_Symbol and _holds(condition, least)


def _holds(condition: object, least: dict[sympy.Symbol, int]) -> bool:
    """Whether ``X ≥ c`` (or ``X > c``) holds wherever the bounds do: X does not decrease as
    any size grows from its least value (by the bounds, else its domain: ≥ 1, or ≥ 0), and
    holds there."""
    if not isinstance(condition, (sympy.GreaterThan, sympy.StrictGreaterThan)):
        return False
    x, c = condition.lhs, condition.rhs
    if not c.is_Number or x.is_Number:
        return False
    point = {}
    for s in x.free_symbols:
        low = 1 if s.is_positive else 0 if s.is_nonnegative else None
        if low is None or not s.is_integer:
            return False
        point[s] = sympy.Integer(max(low, least.get(s, low)))
    if not _rising(x, point):
        return False
    value = x.xreplace(point)
    if not value.is_Number:
        return False
    return bool(value >= c) if isinstance(condition, sympy.GreaterThan) else bool(value > c)


def _rising(e: Expr, point: dict[sympy.Symbol, Expr]) -> bool:
    """Whether `e` never decreases as any size grows from `point`: sums of such terms with
    positive coefficients, products of such factors that are ≥ 0 at `point` (so everywhere
    beyond), their whole powers, floors, ceilings, max and min."""
    if e.is_Number or e.is_Symbol:
        return True
    if isinstance(e, (sympy.Add, sympy.Max, sympy.Min)):
        return all(_rising(a, point) for a in e.args)
    if isinstance(e, (sympy.floor, sympy.ceiling)):
        return _rising(e.args[0], point)
    if isinstance(e, sympy.Pow):
        return e.exp.is_Integer and e.exp > 0 and _rising(e.base, point) and \
            _nonnegative_at(e.base, point)
    if isinstance(e, sympy.Mul):
        coeff, rest = e.as_coeff_Mul()
        return coeff >= 0 and all(_rising(f, point) and _nonnegative_at(f, point)
                                  for f in sympy.Mul.make_args(rest))
    return False


def _nonnegative_at(e: Expr, point: dict[sympy.Symbol, Expr]) -> bool:
    value = e.xreplace(point)
    return bool(value.is_Number and value >= 0)
