"""LaTeX printers, sympy's extended by subclassing as `printing`'s are (its sums, products and
floors over one fraction shared):

- `latex`: LaTeX with ``\\left\\lfloor \\frac{…}{…} \\right\\rfloor``.
- `latex_inline`: LaTeX for a line of text (a table cell): ``\\lfloor (H - 6)/4 \\rfloor``, a
  fraction on the line (a \\frac in a cell is set in a smaller size), and the delimiters plain so
  that a long formula can break inside them.
"""

from __future__ import annotations

import re

import sympy
from sympy.printing.conventions import split_super_sub
from sympy.printing.latex import LatexPrinter, _between_two_numbers_p
from sympy.printing.precedence import PRECEDENCE

from .printing import Remembering, by_sign, numerator_factors, one_fraction, polynomial_order

# a stage symbol's name (H_12: symbols.stage), printed H_{12} as sympy does, without its
# regular expressions (2,000 layers stepwise have 4,000 of them)
_STAGE = re.compile(r"[A-Za-z]_[0-9]+\Z")


class _Latex(Remembering, LatexPrinter):

    def _print_Add(self, expr: sympy.Add, order: str | None = None) -> str:
        """A sum printed term by term as LatexPrinter prints it, each term's text remembered
        (a long chain's extents repeat their terms, and a document prints each extent three
        times)."""
        pairs = polynomial_order(expr)
        if pairs is None:
            return super()._print_Add(expr, order)
        if len(self._terms) > 200_000:
            self._terms.clear()
        negative = dict(pairs)
        out = []
        for i, term in enumerate(by_sign(pairs)):
            if i and negative[term]:
                out.append(" - ")
                term = -term
            elif i:
                out.append(" + ")
            text = self._terms.get(term)
            if text is None:
                text = self._print(term)
                if self._needs_add_brackets(term):  # a term holding a Mod
                    text = rf"\left({text}\right)"
                self._terms[term] = text
            out.append(text)
        return "".join(out)

    def _quotient(self, arg: sympy.Expr) -> str:
        num, den = one_fraction(arg)
        if den == 1:
            return self._print(num)
        return rf"\frac{{{self._print(num)}}}{{{self._print(den)}}}"

    def _print_Mul(self, expr: sympy.Mul) -> str:
        """A whole number times factors with nothing in a denominator, as LatexPrinter prints
        it (its `convert_args`), the factors in sympy's order without its cost."""
        split = numerator_factors(expr)
        if split is None or expr.as_coeff_Mul()[0].q != 1:
            return super()._print_Mul(expr)
        negative, factors = split
        sign = "- " if negative else ""
        if len(factors) == 1:  # -f: f as it prints alone
            return sign + self._print(factors[0])
        separator = self._settings["mul_symbol_latex"]
        tex = last = ""
        for i, term in enumerate(factors):
            text = self._print(term)
            if self._needs_mul_brackets(term, first=i == 0, last=i == len(factors) - 1):
                text = rf"\left({text}\right)"
            if _between_two_numbers_p[0].search(last) and _between_two_numbers_p[1].match(text):
                tex += self._settings["mul_symbol_latex_numbers"]
            elif tex:
                tex += separator
            tex += text
            last = text
        return sign + tex

    def _print_Integer(self, expr: sympy.Integer) -> str:
        r"""Thousands separated by thin spaces, as papers print them: 18\,496."""
        n = int(expr)
        return f"{n:,}".replace(",", r"\,") if abs(n) >= 10000 else str(n)

    def _helper_print_standard_power(self, expr: sympy.Pow, template: str) -> str:
        """A whole exponent as plain digits (H^{16384}, not H^{16\\,384}); else as sympy."""
        if not expr.exp.is_Integer:
            return super()._helper_print_standard_power(expr, template)
        base = self.parenthesize(expr.base, PRECEDENCE["Pow"])
        if expr.base.is_Symbol:
            base = self.parenthesize_super(base)
        return template % (base, str(int(expr.exp)))

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        r"""A name of several letters upright-italic as one word (\mathit{classes}), not as a
        product of letters; one letter, Greek names and subscripts as sympy prints them. Each
        symbol's text made once per printer (sympy splits the name with regular expressions
        at every print: 80 µs, 8,000 times in a 2,000-layer stepwise LaTeX)."""
        texts = self.__dict__.setdefault("_symbol_texts", {})
        text = texts.get((expr, style))
        if text is None and style == "plain" and _STAGE.match(expr.name) \
                and expr not in self._settings["symbol_names"]:
            text = texts[expr, style] = f"{expr.name[0]}_{{{expr.name[2:]}}}"  # as sympy's
        if text is None:
            text = super()._print_Symbol(expr, style)
            name = split_super_sub(expr.name)[0]
            if len(name) > 1 and text.startswith(name):
                text = rf"\mathit{{{name}}}" + text[len(name):]
            texts[expr, style] = text
        return text

    def _print_floor(self, expr: sympy.floor, exp: str | None = None) -> str:
        body = rf"\left\lfloor {self._quotient(expr.args[0])} \right\rfloor"
        return f"{body}^{{{exp}}}" if exp else body

    def _print_ceiling(self, expr: sympy.ceiling, exp: str | None = None) -> str:
        body = rf"\left\lceil {self._quotient(expr.args[0])} \right\rceil"
        return f"{body}^{{{exp}}}" if exp else body


class _InlineLatex(_Latex):
    """`_Latex` with quotients written on the line, `a/b`, as papers set them in text."""

    def _quotient(self, arg: sympy.Expr) -> str:
        num, den = one_fraction(arg)
        if den == 1:
            return self._print(num)
        # a sum or a product either side needs parentheses on the line; plain ones, which
        # (unlike \left( \right)) let a long cell break inside them
        return f"{self._over(num)}/{self._over(den)}"

    def _over(self, expr: sympy.Expr) -> str:
        text = self._print(expr)
        return text if expr.is_Atom or isinstance(expr, (sympy.floor, sympy.ceiling)) \
            else f"({text})"

    def _print_floor(self, expr: sympy.floor, exp: str | None = None) -> str:
        body = rf"\lfloor {self._quotient(expr.args[0])} \rfloor"
        return f"{body}^{{{exp}}}" if exp else body

    def _print_ceiling(self, expr: sympy.ceiling, exp: str | None = None) -> str:
        body = rf"\lceil {self._quotient(expr.args[0])} \rceil"
        return f"{body}^{{{exp}}}" if exp else body


_LATEX = _Latex({"mul_symbol": "dot"})
# fold_short_frac: a rational coefficient on the line too (H/2, not \frac{H}{2})
_LATEX_INLINE = _InlineLatex({"mul_symbol": "dot", "fold_short_frac": True})


def latex(expr: sympy.Basic) -> str:
    return _LATEX.doprint(expr)


def latex_inline(expr: sympy.Basic) -> str:
    """LaTeX for a table cell or a sentence: floors and fractions on the line."""
    return _LATEX_INLINE.doprint(expr)
