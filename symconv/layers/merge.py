"""Layers and functions that take several tensors: Keras's merge layers (Add, Subtract,
Multiply, Average, Maximum, Minimum, Concatenate, Dot) and the elementwise functions of both
conventions (PyTorch's add, sub, mul and cat; keras.ops add, subtract, multiply, which `a + b`,
`a - b` and `a * b` stand for).

Shapes leave the batch axis out, so inputs of different ranks (which the frameworks broadcast
against the batch axis) are refused rather than guessed; axes are counted with the batch axis, as
the frameworks count them.

Elementwise rule (numpy broadcasting, keras.src.layers.merging.base_merge
_compute_elemwise_op_output_shape, torch.broadcast_shapes): per axis, equal extents stay, an extent
of 1 takes the other's. Extents that agree only for some sizes give the condition
``a = b ∨ a = 1 ∨ b = 1`` and the extent ``Max(a, b)``.
"""

from __future__ import annotations

import sympy
from sympy import Expr

from .. import extent
from ..errors import shown
from .base import Call, LayerOutput, Param, register

Shape = tuple[Expr, ...]


def _same_rank(call: Call) -> None:
    ranks = {len(s) for s in call.inputs}
    if len(ranks) > 1:
        raise call.fail("inputs of different ranks are broadcast against the batch axis, which "
                        "symconv leaves out of shapes; this is not supported", code="SC201",
                        hint="bring the inputs to one rank first (Reshape / Unflatten)")


def _broadcast_extent(call: Call, a: Expr, b: Expr, axis: int) -> Expr:
    same = extent.equal(a, b)
    if same is sympy.true:
        return a
    if a == 1:
        return b
    if b == 1:
        return a
    condition = sympy.Or(same, extent.equal(a, 1), extent.equal(b, 1))
    call.require(condition, f"the inputs' extents on axis {axis + 1} must be equal (or 1)",
                 code="SC203")
    return sympy.Max(a, b)


def broadcast(call: Call) -> Shape:
    _same_rank(call)
    out = call.inputs[0]
    for shape in call.inputs[1:]:
        out = tuple(_broadcast_extent(call, a, b, i) for i, (a, b) in enumerate(zip(out, shape)))
    return out


def elementwise(call: Call) -> LayerOutput:
    """Elementwise merge: the broadcast shape of the inputs; no weights."""
    return LayerOutput(broadcast(call))


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
        out = list(call.input)
        for shape in call.inputs[1:]:
            for i, (a, b) in enumerate(zip(out, shape)):
                if i == axis:
                    out[i] = a + b
                else:
                    call.require(extent.equal(a, b), f"the inputs must agree on axis {i + 1} "
                                 f"(all but the {arg} being joined)", code="SC203")
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
    a, b = call.inputs[0][axes[0] - 1], call.inputs[1][axes[1] - 1]
    call.require(sympy.Eq(a, b), "the extents on the two dotted axes must be equal",
                 code="SC203")
    call.flag("normalize")
    left = [e for i, e in enumerate(call.inputs[0]) if i != axes[0] - 1]
    right = [e for i, e in enumerate(call.inputs[1]) if i != axes[1] - 1]
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
