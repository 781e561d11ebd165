"""derivation → text: pure functions from a Derivation to a table, JSON, Markdown or LaTeX.

In: a `Derivation` (or a `Solution`, `explain`'s layer), with `options.Options`. Out: text.
Imports analysis, solving, derivation and below; never frameworks, the API or the CLI. When
imported it gives `Derivation` its `render`, `to_dict` and Jupyter forms (`PRESENTATION`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module

from ..derivation.model import PRESENTATION, Derivation
from .options import Options


def _lazy(module: str, name: str) -> Callable[..., object]:
    """`module.name`, imported when first called: a command that prints a table does not load
    the JSON, LaTeX and HTML writers (a tenth of symconv's own start-up)."""
    def call(*args: object, **kwargs: object) -> object:
        return getattr(import_module(f"{__name__}.{module}"), name)(*args, **kwargs)
    call.__name__ = call.__qualname__ = name
    return call


FORMATS: dict[str, Callable[[Derivation, Options], str]] = {  # type: ignore[dict-item]
    "table": _lazy("table", "render_table"),
    "json": _lazy("jsonout", "render_json"),
    "markdown": _lazy("markdown", "render_markdown"),
    "latex": _lazy("latex", "render_latex"),
}


def render(derivation: Derivation, fmt: str = "table", depth: int | None = 1,
           **options: object) -> str:
    """`Derivation.render`: the derivation in one of FORMATS."""
    return FORMATS[fmt](derivation, Options(depth=depth, **options))  # type: ignore[arg-type]


# The formats whose text can be hundreds of megabytes (a deep chain's table and JSON, Θ(n²)
# characters), in pieces: the CLI writes them as they come rather than holding them whole.
CHUNKED: dict[str, Callable[[Derivation, Options], Iterator[str]]] = {  # type: ignore[dict-item]
    "table": _lazy("table", "table_chunks"),
    "json": _lazy("jsonout", "json_chunks"),
    "markdown": _lazy("markdown", "markdown_chunks"),
    "latex": _lazy("latex", "latex_chunks"),
}


def render_chunks(derivation: Derivation, fmt: str = "table", depth: int | None = 1,
                  **options: object) -> Iterator[str]:
    """`render` in pieces whose concatenation is its text. Everything is computed before the
    first piece, so an error (a formula nested too deeply to print) comes before any output."""
    chosen = Options(depth=depth, **options)  # type: ignore[arg-type]
    if fmt in CHUNKED:
        return CHUNKED[fmt](derivation, chosen)
    return iter([FORMATS[fmt](derivation, chosen)])


PRESENTATION.update(render=render, to_dict=_lazy("jsonout", "to_dict"),
                    formulas=_lazy("latex", "formulas_block"), html=_lazy("html", "render_html"))
