"""Keras 3 recurrent layers and the wrappers around layers: SimpleRNN, LSTM, GRU, Bidirectional,
TimeDistributed. Rules from keras.src.layers.rnn (Keras 3.15: simple_rnn.py, lstm.py, gru.py,
rnn.py, bidirectional.py, time_distributed.py).

An RNN takes (T, n) and gives (u,), or (T, u) with return_sequences. With u units and g gate
blocks (SimpleRNN 1, LSTM 4, GRU 3): kernel (n, g·u), recurrent_kernel (u, g·u), bias (g·u,), or
(2, 3·u) for GRU with reset_after=True (the default).

With return_state=True the layer gives several tensors, [output, h, c] for LSTM and [output, h]
for GRU and SimpleRNN, each state (u,) (`LayerOutput.outputs`); Bidirectional gives its merged
output, then the forward states, then the backward ones, and with merge_mode=None the forward and
backward outputs apart, before the states. stateful=True is refused: it needs the batch size that
shapes leave out.
"""

from __future__ import annotations

from dataclasses import replace

from sympy import Expr, Integer

from .base import Call, LayerOutput, Param, Several, Weight, register
from .common import keras_activation

GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
CELLS = {"SimpleRNN": "simple_rnn_cell", "LSTM": "lstm_cell", "GRU": "gru_cell"}
TORCH_NOTE = ("PyTorch's {torch} differs: two bias vectors per gate block (bias_ih_l0 and "
              "bias_hh_l0), {g}·[h(d + h) + 2h] parameters")


STATES = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1}  # h, and c for LSTM


def with_states(type_: str, out: tuple[Expr, ...], units: Expr) -> Several:
    """Keras RNN's results with return_state=True: the output, then h (and c for LSTM), each
    (units,) whatever return_sequences (rnn.py RNN.call: ``[output] + list(states)``)."""
    return Several((out, *[(units,)] * STATES[type_]))


def rnn(type_: str):  # type: ignore[no-untyped-def]
    gates = GATES[type_]

    def keras_rnn(call: Call) -> LayerOutput:
        """{type_}: (T, n) → (u,) or (T, u) with return_sequences; kernel (n, g·u),
        recurrent_kernel (u, g·u), bias (g·u,) (GRU reset_after: (2, 3·u))."""
        call.input_rank(2, "a sequence (timesteps, features)")
        steps, n = call.input
        units = call.integer("units")
        keras_activation(call)
        if type_ != "SimpleRNN":
            keras_activation(call, "recurrent_activation")
            if call.raw("use_cudnn") not in ("auto", True, False):
                raise call.fail("'use_cudnn' must be 'auto', True or False", "use_cudnn")
        for name in ("dropout", "recurrent_dropout"):
            call.real(name)  # Keras clamps them to [0, 1]
        states = call.flag("return_state")
        if call.flag("stateful"):
            raise call.fail("stateful=True needs a fixed batch size, which symconv shapes leave "
                            "out", "stateful")
        for name in ("go_backwards", "unroll", "use_bias"):
            call.flag(name)
        weights = [Weight("kernel", (n, gates * units)),
                   Weight("recurrent_kernel", (units, gates * units))]
        two_biases = type_ == "GRU" and call.flag("reset_after")
        if call.flag("use_bias"):
            bias = (Integer(2), 3 * units) if two_biases else (gates * units,)
            weights.append(Weight("bias", bias))
        if not call.flag("trainable"):  # also when wrapped (Bidirectional copies the setting)
            weights = [replace(w, trainable=False) for w in weights]
        out = (steps, units) if call.flag("return_sequences") else (units,)
        torch = {"SimpleRNN": "RNN"}.get(type_, type_)
        notes = () if two_biases else (TORCH_NOTE.format(torch=torch, g=gates),)
        return LayerOutput(out, tuple(weights), notes,
                           settings={"go_backwards": call.flag("go_backwards")},
                           outputs=with_states(type_, out, units) if states else None)

    keras_rnn.__doc__ = (keras_rnn.__doc__ or "").format(type_=type_)
    return keras_rnn


MERGE_MODES = ("concat", "sum", "mul", "ave")


def bidirectional(call: Call) -> LayerOutput:
    """Bidirectional(layer): a forward and a backward copy of an RNN on the same input, their
    outputs joined by merge_mode ('concat' doubles the last axis; 'sum', 'mul', 'ave' keep it;
    None gives both apart: several tensors); weights forward_<name>/<cell>/… and
    backward_<name>/<cell>/…, twice the layer's. With the layer's return_state=True the
    forward states follow the output(s), then the backward ones (bidirectional.py call)."""
    mode = None if call.raw("merge_mode") is None else call.choice("merge_mode", MERGE_MODES)
    if call.raw("backward_layer") is not None:
        raise call.fail("backward_layer is not supported by symconv (Keras 3.15 also reports "
                        "a wrong symbolic shape when its units differ)", "backward_layer",
                        hint="leave it out: the backward layer is then a copy of `layer`")
    if call.raw("weights") is not None:
        raise call.fail("initial weights are not supported by symconv", "weights")
    sub = call.sublayer("layer", call.input)
    if sub.type not in CELLS:
        raise call.fail(f"wraps a recurrent layer (SimpleRNN, LSTM, GRU), not {sub.type}",
                        "layer")
    if sub.output.settings.get("go_backwards"):
        raise call.fail("the wrapped layer must not have go_backwards=True: the backward copy "
                        "has it, and the two must differ", "layer")
    cell = CELLS[sub.type]
    weights = []
    for direction in ("forward", "backward"):
        name = f"{direction}_{sub.name.removeprefix(direction + '_')}"
        weights += [replace(w, name=f"{name}/{cell}/{w.name}") for w in sub.output.weights]
    shape = sub.output.shape
    if mode == "concat":
        shape = (*shape[:-1], 2 * shape[-1])
    states = sub.output.outputs.items[1:] if sub.output.outputs is not None else ()
    heads = (shape,) if mode is not None else (shape, shape)
    several = Several((*heads, *states, *states)) if states or mode is None else None
    return LayerOutput(shape, tuple(weights), sub.output.notes, outputs=several)


def time_distributed(call: Call) -> LayerOutput:
    """TimeDistributed(layer): the layer on each step of axis 1: (T, *rest) → (T, *layer's
    output on rest); its weights once, named by their short names or, where those repeat, by
    <layer name>/<path>."""
    if len(call.input) < 2:
        raise call.fail("expects (timesteps, …) with at least one axis after the timesteps",
                        code="SC201")
    sub = call.sublayer("layer", call.input[1:])
    if sub.output.outputs is not None:  # Keras fails in compute_output_spec on the list
        raise call.fail(f"the wrapped {sub.type} gives several tensors (return_state=True), "
                        "which TimeDistributed cannot map over the steps", "layer")
    weights = sub.output.weights
    short = [w.name.rsplit("/", 1)[-1] for w in weights]
    if len(set(short)) == len(short):
        weights = tuple(replace(w, name=s) for w, s in zip(weights, short))
    else:
        weights = tuple(replace(w, name=f"{sub.name}/{w.name}") for w in weights)
    return LayerOutput((call.input[0], *sub.output.shape), weights, sub.output.notes)


_COMMON_RNN = tuple(Param(n, d) for n, d in (
    ("kernel_initializer", "glorot_uniform"), ("recurrent_initializer", "orthogonal"),
    ("bias_initializer", "zeros")))
_REG = tuple(Param(n, None) for n in (
    "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
    "kernel_constraint", "recurrent_constraint", "bias_constraint"))
_ZERO = Integer(0)
_DROP = (Param("dropout", _ZERO), Param("recurrent_dropout", _ZERO))
_FLAGS = tuple(Param(n, False) for n in (
    "return_sequences", "return_state", "go_backwards", "stateful", "unroll"))
# RNN's own keywords, reached through **kwargs (rnn.py, lstm.py, gru.py)
_EXTRA = (Param("zero_output_for_mask", False), Param("implementation", Integer(2)))
_GATED = (Param("units"), Param("activation", "tanh"), Param("recurrent_activation", "sigmoid"),
          Param("use_bias", True), *_COMMON_RNN)

register("keras", "SimpleRNN",
         (Param("units"), Param("activation", "tanh"), Param("use_bias", True), *_COMMON_RNN,
          *_REG, *_DROP, *_FLAGS, Param("seed", None), _EXTRA[0]),
         rnn("SimpleRNN"), "Keras SimpleRNN: (T, n) → (u,) or (T, u); u(n + u) + u params",
         "recurrent", keyword_only=1)
register("keras", "LSTM",
         (*_GATED, Param("unit_forget_bias", True), *_REG, *_DROP, Param("seed", None),
          *_FLAGS, Param("use_cudnn", "auto"), *_EXTRA),
         rnn("LSTM"), "Keras LSTM: (T, n) → (u,) or (T, u); 4·[u(n + u) + u] params",
         "recurrent", keyword_only=2)
register("keras", "GRU",
         (*_GATED, *_REG, *_DROP, Param("seed", None), *_FLAGS, Param("reset_after", True),
          Param("use_cudnn", "auto"), *_EXTRA),
         rnn("GRU"), "Keras GRU: (T, n) → (u,) or (T, u); 3·[u(n + u) + 2u] params "
         "(reset_after=False: 3·[u(n + u) + u])", "recurrent", keyword_only=2)
register("keras", "Bidirectional",
         (Param("layer"), Param("merge_mode", "concat"), Param("weights", None),
          Param("backward_layer", None)), bidirectional,
         "Keras Bidirectional: two copies of an RNN; 'concat' doubles the last axis; twice "
         "the RNN's params", "wrapper")
register("keras", "TimeDistributed", (Param("layer"),), time_distributed,
         "Keras TimeDistributed: the layer on every step: (T, *rest) → (T, *layer(rest))",
         "wrapper")
