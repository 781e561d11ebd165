"""Per-layer argument drawers for Keras nets (tests/netgen.py): shapes are channels last, without
the batch axis. A layer given data_format='channels_first' reads the first axis as channels. Each
drawer mostly draws a valid call for the shape it is given and exercises every hyperparameter the
layer rule reads; symconv filters what is still invalid."""

from __future__ import annotations

from typing import Any

from cases_keras_catalog import torch_backend_layer_norm_fails
from netgen import Call, Drawer, G, Inner, Shape
from netgen_torch import divisors, rank

DRAWERS: dict[str, Drawer] = {}
ACTIVATIONS = ["relu", "tanh", "sigmoid", "softmax", "gelu", "swish", "elu", "linear", None]


def _add(type_: str, fits: Any, keeps: bool = False, first_only: bool = False) -> Any:
    def register(fn: Any) -> Any:
        DRAWERS[type_] = Drawer(fits, fn, keeps, first_only)
        return fn

    return register


INPUTS = {
    "vector": lambda g: (g.int(2, 8),),
    "sequence": lambda g: (g.int(4, 16), g.int(2, 8)),
    "image": lambda g: (g.int(6, 16), g.int(6, 16), g.int(1, 4)),
    "volume": lambda g: (g.int(4, 8), g.int(4, 8), g.int(4, 8), g.int(1, 3)),
    "tokens": lambda g: (g.int(3, 10),) if g.chance(6) else (g.int(2, 4), g.int(3, 8)),
    # a sequence of volumes, for ConvLSTM3D (only it and TimeDistributed take rank 5)
    "clip": lambda g: (g.int(2, 4), g.int(3, 5), g.int(3, 5), g.int(3, 5), g.int(1, 2)),
}


def layout(g: G, kw: dict[str, Any], s: Shape, tenths: int = 2) -> tuple[int, Shape]:
    """Channels and spatial extents, with data_format drawn now and then."""
    if g.chance(tenths):
        kw["data_format"] = g.pick(["channels_first", "channels_last"])
    if kw.get("data_format") == "channels_first":
        return s[0], s[1:]
    return s[-1], s[:-1]


def _common(g: G, kw: dict[str, Any], activation: bool = True, bias: str = "use_bias") -> None:
    if activation:
        g.maybe(kw, "activation", ACTIVATIONS, 3)
    if bias:
        g.maybe(kw, bias, [True, False], 4)
    g.maybe(kw, "trainable", [False], 1)


# --------------------------------------------------------------------------- elementwise


def _plain(type_: str, extra: Any = None, ranks: tuple[int, ...] = (1, 2, 3, 4)) -> None:
    def draw(g: G, s: Shape) -> Call:
        kw: dict[str, Any] = {}
        args = extra(g, kw, s) if extra else ()
        return args or (), kw

    DRAWERS[type_] = Drawer(lambda s: len(s) in ranks, draw, keeps=True)


def _axis(g: G, s: Shape) -> int:
    return g.pick([-1, *range(1, len(s) + 1), *range(-len(s), 0)])


_plain("Identity")
_plain("Activation", lambda g, kw, s: (g.pick(ACTIVATIONS),))
_plain("ReLU", lambda g, kw, s: (g.maybe(kw, "max_value", [None, 1.0, 6.0]),
                                 g.maybe(kw, "negative_slope", [0.0, 0.1]),
                                 g.maybe(kw, "threshold", [0.0, 0.5]))[:0])
_plain("LeakyReLU", lambda g, kw, s: g.maybe(kw, "negative_slope", [0.3, 0.0, 0.2, 1.0], 6))
_plain("ELU", lambda g, kw, s: g.maybe(kw, "alpha", [1.0, 0.5, 2.0], 6))
_plain("Softmax", lambda g, kw, s: g.maybe(kw, "axis", [_axis(g, s)], 7))
_plain("UnitNormalization", lambda g, kw, s: g.maybe(
    kw, "axis", [_axis(g, s), tuple(sorted({1, len(s)}))], 6))
_plain("Dropout", lambda g, kw, s: (
    (g.pick([0.0, 0.25, 0.5]),),
    g.maybe(kw, "seed", [1, 42], 3),
    g.maybe(kw, "noise_shape", [(None, *([1] * (len(s) - 1)), s[-1])], 2))[0])
_plain("Rescaling", lambda g, kw, s: (
    (g.pick([1 / 255, 2.0, 0.5, 1, tuple(float(i + 1) for i in range(s[-1]))]),),
    g.maybe(kw, "offset", [0.0, -1.0, (1.0,) * s[-1]]))[0])


@_add("SpatialDropout1D", rank(2), keeps=True)
def spatial_dropout_1d(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    g.maybe(kw, "seed", [1], 3)
    return (g.pick([0.0, 0.2, 0.5]),), kw


@_add("SpatialDropout2D", rank(3), keeps=True)
def spatial_dropout_2d(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    g.maybe(kw, "data_format", ["channels_last", "channels_first"], 3)
    g.maybe(kw, "seed", [1], 3)
    return (g.pick([0.0, 0.2, 0.5]),), kw


@_add("PReLU", rank(1, 2, 3, 4), keeps=True)
def prelu(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    r = len(s)
    g.maybe(kw, "shared_axes", [None, g.int(1, r), tuple(range(1, r)) or None], 6)
    g.maybe(kw, "alpha_initializer", ["zeros", "ones"], 2)
    return (), kw


# --------------------------------------------------------------------------- core


@_add("Dense", rank(1, 2, 3, 4), keeps=True)
def dense(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    _common(g, kw)
    _lora(g, kw)
    g.maybe(kw, "quantization_config", [None], 1)
    return (s[-1] if g.keep else g.int(1, 8),), kw


def _lora(g: G, kw: dict[str, Any]) -> None:
    if g.chance(1):  # not forced on the focus layer: LoRA refuses kernel constraints
        kw["lora_rank"] = g.pick([1, 2])
        g.maybe(kw, "lora_alpha", [1.0, 4.0], 5)


@_add("Flatten", rank(1, 2, 3, 4))
def flatten(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    g.maybe(kw, "data_format", ["channels_last", "channels_first"], 3)
    return (), kw


@_add("Reshape", rank(1, 2, 3, 4))
def reshape(g: G, s: Shape) -> Call:
    size = 1
    for e in s:
        size *= e
    d = g.pick(divisors(size, 32))
    return (g.pick([(d, -1), (-1, d), (d, size // d), (size,), (-1,), (d, size // d, 1)]),), {}


@_add("Permute", rank(2, 3, 4), keeps=True)
def permute(g: G, s: Shape) -> Call:
    dims = list(range(1, len(s) + 1))
    if not g.keep:
        dims = list(g.draw(__import__("hypothesis").strategies.permutations(dims)))
    return (tuple(dims),), {}


@_add("RepeatVector", rank(1))
def repeat_vector(g: G, s: Shape) -> Call:
    return (g.int(1, 6),), {}


@_add("Embedding", rank(1, 2), first_only=True)
def embedding(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    g.maybe(kw, "mask_zero", [True, False], 3)
    _lora(g, kw)
    g.maybe(kw, "weights", [None], 1)
    g.maybe(kw, "quantization_config", [None], 1)
    g.maybe(kw, "trainable", [False], 1)
    return (g.int(1, 20), g.int(1, 8)), kw


# --------------------------------------------------------------------------- normalization


@_add("BatchNormalization", rank(1, 2, 3, 4), keeps=True)
def batch_norm(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    g.maybe(kw, "axis", [-1, _axis(g, s)], 4)
    g.maybe(kw, "momentum", [0.9, 0.5], 2)
    g.maybe(kw, "epsilon", [1e-05, 0.01], 2)
    g.maybe(kw, "center", [True, False])
    g.maybe(kw, "scale", [True, False])
    g.maybe(kw, "renorm", [True, False], 2)
    if kw.get("renorm"):
        g.maybe(kw, "renorm_momentum", [0.9, 0.5], 5)
        g.maybe(kw, "renorm_clipping", [None, {"rmax": 3.0}][:1], 3)
    g.maybe(kw, "synchronized", [False], 1)
    g.maybe(kw, "trainable", [False], 1)
    return (), kw


@_add("LayerNormalization", rank(1, 2, 3, 4), keeps=True)
def layer_norm(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    r = len(s)
    g.maybe(kw, "axis", [-1, _axis(g, s), tuple(range(1, r + 1)), (-2, -1)[-r:]], 5)
    g.maybe(kw, "epsilon", [1e-5], 2)
    g.maybe(kw, "center", [True, False])
    g.maybe(kw, "scale", [True, False])
    g.maybe(kw, "rms_scaling", [True, False], 3)
    if torch_backend_layer_norm_fails(s, kw.get("axis", -1), kw.get("rms_scaling", False)):
        kw.pop("axis")  # the torch backend's F.layer_norm shortcut (test_keras_catalog shows it)
    return (), kw


@_add("GroupNormalization", rank(1, 2, 3, 4), keeps=True)
def group_norm(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    axis = g.pick([-1, -1, 1])
    if axis != -1 or g.chance(2):
        kw["axis"] = axis
    c = s[-1] if axis == -1 else s[0]
    g.maybe(kw, "center", [True, False])
    g.maybe(kw, "scale", [True, False])
    g.maybe(kw, "epsilon", [1e-3, 1e-5], 2)
    return (g.pick(divisors(c)),), kw


# --------------------------------------------------------------------------- convolution


def _window(g: G, kw: dict[str, Any], spatial: Shape, strides: bool = True,
            dilation: str = "dilation_rate") -> list[int]:
    """Kernel sizes, strides and dilation (Keras refuses strides > 1 with dilation > 1)."""
    ks = [g.int(1, min(5, e)) for e in spatial]
    r = len(spatial)
    if strides and g.chance(4):
        kw["strides"] = g.pick([2, 1, tuple(g.int(1, 3) for _ in range(r))])
    elif g.chance(3) and all(2 * (k - 1) + 1 <= e for k, e in zip(ks, spatial)):
        kw[dilation] = g.pick([2, (2,) * r, (1,) * r])
    return ks


def _conv(r: int) -> None:
    @_add(f"Conv{r}D", rank(r + 1), keeps=True)
    def draw(g: G, s: Shape) -> Call:
        kw: dict[str, Any] = {}
        c, spatial = layout(g, kw, s)
        groups = g.pick(divisors(c, 4)) if g.chance(3) else 1
        filters = c if g.keep else groups * g.int(1, max(1, 8 // groups))
        if g.keep:
            ks = [g.pick([1, 3]) for _ in spatial]
            kw["padding"] = g.pick(["same", "causal"] if r == 1 and "data_format" not in kw
                                   else ["same"])
        else:
            ks = _window(g, kw, spatial)
            pads = ["valid", "same", "same"] + (["causal"] if r == 1 else [])
            g.maybe(kw, "padding", pads + ["SAME", "Valid"], 6)
        if groups > 1 or g.chance(1):
            kw["groups"] = groups
        _common(g, kw)
        _lora(g, kw)
        return (filters, g.ints(ks)), kw


def _conv_transpose(r: int) -> None:
    @_add(f"Conv{r}DTranspose", rank(r + 1))
    def draw(g: G, s: Shape) -> Call:
        kw: dict[str, Any] = {}
        _, spatial = layout(g, kw, s)
        ks = [g.int(1, 4) for _ in spatial]
        if g.chance(5):
            kw["strides"] = g.pick([2, (2,) * r, 1])
        elif g.chance(3):
            kw["dilation_rate"] = 2
        g.maybe(kw, "padding", ["valid", "same"], 6)
        stride = kw.get("strides", 1)
        stride = stride[0] if isinstance(stride, tuple) else stride
        if g.chance(3):
            kw["output_padding"] = g.pick([None, *range(stride)])
        _common(g, kw)
        return (g.int(1, 6), g.ints(ks)), kw


def _depthwise(r: int, separable: bool) -> None:
    type_ = f"{'Separable' if separable else 'Depthwise'}Conv{r}D"

    @_add(type_, rank(r + 1), keeps=not separable)
    def draw(g: G, s: Shape) -> Call:
        kw: dict[str, Any] = {}
        _, spatial = layout(g, kw, s)
        if g.keep:
            ks = [g.pick([1, 3]) for _ in spatial]
            kw["padding"] = "same"
        else:
            ks = _window(g, kw, spatial)
            g.maybe(kw, "padding", ["valid", "same"], 6)
            g.maybe(kw, "depth_multiplier", [1, 2, 3], 5)
        _common(g, kw)
        args: tuple[Any, ...] = (g.ints(ks),)
        return ((g.int(1, 8), *args) if separable else args), kw


def _pool(r: int, kind: str) -> None:
    @_add(f"{kind}Pooling{r}D", rank(r + 1), keeps=kind == "Max")
    def draw(g: G, s: Shape) -> Call:
        kw: dict[str, Any] = {}
        _, spatial = layout(g, kw, s)
        if g.keep:
            ks: Any = [g.int(1, 3)] * r
            kw.update(strides=1, padding="same")
        else:
            ks = [g.int(1, min(4, e)) for e in spatial]
            g.maybe(kw, "strides", [None, 1, 2, tuple(g.int(1, 3) for _ in range(r))], 5)
            big_enough = all(e >= k for e, k in zip(spatial, ks))
            if kind == "Max" or r < 3 or big_enough:  # see test_frameworks.backend_artifact
                g.maybe(kw, "padding", ["valid", "same"], 6)
        size = g.ints(ks)
        if kind == "Max" and size == 2 and g.chance(3):
            return (), kw
        return (size,), kw


def _global_pool(r: int, kind: str) -> None:
    @_add(f"Global{kind}Pooling{r}D", rank(r + 1))
    def draw(g: G, s: Shape) -> Call:
        kw: dict[str, Any] = {}
        layout(g, kw, s, 3)
        g.maybe(kw, "keepdims", [True, False], 5)
        return (), kw


for _r in (1, 2, 3):
    _conv(_r)
    _conv_transpose(_r)
    _pool(_r, "Max")
    _pool(_r, "Average")
    _global_pool(_r, "Max")
    _global_pool(_r, "Average")
for _r in (1, 2):
    _depthwise(_r, False)
    _depthwise(_r, True)

# --------------------------------------------------------------------------- padding, resizing


def _resize(r: int, kind: str) -> None:
    type_ = {"pad": f"ZeroPadding{r}D", "crop": f"Cropping{r}D", "up": f"UpSampling{r}D"}[kind]
    param = {"pad": "padding", "crop": "cropping", "up": "size"}[kind]

    @_add(type_, rank(r + 1), keeps=kind != "up")
    def draw(g: G, s: Shape) -> Call:
        kw: dict[str, Any] = {}
        if r > 1:
            _, spatial = layout(g, kw, s, 3)
        else:
            spatial = s[:1]
        hi = {"pad": 2, "crop": 2, "up": 3}[kind]
        lo = 1 if kind == "up" else 0
        if kind == "crop":
            hi = max(0, min(2, (min(spatial) - 1) // 2))
        one = lambda: g.int(lo, hi)
        if g.keep:
            value: Any = 0
        elif g.chance(4) or r == 1 and kind == "up":
            value = one()
        elif kind == "up" or g.chance(4):
            value = tuple(one() for _ in range(r))
        else:
            value = tuple((one(), one()) for _ in range(r)) if r > 1 else (one(), one())
        if r == 2 and kind == "up":
            g.maybe(kw, "interpolation", ["nearest", "bilinear", "bicubic"], 5)
        if not g.keep and g.chance(1):
            return (), kw
        return ((value,), kw) if g.chance(6) else ((), {param: value, **kw})


for _r in (1, 2, 3):
    for _kind in ("pad", "crop", "up"):
        _resize(_r, _kind)

# --------------------------------------------------------------------------- sequences


def _rnn_kw(g: G, type_: str, kw: dict[str, Any]) -> None:
    g.maybe(kw, "activation", ["tanh", "relu", "sigmoid"], 2)
    g.maybe(kw, "use_bias", [True, False], 3)
    g.maybe(kw, "go_backwards", [True, False], 2)
    g.maybe(kw, "unroll", [True, False], 2)
    g.maybe(kw, "dropout", [0.0, 0.3], 1)
    g.maybe(kw, "recurrent_dropout", [0.0, 0.2], 1)
    g.maybe(kw, "seed", [1, 7], 1)
    g.maybe(kw, "zero_output_for_mask", [True, False], 1)
    if type_ != "SimpleRNN":
        g.maybe(kw, "recurrent_activation", ["sigmoid", "hard_sigmoid"], 2)
        g.maybe(kw, "implementation", [1, 2], 1)
        g.maybe(kw, "use_cudnn", ["auto", False], 1)
    if type_ == "LSTM":
        g.maybe(kw, "unit_forget_bias", [True, False], 2)
    if type_ == "GRU":
        g.maybe(kw, "reset_after", [True, False], 5)


def _rnn(type_: str) -> None:
    @_add(type_, rank(2), keeps=True)
    def draw(g: G, s: Shape) -> Call:
        kw: dict[str, Any] = {}
        if g.keep:
            kw["return_sequences"] = True
        else:
            g.maybe(kw, "return_sequences", [True, False], 6)
        _rnn_kw(g, type_, kw)
        g.maybe(kw, "trainable", [False], 1)
        return (s[-1] if g.keep else g.int(1, 8),), kw


for _type in ("SimpleRNN", "LSTM", "GRU"):
    _rnn(_type)


@_add("Bidirectional", rank(2), keeps=True)
def bidirectional(g: G, s: Shape) -> Call:
    type_ = g.pick(["LSTM", "GRU", "SimpleRNN"])
    units = s[-1] if g.keep else g.int(1, 6)
    inner: dict[str, Any] = {}
    if g.keep:
        inner["return_sequences"] = True
    else:
        g.maybe(inner, "return_sequences", [True, False], 6)
    g.maybe(inner, "use_bias", [True, False], 2)
    if type_ == "GRU":
        g.maybe(inner, "reset_after", [True, False], 4)
    kw: dict[str, Any] = {}
    modes = ["sum", "ave", "mul"] if g.keep else ["concat", "sum", "ave", "mul"]
    if g.keep or g.chance(5):
        kw["merge_mode"] = g.pick(modes)
    g.maybe(kw, "weights", [None], 1)
    # backward_layer is left out: symconv refuses it on purpose (Keras's symbolic shape is wrong
    # when the two layers differ)
    return (Inner(type_, (units,), tuple(inner.items())),), kw


TIME_DISTRIBUTED = ("Dense", "Flatten", "Conv1D", "Conv2D", "MaxPooling1D", "MaxPooling2D",
                    "AveragePooling1D", "GlobalAveragePooling1D", "Dropout", "ReLU",
                    "BatchNormalization", "Activation")


@_add("TimeDistributed", lambda s: len(s) >= 2
      and any(DRAWERS[t].fits(s[1:]) for t in TIME_DISTRIBUTED), keeps=True)
def time_distributed(g: G, s: Shape) -> Call:
    inner_shape = s[1:]
    fitting = [t for t in TIME_DISTRIBUTED if DRAWERS[t].fits(inner_shape)]
    options = [t for t in fitting if not g.keep or DRAWERS[t].keeps] or fitting
    type_ = g.pick(options)
    args, kw = DRAWERS[type_].draw(G(g.draw, g.convention, g.keep), inner_shape)
    kw.pop("trainable", None)
    return (Inner(type_, tuple(args), tuple(kw.items())),), {}


@_add("MultiHeadAttention", rank(2, 3), keeps=True)
def attention(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    g.maybe(kw, "value_dim", [None, 2, 5], 3)
    g.maybe(kw, "dropout", [0.0, 0.3], 2)
    g.maybe(kw, "use_bias", [True, False], 4)
    g.maybe(kw, "use_gate", [True, False], 2)
    g.maybe(kw, "seed", [1], 1)
    g.maybe(kw, "flash_attention", [None, False], 1)
    if not g.keep:
        g.maybe(kw, "output_shape", [None, 3, (4,)], 3)
    if len(s) == 3:
        g.maybe(kw, "attention_axes", [(1,), (2,), (1, 2), 1], 6)
    return (g.int(1, 3), g.int(1, 5)), kw


# --------------------------------------------------------------------------- issue 16's layers


def _normalization(g: G, kw: dict[str, Any], s: Shape) -> None:
    g.maybe(kw, "axis", [-1, None, _axis(g, s), tuple(range(1, len(s) + 1))], 5)
    if kw.get("axis", -1) == -1 and g.chance(3):
        kw["mean"] = g.pick([0.5, tuple(float(i) for i in range(s[-1]))])
        kw["variance"] = kw["mean"] if isinstance(kw["mean"], tuple) else 2.0
    g.maybe(kw, "invert", [True, False], 3)


_plain("Normalization", _normalization)


def _conv_lstm(r: int) -> None:
    @_add(f"ConvLSTM{r}D", rank(r + 2), keeps=True)
    def draw(g: G, s: Shape) -> Call:
        kw: dict[str, Any] = {}
        frame = s[1:-1]
        if g.keep:  # the same shape back: 'same', stride 1, every step, as many filters
            kw.update(padding="same", return_sequences=True)
            return (s[-1], g.ints([g.int(1, 3) for _ in frame])), kw
        g.maybe(kw, "padding", ["valid", "same"], 6)
        ks = [g.int(1, min(3, e)) if kw.get("padding") != "same" else g.int(1, 3)
              for e in frame]
        if g.chance(3):
            kw["strides"] = g.ints([g.int(1, 2) for _ in frame])
        elif g.chance(2):
            kw["dilation_rate"] = 1
        g.maybe(kw, "return_sequences", [True, False], 5)
        g.maybe(kw, "use_bias", [True, False], 3)
        g.maybe(kw, "unit_forget_bias", [True, False], 1)
        g.maybe(kw, "go_backwards", [True, False], 2)
        g.maybe(kw, "activation", ["tanh", "relu"], 2)
        g.maybe(kw, "recurrent_activation", ["sigmoid", "hard_sigmoid"], 1)
        g.maybe(kw, "dropout", [0.0, 0.2], 1)
        g.maybe(kw, "trainable", [False], 1)
        return (g.int(1, 4), g.ints(ks)), kw


for _r in (1, 2, 3):
    _conv_lstm(_r)
