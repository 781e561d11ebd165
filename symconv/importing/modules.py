"""A torch.nn module the catalog knows, as the `.arch` call that builds it.

Arguments are read from the module's attributes (`in_channels`, `kernel_size`, `bias is not
None`, …), never from `extra_repr`; the catalog's parameter list (symconv.layers' registry)
says which arguments the layer takes, in which order and with which defaults. Required
arguments go by position, the others by keyword and only when they differ from the default.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .literals import Arg, LayerCall, is_literal

if TYPE_CHECKING:
    import torch

# arguments torch stores as a tuple per spatial axis (`_pair`): one number when all agree
_PER_AXIS = frozenset({"kernel_size", "stride", "padding", "dilation", "output_padding"})
# arguments of the framework's constructors that no .arch file writes
_NEVER = frozenset({"name", "device", "dtype"})
# modules torchvision defines that the catalog knows by class name
LEAF_OUTSIDE_TORCH_NN = frozenset({"StochasticDepth"})


def catalog() -> dict[str, object]:
    from ..layers import REGISTRY

    return REGISTRY["torch"]  # type: ignore[return-value]


def is_catalog_module(module: torch.nn.Module) -> bool:
    cls = type(module)
    known = cls.__name__ in catalog()
    return known and (cls.__module__.startswith("torch.nn.")
                      or cls.__name__ in LEAF_OUTSIDE_TORCH_NN)


def module_call(module: torch.nn.Module) -> LayerCall | None:
    """The call that builds `module`, or None when the catalog has no such layer."""
    from ..layers.base import REQUIRED

    if not is_catalog_module(module):
        return None
    spec = catalog()[type(module).__name__]
    taken = _constructor_parameters(type(module))
    args: list[Arg] = []
    for param in spec.params:  # type: ignore[attr-defined]
        if param.name in _NEVER or param.name not in taken:
            continue
        value = _attribute(module, param.name)
        if value is _MISSING:
            continue
        if param.default is REQUIRED:
            args.append(Arg(None, value, param.name))
        elif not _is_default(module, param.name, value, param.default):
            args.append(Arg(param.name, value, param.name, _plain(param.default)))
        elif type(value) in (int, float):  # kept for a block whose instances need it
            args.append(Arg(param.name, value, param.name, _plain(param.default), True))
    return LayerCall(type(module).__name__, tuple(args))


_MISSING = object()
# arguments a module keeps under other names: nn.MultiheadAttention keeps `bias` as its
# in_proj_bias, `add_bias_kv` as bias_k, and kdim / vdim given as None as embed_dim
_READ: dict[tuple[str, str], Callable[[Any], object]] = {
    ("MultiheadAttention", "bias"): lambda m: m.in_proj_bias is not None,
    ("MultiheadAttention", "add_bias_kv"): lambda m: m.bias_k is not None,
    ("MultiheadAttention", "kdim"): lambda m: None if m.kdim == m.embed_dim else m.kdim,
    ("MultiheadAttention", "vdim"): lambda m: None if m.vdim == m.embed_dim else m.vdim,
}


def _constructor_parameters(cls: type) -> frozenset[str]:
    try:
        return frozenset(inspect.signature(cls.__init__).parameters)
    except (TypeError, ValueError):
        return frozenset()


def _attribute(module: torch.nn.Module, name: str) -> object:
    """The constructor argument `name` as the module keeps it, or _MISSING."""
    read = _READ.get((type(module).__name__, name))
    if read is not None:
        return read(module)
    if name == "bias":
        affine = getattr(module, "affine", getattr(module, "elementwise_affine", True))
        if not affine:  # no weights at all: `affine=False` says it, `bias` is not read
            return _MISSING
        return getattr(module, "bias", None) is not None
    if name == "p" and hasattr(module, "p"):
        return float(module.p)
    value = getattr(module, name, _MISSING)
    if isinstance(value, list):
        value = tuple(value)
    if name in _PER_AXIS and isinstance(value, tuple) and value and len(set(value)) == 1:
        value = value[0]
    if name == "normalized_shape" and isinstance(value, tuple) and len(value) == 1:
        value = value[0]  # LayerNorm(96) is LayerNorm((96,)): a number, so widths fold
    return value if is_literal(value) else _MISSING


def _plain(default: object) -> object:
    """A catalog default (a sympy Integer or Rational) as a Python number, as a module keeps it."""
    if getattr(default, "is_Integer", False):
        return int(default)  # type: ignore[call-overload]
    return float(default) if getattr(default, "is_Rational", False) else default  # type: ignore[arg-type]


def _is_default(module: torch.nn.Module, name: str, value: object, default: object) -> bool:
    if name == "stride" and default is None:  # a pool's stride=None is stored as the kernel
        return value is None or value == _attribute(module, "kernel_size")
    if isinstance(value, float) and default is not None and not isinstance(default, str):
        try:
            return value == float(default)  # type: ignore[arg-type]
        except TypeError:
            return False
    return bool(type(value) is type(default) and value == default) or (
        type(value) is int and getattr(default, "is_Integer", False) and value == int(default))
