"""Trace an nn.Module with torch.fx, the catalog's torch.nn layers kept as leaves.

A model torch.fx cannot trace (a branch on a tensor's value, an iteration over one) is an SC309
error at the line of the model's code where tracing stopped, naming the module it was in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .failure import cannot_import, frame_of_traceback
from .modules import is_catalog_module

if TYPE_CHECKING:
    import torch
    from torch.fx import Graph


def trace(model: torch.nn.Module, label: str) -> Graph:
    """The model's graph; call_module nodes are torch.nn layers (or ones the catalog knows)."""
    import torch.fx as fx

    class Tracer(fx.Tracer):
        def is_leaf_module(self, m: torch.nn.Module, qualname: str) -> bool:
            return is_catalog_module(m) or super().is_leaf_module(m, qualname)

    tracer = Tracer()
    tracer.record_stack_traces = True  # each node says which line of the model made it
    try:
        return tracer.trace(model)
    except Exception as err:  # noqa: BLE001 - fx raises many kinds; each becomes SC309
        raise _untraceable(err, model, label) from None


def _untraceable(err: Exception, model: torch.nn.Module, label: str) -> Exception:
    where = frame_of_traceback(err.__traceback__)
    module = _innermost_module(err, model)
    within = f" in module '{module}'" if module else ""
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return cannot_import(
        f"torch.fx cannot trace {type(model).__name__}{within}: {reason}", where,
        hint="symconv imports a forward whose steps do not depend on the tensors' values: a "
             "branch on a tensor (if x.sum() > 0), a loop over one or a shape-dependent "
             "Python computation stops the trace; rewrite that step, or write the .arch by hand",
        fallback=label)


def _innermost_module(err: Exception, model: torch.nn.Module) -> str | None:
    """The path of the module whose forward was running when tracing failed."""
    import torch

    paths = {id(m): name for name, m in model.named_modules()}
    found = None
    tb = err.__traceback__
    while tb is not None:
        candidate = tb.tb_frame.f_locals.get("self")
        if isinstance(candidate, torch.nn.Module) and id(candidate) in paths:
            found = paths[id(candidate)] or found
        tb = tb.tb_next
    return found
