"""The default output: a table like Keras's `model.summary()`, with formulas where sizes remain."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from unicodedata import combining, east_asian_width

from ..derivation.model import Derivation
from ..escapes import plain, visible, visible_lines
from .columns import Column, cell, columns, footer
from .common import (
    outputs_cell,
    count_cell,
    in_pieces,
    layer_label,
    memory,
    note_lines,
    remembered,
    param_cell,
    SHORT,
    requirement_lines,
    row_counts,
    title,
)
from ..maths.printing import pretty
from .fold import WIDTH, fold
from .options import DEFAULT, Options


def box(rows: list[list[str]], header: list[str], right: set[int],
        ascii: bool = False, width: int | None = None) -> list[str]:
    """A table in box drawing, like Keras's summary (with `ascii`, in ASCII). Cells are user
    text: control characters are escaped before the widths are measured, and a wide (CJK)
    character counts two columns. A cell past the first column wider than `fold.WIDTH` is
    folded onto several lines (`fold.fold`), and its row is as tall as its tallest cell. With
    `width` (a terminal's), the widest columns are narrowed until the table fits and their
    cells folded (names and headers at spaces)."""
    return list(box_lines(rows, header, right, ascii, width))


def box_lines(rows: Iterable[list[str]], header: list[str], right: set[int],
              ascii: bool = False, width: int | None = None) -> Iterator[str]:
    """`box`, line by line: a cell is folded when its row is drawn, so that only the cells are
    held, not every line of a table of 100 MB. A column with a folded cell is `WIDTH` wide."""
    shown = (lambda c: plain(visible(c))) if ascii else visible
    header = [shown(c) for c in header]
    widths = [span(c) for c in header]
    cells: list[list[str | bytes]] = []
    for row in rows:
        texts = [shown(c) for c in row]
        widths = [max(w, min(span(t), WIDTH) if i else span(t))
                  for i, (w, t) in enumerate(zip(widths, texts))]
        # a long cell kept as UTF-8 until its row is drawn: one ⌊ makes a Python string two
        # bytes a character, and a deep chain's cells are mostly digits (100 MB as text)
        cells.append([t if len(t) <= WIDTH else t.encode() for t in texts])
    if width is not None:
        widths = fitted(widths, header, width)
    return _drawn(cells, header, widths, right, ascii)


NARROWEST = 6  # a column is not narrowed below this, nor below its header's longest word


def fitted(widths: list[int], header: list[str], width: int) -> list[int]:
    """The columns' widths narrowed, the widest first, until the table's lines are at most
    `width` columns (its borders take 3 a column and 1); as narrow as they go if it cannot."""
    room = width - (3 * len(widths) + 1)
    least = [max(NARROWEST, *(span(w) for w in h.split())) for h in header]
    out = list(widths)
    while sum(out) > room:
        j = max(range(len(out)), key=lambda i: (out[i] > least[i], out[i], -i))
        if out[j] <= least[j]:
            break
        out[j] -= 1
    return out


def _drawn(cells: list[list[str | bytes]], header: list[str], widths: list[int], right: set[int],
           ascii: bool) -> Iterator[str]:
    def line(texts: list[str], left: str, mid: str, end: str) -> str:
        text = left + " " + f" {mid} ".join(texts) + " " + end
        return plain(text) if ascii else text

    def placed(lines: list[str], i: int) -> list[str]:
        """A cell's lines in its column: a folded cell fills its column, its lines aligned
        left even in a column of numbers (a formula reads from the left)."""
        if i not in right or len(lines) > 1:
            return [t + " " * (widths[i] - span(t)) for t in lines]
        return [" " * (widths[i] - span(lines[0])) + lines[0]]

    def split(text: str, i: int, words: bool) -> list[str]:
        """A cell as the lines of its column: a formula folded where it reads well, a name or
        a header at its spaces."""
        if span(text) <= widths[i]:
            return [text]
        return wrapped(text, widths[i]) if words or i == 0 else fold(text, widths[i])

    def rule(left: str, fill: str, mid: str, end: str) -> str:
        text = left + mid.join(fill * (w + 2) for w in widths) + end
        return plain(text) if ascii else text

    between = rule("├", "─", "┼", "┤")
    laid: dict[tuple[str, int], list[str]] = {}  # short cells as placed: rows repeat them

    def laid_out(text: str, i: int) -> list[str]:
        lines = laid.get((text, i))
        if lines is None:
            lines = placed(split(text, i, False), i)
            if len(text) <= SHORT:
                laid[text, i] = lines
        return lines

    def drawn(texts: list[str], bar: str, words: bool = False) -> Iterator[str]:
        columns = ([placed(split(c, i, words), i) for i, c in enumerate(texts)] if words
                   else [laid_out(c, i) for i, c in enumerate(texts)])
        for k in range(max(map(len, columns))):
            yield line([c[k] if k < len(c) else " " * widths[i]
                        for i, c in enumerate(columns)], bar, bar, bar)

    between = rule("├", "─", "┼", "┤")
    yield rule("┏", "━", "┳", "┓")
    yield from drawn(header, "┃", words=True)
    yield rule("┡", "━", "╇", "┩")
    for n, row in enumerate(cells):
        if n:
            yield between
        yield from drawn([c if isinstance(c, str) else c.decode() for c in row], "│")
    yield rule("└", "─", "┴", "┘")


def span(text: str) -> int:
    """The columns `text` takes on a terminal: a wide (CJK) character two, a combining mark
    none. Only the characters past ASCII are looked up: a deep chain's cells are thousands of
    digits around a few ⌊ ⌋."""
    if text.isascii():
        return len(text)
    return len(text) + sum(_extra(c) for c in _WIDE.findall(text))


_WIDE = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=4096)
def _extra(c: str) -> int:
    return -1 if combining(c) else 1 if east_asian_width(c) in "WF" else 0


def wrapped(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns, broken at spaces, a longer word cut."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if span(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while span(word) > width:  # cut by columns, a wide character never split
            cut, used = 0, 0
            while cut < len(word) and used + span(word[cut]) <= width:
                used += span(word[cut])
                cut += 1
            lines.append(word[:max(cut, 1)])
            word = word[max(cut, 1):]
        line = word
    return lines + [line] if line or not lines else lines



def _total(label: str, value, fmt=pretty, size: int = 4) -> str:  # type: ignore[no-untyped-def]
    """' Total params: 61,706 (241.04 KB)', the memory at `size` bytes a value (Keras's
    float32, or --memory's dtype)."""
    readable = memory(value, size)
    return f" {label}: {count_cell(value, fmt)}" + (f" ({readable})" if readable else "")


def render_table(d: Derivation, options: Options = DEFAULT) -> str:
    return "".join(table_chunks(d, options))


def table_chunks(d: Derivation, options: Options = DEFAULT) -> Iterator[str]:
    """The table as pieces of whole lines (`render_table` joined): every cell and sentence is
    printed first, so an error comes before the first piece; the lines are then drawn as they
    are written. A 10,000-layer chain's table is 100 MB: held whole, with its copies on the way
    out, it took 1.9 GB."""
    depth = options.depth
    torch = d.convention == "torch"
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Buffers"] if torch else [])
    shown = d.rows(depth)
    extra = columns(d, shown, options)
    header += [c.header for c in extra]
    show = remembered()

    def rows() -> Iterator[list[str]]:  # one at a time: box_lines keeps a long cell packed
        for i, layer in enumerate(shown):
            row = [layer_label(layer), outputs_cell(layer, d, show, options.batch),
                   param_cell(d, layer, show)]
            if torch:
                row.append(count_cell(row_counts(d, layer)[1], show))
            yield row + [cell(c, c.values[i], show) for c in extra]
    drawn = box_lines(rows(), header, right=right_columns(torch, extra), ascii=options.ascii,
                      width=options.width)
    size = value_bytes(options)
    lines = [_total("Total params", d.params, show, size),
             _total("Trainable params", d.trainable, show, size),
             _total("Non-trainable params", d.non_trainable, show, size)]
    if torch:
        lines.append(f" Buffers (not parameters): {count_cell(d.buffers, show)}")
    lines += [f" {line}" for line in footer(d, options, lambda e: count_cell(e, show))]
    reqs = requirement_lines(d, show)
    if reqs:
        lines += ["", "Valid when:"] + [f"  {r}" for r in reqs]
    notes = note_lines(d)
    if notes:
        lines += ["", "Notes:"] + [f"  {n}" for n in notes]
    finish = (lambda t: plain(visible_lines(t))) if options.ascii else visible_lines
    return in_pieces(itertools.chain([title(d)], drawn, lines), finish)


def value_bytes(options: Options) -> int:
    """Bytes a parameter takes: --memory's dtype, else float32 (as Keras's summary assumes)."""
    if options.memory is None:
        return 4
    from ..analysis.memory import bytes_per_value

    return int(bytes_per_value(options.memory))


def right_columns(torch: bool, extra: list[Column]) -> set[int]:
    """The columns of numbers, aligned right: parameters, buffers, MACs and memory."""
    first = 4 if torch else 3
    return {2, 3} | {first + j for j, c in enumerate(extra) if c.right}
