"""`symconv solve` output: plain text and JSON (the documented schema); LaTeX in
solution_latex.py, what both say in answer.py."""

from __future__ import annotations

import json

import sympy

from ..escapes import json_visible, visible_lines
from ..maths.printing import pretty, show
from ..solving.groups import Group, Run
from ..solving.solver import PRESENTATION, Solution
from .answer import (SHOWN, approximately, budget_max, closed, endless, every, forever, settled,
                     step, uncovered, whole_text)
from .solution_latex import render_latex

ORDER = {"kernel": "odd sizes first", "stride": "smallest first", "padding": "smallest first",
         "cropping": "smallest first", "dilation": "smallest first",
         "input size": "smallest first", "width": "smallest first", "depth": "smallest first"}


def _assignment(values: dict[str, int]) -> str:
    return ", ".join(f"{k} = {v:,}" for k, v in values.items())


def _condition(condition: sympy.Basic) -> str:
    """`a ≤ K ≤ b` for an interval, `K ≥ 3` for a bound below (sympy holds `3 ≤ K`), else
    the condition as it is."""
    if isinstance(condition, (sympy.Le, sympy.Lt)) and condition.rhs.is_Symbol \
            and condition.lhs.is_number:
        return f"{condition.rhs} {'≥' if isinstance(condition, sympy.Le) else '>'} " \
            f"{pretty(condition.lhs)}"
    if isinstance(condition, sympy.And) and len(condition.args) == 2:
        lows = [r for r in condition.args if isinstance(r, (sympy.Le, sympy.Lt))]
        if len(lows) == 2:
            first, second = sorted(lows, key=lambda r: r.rhs.is_Symbol is False)
            if first.rhs == second.lhs and first.rhs.is_Symbol:
                op1 = "≤" if isinstance(first, sympy.Le) else "<"
                op2 = "≤" if isinstance(second, sympy.Le) else "<"
                return f"{pretty(first.lhs)} {op1} {first.rhs} {op2} {pretty(second.rhs)}"
    return pretty(condition)


def _closed_text(condition: sympy.Basic) -> str:
    """A closed form as written, then its decimals and the whole numbers it holds."""
    text = _condition(condition)
    approx, plain = approximately(condition), whole_text(condition)
    return text + (f" {approx}" if approx else "") + (f", so {plain}" if plain else "")


def _run(run: Run) -> str:
    return f"{run[0]:,}" if run[0] == run[1] else f"{run[0]:,}..{run[1]:,}"


def _part(s: Solution, name: str, runs: tuple[Run, ...]) -> str:
    """One unknown's values in a group: `K = 16`, `K in 1..4 or 7..9`, `every H ≥ 6` (proved),
    or `every H in 6..1024 (the whole range tried from 6)`: a range's end is no bound."""
    low, high = s.ranges[name]
    (first, last) = runs[0]
    if len(runs) == 1 and first == last:
        return f"{name} = {first:,}"
    if forever(s, name, runs):
        return f"every {name} ≥ {first:,}"
    if len(runs) == 1 and last == high:
        where = "" if first == low else f" from {first:,}"
        return f"every {name} in {_run(runs[0])} (the whole range tried{where})"
    spacing = step(runs)
    if spacing:
        return f"{name} in {first:,}..{runs[-1][0]:,} in steps of {spacing:,}"
    texts = [_run(r) for r in runs]
    return f"{name} in " + (f"{', '.join(texts[:-1])} or " if len(texts) > 1 else "") + texts[-1]


def _group(s: Solution, group: Group) -> str:
    return ", ".join(_part(s, name, runs) for name, runs in group.items())


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
    lines += [f"target: {t.describe(s.places)}" for t in s.targets]
    if not (s.solutions and endless(s)):  # else the solutions' line says it
        lines += [f"the target does not depend on {name}" for name in s.independent]
    if s.impossible:
        lines.append(_nowhere(s))
    else:
        lines += [f"closed form: {_closed_text(c)}" for c in closed(s).values()]
        lines += [f"the target holds for every {name}" for name in every(s)]
    if not s.tried and not s.impossible:
        return "\n".join(_symbolic(s, lines)) + "\n"
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


def _nowhere(s: Solution) -> str:
    """No value of the unknowns meets the targets, whatever the sizes left symbolic are."""
    line = f"no solution for any {' and '.join(s.unknowns)}"
    if s.free:
        line += f", whatever {' and '.join(s.free)} {'is' if len(s.free) == 1 else 'are'}"
    return line


def _symbolic(s: Solution, lines: list[str]) -> list[str]:
    """The answer as a condition on the sizes left symbolic: the conditions first (the closed
    form's lines, already in `lines`, and the targets' relations it does not cover), then the
    sentence that points back at them."""
    relations = uncovered(s)
    lines = lines + [f"condition: {pretty(c)}" + (f", so {value}" if value else "")
                     for c in relations for value in [settled(c)]]
    said = bool(closed(s) or relations)
    own = " (with every layer's own conditions)" if s.closed_form else ""
    answer = (f"the answer is the condition above{own}" if said
              else "every value of the unknowns meets the targets")
    return lines + [f"sizes left symbolic: {', '.join(s.free)}; {answer}"]


def _listed(s: Solution) -> list[str]:
    lines = []
    plural = "s" if s.count != 1 else ""
    if s.extreme:
        past = (" (from the closed form: past the range tried, whose "
                f"{s.count:,} values all meet the target)" if s.past_range else "")
        lines.append(f"{'largest' if budget_max(s) else 'smallest'}: "
                     f"{_assignment(s.extreme)}{past}")
        lines += [f"  {_assignment(v)} gives {outcome}" for v, outcome in s.boundary]
    if endless(s):  # a count of the range tried would mislead: the set has no end
        free = f": the target does not constrain {' or '.join(s.independent)}" \
            if s.independent else ""
        return lines + [_group(s, s.groups[0]) + free]
    head = f"{s.count:,} solution{plural}"
    if s.group_count == 1:
        several = sum(runs[0][0] != runs[-1][1] for runs in s.groups[0].values()) > 1
        return lines + [f"{head}: {_group(s, s.groups[0])}"
                        + (" (every combination)" if several else "")]
    more = (f" in {s.group_count:,} groups (showing {SHOWN})"
            if s.group_count > SHOWN else "")
    lines.append(f"{head}{more}:")
    return lines + [f"  {_group(s, g)}" for g in s.groups[:SHOWN]]


def to_dict(s: Solution) -> dict[str, object]:
    exact = ({k: show(v) for k, v in closed(s).items()}
             if s.closed_form is not None else None)
    return {
        "unknowns": list(s.unknowns),
        "kinds": dict(s.kinds),
        "ranges": {k: list(v) for k, v in s.ranges.items()},
        "targets": [t.describe(s.places) for t in s.targets],
        "closed_form": exact,
        # the same as the text form writes them, beside sympy's syntax that parse_expr reads
        "closed_form_text": ({k: _condition(v) for k, v in closed(s).items()}
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
        "every_value": every(s),
        # added by issue 18: the whole numbers in a closed form, decimals for its surds, and
        # every solution found as products of runs ({"K": [[3, 4]], "S": [[2, 2]]})
        "closed_form_whole": {k: w for k, v in closed(s).items()
                              if (w := whole_text(v)) is not None},
        "closed_form_approx": {k: a for k, a in ((k, approximately(v))
                                                 for k, v in closed(s).items()) if a},
        "groups": [{k: [list(r) for r in runs] for k, runs in g.items()} for g in s.groups],
        "group_count": s.group_count,
        "unbounded": dict(s.unbounded),
    }


def render_json(s: Solution) -> str:
    return json_visible(json.dumps(to_dict(s), indent=2, ensure_ascii=False) + "\n")


SOLUTION_FORMATS = {"text": render_text, "json": render_json, "latex": render_latex}


def render(s: Solution, fmt: str = "text") -> str:
    """`Solution.render`: the answer in one of SOLUTION_FORMATS."""
    if fmt not in SOLUTION_FORMATS:
        raise ValueError(f"no format {fmt!r}: one of {', '.join(SOLUTION_FORMATS)}")
    return SOLUTION_FORMATS[fmt](s)


PRESENTATION.update(render=render, to_dict=to_dict)
