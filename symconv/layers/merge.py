"""Layers and functions that take several tensors: Keras's merge layers (Add, Subtract,
Multiply, Average, Maximum, Minimum, Concatenate, Dot) and the elementwise functions of both
conventions (PyTorch's add, sub, mul and cat; keras.ops add, subtract, multiply, which `a + b`,
`a - b` and `a * b` stand for).

Shapes leave the batch axis out, so inputs of different ranks (which the frameworks broadcast
against the batch axis) are refused rather than guessed; axes are counted with the batch axis, as
the frameworks count them.

Elementwise rule (numpy broadcasting: torch.broadcast_shapes; Keras's merge layers in
keras.src.layers.merging.base_merge _compute_elemwise_op_output_shape, which raises at build time
for two different extents neither of them 1 and leaves an unknown (None) extent to the backend;
keras.ops' broadcast_shapes): per axis, equal extents stay, an extent of 1 takes the other's, 0
included (0 and 1 give 0). For symbolic extents a and b:

- equal for every size: a;
- neither equal nor 1 for any size: refused at the merge (SC203), as the frameworks refuse it;
- otherwise the condition ``a = b ∨ a = 1 ∨ b = 1``, checked on substitution, and a warning when
  a = b is impossible (the merge then works only where an extent is 1: almost always a missing
  stride or padding).

The extent of the result, exact wherever the condition holds: a when a is never 1 (then b = a or
b = 1), b when b is never 1; else ``Max(a, b)``, times ``Min(1, …)`` of the extents that may be 0
(0 and 1 give 0, not 1).
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy import Expr

from ..errors import shape_text, shown
from ..maths import extent
from .base import Call, LayerOutput, Param, register

Shape = tuple[Expr, ...]


def _same_rank(call: Call, shapes: list[Shape] | None = None) -> None:
    ranks = {len(s) for s in (call.inputs if shapes is None else shapes)}
    if len(ranks) > 1:
        raise call.fail("inputs of different ranks are broadcast against the batch axis, which "
                        "symconv leaves out of shapes; this is not supported", code="SC201",
                        hint="bring the inputs to one rank first (Reshape / Unflatten)")


ONE = sympy.Integer(1)


def _shapes(call: Call) -> tuple[Shape, ...]:
    """The inputs' shapes with every extent a sympy integer expression (the extent helpers do
    not take Python ints)."""
    return tuple(tuple(sympy.Integer(e) if isinstance(e, int) else e for e in shape)
                 for shape in call.inputs)


def _pair(a: Expr, b: Expr, axis: int) -> str:
    return f"extents {shown(a)} and {shown(b)} on axis {axis + 1}"


def _require(call: Call, condition: sympy.Basic, general: str,
             named: Callable[[], str]) -> None:
    """Record `condition` with the `general` reason (the condition names the extents); one
    false for every size is refused now, with the `named` reason (the extents in it, printed
    only then: printing formulas is slow)."""
    call.require(condition, named() if condition is sympy.false else general, code="SC203")


def _broadcast_extent(call: Call, a: Expr, b: Expr, axis: int) -> Expr:
    if a == 1:
        return b
    if b == 1:
        return a
    same = extent.equal(a, b)
    if same is sympy.true:
        return a
    a_one, b_one = extent.equal(a, ONE), extent.equal(b, ONE)
    _require(call, sympy.Or(same, a_one, b_one),
             f"the inputs' extents on axis {axis + 1} must be equal (or 1)",
             lambda: f"{_pair(a, b, axis)} must be equal (or 1)")
    if same is sympy.false:
        call.warn(f"{_pair(a, b, axis)} are never equal, so the inputs broadcast only where "
                  "one of them is 1 (is a stride or a padding missing?)")
    if a_one is sympy.false:
        return a
    if b_one is sympy.false:
        return b
    maybe_empty = [e for e in (a, b) if not call.known(extent.at_least(e, ONE))
                   and not call.known(sympy.Ge(e, ONE))]
    return _larger(a, b) * _extreme(sympy.Min, ONE, *maybe_empty)


_ROUNDED = (sympy.floor, sympy.ceiling, sympy.Max, sympy.Min, sympy.Mod)


def _larger(a: Expr, b: Expr) -> Expr:
    return _extreme(sympy.Max, a, b)


def _extreme(kind: type[sympy.Max] | type[sympy.Min], *items: Expr) -> Expr:
    """Max or Min of `items`. sympy compares every pair to drop the ones that cannot win,
    which for extents with roundings it cannot decide yet takes 10–30 ms a pair, compounding
    through the layers after (a mutant of NASNet with one pool of size 10³⁹ spent 12 s in
    them): there only a constant difference decides, and the rest stay, unevaluated, in
    sympy's order and flattened as sympy flattens; polynomials go to sympy, which decides
    them quickly (max(2·H, H) = 2·H)."""
    if not any(e.has(*_ROUNDED) for e in items):
        return kind(*items)
    flat = set(x for e in items for x in (e.args if isinstance(e, kind) else (e,)))
    sign = 1 if kind is sympy.Max else -1  # f beats e when sign·(f - e) > 0

    def beaten(e: Expr) -> bool:
        return any((f - e).is_number and sign * (f - e) > 0 for f in flat)
    kept = [e for e in flat if not beaten(e)]
    return kind(*kept, evaluate=False) if len(kept) > 1 else kept[0]


def broadcast(call: Call) -> Shape:
    shapes = _shapes(call)
    batched = [s for s, b in zip(shapes, call.batched) if b]
    free = [s for s, b in zip(shapes, call.batched) if not b]
    if not batched:
        return _free_broadcast(call, free)
    if len(batched) < len(shapes):
        _same_rank(call, batched)
    else:
        _same_rank(call)
    first, *rest = batched
    out = first
    for shape in rest:
        out = tuple(_broadcast_extent(call, a, b, i) for i, (a, b) in enumerate(zip(out, shape)))
    for shape in free:
        out = _against_batch(call, out, shape)
    return out


def _against_batch(call: Call, out: Shape, free: Shape) -> Shape:
    """A free parameter's whole shape (no batch axis left out) against a network tensor's
    (batch, *out), aligned to the right as torch and Keras broadcast: an axis that lines up
    with the batch axis must be 1, and the result keeps the batch axis first."""
    if len(free) > len(out) + 1:
        raise call.fail(f"a parameter of shape {shape_text(free)} has more axes than the network "
                        f"tensor with its batch axis, (batch, {shape_text(out)[1:]}: the batch "
                        "axis would not stay first", code="SC201")
    if len(free) == len(out) + 1:
        head, free = free[0], free[1:]
        _require(call, extent.equal(head, ONE), "a parameter's axis that lines up with the "
                 "batch axis must be 1", lambda: f"a parameter's axis 0, of extent {head}, "
                 "lines up with the batch axis: it must be 1")
    skip = len(out) - len(free)
    return out[:skip] + tuple(_broadcast_extent(call, a, b, skip + i)
                              for i, (a, b) in enumerate(zip(out[skip:], free)))


def _free_broadcast(call: Call, shapes: list[Shape]) -> Shape:
    """Free parameters alone: numpy broadcasting, aligned to the right; no batch axis."""
    rank = max(len(s) for s in shapes)
    out: Shape = (ONE,) * rank
    for shape in shapes:
        skip = rank - len(shape)
        out = out[:skip] + tuple(_broadcast_extent(call, a, b, skip + i - 1)
                                 for i, (a, b) in enumerate(zip(out[skip:], shape)))
    return out


def elementwise(call: Call) -> LayerOutput:
    """Elementwise merge: the broadcast shape of the inputs; no weights. With free parameters
    among them (Call.batched), each broadcasts against the network tensors' (batch, *shape);
    of free parameters alone, the result is one too (no batch axis)."""
    return LayerOutput(broadcast(call), batched=any(call.batched))


def _axis(call: Call, name: str, rank: int) -> int:
    """An axis of the batched input (rank+1 axes), as a batch-less index; the batch axis is
    refused."""
    raw = call.raw(name)
    if isinstance(raw, bool) or not isinstance(raw, (int, sympy.Integer)):
        raise call.fail(f"'{name}' must be a whole number, not {shown(raw)}", name)
    value = int(raw)
    if not -(rank + 1) <= value <= rank:
        raise call.fail(f"'{name}' = {value} is out of range for inputs of rank {rank + 1} "
                        "(batch axis included)", name, code="SC201")
    value %= rank + 1
    if value == 0:
        raise call.fail(f"'{name}' = {raw} is the batch axis, which symconv leaves out of "
                        "shapes; this is not supported", name, code="SC201")
    return value - 1


def concatenate(arg: str):  # type: ignore[no-untyped-def]
    def concat(call: Call) -> LayerOutput:
        """Concatenate / torch.cat: extents on the axis add up; every other axis must agree
        exactly (no broadcasting)."""
        _same_rank(call)
        rank = len(call.input)
        axis = _axis(call, arg, rank)
        first, *rest = _shapes(call)
        out = list(first)
        for shape in rest:
            for i, (a, b) in enumerate(zip(out, shape)):
                if i == axis:
                    out[i] = a + b
                    continue
                same = extent.equal(a, b)
                if same is not sympy.true:
                    joined = f"(all but the {arg} being joined)"
                    _require(call, same, f"the inputs must agree on axis {i + 1} {joined}",
                             lambda: f"{_pair(a, b, i)} must be equal {joined}")
        return LayerOutput(tuple(out))

    return concat


def dot(call: Call) -> LayerOutput:
    """Keras Dot(axes): batch_dot of two inputs; the extents on the two reduced axes must be
    equal; output = shape1 without its axis + shape2 without its axis (compute_output_shape),
    (1,) when that leaves nothing."""
    rank1, rank2 = len(call.inputs[0]) + 1, len(call.inputs[1]) + 1
    raw = call.raw("axes")
    if isinstance(raw, tuple):
        if len(raw) != 2:
            raise call.fail("'axes' must be one axis or two", "axes")
        axes = [_dot_axis(call, raw[0], rank1), _dot_axis(call, raw[1], rank2)]
    else:
        one = _dot_axis(call, raw, max(rank1, rank2))
        axes = [one % rank1, one % rank2] if int(raw) < 0 else [one, one]  # type: ignore[arg-type]
    for rank, axis in zip((rank1, rank2), axes):
        if not 1 <= axis < rank:
            raise call.fail("'axes' must name a non-batch axis of each input", "axes",
                            code="SC201")
    first, second = _shapes(call)
    a, b = first[axes[0] - 1], second[axes[1] - 1]
    same = extent.equal(a, b)
    if same is not sympy.true:
        _require(call, same, "the extents on the two dotted axes must be equal",
                 lambda: f"the dotted extents, {shown(a)} on axis {axes[0]} of the first input and "
                 f"{shown(b)} on axis {axes[1]} of the second, must be equal")
    call.flag("normalize")
    left = [e for i, e in enumerate(first) if i != axes[0] - 1]
    right = [e for i, e in enumerate(second) if i != axes[1] - 1]
    out = tuple(left + right)
    return LayerOutput(out or (sympy.Integer(1),))


def _dot_axis(call: Call, value: object, rank: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, sympy.Integer)):
        raise call.fail(f"'axes' must be whole numbers, not {shown(value)}", "axes")
    if int(value) < 0:
        return int(value) % rank
    return int(value)


MANY = (2, None)
for _type, _doc in (("Add", "sum"), ("Multiply", "product"), ("Average", "mean"),
                    ("Maximum", "maximum"), ("Minimum", "minimum")):
    register("keras", _type, (), elementwise, f"elementwise {_doc} of 2+ tensors (broadcast)",
             "merge", arity=MANY)
register("keras", "Subtract", (), elementwise, "first tensor minus the second (broadcast)",
         "merge", arity=(2, 2))
register("keras", "Concatenate", (Param("axis", -1),), concatenate("axis"),
         "joins 2+ tensors along `axis` (default the last)", "merge", arity=MANY)
register("keras", "Dot", (Param("axes"), Param("normalize", False)), dot,
         "batch dot product of 2 tensors over `axes`", "merge", arity=(2, 2))
for _type, _doc in (("add", "a + b"), ("subtract", "a - b"), ("multiply", "a * b")):
    register("keras", _type, (), elementwise, f"keras.ops.{_type}: {_doc} (broadcast)",
             "functional", common=(), arity=(2, 2))
for _type, _doc in (("add", "a + b"), ("sub", "a - b"), ("mul", "a * b")):
    register("torch", _type, (), elementwise, f"torch.{_type}: {_doc} (broadcast)",
             "functional", common=(), arity=(2, 2))
register("torch", "cat", (Param("dim", 0),), concatenate("dim"),
         "torch.cat((a, b, …), dim): joins tensors along `dim`", "functional", common=(),
         arity=(1, None))
