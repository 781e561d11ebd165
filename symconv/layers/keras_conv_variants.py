"""Keras 3 convolutions beyond the plain ones: transposed (Conv1D/2D/3DTranspose), depthwise
(DepthwiseConv1D/2D) and separable (SeparableConv1D/2D).

Transposed extents follow keras.src.backend.common.backend_utils
(_get_output_shape_given_tf_padding, Keras 3.15), with k_eff = d·(k − 1) + 1 and op the output
padding:

- 'valid': (L − 1)·s + max(k_eff, s) without output_padding, (L − 1)·s + k_eff + op with it
- 'same':  L·s without output_padding, (L − 1)·s + (k_eff mod 2) + op with it

Depthwise and separable layers use the plain conv extents (operation_utils
compute_conv_output_shape): 'valid' floor((L − k_eff)/s) + 1, an error when ≤ 0; 'same' ceil(L/s).
Unlike ConvND they take strides > 1 together with dilation_rate > 1 (base_depthwise_conv.py and
base_separable_conv.py do not check it).
"""

from __future__ import annotations

import sympy
from sympy import Expr, Integer, Max, Mod

from ..maths import extent
from .base import REQUIRED, Call, LayerOutput, Param, Weight, register
from .common import all_one, keras_activation, positive_extents
from .keras_spatial import TOO_SMALL, _join, _split

TORCH_TRANSPOSE_NOTE = (
    "PyTorch's ConvTranspose gives (L − 1)·s + k_eff where the kernel is smaller than the "
    "stride; Keras 'valid' pads such outputs up to (L − 1)·s + s")


def _transpose_extent(L: Expr, k: Expr, s: Expr, d: Expr, op: Expr | None, same: bool) -> Expr:
    k_eff = d * (k - 1) + 1
    if same:
        return L * s if op is None else (L - 1) * s + Mod(k_eff, 2) + op
    return (L - 1) * s + (Max(k_eff, s) if op is None else k_eff + op)


def conv_transpose(rank: int):  # type: ignore[no-untyped-def]
    def keras_conv_transpose(call: Call) -> LayerOutput:
        """Conv{rank}DTranspose: kernel (*k, filters, C_in), bias (filters,); 'valid'
        (L − 1)·s + max(k_eff, s), 'same' L·s; with output_padding op < s, 'valid'
        (L − 1)·s + k_eff + op, 'same' (L − 1)·s + (k_eff mod 2) + op (extents of 0 allowed)."""
        spatial, c_in, first = _split(call, rank)
        filters = call.integer("filters")
        k = call.integers("kernel_size", rank)
        s = call.integers("strides", rank)
        d = call.integers("dilation_rate", rank)
        same = call.choice("padding", ("valid", "same"), fold_case=True) == "same"
        op: tuple[Expr | None, ...] = (None,) * rank
        if call.raw("output_padding") is not None:
            op = call.integers("output_padding", rank, minimum=0)
            for o, si in zip(op, s):
                call.require(sympy.Lt(o, si), "'output_padding' must be strictly less than "
                             "'strides' on every axis", "output_padding")
        call.require(sympy.Or(all_one(s), all_one(d)),
                     "`strides > 1` not supported in conjunction with `dilation_rate > 1`")
        keras_activation(call)
        out = tuple(_transpose_extent(*a, same) for a in zip(spatial, k, s, d, op))
        weights = [Weight("kernel", (*k, filters, c_in))]
        if call.flag("use_bias"):
            weights.append(Weight("bias", (filters,)))
        notes = ()
        if not same and op[0] is None and any(
                sympy.Lt(di * (ki - 1) + 1, si) is not sympy.false for ki, si, di in zip(k, s, d)):
            notes = (TORCH_TRANSPOSE_NOTE,)
        return LayerOutput(_join(out, filters, first), tuple(weights), notes)

    return keras_conv_transpose


def _conv_extents(call: Call, spatial: tuple[Expr, ...],
                  rank: int) -> tuple[tuple[Expr, ...], tuple[Expr, ...]]:
    """(output extents, kernel size): plain conv extents ('valid' or 'same') for the depthwise
    and separable layers."""
    k = call.integers("kernel_size", rank)
    s = call.integers("strides", rank)
    d = call.integers("dilation_rate", rank)
    if call.choice("padding", ("valid", "same"), fold_case=True) == "same":
        return tuple(extent.ceil_div(L, si) for L, si in zip(spatial, s)), k
    out = tuple(extent.window(L, di * (ki - 1) + 1, si, Integer(0))
                for L, ki, si, di in zip(spatial, k, s, d))
    positive_extents(call, out, range(rank), TOO_SMALL)
    return out, k


def depthwise(rank: int):  # type: ignore[no-untyped-def]
    def keras_depthwise(call: Call) -> LayerOutput:
        """DepthwiseConv{rank}D: C_in·m output channels (m the depth_multiplier); kernel
        (*k, C_in, m), bias (C_in·m,)."""
        spatial, c_in, first = _split(call, rank)
        m = call.integer("depth_multiplier")
        out, k = _conv_extents(call, spatial, rank)
        keras_activation(call)
        weights = [Weight("kernel", (*k, c_in, m))]
        if call.flag("use_bias"):
            weights.append(Weight("bias", (c_in * m,)))
        return LayerOutput(_join(out, c_in * m, first), tuple(weights))

    return keras_depthwise


def separable(rank: int):  # type: ignore[no-untyped-def]
    def keras_separable(call: Call) -> LayerOutput:
        """SeparableConv{rank}D: depthwise_kernel (*k, C_in, m), pointwise_kernel
        (1, …, 1, C_in·m, filters), bias (filters,)."""
        spatial, c_in, first = _split(call, rank)
        m = call.integer("depth_multiplier")
        filters = call.integer("filters")
        out, k = _conv_extents(call, spatial, rank)
        keras_activation(call)
        weights = [Weight("depthwise_kernel", (*k, c_in, m)),
                   Weight("pointwise_kernel", ((Integer(1),) * rank + (c_in * m, filters)))]
        if call.flag("use_bias"):
            weights.append(Weight("bias", (filters,)))
        return LayerOutput(_join(out, filters, first), tuple(weights))

    return keras_separable


def _params(*items: tuple[str, object]) -> tuple[Param, ...]:
    return tuple(Param(n, d) for n, d in items)


_REG = (("kernel_regularizer", None), ("bias_regularizer", None),
        ("activity_regularizer", None), ("kernel_constraint", None), ("bias_constraint", None))
_DW_INIT = (("depthwise_initializer", "glorot_uniform"), ("bias_initializer", "zeros"),
            ("depthwise_regularizer", None), ("bias_regularizer", None),
            ("activity_regularizer", None), ("depthwise_constraint", None),
            ("bias_constraint", None))
_ONE = Integer(1)

for _r in (1, 2, 3):
    # Conv3DTranspose takes data_format before output_padding (Keras 3.15 signatures)
    _middle = (("data_format", None), ("output_padding", None)) if _r == 3 else (
        ("output_padding", None), ("data_format", None))
    register("keras", f"Conv{_r}DTranspose", _params(
        ("filters", REQUIRED), ("kernel_size", REQUIRED), ("strides", _ONE), ("padding", "valid"),
        *_middle, ("dilation_rate", _ONE), ("activation", None), ("use_bias", True),
        ("kernel_initializer", "glorot_uniform"), ("bias_initializer", "zeros"), *_REG),
        conv_transpose(_r),
        f"Keras Conv{_r}DTranspose: 'valid' (L − 1)·s + max(k_eff, s), 'same' L·s (output_padding "
        "op: (L − 1)·s + k_eff + op, (L − 1)·s + k_eff mod 2 + op); params (∏k·C_in + 1)·filters",
        "conv")
for _r in (1, 2):
    register("keras", f"DepthwiseConv{_r}D", _params(
        ("kernel_size", REQUIRED), ("strides", _ONE), ("padding", "valid"),
        ("depth_multiplier", _ONE), ("data_format", None), ("dilation_rate", _ONE),
        ("activation", None), ("use_bias", True), *_DW_INIT), depthwise(_r),
        f"Keras DepthwiseConv{_r}D: conv extents, C_in·m channels; params (∏k + 1)·C_in·m",
        "conv")
    register("keras", f"SeparableConv{_r}D", _params(
        ("filters", REQUIRED), ("kernel_size", REQUIRED), ("strides", _ONE), ("padding", "valid"),
        ("data_format", None), ("dilation_rate", _ONE), ("depth_multiplier", _ONE),
        ("activation", None), ("use_bias", True), ("depthwise_initializer", "glorot_uniform"),
        ("pointwise_initializer", "glorot_uniform"), ("bias_initializer", "zeros"),
        ("depthwise_regularizer", None), ("pointwise_regularizer", None),
        ("bias_regularizer", None), ("activity_regularizer", None),
        ("depthwise_constraint", None), ("pointwise_constraint", None),
        ("bias_constraint", None)), separable(_r),
        f"Keras SeparableConv{_r}D: conv extents; params ∏k·C_in·m + C_in·m·filters + filters",
        "conv")
