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
    remembered,
    param_cell,
    requirement_lines,
    row_counts,
    is_batched,
    shape_cell,
    title,
)
from ..maths.printing import pretty
from .fold import fold
from .options import DEFAULT, Options


def box(rows: list[list[str]], header: list[str], right: set[int],
        ascii: bool = False) -> list[str]:
    """A table in box drawing, like Keras's summary (with `ascii`, in ASCII). Cells are user
    text: control characters are escaped before the widths are measured. A cell past the
    first column wider than `fold.WIDTH` is folded onto several lines (`fold.fold`), and its
    row is as tall as its tallest cell."""
    shown = (lambda c: plain(visible(c))) if ascii else visible
    cells = [[[shown(row[0])], *(fold(shown(c)) for c in row[1:])] for row in rows]
    header = [shown(c) for c in header]
    widths = [len(c) for c in header]
    for row in cells:
        for i, lines in enumerate(row):
            widths[i] = max(widths[i], max(map(len, lines)))

    def line(texts: list[str], left: str, mid: str, end: str) -> str:
        return left + " " + f" {mid} ".join(texts) + " " + end

    def placed(lines: list[str], i: int) -> list[str]:
        """A cell's lines in its column: a folded cell in a right-aligned column as a block
        flush right, its lines aligned left within it."""
        if i not in right:
            return [t.ljust(widths[i]) for t in lines]
        inner = max(map(len, lines))
        return [t.ljust(inner).rjust(widths[i]) for t in lines]

    def rule(left: str, fill: str, mid: str, end: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + end

    between = rule("├", "─", "┼", "┤")
    out = [rule("┏", "━", "┳", "┓"), line([placed([c], i)[0] for i, c in enumerate(header)],
                                         "┃", "┃", "┃"), rule("┡", "━", "╇", "┩")]
    for n, row in enumerate(cells):
        if n:
            out.append(between)
        columns = [placed(lines, i) for i, lines in enumerate(row)]
        height = max(map(len, columns))
        for k in range(height):
            out.append(line([c[k] if k < len(c) else " " * widths[i]
                             for i, c in enumerate(columns)], "│", "│", "│"))
    out.append(rule("└", "─", "┴", "┘"))
    return [plain(line) for line in out] if ascii else out


def outputs_cell(row: LayerRecord | BlockRecord, d: Derivation, fmt=pretty) -> str:  # type: ignore[no-untyped-def]
    """The output shape; a call giving several tensors lists them all, in order, as Keras's
    summary lists a layer's several outputs."""
    convention = d.convention
    if isinstance(row, LayerRecord) and several_shown(d, row):
        axes = row.batch_axes or (0,) * len(row.outputs)
        return "[" + ", ".join(shape_cell(s, convention, fmt, axis=a)
                               for s, a in zip(row.outputs, axes)) + "]"
    return shape_cell(row.output_shape, convention, fmt, batched=is_batched(row))



def _total(label: str, value, fmt=pretty) -> str:  # type: ignore[no-untyped-def]
    size = memory(value)
    return f" {label}: {count_cell(value, fmt)}" + (f" ({size})" if size else "")


def render_table(d: Derivation, options: Options = DEFAULT) -> str:
    depth = options.depth
    torch = d.convention == "torch"
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Buffers"] if torch else [])
    shown = d.rows(depth)
    extra = columns(d, shown, options)
    header += [c.header for c in extra]
    show = remembered()
    rows = []
    for i, layer in enumerate(shown):
        row = [layer_label(layer), outputs_cell(layer, d, show), param_cell(d, layer, show)]
        if torch:
            row.append(count_cell(row_counts(d, layer)[1], show))
        row += [cell(c, c.values[i], show) for c in extra]
        rows.append(row)
    first = 4 if torch else 3
    right = {2, 3} | {first + j for j, c in enumerate(extra) if c.right}
    lines = [title(d), *box(rows, header, right=right, ascii=options.ascii)]
    lines += [_total("Total params", d.params, show),
              _total("Trainable params", d.trainable, show),
              _total("Non-trainable params", d.non_trainable, show)]
    if torch:
        lines.append(f" Buffers (not parameters): {count_cell(d.buffers, show)}")
    lines += [f" {line}" for line in footer(d, options, lambda e: count_cell(e, show))]
    reqs = requirement_lines(d, show)
    if reqs:
        lines += ["", "Valid when:"] + [f"  {r}" for r in reqs]
    notes = note_lines(d)
    if notes:
        lines += ["", "Notes:"] + [f"  {n}" for n in notes]
    text = visible_lines("\n".join(lines) + "\n")
    return plain(text) if options.ascii else text
