"""Every sympy symbol symconv uses is made here, with its assumptions.

One written assumption, as in JAX's shape polymorphism: a declared size is an integer ≥ 1.
"""

from __future__ import annotations

from functools import lru_cache

import sympy


@lru_cache(maxsize=None)
def size(name: str) -> sympy.Symbol:
    """The symbol for a declared size: a positive integer."""
    return sympy.Symbol(name, integer=True, positive=True)


def is_size(expr: object) -> bool:
    return isinstance(expr, sympy.Symbol) and expr.is_integer and expr.is_positive is True


@lru_cache(maxsize=None)
def stage(base: str, index: int) -> sympy.Symbol:
    """The extent of one axis after layer `index` in the layer-by-layer form: H_3 is what H has
    become after the third layer."""
    return sympy.Symbol(f"{base}_{index}", integer=True, positive=True)
