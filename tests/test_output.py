"""Files: symconv writes nothing unless asked (--output), and then the whole result or nothing,
through a temporary file renamed at the end."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from symconv.cli import commands as cli

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

    from symconv.language import parse, syntax
    from symconv.errors import Source

    text = syntax.grammar_text()
    loaded = syntax.load_tables(text, parse._ToIR())
    assert loaded is not None, ("run: python -c "
                                "\"import symconv.language.syntax as s; s.write_tables()\"")
    built = Lark(text, postlex=syntax.ArchIndenter(), transformer=parse._ToIR(), **syntax.OPTIONS)
    for path in sorted((ROOT / "examples").glob("*.arch")):
        source = Source(path.read_text(encoding="utf-8"), str(path))
        assert loaded.parse(source.text) == built.parse(source.text), path.name


# -- writing standard output can fail: one line, exit 1, never a traceback ------------------
MNIST = str(ROOT / "examples" / "mnist_cnn.arch")


def _symconv(*args: str, stdout: object = subprocess.PIPE, stdin: object = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "symconv", *args], cwd=ROOT, env=env,
                          stdout=stdout, stdin=stdin, stderr=subprocess.PIPE, text=True,
                          timeout=120)


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert stderr.count("\n") == 1, stderr
    return stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["derive", MNIST], ["derive", MNIST, "-f", "json"],
                                  ["explain", MNIST], ["--help"], ["--version"]],
                         ids=["table", "json", "explain", "help", "version"])
def test_a_full_disk_is_one_line_and_exit_1(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = _symconv(*args, stdout=full)
    assert done.returncode == 1
    assert "cannot write standard output: No space left on device" in _one_line(done.stderr)


def test_a_closed_standard_output_is_one_line_and_exit_1() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        ["/bin/sh", "-c", f'exec "$0" -m symconv derive "$1" >&-', sys.executable, MNIST],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "cannot write standard output: it is closed" in _one_line(done.stderr)


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """`symconv derive … | head -1`: the output (400 kB) is far larger than a pipe holds, so
    symconv is still writing when the reader goes."""
    net = tmp_path / "long.arch"
    net.write_text("input (8,)\nrepeat 2000:\n    Dense(8)\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "symconv", "derive", str(net)], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith(b"Model:")
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert stderr == ""


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_an_encoding_without_box_drawing_gets_an_aligned_ascii_table(encoding: str) -> None:
    done = _symconv("derive", MNIST, env={"PYTHONIOENCODING": encoding})
    assert done.returncode == 0 and done.stderr == ""
    lines = done.stdout.splitlines()
    table = [line for line in lines if line.startswith(("+", "|"))]
    assert len(table) > 10 and len({len(line) for line in table}) == 1  # every row aligned
    assert done.stdout.isascii()
    assert "| max_pooling2d (MaxPooling2D)   | (None, floor(H/2) - 1, floor(W/2) - 1, 32)" \
        in done.stdout
    assert "max_pooling2d_1: H >= 10" in done.stdout


@pytest.mark.parametrize("command,plain", [(["explain", MNIST], "(H, W, C) -> (H - 2, W - 2, 32)"),
                                           (["derive", MNIST, "-f", "markdown"],
                                            "`(None, floor(H/2) - 1, floor(W/2) - 1, 32)`")],
                         ids=["explain", "markdown"])
def test_other_outputs_degrade_to_ascii(command: list[str], plain: str) -> None:
    done = _symconv(*command, env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.isascii() and plain in done.stdout


def test_errors_degrade_to_ascii_too(tmp_path: Path) -> None:
    net = tmp_path / "é.arch"
    net.write_text("input (8,)\nDense(3, name='ü', stride=2)\n", encoding="utf-8")
    done = _symconv("derive", str(net), env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "\\xe9.arch:2:20: error: Dense() got an unexpected argument 'stride'" in done.stderr
    source, caret = done.stderr.splitlines()[1:3]
    assert source == "    Dense(3, name='\\xfc', stride=2)"
    assert caret.index("^") == source.index("stride")  # the caret under the escaped line


# -- --output: a regular file whole or not at all; FIFOs and devices written in place --------
def _derive_to(target: str | Path) -> subprocess.CompletedProcess[str]:
    return _symconv("derive", MNIST, "-o", str(target))


@pytest.fixture(scope="module")
def expected() -> str:
    return _symconv("derive", MNIST).stdout


def _null_device(tmp_path: Path) -> Path:
    """A character device to write to that a regression cannot harm: as root (who could
    replace /dev/null itself, as symconv once did), a private node of the null device in the
    test's folder; otherwise /dev/null, which a user cannot replace."""
    if os.geteuid() != 0:
        return Path("/dev/null")
    node = tmp_path / "null"
    null = os.stat("/dev/null")
    if not stat.S_ISCHR(null.st_mode):
        pytest.fail("/dev/null is not a character device on this machine")
    os.mknod(node, 0o666 | stat.S_IFCHR, null.st_rdev)
    return node


def test_output_to_a_character_device_leaves_the_device(tmp_path: Path) -> None:
    device = _null_device(tmp_path)
    before = os.stat(device)
    done = _derive_to(device)
    assert (done.returncode, done.stderr) == (0, "")
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino and after.st_mode == before.st_mode
    assert list(device.parent.glob(".symconv-*.tmp")) == []


def test_output_keeps_the_mode_of_an_existing_file(tmp_path: Path, expected: str) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    assert _derive_to(target).returncode == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text(encoding="utf-8") == expected
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_new_file_gets_the_usual_mode(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    os.umask(mask)
    target = tmp_path / "new.txt"
    assert _derive_to(target).returncode == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_output_through_a_symbolic_link_replaces_its_target(tmp_path: Path,
                                                             expected: str) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to("real.txt")
    assert _derive_to(link).returncode == 0
    assert link.is_symlink() and os.readlink(link) == "real.txt"
    assert real.read_text(encoding="utf-8") == expected
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to("made.txt")
    assert _derive_to(dangling).returncode == 0
    assert dangling.is_symlink() and (tmp_path / "made.txt").read_text(encoding="utf-8") == \
        expected


def test_output_to_a_file_with_other_names_writes_in_place(tmp_path: Path,
                                                           expected: str) -> None:
    first = tmp_path / "a.txt"
    first.write_text("old", encoding="utf-8")
    os.link(first, tmp_path / "b.txt")
    assert _derive_to(first).returncode == 0
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == expected


def test_output_to_a_fifo_writes_into_it(tmp_path: Path, expected: str) -> None:
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    # a daemon: if the FIFO were replaced, its reader would wait for a writer forever
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = _derive_to(fifo)
    reader.join(timeout=30)
    assert (done.returncode, done.stderr) == (0, "")
    assert received == [expected.encode("utf-8")]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_output_refuses_a_read_only_file_even_for_root(tmp_path: Path) -> None:
    target = tmp_path / "locked.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o444)
    done = _derive_to(target)
    assert done.returncode == 1
    assert f"cannot write {target}: the file is read-only" in _one_line(done.stderr)
    assert target.read_text(encoding="utf-8") == "old"
    assert stat.S_IMODE(target.stat().st_mode) == 0o444


@pytest.mark.parametrize("name", ["folder", "folder/"])
def test_output_refuses_a_folder(tmp_path: Path, name: str) -> None:
    (tmp_path / "folder").mkdir()
    done = _derive_to(f"{tmp_path}/{name}")
    assert done.returncode == 1
    assert "it is a folder; name a file in it" in _one_line(done.stderr)
    assert list((tmp_path / "folder").iterdir()) == []


def test_output_to_a_missing_folder_says_so(tmp_path: Path) -> None:
    done = _derive_to(f"{tmp_path}/none/")
    assert done.returncode == 1 and "no such folder" in _one_line(done.stderr)
    assert list(tmp_path.iterdir()) == []


def test_output_dash_is_standard_output(tmp_path: Path, expected: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "symconv", "derive", MNIST, "-o", "-"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, expected)
    assert list(tmp_path.iterdir()) == []


SLOW_WRITE = """
import os, sys, time
from symconv.cli import commands as cli, output

real = output._write_all
def slow(fd, data):
    real(fd, data[:10])
    print("writing", flush=True)
    time.sleep(60)
output._write_all = slow
sys.exit(cli.main(["derive", sys.argv[1], "-o", sys.argv[2]]))
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP],
                         ids=["TERM", "INT", "HUP"])
def test_a_signal_during_the_write_removes_the_temporary_file(tmp_path: Path,
                                                              signum: int) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # the child takes each signal's default course, whatever this run inherited: started under
    # nohup, or in the background of a script, SIGHUP and SIGINT come ignored, and symconv
    # rightly leaves an ignored signal ignored
    process = subprocess.Popen([sys.executable, "-c", SLOW_WRITE, MNIST, str(target)],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signum, signal.SIG_DFL))
    assert process.stdout is not None
    assert process.stdout.readline() == "writing\n"
    assert len(list(tmp_path.glob(".symconv-*.tmp"))) == 1
    process.send_signal(signum)
    code = process.wait(timeout=60)
    assert code in (-signum, 128 + signum, 130 if signum == signal.SIGINT else -signum)
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    assert target.read_text(encoding="utf-8") == "old"


# -- standard input passes the same checks as a file ------------------------------------------
def test_standard_input_is_bounded_like_a_file() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "symconv", "derive", "-"], cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, input=b"#" * 1_100_000,
        capture_output=True, timeout=120)
    assert done.returncode == 1
    assert b"<stdin>: error: standard input is larger than 1,000,000 bytes [SC110]" in done.stderr


def test_standard_input_must_be_utf8() -> None:
    done = subprocess.run([sys.executable, "-m", "symconv", "derive", "-"], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)},
                          input=b"input (8,)\n# \xff\nDense(3)\n", capture_output=True,
                          timeout=120)
    assert done.returncode == 1
    assert b"<stdin>: error: not UTF-8 text (byte 13) [SC001]" in done.stderr


def test_a_closed_standard_input_is_an_error() -> None:
    done = subprocess.run(["/bin/sh", "-c", 'exec "$0" -m symconv derive - <&-', sys.executable],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "cannot read standard input: it is closed [SC001]" in _one_line(done.stderr)


def test_an_endless_file_is_read_only_up_to_the_bound(tmp_path: Path) -> None:
    """A FIFO fed without end (as /dev/zero would be) is read up to the bound and refused; the
    writer offers 50 MB, and is cut off after about one."""
    import threading

    from symconv.api import load
    from symconv.errors import SymconvError

    fifo = tmp_path / "endless.arch"
    os.mkfifo(fifo)
    written = [0]

    def feed() -> None:
        try:
            with open(fifo, "wb") as f:
                for _ in range(50 * 16):
                    written[0] += f.write(b"#" * 65536)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    with pytest.raises(SymconvError, match="file is larger than 1,000,000 bytes"):
        load(fifo)
    writer.join(timeout=60)
    assert not writer.is_alive() and written[0] < 2_000_000
