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
        raise _fail(f"{attribute}(**kwargs) raised {type(err).__name__}: {err}", source) from None
    import torch

    if not isinstance(model, torch.nn.Module):
        raise _fail(f"{attribute} gave a {type(model).__name__}, not a torch.nn.Module", source)
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
    except Exception as err:  # noqa: BLE001 - the user's code: say what it raised
        raise _fail(f"{path} raised {type(err).__name__}: {err}", source) from None
    return module
