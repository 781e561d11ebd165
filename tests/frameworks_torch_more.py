"""Ground truth for the torch layers that tests/frameworks.py cannot run as they are meant to be
run: several input tensors (MultiheadAttention's query, key, value), sequence layers whose batch
axis comes second (batch_first=False: RNN, LSTM, GRU, MultiheadAttention,
TransformerEncoderLayer) and unbatched inputs.

Same conventions as tests/frameworks.py: shapes leave the batch axis out, inputs are zeros,
modules run in eval mode under no_grad, every exception becomes a FrameworkError.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from frameworks import FrameworkError, _torch_module_facts, _wrap

Shape = tuple[int, ...]
SEQUENCE_LAYERS = {"RNN", "LSTM", "GRU", "MultiheadAttention", "TransformerEncoderLayer"}


def batch_axis(cls_name: str, kwargs: dict[str, Any]) -> int:
    """Where the layer wants the batch axis: second for a sequence layer with batch_first=False
    (its default), first otherwise."""
    if cls_name in SEQUENCE_LAYERS and not kwargs.get("batch_first", False):
        return 1
    return 0


def torch_call_facts(cls_name: str, args: Sequence[Any], kwargs: dict[str, Any],
                     inputs: Sequence[Shape], *, batch: int | None = 2,
                     input_dtype: str = "float32") -> dict[str, Any]:
    """Build ``torch.nn.<cls_name>(*args, **kwargs)`` and call it on zeros of every shape in
    `inputs` (one MultiheadAttention input is self-attention: query = key = value), each with a
    batch axis of `batch` where the layer wants it (see `batch_axis`); ``batch=None`` passes the
    unbatched tensors. Returns the facts of frameworks.torch_facts, with ``output_shape`` the
    first output (RNN's `output`, attention's attn_output) without its batch axis."""
    try:
        import torch

        module = getattr(torch.nn, cls_name)(*args, **dict(kwargs))
        module.eval()
        axis = batch_axis(cls_name, kwargs)
        dtype = getattr(torch, input_dtype)

        def tensor(shape: Shape) -> Any:
            dims = list(shape)
            if batch is not None:
                dims.insert(axis, batch)
            return torch.zeros(dims, dtype=dtype)

        tensors = [tensor(s) for s in inputs]
        if cls_name == "MultiheadAttention" and len(tensors) == 1:
            tensors *= 3
        with torch.no_grad():
            out = module(*tensors)
        out = out[0] if isinstance(out, (tuple, list)) else out
        shape = list(out.shape)
        if batch is not None:
            if shape[axis] != batch:
                raise FrameworkError(f"batch axis {axis} of {tuple(shape)} is not {batch}",
                                     "BatchMismatch")
            del shape[axis]
        return {"output_shape": tuple(shape), **_torch_module_facts(module)}
    except FrameworkError:
        raise
    except Exception as exc:  # noqa: BLE001 - everything becomes FrameworkError
        raise _wrap(exc) from exc
