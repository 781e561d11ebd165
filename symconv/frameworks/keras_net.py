"""Build a derived network in Keras 3 on the torch backend (one `keras.layers` object per layer,
`keras.ops` for the functions add, subtract and multiply), apply it to symbolic inputs
(`keras.Input`, as `model.summary()` does) and to zeros with a batch of 2, and report each
layer's facts.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from ..derivation.model import Derivation, LayerCall, LayerRecord
from ..layers import REGISTRY
from . import free
from .compare import Facts, Refused
from .tensor_ops import KERAS_OPS, keras_apply
from .values import arguments, flat_outputs, token_inputs

BATCH = 2


def _keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    return keras


def version() -> str | None:
    """Keras's version, or None when Keras or its torch backend is missing."""
    try:
        import torch  # noqa: F401  (the backend)
        keras = _keras()
    except ImportError:
        return None
    if keras.backend.backend() != "torch":
        return None
    return str(keras.__version__)


def build(call: LayerCall) -> Any:
    """`keras.layers.<type>(…)` as written (a layer given as an argument is built first, as
    Python would)."""
    args, kwargs = arguments(call, build)
    return getattr(_keras().layers, call.type)(*args, **kwargs)


def named(record: LayerRecord) -> LayerCall:
    """The call with a given name replaced by the name symconv gives the layer: inside a block
    instance that name carries the instance's prefix (`block_1_` + `depthwise`), and Keras
    wants every name in a model to be unique. A dot becomes `_`: Keras names a model
    `mobilenetv2_1.00_96`, and on its torch backend a layer is a torch module, whose name may
    not hold one (the name symconv prints keeps it)."""
    call = record.call
    assert call is not None
    name = record.name.replace(".", "_")
    return replace(call, args=tuple((k, name if k == "name" else v) for k, v in call.args))


def _call(record: LayerRecord, layer: Any, tensors: list[Any], eager: bool) -> Any:
    family = REGISTRY["keras"][record.type].family
    if record.type in KERAS_OPS:  # several results (split) are all handed back
        return keras_apply(record.call, tensors)  # type: ignore[arg-type]
    if family == "functional":  # keras.ops.<type>(x, …), also when written `x.<type>(…)`
        assert record.call is not None
        args, kwargs = arguments(record.call, build)
        return getattr(_keras().ops, record.type)(*tensors, *args, **kwargs)
    options = {"training": False} if eager else {}
    if family == "merge":
        return layer(tensors, **options)
    if record.type == "MultiHeadAttention":
        query, *rest = tensors
        return layer(query, *(rest or [query]), **options)  # one tensor: self-attention
    return layer(*tensors, **options)


def _size(weight: Any) -> int:
    n = 1
    for d in weight.shape:
        n *= int(d)
    return n


def _layer_facts(layer: Any, shape: tuple[int, ...]) -> Facts:
    """Keras names weights by their short name ("kernel"); layers made of layers (attention,
    RNN cells, wrappers) repeat those, and then the path below the layer tells them apart."""
    names = [w.name for w in layer.weights]
    if len(set(names)) != len(names):
        names = [w.path.removeprefix(layer.name + "/") for w in layer.weights]
    return Facts(shape, sum(map(_size, layer.trainable_weights)),
                 sum(map(_size, layer.non_trainable_weights)), 0,
                 {n: tuple(int(x) for x in w.shape) for n, w in zip(names, layer.weights)})


def run(d: Derivation) -> list[Facts]:
    """Every layer's facts, in the derivation's order. Raises `Refused` at the first layer
    Keras refuses, and where its symbolic output shape (what `summary()` prints) differs from
    the shape of the real output."""
    import numpy as np

    keras = _keras()
    keras.backend.clear_session()
    indices = token_inputs(d)
    symbolic: dict[int | str, Any] = {}
    real: dict[int | str, Any] = {}
    for name, shape in d.inputs:
        dtype = "int64" if name in indices else "float32"
        dims = tuple(int(e) for e in shape)
        symbolic[name] = keras.Input(shape=dims, dtype=dtype)
        real[name] = np.zeros((BATCH, *dims), dtype=dtype)
    layers: dict[str, Any] = {}
    facts = []
    for i, record in enumerate(d.layers):
        assert record.call is not None
        if free.is_parameter(record):  # the variable itself, in both passes
            symbolic[i] = real[i] = free.keras_weight(keras, record)
            facts.append(free.parameter_facts(record, real[i]))
            continue
        key = record.shares or record.name
        try:
            if key not in layers and record.tied:
                layers[key] = free.keras_tied(keras, record, layers)
            elif key not in layers and REGISTRY["keras"][record.type].family != "functional":
                layers[key] = build(named(record))
            layer = layers.get(key)
            made = _call(record, layer, [symbolic[s] for s in record.sources], False)
            computed = _call(record, layer, [real[s] for s in record.sources], True)
        except Exception as err:  # any refusal is the answer we want
            raise Refused(record, err) from err
        # several results: all of them when symconv knows them, else the first
        count = None if record.results is not None else 1
        shapes = []
        for k, (sym, out) in enumerate(zip(flat_outputs(made)[:count],
                                           flat_outputs(computed)[:count])):
            node = i if k == 0 else (i, k)
            symbolic[node], real[node] = sym, out
            first = 1 if record.batched else 0  # of free parameters alone: the whole shape
            shape = tuple(int(e) for e in out.shape[first:])
            printed = tuple(sym.shape[first:])
            if printed != shape:
                raise Refused(record, ValueError(f"Keras prints the output shape {printed} but "
                                                 f"computes {shape}"))
            shapes.append(shape)
        facts.append(replace(_layer_facts(layer, shapes[0]) if layer is not None
                             else Facts(shapes[0]), outputs=tuple(shapes[1:])))
    return facts
