"""Exact evaluation of derived forms at integer points, fast: a sympy expression or condition is
compiled once into nested Python closures over ints and Fractions (no code is generated or
evaluated), then called for each candidate the solver tries. A sympy Function of symconv's own
that has no sympy counterpart here evaluates through its `integer_function(compile)` method,
which returns such a closure from closures of its arguments.

>>> import sympy
>>> H = sympy.Symbol("H", integer=True, positive=True)
>>> f = compile_form(sympy.floor((H - 3) / 2) + 1, [H])
>>> f((28,))
13
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from fractions import Fraction

import sympy

Value = int | Fraction | bool
Fn = Callable[[Sequence[int]], Value]

_RELATIONS = {sympy.Eq: operator.eq, sympy.Ne: operator.ne, sympy.Lt: operator.lt,
              sympy.Le: operator.le, sympy.Gt: operator.gt, sympy.Ge: operator.ge}


def compile_form(expr: sympy.Basic, symbols: Sequence[sympy.Symbol]) -> Fn:
    """A function of the symbols' integer values, exactly equal to `expr` there."""
    index = {s: i for i, s in enumerate(symbols)}
    return _compile(expr, index)


def _compile(e: sympy.Basic, index: dict[sympy.Symbol, int]) -> Fn:
    if e is sympy.true or e is sympy.false:
        constant = e is sympy.true
        return lambda v: constant
    if isinstance(e, sympy.Integer):
        n = int(e)
        return lambda v: n
    if isinstance(e, sympy.Rational):
        q = Fraction(int(e.p), int(e.q))
        return lambda v: q
    if isinstance(e, sympy.Symbol):
        if e not in index:
            raise ValueError(f"unbound symbol {e}")
        i = index[e]
        return lambda v: v[i]
    hook = getattr(e, "integer_function", None)
    if isinstance(e, sympy.Function) and callable(hook):
        # a function a layer defines (Upsample's FloatScaled) says how it evaluates, so this
        # module needs no layer: it is given a compiler for its arguments
        return hook(lambda arg: _compile(arg, index))  # type: ignore[no-any-return]
    parts = [_compile(a, index) for a in e.args]
    if isinstance(e, sympy.Add):
        return lambda v: _whole(sum(p(v) for p in parts))
    if isinstance(e, sympy.Mul):
        return lambda v: _whole(math.prod(p(v) for p in parts))
    if isinstance(e, sympy.Pow) and isinstance(e.exp, sympy.Integer):
        base, exp = parts[0], int(e.exp)
        return lambda v: _power(base(v), exp)
    if isinstance(e, sympy.Pow):  # s**n after a repeat of symbolic count n: n is whole
        base, power = parts
        return lambda v: _power(base(v), _integer(power(v)))
    if isinstance(e, sympy.floor):
        return lambda v: math.floor(parts[0](v))
    if isinstance(e, sympy.ceiling):
        return lambda v: math.ceil(parts[0](v))
    if isinstance(e, sympy.Mod):
        return lambda v: _whole(parts[0](v) % parts[1](v))
    if isinstance(e, sympy.Min):
        return lambda v: min(p(v) for p in parts)
    if isinstance(e, sympy.Max):
        return lambda v: max(p(v) for p in parts)
    if type(e) in _RELATIONS:
        op, (a, b) = _RELATIONS[type(e)], parts
        return lambda v: op(a(v), b(v))
    if isinstance(e, sympy.And):
        return lambda v: all(p(v) for p in parts)
    if isinstance(e, sympy.Or):
        return lambda v: any(p(v) for p in parts)
    if isinstance(e, sympy.Not):
        return lambda v: not parts[0](v)
    raise ValueError(f"no integer evaluation for {type(e).__name__}")


def _power(base: Value, exp: int) -> Value:
    """base**exp exactly; a whole base to a non-negative power stays an int (a Fraction's
    power is several times slower, and a degree-64 count is raised for every candidate)."""
    if isinstance(base, int) and exp >= 0:
        return base**exp
    return _whole(Fraction(base) ** exp)


def _integer(x: Value) -> int:
    if isinstance(x, Fraction):
        if x.denominator != 1:
            raise ValueError(f"a power to a fractional exponent {x}")
        return x.numerator
    return int(x)


def _whole(x: int | Fraction) -> int | Fraction:
    if isinstance(x, Fraction) and x.denominator == 1:
        return x.numerator
    return x
