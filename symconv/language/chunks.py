"""Parse a long file by its distinct top-level statements: deep networks repeat the same lines
(a transformer's eight lines 1,250 times), and Lark's pure-Python lexer and LALR loop cost about
15 µs a token. Each distinct statement is parsed once, at the line where it first appears; its
repetitions get copies of its IR with the lines moved (columns do not change: every statement
starts at column 1).

Why a statement parses alike alone and in its file: a top-level statement starts on a line whose
first character is not blank, after every parenthesis has closed, where the parser is in the
same state (ready for a statement), the indenter at level 0 and the lexer just past a newline.
The statement's last token is the newline that ends it (with the blank and comment lines after
it), whose indentation `""` closes any indented body; so its tokens, and the IR built from
them, are those of the whole file with the lines moved. Only `elif` and `else` continue a
statement from column 1; they never start one here. Anything this reading is unsure of (a
backslash, a quote left open, a parenthesis closed too often or left open) returns None, and
so does any error: the whole file is then parsed as before, and gives the error it gives."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Any

from ..errors import Span
from . import ir

# what can change the parenthesis depth of a line or hide a bracket: the grammar's STRING and
# COMMENT, brackets, and a lone quote or a backslash (an unclosed string, a continued line:
# both are left to the whole-file parse)
_SCAN = re.compile(r""""[^"\\\n]*"|'[^'\\\n]*'|#[^\n]*|[()\[\]]|["'\\]""")
_CONTINUES = re.compile(r"(?:elif|else)(?![A-Za-z0-9_])")  # an `if` statement goes on
_NOT_A_START = " \t\f\r#"  # a blank or comment line, or an indented one: not a new statement

# Parse by distinct statements only when they are at most this share of the text: a file that
# then turns out to hold an error is parsed again whole, in at most 1.5 times today's time.
MOST_DISTINCT = 0.5

Chunk = tuple[int, str]  # (the line it starts on, its text)


def _depth_change(line: str) -> tuple[int, int] | None:
    """How much `line` opens parentheses and brackets, and the lowest depth it reaches
    (relative to its start), or None if it holds a backslash or a quote it does not close."""
    depth = lowest = 0
    for match in _SCAN.finditer(line):
        c = match.group()[0]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
            lowest = min(lowest, depth)
        elif c == "#":
            break
        elif len(match.group()) == 1:  # a lone quote or a backslash
            return None
    return depth, lowest


def split(text: str) -> list[Chunk] | None:
    """`text` (ending with a newline) cut before each top-level statement but the first, or
    None when unsure. Blank and comment lines go with the statement before them."""
    lines = text.split("\n")
    seen: dict[str, tuple[int, int] | None] = {}  # deep networks repeat lines: scan each once
    starts: list[int] = []
    depth = 0
    for number, line in enumerate(lines):
        if line not in seen:
            seen[line] = _depth_change(line)
        change = seen[line]
        if change is None or depth + change[1] < 0:
            return None
        if depth == 0 and line and line[0] not in _NOT_A_START and not _CONTINUES.match(line):
            starts.append(number)
        depth += change[0]
    if depth != 0:
        return None
    if starts:
        starts[0] = 0  # the blank and comment lines that open the file go with the first
    else:
        starts = [0]
    bounds = starts + [len(lines) - 1]  # text ends with "\n": the last piece is ""
    return [(bounds[i] + 1, "\n".join(lines[bounds[i]:bounds[i + 1]]) + "\n")
            for i in range(len(starts))]


def statements(text: str, parse: Callable[[str], list[Any]]) -> list[Any] | None:
    """What `parse(text)` returns (one item a top-level statement), parsing each distinct
    statement once; None when the file should be parsed whole (its statements repeat too
    little, or any doubt or error)."""
    chunks = split(text)
    if chunks is None:
        return None
    first: dict[str, int] = {}  # a statement's text -> the line it first starts on
    pieces: list[str] = []
    line = 1
    for start, chunk in chunks:
        if chunk not in first:
            first[chunk] = start
            pieces.append("\n" * (start - line) + chunk)  # blank lines: keep it on its line
            line = start + chunk.count("\n")
    if sum(map(len, first)) > MOST_DISTINCT * len(text):
        return None
    try:
        parsed = parse("".join(pieces))
        if len(parsed) != len(first):  # a piece held no statement or two: not what we thought
            return None
        return _repeated(dict(zip(first, parsed)), first, chunks)
    except Exception:  # noqa: BLE001 - any error is the whole-file parse's to report
        return None


def _repeated(built: dict[str, Any], first: dict[str, int], chunks: list[Chunk]) -> list[Any]:
    """Each chunk's statement: the one parsed where it first appears, else a moved copy. The
    copies are acyclic and freed by reference counting; the cycle collector, run every few
    hundred allocations over a heap that keeps growing (sympy's included), would take twice
    as long as making them, so it waits until they are made."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return [built[chunk] if start == first[chunk] else moved(built[chunk], start - first[chunk])
                for start, chunk in chunks]
    finally:
        if collecting:
            gc.enable()


# Building the copies is what the repetitions cost (a transformer line is ten nodes and their
# spans), so they are made as `copy.copy` makes them: a new object given its fields' dict (the
# IR and Span are frozen dataclasses without __post_init__: __init__ would store the same).
_new = object.__new__
_set_fields = object.__setattr__


def moved(item: Any, lines: int) -> Any:
    """`item` (an IR node, a statement tuple, a Span) with every span `lines` lines further
    down; values that hold no span (names, numbers, strings) are shared."""
    return _MOVERS[type(item)](item, lines)


def _span(span: Span, lines: int) -> Span:
    fields = span.__dict__
    end = fields["end_line"]
    copy = _new(Span)
    _set_fields(copy, "__dict__", {"line": fields["line"] + lines, "column": fields["column"],
                                   "end_line": None if end is None else end + lines,
                                   "end_column": fields["end_column"]})
    return copy


# A copy knows what it copies: `origin(copy)` is (the node, the lines it moved), so that what
# the derive stage computes from a statement's text alone (its arguments, the roles of its
# sizes) is computed once and moved (derivation/frames.py, Memo.copied). Kept in the copy's
# __dict__ beside its fields: a dataclass's comparison, hash, repr and replace() read only
# its fields, so to them a copy is the node it was before.
_ORIGIN = "_copy_of"


def origin(node: object) -> tuple[Any, int] | None:
    """(the node parsed where its statement first appears, the lines `node` is below it) for a
    copy made by `moved`; None for anything else."""
    held = getattr(node, "__dict__", None)
    return None if held is None else held.get(_ORIGIN)


def _node(node: Any, lines: int) -> Any:
    kind = type(node)
    fields = node.__dict__.copy()
    for name in _HOLDING_SPANS[kind]:
        value = fields[name]
        move = _MOVERS.get(type(value))
        if move is not None:
            fields[name] = move(value, lines)
    fields[_ORIGIN] = (node, lines)
    copy = _new(kind)
    _set_fields(copy, "__dict__", fields)
    return copy


def _tuple(items: tuple[Any, ...], lines: int) -> tuple[Any, ...]:
    return tuple([value if (move := _MOVERS.get(type(value))) is None else move(value, lines)
                  for value in items])


def _unexpected(item: Any, lines: int) -> Any:
    raise TypeError(f"not an IR value: {type(item).__name__}")  # the file is then parsed whole


_NODES = [v for v in vars(ir).values() if isinstance(v, type) and is_dataclass(v)
          and v.__module__ == ir.__name__]
# the fields that can hold a span: not a name, an operator, a number's value or text
_PLAIN_FIELDS = {"str", "bool", "int | Fraction", "bool | None"}
_HOLDING_SPANS = {node: tuple(f.name for f in fields(node) if f.type not in _PLAIN_FIELDS)
                  for node in _NODES}
# everything else the IR holds (str, int, Fraction, bool, None) holds no span
_MOVERS: dict[type, Callable[[Any, int], Any]] = {
    Span: _span, tuple: _tuple, list: _unexpected, dict: _unexpected, set: _unexpected,
    **{node: _node for node in _NODES}}
