"""Stage 3: walk the program's layers, bind their arguments and call the registry.

The layer functions are pure; this module owns naming, argument binding, the convention's
vocabulary and the error positions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

import sympy
from sympy import Expr

from . import ir, symbols
from .errors import Source, Span, SymconvError, did_you_mean
from .layers import REGISTRY, Call, LayerSpec
from .layers.base import REQUIRED
from .model import Derivation, LayerRecord
from .values import Arg, evaluate

CONVENTIONS = ("keras", "torch")
DEFAULT_CONVENTION = "keras"


def derive_program(program: ir.Program) -> Derivation:
    """Derive every layer of a parsed program, symbolically."""
    try:
        return _derive(program)
    except SymconvError as err:
        raise err.located(program.source) from None


def _derive(program: ir.Program) -> Derivation:
    convention = _convention(program)
    scope, defaults = _sizes(program)
    shape = input_shape = _input(program, scope)
    records: list[LayerRecord] = []
    namer = _Namer(convention)
    for call in program.layers:
        record = _layer(call, convention, scope, shape, namer)
        records.append(record)
        shape = record.output_shape
    return Derivation(program.source, program.name, convention, tuple(scope), defaults,
                      input_shape, tuple(records))


def _convention(program: ir.Program) -> str:
    name = program.convention or DEFAULT_CONVENTION
    if name not in CONVENTIONS:
        raise SymconvError("SC109", f"unknown convention '{name}'", program.convention_span,
                           hint="write `convention keras` or `convention torch`")
    return name


def _sizes(program: ir.Program) -> tuple[dict[str, Expr], dict[str, int]]:
    scope: dict[str, Expr] = {}
    defaults: dict[str, int] = {}
    for decl in program.sizes:
        if decl.name in scope:
            raise SymconvError("SC107", f"size '{decl.name}' is declared twice", decl.span)
        if decl.default is not None:
            value = evaluate(decl.default, {}).value
            if not (isinstance(value, sympy.Integer) and value >= 1):
                raise SymconvError("SC104", f"the default of '{decl.name}' must be a whole "
                                   f"number ≥ 1, not {value}", decl.default.span)
            defaults[decl.name] = int(value)
        scope[decl.name] = symbols.size(decl.name)
    return scope, defaults


def _input(program: ir.Program, scope: Mapping[str, Expr]) -> tuple[Expr, ...]:
    if program.input is None:
        span = program.layers[0].span if program.layers else Span(1, 1)
        raise SymconvError("SC108", "no input shape", span,
                           hint="declare it before the layers, e.g. `input (H, W, 3)`")
    arg = evaluate(program.input, scope)
    items = arg.value if isinstance(arg.value, tuple) else (arg,)
    shape = []
    for item in items:
        v = item.value
        if not isinstance(v, Expr) or v.is_integer is not True or v.is_positive is not True:
            raise SymconvError("SC104", f"an input extent must be a whole number ≥ 1, not {v}",
                               item.span, hint="use declared sizes and whole numbers")
        shape.append(v)
    if not shape:
        raise SymconvError("SC104", "the input shape is empty", arg.span)
    return tuple(shape)


class _Namer:
    """Layer names as the framework gives them: Keras's snake_case with _1, _2…; PyTorch's
    nn.Sequential indices."""

    def __init__(self, convention: str) -> None:
        self.convention = convention
        self.counts: dict[str, int] = {}
        self.index = 0
        self.taken: dict[str, Span] = {}

    def name(self, spec: LayerSpec, given: Arg | None, span: Span) -> str:
        index, self.index = self.index, self.index + 1
        if given is not None:
            if not isinstance(given.value, str) or not given.value:
                raise SymconvError("SC104", "'name' must be a non-empty string", given.span)
            name, at = given.value, given.span
        elif self.convention == "keras":
            base = _snake_case(spec.type)
            count = self.counts.get(base, 0)
            self.counts[base] = count + 1
            name, at = (f"{base}_{count}" if count else base), span
        else:
            name, at = str(index), span
        if name in self.taken:
            raise SymconvError("SC107", f"layer name '{name}' is used twice", at,
                               hint=f"first used on line {self.taken[name].line}; "
                               "all layer names must be unique")
        self.taken[name] = at
        return name


def _snake_case(name: str) -> str:
    """keras.src.utils.naming.to_snake_case."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _spec(call: ir.LayerCall, convention: str) -> LayerSpec:
    table = REGISTRY[convention]
    if call.type in table:
        return table[call.type]
    other = "torch" if convention == "keras" else "keras"
    if call.type in REGISTRY[other]:
        raise SymconvError("SC102", f"'{call.type}' is a {_label(other)} layer, but this file "
                           f"uses the {_label(convention)} convention", call.span,
                           hint=f"write `convention {other}` at the top, or use the "
                           f"{_label(convention)} name{_equivalent(call.type, convention)}")
    raise SymconvError("SC101", f"unknown {_label(convention)} layer '{call.type}'", call.span,
                       hint=did_you_mean(call.type, sorted(table))
                       or "README lists the supported layers")


def _label(convention: str) -> str:
    return "Keras" if convention == "keras" else "PyTorch"


def _equivalent(type_: str, convention: str) -> str:
    from .layers.names import equivalent

    found = equivalent(type_, convention)
    return f" ({found})" if found else ""


def _bind(spec: LayerSpec, call: ir.LayerCall, scope: Mapping[str, Expr]) -> dict[str, Arg]:
    names = [p.name for p in spec.params]
    if len(call.positional) > len(names):
        extra = call.positional[len(names)]
        raise SymconvError("SC106", f"{spec.type}() takes at most {len(names)} positional "
                           "arguments", extra.span)
    bound = {p.name: evaluate(v, scope) for p, v in zip(spec.params, call.positional)}
    for kw in call.keywords:
        if kw.name not in names:
            raise SymconvError("SC106", f"{spec.type}() got an unexpected argument '{kw.name}'",
                               kw.span, hint=did_you_mean(kw.name, names))
        if kw.name in bound:
            raise SymconvError("SC106", f"{spec.type}() got two values for '{kw.name}'", kw.span)
        bound[kw.name] = evaluate(kw.value, scope)
    for p in spec.params:
        if p.default is REQUIRED and p.name not in bound:
            raise SymconvError("SC105", f"{spec.type}() is missing the argument '{p.name}'",
                               call.span, hint=f"e.g. {spec.type}({p.name}=…)")
    return bound


def _layer(call: ir.LayerCall, convention: str, scope: Mapping[str, Expr],
           shape: tuple[Expr, ...], namer: _Namer) -> LayerRecord:
    spec = _spec(call, convention)
    args = _bind(spec, call, scope)
    name = namer.name(spec, args.get("name"), call.span)
    ctx = Call(spec, name, (shape,), args, call.span)
    out = spec.fn(ctx)
    weights = out.weights
    if convention == "keras" and ctx.given("trainable") and not ctx.flag("trainable"):
        weights = tuple(replace(w, trainable=False) for w in weights)
    return LayerRecord(name, spec.type, call.span, shape, out.shape, weights,
                       tuple(ctx.requires), out.notes)
