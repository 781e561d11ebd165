"""A polynomial relation in one size, ``p(u) REL 0`` with numbers for
coefficients, solved over the whole numbers the size may take, exactly and at any degree.

Where p is monotone over the size's domain (every parameter count: a sum of products of sizes
with positive coefficients), its sign changes once, at the smallest whole number m with
p(m) ≥ 0, which integer bisection finds in O(log m) exact evaluations; the answer is then
``u = m``, ``u ≤ m``, ``u ≥ m``, every value or none. sympy's solvers give the same roots as
radicals or RootOf objects, but can take minutes at degree 32 and say nothing about which
roots are whole numbers.

>>> import sympy
>>> K = sympy.Symbol("K", integer=True, positive=True)
>>> whole_solutions(sympy.Eq, sympy.Poly(64 * (K**2 + 1) - 640, K))
Eq(K, 3)
>>> whole_solutions(sympy.Le, sympy.Poly(11 * K**32 - 10**20, K))
K <= 3
"""

from __future__ import annotations

import sympy

# p ≤ 0 ⇔ −p ≥ 0: the relation that holds for −p
_NEGATED = {sympy.Eq: sympy.Eq, sympy.Le: sympy.Ge, sympy.Lt: sympy.Gt, sympy.Ge: sympy.Le,
            sympy.Gt: sympy.Lt}


def lowest(u: sympy.Symbol) -> int | None:
    """The smallest whole number the size may be, from its assumptions; None if unbounded."""
    if u.is_integer and u.is_positive:
        return 1
    if u.is_integer and u.is_nonnegative:
        return 0
    return None


def whole_solutions(relation: type, p: sympy.Poly) -> sympy.Basic | None:
    """``p(u) REL 0`` over the whole numbers u may take, as ``u = m``, ``u ≤ m``, ``u ≥ m``,
    true or false; None where p is not monotone there (or u is not a bounded-below integer)."""
    u = p.gen
    low = lowest(u)
    if low is None or p.degree() < 1 or not p.free_symbols <= {u}:
        return None
    _, p = p.clear_denoms()  # a positive multiple: the same signs, whole coefficients
    slopes = [c for c in p.shift(low).all_coeffs()[:-1] if c != 0]
    if not slopes or len({c > 0 for c in slopes}) != 1:
        return None  # not monotone for u ≥ low (by this test): left to the enumeration
    if slopes[0] < 0:
        p, relation = -p, _NEGATED[relation]
    coeffs = [int(c) for c in p.all_coeffs()]
    m = _first_nonnegative(coeffs, low)
    return _answer(relation, u, m, _value(coeffs, m) == 0, low)


def _value(coeffs: list[int], x: int) -> int:
    """The polynomial at x (Horner's rule, exact)."""
    total = 0
    for c in coeffs:
        total = total * x + c
    return total


def _first_nonnegative(coeffs: list[int], low: int) -> int:
    """The smallest whole m ≥ low with p(m) ≥ 0, p increasing without bound from low: doubling
    steps bracket it, bisection finds it (about 2·log₂ m evaluations)."""
    if _value(coeffs, low) >= 0:
        return low
    below, step = low, 1  # p(below) < 0
    while _value(coeffs, below + step) < 0:
        below, step = below + step, step * 2
    above = below + step  # p(above) ≥ 0
    while above - below > 1:
        middle = (below + above) // 2
        if _value(coeffs, middle) >= 0:
            above = middle
        else:
            below = middle
    return above


def _answer(relation: type, u: sympy.Symbol, m: int, root: bool, low: int) -> sympy.Basic:
    """The set {u ≥ low : p(u) REL 0} for p increasing, m its first value with p(m) ≥ 0 and
    `root` whether p(m) = 0."""
    if relation is sympy.Eq:
        return sympy.Eq(u, m) if root else sympy.false
    if relation in (sympy.Le, sympy.Lt):
        last = m if relation is sympy.Le and root else m - 1
        return sympy.Le(u, last) if last >= low else sympy.false
    first = m + 1 if relation is sympy.Gt and root else m
    return sympy.Ge(u, first) if first > low else sympy.true


def relate(kind: type, lhs: sympy.Expr, rhs: sympy.Expr) -> sympy.Basic:
    """``kind(lhs, rhs)``, folded to true or false where it is decided. sympy's own evaluation
    decides a polynomial in one size by isolating the real roots of its derivative (seconds at
    degree 32, more beyond); with numbers for coefficients it is decided here instead, and
    left unevaluated where it is not."""
    p = lhs - rhs
    if len(p.free_symbols) == 1:
        u = next(iter(p.free_symbols))
        if p.is_polynomial(u) and sympy.degree(p, u) >= 2:
            answer = whole_solutions(kind, sympy.Poly(p, u))
            if answer is sympy.true or answer is sympy.false:
                return answer
            return kind(lhs, rhs, evaluate=False)
    return kind(lhs, rhs)


def upper_bounds(relation: sympy.Basic, lows: dict[sympy.Symbol, int]) -> dict[sympy.Symbol, int]:
    """Bounds on several unknowns from one count: for ``p(x₁, …, xₙ) ≤ 0`` (or ``= 0``, ``< 0``)
    with p a polynomial in them whose coefficients are numbers, none negative but the
    constant's, p grows with every xᵢ ≥ 0, so each xᵢ is at most the largest value with p ≤ 0
    when the others are at their lowest (`lows`, each ≥ 0). {} where that does not apply."""
    if not isinstance(relation, (sympy.Eq, sympy.Le, sympy.Lt)):
        return {}
    p = relation.lhs - relation.rhs
    xs = [x for x in lows if x in p.free_symbols]
    if len(xs) < 2 or p.free_symbols != set(xs) or min(lows.values()) < 0 \
            or not p.is_polynomial(*xs):
        return {}
    _, poly = sympy.Poly(p, *xs).clear_denoms()
    if any(c < 0 for monomial, c in poly.terms() if any(monomial)):
        return {}
    out = {}
    for x in xs:
        alone = p.xreplace({y: sympy.Integer(lows[y]) for y in xs if y is not x})
        answer = whole_solutions(sympy.Le, sympy.Poly(alone, x))
        if answer is sympy.false:
            out[x] = lows[x] - 1
        elif isinstance(answer, sympy.Le):
            out[x] = int(answer.rhs)
    return out
