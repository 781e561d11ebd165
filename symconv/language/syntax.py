"""The Lark side of the language: the grammar file, Python's indentation rules, the bounds checked
while tokens stream (open parentheses, the length of number literals), and the LALR tables
shipped in the package. parse.py builds the IR with the parser made here."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.indenter import Indenter


class ArchIndenter(Indenter):
    """Python's rules: indentation opens and closes blocks; inside parentheses a newline
    continues the statement; tabs and spaces must be mixed consistently (Python's TabError).
    And no more than MAX_INDENT blocks open at once."""

    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR", "LSQB"]
    CLOSE_PAREN_types = ["RPAR", "RSQB"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8

    def handle_NL(self, token: Token):  # type: ignore[no-untyped-def]
        """Lark's Indenter.handle_NL with Python's tokenizer checks: each indentation is
        measured with tabs to the next multiple of 8 and, again, with tabs as 1 column; the two
        measures must order the lines the same way, else the meaning would depend on the
        width of a tab."""
        if self.paren_level > 0:
            return
        yield token
        indent = token.rsplit("\n", 1)[1]
        width, alternative = _widths(indent)
        line, column = token.end_line or 1, token.end_column or 1
        if width > self.indent_level[-1]:
            if alternative <= self.alt_levels[-1]:
                raise Inconsistent(line, column)
            if len(self.indent_level) > MAX_INDENT:
                raise Refused("SC110", f"blocks nested more than {MAX_INDENT} deep", line,
                              column, "fewer levels: repeat counts multiply and conditions "
                              "combine with `and`")
            self.indent_level.append(width)
            self.alt_levels.append(alternative)
            yield Token.new_borrow_pos(self.INDENT_type, indent, token)
            return
        while width < self.indent_level[-1]:
            self.indent_level.pop()
            self.alt_levels.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, indent, token)
        if width != self.indent_level[-1]:
            raise BadDedent(line, column)
        if alternative != self.alt_levels[-1]:
            raise Inconsistent(line, column)

    def process(self, stream):  # type: ignore[no-untyped-def]
        """Python's rules, and no more than MAX_NESTING parentheses open at once."""
        self.alt_levels = [0]
        depth = 0
        for token in super().process(stream):
            if token.type in ("LPAR", "LSQB"):
                depth += 1
                if depth > MAX_NESTING:
                    raise TooDeep(token.line or 1, token.column or 1)
            elif token.type in ("RPAR", "RSQB"):
                depth -= 1
            yield token


def _widths(indent: str) -> tuple[int, int]:
    """An indentation's width as Python's tokenizer measures it: tabs to the next multiple of
    8, and tabs as one column; a form feed starts again from 0."""
    width = alternative = 0
    for c in indent:
        if c == "\t":
            width, alternative = (width // 8 + 1) * 8, alternative + 1
        elif c == "\f":
            width = alternative = 0
        else:
            width, alternative = width + 1, alternative + 1
    return width, alternative


MAX_INDENT = 100  # indented blocks (repeat, if, a block's body) open at once
MAX_NESTING = 100  # parentheses and brackets open at once
MAX_LITERAL = 40  # digits of a number as written (values.MAX_DIGITS bounds what it becomes)
MAX_EXPONENT_DIGITS = 3  # 1e999 at most: its value is then refused by its digits, quickly


def check_literal(tok: Token, digits: str, exponent: str = "") -> None:
    """Refuse a number too long to convert before converting it (Python refuses integer
    strings over 4,300 digits, and 1e40000000 would take minutes to make)."""
    if len(digits) > MAX_LITERAL or len(exponent) > MAX_EXPONENT_DIGITS:
        raise TooLong(tok.line or 1, tok.column or 1, tok.end_column)


class BadDedent(Exception):
    def __init__(self, line: int, column: int) -> None:
        self.line, self.column = line, column


class TooDeep(BadDedent):
    pass


class Refused(Exception):
    """A positioned error found while tokens stream, with its code, message and hint."""

    def __init__(self, code: str, message: str, line: int, column: int,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint
        self.line, self.column = line, column


class Inconsistent(Refused):
    def __init__(self, line: int, column: int) -> None:
        super().__init__("SC100", "inconsistent use of tabs and spaces in indentation", line,
                         column, "indent with spaces only (or tabs only), as Python requires")


class TooLong(BadDedent):
    def __init__(self, line: int, column: int, end_column: int | None) -> None:
        super().__init__(line, column)
        self.end_column = end_column


# a source checkout's (or an editable install's) grammar/, beside symconv/: this file is
# symconv/language/syntax.py
CHECKOUT_GRAMMAR = Path(__file__).resolve().parents[2] / "grammar"


def grammar_file(name: str):  # type: ignore[no-untyped-def]
    """A file of the grammar folder: inside the installed package, or the top-level grammar/
    of a source checkout (or an editable install)."""
    packaged = resources.files("symconv").joinpath(f"grammar/{name}")
    if packaged.is_file():
        return packaged
    return CHECKOUT_GRAMMAR / name


def grammar_text() -> str:
    return grammar_file("arch.lark").read_text(encoding="utf-8")


def key(text: str) -> str:
    """What the parse tables were built from: the grammar, Lark's version, the options."""
    import hashlib

    import lark

    return hashlib.sha256(f"{lark.__version__}\n{OPTIONS}\n{text}".encode()).hexdigest()


OPTIONS = {"parser": "lalr", "maybe_placeholders": False}
TABLES = "arch.lark.tables"  # the LALR tables, built by write_tables() and shipped


def build(transformer: Transformer) -> Lark:  # type: ignore[type-arg]
    """The parser, building IR with `transformer` as it reduces: loaded from the shipped tables
    when they were built from this grammar with this Lark (7 ms), else built in memory (about
    110 ms). Nothing is written: Lark's own cache would leave a file in the temporary folder
    on every machine symconv runs on."""
    text = grammar_text()
    loaded = load_tables(text, transformer)
    if loaded is not None:
        return loaded
    return Lark(text, postlex=ArchIndenter(), transformer=transformer, **OPTIONS)


def load_tables(text: str, transformer: Transformer) -> Lark | None:  # type: ignore[type-arg]
    import pickle

    tables = grammar_file(TABLES)
    if not tables.is_file():
        return None
    with tables.open("rb") as f:
        stored = pickle.load(f)  # symconv's own file, shipped in the package: never user input
    if stored.get("key") != key(text):
        return None
    parser = Lark.__new__(Lark)
    return parser._load({"data": stored["data"], "memo": stored["memo"]},  # Lark's own loader
                        postlex=ArchIndenter(), transformer=transformer)


def write_tables() -> Path:
    """Build the parse tables into grammar/arch.lark.tables (after changing the grammar or
    moving to another Lark: `python -c "import symconv.language.syntax as s; s.write_tables()"`;
    tests/test_output.py checks that they are current)."""
    import pickle

    from lark.grammar import Rule
    from lark.lark import _LOAD_ALLOWED_OPTIONS
    from lark.lexer import TerminalDef

    text = grammar_text()
    parser = Lark(text, postlex=ArchIndenter(), **OPTIONS)  # the tables need no transformer
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k not in _LOAD_ALLOWED_OPTIONS}
    path = CHECKOUT_GRAMMAR / TABLES
    with path.open("wb") as f:
        pickle.dump({"key": key(text), "data": data, "memo": memo}, f, protocol=4)
    return path
