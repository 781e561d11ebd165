"""Let torchvision 0.28.0 from PyPI import beside torch 2.13.0's CPU wheel.

That torchvision's compiled ops do not load beside this torch build (its `_C.so` is made for
another one), and its `_meta_registrations` then fails on import with "operator torchvision::nms
does not exist". The models and `torchvision.ops.StochasticDepth` the tests use are plain Python
on torch.nn and need none of the compiled ops; declaring the two operators' schemas before
torchvision is imported is enough for the import to succeed. The finder does it on the first
`import torchvision` only, so a test run that never uses torchvision never imports torch for it.
"""

from __future__ import annotations

import importlib.abc
import sys

_DONE: list[bool] = []


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: object, target: object = None) -> None:
        if name == "torchvision" and not _DONE:
            from symconv.frameworks.vision import declare_ops

            declare_ops()  # the same two schemas symconv declares after the error
            _DONE.append(True)
        return None  # the normal finders import it


def install() -> None:
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
