"""Each size's domain, its least value (0 or 1), written or inferred.

A size declared `sizes P >= 0` or `sizes P >= 1` has that domain. Any other size takes the
least value every use of it accepts:

- A use is an argument a layer reads as a whole number with a least value (`Call.integer`:
  0 for a padding, an output padding, a cropping or zero-padding amount; 1 for a kernel, a
  stride, a dilation, a channel count, units, …; a future symbolic `repeat` count, 0).
- A use accepts 0 when the value written there is still at least that least value with the
  size at 0 and every other size anywhere in its domain: `padding=P` and `kernel_size=2*P + 1`
  accept P = 0, `kernel_size=P + 1` too, `padding=P - 1` does not. With other inferred sizes
  in the same value, the test is repeated until it holds for all of them at once (a fixed
  point: `kernel_size=P + Q` makes both P and Q ≥ 1, since both at 0 gives a kernel of 0).
- Everything else needs 1: an input extent, an argument not read as a whole number with a
  least value (a target shape, a size inside a layer given as an argument that is not read
  so), a value sympy cannot decide at 0, and a size no layer uses.

So a size used both as a padding and as a kernel is ≥ 1. Only the domain is inferred: a
declared domain narrower than a use needs (`sizes K >= 0` used as a kernel) stays, and the
layer records its condition (K ≥ 1) as for any other value it may refuse.

Derivation runs once while `Inference` watches the uses, with the undeclared sizes written
only as paddings ≥ 0 (`likely_zero`, a guess from the text) and the others ≥ 1; only when the
uses disagree with that guess is the network derived again with the domains they give (so a
network without such sizes, or whose paddings are plain, costs one derivation). An error while
some sizes are undecided is retried with them ≥ 0, then all ≥ 1, before it stands
(propagate._retry): `ZeroPad2d(P)` then `Linear(H, 2)` is valid only at P = 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sympy
from sympy import Expr

from ..errors import Source, Span, SymconvError
from ..language import chunks, ir
from ..layers.base import Requirement
from ..maths import symbols

if TYPE_CHECKING:
    from ..language.values import Arg
    from ..layers.base import Call, LayerSpec


@dataclass(frozen=True)
class Domain:
    """A size's least value and why: `declared` when written, else the use that decided
    (the first that needs 1, or the first that accepts 0)."""

    least: int
    why: str
    declared: bool = False

    def reason(self, name: str) -> str:
        """Why `name` has this domain, for messages."""
        if self.declared:
            return f"'{name}' is declared `{name} >= {self.least}`"
        if self.least == 0:
            return f"every use of '{name}' takes 0 (the first: {self.why})"
        if self.why:
            return f"'{name}' appears in {self.why}, which needs {name} ≥ 1"
        return (f"a size is ≥ 1 unless every use takes 0 or it is declared "
                f"`{name} >= 0`")


DEFAULT = Domain(symbols.DEFAULT_LEAST, "")


Bound = tuple[str, Expr, "int | None"]  # (argument, value read, least value it accepts)


class Inference:
    """Watches a derivation's uses of the sizes of unknown domain (by name) and says which
    accept 0 (see the module docstring). The derivation may carry them as ≥ 1 or as ≥ 0
    (`propagate`'s second try); the answer is the same."""

    def __init__(self, names: Iterable[str]) -> None:
        self.candidates = frozenset(names)
        self.open = set(self.candidates)  # may still be 0
        self.accepted: dict[str, str] = {}  # open sizes with a use at 0: the first
        self.refused: dict[str, str] = {}  # sizes that need 1: the first use that said so
        self.joint: list[tuple[str, Expr, int, str]] = []  # tests that need the other open
        # sizes' final domains: (size, value with it at 0 and them at ≥ 1, least accepted, where)

    def refuse(self, used: Iterable[sympy.Symbol], why: str) -> None:
        """A use of these sizes that needs 1."""
        for x in used:
            if x.name in self.open:
                self.open.discard(x.name)
                self.refused[x.name] = why

    def argument(self, name: str, used: set[sympy.Symbol], bounds: Sequence[Bound],
                 where: Callable[[], str]) -> None:
        """An argument `name` holding the sizes `used`, with the bounds its layer checked."""
        for x in sorted(used, key=str):
            if x.name not in self.open:
                continue
            tests = [(v, m) for n, v, m in bounds if n == name and x in v.free_symbols]
            if not tests:
                self.refuse((x,), where())
            for v, m in tests:
                if x.name in self.open:
                    self.use(x, v, m, where)

    def use(self, x: sympy.Symbol, value: Expr, least: int | None,
            where: Callable[[], str]) -> None:
        """`value`, holding the size x of unknown domain, must be at least `least` (None: no
        bound); a future symbolic `repeat` count is one more such use (least 0)."""
        if least is None or (value == x and least <= 0):
            self.accepted.setdefault(x.name, where())
            return
        others = {y: symbols.size(y.name, 1) for y in value.free_symbols
                  if y != x and y.name in self.candidates}  # at ≥ 1 here: a first sieve
        at_zero = value.xreplace({x: sympy.Integer(0), **others})
        if not _at_least(at_zero, least):
            self.refuse((x,), where())
            return
        self.accepted.setdefault(x.name, where())
        if others:
            self.joint.append((x.name, at_zero, least, where()))

    def open_symbols(self) -> set[sympy.Symbol]:
        """The sizes that may still be 0, as symbols of either domain."""
        return {symbols.size(n, least) for n in self.open for least in symbols.LEAST}

    def zero(self) -> dict[str, Domain]:
        """The sizes every use accepts at 0, with all of them at 0 at once."""
        zero = {x for x in self.open if x in self.accepted}
        while True:  # each round tests every use against the same set, so order never matters
            failed: dict[str, str] = {}
            for x, value, least, where in self.joint:
                widened = {y: symbols.size(y.name, 0) for y in value.free_symbols
                           if y.name in zero}
                if x in zero and x not in failed and not _at_least(value.xreplace(widened),
                                                                   least):
                    failed[x] = where
            if not failed:
                return {x: Domain(0, self.accepted[x]) for x in sorted(zero)}
            zero -= set(failed)
            self.refused.update(failed)

    def needs_one(self, name: str) -> Domain:
        return Domain(1, self.refused[name]) if name in self.refused else DEFAULT


class Uses:
    """What a derivation's sizes are used for: the arguments each appears in (the solver's
    kinds), the Inference of the undecided ones' domains, and the limits: each bound a size ≥ 0
    meets by its domain (`padding=P` ≥ 0), kept as a condition for `verify` to step below."""

    def __init__(self, undecided: Iterable[str], nonnegative: set[sympy.Symbol]) -> None:
        self.uses: dict[str, set[str]] = {}  # size → the arguments it appears in ('input')
        self.inference = Inference(undecided)
        self.nonnegative = nonnegative
        self.limits: list[Requirement] = []

    def input(self, shape: tuple[Expr, ...], span: Span) -> None:
        self.inference.refuse(self.note("input", shape), f"the input shape (line {span.line})")

    def call(self, ctx: Call, args: Mapping[str, Arg], note: bool = True) -> None:
        """After a layer call: the sizes each argument holds, and the bounds the layer read."""
        for name, arg in args.items():
            used = self.note(name, arg.python) if note else _sizes_in(arg.python)
            if used and self.inference.open:
                self.inference.argument(name, used, ctx.bounds,
                                        lambda a=name: f"'{a}' of {ctx.spec.type} '{ctx.name}' "
                                        f"(line {ctx.span_of(a).line})")
        if self.nonnegative:
            for name, value, least in ctx.bounds:
                if least is not None and value.free_symbols & self.nonnegative:
                    self.limits.append(Requirement(sympy.Ge(value, least, evaluate=False),
                                                   f"'{name}' must be at least {least}",
                                                   ctx.name, ctx.span_of(name)))

    def note(self, where: str, value: object) -> set[sympy.Symbol]:
        """Record that the sizes in `value` are used in `where`; those sizes."""
        used = _sizes_in(value)
        for symbol in used:
            self.uses.setdefault(_name(symbol), set()).add(where)
        return used


def _name(symbol: sympy.Symbol) -> str:
    """str(symbol) without the printer (a tenth of a millisecond, thousands of times): a plain
    Symbol prints as its name; anything else (a Dummy prints with a `_`) through str."""
    return symbol.name if type(symbol) is sympy.Symbol else str(symbol)


def _sizes_in(value: object) -> set[sympy.Symbol]:
    if isinstance(value, tuple):
        return set().union(*(_sizes_in(v) for v in value))
    return value.free_symbols if isinstance(value, sympy.Basic) else set()  # type: ignore[return-value]


def below_one(program: ir.Program, fixed: Mapping[str, int], open_sizes: Sequence[str],
              known: Mapping[str, Domain]) -> bool:
    """Whether a size of unknown domain is given a value below 1 (in `fixed` or as its
    default): then its domain must be inferred before the value can be checked."""
    from ..language.values import evaluate

    low = {name for name, value in fixed.items() if isinstance(value, int) and value < 1}
    low |= {d.name for d in program.sizes if d.default is not None and d.name not in fixed
            and evaluate(d.default, {}).value == 0}
    return any(name not in known and name not in open_sizes for name in low)


ZERO_ARGUMENTS = frozenset({"padding", "output_padding", "cropping"})


def likely_zero(program: ir.Program, convention: str) -> frozenset[str]:
    """A first guess, from the text alone, at the sizes every use takes at 0: those written only
    in padding and cropping arguments of layer calls, or as a repeat's count (a bare name).
    Derivation starts with them ≥ 0 and needs no second pass when the guess is right (it is
    only a guess: the uses decide)."""
    from ..layers import REGISTRY

    zero: set[str] = set()
    other: set[str] = set()
    for value in _values(program.body + tuple(s for b in program.blocks for s in b.body)):
        if isinstance(value, _Count):
            zero.add(value.name.id)
            continue
        _roles(value, REGISTRY[convention], other, zero, other)
    return frozenset(zero - other) & {d.name for d in program.sizes if d.domain is None}


@dataclass(frozen=True)
class _Count:
    """`repeat n:`'s n, a use that takes 0 (likely_zero)."""

    name: ir.Name


def _values(body: tuple[ir.Statement, ...]) -> Iterable[ir.Value | _Count]:
    for statement in body:
        if chunks.origin(statement) is not None:
            continue  # a copy of a statement met before (a block unrolled): the same names
        if isinstance(statement, ir.Assign):
            yield statement.value
        elif isinstance(statement, ir.Input):
            yield from (item.shape for item in statement.items if item.shape is not None)
        elif isinstance(statement, ir.Output):
            yield from statement.values
        elif isinstance(statement, ir.Repeat):
            count = statement.count
            yield _Count(count) if isinstance(count, ir.Name) else count
            yield from _values(statement.body)
        elif isinstance(statement, ir.If):
            for condition, branch in statement.branches:
                yield condition
                yield from _values(branch)
            yield from _values(statement.orelse)


def _roles(value: ir.Value, registry: Mapping[str, LayerSpec], here: set[str],
           zero: set[str], other: set[str]) -> None:
    """The names in `value` into `here`; a layer call's arguments by their parameter's role
    (`registry`: the convention's layers)."""
    if isinstance(value, ir.Name):
        here.add(value.id)
    elif isinstance(value, ir.CallExpr):
        _roles(value.func, registry, other, zero, other)
        spec = registry.get(value.func.id) if isinstance(value.func, ir.Name) else None
        names = [p.name for p in spec.params] if spec else []
        given = [*zip(names, value.positional), *((k.name, k.value) for k in value.keywords)]
        for i, item in enumerate(value.positional[len(names):]):
            given.append((f"#{i}", item))
        for name, item in given:
            _roles(item, registry, zero if name in ZERO_ARGUMENTS else other, zero, other)
    else:
        for child in _children(value):
            _roles(child, registry, here, zero, other)


def _children(value: ir.Value) -> tuple[ir.Value, ...]:
    if isinstance(value, (ir.BinOp, ir.Compare)):
        return (value.left, value.right)
    if isinstance(value, ir.Neg):
        return (value.operand,)
    if isinstance(value, (ir.Tuple, ir.List)):
        return value.items
    if isinstance(value, ir.Subscript):
        return (value.value, value.index)
    if isinstance(value, ir.Attribute):
        return (value.value,)
    if isinstance(value, ir.BoolOp):
        return value.operands
    return ()


def _at_least(value: Expr, least: int) -> bool | None:
    """Whether `value >= least` for every value of its sizes (their assumptions decide)."""
    if value.is_Integer:
        return int(value) >= least
    return (value - least).is_nonnegative  # type: ignore[no-any-return]


def check_value(name: str, value: object, domain: Domain) -> None:
    """A number given for a size (`--subs`, an API call) must be a whole number in its domain."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise SymconvError("SC302", f"'{name}' must be a whole number, not {value!r}")
    if value < domain.least:
        raise SymconvError("SC302", f"'{name}' must be a whole number ≥ {domain.least}, not "
                           f"{value}", hint=domain.reason(name))


def check_values(subs: Mapping[str, int] | None, source: Source) -> None:
    """Sizes given as numbers must be whole numbers, before a derivation with them fixed from
    the start (solve, verify); that derivation checks each against its size's domain."""
    for name, value in (subs or {}).items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise SymconvError("SC302", f"'{name}' must be a whole number, not {value!r}",
                               None, source)
