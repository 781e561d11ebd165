"""PyTorch attention layers: MultiheadAttention and TransformerEncoderLayer. From
torch/nn/modules/activation.py, transformer.py and F.multi_head_attention_forward (torch 2.13).

Shapes leave the batch axis out: the query is (L, E), key and value (S, kdim) and (S, vdim);
batch_first only moves the batch axis. The output is attn_output, (L, E). torch also takes an
unbatched (L, E); symconv's (L, E) stands for the batched input, so rank 1 is refused.
"""

from __future__ import annotations

import sympy
from sympy import Expr, Integer

from ..errors import shown
from .base import Call, LayerOutput, Param, Weight, register
from .common import divisible

Shape = tuple[Expr, ...]
KERAS_NOTE = ("Keras MultiHeadAttention differs: per-head query/key/value kernels (E, heads, "
              "key_dim) with key_dim chosen freely, so its count depends on the number of heads; "
              "torch packs q, k, v into one in_proj_weight (3E, E) when kdim = vdim = E, and "
              "its count, 4E² + 4E, does not depend on num_heads.")


def _sequence(call: Call, shape: Shape, what: str) -> Shape:
    if len(shape) != 2:
        raise call.fail(f"expects the {what} as (L, E) without the batch axis, got rank "
                        f"{len(shape)}", code="SC201")
    return shape


def _qkv(call: Call) -> tuple[Shape, Shape, Shape]:
    """(query, key, value): one input is self-attention, three are query, key, value."""
    if len(call.inputs) == 2:
        raise call.fail("takes the query alone (self-attention) or query, key and value; "
                        "got 2 inputs", code="SC201")
    q, k, v = call.inputs if len(call.inputs) == 3 else (call.input,) * 3
    return (_sequence(call, q, "query"), _sequence(call, k, "key"),
            _sequence(call, v, "value"))


def _heads(call: Call, dim: str, heads: str) -> tuple[Expr, Expr]:
    e, h = call.integer(dim), call.integer(heads)
    divisible(call, e, h, "embed_dim must be divisible by num_heads", heads)
    return e, h


def _extra_dim(call: Call, name: str, e: Expr) -> tuple[Expr, bool]:
    """kdim / vdim (None: embed_dim) and whether it is embed_dim, which must be decidable:
    the weight names depend on it."""
    if call.raw(name) is None:
        return e, True
    value = call.integer(name, 0)
    same = sympy.Eq(value, e)
    if same not in (sympy.true, sympy.false):
        raise call.fail(f"cannot tell whether '{name}' ({shown(value)}) equals embed_dim "
                        f"({shown(e)}): the weight names depend on it", name)
    return value, bool(same)


def attention_weights(e: Expr, kdim: Expr, vdim: Expr, packed: bool, bias: bool,
                      bias_kv: bool, prefix: str = "") -> list[Weight]:
    """MultiheadAttention's parameters in named_parameters order: its own, then out_proj's."""
    if packed:
        weights = [Weight(f"{prefix}in_proj_weight", (3 * e, e))]
    else:
        weights = [Weight(f"{prefix}q_proj_weight", (e, e)),
                   Weight(f"{prefix}k_proj_weight", (e, kdim)),
                   Weight(f"{prefix}v_proj_weight", (e, vdim))]
    if bias:
        weights.append(Weight(f"{prefix}in_proj_bias", (3 * e,)))
    if bias_kv:
        weights += [Weight(f"{prefix}bias_k", (Integer(1), Integer(1), e)),
                    Weight(f"{prefix}bias_v", (Integer(1), Integer(1), e))]
    weights.append(Weight(f"{prefix}out_proj.weight", (e, e)))
    if bias:
        weights.append(Weight(f"{prefix}out_proj.bias", (e,)))
    return weights


def _match(call: Call, want: Expr, have: Expr, what: str, arg: str) -> None:
    call.agree(want, have,
               lambda: f"expected {what} of {shown(want)}, but got {shown(have)}", arg)


def multihead_attention(call: Call) -> LayerOutput:
    """MultiheadAttention: (L, E) → (L, E). Packed in_proj_weight (3E, E) when kdim and vdim
    are E (or None), else q/k/v_proj_weight (E, E), (E, kdim), (E, vdim); the key and value
    share their sequence length (and, packed, their whole shape). dropout is only checked in
    training (> 1 raises there); like torch's constructor symconv takes any number."""
    q, k, v = _qkv(call)
    e, _ = _heads(call, "embed_dim", "num_heads")
    kdim, k_same = _extra_dim(call, "kdim", e)
    vdim, v_same = _extra_dim(call, "vdim", e)
    call.real("dropout")
    call.flag("add_zero_attn")
    call.flag("batch_first")
    _match(call, e, q[1], "a query embedding dimension", "embed_dim")
    _match(call, kdim, k[1], "a key embedding dimension", "kdim")
    _match(call, vdim, v[1], "a value embedding dimension", "vdim")
    call.require(sympy.Eq(k[0], v[0]),
                 lambda: f"the key's sequence length {shown(k[0])} does not match the "
                 f"value's {shown(v[0])}", code="SC203")
    weights = attention_weights(e, kdim, vdim, k_same and v_same, call.flag("bias"),
                                call.flag("add_bias_kv"))
    return LayerOutput((q[0], e), tuple(weights), (KERAS_NOTE,))


def transformer_encoder_layer(call: Call) -> LayerOutput:
    """TransformerEncoderLayer: (L, d) → (L, d). self_attn (packed, as MultiheadAttention),
    linear1 (ff, d), linear2 (d, ff), norm1 and norm2 (d,); bias=False drops every bias,
    LayerNorm's too. 0 ≤ dropout ≤ 1 (its Dropout modules check it at construction)."""
    x = _sequence(call, call.input, "input")
    d, _ = _heads(call, "d_model", "nhead")
    ff = call.integer("dim_feedforward", 0)
    call.real("dropout", 0, 1, inclusive_high=True)
    call.choice("activation", ("relu", "gelu"))
    call.real("layer_norm_eps")
    call.flag("batch_first")
    call.flag("norm_first")
    _match(call, d, x[1], "an embedding dimension", "d_model")
    bias = call.flag("bias")
    weights = attention_weights(d, d, d, True, bias, False, "self_attn.")
    for name, shape in (("linear1", (ff, d)), ("linear2", (d, ff))):
        weights.append(Weight(f"{name}.weight", shape))
        if bias:
            weights.append(Weight(f"{name}.bias", shape[:1]))
    for name in ("norm1", "norm2"):
        weights.append(Weight(f"{name}.weight", (d,)))
        if bias:
            weights.append(Weight(f"{name}.bias", (d,)))
    return LayerOutput(x, tuple(weights), (KERAS_NOTE,))


register("torch", "MultiheadAttention", (
    Param("embed_dim"), Param("num_heads"), Param("dropout", Integer(0)), Param("bias", True),
    Param("add_bias_kv", False), Param("add_zero_attn", False), Param("kdim", None),
    Param("vdim", None), Param("batch_first", False)), multihead_attention,
    "torch.nn.MultiheadAttention: (L, E) → (L, E); 4E² + 4E params when kdim = vdim = E",
    "attention", arity=(1, 3))
register("torch", "TransformerEncoderLayer", (
    Param("d_model"), Param("nhead"), Param("dim_feedforward", Integer(2048)),
    Param("dropout", Integer(1) / 10), Param("activation", "relu"),
    Param("layer_norm_eps", Integer(1) / 100000), Param("batch_first", False),
    Param("norm_first", False), Param("bias", True)), transformer_encoder_layer,
    "torch.nn.TransformerEncoderLayer: (L, d) → (L, d); self-attention and a feed-forward "
    "block", "attention")
