"""Stage 4b: solve for sizes — the kernel, stride, padding, width or input size that gives a
target shape, an exact parameter count or a parameter budget.

The closed form comes from invert.py (floors inverted exactly). Where the other sizes are
numbers, every integer in the unknowns' ranges is also tried exactly (the target and every
validity condition of every layer, in integers), so the listed solutions are complete for those
ranges; the closed form explains them.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import sympy
from sympy import Expr, Integer

from . import extent
from .errors import SymconvError, did_you_mean
from .integers import compile_form
from .invert import closed_form
from .model import Derivation
from .substitute import substitute

# the kind of a size, from the argument it is used in; default ranges and the usual order
KINDS = {"kernel_size": "kernel", "pool_size": "kernel", "strides": "stride", "stride": "stride",
         "padding": "padding", "output_padding": "padding", "cropping": "cropping",
         "dilation_rate": "dilation", "dilation": "dilation", "input": "input size"}
RANGES = {"kernel": (1, 64), "stride": (1, 16), "padding": (1, 32), "cropping": (1, 32),
          "dilation": (1, 16), "input size": (1, 1024),
          "width": (1, 4096)}  # each from the size's least value
MAX_CANDIDATES = 100_000  # assignments tried; more is refused with a request for --range
MAX_LISTED = 1_000  # solutions listed; a budget's interval beyond this is summarised


@dataclass(frozen=True)
class Target:
    """One thing the solution must give. kind: 'shape' (value: a tuple, None for a free
    axis), 'params' (value: an int), 'max-params', 'min-params', or 'equal' (value: the
    other layer's name)."""

    kind: str
    value: object
    layer: str | None = None  # None: the network's output / total

    def describe(self) -> str:
        where = f"layer '{self.layer}'" if self.layer else "the network"
        if self.kind == "shape":
            axes = ", ".join("_" if v is None else str(v) for v in self.value)  # type: ignore
            return f"{where} output shape ({axes}{',' if len(self.value) == 1 else ''})"  # type: ignore
        if self.kind == "equal":
            return f"{where} output shape = layer '{self.value}' output shape"
        words = {"params": "=", "max-params": "≤", "min-params": "≥"}[self.kind]
        return f"{where} parameters {words} {self.value:,}"  # type: ignore[str-format]


@dataclass
class Solution:
    unknowns: tuple[str, ...]
    targets: tuple[Target, ...]
    ranges: dict[str, tuple[int, int]]
    kinds: dict[str, str]
    closed_form: dict[str, sympy.Basic] | None
    conditions: list[sympy.Basic]  # on sizes left symbolic (no enumeration then)
    solutions: list[dict[str, int]] = field(default_factory=list)
    count: int = 0
    complete: bool = True
    extreme: dict[str, int] | None = None  # a budget's widest / smallest choice
    boundary: list[tuple[dict[str, int], str]] = field(default_factory=list)  # it and one beyond
    nearest: list[tuple[dict[str, int], str]] = field(default_factory=list)
    free: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.solutions) or (bool(self.free) and self.closed_form is not None
                                        and self.closed_form != {})


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
    relations = [r for t in targets for r in _relations(known, t)]
    valid = [r.condition for r in known.requires]
    free = sorted({str(s) for r in relations + valid for s in r.free_symbols} - set(unknowns))
    result = Solution(tuple(unknowns), tuple(targets), dict(spans), kinds,
                      closed_form(relations, unknowns), [], free=tuple(free))
    if free:  # sizes left symbolic: the answer is a condition on them
        result.conditions = [r for r in relations if r is not sympy.true]
        result.complete = False
        return result
    _enumerate(result, relations, valid, targets, known)
    return result


# -- building the relations ----------------------------------------------------------------
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


def _shape_of(d: Derivation, layer: str | None) -> tuple[Expr, ...]:
    if layer is None:
        return d.output_shape
    for block in d.blocks:
        if block.name == layer:
            return block.output_shape
    try:
        return d.layer(layer).output_shape
    except KeyError:
        names = [r.name for r in d.layers] + [b.name for b in d.blocks]
        raise SymconvError("SC303", f"no layer named '{layer}'", None, d.source,
                           hint=did_you_mean(layer, names) or "`symconv derive` lists the "
                           "layer names") from None


def _params_of(d: Derivation, layer: str | None) -> Expr:
    if layer is None:
        return d.params
    for block in d.blocks:
        if block.name == layer:
            return d.subtotal(block)
    _shape_of(d, layer)  # the error for an unknown name
    return d.layer(layer).params


def _relations(d: Derivation, target: Target) -> list[sympy.Basic]:
    if target.kind == "shape":
        shape = _shape_of(d, target.layer)
        wanted = target.value
        assert isinstance(wanted, tuple)
        if len(wanted) != len(shape):
            raise SymconvError("SC303", f"the target shape has {len(wanted)} axes but the "
                               f"output has {len(shape)} (batch axis left out)", None, d.source,
                               hint="write one value or _ per axis, e.g. --shape '(13, 13, _)'")
        return [sympy.Eq(e, v) for e, v in zip(shape, wanted) if v is not None]
    if target.kind == "equal":
        a, b = _shape_of(d, target.layer), _shape_of(d, str(target.value))
        if len(a) != len(b):
            raise SymconvError("SC303", f"the two shapes have different ranks ({len(a)} and "
                               f"{len(b)})", None, d.source)
        return [extent.equal(x, y) for x, y in zip(a, b)]
    count = _params_of(d, target.layer)
    relation = {"params": sympy.Eq, "max-params": sympy.Le, "min-params": sympy.Ge}[target.kind]
    return [relation(count, Integer(target.value))]  # type: ignore[arg-type]


# -- enumeration ---------------------------------------------------------------------------
Check = Callable[[Sequence[int]], object]


def _checks(conditions: Sequence[sympy.Basic], syms: Sequence[sympy.Symbol]) -> list[Check]:
    """Each condition as a fast exact test of integer values (symconv.integers), or through
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
    if any(c is sympy.false for c in conditions):
        conditions = [sympy.false]
    domains = []
    for name, sym in zip(names, syms):
        low, high = result.ranges[name]
        if high - low + 1 > MAX_CANDIDATES:
            raise _too_many(high - low + 1, name, known)
        unary = _checks([c for c in conditions if c.free_symbols == {sym}], [sym])
        values = [x for x in range(low, high + 1) if all(f((x,)) for f in unary)]
        domains.append(sorted(values, key=lambda x, k=result.kinds[name]: _usual_order(k, x)))
    joint = [c for c in conditions if len(c.free_symbols) != 1 or c is sympy.false]
    combos = _joined(joint, syms, domains)
    total = len(combos) if combos is not None else math.prod(len(v) for v in domains)
    if total > MAX_CANDIDATES:
        raise _too_many(total, names[0], known)
    tests = _checks(joint, syms)
    for combo in combos if combos is not None else itertools.product(*domains):
        if all(f(combo) for f in tests):
            result.solutions.append(dict(zip(names, combo)))
    result.count = len(result.solutions)
    result.complete = result.count <= MAX_LISTED  # every solution is listed
    _budget_extreme(result, targets, known)
    if len(result.solutions) > MAX_LISTED:
        result.solutions = result.solutions[:MAX_LISTED]
    if not result.solutions:
        result.nearest = _nearest(result, valid, targets, known)


def _joined(joint: Sequence[sympy.Basic], syms: Sequence[sympy.Symbol],
            domains: Sequence[Sequence[int]]) -> list[tuple[int, ...]] | None:
    """The candidates of an equation ``c·f₁(x₁)·…·fₙ(xₙ) = N`` whose factors each depend on
    one unknown (Flatten's C·⌊…H…⌋·⌊…W…⌋ = 1,600), found by tabulating each factor over its
    domain and joining on the product, in the domains' order; None when no joint condition
    has that form. Other conditions are checked afterwards."""
    for condition in joint:
        split = _separable(condition, syms)
        if split is None:
            continue
        constant, factors, total = split
        tables = []
        for sym, values in zip(syms, domains):
            fn = compile_form(factors.get(sym, Integer(1)), [sym])
            tables.append([(x, fn((x,))) for x in values])
        out: list[tuple[int, ...]] = []
        _join(tables, 0, Fraction(total) / constant, (), out)
        return out
    return None


def _join(tables: list[list[tuple[int, object]]], i: int, need: Fraction,
          prefix: tuple[int, ...], out: list[tuple[int, ...]]) -> None:
    if i == len(tables):
        if need == 1:
            out.append(prefix)
        return
    for x, value in tables[i]:
        if value != 0 and (i < len(tables) - 1 or value == need):
            _join(tables, i + 1, need / Fraction(value), prefix + (x,), out)  # type: ignore[arg-type]
        if len(out) > MAX_CANDIDATES:
            return


def _separable(condition: sympy.Basic, syms: Sequence[sympy.Symbol]):  # type: ignore[no-untyped-def]
    """(c, {x: f(x)}, N) for ``c·∏f(x) = N`` with N ≠ 0 a number, else None."""
    if not isinstance(condition, sympy.Eq):
        return None
    lhs, rhs = condition.lhs, condition.rhs
    if lhs.is_number:
        lhs, rhs = rhs, lhs
    if not rhs.is_Integer or rhs == 0:
        return None
    constant, factors = Integer(1), {}
    for factor in sympy.Mul.make_args(lhs):
        used = [x for x in syms if x in factor.free_symbols]
        if not used:
            if not factor.is_number:
                return None
            constant *= factor
        elif len(used) == 1:
            factors[used[0]] = factors.get(used[0], Integer(1)) * factor
        else:
            return None
    if len(factors) < 2 or not constant.is_Rational:
        return None
    return Fraction(int(constant.p), int(constant.q)), factors, int(rhs)


def _too_many(count: int, name: str, known: Derivation) -> SymconvError:
    return SymconvError("SC304", f"{count:,} values to try, more than {MAX_CANDIDATES:,}",
                        None, known.source,
                        hint=f"narrow the unknowns with --range, e.g. --range {name}=1..64")


def _budget_extreme(result: Solution, targets: Sequence[Target], known: Derivation) -> None:
    """A budget's answer: the largest (≤ budget) or smallest (≥ floor) value of the one
    unknown, with what it and the next value beyond give."""
    kinds = {t.kind for t in targets}
    if not result.solutions or len(result.unknowns) != 1 or not kinds & {"max-params",
                                                                         "min-params"}:
        return
    name = result.unknowns[0]
    values = [s[name] for s in result.solutions]
    best = max(values) if "max-params" in kinds else min(values)
    result.extreme = {name: best}
    beyond = best + 1 if "max-params" in kinds else best - 1
    measures = [_measure(t, known, [known.symbol(name)]) for t in targets]
    for value in (best, beyond):
        if value >= known.domain(name).least:
            text = ", ".join(describe((value,)) for describe, _ in measures)
            result.boundary.append(({name: value}, text))


def _nearest(result: Solution, valid: list[sympy.Basic], targets: Sequence[Target],
             known: Derivation) -> list[tuple[dict[str, int], str]]:
    """Valid assignments whose outcome comes closest to the targets (for the no-solution
    path), at most three, nearest first."""
    names = result.unknowns
    syms = [known.symbol(u) for u in names]
    full = [range(result.ranges[n][0], result.ranges[n][1] + 1) for n in names]
    tests = _checks(valid, syms)
    measures = [(t, _measure(t, known, syms)) for t in targets]
    scored = []
    for combo in itertools.islice(itertools.product(*full), MAX_CANDIDATES):
        if not all(f(combo) for f in tests):
            continue
        outcome, distance = [], 0
        for target, (describe, gap) in measures:
            outcome.append(describe(combo))
            distance += gap(combo)
        scored.append((distance, combo, ", ".join(outcome)))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [(dict(zip(names, combo)), text) for _, combo, text in scored[:3]]


def _measure(target: Target, known: Derivation, syms: Sequence[sympy.Symbol]):  # type: ignore[no-untyped-def]
    """(what the target's quantity is at a point, as text; how far it is from the target)."""
    if target.kind in ("shape", "equal"):
        forms = [compile_form(e, syms) for e in _shape_of(known, target.layer)]
        wanted = target.value if target.kind == "shape" else (None,) * len(forms)

        def describe(v: Sequence[int]) -> str:
            return "(" + ", ".join(str(f(v)) for f in forms) + ")"

        def gap(v: Sequence[int]) -> int:
            return sum(abs(int(f(v)) - w) for f, w in zip(forms, wanted)  # type: ignore[arg-type]
                       if w is not None)

        return describe, gap
    count = compile_form(_params_of(known, target.layer), syms)
    return (lambda v: f"{int(count(v)):,} parameters",
            lambda v: abs(int(count(v)) - int(target.value)))  # type: ignore[call-overload]
