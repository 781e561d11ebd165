"""Stage 1: text → Lark tree → `ir.Program`. The only module that imports Lark."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import ir
from .errors import Source, Span, SymconvError

_OPEN = {"LPAR"}
_CLOSE = {"RPAR"}


class _JoinBracketedLines:
    """Postlexer: a newline inside parentheses continues the statement, as in Python, and
    blank or comment-only lines produce no statement separator of their own."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth, at_line_start = 0, True
        for token in stream:
            if token.type == "_NL":
                if depth or at_line_start:
                    continue
                at_line_start = True
            else:
                at_line_start = False
                if token.type in _OPEN:
                    depth += 1
                elif token.type in _CLOSE:
                    depth = max(0, depth - 1)
            yield token


def _grammar_text() -> str:
    packaged = resources.files("symconv").joinpath("grammar/arch.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # Running from a source checkout (or an editable install): the top-level grammar/ folder.
    return (Path(__file__).resolve().parent.parent / "grammar" / "arch.lark").read_text("utf-8")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(
        _grammar_text(),
        parser="lalr",
        postlex=_JoinBracketedLines(),
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,
    )


def _span(meta: object) -> Span:
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)  # type: ignore[attr-defined]


def _tspan(token: Token) -> Span:
    return Span(token.line or 1, token.column or 1, token.end_line, token.end_column)


@v_args(meta=True)
class _ToIR(Transformer):  # type: ignore[type-arg]
    """Builds IR nodes; validates nothing (that is the derive stage's job)."""

    def int(self, meta, children):  # noqa: A003
        (tok,) = children
        return ir.Num(int(tok.replace("_", "")), _tspan(tok), str(tok))

    def decimal(self, meta, children):
        (tok,) = children
        return ir.Num(Fraction(tok.replace("_", "")), _tspan(tok), str(tok))

    def string(self, meta, children):
        (tok,) = children
        return ir.Str(tok[1:-1], _tspan(tok))

    def true(self, meta, children):
        return ir.Const(True, _span(meta))

    def false(self, meta, children):
        return ir.Const(False, _span(meta))

    def none(self, meta, children):
        return ir.Const(None, _span(meta))

    def name(self, meta, children):
        (tok,) = children
        return ir.Name(str(tok), _tspan(tok))

    def tuple(self, meta, children):  # noqa: A003
        return ir.Tuple(tuple(children), _span(meta))

    def neg(self, meta, children):
        return ir.Neg(children[0], _span(meta))

    def pos(self, meta, children):
        return children[0]

    def _binop(op: str):  # type: ignore[misc]
        def build(self, meta, children):
            return ir.BinOp(op, children[0], children[1], _span(meta))

        return build

    add, sub, mul, truediv = _binop("+"), _binop("-"), _binop("*"), _binop("/")
    floordiv, mod, pow = _binop("//"), _binop("%"), _binop("**")  # noqa: A003

    def keyword(self, meta, children):
        tok, value = children
        return ir.Keyword(str(tok), value, _tspan(tok))

    def arguments(self, meta, children):
        return list(children)

    def layer(self, meta, children):
        tok, *rest = children
        args = rest[0] if rest else []
        positional = tuple(a for a in args if not isinstance(a, ir.Keyword))
        keywords = tuple(a for a in args if isinstance(a, ir.Keyword))
        return ("layer", ir.LayerCall(str(tok), positional, keywords, _tspan(tok)), _tspan(tok))

    def size_decl(self, meta, children):
        tok, *default = children
        return ir.SizeDecl(str(tok), default[0] if default else None, _tspan(tok))

    def sizes(self, meta, children):
        return ("sizes", tuple(children), _span(meta))

    def network(self, meta, children):
        return ("network", str(children[0]), _tspan(children[0]))

    def convention(self, meta, children):
        return ("convention", str(children[0]), _tspan(children[0]))

    def input(self, meta, children):  # noqa: A003
        return ("input", children[0], _span(meta))

    def start(self, meta, children):
        return list(children)


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


def _syntax_error(err: UnexpectedInput, source: Source, parser: Lark) -> SymconvError:
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
        expected = _expected(parser, set(err.expected))
        if expected:
            hint = f"expected one of: {expected}"
        if tok.type == "LPAR":
            hint = "only layers can be called, one per line: `Conv2D(32, 3)`"
    return SymconvError("SC100", message, Span(line, column), source, hint)


def parse(source: Source) -> ir.Program:
    """Parse `source` into a Program. Raises SymconvError (SC100) on a syntax error."""
    parser = _parser()
    text = source.text.lstrip("\ufeff")
    try:
        tree = parser.parse(text if text.endswith("\n") else text + "\n")
    except UnexpectedInput as err:
        raise _syntax_error(err, source, parser) from None
    statements = _ToIR().transform(tree)
    return _assemble(statements, source)


def _assemble(statements: list[tuple[str, object, Span]], source: Source) -> ir.Program:
    seen: dict[str, Span] = {}
    found: dict[str, object] = {}
    layers: list[ir.LayerCall] = []
    for kind, value, span in statements:
        if kind == "layer":
            layers.append(value)  # type: ignore[arg-type]
            continue
        if kind in seen:
            first = seen[kind]
            raise SymconvError(
                "SC107", f"a second '{kind}' statement", span, source,
                f"the first is on line {first.line}; write one '{kind}' line",
            )
        seen[kind], found[kind] = span, value
    return ir.Program(
        source=source,
        name=found.get("network"),  # type: ignore[arg-type]
        convention=found.get("convention"),  # type: ignore[arg-type]
        convention_span=seen.get("convention"),
        sizes=found.get("sizes", ()),  # type: ignore[arg-type]
        input=found.get("input"),  # type: ignore[arg-type]
        input_span=seen.get("input"),
        layers=tuple(layers),
    )
