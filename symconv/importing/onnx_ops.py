"""ONNX operators as steps of a `.arch` file in torch convention (ONNX is channels-first, as
torch is): one small handler per operator, in one registry (`HANDLERS`), each giving the
layer calls and tensor operations that compute the same shapes with the same weights.

Weights are read from the initializers' shapes: a Conv's (out, in/groups, *k) gives its
channels and kernel, a third input its bias. Attributes are ONNX's (`pads` as begins then
ends, strides defaulting to 1); a layer's keyword is written only where it differs from
torch's default. What has no faithful form is SC309 naming the node, its place in the file and
the nearest supported form.
"""

from __future__ import annotations

from .onnx_graph import Node, elements
from .onnx_spatial import conv, conv_transpose, global_pool, pad, pool, resize
from .onnx_steps import Context, Handler, Step, layer, number, one
from .onnx_tensors import (concat, expand, flatten, gather, gemm, matmul, merge, reduce_mean,
                           reshape, slice_, split, squeeze, transpose)


def batch_norm(node: Node, ctx: Context) -> list[Step]:
    channels = ctx.constant(node, 1, "scale").shape[0]
    n = max(ctx.rank(node) - 2, 1)
    momentum = number(1 - node.attrs.get("momentum", 0.9))  # ONNX keeps 1 − torch's
    return [layer(node, f"BatchNorm{n}d", channels, eps=number(node.attrs.get("epsilon", 1e-5)),
                  momentum=momentum)]


def layer_norm(node: Node, ctx: Context) -> list[Step]:
    shape = ctx.constant(node, 1, "scale").shape
    axis = int(node.attrs.get("axis", -1))
    rank = ctx.rank(node)
    if (axis + rank if axis < 0 else axis) != rank - len(shape):
        raise ctx.refuse(node, f"normalises from axis {axis} with a scale of shape {shape}",
                         "LayerNorm normalises the last axes, the scale's shape")
    return [layer(node, "LayerNorm", one(shape) if len(shape) == 1 else shape,
                  eps=number(node.attrs.get("epsilon", 1e-5)), bias=ctx.optional(node, 2))]


def clip(node: Node, ctx: Context) -> list[Step]:
    low, high = node.attrs.get("min"), node.attrs.get("max")
    if ctx.optional(node, 1):
        low = ctx.values(node, 1, "minimum")[0]
    if ctx.optional(node, 2):
        high = ctx.values(node, 2, "maximum")[0]
    if low == 0 and high == 6:
        return [layer(node, "ReLU6")]
    if low == 0 and high is None:
        return [layer(node, "ReLU")]
    raise ctx.refuse(node, f"clips to [{low}, {high}]", "ReLU6 is Clip(0, 6), ReLU Clip(0); "
                     "both have the same shapes")


def activation(kind: str, **fixed: object) -> Handler:
    def handler(node: Node, ctx: Context) -> list[Step]:
        return [layer(node, kind, **fixed)]
    return handler


def leaky_relu(node: Node, ctx: Context) -> list[Step]:
    return [layer(node, "LeakyReLU", negative_slope=number(node.attrs.get("alpha", 0.01)))]


def hard_sigmoid(node: Node, ctx: Context) -> list[Step]:
    alpha, beta = node.attrs.get("alpha", 0.2), node.attrs.get("beta", 0.5)
    if abs(alpha - 1 / 6) > 1e-6 or abs(beta - 0.5) > 1e-6:
        raise ctx.refuse(node, f"has alpha={number(alpha)}, beta={number(beta)}, not torch's "
                         "1/6 and 0.5", "Hardsigmoid has the same shapes")
    return [layer(node, "Hardsigmoid")]


def gelu(node: Node, ctx: Context) -> list[Step]:
    return [layer(node, "GELU", approximate=node.attrs.get("approximate", "none"))]


def softmax(node: Node, ctx: Context) -> list[Step]:
    # before opset 13 the default axis was 1; the shape is the input's either way
    default = -1 if ctx.graph.opset >= 13 else 1
    return [layer(node, "Softmax", dim=int(node.attrs.get("axis", default)))]


def prelu(node: Node, ctx: Context) -> list[Step]:
    return [layer(node, "PReLU", num_parameters=elements(ctx.constant(node, 1, "slope").shape))]


def dropout(node: Node, ctx: Context) -> list[Step]:
    ratio = node.attrs.get("ratio", 0.5)
    if ctx.optional(node, 1):
        ratio = ctx.values(node, 1, "ratio")[0]
    return [layer(node, "Dropout", p=number(ratio))]

HANDLERS: dict[str, Handler] = {
    "Conv": conv, "ConvTranspose": conv_transpose,
    "MaxPool": pool("MaxPool"), "AveragePool": pool("AvgPool"),
    "GlobalAveragePool": global_pool("Avg"), "GlobalMaxPool": global_pool("Max"),
    "BatchNormalization": batch_norm, "LayerNormalization": layer_norm,
    "Gemm": gemm, "MatMul": matmul,
    "Add": merge("+"), "Sub": merge("-"), "Mul": merge("*"), "Concat": concat,
    "Flatten": flatten, "Reshape": reshape, "Transpose": transpose, "Split": split,
    "ReduceMean": reduce_mean, "Squeeze": squeeze, "Unsqueeze": squeeze,
    "Slice": slice_, "Expand": expand, "Gather": gather,
    "Pad": pad, "Resize": resize, "Upsample": resize,
    "Relu": activation("ReLU"), "Sigmoid": activation("Sigmoid"), "Tanh": activation("Tanh"),
    "HardSwish": activation("Hardswish"), "HardSigmoid": hard_sigmoid,
    "LeakyRelu": leaky_relu, "Clip": clip, "Gelu": gelu, "Softmax": softmax, "PRelu": prelu,
    "Dropout": dropout,
}

# the nearest supported form for operators with none
ALTERNATIVES = {
    **{op: "an element-wise activation: Relu has the same shapes" for op in (
        "Elu", "Selu", "Celu", "Mish", "Softplus", "Softsign", "ThresholdedRelu", "Erf",
        "Exp", "Log", "Abs", "Neg", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round")},
    "Div": "Mul by a tensor (a * b) has the same shapes",
    "LogSoftmax": "Softmax has the same shape",
    **{op: "a tensor built from a shape (x.expand, torch.ones(x.shape)): write that step "
       "by hand, e.g. `expand(cls, x.shape[0], -1, -1)`; symconv follows shape arithmetic "
       "only into a Reshape or an Expand" for op in (
           "ConstantOfShape", "Range", "Equal", "Where", "Tile")},
    **{op: "symconv follows Shape, Gather, Cast and Squeeze on extents only (into a "
       "Reshape or an Expand)" for op in ("Shape", "Cast", "Size")},
    "ReduceMax": "ReduceMean (mean) has the same shapes",
    "Sum": "Add of two tensors", "InstanceNormalization": "BatchNormalization has the same "
    "shapes (InstanceNorm2d is written by hand)",
}
