"""Ground truth from the real frameworks (PyTorch and Keras 3 on the torch backend).

Nothing heavy is imported at module level: ``torch`` / ``keras`` are imported
inside the functions, so importing this module is cheap and tests can skip
cleanly when a framework is missing.

Conventions
-----------
* ``input_shape`` never includes the batch dimension. PyTorch inputs are
  channels-first, Keras inputs channels-last.
* Real forward passes use a batch of 2 zeros (float32).
* Any exception raised while building or running a layer is re-raised as
  :class:`FrameworkError` whose message is ``str()`` of the original exception
  with ANSI colour escapes removed (the original is chained as ``__cause__``;
  its class name is in ``.kind``). Keras errors raised inside ``call()`` are
  multi-line ("Exception encountered when calling X.call(). <msg> Arguments
  received by ..."); match them with ``in``, not ``==``.
* Inputs are float32 zeros, except int64 zeros when the first layer is
  ``Embedding``/``EmbeddingBag`` (override with ``input_dtype``).

Keras notes (3.15.1)
--------------------
* ``KERAS_BACKEND=torch`` must be in the environment *before* keras is first
  imported (``~/.keras/keras.json`` here says ``tensorflow``, and importing
  keras with that backend fails because TensorFlow is not installed). This
  module sets it if unset.
* Auto-generated layer names come from a per-session global counter
  (``conv2d``, ``conv2d_1``, ...) that does NOT restart per model;
  ``keras.backend.clear_session()`` resets it. The ``*_sequential_facts``
  helpers and ``keras_facts`` call ``clear_session()`` first, so names are
  deterministic (a single ``keras_facts`` layer is always named e.g. ``conv2d``).
"""

from __future__ import annotations

import os
import re
from typing import Any, Sequence

Shape = tuple[int, ...]
LayerSpec = tuple[str, Sequence[Any], dict[str, Any]]

__all__ = [
    "FrameworkError",
    "torch_facts",
    "keras_facts",
    "torch_sequential_facts",
    "keras_sequential_facts",
]


class FrameworkError(Exception):
    """A framework refused a layer/input; ``str(e)`` is the original message."""

    def __init__(self, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind  # name of the original exception class, e.g. "ValueError"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # Keras wraps call() errors in bold escapes
_INT_INPUT = {"Embedding", "EmbeddingBag"}  # layers that need integer indices


def _wrap(exc: Exception) -> FrameworkError:
    err = FrameworkError(_ANSI.sub("", str(exc)), type(exc).__name__)
    err.__cause__ = exc
    return err


# --------------------------------------------------------------------------- torch


def _torch_module_facts(module: Any) -> dict[str, Any]:
    params = list(module.named_parameters())
    buffers = list(module.named_buffers())
    return {
        "params": sum(p.numel() for _, p in params),
        "trainable": sum(p.numel() for _, p in params if p.requires_grad),
        "buffers": sum(b.numel() for _, b in buffers),
        "weights": {n: tuple(p.shape) for n, p in params},
        "buffer_shapes": {n: tuple(b.shape) for n, b in buffers},
    }


def _torch_first(out: Any) -> Any:
    # RNN/LSTM/GRU return (output, hidden); MultiheadAttention (out, weights).
    return out[0] if isinstance(out, (tuple, list)) else out


def module_class(cls_name: str) -> Any:
    """torch.nn.<cls_name>, or torchvision.ops.StochasticDepth (not in torch.nn)."""
    import torch

    if cls_name == "StochasticDepth":
        import torchvision.ops

        return torchvision.ops.StochasticDepth
    return getattr(torch.nn, cls_name)


def _dtype(layers: Sequence[LayerSpec], input_dtype: str | None) -> str:
    if input_dtype:
        return input_dtype
    return "int64" if layers and layers[0][0] in _INT_INPUT else "float32"


def torch_sequential_facts(
    layers: Sequence[LayerSpec], input_shape: Shape, *, input_dtype: str | None = None
) -> list[dict[str, Any]]:
    """Build ``torch.nn.<cls>(*args, **kwargs)`` for each spec, run them in
    sequence on ``zeros((2,) + input_shape)`` in eval mode under ``no_grad``,
    and return one facts dict per layer (see :func:`torch_facts`); each dict
    also carries ``"name"`` = the ``nn.Sequential`` index as a string."""
    try:
        import torch

        dtype = getattr(torch, _dtype(layers, input_dtype))
        x = torch.zeros((2,) + tuple(input_shape), dtype=dtype)
        result = []
        with torch.no_grad():
            for i, (cls_name, args, kwargs) in enumerate(layers):
                module = module_class(cls_name)(*args, **dict(kwargs))
                module.eval()
                # attention on one tensor is self-attention: query = key = value, as in .arch
                inputs = (x, x, x) if cls_name == "MultiheadAttention" else (x,)
                x = _torch_first(module(*inputs))
                facts = {
                    "output_shape": tuple(x.shape[1:]),
                    "batched_output_shape": tuple(x.shape),  # for Flatten(start_dim=0) & co.
                    **_torch_module_facts(module),
                }
                facts["name"] = str(i)
                result.append(facts)
        return result
    except FrameworkError:
        raise
    except Exception as exc:  # noqa: BLE001 - everything becomes FrameworkError
        raise _wrap(exc) from exc


def torch_facts(
    cls_name: str,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    input_shape: Shape,
    *,
    input_dtype: str | None = None,
) -> dict[str, Any]:
    """Facts about ``torch.nn.<cls_name>(*args, **kwargs)`` applied to a
    channels-first input of shape ``input_shape`` (batch excluded).

    Returns ``{"output_shape", "params", "trainable", "buffers", "weights",
    "buffer_shapes", "batched_output_shape"}`` (the last one includes the
    batch dim of 2); ``weights``/``buffer_shapes`` map the names from
    ``named_parameters()``/``named_buffers()`` to shape tuples. The module is
    run in eval mode (so BatchNorm uses running stats and Dropout is identity;
    shapes and counts are the same in train mode).

    Caveat: torch accepts unbatched inputs, so a Conv2d given ``input_shape``
    of rank 2 silently treats the batch of 2 as channels; pass full shapes.
    """
    spec = [(cls_name, args, kwargs)]
    facts = torch_sequential_facts(spec, input_shape, input_dtype=input_dtype)[0]
    del facts["name"]
    return facts


# --------------------------------------------------------------------------- keras


def _keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    if keras.backend.backend() != "torch":  # imported earlier with another backend
        raise FrameworkError(f"keras backend is {keras.backend.backend()!r}, expected 'torch'")
    return keras


def _keras_layer_facts(layer: Any, output_shape: Shape) -> dict[str, Any]:
    def size(w: Any) -> int:
        n = 1
        for d in w.shape:
            n *= int(d)
        return n

    # Keras 3 variable .name is the short name ("kernel", "moving_mean"); composite
    # layers (MultiHeadAttention, RNN cells...) repeat it, so fall back to the path.
    names = [w.name for w in layer.weights]
    if len(set(names)) != len(names):
        names = [w.path.removeprefix(layer.name + "/") for w in layer.weights]
    return {
        "output_shape": tuple(output_shape),
        "params": int(layer.count_params()),
        "trainable": sum(size(w) for w in layer.trainable_weights),
        "non_trainable": sum(size(w) for w in layer.non_trainable_weights),
        "weights": {n: tuple(int(d) for d in w.shape) for n, w in zip(names, layer.weights)},
        "name": layer.name,
    }


def keras_output_shapes(out: Any) -> tuple[tuple[Any, ...], ...]:
    """Every tensor a Keras call gave (several: an RNN with return_state=True, Bidirectional
    with merge_mode=None), each without its batch axis."""
    items = out if isinstance(out, (tuple, list)) else (out,)
    return tuple(tuple(None if d is None else int(d) for d in o.shape[1:]) for o in items)


def shown(shapes: tuple[tuple[Any, ...], ...]) -> object:
    """One shape as itself, several as the tuple of them (for messages)."""
    return shapes[0] if len(shapes) == 1 else shapes


def _keras_first(out: Any) -> Any:
    """The first of several tensors, as the one-tensor chain passes it on."""
    return out[0] if isinstance(out, (tuple, list)) else out


def _keras_call(layer: Any, x: Any, **kwargs: Any) -> Any:
    """Attention on one tensor is self-attention (query = value), as one input means in .arch."""
    if type(layer).__name__ == "MultiHeadAttention":
        return layer(x, x, **kwargs)
    return layer(x, **kwargs)


def keras_sequential_facts(
    layers: Sequence[LayerSpec],
    input_shape: Shape,
    *,
    fresh_session: bool = True,
    input_dtype: str | None = None,
) -> list[dict[str, Any]]:
    """Apply ``keras.layers.<cls>(*args, **kwargs)`` for each spec in sequence,
    first symbolically to ``keras.Input(shape=input_shape)`` (channels-last,
    batch excluded), then eagerly to ``numpy.zeros((2,) + input_shape)``.

    Returns one dict per layer (see :func:`keras_facts`). Raises
    :class:`FrameworkError` if any layer errors, or if a symbolic output shape
    differs from the real one. With ``fresh_session`` (default)
    ``keras.backend.clear_session()`` is called first so auto names start at
    ``conv2d``, ``dense``, ... .
    """
    try:
        keras = _keras()
        import numpy as np

        if fresh_session:
            keras.backend.clear_session()
        built = [getattr(keras.layers, c)(*a, **dict(k)) for c, a, k in layers]

        dtype = _dtype(layers, input_dtype)
        sym = keras.Input(shape=tuple(input_shape), dtype=dtype)
        sym_shapes = []
        for layer in built:
            out = _keras_call(layer, sym)
            sym_shapes.append(keras_output_shapes(out))
            sym = _keras_first(out)

        x = np.zeros((2,) + tuple(input_shape), dtype=dtype)
        result = []
        for layer, s_shapes in zip(built, sym_shapes):
            out = _keras_call(layer, x, training=False)
            reals = keras_output_shapes(out)
            x = _keras_first(out)
            if reals != s_shapes:
                raise FrameworkError(
                    f"{layer.name}: symbolic shape {shown(s_shapes)} != real shape "
                    f"{shown(reals)}",
                    "ShapeMismatch")
            result.append({**_keras_layer_facts(layer, reals[0]), "outputs": reals})
        return result
    except FrameworkError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _wrap(exc) from exc


def keras_facts(
    cls_name: str,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    input_shape: Shape,
    *,
    input_dtype: str | None = None,
) -> dict[str, Any]:
    """Facts about ``keras.layers.<cls_name>(*args, **kwargs)`` applied to a
    channels-last input of shape ``input_shape`` (batch excluded).

    Returns ``{"output_shape", "params", "trainable", "non_trainable",
    "weights", "name"}`` where ``weights`` maps short variable names
    (``kernel``, ``bias``, ``gamma``, ``moving_mean``, ...) to shapes.
    Runs in a fresh Keras session, so ``name`` is the class's base name.
    """
    spec = [(cls_name, args, kwargs)]
    return keras_sequential_facts(spec, input_shape, input_dtype=input_dtype)[0]
