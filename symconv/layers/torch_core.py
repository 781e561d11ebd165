"""PyTorch layers that act on the last axis or keep the shape: Linear, Flatten, dropout,
activations, BatchNormNd. Formulas from the torch.nn documentation (torch 2.13)."""

from __future__ import annotations

from sympy import Integer

from ..errors import shown
from .base import Call, LayerOutput, Param, Weight, register
from .common import product


def _dim(call: Call, name: str) -> int:
    """A PyTorch dim (the batch axis is 0) as an index into the batched shape."""
    rank = len(call.input) + 1
    value = call.integer(name, None)
    if not value.is_Integer or not -rank <= int(value) < rank:
        raise call.fail(f"'{name}' = {value} is out of range for an input of rank {rank}",
                        name, hint=f"dims run from -{rank} to {rank - 1}, the batch axis is 0")
    return int(value) % rank


def linear(call: Call) -> LayerOutput:
    """Linear on the last axis: weight (out, in), bias (out,); in_features must match."""
    if len(call.input) < 1:
        raise call.fail("expects an input of rank at least 1", code="SC201")
    n = call.integer("in_features")
    call.agree(n, call.input[-1],
               lambda: f"'in_features' is {shown(n)} but the input's last axis is "
               f"{shown(call.input[-1])}",
               "in_features")
    out = call.integer("out_features")
    weights = [Weight("weight", (out, n))]
    if call.flag("bias"):
        weights.append(Weight("bias", (out,)))
    return LayerOutput((*call.input[:-1], out), tuple(weights))


def flatten(call: Call) -> LayerOutput:
    """Flatten(start_dim, end_dim), dims counting the batch axis as 0."""
    start, end = _dim(call, "start_dim"), _dim(call, "end_dim")
    if start == 0:
        raise call.fail("flattening the batch axis (start_dim=0) is not supported", "start_dim",
                        hint="symconv shapes leave the batch axis out; use start_dim=1")
    if start > end:
        raise call.fail("start_dim cannot come after end_dim", "start_dim")
    s = call.input
    return LayerOutput((*s[:start - 1], product(s[start - 1:end]), *s[end:]))


def dropout(call: Call) -> LayerOutput:
    """Dropout / Dropout2d: shape unchanged; 0 ≤ p ≤ 1."""
    call.real("p", 0, 1, inclusive_high=True)
    call.flag("inplace")
    return LayerOutput(call.input)


def elementwise(call: Call) -> LayerOutput:
    """An element-wise activation: shape unchanged, no weights."""
    if call.given("approximate"):
        call.choice("approximate", ("none", "tanh"))
    if call.given("negative_slope"):
        call.real("negative_slope")
    return LayerOutput(call.input)


def softmax(call: Call) -> LayerOutput:
    """Softmax: shape unchanged."""
    if call.raw("dim") is not None:
        _dim(call, "dim")
    return LayerOutput(call.input)


BATCH_NORM_NOTE = ("PyTorch keeps BatchNorm's running mean and variance (and a batch counter) "
                   "as buffers, not parameters; Keras counts its moving statistics as "
                   "non-trainable parameters")


def batch_norm(rank: int):  # type: ignore[no-untyped-def]
    def torch_batch_norm(call: Call) -> LayerOutput:
        """BatchNorm{rank}d: weight and bias (C each) with affine (no bias with bias=False);
        running_mean, running_var (C) and num_batches_tracked (a scalar) are buffers with
        track_running_stats."""
        ranks = (1, 2) if rank == 1 else (rank + 1,)
        if len(call.input) not in ranks:
            what = "(C,) or (C, L)" if rank == 1 else f"rank {rank + 1} (C first)"
            raise call.fail(f"expects {what} without the batch axis, got rank {len(call.input)}",
                            code="SC201")
        c = call.integer("num_features")
        affine, tracking = call.flag("affine"), call.flag("track_running_stats")
        if affine or tracking:
            call.agree(c, call.input[0],
                       lambda: f"'num_features' is {shown(c)} but the input has "
                       f"{shown(call.input[0])} channels",
                       "num_features")
        weights = []
        if affine:  # torch 2.13's keyword-only `bias=False` keeps the scale, drops the shift
            weights.append(Weight("weight", (c,)))
            if call.flag("bias"):
                weights.append(Weight("bias", (c,)))
        if tracking:
            weights += [Weight("running_mean", (c,), False, True),
                        Weight("running_var", (c,), False, True),
                        Weight("num_batches_tracked", (), False, True)]
        return LayerOutput(call.input, tuple(weights), (BATCH_NORM_NOTE,) if tracking else ())

    return torch_batch_norm


register("torch", "Linear", (Param("in_features"), Param("out_features"), Param("bias", True)),
         linear, "torch.nn.Linear: (…, in) → (…, out); (in + 1)·out params", "core")
register("torch", "Flatten", (Param("start_dim", Integer(1)), Param("end_dim", Integer(-1))),
         flatten, "torch.nn.Flatten: the product of dims start_dim..end_dim", "reshape")
for _name in ("Dropout", "Dropout2d"):
    register("torch", _name, (Param("p", Integer(1) / 2), Param("inplace", False)), dropout,
             f"torch.nn.{_name}: shape unchanged", "regularization")
for _name, _params in (
    ("ReLU", (Param("inplace", False),)), ("ReLU6", (Param("inplace", False),)),
    ("LeakyReLU", (Param("negative_slope", Integer(1) / 100), Param("inplace", False))),
    ("GELU", (Param("approximate", "none"),)), ("SiLU", (Param("inplace", False),)),
    ("Hardswish", (Param("inplace", False),)), ("Hardsigmoid", (Param("inplace", False),)),
    ("Sigmoid", ()), ("Tanh", ()),
):
    register("torch", _name, _params, elementwise, f"torch.nn.{_name}: shape unchanged",
             "activation")
register("torch", "Softmax", (Param("dim", None),), softmax, "torch.nn.Softmax: shape unchanged",
         "activation")
for _r in (1, 2, 3):
    register("torch", f"BatchNorm{_r}d", (
        Param("num_features"), Param("eps", Integer(1) / 100000), Param("momentum", Integer(1) / 10),
        Param("affine", True), Param("track_running_stats", True), Param("bias", True)),
        batch_norm(_r),
        f"torch.nn.BatchNorm{_r}d: 2·C parameters, 2·C + 1 buffer elements", "normalization",
        keyword_only=1)  # bias
