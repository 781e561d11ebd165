"""symconv.maths.ordering gives sympy's own order (sort_key, as_ordered_terms,
as_ordered_factors) and the printers that use it print what sympy's printers print, on random
expressions of the kinds derivations make: sums and products of sizes and rationals of up to
40 digits, powers (negative and symbolic ones too), floors, ceilings, Max, Min and Mod.

The expected values are sympy's: `Expr.sort_key()`, and StrPrinter's / LatexPrinter's own
`_print_Mul`, `_print_Add` and term order put back into symconv's printers.
"""

from __future__ import annotations

import random

import pytest
import sympy
from sympy import Max, Min, Mod, Rational, Symbol, ceiling, floor
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from symconv.maths import ordering, printing, printing_latex

H = Symbol("H", integer=True, positive=True)
W = Symbol("W", integer=True, positive=True)
P = Symbol("P", integer=True, nonnegative=True)
K = Symbol("k", integer=True, nonnegative=True)


def _atom(rng: random.Random) -> sympy.Expr:
    if rng.random() < 0.5:
        return rng.choice([H, W, P, K])
    digits = rng.randint(1, 40)
    return Rational(rng.randint(-10**digits, 10**digits), rng.randint(1, 10**rng.randint(0, 40)))


def _expr(rng: random.Random, depth: int = 0) -> sympy.Expr:
    r = rng.random()
    if depth > 3 or r < 0.3:
        return _atom(rng)
    if r < 0.5:
        return sympy.Add(*[_expr(rng, depth + 1) for _ in range(rng.randint(2, 4))])
    if r < 0.7:
        return sympy.Mul(*[_expr(rng, depth + 1) for _ in range(rng.randint(2, 3))])
    if r < 0.78:
        return _expr(rng, depth + 1) ** rng.choice([2, 3, -1, -2, K])
    if r < 0.88:
        return rng.choice([floor, ceiling])(_expr(rng, depth + 1) / rng.randint(2, 7))
    if r < 0.94:
        return rng.choice([Max, Min])(_expr(rng, depth + 1), _expr(rng, depth + 1))
    return Mod(_expr(rng, depth + 1), rng.randint(2, 5))


def _sympy_terms(printer, expr, order=None):  # type: ignore[no-untyped-def]
    """symconv's sign grouping over sympy's own term order."""
    terms = list(StrPrinter._as_ordered_terms(printer, expr, order=None))
    return printing.by_sign([(t, t.could_extract_minus_sign()) for t in terms])


class _SympyStr(printing._SympyPrinter):
    _print_Mul = StrPrinter._print_Mul
    _as_ordered_terms = _sympy_terms

    def _print_Add(self, expr, order=None):  # type: ignore[no-untyped-def]
        return StrPrinter._print_Add(self, expr, order)


class _SympyPretty(_SympyStr, printing._PrettyPrinter):
    pass


class _SympyLatex(printing_latex._Latex):
    _print_Mul = LatexPrinter._print_Mul
    _as_ordered_terms = _sympy_terms

    def _print_Add(self, expr, order=None):  # type: ignore[no-untyped-def]
        return LatexPrinter._print_Add(self, expr, order)


SEEDS = range(8)
PER_SEED = 60


@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{s}" for s in SEEDS])
def test_order_is_sympys(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(PER_SEED):
        e = _expr(rng)
        assert ordering.sort_key(e) == e.sort_key(), e
        if e.is_Add:
            try:  # zoo, a noncommutative term: refused, sympy orders it (the printers ask it)
                ours = ordering.ordered_terms(e)
            except ordering.Unordered:
                continue
            assert ours == e.as_ordered_terms(), e
        if e.is_Mul:
            assert ordering.ordered_factors(e) == e.as_ordered_factors(), e


@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{s}" for s in SEEDS])
def test_printers_print_as_sympy(seed: int) -> None:
    rng = random.Random(1000 + seed)
    for _ in range(PER_SEED // 3):
        e = _expr(rng)
        assert printing._SympyPrinter().doprint(e) == _SympyStr().doprint(e), e
        assert printing._PrettyPrinter().doprint(e) == _SympyPretty().doprint(e), e
        settings = {"mul_symbol": "dot"}
        assert printing_latex._Latex(settings).doprint(e) == _SympyLatex(settings).doprint(e), e


MAC_SUM = sum((576 * floor((H + 3**i) / 2**(i + 1)) * floor((W + 5**i) / 3**(i + 1))
               for i in range(40)), sympy.Integer(0))


@pytest.mark.parametrize("expr", [MAC_SUM, MAC_SUM.args[0], -MAC_SUM.args[1] * H],
                         ids=["sum_of_products_of_floors", "product_of_floors", "negative"])
def test_deep_chain_macs(expr: sympy.Expr) -> None:
    """What made the MAC column slow (issue 17): products of two floors, and their sum, with
    two generators per term."""
    assert printing._SympyPrinter().doprint(expr) == _SympyStr().doprint(expr)
    assert printing_latex._Latex({"mul_symbol": "dot"}).doprint(expr) == \
        _SympyLatex({"mul_symbol": "dot"}).doprint(expr)


def test_unordered_falls_back() -> None:
    """A coefficient that is not rational: sympy would compare its float; ordering refuses."""
    with pytest.raises(ordering.Unordered):
        ordering.ordered_terms(sympy.sqrt(2) * H + W)
