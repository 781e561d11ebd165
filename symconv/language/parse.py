"""Text → `ir.Program`, built as Lark reduces (syntax.py makes the parser). Only
these two modules import Lark."""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput

from ..errors import Source, Span, SymconvError
from . import chunks, ir, syntax
from .diagnose import syntax_error


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return syntax.build(_ToIR())


def _tspan(token: Token) -> Span:
    return Span(token.line or 1, token.column or 1, token.end_line, token.end_column)


def _first(item: object) -> Span:
    return _tspan(item) if isinstance(item, Token) else item.span  # type: ignore[attr-defined]


def _last(item: object) -> Span:
    """Where `item` ends: a size's default value, an input's shape, or the item itself."""
    if isinstance(item, Token):
        return _tspan(item)
    for inner in ("default", "domain", "shape"):
        if getattr(item, inner, None) is not None:
            return _last(getattr(item, inner))
    return item.span  # type: ignore[attr-defined]


def _between(first: object, last: object) -> Span:
    a, b = _first(first), _last(last)
    return Span(a.line, a.column, b.end_line, b.end_column)


def _start(keyword: Token) -> Span:
    """Where a compound statement starts (its body spans lines: one caret, no underline)."""
    return Span(keyword.line or 1, keyword.column or 1)


def _values(children: list) -> list:  # type: ignore[type-arg]
    """A rule's children less its punctuation (kept only to know where the rule starts)."""
    return [c for c in children if not isinstance(c, Token) or c.type not in _PUNCTUATION]


_PUNCTUATION = {"LPAR", "RPAR", "LSQB", "RSQB", "DOT", "COMMA", "COLON", "MINUS", "NOT", "SIZES", "INPUT",
                "OUTPUT", "REPEAT", "IF", "AS"}


class _ToIR(Transformer):  # type: ignore[type-arg]
    """Builds IR nodes as the parser reduces (no parse tree is built); validates nothing (that
    is the derive stage's job). Spans come from the tokens: rules marked ! in the grammar keep
    their keywords and brackets so that their spans start and end where the text does."""

    def int(self, children):
        (tok,) = children
        syntax.check_literal(tok, tok.replace("_", ""))
        return ir.Num(int(tok.replace("_", "")), _tspan(tok), str(tok))

    def decimal(self, children):
        (tok,) = children
        mantissa, _, exponent = tok.replace("_", "").lower().partition("e")
        syntax.check_literal(tok, mantissa.replace(".", ""), exponent.lstrip("+-"))
        return ir.Num(Fraction(tok.replace("_", "")), _tspan(tok), str(tok))

    def string(self, children):
        (tok,) = children
        return ir.Str(tok[1:-1], _tspan(tok))

    def true(self, children):
        return ir.Const(True, _tspan(children[0]))

    def false(self, children):
        return ir.Const(False, _tspan(children[0]))

    def none(self, children):
        return ir.Const(None, _tspan(children[0]))

    def name(self, children):
        (tok,) = children
        return ir.Name(str(tok), _tspan(tok))

    def tuple(self, children):
        return ir.Tuple(tuple(_values(children)), _between(children[0], children[-1]))

    def list(self, children):
        return ir.List(tuple(_values(children)), _between(children[0], children[-1]))

    def attribute(self, children):
        value, _, tok = children
        return ir.Attribute(value, str(tok), _between(value, tok), _tspan(tok))

    def subscript(self, children):
        value, _, index, close = children
        return ir.Subscript(value, index, _between(value, close))

    def neg(self, children):
        return ir.Neg(children[1], _between(children[0], children[1]))

    def pos(self, children):
        return children[0]

    def _binop(op: str):  # type: ignore[misc]
        def build(self, children):
            return ir.BinOp(op, children[0], children[1], _between(children[0], children[1]))

        return build

    add, sub, mul, truediv = _binop("+"), _binop("-"), _binop("*"), _binop("/")
    floordiv, mod, pow = _binop("//"), _binop("%"), _binop("**")

    def keyword(self, children):
        tok, value = children
        return ir.Keyword(str(tok), value, _tspan(tok))

    def compare(self, children):
        left, op, right = children
        return ir.Compare(str(op), left, right, _between(left, right))

    def _boolop(op: str):  # type: ignore[misc]
        def build(self, children):
            return ir.BoolOp(op, tuple(_values(children)), _between(children[0], children[-1]))

        return build

    or_, and_, not_ = _boolop("or"), _boolop("and"), _boolop("not")

    def arguments(self, children):
        return list(children)

    def call(self, children):
        func, *rest = _values(children)
        args = rest[0] if rest else []
        positional = tuple(a for a in args if not isinstance(a, ir.Keyword))
        keywords = tuple(a for a in args if isinstance(a, ir.Keyword))
        span = func.span if isinstance(func, ir.Name) else _between(func, children[-1])
        return ir.CallExpr(func, positional, keywords, span)

    def size_decl(self, children):
        tok, *rest = children
        domain = None
        if rest and isinstance(rest[0], Token) and rest[0].type == "COMPARE":
            op, bound, *rest = rest
            domain = ir.Domain(str(op), _tspan(op), self.int([bound]), _between(op, bound))
        return ir.SizeDecl(str(tok), rest[0] if rest else None, _tspan(tok), domain)

    def param(self, children):
        tok, *default = children
        return ir.SizeDecl(str(tok), default[0] if default else None, _tspan(tok))

    def sizes(self, children):
        return ("sizes", tuple(_values(children)), _between(children[0], children[-1]))

    def network(self, children):
        return ("network", str(children[0]), _tspan(children[0]))

    def convention(self, children):
        return ("convention", str(children[0]), _tspan(children[0]))

    def named_input(self, children):
        tok, shape = children
        return ir.InputItem(str(tok), shape, _tspan(tok))

    def bare_input(self, children):
        (value,) = children
        if isinstance(value, ir.Name):  # a block's `input x`, or a one-axis shape at the top
            return ir.InputItem(value.id, None, value.span)
        return ir.InputItem(None, value, value.span)

    def input(self, children):
        return ir.Input(tuple(_values(children)), _between(children[0], children[-1]))

    def output(self, children):
        return ir.Output(tuple(_values(children)), _between(children[0], children[-1]))

    def shared(self, children):
        tok, value = children
        return ir.Assign(str(tok), value, _tspan(tok), shared=True)

    def parameter_setting(self, children):
        tok, value = children
        return ir.Keyword(str(tok), value, _tspan(tok))

    def parameter(self, children):
        tok, shape, *settings = children
        return ir.Parameter(str(tok), shape, tuple(settings), _tspan(tok))

    def assign(self, children):
        tok, value = children
        return ir.Assign(str(tok), value, _tspan(tok))

    def unpack(self, children):
        *targets, value = _values(children)
        names = _targets(targets, _between(targets[0], targets[-1]))
        return ir.Assign(names, value, names.span)

    def apply(self, children):
        (value,) = children
        return ir.Assign(None, value, value.span)

    def suite(self, children):
        return tuple(children)

    def params(self, children):
        return tuple(_values(children))

    def block(self, children):
        tok, *rest = children
        params = rest[0] if len(rest) == 2 and rest[0] is not None else ()
        return ("block", ir.Block(str(tok), params, rest[-1], _tspan(tok)), _tspan(tok))

    def repeat(self, children):
        count, *rest = _values(children)
        named = [c for c in rest if isinstance(c, Token) and c.type == "NAME"]
        index = ir.Name(str(named[0]), _tspan(named[0])) if named else None
        return ir.Repeat(count, rest[-1], _start(children[0]), index)

    def elif_clause(self, children):
        return ("elif", children[0], children[1])

    def else_clause(self, children):
        return ("else", children[0])

    def if_stmt(self, children):
        first, body, *clauses = _values(children)
        branches = [(first, body)]
        orelse: tuple = ()
        for clause in clauses:
            if clause[0] == "elif":
                branches.append((clause[1], clause[2]))
            else:
                orelse = clause[1]
        return ir.If(tuple(branches), orelse, _start(children[0]))

    def start(self, children):
        return list(children)


def _targets(items: list[ir.Value], span: Span) -> ir.Targets:
    """The names of `a, (b, c) = …`; anything else is refused as Python refuses it."""
    out: list[ir.Name | ir.Targets] = []
    for item in items:
        if isinstance(item, ir.Name):
            out.append(item)
        elif isinstance(item, ir.Tuple) and item.items:
            out.append(_targets(list(item.items), item.span))
        else:
            raise syntax.Refused("SC100", "cannot assign to an expression", item.span.line,
                                 item.span.column, "write names to unpack into, e.g. "
                                 "`a, b = x.chunk(2)` or `out, (h, c) = lstm(x)`")
    return ir.Targets(tuple(out), span)


def parse(source: Source) -> ir.Program:
    """Parse `source` into a Program. Raises SymconvError (SC100) on a syntax error."""
    parser = _parser()
    text = source.text.lstrip("\ufeff")
    text = text if text.endswith("\n") else text + "\n"
    statements = chunks.statements(text, parser.parse)
    if statements is not None:
        return _assemble(statements, source)
    try:
        statements = parser.parse(text)
    except UnexpectedInput as err:
        raise syntax_error(err, source, parser) from None
    except syntax.TooLong as err:
        raise SymconvError("SC110", f"number longer than {syntax.MAX_LITERAL} digits (or an "
                           f"exponent over {syntax.MAX_EXPONENT_DIGITS} digits)",
                           Span(err.line, err.column, err.line, err.end_column), source) from None
    except syntax.Refused as err:
        raise SymconvError(err.code, err.message, Span(err.line, err.column), source,
                           err.hint) from None
    except syntax.TooDeep as err:
        raise SymconvError("SC110", f"parentheses nested more than {syntax.MAX_NESTING} deep",
                           Span(err.line, err.column), source) from None
    except syntax.BadDedent as err:
        raise SymconvError("SC100", "unindent does not match any outer indentation level",
                           Span(err.line, err.column), source,
                           "indent each block's statements by the same amount") from None
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
