"""Keras 3 layers that act on the last axis or keep the shape: Dense, Flatten, dropout,
activations, BatchNormalization. Formulas from the Keras 3.15 sources of each layer."""

from __future__ import annotations

from sympy import Integer

from .base import Call, LayerOutput, Param, Weight, register
from .common import keras_activation, keras_lora, product


def dense(call: Call) -> LayerOutput:
    """Dense acts on the last axis: (…, n) → (…, units); kernel (n, units), bias (units,);
    with `lora_rank` r the kernel is frozen and lora_kernel_a (n, r), lora_kernel_b (r, units)
    are added."""
    if len(call.input) < 1:
        raise call.fail("expects an input of rank at least 1", code="SC201")
    units = call.integer("units")
    keras_activation(call)
    n = call.input[-1]
    weights = keras_lora(call, Weight("kernel", (n, units)), units)
    if call.flag("use_bias"):
        weights.append(Weight("bias", (units,)))
    return LayerOutput((*call.input[:-1], units), tuple(weights))


def flatten(call: Call) -> LayerOutput:
    """Flatten: (∏ shape,). data_format only changes the order of the elements."""
    if call.raw("data_format") is not None:
        call.choice("data_format", ("channels_last", "channels_first"))
    return LayerOutput((product(call.input),))


def _rate(call: Call) -> None:
    call.real("rate", 0, 1, inclusive_high=True)


def dropout(call: Call) -> LayerOutput:
    """Dropout: shape unchanged; 0 ≤ rate ≤ 1."""
    _rate(call)
    return LayerOutput(call.input)


def spatial_dropout(rank: int):  # type: ignore[no-untyped-def]
    def keras_spatial_dropout(call: Call) -> LayerOutput:
        """SpatialDropout{rank}D: shape unchanged; input of rank {rank}+1 without the batch."""
        call.input_rank(rank + 1, f"a {rank}-D feature map with channels")
        _rate(call)
        if rank > 1 and call.raw("data_format") is not None:
            call.choice("data_format", ("channels_last", "channels_first"))
        return LayerOutput(call.input)

    return keras_spatial_dropout


def activation(call: Call) -> LayerOutput:
    """Activation: shape unchanged; the name must be a Keras activation, or None (linear, as
    keras.activations.get(None))."""
    keras_activation(call)
    return LayerOutput(call.input)


def elementwise(*checks: tuple[str, float | None, bool]):  # type: ignore[no-untyped-def]
    def keras_elementwise(call: Call) -> LayerOutput:
        """An element-wise activation layer: shape unchanged, no weights. Each check is
        (argument, lowest value, whether None is allowed), as the layer's constructor checks
        them (Keras 3.15 ReLU: max_value None or ≥ 0, negative_slope and threshold ≥ 0 and
        not None; LeakyReLU: negative_slope ≥ 0 and not None)."""
        for name, low, nullable in checks:
            if call.raw(name) is None:
                if not nullable:
                    raise call.fail(f"'{name}' must be a number, not None", name)
            else:
                call.real(name, low)
        return LayerOutput(call.input)

    return keras_elementwise


def softmax(call: Call) -> LayerOutput:
    """Softmax: shape unchanged; `axis` must name an axis of the batched input, the batch axis
    included (Keras 3.15 normalises over it without complaint)."""
    rank = len(call.input) + 1
    value = call.integer("axis", None)
    if not value.is_Integer or not -rank <= int(value) < rank:
        raise call.fail(f"'axis' = {value} is out of range for an input of rank {rank}", "axis",
                        hint=f"axes run from -{rank} to {rank - 1}, the batch axis is 0")
    return LayerOutput(call.input)


def _axis(call: Call, name: str) -> int:
    """A Keras axis (counting the batch axis as 0) as an index into the shape without it."""
    rank = len(call.input) + 1
    value = call.integer(name, None)
    if not value.is_Integer or not -rank <= int(value) < rank or int(value) % rank == 0:
        raise call.fail(f"'{name}' = {value} is not a non-batch axis of an input of rank {rank}",
                        name, hint=f"axes run from 1 to {rank - 1}, or -1 to -{rank - 1}")
    return int(value) % rank - 1


BATCH_NORM_NOTE = ("Keras counts BatchNormalization's moving mean and variance as "
                   "non-trainable parameters; PyTorch keeps them as buffers, not parameters")


def batch_norm(call: Call) -> LayerOutput:
    """BatchNormalization: gamma, beta trainable (C each, by scale/center); moving_mean and
    moving_variance non-trainable (C each): 4·C with both flags on. `renorm` adds three more
    non-trainable C-vectors, moving_stddev, renorm_mean and renorm_stddev (Keras 3.15 build)."""
    c = call.input[_axis(call, "axis")]
    weights = []
    if call.flag("scale"):
        weights.append(Weight("gamma", (c,)))
    if call.flag("center"):
        weights.append(Weight("beta", (c,)))
    stats = ["moving_mean", "moving_variance"]
    if call.flag("renorm"):
        stats += ["moving_stddev", "renorm_mean", "renorm_stddev"]
    weights += [Weight(name, (c,), trainable=False) for name in stats]
    return LayerOutput(call.input, tuple(weights), (BATCH_NORM_NOTE,))


_INIT = ("kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
         "activity_regularizer", "kernel_constraint", "bias_constraint", "lora_rank",
         "lora_alpha", "quantization_config")
_INIT_DEFAULTS = {"kernel_initializer": "glorot_uniform", "bias_initializer": "zeros"}

register("keras", "Dense",
         (Param("units"), Param("activation", None), Param("use_bias", True),
          *(Param(n, _INIT_DEFAULTS.get(n)) for n in _INIT)),
         dense, "Keras Dense: (…, n) → (…, units); (n + 1)·units params", "core")
register("keras", "Flatten", (Param("data_format", None),), flatten,
         "Keras Flatten: (∏ shape,)", "reshape")
register("keras", "Dropout", (Param("rate"), Param("noise_shape", None), Param("seed", None)),
         dropout, "Keras Dropout: shape unchanged", "regularization")
_NAME_DTYPE = (Param("name", None), Param("dtype", None))  # SpatialDropout takes no others
register("keras", "SpatialDropout1D", (Param("rate"), Param("seed", None)), spatial_dropout(1),
         "Keras SpatialDropout1D: shape unchanged, rank-2 input", "regularization", _NAME_DTYPE)
register("keras", "SpatialDropout2D",
         (Param("rate"), Param("data_format", None), Param("seed", None)), spatial_dropout(2),
         "Keras SpatialDropout2D: shape unchanged, rank-3 input", "regularization", _NAME_DTYPE)
register("keras", "Activation", (Param("activation"),), activation,
         "Keras Activation: shape unchanged", "activation")
register("keras", "ReLU", (Param("max_value", None), Param("negative_slope", Integer(0)),
                           Param("threshold", Integer(0))),
         elementwise(("max_value", 0, True), ("negative_slope", 0, False),
                     ("threshold", 0, False)),
         "Keras ReLU: shape unchanged", "activation")
register("keras", "LeakyReLU", (Param("negative_slope", Integer(3) / 10),),
         elementwise(("negative_slope", 0, False)), "Keras LeakyReLU: shape unchanged",
         "activation")
register("keras", "ELU", (Param("alpha", Integer(1)),), elementwise(),
         "Keras ELU: shape unchanged", "activation")
register("keras", "Softmax", (Param("axis", Integer(-1)),), softmax,
         "Keras Softmax: shape unchanged", "activation")
register("keras", "BatchNormalization", tuple(Param(n, d) for n, d in (
    ("axis", Integer(-1)), ("momentum", Integer(99) / 100), ("epsilon", Integer(1) / 1000),
    ("center", True), ("scale", True), ("beta_initializer", "zeros"),
    ("gamma_initializer", "ones"), ("moving_mean_initializer", "zeros"),
    ("moving_variance_initializer", "ones"), ("beta_regularizer", None),
    ("gamma_regularizer", None), ("beta_constraint", None), ("gamma_constraint", None),
    ("renorm", False), ("renorm_clipping", None), ("renorm_momentum", Integer(99) / 100),
    ("synchronized", False))), batch_norm,
    "Keras BatchNormalization: 2·C trainable (gamma, beta), 2·C non-trainable (moving stats)",
    "normalization")
