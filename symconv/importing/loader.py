"""SOURCE → the nn.Module it names: `package.module:callable` or `path/to/file.py:callable`,
called with the keyword arguments given. This runs the user's Python code, as asked."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import TYPE_CHECKING, Any

from ..errors import Source, SymconvError

if TYPE_CHECKING:
    import torch


def _fail(message: str, source: str, hint: str | None = None) -> SymconvError:
    return SymconvError("SC001", message, None, Source("", source), hint=hint)


def load_model(source: str, kwargs: dict[str, Any]) -> torch.nn.Module:
    target, sep, attribute = source.rpartition(":")
    if not sep or not target or not attribute:
        raise _fail(f"cannot read '{source}' as a model", source,
                    "write package.module:callable or path/to/file.py:callable")
    module = _module(target, source)
    factory: Any = module
    for part in attribute.split("."):
        if not hasattr(factory, part):
            raise _fail(f"'{target}' has no attribute '{attribute}'", source)
        factory = getattr(factory, part)
    try:
        model = factory(**kwargs) if callable(factory) else factory
    except Exception as err:  # noqa: BLE001 - the user's code: say what it raised
        called = f"{attribute}(**kwargs)" if kwargs else f"{attribute}()"
        raise _raised(f"{called} raised {type(err).__name__}: {err}", source, err) from None
    import torch

    if not isinstance(model, torch.nn.Module):
        kind = type(model).__name__
        raise _fail(f"{attribute} gave {'an' if kind[0] in 'aeiouAEIOU' else 'a'} {kind}, "
                    "not a torch.nn.Module", source)
    return model.train(False)  # inference mode (nn.Module.eval, by its other name)


def _module(target: str, source: str) -> Any:
    if os.path.isfile(target):
        return _from_file(target, source)
    try:
        return _import(target)
    except ImportError as err:
        raise _fail(f"cannot import '{target}': {err}", source,
                    "a file path must name an existing file") from None


def _import(name: str) -> Any:
    from ..frameworks.vision import import_module

    return import_module(name)


def _from_file(path: str, source: str) -> Any:
    from importlib.machinery import SourceFileLoader

    name = "symconv_import_" + "".join(c if c.isalnum() else "_" for c in path)
    loader = SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    if spec is None:
        raise _fail(f"cannot load {path}", source)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except SyntaxError as err:  # at the place Python gives, as an .arch file's error is
        where = (err.filename or path, err.lineno) if err.lineno else None
        raise _located(f"invalid Python: {err.msg}", source, where, err.offset) from None
    except Exception as err:  # noqa: BLE001 - the user's code: say what it raised
        raise _raised(f"{path} raised {type(err).__name__}: {err}", source, err) from None
    return module


def _raised(message: str, source: str, err: Exception) -> SymconvError:
    """What the user's code raised, at the innermost line of theirs in its traceback."""
    from .failure import frame_of_traceback

    return _located(message, source, frame_of_traceback(err.__traceback__))


def _located(message: str, source: str, where: tuple[str, int] | None,
             column: int | None = None) -> SymconvError:
    """SC001 at `where` (file, line), that line shown with a caret; without a place if none."""
    from .failure import cannot_import

    if where is None:
        return _fail(message, source)
    err = cannot_import(message, where)
    span = err.span
    if span is not None and column:  # a syntax error's own column
        span = type(span)(span.line, column, span.line, column + 1)
    return SymconvError("SC001", message, span, err.source)
