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
]
_TO_TORCH = dict(_PAIRS)
_TO_KERAS = {t: k for k, t in _PAIRS}


def equivalent(type_: str, convention: str) -> str | None:
    """The name in `convention` of the layer called `type_` in the other convention."""
    return (_TO_KERAS if convention == "keras" else _TO_TORCH).get(type_)
