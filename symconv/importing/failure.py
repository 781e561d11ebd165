"""SC309: what the importer cannot express, said at the user's own source line.

The location is the innermost frame of the user's code (not torch's, not symconv's), taken from
a traceback or from the stack trace torch.fx records on each graph node.
"""

from __future__ import annotations

import os
import re
import traceback
from types import TracebackType

from ..errors import Source, Span, SymconvError

MAX_SOURCE_BYTES = 1_000_000  # as much of a Python file as an .arch file may be
_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


def _library(path: str) -> bool:
    """Whether `path` belongs to torch or to symconv, not to the model's own code."""
    import torch

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    roots = (os.path.dirname(os.path.abspath(torch.__file__)), here)
    full = os.path.abspath(path)
    return any(full.startswith(root + os.sep) for root in roots) or path.startswith("<")


def frame_of_stack_trace(text: str) -> tuple[str, int] | None:
    """The innermost user frame of a stack trace torch.fx recorded (a node's `stack_trace`)."""
    frames = [(m.group(1), int(m.group(2))) for m in _FRAME.finditer(text or "")]
    user = [f for f in frames if not _library(f[0])]
    return user[-1] if user else None


def frame_of_traceback(tb: TracebackType | None) -> tuple[str, int] | None:
    """The innermost user frame of an exception's traceback."""
    frames = [(f.filename, f.lineno or 0) for f in traceback.extract_tb(tb)]
    user = [f for f in frames if not _library(f[0])]
    return user[-1] if user else None


def cannot_import(message: str, where: tuple[str, int] | None, hint: str | None = None,
                  fallback: str = "<model>") -> SymconvError:
    """An SC309 error at `where` (file, line), showing that line, or at `fallback` without a
    position when the place is not known."""
    if where is None:
        return SymconvError("SC309", message, None, Source("", fallback), hint=hint)
    path, line = where
    try:
        with open(path, "rb") as f:
            text = f.read(MAX_SOURCE_BYTES).decode("utf-8", "replace")
    except OSError:
        text = ""
    source = Source(text, path)
    column = len(source.line(line)) - len(source.line(line).lstrip()) + 1
    end = len(source.line(line).rstrip()) + 1
    return SymconvError("SC309", message, Span(line, column, line, max(end, column + 1)),
                        source, hint=hint)
