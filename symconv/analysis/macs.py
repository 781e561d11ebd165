"""Multiply-accumulate counts per layer, per example (batch 1), as sympy expressions.

Each layer record becomes a few framework-neutral operations (ops.py: one handler per layer type
and convention, registered in ops.HANDLERS); a `Convention` prices every kind of operation. What
is counted is a choice, and counters disagree on it by up to 2× (CONVENTIONS.md), so every number
names its convention:

>>> from symconv import derive
>>> d = derive("convention torch\\ninput (3, 8, 8)\\nConv2d(3, 4, 3)\\nReLU()")
>>> layer_macs(d), layer_macs(d, PRESETS["ptflops"]), total(d, PRESETS["fvcore"])
([3888, 0], [4032, 288], 3888)

FLOPs are 2·MACs by the usual reading (`flops`); fvcore calls one fused multiply-add one "flop",
so its "flops" are MACs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import sympy
from sympy import Expr, Integer, floor

from ..derivation.model import Derivation, LayerRecord
from ..layers import REGISTRY
from . import keras_layers, tensor_ops, torch_layers  # noqa: F401  (registration)
from .ops import (
    HANDLERS,
    ZERO,
    Activation,
    Attention,
    Contract,
    Merge,
    Norm,
    Op,
    Pool,
    Product,
    Recurrent,
    Resize,
)

Rule = Callable[[Op, "Convention"], Expr]


# -- the generic rules: weights always, the rest by option --------------------------------

def _contract(op: Contract, c: Convention) -> Expr:
    """Weights' multiply-adds; + one add per biased output element with `bias`."""
    return op.macs + (op.bias if c.bias else ZERO)


def _activation(op: Activation, c: Convention) -> Expr:
    """One operation per element with `activations`."""
    return op.numel if c.activations else ZERO


def _norm(op: Norm, c: Convention) -> Expr:
    """With `normalization`: (x − μ)·σ⁻¹ one per element, γ·x̂ + β one more when affine."""
    return op.numel * (2 if op.affine else 1) if c.normalization else ZERO


def _pool(op: Pool, c: Convention) -> Expr:
    """With `pooling`: each output reads its window (∏out·∏k); adaptive/global pooling reads
    the input once (∏in)."""
    if not c.pooling:
        return ZERO
    return op.in_numel if op.adaptive else op.out_numel * op.window


def _resize(op: Resize, c: Convention) -> Expr:
    """With `resize`: one per output element."""
    return op.out_numel if c.resize else ZERO


def _merge(op: Merge, c: Convention) -> Expr:
    """With `merges`: (inputs − 1) per output element; cat and select none."""
    if not c.merges or op.kind in ("cat", "select"):
        return ZERO
    return (op.inputs - 1) * op.numel


def _attention(op: Attention, c: Convention) -> Expr:
    """Projections and the QKᵀ and A·V products (ops.Attention); + projection biases with
    `bias`. Softmax and the 1/√d scaling are not multiply-adds of weights: left out."""
    return op.projections + op.products + (op.bias_adds if c.bias else ZERO)


def _recurrent(op: Recurrent, c: Convention) -> Expr:
    """steps·directions·Σ_layers (|W_ih| + |W_hh| + |W_hr|): every gate's input and recurrent
    products at every step; + steps·directions·Σ|biases| with `bias`."""
    per_step = sympy.Add(*[x.w_ih + x.w_hh + x.w_hr + (x.bias if c.bias else ZERO)
                           for x in op.cells])
    return op.steps * op.directions * per_step


def _product(op: Product, c: Convention) -> Expr:
    """A product of activations (matmul, attention's QKᵀ and A·V): its multiply-adds always,
    as attention's products are."""
    return op.macs


def _counted(op: Product, c: Convention) -> Expr:
    """ptflops' and fvcore's own count of a matmul (ops.Product)."""
    return op.counted


GENERIC: dict[type, Rule] = {
    Contract: _contract, Activation: _activation, Norm: _norm, Pool: _pool, Resize: _resize,
    Merge: _merge, Attention: _attention, Recurrent: _recurrent,
    Product: _product}  # type: ignore[dict-item]


@dataclass(frozen=True)
class Convention:
    """What is counted. The generic rules count weights' multiply-adds always (conv, dense,
    attention projections and products, recurrent gates over the sequence) and the rest by
    option; a counter's preset replaces the rules with that counter's own (`rules`)."""

    name: str
    description: str
    bias: bool = False
    normalization: bool = False
    activations: bool = False
    pooling: bool = False
    merges: bool = False
    resize: bool = False
    rules: Mapping[type, Rule] = field(default_factory=lambda: GENERIC)

    def cost(self, op: Op) -> Expr:
        return self.rules[type(op)](op, self)


def custom(name: str = "custom", **options: bool) -> Convention:
    """The generic rules with options: bias, normalization, activations, pooling, merges,
    resize (each False by default)."""
    shown = ", ".join(k for k, v in sorted(options.items()) if v) or "nothing else"
    return Convention(name, f"weights' multiply-adds, plus {shown}", **options)


# -- ptflops (get_model_complexity_info, backend='pytorch', ptflops 0.7.5) -------------------

def _pt_activation(op: Activation, c: Convention) -> Expr:
    """ptflops hooks ReLU, PReLU, ELU, GELU, LeakyReLU, ReLU6 modules (∏out each) and also
    patches F.relu, F.prelu, F.elu, F.gelu, F.silu, F.softmax, which the modules of the first
    four call: so relu/prelu/elu/gelu 2·∏out; relu6, leaky_relu (F.hardtanh, F.leaky_relu are
    not patched), silu, softmax ∏out; sigmoid, tanh and the rest 0. A function bound before
    the count (TransformerEncoderLayer's activation) escapes both: 0."""
    if op.via != "module":
        return ZERO
    times = {"relu": 2, "prelu": 2, "elu": 2, "gelu": 2, "relu6": 1, "leaky_relu": 1,
             "silu": 1, "softmax": 1}.get(op.kind, 0)
    return times * op.numel


def _pt_norm(op: Norm, c: Convention) -> Expr:
    """bn_flops_counter_hook: ∏in, doubled when the module has `affine` set (BatchNorm,
    InstanceNorm, GroupNorm); LayerNorm has no `affine` attribute: ∏in always."""
    if op.kind in ("batch", "instance", "group"):
        return op.numel * (2 if op.affine else 1)
    return op.numel if op.kind == "layer" else ZERO


def _pt_pool(op: Pool, c: Convention) -> Expr:
    """pool_flops_counter_hook ∏in, plus ∏in again from the patched F.*_pool* the module
    calls: 2·∏in for every pooling module, adaptive ones included."""
    return 2 * op.in_numel


def _pt_resize(op: Resize, c: Convention) -> Expr:
    """upsample_flops_counter_hook ∏out plus the patched F.interpolate's count (N·C·∏size, or
    ∏in·scale^rank)."""
    return op.out_numel + op.requested


def _pt_attention(op: Attention, c: Convention) -> Expr:
    """multihead_attention_counter_hook, verbatim (d_q = E): L·E (Q scaling) + L·E² + S·d_k² +
    S·d_v² + (L + 2S)·E with in_proj_bias + h·(L·S·⌊E/h⌋ + L·S + L·S·⌊d_v/h⌋) + L·d_v·(d_v + 1);
    unless fused, the patched torch.bmm (QKᵀ, A·V) and F.softmax inside the module add
    pairs·(qk + v) + h·pairs."""
    e, length, s, h = op.d_q, op.q_len, op.kv_len, op.heads
    hook = (length * e + length * e ** 2 + s * op.d_k ** 2 + s * op.d_v ** 2
            + ((length + 2 * s) * e if op.bias else ZERO)
            + h * (length * s * floor(e / h) + length * s + length * s * floor(op.d_v / h))
            + length * op.d_v * (op.d_v + 1))
    return hook if op.fused else hook + op.products + h * op.pairs


PT_GATE_EXTRA = {"RNN": 1, "GRU": 7, "LSTM": 10}


def _pt_recurrent(op: Recurrent, c: Convention) -> Expr:
    """rnn_flops_counter_hook: steps·directions·Σ_layers (|W_ih| + |W_hh| + extra·h +
    |b_ih| + |b_hh|), extra 1 (RNN), 7 (GRU), 10 (LSTM); W_hr (proj_size) not counted."""
    extra = PT_GATE_EXTRA[op.kind]
    per_step = sympy.Add(*[x.w_ih + x.w_hh + extra * x.hidden + x.bias for x in op.cells])
    return op.steps * op.directions * per_step


def _zero(op: Op, c: Convention) -> Expr:
    return ZERO


PTFLOPS: dict[type, Rule] = {
    Contract: lambda op, c: op.macs + op.bias, Activation: _pt_activation, Norm: _pt_norm,
    Pool: _pt_pool, Resize: _pt_resize, Merge: _zero, Attention: _pt_attention,
    Recurrent: _pt_recurrent, Product: _counted}  # type: ignore[dict-item]


# -- fvcore (FlopCountAnalysis, its default op handles, fvcore 0.1.5) ------------------------

def _fv_norm(op: Norm, c: Convention) -> Expr:
    """aten::batch_norm in eval: ∏in·(2 if affine else 1); aten::layer_norm, group_norm,
    instance_norm: ∏in·(5 if affine else 4); others (rms, unit) are not handled: 0."""
    if op.kind == "batch":
        return op.numel * (2 if op.affine else 1)
    if op.kind in ("layer", "group", "instance"):
        return op.numel * (5 if op.affine else 4)
    return ZERO


def _fv_pool(op: Pool, c: Convention) -> Expr:
    """Only aten::adaptive_avg_pool2d is handled: ∏in."""
    return op.in_numel if op.adaptive and op.kind == "avg" and op.rank == 2 else ZERO


def _fv_resize(op: Resize, c: Convention) -> Expr:
    """aten::upsample_nearest2d ∏out, upsample_bilinear2d 4·∏out; other modes and ranks 0."""
    if op.rank != 2:
        return ZERO
    return {"nearest": 1, "bilinear": 4}.get(op.mode, 0) * op.out_numel


def _fv_attention(op: Attention, c: Convention) -> Expr:
    """aten::linear for the projections (no bias), aten::bmm for QKᵀ and A·V unless fused
    (aten::scaled_dot_product_attention is not handled)."""
    return op.projections if op.fused else op.projections + op.products


FVCORE: dict[type, Rule] = {
    Contract: lambda op, c: op.macs, Activation: _zero, Norm: _fv_norm, Pool: _fv_pool,
    Resize: _fv_resize, Merge: _zero, Attention: _fv_attention,
    Recurrent: _zero, Product: _counted}  # type: ignore[dict-item]


PRESETS: dict[str, Convention] = {
    "weights": Convention(
        "weights", "MACs of weights only: conv, dense, attention projections and QKᵀ/A·V "
        "products, recurrent gates over the sequence; no bias, norm, activation, pooling"),
    "all": Convention(
        "all", "MACs of weights plus bias adds, normalisation, activations, pooling, merges "
        "and resizing (one per element each)", True, True, True, True, True, True),
    "ptflops": Convention(
        "ptflops", "as ptflops 0.7.5 (pytorch backend): conv/linear with bias, BN, pooling, "
        "activations (some twice), its attention and RNN formulas; not residual + or *",
        True, True, True, True, False, True, rules=PTFLOPS),
    "fvcore": Convention(
        "fvcore", "as fvcore 0.1.5 FlopCountAnalysis (1 fused multiply-add = 1): conv, linear, "
        "matmul/bmm, norms, adaptive avg pool 2-D, 2-D upsampling; no bias, activations, RNNs",
        False, True, False, True, False, True, rules=FVCORE),
}


# -- the API ---------------------------------------------------------------------------------

def _resolved(d: Derivation, layer: LayerRecord) -> LayerRecord:
    """A shared layer's later application with the weights of its first; a tied layer with
    the weight it uses (counted at its owner, but multiplied here all the same)."""
    if layer.shares:
        return replace(layer, weights=d.layer(layer.shares).weights)
    if layer.tied:
        return replace(layer, weights=tuple(t.weight for t in layer.tied) + layer.weights)
    return layer


def operations(d: Derivation, layer: LayerRecord) -> tuple[Op, ...]:
    """The operations of one layer of `d` (none for a free parameter: it is not computed)."""
    if layer.type not in REGISTRY[d.convention]:
        return ()
    return HANDLERS[(d.convention, layer.type)](_resolved(d, layer))


def layer_macs(d: Derivation, convention: Convention = PRESETS["weights"]) -> list[Expr]:
    """Each layer's MACs per example under `convention`, one per d.layers."""
    return [sympy.Add(*[convention.cost(op) for op in operations(d, layer)])
            for layer in d.layers]


def total(d: Derivation, convention: Convention = PRESETS["weights"]) -> Expr:
    return sympy.Add(*layer_macs(d, convention))


def flops(macs: Expr) -> Expr:
    """FLOPs as 2·MACs (one multiply and one add)."""
    return Integer(2) * macs
