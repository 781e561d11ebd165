"""An ONNX file's graph, read as data with the `onnx` package: a protobuf is parsed, no
operator runs and no external weight file is opened (weights matter by their shapes only).

The graph is the file's node list (ONNX keeps nodes in an order where each reads only tensors
made before it), its inputs without the initializers listed among them, and its constants: the
initializers, the outputs of `Constant` nodes and `Identity` copies of either (the PyTorch
exporter shares equal initializers that way), and transposed weights (their shapes only). Small constants keep their values, which the
operators read as arguments (a Reshape's shape, a Pad's pads, a Clip's bounds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import Source, SymconvError

if TYPE_CHECKING:
    import onnx

VALUES_UP_TO = 64  # a constant of at most this many elements keeps its values


@dataclass(frozen=True)
class Constant:
    shape: tuple[int, ...]
    values: tuple[float | int, ...] | None  # flat, for small constants only


@dataclass(frozen=True)
class Input:
    tensor: str
    dims: tuple[int | str | None, ...]  # a number, a dim_param, or None when neither is set


@dataclass(frozen=True)
class Node:
    index: int  # its place in the file's node list
    op: str
    name: str
    inputs: tuple[str, ...]  # "" for an optional input left out
    outputs: tuple[str, ...]
    attrs: dict[str, Any]


@dataclass
class Graph:
    name: str
    opset: int
    inputs: list[Input] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    constants: dict[str, Constant] = field(default_factory=dict)
    ranks: dict[str, int] = field(default_factory=dict)  # from ONNX's own shape inference
    # the extents that inference finds fixed (channels), None where they vary (H, W, batch)
    fixed: dict[str, tuple[int | None, ...]] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)


def unreadable(message: str, label: str, hint: str | None = None) -> SymconvError:
    return SymconvError("SC001", message, None, Source("", label), hint=hint)


def read(path: str, label: str) -> Graph:
    """The graph of the ONNX model saved at `path`."""
    try:
        import onnx
    except ImportError:
        raise SymconvError("SC309", "reading an ONNX file needs the onnx package", None,
                           Source("", label), hint="pip install 'symconv[import]'") from None
    try:
        model = onnx.load(path, load_external_data=False)
    except OSError as err:
        raise unreadable(f"cannot read {path}: {err.strerror or err}", label) from None
    except Exception as err:  # protobuf's DecodeError and kin: not a model file
        raise unreadable(f"{path} is not an ONNX model ({type(err).__name__}: {err})", label,
                         "give a file written by torch.onnx.export or onnx.save") from None
    if not model.graph.node or not model.graph.output:
        raise unreadable(f"{path} holds no ONNX graph", label,
                         "give a file written by torch.onnx.export or onnx.save")
    return _graph(model, label)


def _graph(model: onnx.ModelProto, label: str) -> Graph:
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                default=1)
    graph = Graph(model.graph.name, opset)
    for tensor in model.graph.initializer:
        graph.constants[tensor.name] = _constant(tensor)
    for value in model.graph.input:
        if value.name not in graph.constants:
            graph.inputs.append(Input(value.name, _dims(value)))
    for k, proto in enumerate(model.graph.node):
        node = _node(k, proto, label)
        if not _constant_node(node, graph.constants):
            graph.nodes.append(node)
    graph.outputs = [v.name for v in model.graph.output]
    graph.fixed = _inferred(model)
    graph.ranks = {name: len(dims) for name, dims in graph.fixed.items()}
    return graph


def _dims(value: onnx.ValueInfoProto) -> tuple[int | str | None, ...]:
    dims = value.type.tensor_type.shape.dim
    return tuple(d.dim_value if d.HasField("dim_value") else
                 d.dim_param if d.HasField("dim_param") else None for d in dims)


def _constant(tensor: onnx.TensorProto) -> Constant:
    from onnx import numpy_helper

    shape = tuple(int(d) for d in tensor.dims)
    values = None
    if elements(shape) <= VALUES_UP_TO:
        try:
            values = tuple(numpy_helper.to_array(tensor).reshape(-1).tolist())
        except Exception:  # data kept in an external file, which is not read
            values = None
    return Constant(shape, values)


def elements(dims: object) -> int:
    count = 1
    for d in dims:  # type: ignore[attr-defined]
        count *= int(d)
    return count


def _node(index: int, proto: onnx.NodeProto, label: str) -> Node:
    from onnx import TensorProto, helper

    attrs: dict[str, Any] = {}
    for attr in proto.attribute:
        value = helper.get_attribute_value(attr)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        elif isinstance(value, TensorProto):
            value = _constant(value)
        elif isinstance(value, list):
            value = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in value]
        attrs[attr.name] = value
    if proto.domain not in ("", "ai.onnx"):
        raise SymconvError("SC309", f"node '{proto.name}' (#{index}, {proto.domain}."
                           f"{proto.op_type}) is an operator of the domain '{proto.domain}'",
                           None, Source("", label), hint="symconv imports the standard ONNX "
                           "operators (domain ai.onnx)")
    return Node(index, proto.op_type, proto.name, tuple(proto.input), tuple(proto.output), attrs)


def _constant_node(node: Node, constants: dict[str, Constant]) -> bool:
    """Record the output of a Constant node, or an Identity of a constant, as a constant."""
    if node.op == "Constant" and len(node.outputs) == 1:
        value = _attribute_constant(node.attrs)
        if value is not None:
            constants[node.outputs[0]] = value
            return True
    if node.op == "Identity" and node.inputs and node.inputs[0] in constants:
        constants[node.outputs[0]] = constants[node.inputs[0]]
        return True
    if node.op == "Transpose" and node.inputs and node.inputs[0] in constants:
        # a Linear's weight transposed for its MatMul, when the exporter did not fold it
        shape = constants[node.inputs[0]].shape
        perm = node.attrs.get("perm") or list(reversed(range(len(shape))))
        constants[node.outputs[0]] = Constant(tuple(shape[p] for p in perm), None)
        return True
    return False


def _attribute_constant(attrs: dict[str, Any]) -> Constant | None:
    if isinstance(attrs.get("value"), Constant):
        return attrs["value"]
    for key in ("value_float", "value_int"):
        if key in attrs:
            return Constant((), (attrs[key],))
    for key in ("value_floats", "value_ints"):
        if key in attrs:
            values = tuple(attrs[key])
            return Constant((len(values),), values if len(values) <= VALUES_UP_TO else None)
    return None


def _inferred(model: onnx.ModelProto) -> dict[str, tuple[int | None, ...]]:
    """Each tensor's extents, as ONNX's shape inference (C++, data only) finds them: a number
    where it is fixed, None where it is not known."""
    import onnx
    from onnx import helper

    # the weights as typed inputs: inference needs their shapes, and copying their data made
    # it 9 of vgg11_bn's 14 s
    small = [t for t in model.graph.initializer if elements(t.dims) <= VALUES_UP_TO]
    typed = [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
             for t in model.graph.initializer if elements(t.dims) > VALUES_UP_TO]
    light = helper.make_model(helper.make_graph(
        list(model.graph.node), "light", list(model.graph.input) + typed,
        list(model.graph.output), small), opset_imports=list(model.opset_import),
        ir_version=model.ir_version)
    try:
        inferred = onnx.shape_inference.infer_shapes(light, data_prop=True)
    except Exception:  # a model its inference rejects: ranks stay unknown, ops ask for them
        return {}
    values = list(inferred.graph.value_info) + list(inferred.graph.output) + list(
        inferred.graph.input)
    return {v.name: tuple(d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None
                          for d in v.type.tensor_type.shape.dim)
            for v in values if v.type.tensor_type.HasField("shape")}
