"""Seeded one-layer case generators for the torch layers added with the full catalog (issue 3), in
the format of layer_cases.GENERATORS: (convention, layer) -> (generator, number of cases).

The generic harness (tests/frameworks.py) feeds torch zeros((2,) + input_shape), so a generator
never draws an input that torch would read differently from symconv: an input one rank short,
which torch takes as unbatched with the batch axis as channels or sequence (InstanceNorm,
PixelShuffle, RNN/attention on rank 1), arguments that reach into the batch axis (Unflatten
dim=0, a LayerNorm or ConstantPad over every axis), or a ConvTranspose extent of exactly 0.
MultiheadAttention runs here as self-attention (the harness passes one tensor as query, key and
value); tests/test_torch_catalog.py also compares three different inputs. symconv refuses those on
purpose; tests/test_torch_catalog.py checks that, and runs the recurrent and attention layers in
their real layouts.
"""

from __future__ import annotations

import random
from typing import Any

# layer_cases imports this module at its end, once these helpers exist
from layer_cases import Gen, _ints, _maybe, _spatial

Result = tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]


# --------------------------------------------------------------------------- transposed conv


def _transposed_extents(spatial: tuple[int, ...], args: tuple[Any, ...],
                        kw: dict[str, Any]) -> list[int] | None:
    """The output extents when every argument is a plain int or a tuple of the right rank."""
    rank = len(spatial)

    def axis(v: Any) -> tuple[int, ...] | None:
        v = v if isinstance(v, tuple) else (v,) * rank
        return v if len(v) == rank and all(isinstance(x, int) for x in v) else None

    k, s, p = axis(args[2]), axis(kw.get("stride", 1)), axis(kw.get("padding", 0))
    op, d = axis(kw.get("output_padding", 0)), axis(kw.get("dilation", 1))
    if None in (k, s, p, op, d):
        return None
    return [(L - 1) * si - 2 * pi + di * (ki - 1) + opi + 1
            for L, ki, si, pi, di, opi in zip(spatial, k, s, p, d, op)]  # type: ignore[arg-type]


def torch_conv_transpose(rank: int) -> Gen:
    def draw(rng: random.Random) -> Result:
        kw: dict[str, Any] = {}
        groups = rng.choice([1, 1, 1, 2, 3])
        c = groups * rng.choice([1, 2, 3]) if rng.random() < 0.9 else rng.choice([1, 2, 3, 4])
        c_in = c if rng.random() < 0.92 else c + 1
        c_out = groups * rng.choice([1, 2, 3, 4]) if rng.random() < 0.9 else rng.choice([1, 5])
        kernel = _ints(rng, rank, 1, 4)
        _maybe(rng, kw, "stride", 0.5, [1, 2, 3, (1, 2, 3)[:rank], (2, 1, 2)[:rank]])
        _maybe(rng, kw, "padding", 0.5, [0, 1, 2, (1, 0, 2)[:rank], 3, "same"])
        _maybe(rng, kw, "output_padding", 0.3, [0, 1, 2, (1, 0, 1)[:rank]])
        _maybe(rng, kw, "dilation", 0.35, [1, 2, 3, (1, 2, 1)[:rank]])
        if groups != 1 or rng.random() < 0.1:
            kw["groups"] = groups
        _maybe(rng, kw, "bias", 0.4, [True, False])
        _maybe(rng, kw, "padding_mode", 0.08, ["zeros", "reflect", "circular"])
        args: tuple[Any, ...] = (c_in, c_out, kernel)
        return args, kw, (c, *_spatial(rng, rank))

    def gen(rng: random.Random) -> Result:
        # An extent of exactly 0 is left out: torch returns an empty tensor or raises depending
        # on batch size and threads (symconv refuses it; test_torch_catalog shows both sides).
        while True:
            args, kw, shape = draw(rng)
            extents = _transposed_extents(shape[1:], args, kw)
            if extents is None or 0 not in extents:
                if rng.random() < 0.2:
                    args, kw = (args[0],), {"out_channels": args[1], "kernel_size": args[2], **kw}
                return args, kw, shape

    return gen


# --------------------------------------------------------------------------- resizing


SCALES = [2, 3, 0.5, 1.5, 0.7, 2.3, 1.1, 0.3, 2, 0.7, 1.7, 0.25, 0.1, -1.0, 0]


def torch_upsample(rng: random.Random) -> Result:
    rank = rng.choice([1, 2, 3])
    mode = rng.choice(["nearest", "nearest", "nearest-exact", "area", "linear", "bilinear",
                       "bicubic", "trilinear", "lanczos", "cubic"])
    if rng.random() < 0.75:  # mostly a mode that fits the rank
        mode = rng.choice({1: ["nearest", "linear", "area", "nearest-exact"],
                           2: ["nearest", "bilinear", "bicubic", "area"],
                           3: ["nearest", "trilinear", "area", "nearest-exact"]}[rank])
    kw: dict[str, Any] = {"mode": mode}
    if rng.random() < 0.4:
        kw["size"] = rng.choice([rng.randint(1, 9), tuple(rng.randint(1, 9) for _ in range(rank)),
                                 0, (3,) * (rank + 1)])
    else:
        one = lambda: rng.choice(SCALES)  # noqa: E731
        kw["scale_factor"] = one() if rng.random() < 0.6 else tuple(one() for _ in range(rank))
        _maybe(rng, kw, "recompute_scale_factor", 0.4, [True, False, None])
    if rng.random() < 0.05:
        kw["size"], kw["scale_factor"] = 4, 2.0  # both
    interpolating = mode in ("linear", "bilinear", "bicubic", "trilinear")
    _maybe(rng, kw, "align_corners", 0.4 if interpolating else 0.1, [True, False, None])
    _maybe(rng, kw, "recompute_scale_factor", 0.05, [True])
    hi = {1: 40, 2: 12, 3: 6}[rank]
    return (), kw, (rng.choice([1, 2]), *(rng.randint(1, hi) for _ in range(rank)))


def torch_pad(rank: int, kind: str, value: bool = False) -> Gen:
    def gen(rng: random.Random) -> Result:
        r = rng.random()
        if r < 0.35:
            padding: Any = rng.randint(-3, 3)  # used 2·rank times
            pairs = rank
        else:
            pairs = rank if rng.random() < 0.7 else rng.choice([0, 1, 2, 3, 4])
            padding = tuple(rng.randint(-2, 3) for _ in range(2 * pairs))
            if r > 0.95:
                padding = (1, 2, 3)
        if kind == "constant":  # pads the last `pairs` axes of an input of any rank…
            ranks = [x for x in range(1, 5) if x >= pairs or rng.random() < 0.2]
            ranks = [x for x in ranks if x != pairs - 1] or [pairs]  # …never the batch axis
        else:  # F.pad: 2·n values for an input of rank n + 1 or n + 2 with the batch axis
            ranks = [x for x in (pairs, pairs + 1) if x >= 1] if rng.random() < 0.9 else [
                pairs + 2]
        shape = tuple(rng.randint(1, 8) for _ in range(rng.choice(ranks)))
        args: tuple[Any, ...] = (padding,)
        if value:
            args += (rng.choice([0.0, 1.5, -2, None]),)
        return args, {}, shape

    return gen


def torch_unflatten(rng: random.Random) -> Result:
    rank = rng.randint(1, 3)
    shape = [rng.choice([1, 2, 3, 4, 6, 8, 12]) for _ in range(rank)]
    axis = rng.randrange(rank)
    extent = shape[axis]
    divisors = [d for d in range(1, extent + 1) if extent % d == 0]
    a = rng.choice(divisors)
    sizes: tuple[int, ...] = rng.choice([
        (a, extent // a), (a, extent // a), (-1, a), (a, -1, 1), (extent,), (-1,), (1, -1, a),
        (a, a + 1), (-1, -1), (0, -1), (a, -2), (),
    ])
    dim = axis + 1 if rng.random() < 0.6 else axis - rank  # positive or negative, never 0
    return (dim, sizes), {}, tuple(shape)


def torch_pixel_shuffle(rng: random.Random) -> Result:
    r = rng.choice([1, 2, 2, 3, 0])
    c = rng.choice([1, 2, 3]) * max(r, 1) ** 2 if rng.random() < 0.85 else rng.randint(1, 9)
    lead = tuple(rng.randint(1, 3) for _ in range(rng.choice([0, 0, 0, 1])))
    return (r,), {}, (*lead, c, rng.randint(1, 5), rng.randint(1, 5))


def torch_pixel_unshuffle(rng: random.Random) -> Result:
    r = rng.choice([1, 2, 2, 3, 0])
    side = lambda: rng.randint(1, 3) * max(r, 1) if rng.random() < 0.85 else rng.randint(1, 7)  # noqa: E731,E501
    lead = tuple(rng.randint(1, 3) for _ in range(rng.choice([0, 0, 0, 1])))
    return (r,), {}, (*lead, rng.randint(1, 4), side(), side())


def torch_identity(rng: random.Random) -> Result:
    return (), {}, tuple(rng.randint(1, 6) for _ in range(rng.randint(1, 4)))


# --------------------------------------------------------------------------- normalization


def torch_layer_norm(rng: random.Random) -> Result:
    shape = tuple(rng.randint(1, 6) for _ in range(rng.randint(1, 4)))
    k = rng.randint(1, len(shape))
    normalized: Any = shape[-k:] if k > 1 or rng.random() < 0.5 else shape[-1]
    if rng.random() < 0.12:
        normalized = rng.choice([(shape[-1] + 1,), (), 0, (2, *shape)[-len(shape) - 2:]])
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "eps", 0.2, [1e-05, 0.001])
    _maybe(rng, kw, "elementwise_affine", 0.4, [True, False])
    _maybe(rng, kw, "bias", 0.4, [True, False])
    return (normalized,), kw, shape


def torch_group_norm(rng: random.Random) -> Result:
    g = rng.choice([1, 2, 3, 4, 0])
    c = rng.choice([1, 2, 3]) * max(g, 1)
    n = c if rng.random() < 0.85 else rng.choice([c + 1, 2 * c, 0])
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "eps", 0.2, [1e-05, 0.01])
    _maybe(rng, kw, "affine", 0.4, [True, False])
    _maybe(rng, kw, "bias", 0.3, [True, False])
    shape = (c if rng.random() < 0.9 else c + 1, *(rng.randint(1, 4)
                                                  for _ in range(rng.randint(0, 2))))
    return (g, n), kw, shape


def torch_instance_norm(rank: int) -> Gen:
    def gen(rng: random.Random) -> Result:
        kw: dict[str, Any] = {}
        c = rng.randint(1, 5)
        n = c if rng.random() < 0.8 else rng.choice([c + 1, 0, -1])
        _maybe(rng, kw, "eps", 0.2, [1e-05, 0.001])
        _maybe(rng, kw, "momentum", 0.2, [0.1, None])
        _maybe(rng, kw, "affine", 0.5, [True, False])
        _maybe(rng, kw, "track_running_stats", 0.5, [True, False])
        _maybe(rng, kw, "bias", 0.25, [True, False])
        # rank + 1 only (a rank-`rank` input is unbatched to torch); wrong ranks beyond that
        in_rank = rank + 1 if rng.random() < 0.9 else rank + 2
        return (n,), kw, (c, *(rng.randint(1, 3) for _ in range(in_rank - 1)))

    return gen


def torch_prelu(rng: random.Random) -> Result:
    shape = tuple(rng.randint(1, 5) for _ in range(rng.randint(1, 4)))
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "init", 0.3, [0.25, 0.1, -1])
    if rng.random() < 0.2:
        return (), kw, shape
    return (rng.choice([1, shape[0], shape[0], shape[0] + 1, 0]),), kw, shape


# --------------------------------------------------------------------------- sequences


def torch_embedding(rng: random.Random) -> Result:
    vocab = rng.choice([1, 2, 5, 10, 0])
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "padding_idx", 0.4, [None, 0, 1, vocab - 1, vocab, -1, -vocab, -vocab - 1])
    _maybe(rng, kw, "max_norm", 0.2, [None, 1.0, 2.5])
    _maybe(rng, kw, "norm_type", 0.15, [2.0, 1.0])
    _maybe(rng, kw, "scale_grad_by_freq", 0.15, [True, False])
    _maybe(rng, kw, "sparse", 0.15, [True, False])
    shape = tuple(rng.randint(1, 6) for _ in range(rng.randint(1, 3)))
    return (vocab, rng.choice([1, 3, 4, 8, 0])), kw, shape


def torch_recurrent(kind: str) -> Gen:
    def gen(rng: random.Random) -> Result:
        kw: dict[str, Any] = {}
        f = rng.randint(1, 6)
        n_in = f if rng.random() < 0.9 else f + 1
        hidden = rng.choice([1, 2, 3, 5, 8])
        _maybe(rng, kw, "num_layers", 0.5, [1, 2, 3, 0])
        if kind == "RNN":
            _maybe(rng, kw, "nonlinearity", 0.4, ["tanh", "relu", "sigmoid"])
        _maybe(rng, kw, "bias", 0.4, [True, False])
        _maybe(rng, kw, "batch_first", 0.5, [True, False])
        _maybe(rng, kw, "dropout", 0.3, [0.0, 0.5, 1.0, 1.5])
        _maybe(rng, kw, "bidirectional", 0.5, [True, False])
        if kind == "LSTM":
            _maybe(rng, kw, "proj_size", 0.4, [0, 1, 2, hidden, hidden - 1])
        in_rank = 2 if rng.random() < 0.95 else 3
        shape = (rng.randint(1, 6), *(rng.randint(1, 3) for _ in range(in_rank - 2)), f)
        return (n_in, hidden), kw, shape

    return gen


# --------------------------------------------------------------------------- attention


def torch_mha(rng: random.Random) -> Result:
    """Self-attention configurations (the generic sweep and tests/test_torch_catalog.py)."""
    heads = rng.choice([1, 2, 3, 4])
    e = heads * rng.choice([1, 2, 3]) if rng.random() < 0.85 else rng.choice([5, 7])
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "dropout", 0.2, [0.0, 0.1, 1.5])
    _maybe(rng, kw, "bias", 0.4, [True, False])
    _maybe(rng, kw, "add_bias_kv", 0.3, [True, False])
    _maybe(rng, kw, "add_zero_attn", 0.3, [True, False])
    _maybe(rng, kw, "kdim", 0.15, [None, e, e + 1])
    _maybe(rng, kw, "vdim", 0.15, [None, e, 2])
    _maybe(rng, kw, "batch_first", 0.5, [True, False])
    f = e if rng.random() < 0.9 else e + 1
    return (e, heads), kw, (rng.randint(1, 6), f)


def torch_encoder_layer(rng: random.Random) -> Result:
    heads = rng.choice([1, 2, 4])
    d = heads * rng.choice([1, 2, 3]) if rng.random() < 0.9 else 5
    kw: dict[str, Any] = {"dim_feedforward": rng.choice([1, 4, 16, 0])}
    _maybe(rng, kw, "dropout", 0.3, [0.0, 0.1, 1.0, 1.5])
    _maybe(rng, kw, "activation", 0.4, ["relu", "gelu", "tanh"])
    _maybe(rng, kw, "layer_norm_eps", 0.2, [1e-05, 1e-6])
    _maybe(rng, kw, "batch_first", 0.4, [True, False])
    _maybe(rng, kw, "norm_first", 0.4, [True, False])
    _maybe(rng, kw, "bias", 0.4, [True, False])
    f = d if rng.random() < 0.9 else d + 2
    return (d, heads), kw, (rng.randint(1, 6), f)


# --------------------------------------------------------------------------- the table

GENERATORS: dict[tuple[str, str], tuple[Any, int]] = {}


def _add(layer: str, gen: Gen, n: int) -> None:
    GENERATORS[("torch", layer)] = (gen, n)


for _r in (1, 2, 3):
    _add(f"ConvTranspose{_r}d", torch_conv_transpose(_r), 40 if _r < 3 else 25)
    _add(f"ConstantPad{_r}d", torch_pad(_r, "constant", value=True), 20)
    _add(f"ReflectionPad{_r}d", torch_pad(_r, "reflect"), 25)
    _add(f"ReplicationPad{_r}d", torch_pad(_r, "replicate"), 25)
    _add(f"InstanceNorm{_r}d", torch_instance_norm(_r), 15)
for _r in (1, 3):
    _add(f"ZeroPad{_r}d", torch_pad(_r, "constant"), 20)
_add("Upsample", torch_upsample, 40)
_add("Unflatten", torch_unflatten, 20)
_add("PixelShuffle", torch_pixel_shuffle, 15)
_add("PixelUnshuffle", torch_pixel_unshuffle, 15)
_add("Identity", torch_identity, 5)
_add("LayerNorm", torch_layer_norm, 25)
_add("GroupNorm", torch_group_norm, 20)
_add("PReLU", torch_prelu, 15)
_add("Embedding", torch_embedding, 20)
for _kind in ("RNN", "LSTM", "GRU"):
    _add(_kind, torch_recurrent(_kind), 25)
_add("MultiheadAttention", torch_mha, 25)
_add("TransformerEncoderLayer", torch_encoder_layer, 20)


# --------------------------------------------------------------------------- issue 16's layers


def torch_rms_norm(rng: random.Random) -> Result:
    shape = tuple(rng.randint(1, 6) for _ in range(rng.randint(1, 4)))
    k = rng.randint(1, len(shape))
    normalized: Any = shape[-k:] if k > 1 or rng.random() < 0.5 else shape[-1]
    if rng.random() < 0.15:
        # never a tuple of rank + 1: torch would read it against the batch axis (refused on purpose)
        normalized = rng.choice([(shape[-1] + 1,), (), (shape[0] + 1, *shape[1:])])
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "eps", 0.3, [None, 1e-06, 0.001])
    _maybe(rng, kw, "elementwise_affine", 0.4, [True, False])
    return (normalized,), kw, shape


_add("RMSNorm", torch_rms_norm, 25)


def torch_lazy(twin: Gen) -> Gen:
    """A Lazy module's cases: its eager twin's, less the input size (the first argument), which
    the module reads from the input."""
    def gen(rng: random.Random) -> Result:
        args, kw, shape = twin(rng)
        return tuple(args[1:]), kw, shape

    return gen


def _lazy_catalog() -> None:
    from layer_cases import torch_conv, torch_linear

    _add("LazyLinear", torch_lazy(torch_linear), 15)
    for r in (1, 2, 3):
        _add(f"LazyConv{r}d", torch_lazy(torch_conv(r)), 20)
        _add(f"LazyConvTranspose{r}d", torch_lazy(torch_conv_transpose(r)), 15)

_lazy_catalog()


def torch_embedding_bag(rng: random.Random) -> Result:
    vocab = rng.choice([1, 2, 5, 10, 0])
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "mode", 0.6, ["sum", "mean", "max", "median"])
    _maybe(rng, kw, "padding_idx", 0.3, [None, 0, vocab - 1, vocab, -1, -vocab - 1])
    _maybe(rng, kw, "max_norm", 0.15, [None, 1.0])
    _maybe(rng, kw, "norm_type", 0.1, [2.0, 1.0])
    _maybe(rng, kw, "scale_grad_by_freq", 0.1, [True, False])
    _maybe(rng, kw, "sparse", 0.1, [True, False])
    _maybe(rng, kw, "include_last_offset", 0.15, [True, False])
    _maybe(rng, kw, "_weight", 0.1, [None])  # a tensor cannot be written; None is the default
    # (n,) per bag; now and then (n, m), torch's 3-D input, which both refuse
    shape = (rng.randint(1, 6),) if rng.random() < 0.92 else (2, rng.randint(1, 4))
    dim = rng.choice([1, 3, 4, 8, 0])
    if dim == 0:
        # torch's sum/mean kernel fails on an empty width on some runs, not others
        # (symconv accepts it with a warning, tests/test_issue16_layers.py); max mode does not
        kw["mode"] = "max"
    return (vocab, dim), kw, shape


def torch_unfold(rng: random.Random) -> Result:
    kw: dict[str, Any] = {}
    kernel = _ints(rng, 2, 1, 4) if rng.random() < 0.95 else rng.choice([0, (1, 2, 3)])
    _maybe(rng, kw, "dilation", 0.35, [1, 2, (1, 3), 0])
    _maybe(rng, kw, "padding", 0.45, [0, 1, 2, (0, 1), -1])
    _maybe(rng, kw, "stride", 0.45, [1, 2, 3, (2, 1), 0])
    args: tuple[Any, ...] = (kernel,)
    if rng.random() < 0.15:
        args, kw = (), {"kernel_size": kernel, **kw}
    shape = (rng.randint(1, 4), *_spatial(rng, 2))
    if rng.random() < 0.05:  # torch's 5-D input, refused by both (rank 3 would be unbatched)
        shape = (*shape, 2)
    return args, kw, shape


def torch_channel_shuffle(rng: random.Random) -> Result:
    groups = rng.choice([1, 2, 3, 4, 0])
    c = max(groups, 1) * rng.randint(1, 3) if rng.random() < 0.85 else rng.randint(1, 7)
    rest = tuple(rng.randint(1, 4) for _ in range(rng.choice([0, 1, 1, 2, 3])))
    return (groups,), {}, (c, *rest)


def torch_stochastic_depth(rng: random.Random) -> Result:
    p = rng.choice([0.0, 0.2, 0.5, 1.0, 1, 0, -0.1, 1.5])
    mode = rng.choice(["row", "batch", "row", "rows"])
    args: tuple[Any, ...] = (p, mode)
    kw: dict[str, Any] = {}
    if rng.random() < 0.3:
        args, kw = (p,), {"mode": mode}
    return args, kw, tuple(rng.randint(1, 5) for _ in range(rng.randint(1, 4)))


_add("EmbeddingBag", torch_embedding_bag, 25)
_add("Unfold", torch_unfold, 30)
_add("ChannelShuffle", torch_channel_shuffle, 15)
_add("StochasticDepth", torch_stochastic_depth, 12)
