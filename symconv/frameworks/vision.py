"""torchvision imported beside torch's CPU wheel.

torchvision 0.28.0 from PyPI is built against another torch build: its compiled operators do
not load beside the CPU wheel, and its `_meta_registrations` then fails on import with
"operator torchvision::nms does not exist". Its models and `torchvision.ops.StochasticDepth`
are plain Python on torch.nn and need none of those operators: declaring the two schemas it
registers fake kernels for lets it import. Done only after that exact error, so a torchvision
whose operators load is imported untouched. Used by verify (StochasticDepth) and import
(a user's `torchvision.models:…`).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

_SCHEMAS = ("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
            "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
_LIBRARIES: list[Any] = []  # a torch.library.Library must stay alive


def import_module(name: str) -> Any:
    """`importlib.import_module(name)`, letting torchvision import beside the CPU wheel."""
    try:
        return importlib.import_module(name)
    except RuntimeError as err:
        if "torchvision::nms" not in str(err):
            raise
        for loaded in [m for m in sys.modules if m == "torchvision" or
                       m.startswith("torchvision.")]:
            del sys.modules[loaded]  # half-imported: imported again below
        declare_ops()
        return importlib.import_module(name)


def declare_ops() -> None:
    """Declare the two operator schemas torchvision's fake kernels are registered for."""
    import torch

    try:
        library = torch.library.Library("torchvision", "DEF")
        for schema in _SCHEMAS:
            library.define(schema)
    except RuntimeError:  # already declared
        return
    _LIBRARIES.append(library)
