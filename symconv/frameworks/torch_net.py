"""Build a derived network in PyTorch (one `torch.nn` module per layer, the torch functions for
add, sub, mul, cat and select and the tensor operations of tensor_ops.py), run it on zeros with a batch of 2 in eval mode, and report each
layer's facts.

Tensors keep their batch axis where torch puts it: first, except around a sequence layer with
batch_first=False (its default), which takes and gives (L, N, F). symconv's shapes leave the
batch axis out wherever it is, so a tensor is moved to the axis its next layer wants.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..derivation.model import Derivation, LayerCall, LayerRecord
from . import free
from .compare import Facts, Refused
from .tensor_ops import TORCH_OPS, torch_apply
from .values import arguments, flat_outputs, token_inputs

BATCH = 2
SEQUENCE = frozenset({"RNN", "LSTM", "GRU", "MultiheadAttention", "TransformerEncoderLayer"})
FUNCTIONS = frozenset({"add", "sub", "mul", "cat", "select"}) | TORCH_OPS  # torch functions
# (and see is_function: every spec of the family "functional")
RECURRENT = frozenset({"RNN", "LSTM", "GRU"})  # their states (h, c) carry the batch second
DROPPED = frozenset({"name"})  # symconv's own: the name shown in the table
DTYPES = frozenset({"float16", "bfloat16", "float32", "float64", "half", "float", "double"})


def version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return str(torch.__version__)


def batch_axis(call: LayerCall) -> int:
    if call.type in SEQUENCE and not dict(call.args).get("batch_first", False):
        return 1
    return 0


# layers that are not in torch.nn, by the module that has them (imported when used)
ELSEWHERE = {"StochasticDepth": "torchvision.ops"}


def module_class(type_: str) -> Any:
    """torch.nn.<type_>, or the class of that name in the module ELSEWHERE names."""
    import torch

    from .vision import import_module

    if type_ in ELSEWHERE:
        return getattr(import_module(ELSEWHERE[type_]), type_)
    return getattr(torch.nn, type_)


def build(call: LayerCall) -> Any:
    """The module `torch.nn.<type>(…)` (or torchvision's, see ELSEWHERE) as written."""
    import torch

    args, kwargs = arguments(call, build, DROPPED)
    if kwargs.get("dtype") in DTYPES:  # by name, never getattr on the user's text
        kwargs["dtype"] = getattr(torch, kwargs["dtype"])
    module = module_class(call.type)(*args, **kwargs)
    module.train(False)  # eval mode: BatchNorm uses its running statistics, Dropout is off
    return module


def is_function(call: LayerCall) -> bool:
    """A torch function or tensor method (not an nn module): the registry's family says."""
    from ..layers import REGISTRY

    return call.type in FUNCTIONS or REGISTRY["torch"][call.type].family == "functional"


def _function(call: LayerCall, tensors: list[Any]) -> Any:
    import torch

    if call.type in TORCH_OPS:  # several results (chunk, split) are all handed back
        return torch_apply(call, tensors, BATCH)
    args, kwargs = arguments(call, build, DROPPED)
    if call.method:  # `x.view(…)`: the tensor's own method (torch has no function `view`)
        return getattr(tensors[0], call.type)(*tensors[1:], *args, **kwargs)
    if call.type == "cat":
        return torch.cat(tensors, *args, **kwargs)
    return getattr(torch, call.type)(*tensors, *args, **kwargs)


def output_axis(call: LayerCall, k: int) -> int:
    """Where the batch axis is in the k-th output (flat order) of a call."""
    if k > 0 and call.type in RECURRENT:
        return 1  # h and c: (num_layers·directions, N, H) whatever batch_first says
    return batch_axis(call)


def _module_facts(module: Any, shape: tuple[int, ...]) -> Facts:
    params = list(module.named_parameters())
    buffers = list(module.named_buffers())
    return Facts(shape, sum(p.numel() for _, p in params if p.requires_grad), 0,
                 sum(b.numel() for _, b in buffers),
                 {n: tuple(p.shape) for n, p in params},
                 {n: tuple(b.shape) for n, b in buffers})


def _inputs(d: Derivation) -> dict[int | str, tuple[Any, int]]:
    import torch

    indices = token_inputs(d)
    return {name: (torch.zeros((BATCH, *map(int, shape)),
                               dtype=torch.int64 if name in indices else torch.float32), 0)
            for name, shape in d.inputs}


def _apply(record: LayerRecord, tensors: list[Any], modules: dict[str, Any]) -> tuple[Any, Any]:
    """(the output tensor, the module or None for a torch function)."""
    assert record.call is not None
    if is_function(record.call):
        return _function(record.call, tensors), None
    key = record.shares or record.name
    if key not in modules:
        modules[key] = build(record.call)
        free.tie_torch(record, modules[key], modules)
    module = modules[key]
    if record.type == "MultiheadAttention" and len(tensors) == 1:
        tensors = tensors * 3  # self-attention: query = key = value
    params = [p for p in module.parameters() if p.is_floating_point()]
    if params:  # a module made with dtype=float64 takes float64 input
        tensors = [t.to(params[0].dtype) if t.is_floating_point() else t for t in tensors]
    return module(*tensors), module


def run(d: Derivation) -> list[Facts]:
    """Every layer's facts, in the derivation's order. Raises `Refused` at the first layer
    torch refuses."""
    import torch

    values = _inputs(d)
    modules: dict[str, Any] = {}
    facts = []
    with torch.no_grad():
        for i, record in enumerate(d.layers):
            assert record.call is not None
            if free.is_parameter(record):
                values[i] = (free.torch_parameter(record), None)
                facts.append(free.parameter_facts(record, values[i][0]))
                continue
            tensors = [t if at is None else t.movedim(at, source_axis(d, record, s))
                       for s, (t, at) in ((s, values[s]) for s in record.sources)]
            try:
                result, module = _apply(record, tensors, modules)
            except Exception as err:  # any refusal is the answer we want
                raise Refused(record, err) from err
            if not record.batched:  # of free parameters alone: their whole shape
                values[i] = (result, None)
                facts.append(Facts(tuple(result.shape)))
                continue
            # several results: all of them when symconv knows them, else the first (the
            # output of an RNN or attention, which a layer chain passes on)
            outs = flat_outputs(result)
            outs = outs if record.results is not None else outs[:1]
            shapes = []
            for k, out in enumerate(outs):
                at = output_axis(record.call, k)
                shapes.append(_unbatched(record, out, at))
                values[i if k == 0 else (i, k)] = (out, at)
            facts.append(replace(free.without_tied(record, _module_facts(module, shapes[0]))
                                 if module is not None else Facts(shapes[0]),
                                 outputs=tuple(shapes[1:])))
    return facts


def source_axis(d: Derivation, record: LayerRecord, node: object) -> int:
    """Where `record` takes the batch axis of its input `node`: a layer where it wants it
    (second for a sequence layer without batch_first); a free parameter has none (not asked);
    a tensor operation where symconv has it, dims counted as torch counts them: first, but
    second in an RNN's h_n and c_n."""
    assert record.call is not None
    if record.type not in TORCH_OPS:
        return batch_axis(record.call)
    if isinstance(node, tuple):
        axes = d.layers[node[0]].batch_axes
        return axes[node[1]] if axes else 0
    return 0


def _unbatched(record: LayerRecord, out: Any, axis: int) -> tuple[int, ...]:
    shape = list(out.shape)
    if len(shape) <= axis or shape[axis] != BATCH:
        raise Refused(record, ValueError(f"output {tuple(shape)} has no batch axis "
                                         f"{axis} of {BATCH}"))
    del shape[axis]
    return tuple(shape)

