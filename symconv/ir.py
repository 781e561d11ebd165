"""The lowered program: frozen dataclasses with source spans, free of Lark and of sympy.

Values stay unevaluated here (`Num`, `Name`, `BinOp`, …); the derive stage evaluates them against
the declared sizes, so that an undeclared name is reported with its position.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .errors import Source, Span


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


Value = Num | Str | Const | Name | BinOp | Neg | Tuple


@dataclass(frozen=True)
class Keyword:
    name: str
    value: Value
    span: Span  # the keyword's name


@dataclass(frozen=True)
class LayerCall:
    type: str
    positional: tuple[Value, ...]
    keywords: tuple[Keyword, ...]
    span: Span  # the layer's type name


@dataclass(frozen=True)
class SizeDecl:
    name: str
    default: Value | None
    span: Span


@dataclass(frozen=True)
class Program:
    source: Source
    name: str | None
    convention: str | None
    convention_span: Span | None
    sizes: tuple[SizeDecl, ...]
    input: Value | None
    input_span: Span | None
    layers: tuple[LayerCall, ...]
