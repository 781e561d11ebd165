"""JSON output: numbers as JSON integers, formulas as strings in sympy syntax."""

from __future__ import annotations

import json

import sympy

from ..model import BlockRecord, Derivation, LayerRecord
from .options import DEFAULT, Options
from .printing import show


def _value(e: sympy.Basic) -> int | str:
    return int(e) if isinstance(e, sympy.Integer) else show(e)


def _requires(reqs) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return [{"condition": show(r.condition), "reason": r.reason, "layer": r.layer} for r in reqs]


def _layer(layer: LayerRecord, torch: bool) -> dict[str, object]:
    out: dict[str, object] = {
        "name": layer.name,
        "type": layer.type,
        "line": layer.span.line,
        "output_shape": [_value(e) for e in layer.output_shape],
        "params": _value(layer.params),
        "trainable": _value(layer.trainable),
        "non_trainable": _value(layer.non_trainable),
        "weights": {w.name: [_value(e) for e in w.shape] for w in layer.weights if not w.buffer},
    }
    if torch:
        out["buffers"] = _value(layer.buffers)
        out["buffer_shapes"] = {w.name: [_value(e) for e in w.shape]
                                for w in layer.weights if w.buffer}
    out["requires"] = _requires(layer.requires)
    if layer.notes:
        out["notes"] = list(layer.notes)
    if layer.path:
        out["block"] = ".".join(layer.path)
    if layer.shares:
        out["shares_weights_with"] = layer.shares
    return out


def _block(d: Derivation, block: BlockRecord) -> dict[str, object]:
    return {"name": block.name, "type": block.type, "line": block.span.line,
            "output_shape": [_value(e) for e in block.output_shape],
            "params": _value(d.subtotal(block)),
            "layers": [layer.name for layer in d.block_layers(block)]}


def to_dict(d: Derivation) -> dict[str, object]:
    torch = d.convention == "torch"
    totals: dict[str, object] = {"params": _value(d.params), "trainable": _value(d.trainable),
                                 "non_trainable": _value(d.non_trainable)}
    if torch:
        totals["buffers"] = _value(d.buffers)
    return {
        "network": d.network,
        "convention": d.convention,
        "sizes": list(d.sizes),
        "subs": dict(d.subs),
        "input": [_value(e) for e in d.input_shape],
        "inputs": {name: [_value(e) for e in shape] for name, shape in d.inputs},
        "output_shape": [_value(e) for e in d.output_shape],
        "outputs": [[_value(e) for e in shape] for shape in d.outputs],
        "layers": [_layer(layer, torch) for layer in d.layers],
        "blocks": [_block(d, block) for block in d.blocks],
        "totals": totals,
        "requires": _requires(d.requires),
    }


def render_json(d: Derivation, options: Options = DEFAULT) -> str:
    return json.dumps(to_dict(d), indent=2, ensure_ascii=False) + "\n"
