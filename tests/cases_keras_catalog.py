"""Seeded one-layer case generators for the keras layers added with the full catalog (issue 3), in
the format of layer_cases.GENERATORS: (convention, layer) -> (generator, number of cases).

The generic harness (tests/frameworks.py) builds the layer from plain Python arguments and calls it
on one float input (int64 for Embedding). Layers that need more than that — MultiHeadAttention
(query and value tensors), Bidirectional and TimeDistributed (a layer as argument) — only draw
configurations both sides must refuse here (bad arguments); tests/test_keras_catalog.py compares
them on real inputs. Where Keras's torch backend fails on a configuration the other backends take
(LayerNormalization over leading axes, lanczos/area resizing), the generators leave it out and
tests/test_keras_catalog.py checks it separately.
"""

from __future__ import annotations

import random
from typing import Any

# layer_cases imports this module at its end, once these helpers exist
from layer_cases import Gen, _ints, _maybe, _spatial

Result = tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]


def _feature_map(rng: random.Random, rank: int, kw: dict[str, Any], c: int,
                 lo: int = 1) -> tuple[int, ...]:
    spatial = _spatial(rng, rank, lo)
    return (c, *spatial) if kw.get("data_format") == "channels_first" else (*spatial, c)


# --------------------------------------------------------------------------- conv variants


def keras_conv_transpose(rank: int) -> Gen:
    def draw(rng: random.Random) -> Result:
        kw: dict[str, Any] = {}
        filters = rng.choice([1, 2, 3, 4] * 8 + [0])
        kernel = _ints(rng, rank, 1, 5)
        _maybe(rng, kw, "strides", 0.6, [1, 2, 3, 4, (1, 2, 3)[:rank], (3, 1, 2)[:rank]])
        _maybe(rng, kw, "dilation_rate", 0.3, [1, 2, 3, (1, 2, 1)[:rank]])
        _maybe(rng, kw, "padding", 0.7, ["valid", "same", "same", "SAME", "valid", "causal"])
        _maybe(rng, kw, "output_padding", 0.45, [None, 0, 1, 1, 2, (1, 0, 2)[:rank], -1])
        _maybe(rng, kw, "data_format", 0.25, ["channels_last", "channels_first"])
        _maybe(rng, kw, "use_bias", 0.3, [True, False])
        _maybe(rng, kw, "activation", 0.15, ["relu", None, "nonexistent"])
        _maybe(rng, kw, "trainable", 0.1, [False])
        shape = _feature_map(rng, rank, kw, rng.choice([1, 2, 3]))
        if rng.random() < 0.05:
            shape = shape[1:]  # wrong rank
        return (filters, kernel), kw, shape

    return draw


def keras_depthwise(rank: int) -> Gen:
    def draw(rng: random.Random) -> Result:
        kw: dict[str, Any] = {}
        kernel = _ints(rng, rank, 1, 5)
        _maybe(rng, kw, "strides", 0.5, [1, 2, 3, (1, 2)[:rank], (2, 3)[:rank]])
        _maybe(rng, kw, "dilation_rate", 0.35, [1, 2, (2, 1)[:rank]])
        _maybe(rng, kw, "padding", 0.6, ["valid", "same", "Same", "same", "causal"])
        _maybe(rng, kw, "depth_multiplier", 0.6, [1, 2, 3, 2, 0])
        _maybe(rng, kw, "data_format", 0.25, ["channels_last", "channels_first"])
        _maybe(rng, kw, "use_bias", 0.3, [True, False])
        _maybe(rng, kw, "activation", 0.1, ["relu", "relu", "nonexistent"])
        return (kernel,), kw, _feature_map(rng, rank, kw, rng.choice([1, 2, 3]), lo=2)

    return draw


def keras_separable(rank: int) -> Gen:
    def draw(rng: random.Random) -> Result:
        filters = rng.choice([1, 2, 4, 5] * 6 + [0])
        args, kw, shape = keras_depthwise(rank)(rng)
        return (filters, *args), kw, shape

    return draw


# --------------------------------------------------------------------------- reshaping


def keras_up_sampling(rank: int) -> Gen:
    def draw(rng: random.Random) -> Result:
        kw: dict[str, Any] = {}
        if rank == 1:
            args: tuple[Any, ...] = (rng.choice([1, 2, 3, 4, 2, (2,), 0]),)
        else:
            args = (_ints(rng, rank, 1, 3),)
            if rng.random() < 0.1:
                args = rng.choice([(0,), ((2,) * (rank + 1),), ()])
            _maybe(rng, kw, "data_format", 0.3, ["channels_last", "channels_first"])
        if rank == 2:
            # lanczos3/5 and area are left out: only other backends take them
            _maybe(rng, kw, "interpolation", 0.6, ["nearest", "bilinear", "bicubic", "Bilinear",
                                                    "cubic"])
        c = rng.choice([1, 2, 3])
        shape = (rng.randint(1, 9), c) if rank == 1 else _feature_map(rng, rank, kw, c)
        if rng.random() < 0.05:
            shape = shape[1:] or (2, 2)
        return args, kw, shape

    return draw


def keras_cropping(rank: int) -> Gen:
    def draw(rng: random.Random) -> Result:
        kw: dict[str, Any] = {}
        pair = lambda: (rng.randint(0, 2), rng.randint(0, 2))  # noqa: E731
        good: list[Any] = [rng.randint(0, 2), pair()]
        bad: list[Any] = [-1, (1, 2, 3)]
        if rank == 1:
            bad += [((1, 2),)]
        else:
            good += [tuple(pair() for _ in range(rank)),
                     tuple(rng.randint(0, 2) for _ in range(rank)),
                     (pair(), *(rng.randint(0, 1) for _ in range(rank - 1)))]
            bad += [(pair(),) * (rank + 1), ((1, 2, 3),) * rank, (1, -1, 1)[:rank]]
            _maybe(rng, kw, "data_format", 0.3, ["channels_last", "channels_first"])
        args: tuple[Any, ...] = (rng.choice(good if rng.random() < 0.85 else bad),)
        if rng.random() < 0.1:
            args = ()
        c = rng.choice([1, 2])
        spatial = tuple(rng.randint(1 if rank < 3 else 3, 8) for _ in range(rank))
        shape = (c, *spatial) if kw.get("data_format") == "channels_first" else (*spatial, c)
        return args, kw, shape

    return draw


def keras_zero_padding_3d(rng: random.Random) -> Result:
    kw: dict[str, Any] = {}
    pair = lambda: (rng.randint(0, 2), rng.randint(0, 2))  # noqa: E731
    forms: list[Any] = [rng.randint(0, 2), -1, -2, (pair(), pair(), pair()),
                        (1, pair(), 2), (1, 2, 3), (1, 2), (-1, 1, 1), ((1, 2, 3), 1, 1)]
    args: tuple[Any, ...] = (rng.choice(forms),) if rng.random() < 0.9 else ()
    _maybe(rng, kw, "data_format", 0.3, ["channels_last", "channels_first"])
    return args, kw, _feature_map(rng, 3, kw, rng.choice([1, 2]))


def keras_reshape(rng: random.Random) -> Result:
    shape = tuple(rng.randint(1, 6) for _ in range(rng.randint(1, 3)))
    size = 1
    for e in shape:
        size *= e
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    r = rng.random()
    if r < 0.4:
        d = rng.choice(divisors)
        target: tuple[int, ...] = rng.choice([(d, -1), (-1, d), (d, size // d)])
    elif r < 0.6:
        d, e = rng.choice(divisors), rng.choice(divisors)
        target = (d, -1, e) if size % (d * e) == 0 else (d, e, -1)
    elif r < 0.75:
        target = rng.choice([(-1,), (size,), (size, 1), (1, -1, 1)])
    else:
        target = rng.choice([(size + 1,), (-1, -1), (0, -1), (-2, size), (3, -1), (5, 2, -1)])
    return (target,), {}, shape


def keras_permute(rng: random.Random) -> Result:
    rank = rng.randint(1, 4)
    dims = list(range(1, rank + 1))
    rng.shuffle(dims)
    r = rng.random()
    if r < 0.1:
        dims = dims[:-1] or [2]
    elif r < 0.2:
        dims = [d - 1 for d in dims]
    shape = tuple(rng.randint(1, 6) for _ in range(rank))
    if rng.random() < 0.08:
        shape = shape + (2,)
    return (tuple(dims),), {}, shape


def keras_repeat_vector(rng: random.Random) -> Result:
    n = rng.choice([1, 2, 3, 5, 0])
    shape = (rng.randint(1, 8),) if rng.random() < 0.9 else (3, 2)
    return (n,), {}, shape


# --------------------------------------------------------------------------- normalization


def _any_shape(rng: random.Random, max_rank: int = 3, hi: int = 6) -> tuple[int, ...]:
    return tuple(rng.randint(1, hi) for _ in range(rng.randint(1, max_rank)))


def torch_backend_layer_norm_fails(shape: tuple[int, ...], axis: Any, rms: bool) -> bool:
    """Keras's torch backend calls F.layer_norm when the sorted axis values are consecutive (and
    rms_scaling is off), which wants the input's trailing extents to be the normalised ones; the
    other backends normalise any axes."""
    batched = (2, *shape)
    raw = sorted(axis if isinstance(axis, tuple) else (axis,))
    if rms or not raw or any(not isinstance(a, int) or not -len(batched) <= a < len(batched)
                             for a in raw):
        return False
    if any(b - a != 1 for a, b in zip(raw, raw[1:])):
        return False
    sizes = tuple(batched[a] for a in raw)
    return batched[len(batched) - len(sizes):] != sizes


def keras_layer_norm(rng: random.Random) -> Result:
    while True:
        shape = _any_shape(rng, 3)
        rank = len(shape) + 1
        kw: dict[str, Any] = {}
        axes = [a for a in range(-rank, rank)]
        _maybe(rng, kw, "axis", 0.6, [-1, -1, rng.choice(axes),
                                      tuple(rng.sample(axes, min(2, rank))),
                                      tuple(range(1, rank)), 1.5, rank])
        _maybe(rng, kw, "center", 0.3, [True, False])
        _maybe(rng, kw, "scale", 0.3, [True, False])
        _maybe(rng, kw, "rms_scaling", 0.25, [True, False])
        _maybe(rng, kw, "epsilon", 0.1, [1e-5])
        _maybe(rng, kw, "trainable", 0.1, [False])
        if not torch_backend_layer_norm_fails(shape, kw.get("axis", -1),
                                              kw.get("rms_scaling", False)):
            return (), kw, shape


def keras_group_norm(rng: random.Random) -> Result:
    shape = _any_shape(rng, 3, 8)
    rank = len(shape) + 1
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "axis", 0.4, [-1, 1, rng.randint(-rank, rank), (1,)])
    axis = kw.get("axis", -1)
    c = shape[axis - 1 if axis > 0 else axis] if isinstance(axis, int) and \
        -rank < axis < rank and axis != 0 else 1
    divisors = [d for d in range(1, c + 1) if c % d == 0]
    groups = rng.choice([*divisors, *divisors, -1, c + 1, 3, 0, -2])
    args: tuple[Any, ...] = (groups,) if rng.random() < 0.95 else ()
    _maybe(rng, kw, "center", 0.3, [True, False])
    _maybe(rng, kw, "scale", 0.3, [True, False])
    return args, kw, shape


def keras_unit_norm(rng: random.Random) -> Result:
    shape = _any_shape(rng, 3)
    rank = len(shape) + 1
    axes = list(range(-rank - 1, rank + 1))
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "axis", 0.7, [-1, rng.choice(axes), tuple(rng.sample(axes, 2)), (1, 1), ()])
    return (), kw, shape


# --------------------------------------------------------------------------- basic


def keras_embedding(rng: random.Random) -> Result:
    kw: dict[str, Any] = {}
    vocab = rng.choice([1, 5, 10, 50, 0])
    dim = rng.choice([1, 2, 4, 8, 0])
    _maybe(rng, kw, "mask_zero", 0.3, [True, False])
    _maybe(rng, kw, "lora_rank", 0.15, [1, 2, 0])
    _maybe(rng, kw, "trainable", 0.1, [False])
    return (vocab, dim), kw, _any_shape(rng, 3)


def keras_prelu(rng: random.Random) -> Result:
    shape = _any_shape(rng, 3)
    rank = len(shape) + 1
    kw: dict[str, Any] = {}
    one = lambda: rng.randint(-rank, rank)  # noqa: E731
    _maybe(rng, kw, "shared_axes", 0.7, [None, rng.randint(1, rank - 1), one(),
                                         tuple(range(1, rank)), (one(), one())])
    return (), kw, shape


def keras_rescaling(rng: random.Random) -> Result:
    shape = _any_shape(rng, 3)
    c = shape[-1]
    factors: list[Any] = [1 / 255, 2.0, 0.5, 1, tuple(float(i + 1) for i in range(c)), (2.0,),
                          (1.0, 2.0)]
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "offset", 0.5, [0.0, -1.0, 0.5, (1.0,) * c, (1.0, 2.0, 3.0)])
    return (rng.choice(factors),), kw, shape


def keras_identity(rng: random.Random) -> Result:
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "trainable", 0.3, [False])
    return (), kw, _any_shape(rng, 4)


# --------------------------------------------------------------------------- recurrent


def keras_rnn(type_: str) -> Gen:
    def draw(rng: random.Random) -> Result:
        kw: dict[str, Any] = {}
        units = rng.choice([1, 2, 4, 8] * 6 + [0])
        _maybe(rng, kw, "return_sequences", 0.5, [True, False])
        _maybe(rng, kw, "return_state", 0.06, [True])
        _maybe(rng, kw, "stateful", 0.04, [True, False])
        _maybe(rng, kw, "go_backwards", 0.2, [True, False])
        _maybe(rng, kw, "unroll", 0.15, [True, False])
        _maybe(rng, kw, "use_bias", 0.3, [True, False])
        _maybe(rng, kw, "activation", 0.2, ["relu", None, "sigmoid", "nonexistent"])
        _maybe(rng, kw, "dropout", 0.15, [0.0, 0.3, 1.5])
        _maybe(rng, kw, "recurrent_dropout", 0.1, [0.0, 0.2])
        _maybe(rng, kw, "trainable", 0.12, [False])
        _maybe(rng, kw, "zero_output_for_mask", 0.05, [True])
        if type_ != "SimpleRNN":
            _maybe(rng, kw, "recurrent_activation", 0.15, ["hard_sigmoid", "tanh", "bogus"])
            # use_cudnn=True is left out: whether it runs depends on the machine
            _maybe(rng, kw, "use_cudnn", 0.1, ["auto", False, "yes"])
            _maybe(rng, kw, "implementation", 0.08, [1, 2])
        if type_ == "LSTM":
            _maybe(rng, kw, "unit_forget_bias", 0.2, [True, False])
        if type_ == "GRU":
            _maybe(rng, kw, "reset_after", 0.5, [True, False])
        shape: tuple[int, ...] = (rng.randint(1, 8), rng.randint(1, 6))
        if rng.random() < 0.06:
            shape = rng.choice([shape[:1], (*shape, 2)])
        return (units,), kw, shape

    return draw


def keras_wrapper_bad_args(rng: random.Random) -> Result:
    """A wrapper given something other than a layer; tests/test_keras_catalog.py runs the real
    thing (the generic harness has no way to pass a layer as an argument)."""
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "trainable", 0.2, [False])
    return (rng.choice(["lstm", "dense", 4, None, (1, 2)]),), kw, (rng.randint(1, 6), 3)


def keras_bidirectional_bad_args(rng: random.Random) -> Result:
    args, kw, shape = keras_wrapper_bad_args(rng)
    _maybe(rng, kw, "merge_mode", 0.5, ["concat", "sum", "ave", "mul", None, "max"])
    return args, kw, shape


def keras_mha_bad_args(rng: random.Random) -> Result:
    """MultiHeadAttention arguments its constructor refuses (the generic harness calls a layer
    on one tensor, which Keras's MultiHeadAttention never takes; tests/test_keras_catalog.py
    compares it on one, two and three tensors)."""
    kw: dict[str, Any] = {}
    heads, key_dim = rng.choice([1, 2, 4]), rng.choice([1, 3, 8])
    bad = rng.choice(["num_heads", "key_dim", "value_dim", "sliding_window", "flash"])
    if bad == "num_heads":
        heads = rng.choice([0, -1, 2.0])
    elif bad == "key_dim":
        key_dim = rng.choice([0, -2, 1.5])
    elif bad == "value_dim":
        kw["value_dim"] = rng.choice([0, -1])
    elif bad == "sliding_window":
        kw["sliding_window"] = rng.choice([0, -3])
    else:
        kw.update(flash_attention=True, dropout=rng.choice([0.1, 0.5]))
    return (heads, key_dim), kw, (rng.randint(1, 6), rng.randint(1, 6))


def keras_self_attention(rng: random.Random) -> Result:
    """MultiHeadAttention as self-attention on one (T, E) tensor (the generic harness passes
    it as query and value), with now and then arguments the constructor refuses."""
    if rng.random() < 0.2:
        return keras_mha_bad_args(rng)
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "value_dim", 0.3, [None, 1, 5])
    _maybe(rng, kw, "use_bias", 0.4, [True, False])
    _maybe(rng, kw, "output_shape", 0.25, [None, 3, (4,)])
    _maybe(rng, kw, "dropout", 0.2, [0.0, 0.3])
    return (rng.choice([1, 2, 3, 4]), rng.choice([1, 2, 5, 8])), kw, \
        (rng.randint(1, 6), rng.randint(1, 7))


# --------------------------------------------------------------------------- the table

GENERATORS: dict[tuple[str, str], tuple[Gen, int]] = {}


def _add(layer: str, gen: Gen, n: int) -> None:
    GENERATORS[("keras", layer)] = (gen, n)


for _r in (1, 2, 3):
    _add(f"Conv{_r}DTranspose", keras_conv_transpose(_r), 30 if _r < 3 else 20)
for _r in (1, 2):
    _add(f"DepthwiseConv{_r}D", keras_depthwise(_r), 25)
    _add(f"SeparableConv{_r}D", keras_separable(_r), 25)
for _r in (1, 2, 3):
    _add(f"UpSampling{_r}D", keras_up_sampling(_r), 15)
    _add(f"Cropping{_r}D", keras_cropping(_r), 20)
_add("ZeroPadding3D", keras_zero_padding_3d, 20)
_add("Reshape", keras_reshape, 30)
_add("Permute", keras_permute, 15)
_add("RepeatVector", keras_repeat_vector, 10)
_add("LayerNormalization", keras_layer_norm, 30)
_add("GroupNormalization", keras_group_norm, 25)
_add("UnitNormalization", keras_unit_norm, 15)
_add("Embedding", keras_embedding, 20)
_add("PReLU", keras_prelu, 20)
_add("Rescaling", keras_rescaling, 15)
_add("Identity", keras_identity, 5)
for _type in ("SimpleRNN", "LSTM", "GRU"):
    _add(_type, keras_rnn(_type), 30)
_add("Bidirectional", keras_bidirectional_bad_args, 8)
_add("TimeDistributed", keras_wrapper_bad_args, 5)
_add("MultiHeadAttention", keras_self_attention, 25)


# --------------------------------------------------------------------------- issue 16's layers


def keras_normalization(rng: random.Random) -> Result:
    """Normalization's axes (the batch axis and out-of-range ones among them), and constant
    statistics: a scalar, a vector that fits the last axis or not, ragged or mismatched pairs."""
    shape = _any_shape(rng, 3)
    rank = len(shape) + 1
    axes = list(range(-rank - 1, rank + 1))
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "axis", 0.6, [-1, None, (), rng.choice(axes),
                                  tuple(rng.sample(axes, min(2, len(axes)))),
                                  tuple(range(1, rank))])
    if rng.random() < 0.35:
        n = rng.choice([1, shape[-1], shape[-1], shape[-1] + 1])
        vector = tuple(float(i + 1) for i in range(n))
        mean: Any = rng.choice([2.0, vector, vector, (vector,)])
        variance: Any = mean if rng.random() < 0.85 else rng.choice([None, 1.0, vector + (1.0,)])
        kw["mean"] = mean
        if variance is not None:
            kw["variance"] = variance
    _maybe(rng, kw, "invert", 0.3, [True, False])
    return (), kw, shape


_add("Normalization", keras_normalization, 30)


def keras_conv_lstm(rank: int) -> Gen:
    def gen(rng: random.Random) -> Result:
        kw: dict[str, Any] = {}
        filters = rng.choice([1, 2, 3, 4] * 4 + [0])
        kernel = _ints(rng, rank, 1, 3)
        _maybe(rng, kw, "strides", 0.35, [1, 2, (1, 2, 1)[:rank]])
        _maybe(rng, kw, "dilation_rate", 0.25, [1, 2, (2, 1, 1)[:rank]])
        _maybe(rng, kw, "padding", 0.5, ["valid", "same", "SAME", "causal"])
        _maybe(rng, kw, "data_format", 0.25, ["channels_last", "channels_first"])
        _maybe(rng, kw, "return_sequences", 0.4, [True, False])
        _maybe(rng, kw, "return_state", 0.2, [True, False])
        _maybe(rng, kw, "use_bias", 0.3, [True, False])
        _maybe(rng, kw, "unit_forget_bias", 0.1, [True, False])
        _maybe(rng, kw, "go_backwards", 0.15, [True, False])
        _maybe(rng, kw, "stateful", 0.08, [True])
        _maybe(rng, kw, "activation", 0.15, ["relu", "bogus"])
        _maybe(rng, kw, "recurrent_activation", 0.1, ["hard_sigmoid"])
        _maybe(rng, kw, "dropout", 0.1, [0.0, 0.3])
        _maybe(rng, kw, "recurrent_dropout", 0.1, [0.0, 0.2])
        _maybe(rng, kw, "seed", 0.15, [1, None])
        _maybe(rng, kw, "unroll", 0.1, [True, False])
        _maybe(rng, kw, "zero_output_for_mask", 0.08, [True, False])
        _maybe(rng, kw, "trainable", 0.1, [False])
        hi = {1: 8, 2: 6, 3: 4}[rank]
        spatial = tuple(rng.randint(1, hi) for _ in range(rank))
        c = rng.randint(1, 3)
        frame = (c, *spatial) if kw.get("data_format") == "channels_first" else (*spatial, c)
        return (filters, kernel), kw, (rng.randint(1, 4), *frame)

    return gen


for _r in (1, 2, 3):
    _add(f"ConvLSTM{_r}D", keras_conv_lstm(_r), 20)
