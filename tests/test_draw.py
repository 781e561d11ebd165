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
SVG = "{http://www.w3.org/2000/svg}"
pdflatex = test_latex.pdflatex  # the fixture: skips without pdflatex, fails on CI


@lru_cache(maxsize=None)
def derived(name: str) -> Derivation:
    return symconv.derive(ROOT / "examples" / f"{name}.arch")


def dot_graph(text: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The node ids with their labels, and the edges, of the DOT text."""
    nodes = dict(re.findall(r'^\s+(\w+) \[label="((?:[^"\\]|\\.)*)"', text, re.M))
    edges = re.findall(r"^\s+(\w+) -> (\w+);$", text, re.M)
    return nodes, edges


STYLED = [*((f, "boxes") for f in FORMATS), ("svg", "cuboids"), ("tikz", "cuboids")]


@pytest.mark.parametrize("fmt, style", STYLED, ids=[f"{f}-{s}" for f, s in STYLED])
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_draws_the_same_every_time(name: str, fmt: str, style: str) -> None:
    d = derived(name)
    first = draw(d, fmt, 1, style=style)
    assert first and first == draw(d, fmt, 1, style=style)


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
    return "\n".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_svg_is_xml_with_the_labels(name: str) -> None:
    d = derived(name)
    text = svg_text(draw(d, "svg", 1))
    row = d.rows(1)[-1]
    assert row.name in text and "params" in text


Rect = tuple[float, float, float, float]


def svg_boxes(root: ET.Element) -> list[Rect]:
    """(left, top, right, bottom) of every node's box (a <rect> in a <g> of no class)."""
    out = []
    for g in root.iter(f"{SVG}g"):
        if g.get("class"):
            continue
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


# -- --style cuboids: feature maps as solids (issue 20's "Feature maps") -------------------------

def solids(text: str) -> list[tuple[str, str, list[ET.Element], float]]:
    """(class, name, shapes, where its label starts across) of every solid in the SVG: a <g>
    of class map, slab or bar."""
    out = []
    for g in ET.fromstring(text.encode("utf-8")).iter(f"{SVG}g"):
        if g.get("class"):
            first = next(g.iter(f"{SVG}tspan"))
            out.append((g.get("class", ""), "".join(first.itertext()),
                        [*g.findall(f"{SVG}polygon"), *g.findall(f"{SVG}rect")],
                        float(first.get("x", "nan"))))
    return out


# (example, depth, feature maps, 1-D maps, vectors, plain boxes), from the .arch files: a
# rank-3 output is a map, a rank-2 one a slab after a 1-D layer, a rank-1 one a vector's bar;
# tokens, a free parameter and what comes of them stay boxes
KINDS = [
    ("vgg16", 1, 6, 0, 4, 0),  # input and 5 blocks; flatten, fc1, fc2, predictions
    ("mnist_cnn", 1, 5, 0, 3, 0),  # input, 2 convolutions, 2 pools; flatten, dropout, dense
    ("unet2_torch", 1, 13, 0, 0, 0),  # every tensor a (C, H, W) map
    ("conv1d_seed", 1, 0, 4, 0, 0),  # an (L, C) input and three 1-D layers
    ("vit_b16", 1, 2, 0, 2, 6),  # image, patches; class token, expand, reshape, permute, cat,
                                 # encoder as boxes; select, heads as bars
    ("transformer_block_torch", 1, 0, 0, 0, 2),  # tokens only
    ("resnet50", 1, 10, 0, 2, 0),  # input, stem (4), 4 stages, avgpool; flatten, fc
]


@pytest.mark.parametrize("name, depth, maps, slabs, bars, boxes", KINDS,
                         ids=[row[0] for row in KINDS])
def test_cuboids_draw_each_feature_map_with_three_faces(name: str, depth: int, maps: int,
                                                         slabs: int, bars: int,
                                                         boxes: int) -> None:
    d = derived(name)
    text = draw(d, "svg", depth, style="cuboids")
    found = solids(text)
    kinds = [kind for kind, *_ in found]
    assert (kinds.count("map"), kinds.count("slab"), kinds.count("bar")) == (maps, slabs, bars)
    assert all(len(shapes) == (1 if kind == "bar" else 3) for kind, _, shapes, _ in found)
    root = ET.fromstring(text.encode("utf-8"))
    assert len(root.findall(f".//{SVG}polygon")) == 3 * (maps + slabs)
    assert len(svg_boxes(root)) == boxes
    labels = svg_text(text)
    assert all(row.name in labels for row in d.rows(depth))


def corners(shapes: list[ET.Element]) -> list[tuple[float, float]]:
    points = [tuple(map(float, p.split(","))) for s in shapes
              for p in s.get("points", "").split()]
    for r in (s for s in shapes if s.tag == f"{SVG}rect"):
        x, y, w, h = (float(r.get(k, "nan")) for k in ("x", "y", "width", "height"))
        points += [(x, y), (x + w, y + h)]
    return points  # type: ignore[return-value]


@pytest.mark.parametrize("name", ["vgg16", "unet2_torch", "resnet50", "vit_b16", "conv1d_seed"])
def test_cuboid_labels_stand_right_of_their_solids_and_solids_apart(name: str) -> None:
    spans = []
    for _, _, shapes, label_x in solids(draw(derived(name), "svg", 1, style="cuboids")):
        xs, ys = zip(*corners(shapes))
        assert label_x > max(xs)
        spans.append((min(xs), min(ys), max(xs), max(ys)))
    for i, a in enumerate(spans):
        for b in spans[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def fronts(text: str) -> dict[str, tuple[float, float, float]]:
    """Each solid's front face (width, height) and the height of its lid (the depth drawn
    upwards), in px, by name."""
    out = {}
    for kind, name, shapes, _ in solids(text):
        if kind == "bar":
            continue
        front, lid = ([tuple(map(float, p.split(","))) for p in s.get("points", "").split()]
                      for s in shapes[:2])
        out[name] = (front[1][0] - front[0][0], front[2][1] - front[0][1],
                     lid[0][1] - lid[1][1])
    return out


def test_cuboid_sides_follow_extents_by_hand() -> None:
    """VGG16 at 224: heights for 224, 112, 56, 28, 14, 7 on a square-root scale (0.6 lines of
    15 px per √extent: 134.7 px for 224, 23.8 px for 7, each half the one two blocks up);
    depths for 3, 64, 128, 256, 512, 512 channels (half of 0.18 lines per √channel: 2.34,
    10.8, 15.3, 21.6, 30.5, 30.5 px)."""
    sizes = fronts(draw(symconv.derive(ROOT / "examples" / "vgg16.arch",
                                       subs={"H": 224, "W": 224}), "svg", 1, style="cuboids"))
    order = ["input", "block1", "block2", "block3", "block4", "block5"]
    heights = [sizes[n][1] for n in order]
    depths = [sizes[n][2] for n in order]
    assert heights == pytest.approx([134.7, 95.2, 67.3, 47.6, 33.7, 23.8], abs=0.15)
    assert depths == pytest.approx([2.34, 10.8, 15.3, 21.6, 30.5, 30.5], abs=0.15)
    assert all(sizes[n][0] == pytest.approx(sizes[n][1] / 15 / 0.48 * 7.2, abs=0.15)
               for n in order)  # square: W = H, a character 0.48 lines wide


def test_cuboids_symbolic_extents_are_measured_at_224_and_labelled_in_symbols() -> None:
    """Without --subs, H and W (input sizes) are 224 for the geometry only: the same solids
    as with H=W=224, the labels still ⌊H/2⌋."""
    symbolic = draw(derived("vgg16"), "svg", 1, style="cuboids")
    numeric = draw(symconv.derive(ROOT / "examples" / "vgg16.arch", subs={"H": 224, "W": 224}),
                   "svg", 1, style="cuboids")
    assert fronts(symbolic) == fronts(numeric)
    assert "⌊H/2⌋" in svg_text(symbolic) and "(None, 112, 112, 64)" in svg_text(numeric)


CLAMPED = """convention torch
sizes H, C
input (C, H, H)
Conv2d(C, C, 1, name="same")
"""

# (H, C, front height px, lid height px): 0.6·√H lines within 0.6..12, half of 0.18·√C lines
# within 0.3..10, 15 px a line
SCALE = [
    ("least", 1, 1, 9.0, 2.25),
    ("middle", 7, 2048, 23.8, 61.1),
    ("most", 100_000, 100_000, 180.0, 75.0),
]


@pytest.mark.parametrize("h, c, height, lid", [row[1:] for row in SCALE],
                         ids=[row[0] for row in SCALE])
def test_cuboid_scale_is_clamped(h: int, c: int, height: float, lid: float) -> None:
    sizes = fronts(draw(symconv.derive(CLAMPED, subs={"H": h, "C": c}), "svg", 1,
                        style="cuboids"))
    assert sizes["same"][1:] == pytest.approx((height, lid), abs=0.15)


def test_mnist_cuboids_shrink_with_the_pools() -> None:
    """MNIST at 28: 26, 13, 11, 5 high (√ scale: 13 is 26 over √2), 32 then 64 channels."""
    sizes = fronts(draw(symconv.derive(ROOT / "examples" / "mnist_cnn.arch",
                                       subs={"H": 28, "W": 28}), "svg", 1, style="cuboids"))
    h = [sizes[n][1] for n in ("conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1")]
    assert h[0] / h[1] == pytest.approx(2 ** 0.5, rel=0.01)
    assert h[0] > h[1] > h[2] > h[3]
    assert sizes["conv2d_1"][2] / sizes["conv2d"][2] == pytest.approx(2 ** 0.5, rel=0.01)


# (example, texts the PDF must show) in --style cuboids
TIKZ_CUBOIDS = [
    # fc2: 4096 · 4097 parameters
    ("vgg16", ["block1", "predictions", "(⌊H/32⌋, ⌊W/32⌋, 512)", "16781312 params"]),
    ("unet2_torch", ["enc1", "cat 1", "bottleneck", "(4 · base, ⌊H/4⌋, ⌊W/4⌋)"]),
]


@pytest.mark.parametrize("name, labels", TIKZ_CUBOIDS, ids=[row[0] for row in TIKZ_CUBOIDS])
def test_tikz_cuboids_compile_with_their_labels(name: str, labels: list[str], pdflatex: None,
                                                tmp_path: Path) -> None:
    text = pdf_text(draw(derived(name), "tikz", 1, standalone=True, style="cuboids"), tmp_path)
    flat = " ".join(text.replace("_", " ").split())
    for label in labels:
        assert label in flat, label


def test_dot_refuses_cuboids(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["draw", str(ROOT / "examples" / "vgg16.arch"), "-f", "dot", "--style", "cuboids"])
    assert exit_.value.code == 2
    assert "--style cuboids draws TikZ or SVG" in capsys.readouterr().err
    with pytest.raises(ValueError):
        draw(derived("vgg16"), "dot", 1, style="cuboids")


@pytest.mark.parametrize("fmt", ["svg", "dot"])
def test_standalone_is_tikzs_alone(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["draw", str(ROOT / "examples" / "mnist_cnn.arch"), "-f", fmt, "--standalone"])
    assert exit_.value.code == 2
    assert f"--format {fmt} is complete as it is" in capsys.readouterr().err


def test_draw_command_draws_cuboids(tmp_path: Path) -> None:
    out = tmp_path / "vgg.svg"
    assert main(["draw", str(ROOT / "examples" / "vgg16.arch"), "-f", "svg", "--style",
                 "cuboids", "-o", str(out)]) == 0
    assert len(solids(out.read_text(encoding="utf-8"))) == 10
