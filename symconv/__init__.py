"""symconv: closed-form output shapes and parameter counts of neural networks, in your symbols.

>>> import symconv
>>> d = symconv.derive("sizes H\\ninput (H, H, 1)\\nMaxPooling2D(2)\\nMaxPooling2D(2)")
>>> d.layers[-1].output_shape
(floor(H/4), floor(H/4), 1)

The packages follow the data: `language` (text → program), `derivation` (program →
derivation), `solving` (→ substituted / solved), `render` (→ text); `layers` (the layer
registry), `analysis` (compute, memory, receptive fields), `maths` (what every stage shares),
`frameworks` (the bridge to PyTorch and Keras); `api` (this library's front door) and `cli`.
A module imports only from its own package and from those after it in this order
(tests/test_layout.py holds the code to it; `__init__` is this module):

    __main__ → cli → __init__ → api → frameworks → render → analysis → solving →
    derivation → layers → language → maths → errors → escapes
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import SymconvError

if TYPE_CHECKING:
    from .derivation.model import Derivation
    from .frameworks import Report
    from .solving.solver import Solution, Target

__all__ = ["SymconvError", "Target", "derive", "json_symbols", "solve", "verify"]
__version__ = "0.1.0"


def derive(text_or_path, subs=None) -> Derivation:  # type: ignore[no-untyped-def]
    """See `symconv.api.derive`."""
    from .api import derive as _derive

    return _derive(text_or_path, subs)


def solve(text_or_path, unknowns, targets, subs=None, ranges=None) -> Solution:  # type: ignore[no-untyped-def]
    """See `symconv.api.solve`."""
    from .api import solve as _solve

    return _solve(text_or_path, unknowns, targets, subs, ranges)


def verify(text_or_path, against=None, subs=None, samples=3, seed=0,  # type: ignore[no-untyped-def]
           outside=True) -> Report:
    """See `symconv.api.verify`."""
    from .api import verify as _verify

    return _verify(text_or_path, against, subs, samples, seed, outside)


def json_symbols(document):  # type: ignore[no-untyped-def]
    """See `symconv.render.jsonout.json_symbols`: the `local_dict` with which sympy's
    `parse_expr` reads a JSON document's formulas back."""
    from .render.jsonout import json_symbols as _json_symbols

    return _json_symbols(document)


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    """`symconv.Target` without importing the solver at start-up."""
    if name == "Target":
        from .solving.solver import Target

        return Target
    raise AttributeError(name)
