"""The module hierarchy of a traced graph: each submodule's call becomes a scope holding the
nodes and sub-scopes it ran, in order, with the tensors it takes from outside and the one it
gives back. A scope becomes a block of the `.arch` file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    import torch
    from torch.fx import Graph, Node


@dataclass(eq=False)
class Scope:
    path: str  # the module's qualified name, "" for the model
    module: torch.nn.Module
    key: str  # torch.fx's module-stack key: the path, with "@n" for a later call
    items: list[Union[Node, Scope]] = field(default_factory=list)
    inputs: list[Node] = field(default_factory=list)
    output: Node | None = None

    def relative(self, path: str) -> str:
        """`path` (of a child or a leaf inside this scope) as this scope names it."""
        return path[len(self.path) + 1:] if self.path else path

    def nodes(self) -> list[Node]:
        out: list[Node] = []
        for item in self.items:
            out += item.nodes() if isinstance(item, Scope) else [item]
        return out

    def children(self) -> list[Scope]:
        return [i for i in self.items if isinstance(i, Scope)]

    def height(self) -> int:
        return 1 + max((c.height() for c in self.children()), default=0)


class ScopeError(Exception):
    """A module whose call cannot be one block: `node` is where it shows."""

    def __init__(self, message: str, hint: str, node: Node) -> None:
        super().__init__(message)
        self.message, self.hint, self.node = message, hint, node


def build(graph: Graph, model: torch.nn.Module) -> Scope:
    """The scope tree of `graph`: a node goes into the scopes of its module stack."""
    modules = dict(model.named_modules())
    root = Scope("", model, "")
    seen: set[str] = set()
    for node in graph.nodes:
        if node.op in ("placeholder", "output"):
            continue
        scope = root
        for key, (path, _) in _stack(node):
            scope = _enter(scope, key, path, modules, seen, node)
        scope.items.append(node)
    return root


def _stack(node: Node) -> list[tuple[str, tuple[str, type]]]:
    stack = list(node.meta.get("nn_module_stack", {}).items())
    if node.op == "call_module" and stack and stack[-1][1][0] == node.target:
        stack.pop()  # the leaf module itself
    return stack


def _enter(scope: Scope, key: str, path: str, modules: dict[str, torch.nn.Module],
           seen: set[str], node: Node) -> Scope:
    last = scope.items[-1] if scope.items else None
    if isinstance(last, Scope) and last.key == key:
        return last
    if key in seen or "@" in key:
        raise ScopeError(f"module '{path}' is called more than once, or its call is "
                         "interleaved with other steps",
                         "a block is one call of a module: call each submodule once, in one "
                         "piece", node)
    seen.add(key)
    child = Scope(path, modules[path], key)
    scope.items.append(child)
    return child


def connect(scope: Scope, deps: dict[Node, tuple[Node, ...]], final: Node) -> None:
    """Each scope's inputs (tensors made outside it, in order of first use) and its output
    (the one tensor used outside it, `final` being the model's result), for `scope` and every
    scope inside it. Uses go through inline values: `x.size(0)` outside uses x."""
    members = set(scope.nodes())
    for node in scope.nodes():
        for dep in deps.get(node, ()):
            if dep not in members and dep not in scope.inputs:
                scope.inputs.append(dep)
    if scope.path:
        used_outside = {d for n, ds in deps.items() if n not in members for d in ds} | {final}
        leaving = [n for n in scope.nodes() if n in used_outside]
        if len(leaving) != 1:
            raise ScopeError(f"module '{scope.path}' gives {len(leaving)} tensors to the rest "
                             "of the model", "a block gives back one tensor", scope.nodes()[-1])
        scope.output = leaving[0]
    for child in scope.children():
        connect(child, deps, final)


def hoist_joins(scope: Scope, deps: dict[Node, tuple[Node, ...]],
                is_join: Callable[[Node], bool]) -> None:
    """Move a child's opening join (DenseNet's `torch.cat(inputs, 1)`) out into its parent, in
    front of the child's call, where it uses every input of the child and nothing else in the
    child does: the child then takes one tensor, and children that differ only in how many
    tensors they join share one block. The join is a function, not a module: no name moves."""
    for child in scope.children():
        hoist_joins(child, deps, is_join)
        first = next((i for i in child.items if not isinstance(i, Scope) and i in deps), None)
        if first is None or child.items[0] is not first or not is_join(first):
            continue
        rest = [n for n in child.nodes() if n is not first]
        if set(deps[first]) != set(child.inputs) or any(
                d in child.inputs for n in rest for d in deps.get(n, ())):
            continue
        child.items.remove(first)
        scope.items.insert(scope.items.index(child), first)
        child.inputs = [first]


def dissolve(scope: Scope, owners: dict[str, Node]) -> None:
    """Write a module whose own weights a function reads (torchvision's LayerNorm2d: permute,
    `F.layer_norm(x, shape, self.weight, self.bias, eps)`, permute) as the steps of its
    forward in its parent's body, as the function's layer is named after the module: its
    weights then have torch's names (`features.0.1.weight`). `owners` maps each module path to
    the function call that reads its weights."""
    items: list[Node | Scope] = []
    for item in scope.items:
        if isinstance(item, Scope):
            dissolve(item, owners)
            if owners.get(item.path) in item.items:
                if item.children():
                    raise ScopeError(f"module '{item.path}' reads its own weights in a function "
                                     "and also calls submodules", "a module whose weights a "
                                     "function reads is written as that function's layer; "
                                     "keep such a module to that", owners[item.path])
                items += item.items
                continue
        items.append(item)
    scope.items = items
    for owner, node in owners.items():
        inside = owner == scope.path or owner.startswith(scope.path + "." if scope.path else "")
        if node in scope.items and not inside:  # owner == path: the parent dissolves this one
            raise ScopeError(f"module '{scope.path}' reads the weights of '{owner}', outside it",
                             "a layer's weights belong to a module inside the one calling it",
                             node)
