"""ONNX window operators (Conv, ConvTranspose, pools), Pad and Resize as torch layers.

ONNX writes `pads` as all the begins then all the ends, and strides default to 1 (torch's pools
default to the kernel): a keyword is written where it differs from torch's default.
"""

from __future__ import annotations

from .literals import Arg, LayerCall
from .onnx_graph import Node, elements
from .onnx_steps import Context, Handler, Layer, Step, layer, number, one


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
