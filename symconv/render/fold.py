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

import bisect
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


def fold(text: str, width: int = WIDTH) -> list[str]:
    """`text` as lines of at most `width` characters, each broken after the last break point
    that fits; `[text]` when it fits. Spaces at a break end their line and are not printed."""
    if len(text) <= width:
        return [text]
    breaks = _strong(text)
    lines: list[str] = []
    line = ""
    for piece in _pieces(text, 0, len(text), breaks, width):
        if len((line + piece).rstrip()) <= width:
            line += piece
            continue
        if line:
            lines.append(line.rstrip())
        line = piece
    if line:
        lines.append(line.rstrip())
    return lines


def _strong(text: str) -> list[tuple[int, int]]:
    """(position after it, bracket depth) of each strong break, in order."""
    depth, out = 0, []
    for m in _STRONG.finditer(text):
        c = m.group()
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        else:
            out.append((m.end(), depth))
    return out


def _pieces(text: str, start: int, stop: int, breaks: list[tuple[int, int]],
            width: int) -> list[str]:
    """text[start:stop] split at its outermost strong break points, a piece still too long
    at the next ones inside it, and so on; then at its weak ones (`_cut`)."""
    if stop - start <= width or len(text[start:stop].rstrip()) <= width:
        return [text[start:stop]]
    first = bisect.bisect_right(breaks, (start, _DEEPEST))
    inside = [b for b in breaks[first:bisect.bisect_left(breaks, (stop, -1))]
              if start < b[0] < stop]
    if not inside:
        return _cut(text, start, stop, width)
    least = min(depth for _, depth in inside)
    outer = [end for end, depth in inside if depth == least]
    # a list's items before the terms inside one: (None, H - 2, W - 2, 32) breaks at commas
    items = [end for end in outer if text[end - 2:end] == ", "]
    bounds = [start, *(items or outer), stop]
    return [p for a, b in zip(bounds, bounds[1:]) for p in _pieces(text, a, b, inside, width)]


_DEEPEST = 1 << 30


def _cut(text: str, start: int, stop: int, width: int) -> list[str]:
    """text[start:stop], which has no strong break, as lines of at most `width`, each ending
    at the last weak break that fits, or cut at `width` where none does. Searched from the
    right: a number of thousands of digits has a break every four characters."""
    out = []
    end = len(text[start:stop].rstrip()) + start
    while end - start > width:
        cut = _last_weak(text, start, start + width) or start + width
        out.append(text[start:cut])
        start = cut
    out.append(text[start:stop])
    return out


def _last_weak(text: str, start: int, limit: int) -> int | None:
    """The last weak break b with start < b ≤ limit: after a `*` not part of `**`, or after a
    thousands separator between digits."""
    right = limit
    while right > start:
        i = max(text.rfind(",", start, right), text.rfind("*", start, right))
        if i < 0:
            return None
        b = i + 1
        after = text[b] if b < len(text) else ""
        if text[i] == ",":
            if text[i - 1:i].isdigit() and after.isdigit():
                return b
        elif after != "*" and text[i - 1:i] != "*":
            return b
        right = i
    return None
