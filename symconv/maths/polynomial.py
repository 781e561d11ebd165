"""Polynomials in the sizes with Python-integer coefficients: read from sympy expressions,
added and multiplied as dictionaries, and built back into sympy once.

Window arithmetic with symbolic kernels, strides and paddings composes polynomials layer after
layer; done through sympy, every sum asks its assumption system about signs and parity, which
for a polynomial of degree 50 means factoring it to find real roots (seconds per layer). Here
a composition costs one dictionary operation per term.

>>> H, S = (sympy.Symbol(n, integer=True, positive=True) for n in "HS")
>>> p = read((H + 1) * (S - 1))
>>> show(p)
H*S - H + S - 1
"""

from __future__ import annotations

from collections.abc import Iterable

import sympy
from sympy import Expr, Integer
from sympy.core.basic import ordering_of_classes

from . import limits

Monomial = tuple[tuple[sympy.Symbol, int], ...]  # (size, exponent ≥ 1), sorted by _key
Poly = dict[Monomial, int]  # nonzero coefficients only
ONE: Monomial = ()


def _key(item: tuple[sympy.Symbol, int]) -> tuple[str, int]:
    return item[0].name, hash(item[0])


def constant(value: int) -> Poly:
    return {ONE: value} if value else {}


def times(a: Monomial, b: Monomial) -> Monomial:
    if not a:
        return b
    if not b:
        return a
    powers = dict(a)
    for x, e in b:
        powers[x] = powers.get(x, 0) + e
    return tuple(sorted(powers.items(), key=_key))


def divides(a: Monomial, b: Monomial) -> bool:
    """Whether monomial `a` divides `b` (both a few sizes long: scanned, not hashed)."""
    for x, e in a:
        for y, f in b:
            if y is x or y == x:
                if f < e:
                    return False
                break
        else:
            return False
    return True


def over(b: Monomial, a: Monomial) -> Monomial:
    """b / a, for `a` dividing `b`."""
    powers = dict(b)
    for x, e in a:
        powers[x] -= e
    return tuple(sorted(((x, e) for x, e in powers.items() if e), key=_key))


def common(monomials: Iterable[Monomial]) -> Monomial:
    """The greatest common divisor of monomials (ONE for none)."""
    out: dict[sympy.Symbol, int] | None = None
    for m in monomials:
        powers = dict(m)
        if out is None:
            out = powers
        else:
            out = {x: min(e, powers[x]) for x, e in out.items() if x in powers}
        if not out:
            return ONE
    return tuple(sorted(out.items(), key=_key)) if out else ONE


def add(*polys: Poly) -> Poly:
    out: Poly = {}
    for p in polys:
        for m, c in p.items():
            s = out.get(m, 0) + c
            if s:
                out[m] = s
            else:
                out.pop(m, None)
    return out


def scale(p: Poly, c: int, m: Monomial = ONE) -> Poly:
    """c·m·p."""
    if not c:
        return {}
    return {times(k, m): c * v for k, v in p.items()}


def mul(p: Poly, q: Poly) -> Poly:
    if len(p) * len(q) > limits.MAX_TERMS:
        raise limits.TooLarge(f"a product of polynomials with up to {len(p) * len(q):,} terms "
                              f"(more than {limits.MAX_TERMS:,})")
    out: Poly = {}
    for m, a in p.items():
        for n, b in q.items():
            k = times(m, n)
            s = out.get(k, 0) + a * b
            if s:
                out[k] = s
            else:
                out.pop(k, None)
    return out


def degree(p: Poly) -> int:
    return max((sum(e for _, e in m) for m in p), default=0)


def read(e: Expr) -> Poly | None:
    """`e` as a polynomial with integer coefficients in integer symbols, or None when it is
    not one (a rounding, a fraction, a symbolic exponent). Expansions are bounded by
    limits.MAX_TERMS (TooLarge)."""
    if e.is_Integer:
        return constant(int(e))
    if e.is_Symbol:
        return {((e, 1),): 1} if e.is_integer else None
    if e.is_Add or e.is_Mul:
        parts = [read(a) for a in e.args]
        if any(p is None for p in parts):
            return None
        if e.is_Add:
            return add(*parts)  # type: ignore[arg-type]
        out = constant(1)
        for p in parts:
            out = mul(out, p)  # type: ignore[arg-type]
        return out
    if e.is_Pow and e.exp.is_Integer and int(e.exp) >= 0:
        if e.base.is_Symbol and e.base.is_integer:
            return {((e.base, int(e.exp)),): 1} if int(e.exp) else constant(1)
        if limits.expansion_terms(e) > limits.MAX_TERMS:
            raise limits.TooLarge(f"a power whose expansion has more than "
                                  f"{limits.MAX_TERMS:,} terms")
        base = read(e.base)
        if base is None:
            return None
        out = constant(1)
        for _ in range(int(e.exp)):
            out = mul(out, base)
        return out
    return None


def monomial_expr(m: Monomial) -> Expr:
    """The product of powers, remembered (a chain repeats its monomials)."""
    known = _MONOMIALS.get(m)
    if known is None:
        if len(_MONOMIALS) > 100_000:
            _MONOMIALS.clear()
        known = _MONOMIALS[m] = _product(m)
    return known


def _product(m: Monomial) -> Expr:
    """The monomial as sympy's Mul makes it (its factors in canonical order), without its
    flattening."""
    factors = sorted((x if e == 1 else sympy.Pow(x, Integer(e), evaluate=False) for x, e in m),
                     key=compare_key)
    if len(factors) == 1:
        return factors[0]
    return sympy.Mul._from_args(tuple(factors), is_commutative=True) if factors else Integer(1)


_MONOMIALS: dict[Monomial, Expr] = {}


def term(c: sympy.Rational, m: Monomial) -> Expr:
    """``c·m``, made as sympy's Mul makes it (the number first, then the factors in their
    canonical order) without its flattening, which costs a hundred microseconds a term."""
    if not m:
        return c
    x = monomial_expr(m)
    if c == 1:
        return x
    factors = x.args if x.is_Mul else (x,)
    return sympy.Mul._from_args((c, *factors), is_commutative=True)


def show(p: Poly, den: int = 1) -> Expr:
    """The polynomial (divided by `den`) as the sum sympy's Add makes: the constant first, the
    other terms in sympy's canonical order (`Basic.compare`), found from remembered keys
    rather than by comparing expressions (most of Add's cost on a sum of a thousand terms)."""
    if len(_KEYS) > 200_000:
        _KEYS.clear()
    constant: list[Expr] = []
    ranked = []
    for m, c in p.items():
        coeff = Integer(c) if den == 1 else sympy.Rational(c, den)
        if not m:
            constant = [coeff] if coeff else []
            continue
        t = term(coeff, m)
        key = _KEYS.get((c, den, m))
        if key is None:
            key = _KEYS[(c, den, m)] = compare_key(t)
        ranked.append((key, t))
    ranked.sort(key=lambda pair: pair[0])
    args = (*constant, *(t for _, t in ranked))
    if len(args) < 2:
        return args[0] if args else Integer(0)
    return sympy.Add._from_args(args, is_commutative=True)


_KEYS: dict[tuple[int, int, Monomial], tuple] = {}  # type: ignore[type-arg]
_RANK: dict[str, int] = {}
for _i, _name in enumerate(ordering_of_classes):
    _RANK.setdefault(_name, _i)


def compare_key(e: sympy.Basic) -> tuple:  # type: ignore[type-arg]
    """A sort key ordering expressions as `sympy.Basic.compare` does (class by sympy's
    ordering of classes, other classes by name; then the length of the hashable content,
    then its items in turn)."""
    name = type(e).__name__
    rank = _RANK.get(name)
    head = (rank, "") if rank is not None else (len(ordering_of_classes) + 1, name)
    content = e._hashable_content()
    return head, len(content), tuple(compare_key(x) if isinstance(x, sympy.Basic) else x
                                     for x in content)


def lowest(p: Poly) -> int | None:
    """The polynomial's least value over the sizes' domains when every coefficient but the
    constant is ≥ 0 (each size at its least value: 1 if positive, 0 if nonnegative); None
    when that is not known."""
    total = 0
    for m, c in p.items():
        if not m:
            total += c
            continue
        if c < 0:
            return None
        low = 1
        for x, _ in m:
            if x.is_positive:
                continue
            if x.is_nonnegative:
                low = 0
            else:
                return None
        total += c * low
    return total
