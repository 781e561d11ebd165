"""Curves → PNG, SVG or PDF bytes, through matplotlib (`symconv[plot]`), imported here only.

One panel per quantity, sharing the size's axis; a value holding a floor or ceiling of the size
(an extent after a stride) as a staircase; the framework's numbers, where measured, as open circles. No pyplot
(no global figure state) and no dates in the files: the same curves give the same bytes.
"""

from __future__ import annotations

import io
import math
from typing import Any

from .plot import MAX_POINTS, QUANTITIES, Curves, Series

# no date, no random ids: SVG ids come from this salt, PDF and SVG carry no creation date
SAVE_METADATA = {"png": {"Software": None}, "svg": {"Date": None},
                 "pdf": {"CreationDate": None, "Producer": None}}
RC = {"svg.hashsalt": "symconv", "svg.fonttype": "none", "pdf.compression": 6,
      "font.family": "DejaVu Sans", "axes.grid": True, "grid.alpha": 0.3}
DOTS_UP_TO = 60  # points drawn as dots too while they are few enough to tell apart


def render_plot(curves: Curves, fmt: str, log: bool = False, marked_by: str | None = None) -> bytes:
    """The figure of `curves` in `fmt` (png, svg or pdf); `log`: the values on a log scale;
    `marked_by`: the framework the marks come from (named in the legend)."""
    import matplotlib

    with matplotlib.rc_context(RC):
        figure = _figure(curves, log, marked_by)
        out = io.BytesIO()
        figure.savefig(out, format=fmt, metadata=SAVE_METADATA[fmt], dpi=110)
    return out.getvalue()


def _figure(curves: Curves, log: bool, marked_by: str | None) -> Any:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    groups = _by_quantity(curves.series)
    figure = Figure(figsize=(7.0, 2.2 + 2.4 * len(groups)), layout="constrained")
    axes = figure.subplots(len(groups), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (quantity, series) in zip(axes, groups.items()):
        for s in series:
            _draw(ax, s, marked_by, len(series) == 1, curves.span)
        ax.set_ylabel(_ylabel(curves, quantity))
        flat = {y for s in series for y in s.ys}
        if len(flat) == 1:  # a constant: around it, not zoomed into ±0.2 of it
            (y,) = flat
            ax.set_ylim(*((y / 2, y * 2) if log and y > 0 else (y - 1, y + 1)))
        if log:  # symmetric log, linear within ±1: a count of 0 has a place (log would refuse)
            ax.set_yscale("symlog", linthresh=1)
        else:  # whole numbers: no tick at 3.5 parameters
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_formatter(_readable())
        if len(series) > 1 or any(s.marks for s in series):  # else the y label says it
            ax.legend(fontsize="small")
    axes[-1].set_xlabel(curves.size)
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))  # the size is whole too
    figure.suptitle(_title(curves), fontsize="medium")
    return figure


def _by_quantity(series: list[Series]) -> dict[str, list[Series]]:
    groups: dict[str, list[Series]] = {}
    for s in series:
        groups.setdefault(s.quantity, []).append(s)
    return groups


def _draw(ax: Any, s: Series, marked_by: str | None, alone: bool,
          span: tuple[int, int]) -> None:
    """The curve (its whole values as dots while they are few) and the framework's marks; in
    the legend, where each comes from (and which curve, when the panel has several)."""
    few = len(s.xs) <= DOTS_UP_TO
    which = "" if alone else f": {s.label}"
    draw = ax.step if s.steps else ax.plot
    extra = {"where": "post"} if s.steps else {}
    xs, ys = _broken(s.xs, s.ys, span)
    (line,) = draw(xs, ys, label=f"symconv{which}", marker="." if few else None, **extra)
    if s.marks:
        ax.plot([x for x, _ in s.marks], [y for _, y in s.marks], linestyle="none",
                marker="o", markersize=9, markerfacecolor="none", color=line.get_color(),
                label=f"{marked_by or 'framework'}{which}")


def _broken(xs: list[int], ys: list[int],
            span: tuple[int, int]) -> tuple[list[float], list[float]]:
    """The curve with a gap where values of the size were left out (the network is invalid
    there): a point of no value (NaN) between two points further apart than the sampling's
    step (1, or the step of MAX_POINTS evenly spaced values over a wider span), so that no
    line is drawn across values that have none."""
    step = max(1.0, (span[1] - span[0]) / (MAX_POINTS - 1))
    out_x: list[float] = list(xs[:1])
    out_y: list[float] = list(ys[:1])
    for a, b, y in zip(xs, xs[1:], ys[1:]):
        if b - a > math.ceil(step):  # evenly spaced whole values: ⌊step⌋ or ⌈step⌉ apart
            out_x.append((a + b) / 2)
            out_y.append(math.nan)
        out_x.append(b)
        out_y.append(y)
    return out_x, out_y


def _ylabel(curves: Curves, quantity: str) -> str:
    label = QUANTITIES[quantity].label
    return f"{label} of {curves.layer}" if quantity == "shape" and curves.layer else label


def _title(curves: Curves) -> str:
    fixed = ", ".join(f"{k}={v:,}" for k, v in curves.fixed.items())
    return f"{curves.network} against {curves.size}" + (f"\n({fixed})" if fixed else "")


def _readable() -> Any:
    """Tick labels with thousands separators, or M/G past a million where that is exact
    (124M, not 1.24e8; but 25,557,032 in full, a constant's ticks being one apart)."""
    from matplotlib.ticker import FuncFormatter

    def show(value: float, _: object) -> str:
        for scale, suffix in ((1e9, "G"), (1e6, "M")):
            short = f"{value / scale:.4g}"
            if abs(value) >= scale and float(short) * scale == value:
                return f"{float(short):,.4g}{suffix}"
        return f"{value:,.0f}"

    return FuncFormatter(show)
