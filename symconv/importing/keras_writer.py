"""A Keras layer graph (keras_graph.py) as the `.arch` text of keras convention.

Each layer keeps its name (`name="block1_conv1"`) and the constructor arguments its config
holds, compared with the catalog's defaults: required ones by position, the others by keyword
where they differ (`activation="linear"` and `data_format="channels_last"` are the defaults
written out; initialisers, regularisers and constraints change no shape or count and are left
out). A tensor is named (after the layer that made it) only where a statement refers to it; a
layer applied to the tensor just made is written bare. A layer called more than once is a
`shared` layer.
"""

from __future__ import annotations

from typing import Any

from .keras_graph import Call, Graph, Input, refuse
from .literals import KEYWORDS, LayerCall, is_literal, joined, literal, unique
from .modules import _plain

Shape = tuple[int | str, ...]
# config values that mean the catalog's default (None there)
_SAME_AS_NONE = {"activation": "linear", "data_format": "channels_last"}
# arguments Keras stores per spatial axis: one number when all agree
_PER_AXIS = frozenset({"kernel_size", "strides", "dilation_rate", "pool_size", "size",
                       "padding", "cropping"})
# arguments no .arch file writes: they change no shape and no count
_NEVER = frozenset({"name", "dtype", "autocast", "input_shape", "seed"})
_NEVER_SUFFIXES = ("_initializer", "_regularizer", "_constraint")


def catalog() -> dict[str, Any]:
    from ..layers import REGISTRY

    return REGISTRY["keras"]  # type: ignore[return-value]


def _tuples(value: Any) -> Any:
    """JSON lists as the tuples the .arch grammar writes."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _per_axis(value: Any) -> Any:
    """(3, 3) → 3 and ((1, 1), (1, 1)) → 1, as a person writes them (Keras reads both)."""
    if isinstance(value, tuple) and value and all(
            isinstance(v, tuple) and len(v) == 2 and v[0] == v[1] for v in value):
        value = tuple(v[0] for v in value)
    if isinstance(value, tuple) and value and all(type(v) is int for v in value) \
            and len(set(value)) == 1:
        return value[0]
    return value


def _normal(key: str, value: Any) -> Any:
    value = _tuples(value)
    if key in _PER_AXIS:
        value = _per_axis(value)
    if key == "axis" and isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    return None if _SAME_AS_NONE.get(key, object()) == value else value


def _python(default: Any) -> Any:
    """A catalog default (sympy numbers, tuples of them) as the Python values a config holds."""
    if isinstance(default, tuple):
        return tuple(_python(d) for d in default)
    return _plain(default)


def _is_default(name: str, value: Any, default: Any) -> bool:
    default = _normal(name, _python(default))
    if isinstance(value, float) and type(default) in (int, float):
        return value == float(default)
    return type(value) is type(default) and value == default


def layer_call(call: Call, label: str) -> LayerCall:
    """The `.arch` call that builds the layer of `call`."""
    from ..layers.base import REQUIRED
    from .literals import Arg

    cls, config = call.layer["class_name"], call.layer.get("config", {})
    spec = catalog().get(cls)
    if spec is None or cls[:1].islower():
        raise _unknown(call, label)
    args: list[Arg] = []
    for param in spec.params:
        name = param.name
        if name in _NEVER or name.endswith(_NEVER_SUFFIXES) or name not in config:
            continue
        value = _normal(name, config[name])
        if name == "trainable":
            value = value and call.trainable
        if not is_literal(value):
            raise refuse(f"layer '{call.name}' ({cls}) has a {name} that is not a plain "
                         f"value", label, "symconv imports arguments that are numbers, "
                         "strings, booleans, None or tuples of them")
        if param.default is REQUIRED:
            args.append(Arg(None, value, name))
        elif name == "strides" and param.default is None and value == _normal(
                "pool_size", config.get("pool_size")):
            continue  # a pool's strides=None is saved as its pool size
        elif not _is_default(name, value, param.default):
            args.append(Arg(name, value, name))
    return LayerCall(cls, tuple(args))


def _unknown(call: Call, label: str) -> Exception:
    from ..errors import did_you_mean

    cls = call.layer["class_name"]
    close = did_you_mean(cls, sorted(n for n in catalog() if n[:1].isupper()))
    return refuse(f"layer '{call.name}' ({cls}) has no .arch layer", label,
                  (close + "; " if close else "") + "README's Layers > Keras lists the Keras "
                  "layers symconv knows")


class Writer:
    """One graph's statements: the main part of the file (input lines with shapes), or the
    body of a nested model's block (`input` with names only, where the body needs them)."""

    def __init__(self, graph: Graph, used: set[str], blocks: dict[int, str],
                 label: str) -> None:
        self.graph, self.label, self.blocks = graph, label, blocks
        self.used = set(used)
        self.names: dict[str, str] = {}
        counts: dict[int, int] = {}
        for c in graph.calls:
            counts[id(c.layer)] = counts.get(id(c.layer), 0) + 1
        self.shared = {k for k, n in counts.items() if n > 1}
        self.declared: dict[int, str] = {}
        self.layer_names = _layer_names(graph.calls)

    def name(self, tensor: str, base: str) -> str:
        if tensor not in self.names:
            base = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in base)
            if not base.isidentifier() or base in KEYWORDS:
                base = "t_" + base
            self.names[tensor] = unique(base, self.used)
        return self.names[tensor]

    def plan(self, start: str | None) -> tuple[list[bool], set[str], str | None]:
        """Which calls are written bare; the tensors named statements refer to; the tensor
        made last. `start` is the tensor a bare first statement reads."""
        current, bare, referenced = start, [], set()
        for call in self.graph.calls:
            is_bare = (not call.listed or call.graph is not None) and call.inputs == [current]
            if not is_bare:
                referenced.update(call.inputs)
            bare.append(is_bare)
            current = call.output
        if self.graph.outputs != [current]:
            referenced.update(self.graph.outputs)
        return bare, referenced, current

    def lines(self, shapes: list[Shape]) -> list[str]:
        """The main part: the inputs with their shapes (the last is the current tensor)."""
        inputs = self.graph.inputs
        bare, referenced, last = self.plan(inputs[-1].tensor if inputs else None)
        single = len(inputs) == 1 and inputs[0].tensor not in referenced
        out = [f"input {_shape(shapes[0])}"] if single else [
            f"input {self.name(i.tensor, i.name)}: {_shape(s)}" for i, s in zip(inputs, shapes)]
        return out + self._statements(bare, referenced, last)

    def body(self) -> list[str]:
        """A block's body: its inputs take their shapes from the call (with several, each
        statement names the ones it reads, though the language makes the first current)."""
        inputs = self.graph.inputs
        bare, referenced, last = self.plan(inputs[0].tensor if len(inputs) == 1 else None)
        out = []
        if len(inputs) > 1 or inputs[0].tensor in referenced:
            out.append("input " + ", ".join(self.name(i.tensor, i.name) for i in inputs))
        return out + self._statements(bare, referenced, last)

    def _statements(self, bare: list[bool], referenced: set[str], last: str | None) -> list[str]:
        out: list[str] = []
        for call, is_bare in zip(self.graph.calls, bare):
            out += self._statement(call, is_bare, call.output in referenced)
        if self.graph.outputs != [last]:
            out.append("output " + ", ".join(self.names[t] for t in self.graph.outputs))
        return out

    def _statement(self, call: Call, bare: bool, named: bool) -> list[str]:
        out: list[str] = []
        key = id(call.layer)
        if key in self.shared and key not in self.declared:  # named before its results
            self.declared[key] = self.name(f"shared {key}", self.layer_names[key])
            text = joined(layer_call(call, self.label).fragments(self.layer_names[key]))
            out.append(f"shared {self.declared[key]} = {text}")
        prefix = self.name(call.output, self.layer_names[key]) + " = " if named else ""
        refs = "" if bare else ", ".join(self.names[t] for t in call.inputs)
        if call.graph is not None:  # a block takes its tensors as arguments, not as a list
            return [f"{prefix}{self.blocks[id(call)]}(name={literal(call.name)})"
                    + ("" if bare else f"({refs})")]
        applied = "" if bare else f"([{refs}])" if call.listed else f"({refs})"
        if key in self.shared:
            return out + [prefix + self.declared[key] + (applied or "()")]
        text = joined(layer_call(call, self.label).fragments(self.layer_names[key]))
        return out + [prefix + text + applied]


def _block_names(graph: Graph, used: set[str], names: dict[int, str]) -> list[Call]:
    """Name a block after each nested model applied once (`mobilenetv2_1.00_96` →
    `Mobilenetv2_1_00_96`), in `names` by id of its call; the calls in the order their
    blocks are defined, a block after the blocks it calls."""
    order: list[Call] = []
    for call in graph.calls:
        if call.graph is None:
            continue
        order += _block_names(call.graph, used, names)
        base = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in call.name)
        base = base[:1].upper() + base[1:]
        names[id(call)] = unique(base if base.isidentifier() else "Model_" + base, used)
        order.append(call)
    return order


def _blocks(order: list[Call], used: set[str], names: dict[int, str],
            label: str) -> list[str]:
    """The block definitions, each followed by a blank line."""
    out: list[str] = []
    for call in order:
        assert call.graph is not None
        out.append(f"block {names[id(call)]}():")
        out += ["    " + line for line in Writer(call.graph, used, names, label).body()]
        out.append("")
    return out


def _layer_names(calls: list[Call]) -> dict[int, str]:
    """Each layer's name: its own, or for a layer of a flattened model whose name another
    layer has (Keras names each model's layers apart), the model's name before it,
    `inner_dense`. The outer model's layers keep theirs."""
    names: dict[int, str] = {}
    used: set[str] = set()
    for call in sorted(calls, key=lambda c: c.scope.count("/")):
        if id(call.layer) not in names:
            own = call.name if call.name not in used else call.scope.replace("/", "_") + call.name
            names[id(call.layer)] = unique(own, used)
    return names


def _shape(shape: Shape) -> str:
    return "(" + ", ".join(str(e) for e in shape) + ("," if len(shape) == 1 else "") + ")"


def input_shapes(inputs: list[Input], given: list[Shape], label: str) -> list[Shape]:
    """Each input's shape: the config's, its axes replaced by the names (or numbers) of
    `--input`; an axis the config leaves free needs one."""
    if given and len(given) != len(inputs):
        raise refuse(f"the model takes {len(inputs)} input{'s' if len(inputs) != 1 else ''} "
                     f"but --input gives {len(given)}", label,
                     "give one --input per input of the model, in the model's order")
    shapes = []
    for k, inp in enumerate(inputs):
        mine = given[k] if given else tuple(inp.shape)
        if len(mine) != len(inp.shape):
            raise refuse(f"input '{inp.name}' has {len(inp.shape)} axes besides the batch, "
                         f"--input gives {len(mine)}", label, f"the model's input is "
                         f"{_shape(tuple('None' if e is None else e for e in inp.shape))}")
        shapes.append(tuple(_axis(inp, a, b, label) for a, b in zip(inp.shape, mine)))
    return shapes


def _axis(inp: Input, config: int | None, given: int | str | None, label: str) -> int | str:
    if given is None:
        shape = _shape(tuple("None" if e is None else e for e in inp.shape))
        raise refuse(f"input '{inp.name}' has the shape {shape}: an axis the model leaves "
                     "free (None) needs a size", label, "name it with --input, e.g. "
                     "--input '(H, W, 3)'")
    if isinstance(given, int) and config is not None and given != config:
        raise refuse(f"input '{inp.name}' is built for {config} on an axis where --input "
                     f"gives {given}", label, "give the model's number there, or a name")
    return given


def write(graph: Graph, given: list[Shape], sizes: list[str], label: str) -> str:
    shapes = input_shapes(graph.inputs, given, label)
    network = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in graph.name)
    usable = network.isidentifier() and network not in KEYWORDS
    head = [f"network {network if usable else 'model'}", "convention keras"]
    if sizes:
        head.append("sizes " + ", ".join(sizes))
    # block names first: no tensor may take one (it would hide the block)
    used, names = set(sizes) | set(KEYWORDS) | set(catalog()), {}
    blocks = _blocks(_block_names(graph, used, names), used, names, label)
    main = Writer(graph, used, names, label).lines(shapes)
    return "\n".join(head) + "\n\n" + "\n".join(blocks + main) + "\n"
