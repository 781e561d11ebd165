"""No code execution: Python-injection attempts through every way user text enters symconv
(the file, --subs, solve's --shape, --params, --range and --layer, explain's --layer,
verify's --subs) are refused, and none of them runs: each would create a marker file."""

from __future__ import annotations

from pathlib import Path

import pytest

from symconv.cli import main

ROOT = Path(__file__).parent.parent
EXAMPLE = str(ROOT / "examples/kernel_stride.arch")


def payloads(marker: Path) -> list[str]:
    touch = f"open('{marker}', 'w')"
    return [f"__import__('os').system('touch {marker}')", f"{touch}",
            f"(lambda: {touch})()", f"eval(\"{touch}\")", f"exec(\"{touch}\")",
            f"`{touch}`", f"f'{{{touch}}}'", "().__class__.__base__.__subclasses__()",
            "K.__class__.__init__.__globals__", f"[{touch} for x in (1,)]"]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """(exit code, stderr) of the command line, run in this process."""
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, capsys.readouterr().err


def _command_lines(payload: str) -> list[list[str]]:
    solve = ["solve", EXAMPLE, "--for", "K"]
    return [
        ["derive", EXAMPLE, "--subs", f"K={payload}"],
        ["derive", EXAMPLE, "--subs", f"{payload}=3"],
        [*solve, "--shape", f"({payload}, 13, _)"],
        [*solve, "--params", payload],
        [*solve, "--shape", "(13, 13, _)", "--range", f"K=1..{payload}"],
        [*solve, "--shape", "(13, 13, _)", "--layer", payload],
        ["solve", EXAMPLE, "--for", payload, "--shape", "(13, 13, _)"],
        ["explain", EXAMPLE, "--layer", payload],
        ["verify", EXAMPLE, "--subs", f"S={payload}"],
    ]


@pytest.mark.parametrize("index", range(10))
def test_payloads_in_files_run_nothing(index: int, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "pwned"
    payload = payloads(marker)[index]
    for text in (f"input (28, 28, 1)\nConv2D({payload}, 3)\n",
                 f"sizes K = {payload}\ninput (28, 28, 1)\nConv2D(8, K)\n",
                 f"input (28, 28, 1)\nConv2D(8, 3, name={payload})\n",
                 f"network {payload}\ninput (28, 28, 1)\n"):
        path = tmp_path / "evil.arch"
        path.write_text(text, encoding="utf-8")
        code, err = _run(["derive", str(path)], capsys)
        assert code in (1, 2) and "Traceback" not in err, err
        assert not marker.exists()


def test_payloads_on_the_command_line_run_nothing(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "pwned"
    for payload in payloads(marker):
        for argv in _command_lines(payload):
            code, err = _run(argv, capsys)
            assert code in (1, 2), (argv, err)
            assert "Traceback" not in err
            assert not marker.exists(), argv
