"""Files: symconv writes nothing unless asked (--output), and then the whole result or nothing,
through a temporary file renamed at the end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from symconv import cli

ROOT = Path(__file__).parent.parent


def test_output_writes_the_whole_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.txt"
    assert cli.main(["derive", str(ROOT / "examples/mnist_cnn.arch"), "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert cli.main(["derive", str(ROOT / "examples/mnist_cnn.arch")]) == 0
    assert target.read_text(encoding="utf-8") == capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_an_interrupted_write_leaves_the_old_file(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cli.main(["derive", str(ROOT / "examples/mnist_cnn.arch"), "-o", str(target)])
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary file left


def test_an_error_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    assert cli.main(["derive", str(tmp_path / "missing.arch"), "-o", str(target)]) == 1
    assert list(tmp_path.iterdir()) == []


def test_nothing_is_written_unless_asked(tmp_path: Path) -> None:
    """A whole run, in a fresh working folder with fresh temporary and home folders, leaves
    every one of them empty (no parser cache, no bytecode, no logs)."""
    folders = {name: tmp_path / name for name in ("cwd", "tmp", "home")}
    for folder in folders.values():
        folder.mkdir()
    env = {**os.environ, "TMPDIR": str(folders["tmp"]), "HOME": str(folders["home"]),
           "PYTHONDONTWRITEBYTECODE": "1"}
    for argv in (["derive", str(ROOT / "examples/resnet18.arch"), "-f", "latex"],
                 ["explain", str(ROOT / "examples/mnist_cnn.arch")],
                 ["solve", str(ROOT / "examples/kernel_stride.arch"), "--for", "K", "--shape",
                  "(13, 13, _)"]):
        subprocess.run([sys.executable, "-m", "symconv", *argv], cwd=folders["cwd"], env=env,
                       check=True, capture_output=True, timeout=120)
    for name, folder in folders.items():
        assert list(folder.iterdir()) == [], f"symconv wrote into the {name} folder"


def test_shipped_parse_tables_are_current_and_equivalent() -> None:
    """grammar/arch.lark.tables was built from this grammar with this Lark (else symconv would
    quietly build the parser on every start), and parses every example to the same program as
    a parser built from the grammar."""
    from lark import Lark

    from symconv import parse, syntax
    from symconv.errors import Source

    text = syntax.grammar_text()
    loaded = syntax.load_tables(text, parse._ToIR())
    assert loaded is not None, "run: python -c \"import symconv.syntax as s; s.write_tables()\""
    built = Lark(text, postlex=syntax.ArchIndenter(), transformer=parse._ToIR(), **syntax.OPTIONS)
    for path in sorted((ROOT / "examples").glob("*.arch")):
        source = Source(path.read_text(encoding="utf-8"), str(path))
        assert loaded.parse(source.text) == built.parse(source.text), path.name
