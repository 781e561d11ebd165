"""A LaTeX table that fits its line: columns of long formulas are set as paragraphs of a fixed
width (`p{0.21\\linewidth}`), in which TeX breaks a formula after a `+`, a `\\cdot`, a `\\times`
or a shape's comma, rather than running 1,000 pt past the margin (ResNet-50's MACs,
activations and receptive fields side by side).

TeX measures nothing for us before it runs, so a cell's width is estimated from its text: a
character a letter, a command (`\\cdot`, `\\lfloor`) one, a binary operator one more for the
space around it, and what prints nothing (`\\left`, braces, `$`, the source's spaces) none.
The estimate decides which columns fold, judged against the landscape line of `--standalone`,
and their shares of it; the shares are of `\\linewidth`, so a folded table also narrows with a
portrait page (a table that fits the landscape line is left as it is, and may not fit a
portrait one). tests/test_latex.py compiles ResNet-50's widest table and reads pdflatex's
"Overfull \\hbox" warnings.

An `align*` line cannot break by itself: a long count there is cut before its outermost `+` and
`-` signs into lines of the room its column has (`pieces`), the later ones indented under it.
"""

from __future__ import annotations

import re

BUDGET = 130  # characters of \small text a landscape line (2 cm margins) holds, about 5 pt each
# characters of display math a landscape line (729 pt) holds: 7–8 pt each (ConvNeXt's align*
# line of 136 estimated characters printed 1,068 pt wide; U-Net's of 100 fit). With it every
# example's align* block at depth 1 fits but MobileNetV2's stepwise one (6 pt over)
ALIGN_BUDGET = 100
PAD = 3  # a column's separation, 2\tabcolsep, in characters
LEAST = 10  # the narrowest folded column, in characters
LONG = 2000  # a cell longer than this is surely wider than the line: not measured
_SILENT = re.compile(r"\\(?:left|right|mathit|texttt|text|ensuremath|allowbreak)(?![A-Za-z])"
                     r"|\\,|[{}$]")
_COMMAND = re.compile(r"\\(?:[A-Za-z]+|.)")
# what nests (a brace, \left … \right) and the signs between a sum's terms
_NESTING = re.compile(r"\\left(?![A-Za-z])|\\right(?![A-Za-z])|[{}]| [+-] ")


def width(tex: str) -> int:
    """Roughly how many characters wide `tex` prints."""
    if len(tex) > LONG:
        return len(tex) // 4
    text = _SILENT.sub("", tex)
    operators = text.count(" + ") + text.count(" - ") + text.count(r" \cdot ") \
        + text.count(r" \times ")
    return len(_COMMAND.sub("x", text).replace(" ", "")) + operators


def shares(body: list[int], full: list[int], fixed: int = 1) -> list[float | None]:
    """Each column's width as a fraction of the line, None for a column left at its natural
    width. Nothing folds when the table fits (`full`: the widest cell of each column, totals
    included). Else the first `fixed` columns (the names) keep theirs; the others get the
    widths of their rows' cells (`body`) up to a level set so that all fit, and what is left
    goes to the columns whose totals are wider still; a column whose every cell fits its width
    keeps its natural one."""
    if sum(w + PAD for w in full) <= BUDGET:
        return [None] * len(full)
    free = list(range(fixed, len(full)))
    room = BUDGET - sum(full[i] + PAD for i in range(fixed)) - PAD * len(free)
    level = _level([body[i] for i in free], room)
    given = {i: max(min(body[i], level), LEAST) for i in free}
    needy = [i for i in free if full[i] > given[i]]
    spare = max(room - sum(given.values()), 0) / max(len(needy), 1)
    return [round(min(given[i] + spare, full[i]) / BUDGET, 3) if i in needy else None
            for i in range(len(full))]


def _level(widths: list[int], room: float) -> float:
    """The largest level L with Σ min(w, L) ≤ room (water filling)."""
    left = room
    for k, w in enumerate(sorted(widths)):
        if w * (len(widths) - k) > left:
            return max(left / (len(widths) - k), 0)
        left -= w
    return float(max(widths, default=0))


def spec(aligns: str, fractions: list[float | None]) -> str:
    """The tabular's column specification: `l`/`r` as given, or a paragraph column."""
    return "".join(a if f is None else rf"p{{{f:.3f}\linewidth}}"
                   for a, f in zip(aligns, fractions))



def pieces(tex: str, room: int) -> list[str]:
    """`tex` cut before its outermost `+` and `-` signs (outside braces and \\left … \\right)
    into pieces each about `room` characters wide or less; a term wider than `room` is a
    piece of its own. The signs begin the later pieces."""
    cuts, depth = [0], 0
    for m in _NESTING.finditer(tex):
        token = m.group()
        if token in ("{", r"\left"):
            depth += 1
        elif token in ("}", r"\right"):
            depth -= 1
        elif depth == 0:
            cuts.append(m.start() + 1)  # the sign starts the next term
    cuts.append(len(tex))
    out, start, used = [], 0, 0
    for a, b in zip(cuts, cuts[1:]):
        term = width(tex[a:b])
        if used and used + term > room:
            out.append(tex[start:a].rstrip())
            start, used = a, 0
        used += term
    return out + [tex[start:]]
