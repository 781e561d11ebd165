"""One scope's statements: the lines of a block body (or of the file's main part).

Tensors get names only where a statement refers to them; a layer applied to the tensor just
made is written bare, as a person writes a chain. A `nn.Sequential` whose children are called
in order is written unnamed (the language numbers them as nn.Sequential does) with runs of equal
children as `repeat`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from .functions import Inline, Op
from .literals import KEYWORDS, Fragment, Hole, LayerCall, unique
from .scopes import Scope
from .weights import Parameter

if TYPE_CHECKING:
    from torch.fx import Node

Item = Union["Node", Scope]
INDENT = "    "


@dataclass
class Parts:
    """What the body needs from the rest of the import."""

    calls: dict[Node, LayerCall]  # leaf modules
    ops: dict[Node, Op | Inline | Parameter]  # functions, methods, weights
    deps: dict[Node, tuple[Node, ...]]  # each statement's tensors
    reserved: frozenset[str]  # names no tensor may take (sizes, the language's functions)
    # a child scope's block call with its arguments: the Writer's, which defines the blocks
    block_call: Callable[[Scope], LayerCall] | None = None


def _value(item: Item) -> Node:
    return item.output if isinstance(item, Scope) else item  # type: ignore[return-value]


class Body:
    """The statements of one scope, with the names its tensors need; `lines()` writes them."""

    def __init__(self, scope: Scope, parts: Parts, input_names: list[str],
                 full: bool = False) -> None:
        self.scope, self.parts, self.full = scope, parts, full  # full: see LayerCall.fragments
        self.items = [i for i in scope.items
                      if isinstance(i, Scope) or not isinstance(parts.ops.get(i), Inline)]
        self.names: dict[Node, str] = dict(zip(scope.inputs, input_names))
        self.used = set(input_names) | parts.reserved
        self.referenced: set[Node] = set()
        self.shared = self._shared()
        # functions written as layers are named in the scope, as the language names `add`:
        # relu, relu_1, … (torch.fx's names count through the whole model)
        self.layer_names = {n for n in map(self._relative, self.items) if n is not None}
        self.op_names: dict[Node, str] = {}

    def _shared(self) -> dict[str, Node]:
        """Leaf modules this scope calls more than once: `shared name = Layer(…)`."""
        targets = [i.target for i in self.items if not isinstance(i, Scope)
                   and i.op == "call_module"]
        return {t: next(i for i in self.items if not isinstance(i, Scope) and i.target == t)
                for t in dict.fromkeys(targets) if targets.count(t) > 1}  # type: ignore[misc]

    def _layer_like(self, item: Item) -> bool:
        op = self.parts.ops.get(item) if not isinstance(item, Scope) else None
        return op is None or getattr(op, "layer", None) is not None

    def _parameter(self, item: Item) -> Parameter | None:
        op = self.parts.ops.get(item) if not isinstance(item, Scope) else None
        return op if isinstance(op, Parameter) else None

    def _tensors(self, item: Item) -> tuple[Node, ...]:
        if isinstance(item, Scope):
            return tuple(item.inputs)
        if item.op == "call_module":  # as called: attention's (q, kv, kv) keeps three
            args = tuple(self._aliased(a) for a in item.args)  # type: ignore[arg-type]
            self_attention = self.parts.calls[item].type == "MultiheadAttention"
            return args[:1] if self_attention and len(set(args)) == 1 else args  # type: ignore[return-value]
        return self.parts.deps[item]

    def _aliased(self, node: Node) -> Node:
        """The tensor an inline value stands for (attention's `out, _ = attn(…)`)."""
        op = self.parts.ops.get(node)
        return op.tensors[0] if isinstance(op, Inline) and len(op.tensors) == 1 else node

    def plan(self, current: Node | None) -> list[bool]:
        """Which items are written bare; marks the tensors others refer to."""
        bare = []
        for item in self.items:
            tensors = self._tensors(item)
            is_bare = self._layer_like(item) and current is not None and tensors == (current,)
            if not is_bare:
                self.referenced.update(tensors)
            bare.append(is_bare)
            if self._parameter(item) is None:  # a weight is not the running tensor
                current = _value(item)
        if self.scope.output is not None and self.items and _value(self.items[-1]) != self.scope.output:
            self.referenced.add(self.scope.output)  # type: ignore[arg-type]
        return bare

    def numbered(self, bare: list[bool]) -> bool:
        """A Sequential called child by child in order: the language's numbering names them."""
        import torch

        if not isinstance(self.scope.module, torch.nn.Sequential) or self.shared:
            return False
        names = [self._relative(i) for i in self.items]
        return all(bare) and names == [str(k) for k in range(len(names))] and all(
            isinstance(i, Scope) or i.op == "call_module" for i in self.items)

    def _relative(self, item: Item) -> str | None:
        if isinstance(item, Scope):
            return self.scope.relative(item.path)
        if item.op == "call_module":
            return self.scope.relative(item.target)  # type: ignore[arg-type]
        owner = getattr(self.parts.ops.get(item), "owner", None)
        return self.scope.relative(owner) if owner else None

    def _op_name(self, node: Node) -> str:
        owned = self._relative(node)  # a function's layer named after the module it stands for
        if owned is not None:
            return owned
        if node not in self.op_names:
            target = node.target
            base = target if isinstance(target, str) else getattr(target, "__name__", node.name)
            self.op_names[node] = unique(base, self.layer_names)
        return self.op_names[node]

    def name(self, node: Node, base: str) -> str:
        if node not in self.names:
            base = base.replace(".", "_")
            if not base.isidentifier() or base in KEYWORDS:
                base = "t" + base if base.isidentifier() or base[:1].isdigit() else "t"
            self.names[node] = unique(base, self.used)
        return self.names[node]

    def ref(self, node: Node) -> str:
        op = self.parts.ops.get(node)
        if isinstance(op, Inline):
            return op.text(self.ref)
        return self.names[node]

    def lines(self, current: Node | None) -> list[list[Fragment]]:
        bare = self.plan(current)
        numbered = self.numbered(bare)
        out: list[list[Fragment]] = self._input_line() + self._shared_lines()
        body = [self._statement(item, b, numbered) for item, b in zip(self.items, bare)]
        out += _repeats(body) if numbered else body
        output = self.scope.output
        if output is not None and self.items and _value(self.items[-1]) != output:
            out.append([f"output {self.names[output]}"])  # type: ignore[index]
        return out

    def _input_line(self) -> list[list[Fragment]]:
        if not self.scope.path:
            return []
        if len(self.scope.inputs) > 1 or self.referenced & set(self.scope.inputs):
            return [["input " + ", ".join(self.names[i] for i in self.scope.inputs)]]
        return []

    def _shared_lines(self) -> list[list[Fragment]]:
        out: list[list[Fragment]] = []
        for target, node in self.shared.items():
            local = self.scope.relative(target)
            var = self.name(_SharedKey(target), local)  # type: ignore[arg-type]
            given = None if var == local else local
            out.append([f"shared {var} = ", *self.parts.calls[node].fragments(given, self.full)])
        return out

    def _statement(self, item: Item, bare: bool, numbered: bool) -> list[Fragment]:
        parameter = self._parameter(item)
        if parameter is not None:  # named as torch names the attribute
            return parameter.fragments(self.name(item, parameter.attr))  # type: ignore[arg-type]
        value = _value(item)
        prefix = ""
        if value in self.referenced:
            prefix = self.name(value, self._relative(item) or self._op_name(value)) + " = "
        applied = "" if bare else "(" + ", ".join(self.ref(t) for t in self._tensors(item)) + ")"
        if isinstance(item, Scope):
            name = None if numbered else self.scope.relative(item.path)
            call = self.parts.block_call(item)  # type: ignore[misc]
            return [prefix, *call.fragments(name), applied]
        if item.op == "call_module":
            if item.target in self.shared:
                var = self.names[_SharedKey(item.target)]  # type: ignore[index]
                return [prefix, f"{var}({'' if bare else applied[1:-1]})"]
            name = None if numbered else self.scope.relative(item.target)  # type: ignore[arg-type]
            return [prefix, *self.parts.calls[item].fragments(name, self.full),
                    applied]
        op = self.parts.ops[item]
        if op.layer is not None:  # type: ignore[union-attr]
            return [prefix, *op.layer.fragments(self._op_name(item)),  # type: ignore[union-attr]
                    applied]
        return [prefix, op.text(self.ref)]  # type: ignore[union-attr, misc]


@dataclass(frozen=True)
class _SharedKey:
    """The name of a shared layer's variable, kept beside the tensors' names."""

    target: str


def _repeats(lines: list[list[Fragment]]) -> list[list[Fragment]]:
    """Runs of equal statements as `repeat k:` (the count a hole: it may become a parameter)."""
    out: list[list[Fragment]] = []
    i = 0
    while i < len(lines):
        j = i
        while j + 1 < len(lines) and lines[j + 1] == lines[i]:
            j += 1
        if j > i:
            out += [["repeat ", Hole(j - i + 1, "blocks"), ":"], [INDENT, *lines[i]]]
        else:
            out.append(lines[i])
        i = j + 1
    return out
