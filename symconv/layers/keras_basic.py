"""Keras 3 layers with simple shape rules: Embedding (a lookup), PReLU (a learned slope per
element), Rescaling and Identity. Rules from keras.src.layers (core/embedding.py,
activations/prelu.py, preprocessing/rescaling.py, core/identity.py; Keras 3.15).
"""

from __future__ import annotations

import sympy
from sympy import Expr, Integer

from .base import Call, LayerOutput, Param, Weight, register

PRELU_NOTE = ("PyTorch's PReLU learns 1 or num_parameters = C slopes (the channel axis, dim 1); "
              "Keras learns one per element of the input unless shared_axes")


def embedding(call: Call) -> LayerOutput:
    """Embedding: integer indices of any shape (…) → (…, output_dim); embeddings
    (input_dim, output_dim). With `lora_rank` r the table is frozen and lora_embeddings_a
    (input_dim, r), lora_embeddings_b (r, output_dim) are added."""
    vocab = call.integer("input_dim")
    dim = call.integer("output_dim")
    call.flag("mask_zero")
    if call.raw("weights") is not None:
        raise call.fail("initial weights are not supported by symconv", "weights")
    table = Weight("embeddings", (vocab, dim))
    rank = call.switch("lora_rank", optional=True)
    if rank is None or rank.is_zero:
        weights = [table]
    else:
        if call.raw("embeddings_constraint") is not None:
            raise call.fail("LoRA is incompatible with embedding constraints", "lora_rank")
        weights = [Weight(table.name, table.shape, trainable=False),
                   Weight("lora_embeddings_a", (vocab, rank)),
                   Weight("lora_embeddings_b", (rank, dim))]
    return LayerOutput((*call.input, dim), tuple(weights))


def prelu(call: Call) -> LayerOutput:
    """PReLU: alpha of the input's shape, with 1 on each of `shared_axes`. Keras sets entry
    i − 1 of the batch-less shape for shared axis i, with Python's negative indexing, so
    shared_axes=0 shares the last axis and -1 the one before it."""
    raw = call.raw("shared_axes")
    shape = list(call.input)
    items = () if raw is None else raw if isinstance(raw, tuple) else (raw,)
    for item in items:
        if not isinstance(item, sympy.Integer):
            raise call.fail("'shared_axes' must be an int or a tuple of ints", "shared_axes")
        index = int(item) - 1
        if not -len(shape) <= index < len(shape):
            raise call.fail(f"'shared_axes' = {item} is out of range for an input of rank "
                            f"{len(shape) + 1} (batch axis included)", "shared_axes",
                            code="SC201")
        shape[index] = Integer(1)
    return LayerOutput(call.input, (Weight("alpha", tuple(shape)),), (PRELU_NOTE,))


def _factor(call: Call, name: str) -> None:
    """A number, or a flat tuple broadcast against the last axis (equal length, or 1)."""
    v = call.raw(name)
    if not isinstance(v, tuple):
        call.real(name)
        return
    if not v or any(isinstance(x, bool) or not isinstance(x, Expr) or not x.is_number
                    for x in v):
        raise call.fail(f"'{name}' must be a number or a non-empty tuple of numbers", name)
    if len(v) > 1:
        call.require(sympy.Eq(call.input[-1], len(v)), f"'{name}' has {len(v)} values, so the "
                     "last axis must have as many", name, code="SC203")


def rescaling(call: Call) -> LayerOutput:
    """Rescaling: x·scale + offset, shape unchanged; a tuple scale or offset is per channel."""
    _factor(call, "scale")
    _factor(call, "offset")
    return LayerOutput(call.input)


def identity(call: Call) -> LayerOutput:
    """Identity: the input, unchanged."""
    return LayerOutput(call.input)


register("keras", "Embedding", (Param("input_dim"), Param("output_dim"), *(Param(n, d) for n, d in (
    ("embeddings_initializer", "uniform"), ("embeddings_regularizer", None),
    ("embeddings_constraint", None), ("mask_zero", False), ("weights", None),
    ("lora_rank", None), ("lora_alpha", None), ("quantization_config", None)))), embedding,
    "Keras Embedding: integer indices (…) → (…, output_dim); input_dim·output_dim params",
    "embedding")
register("keras", "PReLU", tuple(Param(n, None) for n in (
    "alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes")), prelu,
    "Keras PReLU: shape unchanged; alpha of the input's shape, 1 on shared_axes", "activation")
register("keras", "Rescaling", (Param("scale"), Param("offset", Integer(0))), rescaling,
         "Keras Rescaling: x·scale + offset, shape unchanged", "preprocessing")
register("keras", "Identity", (), identity, "Keras Identity: shape unchanged", "core")
