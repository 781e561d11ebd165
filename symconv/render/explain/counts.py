"""Where a layer's parameters come from (per layer family), and what the other framework
counts for it."""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy import Expr

from ...derivation.model import Derivation, LayerRecord
from ...maths.printing import spoken
from .words import Lines, agree, counted, equals, said, shape_text, term

def _weights_line(record: LayerRecord) -> str:
    """Each weight by its shape, as the framework reports it, and its count: kernel
    (5, 300, 111) = 166,500."""
    parts = []
    for w in record.weights:
        kind = "" if w.trainable and not w.buffer else " (buffer)" if w.buffer else \
            " (non-trainable)"
        size = f" = {counted(w.size)}" if len(w.shape) != 1 else ""
        parts.append(f"{w.name} {shape_text(w.shape)}{size}{kind}")
    return "; ".join(parts)


def _no_bias(d: Derivation, count: Expr, each: str) -> Lines:
    """A layer that has a bias by default, made without one: what that removed."""
    flag = "use_bias=False" if d.convention == "keras" else "bias=False"
    return [f"{flag}: no bias, {said(count)} parameters fewer (one per {each})."]


def _filters(record: LayerRecord, kernel: Expr, filters: Expr, fan_in: tuple[Expr, ...],
             bias: bool) -> str:
    per = sympy.Mul(*fan_in)
    dims = "·".join(term(e) for e in fan_in)
    each = f"each filter has {equals(dims, per)} weights" + (" and 1 bias" if bias else "")
    total = equals(f"{term(filters)}·{term(per + (1 if bias else 0))}", record.params)
    return f"{each}; {total} parameters"


def conv_params(d: Derivation, record: LayerRecord) -> Lines:
    weights = {w.name: w for w in record.weights}
    if d.convention == "keras":
        kernel = weights.get("kernel")
        if kernel is None or len(weights) > 2:
            return []
        *k, per_group, filters = kernel.shape
    else:
        kernel = weights.get("weight")
        if kernel is None:
            return []
        filters, per_group, *k = kernel.shape
    window = "×".join(term(e) for e in k)
    channels = record.input_shape[-1] if d.convention == "keras" else record.input_shape[0]
    head = (f"{said(filters)} filters of {'width' if len(k) == 1 else 'size'} {window} over "
            f"{said(channels)} input channel{'' if channels == 1 else 's'}")
    if per_group != (record.input_shape[-1] if d.convention == "keras" else
                     record.input_shape[0]):
        head += f" in groups ({term(per_group)} channels per filter)"
    return [f"{head}: {_filters(record, kernel.size, filters, (*k, per_group), 'bias' in weights)}."
            ] + ([] if "bias" in weights else _no_bias(d, filters, "filter"))


def dense_params(d: Derivation, record: LayerRecord) -> Lines:
    weights = {w.name: w for w in record.weights}
    kernel = weights.get("kernel" if d.convention == "keras" else "weight")
    if kernel is None or len(weights) > 2:
        return []
    n_in, n_out = kernel.shape if d.convention == "keras" else kernel.shape[::-1]
    bias = "bias" in weights
    per = f"{said(n_in)} weights" + (" and 1 bias" if bias else "")
    return [(f"{said(n_out)} units, each with {per} (one weight per input feature): "
            f"{equals(f'{term(n_out)}·{term(n_in + (1 if bias else 0))}', record.params)} "
             "parameters.")] + ([] if bias else _no_bias(d, n_out, "unit"))


def norm_params(d: Derivation, record: LayerRecord) -> Lines:
    if "BatchNorm" not in record.type:
        return []
    if d.convention == "keras":
        return [(f"{counted(record.trainable)} trainable (gamma, beta: a scale and a shift per "
                 f"channel) and {counted(record.non_trainable)} non-trainable (the moving mean and "
                 "variance, updated in training but not by the optimizer); Keras's total counts "
                 "both.")]
    return [(f"{counted(record.params)} parameters (weight, bias: a scale and a shift per channel); "
            f"the running mean, variance and num_batches_tracked are {counted(record.buffers)} "
            "buffers, which PyTorch does not count as parameters.")]


GATE_NAMES = {1: "one block", 3: "3 gate blocks (reset, update, new)",
              4: "4 gate blocks (input, forget, cell, output)"}


def recurrent_params(d: Derivation, record: LayerRecord) -> Lines:
    """One unidirectional layer: g gate blocks of u units, each unit with n input weights, u
    recurrent weights and b biases (Keras 1, GRU with reset_after 2; PyTorch 2)."""
    weights = {w.name: w for w in record.weights}
    if d.convention == "keras":
        kernel, recurrent = weights.get("kernel"), weights.get("recurrent_kernel")
        if kernel is None or recurrent is None:
            return []
        n, (u, gu) = kernel.shape[0], recurrent.shape
        bias = weights.get("bias")
        b = 0 if bias is None else (bias.shape[0] if len(bias.shape) == 2 else 1)
        why = {0: "no bias", 1: "1 bias", 2: "2 biases (reset_after=True)"}.get(int(b), "")
    else:
        ih, hh = weights.get("weight_ih_l0"), weights.get("weight_hh_l0")
        if ih is None or hh is None or len(weights) > 4:
            return []
        (gu, n), u = ih.shape, hh.shape[1]
        b = sum(1 for k in ("bias_ih_l0", "bias_hh_l0") if k in weights)
        why = "2 biases (bias_ih and bias_hh)" if b == 2 else "no bias"
    gates = gu / u  # sympy cancels 4·u/u to 4
    total = gates * u * (n + u + b)
    if not (gates.is_Integer and agree(total, record.params)):
        return []
    block = GATE_NAMES.get(int(gates), f"{gates} blocks")
    steps = f"{term(gates)}·{term(u)}·({spoken(n)} + {spoken(u)} + {b})"
    return [(f"{said(u)} units on {said(n)} features, {block}: each unit has {said(n)} input weights, "
            f"{said(u)} recurrent weights and {why}: {equals(steps, record.params)} "
            "parameters.")]


def embedding_params(d: Derivation, record: LayerRecord) -> Lines:
    (table,) = record.weights[:1]
    rows, width = table.shape
    return [(f"a table of {said(rows)} rows (one per token id) of {said(width)} values: "
            f"{equals(f'{term(rows)}·{term(width)}', record.params)} parameters.")]


PARAMS: dict[str, Callable[[Derivation, LayerRecord], Lines]] = {
    "conv": conv_params, "core": dense_params, "normalization": norm_params,
    "recurrent": recurrent_params, "embedding": embedding_params}


def other_conv(d: Derivation, record: LayerRecord) -> Lines:
    """A plain convolution counts the same in both frameworks; only the kernel's layout
    differs (Keras (*k, C/groups, F), PyTorch (F, C/groups, *k))."""
    if not record.type.lower().startswith("conv") or "Transpose" in record.type:
        return []
    weights = {w.name: w for w in record.weights}
    rank = int(record.type[4])
    if d.convention == "keras" and set(weights) <= {"kernel", "bias"} and "kernel" in weights:
        *k, per, filters = weights["kernel"].shape
        other = f"PyTorch's nn.Conv{rank}d weight {shape_text((filters, per, *k))}"
    elif d.convention == "torch" and set(weights) <= {"weight", "bias"} and "weight" in weights:
        filters, per, *k = weights["weight"].shape
        other = f"Keras's Conv{rank}D kernel {shape_text((*k, per, filters))}"
    else:
        return []
    bias = f" and bias {shape_text((filters,))}" if "bias" in weights else ""
    return [f"The other framework counts the same {counted(record.params)}: {other}{bias}."]


def other_dense(d: Derivation, record: LayerRecord) -> Lines:
    """Dense and Linear count the same; the kernel is (in, out) in Keras, (out, in) in PyTorch."""
    weights = {w.name: w for w in record.weights}
    name = "kernel" if d.convention == "keras" else "weight"
    if record.type not in ("Dense", "Linear") or name not in weights or len(weights) > 2:
        return []
    a, b = weights[name].shape
    other = (f"PyTorch's nn.Linear weight {shape_text((b, a))}" if d.convention == "keras"
             else f"Keras's Dense kernel {shape_text((b, a))}")
    bias = f" and bias {shape_text((a if d.convention == 'torch' else b,))}" if "bias" in weights \
        else ""
    return [f"The other framework counts the same {counted(record.params)}: {other}{bias}."]


OTHER: dict[str, Callable[[Derivation, LayerRecord], Lines]] = {
    "conv": other_conv, "core": other_dense}
