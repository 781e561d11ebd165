"""The maths every window operation shares, kept in one canonical form.

Every extent symconv builds is ``floor(N/D) + B`` (N, B integer-valued, D a positive integer), or
a Min/Max of such forms, or an opaque integer expression (treated as ``floor(X/1) + 0``). Window
operations compose in that form in O(1) per layer, so stacked pools print as one floor.

Identities used, each for integers N, q, m and positive integers D, s (tested in
tests/test_extent.py against plain integer evaluation, negative values included):

1. ``floor(floor(y)/s) = floor(y/s)`` for real y           (nested floors collapse)
2. ``floor(N/D) + q = floor((N + D*q)/D)``                   (offsets move in and out)
3. ``floor((N + D*m)/D) = floor(N/D) + m``                   (whole multiples of D move out)
4. ``floor((X + D - 1)/D) = ceiling(X/D)`` for integer X     (printing only)
5. ``f(Min(a, b)) = Min(f(a), f(b))`` for non-decreasing f   (ceil-mode corrections pass through)
6. ``D*floor(N/D) = N - (N mod D)``                          (conditions only: a skip after a
   pool and an upsampling, ``2*floor(H/2) = H``, reads ``H mod 2 = 0``)
7. ``c*floor(y) >= m  ⇔  floor(y) >= ceiling(m/c)`` for a positive integer c and integer m
8. ``X + (X mod 2) = 2*ceiling(X/2)`` for integer X   (Keras's correct_pad before a stride-2
   'valid' window: the padded extent is even, and the window halves it exactly)

Non-identities are never applied: ``D*floor(X/D)`` stays as it is.

Extents with symbolic kernels, strides or paddings compose the same way; `quotient` composes
them as polynomials, without sympy's assumption queries, where that builds what sympy would.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import gcd

import sympy
from sympy import Add, Expr, Integer, Max, Min, Mul, Rational, ceiling, floor

from . import limits, quotient
from .identity import ByIdentity


@dataclass(frozen=True)
class FloorForm:
    """``floor(num/den) + offset``."""

    num: Expr
    den: Expr
    offset: Expr

    def expr(self) -> Expr:
        return _build(self.num, self.den, self.offset)


@dataclass(frozen=True)
class Linear:
    """``floor((a1*x1 + … + const)/den)`` with whole numbers a_i ≠ 0, const and den ≥ 1, the x_i
    integer symbols: the form of every extent a chain of window layers with numeric kernels,
    strides and paddings makes. Composed with plain integer arithmetic (identities 1 and 2), it
    costs no sympy assumption query; sympy objects are made once per extent, for printing."""

    terms: tuple[tuple[sympy.Symbol, int], ...]  # sorted by name
    const: int
    den: int

    def reduced(self) -> Linear:
        """floor(g*M/(g*E)) = floor(M/E): the common factor of every coefficient and den out."""
        g = gcd(self.den, self.const, *(a for _, a in self.terms))
        if g <= 1:
            return self
        return Linear(tuple((x, a // g) for x, a in self.terms), self.const // g, self.den // g)

    def least(self) -> int | None:
        """The least value of the sum of the terms when every coefficient is positive and
        every symbol a size (each at its least value, 1 or 0: a size ≥ 0 adds nothing);
        None otherwise."""
        total = 0
        for x, a in self.terms:
            if a <= 0 or not x.is_nonnegative:
                return None
            total += a if x.is_positive else 0
        return total


# The Linear form of every extent built from one. The form kept is a function of the expression
# alone (reduced, and den = 1 when no term is left inside a rounding), so what is derived never
# depends on what was derived before.
_LINEAR = ByIdentity(200_000)


def linear(e: Expr) -> Linear | None:
    """`e` read as a Linear form: an extent this module built, a whole number, or a sum of
    integer multiples of integer symbols and a whole number; None for anything else."""
    known = _LINEAR.get(e)
    if known is not None:
        return known  # type: ignore[return-value]
    if e.is_Integer:
        return Linear((), int(e), 1)
    if not (e.is_Symbol or e.is_Add or e.is_Mul):
        return None
    coeffs: dict[sympy.Symbol, int] = {}
    const = 0
    for term in Add.make_args(e):
        if term.is_Integer:
            const += int(term)
            continue
        coeff, x = term.as_coeff_Mul()
        if not (coeff.is_Integer and x.is_Symbol and x.is_integer):
            return None
        coeffs[x] = coeffs.get(x, 0) + int(coeff)
    terms = tuple(sorted(((x, a) for x, a in coeffs.items() if a), key=lambda t: t[0].name))
    return Linear(terms, const, 1)


def _round(kind: type, terms: list[tuple[sympy.Symbol, int]], const: int, den: int,
           outside: list[Expr], offset: int) -> Expr:
    """``kind((Σ a*x + const)/den) + Σ outside + offset`` in the very structure sympy's own
    evaluation gives (whole terms outside the rounding, a fractional constant inside), made
    without its assumption queries."""
    whole, part = divmod(const, den)
    if part == 0:
        offset += whole
    if len(terms) == 1 and not outside:  # one size (an axis of a chain): built as it stands
        (x, a), = terms
        # a·x/den with a % den ≠ 0: Mul's own (coefficient, size); the constant first in a sum
        inside = Mul._from_args((Rational(a, den), x))
        if part:
            inside = Add._from_args((Rational(const, den), inside))
        rounded = quotient.unevaluated(kind, inside)
        return Add._from_args((Integer(offset), rounded)) if offset else rounded
    inner = [Rational(a, den) * x for x, a in terms]
    if part:
        inner.append(Rational(const, den))
    return Add(quotient.unevaluated(kind, Add(*inner)), *outside, Integer(offset))


def _linear_sum(terms: tuple[tuple[sympy.Symbol, int], ...], const: int) -> Expr:
    return Add(*[a * x for x, a in terms], Integer(const))


def _expr_of(form: Linear) -> Expr:
    """The sympy expression of a Linear form, the shortest of its equal writings (identity 4:
    ⌈H/2⌉ rather than ⌊(H + 1)/2⌋); ties go to floor and to no outer offset."""
    den = form.den
    inside = [(x, a) for x, a in form.terms if a % den]
    if not inside:  # every term a whole multiple of den: a plain linear expression
        form = Linear(tuple((x, a // den) for x, a in form.terms), form.const // den, 1)
        out = _linear_sum(form.terms, form.const)
    else:
        outside = [(a // den) * x for x, a in form.terms if not a % den]
        q, r = divmod(form.const, den)
        b = form.const
        options = [  # (constant inside, offset outside, rounding)
            (r, q, floor), (b, 0, floor), (r - den + 1, q, ceiling), (b - den + 1, 0, ceiling)]

        def cost(option: tuple[int, int, type]) -> int:
            inner, outer, _ = option  # a whole inner constant moves out (_round)
            return (inner % den != 0) + ((outer if inner % den else outer + inner // den) != 0)

        inner, outer, kind = min(options, key=cost)  # min keeps the first of equals
        out = _round(kind, inside, inner, den, outside, outer)
    _LINEAR.put(out, form)
    return out


def _compose(form: Linear, add: int, stride: int, plus: int) -> Expr:
    """``floor((form + add)/stride) + plus`` for whole numbers (identities 1 and 2):
    ``floor((floor(N/D) + add)/s) + plus = floor((N + D*add + D*s*plus)/(D*s))``."""
    d = form.den
    return _expr_of(Linear(form.terms, form.const + d * add + d * stride * plus, d * stride)
                    .reduced())


@lru_cache(maxsize=4096)
def decompose(e: Expr) -> FloorForm:
    """Read an extent as ``floor(num/den) + offset`` (an opaque one has den = 1); a rounding
    nested in the numerator is flattened (identities 1 and 2)."""
    known = quotient.built(e)
    if known is not None:  # a large form: its parts are known, asking sympy would be slow
        num = known.inside if known.kind is floor else quotient.P.add(
            known.inside, known.form.den, quotient.P.constant(-1))
        show = quotient.P.show
        return FloorForm(show(num), show(known.form.den), show(known.outside))
    e = _even_up(e)
    terms = Add.make_args(e)
    rounded = [t for t in terms if isinstance(t, (floor, ceiling))]
    if len(rounded) == 1:
        rest = Add(*[t for t in terms if t is not rounded[0]])
        parts = _fraction(rounded[0])
        if parts is not None and rest.is_integer:
            num, den = parts
            inner = decompose(num) if num.has(floor, ceiling) else None
            if inner is not None and inner.den != 1:
                # floor((floor(a/b) + o)/den) = floor((a + b*o)/(b*den))
                return FloorForm(inner.num + inner.den * inner.offset, inner.den * den, rest)
            return FloorForm(num, den, rest)
    return FloorForm(e, Integer(1), Integer(0))


def _even_up(e: Expr) -> Expr:
    """Identity 8 for ``e = c*(X + k) + c*(X mod 2)`` with k a whole number: ``e`` becomes
    ``c*(2*ceiling(X/2) + k)``. The two X are compared in canonical form (ceiling(H/2) - 1 and
    floor((H - 1)/2) are one extent)."""
    if not e.has(sympy.Mod):
        return e
    for t in Add.make_args(e):
        coeff, mod = t.as_coeff_Mul()
        if not (isinstance(mod, sympy.Mod) and mod.args[1] == 2 and coeff.is_Integer
                and coeff > 0):
            continue
        x = mod.args[0]
        rest = limits.expand((e - t) / coeff)
        mine, other = decompose(x), decompose(rest)
        # floor((N + D*m)/D) = floor(N/D) + m: numerators a multiple of D apart are one form
        k = limits.expand(other.offset - mine.offset + (other.num - mine.num) / mine.den)
        if mine.den != 1 and other.den == mine.den and k.is_Integer:
            return coeff * (2 * ceiling(x / 2) + k)
        if mine.den == 1 and limits.expand(rest - x).is_Integer:
            return coeff * (2 * ceiling(x / 2) + limits.expand(rest - x))
    return e


def _fraction(term: floor | ceiling) -> tuple[Expr, Expr] | None:
    num, den = sympy.fraction(sympy.together(term.args[0]))
    if not (num.is_integer and den.is_integer and den.is_positive):
        return None
    if isinstance(term, ceiling):  # ceiling(X/D) = floor((X + D - 1)/D)
        num = num + den - 1
    return num, den


@lru_cache(maxsize=4096)  # a network repeats its extents (every block of a stage alike)
def _build(num: Expr, den: Expr, offset: Expr) -> Expr:
    """The normal form of ``floor(num/den) + offset``: whole multiples of den moved out, then
    the shortest of the equal forms (identity 4) chosen for printing."""
    if den.is_Integer and den > 0 and offset.is_Integer:
        form = linear(limits.expand(num))
        if form is not None:
            return _compose(form, 0, int(den), int(offset))
    kept = []
    for term in Add.make_args(limits.expand(num)):
        share = term / den
        if share.is_integer:
            offset += share
        elif term.is_Integer and den.is_Integer:
            whole, rest = divmod(int(term), int(den))
            offset += whole
            kept.append(Integer(rest))
        else:
            kept.append(term)
    num = Add(*kept)
    if den == 1 or num == 0:
        whole = decompose(offset)  # a nested rounding left whole, flattened
        if num == 0 and whole.den != 1 and whole.num != offset:
            return _build(whole.num, whole.den, whole.offset)
        return num + offset
    candidates = [
        floor(num / den) + offset,
        floor(limits.expand(num + den * offset) / den),
        ceiling(limits.expand(num - den + 1) / den) + offset,
        ceiling(limits.expand(num + den * offset - den + 1) / den),
    ]
    costs = [sympy.count_ops(c) for c in candidates]
    return candidates[costs.index(min(costs))]


def _monotone(e: Expr, f) -> Expr:  # type: ignore[no-untyped-def]
    """Apply a non-decreasing extent map through Min/Max (identity 5)."""
    if isinstance(e, (Min, Max)):
        return type(e)(*[_monotone(a, f) for a in e.args])
    return f(e)


def affine_floor(extent: Expr, add: Expr, stride: Expr, plus: Expr = Integer(1)) -> Expr:
    """``floor((extent + add)/stride) + plus``, composed into the extent's canonical form.
    Remembered by the extent's identity (the layers of a stage see the same extent objects
    again and again)."""
    add, stride, plus = (Integer(v) if isinstance(v, int) else v for v in (add, stride, plus))
    known = _AFFINE.get(extent, add, stride, plus)
    if known is None:
        numeric = add.is_Integer and stride.is_Integer and stride > 0 and plus.is_Integer

        def one(e: Expr) -> Expr:
            form = linear(e) if numeric else None
            if form is not None:
                return _compose(form, int(add), int(stride), int(plus))
            fast = quotient.compose_fast(e, add, stride, plus, decompose)
            if fast is not None:
                return fast
            general = decompose(e)
            num = general.num + general.den * (general.offset + add)
            return _build(num, general.den * stride, plus)

        known = _monotone(extent, one)
        _AFFINE.put(extent, known, add, stride, plus)
    return known  # type: ignore[return-value]


_AFFINE = ByIdentity(20_000)


def window(extent: Expr, span: Expr, stride: Expr, pad_total: Expr) -> Expr:
    """Floor-mode window count: ``floor((L + pad_total - span)/stride) + 1``."""
    return affine_floor(extent, pad_total - span, stride)


def ceil_window(extent: Expr, span: Expr, stride: Expr, pad: Expr) -> Expr:
    """PyTorch's ceil-mode pooling count with `pad` on each side.

    ``ceil((L + 2p - span)/s) + 1``, less one when the last window would start in the right
    padding; in closed form ``min(floor((L + 2p - span + s - 1)/s), floor((L + p - 1)/s)) + 1``.
    Both terms share L and s, so the smaller constant decides whenever its sign is known.
    """
    first = 2 * pad - span + stride - 1
    second = pad - 1
    gap = limits.expand(first - second)
    if gap.is_nonnegative:
        return affine_floor(extent, second, stride)
    if gap.is_nonpositive:
        return affine_floor(extent, first, stride)
    limits.check_branches(2 * _branches(extent))
    return Min(affine_floor(extent, first, stride), affine_floor(extent, second, stride))


def _branches(e: Expr) -> int:
    """The plain extents inside a Min/Max (1 for a plain one): ceil-mode pools whose correction
    stays open double them, layer after layer."""
    if isinstance(e, (Min, Max)):
        return sum(_branches(a) for a in e.args)
    return 1


def ceil_div(extent: Expr, stride: Expr) -> Expr:
    """``ceiling(L/s)``: Keras 'same' padding."""
    return affine_floor(extent, stride - 1, stride, Integer(0))


def _scaled_floor(e: Expr) -> tuple[Expr, Expr, Expr, Expr] | None:
    """Read ``e`` as ``c*floor(num/den) + rest`` (c a whole number ≠ 0, rest free of floors)."""
    found, rest = None, []
    for term in Add.make_args(e):
        coeff, factor = term.as_coeff_Mul()
        if isinstance(factor, (floor, ceiling)) and coeff.is_Integer:
            if found is not None:
                return None
            found = (coeff, factor)
        else:
            rest.append(term)
    if found is None or not found[0] > 1:  # c = 1 adds nothing to identities 6 and 7
        return None
    parts = _fraction(found[1])
    remainder = Add(*rest)
    if parts is None or not remainder.is_integer or remainder.has(floor, ceiling):
        return None
    return found[0], parts[0], parts[1], remainder


def equal(a: Expr, b: Expr) -> sympy.Basic:
    """The condition ``a = b`` on two extents, readable (identity 6): true or false when it is
    so for every size; ``N mod D = k`` when one side is ``D*floor(N/D) + B`` and the other
    differs from ``N + B`` by a constant; ``floor(N/D') mod c = k`` when one side is
    ``c*floor(N/(c*D')) + B`` and the other ``floor(N/D') + B'`` (identities 1 and 6)."""
    if a == b:
        return sympy.true
    known_a, known_b = quotient.built(a), quotient.built(b)
    if known_a is not None and known_b is not None:
        return quotient.equal(a, b, known_a, known_b)
    diff = limits.expand(a - b)
    if diff == 0:
        return sympy.true
    if diff.is_number:
        return sympy.false
    for x, y in ((a, b), (b, a)):
        found = _scaled_floor(x)
        if found is None or not found[2].is_Integer:
            continue
        c, num, den, rest = found
        if c == den:
            k = limits.expand(num + rest - y)  # x = num - (num mod den) + rest
            if k.is_Integer:
                return sympy.Eq(sympy.Mod(num, den), k) if 0 <= k < den else sympy.false
            continue
        other = decompose(y)  # c*floor(z/c) = z - (z mod c) with z = floor(N/D') = y - B'
        if c.is_positive and other.den * c == den and limits.expand(other.num - num) == 0:
            k = limits.expand(rest - other.offset)
            if k.is_Integer:
                z = _build(other.num, other.den, Integer(0))
                return sympy.Eq(sympy.Mod(z, c), k) if 0 <= k < c else sympy.false
    return sympy.Eq(a, b)


def at_least(extent: Expr, bound: Expr) -> sympy.Basic:
    """The condition ``extent >= bound`` with floors removed: floor(N/D) + B >= m ⇔ N >= D(m - B)."""
    if isinstance(extent, Min):
        return sympy.And(*[at_least(a, bound) for a in extent.args])
    if isinstance(extent, Max):
        return sympy.Or(*[at_least(a, bound) for a in extent.args])
    known = quotient.built(extent)
    if known is not None and isinstance(bound, (int, Integer)):
        return quotient.at_least(known, int(bound))
    form = linear(extent)
    least = form.least() if form is not None else None
    if form is not None and isinstance(bound, (int, Integer)) and least is not None:
        # floor(N/D) >= m ⇔ N >= D*m; true for every size when it holds with each size at
        # its least value
        rhs = form.den * int(bound) - form.const
        if least >= rhs:
            return sympy.true
        if not form.terms:
            return sympy.false
        return sympy.Ge(_linear_sum(form.terms, 0), Integer(rhs), evaluate=False)
    poly = quotient.P.read(extent) if isinstance(bound, (int, Integer)) else None
    decided = quotient.polynomial_at_least(poly, int(bound)) if poly is not None else None
    if decided is not None:
        return decided
    scaled = _scaled_floor(extent)
    if scaled is not None and scaled[0] > 1 and (bound - scaled[3]).is_Integer:
        c, num, den, rest = scaled  # identity 7
        return at_least(floor(num / den), ceiling((bound - rest) / c))
    form = decompose(extent)
    rhs = form.den * (bound - form.offset)
    lhs = []
    for term in Add.make_args(limits.expand(form.num)):
        if term.could_extract_minus_sign() or term.is_Number:
            rhs -= term
        else:
            lhs.append(term)
    return sympy.Ge(Add(*lhs), rhs)
