"""`symconv solve` output: plain text, JSON (the documented schema) and LaTeX."""

from __future__ import annotations

import json

import sympy

from ..escapes import json_visible, visible_lines
from ..maths import symbols
from ..maths.printing import latex, pretty, show
from ..solving.solver import PRESENTATION, Solution

ORDER = {"kernel": "odd sizes first", "stride": "smallest first", "padding": "smallest first",
         "cropping": "smallest first", "dilation": "smallest first",
         "input size": "smallest first", "width": "smallest first", "depth": "smallest first"}
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
    """The answer in words; user text (a layer's name in a target) with control characters
    escaped, as in every output."""
    return visible_lines(_text(s))


def _text(s: Solution) -> str:
    lines = []
    for name in s.unknowns:
        low, high = s.ranges[name]
        tried = f", tried {low}..{high} ({ORDER[s.kinds[name]]})" if s.tried else ""
        lines.append(f"{name}: {s.kinds[name]}{tried}")
    lines += [f"target: {t.describe()}" for t in s.targets]
    lines += [f"the target does not depend on {name}" for name in s.independent]
    if s.impossible:
        lines.append(_nowhere(s))
    else:
        lines += [f"closed form: {_condition(c)}" for c in _closed(s).values()]
        lines += [f"the target holds for every {name}" for name in _every(s)]
    if not s.tried and not s.impossible:
        return "\n".join(lines + _symbolic(s)) + "\n"
    if s.solutions:
        lines += _listed(s)
    elif not s.impossible:
        lines.append("no solution in these ranges")
    if s.nearest:
        lines.append("nearest:")
        lines += [f"  {_assignment(v)} gives {outcome}" for v, outcome in s.nearest]
    if s.solutions and s.conditions:
        lines.append(f"sizes left symbolic: {', '.join(s.free)}; each solution also needs:")
        lines += [f"  {pretty(c)}" for c in s.conditions]
    return "\n".join(lines) + "\n"


def _closed(s: Solution) -> dict[str, sympy.Basic]:
    """The closed form's informative entries: not 'true' (every value) or 'false' (none),
    which read as sentences instead."""
    return {k: v for k, v in (s.closed_form or {}).items()
            if v is not sympy.true and v is not sympy.false}


def _every(s: Solution) -> list[str]:
    """The unknowns every value of which meets the targets (and which they depend on)."""
    closed = s.closed_form or {}
    return [u for u in s.unknowns if u not in s.independent
            and (s.always or closed.get(u) is sympy.true)]


def _nowhere(s: Solution) -> str:
    """No value of the unknowns meets the targets, whatever the sizes left symbolic are."""
    line = f"no solution for any {' and '.join(s.unknowns)}"
    if s.free:
        line += f", whatever {' and '.join(s.free)} {'is' if len(s.free) == 1 else 'are'}"
    return line


def _uncovered(s: Solution) -> list[sympy.Basic]:
    """The relations on sizes left symbolic that the closed form does not already say (all of
    them when there is none)."""
    unknowns = set(s.unknowns)
    return [c for c in s.conditions if s.closed_form is None
            or not {str(x) for x in c.free_symbols} & unknowns]


def _symbolic(s: Solution) -> list[str]:
    """The answer as a condition on the sizes left symbolic."""
    lines = [f"condition: {pretty(c)}" for c in _uncovered(s)]
    own = " (with every layer's own conditions)" if s.closed_form else ""
    return lines + [f"sizes left symbolic: {', '.join(s.free)}; the answer is the condition "
                    f"above{own}"]


def _listed(s: Solution) -> list[str]:
    lines = []
    plural = "s" if s.count != 1 else ""
    if s.extreme:
        past = (" (from the closed form: past the range tried, whose "
                f"{s.count:,} values all meet the target)" if s.past_range else "")
        lines.append(f"{'largest' if _budget_max(s) else 'smallest'}: "
                     f"{_assignment(s.extreme)}{past}")
        lines += [f"  {_assignment(v)} gives {outcome}" for v, outcome in s.boundary]
    if len(s.unknowns) == 1 and s.count > SHOWN and s.complete:
        name = s.unknowns[0]
        lines.append(f"{s.count:,} solution{plural}: {name} in "
                     f"{_runs([v[name] for v in s.solutions])}")
    else:
        more = f" (showing {SHOWN})" if s.count > SHOWN else ""
        lines.append(f"{s.count:,} solution{plural}{more}:")
        lines += [f"  {_assignment(v)}" for v in s.solutions[:SHOWN]]
    return lines


def _budget_max(s: Solution) -> bool:
    return any(t.kind == "max-params" for t in s.targets)


def to_dict(s: Solution) -> dict[str, object]:
    closed = ({k: show(v) for k, v in _closed(s).items()}
              if s.closed_form is not None else None)
    return {
        "unknowns": list(s.unknowns),
        "kinds": dict(s.kinds),
        "ranges": {k: list(v) for k, v in s.ranges.items()},
        "targets": [t.describe() for t in s.targets],
        "closed_form": closed,
        # the same as the text form writes them, beside sympy's syntax that parse_expr reads
        "closed_form_text": ({k: _condition(v) for k, v in _closed(s).items()}
                             if s.closed_form is not None else None),
        "conditions": [show(c) for c in s.conditions],
        "conditions_text": [pretty(c) for c in s.conditions],
        "free_sizes": list(s.free),
        "solutions": s.solutions,
        "count": s.count,
        "complete": s.complete,
        "extreme": s.extreme,
        "extreme_past_range": s.past_range,
        "boundary": [{"values": v, "gives": outcome} for v, outcome in s.boundary],
        "nearest": [{"values": v, "gives": outcome} for v, outcome in s.nearest],
        "impossible": s.impossible,
        "independent": list(s.independent),
        "every_value": _every(s),
    }


def render_json(s: Solution) -> str:
    return json_visible(json.dumps(to_dict(s), indent=2, ensure_ascii=False) + "\n")


def render_latex(s: Solution) -> str:
    lines = [r"\begin{align*}"]
    if s.impossible:
        rows = [r"\text{no solution}"]
    else:
        rows = [latex(c) for c in _closed(s).values()]
        rows += [rf"\text{{every }} {latex(symbols.size(u))}" for u in _every(s)]
        if not s.tried:
            rows += [latex(c) for c in _uncovered(s)]
    if s.solutions and s.tried:
        values = ", ".join(r"\{" + ", ".join(f"{k} = {v}" for k, v in sol.items()) + r"\}"
                           for sol in s.solutions[:SHOWN])
        rows.append(r"\text{solutions: } " + values)
        rows += [r"\text{each also needs: } " + latex(c) for c in s.conditions]
    lines.append(r" \\".join(f"  {row}" for row in rows) if rows else r"  \text{no solution}")
    lines.append(r"\end{align*}")
    return "\n".join(lines) + "\n"


SOLUTION_FORMATS = {"text": render_text, "json": render_json, "latex": render_latex}


def render(s: Solution, fmt: str = "text") -> str:
    """`Solution.render`: the answer in one of SOLUTION_FORMATS."""
    if fmt not in SOLUTION_FORMATS:
        raise ValueError(f"no format {fmt!r}: one of {', '.join(SOLUTION_FORMATS)}")
    return SOLUTION_FORMATS[fmt](s)


PRESENTATION.update(render=render, to_dict=to_dict)
