"""Memory: bytes of each layer's output (activations) and of the weights, for a dtype name and a
batch size, as sympy expressions.

- activation bytes of a layer = ∏output_shape · bytes per value · batch (the batch axis is left
  out of the shapes, so it is a factor here); in-place ops (ReLU(inplace=True)) and freed
  intermediates are not modelled: this is the size of every output, as torchinfo's "forward pass
  size" counts it
- parameter bytes = (parameters + buffers) · bytes per value, every weight counted once (a shared
  layer's later uses have none); PyTorch's BatchNorm `num_batches_tracked` buffer is an int64
  whatever the dtype (8 bytes), as `model.to(dtype)` leaves integer buffers alone

>>> from symconv import derive
>>> d = derive("convention torch\\ninput (3, 8, 8)\\nConv2d(3, 4, 3)")
>>> activations(d, "float16", batch=2), parameters(d)
([576], 448)
"""

from __future__ import annotations

import sympy
from sympy import Expr, Integer

from ..derivation.model import Derivation
from .ops import numel

BYTES: dict[str, int] = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1}
INT64_BUFFERS = ("num_batches_tracked",)  # torch keeps these int64 under .to(dtype)


def bytes_per_value(dtype: str) -> Integer:
    if dtype not in BYTES:
        raise ValueError(f"unknown dtype {dtype!r}; one of {', '.join(BYTES)}")
    return Integer(BYTES[dtype])


def activations(d: Derivation, dtype: str = "float32", batch: int | Expr = 1) -> list[Expr]:
    """Bytes of each layer's output, one per d.layers."""
    size = bytes_per_value(dtype)
    return [numel(layer.output_shape) * size * batch if layer.batched else Integer(0)
            for layer in d.layers]  # a free parameter's values are counted as parameters


def inputs(d: Derivation, dtype: str = "float32", batch: int | Expr = 1) -> Expr:
    """Bytes of the network's inputs (token ids counted at the same dtype)."""
    size = bytes_per_value(dtype)
    return sympy.Add(*[numel(shape) * size * batch for _, shape in d.inputs])


def parameters(d: Derivation, dtype: str = "float32") -> Expr:
    """Bytes of the parameters (+ buffers for PyTorch), each weight once."""
    size = bytes_per_value(dtype)
    return sympy.Add(*[w.size * (Integer(8) if w.name.endswith(INT64_BUFFERS) else size)
                       for layer in d.layers for w in layer.weights])


def total(d: Derivation, dtype: str = "float32", batch: int | Expr = 1) -> Expr:
    """Every layer's output plus the weights."""
    return sympy.Add(*activations(d, dtype, batch)) + parameters(d, dtype)
