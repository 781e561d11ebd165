"""Markdown output: a GitHub table, formulas in code spans. Names are user text: Markdown's
punctuation and HTML are escaped (Jupyter's `_repr_markdown_` renders this), and a code span
holding a backtick gets a longer fence."""

from __future__ import annotations

from collections.abc import Iterator

from ..derivation.model import Derivation
from ..escapes import code_span, markdown
from .columns import cell, columns, footer
from .common import (
    outputs_cell,
    times_text,
    count_cell,
    in_pieces,
    packed,
    note_lines,
    param_cell,
    remembered,
    requirement_lines,
    row_counts,
    title,
)
from .options import DEFAULT, Options


def _cell(text: str) -> str:
    return code_span(text)


def _item(text: str) -> str:
    """A formula in a list item, outside the table: its `|` needs no escape."""
    return code_span(text, cell=False)


def render_markdown(d: Derivation, options: Options = DEFAULT) -> str:
    return "".join(markdown_chunks(d, options))


def markdown_chunks(d: Derivation, options: Options = DEFAULT) -> Iterator[str]:
    """The Markdown in pieces of whole lines (`render_markdown` joined), every row printed
    first; a long row kept packed (`common.packed`) until it is written."""
    depth = options.depth
    torch = d.convention == "torch"
    head = "| Layer | Type | Output shape | Params |" + (" Buffers |" if torch else "")
    rule = "|---|---|---|---:|" + ("---:|" if torch else "")
    shown = d.rows(depth)
    extra = columns(d, shown, options)
    head += "".join(f" {c.header} |" for c in extra)
    rule += "".join("---:|" if c.right else "---|" for c in extra)
    lines: list[str | bytes] = [f"**{markdown(title(d))}**", "", head, rule]
    show = remembered()
    for i, layer in enumerate(shown):
        shape = outputs_cell(layer, d, show, options.batch)
        row = (f"| {markdown(layer.name)} | {markdown(layer.type + times_text(layer))}"
               f" | {_cell(shape)} | {_cell(param_cell(d, layer, show))} |")
        if torch:
            row += f" {_cell(count_cell(row_counts(d, layer)[1], show))} |"
        row += "".join(f" {_cell(cell(c, c.values[i], show))} |" for c in extra)
        lines.append(packed(row))
    lines += ["", f"- Total params: {_item(count_cell(d.params, show))}",
              f"- Trainable params: {_item(count_cell(d.trainable, show))}",
              f"- Non-trainable params: {_item(count_cell(d.non_trainable, show))}"]
    if torch:
        lines.append(f"- Buffers (not parameters): {_item(count_cell(d.buffers, show))}")
    lines += [f"- {line}" for line in footer(d, options, lambda e: _item(count_cell(e, show)))]
    reqs = requirement_lines(d, show)
    if reqs:
        lines += ["", "Valid when:", ""] + [f"- {_item(r)}" for r in reqs]
    notes = note_lines(d, markdown)
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return in_pieces(lines)
