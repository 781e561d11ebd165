"""The command line: golden outputs for every example and format, exit codes, determinism."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_errors import run

ROOT = Path(__file__).parent.parent
GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))
FORMATS = ("table", "json", "markdown", "latex")
SUBS = {"mnist_cnn": "H=28,W=28", "small_cnn_torch": "H=28,W=28", "conv1d_seed": "L=60,C=1",
        "lenet5": "H=32,W=32", "alexnet": "H=224,W=224", "resnet18": "H=224,W=224",
        "resnet50": "H=224,W=224", "mobilenetv2_torch": "H=224,W=224",
        "mobilenetv2_keras": "H=224,W=224", "vgg16": "H=224,W=224", "unet2_torch": "H=64,W=64",
        "text_model_torch": "L=100", "transformer_block_torch": "L=128",
        "transformer_stack_torch": "L=128",
        "text_model_keras": "L=100", "transformer_block_keras": "L=128",
        "kernel_stride": "K=3", "kernel_torch": "K=3", "dilated_same": "P=2",
        "gpt2": "L=16", "bert_base": "L=16", "llama2_7b": "L=16", "vit_b16": "H=224,W=224",
        "convnext_tiny": "H=224,W=224", "efficientnetb0_keras": "H=224,W=224",
        "nasnet_mobile_keras": "H=224,W=224"}
# SYMCONV_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing (then read the diff).
UPDATE = os.environ.get("SYMCONV_UPDATE_GOLDEN") == "1"


def _golden(name: str, out: str) -> str:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(out, encoding="utf-8")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_golden_symbolic(example: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run(["derive", f"examples/{example.name}", "--format", fmt])
    assert (code, err) == (0, "")
    assert out == _golden(f"{example.stem}.{fmt}.txt", out)


@pytest.mark.parametrize("name,subs", sorted(SUBS.items()))
def test_golden_substituted(name: str, subs: str) -> None:
    code, out, err = run(["derive", str(ROOT / "examples" / f"{name}.arch"), "--subs", subs])
    assert (code, err) == (0, "")
    assert out == _golden(f"{name}.subs.table.txt", out)


def test_golden_examples_are_complete() -> None:
    assert {e.stem for e in EXAMPLES} == set(SUBS)


def test_usage_errors_exit_2() -> None:
    assert run([])[0] == 2
    assert run(["derive"])[0] == 2
    assert run(["derive", "x.arch", "--format", "pdf"])[0] == 2
    assert run(["frobnicate"])[0] == 2


def _cli(*args: str, seed: str = "0", stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run([sys.executable, "-m", "symconv", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=120)


def test_python_m_and_stdin() -> None:
    text = (ROOT / "examples" / "conv1d_seed.arch").read_text()
    done = _cli("derive", "-", "--subs", "L=60,C=1", stdin=text)
    assert done.returncode == 0, done.stderr
    assert "1,417" in done.stdout


def test_same_bytes_across_hash_seeds() -> None:
    outs = {_cli("derive", "examples/mnist_cnn.arch", "-f", "json", seed=s).stdout
            for s in ("0", "1", "12345")}
    assert len(outs) == 1 and outs.pop()
