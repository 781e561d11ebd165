"""The graph as a self-contained SVG: a box per node (its label in lines of a monospaced font,
whose width the layout can count), an arrow per edge, a dashed frame marked × n around a
symbolic repeat's nodes. Text is escaped for XML; non-ASCII (⌊H/2⌋) stays UTF-8."""

from __future__ import annotations

from ...escapes import visible
from ...maths.printing import pretty
from .graph import Graph
from .layout import Box, Layout, place

CHAR = 7.2  # px: the advance of DejaVu Sans Mono at 12 px
LINE = 15.0  # px
MARGIN = 12.0  # px
_XML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}


def xml(text: str) -> str:
    return "".join(_XML.get(c, c) for c in visible(text))


def render_svg(graph: Graph) -> str:
    layout = place(graph)
    width, height = _x(layout.width) + MARGIN, _y(layout.height) + MARGIN
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans Mono, monospace" '
           'font-size="12">',
           f"<title>{xml(graph.derivation.network or 'network')}</title>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/>'
           "</marker></defs>",
           '<rect width="100%" height="100%" fill="white"/>']
    out += _groups(graph, layout)
    out += _edges(graph, layout)
    out += [_box(box, node.row is None) for box, node in zip(layout.boxes, graph.nodes)]
    return "\n".join([*out, "</svg>"]) + "\n"


def _x(units: float) -> float:
    return MARGIN + units * CHAR


def _y(units: float) -> float:
    return MARGIN + units * LINE


def _box(box: Box, is_input: bool) -> str:
    left, top = _x(box.x - box.width / 2), _y(box.y)
    fill = "#f4f4f4" if is_input else "#eef2fb"
    text = "".join(f'<tspan x="{_x(box.x):.1f}" y="{top + (k + 1.3) * LINE:.1f}"'
                   + (' font-weight="bold"' if k == 0 else "") + f">{xml(line)}</tspan>"
                   for k, line in enumerate(box.lines))
    return (f'<g><rect x="{left:.1f}" y="{top:.1f}" width="{box.width * CHAR:.1f}" '
            f'height="{box.height * LINE:.1f}" rx="4" fill="{fill}" stroke="#334466"/>'
            f'<text text-anchor="middle">{text}</text></g>')


def arrivals(graph: Graph, layout: Layout) -> list[float]:
    """Where each edge enters its target's top, in layout units: the edges into one node spread
    along its top, ordered by where they come from, so that arrows do not overlap."""
    into: dict[int, list[int]] = {}
    for k, (_, b) in enumerate(graph.edges):
        into.setdefault(b, []).append(k)
    out = [0.0] * len(graph.edges)
    for b, edges in into.items():
        edges.sort(key=lambda k: (_last_x(layout, k, graph), k))
        box = layout.boxes[b]
        step = min(2.0, box.width / (len(edges) + 1))
        for i, k in enumerate(edges):
            out[k] = box.x + (i - (len(edges) - 1) / 2) * step
    return out


def _last_x(layout: Layout, k: int, graph: Graph) -> float:
    route = layout.routes[k]
    return route[-1][0] if route else layout.boxes[graph.edges[k][0]].x


def _edges(graph: Graph, layout: Layout) -> list[str]:
    out = []
    ends = arrivals(graph, layout)
    for k, (a, b) in enumerate(graph.edges):
        start = layout.boxes[a]
        points = [(start.x, start.y + start.height), *layout.routes[k], (ends[k], layout.boxes[b].y)]
        path = " L ".join(f"{_x(x):.1f} {_y(y):.1f}" for x, y in points)
        out.append(f'<path d="M {path}" fill="none" stroke="#555" stroke-width="1.2" '
                   'marker-end="url(#arrow)"/>')
    return out


def _groups(graph: Graph, layout: Layout) -> list[str]:
    out = []
    for group in graph.groups:
        left, top, right, bottom = frame(layout, group.members)
        out.append(f'<rect x="{_x(left):.1f}" y="{_y(top):.1f}" width="{(right - left) * CHAR:.1f}" '
                   f'height="{(bottom - top) * LINE:.1f}" fill="none" stroke="#888" '
                   'stroke-dasharray="5 3"/>')
        out.append(f'<text x="{_x(right) - 4:.1f}" y="{_y(top) + LINE:.1f}" text-anchor="end" '
                   f'fill="#555">{xml("× " + pretty(group.count))}</text>')
    return out


def frame(layout: Layout, members: tuple[int, ...]) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) around the boxes, with room for the × n label at the right."""
    boxes = [layout.boxes[m] for m in members]
    return (min(b.x - b.width / 2 for b in boxes) - 1, min(b.y for b in boxes) - 0.5,
            max(b.x + b.width / 2 for b in boxes) + 8, max(b.y + b.height for b in boxes) + 0.5)
