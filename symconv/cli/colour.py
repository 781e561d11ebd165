"""Colour on a terminal, as compilers and Keras's summary use it: a diagnostic's severity in red
(error) or magenta (warning), its location and the table's headers in bold, the caret in green,
`hint:` in cyan.

Only for a terminal: never for a pipe or a file, never when NO_COLOR is set to anything
(no-color.org), nor for TERM=dumb; FORCE_COLOR (non-empty) asks for it anyway, as rich and
most tools read it. It is added to symconv's own fixed layout after every user text has been
escaped (escapes.visible: no escape sequence a file holds reaches the terminal), so the codes
here are the only ones written.
"""

from __future__ import annotations

import os
import re
from typing import TextIO

BOLD, RED, GREEN, MAGENTA, CYAN, RESET = (f"\x1b[{c}m" for c in ("1", "1;31", "1;32", "1;35",
                                                                 "1;36", "0"))


def wanted(stream: TextIO | None) -> bool:
    """Whether to colour what goes to `stream` (see the module docstring)."""
    if stream is None or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (OSError, ValueError, AttributeError):
        return False


_LOCATED = re.compile(r"^(?P<where>[^\n]*?: )(?P<severity>error|warning|note)(?P<rest>: )",
                      re.MULTILINE)
_CARET = re.compile(r"^(?P<bar>\s*\| ?)?(?P<marks>\s*\^[~^]*)$", re.MULTILINE)
_HINT = re.compile(r"^(hint|note):", re.MULTILINE)
_SEVERITY = {"error": RED, "warning": MAGENTA, "note": BOLD}


def diagnostic(text: str) -> str:
    """An error or warning in colour: ``path:line:col:`` bold, the severity red or magenta,
    the caret green, ``hint:`` cyan."""
    text = _LOCATED.sub(lambda m: f"{BOLD}{m['where']}{RESET}{_SEVERITY[m['severity']]}"
                                  f"{m['severity']}{RESET}{m['rest']}", text)
    text = _CARET.sub(lambda m: f"{m['bar'] or ''}{GREEN}{m['marks']}{RESET}", text)
    return _HINT.sub(lambda m: f"{CYAN if m[1] == 'hint' else BOLD}{m[1]}:{RESET}", text)


_HEADINGS = re.compile(r"^(Model: .*|Valid when:|Notes:)$", re.MULTILINE)
_HEADER_ROW = re.compile(r"^[┃|] .* [┃|]$", re.MULTILINE)


def table(text: str) -> str:
    """Pieces of the table (whole lines) with the title, the header row's names and the
    section headings in bold (an ASCII table's header row is its second line of `|`)."""
    text = _HEADINGS.sub(lambda m: f"{BOLD}{m[1]}{RESET}", text)
    return _HEADER_ROW.sub(_bold_cells, text) if "┃" in text else text


def _bold_cells(m: re.Match[str]) -> str:
    bar = "┃"
    cells = m.group(0).split(bar)
    return bar.join(f"{BOLD}{c}{RESET}" if c.strip() else c for c in cells)
