"""`repeat n:` — a number unrolls the body n times; a symbolic count derives it once.

A symbolic count n (an expression in declared sizes, ≥ 0 for all of them) closes in two cases:

- the body keeps the carried tensor's shape: one pass is derived, its layer records carry
  `times` (the product of the symbolic counts around them), and every total multiplies;
- each changing extent X of the carried tensor follows ``X ↦ floor((X + a)/s) + b`` (numbers a,
  s ≥ 1, b), its weights free of X: the extent after n passes is `closed_extent`, the body's
  records are written at pass k (`RepeatRecord.steps`) and their conditions hold at the passes
  where they are strongest (`step_conditions`).

Anything else is SC112. The loop index of `repeat n as i:` is a number in each pass of a
numeric repeat, and a symbol 0 ≤ i ≤ n − 1 in a symbolic one (weights polynomial in i are
summed in closed form by `Derivation.applied`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import sympy
from sympy import Expr, Integer

from ..errors import Span, SymconvError, shape_text, shown
from ..language import ir
from .binding import Namer, repeat_count
from .domains import Uses
from .frames import Frame, Memo, Tensor
from .model import BlockRecord, LayerRecord, RepeatRecord, Shape
from .recurrence import (
    HINT,
    Affine,
    affine_of,
    at_pass,
    closed_extent,
    step_conditions,
    step_record,
)


class Deriver(Protocol):
    """What a repeat needs of propagate.Deriver (which calls `run`; typed by its parts so
    that this module does not import propagate)."""

    records: list[LayerRecord]
    block_records: list[BlockRecord]
    repeat_records: list[RepeatRecord]
    recorded: set[sympy.Basic]
    namer: Namer
    memo: Memo
    seen: Uses
    hidden: dict[tuple[int, str], str]
    globals: dict[str, object]

    def body(self, statements: tuple[ir.Statement, ...], frame: Frame) -> None: ...

    def current(self, frame: Frame, span: Span) -> Tensor: ...


def run(d: Deriver, statement: ir.Repeat, frame: Frame) -> None:
    """A `repeat` statement: unrolled for a number, closed for a symbolic count (a use of its
    sizes that accepts 0: `Inference.use` with least 0)."""
    d.namer.repeating += 1
    count = d.memo(statement, frame.values, lambda: repeat_count(statement, frame.values))
    if isinstance(count, int):
        unrolled(d, statement, frame, count)
    else:
        d.seen.note("repeat", count)
        inference = d.seen.inference
        for x in sorted(count.free_symbols & inference.open_symbols(), key=str):
            inference.use(x, count, 0, lambda: f"the repeat count (line {statement.span.line})")
        symbolic(d, statement, frame, count)
    d.namer.repeating -= 1


def unrolled(d: Deriver, statement: ir.Repeat, frame: Frame, count: int) -> None:
    """Each pass in turn; with `as i`, pass k sees i = k (its own values, so the memo of
    evaluated arguments stays per pass)."""
    if statement.index is None:
        for _ in range(count):
            d.body(statement.body, frame)
        return
    outer = frame.values
    check_index(statement.index, frame)
    for k in range(count):
        frame.values = {**outer, statement.index.id: Integer(k)}
        d.body(statement.body, frame)
    frame.values = outer


def check_index(index: ir.Name, frame: Frame) -> None:
    if index.id in frame.values or index.id in frame.tensors or index.id in frame.shared:
        raise SymconvError("SC107", f"loop index '{index.id}' hides a size, a block argument "
                           "or a tensor of that name", index.span,
                           hint="give the index another name")


# -- symbolic counts ---------------------------------------------------------------------------
@dataclass
class State:
    """What one pass changes in the Deriver and the frame, to undo a trial pass and to extend
    the name counters by n passes."""

    records: int
    blocks: int
    repeats: int
    recorded: set[sympy.Basic]
    keras: dict[str, object]
    taken: dict[str, Span]
    index: object
    calls: dict[str, object]
    tensors: dict[str, Tensor]
    current: Tensor | None
    shared: int
    outputs: list[Tensor]
    unapplied: frozenset[str]  # shared layers declared and not applied yet

    @classmethod
    def of(cls, d: Deriver, frame: Frame) -> State:
        return cls(len(d.records), len(d.block_records), len(d.repeat_records), set(d.recorded),
                   dict(d.namer.keras_counts), dict(d.namer.taken), frame.index,
                   dict(frame.calls), dict(frame.tensors), frame.current, len(frame.shared),
                   frame.outputs,
                   frozenset(k for k, v in frame.shared.items() if v.first is None))

    def restore(self, d: Deriver, frame: Frame) -> None:
        del d.records[self.records:], d.block_records[self.blocks:]
        del d.repeat_records[self.repeats:]
        d.recorded = set(self.recorded)
        d.namer.keras_counts = dict(self.keras)  # type: ignore[arg-type]
        d.namer.taken = dict(self.taken)
        frame.index, frame.calls = self.index, dict(self.calls)  # type: ignore[assignment]
        frame.tensors, frame.current = dict(self.tensors), self.current


def symbolic(d: Deriver, statement: ir.Repeat, frame: Frame, count: Expr) -> None:
    entry = d.current(frame, statement.span)
    before = State.of(d, frame)
    index = loop_symbol(statement, frame, count, d)
    values = frame.values
    if index is not None:
        frame.values = {**values, statement.index.id: index}  # type: ignore[union-attr]
    d.namer.symbolic += 1
    d.body(statement.body, frame)
    d.namer.symbolic -= 1
    check_pass(d, statement, frame, before)
    exit_ = frame.current
    assert exit_ is not None
    if len(entry.shape) != len(exit_.shape):
        raise _not_closed(statement, entry.shape, exit_.shape, "its number of axes changes")
    changed = [j for j, (a, b) in enumerate(zip(entry.shape, exit_.shape)) if not _same(a, b)]
    check_rebound(statement, frame, before, entry)
    if changed:
        before.restore(d, frame)
        d.namer.symbolic += 1
        steps = recurrence(d, statement, frame, entry, changed, count, index, exit_.shape)
        d.namer.symbolic -= 1
    else:
        check_constant(d, statement, before, index, count)
        guard(d, before, count)
        steps = None
    frame.values = values
    close(d, statement, frame, before, entry, count, index, steps)


def check_rebound(statement: ir.Repeat, frame: Frame, before: State, entry: Tensor) -> None:
    """A name the body binds again is read by the next pass: it must keep its shape, unless it
    is the carried tensor (it named the entry and names the exit)."""
    exit_ = frame.current
    assert exit_ is not None
    for name, tensor in frame.tensors.items():
        old = before.tensors.get(name)
        if old is None or old is tensor or (old is entry and tensor.node == exit_.node):
            continue
        if len(old.shape) != len(tensor.shape) or not all(
                _same(a, b) for a, b in zip(old.shape, tensor.shape)):
            raise _not_closed(statement, entry.shape, exit_.shape,
                              f"tensor '{name}' is {shape_text(old.shape)} before a pass and "
                              f"{shape_text(tensor.shape)} after it, and the next pass reads it")


def loop_symbol(statement: ir.Repeat, frame: Frame, count: Expr, d: Deriver) -> Expr | None:
    if statement.index is None:
        return None
    check_index(statement.index, frame)
    return sympy.Symbol(statement.index.id, integer=True, nonnegative=True)


def check_pass(d: Deriver, statement: ir.Repeat, frame: Frame, before: State) -> None:
    """What a pass may not do when n stays open: declare a shared layer (a second pass declares
    it again), apply one declared outside (its weights count once, and not at n = 0), or give
    the network's outputs."""
    if len(frame.shared) != before.shared:
        raise SymconvError("SC112", "a symbolic repeat cannot declare a shared layer (each "
                           "pass would declare it again)", statement.span,
                           hint="declare it before the repeat, or give the repeat a number")
    if frame.outputs is not before.outputs:
        raise SymconvError("SC112", "a symbolic repeat cannot give the network's outputs",
                           statement.span)
    for name in before.unapplied:
        first = frame.shared[name].first
        if first is not None:
            raise SymconvError("SC112", f"shared layer '{name}' is applied inside a symbolic "
                               "repeat: its weights count once, and not at all when the count "
                               "is 0", first.span, hint="give the repeat a number")
    for record in d.records[before.records:]:
        if record.shares is not None and all(r.name != record.shares
                                             for r in d.records[before.records:]):
            raise SymconvError("SC112", f"shared layer '{record.shares}' is applied inside a "
                               "symbolic repeat: its weights count once, and not at all when "
                               "the count is 0", record.span,
                               hint="give the repeat a number")


def check_constant(d: Deriver, statement: ir.Repeat, before: State, index: Expr | None,
                   count: Expr) -> None:
    """A shape-keeping body with a loop index i: weights polynomial in i (summed in closed
    form), conditions monotone in i (checked at the first and the last pass)."""
    if index is None:
        return
    for at in range(before.records, len(d.records)):
        record = d.records[at]
        for w in record.weights:
            if index in w.size.free_symbols and not w.size.is_polynomial(index):
                raise SymconvError("SC112", f"the weights of {record.type} '{record.name}' are "
                                   "not a polynomial in the loop index, so their sum over the "
                                   "passes has no closed form here", record.span,
                                   hint="give the repeat a number")
        requires = tuple(r2 for r in record.requires
                         for r2 in step_conditions(r, {index}, {index: index}, count, index))
        d.records[at] = replace(record, requires=requires)


def guard(d: Deriver, before: State, count: Expr) -> None:
    """A shape-keeping body's conditions, once, as ``n = 0 or …``: at n = 0 no pass runs and
    the unrolled network does not need them (those already written so are left as they are)."""
    zero = sympy.Eq(count, 0)
    for at in range(before.records, len(d.records)):
        record = d.records[at]
        requires = tuple(r if isinstance(r.condition, sympy.Or) and zero in r.condition.args
                         else replace(r, condition=sympy.Or(zero, r.condition))
                         for r in record.requires)
        d.records[at] = replace(record, requires=tuple(
            r for r in requires if r.condition is not sympy.true))


def close(d: Deriver, statement: ir.Repeat, frame: Frame, before: State, entry: Tensor,
          count: Expr, index: Expr | None, steps: tuple[Expr, Shape] | None) -> None:
    """The pass derived becomes the repeat: records multiplied, names counted n times, the
    tensors named inside hidden, the exit tensor carried."""
    first, last = before.records, len(d.records) - 1
    for i in range(first, len(d.records)):
        d.records[i] = replace(d.records[i], times=d.records[i].times * count)
    # what later layers may take as known: the body's conditions as recorded (n = 0 or …)
    d.recorded = before.recorded | {r.condition for x in d.records[first:] for r in x.requires}
    for i in range(before.blocks, len(d.block_records)):
        b = d.block_records[i]
        d.block_records[i] = replace(b, times=b.times * count)
    for i in range(before.repeats, len(d.repeat_records)):
        r = d.repeat_records[i]
        d.repeat_records[i] = replace(r, times=r.times * count)
    step = None if steps is None else steps[0]
    exit_shape = frame.current.shape if steps is None else steps[1]  # type: ignore[union-attr]
    d.repeat_records.insert(before.repeats, RepeatRecord(
        count, statement.span, entry.shape, exit_shape, first, last,
        index=statement.index.id if statement.index else None,
        steps=step if step is not None else index))
    extend_counters(d, frame, before, count)
    hide(d, frame, before, entry)
    body_exit = frame.current
    assert body_exit is not None
    carried = Tensor(exit_shape, body_exit.origin, body_exit.node, body_exit.batched, None,
                     body_exit.batch_axis)
    frame.current = carried
    for name, tensor in list(frame.tensors.items()):
        if tensor.node == body_exit.node and before.tensors.get(name) is entry:
            frame.tensors[name] = carried


def extend_counters(d: Deriver, frame: Frame, before: State, count: Expr) -> None:
    """Names after the repeat: each counter a pass advanced by c has advanced by c·n."""
    def scaled(old: object, new: object) -> object:
        return old if new == old else old + (new - old) * count  # type: ignore[operator]

    keras = d.namer.keras_counts
    for key, value in list(keras.items()):
        keras[key] = scaled(before.keras.get(key, 0), value)  # type: ignore[assignment]
    frame.index = scaled(before.index, frame.index)  # type: ignore[assignment]
    for key, value in list(frame.calls.items()):
        frame.calls[key] = scaled(before.calls.get(key, 0), value)  # type: ignore[assignment]


def hide(d: Deriver, frame: Frame, before: State, entry: Tensor) -> None:
    """Tensors named in the body are unknown after it (at n = 0 they do not exist, and pass n
    made them), except the carried one: a name that held the entry and now holds the exit."""
    for name, tensor in list(frame.tensors.items()):
        if before.tensors.get(name) is tensor:
            continue
        if before.tensors.get(name) is entry and tensor.node == frame.current.node:  # type: ignore[union-attr]
            continue
        del frame.tensors[name]
        d.hidden[(id(frame), name)] = tensor.origin


def hidden_error(d: Deriver, node: ir.Name, frame: Frame) -> SymconvError | None:
    """SC112 for a tensor named inside a symbolic repeat, used after it."""
    if (id(frame), node.id) not in d.hidden:
        return None
    return SymconvError("SC112", f"tensor '{node.id}' is named inside a symbolic repeat and "
                        "cannot be used after it (it is made by the last pass, and by none "
                        "when the count is 0)", node.span,
                        hint="use the tensor the repeat carries out, or give the repeat a "
                        "number")


# -- the affine floor recurrence ---------------------------------------------------------------
def recurrence(d: Deriver, statement: ir.Repeat, frame: Frame, entry: Tensor,
               changed: list[int], count: Expr, index: Expr | None,
               trial: Shape) -> tuple[Expr, Shape]:
    """Derive the body again on fresh extents for the changing axes; each must follow an
    affine floor map, the weights must not depend on them. The records end up written at pass
    k (X_k in place of X); returns (k, the shape after n passes)."""
    fresh = {j: sympy.Symbol(f"X{j}_", integer=True, positive=True) for j in changed}
    shape = tuple(fresh.get(j, e) for j, e in enumerate(entry.shape))
    first, inner = len(d.records), len(d.repeat_records)
    carried = Tensor(shape, entry.origin, entry.node, entry.batched, None, entry.batch_axis)
    frame.current = carried
    named = [name for name, t in frame.tensors.items() if t is entry]  # `x = f(x)` reads x
    frame.tensors.update({name: carried for name in named})
    if index is not None:
        frame.values = {**frame.values, statement.index.id: index}  # type: ignore[union-attr]
    d.body(statement.body, frame)
    # a name the body did not bind again is the entry after the repeat, not pass k's input
    frame.tensors.update({name: entry for name in named if frame.tensors.get(name) is carried})
    out = frame.current.shape  # type: ignore[union-attr]
    maps: dict[int, Affine] = {}
    for j, x in fresh.items():
        found = affine_of(out[j], x)
        if found is None:
            raise _not_closed(statement, entry.shape, trial, f"axis {j + 1}: X becomes "
                              f"{shown(out[j].xreplace({x: sympy.Symbol('X')}))}")
        maps[j] = found
    for j, e in enumerate(out):
        if j not in fresh and not _same(e, entry.shape[j]):
            raise _not_closed(statement, entry.shape, trial, f"axis {j + 1} depends on an "
                              "extent that changes")
    k = index if index is not None else step_symbol(d)
    at_k = {x: closed_extent(entry.shape[j], maps[j].a, maps[j].s, maps[j].b, k)
            for j, x in fresh.items()}
    after = {out[j]: closed_extent(entry.shape[j], m.a, m.s, m.b, k + 1) for j, m in maps.items()}
    for i in range(first, len(d.records)):
        d.records[i] = step_record(d.records[i], fresh, at_k, after, count, k)
    for i in range(inner, len(d.repeat_records)):  # repeats inside the body, at pass k
        r = d.repeat_records[i]
        d.repeat_records[i] = replace(r, entry=at_pass(r.entry, at_k, after),
                                      exit=at_pass(r.exit, at_k, after))
    exit_shape = tuple(closed_extent(entry.shape[j], maps[j].a, maps[j].s, maps[j].b, count)
                       if j in maps else e for j, e in enumerate(entry.shape))
    current = frame.current
    frame.current = Tensor(exit_shape, current.origin, current.node, current.batched, None,
                           current.batch_axis)
    return k, exit_shape


def step_symbol(d: Deriver) -> sympy.Symbol:
    """The pass index k of a recurrence's records (0 ≤ k ≤ n − 1), named apart from the sizes
    by another letter (`k_` would print as k in LaTeX, beside a size k)."""
    taken = {str(s) for s in d.globals}
    name = next((c for c in ("k", "j", "p", "q", "t", "u", "v") if c not in taken), "pass_k")
    return sympy.Symbol(name, integer=True, nonnegative=True)


# -- messages ----------------------------------------------------------------------------------
def _same(a: Expr, b: Expr) -> bool:
    return a == b or sympy.expand(a - b) == 0


def _not_closed(statement: ir.Repeat, entry: Shape, out: Shape, why: str) -> SymconvError:
    return SymconvError("SC112", f"no closed form for this symbolic repeat: one pass maps "
                        f"{shape_text(entry)} to {shape_text(out)} ({why})",
                        statement.count.span, hint=HINT)
