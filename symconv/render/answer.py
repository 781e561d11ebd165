"""What a `symconv solve` answer says, shared by its text and LaTeX forms: which closed forms
and conditions are shown, the whole numbers and decimals a closed form holds, and when a group
of solutions goes on for ever."""

from __future__ import annotations

import sympy

from ..solving.groups import Run, interval, whole
from ..solving.solver import Solution

SHOWN = 20  # groups of solutions printed in the text and LaTeX forms


def closed(s: Solution) -> dict[str, sympy.Basic]:
    """The closed form's informative entries: not 'true' (every value) or 'false' (none),
    which read as sentences instead."""
    return {k: v for k, v in (s.closed_form or {}).items()
            if v is not sympy.true and v is not sympy.false}


def every(s: Solution) -> list[str]:
    """The unknowns every value of which meets the targets (and which they depend on)."""
    forms = s.closed_form or {}
    return [u for u in s.unknowns if u not in s.independent
            and (s.always or forms.get(u) is sympy.true)]


def uncovered(s: Solution) -> list[sympy.Basic]:
    """The relations on sizes left symbolic that the closed form does not already say (all of
    them when there is none)."""
    unknowns = set(s.unknowns)
    return [_expanded(c) for c in s.conditions if s.closed_form is None
            or not {str(x) for x in c.free_symbols} & unknowns]


def _expanded(condition: sympy.Basic) -> sympy.Basic:
    """An equation of counts with its sides multiplied out, as a person sums them:
    10·(L + 1) + 110 = 220 is 10·L + 120 = 220. Anything else (floors, bounds) as it is."""
    if not isinstance(condition, sympy.Eq) or not all(
            side.is_polynomial() for side in condition.args):
        return condition
    return sympy.Eq(sympy.expand(condition.lhs), sympy.expand(condition.rhs), evaluate=False)


def settled(condition: sympy.Basic) -> str | None:
    """The one value an equation linear in one size leaves: ``L = 10`` for 10·L + 120 = 220;
    None for anything else, or where that value is no whole number of the size's domain."""
    if not isinstance(condition, sympy.Eq):
        return None
    difference = condition.lhs - condition.rhs
    if len(difference.free_symbols) != 1 or not difference.is_polynomial():
        return None
    (u,) = difference.free_symbols
    poly = sympy.Poly(difference, u)
    if poly.degree() != 1:
        return None
    a, b = poly.all_coeffs()
    value = -b / a
    least = 1 if u.is_positive else 0
    return f"{u} = {int(value):,}" if value.is_Integer and value >= least else None


def budget_max(s: Solution) -> bool:
    return any(t.kind == "max-params" for t in s.targets)


def whole_numbers(condition: sympy.Basic) -> tuple[str, int | None, int | None] | None:
    """(size, least, greatest) whole numbers an interval holds when a bound is no whole
    number (``61/31 < S ≤ 61/30``: S, 2, 2); None where the condition already says it
    (``3 ≤ K ≤ 4``) or is no interval."""
    found = interval(condition)
    if found is None:
        return None
    u, low, high = found
    if all(b is None or (b[0].is_Integer and not b[1]) for b in (low, high)):
        return None
    return str(u), whole(low, below=True), whole(high, below=False)


def whole_text(condition: sympy.Basic) -> str | None:
    """The whole numbers as a person states them: ``61/31 < S ≤ 61/30`` is ``S = 2``,
    ``classes ≤ 981184/1601`` is ``classes ≤ 612``."""
    found = whole_numbers(condition)
    if found is None:
        return None
    u, first, last = found
    if first is not None and last is not None:
        if first > last:
            return f"no whole {u}"
        return f"{u} = {first:,}" if first == last else f"{first:,} ≤ {u} ≤ {last:,}"
    return f"{u} ≥ {first:,}" if first is not None else f"{u} ≤ {last:,}"


def approximately(condition: sympy.Basic) -> str | None:
    """Decimals for the bounds of an interval that are not rational (a root of a quadratic
    count): ``≈ 82.51`` after ``width ≤ sqrt(583,999,489)/292 − 1/4``."""
    found = interval(condition)
    if found is None:
        return None
    u, low, high = found
    bounds = [b for b in (low, high) if b is not None]
    if all(b[0].is_Rational for b in bounds):
        return None
    if len(bounds) == 1:
        return f"≈ {decimal(bounds[0][0])}"
    assert low is not None and high is not None
    return (f"(≈ {decimal(low[0])} {'<' if low[1] else '≤'} {u} "
            f"{'<' if high[1] else '≤'} {decimal(high[0])})")


def decimal(x: sympy.Expr) -> str:
    return f"{float(sympy.N(x, 15)):,.2f}"


def forever(s: Solution, name: str, runs: tuple[Run, ...]) -> bool:
    """Whether the runs are every value from the least one the conditions allow, for ever."""
    return (len(runs) == 1 and runs[0][1] == s.ranges[name][1]
            and s.unbounded.get(name) == runs[0][0] < runs[0][1])


def endless(s: Solution) -> bool:
    """The solutions are one product of every value from a least one on, for ever."""
    return s.group_count == 1 and all(forever(s, n, r) for n, r in s.groups[0].items())


def step(runs: tuple[Run, ...]) -> int | None:
    """The step of single values evenly spaced (4, 8, …, 40: the U-Net's skips), 3 or more."""
    starts = [a for a, _ in runs]
    steps = {b - a for a, b in zip(starts, starts[1:])}
    if len(runs) >= 3 and all(a == b for a, b in runs) and len(steps) == 1:
        return steps.pop()
    return None
