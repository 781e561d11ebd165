"""The lowered program: frozen dataclasses with source spans, free of Lark and of sympy.

Values stay unevaluated here (`Num`, `Name`, `BinOp`, …); the derive stage evaluates them against
the declared sizes, so that an undeclared name is reported with its position.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import Source, Span


@dataclass(frozen=True)
class Num:
    value: int | Fraction
    span: Span
    text: str


@dataclass(frozen=True)
class Str:
    value: str
    span: Span


@dataclass(frozen=True)
class Const:
    """True, False or None."""

    value: bool | None
    span: Span


@dataclass(frozen=True)
class Name:
    id: str
    span: Span


@dataclass(frozen=True)
class BinOp:
    op: str  # one of + - * / // % **
    left: Value
    right: Value
    span: Span


@dataclass(frozen=True)
class Neg:
    operand: Value
    span: Span


@dataclass(frozen=True)
class Tuple:
    items: tuple[Value, ...]
    span: Span


@dataclass(frozen=True)
class List:
    """`[0, 2, 3, 1]`: read by layers as a tuple, handed to a framework as a list."""

    items: tuple[Value, ...]
    span: Span


@dataclass(frozen=True)
class Attribute:
    """`x.shape`; `x.view` in the method call `x.view(…)`."""

    value: Value
    name: str
    span: Span  # the whole `x.shape`
    name_span: Span  # the attribute's name


@dataclass(frozen=True)
class Subscript:
    """`x.shape[-1]`, `outs[0]`."""

    value: Value
    index: Value
    span: Span


@dataclass(frozen=True)
class Compare:
    op: str  # one of == != < <= > >=
    left: Value
    right: Value
    span: Span


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and", "or" or "not" (one operand)
    operands: tuple[Value, ...]
    span: Span


@dataclass(frozen=True)
class CallExpr:
    """`f(args)`: a layer or block made (f a name), or applied to tensors (f itself a call, or a
    shared layer's name)."""

    func: Value
    positional: tuple[Value, ...]
    keywords: tuple[Keyword, ...]
    span: Span  # the called name, or the opening parenthesis of an application


Value = (Num | Str | Const | Name | BinOp | Neg | Tuple | List | Attribute | Subscript | Compare
         | BoolOp | CallExpr)


@dataclass(frozen=True)
class Keyword:
    name: str
    value: Value
    span: Span  # the keyword's name


@dataclass(frozen=True)
class Domain:
    """`>= 0` in `sizes P >= 0`: the size's least value, as written (checked when derived)."""

    op: str  # the comparison written; only >= is allowed
    op_span: Span
    bound: Value
    span: Span  # the operator to the end of the bound


@dataclass(frozen=True)
class SizeDecl:
    """A declared size (`sizes P >= 0 = 1`) or a block parameter (`c`, `stride=1`, no domain)."""

    name: str
    default: Value | None
    span: Span
    domain: Domain | None = None


# -- statements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class InputItem:
    name: str | None  # `input x: (C, H, W)`; None for `input (C, H, W)`
    shape: Value | None  # None inside a block: `input x, skip` names the block's inputs
    span: Span


@dataclass(frozen=True)
class Input:
    items: tuple[InputItem, ...]
    span: Span


@dataclass(frozen=True)
class Output:
    values: tuple[Value, ...]
    span: Span


@dataclass(frozen=True)
class Targets:
    """The names of `q, k, v = …`, nested as written (`out, (h, c) = …`)."""

    items: tuple[Name | Targets, ...]
    span: Span


@dataclass(frozen=True)
class Assign:
    """`target = value`, `shared target = value`, `a, b = value` (target a Targets) or a
    bare `value` (target None)."""

    target: str | Targets | None
    value: Value
    span: Span
    shared: bool = False


@dataclass(frozen=True)
class Parameter:
    """`parameter pos: (1, L, d), trainable=False`: a free weight (torch nn.Parameter, Keras
    add_weight) of that whole shape, bound to `name` as an unbatched tensor."""

    name: str
    shape: Value
    settings: tuple[Keyword, ...]
    span: Span  # the name


@dataclass(frozen=True)
class Repeat:
    count: Value
    body: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True)
class If:
    branches: tuple[tuple[Value, tuple[Statement, ...]], ...]  # (condition, body), in order
    orelse: tuple[Statement, ...]
    span: Span


Statement = Input | Output | Assign | Parameter | Repeat | If


@dataclass(frozen=True)
class Block:
    name: str
    params: tuple[SizeDecl, ...]
    body: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True)
class Program:
    source: Source
    name: str | None
    convention: str | None
    convention_span: Span | None
    sizes: tuple[SizeDecl, ...]
    blocks: tuple[Block, ...]
    body: tuple[Statement, ...]
