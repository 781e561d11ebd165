"""The steps an ONNX operator becomes (a layer call, a tensor operation, a `parameter` line),
and what its handler reads beside its node (Context). The handlers are in onnx_ops.py (the
registry, activations and normalisation), onnx_spatial.py (windows, padding, resizing) and
onnx_tensors.py (Linear, merges, reshapes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .keras_graph import refuse
from .literals import Arg, LayerCall
from .onnx_graph import Constant, Graph, Node
from .onnx_shapes import Extents


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


@dataclass(frozen=True)
class Multi:
    """A tensor operation that gives several tensors (`a, b = split(x, (4, 4), dim=1)`)."""

    text: str
    tensors: tuple[str, ...]
    outputs: tuple[str, ...]


Step = Layer | Expr | Param | Multi


class Context:
    """What a handler reads besides its node: constants, ranks, the nodes reading a tensor."""

    def __init__(self, graph: Graph, label: str) -> None:
        self.graph, self.label = graph, label
        self.readers: dict[str, list[Node]] = {}
        for node in graph.nodes:
            for tensor in node.inputs:
                self.readers.setdefault(tensor, []).append(node)
        self.alias: dict[str, str] = {}  # an Identity's output is its input
        self.fused: set[int] = set()  # nodes a handler took into its own (MatMul's Add)
        self.known: dict[str, Extents] = {}  # extents the graph computes (onnx_shapes.py)

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

    def dims(self, tensor: str) -> tuple[int | None, ...]:
        return self.graph.fixed.get(tensor, ())

    def settle(self, tensor: str, dims: tuple[int | None, ...] | list[int | None]) -> None:
        """Add what a handler knows of a tensor's fixed extents to what inference found
        (ONNX's inference stops at a Slice or Reshape to computed bounds; the Shape nodes
        after it read the channels here)."""
        have = self.graph.fixed.get(tensor)
        if have is not None and len(have) == len(dims):
            dims = tuple(a if a is not None else b for a, b in zip(have, dims))
        self.graph.fixed[tensor] = tuple(dims)
        self.graph.ranks.setdefault(tensor, len(dims))

    def refuse(self, node: Node, what: str, hint: str | None) -> Exception:
        return refuse(f"{describe(node)} {what}", self.label, hint)


def describe(node: Node) -> str:
    """`node 'name' (#index, Op)`: its name, its place in the file's node list, its operator."""
    if not node.name:
        return f"node #{node.index} ({node.op})"
    return f"node '{node.name}' (#{node.index}, {node.op})"


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
