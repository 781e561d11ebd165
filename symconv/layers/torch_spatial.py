"""PyTorch layers over spatial axes (channels first): ConvNd, MaxPoolNd, AvgPoolNd, adaptive
pooling. Formulas from the torch.nn documentation and ATen's pooling_output_shape
(torch 2.13), with L an input extent, k the kernel, s the stride, p the padding, d the dilation
and k_eff = d·(k − 1) + 1:

- conv: floor((L + 2p − k_eff)/s) + 1; padding='same' keeps L (stride 1 only), 'valid' is p = 0
- pool: the same, stride=None meaning k; ceil_mode: ceil((L + 2p − k_eff)/s) + 1, less one when
  the last window would start in the right padding; p ≤ k/2 (the raw kernel, even dilated)
"""

from __future__ import annotations

import sympy
from sympy import Expr, Integer

from ..errors import shown
from ..maths import extent
from .base import Call, LayerOutput, Param, Weight, register, relation
from .common import all_one, divisible, positive_extents

TOO_SMALL = "output size is too small (the kernel does not fit the padded input)"


def _feature_map(call: Call, rank: int) -> tuple[Expr, tuple[Expr, ...]]:
    call.input_rank(rank + 1, f"(C, {', '.join('DHW'[3 - rank:])}) channels first")
    return call.input[0], call.input[1:]


def _in_channels(call: Call, name: str, actual: Expr) -> Expr:
    declared = call.integer(name)
    call.agree(declared, actual,
               lambda: f"'{name}' is {shown(declared)} but the input has {shown(actual)} there",
               name)
    return declared


def conv(rank: int):  # type: ignore[no-untyped-def]
    def torch_conv(call: Call) -> LayerOutput:
        """Conv{rank}d: weight (out, in/groups, *k), bias (out,)."""
        c, spatial = _feature_map(call, rank)
        c_in = _in_channels(call, "in_channels", c)
        c_out = call.integer("out_channels")
        k = call.integers("kernel_size", rank)
        s = call.integers("stride", rank)
        d = call.integers("dilation", rank)
        groups = call.integer("groups")
        call.choice("padding_mode", ("zeros", "reflect", "replicate", "circular"))
        divisible(call, c_in, groups, "in_channels must be divisible by groups", "groups")
        divisible(call, c_out, groups, "out_channels must be divisible by groups", "groups")
        padding = call.raw("padding")
        if padding == "same":
            call.require(all_one(s), "padding='same' is not supported for strided convolutions",
                         "padding")
            # total pad d·(k − 1), the larger half on the right: that half meets the limits
            _padding_mode_limits(call, spatial, tuple(
                di * (ki - 1) - sympy.floor(di * (ki - 1) / 2) for ki, di in zip(k, d)))
            out = spatial
        else:
            p = (Integer(0),) * rank if padding == "valid" else call.integers("padding", rank, 0)
            _padding_mode_limits(call, spatial, p)
            out = tuple(extent.window(L, di * (ki - 1) + 1, si, 2 * pi)
                        for L, ki, si, di, pi in zip(spatial, k, s, d, p))
            positive_extents(call, out, range(rank), TOO_SMALL)
        weights = [Weight("weight", (c_out, c_in / groups, *k))]
        if call.flag("bias"):
            weights.append(Weight("bias", (c_out,)))
        return LayerOutput((c_out, *out), tuple(weights))

    return torch_conv


def _padding_mode_limits(call: Call, spatial: tuple[Expr, ...], p: tuple[Expr, ...]) -> None:
    """F.pad's limits for a non-zero padding_mode, `p` the larger pad of each axis: reflect
    needs p < L, circular p ≤ L (torch 2.13; replicate has none)."""
    mode = call.raw("padding_mode")
    for L, pi in zip(spatial, p):
        if mode == "reflect":
            call.require(relation(sympy.Lt, pi, L),
                         "reflect padding must be smaller than the input",
                         "padding")
        elif mode == "circular":
            call.require(relation(sympy.Le, pi, L), "circular padding must not exceed the input",
                         "padding")


def pool(rank: int, kind: str):  # type: ignore[no-untyped-def]
    def torch_pool(call: Call) -> LayerOutput:
        """{kind}Pool{rank}d: no weights; stride=None means stride = kernel_size. AvgPool3d
        also needs L ≥ k on each axis, padding notwithstanding."""
        c, spatial = _feature_map(call, rank)
        k = call.integers("kernel_size", rank)
        s = k if call.raw("stride") is None else call.integers("stride", rank)
        p = call.integers("padding", rank, 0)
        d = call.integers("dilation", rank) if kind == "Max" else (Integer(1),) * rank
        ceil_mode = call.flag("ceil_mode")
        _divisor(call, kind, rank)
        out = []
        for L, ki, si, pi, di in zip(spatial, k, s, p, d):
            span = di * (ki - 1) + 1
            # ATen checks the raw kernel, whatever the dilation (measured on torch 2.13).
            call.require(relation(sympy.Le, 2 * pi, ki),
                         "pad should be at most half of kernel size",
                         "padding")
            if kind == "Avg" and rank == 3:
                # avg_pool3d's shape check also wants the unpadded input to hold the kernel
                # (ATen pool3d_shape_check, check_input_size=true): "input image (T: 2 H: 6
                # W: 6) smaller than kernel size (kT: 3 kH: 3 kW: 3)", even with padding=1.
                call.require(relation(sympy.Ge, L, ki), "input image smaller than kernel size",
                             "kernel_size")
            make = extent.ceil_window if ceil_mode else extent.window
            out.append(make(L, span, si, pi if ceil_mode else 2 * pi))
        positive_extents(call, tuple(out), range(rank), TOO_SMALL)
        return LayerOutput((c, *out))

    return torch_pool


def _divisor(call: Call, kind: str, rank: int) -> None:
    """AvgPool2d/3d's divisor_override: None, or any whole number but 0 ("divisor must be not
    zero" at forward, torch 2.13; negative ones are accepted)."""
    if kind == "Avg" and rank > 1 and call.raw("divisor_override") is not None:
        divisor = call.integer("divisor_override", None)
        call.require(sympy.Ne(divisor, 0), "divisor must be not zero", "divisor_override")


def adaptive_pool(rank: int):  # type: ignore[no-untyped-def]
    def torch_adaptive_pool(call: Call) -> LayerOutput:
        """Adaptive{Avg,Max}Pool{rank}d: the requested size, 0 allowed (an empty output, as
        torch 2.13 gives); None inside a tuple keeps the input's extent (2-D and 3-D only: the
        1-D functions take a tuple of ints, and a bare None has no len())."""
        c, spatial = _feature_map(call, rank)
        size = call.raw("output_size")
        if size is None:
            raise call.fail("'output_size' must be a whole number or a tuple, not None",
                            "output_size")
        items = size if isinstance(size, tuple) else (size,) * rank
        if len(items) != rank:
            raise call.fail(f"'output_size' needs {rank} values, got {len(items)}", "output_size")
        if rank == 1 and items[0] is None:
            raise call.fail("'output_size' of a 1-D adaptive pool cannot be None", "output_size")
        out = tuple(L if v is None else call.integer("output_size", 0, v)
                    for L, v in zip(spatial, items))
        return LayerOutput((c, *out))

    return torch_adaptive_pool


CONV_PARAMS = (Param("in_channels"), Param("out_channels"), Param("kernel_size"),
               Param("stride", Integer(1)), Param("padding", Integer(0)),
               Param("dilation", Integer(1)), Param("groups", Integer(1)), Param("bias", True),
               Param("padding_mode", "zeros"))
MAX_PARAMS = (Param("kernel_size"), Param("stride", None), Param("padding", Integer(0)),
              Param("dilation", Integer(1)), Param("return_indices", False),
              Param("ceil_mode", False))
AVG_PARAMS = (Param("kernel_size"), Param("stride", None), Param("padding", Integer(0)),
              Param("ceil_mode", False), Param("count_include_pad", True))

for _r in (1, 2, 3):
    register("torch", f"Conv{_r}d", CONV_PARAMS, conv(_r),
             f"torch.nn.Conv{_r}d: floor((L + 2p − k_eff)/s) + 1; params "
             "out·(in/groups·∏k) + out", "conv")
    register("torch", f"MaxPool{_r}d", MAX_PARAMS, pool(_r, "Max"),
             f"torch.nn.MaxPool{_r}d: floor or ceil mode, p ≤ k/2", "pool")
    register("torch", f"AvgPool{_r}d",
             AVG_PARAMS + ((Param("divisor_override", None),) if _r > 1 else ()),
             pool(_r, "Avg"), f"torch.nn.AvgPool{_r}d: floor or ceil mode, p ≤ k/2", "pool")
    register("torch", f"AdaptiveAvgPool{_r}d", (Param("output_size"),), adaptive_pool(_r),
             f"torch.nn.AdaptiveAvgPool{_r}d: the requested size", "adaptive_pool")
    register("torch", f"AdaptiveMaxPool{_r}d",
             (Param("output_size"), Param("return_indices", False)), adaptive_pool(_r),
             f"torch.nn.AdaptiveMaxPool{_r}d: the requested size", "adaptive_pool")
