"""sympy printers extended by subclassing, never by editing strings.

- `show`: sympy syntax (parseable by sympy), floors printed over one fraction:
  ``floor((H + 3)/4)`` rather than ``floor(H/4 + 3/4)``.
- `pretty`: the same with ⌊ ⌋ ⌈ ⌉, ≥, ≤, ≠ and `mod` for terminal tables.
- `spoken`: `pretty` as `symconv explain` writes arithmetic: ``7·(40·C + 1)``, ``d²``, and
  digits without thousands separators (a comma inside a formula reads as a list).

The LaTeX printers (`latex`, `latex_inline`) are `printing_latex`'s, on the helpers shared here
(a floor over one fraction, sums and products in sympy's order without its cost).
"""

from __future__ import annotations

import math
from functools import lru_cache

import sympy
from sympy.printing.precedence import precedence
from sympy.printing.str import StrPrinter

from ..errors import FORMULA
from . import limits, ordering

@lru_cache(maxsize=8192)  # a floor is printed in its layer's shape, MACs, memory and sums
def one_fraction(arg: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """(numerator, denominator) of a floor's argument over one common denominator. A sum of
    terms with rational coefficients (every window extent) is put over the least common
    denominator directly, as `sympy.together` would, without its cost; so is a sum over a
    product of sizes (an extent with a symbolic stride) when nothing cancels."""
    if arg.is_Mul and len(arg.args) == 2 and arg.args[0].is_Rational and arg.args[1].is_Symbol:
        c, size = arg.args  # H_1/2, one step of a stepwise formula: at once, not by together
        return sympy.Integer(c.p) * size, sympy.Integer(c.q)
    if arg.is_Add:
        parts = [t.as_coeff_Mul() for t in arg.args]
        if all(c.is_Rational and not rest.is_Add for c, rest in parts):
            den = math.lcm(*(c.q for c, _ in parts))
            num = sympy.Add(*[sympy.Integer(c.p * (den // c.q)) * rest for c, rest in parts])
            return num, sympy.Integer(den)
    quotient = _over_sizes(arg)
    if quotient is not None:
        return quotient
    try:
        return sympy.fraction(sympy.together(limits.expand(arg)))
    except limits.TooLarge:
        return sympy.fraction(arg)


def _over_sizes(arg: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """``c·(a sum)/(d·sizes)`` read directly when `sympy.together` would give the same: the
    sum with whole coefficients and no common factor with d, and no size of the denominator in
    every term of the sum (else together cancels it)."""
    if not arg.is_Mul:
        return None
    coeff, rest = arg.as_coeff_Mul()
    num, den = sympy.fraction(rest)
    if not (coeff.is_Rational and num.is_Add and (den.is_Symbol or den.is_Pow or den.is_Mul)):
        return None
    whole = [t.as_coeff_Mul() for t in num.args]
    if not all(c.is_Integer for c, _ in whole):
        return None
    if math.gcd(coeff.p * math.gcd(*(int(c) for c, _ in whole)), coeff.q) != 1:
        return None
    for size in den.free_symbols:
        if all(t.has(size) for _, t in whole):
            return None
    return sympy.Integer(coeff.p) * num, sympy.Integer(coeff.q) * den


def _ordered(printer, expr: sympy.Add) -> list[sympy.Expr]:  # type: ignore[no-untyped-def]
    """Sums read as written by hand: positive terms, then negative ones, then the constant.
    A polynomial (numbers times powers of sizes) is put in sympy's order without its cost."""
    pairs = polynomial_order(expr)
    if pairs is None:
        terms = list(StrPrinter._as_ordered_terms(printer, expr, order=None))
        pairs = [(t, t.could_extract_minus_sign()) for t in terms]
    return by_sign(pairs)


def by_sign(pairs: list[tuple[sympy.Expr, bool]]) -> list[sympy.Expr]:
    positive = [t for t, negative in pairs if not t.is_Number and not negative]
    negative = [t for t, negative in pairs if not t.is_Number and negative]
    return positive + negative + [t for t, _ in pairs if t.is_Number]


def polynomial_order(expr: sympy.Add) -> list[tuple[sympy.Expr, bool]] | None:
    """The terms of a sum in the order `Expr.as_ordered_terms` gives them, each with whether
    it is negative (`could_extract_minus_sign`: a negative coefficient), without sympy's
    numeric coefficient analysis (`ordering`); None where only sympy can order them."""
    try:
        terms = ordering.ordered_terms(expr)
    except ordering.Unordered:
        return None
    return [(t, bool(t.as_coeff_Mul()[0] < 0)) for t in terms]


def numerator_factors(expr: sympy.Mul) -> tuple[bool, list[sympy.Expr]] | None:
    """(negative, the factors of |expr| in `as_ordered_factors` order, its rational
    coefficient among them) for a product of a rational and factors with nothing in a
    denominator (no negative or symbolic exponent); None for any other product."""
    coeff = expr.as_coeff_Mul()[0]
    args = sympy.Mul.make_args(expr)
    if not coeff.is_Rational or args[0] is sympy.S.One:  # 1·x: an unevaluated product
        return None
    for i, f in enumerate(args):
        if f.is_number and (i or f is not coeff) or not f.is_commutative \
                or isinstance(f, sympy.exp) or f.is_Pow and not (f.exp.is_Integer and f.exp > 0):
            return None
    negative = bool(coeff < 0)
    try:
        return negative, ordering.ordered_factors(-expr if negative else expr)
    except ordering.Unordered:
        return None


class Remembering:
    """What both printers share: the terms of polynomials ordered without sympy's numeric
    coefficient analysis, and each term's text remembered."""

    def __init__(self, settings: dict[str, object] | None = None) -> None:
        super().__init__(settings)  # type: ignore[call-arg]
        self._terms: dict[sympy.Expr, str] = {}

    def _as_ordered_terms(self, expr, order=None):  # type: ignore[no-untyped-def]
        return _ordered(self, expr)


class _SympyPrinter(Remembering, StrPrinter):

    def _print_Add(self, expr: sympy.Add, order: str | None = None) -> str:
        """A polynomial printed term by term as StrPrinter prints it (no term needs
        parentheses), each term's text remembered: the extents of a long chain with symbolic
        strides repeat their terms layer after layer."""
        pairs = polynomial_order(expr)
        if pairs is None:
            return super()._print_Add(expr, order)
        if len(self._terms) > 200_000:
            self._terms.clear()
        out = []
        for term in by_sign(pairs):
            text = self._terms.get(term)
            if text is None:
                text = self._terms[term] = self._print(term)
            sign, text = ("-", text[1:]) if text.startswith("-") else ("+", text)
            out += [sign, text]
        return (out[1] if out[0] == "+" else "-" + out[1]) + "".join(
            f" {sign} {text}" for sign, text in zip(out[2::2], out[3::2]))

    def _quotient(self, arg: sympy.Expr) -> str:
        num, den = one_fraction(arg)
        if den == 1:
            return self._print(num)
        return f"{self.parenthesize(num, 50)}/{self.parenthesize(den, 50)}"

    def _print_floor(self, expr: sympy.floor) -> str:
        return f"floor({self._quotient(expr.args[0])})"

    def _print_ceiling(self, expr: sympy.ceiling) -> str:
        return f"ceiling({self._quotient(expr.args[0])})"

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        """A whole exponent as plain digits (no thousands separators: H**16384), as StrPrinter
        writes it otherwise (a negative one in parentheses)."""
        n = expr.exp
        if not n.is_Integer or n == -1:
            return super()._print_Pow(expr, rational)
        base = self.parenthesize(expr.base, precedence(expr), strict=False)
        return f"{base}**{int(n)}" if n >= 0 else f"{base}**({int(n)})"

    def _print_Mul(self, expr: sympy.Mul) -> str:
        """A rational times factors with nothing in a denominator (every term of a window
        extent, a MAC count's floors) written as StrPrinter writes it: sign, numerator,
        factors in sympy's order (`ordering`: without its cost), then ``/denominator``."""
        split = numerator_factors(expr)
        if split is None:
            return super()._print_Mul(expr)
        negative, factors = split
        prec = precedence(expr)
        top: list[sympy.Expr] = []
        bottom: list[sympy.Expr] = []
        for f in factors:
            if f.is_Rational:
                top += [sympy.Integer(f.p)] if f.p != 1 else []
                bottom += [sympy.Integer(f.q)] if f.q != 1 else []
            else:
                top.append(f)
        text = ("-" if negative else "") + "*".join(
            self.parenthesize(f, prec, strict=False) for f in top or [sympy.S.One])
        return f"{text}/{self._print(bottom[0])}" if bottom else text


class _PrettyPrinter(_SympyPrinter):
    _ops = {">=": "≥", "<=": "≤", "!=": "≠", "==": "=", ">": ">", "<": "<"}

    def _print_floor(self, expr: sympy.floor) -> str:
        return f"⌊{self._quotient(expr.args[0])}⌋"

    def _print_ceiling(self, expr: sympy.ceiling) -> str:
        return f"⌈{self._quotient(expr.args[0])}⌉"

    def _print_Relational(self, expr: sympy.core.relational.Relational) -> str:
        op = self._ops.get(expr.rel_op, expr.rel_op)
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    def _print_Mod(self, expr: sympy.Mod) -> str:
        a, b = expr.args
        return f"{self.parenthesize(a, 50)} mod {self.parenthesize(b, 50)}"

    def _print_Max(self, expr: sympy.Max) -> str:
        return f"max({self._extremes(expr)})"

    def _print_Min(self, expr: sympy.Min) -> str:
        return f"min({self._extremes(expr)})"

    def _extremes(self, expr: sympy.Basic) -> str:
        """Python's max(1, ⌊c/4⌋) as written in .arch files: numbers first, then sympy's
        order (its arguments are a set; the order printed must not depend on the run)."""
        args = sorted(expr.args, key=lambda a: (not a.is_Number, sympy.default_sort_key(a)))
        return ", ".join(self._print(a) for a in args)

    def _print_And(self, expr: sympy.And) -> str:
        return " and ".join(self.parenthesize(a, 30) for a in expr.args)

    def _print_Or(self, expr: sympy.Or) -> str:
        return " or ".join(self.parenthesize(a, 30) for a in expr.args)

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return f"{int(expr):,}" if abs(int(expr)) >= 10000 else str(int(expr))

    def _print_Sum(self, expr: sympy.Sum) -> str:
        """The sum over the passes of a repeat (MACs through a recurrence):
        Σ(i = 0..n − 1) (f), the summand in parentheses unless it is a name or a number."""
        (k, low, high), inner = expr.limits[-1], expr.limits[:-1]
        body = sympy.Sum(expr.function, *inner) if inner else expr.function
        term = self._print(body)
        if not body.is_Atom:
            term = f"({term})"
        return f"Σ({self._print(k)} = {self._print(low)}..{self._print(high)}) {term}"


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


class _SpokenPrinter(_PrettyPrinter):
    """Products with ·, whole powers as superscripts, numbers as plain digits: the notation
    of explain's own arithmetic (``16·7 = 112``), so a line never mixes · with *."""

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return str(int(expr))

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        n = expr.exp
        if not (n.is_Integer and n > 1):
            return super()._print_Pow(expr, rational)
        base = self.parenthesize(expr.base, precedence(expr), strict=True)
        return base + str(int(n)).translate(_SUPERSCRIPT)

    def _print_Mul(self, expr: sympy.Mul) -> str:
        """sign, numerator factors joined by ·, then ``/denominator``, as StrPrinter orders
        them (a rational coefficient split over the two)."""
        coeff, rest = expr.as_coeff_Mul()
        if not coeff.is_Rational:
            return super()._print_Mul(expr)
        c = abs(coeff)
        num = [sympy.Integer(c.p)] if c.p != 1 else []
        den = [sympy.Integer(c.q)] if c.q != 1 else []
        for factor in _factors(rest):
            base, exp = factor.as_base_exp()
            if exp.is_Rational and exp < 0:
                den.append(base if exp == -1 else sympy.Pow(base, -exp))
            elif factor is not sympy.S.One:
                num.append(factor)
        prec = precedence(expr)
        top = "·".join(self.parenthesize(f, prec, strict=False) for f in num) or "1"
        sign = "-" if coeff < 0 else ""
        if not den:
            return sign + top
        bottom = "·".join(self.parenthesize(f, prec, strict=False) for f in den)
        return f"{sign}{top}/{bottom}" if len(den) == 1 else f"{sign}{top}/({bottom})"


def _factors(rest: sympy.Expr) -> list[sympy.Expr]:
    """The factors of a product in `as_ordered_factors` order (`ordering`, without its cost
    where it can)."""
    if not rest.is_Mul:
        return [rest]
    try:
        return ordering.ordered_factors(rest)
    except ordering.Unordered:
        return list(rest.as_ordered_factors())


_SHOW = _SympyPrinter()
_PRETTY = _PrettyPrinter()
_SPOKEN = _SpokenPrinter()


def show(expr: sympy.Basic) -> str:
    """sympy syntax."""
    return _SHOW.doprint(expr)


def pretty(expr: sympy.Basic) -> str:
    """Terminal form: ⌊ ⌋, ≥, thousands separators."""
    return _PRETTY.doprint(expr)


FORMULA["printer"] = pretty  # errors.shown writes formulas in messages as the table does


def spoken(expr: sympy.Basic) -> str:
    """explain's notation: ``7·(40·C + 1)``, ``⌊H/2⌋``, ``d²``, no thousands separators."""
    return _SPOKEN.doprint(expr)


FORMULA["spoken"] = spoken  # a layer's reason, said again in explain's notation


def number_or_none(expr: sympy.Expr) -> int | None:
    return int(expr) if isinstance(expr, sympy.Integer) else None
