"""PyTorch normalization and per-channel affine layers: LayerNorm, RMSNorm, GroupNorm,
InstanceNorm1d/2d/3d and PReLU. Shapes are unchanged; the rules are the weights and the checks, from
torch/nn/modules (normalization.py, instancenorm.py, batchnorm.py _NormBase, activation.py) and
ATen's layer_norm / group_norm / prelu checks (torch 2.13).
"""

from __future__ import annotations

import sympy
from sympy import Expr, Integer

from ..errors import shown
from .base import TORCH_COMMON, Call, LayerOutput, Param, Weight, register
from .common import divisible, product


def _eps(call: Call) -> None:
    call.real("eps")


def _normalized_shape(call: Call) -> tuple[Expr, ...]:
    """normalized_shape (an int or a tuple), checked against the input's last axes as ATen's
    layer_norm / rms_norm check them: at least one element, each equal to the input's."""
    v = call.raw("normalized_shape")
    items = v if isinstance(v, tuple) else (v,)
    if not items:
        raise call.fail("'normalized_shape' must contain at least one element",
                        "normalized_shape")
    shape = tuple(call.integer("normalized_shape", None, x) for x in items)
    rank = len(call.input)
    if len(shape) > rank:
        what = ("would take in the batch axis, which symconv leaves out of shapes"
                if len(shape) == rank + 1 else "has more axes than the input")
        raise call.fail(f"'normalized_shape' {what} (input rank {rank} without the batch "
                        "axis)", "normalized_shape", code="SC201")
    for want, have in zip(shape, call.input[rank - len(shape):]):
        call.agree(want, have, lambda: f"'normalized_shape' expects {shown(want)} where the "
                   f"input has {shown(have)}", "normalized_shape")
    return shape


def layer_norm(call: Call) -> LayerOutput:
    """LayerNorm(normalized_shape): the last len(normalized_shape) axes must equal it; weight
    and bias of that shape with elementwise_affine (bias only with bias=True)."""
    shape = _normalized_shape(call)
    _eps(call)
    weights = []
    if call.flag("elementwise_affine"):
        weights.append(Weight("weight", shape))
        if call.flag("bias"):
            weights.append(Weight("bias", shape))
    return LayerOutput(call.input, tuple(weights))


def rms_norm(call: Call) -> LayerOutput:
    """RMSNorm(normalized_shape, eps=None, elementwise_affine=True) (torch.nn.RMSNorm, torch
    2.13): y = x / sqrt(mean(x², last axes) + eps) · weight; shape unchanged, the last
    len(normalized_shape) axes must equal it (checked as LayerNorm's); weight of that shape
    with elementwise_affine, no bias (the module has no `bias` argument); eps None means
    torch.finfo(dtype).eps."""
    shape = _normalized_shape(call)
    if call.raw("eps") is not None:
        _eps(call)
    weights = (Weight("weight", shape),) if call.flag("elementwise_affine") else ()
    return LayerOutput(call.input, weights)


def group_norm(call: Call) -> LayerOutput:
    """GroupNorm(num_groups, num_channels): the channel axis (first) divisible by num_groups;
    with affine, num_channels must equal it, weight and bias (num_channels,)."""
    if not call.input:
        raise call.fail("expects (C, …) without the batch axis", code="SC201")
    affine = call.flag("affine")
    groups = call.integer("num_groups")
    channels = call.integer("num_channels", 0 if affine else None)  # unused without affine
    _eps(call)
    divisible(call, channels, groups, "num_channels must be divisible by num_groups",
              "num_groups")
    c = call.input[0]
    divisible(call, c, groups, "the input's channels must be divisible by num_groups",
              "num_groups")
    weights = []
    if affine:
        call.require(sympy.Eq(channels, c),
                     lambda: f"'num_channels' is {shown(channels)} but the input has "
                     f"{shown(c)} channels", "num_channels", code="SC203")
        weights.append(Weight("weight", (channels,)))
        if call.flag("bias"):
            weights.append(Weight("bias", (channels,)))
    return LayerOutput(call.input, tuple(weights))


def instance_norm(rank: int):  # type: ignore[no-untyped-def]
    def torch_instance_norm(call: Call) -> LayerOutput:
        """InstanceNorm{rank}d on (C, *spatial): weight/bias (C,) with affine; running_mean,
        running_var (C,) and num_batches_tracked () buffers with track_running_stats. Without
        running statistics each channel of each sample needs more than one spatial element
        (train and eval). num_features is only checked when it sizes a tensor."""
        call.input_rank(rank + 1, f"(C, {', '.join('DHW'[3 - rank:])}) channels first")
        affine, tracking = call.flag("affine"), call.flag("track_running_stats")
        c = call.input[0]
        n = call.integer("num_features", None if not (affine or tracking) else 0)
        _eps(call)
        if call.raw("momentum") is not None:
            call.real("momentum")
        if affine or tracking:
            call.require(sympy.Eq(n, c), lambda: f"'num_features' is {shown(n)} but the input "
                         f"has {shown(c)} channels", "num_features", code="SC203")
        if not tracking:  # with running statistics torch checks this in training only
            call.require(sympy.Gt(product(call.input[1:]), 1),
                         "expected more than 1 spatial element (instance statistics)")
        weights = []
        if affine:
            weights.append(Weight("weight", (n,)))
            if call.flag("bias"):
                weights.append(Weight("bias", (n,)))
        if tracking:
            weights += [Weight("running_mean", (n,), False, True),
                        Weight("running_var", (n,), False, True),
                        Weight("num_batches_tracked", (), False, True)]
        return LayerOutput(call.input, tuple(weights))

    return torch_instance_norm


def prelu(call: Call) -> LayerOutput:
    """PReLU(num_parameters): weight (num_parameters,), which must be 1 or the channel axis
    (the first without the batch axis)."""
    if not call.input:
        raise call.fail("expects an input of rank at least 1", code="SC201")
    n = call.integer("num_parameters")
    call.real("init")
    c = call.input[0]
    call.require(sympy.Or(sympy.Eq(n, 1), sympy.Eq(n, c)),
                 f"'num_parameters' must be 1 or the number of channels ({shown(c)}), "
                 f"not {shown(n)}",
                 "num_parameters", code="SC203")
    return LayerOutput(call.input, (Weight("weight", (n,)),))


EPS = Integer(1) / 100000
KEYWORD_BIAS = (Param("name", None), Param("device", None), Param("dtype", None),
                Param("bias", True))  # torch takes `bias` after device and dtype, keyword only

register("torch", "LayerNorm", (Param("normalized_shape"), Param("eps", EPS),
                                Param("elementwise_affine", True), Param("bias", True)),
         layer_norm, "torch.nn.LayerNorm: shape unchanged; 2·∏normalized_shape params",
         "normalization")
register("torch", "RMSNorm", (Param("normalized_shape"), Param("eps", None),
                              Param("elementwise_affine", True)),
         rms_norm, "torch.nn.RMSNorm: shape unchanged; ∏normalized_shape params (weight)",
         "normalization", common=TORCH_COMMON)
register("torch", "GroupNorm", (Param("num_groups"), Param("num_channels"), Param("eps", EPS),
                                Param("affine", True)),
         group_norm, "torch.nn.GroupNorm: shape unchanged; 2·C params", "normalization",
         common=KEYWORD_BIAS)
for _r in (1, 2, 3):
    register("torch", f"InstanceNorm{_r}d", (
        Param("num_features"), Param("eps", EPS), Param("momentum", Integer(1) / 10),
        Param("affine", False), Param("track_running_stats", False)), instance_norm(_r),
        f"torch.nn.InstanceNorm{_r}d: shape unchanged; 2·C params with affine, 2·C + 1 buffer "
        "elements with track_running_stats", "normalization", common=KEYWORD_BIAS)
register("torch", "PReLU", (Param("num_parameters", Integer(1)), Param("init", Integer(1) / 4)),
         prelu, "torch.nn.PReLU: shape unchanged; num_parameters params", "activation")
