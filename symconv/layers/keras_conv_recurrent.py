"""Keras 3 convolutional LSTMs: ConvLSTM1D, ConvLSTM2D, ConvLSTM3D (keras.src.layers.rnn
conv_lstm.py and conv_lstm{1,2,3}d.py, Keras 3.15).

A ConvLSTM{r}D takes a sequence of r-D feature maps, (T, *spatial, C) channels last or
(T, C, *spatial) channels first, and runs an LSTM whose gates are convolutions: the input one
with the layer's strides, padding and dilation, the recurrent one on the state, 'same' with
stride 1. Each step gives the input convolution's map with `filters` channels, as Keras's conv
computes it (compute_conv_output_shape): 'valid' ⌊(L − k_eff)/s⌋ + 1 (an error when ≤ 0),
'same' ⌈L/s⌉. The output is the last step's map, or every step's (T, …) with
return_sequences; return_state=True adds the final h and c, each the one-step map.

Weights (ConvLSTMCell.build): kernel (*k, C, 4·filters), recurrent_kernel (*k, filters,
4·filters), bias (4·filters,) with use_bias: 4·filters·(∏k·(C + filters) + 1) parameters.
"""

from __future__ import annotations

from dataclasses import replace

from sympy import Integer, Or

from .base import Call, LayerOutput, Param, Several, Weight, register
from .common import all_one, keras_activation
from .keras_spatial import _channels_first, _join, conv_extents


def conv_lstm(rank: int):  # type: ignore[no-untyped-def]
    def keras_conv_lstm(call: Call) -> LayerOutput:
        """ConvLSTM{rank}D: (T, *spatial, C) → the conv map (*out, filters), or (T, *out,
        filters) with return_sequences; kernel (*k, C, 4f), recurrent_kernel (*k, f, 4f), bias
        (4f,)."""
        call.input_rank(rank + 2, f"a sequence of {rank}-D feature maps (timesteps first)")
        steps, frame = call.input[0], call.input[1:]
        first = _channels_first(call)
        spatial, c = (frame[1:], frame[0]) if first else (frame[:-1], frame[-1])
        filters = call.integer("filters")
        k = call.integers("kernel_size", rank)
        s = call.integers("strides", rank)
        d = call.integers("dilation_rate", rank)
        padding = call.choice("padding", ("valid", "same"), fold_case=True)
        keras_activation(call)
        keras_activation(call, "recurrent_activation")
        for name in ("dropout", "recurrent_dropout"):
            call.real(name)  # Keras clamps them to [0, 1]
        for name in ("use_bias", "unit_forget_bias", "go_backwards", "unroll",
                     "zero_output_for_mask"):
            call.flag(name)
        if call.flag("stateful"):
            raise call.fail("stateful=True needs a fixed batch size, which symconv shapes leave "
                            "out", "stateful")
        call.require(Or(all_one(s), all_one(d)),
                     "`strides > 1` is not compatible with `dilation_rate > 1`")
        out = conv_extents(call, spatial, k, s, d, padding)
        state = _join(out, filters, first)
        weights = [Weight("kernel", (*k, c, 4 * filters)),
                   Weight("recurrent_kernel", (*k, filters, 4 * filters))]
        if call.flag("use_bias"):
            weights.append(Weight("bias", (4 * filters,)))
        if not call.flag("trainable"):
            weights = [replace(w, trainable=False) for w in weights]
        shape = (steps, *state) if call.flag("return_sequences") else state
        several = Several((shape, state, state)) if call.flag("return_state") else None
        return LayerOutput(shape, tuple(weights), outputs=several,
                           settings={"go_backwards": call.flag("go_backwards")})

    keras_conv_lstm.__doc__ = (keras_conv_lstm.__doc__ or "").format(rank=rank)
    return keras_conv_lstm


_ZERO = Integer(0)
_PARAMS = tuple(Param(n, d) for n, d in (
    ("strides", Integer(1)), ("padding", "valid"), ("data_format", None),
    ("dilation_rate", Integer(1)), ("activation", "tanh"), ("recurrent_activation", "sigmoid"),
    ("use_bias", True), ("kernel_initializer", "glorot_uniform"),
    ("recurrent_initializer", "orthogonal"), ("bias_initializer", "zeros"),
    ("unit_forget_bias", True), ("kernel_regularizer", None), ("recurrent_regularizer", None),
    ("bias_regularizer", None), ("activity_regularizer", None), ("kernel_constraint", None),
    ("recurrent_constraint", None), ("bias_constraint", None), ("dropout", _ZERO),
    ("recurrent_dropout", _ZERO), ("seed", None), ("return_sequences", False),
    ("return_state", False), ("go_backwards", False), ("stateful", False),
    # RNN's own keywords, reached through **kwargs
    ("unroll", False), ("zero_output_for_mask", False)))

for _r in (1, 2, 3):
    register("keras", f"ConvLSTM{_r}D", (Param("filters"), Param("kernel_size"), *_PARAMS),
             conv_lstm(_r), f"Keras ConvLSTM{_r}D: (T, *spatial, C) → the conv map with "
             "filters channels (every step with return_sequences); "
             "4·f·(∏k·(C + f) + 1) params", "recurrent", keyword_only=2)
