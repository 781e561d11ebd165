"""The layer-by-layer form of a derivation: each layer's output extents in terms of its own
input's, H_1 = H - 2, H_2 = ⌊H_1/2⌋, … (the expanded form writes everything in the network's
input sizes instead). For papers that state the recurrence rather than its closed form. An
extent set by an argument alone (32 filters, `classes`) is written as it is.

Each layer's registry function is run again with symbols for the extents of its input (its
arguments as written); an extent that is a number or passes through unchanged keeps its name, and
every other one gets a new symbol named after the input size it comes from, subscripted with the
layer's position (`symbols.stage`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Expr

from ..language.values import Arg
from ..layers import REGISTRY, Call
from ..maths import symbols
from .model import Derivation, LayerCall, LayerRecord, _count

Shape = tuple[Expr, ...]


@dataclass(frozen=True)
class Step:
    """One layer: its output shape in stage symbols, the definitions of the symbols it
    introduces (symbol = expression in its input's symbols) and its parameter count in them."""

    record: LayerRecord
    shape: Shape
    defines: tuple[tuple[sympy.Symbol, Expr], ...]
    params: Expr


def _arg(value: object, span: object) -> Arg:
    if isinstance(value, LayerCall):
        raise _NoStep  # a layer given as an argument: only its expanded form is known
    if isinstance(value, tuple):
        return Arg(tuple(_arg(v, span) for v in value), span)  # type: ignore[arg-type]
    return Arg(value, span)  # type: ignore[arg-type]


class _NoStep(Exception):
    pass


def _rerun(d: Derivation, record: LayerRecord, inputs: tuple[Shape, ...]) -> tuple[Shape, Expr]:
    assert record.call is not None
    if record.type not in REGISTRY[d.convention]:  # a free parameter: its shape as declared
        raise _NoStep
    spec = REGISTRY[d.convention][record.type]
    args = {k: _arg(v, record.span) for k, v in record.call.args}
    batched = tuple(d.layers[s].batched if isinstance(s, int) else True for s in record.sources)
    out = spec.fn(Call(spec, record.name, inputs, args, record.span, batched=batched))
    own = out.weights[len(record.tied):]  # a tied weight (the first) is counted where it is made
    weights = [w.size for w in own if not w.buffer] if record.shares is None else []
    return out.shape, _count(weights)


def _base(expanded: Expr, axis: int) -> str:
    names = sorted(str(s) for s in expanded.free_symbols)
    return names[0] if len(names) == 1 else "N" if names else f"D{axis}"


def steps(d: Derivation) -> list[Step]:
    """Every layer in the layer-by-layer form (a layer that takes a layer as its argument keeps
    the expanded form)."""
    shapes: dict[int | str, Shape] = {name: shape for name, shape in d.inputs}
    # the sizes that flow: the network input's extents, then every stage symbol made
    flowing: set[sympy.Basic] = set().union(*(e.free_symbols for _, s in d.inputs for e in s))
    defined: dict[Expr, sympy.Symbol] = {}  # every definition made so far, by its expression
    out = []
    for i, record in enumerate(d.layers):
        # a later output of a call giving several, (index, k): its derived shape
        inputs = tuple(shapes[s] if not isinstance(s, tuple) else d.layers[s[0]].outputs[s[1]]
                       for s in record.sources)
        try:
            shape, params = _rerun(d, record, inputs)
        except _NoStep:
            shape, params = record.output_shape, record.params
        if not record.sources:  # a free parameter: its shape is written, not derived
            shapes[i] = shape
            out.append(Step(record, shape, (), params))
            continue
        known = {e for s in inputs for e in s if isinstance(e, sympy.Symbol)}
        named: list[Expr] = []
        defines: list[tuple[sympy.Symbol, Expr]] = []
        for axis, (extent, expanded) in enumerate(zip(shape, record.output_shape)):
            if extent.is_Number or extent in known or not extent.free_symbols & flowing:
                named.append(extent)
                continue
            if extent in defined:  # the same definition already has a name (a skip path)
                named.append(defined[extent])
                continue
            symbol = symbols.stage(_base(expanded, axis), i + 1)
            if any(s == symbol for s, _ in defines):
                symbol = symbols.stage(f"{_base(expanded, axis)}{axis}", i + 1)
            defines.append((symbol, extent))
            defined[extent] = symbol
            flowing.add(symbol)
            named.append(symbol)
        shapes[i] = tuple(named)
        out.append(Step(record, tuple(named), tuple(defines), params))
    return out
