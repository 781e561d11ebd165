"""The graph as a self-contained SVG: a box per node (its label in lines of a monospaced font,
whose width the layout can count), an arrow per edge, a dashed frame marked × n around a
symbolic repeat's nodes. Text is escaped for XML; non-ASCII (⌊H/2⌋) stays UTF-8."""

from __future__ import annotations

from collections.abc import Sequence

from ...escapes import visible
from ...maths.printing import pretty
from .cuboid import PALETTE, Point, Solid, faces, label_at, plan
from .graph import Graph
from .layout import Box, Layout, arrivals, place

CHAR = 7.2  # px: the advance of DejaVu Sans Mono at 12 px
LINE = 15.0  # px
MARGIN = 12.0  # px
_XML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}


def xml(text: str) -> str:
    return "".join(_XML.get(c, c) for c in visible(text))


def render_svg(graph: Graph, style: str = "boxes") -> str:
    """`style` boxes: a labelled box per node; cuboids: feature maps as solids (cuboid.py)."""
    drawing = plan(graph) if style == "cuboids" else None
    layout = place(graph) if drawing is None else drawing.layout
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
    if drawing is None:
        out += _edges(_paths(graph, layout))
        out += [_box(box, node.row is None) for box, node in zip(layout.boxes, graph.nodes)]
    else:  # the arrows last: they end on the solids' lids
        out += [_box(box, node.row is None) if body is None else _solid(body, box)
                for box, node, body in zip(layout.boxes, graph.nodes, drawing.bodies)]
        out += _edges(drawing.paths)
    return "\n".join([*out, "</svg>"]) + "\n"


def _x(units: float) -> float:
    return MARGIN + units * CHAR


def _y(units: float) -> float:
    return MARGIN + units * LINE


def _box(box: Box, is_input: bool) -> str:
    left, top = _x(box.reach[0]), _y(box.y)
    fill = "#f4f4f4" if is_input else "#eef2fb"
    text = "".join(f'<tspan x="{_x(box.x):.1f}" y="{top + (k + 1.3) * LINE:.1f}"'
                   + (' font-weight="bold"' if k == 0 else "") + f">{xml(line)}</tspan>"
                   for k, line in enumerate(box.lines))
    return (f'<g><rect x="{left:.1f}" y="{top:.1f}" width="{box.width * CHAR:.1f}" '
            f'height="{box.height * LINE:.1f}" rx="4" fill="{fill}" stroke="#334466"/>'
            f'<text text-anchor="middle">{text}</text></g>')


def _paths(graph: Graph, layout: Layout) -> list[tuple[Point, ...]]:
    """Each edge from the middle of its source's bottom, through its waypoints, to its
    target's top."""
    ends = arrivals(graph, layout)
    return [((layout.boxes[a].x, layout.boxes[a].y + layout.boxes[a].height), *layout.routes[k],
             (ends[k], layout.boxes[b].y)) for k, (a, b) in enumerate(graph.edges)]


def _edges(paths: Sequence[tuple[Point, ...]]) -> list[str]:
    out = []
    for points in paths:
        path = " L ".join(f"{_x(x):.1f} {_y(y):.1f}" for x, y in points)
        out.append(f'<path d="M {path}" fill="none" stroke="#555" stroke-width="1.2" '
                   'marker-end="url(#arrow)"/>')
    return out


def _solid(body: Solid, box: Box) -> str:
    """A feature map's three faces (a vector's bar), its label to the right, left-aligned."""
    colours = PALETTE[body.family]
    if body.kind == "bar":
        shape = (f'<rect x="{_x(box.x - body.width / 2):.1f}" y="{_y(box.y):.1f}" '
                 f'width="{body.width * CHAR:.1f}" height="{body.height * LINE:.1f}" '
                 f'fill="#{colours[0]}" stroke="#334466"/>')
    else:
        shape = "".join(
            '<polygon points="' + " ".join(f"{_x(x):.1f},{_y(y):.1f}" for x, y in face)
            + f'" fill="#{colour}" stroke="#334466" stroke-linejoin="round"/>'
            for face, colour in zip(faces(body, box), colours))
    left, top = label_at(body, box)
    text = "".join(f'<tspan x="{_x(left):.1f}" y="{_y(top) + (k + 0.9) * LINE:.1f}"'
                   + (' font-weight="bold"' if k == 0 else "") + f">{xml(line)}</tspan>"
                   for k, line in enumerate(box.lines))
    return f'<g class="{body.kind}">{shape}<text>{text}</text></g>'





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
    return (min(b.reach[0] for b in boxes) - 1, min(b.y for b in boxes) - 0.5,
            max(b.reach[1] for b in boxes) + 8, max(b.y + b.height for b in boxes) + 0.5)
