"""Receptive fields: per layer output and per spatial axis, the field size r (input pixels one
output position sees), the jump j (input pixels between neighbouring outputs) and the start s
(the centre of the first output position's field, in input coordinates, pixel i spanning
[i, i + 1)). The standard recurrences (Araujo, Norris & Sim, "Computing Receptive Fields of
Convolutional Neural Networks", Distill 2019; CONVENTIONS.md), from r = 1, j = 1, s = 1/2 at a
network input, for a window of k taps, dilation d, stride t and left padding p:

    r ← r + (k − 1)·d·j        s ← s + ((k − 1)·d/2 − p)·j        j ← j·t

Padding and ceil_mode change the output extent, not r or j; the left padding shifts s. Rules by
layer kind:

- convolutions (plain, depthwise, separable: its depthwise window) and max/avg pooling: a window
  as above; Keras 'same' pads ⌊total/2⌋ on the left (total = max((⌈L/t⌉ − 1)·t + k_eff − L, 0)),
  Keras 'causal' k_eff − 1, PyTorch 'same' ⌊d(k − 1)/2⌋;
- padding and cropping layers: a 1-tap window with p the left padding (−crop for cropping);
- global pooling, and adaptive pooling to one position: a window over the whole input extent;
- pointwise layers (activations, normalisations, dropout, Identity, Rescaling): unchanged
  (a normalisation's statistics are taken over the whole map; that is not counted);
- a merge of branches (add, cat, …): per axis the largest r of its inputs, with the jump and start
  of the first input (where branches differ in j or s the field is no longer one window);
- everything else (transposed convolutions, upsampling, pixel shuffle, adaptive pooling to more
  than one position, flatten, dense, recurrent, attention…) and every layer fed by one: None.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Expr, Integer, Rational, ceiling, floor

from ..derivation.model import Derivation, LayerRecord
from .ops import arguments

Fields = tuple["Field", ...]


@dataclass(frozen=True)
class Field:
    size: Expr
    jump: Expr
    start: Expr


def window(f: Field, k: Expr, stride: Expr, dilation: Expr, left: Expr) -> Field:
    """One window layer on one axis (the recurrences above)."""
    span = (k - 1) * dilation
    return Field(f.size + span * f.jump, f.jump * stride, f.start + (span / 2 - left) * f.jump)


def _per_axis(value: object, rank: int) -> tuple[Expr, ...]:
    return tuple(value) if isinstance(value, tuple) else (value,) * rank  # type: ignore[return-value]


def _spatial(d: Derivation, record: LayerRecord, shape: tuple[Expr, ...]) -> tuple[Expr, ...]:
    if d.convention == "torch":
        return shape[1:]
    first = arguments(record, "keras").get("data_format") == "channels_first"
    return shape[1:] if first else shape[:-1]


def _keras_left(padding: str, L: Expr, k: Expr, t: Expr, dil: Expr) -> Expr:
    k_eff = (k - 1) * dil + 1
    if padding == "causal":
        return k_eff - 1
    if padding == "same":
        return floor(sympy.Max((ceiling(L / t) - 1) * t + k_eff - L, 0) / 2)
    return Integer(0)


def _windowed(d: Derivation, record: LayerRecord, fields: Fields) -> Fields | None:
    """Conv and pooling layers of either convention; None for other types."""
    args = arguments(record, d.convention)
    spatial = _spatial(d, record, record.input_shape)
    rank = len(spatial)
    if d.convention == "torch":
        k = _per_axis(args["kernel_size"], rank)
        t = k if args.get("stride", 1) is None else _per_axis(args.get("stride", 1), rank)
        dil = _per_axis(args.get("dilation", 1), rank)
        pad = args.get("padding", 0)
        if pad == "same":
            left = tuple(floor(di * (ki - 1) / 2) for ki, di in zip(k, dil))
        else:
            left = _per_axis(0 if pad == "valid" else pad, rank)
    else:
        k = _per_axis(args.get("kernel_size", args.get("pool_size")), rank)
        t = k if args.get("strides", 1) is None else _per_axis(args.get("strides", 1), rank)
        dil = _per_axis(args.get("dilation_rate", 1), rank)
        mode = str(args.get("padding", "valid")).lower()
        left = tuple(_keras_left(mode, *a) for a in zip(spatial, k, t, dil))
    return tuple(window(f, *a) for f, a in zip(fields, zip(k, t, dil, left)))


def _padding(d: Derivation, record: LayerRecord, fields: Fields) -> Fields:
    """Left padding per axis: torch's (left, right, top, bottom, …) pads the last axis first;
    Keras's pairs are per axis in order; Cropping crops (a negative padding)."""
    rank = len(fields)
    args = arguments(record, d.convention)
    if d.convention == "torch":
        v = args["padding"]
        items = v if isinstance(v, tuple) else (v,) * (2 * rank)
        left = tuple(items[2 * (rank - 1 - i)] for i in range(rank))  # type: ignore[index]
    else:
        v = args.get("padding", args.get("cropping"))
        if not isinstance(v, tuple):
            left = (v,) * rank
        elif rank == 1:
            left = (v[0],)
        else:
            left = tuple(x[0] if isinstance(x, tuple) else x for x in v)
        if record.type.startswith("Cropping"):
            left = tuple(-x for x in left)  # type: ignore[operator]
    return tuple(window(f, Integer(1), Integer(1), Integer(1), p) for f, p in zip(fields, left))


def _whole(d: Derivation, record: LayerRecord, fields: Fields) -> Fields | None:
    """Global pooling, or adaptive pooling to one position: one window over the whole input."""
    spatial = _spatial(d, record, record.input_shape)
    if record.type.startswith("Adaptive") and any(
            o != 1 for o in _spatial(d, record, record.output_shape)):
        return None
    one = Integer(1)
    return tuple(window(f, L, L, one, Integer(0)) for f, L in zip(fields, spatial))


def _merge(inputs: list[Fields | None]) -> Fields | None:
    if any(f is None for f in inputs) or len({len(f) for f in inputs}) != 1:  # type: ignore[arg-type]
        return None
    first = inputs[0]
    assert first is not None
    return tuple(Field(sympy.Max(*[f[i].size for f in inputs]), a.jump, a.start)  # type: ignore[index]
                 for i, a in enumerate(first))


WINDOW_TYPES = ("Conv1d", "Conv2d", "Conv3d", "Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D",
                "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
                *(f"{k}Pool{r}d" for k in ("Max", "Avg") for r in (1, 2, 3)),
                *(f"{k}Pooling{r}D" for k in ("Max", "Average") for r in (1, 2, 3)))
PAD_TYPES = (*(f"{k}Pad{r}d" for k in ("Constant", "Reflection", "Replication", "Zero")
               for r in (1, 2, 3)),
             *(f"{k}{r}D" for k in ("ZeroPadding", "Cropping") for r in (1, 2, 3)))
WHOLE_TYPES = (*(f"Global{k}Pooling{r}D" for k in ("Max", "Average") for r in (1, 2, 3)),
               *(f"Adaptive{k}Pool{r}d" for k in ("Max", "Avg") for r in (1, 2, 3)))
POINTWISE_FAMILIES = frozenset({"activation", "normalization", "regularization", "preprocessing"})
POINTWISE_TYPES = frozenset({"Identity"})
MERGE_FAMILIES = frozenset({"merge", "functional"})
# the tensor operations (view, permute, matmul, …): functions, but no merges
TENSOR_OPS = frozenset({"symconv.layers.torch_ops", "symconv.layers.keras_ops"})


def _layer(d: Derivation, record: LayerRecord, inputs: list[Fields | None]) -> Fields | None:
    from ..layers import REGISTRY

    if record.type not in REGISTRY[d.convention]:  # a free parameter: no field of its own
        return None
    spec = REGISTRY[d.convention][record.type]
    family = spec.family
    if spec.fn.__module__ in TENSOR_OPS:  # axes moved, merged or multiplied: no field kept
        return None
    if family in MERGE_FAMILIES and record.type not in ("select", "Dot"):
        return _merge(inputs)
    fields = inputs[0]
    if fields is None:
        return None
    if family in POINTWISE_FAMILIES or record.type in POINTWISE_TYPES:
        return fields
    if len(fields) != len(_spatial(d, record, record.input_shape)):
        return None
    if record.type in WINDOW_TYPES:
        return _windowed(d, record, fields)
    if record.type in PAD_TYPES:
        return _padding(d, record, fields)
    if record.type in WHOLE_TYPES:
        return _whole(d, record, fields)
    return None


def fields(d: Derivation) -> list[Fields | None]:
    """Per layer of `d`, one Field per spatial axis of its output, or None where no receptive
    field is defined (module docstring)."""
    start = Field(Integer(1), Integer(1), Rational(1, 2))
    values: dict[int | str, Fields | None] = {
        name: (start,) * max(len(shape) - 1, 0) for name, shape in d.inputs}
    out: list[Fields | None] = []
    for i, record in enumerate(d.layers):
        # a later output of a call giving several, (index, k), has no field defined here
        values[i] = _layer(d, record, [values.get(s) for s in record.sources])
        out.append(values[i])
    return out
