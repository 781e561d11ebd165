"""PyTorch's tensor operations as functions of their tensors: view, reshape, permute, transpose,
select (and `x[i]`), flatten, unsqueeze, squeeze, expand, chunk, split, contiguous, matmul,
softmax, mean and scaled_dot_product_attention. Rules and messages from torch 2.13 (ATen's TensorShape.cpp,
LinearAlgebra.cpp, InferSize.h), each checked against the real op in tests/test_tensor_ops.py.

Written as methods, `x.view(x.shape[0], -1)`, or as functions with the tensor first,
`view(x, x.shape[0], -1)` (view and expand exist only as methods in torch: the function form is
symconv's spelling of the method; verify runs the method). Dims count the batch axis as torch does (dim 0 is the
batch); the batch is handled as tensor_shapes.py says: kept first and apart, or refused. Sizes
given one by one (`x.view(2, 3)`) or as one tuple or list (`x.view((2, 3))`) are the same.
"""

from __future__ import annotations

import sympy
from sympy import Expr, Integer

from ..errors import shown
from ..maths import extent
from .base import REQUIRED, Call, LayerOutput, Param, register
from .common import product
from . import tensor_shapes as ts
from .tensor_shapes import BATCH, KEEPS_BATCH, Shape

# the slots of a size list given one by one (`x.view(2, 3, 4)`): the first is the parameter's
# own; the others have names no keyword can spell
VARARGS = tuple(f"*{i}" for i in range(2, 9))


def _varargs(first: str, default: object = REQUIRED) -> tuple[Param, ...]:
    return (Param(first, default), *(Param(n, None) for n in VARARGS))


def sizes(call: Call, first: str) -> tuple[object, ...]:
    """The sizes given one by one, or as one tuple (torch takes both, not a mix)."""
    value = call.raw(first)
    rest = [call.raw(n) for n in VARARGS if call.given(n)]
    if isinstance(value, tuple):
        if rest:
            raise call.fail(f"'{first}' must be whole numbers, not a tuple among them", first)
        return value
    return (value, *rest)


def _entries(call: Call, first: str) -> list[Expr]:
    return [ts.entry(call, v, first) for v in sizes(call, first)]


def reshape(call: Call) -> LayerOutput:
    """view / reshape(*shape): the element count is kept, one -1 is inferred; on a network
    tensor the first size is the batch, x.shape[0] or -1 (view's stride rule is not checked:
    a view after a permute, which torch refuses, is verified by `symconv verify`)."""
    target = _entries(call, "shape")
    if call.batched[0] and not target:
        raise call.fail(f"the first size must be the batch, x.shape[0] or -1; {KEEPS_BATCH}",
                        "shape")
    if call.batched[0] and target[0] not in (BATCH, -1):
        raise call.fail(f"the first size must be the batch, x.shape[0] or -1, not "
                        f"{ts.shape_text(target[:1])[1:-1]}; {KEEPS_BATCH}", "shape",
                        code="SC201")
    return ts.result(call, ts.reshape(call, ts.full(call), target, "shape"),
                     f"{call.spec.type} to {ts.shape_text(target)}")


def permute(call: Call) -> LayerOutput:
    """permute(*dims): dims a permutation of the input's dims (the batch stays at 0)."""
    source = ts.full(call)
    dims = sizes(call, "dims")
    if len(dims) != len(source):
        raise call.fail(f"number of dims don't match in permute: the input has "
                        f"{len(source)} dims (batch included) but dims has {len(dims)}", "dims",
                        code="SC201")
    order = [ts.dim_index(call, d, len(source), "dims", batch_ok=True) for d in dims]
    if len(set(order)) != len(order):
        raise call.fail("permute(): duplicate dims are not allowed", "dims", code="SC201")
    return ts.result(call, tuple(source[d] for d in order), f"permute{tuple(order)}")


def transpose(call: Call) -> LayerOutput:
    """transpose(dim0, dim1): the two dims swap (neither may be the batch unless both are)."""
    source = list(ts.full(call))
    a = ts.dim_index(call, call.raw("dim0"), len(source), "dim0", batch_ok=True)
    b = ts.dim_index(call, call.raw("dim1"), len(source), "dim1", batch_ok=True)
    source[a], source[b] = source[b], source[a]
    return ts.result(call, tuple(source), f"transpose({a}, {b})")


def select(call: Call) -> LayerOutput:
    """select(dim, index), and `x[index]` (dim 0): one slice along dim, which goes; the index
    in [−extent, extent) (torch's IndexError otherwise, an empty axis included). Along the batch
    axis it is refused: symconv keeps the batch apart."""
    source = ts.full(call)
    dim = ts.dim_index(call, call.raw("dim"), len(source), "dim")
    index = call.integer("index", None)
    length = source[dim]
    ts.need(call, sympy.And(sympy.Ge(index, -length), sympy.Lt(index, length)),
            f"index {shown(index)} must lie within the extent at dimension {dim}",
            lambda: f"select(): index {shown(index)} out of range for tensor of size "
            f"{ts.shape_text(list(source))} at dimension {dim}", "index")
    return ts.result(call, (*source[:dim], *source[dim + 1:]), f"select({dim}, {index})")


def flatten(call: Call) -> LayerOutput:
    """torch.flatten(x, start_dim=0, end_dim=-1): dims start..end become one. The function's
    start_dim defaults to 0, the batch (nn.Flatten's to 1): flatten(x) on a network tensor is
    refused; write flatten(x, 1)."""
    source = ts.full(call)
    rank = max(len(source), 1)
    start = ts.dim_index(call, call.raw("start_dim"), rank, "start_dim", batch_ok=True)
    end = ts.dim_index(call, call.raw("end_dim"), rank, "end_dim", batch_ok=True)
    if start > end:
        raise call.fail("flatten() has invalid args: start_dim cannot come after end_dim",
                        "start_dim", code="SC201")
    if not source:
        return ts.result(call, (Integer(1),), "flatten")
    if start == 0 and end > 0 and call.batched[0]:
        raise call.fail(f"flatten from start_dim=0 merges the batch axis; {KEEPS_BATCH}",
                        "start_dim", code="SC201",
                        hint="torch.flatten's start_dim defaults to 0: write flatten(x, 1)")
    out = (*source[:start], product(source[start:end + 1]), *source[end + 1:])
    return ts.result(call, out, "flatten")


def unsqueeze(call: Call) -> LayerOutput:
    """unsqueeze(dim): a new axis of 1 at dim, in [-rank-1, rank]."""
    source = ts.full(call)
    dim = ts.dim_index(call, call.raw("dim"), len(source) + 1, "dim")
    return ts.result(call, (*source[:dim], Integer(1), *source[dim:]), f"unsqueeze({dim})")


def squeeze(call: Call) -> LayerOutput:
    """squeeze(dim=None): the named dims (an int or a tuple) go where their extent is 1 and
    stay otherwise. An extent that may or may not be 1 is recorded as a condition (named: = 1,
    the axis goes; with no dim: ≠ 1, it stays), never guessed. With no dim every extent-1 axis
    goes, the batch too when it is 1: refused on a network tensor (give dim)."""
    source = ts.full(call)
    value = call.raw("dim")
    if value is None:
        if call.batched[0]:
            raise call.fail("squeeze() with no dim would also remove the batch axis when the "
                            f"batch is 1; {KEEPS_BATCH}", code="SC201",
                            hint="name the axes: x.squeeze(-1)")
        dims = list(range(len(source)))
    else:
        items = value if isinstance(value, tuple) else (value,)
        dims = [ts.dim_index(call, d, len(source), "dim") for d in items]
    gone = set()
    for d in dims:
        if _squeezes(call, source[d], value is not None, d):
            gone.add(d)
    return ts.result(call, tuple(e for i, e in enumerate(source) if i not in gone), "squeeze")


def _squeezes(call: Call, e: Expr, named: bool, d: int) -> bool:
    one = extent.equal(e, Integer(1))
    if one is sympy.true:
        return True
    if one is sympy.false:
        return False
    if not named:  # squeeze() with no dim: an extent that may be 1 must not be (else it goes)
        call.require(sympy.Not(one), f"squeeze() keeps axis {d} only where its extent is "
                     "not 1 (the result's rank would depend on the sizes)", code="SC201")
        return False
    call.require(one, f"squeeze({d}) removes the axis only where its extent is 1 (the "
                 "result's rank would depend on the sizes)", "dim", code="SC201")
    return True


def expand(call: Call) -> LayerOutput:
    """expand(*sizes): -1 keeps an extent; an extent of 1 grows to any size; new axes come
    first (not -1). On a free parameter the first size may be the batch, x.shape[0]: the
    result is then a network tensor (`cls.expand(x.shape[0], -1, -1)`)."""
    source = ts.full(call)
    target = _entries(call, "size")
    if len(target) < len(source):
        raise call.fail(f"the number of sizes provided ({len(target)}) must be greater or "
                        f"equal to the number of dimensions in the tensor ({len(source)})",
                        "size", code="SC201")
    lead = len(target) - len(source)
    out = []
    for i, e in enumerate(target):
        if i < lead:
            if e == -1:
                raise call.fail(f"the expanded size of the tensor (-1) isn't allowed in a "
                                f"leading, non-existing dimension {i}", "size", code="SC201")
            out.append(e)
            continue
        out.append(_expanded(call, source[i - lead], e, i, target, source))
    return ts.result(call, tuple(out), f"expand to {ts.shape_text(target)}")


def _expanded(call: Call, have: Expr, want: Expr, i: int, target: list[Expr],
              source: Shape) -> Expr:
    if want == -1 or want == have:
        return have
    if have == 1:
        return want
    def message() -> str:
        return (f"the expanded size of the tensor ({ts.extent_text(want)}) must match the "
                f"existing size ({ts.extent_text(have)}) at non-singleton dimension {i}.  "
                f"Target sizes: {ts.shape_text(target)}.  Tensor sizes: "
                f"{ts.shape_text(source)}")

    if ts.has_batch(have) or ts.has_batch(want):
        raise call.fail(message(), "size", code="SC201")
    ts.need(call, sympy.Or(extent.equal(have, want), extent.equal(have, Integer(1))),
            f"the expanded size at dimension {i} must equal the existing extent, or that "
            "extent be 1", message, "size")
    return want


def chunk(call: Call) -> LayerOutput:
    """chunk(chunks, dim=0): pieces of ⌈L/chunks⌉, the last smaller; torch gives
    ⌈L/⌈L/chunks⌉⌉ pieces, which may be fewer than asked (L = 6, chunks = 4: 3 pieces). With a
    symbolic L the count is `chunks` under the recorded condition that the last piece is not
    empty (or L = 0: torch then gives `chunks` empty pieces)."""
    source = ts.full(call)
    raw = call.raw("chunks")
    count = call.integer("chunks", None)
    if not count.is_Integer:
        raise call.fail(f"'chunks' must be a number: the count of results, {count}, would "
                        "depend on the sizes", "chunks")
    if count < 1:
        raise call.fail(f"chunk expects `chunks` to be greater than 0, got: {raw}", "chunks",
                        code="SC201")
    dim = ts.dim_index(call, call.raw("dim"), len(source), "dim")
    length = source[dim]
    piece = sympy.ceiling(length / count)
    if length.is_Integer:
        n = ts.pieces(call, count if length == 0 else -(-int(length) // int(piece)), "chunks")
    else:
        n = ts.pieces(call, count, "chunks")
        last = length - (n - 1) * piece
        call.require(sympy.Or(sympy.Ge(last, 1), sympy.Eq(length, 0)),
                     f"chunk({count}) gives {count} pieces only where the last is not empty; "
                     "torch gives fewer otherwise",
                     "chunks", code="SC201")
    pieces = [piece] * (n - 1) + [length - (n - 1) * piece] if length != 0 else [length] * n
    return ts.results(call, [_with(source, dim, p) for p in pieces], f"chunk({count})")


def _with(shape: Shape, dim: int, value: Expr) -> Shape:
    return (*shape[:dim], value, *shape[dim + 1:])


def split(call: Call) -> LayerOutput:
    """split(split_size_or_sections, dim=0): an int s gives pieces of s, the last smaller
    (⌈L/s⌉ pieces, one empty piece when L = 0; s = 0 only when L = 0); a list of sizes must
    sum to L."""
    source = ts.full(call)
    dim = ts.dim_index(call, call.raw("dim"), len(source), "dim")
    length = source[dim]
    value = call.raw("split_size_or_sections")
    if isinstance(value, tuple):
        parts = [call.integer("split_size_or_sections", 0, v) for v in value]
        total = sympy.Add(*parts)
        ts.need(call, sympy.Eq(total, length), f"the split sizes must sum to the extent at "
                f"dimension {dim}", lambda: f"split_with_sizes expects split_sizes to sum "
                f"exactly to {shown(length)} (input tensor's size at dimension {dim}), but got "
                f"split_sizes={ts.shape_text(parts)}", "split_size_or_sections")
        return ts.results(call, [_with(source, dim, p) for p in parts], "split")
    size = call.integer("split_size_or_sections", 0)
    if length == 0:
        return ts.results(call, [source], "split")
    if size == 0:
        raise call.fail(f"split_size can only be 0 if dimension size is 0, but got dimension "
                        f"size of {length}", "split_size_or_sections", code="SC201")
    n = sympy.ceiling(length / size)
    if not n.is_Integer:
        raise call.fail(f"the count of pieces, ⌈{length}/{size}⌉, would depend on the sizes",
                        "split_size_or_sections",
                        hint="give the sizes as a list, e.g. split(x, [a, b], dim)")
    pieces = [size] * (ts.pieces(call, n, "split_size_or_sections") - 1) \
        + [length - (n - 1) * size]
    return ts.results(call, [_with(source, dim, p) for p in pieces], "split")


def contiguous(call: Call) -> LayerOutput:
    """x.contiguous(): shape unchanged (the copy a view after a permute needs)."""
    return ts.result(call, ts.full(call), "contiguous")


def matmul(call: Call) -> LayerOutput:
    """torch.matmul(a, b): 1-D operands get a 1 prepended or appended and dropped; the last
    axis of a meets the second to last of b; the leading axes broadcast."""
    out = ts.matmul(call, ts.full(call, 0), ts.full(call, 1))
    return ts.result(call, out, "matmul")


def softmax(call: Call) -> LayerOutput:
    """F.softmax(x, dim): shape unchanged; dim in range (it may be None: torch then picks)."""
    source = ts.full(call)
    if call.raw("dim") is not None:
        ts.dim_index(call, call.raw("dim"), len(source), "dim", batch_ok=True)
    return ts.result(call, source, "softmax")


def mean(call: Call) -> LayerOutput:
    """x.mean(dim=None, keepdim=False), torch.mean(x, dim, keepdim): the dims (an int, or a
    tuple or list) are averaged away, or kept as extents of 1 with keepdim. No dim, or an empty
    list, reduces every axis, as torch does: on a network tensor that takes in the batch,
    refused; so is dim 0, the batch. A dim named twice is torch's error."""
    source = ts.full(call)
    value = call.raw("dim")
    keep = call.flag("keepdim")
    items = value if isinstance(value, tuple) else () if value is None else (value,)
    if not items:
        if call.batched[0]:
            raise call.fail(f"mean over every axis (dim=None or an empty list) takes in the "
                            f"batch axis; {KEEPS_BATCH}", "dim" if value is not None else None,
                            code="SC201", hint="name the axes: x.mean([2, 3])")
        items = tuple(range(len(source)))
    dims = [ts.dim_index(call, d, len(source), "dim") for d in items]
    for i, d in enumerate(dims):
        if d in dims[:i]:
            raise call.fail(f"dim {d} appears multiple times in the list of dims", "dim",
                            code="SC201")
    out = tuple(Integer(1) if i in dims else e for i, e in enumerate(source)
                if keep or i not in dims)
    return ts.result(call, out, f"mean{tuple(dims)}")


def attention(call: Call) -> LayerOutput:
    """F.scaled_dot_product_attention(q, k, v): (…, L, E) and (…, S, E) and (…, S, Ev) give
    (…, L, Ev); the leading axes broadcast; q, k and v are each at least 2-D."""
    q, k, v = (ts.full(call, i) for i in range(3))
    if min(len(q), len(k), len(v)) < 2:
        raise call.fail(f"expected query, key, and value to all be at least 2 dimensional, "
                        f"but got query.dim: {len(q)} key.dim: {len(k)} and value.dim: "
                        f"{len(v)} instead", code="SC201")
    ts.contract(call, q[-1], k[-1], "the query's and the key's last extents must be equal",
                lambda: f"the query's last extent {q[-1]} and the key's {k[-1]} must be equal")
    ts.contract(call, k[-2], v[-2], "the key's and the value's lengths must be equal",
                lambda: f"the key's length {k[-2]} and the value's {v[-2]} must be equal")
    call.real("dropout_p", 0, 1, inclusive_high=True)
    call.flag("is_causal")
    if call.raw("scale") is not None:
        call.real("scale")
    if call.flag("enable_gqa"):
        raise call.fail("enable_gqa=True is not supported", "enable_gqa")
    if call.raw("attn_mask") is not None:
        raise call.fail("attn_mask is not supported (symconv passes no mask tensor)",
                        "attn_mask", hint="use is_causal=True for a causal mask")
    lead = ts.broadcast(call, ts.broadcast(call, q[:-2], k[:-2]), v[:-2])
    return ts.result(call, (*lead, q[-2], v[-1]), "scaled_dot_product_attention")


def _register(name: str, params: tuple[Param, ...], fn, doc: str,  # type: ignore[no-untyped-def]
              arity: tuple[int, int | None] = (1, 1)) -> None:
    register("torch", name, params, fn, doc, "functional", common=(), arity=arity)


for _name in ("view", "reshape"):
    _register(_name, _varargs("shape"), reshape,
              f"x.{_name}(*shape): element count kept, one -1 inferred; first size the batch")
_register("permute", _varargs("dims"), permute, "x.permute(*dims): dims reordered")
_register("transpose", (Param("dim0"), Param("dim1")), transpose,
          "x.transpose(dim0, dim1): two dims swapped")
_register("select", (Param("dim"), Param("index")), select,
          "torch.select(x, dim, index), x[index]: the axis dim goes (x[:, -1] is dim=1, "
          "index=-1)")
_register("flatten", (Param("start_dim", Integer(0)), Param("end_dim", Integer(-1))), flatten,
          "torch.flatten(x, start_dim=0, end_dim=-1): dims start..end as one")
_register("unsqueeze", (Param("dim"),), unsqueeze, "x.unsqueeze(dim): a new axis of 1")
_register("squeeze", (Param("dim", None),), squeeze,
          "x.squeeze(dim): axes of extent 1 removed")
_register("expand", _varargs("size"), expand,
          "x.expand(*sizes): extents of 1 grown, -1 kept, new leading axes")
_register("chunk", (Param("chunks"), Param("dim", Integer(0))), chunk,
          "x.chunk(chunks, dim=0): several pieces of ⌈L/chunks⌉")
_register("split", (Param("split_size_or_sections"), Param("dim", Integer(0))), split,
          "x.split(size or sizes, dim=0): several pieces")
_register("contiguous", (), contiguous, "x.contiguous(): shape unchanged")
_register("matmul", (), matmul, "torch.matmul(a, b): matrix product, broadcast", (2, 2))
_register("softmax", (Param("dim", None), Param("dtype", None)), softmax,
          "F.softmax(x, dim): shape unchanged")
_register("mean", (Param("dim", None), Param("keepdim", False)), mean,
          "x.mean(dim, keepdim=False): the dims averaged away (kept as 1 with keepdim)")
_register("scaled_dot_product_attention", (
    Param("attn_mask", None), Param("dropout_p", Integer(0)), Param("is_causal", False),
    Param("scale", None), Param("enable_gqa", False)), attention,
    "F.scaled_dot_product_attention(q, k, v): (…, L, E), (…, S, E), (…, S, Ev) → (…, L, Ev)",
    (3, 3))
