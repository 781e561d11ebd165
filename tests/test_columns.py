"""The compute columns in every renderer: MACs or FLOPs, activation memory, receptive field.
Their values are tested against ptflops, fvcore, torch and published tables in
tests/test_analysis.py; here, that each renderer shows them with their conventions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from symconv.cli import main

ROOT = Path(__file__).parent.parent


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_table_shows_macs_memory_and_receptive_field(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "derive", str(ROOT / "examples/vgg16.arch"), "--subs", "H=224,W=224",
              "--macs", "--memory", "--receptive-field", "--depth", "all")
    header = next(line for line in out.splitlines() if "Layer (type)" in line)
    assert "MACs" in header and "Activations (bytes, float32, batch 1)" in header
    assert "Receptive field" in header
    # VGG16 at 224×224: 15.47 GMACs (ptflops README's table); conv5_3 sees 196×196 pixels,
    # pool5 212×212 (Araujo et al., Distill 2019)
    assert "Total MACs: 15,470,264,320 per example, counted as weights" in out
    assert "196 × 196" in next(line for line in out.splitlines() if "block5_conv3" in line)
    assert "212 × 212" in next(line for line in out.splitlines() if "block5_pool" in line)


def test_flops_are_twice_the_macs(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "derive", str(ROOT / "examples/vgg16.arch"), "--subs", "H=224,W=224",
              "--flops")
    assert "Total FLOPs (2 per multiply-accumulate): 30,940,528,640 per example" in out


def test_json_and_markdown_carry_the_columns(capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(run(capsys, "derive", str(ROOT / "examples/mnist_cnn.arch"), "-f", "json",
                          "--macs", "ptflops", "--memory", "float16", "--batch", "4",
                          "--receptive-field"))
    assert data["macs_convention"]["name"] == "ptflops"
    assert data["memory"] == {"dtype": "float16", "batch": 4}
    first = data["layers"][0]
    # a 3×3 'valid' convolution: each output sees 3 pixels, steps 1 pixel, and the first one
    # is centred on pixel 1 (pixel centres at 0.5, 1.5, …: centre 1.5)
    assert first["receptive_field"] == [{"size": 3, "jump": 1, "start": "3/2"},
                                        {"size": 3, "jump": 1, "start": "3/2"}]
    assert {"macs", "activation_bytes"} <= set(first) and "macs" in data["totals"]
    md = run(capsys, "derive", str(ROOT / "examples/mnist_cnn.arch"), "-f", "markdown",
             "--macs")
    assert "| MACs |" in md.splitlines()[2] and "- Total MACs:" in md


def test_symbolic_compute_compiles(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from test_latex import pdf_text

    tex = run(capsys, "derive", str(ROOT / "examples/resnet50.arch"), "-f", "latex", "--macs",
              "fvcore", "--memory", "--receptive-field", "--standalone")
    pytest.importorskip("shutil").which("pdflatex") or pytest.skip("no pdflatex")
    text = pdf_text(tex, tmp_path)
    assert re.search(r"counted\s+as\s+fvcore", text)


def test_the_command_line_offers_every_convention_and_dtype() -> None:
    from symconv.cli import arguments as cli
    from symconv.analysis import macs, memory

    assert sorted(cli.MACS_CONVENTIONS) == sorted(macs.PRESETS)
    assert sorted(cli.DTYPES) == sorted(memory.BYTES)


def test_the_all_convention_counts_more_than_weights(capsys: pytest.CaptureFixture[str]) -> None:
    weights = run(capsys, "derive", str(ROOT / "examples/mnist_cnn.arch"), "--subs",
                  "H=28,W=28", "--macs", "weights")
    everything = run(capsys, "derive", str(ROOT / "examples/mnist_cnn.arch"), "--subs",
                     "H=28,W=28", "--macs", "all")
    assert "counted as all:" in everything

    def total(out: str) -> int:
        line = next(x for x in out.splitlines() if x.startswith(" Total MACs:"))
        return int(line.split(":")[1].split()[0].replace(",", ""))

    assert total(everything) > total(weights)
