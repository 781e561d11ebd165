"""PyTorch-convention layers as operations (ops.py). Shapes are channels first, batch axis left
out; the formulas follow the torch.nn documentation (torch 2.13)."""

from __future__ import annotations

from sympy import Expr, floor

from ..derivation.model import LayerRecord
from .ops import (
    ZERO,
    Activation,
    Attention,
    Cell,
    Contract,
    Merge,
    Norm,
    Op,
    Recurrent,
    Resize,
    arguments,
    handles,
    has_weight,
    no_compute,
    numel,
    weight,
    whole_pool,
    window_pool,
)

T = "torch"


def _bias(record: LayerRecord) -> Expr:
    return numel(record.output_shape) if has_weight(record, "bias") else ZERO


@handles(T, "Conv1d", "Conv2d", "Conv3d")
def conv(record: LayerRecord) -> tuple[Op, ...]:
    """ConvNd: |weight|·∏out_spatial = C_out·(C_in/g)·∏k·∏out multiply-adds (dilation and
    padding change only the output extents); bias: C_out·∏out adds."""
    return (Contract(weight(record, "weight") * numel(record.output_shape[1:]), _bias(record)),)


@handles(T, "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
def conv_transpose(record: LayerRecord) -> tuple[Op, ...]:
    """ConvTransposeNd: every input position scatters its kernel: |weight|·∏in_spatial =
    C_in·(C_out/g)·∏k·∏in; bias C_out·∏out."""
    return (Contract(weight(record, "weight") * numel(record.input_shape[1:]), _bias(record)),)


@handles(T, "Linear")
def linear(record: LayerRecord) -> tuple[Op, ...]:
    """Linear on any rank (…, in) → (…, out): in·out·∏leading; bias out·∏leading."""
    return (Contract(weight(record, "weight") * numel(record.input_shape[:-1]), _bias(record)),)


ACTIVATIONS = {"ReLU": "relu", "ReLU6": "relu6", "LeakyReLU": "leaky_relu", "GELU": "gelu",
               "SiLU": "silu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softmax": "softmax",
               "PReLU": "prelu", "Hardswish": "hardswish", "Hardsigmoid": "hardsigmoid"}


@handles(T, *ACTIVATIONS)
def activation(record: LayerRecord) -> tuple[Op, ...]:
    """A pointwise activation module on ∏out elements."""
    return (Activation(ACTIVATIONS[record.type], numel(record.output_shape)),)


NORMS = {"BatchNorm": ("batch", "affine"), "InstanceNorm": ("instance", "affine"),
         "GroupNorm": ("group", "affine"), "LayerNorm": ("layer", "elementwise_affine")}


@handles(T, *(f"{n}{r}d" for n in ("BatchNorm", "InstanceNorm") for r in (1, 2, 3)),
         "GroupNorm", "LayerNorm")
def norm(record: LayerRecord) -> tuple[Op, ...]:
    """A normalisation of ∏out elements, affine as its `affine` / `elementwise_affine` says."""
    kind, flag = NORMS[record.type.rstrip("123d")]  # BatchNorm2d → BatchNorm
    return (Norm(kind, numel(record.output_shape), bool(arguments(record, T)[flag])),)


@handles(T, "RMSNorm")
def rms_norm(record: LayerRecord) -> tuple[Op, ...]:
    """RMSNorm: an RMS normalisation of ∏out elements, scaled by `weight` with
    elementwise_affine (priced as the convention prices "rms")."""
    return (Norm("rms", numel(record.output_shape), has_weight(record, "weight")),)


@handles(T, *(f"{k}Pool{r}d" for k in ("Max", "Avg") for r in (1, 2, 3)))
def pool(record: LayerRecord) -> tuple[Op, ...]:
    """Max/AvgPoolNd: each output reads ∏kernel_size inputs."""
    return window_pool(record, T, "kernel_size")


@handles(T, *(f"Adaptive{k}Pool{r}d" for k in ("Max", "Avg") for r in (1, 2, 3)))
def adaptive_pool(record: LayerRecord) -> tuple[Op, ...]:
    """Adaptive pooling: reads the whole input."""
    return whole_pool(record)


@handles(T, "Upsample")
def upsample(record: LayerRecord) -> tuple[Op, ...]:
    """Upsample: ∏out elements interpolated; `requested` is what F.interpolate was asked for
    (C·∏size, or ∏in·s^rank; a tuple of scales is multiplied and truncated, as ptflops does)."""
    args = arguments(record, T)
    rank = len(record.input_shape) - 1
    scale = args["scale_factor"]
    if args["size"] is not None:
        requested = numel(record.output_shape)
    elif isinstance(scale, tuple):
        requested = numel(record.input_shape) * floor(numel(scale))  # type: ignore[arg-type]
    else:
        requested = numel(record.input_shape) * scale ** rank  # type: ignore[operator]
    return (Resize(str(args["mode"]), rank, numel(record.input_shape),
                   numel(record.output_shape), requested),)


@handles(T, "add", "sub", "mul", "cat", "select")
def merge(record: LayerRecord) -> tuple[Op, ...]:
    """torch.add / sub / mul: one operation per output element per extra input; cat and
    select move data only."""
    return (Merge(record.type, len(record.input_shapes), numel(record.output_shape)),)


@handles(T, "MultiheadAttention")
def multihead_attention(record: LayerRecord) -> tuple[Op, ...]:
    """MultiheadAttention on query (L, E), key (S, kdim), value (S, vdim): projections
    L·E² + S·kdim·E + S·vdim·E + L·E² and the products L·S'·E (QKᵀ, every head: h·L·S'·E/h)
    and L·S'·E (A·V), S' = S + add_bias_kv + add_zero_attn."""
    q, *rest = record.input_shapes
    k, v = (rest[0], rest[1]) if len(rest) == 2 else (q, q)
    args = arguments(record, T)
    e = q[1]
    extra = int(bool(args["add_bias_kv"])) + int(bool(args["add_zero_attn"]))
    return (Attention(q[0], k[0], e, k[1], v[1], e, e, e, args["num_heads"],  # type: ignore[arg-type]
                      q[0] * (k[0] + extra), bool(args["bias"])),)


@handles(T, "TransformerEncoderLayer")
def transformer_encoder_layer(record: LayerRecord) -> tuple[Op, ...]:
    """TransformerEncoderLayer (L, d): self-attention (as MultiheadAttention, its products in
    scaled_dot_product_attention), linear1 L·d·ff, activation, linear2 L·ff·d, two residual
    adds and two LayerNorms."""
    length, d = record.input_shape
    args = arguments(record, T)
    ff, bias = args["dim_feedforward"], bool(args["bias"])
    act = args["activation"]
    return (Attention(length, length, d, d, d, d, d, d, args["nhead"],  # type: ignore[arg-type]
                      length * length, bias, fused=True),
            Contract(length * d * ff, length * ff if bias else ZERO),  # type: ignore[operator]
            Activation(str(act), length * ff, via="bound"),  # type: ignore[operator]
            Contract(length * ff * d, length * d if bias else ZERO),  # type: ignore[operator]
            Merge("add", 2, length * d), Merge("add", 2, length * d),
            Norm("layer", length * d, True), Norm("layer", length * d, True))


@handles(T, "RNN", "LSTM", "GRU")
def recurrent(record: LayerRecord) -> tuple[Op, ...]:
    """RNN/LSTM/GRU over L steps: per step, layer and direction the gate blocks' input and
    recurrent products |weight_ih| + |weight_hh| (+ |weight_hr| with proj_size)."""
    args = arguments(record, T)
    layers = int(args["num_layers"])  # type: ignore[call-overload]
    cells = tuple(Cell(weight(record, f"weight_ih_l{i}"), weight(record, f"weight_hh_l{i}"),
                       weight(record, f"weight_hr_l{i}"),
                       weight(record, f"bias_ih_l{i}") + weight(record, f"bias_hh_l{i}"),
                       args["hidden_size"])  # type: ignore[arg-type]
                  for i in range(layers))
    return (Recurrent(record.type, record.input_shape[0], 2 if args["bidirectional"] else 1,
                      cells),)


for _type in ("Embedding", "Flatten", "Unflatten", "Dropout", "Dropout2d", "Identity",
              "PixelShuffle", "PixelUnshuffle",
              *(f"{k}Pad{r}d" for k in ("Constant", "Reflection", "Replication", "Zero")
                for r in (1, 2, 3))):
    handles(T, _type)(no_compute)

# torch's Lazy modules compute as their eager twins once the first forward has sized them
handles(T, "LazyLinear")(linear)
handles(T, *(f"LazyConv{r}d" for r in (1, 2, 3)))(conv)
handles(T, *(f"LazyConvTranspose{r}d" for r in (1, 2, 3)))(conv_transpose)


@handles(T, "EmbeddingBag")
def embedding_bag(record: LayerRecord) -> tuple[Op, ...]:
    """EmbeddingBag: the n rows a bag looks up are reduced to one of E, an elementwise merge of
    n tensors of E (a sum, a mean or a maximum); the lookup itself moves data only."""
    mode = str(arguments(record, T)["mode"])
    kind = "maximum" if mode == "max" else "add"
    n = record.input_shape[0]
    return (Merge(kind, n, numel(record.output_shape)),)  # type: ignore[arg-type]


# rearrangements and, in eval mode, StochasticDepth's identity: no arithmetic
for _type in ("Unfold", "ChannelShuffle", "StochasticDepth"):
    handles(T, _type)(no_compute)
