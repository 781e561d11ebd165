"""One error family for everything a user can get wrong.

Every error carries a stable code, a message, an optional hint and the source position it is
about; `render()` gives the one look the CLI prints (``path:line:col: error: message``, the source
line, a caret, a ``hint:`` line) and `to_dict()` the JSON form.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .escapes import plain, visible, visible_lines

if TYPE_CHECKING:
    from fractions import Fraction


@dataclass(frozen=True)
class Span:
    """A 1-based position range in a source text."""

    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None


@dataclass(frozen=True)
class Source:
    """A source text with the path it came from (``<string>`` for text given directly)."""

    text: str
    path: str = "<string>"

    def line(self, number: int) -> str:
        """Line `number` as the parser counts lines: ended by \\n only (str.splitlines would
        also end one at a \\r, \\x0c or \\u2028 inside a string and show the wrong line)."""
        lines = self.text.split("\n")
        if not 0 < number <= len(lines):
            return ""
        line = lines[number - 1]
        return line[:-1] if line.endswith("\r") else line


# Stable error codes: (code, short title). README's error table lists the same.
CODES: dict[str, str] = {
    "SC001": "cannot read file",
    "SC100": "syntax error",
    "SC101": "unknown layer",
    "SC102": "layer of the other convention",
    "SC103": "undeclared name",
    "SC104": "bad argument",
    "SC105": "missing argument",
    "SC106": "unexpected argument",
    "SC107": "duplicate declaration",
    "SC108": "missing input",
    "SC109": "unknown convention",
    "SC110": "value out of bounds",
    "SC111": "several results where one is needed, or the wrong number to unpack",
    "SC112": "repeat count left symbolic without a closed form",
    "SC113": "bad weight tying",
    "SC201": "incompatible input shape",
    "SC202": "invalid layer output",
    "SC203": "channel mismatch",
    "SC301": "substitution breaks a condition",
    "SC302": "unknown size in substitution",
    "SC303": "bad solve request",
    "SC304": "too many values to try",
    "SC305": "no valid sizes to verify at",
    "SC306": "no faithful translation to the other framework",
    "SC307": "no layer or block of that name",
    "SC308": "too large to verify in memory",
    "SC309": "cannot import the model",
}


@dataclass
class SymconvError(Exception):
    """A user-facing error: never shown as a traceback."""

    code: str
    message: str
    span: Span | None = None
    source: Source | None = None
    hint: str | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.render()

    def located(self, source: Source) -> SymconvError:
        """The same error, attached to `source` if it had none."""
        if self.source is None:
            self.source = source
        return self

    def render(self, ascii: bool = False) -> str:
        """The error for a terminal: user text (paths, names, the source line) with control
        and format characters written as escapes, so a file cannot drive the terminal. With
        `ascii` (a terminal that cannot show the rest), in ASCII, the caret still aligned."""
        lines = located("error", f"{self.message} [{self.code}]", self.span, self.source,
                        ascii)
        lines += [visible_lines(f"note: {n}") for n in self.notes]
        if self.hint:
            lines.append(visible_lines(f"hint: {self.hint}"))
        text = "\n".join(lines)
        return plain(text) if ascii else text

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "message": self.message}
        if self.source is not None:
            out["path"] = self.source.path
        if self.span is not None:
            out["line"], out["column"] = self.span.line, self.span.column
        if self.hint:
            out["hint"] = self.hint
        if self.notes:
            out["notes"] = list(self.notes)
        return out


def located(severity: str, message: str, span: Span | None, source: Source | None,
            ascii: bool = False) -> list[str]:
    """``path:line:col: severity: message``, then the source line and a caret under the span:
    the look of every diagnostic (errors, and warnings about valid input), user text escaped."""
    path = source.path if source else "<input>"
    where = "" if span is None else f":{span.line}:{span.column}"
    lines = [visible_lines(f"{path}{where}: {severity}: {message}")]
    if span is not None and source is not None:
        lines += _marked(source.line(span.line), span, ascii)
    return lines


WINDOW = 100  # characters of a long source line shown around the caret


def _marked(line: str, span: Span, ascii: bool = False) -> list[str]:
    """The source line (escaped, cut to WINDOW around the caret) and the caret line under it.
    Tabs count one column, as the parser counts them."""
    line = line.expandtabs(1)
    width = 1
    if span.end_line == span.line and span.end_column:
        width = max(1, span.end_column - span.column)
    start = span.column - 1
    shown = (lambda text: plain(visible(text))) if ascii else visible
    before, marked = shown(line[:start]), shown(line[start:start + width])
    text, column, width = _window(before + marked + shown(line[start + width:]),
                                  len(before) + 1, max(1, len(marked)))
    return ["    " + text, "    " + " " * (column - 1) + "^" + "~" * (width - 1)]


def _window(text: str, column: int, width: int) -> tuple[str, int, int]:
    """A long line cut to WINDOW characters around `column` (with … where cut); the caret's
    column and width in what is shown."""
    if len(text) <= WINDOW:
        return text, column, width
    start = max(0, min(column - 1 - WINDOW // 4, len(text) - WINDOW))
    shown = ("…" if start else "") + text[start:start + WINDOW] + (
        "…" if start + WINDOW < len(text) else "")
    column = column - start + (1 if start else 0)
    return shown, column, max(1, min(width, WINDOW - (column - 1)))


# How a formula is written in a message: the table's printer, which maths.printing (a stage
# above this module, which must not import it) puts here when it is imported; every path that
# makes a formula has imported it by then.
FORMULA: dict[str, Callable[[object], str]] = {}


def in_notation(name: str, said: Callable[[], str]) -> str:
    """`said()` with its formulas written by the printer registered as `name` (explain's
    "spoken": 16·(⌊H/4⌋ - 3), d²) instead of the table's."""
    printer = FORMULA.get(name)
    if printer is None:
        return said()
    table = FORMULA["printer"]
    FORMULA["printer"] = printer
    try:
        return said()
    finally:
        FORMULA["printer"] = table


def shown(value: object) -> str:
    """A value in a message as Python prints it: -0.5, not sympy's -1/2 (a decimal literal
    is held as an exact rational). A fraction no decimal writes exactly stays a fraction
    (1/3, as written); a string is quoted; a formula is written as the table writes it
    (⌊H/2⌋, max(H, W), d mod heads = 0), never in sympy's syntax."""
    if isinstance(value, str):
        return repr(value)
    if getattr(value, "is_Rational", False) and not getattr(value, "is_Integer", False):
        from fractions import Fraction

        return _decimal(Fraction(int(value.p), int(value.q)))  # type: ignore[attr-defined]
    if _formula(value) and "printer" in FORMULA:
        return FORMULA["printer"](value)
    return str(value)


def shape_text(shape: tuple[object, ...]) -> str:
    """A shape in a message, as Python writes a tuple: (H - 2, ⌊W/2⌋, 10000), (C,). Numbers
    without thousands separators, whose commas would read as more axes."""
    return "(" + ", ".join(shown(e) for e in shape) + ("," if len(shape) == 1 else "") + ")"


def _formula(value: object) -> bool:
    """Whether `value` is a sympy formula other than a whole number; sympy is not imported
    for the question (a message about the command line comes before it is loaded)."""
    sympy = sys.modules.get("sympy")
    return (sympy is not None and isinstance(value, sympy.Basic)
            and not isinstance(value, sympy.Integer))


def _decimal(value: Fraction) -> str:
    """Python's float repr when it is exactly `value` (0.1, 1e-05, -0.5), else the exact
    decimal when the denominator has no prime but 2 and 5 (1e-999), else p/q."""
    import decimal
    from fractions import Fraction

    as_float = float(value) if abs(value) < 1e300 else None
    if as_float is not None and Fraction(repr(as_float)) == value:
        return repr(as_float)
    q = value.denominator
    while q % 2 == 0:
        q //= 2
    while q % 5 == 0:
        q //= 5
    if q != 1:
        return f"{value.numerator}/{value.denominator}"
    with decimal.localcontext() as context:
        context.prec = 2000  # exact: the literal had at most 40 digits and a 3-digit exponent
        exact = decimal.Decimal(value.numerator) / decimal.Decimal(value.denominator)
        return str(exact.normalize()).replace("E", "e")


SUGGESTION_CANDIDATES = 200  # names difflib compares a misspelling with (each costs len²)


def did_you_mean(name: str, candidates: list[str] | tuple[str, ...]) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None. Among many candidates only those
    sharing the longest start with the name are compared (5,000 sizes of 190 characters took
    seconds)."""
    import difflib
    import heapq
    import os

    shortlist = list(candidates)
    if len(shortlist) > SUGGESTION_CANDIDATES:
        shortlist = heapq.nsmallest(SUGGESTION_CANDIDATES, shortlist, key=lambda c: (
            -len(os.path.commonprefix([name, c])), abs(len(c) - len(name)), c))
    close = difflib.get_close_matches(name, shortlist, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in candidates}
        if name.lower() in lowered:
            close = [lowered[name.lower()]]
    return f"did you mean '{close[0]}'?" if close else None
