"""`symconv solve --format latex`: an align* block, one labelled line per closed form, group of
solutions and condition."""

from __future__ import annotations

import sympy

from ..maths import symbols
from ..maths.printing_latex import latex
from ..solving.groups import Run, interval
from ..solving.solver import Solution
from .answer import (SHOWN, approximately, budget_max, closed, endless, every, forever, step,
                     uncovered, whole_numbers)


def render_latex(s: Solution) -> str:
    """An align* block, one line per closed form, solution group and condition (a long list
    on one line ran past the page), each labelled, the answer of a budget among them."""
    rows = _latex_rows(s) or [("", r"\text{no solution}")]
    lines = [(rf"\text{{{label}}} " if label else "") + f"& {body}" for label, body in rows]
    return "\\begin{align*}\n" + " \\\\\n".join(f"  {line}" for line in lines) \
        + "\n\\end{align*}\n"


def _labelled(label: str, bodies: list[str]) -> list[tuple[str, str]]:
    """The label on the first of the lines only."""
    return [(label if i == 0 else "", body) for i, body in enumerate(bodies)]


def _latex_rows(s: Solution) -> list[tuple[str, str]]:
    if s.impossible:
        return [("", r"\text{no solution}")]
    rows = _labelled("closed form:", [_latex_closed(c) for c in closed(s).values()])
    rows += [("", rf"\text{{every }} {_tex(u)}") for u in every(s)]
    if not s.tried:
        return rows + _labelled("condition:", [latex(c) for c in uncovered(s)])
    if not s.solutions:
        return rows + [("", r"\text{no solution in these ranges}")]
    if s.extreme:
        (name, value), = s.extreme.items()
        rows.append((f"{'largest' if budget_max(s) else 'smallest'}:",
                     f"{_tex(name)} = {latex(sympy.Integer(value))}"))
    groups = [r",\quad ".join(_latex_part(s, n, r) for n, r in g.items())
              for g in s.groups[:SHOWN]]
    if endless(s) and s.independent:
        groups[0] += (r" \quad \text{(the target does not constrain }"
                      + ", ".join(_tex(u) for u in s.independent) + r"\text{)}")
    if s.group_count > SHOWN:
        groups.append(rf"\text{{and {s.group_count - SHOWN:,} more groups}}")
    label = "solution:" if s.count == 1 else "solutions:"
    return rows + _labelled(label, groups) + _labelled(
        "each also needs:", [latex(c) for c in s.conditions])


def _tex(name: str) -> str:
    """A size's name as the printer writes it (\\mathit for a name of several letters)."""
    return latex(symbols.size(name))


def _latex_closed(condition: sympy.Basic) -> str:
    """A closed form as a chain (``3 \\leq K \\leq 4``), its decimals and its whole numbers."""
    found = interval(condition)
    if found is None:
        return latex(condition)
    u, low, high = found
    text = _tex(str(u))
    if low is not None:
        text = f"{latex(low[0])} {_LT[low[1]]} {text}"
    if high is not None:
        text = f"{text} {_LT[high[1]]} {latex(high[0])}"
    approx, plain = approximately(condition), _latex_whole(condition)
    if approx:
        text += r" \quad \text{(" + approx + ")}"
    if plain:
        text += r", \quad \text{so } " + plain
    return text


_LT = {True: "<", False: r"\leq"}  # by whether the bound is strict


def _latex_whole(condition: sympy.Basic) -> str | None:
    """whole_text in LaTeX: `S = 2`, `\\mathit{classes} \\leq 612`."""
    found = whole_numbers(condition)
    if found is None:
        return None
    name, first, last = found
    u = _tex(name)
    if first is not None and last is not None:
        if first > last:
            return rf"\text{{no whole }} {u}"
        if first == last:
            return f"{u} = {latex(sympy.Integer(first))}"
        return rf"{latex(sympy.Integer(first))} \leq {u} \leq {latex(sympy.Integer(last))}"
    if first is not None:
        return rf"{u} \geq {latex(sympy.Integer(first))}"
    return rf"{u} \leq {latex(sympy.Integer(last))}"


def _latex_part(s: Solution, name: str, runs: tuple[Run, ...]) -> str:
    """As _part: `K = 16`, `3 \\leq K \\leq 4`, `H \\geq 6`, or a union of runs."""
    low, high = s.ranges[name]
    u, (first, last) = _tex(name), runs[0]
    if len(runs) == 1 and first == last:
        return f"{u} = {latex(sympy.Integer(first))}"
    if forever(s, name, runs):
        return rf"{u} \geq {latex(sympy.Integer(first))}"
    if len(runs) == 1:
        where = "" if first == low else f" from {first:,}"
        tail = rf"\ \text{{(the whole range tried{where})}}" if last == high else ""
        return (rf"{latex(sympy.Integer(first))} \leq {u} \leq "
                rf"{latex(sympy.Integer(last))}{tail}")
    spacing = step(runs)
    if spacing:
        a, b, z = (latex(sympy.Integer(x)) for x in (first, first + spacing, runs[-1][0]))
        return rf"{u} \in \{{{a}, {b}, \ldots, {z}\}}"
    sets = [r"\{" + (latex(sympy.Integer(a)) if a == b else rf"{latex(sympy.Integer(a))}, "
                     + (r"\ldots, " if b > a + 1 else "") + latex(sympy.Integer(b))) + r"\}"
            for a, b in runs]
    return rf"{u} \in " + r" \cup ".join(sets)
