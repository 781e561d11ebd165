"""LaTeX for papers: every example compiles with real pdflatex (Debian's texlive, installed by
.ci/run) in both formula styles, and the PDF's text carries the published parameter counts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import symconv

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))
# published and framework-printed totals (tests/test_zoo.py PUBLISHED, the seed questions, README)
TOTALS = {"lenet5": (32, 61_706), "alexnet": (224, 61_100_840), "resnet18": (224, 11_689_512),
          "resnet50": (224, 25_557_032), "mobilenetv2_torch": (224, 3_504_872),
          "vgg16": (224, 138_357_544), "mobilenetv2_keras": (224, 3_538_984),
          "nasnet_mobile_keras": (224, 5_326_716), "mnist_cnn": (28, 34_826)}


@pytest.fixture(scope="module")
def pdflatex() -> None:
    missing = [t for t in ("pdflatex", "pdftotext") if shutil.which(t) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must install texlive and poppler-utils (.ci/run): {missing}")
        pytest.skip(f"not installed: {missing}")


def pdf_text(tex: str, where: Path) -> str:
    """Compile `tex` and return the PDF's text, digits joined across thin spaces."""
    (where / "doc.tex").write_text(tex, encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                         cwd=where, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout[-3000:]
    text = subprocess.run(["pdftotext", "-layout", "doc.pdf", "-"], cwd=where,
                          capture_output=True, text=True, check=True).stdout
    return re.sub(r"(?<=\d)[\s\u2009\u202f](?=\d{3}\b)", "", text)


@pytest.mark.parametrize("formulas", ["expanded", "stepwise"])
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_compiles_symbolic(path: Path, formulas: str, pdflatex: None,
                                         tmp_path: Path) -> None:
    d = symconv.derive(path)
    # every layer (depth None): each one's formulas must compile
    text = pdf_text(d.render("latex", depth=None, formulas=formulas, standalone=True), tmp_path)
    for layer in d.layers[:3] + d.layers[-3:]:
        assert layer.name.replace("_", "") in text.replace("_", "").replace(" ", "") or \
            layer.name in text, layer.name


@pytest.mark.parametrize("name", sorted(TOTALS))
def test_published_totals_reach_the_pdf(name: str, pdflatex: None, tmp_path: Path) -> None:
    size, total = TOTALS[name]
    d = symconv.derive(ROOT / f"examples/{name}.arch", subs={"H": size, "W": size})
    text = pdf_text(d.render("latex", standalone=True), tmp_path)
    assert re.search(rf"Total\s+{total}\b", text), text[-2000:]


def test_stepwise_formulas_name_each_stage(pdflatex: None, tmp_path: Path) -> None:
    d = symconv.derive(ROOT / "examples/mnist_cnn.arch")
    tex = d.render("latex", formulas="stepwise")
    assert r"H_{1} = H - 2" in tex
    assert r"H_{2} = \left\lfloor \frac{H_{1}}{2} \right\rfloor" in tex
    assert r"N_{5} = 64 \cdot H_{4} \cdot W_{4}" in tex
    assert r"P = \mathit{classes} \cdot \left(N_{5} + 1\right)" in tex
    pdf_text("\\documentclass{article}\\usepackage{amsmath,booktabs,longtable}"
             "\\begin{document}\n" + tex + "\\end{document}\n", tmp_path)


def test_a_snippet_is_not_a_document() -> None:
    tex = symconv.derive(ROOT / "examples/lenet5.arch").render("latex")
    assert r"\documentclass" not in tex and tex.startswith("% symconv: lenet5")
    assert r"\begin{table}[ht]" in tex and r"\toprule" in tex


def test_jupyter_renders_what_mathjax_can() -> None:
    d = symconv.derive(ROOT / "examples/mnist_cnn.arch")
    tex = d._repr_latex_()
    assert tex.startswith(r"\begin{align*}") and tex.rstrip().endswith(r"\end{align*}")
    assert "tabular" not in tex and r"\toprule" not in tex
    md = d._repr_markdown_()
    assert "| Layer | Type | Output shape | Params |" in md


def test_stepwise_names_one_definition_once() -> None:
    """ResNet-50's projection shortcut computes ⌈H/2⌉ of the same input as the main path: one
    name for both, so the residual add needs no max()."""
    tex = symconv.derive(ROOT / "examples/resnet50.arch").render("latex", formulas="stepwise")
    assert r"\max" not in tex


@pytest.mark.parametrize("flops", [False, True], ids=["macs", "flops"])
def test_compute_footer_carries_its_numbers(flops: bool, pdflatex: None, tmp_path: Path) -> None:
    """The footer's values are math, not escaped placeholders (they once printed as
    `\\textbackslash{}x000\\textbackslash{}x00`)."""
    d = symconv.derive(ROOT / "examples/mnist_cnn.arch", subs={"H": 28, "W": 28})
    tex = d.render("latex", standalone=True, macs="weights", flops=flops, memory="float32")
    assert "x00" not in tex and "\x00" not in tex
    text = pdf_text(tex, tmp_path)
    from symconv.analysis import macs as compute

    macs = int(compute.total(d))  # what the table's column sums to: the renderer's input
    assert re.search(rf"\b{2 * macs if flops else macs}\b", text), text[-1500:]


# --------------------------------------------------------------------------- issue 18: LaTeX
def overfull(tex: str, where: Path) -> list[float]:
    """How far past the line each overfull box of `tex` runs, in pt (pdflatex run twice: a
    longtable's columns settle on the second run, as LaTeX's "Rerun" asks)."""
    (where / "doc.tex").write_text(tex, encoding="utf-8")
    for _ in range(2):
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                             cwd=where, capture_output=True, text=True, timeout=120, check=False)
        assert run.returncode == 0, run.stdout[-3000:]
    log = (where / "doc.log").read_text(encoding="latin-1")
    assert "Float too large" not in log
    return [float(w) for w in re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too", log)]


@pytest.mark.parametrize("depth", [1, None], ids=["depth1", "all"])
@pytest.mark.parametrize("formulas", ["expanded", "stepwise"])
def test_wide_compute_columns_fit_the_page(depth: int | None, formulas: str, pdflatex: None,
                                           tmp_path: Path) -> None:
    """ResNet-50 with MACs, receptive fields and memory ran 1,114 pt past the landscape line
    (issue 18 measured 522 pt); its formula columns now fold within the line."""
    d = symconv.derive(ROOT / "examples/resnet50.arch")
    tex = d.render("latex", depth=depth, formulas=formulas, standalone=True, macs="weights",
                   receptive=True, memory="float32")
    assert max(overfull(tex, tmp_path), default=0) <= 3


@pytest.mark.parametrize("formulas", ["expanded", "stepwise"])
def test_long_counts_break_in_the_formulas(formulas: str, pdflatex: None, tmp_path: Path) -> None:
    """ConvNeXt-Tiny's stage count, 2C(4C + 1) + … + n₄(512C² + 464C), ran 334 pt past the
    landscape line in `align*` (and its stepwise block 498 pt): it is cut before a `+` onto
    lines of its own, a folded block's nested floors go under its shape, and a repeat's sum
    that is its own closed form is not written twice."""
    tex = symconv.derive(ROOT / "examples/convnext_tiny.arch").render(
        "latex", formulas=formulas, standalone=True)
    assert max(overfull(tex, tmp_path), default=0) <= 3
    assert r"&&& \quad + n_{2} \cdot \left(32 \cdot C^{2} + 116 \cdot C\right)" in tex
    sums = [line for line in tex.splitlines() if line.startswith(r"  \text{repeat")]
    assert all(line.count(r"\left(4 \cdot C \cdot") <= 1 for line in sums)


def test_a_narrow_table_keeps_natural_columns() -> None:
    """Folding is for tables that need it: LeNet-5 at 32×32 keeps l and r columns."""
    tex = symconv.derive(ROOT / "examples/lenet5.arch", subs={"H": 32, "W": 32}).render("latex")
    assert r"\begin{tabular}{llr}" in tex and r"\linewidth" not in tex


def _block(tex: str) -> list[str]:
    """The lines of the align* block."""
    return tex[tex.index(r"\begin{align*}"):tex.index(r"\end{align*}")].splitlines()[1:]


@pytest.mark.parametrize("formulas", ["expanded", "stepwise"])
@pytest.mark.parametrize("depth,rows", [(1, 11), (None, 175)], ids=["depth1", "all"])
def test_depth_reaches_the_formulas(formulas: str, depth: int | None, rows: int) -> None:
    """ResNet-50: conv1, bn1, relu, maxpool, layer1–4, avgpool, flatten, fc at depth 1; every
    layer, 175 lines (issue 18), with --depth all."""
    tex = symconv.derive(ROOT / "examples/resnet50.arch").render("latex", depth=depth,
                                                                 formulas=formulas)
    lines = _block(tex)
    assert len(lines) == rows
    if depth == 1:
        assert lines[4].lstrip().startswith(r"\texttt{layer1}\ \text{(Stage)}")


def test_a_folded_block_defines_what_it_passes_on() -> None:
    """ResNet-50 at depth 1, stepwise: layer2 halves the extents of layer1's output, a
    definition in the symbols before it, numbered after maxpool's H_2."""
    tex = symconv.derive(ROOT / "examples/resnet50.arch").render("latex", formulas="stepwise")
    layer2 = next(line for line in _block(tex) if r"\texttt{layer2}" in line)
    assert r"H_{3} = \left\lceil \frac{H_{2}}{2} \right\rceil" in layer2


SUBSCRIPT = re.compile(r"(?<![A-Za-z])[A-Za-z]\w*_\{(\d+)\} = ")


@pytest.mark.parametrize("depth", [1, None], ids=["depth1", "all"])
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_stepwise_subscripts_count_from_one(path: Path, depth: int | None) -> None:
    """The stages are numbered 1, 2, 3, … in the order they are defined (VGG16's first was
    H_3: its two convolutions before the first pool keep the size)."""
    tex = symconv.derive(path).render("latex", depth=depth, formulas="stepwise")
    # in the order they first appear (a long definition has a line of its own, under its row)
    numbers = list(dict.fromkeys(int(m) for line in _block(tex) for m in SUBSCRIPT.findall(line)))
    assert numbers == list(range(1, len(numbers) + 1)), numbers


def test_vgg16_first_stage_is_one() -> None:
    tex = symconv.derive(ROOT / "examples/vgg16.arch").render("latex", depth=None,
                                                              formulas="stepwise")
    pool = next(line for line in _block(tex) if r"\texttt{block1\_pool}" in line)
    assert r"H_{1} = \left\lfloor \frac{H}{2} \right\rfloor" in pool


def _table_part(tex: str) -> str:
    return tex[tex.index(r"\toprule"):tex.index(r"\bottomrule")]


def test_table_cells_write_floors_on_the_line() -> None:
    """MNIST's second pool gives ⌊(H − 6)/4⌋: a \\frac in a cell is set small."""
    tex = symconv.derive(ROOT / "examples/mnist_cnn.arch").render("latex")
    table = _table_part(tex)
    assert r"\lfloor (H - 6)/4 \rfloor" in table and r"\frac" not in table


@pytest.mark.parametrize("parts,block,table", [("both", True, True), ("formulas", True, False),
                                               ("table", False, True)])
def test_latex_parts(parts: str, block: bool, table: bool) -> None:
    code, out, err = cli(["derive", str(ROOT / "examples/mnist_cnn.arch"), "-f", "latex",
                          "--latex-parts", parts])
    assert code == 0 and err == ""
    assert (r"\begin{align*}" in out) == block and (r"\toprule" in out) == table
    assert "Valid when:" in out  # the conditions come with either part


def cli(argv: list[str]) -> tuple[int, str, str]:
    run = subprocess.run([sys.executable, "-m", "symconv", *argv], capture_output=True,
                         text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         check=False)
    return run.returncode, run.stdout, run.stderr


# MNIST at 28×28: 34,826 parameters (Keras's summary); conv2d's output 26·26·32 = 21,632 values
MNIST = ROOT / "examples/mnist_cnn.arch"


@pytest.mark.parametrize("dtype,cell,params", [
    ("float32", "84.50 KB", r"136.04 KB ($139\,304$ bytes)"),  # 21,632·4 = 86,528 B; 34,826·4
    ("float16", "42.25 KB", r"68.02 KB ($69\,652$ bytes)"),  # 21,632·2 = 43,264 B; 34,826·2
], ids=["float32", "float16"])
def test_memory_carries_units_and_the_dtype(dtype: str, cell: str, params: str) -> None:
    tex = symconv.derive(MNIST, subs={"H": 28, "W": 28}).render("latex", memory=dtype)
    conv = next(line for line in tex.splitlines() if line.startswith(r"\texttt{conv2d}\ "))
    assert conv.endswith(f" & {cell} " + "\\\\")
    assert f"Parameter memory ({dtype}): {params}" in tex


def test_symbolic_memory_is_in_bytes() -> None:
    tex = symconv.derive(MNIST).render("latex", memory="float32")
    conv = next(line for line in tex.splitlines() if line.startswith(r"\texttt{conv2d}\ "))
    assert r"$\,B" in conv


@pytest.mark.parametrize("dtype,total", [("float32", "136.04 KB"), ("float16", "68.02 KB"),
                                         (None, "136.04 KB")])
def test_table_total_params_at_the_dtype(dtype: str | None, total: str) -> None:
    """Keras's summary: 'Total params: 34,826 (136.04 KB)' in float32; half in float16."""
    out = symconv.derive(MNIST, subs={"H": 28, "W": 28}).render("table", memory=dtype)
    assert f"Total params: 34,826 ({total})" in out


@pytest.mark.parametrize("fmt,shown", [
    ("table", "(8, 26, 26, 32)"), ("markdown", "`(8, 26, 26, 32)`"),
    ("latex", r"(8,\allowbreak\ 26,\allowbreak\ 26,\allowbreak\ 32)"), ("json", '"batch": 8'),
])
def test_batch_alone_is_shown_in_the_shapes(fmt: str, shown: str) -> None:
    """--batch without --memory was silently ignored; torchinfo shows it in every shape."""
    code, out, err = cli(["derive", str(MNIST), "--subs", "H=28,W=28", "--batch", "8",
                          "-f", fmt])
    assert code == 0 and err == "" and shown in out


def test_batch_in_torch_shapes() -> None:
    """LeNet-5 (torch) at 32×32: conv1 gives (N, 6, 28, 28); with --batch 8, (8, 6, 28, 28)."""
    out = symconv.derive(ROOT / "examples/lenet5.arch", subs={"H": 32, "W": 32}).render(
        "table", batch=8)
    assert "(8, 6, 28, 28)" in out and "(N, 6, 28, 28)" not in out


TWO_POOLS = """convention keras
sizes H, W
block Down():
    MaxPooling2D(2)
    MaxPooling2D(2)
input (H, W, 3)
Down(name="down")
Conv2D(8, 3)
"""


@pytest.mark.parametrize("depth,lines", [
    (1, [r"H_{1} = \left\lfloor \frac{\left\lfloor \frac{H}{2} \right\rfloor}{2} \right\rfloor",
         r"H_{2} = H_{1} - 2"]),
    (None, [r"H_{1} = \left\lfloor \frac{H}{2} \right\rfloor",
            r"H_{2} = \left\lfloor \frac{H_{1}}{2} \right\rfloor", r"H_{3} = H_{2} - 2"]),
], ids=["folded", "every_layer"])
def test_folded_block_composes_its_definitions(depth: int | None, lines: list[str]) -> None:
    """Two 2×2 pools in a block: folded, one row defines ⌊⌊H/2⌋/2⌋ in H (the pools' own
    H_1, H_2 are gone) and the convolution's H − 2 after it is H_2."""
    block = _block(symconv.derive(TWO_POOLS).render("latex", depth=depth, formulas="stepwise"))
    assert len(block) == len(lines)
    for row, definition in zip(block, lines):
        assert definition in row, row


def test_stage_symbols_print_as_sympy_prints_them() -> None:
    """The printers write a stage symbol's name (H_12) without sympy's name splitting: the
    same text as sympy's LatexPrinter, for every letter, subscripts with leading zeros and
    long ones; other names (two letters, a second subscript, Greek) go through sympy."""
    import string

    import sympy
    from sympy.printing.latex import LatexPrinter

    from symconv.maths.printing_latex import latex, latex_inline

    names = [f"{c}_{n}" for c in string.ascii_letters for n in ("1", "07", "2000")]
    names += ["H_1_2", "mu_3", "Hx_4", "H_", "H1_2", "x_0"]
    for name in names:
        for assumptions in ({"integer": True, "positive": True}, {}):
            s = sympy.Symbol(name, **assumptions)
            want = LatexPrinter({"mul_symbol": "dot"})._print(s)
            if len(name.split("_")[0]) > 1 and want.startswith(name.split("_")[0]) \
                    and name.split("_")[0] != "mu":
                continue  # several letters: \mathit, tested with the examples
            assert latex(s) == latex_inline(s) == want, name
