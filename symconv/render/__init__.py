"""Stage 5: pure functions from a Derivation to text."""

from __future__ import annotations

from collections.abc import Callable

from ..derivation.model import Derivation
from .jsonout import render_json
from .latex import render_latex
from .markdown import render_markdown
from .options import Options
from .table import render_table

FORMATS: dict[str, Callable[[Derivation, Options], str]] = {
    "table": render_table,
    "json": render_json,
    "markdown": render_markdown,
    "latex": render_latex,
}
