"""sympy printers extended by subclassing, never by editing strings.

- `show`: sympy syntax (parseable by sympy), floors printed over one fraction:
  ``floor((H + 3)/4)`` rather than ``floor(H/4 + 3/4)``.
- `pretty`: the same with ⌊ ⌋ ⌈ ⌉, ≥, ≤, ≠ and `mod` for terminal tables.
- `latex`: LaTeX with ``\\left\\lfloor \\frac{…}{…} \\right\\rfloor``.
"""

from __future__ import annotations

import math

import sympy
from sympy.printing.conventions import split_super_sub
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter


def _one_fraction(arg: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """(numerator, denominator) of a floor's argument over one common denominator. A sum of
    terms with rational coefficients (every window extent) is put over the least common
    denominator directly, as `sympy.together` would, without its cost."""
    if arg.is_Add:
        parts = [t.as_coeff_Mul() for t in arg.args]
        if all(c.is_Rational and not rest.is_Add for c, rest in parts):
            den = math.lcm(*(c.q for c, _ in parts))
            num = sympy.Add(*[sympy.Integer(c.p * (den // c.q)) * rest for c, rest in parts])
            return num, sympy.Integer(den)
    return sympy.fraction(sympy.together(sympy.expand(arg)))


def _ordered(printer, expr: sympy.Add) -> list[sympy.Expr]:  # type: ignore[no-untyped-def]
    """Sums read as written by hand: positive terms, then negative ones, then the constant.
    A linear sum (multiples of symbols and a number) is put in sympy's order, symbols by name,
    without its cost."""
    factors = [t.as_coeff_Mul()[1] for t in expr.args]
    if all(f.is_Symbol or f is sympy.S.One for f in factors):
        terms = [t for _, t in sorted(zip(factors, expr.args),
                                      key=lambda p: (p[0] is sympy.S.One, str(p[0])))]
    else:
        terms = list(StrPrinter._as_ordered_terms(printer, expr, order=None))
    positive = [t for t in terms if not t.is_Number and not t.could_extract_minus_sign()]
    negative = [t for t in terms if not t.is_Number and t.could_extract_minus_sign()]
    return positive + negative + [t for t in terms if t.is_Number]


class _SympyPrinter(StrPrinter):
    def _as_ordered_terms(self, expr, order=None):  # type: ignore[no-untyped-def]
        return _ordered(self, expr)

    def _quotient(self, arg: sympy.Expr) -> str:
        num, den = _one_fraction(arg)
        if den == 1:
            return self._print(num)
        return f"{self.parenthesize(num, 50)}/{self.parenthesize(den, 50)}"

    def _print_floor(self, expr: sympy.floor) -> str:
        return f"floor({self._quotient(expr.args[0])})"

    def _print_ceiling(self, expr: sympy.ceiling) -> str:
        return f"ceiling({self._quotient(expr.args[0])})"


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

    def _print_And(self, expr: sympy.And) -> str:
        return " and ".join(self.parenthesize(a, 30) for a in expr.args)

    def _print_Or(self, expr: sympy.Or) -> str:
        return " or ".join(self.parenthesize(a, 30) for a in expr.args)

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return f"{int(expr):,}" if abs(int(expr)) >= 10000 else str(int(expr))


class _Latex(LatexPrinter):
    def _as_ordered_terms(self, expr, order=None):  # type: ignore[no-untyped-def]
        return _ordered(self, expr)

    def _quotient(self, arg: sympy.Expr) -> str:
        num, den = _one_fraction(arg)
        if den == 1:
            return self._print(num)
        return rf"\frac{{{self._print(num)}}}{{{self._print(den)}}}"

    def _print_Integer(self, expr: sympy.Integer) -> str:
        r"""Thousands separated by thin spaces, as papers print them: 18\,496."""
        n = int(expr)
        return f"{n:,}".replace(",", r"\,") if abs(n) >= 10000 else str(n)

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        r"""A name of several letters upright-italic as one word (\mathit{classes}), not as a
        product of letters; one letter, Greek names and subscripts as sympy prints them."""
        text = super()._print_Symbol(expr, style)
        name = split_super_sub(expr.name)[0]
        if len(name) > 1 and text.startswith(name):
            text = rf"\mathit{{{name}}}" + text[len(name):]
        return text

    def _print_floor(self, expr: sympy.floor, exp: str | None = None) -> str:
        body = rf"\left\lfloor {self._quotient(expr.args[0])} \right\rfloor"
        return f"{body}^{{{exp}}}" if exp else body

    def _print_ceiling(self, expr: sympy.ceiling, exp: str | None = None) -> str:
        body = rf"\left\lceil {self._quotient(expr.args[0])} \right\rceil"
        return f"{body}^{{{exp}}}" if exp else body


_SHOW = _SympyPrinter()
_PRETTY = _PrettyPrinter()
_LATEX = _Latex({"mul_symbol": "dot"})


def show(expr: sympy.Basic) -> str:
    """sympy syntax."""
    return _SHOW.doprint(expr)


def pretty(expr: sympy.Basic) -> str:
    """Terminal form: ⌊ ⌋, ≥, thousands separators."""
    return _PRETTY.doprint(expr)


def latex(expr: sympy.Basic) -> str:
    return _LATEX.doprint(expr)


def number_or_none(expr: sympy.Expr) -> int | None:
    return int(expr) if isinstance(expr, sympy.Integer) else None
