"""Which layer of the other convention does the same job (for hints only)."""

from __future__ import annotations

_PAIRS = [
    *[(f"Conv{r}D", f"Conv{r}d") for r in (1, 2, 3)],
    *[(f"MaxPooling{r}D", f"MaxPool{r}d") for r in (1, 2, 3)],
    *[(f"AveragePooling{r}D", f"AvgPool{r}d") for r in (1, 2, 3)],
    *[(f"GlobalAveragePooling{r}D", f"AdaptiveAvgPool{r}d") for r in (1, 2, 3)],
    *[(f"GlobalMaxPooling{r}D", f"AdaptiveMaxPool{r}d") for r in (1, 2, 3)],
    ("Dense", "Linear"), ("Flatten", "Flatten"), ("Dropout", "Dropout"),
    ("SpatialDropout2D", "Dropout2d"), ("ReLU", "ReLU"), ("LeakyReLU", "LeakyReLU"),
    ("Softmax", "Softmax"), ("ZeroPadding2D", "ZeroPad2d"),
    ("BatchNormalization", "BatchNorm2d"),
    *[(f"Conv{r}DTranspose", f"ConvTranspose{r}d") for r in (1, 2, 3)],
    *[(f"UpSampling{r}D", "Upsample") for r in (2, 1, 3)],
    ("ZeroPadding1D", "ZeroPad1d"), ("ZeroPadding3D", "ZeroPad3d"),
    ("LayerNormalization", "LayerNorm"), ("GroupNormalization", "GroupNorm"),
    ("Embedding", "Embedding"), ("SimpleRNN", "RNN"), ("LSTM", "LSTM"), ("GRU", "GRU"),
    ("MultiHeadAttention", "MultiheadAttention"), ("PReLU", "PReLU"), ("Identity", "Identity"),
    ("Add", "add"), ("Subtract", "sub"), ("Multiply", "mul"), ("Concatenate", "cat"),
]
_TO_TORCH: dict[str, str] = {}
_TO_KERAS: dict[str, str] = {}
for _keras, _torch in _PAIRS:  # the first pair naming a layer wins
    _TO_TORCH.setdefault(_keras, _torch)
    _TO_KERAS.setdefault(_torch, _keras)


def equivalent(type_: str, convention: str) -> str | None:
    """The name in `convention` of the layer called `type_` in the other convention."""
    return (_TO_KERAS if convention == "keras" else _TO_TORCH).get(type_)
