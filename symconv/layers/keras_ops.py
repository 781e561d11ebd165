"""keras.ops tensor operations a Keras functional graph writes: reshape, transpose,
expand_dims, squeeze, split, matmul and softmax. Rules and messages from Keras 3.15
(keras.src.ops.numpy, operation_utils: compute_reshape_output_shape,
compute_transpose_output_shape, compute_expand_dims_output_shape, compute_matmul_output_shape,
_compute_split_output_spec), checked against the real ops in tests/test_tensor_ops.py.

Axes count the batch axis as Keras does (axis 0 is the batch, None in a functional graph); the
batch is handled as tensor_shapes.py says: kept first and apart, or refused. A reshape names the
batch with -1 (Keras's x.shape[0] is None, which the backend cannot reshape to).
"""

from __future__ import annotations

import sympy
from sympy import Integer

from ..errors import shown
from ..maths import extent
from . import tensor_shapes as ts
from .base import Call, LayerOutput, Param, register
from .tensor_shapes import KEEPS_BATCH


def _axes(call: Call, name: str) -> tuple[object, ...]:
    value = call.raw(name)
    return value if isinstance(value, tuple) else (value,)


def reshape(call: Call) -> LayerOutput:
    """keras.ops.reshape(x, newshape): the element count kept, one -1 inferred; on a network
    tensor the first entry is -1, inferred as the batch (Keras checks the count only on the
    backend: torch's message)."""
    value = call.raw("newshape")
    items = value if isinstance(value, tuple) else (value,)
    target = [ts.entry(call, v, "newshape") for v in items]
    if call.batched[0] and (not target or target[0] != -1):
        raise call.fail(f"the first entry must be -1, the batch (Keras's batch is None); "
                        f"{KEEPS_BATCH}", "newshape", code="SC201")
    # the batch's -1 infers the batch itself; anything else it infers is refused at read-back
    return ts.result(call, ts.reshape(call, ts.full(call), target, "newshape"),
                     f"reshape to {ts.shape_text(target)}")


def transpose(call: Call) -> LayerOutput:
    """keras.ops.transpose(x, axes=None): axes a permutation (None reverses them all; the
    batch must stay first)."""
    source = ts.full(call)
    if call.raw("axes") is None:
        return ts.result(call, source[::-1], "transpose with axes=None (reversed)")
    axes = _axes(call, "axes")
    n = len(source)
    if len(axes) != n:
        raise call.fail(f"axis must be a list of the same length as the input shape, "
                        f"expected {n}, but received {len(axes)}", "axes", code="SC201")
    order = [ts.dim_index(call, a, n, "axes", batch_ok=True) for a in axes]
    if len(set(order)) != n:
        given = [int(a) for a in axes]  # type: ignore[call-overload]
        raise call.fail(f"`axes` must be a valid permutation of the input dimensions (no "
                        f"duplicates). Received: axes={given} for input of rank {n}", "axes",
                        code="SC201")
    return ts.result(call, tuple(source[a] for a in order), f"transpose{tuple(order)}")


def expand_dims(call: Call) -> LayerOutput:
    """keras.ops.expand_dims(x, axis): a new axis of 1 at each axis (an int or a tuple),
    counted in the output's rank."""
    source = ts.full(call)
    axes = _axes(call, "axis")
    rank = len(source) + len(axes)
    where = {ts.dim_index(call, a, rank, "axis", batch_ok=True) for a in axes}
    rest = iter(source)
    out = tuple(Integer(1) if i in where else next(rest) for i in range(rank))
    return ts.result(call, out, "expand_dims")


def squeeze(call: Call) -> LayerOutput:
    """keras.ops.squeeze(x, axis=None): each named axis must be 1 ("Cannot squeeze axis"),
    a condition where the extent may be 1; the batch (None) cannot be squeezed; with no axis
    every extent-1 axis goes, refused on a network tensor (the batch too when it is 1)."""
    source = ts.full(call)
    if call.raw("axis") is None:
        if call.batched[0]:
            raise call.fail("squeeze() with no axis would also remove the batch axis when the "
                            f"batch is 1; {KEEPS_BATCH}", code="SC201",
                            hint="name the axes: keras.ops.squeeze(x, axis=-1)")
        return ts.result(call, tuple(e for e in source if e != 1), "squeeze")
    axes = {ts.dim_index(call, a, len(source), "axis") for a in _axes(call, "axis")}
    for a in sorted(axes):
        one = extent.equal(source[a], Integer(1))
        ts.need(call, one, f"axis {a} must have extent 1 to be squeezed",
                lambda a=a: f"cannot squeeze axis {a}, because the dimension "
                f"({shown(source[a])}) is not 1", "axis")
    return ts.result(call, tuple(e for i, e in enumerate(source) if i not in axes), "squeeze")


def split(call: Call) -> LayerOutput:
    """keras.ops.split(x, indices_or_sections, axis=0): an int n gives n equal pieces (the
    extent must divide); a list of indices cuts at them (nondecreasing, within the extent)."""
    source = ts.full(call)
    axis = ts.dim_index(call, call.raw("axis"), len(source), "axis")
    length = source[axis]
    value = call.raw("indices_or_sections")
    if isinstance(value, tuple):
        cuts = [Integer(0), *(call.integer("indices_or_sections", 0, v) for v in value), length]
        for a, b in zip(cuts, cuts[1:]):
            call.require(sympy.Le(a, b), "the indices must be nondecreasing and within the "
                         "extent (else a piece's size would be negative, which Keras refuses)",
                         "indices_or_sections", code="SC201")
        sizes = [b - a for a, b in zip(cuts, cuts[1:])]
    else:
        n = call.integer("indices_or_sections")
        if not n.is_Integer:
            raise call.fail(f"'indices_or_sections' must be a number: the count of results, "
                            f"{shown(n)}, would depend on the sizes", "indices_or_sections")
        ts.need(call, sympy.Eq(sympy.Mod(length, n), 0), f"the extent on axis {axis} must be "
                f"divisible by {n}", lambda: f"`x` size on given `axis` must be divisible by "
                f"`indices_or_sections` when `indices_or_sections` is an int. But received "
                f"{length} and {n}", "indices_or_sections")
        sizes = [length / n] * ts.pieces(call, n, "indices_or_sections")
    return ts.results(call, [(*source[:axis], s, *source[axis + 1:]) for s in sizes], "split")


def matmul(call: Call) -> LayerOutput:
    """keras.ops.matmul(x1, x2): numpy's rule (1-D operands promoted, then dropped; the
    leading axes broadcast)."""
    a, b = ts.full(call, 0), ts.full(call, 1)
    if a and b:
        inner_a = a[-1]
        inner_b = b[0] if len(b) == 1 else b[-2]
        ts.contract(call, inner_a, inner_b, "the inner extents (x1's last, x2's second to "
                    "last) must be equal", lambda: "inner dimensions (`x1.shape[-1]` and "
                    f"`x2.shape[-2]`) must be equal, but received `x1.shape="
                    f"{ts.shape_text(a)}` and `x2.shape={ts.shape_text(b)}`")
    return ts.result(call, ts.matmul(call, a, b), "matmul")


def softmax(call: Call) -> LayerOutput:
    """keras.ops.softmax(x, axis=-1): shape unchanged; the axis in range."""
    source = ts.full(call)
    ts.dim_index(call, call.raw("axis"), len(source), "axis", batch_ok=True)
    return ts.result(call, source, "softmax")


def _register(name: str, params: tuple[Param, ...], fn, doc: str,  # type: ignore[no-untyped-def]
              arity: tuple[int, int | None] = (1, 1)) -> None:
    register("keras", name, params, fn, doc, "functional", common=(), arity=arity)


_register("reshape", (Param("newshape"),), reshape,
          "keras.ops.reshape(x, newshape): element count kept, one -1; the batch as -1")
_register("transpose", (Param("axes", None),), transpose,
          "keras.ops.transpose(x, axes): axes reordered (the batch stays first)")
_register("expand_dims", (Param("axis"),), expand_dims,
          "keras.ops.expand_dims(x, axis): new axes of 1")
_register("squeeze", (Param("axis", None),), squeeze,
          "keras.ops.squeeze(x, axis): axes of extent 1 removed")
_register("split", (Param("indices_or_sections"), Param("axis", Integer(0))), split,
          "keras.ops.split(x, n or indices, axis=0): several pieces")
_register("matmul", (), matmul, "keras.ops.matmul(x1, x2): matrix product, broadcast", (2, 2))
_register("softmax", (Param("axis", Integer(-1)),), softmax,
          "keras.ops.softmax(x, axis=-1): shape unchanged")
