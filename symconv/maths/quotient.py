"""Large window extents with symbolic kernels, strides or paddings, composed without sympy's
assumption queries: the polynomial counterpart of `extent.Linear`.

A chain of convolutions with a symbolic stride S composes into one floor,
``floor(N/S**n) + B``, whose numerator grows by a term or two a layer. sympy's own evaluation
of such a floor asks about the sign and parity of N, and for a polynomial of degree n it
answers by factoring it (seconds at n = 30, minutes at n = 100). Here an extent is a
`Quotient` ``floor(N/(c·M))`` (N a polynomial in the sizes, c a positive whole number, M a
product of positive sizes), composed with dictionary arithmetic (extent identities 1 and 2) and
built into sympy once, in the structure `extent._build` gives: the terms c·M divides moved out
of the rounding, and the shortest of the four equal writings (floor or ceiling, offset inside or
out) by `sympy.count_ops`.

Small forms whose terms (but the constant) inside the rounding all have one sign are left to
`extent`'s general path, where sympy may prove a rounding constant (⌊1/(2S)⌋ = 0). It proves
nothing of the kind when the signs are mixed (⌊(H − K)/S⌋, every convolution with a symbolic
kernel), so those are built here, in a millisecond rather than sympy's 40; and so is every form
of more than SMALL terms, where sympy's proof would take seconds — the same function, possibly
less simplified. tests/test_quotient.py checks that the two paths build the same forms, and
that this module's conditions are the general path's or decide more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import gcd
from typing import Any

import sympy
from sympy import Expr, Integer, ceiling, floor

from . import polynomial as P
from .identity import ByIdentity
from .polynomial import Monomial, Poly

SMALL = 8  # terms inside a rounding up to which extent's general (sympy) path builds it
# degree past which it does not: sympy factors the numerator to learn its sign, 0.5 s at
# degree 32 and 4 s at 64 (a MaxPool after padding=(H**64)**4 ran past 30 s)
HIGH_DEGREE = 16


@dataclass(frozen=True, eq=False)
class Quotient:
    """``floor(num/(coeff·mono))``, coeff ≥ 1 and every size in mono positive."""

    num: Poly
    coeff: int
    mono: Monomial

    def reduced(self) -> Quotient:
        """floor(g·A/(g·B)) = floor(A/B) for g > 0: common whole factors and common sizes out."""
        g = gcd(self.coeff, *self.num.values())
        m = P.common([self.mono, *self.num]) if self.mono else P.ONE
        if g <= 1 and not m:
            return self
        return Quotient({P.over(k, m): v // g for k, v in self.num.items()}, self.coeff // g,
                        P.over(self.mono, m))

    @property
    def den(self) -> Poly:
        return {self.mono: self.coeff}


@dataclass(frozen=True, eq=False)
class Built:
    """How an extent was written: ``kind(inside/den) + outside``, from `form`."""

    form: Quotient
    kind: type
    inside: Poly
    outside: Poly


_BUILT = ByIdentity(50_000)  # forms of the expressions this module built


def built(e: Expr) -> Built | None:
    """How this module wrote `e`, if it did."""
    return _BUILT.get(e)


def stride_of(stride: Expr) -> tuple[int, Monomial] | None:
    """A stride c·M (c ≥ 1, M a product of positive sizes), or None."""
    p = P.read(stride)
    if p is None or len(p) != 1:
        return None
    (m, c), = p.items()
    if c < 1 or not all(x.is_positive for x, _ in m):
        return None
    return c, m


def compose(form: Quotient, add: Poly, stride: tuple[int, Monomial], plus: Poly) -> Quotient:
    """``floor((form + add)/stride) + plus`` (identities 1 and 2):
    ``floor((floor(N/D) + a)/s) + p = floor((N + D·a + D·s·p)/(D·s))``."""
    c, m = stride
    den_c, den_m = form.coeff * c, P.times(form.mono, m)
    num = P.add(form.num, P.mul(add, form.den), P.scale(plus, den_c, den_m))
    return Quotient(num, den_c, den_m).reduced()


def split(form: Quotient) -> tuple[Poly, Poly]:
    """(inside, outside): the terms c·M divides move out, as `extent._build` moves the terms
    whose quotient sympy knows to be whole; with a numeric divisor the constant's whole part
    moves out too."""
    inside: Poly = {}
    outside: Poly = {}
    for m, a in form.num.items():
        if P.divides(form.mono, m) and a % form.coeff == 0:
            outside[P.over(m, form.mono)] = a // form.coeff
        elif not m and not form.mono:
            whole, rest = divmod(a, form.coeff)
            if whole:
                outside[m] = whole
            if rest:
                inside[m] = rest
        else:
            inside[m] = a
    return inside, outside


def build(form: Quotient, parts: tuple[Poly, Poly] | None = None) -> Expr:
    """The sympy expression of `form` (`parts`: its `split`, if known), remembered with it."""
    inside, outside = split(form) if parts is None else parts
    if not inside or (form.coeff == 1 and not form.mono):
        return P.show(P.add(inside, outside))
    den = form.den
    lifted = P.mul(outside, den)
    minus = P.add(P.constant(1), P.scale(den, -1))  # 1 - D
    options = [(floor, {}, outside), (floor, lifted, {}),
               (ceiling, minus, outside), (ceiling, P.add(lifted, minus), {})]
    tally = _Tally(form, inside, outside)
    costs = [tally.ops(kind, change, out) for kind, change, out in options]
    kind, change, out = options[costs.index(min(costs))]  # min keeps the first of equals
    num = P.add(inside, change)
    expr = _written(form, kind, num, out)
    if not form.mono:  # as written: sympy took the whole terms out of the rounding again
        c = form.coeff
        out = P.add(out, {m: a // c for m, a in num.items() if a % c == 0})
        num = {m: a for m, a in num.items() if a % c}
    _BUILT.put(expr, Built(form, kind, num, out))
    return expr


class _Tally:
    """``sympy.count_ops`` of the four writings of one form, each found from the first by the
    few terms in which it differs. count_ops is additive: a sum of n terms costs n − 1, one
    more when every term is negative, plus its terms' costs, each counted without its sign; so
    each monomial contributes (terms and negative terms and operations inside the rounding,
    terms and operations outside it)."""

    def __init__(self, form: Quotient, inside: Poly, outside: Poly) -> None:
        self.form, self.inside, self.outside = form, inside, outside
        totals = [0, 0, 0, 0, 0]
        for m in {*inside, *outside}:
            for i, v in enumerate(self.part(m, inside.get(m, 0), outside.get(m, 0))):
                totals[i] += v
        self.totals = totals

    def part(self, m: Monomial, a: int, b: int) -> tuple[int, int, int, int, int]:
        """Monomial m with coefficient a inside (over the divisor) and b outside."""
        c = self.form.coeff
        if not self.form.mono and a % c == 0:
            b, a = b + a // c, 0  # sympy takes whole terms out of the rounding
        inner = (1, a < 0, _term_ops(abs(a), 1 if self.form.mono else c, m)) if a else (0, 0, 0)
        outer = (1, _term_ops(abs(b), 1, m)) if b else (0, 0)
        return (*inner, *outer)  # type: ignore[return-value]

    def ops(self, kind: type, change: Poly, outside: Poly) -> int:
        totals = list(self.totals)
        moved = outside is not self.outside
        for m in {*change, *((*self.outside, *outside) if moved else ())}:
            a, b = self.inside.get(m, 0), self.outside.get(m, 0)
            new = self.part(m, a + change.get(m, 0), outside.get(m, 0))
            for i, (old, now) in enumerate(zip(self.part(m, a, b), new)):
                totals[i] += now - old
        n, negative, inner, top, outer = totals
        if n < 2:  # sympy may cancel or round it whole: count the written form
            return sympy.count_ops(_written(self.form, kind, P.add(self.inside, change), outside))
        rounded = 1 + n - 1 + (negative == n) + inner
        if self.form.mono:  # c·(sum)/(d·M): one more division, and the divisor
            rounded += 1 + _term_ops(1, self.form.coeff, self.form.mono)
        return rounded if not top else top + rounded + outer


_TERM_OPS: dict[tuple[int, int, Monomial], int] = {}


def _term_ops(a: int, den: int, m: Monomial) -> int:
    """count_ops of the term (a/den)·m, remembered (a chain repeats its monomials)."""
    key = (a, den, m)
    known = _TERM_OPS.get(key)
    if known is None:
        if len(_TERM_OPS) > 100_000:
            _TERM_OPS.clear()
        known = _TERM_OPS[key] = sympy.count_ops(sympy.Rational(a, den) * P.monomial_expr(m))
    return known


def _written(form: Quotient, kind: type, num: Poly, outside: Poly) -> Expr:
    """``kind(num/den) + outside`` as sympy evaluates it, without its assumption queries:
    a numeric divisor spread over the sum, whole terms taken out of the rounding."""
    c = form.coeff
    if form.mono:
        arg = sympy.Mul(P.show(num), Integer(1) / Integer(c),
                        *[sympy.Pow(x, -e) for x, e in form.mono])
    else:
        arg = P.show({m: a for m, a in num.items() if a % c}, c)
        outside = P.add(outside, {m: a // c for m, a in num.items() if a % c == 0})
    rounded = kind(arg) if arg.is_Rational else unevaluated(kind, arg)
    return sympy.Add(rounded, P.show(outside)) if outside else rounded


def unevaluated(kind: type, arg: Expr) -> Expr:
    """``kind(arg, evaluate=False)`` without sympy's construction cache, whose keys (sums with
    power-of-two denominators) collide in Python's integer hash every 61 bits, and without
    rebuilding the one-argument `nargs` set for each of thousands of extents: the object is
    the same, ``Basic.__new__`` being what ``Application.__new__`` calls to make it."""
    obj = sympy.Basic.__new__(kind, arg)
    obj.nargs = _ONE_ARGUMENT
    return obj


_ONE_ARGUMENT = sympy.FiniteSet(1)


def compose_fast(e: Expr, add: Expr, stride: Expr, plus: Expr,
                 decompose: Callable[[Expr], Any]) -> Expr | None:
    """``floor((e + add)/stride) + plus`` by this module when every part is a polynomial
    (stride a whole number times positive sizes) and the result is large, of high degree or has
    terms of both signs inside its rounding; None for extent's general path. `decompose` is extent's reader
    of its own small forms (passed in: extent imports this module, not the reverse)."""
    s = stride_of(stride)
    a, p = P.read(add), P.read(plus)
    if s is None or a is None or p is None:
        return None
    form = read(e, decompose)
    if form is None:
        return None
    out = compose(form, a, s, p)
    parts = split(out)
    fast = (len(parts[0]) > SMALL or _mixed(parts[0])
            or max(P.degree(p) for p in parts) > HIGH_DEGREE)
    return build(out, parts) if fast else None


def _mixed(inside: Poly) -> bool:
    """Whether the terms but the constant have both signs: sympy then proves no sign of the
    rounding's argument, so the general path would build exactly what `build` builds."""
    signs = {a > 0 for m, a in inside.items() if m}
    return len(signs) > 1


def read(e: Expr, decompose: Callable[[Expr], Any]) -> Quotient | None:
    """`e` as a Quotient: one this module built, a polynomial, or a small form written by
    extent's general path (read through extent.decompose, cheap there); else None."""
    known = built(e)
    if known is not None:
        return known.form
    poly = P.read(e)
    if poly is not None:
        return Quotient(poly, 1, P.ONE)
    if sum(1 for _ in sympy.preorder_traversal(e)) > 20 * SMALL:
        return None
    parts = decompose(e)
    num, den, offset = P.read(parts.num), P.read(parts.den), P.read(parts.offset)
    if num is None or den is None or offset is None or len(den) != 1:
        return None
    (m, c), = den.items()
    if c < 1 or not all(x.is_positive for x, _ in m):
        return None
    return Quotient(P.add(num, P.mul(offset, den)), c, m).reduced()


def at_least(b: Built, bound: int) -> sympy.Basic:
    """``extent >= bound`` for a large built extent, in the form extent.at_least's general
    path gives (floor(N/D) + B >= m ⇔ N >= D·(m − B), N's positive terms on the left), decided
    when N + D·(B − m), or N and B − m each, has every term but the constant of one sign (its
    least value is then at the sizes' least values), else kept unevaluated."""
    num = b.inside if b.kind is floor else P.add(b.inside, b.form.den, P.constant(-1))
    den = b.form.den
    excess = P.add(P.constant(-bound), b.outside)  # B − m
    difference = P.add(num, P.mul(excess, den))  # ≥ 0 is the condition (D > 0)
    if _at_least_zero(difference) or (_at_least_zero(num) and _at_least_zero(excess)):
        return sympy.true
    negated = P.scale(difference, -1)
    if _above_zero(negated) or (_above_zero(P.scale(num, -1))
                                and _at_least_zero(P.scale(excess, -1))):
        return sympy.false
    left = {m: a for m, a in num.items() if m and a > 0}
    right = {m: -a for m, a in num.items() if not m or a < 0}
    rest = P.add(P.constant(bound), P.scale(b.outside, -1))
    if set(rest) <= {P.ONE} or not b.form.mono:  # D·(m − B) multiplies out
        rhs = P.show(P.add(right, P.mul(rest, den)))
    else:  # sympy keeps (sizes)·(a sum) as a product
        rhs = sympy.Add(sympy.Mul(P.show(den), P.show(rest)), P.show(right))
    return sympy.Ge(P.show(left), rhs, evaluate=False)


def polynomial_at_least(poly: Poly, bound: int) -> sympy.Basic | None:
    """``poly >= bound`` for an extent that is a polynomial: decided as `at_least` decides,
    kept unevaluated when large (sympy would look for the roots of the polynomial); None for
    a small one it cannot decide (extent's general path then writes it as before)."""
    b = Built(Quotient(poly, 1, P.ONE), floor, poly, {})
    condition = at_least(b, bound)
    if condition in (sympy.true, sympy.false) or len(poly) > SMALL or P.degree(poly) > SMALL:
        return condition
    return None


def _at_least_zero(p: Poly) -> bool:
    low = P.lowest(p)
    return low is not None and low >= 0


def _above_zero(p: Poly) -> bool:
    low = P.lowest(p)
    return low is not None and low > 0


def equal(a: Expr, b: Expr, x: Built, y: Built) -> sympy.Basic:
    """``a = b`` for two large built extents (`x`, `y` how they were written): true when they
    are one form, false when they differ by a whole number, else kept unevaluated (deciding
    it would mean comparing two large polynomials' roundings)."""
    f, g = x.form, y.form
    if f.coeff == g.coeff and f.mono == g.mono:
        gap = P.add(f.num, P.scale(g.num, -1))
        if not gap:
            return sympy.true
        if list(gap) == [P.ONE] and not f.mono and gap[P.ONE] % f.coeff == 0:
            return sympy.false
    return sympy.Eq(a, b, evaluate=False)
