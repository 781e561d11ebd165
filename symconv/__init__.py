"""symconv: closed-form output shapes and parameter counts of neural networks, in your symbols.

>>> import symconv
>>> d = symconv.derive("sizes H\\ninput (H, H, 1)\\nMaxPooling2D(2)\\nMaxPooling2D(2)")
>>> d.layers[-1].output_shape
(floor(H/4), floor(H/4), 1)

The packages follow the data: `language` (text → program), `derivation` (program →
derivation), `solving` (→ substituted / solved), `render` (→ text); `layers` (the layer
registry), `analysis` (compute, memory, receptive fields), `maths` (what every stage shares),
`frameworks` (the bridge to PyTorch and Keras); `importing` (a PyTorch or Keras model →
.arch text); `api` (this library's front door) and `cli`.
A module imports only from its own package and from those after it in this order
(tests/test_layout.py holds the code to it; `__init__` is this module):

    __main__ → cli → importing → __init__ → api → frameworks → render → analysis → solving →
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
    """Derive a network written in the .arch language: every layer's output shape, parameter
    counts and weight shapes, in closed form in the network's own sizes.

    text_or_path: .arch text, or a file (a Path, or a name ending in .arch).
    subs: {size: number} to substitute (the other sizes take their declared defaults); every
        condition is checked at those numbers. Without it, declared sizes stay symbolic.

    Returns a Derivation: print it for the summary table (`repr` is the table), or use
    `.render("json" | "markdown" | "latex")`, `.to_dict()`, `.layers` (each with
    `.output_shape`, `.params`, `.weights`, `.requires`), `.params`, `.requires`. In Jupyter
    it shows as an HTML table. Raises SymconvError (`.render()` gives path:line:col, the line
    and a caret) for an input it refuses.

    >>> print(derive("input (28, 28, 1)\nConv2D(8, 3)").layers[0].params)
    80
    """
    from .api import derive as _derive

    return _derive(text_or_path, subs)


def solve(text_or_path, unknowns, targets, subs=None, ranges=None) -> Solution:  # type: ignore[no-untyped-def]
    """The values of declared sizes (`unknowns`) for which every target holds: the kernel
    that gives a wanted shape, the widest width under a parameter budget.

    targets: `symconv.Target("shape", (13, 13, None), layer=None)` (None: any extent; the
        last layer unless `layer`, a layer's, block's or named tensor's name),
        `Target("params", 10_000)`, `Target("max-params", …)`, `Target("equal", "up2", "s2")`.
    subs: numbers for the sizes that are not unknowns; ranges: {unknown: (low, high)} to
        search instead of the defaults.

    Returns a Solution: print it for the answer in words (`repr` is the text form), or use
    `.render("json" | "latex")`, `.to_dict()`, `.solutions`, `.closed_form`, `.found`,
    `.groups` (every solution as products of runs: `[{"K": ((3, 4),), "S": ((2, 2),)}]`).

    >>> from symconv import Target
    >>> solve("sizes K\ninput (28, 28, 1)\nConv2D(8, K)", ["K"],
    ...       [Target("shape", (13, 13, None))]).solutions
    [{'K': 16}]
    """
    from .api import solve as _solve

    return _solve(text_or_path, unknowns, targets, subs, ranges)


def verify(text_or_path, against=None, subs=None, samples=3, seed=0,  # type: ignore[no-untyped-def]
           outside=True) -> Report:
    """Check a derivation against the real framework (PyTorch or Keras: `pip install
    'symconv[verify]'`): build the same network, run it on zeros, and compare every layer's
    output shape, parameter counts and weight shapes at `samples` sampled sizes (from `seed`),
    and with `outside` the nearest invalid size too, which the framework must refuse.

    against: "torch" or "keras" (default: the file's convention); subs: sizes to fix.
    Returns a Report: `.ok`, and `.render()` for the comparison table.
    """
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
