"""The tensor operations (symconv/layers/torch_ops.py, keras_ops.py) run in the real framework
for `symconv verify`, and written as code for `verify --emit`.

torch: the methods `x.view(…)`, `x.permute(…)`, `x.mean(…)`, … on the first tensor (view and
expand exist only as methods), `torch.flatten`, `torch.matmul`, `F.softmax` and
`F.scaled_dot_product_attention`.
Keras: `keras.ops.<name>(x, …)`. The batch written as a size (`x.shape[0]`, symbols.BATCH) is the
network's batch when run, and a network input's `x.shape[0]` in the code.
"""

from __future__ import annotations

from typing import Any

import sympy

from ..derivation.model import LayerCall
from ..maths.symbols import BATCH
from .values import plain

TORCH_FUNCTIONS = {"flatten": "torch.flatten", "matmul": "torch.matmul",
                   "softmax": "F.softmax",
                   "scaled_dot_product_attention": "F.scaled_dot_product_attention"}
TORCH_METHODS = frozenset({"view", "reshape", "permute", "transpose", "unsqueeze", "squeeze",
                           "expand", "chunk", "split", "contiguous", "select", "mean"})
TORCH_OPS = frozenset(TORCH_FUNCTIONS) | TORCH_METHODS
KERAS_OPS = frozenset({"reshape", "transpose", "expand_dims", "squeeze", "split", "matmul",
                       "softmax"})


def _value(value: object, batch: Any) -> Any:
    """A written argument as Python, the batch symbol as `batch`."""
    if isinstance(value, tuple):
        return tuple(_value(v, batch) for v in value)
    if isinstance(value, sympy.Basic) and BATCH in value.free_symbols:
        if value != BATCH:  # the layer functions refuse this; a bug if it comes here
            raise ValueError(f"argument {value} mixes the batch with sizes")
        return batch
    return plain(value, lambda c: c)


def _split(call: LayerCall, batch: Any) -> tuple[list[Any], dict[str, Any]]:
    """(positional, keyword) arguments as written; the slots of sizes given one by one
    (torch_ops.VARARGS, named '*2', …) are positional."""
    args = [_value(v, batch) for _, v in call.args[:call.positional]]
    kwargs = {k: _value(v, batch) for k, v in call.args[call.positional:]
              if k != "name" and not k.startswith("*")}
    args += [_value(v, batch) for k, v in call.args[call.positional:] if k.startswith("*")]
    return args, kwargs


def torch_apply(call: LayerCall, tensors: list[Any], batch: int) -> Any:
    """The operation on real torch tensors (the network's batch `batch`: a free parameter's
    `cls.expand(x.shape[0], -1, -1)` takes it from another tensor): a tensor, or a tuple for
    chunk and split."""
    import torch
    import torch.nn.functional as F

    args, kwargs = _split(call, batch)
    if call.type in TORCH_METHODS or call.method:  # `x.softmax(-1)`: Tensor.softmax, as written
        return getattr(tensors[0], call.type)(*tensors[1:], *args, **kwargs)
    fn = {"flatten": torch.flatten, "matmul": torch.matmul, "softmax": F.softmax,
          "scaled_dot_product_attention": F.scaled_dot_product_attention}[call.type]
    return fn(*tensors, *args, **kwargs)


def torch_text(call: LayerCall, tensors: list[str], literal: Any, batch: str) -> str:
    """The operation as PyTorch source (`literal` writes a plain value; `batch` is the code
    of the batch, a network input's `x.shape[0]`)."""
    args, kwargs = _split(call, _Code(batch))
    items = [_code(a, literal) for a in args] + [f"{k}={_code(v, literal)}"
                                                 for k, v in kwargs.items()]
    if call.type in TORCH_METHODS or call.method:
        return f"{tensors[0]}.{call.type}({', '.join(tensors[1:] + items)})"
    return f"{TORCH_FUNCTIONS[call.type]}({', '.join(tensors + items)})"


def keras_apply(call: LayerCall, tensors: list[Any]) -> Any:
    """keras.ops.<type> on Keras (symbolic or real) tensors."""
    import keras

    args, kwargs = _split(call, None)
    return getattr(keras.ops, call.type)(*tensors, *args, **kwargs)


def keras_text(call: LayerCall, tensors: list[str], literal: Any) -> str:
    args, kwargs = _split(call, None)
    items = [_code(a, literal) for a in args] + [f"{k}={_code(v, literal)}"
                                                 for k, v in kwargs.items()]
    return f"keras.ops.{call.type}({', '.join(tensors + items)})"


class _Code(str):
    """Source text standing for a value (the batch, `x.shape[0]`)."""


def _code(value: Any, literal: Any) -> str:
    if isinstance(value, _Code):
        return str(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_code(v, literal) for v in value) + ("," if len(value) == 1
                                                                     else "") + ")"
    return literal(value)
