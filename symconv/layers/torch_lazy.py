"""PyTorch's Lazy modules: LazyLinear, LazyConv1d/2d/3d, LazyConvTranspose1d/2d/3d
(torch/nn/modules/lazy.py, linear.py, conv.py; torch 2.13). Each takes every argument of its
eager twin but the input size (in_features, in_channels), which the first forward reads from the
input: the last axis for LazyLinear, the channel axis (first without the batch axis) for the
convolutions. After that forward the module is its eager twin (`cls_to_become`), with the same
parameter names and shapes, so symconv derives each by the twin's rule with that size filled in.
"""

from __future__ import annotations


from ..language.values import Arg
from .base import REGISTRY, TORCH_COMMON, Call, LayerOutput, Param, register
from .torch_spatial import CONV_PARAMS
from .torch_transpose import TRANSPOSE_PARAMS


def lazy(twin: str, size: str, axis: int):  # type: ignore[no-untyped-def]
    def torch_lazy(call: Call) -> LayerOutput:
        """Lazy{twin}: {twin} with {size} = the input's extent on axis {axis} (batch axis left
        out), as the first forward materialises it."""
        spec = REGISTRY["torch"][twin]
        if not call.input:
            raise call.fail("expects an input of rank at least 1", code="SC201")
        return call.delegate(spec, {size: Arg(call.input[axis], call.span)})

    torch_lazy.__doc__ = (torch_lazy.__doc__ or "").format(twin=twin, size=size, axis=axis)
    return torch_lazy


def _without(params: tuple[Param, ...], name: str) -> tuple[Param, ...]:
    return tuple(p for p in params if p.name != name)


register("torch", "LazyLinear", (Param("out_features"), Param("bias", True)),
         lazy("Linear", "in_features", -1),
         "torch.nn.LazyLinear: Linear with in_features the input's last axis; (in + 1)·out "
         "params after the first forward", "core", common=TORCH_COMMON)
for _r in (1, 2, 3):
    register("torch", f"LazyConv{_r}d", _without(CONV_PARAMS, "in_channels"),
             lazy(f"Conv{_r}d", "in_channels", 0),
             f"torch.nn.LazyConv{_r}d: Conv{_r}d with in_channels the input's channels",
             "conv", common=TORCH_COMMON)
    register("torch", f"LazyConvTranspose{_r}d", _without(TRANSPOSE_PARAMS, "in_channels"),
             lazy(f"ConvTranspose{_r}d", "in_channels", 0),
             f"torch.nn.LazyConvTranspose{_r}d: ConvTranspose{_r}d with in_channels the "
             "input's channels", "conv", common=TORCH_COMMON)

