"""Keras 3 normalization layers beyond BatchNormalization: LayerNormalization, GroupNormalization,
UnitNormalization, and the preprocessing layer Normalization. Shapes are unchanged; the rules are
the weights and the axis checks, from keras.src.layers.normalization and
keras.src.layers.preprocessing.normalization (Keras 3.15). Axes count the batch axis as 0, as Keras counts them.
"""

from __future__ import annotations

import sympy
from sympy import Expr

from ..errors import shown
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


def _constant_shape(call: Call, name: str) -> tuple[int, ...] | None:
    """np.shape of a `mean` / `variance` written as a number or nested tuples of numbers (None
    when not given); a ragged nesting is refused, as numpy refuses it."""
    def shape_of(v: object) -> tuple[int, ...]:
        if isinstance(v, tuple):
            inner = {shape_of(x) for x in v}
            if len(inner) > 1:
                raise call.fail(f"'{name}' is ragged: its rows differ in length", name)
            return (len(v), *(inner.pop() if inner else ()))
        if isinstance(v, bool) or not isinstance(v, Expr) or not v.is_number:
            raise call.fail(f"'{name}' must be a number or a tuple of numbers", name)
        return ()

    raw = call.raw(name)
    return None if raw is None else shape_of(raw)


def normalization(call: Call) -> LayerOutput:
    """Normalization(axis=-1, mean=None, variance=None, invert=False) (keras.layers.Normalization,
    Keras 3.15 preprocessing/normalization.py): shape unchanged. `axis` (None or () for one
    scalar mean) names the kept axes, sorted; each must be known, so not the batch axis. Without
    `mean` / `variance`, build adds three non-trainable weights: mean and variance of the kept
    extents' shape and count () (an int): 2·∏kept + 1. Given as constants they are plain
    tensors, not weights (0 parameters): both or neither, of one shape, of rank at most
    len(axis), each extent 1 or the kept axis's extent it is aligned with from the right."""
    raw = call.raw("axis")
    axes = [] if raw is None else _axis_values(call, "axis")
    rank = len(call.input) + 1
    for a in axes:
        if not -rank <= a < rank:
            raise call.fail(f"'axis' = {a} is out of range for an input of rank {rank} (batch "
                            "axis included)", "axis", code="SC201")
    kept = sorted(a % rank for a in axes)
    if 0 in kept:
        raise call.fail("'axis' keeps the batch axis, whose size is unknown (Keras: \"All "
                        "`axis` values to be kept must have a known shape\")", "axis",
                        code="SC201", hint="use axis=None for one scalar mean and variance")
    if len(set(kept)) != len(kept):
        raise call.fail("'axis' names the same axis twice", "axis")
    shape = tuple(_extent(call, a) for a in kept)
    call.flag("invert")
    mean, variance = _constant_shape(call, "mean"), _constant_shape(call, "variance")
    if (mean is None) != (variance is None):
        raise call.fail("'mean' and 'variance' must be given together", "mean"
                        if mean is not None else "variance")
    if mean is None:
        return LayerOutput(call.input, (Weight("mean", shape, trainable=False),
                                        Weight("variance", shape, trainable=False),
                                        Weight("count", (), trainable=False)))
    if mean != variance:
        raise call.fail(f"'mean' and 'variance' must have the same shape, not {mean} and "
                        f"{variance}", "variance")
    if len(mean) > len(kept):
        raise call.fail(f"the rank of 'mean' ({len(mean)}) must be at most the number of axes "
                        f"({len(kept)})", "mean")
    for have, extent in zip(reversed(mean), reversed(shape)):
        if have != 1:
            call.require(sympy.Eq(extent, have),
                         lambda: f"'mean' of extent {shown(have)} does not broadcast "
                         f"to the kept axis's {shown(extent)}", "mean", code="SC203")
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
register("keras", "Normalization", (Param("axis", sympy.Integer(-1)), Param("mean", None),
                                    Param("variance", None), Param("invert", False)),
         normalization, "Keras Normalization: shape unchanged; non-trainable mean, variance "
         "(kept axes' shape) and count, 2·∏kept + 1, unless mean and variance are given",
         "normalization")
register("keras", "UnitNormalization", (_LAST,), unit_norm,
         "Keras UnitNormalization: shape unchanged, no weights", "normalization")
