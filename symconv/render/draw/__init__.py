"""derivation → a drawing of the network: DOT, SVG or TikZ (`symconv draw`).

The graph (graph.py: the table's rows at a depth, the connections between them) is laid out
here (layout.py: layered, top to bottom, no Graphviz needed) and written by one module per
format. Imported only by the draw command: `derive`'s start-up does not load it."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from ...derivation.model import Derivation
from .graph import Graph, build

DRAW_FORMATS: dict[str, tuple[str, str]] = {
    "dot": ("dot", "render_dot"), "svg": ("svg", "render_svg"), "tikz": ("tikz", "render_tikz")}


def draw(d: Derivation, fmt: str = "tikz", depth: int | None = 1,
         standalone: bool = False) -> str:
    """The network as `fmt` text; `standalone`: TikZ as a complete document for pdflatex."""
    module, name = DRAW_FORMATS[fmt]
    writer: Callable[..., str] = getattr(import_module(f"{__name__}.{module}"), name)
    graph: Graph = build(d, depth)
    return writer(graph, standalone) if fmt == "tikz" else writer(graph)
