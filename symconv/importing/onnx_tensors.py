"""ONNX's Gemm and MatMul as Linear, and the operators on whole tensors (merges, Concat,
Flatten, Reshape, Transpose, ReduceMean) as the .arch language's tensor operations.
"""

from __future__ import annotations

from .literals import LayerCall
from .onnx_graph import Node, elements
from .onnx_shapes import MARK, number_of
from .onnx_steps import Context, Expr, Handler, Layer, Multi, Param, Step, layer


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
    source = ctx.dims(node.inputs[0])
    if len(source) == len(perm):
        ctx.settle(node.outputs[0], [source[p] for p in perm])
    return [Expr("permute({0}, " + ", ".join(str(int(p)) for p in perm) + ")",
                 node.inputs[:1], node.outputs[0])]


def concat(node: Node, ctx: Context) -> list[Step]:
    if any(t in ctx.graph.constants for t in node.inputs):
        raise ctx.refuse(node, "joins a constant", "cat joins network tensors")
    axis, shapes = int(node.attrs["axis"]), [ctx.dims(t) for t in node.inputs]
    if shapes[0] and all(len(d) == len(shapes[0]) for d in shapes):
        axis_of = axis % len(shapes[0])
        joined = [next((d[k] for d in shapes if d[k] is not None), None)
                  for k in range(len(shapes[0]))]
        along = [d[axis_of] for d in shapes]
        joined[axis_of] = sum(along) if None not in along else None  # type: ignore[arg-type]
        ctx.settle(node.outputs[0], joined)
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
    is the batch's (symconv keeps the batch apart, a reshape keeps it). A shape the graph
    computes from extents (onnx_shapes.py) gives those extents."""
    if node.inputs[1] in ctx.known:
        terms = list(ctx.known[node.inputs[1]].terms)
    else:
        terms = [str(int(v)) for v in ctx.values(node, 1, "target shape")]
    if not terms:
        raise ctx.refuse(node, "reshapes to a scalar", None)
    zero_copies = not node.attrs.get("allowzero", 0)
    batch = terms[0] == "-1" or terms[0].endswith(".shape[0]") and terms[0].count(MARK) == 2
    parts = [terms[0] if batch else "{0}.shape[0]"]
    parts += ["{0}.shape[%d]" % k if t == "0" and zero_copies else t
              for k, t in enumerate(terms) if k > 0]
    source = ctx.dims(node.inputs[0])
    ctx.settle(node.outputs[0], [None] + [
        int(t) if t.lstrip("-").isdigit() and int(t) > 0 else
        source[k] if t == "0" and zero_copies and k < len(source) else None
        for k, t in enumerate(terms) if k > 0])
    return [_marked("reshape({0}, " + ", ".join(parts) + ")", node)]


def _marked(text: str, node: Node) -> Expr:
    """The node's operation on its first input written by `text`, whose extents read other
    tensors' `.shape` between MARKs: each becomes a reference {k}."""
    tensors = [node.inputs[0]]
    pieces = text.split(MARK)  # tensor names at the odd places
    for k in range(1, len(pieces), 2):
        if pieces[k] not in tensors:
            tensors.append(pieces[k])
        pieces[k] = "{%d}" % tensors.index(pieces[k])
    return Expr("".join(pieces), tuple(tensors), node.outputs[0])


def expand(node: Node, ctx: Context) -> list[Step]:
    """Expand to a shape the graph computes (torch's `cls.expand(x.shape[0], -1, -1)`) or
    holds: ONNX broadcasts both ways, so a target 1 keeps the source's extent (`-1` of
    torch's expand), any other target is the extent. An initializer expanded (ViT's class
    token) is a `parameter` of its shape; expanded to the batch it becomes a network tensor."""
    if node.inputs[1] in ctx.known:
        terms = list(ctx.known[node.inputs[1]].terms)
    else:
        terms = [str(int(v)) for v in ctx.values(node, 1, "target shape")]
    found = ctx.graph.constants.get(node.inputs[0])
    source = found.shape if found is not None else ctx.dims(node.inputs[0])
    lead = len(terms) - len(source)
    if lead < 0:
        raise ctx.refuse(node, f"expands {len(source)} axes to {len(terms)}", "a shape with "
                         "at least the tensor's axes")
    sizes = ["-1" if t == "1" and k >= lead else t for k, t in enumerate(terms)]
    step = _marked("expand({0}, " + ", ".join(sizes) + ")", node)
    return ([Param(found.shape, node.inputs[0])] if found is not None else []) + [step]


def gather(node: Node, ctx: Context) -> list[Step]:
    """One index along an axis other than the batch's (x[:, 0], ViT's class token out):
    `select(x, 1, 0)`."""
    index = ctx.constant(node, 1, "index")
    axis = int(node.attrs.get("axis", 0))
    rank = ctx.rank(node)
    if index.shape or index.values is None:
        raise ctx.refuse(node, f"gathers an index of shape {index.shape}", "one index (a "
                         "scalar), as x[:, 0] exports: select(x, 1, 0)")
    if axis % rank == 0:
        raise ctx.refuse(node, "indexes the batch axis (axis 0)", "an index along another "
                         "axis, x[:, 0], is select(x, 1, 0)")
    source = list(ctx.dims(node.inputs[0]))
    if len(source) == rank:
        ctx.settle(node.outputs[0], source[:axis % rank] + source[axis % rank + 1:])
    return [Expr(f"select({{0}}, {axis}, {int(index.values[0])})", node.inputs[:1],
                 node.outputs[0])]


def split(node: Node, ctx: Context) -> list[Step]:
    """Split into the sizes of its split input (or attribute), else into equal pieces, as
    torch's chunk exports."""
    axis = int(node.attrs.get("axis", 0))
    sizes = node.attrs.get("split")
    if sizes is None and ctx.optional(node, 1):
        sizes = [int(v) for v in ctx.values(node, 1, "split")]
    refs = tuple(node.outputs)
    if sizes:
        return [Multi(f"split({{0}}, {tuple(int(v) for v in sizes)!r}, dim={axis})",
                      node.inputs[:1], refs)]
    return [Multi(f"chunk({{0}}, {len(refs)}, dim={axis})", node.inputs[:1], refs)]


def reduce_mean(node: Node, ctx: Context) -> list[Step]:
    axes = node.attrs.get("axes")
    if axes is None and ctx.optional(node, 1):
        axes = [int(v) for v in ctx.values(node, 1, "axes")]
    if not axes:
        raise ctx.refuse(node, "reduces every axis, the batch too", "name the axes")
    keep = ", keepdim=True" if node.attrs.get("keepdims", 1) else ""
    return [Expr(f"mean({{0}}, {tuple(axes)!r}{keep})", node.inputs[:1], node.outputs[0])]


def squeeze(node: Node, ctx: Context) -> list[Step]:
    """Squeeze or Unsqueeze of one named axis (an attribute before opset 13, an input after)."""
    axes = node.attrs.get("axes")
    if axes is None and ctx.optional(node, 1):
        axes = [int(v) for v in ctx.values(node, 1, "axes")]
    if not axes or len(axes) != 1:
        raise ctx.refuse(node, f"names the axes {axes}", "one axis, as torch's squeeze(dim) "
                         "and unsqueeze(dim) take")
    return [Expr(f"{node.op.lower()}({{0}}, {int(axes[0])})", node.inputs[:1], node.outputs[0])]


def slice_(node: Node, ctx: Context) -> list[Step]:
    """A Slice of one fixed extent by numbers, step 1, as torch exports chunk and x[:, a:b]:
    `split(x, (a, b - a, L - b), dim)[k]`, the piece it keeps (the .arch language has no
    slices)."""
    starts, ends, axes, steps = (_numbers(node, ctx, k) for k in (1, 2, 3, 4))
    if starts is None or ends is None or len(starts) != 1 or steps not in (None, [1]):
        raise ctx.refuse(node, "slices by computed bounds, more than one axis or a step",
                         "a Slice of one axis whose bounds are numbers (or fixed extents)")
    axis = axes[0] if axes else 0
    extents = ctx.graph.fixed.get(node.inputs[0], ())
    length = extents[axis] if -len(extents) <= axis < len(extents) else None
    if length is None or axis % len(extents) == 0:
        raise ctx.refuse(node, f"slices axis {axis}, whose extent is not fixed", "a Slice of "
                         "a fixed axis (the channels)")
    begin, end = (min(max(v + length if v < 0 else v, 0), length) for v in (starts[0], ends[0]))
    pieces = [p for p in (begin, end - begin, length - end) if p > 0]
    if end <= begin:
        raise ctx.refuse(node, "keeps nothing", None)
    kept = list(extents)
    kept[axis] = end - begin
    ctx.settle(node.outputs[0], kept)
    return [Expr(f"split({{0}}, {tuple(pieces)!r}, dim={axis})[{1 if begin else 0}]",
                 node.inputs[:1], node.outputs[0])]


def _numbers(node: Node, ctx: Context, k: int) -> list[int] | None:
    if not ctx.optional(node, k):
        return None
    if node.inputs[k] in ctx.known:
        return number_of(ctx.known[node.inputs[k]])
    return [int(v) for v in ctx.values(node, k, "bound")]
