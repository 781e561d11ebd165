"""A target relation solved for one unknown, exactly, in the user's symbols.

Floors are inverted, never dropped: for a window extent ``floor(N/D) + B`` and a target T,

    floor(N/D) + B = T  ⇔  D·(T − B) ≤ N ≤ D·(T − B) + D − 1

so with N = H + 2P − K and D = S (a convolution) the kernels are
``H + 2P − S·T + 1 ≤ K ≤ H + 2P − S·(T − 1)``, and with S = 1 exactly ``K = H + 2P − T + 1``;
a stride S (a factor of D) gives ``(H + 2P − K)/T < S ≤ (H + 2P − K)/(T − 1)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy
from sympy import Expr, ceiling, floor

from ..maths import extent
from . import roots


def closed_form(relations: list[sympy.Basic], unknowns: Sequence[str]) -> dict | None:
    """Each unknown's set as one condition, where every relation names one unknown and
    inverts exactly; None otherwise."""
    if any(r is sympy.false for r in relations):
        return {}
    found: dict[str, list[sympy.Basic]] = {}
    sized = {s.name: s for r in relations for s in r.free_symbols}  # by name: ≥ 0 or ≥ 1
    for relation in relations:
        if relation is sympy.true:
            continue
        names = [u for u in unknowns if u in sized and sized[u] in relation.free_symbols]
        if len(names) != 1:
            return None
        inverted = invert(relation, sized[names[0]])
        if inverted is None:
            return None
        found.setdefault(names[0], []).append(inverted)
    return {u: _tidy(sympy.And(*found[u]), sized[u]) for u in found}


def _tidy(condition: sympy.Basic, u: sympy.Symbol) -> sympy.Basic:
    """Numeric bounds on one unknown as one interval (sympy's univariate reduction)."""
    if condition.free_symbols != {u} or condition.has(floor, ceiling, sympy.Mod):
        return condition
    try:
        return sympy.solvers.inequalities.reduce_inequalities(
            sympy.And.make_args(condition), u)
    except (NotImplementedError, ValueError, TypeError):
        return condition


def invert(relation: sympy.Basic, u: sympy.Symbol) -> sympy.Basic | None:
    """`relation` (an equation or a bound in u) as a condition on u alone, exactly."""
    if isinstance(relation, sympy.Eq):
        lhs, rhs = relation.lhs, relation.rhs
        if u in rhs.free_symbols:
            lhs, rhs = rhs, lhs
        if u in rhs.free_symbols:
            return None
        if lhs.has(floor, ceiling):
            return _invert_floor(lhs, rhs, u)
        if lhs.has(sympy.Min, sympy.Max, sympy.Mod):
            return None
        return _invert_polynomial(relation, u)
    if isinstance(relation, (sympy.Le, sympy.Ge, sympy.Lt, sympy.Gt)):
        if relation.has(floor, ceiling, sympy.Min, sympy.Max, sympy.Mod):
            return None
        return _invert_polynomial(relation, u)
    return None


def _invert_polynomial(relation: sympy.Rel, u: sympy.Symbol) -> sympy.Basic | None:
    """p(u) REL 0 for a polynomial p in u: in whole numbers where the coefficients are numbers
    (roots.py, exact and quick at any degree); by sympy's solvers up to degree 2 in other
    sizes (they can take minutes on a degree-32 polynomial); otherwise not inverted."""
    p = relation.lhs - relation.rhs
    if not p.is_polynomial(u):  # u inside a layer's own function (a float scale)
        return None
    degree = sympy.degree(p, u)
    if p.free_symbols == {u} and degree >= 2:
        return roots.whole_solutions(type(relation), sympy.Poly(p, u))
    if degree > 2:
        return None
    try:
        if isinstance(relation, sympy.Eq):
            found = [r for r in sympy.solve(relation, u) if r.is_real is not False]
            return sympy.Or(*[sympy.Eq(u, r) for r in found]) if found else sympy.false
        return sympy.solve_univariate_inequality(relation, u, relational=True)
    except (NotImplementedError, ValueError, TypeError, sympy.PolynomialError):
        return None


def _invert_stride(num: Expr, den: Expr, t: Expr, u: sympy.Symbol) -> sympy.Basic | None:
    """floor((a + b·u)/(g·u)) = t  ⇔  (t·g − b)·u ≤ a < ((t + 1)·g − b)·u, for u a stride
    (den = g·u; b·u appears when the form was written as a ceiling)."""
    g = sympy.cancel(den / u)
    if u in g.free_symbols or not (t.is_Integer and g.is_number) or not num.is_polynomial(u):
        return None
    poly = sympy.Poly(num, u)
    if poly.degree() > 1:
        return None
    b = poly.coeff_monomial(u)
    a = sympy.expand(num - b * u)
    if not b.is_number:
        return None
    low, high = sympy.expand(t * g - b), sympy.expand((t + 1) * g - b)
    return sympy.And(_linear(low, u, a, sympy.Le), _linear(high, u, a, sympy.Gt))


def _linear(c: Expr, u: sympy.Symbol, a: Expr, relation: type) -> sympy.Basic:
    """`c·u REL a` as a bound on u (u positive)."""
    if c == 0:
        return relation(0, a)
    bound = sympy.together(a / c)  # (H - 1)/12, not H/12 - 1/12
    if c > 0:
        return relation(u, bound)
    flipped = {sympy.Le: sympy.Ge, sympy.Gt: sympy.Lt}[relation]
    return flipped(u, bound)


def _invert_floor(lhs: Expr, target: Expr, u: sympy.Symbol) -> sympy.Basic | None:
    """floor(N/D) + B = T  ⇔  D·(T − B) ≤ N ≤ D·(T − B) + D − 1, solved for u where u is
    linear in N (a kernel, a padding, an input size) or a factor of D (a stride)."""
    form = extent.decompose(lhs)
    if form.den == 1 or u in form.offset.free_symbols:
        return None
    t = sympy.expand(target - form.offset)
    num, den = sympy.expand(form.num), form.den
    if u in den.free_symbols:
        return _invert_stride(num, den, t, u)
    if not num.is_polynomial(u):  # u inside a layer's own function (a float scale)
        return None
    poly = sympy.Poly(num, u)
    if poly.degree() != 1:
        return None
    alpha = poly.coeff_monomial(u)
    beta = sympy.expand(num - alpha * u)
    if not alpha.is_number:
        return None
    low, high = den * t, den * t + den - 1
    a, b = sympy.expand((low - beta) / alpha), sympy.expand((high - beta) / alpha)
    if alpha < 0:
        a, b = b, a
    if sympy.expand(a - b) == 0:
        return sympy.Eq(u, a)
    return sympy.And(sympy.Le(a, u), sympy.Le(u, b))
