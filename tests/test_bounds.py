"""Resource bounds: whatever a file says, symconv answers within seconds, either with a result
or with a positioned SC110 error naming the bound (README: Limits)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
import sympy

import symconv
from symconv.cli import main

SECONDS = 5.0
BIG_SUM = "1" + "+1" * 400


def _refused(text: str, needle: str, code: str = "SC110") -> symconv.SymconvError:
    start = time.perf_counter()
    with pytest.raises(symconv.SymconvError) as caught:
        symconv.derive(text)
    assert time.perf_counter() - start < SECONDS
    assert caught.value.code == code and needle in caught.value.message, caught.value.render()
    return caught.value


@pytest.mark.parametrize("text,needle", [
    ("input (3,)\nDense(1" + "0" * 50 + ")\n", "longer than 40 digits"),
    ("input (3,)\nDense(10 ** 10 ** 10)\n", "exponent must be a whole number from 0 to 64"),
    ("input (3,)\nDense(999999999 ** 64)\n", "more than 400 digits"),
    (f"input (3,)\nDense({BIG_SUM})\n", "expression nested more than 200 deep"),
    ("input (3,)\nDense(" + "(" * 5000 + "1" + ")" * 5000 + ")\n",
     "parentheses nested more than 100 deep"),
    ("input (3,)\nrepeat 1000000000:\n    Dense(3)\n", "repeat count 1000000000 is more than"),
    ("input (3,)\nrepeat 20000:\n    repeat 20000:\n        Dense(3)\n",
     "layer and block applications"),
    ("block B():\n    B()\ninput (3,)\nB()\n", "blocks nested more than 64 deep"),
    # a split or chunk giving more tensors than a derivation may apply layers (the fuzzer's
    # GPT-2 qkv split of a 40-digit extent crashed listing them)
    ("convention torch\ninput (7, 100000)\nparts = input.split(1, dim=2)\n",
     "it would give 100000 tensors, more than 20,000"),
    ("convention torch\ninput (7, 10" + "0" * 30 + ")\nparts = input.split(10, dim=2)\n",
     "tensors, more than 20,000"),
    ("input (7, 30000)\nparts = split(input, 30000, axis=2)\n",
     "it would give 30000 tensors, more than 20,000"),
])
def test_bound(text: str, needle: str) -> None:
    err = _refused(text, needle)
    assert err.span is not None  # positioned at what crossed the bound


def test_file_size(tmp_path: Path) -> None:
    path = tmp_path / "big.arch"
    path.write_text("input (3,)\n" + "# padding\n" * 120_000, encoding="utf-8")
    with pytest.raises(symconv.SymconvError, match="larger than 1,000,000 bytes"):
        symconv.derive(path)


def test_substituted_sizes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "net.arch"
    path.write_text("sizes H\ninput (H, H, 3)\nConv2D(4, 3)\nFlatten()\nDense(2)\n")
    with pytest.raises(SystemExit) as code:  # 41 digits: refused as a bad option
        main(["derive", str(path), "--subs", "H=" + "9" * 41])
    assert code.value.code == 2
    start = time.perf_counter()  # 40 digits: astronomically large, still exact and quick
    assert main(["derive", str(path), "--subs", "H=" + "9" * 40]) == 0
    assert time.perf_counter() - start < SECONDS
    assert "9" * 30 in capsys.readouterr().out


def test_solver_range(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "net.arch"
    path.write_text("sizes L\ninput (L, 3)\nConv1D(4, 3)\n")
    start = time.perf_counter()
    code = main(["solve", str(path), "--for", "L", "--params", "40", "--range", "L=1..200000"])
    err = capsys.readouterr().err
    assert code == 1 and "[SC304]" in err and "--range" in err
    assert time.perf_counter() - start < SECONDS


# -- issue 14: numbers of any size, and small inputs that ran for minutes ---------------------
ROOT = Path(__file__).resolve().parent.parent
GUARD = 60  # seconds for a whole process: generous on a loaded machine, far below the minutes
TEN_40 = "10**40"


def _run(text: str, *options: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """symconv derive on `text` as a whole process, killed after GUARD seconds (a regression
    to minutes fails instead of hanging the suite)."""
    path = tmp_path / "net.arch"
    path.write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "symconv", "derive", str(path), *options],
                          capture_output=True, text=True, timeout=GUARD, env=env, check=False)


@pytest.mark.parametrize("text,needle,line,column", [
    # products of literals: each literal has 40 digits, the product 440
    ("input (3,)\nDense(" + "*".join([TEN_40] * 11) + ")\n", "more than 400 digits", 2, 7),
    # a tensor's element count: 110 axes of 10**40 make 10**4400 elements, which Flatten,
    # the memory column and MACs would compute (4,401 digits: past Python's int-to-text limit)
    ("input (" + ", ".join([TEN_40] * 110) + ")\nFlatten()\n",
     "number of elements has more than 400 digits", 1, 7),
    # a count a layer makes from a smaller input: 10**200 features times 10**201 units
    ("input (" + "*".join([TEN_40] * 5) + ",)\nDense(" + "*".join([TEN_40] * 5) + "*10)\n",
     "more than 400 digits", 2, 1),
    # degree: ((H**64)**64)**64 is H**262144
    ("sizes H\ninput (3,)\nDense(((H**64)**64)**64)\n", "degree 4096 (more than 256)", 3, 9),
])
def test_numbers_and_degrees_past_the_limits_are_refused(text: str, needle: str, line: int,
                                                         column: int) -> None:
    err = _refused(text, needle)
    assert err.span is not None and (err.span.line, err.span.column) == (line, column)


def test_a_merge_that_would_expand_millions_of_terms_is_refused(tmp_path: Path) -> None:
    """Comparing the branches' units would expand (H + W + C + D + E + 2)**64: C(69, 5) =
    11,238,513 terms (over a minute and 2.6 GB before)."""
    text = ("sizes H, W, C, D, E\ninput x: (3,)\na = Dense((H+W+C+D+E+1)**64)(x)\n"
            "b = Dense((H+W+C+D+E+2)**64)(x)\ny = a + b\n")
    run = _run(text, tmp_path=tmp_path)
    assert run.returncode == 1 and "net.arch:5:5:" in run.stderr and "[SC110]" in run.stderr
    assert "11,238,513 terms" in run.stderr


def test_a_compounded_power_with_subs_is_refused_where_written(tmp_path: Path) -> None:
    run = _run("sizes H\ninput (3,)\nDense(((((H**64)**64)**64)**64)**64)\n", "--subs", "H=3",
               tmp_path=tmp_path)  # over two minutes before
    assert run.returncode == 1 and "net.arch:3:11:" in run.stderr and "[SC110]" in run.stderr


def test_a_substituted_value_past_the_limit_is_refused_at_its_layer(tmp_path: Path) -> None:
    """Dense(H**64) with a 10-digit H holds a 641-digit kernel size."""
    run = _run("sizes H\ninput (3,)\nDense(H**64)\nDense(2)\n", "--subs", "H=9999999999",
               tmp_path=tmp_path)
    assert run.returncode == 1 and "net.arch:3:1:" in run.stderr
    assert "more than 400 digits [SC110]" in run.stderr


def test_the_byte_size_of_a_huge_count_is_exact(tmp_path: Path) -> None:
    """Eight axes of 10**40, Flatten, Dense(1): 10**320 + 1 parameters of 4 bytes, shown in
    Keras's units (1024 bytes a kilobyte, petabytes at most, two decimals); the footer
    converted the count to a float and crashed (exit 3)."""
    run = _run("input (" + ", ".join([TEN_40] * 8) + ")\nFlatten()\nDense(1)\n",
               tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr
    count = 10**320 + 1
    hundredths = round(Fraction(4 * count * 100, 1024**5))
    assert f" Total params: {count:,} ({hundredths // 100}.{hundredths % 100:02d} PB)" in run.stdout


def test_statements_run_in_repeats_are_counted(tmp_path: Path) -> None:
    """A repeat of statements without a layer ran 400 million times (about two minutes)."""
    run = _run("input x: (3,)\nrepeat 20000:\n    repeat 20000:\n        y = x\n",
               tmp_path=tmp_path)
    assert run.returncode == 1 and "net.arch:4:9:" in run.stderr
    assert "more than 100,000 statements run" in run.stderr and "[SC110]" in run.stderr


def test_receptive_field_of_a_long_chain_is_linear(tmp_path: Path) -> None:
    """20,000 Dense layers: no receptive field after the first (39 s before: each row searched
    the layer list)."""
    run = _run("input (10,)\nrepeat 20000:\n    Dense(10)\n", "--receptive-field",
               "--format", "json", tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr
    layers = json.loads(run.stdout)["layers"]
    assert len(layers) == 20_000 and all(la["receptive_field"] is None for la in layers)
    assert layers[-1]["params"] == 110


def test_a_shared_layer_applied_20000_times_counts_its_macs_once_each(tmp_path: Path) -> None:
    """The MACs column looked up the first application of the shared layer by a linear search
    for every application (over two minutes)."""
    run = _run("input x: (10,)\nshared enc = Dense(10)\nrepeat 20000:\n    x = enc(x)\n",
               "--macs", tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Total MACs: 2,000,000 per example" in run.stdout  # 20,000 × 10 × 10


def test_a_long_argument_in_a_repeat_is_evaluated_once(tmp_path: Path) -> None:
    """20,000 layers whose argument is a 190-term sum (75 s before: the sum was evaluated for
    every layer, and every count factored several times)."""
    text = "sizes H\ninput (3,)\nrepeat 20000:\n    Dense(" + "+".join(["H"] * 190) + ")\n"
    run = _run(text, "--format", "json", tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    H = sympy.Symbol("H", integer=True, positive=True)
    total = sympy.parse_expr(doc["totals"]["params"], local_dict={"H": H})  # test-only parse
    units = 190 * H
    want = (3 * units + units) + 19_999 * (units * units + units)  # kernel + bias per layer
    assert sympy.expand(total - want) == 0


def test_a_huge_symbolic_padding_is_answered_without_conditions() -> None:
    """padding=(H**64)**4: 2·H**256 + L − 2 ≥ 1 holds for every size; sympy looked for the
    roots of a degree-256 polynomial to decide it (over a minute), and still listed it."""
    start = time.perf_counter()
    d = symconv.derive("convention torch\nsizes H, W\ninput (3, H, W)\n"
                       "Conv2d(3, 3, 3, padding=(H**64)**4)\n")
    assert time.perf_counter() - start < SECONDS
    H, W = (sympy.Symbol(n, integer=True, positive=True) for n in "HW")
    assert d.layers[0].output_shape == (3, 2 * H**256 + H - 2, 2 * H**256 + W - 2)
    assert d.requires == ()


def test_did_you_mean_among_many_long_names_is_quick() -> None:
    """20,000 names of 120 characters, each as near to the misspelling as difflib can tell
    without comparing them in full (seconds before)."""
    from symconv.errors import did_you_mean

    stem = "".join(chr(ord("a") + (i * 7) % 26) for i in range(110))
    names = [f"{stem}_{i:06d}" for i in range(20_000)]
    start = time.perf_counter()
    hint = did_you_mean(f"{stem}_01234x", names)
    assert time.perf_counter() - start < SECONDS
    assert hint is not None and hint.startswith(f"did you mean '{stem}_0123")


def test_did_you_mean_in_a_file_of_5000_long_sizes(tmp_path: Path) -> None:
    names = [f"size_{i:05d}_" + "abcdefghijklmnopqrstuvwxyz" * 7 for i in range(5000)]
    typo = names[1234].replace("pqr", "pr", 1)  # one letter left out
    text = "sizes " + ", ".join(names) + f"\ninput (3,)\nDense({typo})\n"
    run = _run(text, tmp_path=tmp_path)
    assert run.returncode == 1 and "[SC103]" in run.stderr
    assert f"did you mean '{names[1234]}'?" in run.stderr


def test_a_pool_after_a_high_degree_padding_is_quick(tmp_path: Path) -> None:
    """The fuzzer's hostile family found it: after `padding=(H**64)**4`, a MaxPool2d(2) split
    its extent into ⌊H/2⌋ + H**256 and sympy factored a degree-256 polynomial to simplify the
    rounding (over 90 s). High-degree extents now take the integer path; the value is exact."""
    path = tmp_path / "pad.arch"
    path.write_text("convention torch\nsizes H, W\ninput (1, H, W)\n"
                    "Conv2d(1, 1, 3, padding=(H**64)**4)\nMaxPool2d(2)\n")
    out = subprocess.run([sys.executable, "-m", "symconv", "derive", str(path), "--subs",
                          "H=3,W=2", "--format", "json"], capture_output=True, text=True,
                         timeout=20)
    assert out.returncode == 0, out.stderr
    padded = 3 + 2 * 3**256 - 2  # torch: L + 2p − (k − 1), then ⌊·/2⌋
    # JSON: the table folds a 170-digit cell over several lines (issue 17)
    assert json.loads(out.stdout)["layers"][-1]["output_shape"][1] == padded // 2


def test_ceil_mode_pools_with_symbolic_strides_stop_doubling(tmp_path: Path) -> None:
    """Each MaxPool2d(K, stride=S, ceil_mode=True) leaves the extent the least of twice as many
    formulas (its last-window correction depends on K and S), and sympy compares them pairwise:
    4 such pools took 7 s, 6 over a minute. Past 8 formulas: SC110 at the pool."""
    path = tmp_path / "ceil.arch"
    path.write_text("convention torch\nsizes H, W, K, S\ninput (8, H, W)\n"
                    + "MaxPool2d(K, stride=S, ceil_mode=True)\n" * 30)
    out = subprocess.run([sys.executable, "-m", "symconv", "derive", str(path)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and ":7:1: error:" in out.stderr and "[SC110]" in out.stderr, \
        out.stderr


BUDGET = ("convention torch\nsizes H, W, P\ninput (3, H, W)\nZeroPad2d(P)\n"
          "repeat 150:\n    repeat 150:\n{body}")


@pytest.mark.parametrize("body,line,tried_again", [
    ("        ReLU()\n", 7, False),
    ("        if P >= 1:\n            ReLU()\n", 8, True),  # the branch depends on P's domain
], ids=["no_if", "if_on_a_size"])
def test_a_derivation_stopped_at_its_budget_is_run_again_only_where_an_if_can_branch(
        monkeypatch: pytest.MonkeyPatch, body: str, line: int, tried_again: bool) -> None:
    """P's domain is undecided (a padding: ≥ 0 or ≥ 1), so an error is tried again with the
    other domain (derivation/run.py, _retry); a stop at 20,000 applications is the same
    whatever the domains unless an `if` takes another branch."""
    from symconv.derivation import propagate

    runs = []
    original = propagate.Deriver.run
    monkeypatch.setattr(propagate.Deriver, "run",
                        lambda self, *a, **k: runs.append(1) or original(self, *a, **k))
    err = _refused(BUDGET.format(body=body), "more than 20,000 layer and block applications")
    assert err.span is not None and err.span.line == line
    assert (len(runs) > 1) is tried_again, len(runs)
