"""Bounds on the size of what symconv computes (README: Limits).

A file of a few bytes can ask for a number of a million digits (``((H**64)**64)**64`` with
``--subs H=2``), a product of a thousand factors, or a polynomial whose expansion has millions of
terms. Each stage asks `check` about what it makes (the language's arithmetic, every layer's
output, every substituted value) and turns a `TooLarge` into a positioned SC110 error naming the
expression or the layer; expansions go through `expand`, which refuses before it starts.

- `NUMBER_DIGITS`: no number (a count, an extent, a tensor's element count, any value after
  substitution) has more digits. A real network's have fewer than 20 (10**15 parameters is far
  past the largest model); 400 leaves room for ten 40-digit sizes multiplied together, and keeps
  every printed number (a total is at most 20,000 layers' counts, a footer multiplies by a
  dtype's bytes, MACs multiply a few of them) well under Python's 4,300-digit limit on
  converting integers to text.
- `COEFFICIENT_DIGITS`: no number inside a formula has more digits. A window's divisor doubles
  with every stride-2 layer (10,000 layers of a strided chain divide by 2**6666, 2,007 digits),
  so this bound is looser, and still under the 4,300-digit limit the formula is printed with.
- `MAX_DEGREE`: no polynomial in the sizes has a higher total degree. ``H**64`` is allowed,
  ``(H**64)**64`` is not. A rounding counts as one variable of the polynomial around it, its
  argument being bounded on its own, so a chain of 200 convolutions with a symbolic stride
  (whose extents divide by ``S**200``) is allowed and ``Flatten`` over their extents too.
- `MAX_TERMS`: no expansion makes a polynomial with more terms; the count is estimated before
  expanding (`expansion_terms`), so ``(H + W + C + D + E + 1)**64`` (11 million terms) is
  refused at once.
"""

from __future__ import annotations

from math import comb

import sympy
from sympy import Expr

from .identity import ByIdentity

NUMBER_DIGITS = 400
COEFFICIENT_DIGITS = 4_000
MAX_DEGREE = 256
MAX_TERMS = 10_000
_BIGGEST = 10**NUMBER_DIGITS  # an integer this large has NUMBER_DIGITS + 1 digits
_BIGGEST_COEFFICIENT = 10**COEFFICIENT_DIGITS


class TooLarge(Exception):
    """What is too large, in words; the caller knows where it was written."""


def too_many_digits(n: int) -> bool:
    return abs(n) >= _BIGGEST


MAX_BRANCHES = 8  # plain extents inside one Min/Max: sympy compares them pairwise (16: 7 s)


def check_branches(count: int) -> None:
    """A Min/Max of `count` extents (each ceil-mode pool whose last-window correction depends
    on the sizes doubles them), refused past MAX_BRANCHES before it is built."""
    if count > MAX_BRANCHES:
        raise TooLarge(f"an extent that is the least of {count} formulas (more than "
                       f"{MAX_BRANCHES}: each ceil-mode pool with a symbolic stride or kernel "
                       "doubles them)")


def check(expr: object) -> None:
    """Raise TooLarge if `expr` (a sympy object, or anything else: ignored) is a number of
    more than NUMBER_DIGITS digits, or a formula holding a number of more than
    COEFFICIENT_DIGITS digits or a polynomial of degree more than MAX_DEGREE."""
    if not isinstance(expr, sympy.Basic):
        return
    if expr.is_Rational:
        if too_many_digits(expr.p) or too_many_digits(expr.q):  # type: ignore[attr-defined]
            raise TooLarge(f"a number of more than {NUMBER_DIGITS} digits")
        return
    if _CHECKED.get(expr):
        return
    _Walk().top(expr)
    _CHECKED.put(expr, True)


# The formulas found within the bounds: the layers of a repeated block make the same sympy
# objects (sympy's cache returns them) and each was walked again for every layer. A repeated
# block makes the same few objects again: 4,096 is plenty.
_CHECKED = ByIdentity(4096)


def check_elements(shape: tuple[object, ...]) -> None:
    """Raise TooLarge if a tensor of this shape has an element count of more than
    NUMBER_DIGITS digits (each extent may be within the bound while their product, which the
    memory and MACs columns compute, is not). Symbolic shapes are checked once substituted."""
    count = 1
    for extent in shape:
        if not isinstance(extent, sympy.Integer):
            return
        count *= int(extent)
    if too_many_digits(count):
        raise TooLarge(f"a tensor whose number of elements has more than {NUMBER_DIGITS} "
                       "digits")


class _Walk:
    """One pass over an expression: every number's size, and the degree of every polynomial
    (a rounding, Min, Max or Mod being one variable; its arguments checked on their own).
    Remembered by identity: sympy shares equal subtrees, and extents repeat their numerators."""

    def __init__(self) -> None:
        self.seen: dict[int, int] = {}

    def top(self, e: sympy.Basic) -> None:
        self.bounded(self.degree(e))

    def bounded(self, degree: int) -> int:
        if degree > MAX_DEGREE:
            raise TooLarge(f"a formula of degree {degree} (more than {MAX_DEGREE})")
        return degree

    def degree(self, e: sympy.Basic) -> int:
        known = self.seen.get(id(e))
        if known is None:
            known = self.seen[id(e)] = self._degree(e)
        return known

    def _degree(self, e: sympy.Basic) -> int:
        if e.is_Rational:
            if max(abs(e.p), e.q) >= _BIGGEST_COEFFICIENT:  # type: ignore[attr-defined]
                raise TooLarge(f"a formula holding a number of more than {COEFFICIENT_DIGITS:,} "
                               "digits")
            return 0
        if e.is_Symbol:
            return 1
        if e.is_Add:
            return max(self.degree(a) for a in e.args)
        if e.is_Mul:
            up = down = 0
            for factor in e.args:
                base, exponent = factor.as_base_exp()
                if exponent.is_Integer and int(exponent) < 0:
                    down += self.bounded(-int(exponent) * self.degree(base))
                else:
                    up += self.degree(factor)
            return max(up, down)  # a quotient's degree: the larger of its two sides
        if e.is_Pow and e.exp.is_Integer:
            return abs(int(e.exp)) * self.bounded(self.degree(e.base))
        if not e.args:
            return 0  # other atoms: True, pi, strings made symbols…
        for a in e.args:  # roundings, Min, Max, Mod, relations, And/Or: bounded inside
            self.top(a)
        return 1 if isinstance(e, Expr) else 0


def expansion_terms(e: Expr) -> int:
    """An upper bound on the number of terms of ``sympy.expand(e)``, found without expanding:
    a sum has at most the sum of its parts' counts, a product at most their product, a power
    (a sum of t terms)**n at most the multinomial count C(n + t - 1, t - 1); and no polynomial
    in k variables of total degree D has more than C(D + k, k) terms."""
    return min(_terms(e, {}), _dense(e))


def _terms(e: sympy.Basic, seen: dict[int, int]) -> int:
    known = seen.get(id(e))
    if known is not None:
        return known
    if e.is_Add:
        count = sum(_terms(a, seen) for a in e.args)
    elif e.is_Mul:
        count = 1
        for a in e.args:
            count = min(count * _terms(a, seen), 10 * MAX_TERMS * MAX_TERMS)
    elif e.is_Pow and e.exp.is_Integer and int(e.exp) > 0:
        t = _terms(e.base, seen)
        count = comb(int(e.exp) + t - 1, t - 1) if t > 1 else 1
    else:
        count = 1
    seen[id(e)] = count
    return count


def _dense(e: Expr) -> int:
    """C(D + k, k) for the k variables of `e` (sizes, and roundings taken whole) and its
    degree D; no bound (an infinite count) for a quotient or a formula past MAX_DEGREE."""
    if any(p.exp.is_negative for p in e.atoms(sympy.Pow)):
        return _UNBOUNDED
    try:
        degree = _Walk().degree(e)
    except TooLarge:
        return _UNBOUNDED
    variables = len(e.free_symbols) + len(e.atoms(sympy.Function))
    return comb(degree + variables, variables)


_UNBOUNDED = 10**100


def expand(e: Expr) -> Expr:
    """``sympy.expand(e)``, refused (TooLarge) before it starts when the result could have
    more than MAX_TERMS terms."""
    terms = expansion_terms(e)
    if terms > MAX_TERMS:
        raise TooLarge(f"a formula whose expansion has up to {terms:,} terms (more than "
                       f"{MAX_TERMS:,})")
    return sympy.expand(e)
