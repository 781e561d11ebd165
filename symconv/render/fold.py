"""Folding an over-long table cell onto several lines within its column.

A deep chain's shapes hold numbers of hundreds of digits; padded to the widest, every row of a
10,000-layer table was 40,000 characters wide (431 MB of output). A cell wider than `WIDTH` is
folded instead, at the points where a reader expects a formula to break, so the table's width
stays bounded and its size grows only with what it shows.

>>> fold("(N, 8, ⌊(H + 21)/36⌋, ⌊(W + 21)/36⌋)", 24)
['(N, 8, ⌊(H + 21)/36⌋,', '⌊(W + 21)/36⌋)']
>>> fold("123,456,789,012", 8)
['123,456,', '789,012']
"""

from __future__ import annotations

import re

# 72 columns: a formula cell, its borders and a short name still fit a terminal of 80 or a
# printed page, and no cell of the example networks but one (ConvNeXt's 145-character sum of
# its stages) is wider, so their tables print as before.
WIDTH = 72

# Where a formula breaks: after a list separator, a sum's or difference's operator, a
# comparison, outermost first (a sum's terms before the sums inside a term); failing those (a
# piece longer than a line), after a product's `*` or a thousands separator inside a number (a
# deep chain's extents hold numbers of hundreds of digits).
_STRONG = re.compile(r"[(\[⌊⌈]|[)\]⌋⌉]|, | \+ | - | × | mod ")
_OPEN = "([⌊⌈"
_CLOSE = ")]⌋⌉"
_WEAK = re.compile(r"(?<=\*)(?!\*)(?<!\*\*)|(?<=\d,)(?=\d)")  # zero-width: no character lost


def fold(text: str, width: int = WIDTH) -> list[str]:
    """`text` as lines of at most `width` characters, each broken after the last break point
    that fits; `[text]` when it fits. Spaces at a break end their line and are not printed."""
    if len(text) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for piece in _pieces(text, width):
        if len((line + piece).rstrip()) <= width:
            line += piece
            continue
        if line:
            lines.append(line.rstrip())
        line = piece
    if line:
        lines.append(line.rstrip())
    return lines


def _pieces(text: str, width: int) -> list[str]:
    """The text split at its outermost strong break points, a piece still too long at the
    next ones inside it, and so on; then at its weak ones, and one without any cut every
    `width` characters."""
    if len(text.rstrip()) <= width:
        return [text]
    depth, least, ends = 0, None, []
    for m in _STRONG.finditer(text):
        c = m.group()
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        elif m.end() == len(text):  # the piece's own end: no break within it
            continue
        elif least is None or depth <= least:
            if least is None or depth < least:
                least, ends = depth, []
            ends.append(m.end())
    if ends:
        bounds = [0, *ends, len(text)]
        return [p for a, b in zip(bounds, bounds[1:]) if a < b
                for p in _pieces(text[a:b], width)]
    return _cut(text, width)


def _cut(text: str, width: int) -> list[str]:
    """A piece without a strong break as lines of at most `width`, each ending at the last
    weak break that fits, or cut at `width` where none does. Line by line, not piece by piece:
    a number of thousands of digits has a break every four characters."""
    out = []
    start, stop = 0, len(text.rstrip())
    while stop - start > width:
        window = text[start:start + width + 1]
        ends = [m.start() for m in _WEAK.finditer(window) if 0 < m.start() <= width]
        end = start + (ends[-1] if ends else width)
        out.append(text[start:end])
        start = end
    out.append(text[start:])
    return out
