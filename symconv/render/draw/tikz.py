"""The graph as a TikZ picture (or, `standalone`, a complete document for pdflatex that needs
no more than TikZ and amsmath: the page is cut to the picture with pdfTeX's page size, as the
`standalone` class would, which Debian's texlive-pictures does not bring). Names and types are
escaped for LaTeX; shapes and counts are formulas in math through the printer `--format
latex` uses (⌊H/2⌋ as \\lfloor H/2 \\rfloor, the batch left out as there). Positions come from
the layout (layout.py), its characters and lines scaled to a footnotesize font."""

from __future__ import annotations

from ...maths.printing import latex_inline
from ..common import remembered, row_counts
from ..latex import _line_shape, _outputs, escape
from .graph import Graph, Node
from .layout import PAD_X, Layout, place
from .svg import arrivals, frame

CHAR = 4.3  # pt: a character of \footnotesize, on average
LINE = 9.0  # pt: \footnotesize lines are 9.5 pt; the layout counts a box one line taller


def render_tikz(graph: Graph, standalone: bool = False) -> str:
    layout = place(graph)
    tex = remembered(latex_inline)
    body = [r"\begin{tikzpicture}[x=1pt, y=1pt, >=stealth,",
            r"  box/.style={draw=black!70, rounded corners=2pt, fill=blue!6, align=center, "
            r"font=\footnotesize, inner sep=2pt, anchor=north},",
            r"  input/.style={box, fill=black!5}]"]
    body += _groups(graph, layout, tex)
    body += [_node(graph, layout, i, tex) for i in range(len(graph.nodes))]
    body += _edges(graph, layout)
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


def _groups(graph: Graph, layout: Layout, tex) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for group in graph.groups:
        left, top, right, bottom = frame(layout, group.members)
        out.append(rf"\draw[dashed, black!45] {_point(left, top)} rectangle {_point(right, bottom)};")
        out.append(rf"\node[anchor=north east, font=\footnotesize] at {_point(right, top)} "
                   rf"{{$\times {tex(group.count)}$}};")
    return out
