"""Every sympy symbol symconv uses is made here, with its assumptions.

A declared size is a whole number with a domain, its least value: 1 (``integer=True,
positive=True``, the default, as JAX's "dimension variables are integers ≥ 1") or 0
(``integer=True, nonnegative=True``: a padding, a cropping, an output padding). The domain is
written (`sizes P >= 0`) or inferred from the size's uses (symconv/derivation/domains.py);
layer code never makes a symbol, and every stage after parsing finds a size's symbol through the
derivation (`Derivation.symbol`), so that P ≥ 0 and P ≥ 1 are never confused.
"""

from __future__ import annotations

from functools import lru_cache

import sympy

LEAST = (0, 1)  # the domains a size can have: its least value
DEFAULT_LEAST = 1


@lru_cache(maxsize=None)
def size(name: str, least: int = DEFAULT_LEAST) -> sympy.Symbol:
    """The symbol for a declared size whose least value is `least` (0 or 1)."""
    if least == 1:
        return sympy.Symbol(name, integer=True, positive=True)
    if least == 0:
        return sympy.Symbol(name, integer=True, nonnegative=True)
    raise ValueError(f"a size's least value is 0 or 1, not {least}")  # a bug, not user input


def least(symbol: sympy.Symbol) -> int:
    """The least value a size's symbol allows."""
    return 1 if symbol.is_positive else 0


@lru_cache(maxsize=None)
def stage(base: str, index: int) -> sympy.Symbol:
    """The extent of one axis after layer `index` in the layer-by-layer form: H_3 is what H has
    become after the third layer (an extent, so ≥ 1)."""
    return sympy.Symbol(f"{base}_{index}", integer=True, positive=True)


# The batch axis's extent, as torch's `x.shape[0]` gives it. The batch is left out of every shape
# symconv derives; this symbol stands for it only where the frameworks take it back (the first
# entry of view/reshape/expand, "this axis is the batch"). Its name is no identifier, so no
# declared size can be the same symbol.
BATCH = sympy.Symbol("(batch)", integer=True, positive=True)
