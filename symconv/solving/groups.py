"""The solutions as a person reads them: products of runs of whole numbers.

Four kernels 1, 3, 2, 4 are one run, ``K in 1..4``; the 16 pairs of H in 26..29 and W in 26..29
are one product of two runs; (K, S) in {(3, 2), (4, 2), (16, 1)} are two groups,
``K in 3..4, S = 2`` and ``K = 16, S = 1``.

>>> grouped([{"K": 3, "S": 2}, {"K": 4, "S": 2}, {"K": 16, "S": 1}], ("K", "S"))
[{'K': ((3, 4),), 'S': ((2, 2),)}, {'K': ((16, 16),), 'S': ((1, 1),)}]
>>> runs([1, 3, 2, 4, 7, 9, 8])
((1, 4), (7, 9))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sympy

Run = tuple[int, int]  # lo..hi, both included
Group = dict[str, tuple[Run, ...]]  # each unknown's runs; the group is their product
Bound = tuple[sympy.Expr, bool] | None  # a number and whether the bound is strict


def runs(values: Iterable[int]) -> tuple[Run, ...]:
    """Whole numbers as maximal runs of consecutive values, in increasing order."""
    out: list[Run] = []
    for v in sorted(set(values)):
        if out and v == out[-1][1] + 1:
            out[-1] = (out[-1][0], v)
        else:
            out.append((v, v))
    return tuple(out)


def grouped(solutions: Sequence[Mapping[str, int]], names: Sequence[str]) -> list[Group]:
    """The solutions as a few products of runs (their union is exactly the solutions), by
    their least values. Each rotation of the unknowns is tried for the one split first; the
    one giving fewest groups wins, the first on ties, so the answer is the same in every run."""
    if not solutions:
        return []
    best: list[Group] | None = None
    for shift in range(len(names)):
        order = [*names[shift:], *names[:shift]]
        rows = [tuple(s[n] for n in order) for s in solutions]
        found = [{n: runs(values) for n, values in zip(order, g)} for g in _split(rows)]
        if best is None or len(found) < len(best):
            best = found
    # smallest values first (the solutions come odd kernels first: groups read better in order)
    ordered = sorted(best or [], key=lambda g: tuple(g[n][0][0] for n in names))
    return [{n: g[n] for n in names} for g in ordered]


def _split(rows: list[tuple[int, ...]]) -> list[list[list[int]]]:
    """rows (tuples of equal length) as groups, each a list of value sets, one per position,
    whose product is part of the rows: the first position's values grouped by the set of rests
    they go with, the rests split the same way."""
    if len(rows[0]) == 1:
        return [[[r[0] for r in rows]]]
    rests: dict[int, list[tuple[int, ...]]] = {}
    for row in rows:
        rests.setdefault(row[0], []).append(row[1:])
    firsts: dict[frozenset[tuple[int, ...]], list[int]] = {}
    for value, rest in rests.items():
        firsts.setdefault(frozenset(rest), []).append(value)
    out = []
    for values in firsts.values():
        out += [[values, *sub] for sub in _split(rests[values[0]])]
    return out


def interval(condition: sympy.Basic) -> tuple[sympy.Symbol, Bound, Bound] | None:
    """A condition that only bounds one size by numbers (``61/31 < S ≤ 61/30``, ``u ≥ 6``) as
    (the size, its lower bound, its upper bound), each bound (the number, strict) or None;
    None for anything else (an Or, a floor, another size)."""
    size, low, high = None, None, None
    for part in sympy.And.make_args(condition):
        if not isinstance(part, (sympy.Ge, sympy.Gt, sympy.Le, sympy.Lt)):
            return None
        strict = isinstance(part, (sympy.Gt, sympy.Lt))
        if part.lhs.is_Symbol and part.rhs.is_number:
            u, bound, below = part.lhs, part.rhs, isinstance(part, (sympy.Ge, sympy.Gt))
        elif part.rhs.is_Symbol and part.lhs.is_number:
            u, bound, below = part.rhs, part.lhs, isinstance(part, (sympy.Le, sympy.Lt))
        else:
            return None
        if size is not None and u != size:
            return None
        size = u
        if below:
            low = (bound, strict) if low is None or bound >= low[0] else low
        else:
            high = (bound, strict) if high is None or bound <= high[0] else high
    return (size, low, high) if size is not None else None


def whole(bound: Bound, below: bool) -> int | None:
    """The least (below) or greatest whole number a bound allows (exact for a surd too)."""
    if bound is None:
        return None
    value, strict = bound
    if below:
        return int(sympy.floor(value)) + 1 if strict else int(sympy.ceiling(value))
    return int(sympy.ceiling(value)) - 1 if strict else int(sympy.floor(value))


def lower_bound(condition: sympy.Basic, u: sympy.Symbol) -> int | None:
    """The least whole u meeting `condition` when it only bounds u from below by numbers
    (``u ≥ 6``, ``5/2 < u``, true: u's own least value), else None (an upper bound, an Or, a
    floor, another size: the set may end)."""
    least = 1 if u.is_positive else 0
    if condition is sympy.true:
        return least
    found = interval(condition)
    if found is None or found[0] != u or found[2] is not None:
        return None
    return max(least, whole(found[1], below=True) or least)



def unbounded(unknowns: Mapping[str, sympy.Symbol], closed: Mapping[str, sympy.Basic] | None,
              relations: Sequence[sympy.Basic], valid: Sequence[sympy.Basic],
              needs: Sequence[sympy.Basic]) -> dict[str, int]:
    """The unknowns each of whose conditions is a lower bound on it alone, so that every value
    from the largest bound on is a solution, past any range tried: name → that least value.
    The targets' `relations` are read through their exact closed form `closed`; `valid`: the
    layers' conditions on the unknowns alone; `needs`: those that also hold sizes left
    symbolic (an unknown in one may be bounded by them)."""
    out = {}
    for name, u in unknowns.items():
        bounds = [c for c in valid if u in c.free_symbols]
        if any(u in r.free_symbols for r in relations):
            if closed is None or name not in closed:
                continue
            bounds.append(closed[name])
        if any(u in c.free_symbols for c in needs):
            continue
        leasts = [lower_bound(c, u) for c in bounds] or [lower_bound(sympy.true, u)]
        if all(x is not None for x in leasts):
            out[name] = max(leasts)  # type: ignore[type-var]
    return out
