"""`symconv verify`'s report: what was compared, and that as text (an agreement table) or JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..derivation.model import Derivation
from ..escapes import json_visible, visible_lines
from ..render.common import count_cell, is_batched, layer_label, shape_cell
from ..render.table import box
from .compare import Facts, Mismatch
from .sizes import Outside


@dataclass(frozen=True)
class Checked:
    """One size assignment: symconv's derivation and the framework's facts per layer (None
    when the framework refused the network, with its message in `refused`)."""

    sizes: dict[str, int]
    derivation: Derivation
    facts: tuple[Facts, ...] | None
    refused: str | None = None


@dataclass(frozen=True)
class OutsideCheck:
    """A point outside the valid domain: what symconv says, and what the framework says (None
    when it accepted the network)."""

    point: Outside
    symconv: str
    framework: str | None


@dataclass
class Report:
    path: str
    against: str
    version: str
    translated_from: str | None = None  # the file's convention, when it is not `against`
    checked: list[Checked] = field(default_factory=list)
    outside: list[OutsideCheck] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    expected: dict[str, str] = field(default_factory=dict)  # layer → the expected difference

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def comparisons(self) -> int:
        """Layer comparisons made: layers × size assignments the framework ran."""
        return sum(len(c.facts) for c in self.checked if c.facts is not None)

    def render(self) -> str:
        return render_report(self)

    def to_dict(self) -> dict[str, object]:
        return report_dict(self)


NAMES = {"torch": "PyTorch", "keras": "Keras"}
WIDTH = 160  # a framework's message is cut here in the text report (JSON keeps it whole)


def _sizes(sizes: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sizes.items()) or "no sizes"


def _cut(text: str) -> str:
    return text if len(text) <= WIDTH else text[:WIDTH - 1] + "…"


def _framework(report: Report) -> str:
    backend = " (torch backend)" if report.against == "keras" else ""
    return f"{NAMES[report.against]} {report.version}{backend}"


def _weights(record) -> str:  # type: ignore[no-untyped-def]
    if record.shares is not None:
        return f"shared with {record.shares}"
    shown = [f"{w.name} {_shape(w.shape)}" for w in record.weights if not w.buffer]
    return ", ".join(shown) or "-"


def _shape(shape: tuple) -> str:  # type: ignore[type-arg]
    return "(" + ", ".join(str(e) for e in shape) + ("," if len(shape) == 1 else "") + ")"


def _table(report: Report, checked: Checked) -> list[str]:
    d, torch = checked.derivation, checked.derivation.convention == "torch"
    wrong = {m.layer for m in report.mismatches if m.sizes == checked.sizes}
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Buffers"] if torch else [
        "Non-trainable"]) + ["Weights", "Agree"]
    rows = []
    for i, layer in enumerate(d.layers):
        ran = checked.facts is not None and i < len(checked.facts)
        mark = ("✗" if layer.name in wrong else "≈" if layer.name in report.expected
                else "✓" if ran else "·")
        extra = layer.buffers if torch else layer.non_trainable
        rows.append([layer_label(layer),
                     shape_cell(layer.output_shape, d.convention, batched=is_batched(layer)),
                     count_cell(layer.params), count_cell(extra), _weights(layer), mark])
    return box(rows, header, right={2, 3})


def render_report(report: Report) -> str:
    first = report.checked[0]
    how = (f" (a {report.translated_from} file, translated layer by layer)"
           if report.translated_from else "")
    lines = [f"Verifying {report.path} against {_framework(report)}{how}",
             f"Sizes: {_sizes(first.sizes)}", *_table(report, first)]
    for checked in report.checked[1:]:
        agree = len({m.layer for m in report.mismatches if m.sizes == checked.sizes})
        total = len(checked.derivation.layers)
        state = (f"refused: {_cut(checked.refused)}" if checked.refused
                 else f"{total - agree} of {total} layers agree")
        lines.append(f"Also at {_sizes(checked.sizes)}: {state}")
    if report.outside:
        lines += ["", "Just outside the valid domain (the framework must refuse too):"]
        for o in report.outside:
            theirs = (f"{report.against} refuses: {_cut(o.framework)}" if o.framework
                      else f"{report.against} ACCEPTS")
            lines.append(f"  {_sizes({o.point.size: o.point.sizes[o.point.size]})} "
                         f"({o.point.layer}: {o.point.reason}): symconv refuses; {theirs}")
    if report.expected:
        lines += ["", ("Expected differences (the frameworks count these differently by design; "
                       "not failures):")]
        lines += [f"  {layer}: {why}" for layer, why in report.expected.items()]
    if report.mismatches:
        lines += ["", f"Mismatches ({len(report.mismatches)}):"]
        lines += [f"  {_cut(str(m))}" for m in report.mismatches]
    lines += ["", _verdict(report)]
    return visible_lines("\n".join(lines) + "\n")


def _verdict(report: Report) -> str:
    counts = (f"{len(report.checked)} size assignment{'s' * (len(report.checked) != 1)}, "
              f"{report.comparisons} layer comparisons, {len(report.outside)} "
              f"point{'s' * (len(report.outside) != 1)} outside the valid domain")
    if report.ok:
        return f"OK: symconv and {_framework(report)} agree ({counts})."
    return f"MISMATCH: {len(report.mismatches)} disagreement(s) ({counts})."


def report_dict(report: Report) -> dict[str, object]:
    return {
        "path": report.path, "against": report.against, "version": report.version,
        "ok": report.ok, "comparisons": report.comparisons,
        "translated_from": report.translated_from, "expected_differences": report.expected,
        "checked": [{"sizes": c.sizes, "layers": len(c.derivation.layers),
                     "refused": c.refused} for c in report.checked],
        "outside": [{"sizes": o.point.sizes, "size": o.point.size, "layer": o.point.layer,
                     "reason": o.point.reason, "symconv": o.symconv, "framework": o.framework}
                    for o in report.outside],
        "mismatches": [{"layer": m.layer, "type": m.type, "sizes": m.sizes, "what": m.what,
                        "symconv": _json(m.symconv), "framework": _json(m.framework)}
                       for m in report.mismatches],
    }


def _json(value: object) -> object:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    return value


def render_report_json(report: Report) -> str:
    return json_visible(json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n")
