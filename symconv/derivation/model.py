"""The result of a derivation: per-layer records and network totals, as sympy expressions.

Renderers take these objects; `to_dict()` is the JSON form documented in README.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sympy
from sympy import Expr, Integer

from ..errors import Source, Span
from ..layers.base import REQUIRED, LayerWarning, Requirement, Several, Weight
from ..maths import symbols
from .conditions import prune
from .counts import add_up, counts, grouped_total, once, within
from .domains import DEFAULT, Domain


Shape = tuple[Expr, ...]
_COUNTS = ("trainable", "non_trainable", "params", "buffers")  # in `counts`'s order
Node = int | str | tuple[int, int]  # a record's index (its k-th output: (index, k)), an input


def _flat(results: Several) -> tuple[Shape, ...]:
    return tuple(s for item in results.items
                 for s in (_flat(item) if isinstance(item, Several) else (item,)))


def over_passes(r: RepeatRecord, value: Expr) -> Expr:
    """Σ of `value` over the passes of `r`: n·value, or, when it holds the pass symbol, the sum
    in closed form where it is a polynomial in it (Faulhaber: sympy.summation is exact there),
    else an unevaluated Σ (exact at any count substituted)."""
    k = r.steps
    if k is None or k not in value.free_symbols:
        return r.count * value
    if value.is_polynomial(k):
        return sympy.factor_terms(sympy.summation(value, (k, 0, r.count - 1)))
    return sympy.Sum(value, (k, 0, r.count - 1))


# How a derivation shows itself (text, JSON, Jupyter) is symconv.render's, a stage above this
# module, which must not import it: render fills this table when imported ('render', 'to_dict',
# 'formulas'), and symconv.api imports render, so every derivation the library hands out can.
PRESENTATION: dict[str, Callable[..., Any]] = {}


def presented(how: str, table: dict[str, Callable[..., Any]] = PRESENTATION,
              owner: str = "Derivation") -> Callable[..., Any]:
    """The function `how` of a presentation table (this one, or the solver's for a Solution)."""
    if how not in table:
        raise RuntimeError(f"{owner}.{how} needs symconv.render: import symconv.render (as "
                           "symconv.derive and symconv.solve do)")
    return table[how]


@dataclass(frozen=True)
class LayerCall:
    """A layer as written, its arguments bound to the framework's parameter names (the first
    `positional` of them given by position): what `symconv verify` hands the framework. Values
    are sympy numbers or expressions, strings, bools, None, tuples, or a LayerCall (a layer
    given as an argument, `Bidirectional(LSTM(8))`)."""

    type: str
    args: tuple[tuple[str, object], ...]
    positional: int = 0
    method: bool = False  # written as a tensor method, `x.view(…)`: its first tensor's method


def arguments(call: LayerCall, convention: str) -> dict[str, object]:
    """The call's arguments by the framework's names, the registry's defaults filled in (a
    required parameter is present only when given)."""
    from ..layers import REGISTRY

    spec = REGISTRY[convention][call.type]
    values: dict[str, object] = {p.name: p.default for p in spec.params
                                 if p.default is not REQUIRED}
    values.update(dict(call.args))
    return values


@dataclass(frozen=True)
class Tied:
    """A weight a layer does not own (`tie="wte"`): the same tensor as `layer`'s `source`
    weight (`where`, written as the framework names it: "wte.weight", "wte/embeddings"), so it
    is counted there, once."""

    weight: Weight  # as this layer would have made it (its name and shape here)
    layer: str
    source: str
    where: str


@dataclass(frozen=True)
class LayerRecord:
    """One application of a layer. `path`: the enclosing block instances, outermost first;
    `shares`: set when this applies a shared layer again (its weights are counted once, at the
    first application); `call`: the layer as written; `sources`: where each input tensor
    comes from (the index of the record that made it, or a network input's name); `tied`:
    weights that are another layer's (`tie="wte"`), left out of `weights` and the counts."""

    name: str
    type: str
    span: Span
    input_shape: Shape
    output_shape: Shape
    weights: tuple[Weight, ...]
    requires: tuple[Requirement, ...]
    notes: tuple[str, ...] = ()
    input_shapes: tuple[Shape, ...] = ()
    path: tuple[str, ...] = ()
    shares: str | None = None
    call: LayerCall | None = None
    sources: tuple[Node, ...] = ()
    warnings: tuple[LayerWarning, ...] = ()
    tied: tuple[Tied, ...] = ()  # weights that are another layer's, counted there (not here)
    batched: bool = True  # False for a free parameter: output_shape is its whole shape
    # a call giving several tensors: them, nested as the framework nests them (`outputs` has
    # them flat, depth first; a tensor made from the k-th is node (index, k), the first index)
    results: Several | None = None
    # where the framework puts the batch axis in each of `outputs`, when one is not first
    # (torch's RNN h_n, c_n: (D·num_layers, N, H)); empty: first in every output
    batch_axes: tuple[int, ...] = ()

    @once
    def outputs(self) -> tuple[Shape, ...]:
        """Every output's shape, flat and depth first (one for a layer with one output)."""
        return _flat(self.results) if self.results is not None else (self.output_shape,)
    # how many times the network applies it: the product of the symbolic `repeat` counts around
    # it (1 outside them); the counts above are one application's, the totals multiply
    times: Expr = Integer(1)

    @once
    def trainable(self) -> Expr:
        return self._counted(0)

    @once
    def non_trainable(self) -> Expr:
        return self._counted(1)

    @once
    def params(self) -> Expr:
        return self._counted(2)

    @once
    def buffers(self) -> Expr:
        return self._counted(3)

    def _counted(self, which: int) -> Expr:
        """The four counts (`counts`) kept at once where each `once` keeps its value: a total
        reads all four of every layer (10,000 layers: one lookup each, not four)."""
        found = counts(self.weights)
        self.__dict__.update(zip(_COUNTS, found))
        return found[which]


@dataclass(frozen=True)
class BlockRecord:
    """One instance of a block: `first`..`last` index its layer records in `Derivation.layers`
    (nested blocks' layers included)."""

    name: str
    type: str
    span: Span
    path: tuple[str, ...]  # the instance names from the outermost block to this one
    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    first: int
    last: int
    times: Expr = Integer(1)  # as LayerRecord.times: the symbolic repeat counts around it


@dataclass(frozen=True)
class RepeatRecord:
    """A `repeat n:` with n symbolic, derived once: `first`..`last` index the body's layer
    records (one pass, named as the framework names the first; each carries `times`, which
    includes `count`); `entry` and `exit` are the carried tensor's shapes before the first
    pass and after the n-th (equal when the body keeps the shape); `index` the loop index's
    name (`repeat n as i`), whose symbol the body's records may hold."""

    count: Expr
    span: Span
    entry: Shape
    exit: Shape
    first: int
    last: int
    times: Expr = Integer(1)  # the symbolic counts around this repeat (not its own)
    index: str | None = None
    steps: Expr | None = None  # the step symbol the body's shapes are written in (recurrence)


@dataclass(frozen=True)
class Derivation:
    """A derived network. `subs` holds the sizes substituted so far (name → value)."""

    source: Source
    network: str | None
    convention: str
    sizes: tuple[str, ...]
    defaults: dict[str, int]
    input_shape: Shape
    layers: tuple[LayerRecord, ...]
    subs: dict[str, int] = field(default_factory=dict)
    inputs: tuple[tuple[str, Shape], ...] = ()  # every network input, by name
    outputs: tuple[Shape, ...] = ()  # the network's outputs (the last tensor by default)
    blocks: tuple[BlockRecord, ...] = ()
    uses: dict[str, tuple[str, ...]] = field(default_factory=dict)  # size → arguments using it
    output_nodes: tuple[Node, ...] = ()  # where each output comes from (as `sources`)
    domains: dict[str, Domain] = field(default_factory=dict)  # each size's least value, and why
    # the bounds a size ≥ 0 meets at its least value by its domain (`padding=P` ≥ 0), as
    # conditions: `verify` steps below the domain (P = -1) where one of them breaks
    limits: tuple[Requirement, ...] = ()
    repeats: tuple[RepeatRecord, ...] = ()  # the symbolic repeats, outermost first
    # each tensor name of the top level (`s2 = DoubleConv(…)`) → where every value bound to it
    # comes from (as `sources`), in order: a name bound twice is ambiguous
    named: dict[str, tuple[Node, ...]] = field(default_factory=dict)

    def domain(self, name: str) -> Domain:
        """The domain of a size (≥ 1 for one fixed to a number before its uses were seen)."""
        return self.domains.get(name, DEFAULT)

    def symbol(self, name: str) -> sympy.Symbol:
        """The symbol standing for a size in this derivation's formulas."""
        return symbols.size(name, self.domain(name).least)

    @cached_property
    def requires(self) -> tuple[Requirement, ...]:
        """Every layer's open conditions, less those the others imply (conditions.prune);
        computed once."""
        return prune([r for layer in self.layers for r in layer.requires])

    @property
    def warnings(self) -> tuple[LayerWarning, ...]:
        """Every layer's warnings, in layer order."""
        return tuple(w for layer in self.layers for w in layer.warnings)

    @property
    def output_shape(self) -> Shape:
        if self.outputs:
            return self.outputs[0]
        return self.layers[-1].output_shape if self.layers else self.input_shape

    @cached_property
    def unpacked(self) -> frozenset[int]:
        """The records of calls giving several tensors whose later results are used (a node
        (index, k), k ≥ 1): only they show every output; one used in a chain (a PyTorch LSTM
        written alone) shows the output it passes on, as torchinfo does."""
        nodes = [n for layer in self.layers for n in layer.sources] + list(self.output_nodes)
        return frozenset(n[0] for n in nodes if isinstance(n, tuple))

    @cached_property
    def layer_positions(self) -> dict[int, int]:
        """Each layer record's index in `layers`, by the record's identity."""
        return {id(layer): i for i, layer in enumerate(self.layers)}

    def block_layers(self, block: BlockRecord) -> tuple[LayerRecord, ...]:
        return self.layers[block.first:block.last + 1]

    def rows(self, depth: int | None = 1) -> list[LayerRecord | BlockRecord]:
        """Layers in order; a block `depth` levels down (1: a block of the network itself) is
        one row, its layers folded in (None: every layer, no block rows)."""
        if depth is None:
            return list(self.layers)
        blocks = {b.path: b for b in self.blocks}
        out: list[LayerRecord | BlockRecord] = []
        shown: set[tuple[str, ...]] = set()
        for layer in self.layers:
            if len(layer.path) < depth:
                out.append(layer)
                continue
            key = layer.path[:depth]
            if key not in shown:
                shown.add(key)
                out.append(blocks[key])
        return out

    def subtotal(self, block: BlockRecord, what: str = "params") -> Expr:
        """A block instance's parameters (or trainable, non_trainable, buffers): its layers'
        counts times the symbolic repeats inside the block (those around it are the block's
        own `times`). Computed once per block and count: every renderer asks for each row's."""
        key = (block.first, block.last, block.times, what)
        if key not in self._sums:
            self._sums[key] = self._subtotal(block, what)
        return self._sums[key]

    def _subtotal(self, block: BlockRecord, what: str) -> Expr:
        if self.steps:
            return add_up([self.applied(block.first + i, getattr(layer, what)) / block.times
                         for i, layer in enumerate(self.block_layers(block))])
        return grouped_total([(getattr(layer, what), within(layer.times, block.times))
                       for layer in self.block_layers(block)])

    @cached_property
    def _sums(self) -> dict[tuple[object, ...], Expr]:
        """The totals and subtotals computed so far (the records are frozen: they hold)."""
        return {}

    @property
    def params(self) -> Expr:
        return self.total("params")

    @property
    def trainable(self) -> Expr:
        return self.total("trainable")

    @property
    def non_trainable(self) -> Expr:
        return self.total("non_trainable")

    @property
    def buffers(self) -> Expr:
        return self.total("buffers")

    def total(self, what: str) -> Expr:
        """The network's parameters (or trainable, non_trainable, buffers): each layer's count
        times the symbolic repeats around it (LayerRecord.times), or summed over the passes
        where it depends on the pass (`applied`). Computed once per derivation: a table, its
        JSON and its LaTeX each show every total (10,000 layers: 0.07 s a sum)."""
        if what not in self._sums:
            self._sums[what] = self._network_total(what)
        return self._sums[what]

    def _network_total(self, what: str) -> Expr:
        if not self.steps:
            return grouped_total([(getattr(layer, what), layer.times) for layer in self.layers])
        return self.over_layers([getattr(layer, what) for layer in self.layers])

    @cached_property
    def steps(self) -> frozenset[sympy.Symbol]:
        """The symbols of the symbolic repeats' passes (a loop index, a recurrence's k)."""
        return frozenset(r.steps for r in self.repeats if r.steps is not None)

    @cached_property
    def enclosing(self) -> tuple[tuple[RepeatRecord, ...], ...]:
        """Per layer record, the symbolic repeats around it, innermost first."""
        out: list[list[RepeatRecord]] = [[] for _ in self.layers]
        for r in self.repeats:  # outermost first: an inner repeat comes later
            for i in range(r.first, r.last + 1):
                out[i].insert(0, r)
        return tuple(tuple(rs) for rs in out)

    def applied(self, index: int, value: Expr, upto: RepeatRecord | None = None) -> Expr:
        """A value of one application of layer `index` (its MACs, its parameters) over every
        application (with `upto`, those of one pass of that repeat): times each symbolic count
        around it, or summed over the passes when it depends on the pass (`over_passes`)."""
        if not self.repeats or value == 0:
            return value
        for r in self.enclosing[index]:
            if r is upto:
                break
            value = over_passes(r, value)
        return value

    def over_layers(self, values: list[Expr]) -> Expr:
        """Σ of one value per layer record over every application (`applied`)."""
        return add_up([self.applied(i, v) for i, v in enumerate(values)])

    @property
    def free_sizes(self) -> tuple[str, ...]:
        return tuple(s for s in self.sizes if s not in self.subs)

    def layer(self, name: str) -> LayerRecord:
        """The first layer record of that name (KeyError if none)."""
        return self._by_name[name]

    @cached_property
    def _by_name(self) -> dict[str, LayerRecord]:
        named: dict[str, LayerRecord] = {}
        for record in self.layers:
            named.setdefault(record.name, record)
        return named

    def to_dict(self) -> dict[str, object]:
        return presented("to_dict")(self)  # type: ignore[no-any-return]

    def render(self, fmt: str = "table", depth: int | None = 1, **options: object) -> str:
        """This derivation as 'table', 'json', 'markdown' or 'latex' text; `depth` folds
        blocks in the table and Markdown (see `rows`); `options` as in
        `symconv.render.options.Options` (formulas, standalone, macs, flops, memory, batch,
        receptive)."""
        return presented("render")(self, fmt, depth, **options)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        """The summary table, as torchinfo's and Keras's summaries print themselves (the fields
        hold the source text and every record: thousands of lines nobody reads)."""
        if "render" not in PRESENTATION:
            return f"<Derivation: {len(self.layers)} layers, {self.convention} convention>"
        return self.render("table")

    def _repr_html_(self) -> str:
        """Jupyter: the table in HTML (render/html.py)."""
        return presented("html")(self)  # type: ignore[no-any-return]

    def _repr_markdown_(self) -> str:
        return self.render("markdown")

    def _repr_latex_(self) -> str:
        """Jupyter: the per-layer formulas as one `align*` block, which MathJax and KaTeX
        render (a booktabs table they do not; `render("latex")` gives the whole)."""
        return presented("formulas")(self)  # type: ignore[no-any-return]
