"""Syntax errors as a reader wants them: what was unexpected, where, what would have been
accepted; a bracket never closed named where it opens; an indent shown on its own line."""

from __future__ import annotations

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..errors import Source, Span, SymconvError

_PAIRS = {"(": ")", "[": "]", "{": "}"}


def _expected(parser: Lark, names: set[str]) -> str:
    shown = []
    for name in sorted(names):
        if name.startswith("_") or name == "$END":
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            continue
        shown.append(f"'{pattern.value}'" if pattern.type == "str" else name.lower())
    return ", ".join(sorted(set(shown)))


def _elsewhere(source: Source, line: int) -> set[str]:
    """Keywords LALR's merged states expect after any expression that belong to one statement
    only: `as` (`repeat n as i:`) is not offered on other lines."""
    lines = source.text.splitlines()
    text = lines[line - 1].lstrip() if 0 < line <= len(lines) else ""
    return set() if text.startswith("repeat") else {"AS"}


def syntax_error(err: UnexpectedInput, source: Source, parser: Lark) -> SymconvError:
    """The SymconvError (SC100) for a parse error: what was unexpected, where, and what was
    expected; a bracket left open before the line where parsing failed is named at its own
    position, as Python 3.12 does ("'(' was never closed"); an unexpected indent is shown on
    the indented line, not at the end of the line before it."""
    unclosed = _unclosed(source.text, _stopped(err, source))
    if unclosed is not None:
        char, line, column = unclosed
        return SymconvError("SC100", f"'{char}' was never closed", Span(line, column), source,
                            f"close it with '{_PAIRS[char]}' (a statement continues past the "
                            "end of its line while a bracket is open)")
    line, column = max(err.line, 1), max(err.column, 1)
    hint = None
    if isinstance(err, UnexpectedCharacters):
        char = source.text[err.pos_in_stream] if err.pos_in_stream < len(source.text) else ""
        message = f"unexpected character {char!r}"
        if char == "\\":
            hint = "strings take no escapes; to continue a line, end it inside parentheses"
    elif isinstance(err, UnexpectedEOF):
        message = "unexpected end of file"
        lines = source.text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    else:
        assert isinstance(err, UnexpectedToken)
        tok = err.token
        what = "end of line" if tok.type == "_NL" else "end of file" if tok.type == "$END" else repr(str(tok))
        message = f"unexpected {what}"
        expected = _expected(parser, set(err.expected) - _elsewhere(source, line))
        if expected:
            hint = f"expected one of: {expected}"
        if tok.type == "_INDENT":
            message = "unexpected indent"
            line, column = _indented(source.text, tok.line or line)
            hint = "only the statements of a block, repeat or if are indented"
    return SymconvError("SC100", message, Span(line, column), source, hint)


def _stopped(err: UnexpectedInput, source: Source) -> int:
    """The line where parsing stopped; one past the last for the end of the file."""
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken)
                                          and err.token.type == "$END"):
        return len(source.text.splitlines()) + 1
    return max(err.line, 1)


def _unclosed(text: str, line: int) -> tuple[str, int, int] | None:
    """The innermost bracket the whole text leaves open, when parsing stopped on a later line
    (on its own line the parser's message is clearer; a bracket closed further on was not the
    trouble): (bracket, line, column). Strings ("…", '…', no escapes) and comments are
    skipped."""
    stack: list[tuple[str, int, int]] = []
    for n, text_line in enumerate(text.splitlines(), start=1):
        quote = None  # a string ends with its line
        for c, char in enumerate(text_line, start=1):
            if quote is not None:
                quote = None if char == quote else quote
            elif char in "\"'":
                quote = char
            elif char == "#":
                break
            elif char in _PAIRS:
                stack.append((char, n, c))
            elif char in ")]}" and stack and _PAIRS[stack[-1][0]] == char:
                stack.pop()
    return stack[-1] if stack and stack[-1][1] < line else None


def _indented(text: str, after: int) -> tuple[int, int]:
    """The first line after line `after` that holds a statement (not blank, not a comment),
    and its first column: where an unexpected indent is."""
    lines = text.splitlines()
    for n in range(after + 1, len(lines) + 1):
        stripped = lines[n - 1].lstrip()
        if stripped and not stripped.startswith("#"):
            return n, 1
    return after, 1
