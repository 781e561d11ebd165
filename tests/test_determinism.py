"""The same input prints the same bytes: across runs, across PYTHONHASHSEED values (set
iteration order changes with it), and whatever order the sizes are declared in."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import symconv

ROOT = Path(__file__).parent.parent

SCRIPT = """
import hashlib, sys
from pathlib import Path
from symconv.cli import main
import io, contextlib
digest = hashlib.sha256()
for path in sorted(Path(sys.argv[1]).glob("*.arch")):
    for argv in (["-f", "table", "--depth", "all", "--macs", "--receptive-field"],
                 ["-f", "json", "--macs", "fvcore", "--memory"], ["-f", "markdown"],
                 ["-f", "latex", "--formulas", "stepwise"]):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["derive", str(path), *argv]) == 0
        digest.update(out.getvalue().encode())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["explain", str(path)]) == 0
    digest.update(out.getvalue().encode())
print(digest.hexdigest())
"""


def _digest(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT / "examples")], env=env,
                         capture_output=True, text=True, check=True, timeout=600)
    return run.stdout.strip()


def test_outputs_are_the_same_bytes_whatever_the_hash_seed() -> None:
    digests = {seed: _digest(seed) for seed in ("0", "1", "4242")}
    assert len(set(digests.values())) == 1, digests


def test_declaration_order_does_not_change_the_formulas() -> None:
    body = ("input (H, W, C)\nConv2D(F, K, strides=S)\nMaxPooling2D(P)\nFlatten()\n"
            "Dense(N)\n")
    orders = ["H, W, C, F, K, S, P, N", "N, P, S, K, F, C, W, H", "K, H, N, C, P, W, S, F"]
    outs = []
    for order in orders:
        d = symconv.derive(f"sizes {order}\n{body}")
        data = d.to_dict()
        data.pop("sizes")
        outs.append(hashlib.sha256(repr(data).encode()).hexdigest())
    assert len(set(outs)) == 1
