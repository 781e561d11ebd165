"""A saved Keras model's layer graph, read as data: SOURCE is a `.keras` file (a zip holding
config.json) or the JSON `model.to_json()` writes. Only `zipfile` and `json` read it; no Keras
code runs and nothing is deserialised, so a Lambda layer (whose config carries Python code) is
refused, never loaded.

The graph is a list of layer applications in an order where each reads only tensors made
before it. A layer with several inbound nodes is a shared layer applied several times. A
Functional or Sequential model inside the model, applied once, is one call holding its own
graph (written as a block); one applied several times (the same weights each time) is
flattened into its layers, which are then shared layers: the .arch language has shared layers
but no shared blocks.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from ..errors import Source, SymconvError

MAX_CONFIG_BYTES = 64_000_000  # a config larger than this is not a model's (a zip bomb)
MODELS = frozenset({"Functional", "Sequential", "Model"})


def refuse(message: str, label: str, hint: str | None = None) -> SymconvError:
    """SC309: what cannot be imported, named (a config has no line a person wrote)."""
    return SymconvError("SC309", message, None, Source("", label), hint=hint)


def _unreadable(message: str, label: str, hint: str | None = None) -> SymconvError:
    return SymconvError("SC001", message, None, Source("", label), hint=hint)


@dataclass
class Input:
    tensor: str
    name: str  # the InputLayer's name
    shape: tuple[int | None, ...]  # without the batch axis; None where the config leaves it free


@dataclass
class Call:
    """One application of a layer: `layer` is its config entry (class_name, config, name)."""

    layer: dict[str, Any]
    inputs: list[str]
    listed: bool  # the inputs were passed as one list (Keras's merge layers)
    output: str
    scope: str = ""  # the enclosing models' names, "outer/" (flattened)
    trainable: bool = True  # False when an enclosing model is frozen
    graph: Graph | None = None  # a nested model applied once: its own graph (a block)

    @property
    def name(self) -> str:
        return str(self.layer.get("name") or self.layer["config"]["name"])


@dataclass
class Graph:
    name: str
    inputs: list[Input] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    alias: dict[str, str] = field(default_factory=dict)  # a nested model's tensors

    def resolve(self, tensor: str) -> str:
        while tensor in self.alias:
            tensor = self.alias[tensor]
        return tensor


def read_config(path: str, label: str) -> dict[str, Any]:
    """The model config in `path`: a .keras zip's config.json, or a JSON file."""
    try:
        if path.endswith(".keras"):
            with zipfile.ZipFile(path) as archive:
                info = archive.getinfo("config.json")
                if info.file_size > MAX_CONFIG_BYTES:
                    raise _unreadable("config.json is too large for a model's config", label)
                text = archive.read(info).decode("utf-8")
        else:
            with open(path, "rb") as f:
                text = f.read(MAX_CONFIG_BYTES + 1).decode("utf-8")
        config = json.loads(text)
    except KeyError:
        raise _unreadable(f"{path} holds no config.json", label,
                          "give a file written by model.save('model.keras')") from None
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError, ValueError) as err:
        raise _unreadable(f"cannot read {path}: {err}", label,
                          "give a .keras file or the JSON of model.to_json()") from None
    if not isinstance(config, dict) or config.get("class_name") not in MODELS:
        raise _unreadable(f"{path} holds no Keras model config", label,
                          "give a .keras file or the JSON of model.to_json()")
    return config


def build(config: dict[str, Any], label: str) -> Graph:
    """The graph of a model config (Functional or Sequential)."""
    try:
        graph = Graph(str(config.get("config", {}).get("name", "model")))
        outputs = _model(config, "", None, graph, True, label)
        graph.outputs = [graph.resolve(t) for t in outputs]
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:
        # a file written by hand or by another tool: what is missing, not a bug of symconv
        what = f"no {err}" if isinstance(err, KeyError) else str(err)
        raise _unreadable(f"the model config is not one Keras writes ({type(err).__name__}: "
                          f"{what})", label, "give a file written by model.save() or "
                          "model.to_json()") from None
    return graph


def _model(entry: dict[str, Any], scope: str, feeds: list[str] | None, graph: Graph,
           trainable: bool, label: str) -> list[str]:
    """Add a model's calls to `graph` (its inputs fed with `feeds`, or the model's own inputs
    when None); the tensors it gives back."""
    config = entry.get("config", {})
    trainable = trainable and config.get("trainable", True) is not False
    if entry["class_name"] == "Sequential":
        return _sequential(config, scope, feeds, graph, trainable, label)
    return _functional(config, scope, feeds, graph, trainable, label)


def _input(entry: dict[str, Any], scope: str, graph: Graph, feed: str | None) -> str:
    name = str(entry.get("name") or entry["config"]["name"])
    tensor = f"{scope}{name}#0#0"
    if feed is not None:
        graph.alias[tensor] = feed
        return tensor
    config = entry["config"]
    shape = config.get("batch_shape") or [None, *(config.get("batch_input_shape") or [None])[1:]]
    graph.inputs.append(Input(tensor, name, tuple(shape[1:])))
    return tensor


def _triples(value: Any) -> list[list[Any]]:
    """`input_layers` / `output_layers`: one [name, node, index] or a list of them."""
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [value]
    return list(value or [])


def _functional(config: dict[str, Any], scope: str, feeds: list[str] | None, graph: Graph,
                trainable: bool, label: str) -> list[str]:
    entries = {str(e.get("name") or e["config"]["name"]): e for e in config["layers"]}
    inputs = _triples(config.get("input_layers"))
    if feeds is not None and len(feeds) != len(inputs):
        raise refuse(f"model '{config.get('name', scope[:-1])}' takes {len(inputs)} inputs "
                     f"but is given {len(feeds)}", label)
    for k, (name, _, _) in enumerate(inputs):
        _input(entries[name], scope, graph, None if feeds is None else feeds[k])
    legacy = any(isinstance(n, list) for e in config["layers"]
                 for n in e.get("inbound_nodes") or [])
    first = {name: _first_node(e, legacy) for name, e in entries.items()}
    pending = [c for e in config["layers"] if e["class_name"] != "InputLayer"
               for c in _calls(e, scope, trainable, label, first if legacy else {})]
    _in_order(pending, graph, label)
    outputs = [graph.resolve(f"{scope}{n}#{i - first[n]}#{j}") for n, i, j in
               _triples(config.get("output_layers"))]
    made = {graph.resolve(t) for t in _made(graph)}
    for (name, _, _), tensor in zip(_triples(config.get("output_layers")), outputs):
        if tensor not in made:
            raise _unreadable(f"the output of model '{config.get('name', scope[:-1])}' "
                              f"names a call of layer '{name}' that the model does not make",
                              label, "give a file written by model.save() or model.to_json()")
    return outputs


def _first_node(entry: dict[str, Any], legacy: bool) -> int:
    """The index a model's config gives a nested model's first call: a Functional model
    starts with a node of its own (its inputs to its outputs), which Keras 3 counts in
    `output_layers` but not in inbound nodes, and tf.keras 2 counts in both (there a
    Sequential beginning with an InputLayer has one too). keras/src/models/functional.py
    get_config, `kept_nodes = 1`; tf-keras functional.py get_network_config."""
    cls, layers = entry["class_name"], entry.get("config", {}).get("layers") or [{}]
    if cls in ("Functional", "Model") or legacy and cls == "Sequential" and \
            layers[0].get("class_name") == "InputLayer":
        return 1
    return 0


def _sequential(config: dict[str, Any], scope: str, feeds: list[str] | None, graph: Graph,
                trainable: bool, label: str) -> list[str]:
    layers = list(config["layers"])
    if layers and layers[0]["class_name"] == "InputLayer":
        current = _input(layers.pop(0), scope, graph, feeds[0] if feeds else None)
    elif feeds is not None:
        current = feeds[0]
    elif config.get("build_input_shape"):
        current = _input({"name": "input_layer", "config": {
            "batch_shape": config["build_input_shape"]}}, scope, graph, None)
    else:
        raise refuse("the Sequential model has no input shape", label,
                     "build the model (give it an Input, or call it once) before saving")
    for entry in layers:
        name = str(entry.get("name") or entry["config"]["name"])
        call = Call(entry, [graph.resolve(current)], False, f"{scope}{name}#0#0", scope,
                    trainable)
        _emit(call, scope, graph, label)
        current = call.output
    return [graph.resolve(current)]


def _calls(entry: dict[str, Any], scope: str, trainable: bool, label: str,
           first: dict[str, int]) -> list[Call]:
    """One call per inbound node of a functional model's layer (`first`: where tf.keras 2's
    node indices of each layer begin)."""
    name = str(entry.get("name") or entry["config"]["name"])
    calls = []
    for n, node in enumerate(entry.get("inbound_nodes", [])):
        tensors, listed = _node_inputs(node, scope, name, label, first)
        calls.append(Call(entry, tensors, listed, f"{scope}{name}#{n}#0", scope, trainable))
    return calls


def _node_inputs(node: Any, scope: str, layer: str, label: str,
                 first: dict[str, int]) -> tuple[list[str], bool]:
    """The tensors an inbound node passes, and whether as one list."""
    if isinstance(node, list):  # tf.keras 2: [[name, node, index, kwargs], …]
        return [_tensor([r[0], r[1] - first.get(r[0], 0), r[2]], scope, layer, label)
                for r in node], len(node) > 1
    args, kwargs = node.get("args", []), node.get("kwargs", {})
    if any(_keras_tensors(v) for v in kwargs.values()):
        raise refuse(f"layer '{layer}' is called with a tensor as a keyword argument", label,
                     "symconv imports layers called on tensors given by position")
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        found = [_tensor(t["config"]["keras_history"], scope, layer, label)
                 for t in _keras_tensors(args[0])]
        return found, True
    return [_tensor(t["config"]["keras_history"], scope, layer, label)
            for a in args for t in _keras_tensors(a)], False


def _keras_tensors(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _keras_tensors(v)]
    return []


def _tensor(history: list[Any], scope: str, layer: str, label: str) -> str:
    name, node, index = history[:3]
    if index != 0:
        raise refuse(f"layer '{layer}' reads output {index} of layer '{name}'", label,
                     "symconv imports layers that give one tensor")
    return f"{scope}{name}#{node}#0"


def _in_order(pending: list[Call], graph: Graph, label: str) -> None:
    """Emit the calls, each once the tensors it reads are made (config order otherwise)."""
    made = {graph.resolve(t) for t in _made(graph)}
    while pending:
        ready = next((c for c in pending if all(graph.resolve(t) in made for t in c.inputs)),
                     None)
        if ready is None:
            raise refuse(f"layer '{pending[0].name}' reads a tensor no layer makes", label)
        pending.remove(ready)
        ready.inputs = [graph.resolve(t) for t in ready.inputs]
        _emit(ready, ready.scope, graph, label)
        made.add(graph.resolve(ready.output))


def _made(graph: Graph) -> list[str]:
    return [i.tensor for i in graph.inputs] + [c.output for c in graph.calls] + list(graph.alias)


def _emit(call: Call, scope: str, graph: Graph, label: str) -> None:
    """Add `call`: a layer; a nested model applied once as one call holding its graph; the
    layers of a nested model applied several times (or inside one so flattened)."""
    refuse_code(call.layer, call.name, label)
    _refuse_foreign(call.layer, call.name, label)
    if call.layer["class_name"] not in MODELS:
        graph.calls.append(call)
        return
    if not scope and len(call.layer.get("inbound_nodes") or [None]) == 1:
        call.graph = _nested(call, label)
        graph.calls.append(call)
        return
    # the n-th application's tensors apart from the first's; its layers are the same entries,
    # so the writer makes them shared layers (one set of weights)
    node = call.output.rsplit("#", 2)[1]
    inner = f"{scope}{call.name}/" + ("" if node == "0" else f"{node}/")
    outputs = _model(call.layer, inner, call.inputs, graph, call.trainable, label)
    if len(outputs) != 1:
        raise refuse(f"the nested model '{call.name}' gives {len(outputs)} tensors", label,
                     "symconv imports a nested model that gives one tensor")
    graph.alias[call.output] = outputs[0]


def _nested(call: Call, label: str) -> Graph:
    """The graph of the model `call` applies, on inputs standing for the tensors it is given
    (named after the model's input layers, for the block's `input` line)."""
    sub = Graph(call.name)
    names = _input_names(call.layer)
    if len(names) != len(call.inputs):
        raise refuse(f"model '{call.name}' takes {len(names)} inputs but is given "
                     f"{len(call.inputs)}", label)
    feeds = [f"<{call.name}>{name}" for name in names]  # no layer's tensor is named so
    sub.inputs = [Input(feed, name, ()) for feed, name in zip(feeds, names)]
    outputs = _model(call.layer, "", feeds, sub, call.trainable, label)
    if len(outputs) != 1:
        raise refuse(f"the nested model '{call.name}' gives {len(outputs)} tensors", label,
                     "a block has one output: symconv imports a nested model that gives one "
                     "tensor")
    sub.outputs = outputs
    return sub


def _input_names(entry: dict[str, Any]) -> list[str]:
    """A nested model's input layers' names (`x` where a Sequential has none)."""
    config = entry["config"]
    if entry["class_name"] != "Sequential":
        return [str(name) for name, _, _ in _triples(config.get("input_layers"))]
    first = (config.get("layers") or [{}])[0]
    return [str(first.get("name") or first["config"]["name"])
            if first.get("class_name") == "InputLayer" else "x"]


def refuse_code(entry: dict[str, Any], name: str, label: str) -> None:
    """A Lambda layer, or any layer whose config carries Python code, is refused unread."""
    cls = entry.get("class_name")
    if cls in ("Lambda", "TFOpLambda", "SlicingOpLambda") or _carries_code(entry.get("config")):
        raise refuse(f"layer '{name}' ({cls}) carries Python code, which symconv does not run",
                     label, "a Lambda layer's shapes depend on its code: replace it by a Keras "
                     "layer (Reshape, Activation, Add, …) or write that part of the .arch by "
                     "hand")


def _refuse_foreign(entry: dict[str, Any], name: str, label: str) -> None:
    """A keras.ops operation saved in the graph (`a + b * 2` on Keras tensors) or a layer class
    of another package shares its class name with a Keras layer (`Add`, `Reshape`,
    a user's `Dense`): only Keras's own layers and models are read as such."""
    module, cls = str(entry.get("module", "keras.layers")), entry.get("class_name")
    if module.startswith("keras.src.ops"):
        raise refuse(f"'{name}' is a keras.ops operation ({cls}) applied to Keras tensors, "
                     "not a layer: symconv does not import it", label, "use a Keras layer "
                     "(keras.layers.Add, Multiply, Reshape, …) in the model, or write that "
                     "step of the .arch by hand")
    ours = module in ("keras", "keras.layers") or module.startswith(("keras.src.layers",
                                                                     "keras.src.models"))
    if not ours:  # a custom layer saved with `module` null names itself in registered_name
        what = entry.get("registered_name") if entry.get("module") is None else None
        raise refuse(f"layer '{name}' is the class {what or f'{module}.{cls}'}, not a Keras "
                     "layer", label, "symconv imports Keras's own layers (README's Layers > "
                     "Keras)")


def _carries_code(value: Any) -> bool:
    if isinstance(value, dict):
        if value.get("class_name") == "__lambda__" or "code" in value:
            return True
        return any(_carries_code(v) for v in value.values())
    if isinstance(value, list):
        return any(_carries_code(v) for v in value)
    return False
