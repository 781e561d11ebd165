"""The `.arch` text of a traced model: blocks from the module hierarchy, then the main part.

Scopes are written from the innermost out. Scopes of one kind whose bodies differ only in
integer arguments share one block; the integers that differ become its parameters (named after
the argument they fill: `in_channels`, `stride`, …; equal columns one parameter), the others
stay literals. A block call is itself a line of its parent, so equal stages fold in turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from .body import INDENT, Body, Parts
from .literals import Arg, Fragment, Hole, LayerCall, joined, unique
from .scopes import Scope

_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")
Lines = list[list[Fragment]]


@dataclass
class Block:
    name: str
    params: list[str]
    columns: list[str | None]  # per hole of the body: its parameter, or None (a literal)
    lines: list[list[Fragment]]

    def text(self) -> str:
        head = f"block {self.name}({', '.join(self.params)}):"
        holes = iter(self.columns)
        written = [joined(line, lambda h: h.written(next(holes))) for line in self.lines]
        return "\n".join([head] + [INDENT + w for w in written])


def _holes(lines: list[list[Fragment]]) -> list[Hole]:
    return [f for line in lines for f in line if isinstance(f, Hole)]


def _skeleton(lines: list[list[Fragment]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(f if isinstance(f, str) else "?" for f in line) for line in lines)


def _base_name(scope: Scope, taken: frozenset[str]) -> str:
    """A block's name: the module's class, or for a container the attribute it sits in
    (`layer2` → Layer, `features` → Features)."""
    cls = type(scope.module).__name__
    if cls in _CONTAINERS:
        parts = [p for p in scope.path.split(".") if not p.isdigit()]
        word = (parts[-1] if parts else "block").rstrip("0123456789_") or "block"
        cls = "".join(w[:1].upper() + w[1:] for w in word.split("_"))
    return cls + "Block" if cls in taken or not cls.isidentifier() else cls


class Writer:
    """Writes every scope below the root as a block (or a call of one already written), the
    root as the main part."""

    def __init__(self, parts: Parts, layer_types: frozenset[str]) -> None:
        self.parts = parts
        parts.block_call = self._call
        self.layer_types = layer_types
        self.blocks: list[Block] = []
        self.calls: dict[Scope, LayerCall] = {}

    def _call(self, scope: Scope) -> LayerCall:
        return self.calls[scope]

    def write(self, root: Scope, inputs: list[str]) -> tuple[list[str], list[str], bool]:
        """The block definitions, the main part's lines, and whether the main part refers to
        its inputs by name."""
        by_height: dict[int, list[Scope]] = {}
        self._collect(root, by_height)
        for height in sorted(by_height):
            self._fold(by_height[height])
        main = Body(root, self.parts, inputs)
        lines = [joined(line) for line in main.lines(root.inputs[-1] if root.inputs else None)]
        return [b.text() for b in self.blocks], lines, bool(main.referenced & set(root.inputs))

    def _collect(self, scope: Scope, out: dict[int, list[Scope]]) -> None:
        for child in scope.children():
            self._collect(child, out)
            out.setdefault(child.height(), []).append(child)

    def _fold(self, scopes: list[Scope]) -> None:
        """Group the scopes of one height by kind and body; one block per group."""
        groups: dict[tuple[object, ...], list[tuple[Scope, Lines, Lines]]] = {}
        for scope in scopes:
            compact, full = (self._lines(scope, full) for full in (False, True))
            key = (_base_name(scope, self.layer_types), len(scope.inputs), _skeleton(full))
            groups.setdefault(key, []).append((scope, compact, full))
        for (base, _, _), members in groups.items():
            if len({_skeleton(compact) for _, compact, _ in members}) == 1:
                self._define(base, [(scope, compact) for scope, compact, _ in members])
            else:  # the instances need different keywords: all of them, defaults left out
                self._define(base, [(scope, full) for scope, _, full in members])

    def _lines(self, scope: Scope, full: bool) -> Lines:
        names = ["x", "y", "z"] if len(scope.inputs) <= 3 else [
            f"x{k}" for k in range(len(scope.inputs))]
        return Body(scope, self.parts, names[:len(scope.inputs)], full).lines(
            scope.inputs[0] if len(scope.inputs) == 1 else None)

    def _define(self, base: str, members: list[tuple[Scope, Lines]]) -> None:
        name = unique(base, {b.name for b in self.blocks} | self.layer_types, 2)
        holes = [_holes(lines) for _, lines in members]
        columns: list[str | None] = []
        params: dict[tuple[int | float, ...], str] = {}
        for i, first in enumerate(holes[0]):
            values = tuple(h[i].value for h in holes)
            if len(set(values)) == 1:
                columns.append(None)
                continue
            if values not in params:
                params[values] = _fresh(first.role, set(params.values()))
            columns.append(params[values])
        self.blocks.append(Block(name, list(params.values()), columns, members[0][1]))
        for index, (scope, _) in enumerate(members):
            self.calls[scope] = LayerCall(name, tuple(
                Arg(None, values[index], param) for values, param in params.items()))


def _fresh(role: str, used: set[str]) -> str:
    """`role`, or role_2, role_3, … (a role that is itself numbered counts on from its base)."""
    stem = role.rstrip("0123456789")
    return unique(stem[:-1] if stem.endswith("_") and stem != role else role, set(used), 2)
