"""Free parameters and tied weights in the framework twins (`symconv verify`).

A `parameter` record becomes the framework's own free weight: `nn.Parameter(torch.zeros(shape))`
held by the twin, or a Keras weight made by `add_weight` in a small layer that gives it back
(Keras has no free weight outside a layer). Its value has no batch axis: it is never moved to
the next layer's batch axis, and its facts are its whole shape and its size.

A tied layer (`tie="wte"`) takes the named module's tensor by assignment, as PyTorch code ties
(`lm_head.weight = wte.weight`), so `model.parameters()` yields it once; the layer's facts leave
it out, as symconv counts it at wte.
"""

from __future__ import annotations

from typing import Any

from ..derivation.model import LayerRecord
from ..derivation.parameters import PARAMETER
from .compare import Facts


def is_parameter(record: LayerRecord) -> bool:
    return record.type == PARAMETER


def _frozen(record: LayerRecord) -> bool:
    return not record.weights[0].trainable


def shape(record: LayerRecord) -> tuple[int, ...]:
    return tuple(int(e) for e in record.output_shape)


def torch_parameter(record: LayerRecord) -> Any:
    """`nn.Parameter(torch.zeros(shape), requires_grad=…)`."""
    import torch

    return torch.nn.Parameter(torch.zeros(shape(record)), requires_grad=not _frozen(record))


def keras_weight(keras: Any, record: LayerRecord) -> Any:
    """`add_weight(name, shape, trainable=…)` on a bare layer named as the record (Keras
    makes weights inside layers only; its path is then "<record name>/<name>")."""
    holder = keras.layers.Layer(name=record.name.replace("/", "_"))
    return holder.add_weight(name=record.weights[0].name, shape=shape(record),
                             initializer="zeros", trainable=not _frozen(record))


def keras_tied(keras: Any, record: LayerRecord, layers: dict[str, Any]) -> Any:
    """A Dense whose kernel is another layer's weight: keras_hub's ReversibleEmbedding's
    reverse, `x @ embeddings.T` (+ its own bias), the transpose when the owner is an
    Embedding. The owner's variable is reached through a function, so that Keras does not
    track it as this layer's weight too."""
    from ..derivation.model import arguments

    (t,) = record.tied
    assert record.call is not None
    args = arguments(record.call, "keras")
    owner = layers[t.layer]
    transposed = type(owner).__name__ == "Embedding"

    class TiedDense(keras.layers.Layer):  # type: ignore[misc, name-defined]
        def build(self, shape: Any) -> None:
            if args["use_bias"]:
                self.bias = self.add_weight(name="bias", shape=(int(args["units"]),),
                                            initializer="zeros")

        def call(self, x: Any) -> Any:
            kernel = getattr(owner, t.source)
            y = keras.ops.matmul(x, keras.ops.transpose(kernel) if transposed else kernel)
            y = y + self.bias if args["use_bias"] else y
            return keras.activations.get(args["activation"])(y)

        def compute_output_shape(self, shape: Any) -> Any:
            return (*shape[:-1], int(args["units"]))

    return TiedDense(name=record.name)


def parameter_facts(record: LayerRecord, value: Any) -> Facts:
    """What the framework holds: one weight of the whole shape (torch: a parameter, counted
    whether or not it requires grad; Keras: trainable or not)."""
    size = 1
    for e in value.shape:
        size *= int(e)
    trainable = bool(value.trainable if hasattr(value, "trainable") else value.requires_grad)
    whole = tuple(int(e) for e in value.shape)
    return Facts(whole, size if trainable else 0, 0 if trainable else size, 0,
                 {record.weights[0].name: whole})


def tie_torch(record: LayerRecord, module: Any, modules: dict[str, Any]) -> None:
    """`module.weight = modules["wte"].weight` for each tied weight."""
    for t in record.tied:
        setattr(module, t.weight.name, getattr(modules[t.layer], t.source))


def without_tied(record: LayerRecord, facts: Facts) -> Facts:
    """The facts of a tied layer less the weights it shares (counted at their owner)."""
    if not record.tied:
        return facts
    names = {t.weight.name for t in record.tied}
    shared = sum(_numel(s) for n, s in facts.weights.items() if n in names)
    return Facts(facts.output_shape, facts.trainable - shared, facts.non_trainable,
                 facts.buffers, {n: s for n, s in facts.weights.items() if n not in names},
                 facts.buffer_shapes)


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for e in shape:
        n *= e
    return n
