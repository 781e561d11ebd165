"""`symconv verify --against torch` for a Keras-convention file: the same network written with
PyTorch modules, where a faithful translation exists, run on zeros in PyTorch.

Keras tensors are channels-last, PyTorch's spatial layers channels-first; each tensor keeps the
layout its last layer gave it and is moved (`movedim`) to the layout the next layer wants. The
facts are reported in Keras's layout, so shapes compare directly. A layer with no faithful
translation (Keras 'same' pooling, a strided 'same' or causal convolution, a wrapper, a reshape)
is refused with SC306 naming it, before anything runs.

Where the frameworks count differently by design, the difference is expected, not a failure:
BatchNormalization's moving statistics (Keras: 2C non-trainable weights; PyTorch: 2C buffers and
num_batches_tracked) and recurrent biases (PyTorch: bias_ih and bias_hh per gate block; Keras:
one, two for GRU with reset_after=True).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..derivation.model import Derivation, LayerRecord, arguments
from ..errors import SymconvError
from .compare import Facts, Mismatch, Refused, facts_of
from .torch_net import BATCH
from .values import plain, token_inputs

CHANNELS_FIRST, CHANNELS_LAST, ANY = "first", "last", "any"
ELEMENTWISE = {"Add": "add", "add": "add", "Subtract": "sub", "subtract": "sub",
               "Multiply": "mul", "multiply": "mul", "Maximum": "maximum",
               "Minimum": "minimum"}
GATES = {"SimpleRNN": ("RNN", 1), "LSTM": ("LSTM", 4), "GRU": ("GRU", 3)}
SHAPE_ONLY = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "Activation",
              "ELU", "Softmax", "Identity")


@dataclass(frozen=True)
class Step:
    """One Keras layer as PyTorch: the module (None for a function of the inputs), the layout
    it wants, and how to apply it."""

    module: Any
    layout: str
    apply: Callable[[Any, list[Any]], Any]


def _arg(record: LayerRecord, name: str) -> Any:
    """A Keras argument as written, or its declared default, as plain Python."""
    assert record.call is not None
    return plain(arguments(record.call, "keras").get(name), lambda c: c)


def _tuple(value: Any, rank: int) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * rank


def _refuse(record: LayerRecord, why: str) -> SymconvError:
    return SymconvError("SC306", f"{record.type} '{record.name}' has no faithful PyTorch "
                        f"translation: {why}", record.span,
                        hint="verify against keras, the file's convention")


def _call(module: Any, inputs: list[Any]) -> Any:
    return module(*inputs)


def _conv(record: LayerRecord, rank: int, nn: Any) -> Step:
    kernel = _tuple(_arg(record, "kernel_size"), rank)
    strides = _tuple(_arg(record, "strides"), rank)
    padding = str(_arg(record, "padding")).lower()
    if padding == "same" and strides != (1,) * rank:
        raise _refuse(record, "'same' padding with a stride other than 1 pads unevenly, which "
                      "PyTorch's Conv does not do")
    if padding not in ("valid", "same"):
        raise _refuse(record, f"padding {padding!r}")
    channels = int(record.input_shape[-1])
    module = getattr(nn, f"Conv{rank}d")(
        channels, _arg(record, "filters"), kernel, stride=strides,
        padding=0 if padding == "valid" else "same",
        dilation=_tuple(_arg(record, "dilation_rate"), rank), groups=_arg(record, "groups"),
        bias=bool(_arg(record, "use_bias")))
    return Step(module, CHANNELS_FIRST, _call)


def _pool(record: LayerRecord, rank: int, kind: str, nn: Any) -> Step:
    if str(_arg(record, "padding")).lower() != "valid":
        raise _refuse(record, "PyTorch pools have no 'same' padding")
    size = _tuple(_arg(record, "pool_size"), rank)
    strides = _arg(record, "strides")
    stride = size if strides is None else _tuple(strides, rank)
    return Step(getattr(nn, f"{kind}Pool{rank}d")(size, stride), CHANNELS_FIRST, _call)


def _global_pool(record: LayerRecord, rank: int, kind: str, nn: Any) -> Step:
    layers = [getattr(nn, f"Adaptive{kind}Pool{rank}d")(1)]
    if not _arg(record, "keepdims"):
        layers.append(nn.Flatten())
    return Step(nn.Sequential(*layers), CHANNELS_FIRST, _call)


def _batch_norm(record: LayerRecord, nn: Any) -> Step:
    if _arg(record, "axis") not in (-1, len(record.input_shape)):
        raise _refuse(record, "normalising an axis other than the channels")
    if bool(_arg(record, "center")) != bool(_arg(record, "scale")):
        raise _refuse(record, "PyTorch's affine=False drops the scale and the shift together")
    rank = max(1, len(record.input_shape) - 1)
    module = getattr(nn, f"BatchNorm{rank}d")(
        int(record.input_shape[-1]), eps=_arg(record, "epsilon"),
        affine=bool(_arg(record, "scale")))
    return Step(module, CHANNELS_FIRST, _call)


def _recurrent(record: LayerRecord, nn: Any) -> Step:
    kind, _ = GATES[record.type]
    if _arg(record, "return_state"):
        raise _refuse(record, "return_state gives several outputs")
    options: dict[str, Any] = {"batch_first": True, "bias": bool(_arg(record, "use_bias"))}
    module = getattr(nn, kind)(int(record.input_shape[-1]), _arg(record, "units"), **options)
    last = not _arg(record, "return_sequences")

    def run(m: Any, inputs: list[Any]) -> Any:
        out = m(*inputs)[0]
        return out[:, -1] if last else out

    return Step(module, CHANNELS_LAST, run)


def _zero_padding(record: LayerRecord, rank: int, nn: Any) -> Step:
    pads = _arg(record, "padding")
    pairs = [_tuple(p, 2) for p in _tuple(pads, rank)] if rank > 1 else [_tuple(pads, 2)]
    flat = tuple(x for pair in reversed(pairs) for x in pair)  # PyTorch: last axis first
    return Step(getattr(nn, f"ZeroPad{rank}d")(flat), CHANNELS_FIRST, _call)


def _step(record: LayerRecord, nn: Any, torch: Any) -> Step:
    t = record.type
    if record.tied or record.batched is False:
        raise _refuse(record, "a free parameter or a tied weight lives in a Keras layer's "
                      "build, not in a layer symconv translates")
    if record.results is not None:
        raise _refuse(record, "it gives several outputs")
    if _arg(record, "data_format") not in (None, "channels_last"):
        raise _refuse(record, "a channels_first layer")
    for rank in (1, 2, 3):
        if t == f"Conv{rank}D":
            return _conv(record, rank, nn)
        for kind, torch_kind in (("Max", "Max"), ("Average", "Avg")):
            if t == f"{kind}Pooling{rank}D":
                return _pool(record, rank, torch_kind, nn)
            if t == f"Global{kind}Pooling{rank}D":
                return _global_pool(record, rank, torch_kind, nn)
    if t == "Dense":
        module = nn.Linear(int(record.input_shape[-1]), _arg(record, "units"),
                           bias=bool(_arg(record, "use_bias")))
        return Step(module, CHANNELS_LAST, _call)
    if t == "BatchNormalization":
        return _batch_norm(record, nn)
    if t == "LayerNormalization":
        if _arg(record, "axis") not in (-1, len(record.input_shape)) or _arg(record, "rms_scaling"):
            raise _refuse(record, "PyTorch's LayerNorm normalises the last axis, without RMS "
                          "scaling")
        scale, center = bool(_arg(record, "scale")), bool(_arg(record, "center"))
        if center and not scale:
            raise _refuse(record, "PyTorch's LayerNorm has no shift without a scale")
        module = nn.LayerNorm(int(record.input_shape[-1]), eps=_arg(record, "epsilon"),
                              elementwise_affine=scale, bias=center)
        return Step(module, CHANNELS_LAST, _call)
    if t == "Embedding":
        return Step(nn.Embedding(_arg(record, "input_dim"), _arg(record, "output_dim")),
                    CHANNELS_LAST, _call)
    if t in GATES:
        return _recurrent(record, nn)
    if t in ("ZeroPadding1D", "ZeroPadding2D"):
        return _zero_padding(record, int(t[-2]), nn)
    if t in ("ReLU", "LeakyReLU") and _arg(record, "max_value") is None:
        return Step(nn.ReLU() if t == "ReLU" else nn.LeakyReLU(), ANY, _call)
    if t == "Flatten":
        return Step(nn.Flatten(), ANY, _call)  # the order of the features differs, not the count
    if t in SHAPE_ONLY:
        if t == "Activation" and _arg(record, "activation") == "glu":
            raise _refuse(record, "glu halves the last axis")
        return Step(nn.Identity(), ANY, _call)
    if t in ELEMENTWISE:
        op = getattr(torch, ELEMENTWISE[t])
        return Step(None, ANY, lambda _, xs: _fold(op, xs))
    if t == "Average":
        return Step(None, ANY, lambda _, xs: _fold(torch.add, xs) / len(xs))
    if t == "Concatenate":
        axis = _arg(record, "axis")
        return Step(None, CHANNELS_LAST, lambda _, xs: torch.cat(xs, dim=axis))
    raise _refuse(record, "not in symconv's translation table (README: Verifying)")


def _fold(op: Any, tensors: list[Any]) -> Any:
    out = tensors[0]
    for t in tensors[1:]:
        out = op(out, t)
    return out


def _to(tensor: Any, layout: str, want: str) -> tuple[Any, str]:
    if want == ANY or layout == want or tensor.dim() <= 2:
        return tensor, layout if tensor.dim() > 2 else CHANNELS_LAST
    return (tensor.movedim(-1, 1), want) if want == CHANNELS_FIRST else (
        tensor.movedim(1, -1), want)


def steps(d: Derivation) -> list[Step]:
    """Every layer's translation (SC306 at the first that has none)."""
    import torch
    from torch import nn

    out = []
    for record in d.layers:
        step = _step(record, nn, torch)
        if step.module is not None:
            step.module.train(False)  # eval mode, as the Keras side runs with training=False
        out.append(step)
    return out


def run(d: Derivation) -> list[Facts]:
    """The translated network's facts per layer, shapes in Keras's (channels-last) layout."""
    import torch

    from .torch_net import _module_facts

    plan = steps(d)
    values: dict[int | str, tuple[Any, str]] = {}
    indices = token_inputs(d)
    for name, shape in d.inputs:
        dims = (BATCH, *map(int, shape))
        values[name] = (torch.zeros(dims, dtype=torch.int64 if name in indices else torch.float32),
                        CHANNELS_LAST)
    facts = []
    with torch.no_grad():
        for i, (record, step) in enumerate(zip(d.layers, plan)):
            want = step.layout
            inputs = [values[s] for s in record.sources]
            if want == ANY and len(inputs) > 1:
                want = inputs[0][1]
            moved = [_to(t, layout, want) for t, layout in inputs]
            try:
                out = step.apply(step.module, [t for t, _ in moved])
            except Exception as err:  # any refusal is the answer we want
                raise Refused(record, err) from err
            layout = moved[0][1] if want == ANY else want
            values[i] = (out, layout)
            shown, _ = _to(out, layout, CHANNELS_LAST)
            shape = tuple(shown.shape[1:])
            facts.append(_module_facts(step.module, shape) if step.module is not None
                         else Facts(shape))
    return facts


def compare_translated(record: LayerRecord, theirs: Facts, sizes: dict[str, int]
                       ) -> tuple[list[Mismatch], str | None]:
    """(mismatches, the expected difference in words or None): shapes must agree; counts must
    agree or differ exactly as the two frameworks' documented conventions say."""
    ours = facts_of(record)
    if ours.output_shape != theirs.output_shape:
        return [Mismatch(record.name, record.type, sizes, "output shape", ours.output_shape,
                         theirs.output_shape)], None
    keras = (ours.trainable, ours.non_trainable)
    torch = (theirs.trainable, theirs.buffers)
    if keras == torch or record.shares is not None:
        return [], None
    expected = _expected(record, ours, theirs)
    if expected is not None:
        return [], expected
    return [Mismatch(record.name, record.type, sizes, "(trainable, non-trainable or buffers)",
                     keras, torch)], None


def _expected(record: LayerRecord, ours: Facts, theirs: Facts) -> str | None:
    if record.type == "BatchNormalization":
        if ours.trainable == theirs.trainable and ours.non_trainable + 1 == theirs.buffers:
            return (f"BatchNormalization: Keras counts the moving mean and variance as "
                    f"{ours.non_trainable:,} non-trainable weights; PyTorch keeps them as "
                    f"buffers, with num_batches_tracked ({theirs.buffers:,})")
        return None
    if record.type in GATES:
        _, gates = GATES[record.type]
        units = int(_arg(record, "units"))
        extra = theirs.trainable - ours.trainable
        if extra == gates * units and ours.non_trainable == theirs.buffers == 0:
            return (f"{record.type}: PyTorch has two bias vectors per gate block (bias_ih and "
                    f"bias_hh), Keras one: {extra:,} more parameters in PyTorch")
    return None
