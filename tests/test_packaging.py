"""A non-editable install, run from another directory, finds the grammar inside the package.
Works however the tests' interpreter was installed (a virtual environment, as README says, or
the system's)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# the installed package alone: no PYTHONPATH pointing at a checkout
CLEAN = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _borrow_dependencies(python: Path) -> None:
    """Let the fresh environment import sympy and lark from wherever the interpreter running
    the tests has them (its own virtual environment, the system, a user site), without the
    network: a .pth file listing this interpreter's import folders, after the environment's
    own site-packages, so that the installed wheel comes first. (system_site_packages would
    see the base interpreter's packages, not those of a virtual environment running pytest.)
    Plain folder lines: the .pth files inside them, such as an editable install's, are not
    run."""
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"], check=True,
                             capture_output=True, text=True).stdout.strip()
    folders = [p for p in sys.path if p and Path(p).is_dir() and Path(p).resolve() != ROOT]
    (Path(purelib) / "borrowed.pth").write_text("\n".join(folders) + "\n", encoding="utf-8")


def test_wheel_ships_grammar_and_runs_elsewhere(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(wheels), str(ROOT)], check=True,
                   capture_output=True, timeout=300)
    (wheel,) = wheels.glob("symconv-*.whl")
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "symconv/grammar/arch.lark" in names and "symconv/grammar/arch.lark.tables" in names
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True,
                   timeout=300)
    _borrow_dependencies(python)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "net.arch").write_text("sizes L\ninput (L, 300)\nConv1D(111, 5)\n")
    done = subprocess.run([str(python), "-m", "symconv", "derive", "net.arch", "--subs", "L=9"],
                          cwd=elsewhere, env=CLEAN, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "166,611" in done.stdout
    where = subprocess.run([str(python), "-c", "import symconv; print(symconv.__file__)"],
                           cwd=elsewhere, env=CLEAN, capture_output=True, text=True,
                           check=True).stdout
    assert str(ROOT) not in where
    script = ("from symconv.language import parse, syntax; "
              "print(syntax.load_tables(syntax.grammar_text(), parse._ToIR()) is not None)")
    loaded = subprocess.run([str(python), "-c", script], cwd=elsewhere, env=CLEAN,
                            capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "True"  # the installed package uses its shipped tables
