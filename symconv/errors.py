"""One error family for everything a user can get wrong.

Every error carries a stable code, a message, an optional hint and the source position it is
about; `render()` gives the one look the CLI prints (``path:line:col: error: message``, the source
line, a caret, a ``hint:`` line) and `to_dict()` the JSON form.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
        lines = self.text.splitlines()
        return lines[number - 1] if 0 < number <= len(lines) else ""


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
    "SC201": "incompatible input shape",
    "SC202": "invalid layer output",
    "SC203": "channel mismatch",
    "SC301": "substitution breaks a condition",
    "SC302": "unknown size in substitution",
    "SC303": "bad solve request",
    "SC304": "too many values to try",
    "SC305": "no valid sizes to verify at",
    "SC306": "no faithful translation to the other framework",
    "SC307": "no layer of that name",
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

    def render(self) -> str:
        path = self.source.path if self.source else "<input>"
        if self.span is None:
            head = f"{path}: error: {self.message} [{self.code}]"
            lines = [head]
        else:
            head = f"{path}:{self.span.line}:{self.span.column}: error: {self.message} [{self.code}]"
            lines = [head]
            if self.source is not None:
                text = self.source.line(self.span.line).expandtabs(1)
                width = 1
                if self.span.end_line == self.span.line and self.span.end_column:
                    width = max(1, self.span.end_column - self.span.column)
                text, column, width = _window(text, self.span.column, width)
                lines.append("    " + text)
                lines.append("    " + " " * (column - 1) + "^" + "~" * (width - 1))
        lines += [f"note: {n}" for n in self.notes]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)

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


WINDOW = 100  # characters of a long source line shown around the caret


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
