"""Keras 3 normalization layers beyond BatchNormalization: LayerNormalization, GroupNormalization,
UnitNormalization. Shapes are unchanged; the rules are the weights and the axis checks, from
keras.src.layers.normalization (Keras 3.15). Axes count the batch axis as 0, as Keras counts them.
"""

from __future__ import annotations

import sympy
from sympy import Expr

from .base import Call, LayerOutput, Param, Weight, register
from .common import divisible


def _axis_values(call: Call, name: str) -> list[int]:
    """An int or a tuple of ints, as written (not yet normalised)."""
    raw = call.raw(name)
    items = raw if isinstance(raw, tuple) else (raw,)
    if not all(isinstance(a, sympy.Integer) for a in items):
        raise call.fail(f"'{name}' must be an int or a tuple of ints", name)
    return [int(a) for a in items]  # type: ignore[arg-type]


def _in_range(call: Call, name: str, axes: list[int], batch: bool) -> list[int]:
    """The axes as indices of the batched shape; out of range is an error, and so is the batch
    axis unless `batch` (UnitNormalization normalises across it without complaint)."""
    rank = len(call.input) + 1
    out = []
    for a in axes:
        if not -rank <= a < rank:
            raise call.fail(f"'{name}' = {a} is out of range for an input of rank {rank} (batch "
                            "axis included)", name, code="SC201")
        if a % rank == 0 and not batch:
            raise call.fail(f"'{name}' = {a} is the batch axis, whose size is unknown", name,
                            code="SC201", hint=f"axes run from 1 to {rank - 1}, or -1 to "
                            f"-{rank - 1}")
        out.append(a % rank)
    if len(set(out)) != len(out):
        raise call.fail(f"'{name}' names the same axis twice", name)
    return out


def _extent(call: Call, batched_axis: int) -> Expr:
    return call.input[batched_axis - 1]


def layer_norm(call: Call) -> LayerOutput:
    """LayerNormalization: gamma and beta of the shape of the normalised axes, taken in the
    order of the axis values as written, sorted (so axis=(-1, 1) gives (C, H)); gamma with
    `scale` or `rms_scaling`, beta with `center` unless `rms_scaling`.

    Keras's torch backend fails without rms_scaling when the sorted axis values are one axis or
    a run of consecutive ones that are not the trailing axes (it calls F.layer_norm); the other
    backends take them, and so does symconv."""
    raw = sorted(_axis_values(call, "axis"))
    if not raw:
        raise call.fail("'axis' must name at least one axis", "axis")
    shape = tuple(_extent(call, a) for a in _in_range(call, "axis", raw, batch=False))
    rms = call.flag("rms_scaling")
    weights = []
    if call.flag("scale") or rms:
        weights.append(Weight("gamma", shape))
    if call.flag("center") and not rms:
        weights.append(Weight("beta", shape))
    return LayerOutput(call.input, tuple(weights))


def group_norm(call: Call) -> LayerOutput:
    """GroupNormalization: the extent on `axis` divisible by `groups` (-1: one group per channel);
    gamma and beta of that extent."""
    raw = call.raw("groups")
    axis = _axis_values(call, "axis")
    if isinstance(call.raw("axis"), tuple):
        raise call.fail("'axis' must be a single int", "axis")
    c = _extent(call, _in_range(call, "axis", axis, batch=False)[0])
    if not (isinstance(raw, sympy.Integer) and raw == -1):
        groups = call.integer("groups")
        divisible(call, c, groups, "the extent on 'axis' must be a multiple of 'groups'",
                  "groups")
    weights = []
    if call.flag("scale"):
        weights.append(Weight("gamma", (c,)))
    if call.flag("center"):
        weights.append(Weight("beta", (c,)))
    return LayerOutput(call.input, tuple(weights))


def unit_norm(call: Call) -> LayerOutput:
    """UnitNormalization: shape unchanged, no weights; `axis` may include the batch axis."""
    _in_range(call, "axis", _axis_values(call, "axis"), batch=True)
    return LayerOutput(call.input)


_AFFINE = tuple(Param(n, d) for n, d in (
    ("epsilon", sympy.Integer(1) / 1000), ("center", True), ("scale", True),
    ("beta_initializer", "zeros"), ("gamma_initializer", "ones"), ("beta_regularizer", None),
    ("gamma_regularizer", None), ("beta_constraint", None), ("gamma_constraint", None)))
_LAST = Param("axis", sympy.Integer(-1))
register("keras", "LayerNormalization", (_LAST, *_AFFINE, Param("rms_scaling", False)),
         layer_norm, "Keras LayerNormalization: gamma, beta of the normalised axes' shape",
         "normalization")
register("keras", "GroupNormalization", (Param("groups", sympy.Integer(32)), _LAST, *_AFFINE),
         group_norm, "Keras GroupNormalization: C divisible by groups; gamma, beta (C,)",
         "normalization")
register("keras", "UnitNormalization", (_LAST,), unit_norm,
         "Keras UnitNormalization: shape unchanged, no weights", "normalization")
