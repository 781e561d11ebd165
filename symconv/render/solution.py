"""`symconv solve` output: plain text, JSON (the documented schema) and LaTeX."""

from __future__ import annotations

import json

import sympy

from ..solver import Solution
from .printing import latex, pretty, show

ORDER = {"kernel": "odd sizes first", "stride": "smallest first", "padding": "smallest first",
         "dilation": "smallest first", "input size": "smallest first", "width": "smallest first"}
SHOWN = 20  # solutions printed in the text form


def _assignment(values: dict[str, int]) -> str:
    return ", ".join(f"{k} = {v:,}" for k, v in values.items())


def _condition(condition: sympy.Basic) -> str:
    """`a ≤ K ≤ b` for an interval, else the condition as it is."""
    if isinstance(condition, sympy.And) and len(condition.args) == 2:
        lows = [r for r in condition.args if isinstance(r, (sympy.Le, sympy.Lt))]
        if len(lows) == 2:
            first, second = sorted(lows, key=lambda r: r.rhs.is_Symbol is False)
            if first.rhs == second.lhs and first.rhs.is_Symbol:
                op1 = "≤" if isinstance(first, sympy.Le) else "<"
                op2 = "≤" if isinstance(second, sympy.Le) else "<"
                return f"{pretty(first.lhs)} {op1} {first.rhs} {op2} {pretty(second.rhs)}"
    return pretty(condition)


def _runs(values: list[int]) -> str:
    """1, 2, 3, 7 → '1..3, 7'."""
    ordered, parts = sorted(values), []
    start = prev = ordered[0]
    for v in ordered[1:] + [None]:  # type: ignore[list-item]
        if v is not None and v == prev + 1:
            prev = v
            continue
        parts.append(f"{start:,}" if start == prev else f"{start:,}..{prev:,}")
        if v is not None:
            start = prev = v
    return ", ".join(parts)


def render_text(s: Solution) -> str:
    lines = []
    for name in s.unknowns:
        low, high = s.ranges[name]
        tried = "" if s.free else f", tried {low}..{high} ({ORDER[s.kinds[name]]})"
        lines.append(f"{name}: {s.kinds[name]}{tried}")
    lines += [f"target: {t.describe()}" for t in s.targets]
    if s.closed_form:
        lines += [f"closed form: {_condition(c)}" for c in s.closed_form.values()]
    if s.free:
        lines.append(f"sizes left symbolic: {', '.join(s.free)}; the answer is the condition "
                     "above" + (" (with every layer's own conditions)" if s.closed_form else ""))
        if not s.closed_form:
            lines += [f"condition: {pretty(c)}" for c in s.conditions]
        return "\n".join(lines) + "\n"
    if s.solutions:
        plural = "s" if s.count != 1 else ""
        if s.extreme:
            lines.append(f"{'largest' if _budget_max(s) else 'smallest'}: "
                         f"{_assignment(s.extreme)}")
            lines += [f"  {_assignment(v)} gives {outcome}" for v, outcome in s.boundary]
        if len(s.unknowns) == 1 and s.count > SHOWN and s.complete:
            name = s.unknowns[0]
            lines.append(f"{s.count:,} solution{plural}: {name} in "
                         f"{_runs([v[name] for v in s.solutions])}")
        else:
            more = f" (showing {SHOWN})" if s.count > SHOWN else ""
            lines.append(f"{s.count:,} solution{plural}{more}:")
            lines += [f"  {_assignment(v)}" for v in s.solutions[:SHOWN]]
    else:
        lines.append("no solution in these ranges")
        if s.nearest:
            lines.append("nearest:")
            lines += [f"  {_assignment(v)} gives {outcome}" for v, outcome in s.nearest]
    return "\n".join(lines) + "\n"


def _budget_max(s: Solution) -> bool:
    return any(t.kind == "max-params" for t in s.targets)


def to_dict(s: Solution) -> dict[str, object]:
    closed = ({k: show(v) for k, v in s.closed_form.items()}
              if s.closed_form is not None else None)
    return {
        "unknowns": list(s.unknowns),
        "kinds": dict(s.kinds),
        "ranges": {k: list(v) for k, v in s.ranges.items()},
        "targets": [t.describe() for t in s.targets],
        "closed_form": closed,
        "conditions": [show(c) for c in s.conditions],
        "free_sizes": list(s.free),
        "solutions": s.solutions,
        "count": s.count,
        "complete": s.complete,
        "extreme": s.extreme,
        "boundary": [{"values": v, "gives": outcome} for v, outcome in s.boundary],
        "nearest": [{"values": v, "gives": outcome} for v, outcome in s.nearest],
    }


def render_json(s: Solution) -> str:
    return json.dumps(to_dict(s), indent=2, ensure_ascii=False) + "\n"


def render_latex(s: Solution) -> str:
    lines = [r"\begin{align*}"]
    rows = [latex(c) for c in (s.closed_form or {}).values()] or \
        [latex(c) for c in s.conditions]
    if s.solutions and not s.free:
        values = ", ".join(r"\{" + ", ".join(f"{k} = {v}" for k, v in sol.items()) + r"\}"
                           for sol in s.solutions[:SHOWN])
        rows.append(r"\text{solutions: } " + values)
    lines.append(r" \\".join(f"  {row}" for row in rows) if rows else r"  \text{no solution}")
    lines.append(r"\end{align*}")
    return "\n".join(lines) + "\n"


SOLUTION_FORMATS = {"text": render_text, "json": render_json, "latex": render_latex}
