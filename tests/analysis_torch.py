"""A derived PyTorch-convention network as one real `torch.nn.Module`, for the MAC and memory
tests: the counters (ptflops, fvcore) need a module to hook or trace.

Each layer record becomes the `torch.nn` module it names (built by symconv.frameworks.torch_net,
one module per shared layer); merges are written the way torchvision writes them: `a + b` and
`a * b` as Python operators (ptflops does not see those, as it does not see torchvision's
`out += identity`), `torch.cat` and `select` as calls.
"""

from __future__ import annotations

import operator
from typing import Any

import torch

from symconv.frameworks.tensor_ops import TORCH_OPS, torch_apply
from symconv.frameworks.torch_net import FUNCTIONS, batch_axis, build
from symconv.frameworks.values import arguments
from symconv.derivation.model import Derivation, LayerRecord

OPERATORS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul}


def _key(record: LayerRecord) -> str:
    return (record.shares or record.name).replace(".", "__")


class Replay(torch.nn.Module):
    """forward(**inputs) → the network's last tensor; inputs by the derivation's input names,
    batch first."""

    def __init__(self, d: Derivation) -> None:
        super().__init__()
        self.d = d
        self.layers = torch.nn.ModuleDict()
        for record in d.layers:
            if record.type not in FUNCTIONS and _key(record) not in self.layers:
                assert record.call is not None
                self.layers[_key(record)] = build(record.call)

    def _function(self, record: LayerRecord, tensors: list[Any]) -> Any:
        assert record.call is not None
        if record.type in OPERATORS:
            return OPERATORS[record.type](*tensors)
        if record.type in TORCH_OPS:
            out = torch_apply(record.call, tensors, 1)  # the counters run a batch of 1
            return out[0] if isinstance(out, (tuple, list)) else out
        _, kwargs = arguments(record.call, build, frozenset({"name"}))
        if record.type == "cat":
            return torch.cat(tensors, **kwargs)
        return torch.select(*tensors, **kwargs)

    def forward(self, **inputs: Any) -> Any:
        values: dict[int | str, tuple[Any, int]] = {k: (v, 0) for k, v in inputs.items()}
        for i, record in enumerate(self.d.layers):
            assert record.call is not None
            axis = batch_axis(record.call)
            tensors = [t.movedim(at, axis) for t, at in (values[s] for s in record.sources)]
            if record.type in FUNCTIONS:
                out = self._function(record, tensors)
            else:
                module = self.layers[_key(record)]
                if record.type == "MultiheadAttention" and len(tensors) == 1:
                    tensors = tensors * 3
                out = module(*tensors)
                out = out[0] if isinstance(out, (tuple, list)) else out
            values[i] = (out, axis)
        self.outputs = [values[i] for i in range(len(self.d.layers))]  # (tensor, batch axis)
        out, axis = values[len(self.d.layers) - 1]
        return out.movedim(axis, 0)


def example_inputs(d: Derivation, batch: int = 1) -> dict[str, Any]:
    """Zeros (int64 indices where an Embedding reads the input) for every network input."""
    indices = {name for layer in d.layers if layer.type == "Embedding"
               for name in layer.sources if isinstance(name, str)}
    return {name: torch.zeros((batch, *map(int, shape)),
                              dtype=torch.int64 if name in indices else torch.float32)
            for name, shape in d.inputs}


def ptflops_macs(d: Derivation) -> int:
    """ptflops' count (get_model_complexity_info, backend='pytorch', its defaults) for batch 1."""
    from ptflops import get_model_complexity_info

    model = Replay(d).eval()
    inputs = example_inputs(d)
    macs, _ = get_model_complexity_info(
        model, (1,), input_constructor=lambda _: inputs, as_strings=False,
        print_per_layer_stat=False, backend="pytorch")
    assert macs is not None, "ptflops failed"
    return int(macs)


def fvcore_flops(d: Derivation) -> int:
    """fvcore's FlopCountAnalysis total (its default handles; one fused multiply-add = 1)."""
    from fvcore.nn import FlopCountAnalysis

    model = Replay(d).eval()
    inputs = example_inputs(d)
    names = list(inputs)

    class Positional(torch.nn.Module):  # jit.trace passes inputs by position
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, *args: Any) -> Any:
            return self.inner(**dict(zip(names, args)))

    # as users call it: grad enabled, so torch's fused inference fast paths (which hide the
    # attention products from the trace) stay off
    analysis = FlopCountAnalysis(Positional(), tuple(inputs[n] for n in names))
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    return int(analysis.total())
