"""User text made safe to show. A layer name, a string argument, a source line or a path can hold
any character a file can: an escape sequence that retitles the terminal, a carriage return that
overwrites the line, a `|` that adds a Markdown column, HTML. Every renderer and every error
message passes user text through here on its way out.

>>> visible("a\\x1b[31mred\\rX")
'a\\\\x1b[31mred\\\\rX'
>>> markdown("b|c<i>")
'b\\\\|c&lt;i&gt;'
>>> code_span("x`y")
'`` x`y ``'

Only the standard library is imported: error messages are rendered before sympy is loaded.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache


def _escape(char: str) -> str:
    """A character as Python's repr writes it: \\x1b, \\r, \\u202e, \\U000e0001."""
    return repr(char)[1:-1]


def visible(text: str, keep: str = "") -> str:
    """`text` with every character Python's repr would escape (controls, bidirectional and
    other format characters, line separators, unassigned code points) written as repr writes
    it, except those in `keep` (a renderer's own newlines). Text with nothing to escape is
    returned as it is, so the usual case costs one C-level scan per line."""
    if text.isprintable():
        return text
    if keep:
        probe = text
        for c in keep:  # a long output is mostly printable lines: one scan for all of them
            probe = probe.replace(c, " ")
        if probe.isprintable():
            return text
        first = keep[0]
        return first.join(visible(part, keep[1:]) for part in text.split(first))
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def visible_lines(text: str) -> str:
    """`visible`, keeping the newlines that separate the lines of an output."""
    return visible(text, "\n")


# -- Markdown and HTML ---------------------------------------------------------------------
# GitHub Markdown: `|` splits table cells, `*` `_` `~` emphasise, `[` `]` make links, a backtick
# opens code; `<` `>` `&` are HTML (Jupyter's _repr_markdown_ passes raw HTML through).
_HTML = str.maketrans({"<": "&lt;", ">": "&gt;", "&": "&amp;"})
_MARK = r"[\\`*~\[\]|]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])"  # compiled at first use


@lru_cache(maxsize=1)
def _marks() -> re.Pattern[str]:
    """`_MARK` compiled once, when Markdown is first written (not by every command's import)."""
    return re.compile(_MARK)


def markdown(text: str) -> str:
    """Plain text for a Markdown paragraph or table cell: controls made visible, HTML written
    as entities, Markdown's punctuation escaped. An underscore inside a word (conv2d_1) neither
    opens nor closes emphasis in GitHub Markdown and is left alone."""
    return _marks().sub(_escaped, visible(text).translate(_HTML))


def _escaped(match: re.Match[str]) -> str:
    return "\\" + match.group(0)


def code_span(text: str, cell: bool = True) -> str:
    """`text` as a Markdown code span: fenced with one backtick more than its longest run of
    backticks (a backslash does not escape one inside a code span); in a table `cell`, `|`
    escaped (GitHub reads `\\|` there as the character, and shows the backslash elsewhere)."""
    text = visible(text)
    if cell:
        text = text.replace("|", "\\|")
    runs = [len(r) for r in re.findall("`+", text)] if "`" in text else []
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if runs else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# -- JSON ----------------------------------------------------------------------------------
def json_visible(text: str) -> str:
    """JSON from json.dumps(ensure_ascii=False) with the characters it leaves raw (DEL, C1
    controls, bidirectional overrides, separators) written as \\u escapes: the same JSON
    value, safe on a terminal. Outside strings JSON holds only printable ASCII, spaces and
    newlines, so every such character is inside a string."""
    if text.replace("\n", " ").isprintable():  # the usual case: one scan of the whole text
        return text
    return "\n".join(part if part.isprintable() else "".join(map(_json_char, part))
                     for part in text.split("\n"))


def _json_char(c: str) -> str:
    if c.isprintable():
        return c
    units = c.encode("utf-16-be")  # a character beyond U+FFFF is a surrogate pair in JSON
    return "".join(f"\\u{units[i] << 8 | units[i + 1]:04x}" for i in range(0, len(units), 2))


# -- ASCII for an output that cannot encode the rest -----------------------------------------
PLAIN = {
    **dict.fromkeys("┏┓┗┛┡┩┳┻╇├┤┼┬┴└┘┌┐", "+"), "━": "=", "─": "-", "┃": "|", "│": "|",
    "⌊": "floor(", "⌋": ")", "⌈": "ceil(", "⌉": ")", "≥": ">=", "≤": "<=", "≠": "!=",
    "·": "*", "×": "x", "…": "...", "→": "->", "←": "<-", "⇔": "<=>", "−": "-", "—": "-",
    "–": "-", "’": "'", "²": "^2", "ᵀ": "^T", "∏": "prod", "Σ": "sum", "✓": "ok", "✗": "X",
    "≈": "~",
}


_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"


def _plain_error(err: UnicodeError) -> tuple[str, int]:
    """A run of characters the encoding lacks, in ASCII; a run of superscript digits (explain's
    S³⁹) as one power, ^39."""
    assert isinstance(err, UnicodeEncodeError)
    part = err.object[err.start:err.end]
    part = re.sub(f"[{_SUPERSCRIPTS}]+", lambda m: "^" + "".join(
        str(_SUPERSCRIPTS.index(c)) for c in m.group()), part)
    return "".join(PLAIN.get(c) or c.encode("unicode_escape").decode("ascii")
                   for c in part), err.end


codecs.register_error("symconv-plain", _plain_error)
PLAIN_ERRORS = "symconv-plain"  # for str.encode: symconv's ASCII for what cannot be encoded


def plain(text: str) -> str:
    """`text` in ASCII: box drawing as + - = |, ⌊x⌋ as floor(x), ≥ as >=, anything else as a
    Python escape (\\u00e9)."""
    return text.encode("ascii", PLAIN_ERRORS).decode("ascii")
