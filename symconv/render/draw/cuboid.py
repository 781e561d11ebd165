"""Feature maps as cuboids (`symconv draw --style cuboids`), PlotNeuralNet's habit: a node
whose output is a feature map is a box in oblique projection, its front face as tall as the
map's height and as wide as its width, its depth (drawn up and to the right) following its
channels; a 1-D map (C, L) is a flat slab, a vector (a Linear's, a Flatten's) a thin bar,
anything else (tokens, several results, a free parameter) the ordinary labelled box. Labels
stay to the right. Channels are first in the torch convention and last in Keras's (a Keras
layer given data_format="channels_first" is drawn as if they were last).

Sides are square roots of the extents, clamped (224 and 7 both visible, 2048 channels not
past the page). Symbolic extents are measured at a reference point only for the geometry
(`reference`): declared defaults, else a usual value of the size's kind (an input size 224),
checked against the derivation's conditions; the labels keep the symbols.

Lengths here are in the layout's units: lines down, characters across (`ASPECT`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import sympy
from sympy import Expr, Integer

from ...derivation.model import Derivation, LayerRecord
from ...solving.solver import kind_of
from .graph import Graph, Node
from .labels import lines
from .layout import Box, Footprint, Layout, arrivals, place

ASPECT = 0.48  # a character's width in lines (SVG 7.2/15 px, TikZ 4.3/9 pt)
SIDE = (0.6, 0.6, 12.0)  # lines per √extent, least, most
BAR = (0.12, 0.6, 12.0)  # lines per √length of a vector (25,088 and 1,000 apart)
DEPTH = (0.18, 0.3, 10.0)  # lines per √channel, least, most
OBLIQUE = 0.5  # the drawn depth, right and up, per line of depth (cabinet projection)
SLAB = 0.4  # lines: the height of a 1-D map, and of a vector's bar
GAP = 2.0  # characters between a solid and its label
USUAL = {"input size": 224, "width": 64, "kernel": 3, "stride": 2, "padding": 1,
         "cropping": 1, "dilation": 1, "depth": 1}  # a size's reference value, by kind
OTHER_INPUTS = (256, 512, 64, 32, 1024)  # tried in turn when 224 breaks a condition
FALLBACK = 16  # an extent still symbolic at the reference point (a repeat's step)
# the faces' fills (front, lid, side; lit from above left) by family, as hex for SVG and TikZ
PALETTE = {"input": ("D9D9D9", "EEEEEE", "BDBDBD"), "layer": ("F3E08F", "F9EFC4", "D9C162"),
           "pool": ("E9A0A0", "F4CCCC", "CC7373"), "vector": ("9CC3E6", "CBE0F3", "6F9FCC")}
ONE_D = re.compile(r"1[dD]$")  # Conv1d, MaxPooling1D, BatchNorm1d, …: a 1-D map's layers


@dataclass(frozen=True)
class Solid:
    """A node's drawn body: `kind` map, slab or bar (filled by `family`: input, pool, layer or
    vector); front face `width` × `height`, oblique offset (`dx`, `dy`); characters across,
    lines down."""

    kind: str
    family: str
    width: float
    height: float
    dx: float = 0.0
    dy: float = 0.0


def reference(d: Derivation) -> dict[sympy.Symbol, Integer]:
    """Each size's value for the geometry: given or declared, else its kind's usual value; the
    input sizes moved through `OTHER_INPUTS` while a condition breaks (the first point kept if
    all do: only the pictures' proportions depend on it)."""
    given = {**d.defaults, **d.subs}
    base = {s: given.get(s, max(USUAL[kind_of(d, s)], d.domain(s).least)) for s in d.sizes}
    inputs = [s for s in d.sizes if s not in given and kind_of(d, s) == "input size"]
    tries = [base, *({**base, **{s: v for s in inputs}} for v in OTHER_INPUTS if inputs)]
    points = [{d.symbol(s): Integer(v) for s, v in t.items()} for t in tries]
    return next((p for p in points if _valid(d, p)), points[0])


def _valid(d: Derivation, point: dict[sympy.Symbol, Integer]) -> bool:
    return all(r.condition.xreplace(point) is sympy.true for r in d.requires)


def _value(e: Expr | int, point: dict[sympy.Symbol, Integer]) -> float:
    v = e.xreplace(point) if isinstance(e, sympy.Basic) else Integer(e)
    return float(v) if v.is_number and v.is_real else FALLBACK


def _scaled(v: float, rule: tuple[float, float, float]) -> float:
    per, least, most = rule
    return min(most, max(least, per * math.sqrt(max(v, 0.0))))


def solids(graph: Graph) -> list[Solid | None]:
    """Each node's body, None for a node drawn as its text box."""
    d = graph.derivation
    point, flat = reference(d), _one_d(d)
    tokens = _tokens(d, flat)
    out: list[Solid | None] = []
    for node in graph.nodes:
        shapes = _outputs(node)
        if not getattr(node.row, "batched", True) or _key(d, node) in tokens:
            shapes = ()  # a free parameter, tokens: no feature map
        family = "input" if node.row is None else "pool" if "Pool" in node.type else "layer"
        shape = tuple(_value(e, point) for e in shapes[0]) if len(shapes) == 1 else ()
        out.append(_solid(shape, d.convention, family, _key(d, node) in flat))
    return out


def _outputs(node: Node) -> tuple[tuple[Expr, ...], ...]:
    """The shapes the node gives: an input's, a layer's every result, a block's output."""
    if node.row is None:
        return (node.shape,)
    return node.row.outputs if isinstance(node.row, LayerRecord) else (node.row.output_shape,)


def _solid(shape: tuple[float, ...], convention: str, family: str, one_d: bool) -> Solid | None:
    if len(shape) == 1:
        return Solid("bar", "input" if family == "input" else "vector",
                     _scaled(shape[0], BAR) / ASPECT, SLAB)
    if len(shape) == 3 or (len(shape) == 2 and one_d):
        channels, *spatial = shape if convention == "torch" else (shape[-1], *shape[:-1])
        height = _scaled(spatial[0], SIDE) if len(spatial) == 2 else SLAB
        depth = OBLIQUE * _scaled(channels, DEPTH)
        return Solid("map" if len(shape) == 3 else "slab", family,
                     _scaled(spatial[-1], SIDE) / ASPECT, height, depth / ASPECT, depth)
    return None


def _key(d: Derivation, node: Node) -> int | str:
    """The record (or input name) whose output the node shows."""
    row = node.row
    if row is None:
        return node.name
    return d.layer_positions[id(row)] if isinstance(row, LayerRecord) else row.last


def _one_d(d: Derivation) -> set[int | str]:
    """The records (and inputs) whose rank-2 output is a 1-D feature map rather than tokens:
    a 1-D layer's output and input, and what a layer keeping such a map's shape (an
    activation, a norm) makes of it."""
    found: set[int | str] = set()
    shapes: dict[int | str, tuple[Expr, ...]] = dict(d.inputs)
    for i, layer in enumerate(d.layers):
        shapes[i] = layer.output_shape
        if len(layer.output_shape) != 2:
            continue
        if ONE_D.search(layer.type):
            found.add(i)
            found.update(o for o in _origins(layer) if len(shapes.get(o, ())) == 2)
        elif any(o in found and shapes[o] == layer.output_shape for o in _origins(layer)):
            found.add(i)
    return found


def _tokens(d: Derivation, one_d: set[int | str]) -> set[int | str]:
    """The records (and inputs) holding tokens: a rank-2 tensor not a 1-D map, and a rank-3
    one made from tokens (attention's heads, (L, heads, d/heads)), which is no feature map."""
    found: set[int | str] = {name for name, shape in d.inputs
                             if len(shape) == 2 and name not in one_d}
    for i, layer in enumerate(d.layers):
        rank = len(layer.output_shape)
        if (rank == 2 and i not in one_d) or (rank == 3 and found.intersection(_origins(layer))):
            found.add(i)
    return found


def _origins(layer: LayerRecord) -> list[int | str]:
    """The records (or inputs) the layer reads, one for each of a call's several results."""
    return [s[0] if isinstance(s, tuple) else s for s in layer.sources]


def footprints(graph: Graph, bodies: list[Solid | None]) -> list[Footprint | None]:
    """Each solid with its label to its right: the axis through its front face's middle."""
    out: list[Footprint | None] = []
    for body, node in zip(bodies, graph.nodes):
        if body is None:
            out.append(None)
            continue
        text = lines(graph, node)
        wide = body.width + body.dx + GAP + max(len(line) for line in text)
        out.append(Footprint(body.width / 2, wide, body.dy + max(body.height, len(text) + 0.5)))
    return out


Point = tuple[float, float]


def faces(body: Solid, box: Box) -> tuple[tuple[Point, ...], ...]:
    """The front face, the lid and the right side (corners in layout units), in drawing order:
    the oblique faces only meet the front along its top and right edges, so none hides
    another whichever comes last."""
    left, right, top = box.x - body.width / 2, box.x + body.width / 2, box.y + body.dy
    bottom = top + body.height
    front = ((left, top), (right, top), (right, bottom), (left, bottom))
    lid = ((left, top), (left + body.dx, box.y), (right + body.dx, box.y), (right, top))
    side = ((right, top), (right + body.dx, box.y), (right + body.dx, box.y + body.height),
            (right, bottom))
    return front, lid, side


def label_at(body: Solid, box: Box) -> Point:
    """The top left corner of the label: right of the solid, level with its front face's top
    (an arrow coming down onto the front face from the right, a skip, then passes above it)."""
    return box.x + body.width / 2 + body.dx + GAP, box.y + body.dy


@dataclass(frozen=True)
class Drawing:
    """The layout of the solids and their labels, and each edge's whole path."""

    layout: Layout
    bodies: tuple[Solid | None, ...]
    paths: tuple[tuple[Point, ...], ...]


def plan(graph: Graph) -> Drawing:
    bodies = solids(graph)
    layout = place(graph, footprints(graph, bodies))
    return Drawing(layout, tuple(bodies), _paths(graph, layout, bodies))


def _paths(graph: Graph, layout: Layout,
           bodies: list[Solid | None]) -> tuple[tuple[Point, ...], ...]:
    """Out of the bottom of the source's front face (a text box's bottom), through the
    layout's waypoints, onto the top of the target's front face across its lid (a text box's
    top): a chain's arrows straight down; the edges into one node spread across it as for text
    boxes (a solid's front face standing for the box)."""
    boxes = layout.boxes
    narrowed = tuple(box if body is None else replace(box, width=body.width, left=body.width / 2)
                     for box, body in zip(boxes, bodies))
    across = arrivals(graph, replace(layout, boxes=narrowed))
    out = []
    for k, (a, b) in enumerate(graph.edges):
        source, target = bodies[a], bodies[b]
        low = boxes[a].height if source is None else source.dy + source.height
        end = (across[k], boxes[b].y + (0.0 if target is None else target.dy))
        out.append(((boxes[a].x, boxes[a].y + low), *layout.routes[k], end))
    return tuple(out)
