"""The table fits the terminal (issue 18, Terminal): COLUMNS (or the terminal's width) narrows
the widest columns and folds their cells; piped without COLUMNS it keeps its natural width;
wide (CJK) characters count two columns; an encoding without box drawing gets ASCII, never a
traceback; colour on a terminal (FORCE_COLOR stands in for one here), none under NO_COLOR.
Widths here are measured with unicodedata directly, not with symconv's helper."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
NAMES = ["conv2d (Conv2D)", "max_pooling2d (MaxPooling2D)", "conv2d_1 (Conv2D)",
         "max_pooling2d_1 (MaxPooling2D)", "flatten (Flatten)", "dropout (Dropout)",
         "dense (Dense)"]


def _columns(line: str) -> int:
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _run(*args: str, columns: int | None = None, encoding: str | None = None,
         stdin: str | None = None, **variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("COLUMNS", "PYTHONIOENCODING", "NO_COLOR", "FORCE_COLOR", "TERM")}
    env.update(variables)
    if columns is not None:
        env["COLUMNS"] = str(columns)
    if encoding is not None:
        env["PYTHONIOENCODING"] = encoding
    return subprocess.run([sys.executable, "-m", "symconv", *args], cwd=ROOT, env=env,
                          input=stdin.encode() if stdin else None, capture_output=True,
                          timeout=120)


def _table(out: str) -> list[str]:
    """The box's lines: from its top border to its bottom one."""
    lines = out.splitlines()
    top = next(i for i, line in enumerate(lines) if line[:1] and line[0] in "┏+")
    bottom = max(i for i, line in enumerate(lines) if line[:1] and line[0] in "└+")
    return lines[top:bottom + 1]


@pytest.mark.parametrize("columns", [60, 72, 90], ids=["60", "72", "90"])
def test_table_fits_the_width(columns: int) -> None:
    res = _run("derive", "examples/mnist_cnn.arch", columns=columns)
    assert res.returncode == 0, res.stderr
    box = _table(res.stdout.decode())
    assert len({_columns(line) for line in box}) == 1 and _columns(box[0]) <= columns
    first = " ".join(line.split("│")[1].strip() for line in box if line.startswith("│"))
    for name in NAMES:  # each name whole once its folded lines are put back together
        assert name in first
    assert "18,496" in res.stdout.decode()  # Keras: 64·(3·3·32 + 1)


@pytest.mark.parametrize("columns", [None, 200], ids=["piped", "200"])
def test_natural_width_when_it_fits(columns: int | None) -> None:
    res = _run("derive", "examples/mnist_cnn.arch", columns=columns)
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode() == (GOLDEN / "mnist_cnn.table.txt").read_text()


@pytest.mark.parametrize("name", ["密集层", "ｄｅｎｓｅ"], ids=["cjk", "fullwidth"])
@pytest.mark.parametrize("columns", [None, 50], ids=["natural", "50"])
def test_wide_characters_align(name: str, columns: int | None) -> None:
    text = f'convention keras\ninput (4,)\nDense(2, name="{name}")\nDense(3)\n'
    res = _run("derive", "-", columns=columns, stdin=text)
    assert res.returncode == 0, res.stderr
    box = _table(res.stdout.decode())
    assert len({_columns(line) for line in box}) == 1, "\n".join(box)


@pytest.mark.parametrize("columns", [None, 60], ids=["natural", "60"])
def test_cp1252_gets_ascii(columns: int | None) -> None:
    res = _run("derive", "examples/mnist_cnn.arch", columns=columns, encoding="cp1252")
    assert res.returncode == 0 and b"Traceback" not in res.stderr
    out = res.stdout.decode("cp1252")
    assert out.isascii() and "floor(" in out
    box = _table(out)
    assert len({len(line) for line in box}) == 1
    if columns:
        assert max(map(len, box)) <= columns


SGR = re.compile(r"\x1b\[[0-9;]*m")  # a colour or weight, and its reset
BAD = "convention keras\ninput (28, 28, 1)\nConv2D(8, kernal_size=3)\n"


def test_colour_on_a_terminal() -> None:
    plain = _run("derive", "-", stdin=BAD)
    res = _run("derive", "-", stdin=BAD, FORCE_COLOR="1")
    assert res.returncode == plain.returncode == 1
    err = res.stderr.decode()
    assert "\x1b[1;31merror\x1b[0m" in err and "\x1b[1;36mhint:\x1b[0m" in err
    assert SGR.sub("", err) == plain.stderr.decode()  # colour, nothing else
    table = _run("derive", "examples/mnist_cnn.arch", FORCE_COLOR="1").stdout.decode()
    assert "\x1b[1m Layer (type)" in table
    assert SGR.sub("", table) == (GOLDEN / "mnist_cnn.table.txt").read_text()


@pytest.mark.parametrize("variables", [{"NO_COLOR": "1", "FORCE_COLOR": "1"}, {},
                                       {"TERM": "dumb", "FORCE_COLOR": ""}],
                         ids=["NO_COLOR", "piped", "dumb"])
def test_no_colour(variables: dict[str, str]) -> None:
    res = _run("derive", "-", stdin=BAD, **variables)
    assert "\x1b" not in res.stderr.decode() and "\x1b" not in res.stdout.decode()


def test_colour_keeps_user_escapes_escaped() -> None:
    """A name holding an escape sequence is shown escaped; the only codes are symconv's."""
    text = 'convention keras\ninput (4,)\nDense(2, name="a\x1b[31mred")\n'
    out = _run("derive", "-", stdin=text, FORCE_COLOR="1").stdout.decode()
    assert "a\\x1b[31mred" in out and "\x1b" not in SGR.sub("", out)
    assert "\x1b[31m" not in out


@pytest.mark.parametrize("args, wanted", [
    (["--subs", "H=28", "--subs", "W=28"], "Total params: 34,826"),  # Keras's summary
    (["--subs", ""], "symbolic in H, W"),  # every declared default, naming no size
], ids=["merged", "defaults-only"])
def test_subs_repeated_and_empty(args: list[str], wanted: str) -> None:
    res = _run("derive", "examples/mnist_cnn.arch", *args)
    assert res.returncode == 0, res.stderr
    assert wanted in res.stdout.decode()


def test_subs_twice_refused() -> None:
    res = _run("derive", "examples/mnist_cnn.arch", "--subs", "H=28", "--subs", "H=30")
    assert res.returncode == 2 and "'H' is given twice" in res.stderr.decode()


def test_help_has_examples_and_the_language() -> None:
    out = _run("--help").stdout.decode()
    assert "examples:" in out and "The .arch language" in out
    derive = _run("derive", "--help").stdout.decode()
    assert "--format" in derive and "markdown, or latex" in " ".join(derive.split())
    commands = [shlex.split(line)[1:] for line in out.splitlines()
                 if line.startswith("  symconv ")]
    # an example for every command
    assert {c[0] for c in commands} == {"derive", "solve", "explain", "verify", "draw", "import",
                                         "plot"}
    for command in commands:
        if command[0] in ("verify", "import") or "-o" in command:
            continue  # the frameworks, a model to import, a file written: run elsewhere
        res = _run(*command)
        assert res.returncode == 0, (command, res.stderr)
