"""`symconv draw`: every example drawn in every format. DOT has one node per shown row and
input and one edge per connection (counted here from the records' sources, or by hand); SVG
parses as XML and carries the labels; TikZ compiles with pdflatex and its labels are read back
from the PDF (issue 20)."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

import pytest
import test_latex
from test_latex import pdf_text

import symconv
from symconv.cli.commands import main
from symconv.derivation.model import Derivation
from symconv.render.draw import draw

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.arch"))
FORMATS = ("dot", "svg", "tikz")
pdflatex = test_latex.pdflatex  # the fixture: skips without pdflatex, fails on CI


@lru_cache(maxsize=None)
def derived(name: str) -> Derivation:
    return symconv.derive(ROOT / "examples" / f"{name}.arch")


def dot_graph(text: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The node ids with their labels, and the edges, of the DOT text."""
    nodes = dict(re.findall(r'^\s+(\w+) \[label="((?:[^"\\]|\\.)*)"', text, re.M))
    edges = re.findall(r"^\s+(\w+) -> (\w+);$", text, re.M)
    return nodes, edges


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_draws_the_same_every_time(name: str, fmt: str) -> None:
    d = derived(name)
    first = draw(d, fmt, 1)
    assert first and first == draw(d, fmt, 1)


@pytest.mark.parametrize("name", EXAMPLES)
def test_dot_has_a_node_per_row_and_an_edge_per_connection(name: str) -> None:
    """At depth all every record is a node, so the connections are the distinct (record it
    comes from, record) pairs of the sources, a network input counted as a node."""
    d = derived(name)
    nodes, edges = dot_graph(draw(d, "dot", None))
    assert len(nodes) == len(d.layers) + len(d.inputs)
    pairs = {(s[0] if isinstance(s, tuple) else s, i) for i, layer in enumerate(d.layers)
             for s in layer.sources}
    assert len(edges) == len(set(edges)) == len(pairs)
    folded, folded_edges = dot_graph(draw(d, "dot", 1))
    assert len(folded) == len(d.rows(1)) + len(d.inputs)
    assert all(a in folded and b in folded and a != b for a, b in folded_edges)


# (example, depth, shown nodes, connections), counted by hand from the .arch files
HAND_COUNTED = [
    ("mnist_cnn", 1, 8, 7),  # input and a chain of seven layers
    ("resnet50", 1, 12, 11),  # stem, four stages folded, head: a chain
    ("unet2_torch", 1, 13, 14),  # a chain of 12 edges, and two skips into the cats
    ("transformer_block_torch", 1, 2, 1),
]


@pytest.mark.parametrize("name, depth, nodes, edges", HAND_COUNTED,
                         ids=[row[0] for row in HAND_COUNTED])
def test_dot_counts_by_hand(name: str, depth: int, nodes: int, edges: int) -> None:
    found, connections = dot_graph(draw(derived(name), "dot", depth))
    assert (len(found), len(connections)) == (nodes, edges)


TWO_INPUTS = """convention keras
sizes L, d
input a: (L, d)
input b: (L, d)
shared proj = Dense(d)
pa = proj(a)
pb = proj(b)
s = Add()([pa, pb])
Dense(1, name="out")(s)
"""


def test_two_inputs_and_a_shared_layer() -> None:
    """Two inputs, the shared Dense applied to each (two boxes, the second marked shared), the
    sum and the head: 6 boxes, 5 arrows."""
    nodes, edges = dot_graph(draw(symconv.derive(TWO_INPUTS), "dot", 1))
    assert (len(nodes), len(edges)) == (6, 5)
    labels = sorted(nodes.values())
    assert "dense\\nDense\\n(None, L, d)\\nshared (dense)" in labels
    assert "dense\\nDense\\n(None, L, d)\\nd*(d + 1) params" in labels


def test_unet_skips_join_the_encoder_to_the_concatenations() -> None:
    nodes, edges = dot_graph(draw(derived("unet2_torch"), "dot", 1))
    named = {(nodes[a].split("\\n")[0], nodes[b].split("\\n")[0]) for a, b in edges}
    assert {("enc2", "cat"), ("up2", "cat"), ("enc1", "cat_1"), ("up1", "cat_1")} <= named
    assert ("x", "enc1") in named


def test_dot_escapes_quotes_and_backslashes() -> None:
    from symconv.render.draw.dot import quoted

    assert quoted('a "b" \\ c') == '"a \\"b\\" \\\\ c"'


def svg_text(text: str) -> str:
    root = ET.fromstring(text.encode("utf-8"))
    return "\n".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_svg_is_xml_with_the_labels(name: str) -> None:
    d = derived(name)
    text = svg_text(draw(d, "svg", 1))
    row = d.rows(1)[-1]
    assert row.name in text and "params" in text


SVG = "{http://www.w3.org/2000/svg}"
Rect = tuple[float, float, float, float]


def svg_boxes(root: ET.Element) -> list[Rect]:
    """(left, top, right, bottom) of every node's box (a <rect> in a <g>)."""
    out = []
    for g in root.iter(f"{SVG}g"):
        r = g.find(f"{SVG}rect")
        assert r is not None
        x, y, w, h = (float(r.get(k, "nan")) for k in ("x", "y", "width", "height"))
        out.append((x, y, x + w, y + h))
    return out


def touches(point: tuple[float, float], boxes: list[Rect], side: int) -> bool:
    """Whether the point lies on the top (side 1) or bottom (side 3) of one of the boxes."""
    x, y = point
    return any(abs(b[side] - y) < 0.2 and b[0] <= x <= b[2] for b in boxes)


@pytest.mark.parametrize("name, depth", [*((n, 1) for n in EXAMPLES), ("resnet50", None),
                                         ("gpt2", None), ("nasnet_mobile_keras", None)])
def test_svg_boxes_do_not_overlap_and_arrows_join_them(name: str, depth: int | None) -> None:
    root = ET.fromstring(draw(derived(name), "svg", depth).encode("utf-8"))
    boxes = svg_boxes(root)
    assert len(boxes) == len(derived(name).rows(depth)) + len(derived(name).inputs)
    ordered = sorted(boxes, key=lambda b: b[1])
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b[1] >= a[3]:
                break  # every later box starts below this one
            assert a[2] <= b[0] or b[2] <= a[0], (a, b)
    for path in root.iter(f"{SVG}path"):
        if path.get("marker-end"):
            points = re.findall(r"(-?[\d.]+) (-?[\d.]+)", path.get("d", ""))
            first, last = (tuple(map(float, p)) for p in (points[0], points[-1]))
            assert touches(first, boxes, 3) and touches(last, boxes, 1), path.get("d")


# (example, --subs, texts the drawing must show), from the .arch files and published counts
SVG_LABELS = [
    ("unet2_torch", {}, ["enc1", "DoubleConv", "⌊H/2⌋", "classes*(base + 1) params"]),
    ("mnist_cnn", {"H": 28, "W": 28}, ["conv2d_1", "(None, 13, 13, 32)", "18,496 params"]),
    ("resnet18", {"H": 224, "W": 224}, ["fc", "(N, 1000)", "513,000 params"]),
]


@pytest.mark.parametrize("name, subs, labels", SVG_LABELS, ids=[row[0] for row in SVG_LABELS])
def test_svg_labels(name: str, subs: dict[str, int], labels: list[str]) -> None:
    d = symconv.derive(ROOT / "examples" / f"{name}.arch", subs=subs) if subs else derived(name)
    text = svg_text(draw(d, "svg", 1))
    for label in labels:
        assert label in text


def test_svg_escapes_markup_in_names() -> None:
    d = symconv.derive("convention torch\nsizes L\ninput (4, L)\n"
                       'Conv1d(4, 8, 3, name="a<b&c")\n')
    text = draw(d, "svg", 1)
    assert "a&lt;b&amp;c" in text and "a<b" not in text
    ET.fromstring(text.encode("utf-8"))


# (example, depth, texts the PDF must show): names, a symbolic shape, a parameter count
TIKZ = [
    ("resnet50", 1, ["conv1", "layer4", "(base, ⌈H/2⌉, ⌈W/2⌉)", "147 · base params"]),
    ("unet2_torch", 1, ["enc1", "cat_1", "⌊H/2⌋", "classes · (base + 1) params"]),
    ("transformer_block_torch", 1, ["TransformerEncoderLayer", "(L, dmodel", "ff params"]),
    ("mobilenetv2_torch", 2, ["features", "classifier", "⌈H/32⌉"]),
]


@pytest.mark.parametrize("name, depth, labels", TIKZ, ids=[row[0] for row in TIKZ])
def test_tikz_compiles_with_its_labels(name: str, depth: int, labels: list[str],
                                       pdflatex: None, tmp_path: Path) -> None:
    text = pdf_text(draw(derived(name), "tikz", depth, standalone=True), tmp_path)
    flat = " ".join(text.replace("_", " ").split())  # \_ in \texttt reads back as a space
    for label in labels:
        assert label.replace("_", " ") in flat, label


def test_draw_command_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "unet.dot"
    assert main(["draw", str(ROOT / "examples" / "unet2_torch.arch"), "-f", "dot",
                 "--subs", "H=64,W=64", "-o", str(out)]) == 0
    assert "(N, 64, 32, 32)" in out.read_text(encoding="utf-8")


def test_derive_does_not_load_the_drawing_code() -> None:
    probe = ("import os, sys; from symconv.cli.commands import main; "
             "main(['derive', 'examples/mnist_cnn.arch', '-o', os.devnull]); "
             "print('symconv.render.draw' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert run.stdout.strip() == "False"
