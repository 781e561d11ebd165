"""PyTorch layers issue 16 adds that fit no older family file: EmbeddingBag, Unfold,
ChannelShuffle (torch.nn, torch 2.13: sparse.py, fold.py, channelshuffle.py and ATen's im2col /
channel_shuffle checks) and torchvision.ops.StochasticDepth (torchvision 0.28,
ops/stochastic_depth.py). Shapes leave the batch axis out, as everywhere.
"""

from __future__ import annotations

from sympy import Integer

from ..maths import extent
from .base import TORCH_COMMON, Call, LayerOutput, Param, Weight, register
from .common import divisible, positive_extents, product
from .torch_recurrent import embedding_settings

BAG_MODES = ("sum", "mean", "max")


def embedding_bag(call: Call) -> LayerOutput:
    """EmbeddingBag(V, E, mode='mean') on 2-D indices (bags, n), each row one bag: (n,) →
    (E,) per bag, the bags being the batch axis; weight (V, E). V ≥ 1 (no index fits an empty
    table), E ≥ 0 (E = 0 in sum or mean mode is warned about: torch's CPU kernel then fails
    on some runs, not on others), n ≥ 1 (F.embedding_bag's offsets need a step),
    padding_idx in [−V, V); max mode refuses scale_grad_by_freq and sparse. The 1-D form,
    indices and a second tensor of offsets, is not supported: its bags are not the batch axis
    symconv leaves out."""
    if len(call.inputs) != 1 or len(call.input) != 1:
        raise call.fail("expects indices (n,) per bag, i.e. torch's 2-D (bags, n) input; the "
                        "1-D form with offsets (a second tensor) is not supported", code="SC201",
                        hint="write the bags as rows of equal length n: input (n,)")
    vocab = call.integer("num_embeddings")
    mode = call.choice("mode", BAG_MODES)
    dim = call.integer("embedding_dim", 0)
    if dim.is_zero and mode != "max":
        # measured: it raises on some runs and not on others, the same call each time
        call.warn("torch 2.13's CPU kernel often fails on an empty embedding_dim in sum and "
                  "mean mode (\"Expected i < index_size\")")
    call.require(extent.at_least(call.input[0], 1), "each bag needs at least one index")
    embedding_settings(call, vocab)
    for name in ("scale_grad_by_freq", "sparse", "include_last_offset"):
        if call.flag(name) and mode == "max" and name != "include_last_offset":
            # F.embedding_bag: "max mode does not support scaling the gradient by the
            # frequency" / "… sparse weights"
            raise call.fail(f"max mode does not support {name}=True", name)
    if call.raw("_weight") is not None:
        raise call.fail("'_weight' (an initial weight tensor) cannot be written in .arch",
                        "_weight")
    return LayerOutput((dim,), (Weight("weight", (vocab, dim)),))


def unfold(call: Call) -> LayerOutput:
    """Unfold(kernel_size, dilation=1, padding=0, stride=1) on (C, H, W): (C·kh·kw, L) with
    L = L_H·L_W, L_i = ⌊(X + 2p − d(k − 1) − 1)/s⌋ + 1, each at least 1 (ATen's im2col
    check); every input extent ≥ 1; kernel, stride, dilation ≥ 1, padding ≥ 0; 2-D only
    (torch.nn.Unfold: "Currently, only 4-D input tensors (batched image-like tensors) are
    supported")."""
    call.input_rank(3, "(C, H, W) channels first")
    c, *spatial = call.input
    positive_extents(call, call.input, range(3), "every input extent must be at least 1 "
                     "(im2col: non-zero dimensions)")
    k = call.integers("kernel_size", 2)
    d = call.integers("dilation", 2)
    p = call.integers("padding", 2, 0)
    s = call.integers("stride", 2)
    blocks = tuple(extent.window(L, di * (ki - 1) + 1, si, 2 * pi)
                   for L, ki, di, pi, si in zip(spatial, k, d, p, s))
    positive_extents(call, blocks, range(2), "the array of sliding blocks must have at least "
                     "one block on each axis")
    return LayerOutput((c * product(k), product(blocks)))


def channel_shuffle(call: Call) -> LayerOutput:
    """ChannelShuffle(groups) on (C, *): shape unchanged; C divisible by groups ≥ 1; at least
    one axis after the channels (torch: "expects input with > 2 dims")."""
    if len(call.input) < 2:
        raise call.fail("expects (C, …) with at least one axis after the channels (torch's "
                        "> 2 dims with the batch axis)", code="SC201")
    groups = call.integer("groups")
    divisible(call, call.input[0], groups, "the number of channels must be divisible by "
              "groups", "groups")
    return LayerOutput(call.input)


def stochastic_depth(call: Call) -> LayerOutput:
    """torchvision.ops.StochasticDepth(p, mode): shape unchanged, no parameters; p in [0, 1]
    and mode 'batch' or 'row', checked by stochastic_depth() at every call (eval too)."""
    call.real("p", 0, 1, inclusive_high=True)
    call.choice("mode", ("batch", "row"))
    return LayerOutput(call.input)


register("torch", "EmbeddingBag", (
    Param("num_embeddings"), Param("embedding_dim"), Param("max_norm", None),
    Param("norm_type", Integer(2)), Param("scale_grad_by_freq", False), Param("mode", "mean"),
    Param("sparse", False), Param("_weight", None), Param("include_last_offset", False),
    Param("padding_idx", None)), embedding_bag,
    "torch.nn.EmbeddingBag: indices (n,) per bag → (E,); V·E params", "embedding",
    common=TORCH_COMMON, arity=(1, 2))  # two tensors reach the rule, which refuses offsets
register("torch", "Unfold", (Param("kernel_size"), Param("dilation", Integer(1)),
                             Param("padding", Integer(0)), Param("stride", Integer(1))),
         unfold, "torch.nn.Unfold: (C, H, W) → (C·∏k, ∏ blocks per axis)", "reshape")
register("torch", "ChannelShuffle", (Param("groups"),), channel_shuffle,
         "torch.nn.ChannelShuffle: shape unchanged; C divisible by groups", "reshape")
register("torch", "StochasticDepth", (Param("p"), Param("mode")), stochastic_depth,
         "torchvision.ops.StochasticDepth: shape unchanged, no parameters", "regularization")

