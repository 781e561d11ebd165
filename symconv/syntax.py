"""The Lark side of stage 1: the grammar file, Python's indentation rules, the bounds checked
while tokens stream (open parentheses, the length of number literals), and the LALR tables
shipped in the package. parse.py builds the IR with the parser made here."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.indenter import DedentError, Indenter


class ArchIndenter(Indenter):
    """Python's rules: indentation opens and closes blocks; inside parentheses a newline
    continues the statement."""

    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR"]
    CLOSE_PAREN_types = ["RPAR"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8

    def handle_NL(self, token: Token):  # type: ignore[no-untyped-def]
        try:
            yield from super().handle_NL(token)
        except DedentError:
            raise BadDedent(token.end_line or 1, (token.end_column or 1)) from None


    def process(self, stream):  # type: ignore[no-untyped-def]
        """Python's rules, and no more than MAX_NESTING parentheses open at once."""
        depth = 0
        for token in super().process(stream):
            if token.type == "LPAR":
                depth += 1
                if depth > MAX_NESTING:
                    raise TooDeep(token.line or 1, token.column or 1)
            elif token.type == "RPAR":
                depth -= 1
            yield token


MAX_NESTING = 100  # parentheses open at once
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


class TooLong(BadDedent):
    def __init__(self, line: int, column: int, end_column: int | None) -> None:
        super().__init__(line, column)
        self.end_column = end_column


def grammar_file(name: str):  # type: ignore[no-untyped-def]
    """A file of the grammar folder: inside the installed package, or the top-level grammar/
    of a source checkout (or an editable install)."""
    packaged = resources.files("symconv").joinpath(f"grammar/{name}")
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "grammar" / name


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
    moving to another Lark: `python -c "import symconv.syntax as s; s.write_tables()"`;
    tests/test_output.py checks that they are current)."""
    import pickle

    from lark.grammar import Rule
    from lark.lark import _LOAD_ALLOWED_OPTIONS
    from lark.lexer import TerminalDef

    text = grammar_text()
    parser = Lark(text, postlex=ArchIndenter(), **OPTIONS)  # the tables need no transformer
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k not in _LOAD_ALLOWED_OPTIONS}
    path = Path(__file__).resolve().parent.parent / "grammar" / TABLES
    with path.open("wb") as f:
        pickle.dump({"key": key(text), "data": data, "memo": memo}, f, protocol=4)
    return path
