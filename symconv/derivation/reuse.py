"""What the derive stage computes once and uses again: a layer's result where the same layer
meets the same shapes with the same argument values (`Applications`), and the bound arguments of
a copy of a repeated statement, moved to the copy's lines (`moved_arguments`, for
frames.Memo.copied). Deriving afresh gives the same results (tests/test_reuse.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy

from ..language import chunks, ir
from ..language.values import Arg
from ..layers import Call, LayerSpec
from ..layers.base import LayerOutput, Requirement


class Applications:
    """Layer applications already derived, reused where the same layer meets the same shapes
    with the same argument values: a layer function is pure, so its output, conditions, bounds
    and warnings are those of the first (a transformer's 1,250 blocks unrolled apply eight
    layers to (L, d) 10,000 times). Only where every extent and argument value is a number, a
    size or one operation on them (`_plain`: cheap to hash, and equal only when the same);
    not when the layer derived a layer given as its argument (`Call.opaque`), nor when an
    answer it was given about earlier conditions (`Call.known`) differs now. The conditions
    and warnings are made again with this call's name and positions."""

    MOST = 4096  # entries kept; past it the table starts again

    def __init__(self) -> None:
        self.items: dict[tuple[object, ...], _Applied] = {}

    def reuse(self, key: tuple[object, ...], spec: LayerSpec, ctx: Call) -> LayerOutput | None:
        """The output derived before under `key`, its conditions, warnings and bounds added to
        `ctx`; None if there is none, or it was made from other answers (`Call.known`)."""
        hit = self.items.get(key)
        if hit is None or hit.spec is not spec or not hit.holds(ctx):
            return None
        hit.replay(ctx)
        return hit.out

    def keep(self, key: tuple[object, ...], spec: LayerSpec, ctx: Call, out: LayerOutput,
             args: Mapping[str, Arg]) -> None:
        applied = _Applied.of(spec, ctx, out, args)
        if applied is None:
            return
        if len(self.items) >= self.MOST:
            self.items.clear()
        self.items[key] = applied


@dataclass
class _Applied:
    spec: LayerSpec
    out: LayerOutput
    requires: tuple[tuple[Requirement, str], ...]  # each with the argument it points at
    warned: tuple[str, ...]  # the messages, without the layer's type and name
    bounds: tuple[tuple[str, sympy.Expr, int | None], ...]
    asked: tuple[tuple[sympy.Basic, bool], ...]

    @classmethod
    def of(cls, spec: LayerSpec, ctx: Call, out: LayerOutput,
           args: Mapping[str, Arg]) -> _Applied | None:
        if ctx.opaque:
            return None
        where = {id(arg.span): name for name, arg in args.items()}
        requires = []
        for r in ctx.requires:
            arg = "" if r.span is ctx.span else where.get(id(r.span))
            if arg is None:
                return None
            requires.append((r, arg))
        prefix = f"{ctx.spec.type} '{ctx.name}': "
        if any(not w.message.startswith(prefix) or w.span is not ctx.span for w in ctx.warnings):
            return None
        return cls(spec, out, tuple(requires),
                   tuple(w.message[len(prefix):] for w in ctx.warnings), tuple(ctx.bounds),
                   tuple(ctx.asked))

    def holds(self, ctx: Call) -> bool:
        return all(ctx.known(condition) == answer for condition, answer in self.asked)

    def replay(self, ctx: Call) -> None:
        ctx.requires.extend(Requirement(r.condition, r.reason, ctx.name, ctx.span_of(arg),
                                        r.spoken) for r, arg in self.requires)
        for message in self.warned:
            ctx.warn(message)
        ctx.bounds.extend(self.bounds)


def key(spec: LayerSpec, ctx: Call, args: Mapping[str, Arg]) -> tuple[object, ...] | None:
    """What a layer's result is made from, or None where a part is not `_plain`."""
    for shape in ctx.inputs:
        for e in shape:
            if not _plain(e):
                return None
    values = []
    for name, arg in args.items():
        value = _value(arg.value)
        if value is None:
            return None
        values.append((name, value))
    return (id(spec), ctx.inputs, tuple(values), ctx.batched, ctx.axes)


def _plain(e: object) -> bool:
    """A number, a size or one operation on them, without a float (4.0·d is not 4·d)."""
    if not isinstance(e, sympy.Expr) or e.is_Float:
        return False
    return e.is_Atom or all(a.is_Atom and not a.is_Float for a in e.args)


def _value(value: object) -> tuple[object, ...] | None:
    """An argument's value as a key, its type kept (True is not 1, a list not a tuple)."""
    if isinstance(value, tuple):
        items = [_value(item.value if isinstance(item, Arg) else item) for item in value]
        return None if any(i is None for i in items) else (type(value), tuple(items))
    if value is None or isinstance(value, (str, bool)):
        return (type(value), value)
    if isinstance(value, sympy.Basic):
        return (type(value), value) if _plain(value) else None
    return None


def moved_arguments(args: dict[str, Arg], lines: int, node: ir.CallExpr) -> dict[str, Arg] | None:
    """Arguments bound from the call `node`, with their positions `lines` further down (for
    its copy); None where one holds what is not a number, a formula, a string, a flag, None or
    a tuple or list of them (a layer given as an argument keeps the scope it was written in),
    or a position outside `node`'s text (a value bound before, `k = (3, 3)`, keeps the one it
    was written at, which the copy shares)."""
    first = node.span.line
    last = node.span.end_line or first
    out: dict[str, Arg] = {}
    for name, arg in args.items():
        item = _moved_argument(arg, lines, first, last)
        if item is None:
            return None
        out[name] = item
    return out


def _moved_argument(arg: object, lines: int, first: int, last: int) -> Arg | None:
    if not isinstance(arg, Arg) or not first <= arg.span.line <= last:
        return None
    value = arg.value
    if isinstance(value, tuple):  # a tuple or a ListValue of Args
        items = [_moved_argument(item, lines, first, last) for item in value]
        if any(item is None for item in items):
            return None
        value = type(value)(items)
    elif not (value is None or isinstance(value, (str, bool, sympy.Basic))):
        return None
    return Arg(value, chunks.moved(arg.span, lines))
