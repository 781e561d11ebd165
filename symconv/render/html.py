"""HTML for notebooks (`Derivation._repr_html_`): the summary table as the terminal prints it
(the same cells: Keras's shapes, formulas with ⌊ ⌋), in an HTML table a notebook styles as its
own. Every text is user text here: control characters made visible, then HTML-escaped."""

from __future__ import annotations

import html

from ..derivation.model import Derivation
from ..escapes import visible
from .columns import cell, columns, footer
from .common import (
    outputs_cell,
    count_cell,
    layer_label,
    note_lines,
    param_cell,
    remembered,
    requirement_lines,
    row_counts,
    title,
)
from .options import DEFAULT, Options
from .table import right_columns


def _text(text: str) -> str:
    return html.escape(visible(text))


def _row(tag: str, cells: list[str], right: set[int]) -> str:
    aligned = [f'<{tag} style="text-align: right">' if i in right else f"<{tag}>"
               for i in range(len(cells))]
    return "<tr>" + "".join(f"{a}{c}</{tag}>" for a, c in zip(aligned, cells)) + "</tr>"


def render_html(d: Derivation, options: Options = DEFAULT) -> str:
    """The table, its totals, then the conditions ("Valid when") and notes as lists."""
    torch = d.convention == "torch"
    shown = d.rows(options.depth)
    extra = columns(d, shown, options)
    right = right_columns(torch, extra)
    show = remembered()
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Buffers"] if torch else [])
    lines = [f"<p><b>{_text(title(d))}</b></p>", "<table>",
             "<thead>" + _row("th", [_text(h) for h in header + [c.header for c in extra]],
                              right) + "</thead>", "<tbody>"]
    for i, layer in enumerate(shown):
        cells = [_text(layer_label(layer)), f"<code>{_text(outputs_cell(layer, d, show))}</code>",
                 _text(param_cell(d, layer, show))]
        if torch:
            cells.append(_text(count_cell(row_counts(d, layer)[1], show)))
        cells += [f"<code>{_text(cell(c, c.values[i], show))}</code>" for c in extra]
        lines.append(_row("td", cells, right))
    lines += ["</tbody>", "</table>"]
    totals = [f"Total params: {count_cell(d.params, show)}",
              f"Trainable params: {count_cell(d.trainable, show)}",
              f"Non-trainable params: {count_cell(d.non_trainable, show)}"]
    if torch:
        totals.append(f"Buffers (not parameters): {count_cell(d.buffers, show)}")
    totals += footer(d, options, lambda e: count_cell(e, show))
    lines.append("<p>" + "<br>".join(_text(t) for t in totals) + "</p>")
    for heading, items in (("Valid when:", requirement_lines(d, show)),
                           ("Notes:", note_lines(d))):
        if items:
            lines += [f"<p>{heading}</p>", "<ul>",
                      *(f"<li>{_text(item)}</li>" for item in items), "</ul>"]
    return "\n".join(lines) + "\n"
