"""A layered layout without Graphviz: each node on the level one below its lowest source
(longest path from the inputs), top to bottom; a connection spanning several levels runs
through a waypoint on each level between (one line per source, shared by its far targets);
on a level, nodes take columns in order of first appearance, each the first free column at
or right of its sources' leftmost, waypoints after the nodes. So a chain is one column and a
skip runs beside it. Sizes are in characters and lines; each format scales them. A box may
hang off its column's axis unevenly (a cuboid on the axis, its label to its right): `Footprint`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest

from .graph import Graph
from .labels import lines

PAD_X = 2  # characters of margin inside a box, both sides together
GAP_X = 3  # characters between columns
GAP_Y = 2.0  # lines between levels
LANE = 2  # a waypoint's column width, in characters


@dataclass(frozen=True)
class Box:
    x: float  # the column's axis: the centre of a text box
    y: float  # top
    width: float
    height: float
    lines: tuple[str, ...]
    left: float  # from the axis to the left edge: half the width for a text box

    @property
    def reach(self) -> tuple[float, float]:
        """(left edge, right edge)."""
        return self.x - self.left, self.x - self.left + self.width


@dataclass(frozen=True)
class Footprint:
    """What a node takes instead of its text box: `left` of the axis, `width` in all."""

    left: float
    width: float
    height: float


@dataclass(frozen=True)
class Layout:
    boxes: tuple[Box, ...]  # one per graph node
    routes: tuple[tuple[tuple[float, float], ...], ...]  # per edge: the waypoints (x, y) between
    width: float
    height: float


def place(graph: Graph, feet: Sequence[Footprint | None] = ()) -> Layout:
    """The layout of `graph`'s text boxes, or of the footprints given (a node whose footprint
    is None keeps its text box)."""
    texts = [tuple(lines(graph, n)) for n in graph.nodes]
    sized = [Footprint(w / 2, w, len(t) + 1.0) for t in texts
             for w in (max(len(line) for line in t) + PAD_X,)]
    sized = [f or s for f, s in zip_longest(feet, sized)]
    level = _levels(graph)
    lanes, routes = _lanes(graph, level)
    column = _columns(graph, level, lanes)
    centre, right = _centres(column, sized)
    bands = _bands([f.height for f in sized], level)
    tops, bottom = _tops(bands)
    boxes = tuple(Box(centre[column[i]], tops[level[i]], f.width, f.height, texts[i], f.left)
                  for i, f in enumerate(sized))
    lane_levels = [lvl for lvl, _ in lanes]
    placed = tuple(tuple(p for k in route for p in (
        (centre[column[len(texts) + k]], tops[lane_levels[k]]),
        (centre[column[len(texts) + k]], tops[lane_levels[k]] + bands[lane_levels[k]])))
        for route in routes)
    return Layout(boxes, placed, max(right - GAP_X, 1.0), bottom)


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


def _centres(column: list[int], sized: list[Footprint]) -> tuple[dict[int, float], float]:
    """Each column's axis, the column reaching as far left and right of it as its boxes do (a
    waypoint's: `LANE` wide), and the right edge of the last."""
    reach: dict[int, tuple[float, float]] = {}
    for i, c in enumerate(column):
        left, width = (sized[i].left, sized[i].width) if i < len(sized) else (LANE / 2, LANE)
        was = reach.get(c, (LANE / 2, LANE / 2))
        reach[c] = (max(was[0], left), max(was[1], width - left))
    centre, right = {}, 0.0
    for c in sorted(reach):
        centre[c] = right + reach[c][0]
        right += sum(reach[c]) + GAP_X
    return centre, right


def _levels(graph: Graph) -> list[int]:
    """Longest path from a node without sources (the nodes come in an order where every
    source precedes its targets: the records' order)."""
    level = [0] * len(graph.nodes)
    for a, b in graph.edges:
        level[b] = max(level[b], level[a] + 1)
    return level


def _lanes(graph: Graph, level: list[int]) -> tuple[list[tuple[int, int]], list[list[int]]]:
    """The waypoints, (level, source), one per source and level crossed, and each edge's."""
    lanes: dict[tuple[int, int], int] = {}
    routes = []
    for a, b in graph.edges:
        route = []
        for lvl in range(level[a] + 1, level[b]):
            route.append(lanes.setdefault((lvl, a), len(lanes)))
        routes.append(route)
    return list(lanes), routes


def _columns(graph: Graph, level: list[int], lanes: list[tuple[int, int]]) -> list[int]:
    """Each node's then each waypoint's column: on each level, the nodes whose wanted column
    (their sources' leftmost) is free take it; then the waypoints starting a line, beside the
    chain (an inner skip inside an outer one, as a U-Net's nest); then the lines going on,
    kept straight where they can be; then the nodes pushed aside (a fan-out's branches)."""
    n = len(graph.nodes)
    before = _before(graph, level, lanes)
    column = [0] * (n + len(lanes))
    for items in _by_level(level, lanes):
        taken: set[int] = set()

        def put(item: int, c: int) -> None:
            while c in taken:
                c += 1
            taken.add(c)
            column[item] = c

        wanted = {i: min((column[p] for p in before[i]), default=0) for i in items}
        pushed = []
        for i in (i for i in items if i < n):
            if wanted[i] in taken:
                pushed.append(i)
            else:
                put(i, wanted[i])
        ways = [i for i in items if i >= n]
        for i in [*(i for i in ways if before[i][0] < n), *(i for i in ways if before[i][0] >= n),
                  *pushed]:
            put(i, wanted[i])
    return column


def _before(graph: Graph, level: list[int], lanes: list[tuple[int, int]]) -> list[list[int]]:
    """Per node, then per waypoint, what it hangs from on the level above: a source, or the
    waypoint of a source's line there."""
    n = len(graph.nodes)
    lane_of = {key: n + k for k, key in enumerate(lanes)}
    out: list[list[int]] = [[] for _ in range(n)]
    for a, b in graph.edges:
        out[b].append(lane_of.get((level[b] - 1, a), a))
    out += [[lane_of.get((lvl - 1, a), a)] for lvl, a in lanes]
    return out


def _by_level(level: list[int], lanes: list[tuple[int, int]]) -> list[list[int]]:
    """The items (nodes, then waypoints) of each level, top down, each level's in order."""
    levels: list[list[int]] = [[] for _ in range(max(level, default=0) + 1)]
    for i, lvl in enumerate(level):
        levels[lvl].append(i)
    for k, (lvl, _) in enumerate(lanes):
        levels[lvl].append(len(level) + k)
    return levels


def _bands(heights: list[float], level: list[int]) -> list[float]:
    """Each level's height: its tallest box (at least one line)."""
    bands = [1.0] * (max(level, default=0) + 1)
    for height, lvl in zip(heights, level):
        bands[lvl] = max(bands[lvl], height)
    return bands


def _tops(bands: list[float]) -> tuple[list[float], float]:
    tops, y = [], 0.0
    for band in bands:
        tops.append(y)
        y += band + GAP_Y
    return tops, y - GAP_Y
