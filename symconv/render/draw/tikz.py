"""The graph as a TikZ picture (or, `standalone`, a complete document for pdflatex that needs
no more than TikZ and amsmath: the page is cut to the picture with pdfTeX's page size, as the
`standalone` class would, which Debian's texlive-pictures does not bring). Names and types are
escaped for LaTeX; shapes and counts are formulas in math through the printer `--format
latex` uses (⌊H/2⌋ as \\lfloor H/2 \\rfloor, the batch left out as there). Positions come from
the layout (layout.py), its characters and lines scaled to a footnotesize font."""

from __future__ import annotations

from ...maths.printing_latex import latex_inline
from ..common import remembered, row_counts
from ..latex import _line_shape, _outputs, escape
from .cuboid import PALETTE, Drawing, Solid, faces, label_at, plan
from .graph import Graph, Node
from .layout import PAD_X, Box, Layout, arrivals, place
from .svg import frame

CHAR = 4.3  # pt: a character of \footnotesize, on average
LINE = 9.0  # pt: \footnotesize lines are 9.5 pt; the layout counts a box one line taller


def render_tikz(graph: Graph, standalone: bool = False, style: str = "boxes") -> str:
    """`style` boxes: a labelled box per node; cuboids: feature maps as solids (cuboid.py)."""
    drawing = plan(graph) if style == "cuboids" else None
    layout = place(graph) if drawing is None else drawing.layout
    tex = remembered(latex_inline)
    body = [r"\begin{tikzpicture}[x=1pt, y=1pt, >=stealth,",
            r"  box/.style={draw=black!70, rounded corners=2pt, fill=blue!6, align=center, "
            r"font=\footnotesize, inner sep=2pt, anchor=north},",
            r"  input/.style={box, fill=black!5}]"]
    body += _groups(graph, layout, tex)
    if drawing is None:
        body += [_node(graph, layout, i, tex) for i in range(len(graph.nodes))]
        body += _edges(graph, layout)
    else:
        body += _solids(graph, drawing, tex)
    body.append(r"\end{tikzpicture}")
    name = escape(graph.derivation.network or "network")
    if not standalone:
        return "\n".join([f"% symconv: {name} ({graph.derivation.convention} convention)",
                          r"% needs \usepackage{amsmath,tikz}", *body]) + "\n"
    return "\n".join([
        r"\documentclass{article}", r"\usepackage{amsmath}", r"\usepackage{tikz}",
        r"\newsavebox{\symconvdrawing}", r"\begin{document}",
        r"\sbox{\symconvdrawing}{%", *body, "}",
        # the page is the picture and a 6 pt border, shipped out alone (LuaTeX names the
        # page size \pagewidth)
        r"\ifdefined\pdfpagewidth\else\let\pdfpagewidth\pagewidth"
        r"\let\pdfpageheight\pageheight\fi",
        r"\pdfpagewidth=\dimexpr\wd\symconvdrawing+12pt\relax",
        r"\pdfpageheight=\dimexpr\ht\symconvdrawing+\dp\symconvdrawing+12pt\relax",
        r"\hoffset=-1in \voffset=-1in",
        r"\shipout\hbox{\kern6pt\vbox{\kern6pt\box\symconvdrawing\kern6pt}\kern6pt}",
        r"\end{document}"]) + "\n"


def _point(x: float, y: float) -> str:
    return f"({x * CHAR:.1f},{-y * LINE:.1f})"


def label(graph: Graph, node: Node, tex=latex_inline) -> str:  # type: ignore[no-untyped-def]
    """The node's lines: name, type (× n), output shape, parameters."""
    d = graph.derivation
    name = rf"\textbf{{\texttt{{{escape(node.name)}}}}}"
    if node.row is None:
        return rf"{name}\\ input\\ ${_line_shape(node.shape, tex)}$"
    row = node.row
    kind = escape(row.type)
    if row.times != 1:
        kind += rf"\ $\times {tex(row.times)}$"
    return rf"{name}\\ {kind}\\ ${_outputs(d, row, tex, None)}$\\ {_params(graph, node, tex)}"


def _params(graph: Graph, node: Node, tex) -> str:  # type: ignore[no-untyped-def]
    row = node.row
    if getattr(row, "shares", None):
        return rf"shared (\texttt{{{escape(row.shares)}}})"  # type: ignore[union-attr]
    value = row_counts(graph.derivation, row)[0]  # type: ignore[arg-type]
    tied = [rf"tied (\texttt{{{escape(t.where)}}})" for t in getattr(row, "tied", ())]
    if tied and value == 0:  # as the table: all its weights are another layer's
        return " + ".join(tied)
    return " + ".join([f"${tex(value)}$ params", *tied])


def _node(graph: Graph, layout: Layout, i: int, tex) -> str:  # type: ignore[no-untyped-def]
    node, box = graph.nodes[i], layout.boxes[i]
    style = "input" if node.row is None else "box"
    width = (box.width - PAD_X + 1) * CHAR  # half a character of the margin each side
    return (rf"\node[{style}, text width={width:.1f}pt] ({node.key}) at "
            f"{_point(box.x, box.y)} {{{label(graph, node, tex)}}};")


def _edges(graph: Graph, layout: Layout) -> list[str]:
    out = []
    ends = arrivals(graph, layout)
    for k, (a, b) in enumerate(graph.edges):
        shift = (ends[k] - layout.boxes[b].x) * CHAR
        path = [f"({graph.nodes[a].key}.south)", *(_point(x, y) for x, y in layout.routes[k]),
                f"([xshift={shift:.1f}pt]{graph.nodes[b].key}.north)"]
        out.append(r"\draw[->, black!65] " + " -- ".join(path) + ";")
    return out


def _solids(graph: Graph, drawing: Drawing, tex) -> list[str]:  # type: ignore[no-untyped-def]
    """The palette, each node's solid (or box) and label, then the arrows (last: they end on
    the solids, across their lids)."""
    out = [rf"\definecolor{{sc{family}{k}}}{{HTML}}{{{hex_}}}"
           for family, fills in PALETTE.items() for k, hex_ in enumerate(fills)]
    layout = drawing.layout
    for i, (box, body) in enumerate(zip(layout.boxes, drawing.bodies)):
        out += ([_node(graph, layout, i, tex)] if body is None
                else _solid(body, box, label(graph, graph.nodes[i], tex)))
    for (a, b), path in zip(graph.edges, drawing.paths):
        first = (f"({graph.nodes[a].key}.south)" if drawing.bodies[a] is None
                 else _point(*path[0]))
        last = (f"([xshift={(path[-1][0] - layout.boxes[b].x) * CHAR:.1f}pt]"
                f"{graph.nodes[b].key}.north)" if drawing.bodies[b] is None
                else _point(*path[-1]))
        out.append(r"\draw[->, black!65] "
                   + " -- ".join([first, *(_point(x, y) for x, y in path[1:-1]), last]) + ";")
    return out


def _solid(body: Solid, box: Box, text: str) -> list[str]:
    """A feature map's three faces (a vector's bar) and its label to the right, as wide as
    the layout counted it (TeX folds a longer line)."""
    if body.kind == "bar":
        corner, far = (box.x - body.width / 2, box.y), (box.x + body.width / 2, box.y + body.height)
        out = [rf"\filldraw[fill=sc{body.family}0, draw=black!70] {_point(*corner)} "
               rf"rectangle {_point(*far)};"]
    else:
        out = [rf"\filldraw[fill=sc{body.family}{k}, draw=black!70, line join=round] "
               + " -- ".join(_point(x, y) for x, y in face) + " -- cycle;"
               for k, face in enumerate(faces(body, box))]
    width = (max(len(line) for line in box.lines) + 1) * CHAR
    return [*out, r"\node[anchor=north west, align=left, font=\footnotesize, inner sep=0pt, "
            f"text width={width:.1f}pt] at {_point(*label_at(body, box))} {{{text}}};"]


def _groups(graph: Graph, layout: Layout, tex) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for group in graph.groups:
        left, top, right, bottom = frame(layout, group.members)
        out.append(rf"\draw[dashed, black!45] {_point(left, top)} rectangle {_point(right, bottom)};")
        out.append(rf"\node[anchor=north east, font=\footnotesize] at {_point(right, top)} "
                   rf"{{$\times {tex(group.count)}$}};")
    return out
