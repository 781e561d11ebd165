"""PyTorch transposed convolutions, ConvTranspose1d/2d/3d (channels first). Formula from the
torch.nn.ConvTranspose docs and torch/nn/modules/conv.py (torch 2.13), with L an input extent,
k the kernel, s the stride, p the padding, d the dilation and op the output padding:

    (L − 1)·s − 2p + d·(k − 1) + op + 1,   op < s or op < d on each axis

Weight (in, out/groups, *k), bias (out,). Only padding_mode='zeros' is accepted (ValueError at
construction otherwise), and padding is a number or a tuple, never 'same'/'valid'.
"""

from __future__ import annotations

import sympy
from sympy import Expr

from .base import Call, LayerOutput, Param, Weight, register
from .common import divisible, positive_extents
from .torch_spatial import _feature_map, _in_channels

TOO_SMALL = "output size is too small (the padding removes more than the transposed kernel adds)"
KERAS_NOTE = ("Keras Conv{r}DTranspose differs: kernel (*k, filters, C_in) with no groups, "
              "padding 'valid'/'same' instead of p, and with output_padding=None an extent of "
              "(L − 1)·s + max(k_eff, s) ('valid') or L·s ('same').")


def conv_transpose(rank: int):  # type: ignore[no-untyped-def]
    def torch_conv_transpose(call: Call) -> LayerOutput:
        """ConvTranspose{rank}d. An extent of 0 is refused: torch 2.13 returns an empty tensor
        through oneDNN (float32 CPU, batch > 1) but its fallback kernel (batch 1, or some
        output_padding ≥ stride) raises "Output size is too small", so whether 0 works depends
        on the batch size and thread count; ≥ 1 works everywhere."""
        c, spatial = _feature_map(call, rank)
        c_in = _in_channels(call, "in_channels", c)
        c_out = call.integer("out_channels")
        k = call.integers("kernel_size", rank)
        s = call.integers("stride", rank)
        p = call.integers("padding", rank, 0)
        op = call.integers("output_padding", rank, 0)
        d = call.integers("dilation", rank)
        groups = call.integer("groups")
        if call.raw("padding_mode") != "zeros":
            raise call.fail(f"only padding_mode='zeros' is supported for ConvTranspose{rank}d",
                            "padding_mode")
        divisible(call, c_in, groups, "in_channels must be divisible by groups", "groups")
        divisible(call, c_out, groups, "out_channels must be divisible by groups", "groups")
        for opi, si, di in zip(op, s, d):
            below = (sympy.Lt(opi, max(si, di)) if si.is_Integer and di.is_Integer  # P < 2,
                     else sympy.Or(sympy.Lt(opi, si), sympy.Lt(opi, di)))  # not P < 1 | P < 2
            call.require(below,
                         "output padding must be smaller than either stride or dilation",
                         "output_padding")
        out = tuple(transposed_extent(L, ki, si, pi, di, opi)
                    for L, ki, si, pi, di, opi in zip(spatial, k, s, p, d, op))
        positive_extents(call, out, range(rank), TOO_SMALL)
        weights = [Weight("weight", (c_in, c_out / groups, *k))]
        if call.flag("bias"):
            weights.append(Weight("bias", (c_out,)))
        return LayerOutput((c_out, *out), tuple(weights), (KERAS_NOTE.format(r=rank),))

    return torch_conv_transpose


def transposed_extent(L: Expr, k: Expr, s: Expr, p: Expr, d: Expr, op: Expr) -> Expr:
    """(L − 1)·s − 2p + d·(k − 1) + op + 1: no floor, every input position is used."""
    return sympy.expand((L - 1) * s - 2 * p + d * (k - 1) + op + 1)


TRANSPOSE_PARAMS = (Param("in_channels"), Param("out_channels"), Param("kernel_size"),
                    Param("stride", sympy.Integer(1)), Param("padding", sympy.Integer(0)),
                    Param("output_padding", sympy.Integer(0)), Param("groups", sympy.Integer(1)),
                    Param("bias", True), Param("dilation", sympy.Integer(1)),
                    Param("padding_mode", "zeros"))

for _r in (1, 2, 3):
    register("torch", f"ConvTranspose{_r}d", TRANSPOSE_PARAMS, conv_transpose(_r),
             f"torch.nn.ConvTranspose{_r}d: (L − 1)·s − 2p + d·(k − 1) + op + 1; params "
             "in·(out/groups·∏k) + out", "conv")
