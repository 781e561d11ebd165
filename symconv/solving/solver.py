"""Solve for sizes — the kernel, stride, padding, width or input size that gives a
target shape, an exact parameter count or a parameter budget.

The closed form comes from invert.py (floors inverted exactly). Where the targets hold no size
but the unknowns, every integer in the unknowns' ranges is also tried exactly (the target and
every validity condition of every layer, in integers), so the listed solutions are complete for
those ranges; the closed form explains them and narrows the ranges. The answers:

* solutions, with the layers' conditions on sizes left symbolic that each also needs;
* a condition, where the targets themselves hold sizes left symbolic;
* no solution for any value, where a target folds to false (or its closed form does),
  whatever the sizes left symbolic are; no solution in the ranges, otherwise.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy
from sympy import Integer

from ..derivation.model import Derivation, presented
from ..errors import SymconvError, did_you_mean
from ..maths.integers import compile_form
from . import roots
from .groups import Group, grouped, unbounded
from .invert import closed_form
from .separable import joined
from .substitute import substitute
from .targets import Target, compared, measure, place, relations_of

# the kind of a size, from the argument it is used in; default ranges and the usual order
KINDS = {"kernel_size": "kernel", "pool_size": "kernel", "strides": "stride", "stride": "stride",
         "padding": "padding", "output_padding": "padding", "cropping": "cropping",
         "dilation_rate": "dilation", "dilation": "dilation", "input": "input size",
         "repeat": "depth"}
RANGES = {"kernel": (1, 64), "stride": (1, 16), "padding": (1, 32), "cropping": (1, 32),
          "dilation": (1, 16), "input size": (1, 1024),
          "depth": (0, 1024), "width": (1, 4096)}  # each from the size's least value
MAX_CANDIDATES = 100_000  # assignments tried; more is refused with a request for --range
MAX_LISTED = 1_000  # solutions listed; a budget's interval beyond this is summarised


# How a solution shows itself is symconv.render's, a stage above: render/solution.py fills
# this table when imported, and symconv.solve imports it (as for Derivation, model.py).
PRESENTATION: dict[str, Callable[..., Any]] = {}


@dataclass
class Solution:
    unknowns: tuple[str, ...]
    targets: tuple[Target, ...]
    ranges: dict[str, tuple[int, int]]
    kinds: dict[str, str]
    closed_form: dict[str, sympy.Basic] | None
    # on the sizes left symbolic: the targets' relations when the answer is a condition
    # (`tried` false), else the layers' conditions each listed solution also needs
    conditions: list[sympy.Basic]
    solutions: list[dict[str, int]] = field(default_factory=list)
    count: int = 0
    complete: bool = True
    extreme: dict[str, int] | None = None  # a budget's widest / smallest choice
    boundary: list[tuple[dict[str, int], str]] = field(default_factory=list)  # it and one beyond
    nearest: list[tuple[dict[str, int], str]] = field(default_factory=list)
    free: tuple[str, ...] = ()  # sizes left symbolic that the answer mentions
    impossible: bool = False  # no value of the unknowns meets the targets, whatever the free sizes
    independent: tuple[str, ...] = ()  # unknowns the targets do not depend on
    always: bool = False  # every value of the unknowns meets the targets (the layers decide)
    tried: bool = True  # the unknowns' ranges were searched (else the answer is a condition)
    past_range: bool = False  # the budget's largest value lies past the range tried
    # every solution found (not only those listed) as products of runs (groups.py), the first
    # MAX_LISTED of them; and how many there are
    groups: list[Group] = field(default_factory=list)
    group_count: int = 0
    # unknowns whose solutions are proved to go on for ever, from this least value: every
    # condition on them (target and layers) is a lower bound on them alone
    unbounded: dict[str, int] = field(default_factory=dict)
    # how each name a target gives is said: "layer 'conv2d'", "tensor 's2'", "block 'layer1'"
    places: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """The JSON form `symconv solve --format json` prints (README: solve)."""
        return presented("to_dict", PRESENTATION, "Solution")(self)  # type: ignore[no-any-return]

    def render(self, fmt: str = "text") -> str:
        """The answer as 'text', 'json' or 'latex', as `symconv solve --format` prints it."""
        return presented("render", PRESENTATION, "Solution")(self, fmt)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        """The answer in words (the fields hold every solution found: up to a thousand)."""
        if "render" not in PRESENTATION:
            return f"<Solution for {', '.join(self.unknowns)}: {self.count} found>"
        return self.render("text")

    @property
    def found(self) -> bool:
        """Whether there is an answer: solutions, or a condition on the sizes left symbolic."""
        if self.impossible:
            return False
        return bool(self.solutions) or not self.tried


def solve(d: Derivation, unknowns: Sequence[str], targets: Sequence[Target],
          values: Mapping[str, int] | None = None,
          ranges: Mapping[str, tuple[int, int]] | None = None) -> Solution:
    """Solve `d` (a symbolic derivation) for `unknowns` so that every target holds; `values`
    fixes other sizes (their declared defaults complete the rest)."""
    _check_names(d, unknowns, values or {}, ranges or {})
    if not targets:
        raise SymconvError("SC303", "nothing to solve for", None, d.source,
                           hint="give a target: --shape, --params, --max-params, --min-params "
                           "or --equal")
    fixed = {k: v for k, v in {**d.defaults, **(values or {})}.items()
             if k not in unknowns and k not in d.subs}
    known = substitute(d, fixed, use_defaults=False) if fixed else d
    kinds = {u: kind_of(d, u) for u in unknowns}
    spans = {u: (ranges or {}).get(u, (d.domain(u).least, RANGES[kinds[u]][1]))
             for u in unknowns}
    quantities = [q for t in targets for q in compared(known, t)]
    relations = [r for t in targets for r in relations_of(known, t)]
    valid = [r.condition for r in known.requires]
    closed = closed_form(relations, unknowns)
    for u in unknowns:
        if u not in (ranges or {}):
            spans[u] = _widened(spans[u], (closed or {}).get(u), d.symbol(u))
    result = Solution(tuple(unknowns), tuple(targets), dict(spans), kinds, closed, [])
    result.places = {name: place(d, name) for t in targets
                     for name in (t.layer, t.value if t.kind == "equal" else None) if name}
    result.independent = tuple(u for u in unknowns if u not in _names(quantities))
    result.impossible = (any(r is sympy.false for r in relations)
                         or any(c is sympy.false for c in (result.closed_form or {}).values()))
    result.always = all(r is sympy.true for r in relations)
    bound = [c for c in valid if _names([c]) <= set(unknowns)]
    if result.impossible:
        result.free = _others(quantities + valid, unknowns)
        result.tried = not _others(quantities, unknowns)  # else no distance to measure
        if result.tried:
            result.nearest = _nearest(result, bound, targets, known)
    elif _others(relations, unknowns):  # the targets need sizes left symbolic: a condition
        result.free = _others(relations + valid, unknowns)
        result.conditions = [r for r in relations if r is not sympy.true]
        result.complete, result.tried = False, False
    else:  # the sizes left symbolic, if any, only in the layers' own conditions
        result.conditions = [c for c in valid if not _names([c]) <= set(unknowns)]
        result.free = _others(result.conditions, unknowns)
        _enumerate(result, relations, bound, targets, known)
    return result


def _names(exprs: Sequence[sympy.Basic]) -> set[str]:
    return {str(s) for e in exprs for s in e.free_symbols}


def _others(exprs: Sequence[sympy.Basic], unknowns: Sequence[str]) -> tuple[str, ...]:
    """The sizes other than the unknowns that `exprs` hold, sorted."""
    return tuple(sorted(_names(exprs) - set(unknowns)))


# -- the request ---------------------------------------------------------------------------
def _check_names(d: Derivation, unknowns: Sequence[str], values: Mapping[str, int],
                 ranges: Mapping[str, tuple[int, int]]) -> None:
    if not unknowns:
        raise SymconvError("SC303", "no unknown to solve for", None, d.source,
                           hint="name one with --for, e.g. --for K")
    for name in [*unknowns, *ranges]:
        if name not in d.sizes:
            raise SymconvError("SC302", f"'{name}' is not a declared size", None, d.source,
                               hint=did_you_mean(name, d.sizes)
                               or f"declared sizes: {', '.join(d.sizes) or 'none'}")
    repeated = sorted({u for u in unknowns if list(unknowns).count(u) > 1})
    if repeated:
        raise SymconvError("SC303", f"'{repeated[0]}' is named more than once as an unknown",
                           None, d.source, hint=f"give --for {repeated[0]} once")
    for name in unknowns:
        if name in values:
            raise SymconvError("SC303", f"'{name}' is both an unknown and given a value",
                               None, d.source, hint="drop it from --subs or from --for")
    for name, (low, high) in ranges.items():
        if name not in unknowns:
            raise SymconvError("SC303", f"--range names '{name}', which is not an unknown",
                               None, d.source, hint=f"add --for {name}")
        least = d.domain(name).least
        if not least <= low <= high:
            raise SymconvError("SC303", f"the range of '{name}' must run from {least} or more "
                               f"upwards, not {low}..{high}", None, d.source,
                               hint=d.domain(name).reason(name) if low < least else None)


def kind_of(d: Derivation, name: str) -> str:
    """What a size is, from the arguments it is used in: kernel, stride, …, input size or width."""
    for use in d.uses.get(name, ()):
        if use in KINDS:
            return KINDS[use]
    return "width"


# -- enumeration ---------------------------------------------------------------------------
Check = Callable[[Sequence[int]], object]


def _checks(conditions: Sequence[sympy.Basic], syms: Sequence[sympy.Symbol]) -> list[Check]:
    """Each condition as a fast exact test of integer values (symconv.maths.integers), or through
    sympy where a form has no integer evaluation."""
    out: list[Check] = []
    for condition in conditions:
        try:
            out.append(compile_form(condition, syms))
        except ValueError:
            out.append(lambda v, c=condition: c.xreplace(
                dict(zip(syms, (Integer(x) for x in v)))) is sympy.true)
    return out


def _usual_order(kind: str, value: int) -> tuple[int, int]:
    """The most usual choices first: odd kernels before even ones, then the smallest."""
    if kind == "kernel":
        return (value % 2 == 0, value)
    return (0, value)


def _enumerate(result: Solution, relations: list[sympy.Basic], valid: list[sympy.Basic],
               targets: Sequence[Target], known: Derivation) -> None:
    names = result.unknowns
    syms = [known.symbol(u) for u in names]
    conditions = [r for r in relations + valid if r is not sympy.true]
    domains = []
    spans = _spans(result, relations, syms)
    for name, sym in zip(names, syms):
        low, high = spans[name]
        if high - low + 1 > MAX_CANDIDATES:
            raise _too_many(high - low + 1, name, known)
        unary = _checks([c for c in conditions if c.free_symbols == {sym}], [sym])
        values = [x for x in range(low, high + 1) if all(f((x,)) for f in unary)]
        domains.append(sorted(values, key=lambda x, k=result.kinds[name]: _usual_order(k, x)))
    joint = [c for c in conditions if len(c.free_symbols) != 1 or c is sympy.false]
    combos = joined(joint, syms, domains, MAX_CANDIDATES)
    total = len(combos) if combos is not None else math.prod(len(v) for v in domains)
    if total > MAX_CANDIDATES:
        raise _too_many(total, names[0], known)
    tests = _checks(joint, syms)
    for combo in combos if combos is not None else itertools.product(*domains):
        if all(f(combo) for f in tests):
            result.solutions.append(dict(zip(names, combo)))
    result.count = len(result.solutions)
    result.complete = result.count <= MAX_LISTED  # every solution is listed
    groups = grouped(result.solutions, names)
    result.groups, result.group_count = groups[:MAX_LISTED], len(groups)
    result.unbounded = unbounded(dict(zip(names, syms)), result.closed_form, relations, valid,
                                 result.conditions)
    _budget_extreme(result, targets, known, valid)
    if len(result.solutions) > MAX_LISTED:
        result.solutions = result.solutions[:MAX_LISTED]
    if not result.solutions:
        result.nearest = _nearest(result, valid, targets, known)


def _spans(result: Solution, relations: Sequence[sympy.Basic],
           syms: Sequence[sympy.Symbol]) -> dict[str, tuple[int, int]]:
    """Each unknown's range, cut by its exact closed form and by the counts that grow with
    every unknown (roots.upper_bounds), so that the search tries only where a target can hold."""
    closed = result.closed_form or {}
    spans = {n: _narrowed(result.ranges[n], closed.get(n), x)
             for n, x in zip(result.unknowns, syms)}
    lows = {x: spans[n][0] for n, x in zip(result.unknowns, syms)}
    for relation in relations:
        for x, high in roots.upper_bounds(relation, lows).items():
            low, before = spans[str(x)]
            spans[str(x)] = (low, max(min(before, high), low - 1))
    return spans


def _narrowed(span: tuple[int, int], condition: sympy.Basic | None,
              u: sympy.Symbol) -> tuple[int, int]:
    """The range cut to the numeric bounds an exact closed form puts on u (u = 3, u ≤ 612,
    2 ≤ u), so a monotone count is searched only where it can meet its target."""
    low, high = span
    for bound in sympy.And.make_args(condition) if condition is not None else ():
        if not isinstance(bound, (sympy.Eq, sympy.Le, sympy.Lt, sympy.Ge, sympy.Gt)):
            return span  # an Or, a floor, …: no interval read from it
        if bound.lhs == u and bound.rhs.is_Rational:
            number, relation = bound.rhs, type(bound)
        elif bound.rhs == u and bound.lhs.is_Rational:
            number, relation = bound.lhs, _MIRRORED[type(bound)]
        else:
            continue
        strict = relation in (sympy.Lt, sympy.Gt) and number.is_Integer
        if relation in (sympy.Eq, sympy.Le, sympy.Lt):
            high = min(high, int(math.floor(number)) - strict)
        if relation in (sympy.Eq, sympy.Ge, sympy.Gt):
            low = max(low, int(math.ceil(number)) + strict)
    return low, max(high, low - 1)


def _widened(span: tuple[int, int], condition: sympy.Basic | None,
             u: sympy.Symbol) -> tuple[int, int]:
    """A default range raised to the upper bound an exact closed form proves (GPT-2 under a
    budget of 10¹² parameters: n ≤ 141,081, past the usual depths' 1,024), so that the largest
    answer is not the range's end; at most MAX_CANDIDATES values."""
    low, high = span
    _, proved = _narrowed((low, low + MAX_CANDIDATES - 1), condition, u)
    return (low, proved) if high < proved < low + MAX_CANDIDATES - 1 else span


_MIRRORED = {sympy.Eq: sympy.Eq, sympy.Le: sympy.Ge, sympy.Lt: sympy.Gt, sympy.Ge: sympy.Le,
             sympy.Gt: sympy.Lt}


def _too_many(count: int, name: str, known: Derivation) -> SymconvError:
    return SymconvError("SC304", f"{count:,} values to try, more than {MAX_CANDIDATES:,}",
                        None, known.source,
                        hint=f"narrow the unknowns with --range, e.g. --range {name}=1..64")


def _budget_extreme(result: Solution, targets: Sequence[Target], known: Derivation,
                    valid: Sequence[sympy.Basic]) -> None:
    """A budget's answer: the largest (≤ budget) or smallest (≥ floor) value of the one
    unknown, with what it and the next value beyond give."""
    kinds = {t.kind for t in targets}
    if not result.solutions or len(result.unknowns) != 1 or not kinds & {"max-params",
                                                                         "min-params"}:
        return
    if result.independent:  # every value gives the same: no widest or smallest to speak of
        return
    name = result.unknowns[0]
    values = [s[name] for s in result.solutions]
    best = max(values) if "max-params" in kinds else min(values)
    if "max-params" in kinds:
        past = _past_range(result, name, best, known, valid)
        if past is not None:
            best, result.past_range = past, True
    result.extreme = {name: best}
    beyond = best + 1 if "max-params" in kinds else best - 1
    _check_unrolled(known, targets, {name: best}, {name: beyond})
    measures = [measure(t, known, [known.symbol(name)]) for t in targets]
    for value in (best, beyond):
        if value >= known.domain(name).least:
            text = ", ".join(describe((value,)) for describe, _ in measures)
            result.boundary.append(({name: value}, text))


UNROLL_CHECKED = 64  # the largest repeat count an answer is checked at by unrolling


def _past_range(result: Solution, name: str, best: int, known: Derivation,
                valid: Sequence[sympy.Basic]) -> int | None:
    """The largest value under a budget when it lies past the range tried: the closed form's
    exact upper bound (GPT-2 under 10¹⁵ parameters: n ≤ 141,081,…), or below it the first
    value every layer's condition allows; None when the range tried holds the largest."""
    if best < result.ranges[name][1]:
        return None
    sym = known.symbol(name)
    _, top = _narrowed((best, 10 ** 30), (result.closed_form or {}).get(name), sym)
    if top <= best or top >= 10 ** 30:
        return None
    tests = _checks(valid, [sym])
    for value in range(top, max(best, top - MAX_CANDIDATES), -1):
        if all(f((value,)) for f in tests):
            return value
    return None


def _check_unrolled(known: Derivation, targets: Sequence[Target], best: dict[str, int],
                    beyond: dict[str, int]) -> None:
    """A repeat count solved from its closed form, checked on the network unrolled at the
    answer (which meets the targets) and one beyond it (which does not, or is invalid)."""
    counts = {str(x) for r in known.repeats for x in r.count.free_symbols}
    if not counts & set(best):
        return
    for values, meets in ((best, True), (beyond, False)):
        if any(v < known.domain(k).least or v > UNROLL_CHECKED for k, v in values.items()):
            continue  # a deeper network unrolled costs seconds (tests/test_repeat.py: 0..12)
        try:
            unrolled = substitute(known, values, use_defaults=False)
        except SymconvError:
            assert not meets, f"the unrolled network at {values} is invalid"
            continue
        held = all(r is sympy.true for t in targets for r in relations_of(unrolled, t))
        assert held == meets, f"the closed form and the unrolled network disagree at {values}"


def _nearest(result: Solution, valid: list[sympy.Basic], targets: Sequence[Target],
             known: Derivation) -> list[tuple[dict[str, int], str]]:
    """Valid assignments whose outcome comes closest to the targets (for the no-solution
    path), at most three, nearest first."""
    names = result.unknowns
    syms = [known.symbol(u) for u in names]
    if _others([q for t in targets for q in compared(known, t)], names):
        return []  # the targets' quantities hold sizes left symbolic: no distance to measure
    full = [range(result.ranges[n][0], result.ranges[n][1] + 1) for n in names]
    tests = _checks(valid, syms)
    measures = [measure(t, known, syms) for t in targets]
    scored = []
    for combo in itertools.islice(itertools.product(*full), MAX_CANDIDATES):
        if all(f(combo) for f in tests):
            scored.append((sum(gap(combo) for _, gap in measures), combo))
    nearest = heapq.nsmallest(3, scored)  # described only these (a count has 60 digits)
    return [(dict(zip(names, combo)), ", ".join(describe(combo) for describe, _ in measures))
            for _, combo in nearest]


