"""Resource bounds: whatever a file says, symconv answers within seconds, either with a result
or with a positioned SC110 error naming the bound (README: Limits)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

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
    ("input (3,)\nDense(9 ** 64)\n", "more than 40 digits"),
    (f"input (3,)\nDense({BIG_SUM})\n", "expression nested more than 200 deep"),
    ("input (3,)\nDense(" + "(" * 5000 + "1" + ")" * 5000 + ")\n",
     "parentheses nested more than 100 deep"),
    ("input (3,)\nrepeat 1000000000:\n    Dense(3)\n", "repeat count 1000000000 is more than"),
    ("input (3,)\nrepeat 20000:\n    repeat 20000:\n        Dense(3)\n",
     "layer and block applications"),
    ("block B():\n    B()\ninput (3,)\nB()\n", "blocks nested more than 64 deep"),
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
