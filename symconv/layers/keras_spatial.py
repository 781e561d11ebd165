"""Keras 3 layers over spatial axes: convolutions, pooling, global pooling, zero padding.

Formulas follow keras.src.ops.operation_utils (compute_conv_output_shape,
compute_pooling_output_shape), Keras 3.15, with L an input extent, k the kernel or pool size,
s the stride, d the dilation and k_eff = d·(k − 1) + 1:

- conv 'valid': floor((L − k_eff)/s) + 1, an error when ≤ 0; 'same' and 'causal': ceil(L/s)
- pool 'valid': floor((L − k)/s) + 1, an error when ≤ 0; 'same': ceil(L/s); strides=None → k
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy
from sympy import Expr, Integer, Or

from ..maths import extent
from .base import Call, LayerOutput, Param, Weight, register
from .common import all_one, divisible, keras_activation, keras_lora, positive_extents

TOO_SMALL = "computed output size would be zero or negative"


def _channels_first(call: Call) -> bool:
    fmt = call.raw("data_format")
    if fmt is None:
        return False
    return call.choice("data_format", ("channels_last", "channels_first")) == "channels_first"


def _split(call: Call, rank: int) -> tuple[tuple[Expr, ...], Expr, bool]:
    """(spatial extents, channels, channels_first) of a rank-`rank` feature map."""
    call.input_rank(rank + 1, f"a {rank}-D feature map with channels")
    first = _channels_first(call)
    shape = call.input
    return (shape[1:], shape[0], first) if first else (shape[:-1], shape[-1], first)


def _join(spatial: tuple[Expr, ...], channels: Expr, first: bool) -> tuple[Expr, ...]:
    return (channels, *spatial) if first else (*spatial, channels)


def conv_extents(call: Call, spatial: Sequence[Expr], k: Sequence[Expr], s: Sequence[Expr],
                 d: Sequence[Expr], padding: str) -> tuple[Expr, ...]:
    """A Keras convolution's output extents: 'valid' ⌊(L − k_eff)/s⌋ + 1 (an error when ≤ 0),
    'same' and 'causal' ⌈L/s⌉."""
    if padding != "valid":
        return tuple(extent.ceil_div(L, si) for L, si in zip(spatial, s))
    out = tuple(extent.window(L, di * (ki - 1) + 1, si, Integer(0))
                for L, ki, si, di in zip(spatial, k, s, d))
    positive_extents(call, out, range(len(out)), TOO_SMALL)
    return out


def conv(rank: int):  # type: ignore[no-untyped-def]
    def keras_conv(call: Call) -> LayerOutput:
        """Conv{rank}D: kernel (*k, C_in/groups, filters), bias (filters,); with `lora_rank` r
        the kernel is frozen and lora_kernel_a (*k, C_in/groups, r), lora_kernel_b (r, filters)
        are added."""
        spatial, c_in, first = _split(call, rank)
        filters = call.integer("filters")
        k = call.integers("kernel_size", rank)
        s = call.integers("strides", rank)
        d = call.integers("dilation_rate", rank)
        paddings = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
        padding = call.choice("padding", paddings, fold_case=True)
        groups = call.integer("groups")
        keras_activation(call)
        use_bias = call.flag("use_bias")
        call.require(Or(all_one(s), all_one(d)),
                     "`strides > 1` not supported in conjunction with `dilation_rate > 1`")
        divisible(call, filters, groups, "'filters' must be divisible by 'groups'", "filters")
        divisible(call, c_in, groups, "input channels must be divisible by 'groups'", "groups")
        out = conv_extents(call, spatial, k, s, d, padding)
        weights = keras_lora(call, Weight("kernel", (*k, c_in / groups, filters)), filters)
        if use_bias:
            weights.append(Weight("bias", (filters,)))
        return LayerOutput(_join(out, filters, first), tuple(weights))

    return keras_conv


def pool(rank: int):  # type: ignore[no-untyped-def]
    def keras_pool(call: Call) -> LayerOutput:
        """{Max,Average}Pooling{rank}D: no weights; strides=None means strides = pool_size."""
        spatial, channels, first = _split(call, rank)
        k = call.integers("pool_size", rank)
        s = k if call.raw("strides") is None else call.integers("strides", rank)
        padding = call.choice("padding", ("valid", "same"))
        if padding == "valid":
            out = tuple(extent.window(L, ki, si, Integer(0)) for L, ki, si in zip(spatial, k, s))
            positive_extents(call, out, range(rank), TOO_SMALL)
        else:
            out = tuple(extent.ceil_div(L, si) for L, si in zip(spatial, s))
        return LayerOutput(_join(out, channels, first))

    return keras_pool


def global_pool(rank: int):  # type: ignore[no-untyped-def]
    def keras_global_pool(call: Call) -> LayerOutput:
        """Global{Max,Average}Pooling{rank}D: (C,), or ones on the pooled axes with keepdims."""
        spatial, channels, first = _split(call, rank)
        if call.flag("keepdims"):
            return LayerOutput(_join((Integer(1),) * rank, channels, first))
        return LayerOutput((channels,))

    return keras_global_pool


def _pad_pairs(call: Call, rank: int) -> tuple[tuple[Expr, Expr], ...]:
    """ZeroPadding's `padding`: an int, one value per axis, or a (before, after) pair per axis;
    1-D takes only an int or one (left, right) pair, never nested ones.
    Keras 3.15 lets a single int for 2-D be negative (it crops); everything else must be ≥ 0."""
    v = call.raw("padding")
    if not isinstance(v, tuple):
        p = call.integer("padding", None if rank == 2 else 0)
        return ((p, p),) * rank
    if rank == 1:
        if len(v) != 2 or any(isinstance(x, tuple) for x in v):
            raise call.fail("'padding' must be an int or a tuple of 2 ints (left, right)",
                            "padding")
        return ((call.integer("padding", 0, v[0]), call.integer("padding", 0, v[1])),)
    if len(v) != rank:
        raise call.fail(f"'padding' needs {rank} entries, got {len(v)}", "padding")
    pairs = []
    for item in v:
        if isinstance(item, tuple):
            if len(item) != 2:
                raise call.fail("each padding pair needs 2 values (before, after)", "padding")
            pairs.append((call.integer("padding", 0, item[0]), call.integer("padding", 0, item[1])))
        else:
            p = call.integer("padding", 0, item)
            pairs.append((p, p))
    return tuple(pairs)


def zero_padding(rank: int):  # type: ignore[no-untyped-def]
    def keras_zero_padding(call: Call) -> LayerOutput:
        """ZeroPadding{rank}D: each spatial extent grows by its two paddings."""
        if rank == 1:
            call.input_rank(2, "a sequence with channels")
            spatial, channels, first = call.input[:-1], call.input[-1], False
        else:
            spatial, channels, first = _split(call, rank)
        pairs = _pad_pairs(call, rank)
        out = tuple(L + a + b for L, (a, b) in zip(spatial, pairs))
        for e in out:
            call.require(sympy.Ge(e, 0), "negative padding crops more than the input has",
                         "padding")
        return LayerOutput(_join(out, channels, first))

    return keras_zero_padding


CONV_PARAMS = (Param("filters"), Param("kernel_size"), *(Param(n, d) for n, d in (
    ("strides", Integer(1)), ("padding", "valid"), ("data_format", None),
    ("dilation_rate", Integer(1)), ("groups", Integer(1)), ("activation", None), ("use_bias", True),
    ("kernel_initializer", "glorot_uniform"), ("bias_initializer", "zeros"),
    ("kernel_regularizer", None), ("bias_regularizer", None), ("activity_regularizer", None),
    ("kernel_constraint", None), ("bias_constraint", None), ("lora_rank", None),
    ("lora_alpha", None),
)))
POOL_PARAMS = (Param("strides", None), Param("padding", "valid"), Param("data_format", None))
GLOBAL_PARAMS = (Param("data_format", None), Param("keepdims", False))

for _r in (1, 2, 3):
    register("keras", f"Conv{_r}D", CONV_PARAMS, conv(_r),
             f"Keras Conv{_r}D: 'valid' floor((L − k_eff)/s) + 1, 'same' ceil(L/s); "
             "params ∏k·C_in/groups·filters + filters", "conv")
    for _kind in ("Max", "Average"):
        # MaxPooling has pool_size=2 by default, AveragePooling none (Keras 3.15).
        _size = Param("pool_size", Integer(2)) if _kind == "Max" else Param("pool_size")
        register("keras", f"{_kind}Pooling{_r}D", (_size,) + POOL_PARAMS, pool(_r),
                 f"Keras {_kind}Pooling{_r}D: 'valid' floor((L − k)/s) + 1, 'same' ceil(L/s)",
                 "pool")
        register("keras", f"Global{_kind}Pooling{_r}D", GLOBAL_PARAMS, global_pool(_r),
                 f"Keras Global{_kind}Pooling{_r}D: (C,), keepdims keeps ones", "global_pool")
register("keras", "ZeroPadding1D", (Param("padding", Integer(1)),), zero_padding(1),
         "Keras ZeroPadding1D: L + left + right", "padding")
register("keras", "ZeroPadding2D", (Param("padding", (Integer(1), Integer(1))),
                                    Param("data_format", None)), zero_padding(2),
         "Keras ZeroPadding2D: H + top + bottom, W + left + right", "padding")
