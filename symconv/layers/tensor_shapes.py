"""What the tensor operations of both conventions share (torch_ops.py, keras_ops.py): the batch
axis put back as a placeholder, the rules every operation follows on it, and the shape rules of
reshape and matmul, which torch and keras.ops (numpy's rules) agree on.

The placeholder. symconv's shapes leave the batch axis out, but torch and Keras count it: dim 0
is the batch. So an operation works on the *full* shape, ``(BATCH, *shape)`` for a network
tensor and the whole shape for a free parameter (Call.batched False), with `symbols.BATCH` (torch's
``x.shape[0]``) standing for the batch's extent. The operation's result is then read back
(`result`): the batch must be its first axis and appear nowhere else, or be absent (a result
made of parameters alone). Anything else (a transpose that moves the batch, a flatten or a view
that merges it with another axis, a chunk along it) is refused: symconv keeps the batch apart.
No condition that names the batch is ever recorded (a substitution could not check it).
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy import Expr, Integer

from ..errors import SymconvError, shown
from ..maths import extent, symbols
from .base import Call, LayerOutput, Several
from .common import product

Shape = tuple[Expr, ...]
BATCH = symbols.BATCH
ONE = Integer(1)
KEEPS_BATCH = "symconv keeps the batch axis apart (its shapes leave it out)"


def full(call: Call, index: int = 0) -> Shape:
    """Input `index` with its batch axis put back as BATCH (a free parameter: as it is)."""
    shape = tuple(Integer(e) if isinstance(e, int) else e for e in call.inputs[index])
    if not call.batched[index]:
        return shape
    at = call.axes[index]  # 0 but for torch's h_n and c_n (D·num_layers, N, H)
    return (*shape[:at], BATCH, *shape[at:])


def has_batch(value: object) -> bool:
    return isinstance(value, sympy.Basic) and BATCH in value.free_symbols


def _read_back(call: Call, shape: Shape, what: str) -> tuple[Shape, bool]:
    """(the shape without the batch axis, whether it has one)."""
    if not any(has_batch(e) for e in shape):
        if any(call.batched):
            raise call.fail(f"{what} would take the batch axis into its other axes; "
                            f"{KEEPS_BATCH}", code="SC201")
        return shape, False
    if shape[0] != BATCH or any(has_batch(e) for e in shape[1:]):
        raise call.fail(f"{what} would move the batch axis or merge it with another axis; "
                        f"{KEEPS_BATCH}", code="SC201",
                        hint="keep dim 0 (the batch) first and on its own")
    return shape[1:], True


def result(call: Call, shape: Shape, what: str) -> LayerOutput:
    """The LayerOutput of a full result shape (see the module's docstring)."""
    out, batched = _read_back(call, shape, what)
    return LayerOutput(out, batched=batched)


MOST_RESULTS = 20_000  # tensors one call may give (chunk, split), as many as applications


def pieces(call: Call, n: int | Expr, arg: str) -> int:
    """How many results a chunk or split gives, within MOST_RESULTS: GPT-2's qkv split by 1
    of an extent of 40 digits would list 10⁴⁰ shapes."""
    if n > MOST_RESULTS:
        raise SymconvError("SC110", f"{call.spec.type} '{call.name}': it would give {n} "
                           f"tensors, more than {MOST_RESULTS:,}", call.span_of(arg))
    return int(n)


def results(call: Call, shapes: list[Shape], what: str) -> LayerOutput:
    """Several full result shapes (chunk, split): every one read back the same way."""
    read = [_read_back(call, s, what) for s in shapes]
    return LayerOutput(read[0][0], outputs=Several(tuple(s for s, _ in read)),
                       batched=read[0][1])


def dim_index(call: Call, value: object, rank: int, arg: str, batch_ok: bool = False) -> int:
    """A dim of a full shape of `rank` axes (negative counts from the end), as torch and
    keras.ops take it: out of range is torch's IndexError; the batch axis is refused unless
    `batch_ok`."""
    if isinstance(value, bool) or not isinstance(value, (int, sympy.Integer)):
        raise call.fail(f"'{arg}' must be a whole number, not {_shown(value)}", arg)
    v = int(value)
    if rank == 0:  # torch treats a 0-d tensor as having one dim for this check
        rank_shown = 1
    else:
        rank_shown = rank
    if not -rank_shown <= v < rank_shown:
        raise call.fail(f"dimension out of range (expected to be in range of "
                        f"[{-rank_shown}, {rank_shown - 1}], but got {v})", arg, code="SC201",
                        hint="dims count the batch axis as 0" if any(call.batched) else None)
    v %= rank_shown
    if v == call.axes[0] and call.batched[0] and not batch_ok:
        raise call.fail(f"'{arg}' = {v} is the batch axis; {KEEPS_BATCH}", arg, code="SC201")
    return v


def _shown(value: object) -> str:
    return "a tuple" if isinstance(value, tuple) else shown(value)


def entry(call: Call, value: object, arg: str) -> Expr:
    """One whole-number size of a shape argument (a number, an expression in sizes, or the
    batch, x.shape[0])."""
    if isinstance(value, bool) or not isinstance(value, Expr) or value.is_integer is not True:
        raise call.fail(f"'{arg}' must hold whole numbers, not {_shown(value)}", arg,
                        hint="use // for whole division of sizes")
    if not value.is_Number and not has_batch(value):
        # a size here may be 0 (the frameworks take empty extents): for domain inference
        call.bounds.append((arg, value, 0))
    return value


def shape_text(entries: list[Expr] | Shape) -> str:
    """A shape as torch prints it in messages, '[2, -1, 4]' (the batch as 'batch')."""
    return "[" + ", ".join(extent_text(e) for e in entries) + "]"


def extent_text(e: Expr) -> str:
    return shown(e.subs(BATCH, sympy.Symbol("batch"))) if has_batch(e) else shown(e)


# -- reshape ------------------------------------------------------------------------------

def reshape(call: Call, source: Shape, target: list[Expr], arg: str) -> Shape:
    """`source` (a full shape) reshaped to `target` (one -1 inferred), torch's and numpy's rule:
    the element counts must be equal; a -1 takes ∏source / ∏others, which must divide."""
    inferred = [i for i, e in enumerate(target) if e == -1]
    if len(inferred) > 1:
        raise call.fail("only one dimension can be inferred (one -1)", arg, code="SC201")
    for i, e in enumerate(target):
        if e.is_Integer and e < -1:
            raise call.fail(f"invalid shape dimension {e} at index {i} of shape "
                            f"{shape_text(target)}", arg, code="SC201")
    if source and source[0] == BATCH and target and target[0] == -1 and len(inferred) == 1:
        return _batch_inferred(call, source, target, arg)
    batch_first = bool(source) and source[0] == BATCH and bool(target) and target[0] == BATCH
    # compare without the batch when both sides keep it first: no condition names the batch
    src, dst = (source[1:], target[1:]) if batch_first else (source, target)
    size = product(src)
    known = product([e for e in dst if e != -1])
    if has_batch(size) or has_batch(known):
        if not inferred:  # the batch on one side only, or merged with another axis
            raise call.fail(f"shape {shape_text(target)} would merge the batch axis with "
                            f"another axis; {KEEPS_BATCH}", arg, code="SC201",
                            hint="write the batch, x.shape[0] (or -1), first and alone")
    invalid = (f"shape '{shape_text(target)}' is invalid for input of size "
               f"{extent_text(product(source))}")
    if not inferred:
        need(call, sympy.Eq(size, known), "the shape must hold as many elements as the "
             "input", lambda: invalid, arg)
        return tuple(target)
    if not has_batch(known):
        need(call, extent.at_least(known, ONE), "a -1 beside a size 0 is ambiguous",
             lambda: f"cannot reshape into shape {shape_text(target)}: a -1 beside a size 0 "
             "is ambiguous", arg)
    if not has_batch(size) and not has_batch(known):
        need(call, sympy.Eq(sympy.Mod(size, known), 0), "the input's element count must be "
             "divisible by the other sizes' product (for the -1)", lambda: invalid, arg)
    out = list(target)
    out[inferred[0]] = sympy.cancel(size / known) if has_batch(size) else size / known
    return tuple(out)


def _batch_inferred(call: Call, source: Shape, target: list[Expr], arg: str) -> Shape:
    """A -1 first, on a network tensor: the batch, where the other sizes hold one example's
    elements (a condition when symbolic); else the -1 would take in part of the batch (or torch
    finds the shape invalid), refused."""
    size, known = product(source[1:]), product(target[1:])
    num, den = sympy.fraction(sympy.cancel(size / known))
    if has_batch(known) or (den == 1 and num != 1 and not num.is_Number):
        # the -1 is the batch times a product of sizes (view(-1, C) on (H, C): batch·H)
        raise call.fail(f"shape {shape_text(target)} would merge the batch axis with another "
                        f"axis; {KEEPS_BATCH}", arg, code="SC201")
    same = extent.equal(size, known)
    general = ("with -1 first (the batch), the other sizes must hold one example's elements; "
               f"else the -1 takes in part of the batch, and {KEEPS_BATCH}")
    if same is sympy.false:
        raise call.fail(f"with -1 first (the batch), the other sizes of {shape_text(target)} "
                        f"must hold one example's {shown(size)} elements; else the -1 takes in "
                        f"part of the batch, and {KEEPS_BATCH}", arg, code="SC201",
                        hint="write the batch, x.shape[0], first, or sizes that hold "
                        f"{shown(size)} elements")
    need(call, same, general, lambda: general, arg)
    return (BATCH, *target[1:])


def need(call: Call, condition: sympy.Basic, general: str, named: Callable[[], str],
         arg: str | None = None) -> None:
    """Record `condition` with the `general` reason (the condition shows the formulas); one
    false for every size is refused now with the `named` reason, the framework's message with
    the extents in it (written only then)."""
    call.require(condition, named() if condition is sympy.false else general, arg,
                 code="SC201")


# -- broadcasting and matmul --------------------------------------------------------------

def broadcast_extent(call: Call, a: Expr, b: Expr, axis: int) -> Expr:
    """numpy/torch broadcasting of two extents; the batch broadcasts only against 1."""
    if a == b or b == 1:
        return a
    if a == 1:
        return b
    if has_batch(a) or has_batch(b):
        raise call.fail(f"an extent of {extent_text(b if has_batch(a) else a)} would broadcast "
                        f"against the batch axis (only 1 does); {KEEPS_BATCH}", code="SC201")
    same = extent.equal(a, b)
    if same is sympy.true:
        return a
    need(call, sympy.Or(same, sympy.Eq(a, 1), sympy.Eq(b, 1)),
         f"the leading extents on axis {axis} must be equal (or 1)",
         lambda: f"the size of tensor a ({a}) must match the size of tensor b ({b}) at "
         f"non-singleton dimension {axis}")
    if extent.equal(a, ONE) is sympy.false:
        return a
    if extent.equal(b, ONE) is sympy.false:
        return b
    return sympy.Max(a, b)


def broadcast(call: Call, a: Shape, b: Shape) -> Shape:
    """Two batch shapes broadcast, aligned to the right."""
    n = max(len(a), len(b))
    a = (ONE,) * (n - len(a)) + tuple(a)
    b = (ONE,) * (n - len(b)) + tuple(b)
    return tuple(broadcast_extent(call, x, y, i) for i, (x, y) in enumerate(zip(a, b)))


def contract(call: Call, a: Expr, b: Expr, general: str, named: Callable[[], str]) -> None:
    """The two contracted extents of a product must be equal."""
    if has_batch(a) or has_batch(b):
        raise call.fail(f"the product would contract the batch axis; {KEEPS_BATCH}",
                        code="SC201")
    need(call, extent.equal(a, b), general, named)


def matmul(call: Call, a: Shape, b: Shape, names: tuple[str, str] = ("mat1", "mat2")) -> Shape:
    """torch.matmul / numpy.matmul on full shapes: 1-D operands get a 1 prepended (left) or
    appended (right) that is dropped afterwards; the last axis of a meets the second to last of
    b; the leading (batch) axes broadcast."""
    if not a or not b:
        raise call.fail(f"both arguments to matmul need to be at least 1D, but they are "
                        f"{len(a)}D and {len(b)}D", code="SC201")
    left, right = (ONE, *a) if len(a) == 1 else a, (*b, ONE) if len(b) == 1 else b
    m, k1 = left[-2], left[-1]
    k2, n = right[-2], right[-1]
    contract(call, k1, k2, f"the contracted extents must be equal ({names[0]}'s last, "
             f"{names[1]}'s second to last)", lambda: f"{names[0]} and {names[1]} shapes cannot "
             f"be multiplied ({_matrix(left)} and {_matrix(right)})")
    lead = broadcast(call, left[:-2], right[:-2])
    out = (*lead, *((m,) if len(a) > 1 else ()), *((n,) if len(b) > 1 else ()))
    return out


def _matrix(shape: Shape) -> str:
    return "x".join(extent_text(e) for e in shape[-2:])
