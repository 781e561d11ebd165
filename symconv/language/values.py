"""Evaluate IR values against the declared sizes: the only place user text becomes sympy.

Numbers are built as `sympy.Integer`/`sympy.Rational` from Python ints and fractions, names are
looked up among the declared symbols, and operators are applied by sympy itself; nothing is ever
passed through a string-to-code parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import sympy

from ..errors import Span, SymconvError, did_you_mean, shown
from ..maths import extent, limits
from . import ir

MAX_DIGITS = 40  # integer literals beyond this many digits are refused
MAX_EXPONENT = 64
MAX_DEPTH = 200  # operators nested in one expression (a sum of 200 terms is 200 deep)


@dataclass(frozen=True)
class Deferred:
    """A call written as a value, `Bidirectional(LSTM(8))`: derived later, by the layer that
    takes it, in the scope it was written in."""

    call: ir.CallExpr
    scope: Mapping[str, object]

    def __str__(self) -> str:
        func = self.call.func
        return f"a call of {func.id}" if isinstance(func, ir.Name) else "a call"


class ListValue(tuple):  # type: ignore[type-arg]
    """A list as written, `[0, 2, 3, 1]`: a tuple to the layers that read it (`Call.raw`), a
    list again where the call is handed to a framework (`Permute([0, 2, 3, 1])`)."""

    __slots__ = ()


@dataclass(frozen=True)
class TensorView:
    """A tensor named where a value is read, for `x.shape`: its extents as the framework
    counts its axes (torch: the batch first, as `symbols.BATCH`; Keras: None), or None when
    the name holds several results (a tuple has no shape)."""

    name: str
    shape: tuple[object, ...] | None

    def __str__(self) -> str:
        return f"the tensor '{self.name}'"


BUILTINS = {"max": sympy.Max, "min": sympy.Min}  # Python's max and min, on whole numbers


@dataclass(frozen=True)
class Arg:
    """An evaluated value and where it was written."""

    value: object  # sympy.Expr, str, bool, None, Deferred or tuple[Arg, ...]
    span: Span

    @property
    def python(self) -> object:
        """The value with tuples unpacked into plain tuples of values."""
        if isinstance(self.value, ListValue):
            return ListValue(a.python for a in self.value)
        if isinstance(self.value, tuple):
            return tuple(a.python for a in self.value)
        return self.value


def evaluate(value: ir.Value, scope: Mapping[str, object], depth: int = 0) -> Arg:
    """Turn an IR value into an `Arg`, with names resolved in `scope` (declared sizes as
    symbols, block arguments as the values they were given). `depth`: how deep in the
    expression this value sits; past MAX_DEPTH it is refused where it is written."""
    if depth > MAX_DEPTH:
        raise SymconvError("SC110", f"expression nested more than {MAX_DEPTH} deep", value.span,
                           hint="split it with `sizes`, e.g. `sizes N = …`, or a block argument")
    depth += 1
    if isinstance(value, ir.Num):
        return Arg(_number(value), value.span)
    if isinstance(value, (ir.Str, ir.Const)):
        return Arg(value.value, value.span)
    if isinstance(value, ir.Name):
        found = _named(value, scope)
        if isinstance(found, TensorView):
            raise SymconvError("SC104", f"'{value.id}' is a tensor, not a value", value.span,
                               hint=f"its extents are values: `{value.id}.shape[-1]`")
        return Arg(found, value.span)
    if isinstance(value, ir.Tuple):
        return Arg(tuple(evaluate(v, scope, depth) for v in value.items), value.span)
    if isinstance(value, ir.List):
        return Arg(ListValue(evaluate(v, scope, depth) for v in value.items), value.span)
    if isinstance(value, ir.Attribute):
        return _attribute(value, scope, depth)
    if isinstance(value, ir.Subscript):
        return _subscript(value, scope, depth)
    if isinstance(value, ir.CallExpr) and _builtin(value, scope):
        return Arg(_extreme(value, scope, depth), value.span)
    if isinstance(value, ir.Neg):
        return Arg(-_numeric(evaluate(value.operand, scope, depth)), value.span)
    if isinstance(value, ir.CallExpr):
        return Arg(Deferred(value, scope), value.span)
    if isinstance(value, ir.Compare):
        return Arg(compare(value.op, evaluate(value.left, scope, depth),
                           evaluate(value.right, scope, depth)),
                   value.span)
    if isinstance(value, ir.BoolOp):
        return Arg(_logic(value, scope, depth), value.span)
    left_arg, right_arg = evaluate(value.left, scope, depth), evaluate(value.right, scope, depth)
    if value.op == "+" and isinstance(left_arg.value, str) and isinstance(right_arg.value, str):
        return Arg(left_arg.value + right_arg.value, value.span)  # layer names: prefix + "_bn"
    left, right = _numeric(left_arg), _numeric(right_arg)
    return Arg(bounded(_apply(value.op, left, right, value.span), value.span), value.span)


def _named(name: ir.Name, scope: Mapping[str, object]) -> object:
    if name.id not in scope:
        raise SymconvError(
            "SC103", f"'{name.id}' is not declared", name.span,
            hint=did_you_mean(name.id, sorted(scope)) or f"declare it first: `sizes {name.id}`",
        )
    return scope[name.id]


def _attribute(node: ir.Attribute, scope: Mapping[str, object], depth: int) -> Arg:
    """`x.shape`: a tensor's extents as a tuple, as the framework counts its axes."""
    base = (_named(node.value, scope) if isinstance(node.value, ir.Name)
            else evaluate(node.value, scope, depth).value)
    if isinstance(base, TensorView) and base.shape is not None and node.name == "shape":
        return Arg(tuple(Arg(e, node.span) for e in base.shape), node.span)
    tensor = isinstance(base, TensorView) and base.shape is not None
    what = "Tensor" if tensor else "tuple" if isinstance(base, TensorView) else _type_name(base)
    raise SymconvError("SC104", f"'{what}' object has no attribute '{node.name}'",
                       node.name_span, hint=did_you_mean(node.name, ["shape"]) if tensor
                       else "unpack several results first: `a, b = …`"
                       if isinstance(base, TensorView) else None)


def _type_name(v: object) -> str:
    """Python's name for the type of a value, for its messages."""
    if isinstance(v, bool) or v is None:
        return type(v).__name__ if v is not None else "NoneType"
    if isinstance(v, str):
        return "str"
    if isinstance(v, ListValue):
        return "list"
    if getattr(v, "is_Integer", False) or (isinstance(v, sympy.Expr) and v.is_integer):
        return "int"
    return "float" if getattr(v, "is_number", False) else type(v).__name__


def _subscript(node: ir.Subscript, scope: Mapping[str, object], depth: int) -> Arg:
    """`x.shape[-1]`, `(1, 2)[0]`: Python's indexing, negative indices and its IndexError."""
    base = (_named(node.value, scope) if isinstance(node.value, ir.Name)
            else evaluate(node.value, scope, depth).value)
    if isinstance(base, TensorView):
        raise SymconvError("SC104", "indexing a tensor gives a tensor, not a value",
                           node.span, hint=f"its extents are values: `{base.name}.shape[0]`")
    if not isinstance(base, tuple):
        raise SymconvError("SC104", f"'{_type_name(base)}' object is not subscriptable",
                           node.span)
    index = evaluate(node.index, scope, depth)
    shape = isinstance(node.value, ir.Attribute) and node.value.name == "shape"
    note = (f"the shape is ({', '.join(_extent_text(a.value) for a in base)})" if shape
            else None)
    at = position(index, len(base), "tuple" if not isinstance(base, ListValue) else "list",
                  note)
    item = base[at]
    return Arg(item.value, node.span) if isinstance(item, Arg) else Arg(item, node.span)


def _extent_text(value: object) -> str:
    return "batch" if isinstance(value, sympy.Symbol) and value.name == "(batch)" else str(value)


def position(index: Arg, length: int, kind: str, note: str | None = None) -> int:
    """Python's index into a sequence of `length`: a whole number, negative from the end;
    its TypeError and IndexError, at the index."""
    v = index.value
    if isinstance(v, bool) or not (isinstance(v, sympy.Expr) and v.is_Integer):
        symbolic = isinstance(v, sympy.Expr) and not v.is_number
        raise SymconvError("SC104", f"{kind} indices must be integers, not "
                           f"{'a formula in sizes' if symbolic else _type_name(v)}", index.span,
                           hint="sizes stay symbolic while the network is derived"
                           if symbolic else None)
    at = int(v)
    if not -length <= at < length:
        raise SymconvError("SC104", f"{kind} index out of range", index.span,
                           notes=[note or f"it has {length} item{'s' if length != 1 else ''}"])
    return at % length


def _builtin(node: ir.CallExpr, scope: Mapping[str, object]) -> bool:
    return isinstance(node.func, ir.Name) and node.func.id in BUILTINS and node.func.id not in scope


def _extreme(node: ir.CallExpr, scope: Mapping[str, object], depth: int) -> sympy.Expr:
    """`max(a, b, …)`, `min(…)` (or of one tuple or list) as sympy's Max and Min, built from
    the values directly."""
    assert isinstance(node.func, ir.Name)
    name = node.func.id
    if node.keywords:
        raise SymconvError("SC106", f"{name}() takes no keyword arguments here",
                           node.keywords[0].span)
    args = [evaluate(v, scope, depth) for v in node.positional]
    if len(args) == 1 and isinstance(args[0].value, tuple):
        args = list(args[0].value)
    elif len(args) == 1:  # Python's TypeError: one argument must be a tuple or list
        raise SymconvError("SC104", f"'{_type_name(args[0].value)}' object is not iterable",
                           args[0].span, hint=f"give {name}() two values or more, or a tuple")
    if not args:
        raise SymconvError("SC105", f"{name}() needs at least one value", node.span,
                           hint=f"e.g. `{name}(1, c // 4)`")
    values = [_numeric(a) for a in args]
    return bounded(BUILTINS[name](*values), node.span)


def bounded(value: sympy.Expr, span: Span) -> sympy.Expr:
    """`value`, or an SC110 error at `span` if it is past a bound of `limits`."""
    try:
        limits.check(value)
    except limits.TooLarge as err:
        raise SymconvError("SC110", f"this makes {err}", span,
                           hint="README: Limits lists the bounds") from None
    return value


_RELATIONS = {"==": sympy.Eq, "!=": sympy.Ne, "<": sympy.Lt, "<=": sympy.Le, ">": sympy.Gt,
              ">=": sympy.Ge}


def compare(op: str, left: Arg, right: Arg) -> object:
    """A comparison: True/False when decided, else a sympy relation (sizes left symbolic)."""
    a, b = left.value, right.value
    if isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr):
        return _decided(_RELATIONS[op](a, b))
    if op in ("==", "!="):
        same = type(a) is type(b) and a == b
        return same if op == "==" else not same
    raise SymconvError("SC104", f"cannot order {_kind(a)} and {_kind(b)}", left.span)


def _logic(value: ir.BoolOp, scope: Mapping[str, object], depth: int) -> object:
    items = [truth(evaluate(v, scope, depth)) for v in value.operands]
    if value.op == "not":
        return _decided(sympy.Not(items[0]))
    combine = sympy.And if value.op == "and" else sympy.Or
    return _decided(combine(*items))


def truth(arg: Arg) -> object:
    """A value as a condition: a bool, or a sympy relation still to be decided."""
    v = arg.value
    if isinstance(v, (bool, sympy.logic.boolalg.Boolean)) and not isinstance(v, sympy.Expr):
        return v
    raise SymconvError("SC104", f"a condition must be True, False or a comparison, not {_kind(v)}",
                       arg.span, hint="compare it, e.g. `stride != 1`")


def _decided(value: object) -> object:
    if value is sympy.true:
        return True
    if value is sympy.false:
        return False
    return value


def _kind(v: object) -> str:
    if isinstance(v, ListValue):
        return "a list"
    if isinstance(v, tuple):
        return "a tuple"
    return shown(v)


def _number(num: ir.Num) -> sympy.Expr:
    if isinstance(num.value, int):
        if len(str(num.value)) > MAX_DIGITS:
            raise SymconvError("SC110", f"integer literal longer than {MAX_DIGITS} digits",
                               num.span)
        return sympy.Integer(num.value)
    frac = Fraction(num.value)
    if len(str(frac.numerator)) > MAX_DIGITS or len(str(frac.denominator)) > MAX_DIGITS:
        raise SymconvError("SC110", f"number longer than {MAX_DIGITS} digits", num.span)
    return sympy.Rational(frac.numerator, frac.denominator)


def _numeric(arg: Arg) -> sympy.Expr:
    if isinstance(arg.value, sympy.Expr):
        return arg.value
    kind = _kind(arg.value)
    raise SymconvError("SC104", f"arithmetic on {kind}", arg.span,
                       hint="only numbers and declared sizes take + - * / // % **")


def _apply(op: str, a: sympy.Expr, b: sympy.Expr, span: Span) -> sympy.Expr:
    if op in ("/", "//", "%") and b.is_zero:
        raise SymconvError("SC104", "division by zero", span)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b
    if op == "//":
        if a.is_integer and b.is_Integer and b > 0:
            # in the derivation's canonical form, as a layer's extent: ((H - 4)//2 - 4)//2 is
            # ⌊H/4⌋ - 3, not ⌊⌊H/2⌋/2⌋ - 3, so it compares equal to the extent it counts
            return extent.affine_floor(a, 0, b, 0)
        return sympy.floor(a / b)
    if op == "%":
        return sympy.Mod(a, b)
    return _power(a, b, span)


def _power(base: sympy.Expr, exponent: sympy.Expr, span: Span) -> sympy.Expr:
    if not (exponent.is_Integer and 0 <= int(exponent) <= MAX_EXPONENT):
        raise SymconvError(
            "SC110", f"exponent must be a whole number from 0 to {MAX_EXPONENT}", span,
            hint="symbolic and fractional exponents are not supported",
        )
    if base.is_Number:
        digits = abs(float(sympy.log(abs(base), 10))) * int(exponent) if base not in (0, 1, -1) else 0
        if digits > limits.NUMBER_DIGITS:  # as every number symconv makes: a size given
            # by --subs into H**64 reaches the same value, and must get the same answer
            raise SymconvError("SC110", f"result has more than {limits.NUMBER_DIGITS} digits",
                               span)
    return base ** exponent
