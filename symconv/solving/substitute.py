"""Put numbers in for sizes, re-check every recorded condition."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import sympy
from sympy import Expr

from ..derivation.domains import check_value
from ..derivation.frames import bounded_record
from ..derivation.model import Derivation, LayerCall, LayerRecord
from ..errors import SymconvError, did_you_mean
from ..layers.base import Requirement, Several, Weight


def substitute(d: Derivation, values: Mapping[str, int], use_defaults: bool = True) -> Derivation:
    """The derivation with `values` (and, with `use_defaults`, the declared defaults of sizes
    not named) substituted. A condition that becomes false is an error naming the layer."""
    for name, value in values.items():
        if name not in d.sizes:
            raise SymconvError("SC302", f"'{name}' is not a declared size", None, d.source,
                               hint=did_you_mean(name, d.sizes)
                               or f"declared sizes: {', '.join(d.sizes) or 'none'}")
        try:
            check_value(name, value, d.domain(name))
        except SymconvError as err:
            raise err.located(d.source) from None
    chosen = {**d.defaults, **values} if use_defaults else dict(values)
    chosen = {k: v for k, v in chosen.items() if k not in d.subs}
    if not chosen:
        return d
    if _counts(d) & set(chosen):
        d = _unrolled(d, {k: v for k, v in chosen.items() if k in _counts(d)})
        chosen = {k: v for k, v in chosen.items() if k not in d.subs}
        if not chosen:
            return d
    mapping = {d.symbol(k): sympy.Integer(v) for k, v in chosen.items()}
    layers = tuple(_layer(layer, mapping, d) for layer in d.layers)
    blocks = tuple(replace(b, output_shape=_shape(b.output_shape, mapping),
                           input_shapes=tuple(_shape(s, mapping) for s in b.input_shapes))
                   for b in d.blocks)
    return replace(d, input_shape=_shape(d.input_shape, mapping), layers=layers,
                   inputs=tuple((n, _shape(s, mapping)) for n, s in d.inputs),
                   outputs=tuple(_shape(s, mapping) for s in d.outputs), blocks=blocks,
                   subs={**d.subs, **chosen}, limits=_limits(d.limits, mapping))


def _counts(d: Derivation) -> set[str]:
    """The sizes a symbolic repeat count holds."""
    return {str(x) for r in d.repeats for x in r.count.free_symbols}


def _unrolled(d: Derivation, counts: Mapping[str, int]) -> Derivation:
    """The network derived again with these repeat counts fixed (every other size as in `d`):
    a closed repeat substituted is the unrolled one, names and conditions included."""
    from ..derivation.run import derive_program
    from ..language.parse import parse

    fixed = {**d.subs, **counts}
    return derive_program(parse(d.source), fixed,
                          open_sizes=[s for s in d.sizes if s not in fixed], domains=d.domains)


def unchecked(d: Derivation, values: Mapping[str, int]) -> Derivation:
    """The network's inputs, layer calls and layer input shapes at `values`, conditions not
    checked: enough to build the network in a framework where symconv refuses it (`symconv
    verify` checks that the framework refuses it too). A symbolic repeat's count in `values`
    unrolls it first (its records are one pass), where the count alone leaves it valid."""
    counts = {k: v for k, v in values.items() if k in _counts(d)}
    if counts:
        try:
            d = _unrolled(d, counts)
        except SymconvError:
            pass  # invalid for the count alone: the one pass the records hold is built
    mapping = {d.symbol(k): sympy.Integer(v) for k, v in values.items()}
    layers = tuple(replace(layer, call=_call(layer.call, mapping) if layer.call else None,
                           input_shape=_shape(layer.input_shape, mapping),
                           input_shapes=tuple(_shape(s, mapping) for s in layer.input_shapes))
                   for layer in d.layers)
    return replace(d, layers=layers, inputs=tuple((n, _shape(s, mapping)) for n, s in d.inputs))


def _limits(limits: tuple[Requirement, ...],
            mapping: Mapping[sympy.Symbol, Expr]) -> tuple[Requirement, ...]:
    """The limits still open at `mapping` (those it makes true or false are decided)."""
    out = (replace(r, condition=r.condition.xreplace(mapping)) for r in limits)
    return tuple(r for r in out if r.condition not in (sympy.true, sympy.false))


def _shape(shape: tuple[Expr, ...], mapping: Mapping[sympy.Symbol, Expr]) -> tuple[Expr, ...]:
    return tuple(e.xreplace(mapping) for e in shape)


def _layer(layer: LayerRecord, mapping: Mapping[sympy.Symbol, Expr], d: Derivation) -> LayerRecord:
    requires = []
    for req in layer.requires:
        cond = req.condition.xreplace(mapping)
        if cond is sympy.false:
            raise _broken(layer, req, mapping, d)
        if cond is not sympy.true:
            requires.append(replace(req, condition=cond))
    weights = tuple(Weight(w.name, _shape(w.shape, mapping), w.trainable, w.buffer)
                    for w in layer.weights)
    return bounded_record(replace(
        layer, input_shape=_shape(layer.input_shape, mapping),
        input_shapes=tuple(_shape(s, mapping) for s in layer.input_shapes),
        output_shape=_shape(layer.output_shape, mapping), weights=weights,
        results=_several(layer.results, mapping) if layer.results is not None else None,
        requires=tuple(requires), call=_call(layer.call, mapping) if layer.call else None,
        tied=tuple(replace(t, weight=replace(t.weight, shape=_shape(t.weight.shape, mapping)))
                   for t in layer.tied)),
        d.source)


def _several(results: Several, mapping: Mapping[sympy.Symbol, Expr]) -> Several:
    return Several(tuple(_several(item, mapping) if isinstance(item, Several) else
                         _shape(item, mapping) for item in results.items))


def _call(call: LayerCall, mapping: Mapping[sympy.Symbol, Expr]) -> LayerCall:
    return replace(call, args=tuple((k, _value(v, mapping)) for k, v in call.args))


def _value(value: object, mapping: Mapping[sympy.Symbol, Expr]) -> object:
    if isinstance(value, sympy.Basic):
        return value.xreplace(mapping)
    if isinstance(value, tuple):
        return tuple(_value(v, mapping) for v in value)
    if isinstance(value, LayerCall):
        return _call(value, mapping)
    return value


def _broken(layer: LayerRecord, req: Requirement, mapping: Mapping[sympy.Symbol, Expr],
            d: Derivation) -> SymconvError:
    from ..maths.printing import pretty

    given = {str(s): v for s, v in mapping.items()}
    used = sorted(str(s) for s in req.condition.free_symbols)
    values = ", ".join(f"{s} = {given[s]}" for s in used if s in given)
    return SymconvError(
        "SC301", f"{layer.type} '{layer.name}': {req.reason}", layer.span, d.source,
        notes=[f"requires {pretty(req.condition)}" + (f", but {values}" if values else "")],
        hint="choose sizes that satisfy every condition `symconv derive` lists under "
             "'requires'")
