"""JSON output: numbers as JSON integers, formulas as strings in sympy syntax, which sympy's
`parse_expr` reads back as the derived expression given `json_symbols(document)` as its
`local_dict` (README: JSON; symconv itself never parses text with sympy).

A size whose name sympy's parser would not read as a plain name (a Python keyword such as
`lambda`, a function the formulas call such as `floor`, or a name the parser's own code calls,
`Integer`) is written with a trailing underscore (`lambda_`), more while that is another size's
name; `json_symbols` maps each written name back to the size's symbol.
"""

from __future__ import annotations

import itertools
import json
import keyword
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TypeVar

import sympy

from ..derivation.model import BlockRecord, Derivation, LayerRecord, RepeatRecord
from ..escapes import json_visible
from ..layers.base import Weight
from ..layers.torch_resize import FloatScaled
from ..maths import symbols
from ..maths.identity import ByIdentity
from ..maths.printing import _SympyPrinter
from .columns import columns
from .common import remembered, several_shown
from .options import DEFAULT, Options

T = TypeVar("T")

# Names a formula calls (floor, Mod, …) or sympy's parser writes into the code it runs for one
# (Integer(2), Symbol('x'), …): a size of one of these names would read back as the function.
CALLED = frozenset({"floor", "ceiling", "trunc", "Mod", "Min", "Max", "Eq", "Ne", "And", "Or",
                    "Not", "Integer", "Float", "Rational", "Symbol", "Function", "Lambda",
                    "FloatScaled"})


def written_names(sizes: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Each size's name as the JSON formulas write it (README: JSON)."""
    taken = set(sizes)
    out = {}
    for name in sizes:
        written = name
        while keyword.iskeyword(written) or written in CALLED or (
                written != name and written in taken):
            written += "_"
        taken.add(written)
        out[name] = written
    return out


def json_symbols(document: Mapping[str, object]) -> dict[str, sympy.Symbol]:
    """For a JSON document symconv wrote: each written name → the size's symbol, the
    `local_dict` with which sympy's `parse_expr` reads its formulas back exactly."""
    sizes = list(document["sizes"])  # type: ignore[call-overload]
    least: Mapping[str, int] = document.get("domains", {})  # type: ignore[assignment]
    names: dict[str, object] = {
        written: symbols.size(name, least.get(name, symbols.DEFAULT_LEAST))
        for name, written in written_names(sizes).items()}
    for r in document.get("repeats", ()):  # type: ignore[attr-defined]
        if "step" in r:  # a repeat's pass index, 0 ≤ k
            names[r["step"]] = sympy.Symbol(r["step"], integer=True, nonnegative=True)
    # F.interpolate's double-rounded extent (not floor(L·s) in exact arithmetic): by its name
    names["FloatScaled"] = FloatScaled
    return names  # type: ignore[return-value]


class _JsonPrinter(_SympyPrinter):
    def __init__(self, names: Mapping[str, str]) -> None:
        super().__init__()
        self.names = names

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        return self.names.get(expr.name, expr.name)

    def _print(self, expr: object, **kwargs: object) -> str:
        """A FloatScaled extent by its name and exact arguments, so that it reads back as
        itself: written as floor(L*0.7) it would read back as exact arithmetic, which differs
        (sympy's floor(0.7*L - 1.4) is 6 at L = 10, F.interpolate's trunc(8 ⊗ 0.7) is 5). Its
        own `_sympystr` would win over a `_print_FloatScaled` here."""
        if isinstance(expr, FloatScaled):
            extent, scale = expr.args
            return f"FloatScaled({self._print(extent)}, {self._print(scale)})"
        return super()._print(expr, **kwargs)


class _Writer:
    """One document's values: numbers as JSON integers, formulas through one printer (its
    names for the sizes, its remembered terms)."""

    def __init__(self, d: Derivation, sharing: bool = False) -> None:
        self.d = d
        self.printer = _JsonPrinter(written_names(d.sizes))
        # writing (json_chunks), not handing the document over (to_dict): a shape or weights
        # tuple met again (a reused layer result's: derivation/reuse.py) gives the same list or
        # dict object, which the writer then writes once (`_streamed`)
        self.sharing = sharing
        # a tuple -> its list ("shape"), or the dicts of its weights ("weights"): by kind, the
        # empty tuple being one object, an empty shape and no weights
        self.made = ByIdentity(1 << 20)
        # each expression's text, made once: the same string object then stands in every place
        # it appears (a transformer's 10,000 shapes (L, 64) are one "L" and one 64)
        self.texts: dict[sympy.Basic, str] = {}
        self.readable = remembered()  # a condition as the table writes it, each made once

    def value(self, e: sympy.Basic) -> int | str:
        if isinstance(e, sympy.Integer):
            return int(e)
        text = self.texts.get(e)
        if text is None:
            text = self.texts[e] = self.printer.doprint(e)
        return text

    def values(self, shape: tuple[sympy.Expr, ...]) -> list[int | str]:
        return self._once(shape, "shape", lambda: [self.value(e) for e in shape])

    def _once(self, key: tuple[object, ...], kind: str, make: Callable[[], T]) -> T:
        """`make()`, the same object again for the same tuple when sharing."""
        if not self.sharing:
            return make()
        made = self.made.get(key, kind)
        if made is None:
            made = make()
            self.made.put(key, made, kind)
        return made  # type: ignore[no-any-return]

    def requires(self, reqs) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
        """Each condition twice: `condition` in sympy's syntax (read back by parse_expr), `text`
        as the table writes it (d mod heads = 0, H = 1 or H - 2 = 1)."""
        return [{"condition": self.value(r.condition), "text": self.readable(r.condition),
                 "reason": r.reason, "layer": r.layer} for r in reqs]

    def layer(self, layer: LayerRecord, torch: bool) -> dict[str, object]:
        out: dict[str, object] = {
            "name": layer.name,
            "type": layer.type,
            "line": layer.span.line,
            "output_shape": self.values(layer.output_shape),
            **({"outputs": [self.values(s) for s in layer.outputs]}
               if several_shown(self.d, layer) else {}),
            # where the batch axis goes in each of them when one is not first (torch's h_n)
            **({"outputs_batch_axes": list(layer.batch_axes)}
               if several_shown(self.d, layer) and any(layer.batch_axes) else {}),
            "params": self.value(layer.params),
            "trainable": self.value(layer.trainable),
            "non_trainable": self.value(layer.non_trainable),
            "weights": self._weights(layer.weights)[0],
        }
        if torch:
            out["buffers"] = self.value(layer.buffers)
            out["buffer_shapes"] = self._weights(layer.weights)[1]
        out["requires"] = self.requires(layer.requires)
        if layer.notes:
            out["notes"] = list(layer.notes)
        if layer.path:
            out["block"] = ".".join(layer.path)
        if layer.shares:
            out["shares_weights_with"] = layer.shares
        if layer.tied:
            out["tied_weights"] = {t.weight.name: {"to": t.where, "shape": self.values(
                t.weight.shape)} for t in layer.tied}
        if not layer.batched:
            out["batched"] = False
        if layer.times != 1:
            out["times"] = self.value(layer.times)
        return out

    def _weights(self, weights: tuple[Weight, ...]) -> tuple[dict[str, list[int | str]], ...]:
        """The shapes of a layer's weights and of its buffers, by name."""
        def make() -> tuple[dict[str, list[int | str]], ...]:
            return tuple({w.name: self.values(w.shape) for w in weights if w.buffer == buffers}
                         for buffers in (False, True))

        return self._once(weights, "weights", make)

    def shared(self) -> list[object]:
        """Every list and dict made once so far and shared where met again (`_streamed`)."""
        return [each for (_, kind), (_, made) in self.made.items.items()
                for each in (made if kind == "weights" else (made,))]

    def repeat(self, r: RepeatRecord) -> dict[str, object]:
        """A repeat of symbolic count: its body's layers (the first pass), the count, the
        carried shape before and after; `step`: the pass symbol the body's formulas hold."""
        out: dict[str, object] = {
            "count": self.value(r.count), "line": r.span.line,
            "layers": [layer.name for layer in self.d.layers[r.first:r.last + 1]],
            "entry_shape": self.values(r.entry), "exit_shape": self.values(r.exit)}
        if r.times != 1:
            out["times"] = self.value(r.times)
        if r.index is not None:
            out["index"] = r.index
        if r.steps is not None:
            out["step"] = str(r.steps)
        return out

    def block(self, block: BlockRecord) -> dict[str, object]:
        d = self.d
        out = {"name": block.name, "type": block.type, "line": block.span.line,
               "output_shape": self.values(block.output_shape),
               "params": self.value(d.subtotal(block)),
               "layers": [layer.name for layer in d.block_layers(block)]}
        if block.times != 1:
            out["times"] = self.value(block.times)
        return out

    def document(self) -> dict[str, object]:
        d = self.d
        torch = d.convention == "torch"
        totals: dict[str, object] = {"params": self.value(d.params),
                                     "trainable": self.value(d.trainable),
                                     "non_trainable": self.value(d.non_trainable)}
        if torch:
            totals["buffers"] = self.value(d.buffers)
        out: dict[str, object] = {
            "network": d.network,
            "convention": d.convention,
            "sizes": list(d.sizes),
        }
        domains = {s: d.domain(s).least for s in d.sizes
                   if d.domain(s).least != symbols.DEFAULT_LEAST}
        if domains:  # only when some size may be 0, so that other outputs stay as they were
            out["domains"] = domains
        return {
            **out,
            "subs": dict(d.subs),
            "input": self.values(d.input_shape),
            "inputs": {name: self.values(shape) for name, shape in d.inputs},
            "output_shape": self.values(d.output_shape),
            "outputs": [self.values(shape) for shape in d.outputs],
            "layers": [self.layer(layer, torch) for layer in d.layers],
            "blocks": [self.block(block) for block in d.blocks],
            # only when there are some: the output for a network without them stays as it was
            **({"repeats": [self.repeat(r) for r in d.repeats]} if d.repeats else {}),
            "totals": totals,
            "requires": self.requires(d.requires),
            # only when there are some: the output for a network without warnings stays as it was
            **({"warnings": [w.to_dict() for w in d.warnings]} if d.warnings else {}),
        }

    def compute(self, options: Options, data: dict[str, object]) -> None:
        """The compute columns asked for, per layer and in total (keys: macs or flops,
        activation_bytes, receptive_field as [{size, jump, start}] per spatial axis or
        null)."""
        d = self.d
        layers: list[dict[str, object]] = data["layers"]  # type: ignore[assignment]
        totals: dict[str, object] = data["totals"]  # type: ignore[assignment]
        for column in columns(d, list(d.layers), options):
            key = {"MACs": "macs", "FLOPs": "flops", "Receptive field": "receptive_field"}.get(
                column.header, "activation_bytes")
            for layer, value in zip(layers, column.values):
                layer[key] = (self.field(value) if key == "receptive_field"
                              else self.value(value))  # type: ignore[arg-type]
            if column.total is not None:
                totals[key] = self.value(column.total)
        if options.macs is not None:
            from ..analysis import macs

            data["macs_convention"] = {"name": options.macs,
                                       "description": macs.PRESETS[options.macs].description}
        if options.memory is not None:
            from ..analysis import memory

            totals["parameter_bytes"] = self.value(memory.parameters(d, options.memory))
            data["memory"] = {"dtype": options.memory, "batch": options.batch or 1}

    def field(self, value: object) -> object:
        if value is None:
            return None
        return [{"size": self.value(f.size), "jump": self.value(f.jump),
                 "start": self.value(f.start)}
                for f in value]  # type: ignore[attr-defined]


def to_dict(d: Derivation) -> dict[str, object]:
    return _Writer(d).document()


def render_json(d: Derivation, options: Options = DEFAULT) -> str:
    return "".join(json_chunks(d, options))


def json_chunks(d: Derivation, options: Options = DEFAULT) -> Iterator[str]:
    """The JSON text in pieces (`render_json` joined): the document is built first, so an
    error comes before the first piece; it is then written out a layer at a time, never as
    one 44 MB string."""
    writer = _Writer(d, sharing=True)
    data = writer.document()
    writer.compute(options, data)
    if options.batch is not None:  # the shapes leave the batch out, as everywhere in JSON
        data["batch"] = options.batch
    return _batched(itertools.chain(_streamed(data, writer.shared()), ["\n"]))


# json.dumps(indent=2, ensure_ascii=False), byte for byte, written here because with `indent`
# json runs its pure-Python encoder, a generator per container yielding a piece per token: 1.2
# million pieces for a 1,250-block transformer, a fifth of the whole run. Strings still go
# through json's own (C) escaping.
_STRING = json.encoder.encode_basestring
_WORDS = {True: "true", False: "false", None: "null"}


def _streamed(data: dict[str, object], shared: Iterable[object] = ()) -> Iterator[str]:
    """The document's text, a top-level list's item at a time (the layers). The values in
    `shared` (_Writer.shared: lists and dicts that stand in many layers) are written once
    at each indentation and their text repeated."""
    known: _Known | None = _Known(shared)
    if not known.ids:
        known = None
    yield "{"
    for i, (key, value) in enumerate(data.items()):
        yield f"{',' if i else ''}\n  {_STRING(_key(key))}: "
        if isinstance(value, list) and value:
            for j, item in enumerate(value):
                out = ["[\n    " if j == 0 else ",\n    "]
                _write(item, "    ", out, known)
                yield "".join(out)
            yield "\n  ]"
        else:
            out = []
            _write(value, "  ", out, known)
            yield "".join(out)
    yield "\n}" if data else "}"


class _Known:
    """The shared values (all alive in the document: no id is reused) and their texts."""

    def __init__(self, shared: Iterable[object]) -> None:
        self.ids = {id(v) for v in shared}
        self.texts: dict[tuple[int, str], str] = {}


def _write(value: object, indent: str, out: list[str], known: _Known | None = None) -> None:
    """`value` as json.dumps(indent=2) writes it at that indentation, appended to `out`; a
    value in `known` written once at each indentation."""
    if known is not None and id(value) in known.ids:
        text = known.texts.get((id(value), indent))
        if text is None:
            piece: list[str] = []
            _write(value, indent, piece)
            text = known.texts[id(value), indent] = "".join(piece)
        out.append(text)
    elif isinstance(value, str):
        out.append(_STRING(value))
    elif value is None or value is True or value is False:
        out.append(_WORDS[value])  # type: ignore[index]
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = indent + "  "
        lead = "{\n" + inner
        for key, item in value.items():
            name = lead + _STRING(key if type(key) is str else _key(key)) + ": "
            kind = type(item)  # a string or an int written here: most of a layer's values
            if kind is str:
                out.append(name + _STRING(item))
            elif kind is int:
                out.append(name + int.__repr__(item))
            else:
                out.append(name)
                _write(item, inner, out, known)
            lead = ",\n" + inner
        out.append("\n" + indent + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = indent + "  "
        if all(type(item) is int or type(item) is str for item in value):  # a shape: at once
            between = ",\n" + inner
            out.append("[\n" + inner + between.join(
                [int.__repr__(item) if type(item) is int else _STRING(item) for item in value])
                + "\n" + indent + "]")
            return
        lead = "[\n" + inner
        for item in value:
            out.append(lead)
            _write(item, inner, out, known)
            lead = ",\n" + inner
        out.append("\n" + indent + "]")
    else:  # a float, or what json would refuse: json itself, at this indentation
        text = json.dumps(value, indent=2, ensure_ascii=False)
        out.append(text.replace("\n", "\n" + indent))


def _key(key: object) -> str:
    """A key as json writes one: strings as they are, numbers, true, false and null as text."""
    if isinstance(key, str):
        return key
    if key is None or key is True or key is False:
        return _WORDS[key]  # type: ignore[index]
    return json.dumps(key)


def _batched(pieces: Iterator[str], size: int = 1 << 16) -> Iterator[str]:
    """The pieces joined about `size` characters at a time; json.dumps leaves DEL, C1
    controls and bidirectional overrides raw: \\u escapes instead (json_visible, character by
    character, so a batch at a time is the same)."""
    batch: list[str] = []
    length = 0
    for piece in pieces:
        batch.append(piece)
        length += len(piece)
        if length >= size:
            yield json_visible("".join(batch))
            batch, length = [], 0
    if batch:
        yield json_visible("".join(batch))
