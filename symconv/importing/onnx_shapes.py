"""The shape arithmetic an exporter writes for a reshape to a computed shape, evaluated to the
extents of the `.arch` reshape: `x.view(b, g, c // g, h, w)` with `b, c, h, w = x.size()`
becomes Shape → Gather → Div → Unsqueeze → Concat → Reshape, here
`reshape(x, x.shape[0], 2, 58, x.shape[2], x.shape[3])`: an extent ONNX's shape inference
finds fixed (c = 116 channels) is its number, and arithmetic on numbers is done here.

A node whose inputs are all integer constants or such extents is evaluated here and written nowhere:
its value is a tuple of terms, the `.arch` text of each entry, where `MARK + tensor + MARK`
stands for a tensor whose `.shape` the term reads (named by the writer). Only integer
arithmetic on extents is followed (Shape, Gather, Slice, Unsqueeze, Squeeze, Reshape to one
axis, Concat, Cast, Add, Sub, Mul, Div: ONNX's Div truncates, `//` floors, the same for the
positive extents of a valid network); anything else stays an operator of the graph. So is
torch's `expand(n, -1, -1)`, exported as Where(Equal(s, −1), ConstantOfShape(Shape(s)), s):
the entries −1 become 1, as ONNX's Expand broadcasts them (`Equal` is decided for numbers, and
for an extent read, never negative, against a negative number; else it is not followed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .onnx_graph import Graph, Node

MARK = "\x00"  # around a tensor's name inside a term; no ONNX name holds it


@dataclass(frozen=True)
class Extents:
    terms: tuple[str, ...]
    scalar: bool  # a 0-d tensor (Gather of one index), not a 1-d list


_LEFT_OUT = Extents((), False)  # an optional input not given (a Slice's axes)
SHAPE_OPS = frozenset({"Shape", "Gather", "Slice", "Unsqueeze", "Squeeze", "Concat", "Cast",
                       "Add", "Sub", "Mul", "Div", "Reshape", "Identity", "ConstantOfShape",
                       "Equal", "Where"})
TRUTH = ("False", "True")  # the terms of Equal's answers, which only Where reads
_SYMBOLS = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "//"}


def evaluate(node: Node, graph: Graph, known: dict[str, Extents]) -> Extents | None:
    """The node's value when it computes extents from extents and constants, else None."""
    if node.op not in SHAPE_OPS or len(node.outputs) != 1:
        return None
    if node.op == "Shape" and node.inputs[0] in known and not node.attrs:  # the length of a list of extents
        return Extents((str(len(known[node.inputs[0]].terms)),), False)
    if node.op == "Shape":
        return _shape(node, graph)
    values = [_value(t, graph, known) if t else _LEFT_OUT for t in node.inputs]
    if any(v is None for v in values):
        return None
    return _apply(node, values)  # type: ignore[arg-type]


def _shape(node: Node, graph: Graph) -> Extents | None:
    rank = graph.ranks.get(node.inputs[0])
    if rank is None:
        return None
    start, end = node.attrs.get("start", 0), node.attrs.get("end", rank)
    axes = range(rank)[slice(start, end)]
    fixed = graph.fixed.get(node.inputs[0], ())
    # a fixed extent (the channels) is its number, so that the arithmetic on it folds
    return Extents(tuple(str(fixed[i]) if i and fixed[i] else
                         f"{MARK}{node.inputs[0]}{MARK}.shape[{i}]" for i in axes), False)


def _value(tensor: str, graph: Graph, known: dict[str, Extents]) -> Extents | None:
    if tensor in known:
        return known[tensor]
    found = graph.constants.get(tensor)
    if found is None or found.values is None or len(found.shape) > 1:
        return None
    if any(float(v) != int(v) for v in found.values):
        return None
    return Extents(tuple(str(int(v)) for v in found.values), not found.shape)


def _apply(node: Node, values: list[Extents]) -> Extents | None:
    first = values[0]
    if node.op in ("Cast", "Identity"):
        return first
    if node.op in _SYMBOLS:
        return _arithmetic(_SYMBOLS[node.op], first, values[1])
    if node.op == "Concat":
        return Extents(tuple(t for v in values for t in v.terms), False)
    if node.op == "Unsqueeze" and first.scalar:
        return Extents(first.terms, False)
    if node.op == "Squeeze" and len(first.terms) == 1:
        return Extents(first.terms, True)
    if node.op == "Reshape" and len(values) == 2 and len(values[1].terms) == 1:
        return Extents(first.terms, False)  # to [-1] or [n]: a list, as torch.export writes
    if node.op == "Gather" and len(values) == 2 and not node.attrs.get("axis", 0):
        return _gather(first, values[1])
    if node.op == "Slice" and len(values) >= 3:
        return _slice(first, values[1:])
    if node.op == "ConstantOfShape":
        return _filled(node, first)
    if node.op == "Equal" and len(values) == 2:
        return _pairwise(first, values[1], _equal)
    if node.op == "Where" and len(values) == 3 and all(t in TRUTH for t in first.terms):
        return _where(first, values[1], values[2])
    return None


def _filled(node: Node, length: Extents) -> Extents | None:
    """ConstantOfShape of a 1-d length: that many copies of its integer value (0 unless set)."""
    count = number_of(length)
    value = node.attrs.get("value")
    values = value.values if value is not None else (0,)
    if count is None or len(count) != 1 or not values or float(values[0]) != int(values[0]):
        return None
    return Extents((str(int(values[0])),) * count[0], False)


def _equal(x: str, y: str) -> str | None:
    if _integer(x) and _integer(y):
        return TRUTH[int(x) == int(y)]
    for a, b in ((x, y), (y, x)):
        if _integer(b) and int(b) < 0 and _extent_read(a):
            return TRUTH[False]
    return None


def _extent_read(term: str) -> bool:
    """`MARK t MARK.shape[k]`: one extent of a tensor, a number ≥ 0."""
    parts = term.split(MARK)
    return len(parts) == 3 and not parts[0] and parts[2].startswith(".shape[") and \
        parts[2][7:-1].lstrip("-").isdigit() and parts[2].endswith("]")


def _pairwise(a: Extents, b: Extents, pick: Callable[[str, str], str | None]
              ) -> Extents | None:
    if len(a.terms) != len(b.terms) and 1 not in (len(a.terms), len(b.terms)):
        return None
    n = max(len(a.terms), len(b.terms))
    terms = [pick(a.terms[k % len(a.terms)], b.terms[k % len(b.terms)]) for k in range(n)]
    if any(t is None for t in terms):
        return None
    return Extents(tuple(terms), a.scalar and b.scalar)  # type: ignore[arg-type]


def _where(condition: Extents, yes: Extents, no: Extents) -> Extents | None:
    lists = (condition.terms, yes.terms, no.terms)
    n = max(len(t) for t in lists)
    if any(len(t) not in (1, n) for t in lists):
        return None
    return Extents(tuple(yes.terms[k % len(yes.terms)] if condition.terms[
        k % len(condition.terms)] == TRUTH[True] else no.terms[k % len(no.terms)]
        for k in range(n)), False)


def _arithmetic(symbol: str, a: Extents, b: Extents) -> Extents | None:
    return _pairwise(a, b, lambda x, y: _binary(x, symbol, y))


def _binary(x: str, symbol: str, y: str) -> str:
    if _integer(x) and _integer(y) and (symbol != "//" or int(y)):
        a, b = int(x), int(y)
        if symbol == "//":  # ONNX's integer Div truncates toward zero
            return str(abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1))
        return str(a + b if symbol == "+" else a - b if symbol == "-" else a * b)
    if symbol in "+-" and y.startswith("-") and y[1:].isdigit():  # x + -3 is x - 3
        symbol, y = "-" if symbol == "+" else "+", y[1:]
    return f"{_atom(x)} {symbol} {_atom(y)}"


def _integer(term: str) -> bool:
    return term.lstrip("-").isdigit()


def number_of(extents: Extents) -> list[int] | None:
    """The entries as numbers, when every one is."""
    return [int(t) for t in extents.terms] if all(_integer(t) for t in extents.terms) else None


def _atom(term: str) -> str:
    """A term as an operand: parenthesised unless a number or one extent."""
    simple = term.lstrip("-").isdigit() or (" " not in term)
    return term if simple else f"({term})"


def _gather(data: Extents, index: Extents) -> Extents | None:
    picked = []
    for term in index.terms:
        k = int(term)
        if not -len(data.terms) <= k < len(data.terms):
            return None
        picked.append(data.terms[k])
    return Extents(tuple(picked), index.scalar)


def _slice(data: Extents, args: list[Extents]) -> Extents | None:
    starts, ends = int(args[0].terms[0]), int(args[1].terms[0])
    if len(args) > 2 and args[2].terms not in ((), ("0",)):
        return None  # axes other than 0 of a 1-d list
    step = int(args[3].terms[0]) if len(args) > 3 and args[3].terms else 1
    return Extents(data.terms[slice(starts, ends, step)], False)
