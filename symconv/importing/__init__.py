"""`symconv import`: an existing PyTorch, Keras or ONNX model becomes a `.arch` file with symbolic sizes.

The model is traced with torch.fx (trace.py), its module hierarchy becomes scopes (scopes.py),
leaf modules and functions become layer calls and tensor operations (modules.py,
functions.py), and each scope a block (body.py, writer.py). Loading the model runs its Python
code (loader.py); a `.arch` file never runs code. torch is imported here, never on the CLI's
other paths. A saved Keras model is read as data (keras_graph.py, keras_writer.py): its config
only, no Keras code. So is an ONNX file (onnx_graph.py, onnx_ops.py, onnx_writer.py), with the
`onnx` package's protobuf reader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Source, SymconvError
from .failure import cannot_import, frame_of_stack_trace

if TYPE_CHECKING:
    import torch
    from torch.fx import Graph, Node

    from .functions import Inline, Op
    from .literals import LayerCall
    from .scopes import Scope
    from .weights import Parameter

Shape = tuple[int | str, ...]  # an input's shape: whole numbers and size names


KERAS_SUFFIXES = (".keras", ".json")  # a saved Keras model, read as data
ONNX_SUFFIX = ".onnx"  # an ONNX file, read as data


def import_source(source: str, inputs: list[Shape], kwargs: dict[str, Any],
                  examples: dict[str, int] | None = None) -> str:
    """The `.arch` text of the model SOURCE names (`package.module:callable` or
    `path/to/file.py:callable`, called with `kwargs`; or a Keras model saved as `.keras` or
    as its JSON config; or an ONNX file), its inputs of the given shapes; `examples`, an
    example input's values of sizes, become their defaults (`sizes H=224, W=224`)."""
    return with_defaults(_imported(source, inputs, kwargs), examples or {})


def with_defaults(text: str, examples: dict[str, int]) -> str:
    """The written file's `sizes` line (the writers put one in the head) with each size of
    `examples` given its value as its default."""
    if not examples:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("sizes "):
            names = line.removeprefix("sizes ").split(", ")
            lines[i] = "sizes " + ", ".join(f"{n}={examples[n]}" if n in examples else n
                                            for n in names)
            break
    return "\n".join(lines)


def _imported(source: str, inputs: list[Shape], kwargs: dict[str, Any]) -> str:
    if source.endswith(KERAS_SUFFIXES):
        if kwargs:
            raise SymconvError("SC309", "--kwargs is for a PyTorch callable; a saved Keras "
                               "model takes none", None, Source("", source))
        return import_keras(source, inputs)
    if source.endswith(ONNX_SUFFIX):
        if kwargs:
            raise SymconvError("SC309", "--kwargs is for a PyTorch callable; an ONNX file "
                               "takes none", None, Source("", source))
        return import_onnx(source, inputs)
    from .loader import load_model

    model = load_model(source, kwargs)
    name = source.rpartition(":")[2].rpartition(".")[2]
    return import_module(model, inputs, source, name if name.isidentifier() else None)


def import_keras(path: str, inputs: list[Shape]) -> str:
    """The `.arch` text of the Keras model saved at `path` (`.keras` or JSON), read as data:
    no Keras code runs. `inputs` (batch axis left out) name the input sizes; an axis the
    model leaves free (None) needs one."""
    from .keras_graph import build, read_config
    from .keras_writer import write

    sizes = _sizes(inputs, path)
    return write(build(read_config(path, path), path), inputs, sizes, path)


def import_onnx(path: str, inputs: list[Shape]) -> str:
    """The `.arch` text (torch convention) of the ONNX model saved at `path`, read as data:
    no operator runs. `inputs` (batch axis left out) replace the file's input shapes; without
    them its numbers and dim_params (as sizes) are used."""
    import os

    from .onnx_graph import read
    from .onnx_writer import input_shape, write

    network = os.path.basename(path)[:-len(ONNX_SUFFIX)] or "model"
    graph = read(path, path)
    shapes = input_shape(graph, inputs, path)
    return write(graph, shapes, _sizes(shapes, path), network, path)


def import_module(model: torch.nn.Module, inputs: list[Shape], label: str = "<model>",
                  network: str | None = None) -> str:
    """The `.arch` text of `model` (batch axis left out of `inputs`)."""
    from .body import Parts
    from .modules import catalog, is_catalog_module
    from .writer import Writer

    sizes = _sizes(inputs, label)
    name = network or type(model).__name__.lower()
    if is_catalog_module(model):  # a layer alone: torch.fx would trace into its functional form
        return _single_layer(model, inputs, sizes, name, label)
    graph = _traced(model, len(inputs), label)
    calls, ops = _translate(graph, model, label)
    deps = {n: _deps(n, ops) for n in graph.nodes
            if n in calls or (n in ops and not _inline(ops[n]))}
    root = _scopes(graph, model, deps, ops, label)
    names = [n.name + "_" if n.name in sizes else n.name for n in root.inputs]
    # a tensor named `view` or `cat` would hide the function of that name
    reserved = frozenset(sizes) | frozenset(catalog())
    parts = Parts(calls, ops, deps, reserved)
    blocks, lines, named = Writer(parts, frozenset(catalog())).write(root, names)
    return _file(name, sizes, names, inputs, named, blocks, lines)


def _traced(model: torch.nn.Module, count: int, label: str) -> Graph:
    """The model's graph, its forward taking `count` tensors."""
    from .trace import trace

    graph = trace(model, label)
    taken = sum(1 for n in graph.nodes if n.op == "placeholder")
    if taken != count:
        raise SymconvError("SC309", f"{type(model).__name__}.forward takes {taken} "
                           f"tensor{'s' if taken != 1 else ''} but --input gives {count}",
                           None, Source("", label),
                           hint="give one --input per argument of forward")
    return graph


def _scopes(graph: Graph, model: torch.nn.Module, deps: dict[Node, tuple[Node, ...]],
            ops: dict[Node, Op | Inline | Parameter], label: str) -> Scope:
    """The module hierarchy of the graph, each scope's inputs and output found."""
    from .functions import Op
    from .scopes import ScopeError, build, connect, dissolve, hoist_joins

    root = build(graph, model)
    try:
        dissolve(root, {op.owner: n for n, op in ops.items()
                        if isinstance(op, Op) and op.owner is not None})
    except ScopeError as err:
        raise _at(err.node, err.message, err.hint, label) from None
    root.output = _output(graph, label)
    # in forward's order, as the input lines declare them
    root.inputs = [n for n in graph.nodes if n.op == "placeholder"]
    try:
        connect(root, deps, root.output)
    except ScopeError as err:
        raise _at(err.node, err.message, err.hint, label) from None
    hoist_joins(root, deps, lambda n: getattr(n.target, "__name__", n.target) in (
        "cat", "concat", "concatenate"))
    return root


def _single_layer(model: torch.nn.Module, inputs: list[Shape], sizes: list[str], name: str,
                  label: str) -> str:
    from .literals import joined
    from .modules import module_call

    call = module_call(model)
    if len(inputs) != 1 or call is None:
        raise SymconvError("SC309", f"{type(model).__name__} takes one input", None,
                           Source("", label), hint="give one --input")
    return _file(name, sizes, ["x"], inputs, False, [], [joined(call.fragments())])


def _sizes(inputs: list[Shape], label: str) -> list[str]:
    """The size names of the inputs, each once; a word of the language is refused."""
    from .literals import KEYWORDS

    names = list(dict.fromkeys(str(e) for shape in inputs for e in shape if isinstance(e, str)))
    for name in names:
        if name in KEYWORDS or not name.isidentifier():
            raise SymconvError("SC309", f"'{name}' cannot be a size name: it is a word of the "
                               ".arch language", None, Source("", label),
                               hint="name the size otherwise, e.g. H, W, C")
    return names


def _file(network: str, sizes: list[str], names: list[str], inputs: list[Shape], named: bool,
          blocks: list[str], lines: list[str]) -> str:
    head = [f"network {network}", "convention torch"]
    if sizes:
        head.append("sizes " + ", ".join(sizes))
    shapes = ["(" + ", ".join(str(e) for e in s) + ("," if len(s) == 1 else "") + ")"
              for s in inputs]
    if len(names) == 1 and not named:
        main = [f"input {shapes[0]}"]
    else:
        main = [f"input {n}: {s}" for n, s in zip(names, shapes)]
    parts = ["\n".join(head)] + blocks + ["\n".join(main + lines)]
    return "\n\n".join(parts) + "\n"


def _inline(op: object) -> bool:
    from .functions import Inline

    return isinstance(op, Inline)


def _translate(graph: Graph, model: torch.nn.Module, label: str
               ) -> tuple[dict[Node, LayerCall], dict[Node, Op | Inline | Parameter]]:
    from .functions import Unsupported, translate
    from .weights import checks, left_out, takes_weights, weight, weighted_layer

    calls: dict[Node, LayerCall] = {}
    ops: dict[Node, Op | Inline | Parameter] = {}
    inline = {}
    checked, pairs = checks(graph), _pairs(graph, model)
    for node in graph.nodes:
        if node.op == "call_module":
            calls[node] = _leaf(node, model.get_submodule(node.target), label)  # type: ignore[arg-type]
            continue
        try:
            if node in checked:
                ops[node] = left_out(node)
            elif node.op == "get_attr":
                ops[node] = weight(node, model)
            elif takes_weights(node):
                ops[node] = weighted_layer(node, model)
            elif node.op in ("call_function", "call_method"):
                ops[node] = translate(node, inline, pairs)
            else:
                continue
        except Unsupported as err:
            raise _at(node, f"cannot import the {err.what}", err.hint, label) from None
        if _inline(ops[node]):
            inline[node] = ops[node]
    return calls, ops


def _pairs(graph: Graph, model: torch.nn.Module) -> frozenset[Node]:
    """Calls of nn.MultiheadAttention, which gives (output, weights) where .arch gives one."""
    import torch

    return frozenset(n for n in graph.nodes if n.op == "call_module" and isinstance(
        model.get_submodule(n.target), torch.nn.MultiheadAttention))  # type: ignore[arg-type]


def _leaf(node: Node, module: torch.nn.Module, label: str) -> LayerCall:
    from torch.fx import Node as FxNode

    from .modules import catalog, module_call

    call = module_call(module)
    cls = type(module).__name__
    if call is None:
        from ..errors import did_you_mean

        close = _LEAF_ALTERNATIVES.get(cls) or did_you_mean(cls, sorted(catalog()))
        raise _at(node, f"module '{node.target}' ({cls}) has no .arch layer",
                  (close + "; " if close else "") + "README's Layers > PyTorch lists the "
                  "torch.nn layers symconv knows", label)
    if set(node.kwargs) - _OUTPUT_ONLY.get(cls, frozenset()) or not all(
            isinstance(a, FxNode) for a in node.args):
        raise _at(node, f"module '{node.target}' ({cls}) is called with arguments other than "
                  "tensors", "call the layer on tensors only", label)
    return call


# keywords of a module's call that change none of the shapes the .arch layer gives (the
# attention weights, the second result of nn.MultiheadAttention, which .arch does not give)
_OUTPUT_ONLY = {"MultiheadAttention": frozenset({"need_weights", "average_attn_weights"})}

# the nearest layer of the catalog for torch.nn modules it lacks
_LEAF_ALTERNATIVES = {
    **{a: "an element-wise activation: ReLU has the same shapes and counts" for a in (
        "Hardtanh", "ELU", "SELU", "CELU", "Mish", "Softplus",
        "Softsign", "Tanhshrink", "LogSigmoid", "Threshold", "GLU")},
    "LogSoftmax": "Softmax has the same shape",
    "Dropout1d": "Dropout keeps the shape as it does", "Dropout3d": "Dropout keeps the shape",
    "AlphaDropout": "Dropout keeps the shape as it does",
}


def _deps(node: Node, ops: dict[Node, Any]) -> tuple[Node, ...]:
    """The statement tensors `node` reads, through inline values (`x.size(0)` reads x)."""
    from torch.fx import Node as FxNode
    from torch.fx.node import map_arg

    found: list[Node] = []

    def visit(n: FxNode) -> FxNode:
        if n in ops and _inline(ops[n]):
            map_arg((n.args, n.kwargs), visit)
        elif n not in found:
            found.append(n)
        return n
    map_arg((node.args, node.kwargs), visit)
    return tuple(found)


def _output(graph: Graph, label: str) -> Node:
    from torch.fx import Node as FxNode

    out = next(n for n in graph.nodes if n.op == "output")
    value = out.args[0]
    if not isinstance(value, FxNode):
        raise _at(out, "the model returns several values", "symconv imports a model that "
                  "returns one tensor", label)
    return value


def _at(node: Node, message: str, hint: str | None, label: str) -> SymconvError:
    """SC309 at the model's source line that made `node`, naming its module."""
    stack = list(node.meta.get("nn_module_stack", {}).values())
    module = stack[-1][0] if stack else ""
    within = f" (in module '{module}')" if module and module not in message else ""
    where = frame_of_stack_trace(node.meta.get("stack_trace", ""))
    return cannot_import(message + within, where, hint, label)
