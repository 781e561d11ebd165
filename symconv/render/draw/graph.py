"""The drawn graph: one node per row the table shows at a depth (a layer, or a block folded
into one), one per network input, and an edge per connection between them.

A layer record's `sources` say where each input tensor comes from (a record's index, (index,
k) for the k-th result of a call giving several, a network input's name); a folded block owns
the records `first`..`last`, so a tensor passed inside it is no edge, one coming from outside
is an edge into the block, one leaving it an edge out of it. Two connections between the
same pair of nodes (a block whose main path and shortcut both read x) are one edge.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr, Mul

from ...derivation.model import BlockRecord, Derivation, LayerRecord, Node as Source

Row = LayerRecord | BlockRecord


@dataclass(frozen=True)
class Node:
    """A drawn box: a shown row, or a network input (`row` None, its shape `shape`)."""

    key: str  # an identifier for DOT and TikZ: in0, n1, …
    name: str
    type: str
    row: Row | None = None
    shape: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class Group:
    """The nodes inside a `repeat n:` of symbolic count (the body's first pass is shown)."""

    count: Expr
    members: tuple[int, ...]


@dataclass(frozen=True)
class Graph:
    derivation: Derivation
    nodes: tuple[Node, ...]
    edges: tuple[tuple[int, int], ...]  # (from, to) node indices, in order of first use
    groups: tuple[Group, ...] = ()


def build(d: Derivation, depth: int | None = 1) -> Graph:
    """The graph of `d` with blocks folded below `depth` (None: every layer), as the table."""
    nodes = [Node(f"in{i}", name, "input", shape=shape) for i, (name, shape) in enumerate(d.inputs)]
    owner: dict[int | str, int] = {name: i for i, (name, _) in enumerate(d.inputs)}
    for row in d.rows(depth):
        index = len(nodes)
        nodes.append(Node(f"n{index - len(d.inputs)}", row.name, row.type, row))
        for record in _records(d, row):
            owner[record] = index
    return Graph(d, tuple(nodes), _edges(d, owner), _groups(d, nodes, owner))


def _records(d: Derivation, row: Row) -> range:
    """The layer records a row stands for."""
    if isinstance(row, BlockRecord):
        return range(row.first, row.last + 1)
    at = d.layer_positions[id(row)]
    return range(at, at + 1)


def _origin(source: Source) -> int | str:
    """The record (or input) a tensor comes from: the call, for any of its several results."""
    return source[0] if isinstance(source, tuple) else source


def _edges(d: Derivation, owner: dict[int | str, int]) -> tuple[tuple[int, int], ...]:
    seen: dict[tuple[int, int], None] = {}  # a dict: ordered, without repeats
    for i, layer in enumerate(d.layers):
        for source in layer.sources:
            edge = (owner[_origin(source)], owner[i])
            if edge[0] != edge[1]:
                seen.setdefault(edge)
    return tuple(seen)


def _groups(d: Derivation, nodes: list[Node], owner: dict[int | str, int]) -> tuple[Group, ...]:
    """Each symbolic repeat with the nodes it repeats: rows whose `times` has its count as a
    factor (a block holding the whole repeat is one node, its count already n·(…), and no
    group)."""
    out = []
    for r in d.repeats:
        inside = sorted({owner[i] for i in range(r.first, r.last + 1)})
        members = tuple(n for n in inside
                        if r.count in Mul.make_args(nodes[n].row.times))  # type: ignore[union-attr]
        if members:
            out.append(Group(r.count, members))
    return tuple(out)
