"""What a `solve` target compares (a shape, a parameter count, two shapes)
and the relations it puts on the sizes; and, for the search, how far a candidate is from it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import sympy
from sympy import Expr, Integer

from ..derivation.model import Derivation, LayerRecord
from ..errors import SymconvError, did_you_mean, shown
from ..maths import extent
from ..maths.integers import compile_form
from . import roots


@dataclass(frozen=True)
class Target:
    """One thing the solution must give. kind: 'shape' (value: a tuple, None for a free
    axis), 'params' (value: an int), 'max-params', 'min-params', or 'equal' (value: the
    other layer's name)."""

    kind: str
    value: object
    layer: str | None = None  # None: the network's output / total

    def __post_init__(self) -> None:
        """The API's targets checked as the CLI's are (SC303), not left to fail inside."""
        counts = ("params", "max-params", "min-params")
        if self.kind not in (*counts, "shape", "equal"):
            raise SymconvError("SC303", f"unknown target kind {self.kind!r}", None,
                               hint="one of 'shape', 'params', 'max-params', 'min-params', "
                               "'equal'")
        if self.kind in counts and (isinstance(self.value, bool) or not isinstance(
                self.value, int) or self.value < 0):
            raise SymconvError("SC303", f"a {self.kind} target is a whole number ≥ 0, not "
                               f"{self.value!r}", None)
        if self.kind == "shape" and (not isinstance(self.value, tuple) or not all(
                v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)
                for v in self.value)):
            raise SymconvError("SC303", "a shape target is a tuple of whole numbers ≥ 0 and "
                               f"None (any extent), not {self.value!r}", None,
                               hint="e.g. Target('shape', (13, 13, None))")
        if self.kind == "equal" and not isinstance(self.value, str):
            raise SymconvError("SC303", f"an equal target names a layer, not {self.value!r}",
                               None)
        if self.layer is not None and not isinstance(self.layer, str):
            raise SymconvError("SC303", f"a target's layer is a name, not {self.layer!r}", None)

    def describe(self, places: Mapping[str, str] | None = None) -> str:
        """The target in words; `places` says what each name is (Solution.places: a tensor
        the file names is no layer)."""
        def said(name: str) -> str:  # a tensor has a shape; a layer or block, an output shape
            where = (places or {}).get(name) or f"layer '{name}'"
            return f"{where} {'shape' if where.startswith(('tensor', 'input')) else 'output shape'}"

        if self.kind == "shape":
            axes = ", ".join("_" if v is None else str(v) for v in self.value)  # type: ignore
            shape = said(self.layer) if self.layer else "the network output shape"
            return f"{shape} ({axes}{',' if len(self.value) == 1 else ''})"  # type: ignore
        if self.kind == "equal":
            shape = said(self.layer) if self.layer else "the network output shape"
            return f"{shape} = {said(str(self.value))}"
        where = ((places or {}).get(self.layer) or f"layer '{self.layer}'") if self.layer \
            else "the network"
        words = {"params": "=", "max-params": "≤", "min-params": "≥"}[self.kind]
        return f"{where} parameters {words} {self.value:,}"  # type: ignore[str-format]


def _one_pass(d: Derivation, layer: str, values: Sequence[Expr]) -> None:
    """A layer inside a repeat of symbolic count has one shape (or count) per pass when they
    hold the pass: no single value to solve for."""
    passes = {r.steps for r in d.repeats if r.steps is not None}
    if any(e.free_symbols & passes for e in values):
        counts = ", ".join(sorted({str(r.count) for r in d.repeats}))
        raise SymconvError("SC303", f"layer '{layer}' is inside a repeat of symbolic count: "
                           "it has a different value at each pass", None, d.source,
                           hint=f"target the network's output, or fix the count (--subs, e.g. "
                           f"{counts.split(', ')[0]}=3) and name one pass's layer (`symconv "
                           "derive` with the same --subs lists them)")


def shape_of(d: Derivation, layer: str | None) -> tuple[Expr, ...]:
    if layer is None:
        return d.output_shape
    for block in d.blocks:
        if block.name == layer:
            _one_pass(d, layer, block.output_shape)
            return block.output_shape
    shape = _tensor(d, layer) if layer in d.named and not _is_layer(d, layer) \
        else _record(d, layer, tensors=True).output_shape
    _one_pass(d, layer, shape)
    return shape


def place(d: Derivation, name: str) -> str:
    """How a target's name is said, looked up in shape_of's order: block 'layer1', then
    tensor 's2' or input 'x' (a name the file gives a tensor that no layer has), else layer."""
    if any(block.name == name for block in d.blocks):
        return f"block '{name}'"
    if name in d.named and not _is_layer(d, name):
        return f"{'input' if isinstance(d.named[name][0], str) else 'tensor'} '{name}'"
    return f"layer '{name}'"


def _is_layer(d: Derivation, name: str) -> bool:
    try:
        d.layer(name)
    except KeyError:
        return False
    return True


def _tensor(d: Derivation, name: str) -> tuple[Expr, ...]:
    """The shape of a tensor the file names at its top level (`s2 = DoubleConv(…)`): the
    output of the layer that made it, or a network input; a name bound twice is refused."""
    nodes = d.named[name]
    if len(set(nodes)) > 1:
        layers = [f"'{d.layers[n if isinstance(n, int) else n[0]].name}'" for n in nodes
                  if not isinstance(n, str)]
        raise SymconvError("SC303", f"the tensor '{name}' is assigned {len(nodes)} times",
                           None, d.source, hint="name the layer that made the one you mean"
                           + (f": {' or '.join(dict.fromkeys(layers))}" if layers else ""))
    node = nodes[0]
    if isinstance(node, str):
        return dict(d.inputs)[node]
    if isinstance(node, tuple):
        return d.layers[node[0]].outputs[node[1]]
    return d.layers[node].output_shape


def _record(d: Derivation, layer: str, tensors: bool = False) -> LayerRecord:
    """The layer of that name; `tensors`: the name may also be a tensor's (shapes only: a
    tensor made by a block has the block's shape but its last layer's count)."""
    try:
        return d.layer(layer)
    except KeyError:
        names = [r.name for r in d.layers] + [b.name for b in d.blocks] + (
            list(d.named) if tensors else [])
        what = "layer or tensor" if tensors else "layer"
        raise SymconvError("SC303", f"no {what} named '{layer}'", None, d.source,
                           hint=did_you_mean(layer, names) or "`symconv derive` lists the "
                           "layer names") from None


def params_of(d: Derivation, layer: str | None) -> Expr:
    if layer is None:
        return d.params
    for block in d.blocks:
        if block.name == layer:
            _one_pass(d, layer, (d.subtotal(block),))
            return d.subtotal(block)
    params = _record(d, layer).params
    _one_pass(d, layer, (params,))
    return params


def compared(d: Derivation, target: Target) -> list[Expr]:
    """What the target compares: the shape's given axes (both shapes for 'equal'), or the
    parameter count."""
    if target.kind == "shape":
        shape = shape_of(d, target.layer)
        wanted = target.value
        assert isinstance(wanted, tuple)
        if len(wanted) != len(shape):
            raise SymconvError("SC303", f"the target shape has {len(wanted)} axes but the "
                               f"output has {len(shape)} (batch axis left out)", None, d.source,
                               hint="write one value or _ per axis, e.g. --shape '(13, 13, _)'")
        return [e for e, v in zip(shape, wanted) if v is not None]
    if target.kind == "equal":
        a, b = shape_of(d, target.layer), shape_of(d, str(target.value))
        if len(a) != len(b):
            raise SymconvError("SC303", f"the two shapes have different ranks ({len(a)} and "
                               f"{len(b)})", None, d.source)
        return [*a, *b]
    return [params_of(d, target.layer)]


def relations_of(d: Derivation, target: Target) -> list[sympy.Basic]:
    """The target as relations, each folded to true or false where that is decided."""
    quantities = compared(d, target)
    if target.kind == "shape":
        wanted = [v for v in target.value if v is not None]  # type: ignore[attr-defined]
        return [roots.relate(sympy.Eq, e, Integer(v)) for e, v in zip(quantities, wanted)]
    if target.kind == "equal":
        half = len(quantities) // 2
        return [extent.equal(x, y) for x, y in zip(quantities[:half], quantities[half:])]
    relation = {"params": sympy.Eq, "max-params": sympy.Le, "min-params": sympy.Ge}[target.kind]
    return [roots.relate(relation, quantities[0], Integer(target.value))]  # type: ignore[arg-type]


def measure(target: Target, known: Derivation, syms: Sequence[sympy.Symbol]):  # type: ignore[no-untyped-def]
    """(what the target's quantity is at a point, as text; how far it is from the target).
    An axis the target leaves free may hold a size left symbolic: it is shown as a formula."""
    if target.kind in ("shape", "equal"):
        forms = [_evaluator(e, syms) for e in shape_of(known, target.layer)]
        wanted = target.value if target.kind == "shape" else (None,) * len(forms)

        def describe(v: Sequence[int]) -> str:
            return "(" + ", ".join(shown(f(v)) for f in forms) + ")"

        def gap(v: Sequence[int]) -> int:
            return sum(abs(int(f(v)) - w) for f, w in zip(forms, wanted)  # type: ignore[arg-type]
                       if w is not None)

        return describe, gap
    count = _evaluator(params_of(known, target.layer), syms)

    def parameters(v: Sequence[int]) -> str:
        n = count(v)
        return f"{n:,} parameters" if isinstance(n, int) else f"{shown(n)} parameters"

    def gap_to(v: Sequence[int]) -> int:
        return abs(int(count(v)) - int(target.value))  # type: ignore[call-overload]

    return parameters, gap_to


def _evaluator(e: Expr, syms: Sequence[sympy.Symbol]) -> Callable[[Sequence[int]], object]:
    """`e` at integer values of `syms`: exactly and fast (symconv.maths.integers), or by
    substitution where `e` holds other sizes too (the result is then a formula in them)."""
    if e.free_symbols <= set(syms):
        return compile_form(e, syms)
    return lambda v: e.xreplace(dict(zip(syms, (Integer(x) for x in v))))
