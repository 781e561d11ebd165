"""What a framework reports for one layer, and the comparison with symconv's record of it.

Both sides are reduced to the same plain data (`Facts`): the output shape without the batch
axis, the parameter counts, and the weight tensors by the framework's own names. A layer that
applies a shared layer again has no weights of its own on either side: only its shape is compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..derivation.model import LayerRecord

Shape = tuple[int, ...]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Facts:
    """One layer as a framework (or symconv) sees it. `non_trainable`: Keras's non-trainable
    weights; `buffers`: PyTorch's buffers (running statistics), which are not parameters."""

    output_shape: Shape
    trainable: int = 0
    non_trainable: int = 0
    buffers: int = 0
    weights: dict[str, Shape] = field(default_factory=dict)
    buffer_shapes: dict[str, Shape] = field(default_factory=dict)
    outputs: tuple[Shape, ...] = ()  # a call giving several tensors: the others, in order


@dataclass(frozen=True)
class Mismatch:
    """One disagreement: which layer, at which sizes, what differs, and both values."""

    layer: str
    type: str
    sizes: dict[str, int]
    what: str
    symconv: object
    framework: object
    against: str = "torch"

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.sizes.items()) or "no sizes"
        return (f"{self.layer} ({self.type}) at {where}: {self.what}: symconv {_show(self.symconv)}"
                f", {self.against} {_show(self.framework)}")


def _show(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        return "(" + ", ".join(map(str, value)) + ("," if len(value) == 1 else "") + ")"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _int(value: object, what: str) -> int:
    if not getattr(value, "is_Integer", False):
        raise ValueError(f"{what} is not a number after substitution: {value}")
    return int(value)  # type: ignore[call-overload]


def _shape(shape: tuple[object, ...], what: str) -> Shape:
    return tuple(_int(e, what) for e in shape)


def facts_of(record: LayerRecord) -> Facts:
    """symconv's record (every size a number) as Facts."""
    name = record.name
    weights = {w.name: _shape(w.shape, f"{name}: {w.name}") for w in record.weights
               if not w.buffer}
    buffers = {w.name: _shape(w.shape, f"{name}: {w.name}") for w in record.weights if w.buffer}
    others = tuple(_shape(s, f"{name}: output {k + 2}") for k, s in enumerate(record.outputs[1:]))
    return Facts(_shape(record.output_shape, f"{name}: output shape"),
                 _int(record.trainable, f"{name}: trainable"),
                 _int(record.non_trainable, f"{name}: non-trainable"),
                 _int(record.buffers, f"{name}: buffers"), weights, buffers, others)


# (what, field) in the order they are reported; Keras has no buffers, PyTorch no non-trainable
# parameters (a frozen parameter still counts as a parameter there)
_FIELDS = {
    "keras": (("output shape", "output_shape"), ("other output shapes", "outputs"),
              ("trainable params", "trainable"),
              ("non-trainable params", "non_trainable"), ("weight shapes", "weights")),
    "torch": (("output shape", "output_shape"), ("other output shapes", "outputs"),
              ("params", "trainable"),
              ("buffers", "buffers"), ("weight shapes", "weights"),
              ("buffer shapes", "buffer_shapes")),
}


def compare(record: LayerRecord, theirs: Facts, sizes: dict[str, int],
            against: str) -> list[Mismatch]:
    """Every field of `record` that differs from the framework's `theirs`."""
    ours = facts_of(record)
    fields = _FIELDS[against]
    if record.shares is not None:  # weights live with the first application
        fields = fields[:2]
    return [Mismatch(record.name, record.type, sizes, what, getattr(ours, key),
                     getattr(theirs, key), against)
            for what, key in fields if getattr(ours, key) != getattr(theirs, key)]


class Refused(Exception):
    """The framework raised at `record`; the message is its own, on one line (Keras's ANSI
    colours removed)."""

    def __init__(self, record: LayerRecord, error: BaseException) -> None:
        message = " ".join(_ANSI.sub("", str(error)).split())
        super().__init__(f"{type(error).__name__}: {message}")
        self.record = record
