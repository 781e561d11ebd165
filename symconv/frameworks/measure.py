"""The framework's own numbers for `symconv plot`'s marks: the network built in PyTorch or Keras
at a few sizes, as `verify` builds it, and its parameter counts and output extents read back.

Only what a framework can say is measured: parameters (trainable, non-trainable) and output
extents; MACs and memory are symconv's conventions, with nothing to read back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..derivation.model import Derivation
from ..errors import Source
from .check import MAX_BUILT, _run, runner
from .compare import Facts


def measure(source: Source, points: Sequence[Mapping[str, int]],
            layer: str | None = None) -> tuple[str, dict[int, dict[str, int]]]:
    """(the framework and its version, {point index: {'params' | 'trainable' | 'non_trainable'
    | 'axis N': value}}), in the file's own framework. A point too large to build (more than
    MAX_BUILT parameters) is left out. FrameworkMissing when the framework is not installed."""
    from ..derivation.run import derive_program
    from ..language.parse import parse

    program = parse(source)
    measured: dict[int, dict[str, int]] = {}
    framework = ""
    for i, sizes in enumerate(points):
        d = derive_program(program, dict(sizes))
        if not framework:
            module, version = runner(d.convention, d.convention)
            framework = f"{'PyTorch' if d.convention == 'torch' else 'Keras'} {version}"
        if int(d.params) + int(d.buffers) > MAX_BUILT:
            continue
        measured[i] = _numbers(d, _run(module, d), layer)
    return framework, measured


def _numbers(d: Derivation, facts: list[Facts], layer: str | None) -> dict[str, int]:
    """The framework's totals (each layer's own count; a shared layer's later uses have none
    of their own) and the extents of the output plotted."""
    own = [f for record, f in zip(d.layers, facts) if record.shares is None]
    trainable = sum(f.trainable for f in own)
    non_trainable = sum(f.non_trainable for f in own)
    out = {"params": trainable + non_trainable, "trainable": trainable,
           "non_trainable": non_trainable}
    shape = _output(d, facts, layer)
    if shape is not None:
        out.update({f"axis {k}": v for k, v in enumerate(shape, 1)})
    return out


def _output(d: Derivation, facts: list[Facts], layer: str | None) -> tuple[int, ...] | None:
    """The framework's shape of the output plotted: the network's (its first output), a
    block's (its last layer's), or a layer's; None for a tensor name or a network input."""
    if layer is not None:
        block = next((b for b in d.blocks if b.name == layer), None)
        if block is not None:  # its output is its last layer's, in a chain of layers
            last = d.layers[block.last].output_shape == block.output_shape
            return facts[block.last].output_shape if last else None
        try:
            return facts[d.layer_positions[id(d.layer(layer))]].output_shape
        except KeyError:
            return None
    node = d.output_nodes[0] if d.output_nodes else len(d.layers) - 1
    if isinstance(node, int):
        return facts[node].output_shape if node >= 0 else None
    if isinstance(node, tuple):
        index, k = node
        return facts[index].output_shape if k == 0 else facts[index].outputs[k - 1]
    return None

