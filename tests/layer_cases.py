"""Seeded random one-layer cases for the framework comparisons in test_frameworks.py.

Every registered layer of both conventions has a generator here: a function of a seeded
`random.Random` returning ``(args, kwargs, input_shape)``, with arguments in Python values that the
framework and the .arch text take alike (ints, floats, strings, bools, None, tuples). The ranges
cover every argument the layer rule reads and, in a modest fraction of cases, invalid regions
(inputs too small, bad strings, mismatched channels, padding larger than the window allows…).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Fixed by default so case ids are stable; set these to run a longer or different sweep locally.
SEED = int(os.environ.get("SYMCONV_CASES_SEED", "20240613"))
SCALE = float(os.environ.get("SYMCONV_CASES_SCALE", "1"))
SIZE_NAMES = ("H", "W", "D", "T", "U", "V")


@dataclass(frozen=True)
class Case:
    convention: str  # "keras" or "torch"
    layer: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]
    input_shape: tuple[int, ...]  # without the batch axis
    sym_axes: tuple[int, ...]  # input axes made symbolic in the second derivation

    @property
    def call(self) -> str:
        items = [arch(a) for a in self.args] + [f"{k}={arch(v)}" for k, v in self.kwargs]
        return f"{self.layer}({', '.join(items)})"

    @property
    def id(self) -> str:
        return f"{self.convention}:{self.call}@{arch(self.input_shape)}"

    def text(self) -> str:
        """The one-layer network with numeric input sizes."""
        return f"convention {self.convention}\ninput {arch(self.input_shape)}\n{self.call}\n"

    def symbolic(self) -> tuple[str, dict[str, int]]:
        """The same network with the `sym_axes` extents as declared sizes, and their values."""
        names = dict(zip(self.sym_axes, SIZE_NAMES))
        shape = [names.get(i, str(v)) for i, v in enumerate(self.input_shape)]
        subs = {names[i]: self.input_shape[i] for i in self.sym_axes}
        dims = "(" + ", ".join(shape) + ("," if len(shape) == 1 else "") + ")"
        head = f"convention {self.convention}\n"
        if subs:
            head += f"sizes {', '.join(subs)}\n"
        return f"{head}input {dims}\n{self.call}\n", subs


def arch(v: Any) -> str:
    """A Python value in .arch syntax."""
    if v is None or isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return f"'{v}'"
    if isinstance(v, tuple):
        return "(" + ", ".join(arch(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    raise TypeError(f"no .arch form for {v!r}")


# --------------------------------------------------------------------------- helpers


def _ints(rng: random.Random, rank: int, lo: int, hi: int, tuple_p: float = 0.5) -> Any:
    """An int, or a tuple of `rank` ints (sometimes all equal)."""
    if rank == 1 or rng.random() > tuple_p:
        value = rng.randint(lo, hi)
        return (value,) if rank == 1 and rng.random() < 0.15 else value
    return tuple(rng.randint(lo, hi) for _ in range(rank))


def _per_axis(v: Any, rank: int) -> tuple[int, ...]:
    return v if isinstance(v, tuple) else (v,) * rank


def _spatial(rng: random.Random, rank: int, lo: int = 1) -> tuple[int, ...]:
    hi = {1: 14, 2: 11, 3: 7}[rank]
    return tuple(rng.randint(lo, hi) for _ in range(rank))


def _maybe(rng: random.Random, kwargs: dict[str, Any], name: str, p: float,
           values: list[Any]) -> None:
    if rng.random() < p:
        kwargs[name] = rng.choice(values)


Gen = Callable[[random.Random], tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]]

# --------------------------------------------------------------------------- keras


def keras_conv(rank: int) -> Gen:
    def gen(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
        kw: dict[str, Any] = {}
        filters = rng.choice([1, 2, 3, 4, 6, 8] * 6 + [0])
        kernel = _ints(rng, rank, 1, 5)
        _maybe(rng, kw, "strides", 0.5, [1, 2, 3, (1, 2, 3)[:rank], (2, 1, 2)[:rank]])
        _maybe(rng, kw, "dilation_rate", 0.35, [1, 2, 3, (1, 2, 1)[:rank], (2, 2, 2)[:rank]])
        pads = ["valid", "same", "same", "causal", "SAME", "Valid", "full"]
        _maybe(rng, kw, "padding", 0.75, pads)
        _maybe(rng, kw, "groups", 0.3, [1, 2, 3])
        _maybe(rng, kw, "data_format", 0.3, ["channels_last", "channels_first", "nchw"])
        _maybe(rng, kw, "use_bias", 0.4, [True, False])
        _maybe(rng, kw, "activation", 0.2, ["relu", None, "tanh", "nonexistent"])
        _maybe(rng, kw, "trainable", 0.15, [False, True])
        _maybe(rng, kw, "lora_rank", 0.08, [1, 2])
        c = rng.choice([1, 2, 3, 4, 6])
        spatial = _spatial(rng, rank)
        shape = (c, *spatial) if kw.get("data_format") == "channels_first" else (*spatial, c)
        args: tuple[Any, ...] = (filters, kernel)
        if rng.random() < 0.2:
            args, kw = (), {"filters": filters, "kernel_size": kernel, **kw}
        return args, kw, shape

    return gen


def keras_pool(rank: int, kind: str) -> Gen:
    def gen(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
        kw: dict[str, Any] = {}
        size = _ints(rng, rank, 1, 4)
        args: tuple[Any, ...] = (size,)
        if kind == "Max" and rng.random() < 0.2:
            args = ()  # pool_size defaults to 2
        _maybe(rng, kw, "strides", 0.5, [None, 1, 2, 3, (1, 2, 3)[:rank], (3, 1, 2)[:rank]])
        _maybe(rng, kw, "padding", 0.6, ["valid", "same", "same", "SAME", "causal"])
        _maybe(rng, kw, "data_format", 0.3, ["channels_last", "channels_first"])
        _maybe(rng, kw, "trainable", 0.05, [False])
        c = rng.choice([1, 2, 3])
        spatial = _spatial(rng, rank)
        shape = (c, *spatial) if kw.get("data_format") == "channels_first" else (*spatial, c)
        return args, kw, shape

    return gen


def keras_global_pool(rank: int) -> Gen:
    def gen(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
        kw: dict[str, Any] = {}
        _maybe(rng, kw, "data_format", 0.5, ["channels_last", "channels_first"])
        _maybe(rng, kw, "keepdims", 0.6, [True, False])
        c = rng.choice([1, 2, 5])
        spatial = _spatial(rng, rank)
        shape = (c, *spatial) if kw.get("data_format") == "channels_first" else (*spatial, c)
        if rng.random() < 0.08:
            shape = shape[1:] or (3, 3)  # wrong rank
        return (), kw, shape

    return gen


def keras_dense(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    kw: dict[str, Any] = {}
    units = rng.choice([1, 2, 5, 8, 10] * 5 + [0])
    _maybe(rng, kw, "use_bias", 0.4, [True, False])
    _maybe(rng, kw, "activation", 0.25, ["relu", "softmax", None, "threshold", "nonexistent"])
    _maybe(rng, kw, "trainable", 0.2, [False, True])
    _maybe(rng, kw, "lora_rank", 0.12, [1, 3])
    shape = tuple(rng.randint(1, 7) for _ in range(rng.randint(1, 3)))
    return (units,), kw, shape


def _any_shape(rng: random.Random, max_rank: int = 4, hi: int = 6) -> tuple[int, ...]:
    return tuple(rng.randint(1, hi) for _ in range(rng.randint(1, max_rank)))


def keras_flatten(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "data_format", 0.4, ["channels_last", "channels_first", "nhwc"])
    return (), kw, _any_shape(rng)


RATES = [0.0, 0.25, 0.5, 1.0, 0.1, 1.5, -0.1]


def keras_dropout(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "seed", 0.3, [1, 42])
    _maybe(rng, kw, "trainable", 0.1, [False])
    return (rng.choice(RATES),), kw, _any_shape(rng)


def keras_spatial_dropout(rank: int) -> Gen:
    def gen(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
        kw: dict[str, Any] = {}
        if rank == 2:
            _maybe(rng, kw, "data_format", 0.4, ["channels_last", "channels_first"])
        _maybe(rng, kw, "seed", 0.3, [1])
        r = rank + 1 if rng.random() < 0.85 else rng.choice([rank, rank + 2])
        return (rng.choice(RATES),), kw, tuple(rng.randint(1, 6) for _ in range(r))

    return gen


def keras_activation(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    from symconv.layers.common import KERAS_ACTIVATIONS

    # "glu" is left out: it halves the last axis in a real call, but Keras's symbolic shape
    # keeps it (keras_facts reports a ShapeMismatch), so there is no single truth to compare.
    names = [a for a in KERAS_ACTIVATIONS if a != "glu"]
    name = rng.choice([*names, None, "nonexistent", "Relu", "threshold"])
    return (name,), {}, _any_shape(rng)


def keras_relu(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "max_value", 0.5, [None, 0.0, 1.0, 6.0, 6, -1.0])
    _maybe(rng, kw, "negative_slope", 0.5, [0.0, 0.1, 0, -0.5, None])
    _maybe(rng, kw, "threshold", 0.5, [0.0, 0.5, 2, -1.0, None])
    return (), kw, _any_shape(rng)


def keras_leaky_relu(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "negative_slope", 0.7, [0.3, 0.0, 0.2, 1, -0.1, None])
    return (), kw, _any_shape(rng)


def keras_elu(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "alpha", 0.7, [1.0, 0.5, 0.0, -1.0, 2])
    return (), kw, _any_shape(rng)


def keras_softmax(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    shape = _any_shape(rng)
    rank = len(shape) + 1
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "axis", 0.8, list(range(-rank - 1, rank + 1)))
    return (), kw, shape


def keras_batch_norm(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    shape = _any_shape(rng)
    rank = len(shape) + 1
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "axis", 0.5, [-1, -1, *range(-rank, rank + 1)])
    _maybe(rng, kw, "center", 0.4, [True, False])
    _maybe(rng, kw, "scale", 0.4, [True, False])
    _maybe(rng, kw, "momentum", 0.2, [0.9, 0.5])
    _maybe(rng, kw, "epsilon", 0.2, [1e-05, 0.01])
    _maybe(rng, kw, "trainable", 0.2, [False, True])
    _maybe(rng, kw, "renorm", 0.12, [True, False])
    # synchronized=True is left out: it is refused on the torch backend only (TensorFlow takes it)
    _maybe(rng, kw, "synchronized", 0.05, [False])
    return (), kw, shape


def keras_zero_padding(rank: int) -> Gen:
    def gen(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
        kw: dict[str, Any] = {}
        n = rng.randint(0, 3)
        forms: list[Any] = [n, -1, -2, -3, (n, rng.randint(0, 3))]
        if rank == 1:
            forms += [((1, 2),), (1, 2, 3), (-1, 1)]
        else:
            pair = lambda: (rng.randint(0, 3), rng.randint(0, 3))  # noqa: E731
            forms += [(pair(), pair()), (pair(), 1), (1,), ((1, 2),), (1, 2, 3), (-1, -1),
                      ((1,), (2,))]
            _maybe(rng, kw, "data_format", 0.3, ["channels_last", "channels_first"])
        args: tuple[Any, ...] = (rng.choice(forms),)
        if rng.random() < 0.1:
            args = ()  # the default, 1 on each side
        c = rng.choice([1, 3])
        spatial = _spatial(rng, rank)
        shape = (c, *spatial) if kw.get("data_format") == "channels_first" else (*spatial, c)
        return args, kw, shape

    return gen


# --------------------------------------------------------------------------- torch


def torch_conv(rank: int) -> Gen:
    def gen(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
        kw: dict[str, Any] = {}
        groups = rng.choice([1, 1, 1, 2, 3])
        c = rng.choice([1, 2, 3, 4, 6])
        c_in = c if rng.random() < 0.92 else c + 1
        c_out = rng.choice([1, 2, 3, 4, 6, 8])
        kernel = _ints(rng, rank, 1, 5)
        _maybe(rng, kw, "stride", 0.45, [1, 2, 3, (1, 2, 3)[:rank], (2, 1, 2)[:rank]])
        pads: list[Any] = [0, 1, 2, (1, 0, 2)[:rank], "same", "valid", "full"]
        _maybe(rng, kw, "padding", 0.6, pads)
        _maybe(rng, kw, "dilation", 0.35, [1, 2, 3, (1, 2, 1)[:rank]])
        if groups != 1 or rng.random() < 0.1:
            kw["groups"] = groups
        _maybe(rng, kw, "bias", 0.4, [True, False])
        _maybe(rng, kw, "padding_mode", 0.3, ["zeros", "reflect", "replicate", "circular"])
        spatial = _spatial(rng, rank)
        args: tuple[Any, ...] = (c_in, c_out, kernel)
        if rng.random() < 0.2:
            args, kw = (c_in,), {"out_channels": c_out, "kernel_size": kernel, **kw}
        return args, kw, (c, *spatial)

    return gen


def torch_pool(rank: int, kind: str) -> Gen:
    def gen(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
        kw: dict[str, Any] = {}
        kernel = _ints(rng, rank, 1, 5)
        k_min = min(_per_axis(kernel if not isinstance(kernel, tuple) or len(kernel) == rank
                              else kernel[0], rank))
        _maybe(rng, kw, "stride", 0.6, [None, 1, 2, 3, (1, 2, 3)[:rank], (3, 2, 1)[:rank]])
        if rng.random() < 0.6:
            half = k_min // 2
            # mostly legal paddings, sometimes one over k/2
            kw["padding"] = rng.choice([0, half, half, half + 1, (half, 0, 1)[:rank]])
        if kind == "Max":
            _maybe(rng, kw, "dilation", 0.35, [1, 2, 3, (1, 2, 1)[:rank]])
            _maybe(rng, kw, "return_indices", 0.15, [True, False])
        _maybe(rng, kw, "ceil_mode", 0.5, [True, False])
        if kind == "Avg":
            _maybe(rng, kw, "count_include_pad", 0.3, [True, False])
            if rank > 1:
                _maybe(rng, kw, "divisor_override", 0.2, [None, 1, 3, 0, -2])
        return (kernel,), kw, (rng.choice([1, 2, 3]), *_spatial(rng, rank))

    return gen


def torch_adaptive(rank: int) -> Gen:
    def gen(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
        r = rng.random()
        if r < 0.35:
            size: Any = rng.randint(1, 6)
        elif r < 0.85:
            size = tuple(rng.choice([None, 1, 2, 3, 5]) for _ in range(rank))
        else:
            size = rng.choice([0, -1, (2,) * (rank + 1), None, (0,) * rank])
        kw: dict[str, Any] = {}
        return (size,), kw, (rng.choice([1, 2, 3]), *_spatial(rng, rank))

    return gen


def torch_zero_pad(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    four = tuple(rng.randint(-1, 3) for _ in range(4))
    pad = rng.choice([rng.randint(0, 3), -1, -2, -3, four, four, (1, 2), (1, 2, 3)])
    return (pad,), {}, (rng.choice([1, 2]), *_spatial(rng, 2))


def torch_linear(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    shape = tuple(rng.randint(1, 7) for _ in range(rng.randint(1, 3)))
    n = shape[-1] if rng.random() < 0.9 else shape[-1] + 1
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "bias", 0.4, [True, False])
    return (n, rng.randint(1, 8)), kw, shape


def torch_flatten(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    shape = _any_shape(rng)
    rank = len(shape) + 1
    dims = list(range(-rank - 1, rank + 1))
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "start_dim", 0.7, [1, 1, *dims])
    _maybe(rng, kw, "end_dim", 0.6, [-1, -1, *dims])
    return (), kw, shape


def torch_dropout(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "inplace", 0.3, [True, False])
    args = (rng.choice(RATES),) if rng.random() < 0.8 else ()
    return args, kw, _any_shape(rng)


def torch_inplace(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "inplace", 0.4, [True, False])
    return (), kw, _any_shape(rng)


def torch_plain(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    return (), {}, _any_shape(rng)


def torch_leaky(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "negative_slope", 0.7, [0.01, 0.2, 0.0, -0.5, 2])
    _maybe(rng, kw, "inplace", 0.3, [True, False])
    return (), kw, _any_shape(rng)


def torch_gelu(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "approximate", 0.7, ["none", "tanh", "foo"])
    return (), kw, _any_shape(rng)


def torch_softmax(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    shape = _any_shape(rng)
    rank = len(shape) + 1
    return (rng.choice([*range(-rank - 1, rank + 1)]),), {}, shape


def torch_batch_norm(rank: int) -> Gen:
    def gen(rng: random.Random) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
        kw: dict[str, Any] = {}
        c = rng.randint(1, 6)
        _maybe(rng, kw, "eps", 0.2, [1e-05, 0.001])
        _maybe(rng, kw, "momentum", 0.2, [0.1, 0.5, None])
        _maybe(rng, kw, "affine", 0.4, [True, False])
        _maybe(rng, kw, "track_running_stats", 0.4, [True, False])
        _maybe(rng, kw, "bias", 0.3, [True, False])
        good_ranks = (1, 2) if rank == 1 else (rank + 1,)
        r = rng.choice(good_ranks) if rng.random() < 0.9 else rng.choice([1, 2, 3, 4])
        shape = (c, *(rng.randint(1, 5) for _ in range(r - 1)))
        n = c if rng.random() < 0.9 else c + 1
        return (n,), kw, shape

    return gen


# --------------------------------------------------------------------------- the table

# (convention, layer) -> (generator, number of cases)
GENERATORS: dict[tuple[str, str], tuple[Gen, int]] = {}


def _add(convention: str, layer: str, gen: Gen, n: int) -> None:
    GENERATORS[(convention, layer)] = (gen, n)


for _r in (1, 2, 3):
    _n = 60 if _r < 3 else 40
    _add("keras", f"Conv{_r}D", keras_conv(_r), _n)
    _add("keras", f"MaxPooling{_r}D", keras_pool(_r, "Max"), _n // 2)
    _add("keras", f"AveragePooling{_r}D", keras_pool(_r, "Average"), _n // 2)
    _add("keras", f"GlobalMaxPooling{_r}D", keras_global_pool(_r), 10)
    _add("keras", f"GlobalAveragePooling{_r}D", keras_global_pool(_r), 10)
    _add("torch", f"Conv{_r}d", torch_conv(_r), _n)
    _add("torch", f"MaxPool{_r}d", torch_pool(_r, "Max"), _n)
    _add("torch", f"AvgPool{_r}d", torch_pool(_r, "Avg"), _n)
    _add("torch", f"AdaptiveAvgPool{_r}d", torch_adaptive(_r), 12)
    _add("torch", f"AdaptiveMaxPool{_r}d", torch_adaptive(_r), 12)
    _add("torch", f"BatchNorm{_r}d", torch_batch_norm(_r), 20)
_add("keras", "Dense", keras_dense, 50)
_add("keras", "Flatten", keras_flatten, 15)
_add("keras", "Dropout", keras_dropout, 15)
_add("keras", "SpatialDropout1D", keras_spatial_dropout(1), 12)
_add("keras", "SpatialDropout2D", keras_spatial_dropout(2), 12)
_add("keras", "Activation", keras_activation, 40)
_add("keras", "ReLU", keras_relu, 25)
_add("keras", "LeakyReLU", keras_leaky_relu, 12)
_add("keras", "ELU", keras_elu, 10)
_add("keras", "Softmax", keras_softmax, 20)
_add("keras", "BatchNormalization", keras_batch_norm, 50)
_add("keras", "ZeroPadding1D", keras_zero_padding(1), 25)
_add("keras", "ZeroPadding2D", keras_zero_padding(2), 40)
_add("torch", "Linear", torch_linear, 30)
_add("torch", "Flatten", torch_flatten, 40)
_add("torch", "Dropout", torch_dropout, 12)
_add("torch", "Dropout2d", torch_dropout, 12)
for _name in ("ReLU", "ReLU6", "SiLU", "Hardswish", "Hardsigmoid"):
    _add("torch", _name, torch_inplace, 6)
for _name in ("Sigmoid", "Tanh"):
    _add("torch", _name, torch_plain, 5)
_add("torch", "LeakyReLU", torch_leaky, 10)
_add("torch", "GELU", torch_gelu, 10)
_add("torch", "Softmax", torch_softmax, 20)
_add("torch", "ZeroPad2d", torch_zero_pad, 30)


def _sym_axes(rng: random.Random, case_layer: str, convention: str,
              shape: tuple[int, ...]) -> tuple[int, ...]:
    """Every axis half of the time; otherwise every axis but the channel/feature one."""
    if rng.random() < 0.5:
        return tuple(range(len(shape)))
    if convention == "torch" and case_layer != "Linear":
        return tuple(range(1, len(shape))) or (0,)
    return tuple(range(len(shape) - 1)) or (0,)


def cases(convention: str) -> list[Case]:
    """Every generated case of one convention, in a fixed order, from a fixed seed."""
    out: list[Case] = []
    for (conv, layer), (gen, n) in GENERATORS.items():
        if conv != convention:
            continue
        n = max(1, round(n * SCALE))
        rng = random.Random(f"{SEED}:{conv}:{layer}")
        seen: set[str] = set()
        for _ in range(n * 3):
            args, kwargs, shape = gen(rng)
            case = Case(conv, layer, tuple(args), tuple(kwargs.items()), tuple(shape),
                        _sym_axes(rng, layer, conv, tuple(shape)))
            if case.id in seen:
                continue
            seen.add(case.id)
            out.append(case)
            if len(seen) == n:
                break
    return out


def _catalog() -> None:
    """The catalog's later families keep their generators in files of their own."""
    from cases_keras_catalog import GENERATORS as keras_more
    from cases_torch_catalog import GENERATORS as torch_more

    for key, value in {**keras_more, **torch_more}.items():
        assert key not in GENERATORS, f"two generators for {key}"
        GENERATORS[key] = value


_catalog()
