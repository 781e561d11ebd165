"""sympy's print order (`Expr.sort_key`, `as_ordered_terms`, `as_ordered_factors`) computed
without its cost, for the expressions derivations make.

sympy orders the terms of a sum by `as_terms`, which evaluates every coefficient as a complex
float (mpmath arithmetic on 300-digit rationals, in a deep chain's extents), and orders its
generators and a product's factors by `sort_key`, which rebuilds that order for every sum
inside them, cached in a cache too small for a network's thousands of floors. A 1,000-layer
chain's MAC column took seconds to print that way. Here the same keys are built once per
expression and the terms ordered by their monomials alone: in a sum sympy has combined, no two
terms share a monomial, so the coefficients sympy compares next never decide.

Every function gives exactly sympy's answer or raises `Unordered` (a coefficient that is not
rational, a noncommutative factor, two terms with one monomial): the caller then asks sympy.
tests/test_ordering.py compares them with sympy on random expressions.
"""

from __future__ import annotations

import sympy
from sympy import Expr, S
from sympy.core.exprtools import decompose_power


class Unordered(Exception):
    """Outside what is computed here: sympy's own ordering is needed."""


_KEYS: dict[sympy.Basic, tuple] = {}  # type: ignore[type-arg]
_LIMIT = 100_000  # keys kept at most (a render's floors, a few per layer)


def sort_key(e: sympy.Basic) -> tuple:  # type: ignore[type-arg]
    """`e.sort_key()`, equal to it (tests compare the two)."""
    key = _KEYS.get(e)
    if key is None:
        if len(_KEYS) >= _LIMIT:
            _KEYS.clear()
        key = _KEYS[e] = _key(e)
    return key


def _key(e: sympy.Basic) -> tuple:  # type: ignore[type-arg]
    if not isinstance(e, Expr) or isinstance(e, sympy.Dummy) or e.is_Float:
        return e.sort_key()  # sympy's own: Basic, Dummy and Float keys are their own
    if e.is_Number:
        return e.class_key(), (0, ()), (), e
    if type(e) is sympy.Symbol:
        return e.class_key(), (1, (e.name,)), sort_key(S.One), S.One
    coeff, expr = e.as_coeff_Mul()
    exp: Expr = S.One
    if expr.is_Pow:
        expr, exp = expr.as_base_exp()
        if expr is S.Exp1:
            return e.sort_key()
    if expr.is_Dummy or (expr.is_Atom and type(expr) is not sympy.Symbol):
        return e.sort_key()
    if expr.is_Atom:
        args: tuple = (expr.name,)  # type: ignore[attr-defined, type-arg]
    else:
        try:
            items = (ordered_terms(expr) if expr.is_Add else
                     ordered_factors(expr) if expr.is_Mul else list(expr.args))
        except Unordered:
            return e.sort_key()
        args = tuple(sort_key(a) for a in items)
    return expr.class_key(), (len(args), args), sort_key(exp), coeff


def ordered_factors(mul: Expr) -> list[Expr]:
    """`mul.as_ordered_factors()`: the factors (the coefficient among them) by sort_key."""
    factors = list(sympy.Mul.make_args(mul))
    if not all(f.is_commutative for f in factors):
        raise Unordered
    c = factors[0]
    if c.is_Number and c.is_extended_negative and c is not S.NegativeOne:
        factors[:1] = [S.NegativeOne, -c]  # args_cnc splits a negative coefficient so
    return sorted(factors, key=sort_key)


def ordered_terms(add: Expr) -> list[Expr]:
    """`add.as_ordered_terms()`: sympy's special case first (a positive number and a
    negative multiple, ``3 - 2x``, stay in that order), then the terms by their monomials in
    the generators (each factor's base, by sort_key), highest first in lex order."""
    terms = list(sympy.Add.make_args(add))
    special = _number_first(terms)
    if special is not None:
        return special
    powers: list[dict[Expr, int]] = []
    for term in terms:
        coeff, rest = term.as_coeff_Mul()
        if not coeff.is_Rational:
            raise Unordered
        monomial: dict[Expr, int] = {}
        if rest is not S.One:
            for factor in sympy.Mul.make_args(rest):
                if factor.is_number or not factor.is_commutative:
                    raise Unordered  # its value joins the complex coefficient sympy compares
                base, power = decompose_power(factor)
                monomial[base] = power
        powers.append(monomial)
    gens = sorted({g for p in powers for g in p}, key=sort_key)
    ranks = _ranks(powers, gens)
    if len(set(ranks)) != len(ranks):
        raise Unordered  # sympy would compare the coefficients' floats next
    return [t for _, t in sorted(zip(ranks, terms), key=lambda pair: pair[0])]


_END = (float("inf"),)


def _ranks(powers: list[dict[Expr, int]], gens: list[Expr]) -> list[tuple]:  # type: ignore[type-arg]
    """Each monomial's key in sympy's order: its exponents over `gens`, negated, compared
    lexicographically. With positive exponents the nonzero ones alone, (position, −exponent)
    and an end mark, compare the same way: a sum of a thousand MAC products has two thousand
    generators, and the dense vectors were quadratic."""
    index = {g: i for i, g in enumerate(gens)}
    if all(e > 0 for p in powers for e in p.values()):
        return [tuple(sorted((index[g], -e) for g, e in p.items())) + (_END,) for p in powers]
    return [tuple(-p.get(g, 0) for g in gens) for p in powers]


def _number_first(terms: list[Expr]) -> list[Expr] | None:
    """as_ordered_terms's special case: Add(number > 0, Mul(number < 0, x)) keeps the number
    first."""
    if len(terms) != 2:
        return None
    first, second = sorted(terms, key=lambda t: not isinstance(t, sympy.Number))
    if not (isinstance(first, sympy.Number) and isinstance(second, sympy.Mul)):
        return None
    factors = sorted(sympy.Mul.make_args(second), key=lambda t: not isinstance(t, sympy.Number))
    if (len(factors) == 2 and isinstance(factors[0], sympy.Number) and first.is_positive
            and factors[0].is_negative):
        return [first, second]
    return None
