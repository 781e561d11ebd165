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


STYLES = ("boxes", "cuboids")


def draw(d: Derivation, fmt: str = "tikz", depth: int | None = 1,
         standalone: bool = False, style: str = "boxes") -> str:
    """The network as `fmt` text; `standalone`: TikZ as a complete document for pdflatex;
    `style` cuboids: feature maps as solids sized by their extents (TikZ and SVG: DOT leaves
    the geometry to Graphviz, and is refused rather than drawn otherwise than asked)."""
    if style not in STYLES or (style == "cuboids" and fmt == "dot"):
        raise ValueError(f"style {style!r} is not drawn in {fmt}")
    module, name = DRAW_FORMATS[fmt]
    writer: Callable[..., str] = getattr(import_module(f"{__name__}.{module}"), name)
    graph: Graph = build(d, depth)
    if fmt == "dot":
        return writer(graph)
    return writer(graph, standalone, style) if fmt == "tikz" else writer(graph, style)
