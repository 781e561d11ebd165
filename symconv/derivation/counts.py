"""Parameter counts and their sums: a layer's count from its weights (common factors pulled
out), a network's or a block's total over its layers and the symbolic repeats around them, and
the lock-free cached property the records keep them in. Sums add their whole numbers as Python
ints and each repeated formula once, times its count (10,000 layers of 8 distinct kinds)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import sympy
from sympy import Expr, Integer

from ..layers.base import Weight
from ..maths.identity import ByIdentity


def add_up(values: list[Expr]) -> Expr:
    """Σ values; the integers among them added as Python ints first (the same sum: sympy's Add
    adds its numbers into one anyway), 10,000 layers' counts without 10,000 sympy additions;
    a formula that repeats (a transformer's 1,250 blocks have eight) counted first and added
    once, times its count (Add collects equal terms that way itself: the same sum)."""
    return _add_counted([(v, 1) for v in values])


def _add_counted(values: list[tuple[Expr, int]]) -> Expr:
    """Σ value·k over (value, k), as add_up adds them."""
    number = 0
    rest: dict[Expr, int] = {}
    for v, k in values:
        if v.is_Integer:
            number += int(v) * k
        else:
            rest[v] = rest.get(v, 0) + k
    if not rest:
        return Integer(number)
    terms = [v if k == 1 else Integer(k) * v for v, k in rest.items()]
    return sympy.Add(Integer(number), *terms) if number else sympy.Add(*terms)


def count(values: list[Expr]) -> Expr:
    """A layer's parameter count with common factors pulled out: F*(C*K**2 + 1), not
    C*F*K**2 + F (sympy.factor_terms: a sound rewrite, no simplify())."""
    return _factored(tuple(values))


def counts(weights: tuple[Weight, ...]) -> tuple[Expr, Expr, Expr, Expr]:
    """(trainable, non-trainable, parameters, buffers) of a layer's weights: looked up by the
    tuple's identity first (a reused layer result shares it: derivation/reuse.py), which spares
    hashing every weight's fields, then by its value."""
    found = _BY_IDENTITY.get(weights)
    if found is None:
        found = _by_value(weights)
        _BY_IDENTITY.put(weights, found)
    return found  # type: ignore[no-any-return]


_BY_IDENTITY = ByIdentity(4096)


@lru_cache(maxsize=4096)  # the layers of a network repeat their weights (a block's, 1,250 times)
def _by_value(weights: tuple[Weight, ...]) -> tuple[Expr, Expr, Expr, Expr]:
    sizes = [(w.size, w.trainable, w.buffer) for w in weights]
    return (count([n for n, trainable, buffer in sizes if trainable and not buffer]),
            count([n for n, trainable, buffer in sizes if not trainable and not buffer]),
            count([n for n, _, buffer in sizes if not buffer]),
            count([n for n, _, buffer in sizes if buffer]))


class once:  # noqa: N801 - used as a decorator, as functools.cached_property is
    """functools.cached_property without its lock (Python 3.11 takes an RLock at every first
    read: 40,000 of them were a fifth of a 10,000-layer table's totals). The value is stored
    in the instance's __dict__, which is read first from then on; a frozen dataclass allows
    it, as it allows cached_property."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn, self.name, self.__doc__ = fn, fn.__name__, fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


@lru_cache(maxsize=4096)  # the layers of a repeat have the same weights
def _factored(values: tuple[Expr, ...]) -> Expr:
    total = add_up(list(values))
    return total if total.is_Number else sympy.factor_terms(total)


def grouped_total(counts: list[tuple[Expr, Expr]]) -> Expr:
    """Σ count·times; the layers of a symbolic repeat summed per repeat first, so that a
    total prints n·(…) + … rather than the product expanded, the pass's polynomial expanded
    (GPT-2: n·(12d² + 13d), as the papers write it, not n·(8d(d + 1) + d(4d + 1) + 4d)).
    Equal counts are first told apart by identity (a reused layer result's count is one
    object: `counts`), 10,000 layers in one dictionary lookup each, then summed by value."""
    seen: dict[tuple[int, int], list] = {}  # type: ignore[type-arg]
    for count, times in counts:
        entry = seen.get((id(count), id(times)))
        if entry is None:
            seen[(id(count), id(times))] = [count, times, 1]
        else:
            entry[2] += 1
    groups: dict[Expr, list[tuple[Expr, int]]] = {}
    for count, times, k in seen.values():
        groups.setdefault(times, []).append((count, k))
    return add_up([_add_counted(values) if times == 1 else times * per_pass(_add_counted(values))
                   for times, values in groups.items()])


def per_pass(total: Expr) -> Expr:
    """One pass's count expanded where it is a small polynomial (a Σ or a floor stays)."""
    if total.is_Number or not total.is_polynomial() or sympy.count_ops(total) > 200:
        return total
    return sympy.expand(total)


def within(times: Expr, outer: Expr) -> Expr:
    """The repeats of `times` inside `outer` (a product of the counts around a block)."""
    return times if outer == 1 else sympy.cancel(times / outer)
