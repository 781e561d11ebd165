"""LaTeX for papers: every example compiles with real pdflatex (Debian's texlive, installed by
.ci/run) in both formula styles, and the PDF's text carries the published parameter counts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import symconv

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))
# published and framework-printed totals (tests/test_zoo.py PUBLISHED, the seed questions, README)
TOTALS = {"lenet5": (32, 61_706), "alexnet": (224, 61_100_840), "resnet18": (224, 11_689_512),
          "resnet50": (224, 25_557_032), "mobilenetv2_torch": (224, 3_504_872),
          "vgg16": (224, 138_357_544), "mobilenetv2_keras": (224, 3_538_984),
          "mnist_cnn": (28, 34_826)}


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
    text = pdf_text(d.render("latex", formulas=formulas, standalone=True), tmp_path)
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
