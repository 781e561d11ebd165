"""derivation → curves: the closed forms of a network evaluated at every whole value of one size
(`symconv plot`), as plain data; `plot_figure` draws them (matplotlib, imported there only).

>>> from symconv import derive
>>> d = derive("sizes H\\ninput (H, 1)\\nMaxPooling1D(3)")
>>> curves = evaluate(d, "H", (5, 7), ["shape"])
>>> curves.series[0].label, curves.series[0].xs, curves.series[0].ys
('output axis 1', [5, 6, 7], [1, 2, 2])

Every other size has a value (from `subs` or its declared default) before the curves are
evaluated; the values are exact integers, the same `derive --subs` prints. A value of the size
where a layer's condition fails (an extent below 1) is no point of any curve: it is counted in
`Curves.skipped`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import sympy
from sympy import Expr, Integer

from ..derivation.domains import check_value
from ..derivation.model import Derivation
from ..errors import Source, SymconvError, did_you_mean
from ..solving.substitute import substitute
from ..solving.targets import shape_of

MAX_POINTS = 2_000  # a wider range is sampled at this many evenly spaced whole values
PLOT_FORMATS = ("png", "svg", "pdf")


@dataclass(frozen=True)
class Quantity:
    """One thing `--y` can name: its axis label and its value(s) in a derivation."""

    label: str
    # (curve label, or "" for the quantity's own; closed form) per curve
    values: Callable[[Derivation, str | None], list[tuple[str, Expr]]]


def _total(what: str) -> Callable[[Derivation, str | None], list[tuple[str, Expr]]]:
    return lambda d, layer: [("", d.total(what))]


def _macs(d: Derivation, layer: str | None, scale: int = 1) -> list[tuple[str, Expr]]:
    from ..analysis import macs

    return [("", scale * macs.total(d))]


def _activations(d: Derivation, layer: str | None) -> list[tuple[str, Expr]]:
    from ..analysis import memory

    return [("", d.over_layers(memory.activations(d)))]


def _parameter_bytes(d: Derivation, layer: str | None) -> list[tuple[str, Expr]]:
    from ..analysis import memory

    return [("", memory.parameters(d))]


def _axes(d: Derivation, layer: str | None) -> list[tuple[str, Expr]]:
    """Every axis of the output (of `layer`, else the network's), numbered from 1 without
    the batch axis."""
    return [(f"output axis {i}", e) for i, e in enumerate(shape_of(d, layer), 1)]


QUANTITIES: dict[str, Quantity] = {
    "params": Quantity("parameters", _total("params")),
    "trainable": Quantity("trainable parameters", _total("trainable")),
    "non_trainable": Quantity("non-trainable parameters", _total("non_trainable")),
    "macs": Quantity("MACs per example (weights convention)", _macs),
    "flops": Quantity("FLOPs per example (2·MACs, weights convention)",
                      lambda d, layer: _macs(d, layer, 2)),
    "memory": Quantity("activation memory (bytes, float32, batch 1)", _activations),
    "parameter_bytes": Quantity("parameter memory (bytes, float32)", _parameter_bytes),
    "shape": Quantity("output extent", _axes),
}


@dataclass(frozen=True)
class Series:
    """One curve: `ys[i]` at `xs[i]`; `marks`, the framework's own numbers at a few of xs."""

    quantity: str
    label: str
    xs: list[int]
    ys: list[int]
    marks: list[tuple[int, int]] = field(default_factory=list)
    steps: bool = False  # a floor or ceiling of the size: constant between whole values


@dataclass(frozen=True)
class Curves:
    """Every curve asked for, over the whole values of `size` in `span` where the network is
    valid (`skipped`: those where it is not). `fixed`: the other sizes' values."""

    network: str
    size: str
    span: tuple[int, int]
    series: list[Series]
    skipped: int
    fixed: dict[str, int]
    layer: str | None = None


def parse_quantity(name: str) -> tuple[str, int | None]:
    """'params' → ('params', None); 'shape:2' → ('shape', 2), the output's second axis."""
    base, sep, axis = name.partition(":")
    if base not in QUANTITIES or (sep and (base != "shape" or not axis.isdigit()
                                           or int(axis) < 1)):
        raise ValueError(f"unknown quantity {name!r}: one of {', '.join(QUANTITIES)}, or "
                         "shape:N (the output's N-th axis, from 1)")
    return base, int(axis) if sep else None


def fixed_sizes(sizes: Sequence[str], defaults: Mapping[str, int], size: str,
                subs: Mapping[str, int], source: Source) -> dict[str, int]:
    """Every size but `size`, valued by `subs` or its declared default; an error naming the
    sizes left without a value."""
    for name in [size, *subs]:
        if name not in sizes:
            raise SymconvError("SC302", f"{'--x: ' if name == size else ''}'{name}' is not a "
                               "declared size", None, source, hint=did_you_mean(name, sizes)
                               or f"declared sizes: {', '.join(sizes) or 'none'}")
    if size in subs:
        raise SymconvError("SC302", f"'{size}' is given both by --x and by --subs", None,
                           source, hint=f"leave {size} out of --subs")
    chosen = {k: v for k, v in {**defaults, **subs}.items() if k != size}
    missing = [s for s in sizes if s != size and s not in chosen]
    if missing:
        example = ",".join(f"{s}=…" for s in missing)
        raise SymconvError("SC302", f"{_listed(missing)} {'has' if len(missing) == 1 else 'have'}"
                           f" no value: a plot varies {size} alone", None, source,
                           hint=f"give {'it' if len(missing) == 1 else 'them'} with --subs "
                           f"{example}")
    return chosen


def _listed(names: Sequence[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def points(span: tuple[int, int], most: int = MAX_POINTS) -> list[int]:
    """Every whole value in LO..HI, or `most` of them evenly spaced (both ends kept)."""
    low, high = span
    if high - low < most:
        return list(range(low, high + 1))
    step = (high - low) / (most - 1)
    return sorted({low + round(i * step) for i in range(most)})


def _picked(values: list[tuple[str, Expr]], axis: int | None, label: str,
            source: Source) -> list[tuple[str, Expr]]:
    """Output axis `axis` alone; without one, the axes that vary with the size (all when none
    does)."""
    if axis is None:
        return values
    if axis > len(values):
        raise SymconvError("SC303", f"{label} has {len(values)} "
                           f"ax{'is' if len(values) == 1 else 'es'}, not {axis}", None, source,
                           hint=f"--y shape:1 … shape:{len(values)}")
    return [values[axis - 1]]


def _varying(values: list[tuple[str, Expr]], x: sympy.Symbol) -> list[tuple[str, Expr]]:
    moving = [(n, e) for n, e in values if x in e.free_symbols]
    return moving or values


def number(value: Expr, what: str, x: int, size: str) -> int:
    if not value.is_Integer:
        raise SymconvError("SC302", f"{what} is not a number at {size}={x}: {value}", None,
                           hint="give every other size a value with --subs")
    return int(value)


def evaluate(d: Derivation, size: str, span: tuple[int, int], wanted: Sequence[str],
             subs: Mapping[str, int] | None = None, layer: str | None = None) -> Curves:
    """The curves of `wanted` (QUANTITIES names, or shape:N) against `size` over `span`."""
    subs = dict(subs or {})
    fixed = fixed_sizes(d.sizes, {**d.defaults, **d.subs}, size, subs, d.source)
    try:
        check_value(size, span[0], d.domain(size))
    except SymconvError as err:
        raise err.located(d.source) from None
    d = substitute(d, fixed, use_defaults=False)
    if layer is not None:  # named even when no shape is plotted: a misspelt name is refused
        try:
            shape_of(d, layer)
        except SymconvError as err:
            raise err.located(d.source) from None
    x = d.symbol(size)
    forms = formulas(d, wanted, layer, x)
    valid, skipped = _valid(d, x, points(span))
    if not valid:
        raise _nowhere(d, x, size, span)
    series = [Series(q, label, valid, values_at(e, x, valid, label, size), steps=_stepwise(e, x))
              for q, label, e in forms]
    return Curves(network_name(d), size, span, series, skipped, fixed, layer)


def values_at(value: Expr, x: sympy.Symbol, xs: list[int], label: str, size: str) -> list[int]:
    """`value` at each of `xs`, exactly: through `exact` (a few microseconds a value), or
    sympy's own substitution where that cannot (a form it does not know)."""
    fast = exact(value, x)
    out = []
    for v in xs:
        try:
            got = fast(v) if fast is not None else None
        except (ArithmeticError, ValueError):
            got = None
        if not isinstance(got, int):
            got = number(value.xreplace({x: Integer(v)}), label, v, size)
        out.append(got)
    return out


class _Unknown(Exception):
    """A form `exact` does not evaluate."""


Compiled = Callable[[int], "int | Fraction"]


def exact(value: Expr, x: sympy.Symbol) -> Callable[[int], int | None] | None:
    """A function giving `value` at a whole x, in exact integer and Fraction arithmetic (None
    where the result is no integer); None for a form it does not know. The closed forms are
    evaluated at up to MAX_POINTS values: sympy's substitution, which rebuilds and
    re-simplifies the tree each time, took 20 s for ResNet-50's four totals at 2,000.

    >>> H = sympy.Symbol("H", integer=True, positive=True)
    >>> exact(64 * sympy.floor((H - 6) / 4) + 1, H)(28)
    321
    """
    try:
        run = _compiled(value, x)
    except _Unknown:
        return None

    def at(v: int) -> int | None:
        got = run(v)
        return int(got) if isinstance(got, int) or got.denominator == 1 else None
    return at


def _compiled(e: Expr, x: sympy.Symbol) -> Compiled:
    if e == x:
        return lambda v: v
    if e.is_Integer:
        n = int(e)
        return lambda v: n
    if e.is_Rational:
        q = Fraction(int(e.p), int(e.q))
        return lambda v: q
    args = [_compiled(a, x) for a in e.args]
    if e.is_Pow and e.exp.is_Integer:
        base, power = args[0], int(e.exp)
        return lambda v: Fraction(base(v)) ** power if power < 0 else base(v) ** power
    if type(e) in _NARY:
        combine = _NARY[type(e)]
        return lambda v: combine([f(v) for f in args])
    raise _Unknown(type(e).__name__)


_NARY: dict[type, Callable[[list[Any]], Any]] = {
    sympy.Add: sum, sympy.Mul: math.prod, sympy.Max: max, sympy.Min: min,
    sympy.floor: lambda a: math.floor(a[0]), sympy.ceiling: lambda a: math.ceil(a[0]),
    sympy.Mod: lambda a: a[0] % a[1],
}


def network_name(d: Derivation) -> str:
    """The `network` line's name, else the file's (without .arch)."""
    return d.network or d.source.path.rsplit("/", 1)[-1].removesuffix(".arch")


def formulas(d: Derivation, wanted: Sequence[str], layer: str | None,
             x: sympy.Symbol | None) -> list[tuple[str, str, Expr]]:
    """(quantity, curve label, closed form) per curve; without `x`, every output axis."""
    out = []
    for name in wanted:
        base, axis = parse_quantity(name)
        values = QUANTITIES[base].values(d, layer)
        if base == "shape":
            values = _picked(values, axis, f"the output of {layer or 'the network'}", d.source)
            values = values if axis is not None or x is None else _varying(values, x)
        out += [(base, label or QUANTITIES[base].label, value) for label, value in values]
    return out


def _stepwise(value: Expr, x: sympy.Symbol) -> bool:
    """Whether the size appears inside a floor or ceiling (an extent after a stride)."""
    return any(x in f.free_symbols for f in value.atoms(sympy.floor, sympy.ceiling))


def _valid(d: Derivation, x: sympy.Symbol, xs: list[int]) -> tuple[list[int], int]:
    """The values where every condition holding the size is true, and how many are not."""
    conditions = [r.condition for r in d.requires if x in r.condition.free_symbols]
    ok = [v for v in xs
          if all(c.xreplace({x: Integer(v)}) is sympy.true for c in conditions)]
    return ok, len(xs) - len(ok)


def _nowhere(d: Derivation, x: sympy.Symbol, size: str, span: tuple[int, int]) -> SymconvError:
    """The error for a range where the network is never valid, at the layer whose condition
    fails at its low end."""
    from ..maths.printing import pretty

    at = {x: Integer(span[0])}
    broken = next(r for r in d.requires if r.condition.xreplace(at) is not sympy.true)
    return SymconvError("SC301", f"the network is invalid at every value of {size} in "
                        f"{span[0]}..{span[1]}: layer '{broken.layer}' needs "
                        f"{pretty(broken.condition)} ({broken.reason})", broken.span, d.source,
                        hint=f"choose values of {size} where {pretty(broken.condition)}")


def with_marks(curves: Curves, measured: Mapping[int, Mapping[str, int]]) -> Curves:
    """The curves with the framework's numbers (x → {curve key: value}, `mark_key`) marked."""
    series = [replace(s, marks=[(v, measured[v][key]) for v in sorted(measured)
                                if (key := mark_key(s)) in measured[v]])
              for s in curves.series]
    return replace(curves, series=series)


def mark_key(s: Series) -> str:
    """How a framework's number for this curve is named: 'params', 'trainable',
    'non_trainable', or 'axis N' for an output axis."""
    return s.label.removeprefix("output ") if s.quantity == "shape" else s.quantity


def mark_points(curves: Curves, count: int) -> list[int]:
    """`count` values of the size spread over the valid ones (both ends, smallest first)."""
    xs = curves.series[0].xs if curves.series else []
    if count <= 0 or not xs:
        return []
    if count >= len(xs):
        return list(xs)
    if count == 1:
        return [xs[0]]
    return sorted({xs[round(i * (len(xs) - 1) / (count - 1))] for i in range(count)})
