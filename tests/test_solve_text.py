"""`symconv solve` answers a person can read (issue 18): runs and products of runs instead of
lists, `every H ≥ 6` where no condition ends the set, the whole numbers inside a closed form
with fractions or roots for bounds, LaTeX one line per group, and tensor names in `--equal`.

Every expected text is worked out by hand from the layers' documented formulas (each row says
how); none is copied from symconv's output."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sympy

import symconv
from symconv import Target
from symconv.maths import symbols
from symconv.solving.groups import grouped, runs
from symconv.solving.solver import Solution

from test_errors import run

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# Keras: Conv2D(8, 3) → H − 2; MaxPooling2D(2) → ⌊(H − 2)/2⌋; Conv2D(16, 2) → ⌊(H − 2)/2⌋ − 1,
# at least 1 ⇔ H ≥ 6. Parameters 8·(9 + 1) + 16·(4·8 + 1) + 10·(16 + 1) = 778, whatever H is.
GAP = ("network gap\nconvention keras\nsizes H, W=28\ninput (H, W, 1)\nConv2D(8, 3)\n"
       "MaxPooling2D(2)\nConv2D(16, 2)\nGlobalAveragePooling2D()\nDense(10)\n")
# Keras: Conv2D(4, K) has 4·(K² + 1) parameters and needs K ≤ H, K ≤ W
CONV2D = "sizes H, W, K\ninput (H, W, 1)\nConv2D(4, K)\n"
# Keras: ⌊(64 − 3)/S⌋ + 1 = 31 ⇔ ⌊61/S⌋ = 30 ⇔ 61/31 < S ≤ 61/30 ⇔ S = 2 (the numbers)
STRIDE = "sizes H=64, K=3, S\ninput (H, H, 1)\nConv2D(4, K, strides=S)\n"
# Keras: F·(K·1 + 1) parameters on one channel; strided: ⌊(20 − K)/2⌋ + 1 = 5 ⇔ K ∈ {11, 12}
STRIDED = "sizes H, K\ninput (H, 1)\nConv1D(8, K, strides=2)\n"

TEXT_ROWS = [
    # torch: ⌊(32 + 2 − K)/2⌋ + 1 ∈ {16, 17} (MaxPool2d(2) gives 8) ⇔ 30 ≤ 34 − K ≤ 33 ⇔ K ≤ 4
    ("runs-not-a-list", "kernel_torch.arch", None, ["--for", "K", "--shape", "(16, 8, 8)"],
     ["4 solutions: K in 1..4\n"], ["K = 1\n", "K = 3\n"]),
    # Keras: 28 − K + 1 = 13 ⇔ K = 16
    ("one-kernel", "kernel_stride.arch", None, ["--for", "K", "--shape", "(13, 13, _)"],
     ["closed form: K = 16\n1 solution: K = 16\n"], []),
    # S = 1: K = 16; S = 2: ⌊(28 − K)/2⌋ = 12 ⇔ K ∈ {3, 4}; S ≥ 3 would need K < 1
    ("groups-of-two-unknowns", "kernel_stride.arch", None,
     ["--for", "K", "--for", "S", "--shape", "(13, 13, _)"],
     ["3 solutions:\n  K in 3..4, S = 2\n  K = 16, S = 1\n"], []),
    # 64·a·b = 1,600 with a = ⌊(⌊(H − 2)/2⌋ − 2)/2⌋ = 5 ⇔ H ∈ 26..29, the same for W
    ("product-of-ranges", "mnist_cnn.arch", None,
     ["--for", "H", "--for", "W", "--layer", "flatten", "--shape", "(1600,)",
      "--range", "H=1..64", "--range", "W=1..64"],
     ["16 solutions: H in 26..29, W in 26..29 (every combination)\n"], ["H = 26, W = 26"]),
    # 778 parameters whatever H is; the only condition on H is H ≥ 6: every larger H too
    ("every-value-proved", None, GAP, ["--for", "H", "--params", "778"],
     ["every H ≥ 6: the target does not constrain H\n"], ["1,019", "showing"]),
    ("every-value-proved-two", None, GAP,
     ["--for", "H", "--for", "W", "--params", "778", "--range", "H=1..32", "--range", "W=1..32"],
     ["every H ≥ 6, every W ≥ 6: the target does not constrain H or W\n"], ["729"]),
    # 4·(K² + 1) ≥ 40 ⇔ K ≥ 3; K ≤ H = 100 also bounds it, past the 64 tried: a range's end
    ("tail-of-the-range", None, CONV2D,
     ["--for", "K", "--subs", "H=100,W=100", "--min-params", "40"],
     ["closed form: K ≥ 3\n", "62 solutions: every K in 3..64 (the whole range tried from 3)\n"],
     ["every K ≥ 3"]),
    ("stride-fraction-bounds", None, STRIDE, ["--for", "S", "--shape", "(31, 31, _)"],
     ["closed form: 61/31 < S ≤ 61/30, so S = 2\n"], []),
    # Keras MNIST at 28×28: 32·10 + 64·(9·32 + 1) + 1,601·classes ≤ 10⁶ ⇔ classes ≤
    # 981,184/1,601 = 612.86…
    ("budget-fraction-bound", "mnist_cnn.arch", None,
     ["--for", "classes", "--subs", "H=28,W=28", "--max-params", "1000000"],
     ["closed form: classes ≤ 981184/1601, so classes ≤ 612\nlargest: classes = 612\n"], []),
    ("interval-already-whole", None, STRIDED, ["--for", "K", "--subs", "H=20", "--shape",
                                              "(5, 8)"],
     ["closed form: 11 ≤ K ≤ 12\n2 solutions: K in 11..12\n"], [", so"]),
]


@pytest.mark.parametrize("file,text,argv,present,absent", [r[1:] for r in TEXT_ROWS],
                         ids=[r[0] for r in TEXT_ROWS])
def test_solutions_read_as_runs(file: str | None, text: str | None, argv: list[str],
                                present: list[str], absent: list[str], tmp_path: Path) -> None:
    path = EXAMPLES / file if file else tmp_path / "net.arch"
    if text:
        path.write_text(text)
    code, out, err = run(["solve", str(path), *argv])
    assert code == 0 and err == "", err
    for piece in present:
        assert piece in out, out
    for piece in absent:
        assert piece not in out, out


@pytest.mark.parametrize("values,expected", [
    ([1, 3, 2, 4], ((1, 4),)),
    ([9, 1, 2, 3, 4, 7, 8], ((1, 4), (7, 9))),
    ([5], ((5, 5),)),
    ([4, 8, 12], ((4, 4), (8, 8), (12, 12))),
], ids=["one-run", "two-runs", "single", "apart"])
def test_runs(values: list[int], expected: tuple[tuple[int, int], ...]) -> None:
    assert runs(values) == expected


def test_groups_cover_exactly_the_solutions() -> None:
    """F·(K + 1) ≤ 200 (Keras Conv1D on one channel) over 1..30 × 1..30: the groups' product
    is every pair that meets it and no other."""
    pairs = [{"K": k, "F": f} for k in range(1, 31) for f in range(1, 31) if f * (k + 1) <= 200]
    covered = set()
    for group in grouped(pairs, ("K", "F")):
        ks = [k for a, b in group["K"] for k in range(a, b + 1)]
        fs = [f for a, b in group["F"] for f in range(a, b + 1)]
        covered |= {(k, f) for k in ks for f in fs}
    assert covered == {(p["K"], p["F"]) for p in pairs}


def test_many_groups_are_cut_with_a_count(tmp_path: Path) -> None:
    """Keras Conv2D(8, K, strides=2) then Conv2D(8, 3): ⌊(H − K)/2⌋ + 1 − 2 = 5 ⇔
    H − K ∈ {12, 13}: for each K two values of H, no two K alike: one group per K."""
    path = tmp_path / "net.arch"
    path.write_text("sizes H, K\ninput (H, H, 1)\nConv2D(8, K, strides=2)\nConv2D(8, 3)\n")
    code, out, _ = run(["solve", str(path), "--for", "K", "--for", "H", "--shape", "(5, 5, 8)",
                        "--range", "H=1..200"])
    # K in 1..64 and H = K + 12 or K + 13 ≤ 200: 64 groups, 128 solutions
    assert code == 0 and "128 solutions in 64 groups (showing 20):\n" in out
    assert "  K = 1, H in 13..14\n" in out and "  K = 20, H in 32..33\n" in out
    assert "K = 21" not in out


def test_irrational_closed_form_gives_decimals_and_the_whole_answer() -> None:
    """146·w² + 73·w ≤ 10,000,000 ⇔ w ≤ (−73 + √(73² + 4·146·10⁷))/292
    = √583,999,489/292 − 1/4 = 82.51…; the whole numbers are w ≤ 82."""
    w = symbols.size("width")
    bound = sympy.sqrt(583_999_489) / 292 - sympy.Rational(1, 4)
    s = Solution(("width",), (Target("max-params", 10_000_000),), {"width": (1, 4096)},
                 {"width": "width"}, {"width": sympy.Le(w, bound)}, [],
                 solutions=[{"width": v} for v in range(1, 83)], count=82,
                 groups=[{"width": ((1, 82),)}], group_count=1, extreme={"width": 82})
    text = s.render("text")
    assert "closed form: width ≤ sqrt(583,999,489)/292 - 1/4 ≈ 82.51, so width ≤ 82\n" in text
    assert "82 solutions: width in 1..82\n" in text
    data = s.to_dict()
    assert data["closed_form_approx"] == {"width": "≈ 82.51"}
    assert data["closed_form_whole"] == {"width": "width ≤ 82"}
    latex = s.render("latex")
    assert r"\text{largest:} & \mathit{width} = 82" in latex and r"\mathit{width} \leq 82" in latex


# -------------------------------------------------------------------------------- never False
IMPOSSIBLE = "sizes H, K\ninput (H, 1)\nConv1D(8, K)\nConv1D(8, 3)\n"  # 8·K + 208 parameters


@pytest.mark.parametrize("file,text,argv", [
    (None, IMPOSSIBLE, ["--for", "K", "--params", "300"]),  # 8·K = 92: no whole K
    ("kernel_stride.arch", None, ["--for", "K", "--shape", "(40, 40, _)"]),  # 29 − K = 40
    (None, CONV2D, ["--for", "K", "--max-params", "7"]),  # 4·K² + 4 ≤ 7: none
    (None, GAP, ["--for", "H", "--params", "400"]),  # 778 ≠ 400
    (None, CONV2D, ["--for", "K", "--min-params", "8"]),  # 4·K² + 4 ≥ 8: every K
], ids=["count", "shape", "budget", "independent", "always"])
@pytest.mark.parametrize("fmt", ["text", "json", "latex"])
def test_no_false_or_true_is_printed(file: str | None, text: str | None, argv: list[str],
                                     fmt: str, tmp_path: Path) -> None:
    path = EXAMPLES / file if file else tmp_path / "net.arch"
    if text:
        path.write_text(text)
    _, out, err = run(["solve", str(path), *argv, "--format", fmt])
    assert err == "" and "False" not in out and "True" not in out, out


def test_the_condition_comes_before_the_sentence_about_it(tmp_path: Path) -> None:
    """Keras Dense: 10·(L + 1) + 11·10 = 220 is a condition on L (S unused)."""
    path = tmp_path / "net.arch"
    path.write_text("sizes L, S\ninput (L,)\nDense(10)\nDense(10)\n")
    _, out, _ = run(["solve", str(path), "--for", "S", "--params", "220"])
    lines = out.splitlines()
    sentence = next(i for i, x in enumerate(lines) if "the answer is the condition above" in x)
    assert any(x.startswith("condition: ") for x in lines[:sentence]), out


def test_an_equation_of_counts_is_summed_and_settled(tmp_path: Path) -> None:
    """Two Dense(10): 10·(L + 1) + 11·10 parameters, written as 10·L + 120; = 220 at L = 10."""
    path = tmp_path / "net.arch"
    path.write_text("sizes L, S\ninput (L,)\nDense(10)\nDense(10)\n")
    _, out, _ = run(["solve", str(path), "--for", "S", "--params", "220"])
    assert "condition: 10*L + 120 = 220, so L = 10\n" in out
    _, out, _ = run(["solve", str(path), "--for", "S", "--params", "225"])  # 10·L = 105: none
    assert "so L" not in out


@pytest.mark.parametrize("argv, said", [
    (["--equal", "s2", "up2"], "target: tensor 's2' shape = layer 'up2' output shape"),
    (["--equal", "s1", "x"], "target: tensor 's1' shape = input 'x' shape"),
    (["--params", "1000", "--layer", "enc1"], "target: block 'enc1' parameters = 1,000"),
    (["--shape", "(64,_,_)", "--layer", "enc1.0"], "target: layer 'enc1.0' output shape (64, _, _)"),
], ids=["tensor", "input", "block", "layer"])
def test_a_target_says_what_its_name_is(argv: list[str], said: str) -> None:
    _, out, _ = run(["solve", str(EXAMPLES / "unet2_torch.arch"), "--for", "H", "--subs", "W=64",
                     *argv])
    assert said + "\n" in out, out


# -------------------------------------------------------------------------------- JSON
def test_json_keeps_its_keys_and_adds_the_readable_ones(tmp_path: Path) -> None:
    path = tmp_path / "net.arch"
    path.write_text(STRIDE)
    code, out, _ = run(["solve", str(path), "--for", "S", "--shape", "(31, 31, _)", "-f", "json"])
    data = json.loads(out)
    assert code == 0 and data["closed_form_text"] == {"S": "61/31 < S ≤ 61/30"}
    assert data["closed_form"] == {"S": "(S <= 61/30) & (61/31 < S)"}
    assert data["solutions"] == [{"S": 2}] and data["count"] == 1 and data["complete"]
    assert data["closed_form_whole"] == {"S": "S = 2"} and data["closed_form_approx"] == {}
    assert data["groups"] == [{"S": [[2, 2]]}] and data["group_count"] == 1


def test_json_unbounded_names_the_least_value(tmp_path: Path) -> None:
    s = symconv.solve(GAP, ["H"], [Target("params", 778)])
    assert s.unbounded == {"H": 6} and s.count == 1024 - 6 + 1
    assert s.to_dict()["groups"] == [{"H": [[6, 1024]]}]


# -------------------------------------------------------------------------------- --equal
@pytest.mark.parametrize("a,b", [("enc2", "up2"), ("s2", "up2"), ("enc2.3", "up2")],
                         ids=["layers", "tensor-and-layer", "block-layer"])
def test_equal_takes_tensor_names(a: str, b: str) -> None:
    """The U-Net's skip at the second level: torch.cat needs every axis but the channels
    equal, and the whole network H a multiple of 4 (both pools exact)."""
    s = symconv.solve(EXAMPLES / "unet2_torch.arch", ["H"], [Target("equal", b, a)],
                      subs={"W": 64}, ranges={"H": (1, 40)})
    assert [v["H"] for v in s.solutions] == list(range(4, 41, 4))


def test_equal_refuses_a_tensor_assigned_twice() -> None:
    code, out, err = run(["solve", str(EXAMPLES / "unet2_torch.arch"), "--for", "H",
                          "--subs", "W=64", "--equal", "s2", "up"])
    assert code == 1 and out == ""
    assert "the tensor 'up' is assigned 2 times [SC303]" in err
    assert "'up2' or 'up1'" in err and "Traceback" not in err


def test_equal_takes_an_input_name() -> None:
    """The input x is (3, H, 64); enc1's output s1 is (64, H, 64): the channels never agree."""
    s = symconv.solve(EXAMPLES / "unet2_torch.arch", ["H"], [Target("equal", "s1", "x")],
                      subs={"W": 64}, ranges={"H": (1, 40)})
    assert s.impossible and not s.solutions


# -------------------------------------------------------------------------------- LaTeX
def test_latex_chain_answer_and_mathit() -> None:
    code, out, _ = run(["solve", str(EXAMPLES / "kernel_stride.arch"), "--for", "K", "--subs",
                        "S=2", "--shape", "(13, 13, _)", "--format", "latex"])
    assert code == 0 and r"\wedge" not in out
    assert r"\text{closed form:} & 3 \leq K \leq 4" in out
    code, out, _ = run(["solve", str(EXAMPLES / "mnist_cnn.arch"), "--for", "classes", "--subs",
                        "H=28,W=28", "--max-params", "1000000", "--format", "latex"])
    assert r"\text{largest:} & \mathit{classes} = 612" in out
    assert r"\text{solutions:} & 1 \leq \mathit{classes} \leq 612" in out
    assert "{classes =" not in out


@pytest.fixture(scope="module")
def pdflatex() -> None:
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")


def test_many_solutions_fit_the_page(pdflatex: None, tmp_path: Path) -> None:
    """Twenty solutions on one line ran 916 pt past the page; one line per group fits."""
    path = tmp_path / "net.arch"
    path.write_text("sizes H, K\ninput (H, H, 1)\nConv2D(8, K, strides=2)\nConv2D(8, 3)\n")
    _, out, _ = run(["solve", str(path), "--for", "K", "--for", "H", "--shape", "(5, 5, 8)",
                     "--range", "H=1..200", "--format", "latex"])
    assert out.count(r"\\") >= 20
    doc = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n" + out \
        + "\\end{document}\n"
    (tmp_path / "doc.tex").write_text(doc, encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    log = (tmp_path / "doc.log").read_text(encoding="latin-1")
    assert not re.search(r"Overfull \\hbox", log), log[-3000:]
