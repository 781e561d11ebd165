"""PyTorch sequence layers: RNN, LSTM, GRU and Embedding. From torch/nn/modules/rnn.py (RNNBase)
and sparse.py (torch 2.13).

Shapes leave the batch axis out, so a recurrent layer takes (L, F) and gives the `output` tensor
(L, D·H_out) whatever batch_first says (batch_first only moves the batch axis). torch also takes
an unbatched (L, F); symconv's (L, F) stands for the batched input, so rank 1 is refused.

The module gives a tuple, `(output, h_n)` for RNN and GRU and `(output, (h_n, c_n))` for LSTM
(`LayerOutput.outputs`); used as one tensor it is `output`. h_n is (D·num_layers, N, H_out) and
c_n (D·num_layers, N, H), written without the batch axis N as everywhere: (D·num_layers, H_out)
and (D·num_layers, H). Their batch axis is torch's dim 1 whatever batch_first says, not dim 0
as for the other tensors (`LayerOutput.batch_axes`): they are shown (1, N, H), their dims count
as torch counts them (`h_n[-1]` and `select(h_n, 0, -1)` take the last layer's state, (N, H)),
and only the operations that bring the batch first again take them (parameters.py
BATCH_FIRST_AGAIN): torch's `fc(h_n)` gives (1, N, out), a tensor symconv cannot show.
"""

from __future__ import annotations

import sympy
from sympy import Expr, Integer

from ..errors import shown
from .base import Call, LayerOutput, Param, Several, Weight, register

GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
KERAS_NOTE = ("Keras differs: one bias vector per gate block (SimpleRNN u(n + u) + u, LSTM "
              "4·[u(n + u) + u]; torch has bias_ih and bias_hh), GRU with reset_after=True "
              "(the default) has two, a bidirectional layer is the Bidirectional wrapper, and "
              "return_sequences=False (the default) gives only the last step.")


def _layers(call: Call) -> int:
    """num_layers: the weight names (…_l0, …_l1) need a number, not an expression."""
    n = call.integer("num_layers")
    if not n.is_Integer:
        raise call.fail(f"'num_layers' must be a number, not {n}: the weight names depend on it",
                        "num_layers")
    return int(n)


def _proj(call: Call, kind: str, hidden: Expr) -> Expr:
    if kind != "LSTM":
        return Integer(0)
    proj = call.switch("proj_size")
    assert proj is not None  # not optional
    call.require(sympy.Lt(proj, hidden), "proj_size has to be smaller than hidden_size",
                 "proj_size")
    if proj.is_zero is None:
        raise call.fail(f"'proj_size' must be a number, not {shown(proj)}: the weight names "
                        "depend on whether it is 0", "proj_size")
    return proj


def recurrent_weights(kind: str, n_in: Expr, hidden: Expr, layers: int, directions: int,
                      bias: bool, proj: Expr) -> list[Weight]:
    """RNNBase's parameters in its order: per layer and direction weight_ih, weight_hh, the two
    biases, then weight_hr (LSTM with proj_size); `_reverse` marks the backward direction."""
    gate = GATES[kind] * hidden
    h_out = proj if proj != 0 else hidden
    weights = []
    for layer in range(layers):
        for direction in range(directions):
            tag = f"_l{layer}" + ("_reverse" if direction else "")
            width = n_in if layer == 0 else h_out * directions
            weights += [Weight(f"weight_ih{tag}", (gate, width)),
                        Weight(f"weight_hh{tag}", (gate, h_out))]
            if bias:
                weights += [Weight(f"bias_ih{tag}", (gate,)), Weight(f"bias_hh{tag}", (gate,))]
            if proj != 0:
                weights.append(Weight(f"weight_hr{tag}", (proj, hidden)))
    return weights


def recurrent(kind: str):  # type: ignore[no-untyped-def]
    def torch_recurrent(call: Call) -> LayerOutput:
        """{kind}: (L, F) → (L, D·H_out), D = 2 if bidirectional, H_out = proj_size or
        hidden_size; gate blocks of (1, 4, 3)·hidden_size rows; 0 ≤ dropout ≤ 1."""
        call.input_rank(2, "(L, F) — sequence length, features")
        n_in = call.integer("input_size")
        call.require(sympy.Eq(n_in, call.input[1]),
                     lambda: f"'input_size' is {shown(n_in)} but the input has "
                     f"{shown(call.input[1])} features", "input_size", code="SC203")
        hidden = call.integer("hidden_size")
        layers = _layers(call)
        if kind == "RNN":
            call.choice("nonlinearity", ("tanh", "relu"))
        bias, directions = call.flag("bias"), 2 if call.flag("bidirectional") else 1
        call.flag("batch_first")
        call.real("dropout", 0, 1, inclusive_high=True)
        proj = _proj(call, kind, hidden)
        weights = recurrent_weights(kind, n_in, hidden, layers, directions, bias, proj)
        h_out = proj if proj != 0 else hidden
        out = (call.input[0], directions * h_out)
        states = final_states(kind, out, directions * layers, hidden, h_out)
        return LayerOutput(out, tuple(weights), (KERAS_NOTE,), outputs=states,
                           batch_axes=(0, 1, 1) if kind == "LSTM" else (0, 1))

    return torch_recurrent


def final_states(kind: str, out: tuple[Expr, ...], stack: int, hidden: Expr,
                 h_out: Expr) -> Several:
    """torch's results: (output, h_n), or (output, (h_n, c_n)) for LSTM; h_n (D·num_layers,
    H_out), c_n (D·num_layers, hidden_size) (c_n is not projected), batch axis left out."""
    h = (Integer(stack), h_out)
    if kind == "LSTM":
        return Several((out, Several((h, (Integer(stack), hidden)))))
    return Several((out, h))


def embedding_settings(call: Call, vocab: Expr) -> None:
    """Embedding's and EmbeddingBag's checks: padding_idx in [−V, V), max_norm and norm_type
    real numbers."""
    if call.raw("padding_idx") is not None:
        idx = call.integer("padding_idx", None)
        call.require(sympy.And(sympy.Ge(idx, -vocab), sympy.Lt(idx, vocab)),
                     "padding_idx must be within num_embeddings", "padding_idx")
    if call.raw("max_norm") is not None:
        call.real("max_norm")
    call.real("norm_type")


def embedding(call: Call) -> LayerOutput:
    """Embedding(V, E): integer indices of any shape (…) → (…, E); weight (V, E). V ≥ 1 (no
    index fits an empty table); padding_idx in [−V, V)."""
    if not call.input:
        raise call.fail("expects indices of rank at least 1", code="SC201")
    vocab = call.integer("num_embeddings")
    dim = call.integer("embedding_dim", 0)
    embedding_settings(call, vocab)
    call.flag("scale_grad_by_freq")
    call.flag("sparse")
    return LayerOutput((*call.input, dim), (Weight("weight", (vocab, dim)),))


RNN_TAIL = (Param("bias", True), Param("batch_first", False), Param("dropout", Integer(0)),
            Param("bidirectional", False))
HEAD = (Param("input_size"), Param("hidden_size"), Param("num_layers", Integer(1)))

register("torch", "RNN", HEAD + (Param("nonlinearity", "tanh"),) + RNN_TAIL, recurrent("RNN"),
         "torch.nn.RNN: (L, F) → (L, D·H); D·[H(F + H) + 2H] for one layer", "recurrent")
register("torch", "LSTM", HEAD + RNN_TAIL + (Param("proj_size", Integer(0)),), recurrent("LSTM"),
         "torch.nn.LSTM: (L, F) → (L, D·H_out); 4·D·[H(F + H) + 2H] for one layer",
         "recurrent")
register("torch", "GRU", HEAD + RNN_TAIL, recurrent("GRU"),
         "torch.nn.GRU: (L, F) → (L, D·H); 3·D·[H(F + H) + 2H] for one layer", "recurrent")
register("torch", "Embedding", (
    Param("num_embeddings"), Param("embedding_dim"), Param("padding_idx", None),
    Param("max_norm", None), Param("norm_type", Integer(2)), Param("scale_grad_by_freq", False),
    Param("sparse", False)), embedding, "torch.nn.Embedding: (…) → (…, E); V·E params",
    "embedding")
