"""One layer, a block instance, or the whole network, explained."""

from __future__ import annotations

from ...derivation.model import BlockRecord, Derivation, LayerRecord
from ...errors import SymconvError, did_you_mean
from ...escapes import visible_lines
from ...layers import REGISTRY
from ...maths.printing import spoken
from ..common import pass_lines, shape_cell
from .counts import OTHER, PARAMS, _weights_line
from .extents import SHAPES
from .words import Lines, counted, said, shape_text


def _several(d: Derivation, record: LayerRecord) -> Lines:
    """A call giving several tensors: all of them, the batch shown where it is not first."""
    if record.results is None:
        return []
    axes = record.batch_axes or (0,) * len(record.outputs)
    shown = ", ".join(shape_cell(s, d.convention, spoken, axis=a)
                      for s, a in zip(record.outputs, axes))
    return [f"  Gives {len(record.outputs)} tensors (batch axis shown), nested as the framework "
            f"nests them: {shown} (the first is what a layer written after it takes)."]


def _free_parameter(d: Derivation, record: LayerRecord) -> Lines:
    """A `parameter` statement: one weight of its whole shape, counted here, once."""
    (w,) = record.weights
    made = "an nn.Parameter" if d.convention == "torch" else "a weight made by add_weight"
    frozen = "" if w.trainable else (" (requires_grad=False: still a parameter)"
                                     if d.convention == "torch" else " (non-trainable)")
    return [f"  A free parameter: {made} of shape {shape_text(w.shape)}, with no batch axis; it "
            "broadcasts against a network tensor's (batch, …), aligned to the right.",
            f"  Parameters: {_weights_line(record)}{frozen}, counted once, here."]


def _tied(record: LayerRecord) -> Lines:
    return [f"  {t.weight.name} {shape_text(t.weight.shape)}: tied to {t.where}, counted there."
            for t in record.tied]


def explain_layer(d: Derivation, record: LayerRecord) -> Lines:
    spec = REGISTRY[d.convention].get(record.type)
    family = spec.family if spec is not None else "parameter"
    source = d.source.line(record.span.line).strip()
    ins = " and ".join(shape_text(s) for s in record.input_shapes) or "()"
    lines = [f"{record.name} ({record.type}), line {record.span.line}: {source}",
             f"  {ins} → {shape_text(record.output_shape)}"] + _several(d, record)
    times = ([f"  Applied {said(record.times)} times (a repeat of symbolic count); the counts "
              "below are one application's, the totals count them all."]
             if record.times != 1 else [])  # one pass of a symbolic repeat, named as the first
    if spec is None:
        return lines[:1] + times + _free_parameter(d, record)
    lines += _tied(record) + times
    if record.shares:
        lines.append(f"  Shares its weights with {record.shares}: no parameters of its own.")
    elif record.weights:
        lines.append(f"  Parameters: {counted(record.params)} = {_weights_line(record)}"
                     if len(record.weights) > 1 else
                     f"  Parameters: {_weights_line(record)}")
        lines += [f"    {x}" for x in PARAMS.get(family, lambda *_: [])(d, record)]
    else:
        lines.append("  No parameters of its own." if record.tied else "  No parameters.")
    shapes = SHAPES.get(family, lambda *_: [])(d, record)
    if shapes:
        lines.append("  Output extents:")
        lines += [f"    {x}" for x in shapes]
    elif record.output_shape == record.input_shape:
        lines.append("  Shape unchanged.")
    for req in record.requires:
        lines.append(f"  Valid when {spoken(req.condition)}; otherwise {req.said}.")
    lines += [f"  {note}" for note in record.notes]
    if not record.notes and record.shares is None:
        lines += [f"  {x}" for x in OTHER.get(family, lambda *_: [])(d, record)]
    return lines


def _block(d: Derivation, block: BlockRecord) -> str:
    """A block instance named by --layer (ResNet's layer1): what it is, then its layers."""
    layers = d.block_layers(block)
    ins = " and ".join(shape_text(s) for s in block.input_shapes) or "()"
    return (f"{block.name} (block {block.type}), line {block.span.line}: {len(layers)} layer"
            f"{'' if len(layers) == 1 else 's'}, {counted(d.subtotal(block))} parameters\n"
            f"  {ins} → {shape_text(block.output_shape)}")


def _chosen(d: Derivation, layer: str | None) -> list[str]:
    """The explanations asked for: every layer, the layers called `layer`, or the layers of
    the block instance called `layer` after a line on the block (SC307 when there is none)."""
    records = [r for r in d.layers if layer is None or r.name == layer]
    if records:
        return ["\n".join(explain_layer(d, r)) for r in records]
    blocks = [b for b in d.blocks if b.name == layer]
    if blocks:
        return [text for b in blocks for text in
                [_block(d, b), *("\n".join(explain_layer(d, r)) for r in d.block_layers(b))]]
    names = [r.name for r in d.layers] + [b.name for b in d.blocks]
    raise SymconvError("SC307", f"no layer or block is called '{layer}'", None, d.source,
                       hint=did_you_mean(str(layer), names)
                       or f"layers: {', '.join(names[:12])}" + (", …" if len(names) > 12
                                                                else ""))


def render_explain(d: Derivation, layer: str | None = None) -> str:
    """Every layer explained (or the layers, or the block, called `layer`)."""
    sizes = ", ".join(f"{k} = {d.subs[k]}" for k in d.sizes if k in d.subs)
    head = f"{d.network or 'network'} ({d.convention} convention" + (
        f"; {sizes}" if sizes else "") + ")"
    blocks = _chosen(d, layer)
    total = (f"Total: {counted(d.params)} parameters ({counted(d.trainable)} trainable, "
             f"{counted(d.non_trainable)} non-trainable)" + (
                 f", and {counted(d.buffers)} buffers" if d.convention == "torch" else "") + ".")
    passes = "\n".join(pass_lines(d))
    return visible_lines("\n\n".join([head, *blocks, total, *([passes] if passes else [])])
                         + "\n")
