"""Per-layer argument drawers for PyTorch nets (tests/netgen.py): shapes are channels first,
without the batch axis. Each drawer mostly draws a valid call for the shape it is given and
exercises every hyperparameter the layer rule reads; symconv filters what is still invalid."""

from __future__ import annotations

from typing import Any

from netgen import Call, Drawer, G, Shape

DRAWERS: dict[str, Drawer] = {}


def _add(type_: str, fits: Any, keeps: bool = False, first_only: bool = False) -> Any:
    def register(fn: Any) -> Any:
        DRAWERS[type_] = Drawer(fits, fn, keeps, first_only)
        return fn

    return register


def rank(*ranks: int) -> Any:
    return lambda s: len(s) in ranks


def divisors(n: int, up_to: int = 8) -> list[int]:
    return [d for d in range(1, min(n, up_to) + 1) if n % d == 0]


# --------------------------------------------------------------------------- inputs

INPUTS = {
    "vector": lambda g: (g.int(2, 8),),
    "sequence": lambda g: (g.int(4, 16), g.int(2, 8)),
    "image": lambda g: (g.int(1, 4), g.int(6, 16), g.int(6, 16)),
    "volume": lambda g: (g.int(1, 3), g.int(4, 8), g.int(4, 8), g.int(4, 8)),
    "tokens": lambda g: (g.int(3, 10),) if g.chance(6) else (g.int(2, 4), g.int(3, 8)),
}

# --------------------------------------------------------------------------- elementwise


def _plain(type_: str, extra: Any = None) -> None:
    def draw(g: G, s: Shape) -> Call:
        kw: dict[str, Any] = {}
        if extra:
            extra(g, kw, s)
        return (), kw

    DRAWERS[type_] = Drawer(lambda s: len(s) >= 1, draw, keeps=True)


def _inplace(g: G, kw: dict[str, Any], s: Shape) -> None:
    g.maybe(kw, "inplace", [True, False])


for _t in ("ReLU", "ReLU6", "SiLU", "Hardswish", "Hardsigmoid"):
    _plain(_t, _inplace)
for _t in ("Sigmoid", "Tanh", "Identity"):
    _plain(_t)
_plain("LeakyReLU", lambda g, kw, s: (g.maybe(kw, "negative_slope", [0.01, 0.2, 0.0, 2]),
                                      _inplace(g, kw, s)))
_plain("GELU", lambda g, kw, s: g.maybe(kw, "approximate", ["none", "tanh"]))
_plain("Dropout", lambda g, kw, s: (g.maybe(kw, "p", [0.0, 0.1, 0.5, 1.0]), _inplace(g, kw, s)))
_plain("Softmax", lambda g, kw, s: kw.update(dim=g.pick([*range(1, len(s) + 1),
                                                         *range(-len(s), 0)])))


@_add("Dropout2d", rank(3), keeps=True)
def dropout2d(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    g.maybe(kw, "p", [0.0, 0.2, 0.5])
    g.maybe(kw, "inplace", [True, False])
    return (), kw


@_add("PReLU", rank(1, 2, 3, 4), keeps=True)
def prelu(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    g.maybe(kw, "num_parameters", [1, s[0], s[0]], 5)
    g.maybe(kw, "init", [0.25, 0.1, -1.0], 3)
    return (), kw


# --------------------------------------------------------------------------- core


@_add("Linear", rank(1, 2, 3), keeps=True)
def linear(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    g.maybe(kw, "bias", [True, False])
    return (s[-1], s[-1] if g.keep else g.int(1, 8)), kw


@_add("Flatten", rank(1, 2, 3, 4))
def flatten(g: G, s: Shape) -> Call:
    r = len(s)
    kw: dict[str, Any] = {}
    start = g.int(1, r)
    if g.chance(7):
        kw["start_dim"] = start if g.chance(6) else start - r - 1
    if g.chance(5):
        end = g.int(start, r)
        kw["end_dim"] = end if g.chance(5) else end - r - 1
    return (), kw


@_add("Unflatten", lambda s: 1 <= len(s) <= 3 and any(len(divisors(e, 32)) > 1 for e in s))
def unflatten(g: G, s: Shape) -> Call:
    axis = g.pick([i for i, e in enumerate(s) if len(divisors(e, 32)) > 1])
    e = s[axis]
    a = g.pick(divisors(e, 32)[1:])
    sizes = g.pick([(a, e // a), (-1, a), (a, -1), (a, e // a, 1)])
    dim = axis + 1 if g.chance(6) else axis - len(s)
    return (dim, sizes), {}


@_add("PixelShuffle", lambda s: len(s) >= 3)
def pixel_shuffle(g: G, s: Shape) -> Call:
    factors = [r for r in (2, 3) if s[-3] % (r * r) == 0] or [1]
    return (g.pick(factors),), {}


@_add("PixelUnshuffle", lambda s: len(s) >= 3 and s[-1] % 2 == 0 and s[-2] % 2 == 0)
def pixel_unshuffle(g: G, s: Shape) -> Call:
    return (g.pick([r for r in (1, 2, 3) if s[-1] % r == 0 and s[-2] % r == 0]),), {}


# --------------------------------------------------------------------------- normalization


def _norm_kw(g: G, kw: dict[str, Any], running: bool, bias: bool = True) -> None:
    g.maybe(kw, "eps", [1e-05, 0.001], 2)
    if running:
        g.maybe(kw, "momentum", [0.1, 0.5, None], 2)
        g.maybe(kw, "track_running_stats", [True, False])
    g.maybe(kw, "affine", [True, False])
    if bias:
        g.maybe(kw, "bias", [True, False], 3)


def _batch_norm(r: int) -> None:
    ranks = (1, 2) if r == 1 else (r + 1,)

    @_add(f"BatchNorm{r}d", rank(*ranks), keeps=True)
    def draw(g: G, s: Shape) -> Call:
        kw: dict[str, Any] = {}
        _norm_kw(g, kw, True)
        return (s[0],), kw


def _instance_norm(r: int) -> None:
    @_add(f"InstanceNorm{r}d", lambda s: len(s) == r + 1 and _prod(s[1:]) > 1, keeps=True)
    def draw(g: G, s: Shape) -> Call:
        kw: dict[str, Any] = {}
        _norm_kw(g, kw, True)
        return (s[0],), kw


def _prod(s: Shape) -> int:
    n = 1
    for e in s:
        n *= e
    return n


@_add("LayerNorm", rank(1, 2, 3, 4), keeps=True)
def layer_norm(g: G, s: Shape) -> Call:
    k = g.int(1, len(s))
    shape: Any = s[-k:] if k > 1 or g.chance(5) else s[-1]
    kw: dict[str, Any] = {}
    g.maybe(kw, "eps", [1e-05, 0.001], 2)
    g.maybe(kw, "elementwise_affine", [True, False])
    g.maybe(kw, "bias", [True, False])
    return (shape,), kw


@_add("GroupNorm", rank(1, 2, 3, 4), keeps=True)
def group_norm(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    g.maybe(kw, "eps", [1e-05, 0.01], 2)
    g.maybe(kw, "affine", [True, False])
    g.maybe(kw, "bias", [True, False], 3)
    return (g.pick(divisors(s[0])), s[0]), kw


# --------------------------------------------------------------------------- convolution


def _window(g: G, extents: Shape, k_hi: int = 5) -> tuple[list[int], list[int]]:
    """Per-axis kernel sizes and dilations whose effective window fits the extents."""
    ks, ds = [], []
    dilate = g.chance(3)
    for e in extents:
        d = g.int(1, 2) if dilate else 1
        k = g.int(1, max(1, min(k_hi, (e - 1) // d + 1)))
        ks.append(k)
        ds.append(d)
    return ks, ds


def _conv(r: int) -> None:
    @_add(f"Conv{r}d", rank(r + 1), keeps=True)
    def draw(g: G, s: Shape) -> Call:
        c, spatial = s[0], s[1:]
        kw: dict[str, Any] = {}
        groups = g.pick(divisors(c, 4)) if g.chance(3) else 1
        c_out = c if g.keep else groups * g.int(1, max(1, 8 // groups))
        ks, ds = _window(g, spatial)
        if g.keep:
            ks = [k | 1 for k in ks]
            kw["padding"] = "same" if g.chance(5) else g.ints(
                [d * (k - 1) // 2 for k, d in zip(ks, ds)])
        else:
            mode = g.pick(["int", "int", "tuple", "same", "valid", "none"])
            if mode == "same" or mode == "valid":
                kw["padding"] = mode
            elif mode != "none":
                pads = [g.int(0, min(2, k // 2 + 1)) for k in ks]
                kw["padding"] = g.ints(pads) if mode == "int" else tuple(pads)
            if mode != "same" and g.chance(4):
                kw["stride"] = g.ints([g.int(1, 3) for _ in spatial]) if g.chance(3) else 2
        if any(d > 1 for d in ds):
            kw["dilation"] = g.ints(ds)
        if groups > 1 or g.chance(1):
            kw["groups"] = groups
        g.maybe(kw, "bias", [True, False])
        g.maybe(kw, "padding_mode", ["zeros", "reflect", "replicate", "circular"], 3)
        return (c, c_out, g.ints(ks)), kw


def _conv_transpose(r: int) -> None:
    @_add(f"ConvTranspose{r}d", rank(r + 1))
    def draw(g: G, s: Shape) -> Call:
        c, spatial = s[0], s[1:]
        kw: dict[str, Any] = {}
        groups = g.pick(divisors(c, 4)) if g.chance(3) else 1
        c_out = groups * g.int(1, max(1, 6 // groups))
        ks = [g.int(1, 4) for _ in spatial]
        stride = g.int(1, 2) if g.chance(5) else 1
        dilation = g.int(1, 2) if g.chance(3) else 1
        if stride > 1:
            kw["stride"] = stride if g.chance(6) else (stride,) * r
        if g.chance(4):
            kw["padding"] = g.ints([g.int(0, max(0, (k - 1) // 2)) for k in ks])
        if g.chance(3):
            kw["output_padding"] = g.int(0, max(stride, dilation) - 1)
        if dilation > 1:
            kw["dilation"] = dilation
        if groups > 1 or g.chance(1):
            kw["groups"] = groups
        g.maybe(kw, "bias", [True, False])
        g.maybe(kw, "padding_mode", ["zeros"], 1)
        return (c, c_out, g.ints(ks)), kw


def _pool(r: int, kind: str) -> None:
    @_add(f"{kind}Pool{r}d", rank(r + 1), keeps=kind == "Max")
    def draw(g: G, s: Shape) -> Call:
        spatial = s[1:]
        kw: dict[str, Any] = {}
        if kind == "Max" and g.keep:
            ks = [3] * r
            kw.update(stride=1, padding=1)
        else:
            ks = [g.int(1, min(4, e)) for e in spatial]
            g.maybe(kw, "stride", [None, 1, 2, 3, tuple(g.int(1, 3) for _ in spatial)], 5)
            if g.chance(5):
                kw["padding"] = g.ints([g.int(0, k // 2) for k in ks])
        if kind == "Max":
            if not g.keep and g.chance(3):
                kw["dilation"] = g.ints([2 if (2 * (k - 1) + 1) <= e else 1
                                         for k, e in zip(ks, spatial)])
            g.maybe(kw, "return_indices", [True, False], 2)
        g.maybe(kw, "ceil_mode", [True, False], 5)
        if kind == "Avg":
            g.maybe(kw, "count_include_pad", [True, False], 4)
            if r > 1:
                g.maybe(kw, "divisor_override", [None, 1, 3], 2)
        return (g.ints(ks),), kw


def _adaptive(r: int, kind: str) -> None:
    @_add(f"Adaptive{kind}Pool{r}d", rank(r + 1))
    def draw(g: G, s: Shape) -> Call:
        kw: dict[str, Any] = {}
        if g.chance(4):
            size: Any = g.int(1, 6)
        else:
            size = tuple(g.pick([None, 1, 2, 3, 5] if r > 1 else [1, 2, 3, 5]) for _ in range(r))
        if kind == "Max":
            g.maybe(kw, "return_indices", [True, False], 2)
        return (size,), kw


for _r in (1, 2, 3):
    _batch_norm(_r)
    _instance_norm(_r)
    _conv(_r)
    _conv_transpose(_r)
    _pool(_r, "Max")
    _pool(_r, "Avg")
    _adaptive(_r, "Avg")
    _adaptive(_r, "Max")

# --------------------------------------------------------------------------- padding, resizing


def _pad(r: int, kind: str) -> None:
    """ConstantPad pads the last r axes of any rank ≥ r; reflection/replication want rank r or
    r + 1 (without the batch axis)."""
    ranks = (r, r + 1) if kind in ("Reflection", "Replication") else tuple(range(r, 5))
    type_ = f"{kind}Pad{r}d"

    @_add(type_, lambda s: len(s) in ranks and len(s) >= 1, keeps=kind != "Reflection")
    def draw(g: G, s: Shape) -> Call:
        tail = s[-r:]
        if g.keep:
            padding: Any = 0 if g.chance(5) else (0,) * (2 * r)
        elif g.chance(4):
            hi = min(tail) - 1 if kind == "Reflection" else 2
            padding = g.int(0, max(0, min(2, hi)))
        else:
            pads = []
            for e in reversed(tail):  # F.pad order: last axis first
                hi = e - 1 if kind == "Reflection" else 3
                lo = -1 if kind in ("Constant", "Zero") and e > 3 else 0
                pads += [g.int(lo, max(0, min(3, hi))), g.int(lo, max(0, min(3, hi)))]
            padding = tuple(pads)
        args: tuple[Any, ...] = (padding,)
        if kind == "Constant":
            args += (g.pick([0.0, 1.5, -2.0]),)
        return args, {}


for _r in (1, 2, 3):
    for _kind in ("Constant", "Reflection", "Replication", "Zero"):
        _pad(_r, _kind)

MODES = {1: ["nearest", "linear", "area", "nearest-exact"],
         2: ["nearest", "bilinear", "bicubic", "area", "nearest-exact"],
         3: ["nearest", "trilinear", "area", "nearest-exact"]}


@_add("Upsample", rank(2, 3, 4))
def upsample(g: G, s: Shape) -> Call:
    r = len(s) - 1
    mode = g.pick(MODES[r])
    kw: dict[str, Any] = {"mode": mode} if mode != "nearest" or g.chance(5) else {}
    if g.chance(4):
        kw["size"] = g.pick([g.int(2, 16), tuple(g.int(2, 12) for _ in range(r))])
    else:
        one = lambda: g.pick([2, 0.5, 1.5, 2.0, 0.7, 1.7])
        kw["scale_factor"] = one() if g.chance(6) else tuple(one() for _ in range(r))
        g.maybe(kw, "recompute_scale_factor", [True, False, None], 4)
    if mode in ("linear", "bilinear", "bicubic", "trilinear"):
        g.maybe(kw, "align_corners", [True, False], 5)
    return (), kw


# --------------------------------------------------------------------------- sequences


@_add("Embedding", rank(1, 2), first_only=True)
def embedding(g: G, s: Shape) -> Call:
    vocab = g.int(1, 10)
    kw: dict[str, Any] = {}
    g.maybe(kw, "padding_idx", [None, 0, vocab - 1, -1])
    g.maybe(kw, "max_norm", [None, 1.0, 2.5], 2)
    g.maybe(kw, "norm_type", [2.0, 1.0], 2)
    g.maybe(kw, "scale_grad_by_freq", [True, False], 2)
    g.maybe(kw, "sparse", [True, False], 2)
    return (vocab, g.int(1, 8)), kw


def _recurrent(kind: str) -> None:
    @_add(kind, rank(2), keeps=True)
    def draw(g: G, s: Shape) -> Call:
        f = s[-1]
        kw: dict[str, Any] = {}
        hidden = g.int(1, 8)
        bidirectional = not g.keep and g.chance(4)
        proj = g.int(1, hidden - 1) if kind == "LSTM" and hidden > 1 and g.chance(3) else 0
        if g.keep:
            hidden, proj = (f, 0) if kind != "LSTM" or g.chance(5) else (f + 1, f)
        layers = g.int(1, 3) if g.chance(4) else 1
        if layers > 1 or g.chance(1):
            kw["num_layers"] = layers
            if g.chance(4):
                kw["dropout"] = g.pick([0.0, 0.5])
        if kind == "RNN":
            g.maybe(kw, "nonlinearity", ["tanh", "relu"])
        g.maybe(kw, "bias", [True, False])
        g.maybe(kw, "batch_first", [True, False], 5)
        if bidirectional or g.chance(1):
            kw["bidirectional"] = bidirectional
        if proj or (kind == "LSTM" and g.chance(1)):
            kw["proj_size"] = proj
        return (f, hidden), kw


for _kind in ("RNN", "LSTM", "GRU"):
    _recurrent(_kind)


@_add("MultiheadAttention", rank(2), keeps=True)
def mha(g: G, s: Shape) -> Call:
    e = s[-1]
    kw: dict[str, Any] = {}
    g.maybe(kw, "dropout", [0.0, 0.1], 2)
    g.maybe(kw, "bias", [True, False])
    g.maybe(kw, "add_bias_kv", [True, False], 3)
    g.maybe(kw, "add_zero_attn", [True, False], 3)
    g.maybe(kw, "kdim", [None, e], 2)
    g.maybe(kw, "vdim", [None, e], 2)
    g.maybe(kw, "batch_first", [True, False], 5)
    return (e, g.pick(divisors(e, 4))), kw


@_add("TransformerEncoderLayer", rank(2), keeps=True)
def encoder_layer(g: G, s: Shape) -> Call:
    d = s[-1]
    kw: dict[str, Any] = {"dim_feedforward": g.pick([4, 8, 16])}
    g.maybe(kw, "dropout", [0.0, 0.1], 3)
    g.maybe(kw, "activation", ["relu", "gelu"], 4)
    g.maybe(kw, "layer_norm_eps", [1e-05, 1e-6], 2)
    g.maybe(kw, "batch_first", [True, False], 5)
    g.maybe(kw, "norm_first", [True, False], 5)
    g.maybe(kw, "bias", [True, False], 3)
    return (d, g.pick(divisors(d, 4))), kw


# --------------------------------------------------------------------------- issue 16's layers


@_add("RMSNorm", rank(1, 2, 3, 4), keeps=True)
def rms_norm(g: G, s: Shape) -> Call:
    k = g.int(1, len(s))
    shape: Any = s[-k:] if k > 1 or g.chance(5) else s[-1]
    kw: dict[str, Any] = {}
    g.maybe(kw, "eps", [None, 1e-06], 2)
    g.maybe(kw, "elementwise_affine", [True, False])
    return (shape,), kw


def _lazy(type_: str, twin: str) -> None:
    """A Lazy module draws as its eager twin, less the input size (the first argument)."""
    eager = DRAWERS[twin]

    def draw(g: G, s: Shape) -> Call:
        args, kw = eager.draw(g, s)
        return tuple(args[1:]), kw

    DRAWERS[type_] = Drawer(eager.fits, draw, eager.keeps, eager.first_only)


_lazy("LazyLinear", "Linear")
for _r in (1, 2, 3):
    _lazy(f"LazyConv{_r}d", f"Conv{_r}d")
    _lazy(f"LazyConvTranspose{_r}d", f"ConvTranspose{_r}d")


@_add("EmbeddingBag", rank(1), first_only=True)
def embedding_bag(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    vocab = g.int(1, 10)
    g.maybe(kw, "mode", ["sum", "mean", "max"], 6)
    g.maybe(kw, "padding_idx", [None, 0, vocab - 1, -1])
    g.maybe(kw, "max_norm", [None, 1.0], 2)
    g.maybe(kw, "norm_type", [2.0, 1.0], 1)
    g.maybe(kw, "scale_grad_by_freq", [True, False], 1)
    g.maybe(kw, "sparse", [True, False], 1)
    g.maybe(kw, "include_last_offset", [True, False], 2)
    return (vocab, g.int(1, 8)), kw


@_add("Unfold", rank(3))
def unfold(g: G, s: Shape) -> Call:
    kw: dict[str, Any] = {}
    ks = [g.int(1, min(3, e)) for e in s[1:]]
    g.maybe(kw, "dilation", [1, (1, 2)], 2)
    g.maybe(kw, "padding", [0, 1, (1, 0)], 4)
    g.maybe(kw, "stride", [1, 2, (2, 1)], 4)
    return (g.ints(ks),), kw


@_add("ChannelShuffle", lambda s: len(s) >= 2, keeps=True)
def channel_shuffle(g: G, s: Shape) -> Call:
    return (g.pick(divisors(s[0])),), {}


@_add("StochasticDepth", lambda s: len(s) >= 1, keeps=True)
def stochastic_depth(g: G, s: Shape) -> Call:
    return (g.pick([0.0, 0.1, 0.5, 1.0]), g.pick(["row", "batch"])), {}
