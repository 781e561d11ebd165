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


# --------------------------------------------------------------------------- the table

GENERATORS: dict[tuple[str, str], tuple[Gen, int]] = {}


def _add(layer: str, gen: Gen, n: int) -> None:
    GENERATORS[("keras", layer)] = (gen, n)


for _r in (1, 2, 3):
    _add(f"Conv{_r}DTranspose", keras_conv_transpose(_r), 30 if _r < 3 else 20)
for _r in (1, 2):
    _add(f"DepthwiseConv{_r}D", keras_depthwise(_r), 25)
    _add(f"SeparableConv{_r}D", keras_separable(_r), 25)
