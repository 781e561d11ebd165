"""The optional compute columns every renderer can show: MACs (or FLOPs), activation memory and
the receptive field, per row (a folded block sums its layers' MACs and shows its output's memory
and receptive field), with the footer lines that state their conventions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy
from sympy import Expr

from ..derivation.model import BlockRecord, Derivation, LayerRecord
from .options import Options

Row = LayerRecord | BlockRecord


@dataclass(frozen=True)
class Column:
    header: str
    values: list[object]  # per row: a sympy expression, or text (receptive fields)
    total: Expr | None = None  # shown in the Total row
    right: bool = True  # numbers align right
    bytes: bool = False  # sizes in bytes (a renderer may write them with a unit: 3.06 MB)


def _last(d: Derivation, row: Row) -> int:
    return row.last if isinstance(row, BlockRecord) else _position(d)[id(row)]


def _span(d: Derivation, row: Row) -> range:
    if isinstance(row, BlockRecord):
        return range(row.first, row.last + 1)
    i = _position(d)[id(row)]
    return range(i, i + 1)


def _position(d: Derivation) -> dict[int, int]:
    """Each layer record's index, by identity: `layers.index` compared records field by
    field, a quadratic search (20,000 layers took over a minute)."""
    return d.layer_positions


def columns(d: Derivation, rows: list[Row], options: Options) -> list[Column]:
    out = []
    if options.macs is not None:
        from ..analysis import macs

        per_layer = macs.layer_macs(d, macs.PRESETS[options.macs])
        scale = 2 if options.flops else 1
        out.append(Column("FLOPs" if options.flops else "MACs",
                          [scale * sympy.Add(*(per_layer[i] for i in _span(d, r)))
                           for r in rows], scale * d.over_layers(per_layer)))
    if options.memory is not None:
        from ..analysis import memory

        batch = options.batch or 1
        sizes = memory.activations(d, options.memory, batch)
        out.append(Column(f"Activations (bytes, {options.memory}, batch {batch})",
                          [sizes[_last(d, r)] for r in rows], d.over_layers(sizes),
                          bytes=True))
    if options.receptive:
        from ..analysis import receptive

        fields = receptive.fields(d)
        out.append(Column("Receptive field", [fields[_last(d, r)] for r in rows],
                          right=False))
    return out


def field_text(field: object, fmt: Callable[[Expr], str], times: str = " × ") -> str:
    """A receptive field as 'size × size' per spatial axis, '-' where it is not defined; a
    sum in parentheses, (32·⌈H/32⌉ + 395) × (32·⌈W/32⌉ + 395), else × would bind tighter."""
    if field is None:
        return "-"
    sizes = [f.size for f in field]  # type: ignore[attr-defined]
    return times.join(f"({fmt(s)})" if s.is_Add else fmt(s) for s in sizes)


def footer(d: Derivation, options: Options,
           show: Callable[[Expr], str]) -> list[str]:
    """The compute columns' totals and conventions, as sentences; `show` prints a value."""
    lines = []
    if options.macs is not None:
        from ..analysis import macs

        convention = macs.PRESETS[options.macs]
        total = macs.total(d, convention) * (2 if options.flops else 1)
        what = "FLOPs (2 per multiply-accumulate)" if options.flops else "MACs"
        lines.append(f"Total {what}: {show(total)} per example, counted as {options.macs}: "
                     f"{convention.description}")
    if options.memory is not None:
        from ..analysis import memory

        batch = options.batch or 1
        params = memory.parameters(d, options.memory)
        acts = d.over_layers(memory.activations(d, options.memory, batch))
        lines.append(f"Parameter memory ({options.memory}): {_bytes(params, show)}; activations "
                     f"(batch {batch}, every layer's output): {_bytes(acts, show)}")
    return lines


def _bytes(value: Expr, show: Callable[[Expr], str]) -> str:
    """A size in bytes, readable first where it is a number: '97.49 MB (102,228,128 bytes)'."""
    from .common import memory

    readable = memory(value, 1)
    return f"{readable} ({show(value)} bytes)" if readable else f"{show(value)} bytes"


def cell(column: Column, value: object,
         fmt: Callable[[Expr], str] | None = None) -> str:
    """A compute cell for the terminal table and Markdown (`fmt`: the printer, pretty by
    default)."""
    from ..maths.printing import pretty
    from .common import count_cell

    fmt = fmt or pretty
    if column.header == "Receptive field":
        return field_text(value, fmt)
    return count_cell(value, fmt)  # type: ignore[arg-type]
