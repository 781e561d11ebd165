"""Stage 1: text → Lark tree → `ir.Program`. The only module that imports Lark."""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.indenter import DedentError, Indenter
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import ir
from .errors import Source, Span, SymconvError



class _Indenter(Indenter):
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
            raise _BadDedent(token.end_line or 1, (token.end_column or 1)) from None


class _BadDedent(Exception):
    def __init__(self, line: int, column: int) -> None:
        self.line, self.column = line, column


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
        postlex=_Indenter(),
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

    def compare(self, meta, children):
        left, op, right = children
        return ir.Compare(str(op), left, right, _span(meta))

    def _boolop(op: str):  # type: ignore[misc]
        def build(self, meta, children):
            return ir.BoolOp(op, tuple(children), _span(meta))

        return build

    or_, and_, not_ = _boolop("or"), _boolop("and"), _boolop("not")

    def arguments(self, meta, children):
        return list(children)

    def call(self, meta, children):
        func, *rest = children
        args = rest[0] if rest and rest[0] is not None else []
        positional = tuple(a for a in args if not isinstance(a, ir.Keyword))
        keywords = tuple(a for a in args if isinstance(a, ir.Keyword))
        span = func.span if isinstance(func, ir.Name) else _span(meta)
        return ir.CallExpr(func, positional, keywords, span)

    def size_decl(self, meta, children):
        tok, *default = children
        return ir.SizeDecl(str(tok), default[0] if default else None, _tspan(tok))

    def sizes(self, meta, children):
        return ("sizes", tuple(children), _span(meta))

    def network(self, meta, children):
        return ("network", str(children[0]), _tspan(children[0]))

    def convention(self, meta, children):
        return ("convention", str(children[0]), _tspan(children[0]))

    def named_input(self, meta, children):
        tok, shape = children
        return ir.InputItem(str(tok), shape, _tspan(tok))

    def bare_input(self, meta, children):
        (value,) = children
        if isinstance(value, ir.Name):  # a block's `input x`, or a one-axis shape at the top
            return ir.InputItem(value.id, None, value.span)
        return ir.InputItem(None, value, value.span)

    def input(self, meta, children):  # noqa: A003
        return ir.Input(tuple(children), _span(meta))

    def output(self, meta, children):
        return ir.Output(tuple(children), _span(meta))

    def shared(self, meta, children):
        tok, value = children
        return ir.Assign(str(tok), value, _tspan(tok), shared=True)

    def assign(self, meta, children):
        tok, value = children
        return ir.Assign(str(tok), value, _tspan(tok))

    def apply(self, meta, children):
        (value,) = children
        return ir.Assign(None, value, value.span)

    def suite(self, meta, children):
        return tuple(children)

    def params(self, meta, children):
        return tuple(children)

    def block(self, meta, children):
        tok, *rest = children
        params = rest[0] if len(rest) == 2 and rest[0] is not None else ()
        return ("block", ir.Block(str(tok), params, rest[-1], _tspan(tok)), _tspan(tok))

    def repeat(self, meta, children):
        count, body = children
        return ir.Repeat(count, body, _span(meta))

    def elif_clause(self, meta, children):
        return ("elif", children[0], children[1])

    def else_clause(self, meta, children):
        return ("else", children[0])

    def if_stmt(self, meta, children):
        branches = [(children[0], children[1])]
        orelse: tuple = ()
        for clause in children[2:]:
            if clause[0] == "elif":
                branches.append((clause[1], clause[2]))
            else:
                orelse = clause[1]
        return ir.If(tuple(branches), orelse, _span(meta))

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
        if tok.type == "_INDENT":
            message = "unexpected indent"
            hint = "only the statements of a block, repeat or if are indented"
    return SymconvError("SC100", message, Span(line, column), source, hint)


def parse(source: Source) -> ir.Program:
    """Parse `source` into a Program. Raises SymconvError (SC100) on a syntax error."""
    parser = _parser()
    text = source.text.lstrip("\ufeff")
    try:
        tree = parser.parse(text if text.endswith("\n") else text + "\n")
    except UnexpectedInput as err:
        raise _syntax_error(err, source, parser) from None
    except _BadDedent as err:
        raise SymconvError("SC100", "unindent does not match any outer indentation level",
                           Span(err.line, err.column), source,
                           "indent each block's statements by the same amount") from None
    statements = _ToIR().transform(tree)
    return _assemble(statements, source)


def _top_level_only(body: tuple[object, ...], source: Source) -> None:
    """network, convention, sizes and block definitions belong to the top level."""
    for statement in body:
        if isinstance(statement, tuple):
            kind, _, span = statement
            raise SymconvError("SC100", f"'{kind}' is only allowed at the top level", span, source,
                               "write it unindented, outside any block, repeat or if")
        for nested in _bodies(statement):
            _top_level_only(nested, source)


def _bodies(statement: object) -> list[tuple[object, ...]]:
    if isinstance(statement, ir.Repeat):
        return [statement.body]
    if isinstance(statement, ir.If):
        return [body for _, body in statement.branches] + [statement.orelse]
    if isinstance(statement, ir.Block):
        return [statement.body]
    return []


def _assemble(statements: list[object], source: Source) -> ir.Program:
    seen: dict[str, Span] = {}
    found: dict[str, object] = {}
    blocks: dict[str, ir.Block] = {}
    body: list[ir.Statement] = []
    for statement in statements:
        if not isinstance(statement, tuple):
            _top_level_only((statement,), source)
            body.append(statement)  # type: ignore[arg-type]
            continue
        kind, value, span = statement
        if kind == "block":
            _top_level_only((value,), source)
            if value.name in blocks:  # type: ignore[attr-defined]
                first = blocks[value.name].span  # type: ignore[attr-defined]
                raise SymconvError("SC107", f"block '{value.name}' is defined twice", span,  # type: ignore[attr-defined]
                                   source, f"the first is on line {first.line}")
            blocks[value.name] = value  # type: ignore[attr-defined,index]
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
        blocks=tuple(blocks.values()),
        body=tuple(body),
    )
