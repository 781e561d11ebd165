"""Keras 3 MultiHeadAttention, from keras.src.layers.attention.multi_head_attention (Keras 3.15).

Called on one tensor it is self-attention (query = value = key), on two (query, value) with
key = value, on three (query, value, key). With h heads, key_dim k, value_dim v (default k) and
inputs whose last extents are d_q, d_v, d_k, the projections are EinsumDense layers:

- query/kernel (d_q, h, k), key/kernel (d_k, h, k), value/kernel (d_v, h, v), biases (h, k) or
  (h, v); with use_gate a gate/kernel (d_q, h, v) and gate/bias (h, v)
- attention_output/kernel (h, v, *out), attention_output/bias (*out), where out is output_shape
  or (d_q,)

The output is the query's shape with its last axis replaced by out.
"""

from __future__ import annotations

import sympy
from sympy import Expr, Integer

from .base import Call, LayerOutput, Param, Weight, register

Shape = tuple[Expr, ...]
TORCH_NOTE = ("PyTorch's MultiheadAttention differs: it splits embed_dim E across the heads and "
              "packs q, k, v into one in_proj_weight (3E, E) when kdim = vdim = E, so it has "
              "4E² + 4E parameters whatever the number of heads; Keras projects to num_heads × "
              "key_dim and counts h·k·(d_q + 1) + h·k·(d_k + 1) + h·v·(d_v + 1) + (h·v + 1)·d_out")


def _tensors(call: Call) -> tuple[Shape, Shape, Shape]:
    """(query, value, key), each of the same rank ≥ 2; value and key agree but for the last
    axis."""
    query = call.inputs[0]
    value = call.inputs[1] if len(call.inputs) > 1 else query
    key = call.inputs[2] if len(call.inputs) > 2 else value
    if len(query) < 2:
        raise call.fail("expects a query of rank at least 2 (positions, features) without the "
                        "batch axis", code="SC201")
    if not len(query) == len(value) == len(key):
        raise call.fail("expects query, value and key of one rank", code="SC201")
    for i, (a, b) in enumerate(zip(value[:-1], key[:-1])):
        call.require(sympy.Eq(a, b), f"value and key must agree on axis {i + 1} (all but the "
                     "last)", code="SC203")
    return query, value, key


def _attention_axes(call: Call, rank: int) -> list[int]:
    """The attended axes as indices of the batched shape; symconv takes the query's positional
    axes (1 … rank − 1 of the batched input). Keras 3.15 counts a negative axis from the
    projected tensor, which has a heads axis more, so -1 is the heads axis and -2 the last
    positional one."""
    raw = call.raw("attention_axes")
    if raw is None:
        return list(range(1, rank))
    items = raw if isinstance(raw, tuple) else (raw,)
    if not items or not all(isinstance(a, sympy.Integer) for a in items):
        raise call.fail("'attention_axes' must be an int or a non-empty tuple of ints",
                        "attention_axes")
    axes = [int(a) if a >= 0 else rank + 1 + int(a) for a in items]  # type: ignore[arg-type]
    if not all(1 <= a < rank for a in axes) or len(set(axes)) != len(axes):
        raise call.fail(f"'attention_axes' must name distinct positional axes of the query "
                        f"(1 to {rank - 1}, or -2 to -{rank})", "attention_axes",
                        hint="Keras counts -1 as the heads axis of the projected tensors")
    return axes


def _output_shape(call: Call, query: Shape) -> Shape:
    """output_shape: None, 0 or () keep the query's last extent (Keras tests it for truth)."""
    raw = call.raw("output_shape")
    if raw is None or raw == () or (isinstance(raw, sympy.Integer) and raw == 0):
        return (query[-1],)
    if isinstance(raw, tuple):
        return tuple(call.integer("output_shape", 0, x) for x in raw)
    return (call.integer("output_shape"),)


def _check_settings(call: Call) -> None:
    dropout = call.real("dropout", 0, 1, inclusive_high=True)
    flash = call.raw("flash_attention")
    if flash is not None and call.flag("flash_attention") and dropout > 0:
        raise call.fail("dropout is not supported with flash attention", "dropout")
    if call.raw("sliding_window") is not None:
        call.integer("sliding_window")


def multi_head_attention(call: Call) -> LayerOutput:
    """MultiHeadAttention(num_heads, key_dim): output = query's shape with the last axis
    output_shape (default d_q); weights per projection as in the module docstring."""
    query, value, key = _tensors(call)
    heads, k = call.integer("num_heads"), call.integer("key_dim")
    v = k if call.raw("value_dim") is None else call.integer("value_dim")
    _check_settings(call)
    attended = _attention_axes(call, len(query))
    for i in range(1, len(query)):
        if i not in attended:  # a batch-like axis: the key's extent is broadcast to the query's
            q, s = query[i - 1], key[i - 1]
            call.require(sympy.Or(sympy.Eq(q, s), sympy.Eq(s, 1)), f"query and key must agree "
                         f"on axis {i}, which is not attended (or the key's extent is 1)",
                         code="SC203")
    out = _output_shape(call, query)
    bias = call.flag("use_bias")
    weights = []
    projections = [("query", query[-1], k), ("key", key[-1], k)]
    if call.flag("use_gate"):
        projections.append(("gate", query[-1], v))
    projections.append(("value", value[-1], v))
    for name, d, size in projections:
        weights.append(Weight(f"{name}/kernel", (d, heads, size)))
        if bias:
            weights.append(Weight(f"{name}/bias", (heads, size)))
    weights.append(Weight("attention_output/kernel", (heads, v, *out)))
    if bias:
        weights.append(Weight("attention_output/bias", out))
    return LayerOutput((*query[:-1], *out), tuple(weights), (TORCH_NOTE,))


register("keras", "MultiHeadAttention", (Param("num_heads"), Param("key_dim"), *(
    Param(n, d) for n, d in (
        ("value_dim", None), ("dropout", Integer(0)), ("use_bias", True), ("output_shape", None),
        ("attention_axes", None), ("sliding_window", None), ("flash_attention", None),
        ("kernel_initializer", "glorot_uniform"), ("bias_initializer", "zeros"),
        ("kernel_regularizer", None), ("bias_regularizer", None),
        ("activity_regularizer", None), ("kernel_constraint", None), ("bias_constraint", None),
        ("use_gate", False), ("seed", None)))), multi_head_attention,
    "Keras MultiHeadAttention on (query[, value[, key]]): query's shape with the last axis "
    "output_shape; per-head q/k/v projections to key_dim/value_dim", "attention", arity=(1, 3))
