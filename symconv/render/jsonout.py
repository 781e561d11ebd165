"""JSON output: numbers as JSON integers, formulas as strings in sympy syntax."""

from __future__ import annotations

import json

import sympy

from ..derivation.model import BlockRecord, Derivation, LayerRecord
from ..escapes import json_visible
from ..maths import symbols
from ..maths.printing import show
from .columns import columns
from .options import DEFAULT, Options


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


def _domains(d: Derivation) -> dict[str, int]:
    """The least value of each size whose domain is not the default (≥ 1)."""
    return {s: d.domain(s).least for s in d.sizes if d.domain(s).least != symbols.DEFAULT_LEAST}


def to_dict(d: Derivation) -> dict[str, object]:
    torch = d.convention == "torch"
    totals: dict[str, object] = {"params": _value(d.params), "trainable": _value(d.trainable),
                                 "non_trainable": _value(d.non_trainable)}
    if torch:
        totals["buffers"] = _value(d.buffers)
    out: dict[str, object] = {
        "network": d.network,
        "convention": d.convention,
        "sizes": list(d.sizes),
    }
    if _domains(d):  # only when some size may be 0, so that other outputs stay as they were
        out["domains"] = _domains(d)
    return {
        **out,
        "subs": dict(d.subs),
        "input": [_value(e) for e in d.input_shape],
        "inputs": {name: [_value(e) for e in shape] for name, shape in d.inputs},
        "output_shape": [_value(e) for e in d.output_shape],
        "outputs": [[_value(e) for e in shape] for shape in d.outputs],
        "layers": [_layer(layer, torch) for layer in d.layers],
        "blocks": [_block(d, block) for block in d.blocks],
        "totals": totals,
        "requires": _requires(d.requires),
        # only when there are some: the output for a network without warnings stays as it was
        **({"warnings": [w.to_dict() for w in d.warnings]} if d.warnings else {}),
    }


def render_json(d: Derivation, options: Options = DEFAULT) -> str:
    data = to_dict(d)
    _compute(d, options, data)
    # json.dumps leaves DEL, C1 controls and bidirectional overrides raw: \u escapes instead
    return json_visible(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _compute(d: Derivation, options: Options, data: dict[str, object]) -> None:
    """The compute columns asked for, per layer and in total (keys: macs or flops,
    activation_bytes, receptive_field as [{size, jump, start}] per spatial axis or null)."""
    layers: list[dict[str, object]] = data["layers"]  # type: ignore[assignment]
    totals: dict[str, object] = data["totals"]  # type: ignore[assignment]
    for column in columns(d, list(d.layers), options):
        key = {"MACs": "macs", "FLOPs": "flops", "Receptive field": "receptive_field"}.get(
            column.header, "activation_bytes")
        for layer, value in zip(layers, column.values):
            layer[key] = _field(value) if key == "receptive_field" else _value(value)  # type: ignore[arg-type]
        if column.total is not None:
            totals[key] = _value(column.total)
    if options.macs is not None:
        from ..analysis import macs

        data["macs_convention"] = {"name": options.macs,
                                   "description": macs.PRESETS[options.macs].description}
    if options.memory is not None:
        from ..analysis import memory

        totals["parameter_bytes"] = _value(memory.parameters(d, options.memory))
        data["memory"] = {"dtype": options.memory, "batch": options.batch}


def _field(value: object) -> object:
    if value is None:
        return None
    return [{"size": _value(f.size), "jump": _value(f.jump), "start": _value(f.start)}  # type: ignore[attr-defined]
            for f in value]  # type: ignore[attr-defined]
