"""Where the CLI's results go: standard output, standard error, or the file named by --output.

Writing can fail like any other input can be wrong: a full disk, a closed or broken pipe, an
encoding that has no ┃ or ⌊. Each failure becomes one line on standard error (`WriteError`) or,
for a reader that stopped reading (`symconv … | head`), silence; never a traceback, not even
when Python flushes standard output at exit.

--output writes a regular file whole or not at all (a temporary file in the same folder,
renamed over it, the file's mode kept), writes FIFOs and character devices in place (renaming
over /dev/null would replace the device), follows symbolic links, and refuses folders,
read-only files and block devices. A temporary file is removed when SIGTERM, SIGINT or SIGHUP
arrives during the write, and the signal then takes its usual course.
"""

from __future__ import annotations

import os
import signal
import stat
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO

from ..escapes import PLAIN_ERRORS, visible_lines


class WriteError(Exception):
    """A result that could not be written: the message is one line for standard error."""


class ReaderGone(Exception):
    """Standard output's reader closed the pipe (`symconv … | head -1`): nothing to say."""


# -- standard output and standard error ----------------------------------------------------
def encodes(stream: TextIO | None, sample: str) -> bool:
    """Whether `stream` can write `sample` as it is (False for an ASCII or Latin-1 terminal
    and box drawing)."""
    if stream is None:
        return True
    try:
        sample.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _encoded(text: str, stream: TextIO) -> bytes:
    """`text` in the stream's encoding, with what it cannot write replaced by symconv's ASCII
    (floor( for ⌊, >= for ≥, \\xe9 for é): readable, never an UnicodeEncodeError."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return text.encode(encoding, PLAIN_ERRORS)
    except LookupError:
        return text.encode("ascii", PLAIN_ERRORS)


def _write(stream: TextIO, text: str) -> None:
    """Every byte written, or an OSError. Through the binary layer: with PYTHONUNBUFFERED=1
    that is the raw file, and TextIOWrapper.write ignores a short write to a pipe whose
    reader left, dropping the rest of the output without an error."""
    binary = getattr(stream, "buffer", None)
    if binary is None or os.linesep != "\n":  # keep the text layer's newline translation
        encoding = getattr(stream, "encoding", None) or "utf-8"
        stream.write(_encoded(text, stream).decode(encoding))
        stream.flush()
        return
    stream.flush()
    view = memoryview(_encoded(text, stream))
    while view:
        written = binary.write(view)
        if written is None:  # a non-blocking descriptor, full: wait until it takes more
            import select

            select.select([], [binary.fileno()], [])
            continue
        view = view[written:]
    binary.flush()


def _silence(stream: TextIO) -> None:
    """Point the stream's file descriptor at the null device after a failed write, so that
    the flush at interpreter exit (which would fail again and print 'Exception ignored')
    succeeds: what Python's documentation advises for a broken pipe."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


def to_stdout(text: str | Iterable[str]) -> None:
    """`text`, or its pieces one after another (a renderer's `render_chunks`)."""
    stream = sys.stdout
    if stream is None:  # started with standard output closed (`>&-`)
        raise WriteError("cannot write standard output: it is closed")
    try:
        for piece in [text] if isinstance(text, str) else text:
            _write(stream, piece)
    except BrokenPipeError:
        _silence(stream)
        raise ReaderGone from None
    except (OSError, ValueError) as err:  # ValueError: the stream was closed
        _silence(stream)
        raise WriteError(f"cannot write standard output: {_reason(err)}") from None


def to_stderr(text: str) -> None:
    """A diagnostic (control characters escaped: it may quote a path or an argument); if even
    standard error cannot be written there is no one to tell."""
    from . import colour

    stream = sys.stderr
    if stream is None:
        return
    text = visible_lines(text)
    try:
        _write(stream, (colour.diagnostic(text) if colour.wanted(stream) else text) + "\n")
    except (OSError, ValueError):
        _silence(stream)


def _reason(err: Exception) -> str:
    return (err.strerror if isinstance(err, OSError) and err.strerror else str(err)) or \
        type(err).__name__


# -- --output FILE ---------------------------------------------------------------------------
def to_file(path: str, text: str | bytes | Iterable[str]) -> None:
    """Write `text` (as UTF-8; or its pieces one after another; bytes as they are) to `path`;
    '-' is standard output. See the module docstring."""
    if path == "-":
        to_stdout(text.decode("utf-8") if isinstance(text, bytes) else text)
        return
    data = [text] if isinstance(text, bytes) else [text.encode("utf-8")] if isinstance(
        text, str) else (piece.encode("utf-8") for piece in text)
    target = os.path.realpath(path)  # every symbolic link followed; a dangling one, its target
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as err:
        raise WriteError(f"cannot write {path}: {_reason(err)}") from None
    if info is None and path.endswith(("/", os.sep)):
        raise WriteError(f"cannot write {path}: no such folder")
    try:
        with _signals_interrupt():
            if info is None:
                _replace(target, data, None)
            elif stat.S_ISREG(info.st_mode):
                _check_writable(path, target, info)
                if info.st_nlink > 1:  # a rename would cut the file from its other names
                    _in_place(target, data, truncate=True)
                else:
                    _replace(target, data, info)
            elif stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
                _in_place(target, data, truncate=False)
            elif stat.S_ISDIR(info.st_mode):
                raise WriteError(f"cannot write {path}: it is a folder; name a file in it")
            else:
                raise WriteError(f"cannot write {path}: not a regular file, FIFO or "
                                 "character device")
    except OSError as err:
        raise WriteError(f"cannot write {path}: {_reason(err)}") from None
    except _Interrupted as stop:
        _resend(stop.signum)


def _check_writable(path: str, target: str, info: os.stat_result) -> None:
    """A file without write permission is refused even for root (who may write anything):
    replacing it through its folder would silently undo the protection, as `cp` without -f
    refuses for others."""
    if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise WriteError(f"cannot write {path}: the file is read-only (make it writable or "
                         "remove it first)")


def _in_place(target: str, data: Iterable[bytes], truncate: bool) -> None:
    flags = os.O_WRONLY | (os.O_TRUNC if truncate else 0)
    fd = os.open(target, flags)
    try:
        _write_pieces(fd, data)
    finally:
        os.close(fd)


def _write_pieces(fd: int, data: Iterable[bytes]) -> None:
    for piece in data:
        _write_all(fd, piece)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _replace(target: str, data: Iterable[bytes], info: os.stat_result | None) -> None:
    """A temporary file next to `target`, renamed over it once whole. A new file gets the
    usual mode (0666 less the umask); an existing one keeps its mode and, where allowed, its
    owner."""
    folder = os.path.dirname(target)
    temporary = None
    try:
        fd, temporary = _temporary(folder)
        try:
            if info is not None:
                os.fchmod(fd, stat.S_IMODE(info.st_mode))
                if os.geteuid() == 0:
                    os.fchown(fd, info.st_uid, info.st_gid)
            _write_pieces(fd, data)
        finally:
            os.close(fd)
        os.replace(temporary, target)
        temporary = None
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass


def _temporary(folder: str) -> tuple[int, str]:
    """O_EXCL with mode 0666, so that the kernel applies the umask as for any new file."""
    for _ in range(100):
        name = os.path.join(folder, f".symconv-{os.urandom(6).hex()}.tmp")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


# -- signals during a write ------------------------------------------------------------------
class _Interrupted(BaseException):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


STOPS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP")
              if hasattr(signal, name))


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM, SIGINT and SIGHUP raise inside the block (so that `finally` removes the
    temporary file) unless they are ignored; the old handlers come back afterwards."""
    def handler(signum: int, frame: object) -> None:
        raise _Interrupted(signum)

    old = {}
    for signum in STOPS:
        try:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                old[signum] = signal.signal(signum, handler)
        except ValueError:  # not the main thread: no handlers, as before
            break
    try:
        yield
    finally:
        for signum, previous in old.items():
            signal.signal(signum, previous)


def _resend(signum: int) -> None:
    """The signal again, now that the temporary file is gone, to its old handler: SIGTERM
    ends the process as it would have, SIGINT raises KeyboardInterrupt."""
    os.kill(os.getpid(), signum)
    raise SystemExit(128 + signum)  # a handler that returned: exit as the shell would report
