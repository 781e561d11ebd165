"""A node's label as plain text (DOT, SVG, and the sizes the layout gives every format): its
name, its type (× n inside a symbolic repeat), its output shape and its parameters, each
written as the table writes it, a long one folded as the table folds it."""

from __future__ import annotations

from ..common import outputs_cell, param_cell, shape_cell, times_text
from ..fold import fold
from .graph import Graph, Node

WIDTH = 40  # characters: a longer line (a block's summed count) is folded


def parts(graph: Graph, node: Node) -> tuple[str, str, str, str]:
    """(name, type, output shape, parameters); parameters empty for a network input."""
    d = graph.derivation
    if node.row is None:
        return node.name, "input", shape_cell(node.shape, d.convention), ""
    row = node.row
    counted = not (getattr(row, "shares", None) or getattr(row, "tied", ()))
    return (row.name, row.type + times_text(row), outputs_cell(row, d),
            param_cell(d, row) + (" params" if counted else ""))  # else: shared (relu)


def lines(graph: Graph, node: Node) -> list[str]:
    """The label's lines, folded to `WIDTH` characters; the name whole (a name cannot break
    in TeX either, and the box must hold it)."""
    name, *rest = parts(graph, node)
    return [name, *(line for part in rest if part for line in fold(part, WIDTH))]
