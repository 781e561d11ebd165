"""derivation → text: pure functions from a Derivation to a table, JSON, Markdown or LaTeX.

In: a `Derivation` (or a `Solution`, `explain`'s layer), with `options.Options`. Out: text.
Imports analysis, solving, derivation and below; never frameworks, the API or the CLI. When
imported it gives `Derivation` its `render`, `to_dict` and Jupyter forms (`PRESENTATION`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..derivation.model import PRESENTATION, Derivation
from .html import render_html
from .jsonout import json_chunks, render_json, to_dict
from .latex import formulas_block, latex_chunks, render_latex
from .markdown import markdown_chunks, render_markdown
from .options import Options
from .table import render_table, table_chunks

FORMATS: dict[str, Callable[[Derivation, Options], str]] = {
    "table": render_table,
    "json": render_json,
    "markdown": render_markdown,
    "latex": render_latex,
}


def render(derivation: Derivation, fmt: str = "table", depth: int | None = 1,
           **options: object) -> str:
    """`Derivation.render`: the derivation in one of FORMATS."""
    return FORMATS[fmt](derivation, Options(depth=depth, **options))  # type: ignore[arg-type]


# The formats whose text can be hundreds of megabytes (a deep chain's table and JSON, Θ(n²)
# characters), in pieces: the CLI writes them as they come rather than holding them whole.
CHUNKED: dict[str, Callable[[Derivation, Options], Iterator[str]]] = {
    "table": table_chunks,
    "json": json_chunks,
    "markdown": markdown_chunks,
    "latex": latex_chunks,
}


def render_chunks(derivation: Derivation, fmt: str = "table", depth: int | None = 1,
                  **options: object) -> Iterator[str]:
    """`render` in pieces whose concatenation is its text. Everything is computed before the
    first piece, so an error (a formula nested too deeply to print) comes before any output."""
    chosen = Options(depth=depth, **options)  # type: ignore[arg-type]
    if fmt in CHUNKED:
        return CHUNKED[fmt](derivation, chosen)
    return iter([FORMATS[fmt](derivation, chosen)])


PRESENTATION.update(render=render, to_dict=to_dict, formulas=formulas_block, html=render_html)
