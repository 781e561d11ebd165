"""The default output: a table like Keras's `model.summary()`, with formulas where sizes remain."""

from __future__ import annotations

from ..derivation.model import BlockRecord, Derivation, LayerRecord
from ..escapes import plain, visible, visible_lines
from .columns import cell, columns, footer
from .common import (
    several_shown,
    count_cell,
    layer_label,
    memory,
    note_lines,
    param_cell,
    requirement_lines,
    row_counts,
    is_batched,
    shape_cell,
    title,
)
from .options import DEFAULT, Options


def box(rows: list[list[str]], header: list[str], right: set[int],
        ascii: bool = False) -> list[str]:
    """A table in box drawing, like Keras's summary (with `ascii`, in ASCII). Cells are user
    text: control characters are escaped before the widths are measured."""
    shown = (lambda c: plain(visible(c))) if ascii else visible
    rows = [[shown(c) for c in row] for row in rows]
    header = [shown(c) for c in header]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str], left: str, mid: str, end: str) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(cells, widths))]
        return left + " " + f" {mid} ".join(parts) + " " + end

    def rule(left: str, fill: str, mid: str, end: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + end

    out = [rule("┏", "━", "┳", "┓"), line(header, "┃", "┃", "┃"), rule("┡", "━", "╇", "┩")]
    for i, row in enumerate(rows):
        if i:
            out.append(rule("├", "─", "┼", "┤"))
        out.append(line(row, "│", "│", "│"))
    out.append(rule("└", "─", "┴", "┘"))
    return [plain(line) for line in out] if ascii else out


def outputs_cell(row: LayerRecord | BlockRecord, d: Derivation) -> str:
    """The output shape; a call giving several tensors lists them all, in order, as Keras's
    summary lists a layer's several outputs."""
    convention = d.convention
    if isinstance(row, LayerRecord) and several_shown(d, row):
        axes = row.batch_axes or (0,) * len(row.outputs)
        return "[" + ", ".join(shape_cell(s, convention, axis=a)
                               for s, a in zip(row.outputs, axes)) + "]"
    return shape_cell(row.output_shape, convention, batched=is_batched(row))



def _total(label: str, value) -> str:  # type: ignore[no-untyped-def]
    size = memory(value)
    return f" {label}: {count_cell(value)}" + (f" ({size})" if size else "")


def render_table(d: Derivation, options: Options = DEFAULT) -> str:
    depth = options.depth
    torch = d.convention == "torch"
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Buffers"] if torch else [])
    shown = d.rows(depth)
    extra = columns(d, shown, options)
    header += [c.header for c in extra]
    rows = []
    for i, layer in enumerate(shown):
        row = [layer_label(layer), outputs_cell(layer, d),
               param_cell(d, layer)]
        if torch:
            row.append(count_cell(row_counts(d, layer)[1]))
        row += [cell(c, c.values[i]) for c in extra]
        rows.append(row)
    first = 4 if torch else 3
    right = {2, 3} | {first + j for j, c in enumerate(extra) if c.right}
    lines = [title(d), *box(rows, header, right=right, ascii=options.ascii)]
    lines += [_total("Total params", d.params), _total("Trainable params", d.trainable),
              _total("Non-trainable params", d.non_trainable)]
    if torch:
        lines.append(f" Buffers (not parameters): {count_cell(d.buffers)}")
    lines += [f" {line}" for line in footer(d, options, count_cell)]
    reqs = requirement_lines(d)
    if reqs:
        lines += ["", "Valid when:"] + [f"  {r}" for r in reqs]
    notes = note_lines(d)
    if notes:
        lines += ["", "Notes:"] + [f"  {n}" for n in notes]
    text = visible_lines("\n".join(lines) + "\n")
    return plain(text) if options.ascii else text
