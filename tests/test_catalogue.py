"""The error catalogue: every code symconv can raise (symconv.errors.CODES, README's table) has
an input here that triggers it through the command line, with its position, message and code;
with `--format json` the error is also a JSON object on stdout carrying the code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from symconv.cli import main
from symconv.errors import CODES

KERAS_CONV = "sizes L\ninput (L, 3)\nConv1D(4, 3)\n"
# code → (the .arch text written to net.arch, or None for no file; the arguments after it)
CATALOGUE: dict[str, tuple[str | None, list[str]]] = {
    "SC001": (None, ["derive", "{dir}/missing.arch"]),
    "SC100": ("input (3,\n", ["derive"]),
    "SC101": ("input (3,)\nFoo(3)\n", ["derive"]),
    "SC102": ("input (3, 8, 8)\nConv2d(3, 4, 3)\n", ["derive"]),
    "SC103": ("input (H, 3)\n", ["derive"]),
    "SC104": ("input (8, 3)\nConv1D(4, 'three')\n", ["derive"]),
    "SC105": ("input (8, 3)\nConv1D(4)\n", ["derive"]),
    "SC106": ("input (8, 3)\nConv1D(4, 3, stride=2)\n", ["derive"]),
    "SC107": ("sizes H, H\ninput (H,)\n", ["derive"]),
    "SC108": ("Dense(3)\n", ["derive"]),
    "SC109": ("convention jax\ninput (3,)\n", ["derive"]),
    "SC110": ("input (3,)\nDense(10 ** 100)\n", ["derive"]),
    "SC111": ("input (3,)\na, b = (1, 2, 3)\n", ["derive"]),
    "SC112": ("sizes n\ninput (8, 3)\nrepeat n:\n    Dense(4)\n", ["derive"]),
    "SC113": ("convention torch\ninput (4,)\nEmbedding(10, 4, name=\"wte\")\n"
              "Linear(4, 9, tie=\"wte\")\n", ["derive"]),
    "SC201": ("input (8,)\nConv1D(4, 3)\n", ["derive"]),
    "SC202": ("input (2, 3)\nConv1D(4, 3)\n", ["derive"]),
    "SC203": ("convention torch\ninput (3, 8, 8)\nConv2d(4, 8, 3)\n", ["derive"]),
    "SC301": (KERAS_CONV, ["derive", "--subs", "L=2"]),
    "SC302": (KERAS_CONV, ["derive", "--subs", "X=3"]),
    "SC303": (KERAS_CONV, ["solve", "--for", "L"]),
    "SC304": (KERAS_CONV, ["solve", "--for", "L", "--params", "40", "--range",
                           "L=1..200000"]),
    "SC305": ("sizes L\ninput (L, 3)\nConv1D(4, 300)\n", ["verify"]),
    "SC306": ("convention torch\ninput (3,)\nLinear(3, 2)\n", ["verify", "--against", "keras"]),
    "SC307": (KERAS_CONV, ["explain", "--layer", "conv"]),
    "SC308": ("convention torch\ninput (3,)\nLinear(3, 300000000)\n", ["verify"]),
    # the file holds Python here: `symconv import FILE:Net`
    "SC309": ("import torch\nclass Net(torch.nn.Module):\n    def forward(self, x):\n"
              "        return torch.cumsum(x, 1)\n", ["import", "--input", "(3,)"]),
}


def test_every_code_has_an_example() -> None:
    assert sorted(CATALOGUE) == sorted(CODES)


def _run(code: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
         extra: tuple[str, ...] = ()) -> tuple[int, str, str]:
    text, argv = CATALOGUE[code]
    path = tmp_path / "net.arch"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    command, *options = argv
    target = f"{path}:Net" if command == "import" else str(path)
    args = [command, target] + options if text is not None else [
        command, options[0].format(dir=tmp_path)] + options[1:]
    result = main(args + list(extra))
    out = capsys.readouterr()
    return result, out.out, out.err


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_code_is_raised_as_documented(code: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    if code in ("SC305", "SC306", "SC308", "SC309"):
        pytest.importorskip("torch")
    result, _, err = _run(code, tmp_path, capsys)
    assert result == 1
    first = err.splitlines()[0]
    assert first.endswith(f"[{code}]"), err
    assert first.startswith(str(tmp_path)) and ": error: " in first, err
    assert "Traceback" not in err


@pytest.mark.parametrize("code", ["SC101", "SC203", "SC301", "SC110"])
def test_json_output_carries_the_code(code: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    result, out, err = _run(code, tmp_path, capsys, ("--format", "json"))
    assert result == 1 and f"[{code}]" in err
    error = json.loads(out)["error"]
    assert error["code"] == code and error["message"] and error["path"].endswith("net.arch")
