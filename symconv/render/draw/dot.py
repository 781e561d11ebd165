"""The graph as Graphviz DOT: one node per shown row and input, one edge per connection, a
symbolic repeat's nodes in a cluster labelled × n. Graphviz lays it out itself."""

from __future__ import annotations

from ...maths.printing import pretty
from .graph import Graph
from .labels import lines


def quoted(text: str) -> str:
    """A DOT string: backslash and double quote escaped; a line break written as DOT's \\n."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render_dot(graph: Graph) -> str:
    d = graph.derivation
    out = [f"digraph {quoted(d.network or 'network')} {{", "  rankdir=TB;",
           '  node [shape=box, style="rounded,filled", fillcolor="#eef2fb", '
           'fontname="DejaVu Sans Mono", fontsize=10];',
           '  edge [color="#555555"];']
    home = {m: k for k, g in enumerate(graph.groups) for m in g.members}  # the innermost
    out += [_node(graph, i) for i in range(len(graph.nodes)) if i not in home]
    for k, group in enumerate(graph.groups):
        out += [f"  subgraph cluster_repeat{k} {{",
                f"    label={quoted('× ' + pretty(group.count))}; style=dashed;",
                *("  " + _node(graph, i) for i in group.members if home[i] == k), "  }"]
    out += [f"  {graph.nodes[a].key} -> {graph.nodes[b].key};" for a, b in graph.edges]
    return "\n".join([*out, "}"]) + "\n"


def _node(graph: Graph, i: int) -> str:
    node = graph.nodes[i]
    colour = ', fillcolor="#f4f4f4"' if node.row is None else ""
    return f"  {node.key} [label={quoted(chr(10).join(lines(graph, node)))}{colour}];"
