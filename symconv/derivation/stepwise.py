"""The layer-by-layer form of a derivation: each layer's output extents in terms of its own
input's, H_1 = H - 2, H_2 = ⌊H_1/2⌋, … (the expanded form writes everything in the network's
input sizes instead). For papers that state the recurrence rather than its closed form. An
extent set by an argument alone (32 filters, `classes`) is written as it is.

Each layer's registry function is run again with symbols for the extents of its input (its
arguments as written); an extent that is a number or passes through unchanged keeps its name, and
every other one gets a new symbol named after the input size it comes from, subscripted with the
number of the layer among those that define one (`symbols.stage`): H_1, H_2, … with no gaps,
whatever layers (an input's rescaling, a padding-same convolution) come first.

`shown` folds blocks as the table does (`--depth`): a block is one row, whose definitions are
those of its symbols used after it, written in the symbols before it, numbered again from 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy
from sympy import Expr

from ..language.values import Arg
from ..layers import REGISTRY, Call
from ..maths import symbols
from ..maths.quotient import unevaluated
from .counts import count
from .model import BlockRecord, Derivation, LayerCall, LayerRecord, RepeatRecord, over_passes

Shape = tuple[Expr, ...]


@dataclass(frozen=True)
class Step:
    """One layer: its output shape in stage symbols, the definitions of the symbols it
    introduces (symbol = expression in its input's symbols) and its parameter count in them."""

    record: LayerRecord | BlockRecord
    shape: Shape
    defines: tuple[tuple[sympy.Symbol, Expr], ...]
    params: Expr


def _arg(value: object, span: object) -> Arg:
    if isinstance(value, LayerCall):
        raise _NoStep  # a layer given as an argument: only its expanded form is known
    if isinstance(value, tuple):
        return Arg(tuple(_arg(v, span) for v in value), span)  # type: ignore[arg-type]
    return Arg(value, span)  # type: ignore[arg-type]


class _NoStep(Exception):
    pass


def _rerun(d: Derivation, record: LayerRecord, inputs: tuple[Shape, ...]) -> tuple[Shape, Expr]:
    """The layer's output shape and parameters on `inputs` (in stage symbols). A layer met
    again on inputs that differ only in which symbols they hold (a chain's every layer gets
    fresh ones: H_1, then H_2, …) gets the result computed for the first, its symbol renamed:
    only where every extent of that result holds one symbol at most, whose name then decides
    nothing in it (sympy orders a sum's terms by name only between different symbols)."""
    assert record.call is not None
    if record.type not in REGISTRY[d.convention]:  # a free parameter: its shape as declared
        raise _NoStep
    batched = tuple(d.layers[s].batched if isinstance(s, int) else True for s in record.sources)
    standing, back = _standing(inputs)
    try:
        key = (d.convention, record.type, record.call.args, batched, len(record.tied),
               record.shares is None, standing)
        template = _TEMPLATES.get(key, _UNKNOWN)
    except TypeError:  # an argument that cannot be a key: computed each time
        return _run(d, record, inputs, batched)
    if template is _UNKNOWN:
        template = _template(*_run(d, record, standing, batched))
        if len(_TEMPLATES) >= _MOST_TEMPLATES:
            _TEMPLATES.clear()
        _TEMPLATES[key] = template
    if template is None:
        return _run(d, record, inputs, batched)
    shape, params = template
    return tuple(_renamed(e, back) for e in shape), _renamed(params, back)


def _run(d: Derivation, record: LayerRecord, inputs: tuple[Shape, ...],
         batched: tuple[bool, ...]) -> tuple[Shape, Expr]:
    assert record.call is not None
    spec = REGISTRY[d.convention][record.type]
    args = {k: _arg(v, record.span) for k, v in record.call.args}
    out = spec.fn(Call(spec, record.name, inputs, args, record.span, batched=batched))
    own = out.weights[len(record.tied):]  # a tied weight (the first) is counted where it is made
    weights = [w.size for w in own if not w.buffer] if record.shares is None else []
    return out.shape, count(weights)


_UNKNOWN = object()
_MOST_TEMPLATES = 4096
# (convention, layer, its arguments, batched, tied, counted, inputs with symbols standing in)
#   -> (shape, parameters) in those symbols, or None where a name could decide something
_TEMPLATES: dict[tuple[object, ...], tuple[Shape, Expr] | None] = {}
_STANDING: dict[tuple[int, tuple[tuple[str, bool], ...]], sympy.Symbol] = {}


def _standing(inputs: tuple[Shape, ...]) -> tuple[tuple[Shape, ...], dict[sympy.Basic, Expr]]:
    """`inputs` with each distinct symbol replaced by one standing for it (the k-th distinct
    symbol with its assumptions: the same one for every layer), and the way back."""
    mine: dict[sympy.Basic, sympy.Symbol] = {}
    for shape in inputs:
        for e in shape:
            if e.is_Symbol and e not in mine:
                facts = tuple(sorted(e.assumptions0.items()))
                key = (len(mine), facts)
                stand = _STANDING.get(key)
                if stand is None:  # a Symbol (a Dummy orders x·(x − 1) the other way round),
                    # named as no size can be (symbols.BATCH's way)
                    stand = _STANDING[key] = sympy.Symbol(f"(standing {len(mine)})",
                                                          **dict(facts))
                mine[e] = stand
    standing = tuple(tuple(mine.get(e, e) if e.is_Symbol else e for e in shape)
                     for shape in inputs)
    return standing, {v: k for k, v in mine.items()}


def _template(shape: Shape, params: Expr) -> tuple[Shape, Expr] | None:
    """The result kept to be renamed, or None: an extent or count with two symbols or more
    (their order in a sum would follow their names) is computed for each layer again."""
    values = (*shape, params)
    if any(len(e.free_symbols) > 1 or not _buildable(e) for e in values):
        return None
    return shape, params


def _buildable(e: Expr) -> bool:
    """Whether `_renamed` can build `e` again: symbols and numbers in sums, products, powers,
    floors and ceilings."""
    if not e.args:
        return e.is_Symbol or e.is_Number
    return type(e) in _BUILD and all(_buildable(a) for a in e.args)


def _renamed(e: Expr, back: dict[sympy.Basic, Expr]) -> Expr:
    """`e` (`_buildable`) with its standing symbol replaced, built as it stands: the same tree
    (the one symbol's name orders nothing), without sympy evaluating it again (a floor of a new
    symbol costs 30 times its making)."""
    if not e.args:
        return back.get(e, e) if e.is_Symbol else e
    if not e.free_symbols:
        return e
    return _BUILD[type(e)]([_renamed(a, back) for a in e.args])


# each kind of node a renamed result may hold, made from its arguments as they stand
_BUILD: dict[type, Callable[[list[Expr]], Expr]] = {
    sympy.Add: sympy.Add._from_args, sympy.Mul: sympy.Mul._from_args,
    sympy.Pow: lambda args: sympy.Pow(*args, evaluate=False),
    sympy.floor: lambda args: unevaluated(sympy.floor, args[0]),
    sympy.ceiling: lambda args: unevaluated(sympy.ceiling, args[0])}


def _base(expanded: Expr, axis: int) -> str:
    names = sorted(str(s) for s in expanded.free_symbols)
    return names[0] if len(names) == 1 else "N" if names else f"D{axis}"


def steps(d: Derivation) -> list[Step]:
    """Every layer in the layer-by-layer form (a layer that takes a layer as its argument keeps
    the expanded form)."""
    shapes: dict[int | str, Shape] = {name: shape for name, shape in d.inputs}
    # the sizes that flow: the network input's extents, then every stage symbol made
    flowing: set[sympy.Basic] = set().union(*(e.free_symbols for _, s in d.inputs for e in s))
    defined: dict[Expr, sympy.Symbol] = {}  # every definition made so far, by its expression
    out = []
    passes = _passes(d)
    made = 0  # the layers that have defined a symbol so far: the subscripts run 1, 2, …
    for i, record in enumerate(d.layers):
        # a later output of a call giving several, (index, k): its derived shape
        inputs = (record.input_shapes if i in passes
                  else tuple(shapes[s] if not isinstance(s, tuple) else d.layers[s[0]].outputs[s[1]]
                             for s in record.sources))
        try:
            shape, params = _rerun(d, record, inputs)
        except _NoStep:
            shape, params = record.output_shape, record.params
        if not record.sources:  # a free parameter: its shape is written, not derived
            shapes[i] = shape
            out.append(Step(record, shape, (), params))
            continue
        known = {e for s in inputs for e in s if isinstance(e, sympy.Symbol)}
        named: list[Expr] = []
        defines: list[tuple[sympy.Symbol, Expr]] = []
        for axis, (extent, expanded) in enumerate(zip(shape, record.output_shape)):
            if extent.is_Number or extent in known or not extent.free_symbols & flowing:
                named.append(extent)
                continue
            if extent in defined:  # the same definition already has a name (a skip path)
                named.append(defined[extent])
                continue
            symbol = symbols.stage(_base(expanded, axis), made + 1)
            if any(s == symbol for s, _ in defines):
                symbol = symbols.stage(f"{_base(expanded, axis)}{axis}", made + 1)
            defines.append((symbol, extent))
            defined[extent] = symbol
            flowing.add(symbol)
            named.append(symbol)
        made += bool(defines)
        shapes[i] = tuple(named)
        out.append(Step(record, tuple(named), tuple(defines), params))
        for r in d.repeats:  # past a recurrence, the carried tensor is its closed form in n
            if r.last == i and r.entry != r.exit:
                shapes[i] = r.exit
    return out


def shown(d: Derivation, depth: int | None = None) -> list[Step]:
    """The steps of the rows `d.rows(depth)` shows: a folded block is one step, its output
    shape in stage symbols, and its parameters its subtotal (in the input sizes, as the
    table's); the symbols are numbered again over what is shown."""
    every = steps(d)
    rows = d.rows(depth)
    if all(isinstance(r, LayerRecord) for r in rows):
        return every
    hidden: dict[sympy.Symbol, Expr] = {}  # a folded block's symbol → in the symbols before it
    out = []
    for row in rows:
        if isinstance(row, LayerRecord):
            step = every[d.layer_positions[id(row)]]
            out.append(step)
            continue
        inner = every[row.first:row.last + 1]
        for step in inner:
            for symbol, value in step.defines:
                hidden[symbol] = value.xreplace(hidden)
        shape = inner[-1].shape
        later = set().union(*(e.free_symbols for e in shape),
                            *(_uses(s) for s in every[row.last + 1:]))
        defines = tuple((s, hidden.pop(s)) for t in inner for s, _ in t.defines if s in later)
        out.append(Step(row, shape, defines, d.subtotal(row)))
    return _renumbered(out)


def _uses(step: Step) -> set[sympy.Basic]:
    return set().union(step.params.free_symbols, *(e.free_symbols for _, e in step.defines),
                       *(e.free_symbols for e in step.shape))


def _renumbered(rows: list[Step]) -> list[Step]:
    """Stage symbols renamed H_1, H_2, … in the order the rows define them (the names the
    folded layers took are gone)."""
    names: dict[sympy.Basic, Expr] = {}
    made = 0
    for step in rows:
        made += bool(step.defines)
        for symbol, _ in step.defines:
            names[symbol] = symbols.stage(symbol.name.rpartition("_")[0], made)
    return [Step(s.record, tuple(e.xreplace(names) for e in s.shape),
                 tuple((names[k], v.xreplace(names)) for k, v in s.defines),
                 s.params.xreplace(names)) for s in rows]


def _passes(d: Derivation) -> set[int]:
    """The records of recurrences' bodies: written at pass k, in the network's input sizes."""
    return {i for r in d.repeats if r.entry != r.exit for i in range(r.first, r.last + 1)}


@dataclass(frozen=True)
class RepeatSum:
    """A repeat of symbolic count: one pass's parameters (in the pass symbol where they depend
    on it) and their sum over the n passes, in closed form where there is one."""

    repeat: RepeatRecord
    per_pass: Expr
    total: Expr


def repeat_sums(d: Derivation) -> list[RepeatSum]:
    out = []
    for r in d.repeats:
        per_pass = sympy.Add(*[d.applied(i, d.layers[i].params, upto=r)
                               for i in range(r.first, r.last + 1)])
        out.append(RepeatSum(r, per_pass, over_passes(r, per_pass)))
    return out
