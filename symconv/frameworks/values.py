"""A layer call's arguments as the plain Python values a framework constructor takes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy

from ..derivation.model import Derivation, LayerCall
from ..language.values import ListValue


def plain(value: object, build: Callable[[LayerCall], Any]) -> Any:
    """sympy integers → int, other numbers → float, tuples item by item, lists as written
    (`Permute([0, 2, 3, 1])`) lists, a layer given as an argument → `build(call)`; strings,
    bools and None as they are."""
    if isinstance(value, LayerCall):
        return build(value)
    if isinstance(value, ListValue):
        return [plain(v, build) for v in value]
    if isinstance(value, tuple):
        return tuple(plain(v, build) for v in value)
    if isinstance(value, sympy.Basic):
        if value.is_Integer:
            return int(value)
        if value.is_Number:
            return float(value)
        raise ValueError(f"argument {value} is not a number: every size needs a value")
    return value


def arguments(call: LayerCall, build: Callable[[LayerCall], Any],
              dropped: frozenset[str] = frozenset()) -> tuple[list[Any], dict[str, Any]]:
    """(positional, keyword) arguments as written, less the `dropped` keywords."""
    positional = [plain(v, build) for _, v in call.args[:call.positional]]
    keywords = {k: plain(v, build) for k, v in call.args[call.positional:] if k not in dropped}
    return positional, keywords


def token_inputs(d: Derivation) -> set[str]:
    """The network inputs an Embedding or EmbeddingBag reads: they hold integer token ids, the
    others floats."""
    return {name for layer in d.layers if layer.type in ("Embedding", "EmbeddingBag")
            for name in layer.sources if isinstance(name, str)}


def flat_outputs(out: Any) -> list[Any]:
    """A framework call's result as its tensors, nested tuples and lists depth first (the
    order of LayerRecord.outputs)."""
    if isinstance(out, (tuple, list)):
        return [t for item in out for t in flat_outputs(item)]
    return [out]
