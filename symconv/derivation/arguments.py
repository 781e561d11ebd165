"""Layers written as arguments of other layers (`Bidirectional(LSTM(8))`,
`TimeDistributed(Dense(2))`), and every call as written, for `symconv verify`.

A layer given as an argument is derived when its wrapper asks (Call.sublayer, on the shape the
wrapper hands it), named as the framework names it: Keras names a layer when it is made, so the
arguments are named before their wrapper, innermost first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol

from ..errors import Span
from ..language import ir
from ..language.values import Arg, Deferred, ListValue
from ..layers import REGISTRY, Call, LayerSpec
from ..layers.base import SubLayer
from .binding import snake_case
from .frames import Frame, given_name
from .model import LayerCall, Shape


class Deriver(Protocol):
    """What these functions use of propagate.Deriver (which imports this module)."""

    convention: str
    reserved: dict[int, str]
    namer: Any
    seen: Any

    def spec(self, type_: str, span: Span) -> LayerSpec: ...

    def bind(self, spec: LayerSpec, call: ir.CallExpr, frame: Frame) -> dict[str, Arg]: ...

    def sublayer(self, arg: Arg, shape: Shape, wrapper: Call) -> SubLayer: ...


def layer_call(deriver: Deriver, spec: LayerSpec, args: Mapping[str, Arg], positional: int,
               method: bool = False) -> LayerCall:
    """The call as written, for `symconv verify`; a layer given as an argument becomes a
    LayerCall of its own (bound in the scope it was written in)."""
    return LayerCall(spec.type, tuple((k, plain(deriver, a)) for k, a in args.items()),
                     positional, method)


def plain(deriver: Deriver, arg: Arg) -> object:
    value = arg.value
    if isinstance(value, ListValue):
        return ListValue(plain(deriver, a) for a in value)
    if isinstance(value, tuple):
        return tuple(plain(deriver, a) for a in value)
    if isinstance(value, Deferred) and isinstance(value.call.func, ir.Name):
        call = value.call
        spec = deriver.spec(call.func.id, call.func.span)  # type: ignore[union-attr]
        args = deriver.bind(spec, call, Frame(dict(value.scope)))
        return layer_call(deriver, spec, args, len(call.positional))
    return value


def sublayer(deriver: Deriver, arg: Arg, shape: Shape, wrapper: Call) -> SubLayer:
    """Derive a layer given as an argument on `shape` (Call.sublayer's hook)."""
    value = arg.value
    if not (isinstance(value, Deferred) and isinstance(value.call.func, ir.Name)
            and value.call.func.id in REGISTRY[deriver.convention]):
        raise wrapper.fail("expects a layer here, e.g. LSTM(8)", code="SC104")
    call = value.call
    spec = deriver.spec(call.func.id, call.func.span)  # type: ignore[union-attr]
    args = deriver.bind(spec, call, Frame(dict(value.scope)))
    name = given_name(args) or deriver.reserved.get(id(call)) or snake_case(spec.type)
    ctx = Call(spec, name, (shape,), args, call.span, deriver.sublayer)
    out = spec.fn(ctx)
    deriver.seen.call(ctx, args, note=False)
    if deriver.convention == "keras" and ctx.given("trainable") and not ctx.flag("trainable"):
        out = replace(out, weights=tuple(replace(w, trainable=False) for w in out.weights))
    return SubLayer(spec.type, name, out, tuple(ctx.requires))


def reserve_names(deriver: Deriver, args: Mapping[str, Arg]) -> None:
    """Keras names a layer when it is made, so `Bidirectional(LSTM(8))` names the LSTM
    first ('lstm', then 'bidirectional')."""
    if deriver.convention != "keras":
        return
    for arg in args.values():
        if isinstance(arg.value, Deferred):
            _reserve(deriver, arg.value.call)


def _reserve(deriver: Deriver, call: ir.CallExpr) -> None:
    """A layer written as an argument, and the layers written inside it, innermost first
    (Python makes `TimeDistributed(TimeDistributed(Dense(2)))`'s Dense first)."""
    if not (isinstance(call.func, ir.Name) and call.func.id in REGISTRY["keras"]):
        return
    for value in (*call.positional, *(kw.value for kw in call.keywords)):
        if isinstance(value, ir.CallExpr):
            _reserve(deriver, value)
    if not any(kw.name == "name" for kw in call.keywords):
        deriver.reserved[id(call)] = deriver.namer.keras_auto(call.func.id)
