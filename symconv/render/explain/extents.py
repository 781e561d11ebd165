"""A window layer's output extents as arithmetic on its own numbers, each axis by name, with
the framework rule behind it: the padding added and what it holds, a default stride, ceil
mode."""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy import Expr

from ...derivation.model import Derivation, LayerRecord
from ...maths import extent
from ...maths.printing import spoken
from .words import Lines, agree, argument, equals, per_axis, said, term

AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
# what one unit of padding is on each axis, and its two sides
SIDES = {"length": ("step", "at the start", "at the end"),
         "height": ("row", "at the top", "at the bottom"),
         "width": ("column", "on the left", "on the right"),
         "depth": ("slice", "at the front", "at the back")}


def _axis(rank: int, i: int, first: int) -> str:
    """A spatial axis by its name and by the framework's number, batch included (Keras
    channels-last: H is axis 1; PyTorch and channels-first: axis 2), as errors number them."""
    name = AXES[rank][i] if rank in AXES else f"spatial axis {i + 1}"
    return f"{name} (axis {i + first})"


def _unit(rank: int, i: int) -> str:
    return SIDES.get(AXES[rank][i] if rank in AXES else "", ("cell",))[0]


def _units(count: object, unit: str) -> str:
    if count == 0:
        return f"no {unit}s"
    return f"{said(count)} {unit}" + ("" if count == 1 else "s")


def _sides(total: Expr, rank: int, i: int) -> str:
    """Padding of `total` cells on one axis, split as TensorFlow and PyTorch split it: half
    (rounded down) before, the rest after."""
    unit, before, after = SIDES.get(AXES[rank][i] if rank in AXES else "",
                                    ("cell", "at the start", "at the end"))
    if total.is_Integer:
        low = total // 2
        parts = [f"{_units(n, unit)} {side}" for n, side in ((low, before), (total - low, after))
                 if n]
        return " and ".join(parts)
    return f"{spoken(total)} {unit}s in all, half {before} (rounded down), the rest {after}"


def _filled(record: LayerRecord, pool: bool, convention: str, d: Derivation) -> str:
    """What padded cells hold, as the framework treats them."""
    if not pool:
        return "of zeros"
    if "Max" in record.type:
        return "counted as −∞, so never the maximum"
    if convention == "keras" or not argument(d, record, "count_include_pad"):
        return "left out of the mean (a window at the border averages only its real cells)"
    return "of zeros, counted in the mean (count_include_pad=True)"


def _window_keras(d: Derivation, record: LayerRecord, pool: bool) -> Lines:
    rank = len(record.input_shape) - 1
    size = per_axis(argument(d, record, "pool_size" if pool else "kernel_size"), rank)
    strides = argument(d, record, "strides")
    stride_given = strides is not None
    strides = per_axis(strides if stride_given else size, rank)
    dilation = (1,) * rank if pool else per_axis(argument(d, record, "dilation_rate"), rank)
    padding = str(argument(d, record, "padding")).lower()
    first = str(argument(d, record, "data_format") or "channels_last") == "channels_first"
    spatial = record.input_shape[1:] if first else record.input_shape[:-1]
    outs = record.output_shape[1:] if first else record.output_shape[:-1]
    lines = []
    for axis, (n, k, s, dd, out) in enumerate(zip(spatial, size, strides, dilation, outs)):
        k_eff = dd * (k - 1) + 1
        if padding == "valid":
            value = extent.window(n, k_eff, s, sympy.Integer(0))  # ⌊(n − k_eff)/s⌋ + 1
            shown = f"⌊({term(n)} - {term(k_eff)})/{term(s)}⌋ + 1"
            rule = "padding 'valid': every window lies inside the input"
        elif padding == "causal":
            value, shown = extent.ceil_div(n, s), f"⌈{term(n)}/{term(s)}⌉"
            rule = (f"padding 'causal': {_units(k_eff - 1, SIDES['length'][0])} of zeros at "
                    "the start, none at the end, so no output sees a later step")
        else:
            value, shown = extent.ceil_div(n, s), f"⌈{term(n)}/{term(s)}⌉"
            total = sympy.Max((value - 1) * s + k_eff - n, 0)
            added = ("no padding needed here" if total == 0 else
                     f"{_sides(total, rank, axis)}, {_filled(record, pool, 'keras', d)}")
            rule = f"padding 'same': {added}; the length depends only on the stride"
        if agree(value, out):
            lines.append(f"{_axis(rank, axis, 2 if first else 1)}: "
                         f"{equals(shown, out, count=False)}; {rule}")
    if pool and not stride_given:
        n, k = spatial[0], size[0]
        other = sympy.floor(n - k) + 1 if padding == "valid" else n
        lines.append(f"strides not given: Keras uses the pool size, {said(k)}, so the windows do "
                     f"not overlap (with stride 1 the length would be {said(other)})")
    return lines


def _window_torch(d: Derivation, record: LayerRecord, pool: bool) -> Lines:
    rank = len(record.output_shape) - 1
    kernel = per_axis(argument(d, record, "kernel_size"), rank)
    stride = argument(d, record, "stride")
    stride_given = stride is not None
    strides = per_axis(stride if stride_given else kernel, rank)
    padding = argument(d, record, "padding")
    if isinstance(padding, str):
        return []
    pads = per_axis(padding, rank)
    dilation = per_axis(argument(d, record, "dilation") or 1, rank)  # pools but MaxPool have none
    ceil_mode = pool and bool(argument(d, record, "ceil_mode"))
    lines = []
    for axis, (n, k, s, p, dd, out) in enumerate(zip(record.input_shape[-rank:], kernel, strides,
                                                     pads, dilation, record.output_shape[1:])):
        k_eff = dd * (k - 1) + 1
        inner = f"({term(n)} + 2·{term(p)} - {term(k_eff)})/{term(s)}"
        value = extent.affine_floor(  # ⌊ ⌋ or ⌈(n + 2p − k_eff)/s⌉ + 1, without sympy's proofs
            n, 2 * p - k_eff + (s - 1 if ceil_mode else 0), s)
        shown = f"⌈{inner}⌉ + 1" if ceil_mode else f"⌊{inner}⌋ + 1"
        padded = "" if p == 0 else (f"; padding {said(p)}: {_units(p, _unit(rank, axis))} on "
                                    f"each side, {_filled(record, pool, 'torch', d)}")
        if agree(value, out):
            lines.append(f"{_axis(rank, axis, 2)}: {equals(shown, out, count=False)}{padded}")
        elif ceil_mode and agree(value - 1, out):
            lines.append(f"{_axis(rank, axis, 2)}: {equals(f'{shown} - 1', out, count=False)}; "
                         "ceil_mode, but the last window would start in the right padding, so "
                         f"PyTorch drops it{padded}")
    if pool and not stride_given:
        lines.append("stride not given: PyTorch uses the kernel size, so the windows do not "
                     "overlap")
    return lines


def window_shape(pool: bool) -> Callable[[Derivation, LayerRecord], Lines]:
    def explain(d: Derivation, record: LayerRecord) -> Lines:
        if "Transpose" in record.type or "Depthwise" in record.type or "Separable" in record.type:
            return []
        return (_window_keras if d.convention == "keras" else _window_torch)(d, record, pool)

    return explain


SHAPES: dict[str, Callable[[Derivation, LayerRecord], Lines]] = {
    "conv": window_shape(False), "pool": window_shape(True)}
