"""Keras-convention layers as operations (ops.py): the same maths as torch_layers.py with Keras's
layout (channels last unless data_format='channels_first') and argument names (Keras 3.15).
An `activation=` argument adds the activation as an operation of its own, as the equivalent
torch model runs it as a module."""

from __future__ import annotations

from sympy import Expr

from ..derivation.model import LayerCall, LayerRecord
from .ops import (
    HANDLERS,
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
    as_record,
    handles,
    has_weight,
    no_compute,
    numel,
    scaled,
    weight,
    whole_pool,
    window_pool,
)

K = "keras"
# Keras activation identifiers → torch's functional names where they differ
KERAS_TO_TORCH = {"swish": "silu", "leaky_relu": "leaky_relu", "hard_swish": "hardswish",
                  "hard_silu": "hardswish", "hard_sigmoid": "hardsigmoid"}


def _spatial(record: LayerRecord, shape: tuple[Expr, ...]) -> tuple[Expr, ...]:
    first = arguments(record, K).get("data_format") == "channels_first"
    return shape[1:] if first else shape[:-1]


def _activation(record: LayerRecord, name: object) -> tuple[Op, ...]:
    """The `activation=` of a layer (None and 'linear': none) on ∏out elements."""
    if name is None or name == "linear":
        return ()
    kind = KERAS_TO_TORCH.get(str(name), str(name))
    return (Activation(kind, numel(record.output_shape)),)


def _bias(record: LayerRecord) -> Expr:
    return numel(record.output_shape) if has_weight(record, "bias") else ZERO


@handles(K, "Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D", "DepthwiseConv2D")
def conv(record: LayerRecord) -> tuple[Op, ...]:
    """ConvND: |kernel|·∏out_spatial = ∏k·(C_in/g)·F·∏out; DepthwiseConvND: ∏k·C_in·m·∏out;
    bias ∏out adds; then the activation."""
    macs = weight(record, "kernel") * numel(_spatial(record, record.output_shape))
    return (Contract(macs, _bias(record)),
            *_activation(record, arguments(record, K)["activation"]))


@handles(K, "SeparableConv1D", "SeparableConv2D")
def separable(record: LayerRecord) -> tuple[Op, ...]:
    """SeparableConvND: depthwise ∏k·C_in·m·∏out plus pointwise C_in·m·F·∏out; bias ∏out."""
    out = numel(_spatial(record, record.output_shape))
    return (Contract(weight(record, "depthwise_kernel") * out),
            Contract(weight(record, "pointwise_kernel") * out, _bias(record)),
            *_activation(record, arguments(record, K)["activation"]))


@handles(K, "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
def conv_transpose(record: LayerRecord) -> tuple[Op, ...]:
    """ConvNDTranspose: every input position scatters its kernel: ∏k·F·C_in·∏in_spatial."""
    macs = weight(record, "kernel") * numel(_spatial(record, record.input_shape))
    return (Contract(macs, _bias(record)),
            *_activation(record, arguments(record, K)["activation"]))


@handles(K, "Dense")
def dense(record: LayerRecord) -> tuple[Op, ...]:
    """Dense on the last axis, any rank: n·u·∏leading; bias u·∏leading; then the activation.
    With LoRA the frozen kernel is counted (the low-rank path is left out)."""
    macs = weight(record, "kernel") * numel(record.input_shape[:-1])
    return (Contract(macs, _bias(record)),
            *_activation(record, arguments(record, K)["activation"]))


@handles(K, "Activation")
def activation_layer(record: LayerRecord) -> tuple[Op, ...]:
    """Activation(name) on ∏out elements."""
    return _activation(record, arguments(record, K)["activation"])


@handles(K, "ReLU", "LeakyReLU", "ELU", "Softmax", "PReLU")
def activation(record: LayerRecord) -> tuple[Op, ...]:
    """Keras activation layers; ReLU with max_value is torch's relu6 (a clamp), with a
    negative_slope a leaky_relu."""
    kind = {"LeakyReLU": "leaky_relu", "ELU": "elu", "Softmax": "softmax",
            "PReLU": "prelu"}.get(record.type, "relu")
    if record.type == "ReLU":
        args = arguments(record, K)
        if args["max_value"] is not None:
            kind = "relu6"
        elif args["negative_slope"] != 0:
            kind = "leaky_relu"
    return (Activation(kind, numel(record.output_shape)),)


@handles(K, "Rescaling")
def rescaling(record: LayerRecord) -> tuple[Op, ...]:
    """Rescaling: x·scale + offset, elementwise arithmetic on ∏out elements."""
    return (Activation("rescale", numel(record.output_shape), via="bound"),)


@handles(K, "Normalization")
def normalization(record: LayerRecord) -> tuple[Op, ...]:
    """Normalization: (x − mean)/sqrt(variance) (or its inverse) with fixed statistics,
    elementwise arithmetic on ∏out elements, as Rescaling's (no learned scale)."""
    return (Activation("normalize", numel(record.output_shape), via="bound"),)


@handles(K, "BatchNormalization", "LayerNormalization", "GroupNormalization",
         "UnitNormalization")
def norm(record: LayerRecord) -> tuple[Op, ...]:
    """A normalisation of ∏out elements, affine when `scale` is set (UnitNormalization never)."""
    args = arguments(record, K)
    kind = record.type.removesuffix("Normalization").lower()
    if args.get("rms_scaling"):
        kind = "rms"
    return (Norm(kind, numel(record.output_shape), bool(args.get("scale", False))),)


@handles(K, *(f"{k}Pooling{r}D" for k in ("Max", "Average") for r in (1, 2, 3)))
def pool(record: LayerRecord) -> tuple[Op, ...]:
    """Max/AveragePoolingND: each output reads ∏pool_size inputs."""
    return window_pool(record, K, "pool_size")


@handles(K, *(f"Global{k}Pooling{r}D" for k in ("Max", "Average") for r in (1, 2, 3)))
def global_pool(record: LayerRecord) -> tuple[Op, ...]:
    """GlobalPoolingND: reads the whole input (torch's AdaptivePool to 1)."""
    return whole_pool(record)


@handles(K, "UpSampling1D", "UpSampling2D", "UpSampling3D")
def upsampling(record: LayerRecord) -> tuple[Op, ...]:
    """UpSamplingND: repeats (nearest) or interpolates (2-D 'bilinear', …) to ∏out elements."""
    rank = len(record.input_shape) - 1
    mode = str(arguments(record, K).get("interpolation", "nearest"))
    out = numel(record.output_shape)
    return (Resize(mode, rank, numel(record.input_shape), out, out),)


MERGES = {"Add": "add", "add": "add", "Subtract": "sub", "subtract": "sub", "Multiply": "mul",
          "multiply": "mul", "Average": "average", "Maximum": "maximum", "Minimum": "minimum",
          "Concatenate": "cat"}


@handles(K, *MERGES)
def merge(record: LayerRecord) -> tuple[Op, ...]:
    """Elementwise merges: one operation per output element per extra input; Concatenate
    moves data only."""
    return (Merge(MERGES[record.type], len(record.input_shapes), numel(record.output_shape)),)


@handles(K, "Dot")
def dot(record: LayerRecord) -> tuple[Op, ...]:
    """Dot(axes): a batched product: ∏out·(the contracted extent) multiply-adds (axes count the
    batch axis, as Keras counts them)."""
    axes = arguments(record, K)["axes"]
    axis = int(axes[0] if isinstance(axes, tuple) else axes)  # type: ignore[call-overload]
    first = record.input_shapes[0]
    contracted = first[axis - 1] if axis > 0 else first[axis]
    return (Contract(numel(record.output_shape) * contracted),)


@handles(K, "MultiHeadAttention")
def multi_head_attention(record: LayerRecord) -> tuple[Op, ...]:
    """MultiHeadAttention(h, key_dim k, value_dim v) on query (…, d_q), value (…, d_v), key
    (…, d_k): projections L·d_q·h·k + S·d_k·h·k + S·d_v·h·v + L·h·v·d_out, products
    L·S·h·k (QKᵀ) + L·S·h·v (A·V) with L, S the query's and key's positions (a batch-like,
    not attended axis pairs only with itself); use_gate adds L·d_q·h·v."""
    query = record.input_shapes[0]
    value = record.input_shapes[1] if len(record.input_shapes) > 1 else query
    key = record.input_shapes[2] if len(record.input_shapes) > 2 else value
    args = arguments(record, K)
    heads, k = args["num_heads"], args["key_dim"]
    v = k if args["value_dim"] is None else args["value_dim"]
    raw = args["attention_axes"]
    axes = range(1, len(query)) if raw is None else [
        int(a) if int(a) >= 0 else len(query) + 1 + int(a)  # type: ignore[call-overload]
        for a in (raw if isinstance(raw, tuple) else (raw,))]
    attended = numel(tuple(key[a - 1] for a in axes))
    length, steps = numel(query[:-1]), numel(key[:-1])
    d_out = numel(record.output_shape[len(query) - 1:])
    ops: list[Op] = [Attention(length, steps, query[-1], key[-1], value[-1],
                               heads * k, heads * v, d_out, heads,  # type: ignore[operator]
                               length * attended, bool(args["use_bias"]))]
    if args["use_gate"]:
        ops.append(Contract(length * query[-1] * heads * v,  # type: ignore[operator]
                            length * heads * v if args["use_bias"] else ZERO))  # type: ignore[operator]
    return tuple(ops)


@handles(K, "SimpleRNN", "LSTM", "GRU")
def recurrent(record: LayerRecord) -> tuple[Op, ...]:
    """SimpleRNN/LSTM/GRU over T steps (all of them, whatever return_sequences says): per step
    |kernel| + |recurrent_kernel| = g·u·(n + u)."""
    units = arguments(record, K)["units"]
    cell = Cell(weight(record, "kernel"), weight(record, "recurrent_kernel"), ZERO,
                weight(record, "bias"), units)  # type: ignore[arg-type]
    kind = "RNN" if record.type == "SimpleRNN" else record.type
    return (Recurrent(kind, record.input_shape[0], 1, (cell,)),)


def _sublayer(record: LayerRecord) -> LayerCall:
    layer = arguments(record, K)["layer"]
    assert isinstance(layer, LayerCall)
    return layer


@handles(K, "Bidirectional")
def bidirectional(record: LayerRecord) -> tuple[Op, ...]:
    """Bidirectional(rnn): the RNN's operations twice (forward and backward copies)."""
    call = _sublayer(record)
    out = record.output_shape
    if arguments(record, K)["merge_mode"] == "concat":
        out = (*out[:-1], out[-1] / 2)
    sub = as_record(record, call, record.input_shape, out, "forward_")
    ops = _ops_of(sub)
    merge_mode = arguments(record, K)["merge_mode"]
    kind = {"sum": "add", "ave": "average"}.get(str(merge_mode), str(merge_mode))
    combine = () if merge_mode == "concat" else (Merge(kind, 2, numel(out)),)
    return (*ops, *ops, *combine)


@handles(K, "TimeDistributed")
def time_distributed(record: LayerRecord) -> tuple[Op, ...]:
    """TimeDistributed(layer): the layer's operations on one step, times T."""
    call = _sublayer(record)
    sub = as_record(record, call, record.input_shape[1:], record.output_shape[1:], "")
    return tuple(scaled(op, record.input_shape[0]) for op in _ops_of(sub))


def _ops_of(record: LayerRecord) -> tuple[Op, ...]:
    return HANDLERS[(K, record.type)](record)


for _type in ("Embedding", "Flatten", "Reshape", "Permute", "RepeatVector", "Identity",
              "Dropout", "SpatialDropout1D", "SpatialDropout2D",
              "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
              "Cropping1D", "Cropping2D", "Cropping3D"):
    handles(K, _type)(no_compute)



@handles(K, "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")
def conv_lstm(record: LayerRecord) -> tuple[Op, ...]:
    """ConvLSTMND over T steps (all of them, whatever return_sequences says): per step the
    input convolution |kernel|·∏out and the recurrent one ('same', stride 1 on the state)
    |recurrent_kernel|·∏out, ∏out the step map's positions; the bias on 4·f·∏out."""
    args = arguments(record, K)
    rank = int(record.type[len("ConvLSTM")])
    step = record.output_shape[1:] if args["return_sequences"] else record.output_shape
    first = args["data_format"] == "channels_first"
    positions = numel(step[1:] if first else step[:-1])
    steps = record.input_shape[0]
    macs = steps * positions * (weight(record, "kernel") + weight(record, "recurrent_kernel"))
    bias = steps * positions * weight(record, "bias")
    assert len(step) == rank + 1
    return (Contract(macs, bias),)
