"""An ONNX graph (onnx_graph.py) as the `.arch` text of torch convention.

Each node becomes the steps its handler gives (onnx_ops.py), in the file's order (the nodes of
an exported nn.MultiheadAttention one layer, onnx_attention.py); a layer
keeps the node's name (`name="/layer1/layer1.0/conv1/Conv"`). A tensor is named only where a
later statement refers to it; a layer applied to the tensor just made is written bare, as
keras_writer.py does. The inputs' first axis is the batch, which a `.arch` shape leaves out;
the other axes keep their numbers and their `dim_param`s, which become sizes.
"""

from __future__ import annotations

from .keras_graph import Input as KerasInput
from .keras_graph import refuse
from .keras_writer import input_shapes
from .literals import KEYWORDS, joined, unique
from .onnx_attention import attention_layers
from .onnx_graph import Graph, Input, Node
from .onnx_ops import ALTERNATIVES, HANDLERS
from .onnx_shapes import evaluate
from .onnx_steps import Context, Expr, Layer, Multi, Param, Step

Shape = tuple[int | str, ...]


def identifier(text: str) -> str:
    """`text` as a name the .arch grammar reads: other characters become _, a word of the
    language or a leading digit gets a prefix."""
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in text).strip("_") or "t"
    return name if name.isidentifier() and name not in KEYWORDS else "t_" + name


def translate(graph: Graph, label: str) -> tuple[list[Step], Context]:
    """The steps of every node, in order; Identity (and a node another one fused) gives none."""
    ctx = Context(graph, label)
    steps: list[Step] = []
    attention = attention_layers(ctx)  # whole scopes, each one layer
    for node in graph.nodes:
        if node.index in attention:
            steps.append(_resolved(attention[node.index], ctx))
        if node.index in ctx.fused:
            continue
        extents = evaluate(node, graph, ctx.known)
        if extents is not None:  # arithmetic on extents, written where a reshape reads it
            ctx.known[node.outputs[0]] = extents
            continue
        _check_outputs(node, ctx)
        if node.op == "Identity":
            ctx.alias[node.outputs[0]] = ctx.resolve(node.inputs[0])
            continue
        handler = HANDLERS.get(node.op)
        if handler is None:
            raise _unsupported(node, ctx)
        try:
            made = handler(node, ctx)
        except (KeyError, IndexError, TypeError, ValueError) as err:
            # a file another tool wrote without an attribute or input the operator needs
            raise ctx.refuse(node, f"is not as the ONNX specification writes it "
                             f"({type(err).__name__}: {err})", "give a model onnx.checker "
                             "accepts") from None
        steps += [_resolved(step, ctx) for step in made]
        if node.op in SAME_SHAPE and node.inputs[0] not in graph.constants:
            ctx.settle(node.outputs[0], ctx.dims(node.inputs[0]))
    return steps, ctx


# operators whose output has their first input's shape
SAME_SHAPE = frozenset({"Relu", "Sigmoid", "Tanh", "HardSwish", "HardSigmoid", "LeakyRelu",
                        "Clip", "Gelu", "Softmax", "PRelu", "Dropout", "BatchNormalization",
                        "LayerNormalization"})


# their handlers read constants
MERGES = frozenset({"Add", "Sub", "Mul", "MatMul", "Concat", "Expand"})


def _check_outputs(node: Node, ctx: Context) -> None:
    """Only a node's first output may be read (a MaxPool's indices, a training
    BatchNormalization's statistics cannot)."""
    for k, tensor in enumerate(node.outputs[1:] if node.op != "Split" else (), 1):
        if tensor and (tensor in ctx.readers or tensor in ctx.graph.outputs):
            raise ctx.refuse(node, f"gives output {k}, which is read", "symconv imports "
                             "operators whose first output alone is used")
    for tensor in node.inputs[:1]:
        if tensor in ctx.graph.constants and node.op not in MERGES:
            raise ctx.refuse(node, "applies to a constant", "symconv imports operators on "
                             "the network's tensors")


def _resolved(step: Step, ctx: Context) -> Step:
    if isinstance(step, Param):
        return step
    if isinstance(step, Multi):
        return Multi(step.text, tuple(ctx.resolve(t) for t in step.tensors), step.outputs)
    if isinstance(step, Layer):
        return Layer(step.call, ctx.resolve(step.input), step.output, step.name)
    return Expr(step.text, tuple(ctx.resolve(t) for t in step.tensors), step.output)


def _unsupported(node: Node, ctx: Context) -> Exception:
    from ..errors import did_you_mean

    close = ALTERNATIVES.get(node.op) or did_you_mean(node.op, sorted(HANDLERS))
    return ctx.refuse(node, "has no .arch form", (close + "; " if close else "") +
                      "README's Importing an ONNX file lists the operators symconv reads")


def input_shape(graph: Graph, given: list[Shape], label: str) -> list[Shape]:
    """Each input's shape without its first (batch) axis: `--input`'s where given, else the
    file's numbers and dim_params (as identifiers)."""
    for inp in graph.inputs:
        if not inp.dims:
            raise refuse(f"input '{inp.tensor}' is a scalar", label, "symconv imports "
                         "inputs whose first axis is the batch")
    if given:
        keras = [KerasInput(i.tensor, i.tensor, tuple(d if isinstance(d, int) else None
                                                      for d in i.dims[1:]))
                 for i in graph.inputs]
        return input_shapes(keras, given, label)
    names: dict[str, str] = {}  # each dim_param's size, distinct names kept apart
    return [tuple(_axis(inp, d, names, label) for d in inp.dims[1:]) for inp in graph.inputs]


def _axis(inp: Input, dim: int | str | None, names: dict[str, str], label: str) -> int | str:
    if isinstance(dim, int) and dim > 0:
        return dim
    if isinstance(dim, str) and dim:
        if dim not in names:
            names[dim] = unique(identifier(dim), set(names.values()))
        return names[dim]
    raise refuse(f"input '{inp.tensor}' has an axis with neither a size nor a name", label,
                 "name it with --input, e.g. --input '(3, H, W)'")


class Writer:
    """The main part of the file: input lines, then one statement per step."""

    def __init__(self, graph: Graph, steps: list[Step], ctx: Context, sizes: list[str]) -> None:
        self.graph, self.steps, self.ctx = graph, steps, ctx
        self.used = set(sizes) | set(KEYWORDS) | _catalog()
        self.names: dict[str, str] = {}
        self.layer_names: set[str] = set()
        self.outputs = [ctx.resolve(t) for t in graph.outputs]

    def name(self, tensor: str, base: str) -> str:
        if tensor not in self.names:
            self.names[tensor] = unique(identifier(base), self.used)
        return self.names[tensor]

    def plan(self) -> tuple[list[bool], set[str]]:
        """Which steps are written bare; the tensors statements refer to by name."""
        current = self.graph.inputs[-1].tensor if self.graph.inputs else None
        bare, referenced = [], set()
        for step in self.steps:
            if isinstance(step, Param):  # a parameter line leaves the current tensor
                bare.append(False)
                continue
            if isinstance(step, Multi):  # its results are named; none is current after it
                referenced.update(step.tensors)
                bare.append(False)
                current = None
                continue
            is_bare = isinstance(step, Layer) and step.input == current
            if not is_bare:
                referenced.update([step.input] if isinstance(step, Layer) else step.tensors)
            bare.append(is_bare)
            current = step.output
        if self.outputs != [current]:
            referenced.update(self.outputs)
        return bare, referenced

    def lines(self, shapes: list[Shape]) -> list[str]:
        bare, referenced = self.plan()
        inputs = self.graph.inputs
        single = len(inputs) == 1 and inputs[0].tensor not in referenced
        out = [f"input {_shape(shapes[0])}"] if single else [
            f"input {self.name(i.tensor, i.tensor)}: {_shape(s)}" for i, s in zip(inputs, shapes)]
        for step, is_bare in zip(self.steps, bare):
            if isinstance(step, Param):
                if step.output not in self.names:
                    out.append(f"parameter {self.name(step.output, step.output)}: "
                               f"{_shape(step.shape)}")
                continue
            if isinstance(step, Multi):
                names = [self.name(t, step.text.split("(")[0]) for t in step.outputs]
                out.append(", ".join(names) + " = " + step.text.format(
                    *(self.names[t] for t in step.tensors)))
                continue
            out.append(self._statement(step, is_bare, step.output in referenced))
        made = [s.output for s in self.steps if isinstance(s, (Layer, Expr))]
        if self.outputs != made[-1:]:
            out.append("output " + ", ".join(self.names[t] for t in self.outputs))
        return out

    def _statement(self, step: Layer | Expr, bare: bool, named: bool) -> str:
        prefix = self.name(step.output, _base(step)) + " = " if named else ""
        if isinstance(step, Expr):
            return prefix + step.text.format(*(self.names[t] for t in step.tensors))
        name = unique(step.name, self.layer_names) if step.name else None
        text = joined(step.call.fragments(name))
        return prefix + text + ("" if bare else f"({self.names[step.input]})")


def _catalog() -> set[str]:
    from .modules import catalog

    return set(catalog())


def _base(step: Layer | Expr) -> str:
    """A tensor's name: the module the node came from (`conv1` of `/layer1/layer1.0/conv1/Conv`,
    torch's exporter's scope), else the operation."""
    parts = [p for p in (step.name or "").split("/") if p] if isinstance(step, Layer) else []
    if len(parts) >= 2:
        return parts[-2]
    if isinstance(step, Layer):
        return step.call.type.lower()
    if "(" in step.text.split(" ")[0]:
        return step.text.split("(")[0]
    return {"+": "add", "-": "sub", "*": "mul"}.get(step.text.split(" ")[1], "y")


def _shape(shape: Shape) -> str:
    return "(" + ", ".join(str(e) for e in shape) + ("," if len(shape) == 1 else "") + ")"


def write(graph: Graph, shapes: list[Shape], sizes: list[str], network: str, label: str) -> str:
    """The file: `shapes` are input_shape's, `sizes` the names they hold."""
    steps, ctx = translate(graph, label)
    head = [f"network {identifier(network)}", "convention torch"]
    if sizes:
        head.append("sizes " + ", ".join(sizes))
    body = Writer(graph, steps, ctx, sizes).lines(shapes)
    return "\n".join(head) + "\n\n" + "\n".join(body) + "\n"
