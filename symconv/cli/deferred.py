"""sympy's tensor module, loaded only if something uses it.

sympy's `Add.flatten` imports `sympy.tensor.tensor` on its first call, for an isinstance test
against `TensExpr` (sympy 1.14, core/add.py), and that module imports `sympy.combinatorics`,
which builds its polyhedra's permutation tables at import: 45–55 ms of every symconv command on
this machine, for expressions that are never tensors. The CLI, which owns its process, puts
this stand-in in its place, in the commands that run no user code (`import` and `derive
--from` run the user's Python, which meets sympy as it is). Add's two names are classes nothing
is an instance of; any other name read from it replaces the stand-in with the real module
(sympy.physics does), and Add's next call imports the real classes. Nothing that is not a
tensor takes another path.
"""

from __future__ import annotations

import importlib
import sys
import types

NAME = "sympy.tensor.tensor"


class _StandIn(types.ModuleType):
    """`sympy.tensor.tensor` until a name other than Add's is read from it."""

    TensExpr = type("TensExpr", (), {})  # noqa: N815 - sympy's names
    TensAdd = type("TensAdd", (), {})  # noqa: N815

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):  # the import system asks for __path__, __spec__, …
            raise AttributeError(name)
        return getattr(real(), name)


def real() -> types.ModuleType:
    """The real module, imported now if the stand-in was in its place."""
    if isinstance(sys.modules.get(NAME), _StandIn):
        del sys.modules[NAME]
    return importlib.import_module(NAME)


def defer_sympy_tensors() -> None:
    """Put the stand-in in place, unless the real module is loaded already."""
    if NAME not in sys.modules:
        sys.modules[NAME] = _StandIn(NAME)
