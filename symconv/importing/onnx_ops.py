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

from collections.abc import Callable
from dataclasses import dataclass

from .keras_graph import refuse
from .literals import Arg, LayerCall
from .onnx_graph import Constant, Graph, Node, elements


@dataclass(frozen=True)
class Layer:
    """A layer applied to one tensor."""

    call: LayerCall
    input: str
    output: str
    name: str | None  # the layer's name= (the ONNX node's)


@dataclass(frozen=True)
class Expr:
    """A tensor operation: `text` with {0}, {1}, … for the tensors it reads."""

    text: str
    tensors: tuple[str, ...]
    output: str


@dataclass(frozen=True)
class Param:
    """An initializer a merge reads: a `parameter` line, declared once."""

    shape: tuple[int, ...]
    output: str  # the initializer's name


Step = Layer | Expr | Param


class Context:
    """What a handler reads besides its node: constants, ranks, the nodes reading a tensor."""

    def __init__(self, graph: Graph, label: str) -> None:
        self.graph, self.label = graph, label
        self.readers: dict[str, list[Node]] = {}
        for node in graph.nodes:
            for tensor in node.inputs:
                self.readers.setdefault(tensor, []).append(node)
        self.alias: dict[str, str] = {}  # Identity and Dropout-free copies
        self.fused: set[int] = set()  # nodes a handler took into its own (MatMul's Add)

    def resolve(self, tensor: str) -> str:
        while tensor in self.alias:
            tensor = self.alias[tensor]
        return tensor

    def constant(self, node: Node, k: int, what: str) -> Constant:
        tensor = node.inputs[k] if k < len(node.inputs) else ""
        found = self.graph.constants.get(tensor)
        if found is None:
            raise self.refuse(node, f"has a {what} that is computed, not an initializer",
                              "symconv reads weights and arguments from the initializers "
                              "(export with constant folding, or without dynamic shapes there)")
        return found

    def values(self, node: Node, k: int, what: str) -> tuple[float | int, ...]:
        found = self.constant(node, k, what)
        if found.values is None:
            raise self.refuse(node, f"has a {what} too large to read", None)
        return found.values

    def optional(self, node: Node, k: int) -> bool:
        return k < len(node.inputs) and node.inputs[k] != ""

    def rank(self, node: Node) -> int:
        rank = self.graph.ranks.get(node.inputs[0])
        if rank is None:
            raise self.refuse(node, "reads a tensor whose rank ONNX's shape inference does not "
                              "find", "give a model onnx.checker accepts")
        return rank

    def refuse(self, node: Node, what: str, hint: str | None) -> Exception:
        return refuse(f"node '{node.name}' (#{node.index}, {node.op}) {what}", self.label,
                      hint)


Handler = Callable[[Node, Context], list[Step]]


def layer(node: Node, kind: str, *positional: object, **keywords: object) -> Layer:
    """`kind(positional…, keyword=…)` on the node's first input, keywords at torch's default
    left out."""
    from .modules import _plain, catalog

    defaults = {p.name: _plain(p.default) for p in catalog()[kind].params}  # type: ignore[attr-defined]
    args = [Arg(None, v, "") for v in positional]
    for key, value in keywords.items():
        default = defaults.get(key)
        if not (type(value) is type(default) and value == default):
            args.append(Arg(key, value, key))
    return Layer(LayerCall(kind, tuple(args)), node.inputs[0], node.outputs[0],
                 node.name or None)


def one(values: tuple[int, ...] | list[int]) -> int | tuple[int, ...]:
    """(3, 3) → 3, as torch's `_pair` reads both."""
    return values[0] if len(set(values)) == 1 else tuple(values)


def number(value: float) -> float:
    """A float32 attribute as the decimal it was written as (1e-05, not 9.999999747e-06)."""
    return float(f"{value:.7g}")


def _window(node: Node, ctx: Context, n: int) -> tuple[list[int], list[int], list[int]]:
    """strides, dilations and the symmetric pads of a window op (ONNX defaults: 1, 1, 0)."""
    strides = list(node.attrs.get("strides") or [1] * n)
    dilations = list(node.attrs.get("dilations") or [1] * n)
    auto = node.attrs.get("auto_pad", "NOTSET")
    pads = list(node.attrs.get("pads") or [0] * 2 * n)
    if auto not in ("NOTSET", "VALID", ""):
        raise ctx.refuse(node, f"pads with auto_pad={auto}, which torch's layers write only "
                         "for stride 1 convolutions", "export with explicit pads")
    if auto == "VALID":
        pads = [0] * 2 * n
    return strides, dilations, pads


def _asymmetric(node: Node, ctx: Context, pads: list[int], n: int) -> list[Step]:
    """A ZeroPad before a convolution whose pads differ at the two ends of an axis."""
    if n > 3:
        raise ctx.refuse(node, "has unequal pads on more than 3 axes", None)
    padding: list[int] = []
    for axis in reversed(range(n)):  # torch reads the pairs from the last axis back
        padding += [pads[axis], pads[axis + n]]
    out = node.outputs[0] + "#pad"
    pad = Layer(LayerCall(f"ZeroPad{n}d", (Arg(None, tuple(padding), "padding"),)),
                node.inputs[0], out, (node.name + "#pad") if node.name else None)
    return [pad]


def conv(node: Node, ctx: Context) -> list[Step]:
    weight = ctx.constant(node, 1, "weight").shape
    n, groups = len(weight) - 2, int(node.attrs.get("group", 1))
    if node.attrs.get("auto_pad", "NOTSET") in ("SAME_UPPER", "SAME_LOWER") and all(
            s == 1 for s in node.attrs.get("strides") or [1]):
        padding: object = "same"
        strides, dilations, pads = [1] * n, list(node.attrs.get("dilations") or [1] * n), []
    else:
        strides, dilations, pads = _window(node, ctx, n)
        padding = one(pads[:n])
    before: list[Step] = []
    if pads and pads[:n] != pads[n:]:
        before, padding = _asymmetric(node, ctx, pads, n), 0
    step = layer(node, f"Conv{n}d", weight[1] * groups, weight[0], one(weight[2:]),
                 stride=one(strides), padding=padding, dilation=one(dilations), groups=groups,
                 bias=ctx.optional(node, 2))
    if before:
        step = Layer(step.call, before[0].output, step.output, step.name)
    return before + [step]


def conv_transpose(node: Node, ctx: Context) -> list[Step]:
    weight = ctx.constant(node, 1, "weight").shape
    n, groups = len(weight) - 2, int(node.attrs.get("group", 1))
    if node.attrs.get("output_shape"):
        raise ctx.refuse(node, "sets output_shape", "export with pads and output_padding")
    strides, dilations, pads = _window(node, ctx, n)
    if pads[:n] != pads[n:]:
        raise ctx.refuse(node, f"has unequal pads {pads}, which ConvTranspose{n}d cannot "
                         "write", "pads equal at both ends of each axis")
    extra = list(node.attrs.get("output_padding") or [0] * n)
    return [layer(node, f"ConvTranspose{n}d", weight[0], weight[1] * groups, one(weight[2:]),
                  stride=one(strides), padding=one(pads[:n]), output_padding=one(extra),
                  groups=groups, bias=ctx.optional(node, 2), dilation=one(dilations))]


def pool(kind: str) -> Handler:
    def handler(node: Node, ctx: Context) -> list[Step]:
        kernel = list(node.attrs["kernel_shape"])
        n = len(kernel)
        strides, dilations, pads = _window(node, ctx, n)
        if pads[:n] != pads[n:]:
            raise ctx.refuse(node, f"has unequal pads {pads}, which {kind}{n}d cannot write",
                             "pads equal at both ends of each axis")
        keywords: dict[str, object] = {
            "stride": None if strides == kernel else one(strides), "padding": one(pads[:n]),
            "ceil_mode": bool(node.attrs.get("ceil_mode", 0))}
        if kind == "MaxPool":
            keywords["dilation"] = one(dilations)
        elif any(d != 1 for d in dilations):
            raise ctx.refuse(node, "has dilations, which AvgPool does not take", None)
        else:  # ONNX's default is to leave the padding out of the mean, torch's to count it
            keywords["count_include_pad"] = bool(node.attrs.get("count_include_pad", 0))
        return [layer(node, f"{kind}{n}d", one(kernel), **keywords)]
    return handler


def global_pool(kind: str) -> Handler:
    def handler(node: Node, ctx: Context) -> list[Step]:
        n = ctx.rank(node) - 2
        if not 1 <= n <= 3:
            raise ctx.refuse(node, f"pools a tensor of rank {n + 2}", "rank 3 to 5")
        return [layer(node, f"Adaptive{kind}Pool{n}d", 1)]
    return handler


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


def gemm(node: Node, ctx: Context) -> list[Step]:
    if node.attrs.get("transA", 0):
        raise ctx.refuse(node, "transposes its input (transA=1)", "a Gemm with transB only")
    weight = ctx.constant(node, 1, "weight").shape
    out, inp = weight if node.attrs.get("transB", 0) else weight[::-1]
    bias = ctx.optional(node, 2)
    if bias and elements(ctx.constant(node, 2, "bias").shape) != out:
        raise ctx.refuse(node, "adds a bias that is not one number per output", None)
    return [layer(node, "Linear", inp, out, bias=bias)]


def matmul(node: Node, ctx: Context) -> list[Step]:
    """x @ W with W an initializer is a Linear; the Add of a bias (out,) that follows it, as
    torch exports a Linear on more than 2 axes, is that Linear's bias."""
    graph = ctx.graph
    if node.inputs[1] not in graph.constants:
        if node.inputs[0] in graph.constants:
            raise ctx.refuse(node, "multiplies a constant by a tensor", None)
        return [Expr("matmul({0}, {1})", node.inputs[:2], node.outputs[0])]
    weight = graph.constants[node.inputs[1]].shape
    if len(weight) != 2:
        raise ctx.refuse(node, f"multiplies by a constant of shape {weight}", "a 2-D weight")
    step = layer(node, "Linear", weight[0], weight[1], bias=False)
    add = _bias_add(node, ctx, weight[1])
    if add is None:
        return [step]
    ctx.fused.add(add.index)
    return [Layer(LayerCall("Linear", step.call.args[:2]), step.input, add.outputs[0],
                  step.name)]


def _bias_add(node: Node, ctx: Context, out: int) -> Node | None:
    readers = ctx.readers.get(node.outputs[0], [])
    if len(readers) != 1 or readers[0].op != "Add" or node.outputs[0] in ctx.graph.outputs:
        return None
    add = readers[0]
    other = [t for t in add.inputs if t != node.outputs[0]]
    bias = ctx.graph.constants.get(other[0]) if len(other) == 1 else None
    return add if bias is not None and bias.shape == (out,) else None


def merge(symbol: str) -> Handler:
    """a + b of two tensors; an initializer operand (ConvNeXt's layer scale) is a `parameter`
    of its shape, counted as a weight: ONNX does not say whether torch kept it as a
    parameter or a buffer."""
    def handler(node: Node, ctx: Context) -> list[Step]:
        params: list[Step] = []
        for tensor in node.inputs[:2]:
            found = ctx.graph.constants.get(tensor)
            if found is not None and elements(found.shape) == 1:
                raise ctx.refuse(node, f"'{symbol}' with a number", "a .arch file merges "
                                 "tensors (a + b); scaling by a number changes no shape")
            if found is not None:
                params.append(Param(found.shape, tensor))
        if len(params) == 2:
            raise ctx.refuse(node, "merges two constants", None)
        return params + [Expr("{0} " + symbol + " {1}", node.inputs[:2], node.outputs[0])]
    return handler


def transpose(node: Node, ctx: Context) -> list[Step]:
    perm = node.attrs.get("perm")
    if not perm or perm[0] != 0:
        raise ctx.refuse(node, f"moves the batch axis (perm={perm})", "a permutation that "
                         "keeps axis 0 first")
    return [Expr("permute({0}, " + ", ".join(str(int(p)) for p in perm) + ")",
                 node.inputs[:1], node.outputs[0])]


def concat(node: Node, ctx: Context) -> list[Step]:
    if any(t in ctx.graph.constants for t in node.inputs):
        raise ctx.refuse(node, "joins a constant", "cat joins network tensors")
    refs = ", ".join("{%d}" % k for k in range(len(node.inputs)))
    comma = "," if len(node.inputs) == 1 else ""
    return [Expr(f"cat(({refs}{comma}), dim={int(node.attrs['axis'])})", node.inputs,
                 node.outputs[0])]


def flatten(node: Node, ctx: Context) -> list[Step]:
    if int(node.attrs.get("axis", 1)) != 1:
        raise ctx.refuse(node, f"flattens from axis {node.attrs['axis']}, joining the batch "
                         "with other axes", "Flatten with axis=1")
    return [Expr("flatten({0}, 1)", node.inputs[:1], node.outputs[0])]


def reshape(node: Node, ctx: Context) -> list[Step]:
    """The shape's entries: 0 copies the input's extent there (unless allowzero), the first
    is the batch's (symconv keeps the batch apart, a reshape keeps it)."""
    shape = [int(v) for v in ctx.values(node, 1, "target shape")]
    zero_copies = not node.attrs.get("allowzero", 0)
    if not shape:
        raise ctx.refuse(node, "reshapes to a scalar", None)
    parts = ["{0}.shape[0]" if shape[0] != -1 else "-1"]
    parts += ["{0}.shape[%d]" % k if v == 0 and zero_copies else str(v)
              for k, v in enumerate(shape) if k > 0]
    return [Expr("reshape({0}, " + ", ".join(parts) + ")", node.inputs[:1], node.outputs[0])]


def reduce_mean(node: Node, ctx: Context) -> list[Step]:
    axes = node.attrs.get("axes")
    if axes is None and ctx.optional(node, 1):
        axes = [int(v) for v in ctx.values(node, 1, "axes")]
    if not axes:
        raise ctx.refuse(node, "reduces every axis, the batch too", "name the axes")
    keep = ", keepdim=True" if node.attrs.get("keepdims", 1) else ""
    return [Expr(f"mean({{0}}, {tuple(axes)!r}{keep})", node.inputs[:1], node.outputs[0])]


def pad(node: Node, ctx: Context) -> list[Step]:
    pads = node.attrs.get("pads")
    if pads is None:
        pads = [int(v) for v in ctx.values(node, 1, "pads")]
    value = node.attrs.get("value", 0.0)
    if ctx.optional(node, 2):
        value = ctx.values(node, 2, "constant value")[0]
    if ctx.optional(node, 3):
        raise ctx.refuse(node, "pads the axes of its axes input", "pads for every axis")
    rank = len(pads) // 2
    n = rank - 2
    if n < 1 or n > 3 or any(pads[k] or pads[k + rank] for k in (0, 1)):
        raise ctx.refuse(node, f"pads {pads} reach the batch or channel axis", "torch's "
                         "padding layers pad the last 1 to 3 axes")
    padding: list[int] = []
    for axis in reversed(range(2, rank)):
        padding += [int(pads[axis]), int(pads[axis + rank])]
    mode = node.attrs.get("mode", "constant")
    kinds = {"reflect": "ReflectionPad", "edge": "ReplicationPad"}
    if mode == "constant":
        if value:
            return [layer(node, f"ConstantPad{n}d", tuple(padding), number(value))]
        return [layer(node, f"ZeroPad{n}d", tuple(padding))]
    if mode not in kinds:
        raise ctx.refuse(node, f"pads in mode '{mode}'", "constant, reflect or edge")
    return [layer(node, f"{kinds[mode]}{n}d", tuple(padding))]


def resize(node: Node, ctx: Context) -> list[Step]:
    """Resize (and the older Upsample) by scales or to sizes, as torch's Upsample: the scales
    of the batch and channel axes must be 1."""
    n = ctx.rank(node) - 2
    scales_at = 1 if node.op == "Upsample" or ctx.graph.opset < 11 else 2
    if node.attrs.get("axes") or node.attrs.get("keep_aspect_ratio_policy", "stretch") != \
            "stretch":
        raise ctx.refuse(node, "resizes some axes or keeps the aspect ratio", None)
    keywords: dict[str, object] = {}
    if ctx.optional(node, scales_at) and elements(ctx.constant(node, scales_at, "scales").shape):
        scales = [number(v) for v in ctx.values(node, scales_at, "scales")]
        if scales[:2] != [1.0, 1.0]:
            raise ctx.refuse(node, f"scales the batch or channel axis ({scales})", None)
        keywords["scale_factor"] = one(scales[2:])
    elif ctx.optional(node, 3):
        keywords["size"] = one([int(v) for v in ctx.values(node, 3, "sizes")][2:])
    else:
        raise ctx.refuse(node, "has neither scales nor sizes", None)
    mode = node.attrs.get("mode", "nearest")
    modes = {"nearest": "nearest", "linear": {1: "linear", 2: "bilinear", 3: "trilinear"}
             .get(n), "cubic": "bicubic" if n == 2 else None}
    if modes.get(mode) is None:
        raise ctx.refuse(node, f"resizes in mode '{mode}' on {n} axes", None)
    corners = node.attrs.get("coordinate_transformation_mode") == "align_corners"
    return [layer(node, "Upsample", **keywords, mode=modes[mode],
                  align_corners=True if corners else None)]


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
    "Flatten": flatten, "Reshape": reshape, "Transpose": transpose, "ReduceMean": reduce_mean,
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
    "Squeeze": "Reshape with a constant shape", "Unsqueeze": "Reshape with a constant shape",
    "ReduceMax": "ReduceMean (mean) has the same shapes",
    "Sum": "Add of two tensors", "InstanceNormalization": "BatchNormalization has the same "
    "shapes (InstanceNorm2d is written by hand)",
}
