"""Keras 3 layers that move, repeat or cut elements without weights: UpSampling1D/2D/3D,
Cropping1D/2D/3D, ZeroPadding3D, Reshape, Permute, RepeatVector. Rules from
keras.src.layers.reshaping (Keras 3.15) and operation_utils.compute_reshape_output_shape.
"""

from __future__ import annotations

import sympy
from sympy import Expr, Integer

from .base import Call, LayerOutput, Param, register
from .common import divisible, product
from .keras_spatial import _join, _split

# Interpolations some Keras backend's image.resize takes: every backend nearest, bilinear and
# bicubic; jax and tensorflow lanczos3/5, tensorflow area too (the torch backend refuses those).
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area")


def _sequence(call: Call) -> tuple[Expr, Expr]:
    call.input_rank(2, "a sequence with channels")
    return call.input[0], call.input[1]


def up_sampling(rank: int):  # type: ignore[no-untyped-def]
    def keras_up_sampling(call: Call) -> LayerOutput:
        """UpSampling{rank}D: every spatial extent times its `size` factor (1-D: one int)."""
        if rank == 1:
            steps, channels = _sequence(call)
            if isinstance(call.raw("size"), tuple):
                raise call.fail("'size' must be a whole number, not a tuple", "size")
            return LayerOutput((steps * call.integer("size"), channels))
        spatial, channels, first = _split(call, rank)
        size = call.integers("size", rank)
        if rank == 2:
            call.choice("interpolation", INTERPOLATIONS, fold_case=True)
        out = tuple(L * f for L, f in zip(spatial, size))
        return LayerOutput(_join(out, channels, first))

    return keras_up_sampling


def _pair(call: Call, name: str, item: object) -> tuple[Expr, Expr]:
    """One axis's (before, after): an int for both sides or a pair, each ≥ 0."""
    if isinstance(item, tuple):
        if len(item) != 2:
            raise call.fail(f"each '{name}' entry needs 2 values (before, after)", name)
        return call.integer(name, 0, item[0]), call.integer(name, 0, item[1])
    v = call.integer(name, 0, item)
    return v, v


def _pairs(call: Call, name: str, rank: int, negative_int: bool = False) -> list[tuple[Expr, Expr]]:
    """Cropping/ZeroPadding {2,3}-D amounts: an int, or `rank` entries of ints or pairs.
    `negative_int`: a single int may be negative (ZeroPadding: it crops)."""
    v = call.raw(name)
    if not isinstance(v, tuple):
        p = call.integer(name, None if negative_int else 0)
        return [(p, p)] * rank
    if len(v) != rank:
        raise call.fail(f"'{name}' needs {rank} entries, got {len(v)}", name)
    return [_pair(call, name, item) for item in v]


def cropping(rank: int):  # type: ignore[no-untyped-def]
    def keras_cropping(call: Call) -> LayerOutput:
        """Cropping{rank}D: each spatial extent less its two croppings; at least 1 must remain."""
        if rank == 1:
            steps, channels = _sequence(call)
            v = call.raw("cropping")
            if isinstance(v, tuple) and len(v) != 2:
                raise call.fail("'cropping' must be an int or a pair (left, right)", "cropping")
            spatial, pairs, first = (steps,), [_pair(call, "cropping", v)], False
        else:
            spatial, channels, first = _split(call, rank)
            pairs = _pairs(call, "cropping", rank)
        out = tuple(L - a - b for L, (a, b) in zip(spatial, pairs))
        for e in out:
            call.require(sympy.Ge(e, 1), "'cropping' must be smaller than the input extent",
                         "cropping")
        return LayerOutput(_join(out, channels, first))

    return keras_cropping


def zero_padding_3d(call: Call) -> LayerOutput:
    """ZeroPadding3D: each spatial extent grows by its two paddings; a single negative int crops
    (Keras 3.15 passes it to ops.pad), down to 0 but not below."""
    spatial, channels, first = _split(call, 3)
    pairs = _pairs(call, "padding", 3, negative_int=True)
    out = tuple(L + a + b for L, (a, b) in zip(spatial, pairs))
    for e in out:
        call.require(sympy.Ge(e, 0), "negative padding crops more than the input has", "padding")
    return LayerOutput(_join(out, channels, first))


def reshape(call: Call) -> LayerOutput:
    """Reshape(target_shape): the same number of elements; one entry may be -1, inferred as
    ∏ input / ∏ the others (which must divide it)."""
    target = call.raw("target_shape")
    if not isinstance(target, tuple):
        raise call.fail("'target_shape' must be a tuple, e.g. (4, -1)", "target_shape")
    dims = [Integer(-1) if x == -1 else call.integer("target_shape", 0, x) for x in target]
    unknown = [i for i, x in enumerate(dims) if x == -1]
    if len(unknown) > 1:
        raise call.fail("'target_shape' may have at most one -1", "target_shape")
    size = product(call.input)
    known = product([x for x in dims if x != -1])
    if not unknown:
        call.require(sympy.Eq(size, known), "'target_shape' must hold as many elements as the "
                     "input", "target_shape")
        return LayerOutput(tuple(dims))
    call.require(sympy.Ge(known, 1), "'target_shape' has a 0 beside its -1", "target_shape")
    divisible(call, size, known, "the input's size must be divisible by the product of the "
              "known entries of 'target_shape'", "target_shape")
    dims[unknown[0]] = size / known
    return LayerOutput(tuple(dims))


def permute(call: Call) -> LayerOutput:
    """Permute(dims): dims is a permutation of 1..rank (axes counted from 1, the batch axis
    stays); output extent i is input extent dims[i]."""
    dims = call.raw("dims")
    if not isinstance(dims, tuple) or not all(
            isinstance(d, sympy.Integer) for d in dims):
        raise call.fail("'dims' must be a tuple of whole numbers, e.g. (2, 1)", "dims")
    order = [int(d) for d in dims]  # type: ignore[arg-type]
    if sorted(order) != list(range(1, len(order) + 1)):
        raise call.fail("'dims' must hold each of 1 … n once (axes are counted from 1)", "dims")
    call.input_rank(len(order), f"an input with {len(order)} axes, as 'dims' has")
    return LayerOutput(tuple(call.input[d - 1] for d in order))


def repeat_vector(call: Call) -> LayerOutput:
    """RepeatVector(n): (C,) → (n, C)."""
    call.input_rank(1, "a vector")
    return LayerOutput((call.integer("n"), call.input[0]))


_DF = (Param("data_format", None),)
_TWO = Integer(2)
_ONES = (Integer(1), Integer(1))
register("keras", "UpSampling1D", (Param("size", _TWO),), up_sampling(1),
         "Keras UpSampling1D: (L, C) → (size·L, C)", "resize")
register("keras", "UpSampling2D", (Param("size", (_TWO, _TWO)), *_DF,
                                   Param("interpolation", "nearest")), up_sampling(2),
         "Keras UpSampling2D: (H, W, C) → (size_h·H, size_w·W, C)", "resize")
register("keras", "UpSampling3D", (Param("size", (_TWO,) * 3), *_DF), up_sampling(3),
         "Keras UpSampling3D: every spatial extent times its size factor", "resize")
register("keras", "Cropping1D", (Param("cropping", _ONES),), cropping(1),
         "Keras Cropping1D: L − left − right ≥ 1", "padding")
register("keras", "Cropping2D", (Param("cropping", ((Integer(0),) * 2,) * 2), *_DF),
         cropping(2), "Keras Cropping2D: H − top − bottom, W − left − right, each ≥ 1", "padding")
register("keras", "Cropping3D", (Param("cropping", (_ONES,) * 3), *_DF), cropping(3),
         "Keras Cropping3D: each spatial extent less its two croppings, ≥ 1", "padding")
register("keras", "ZeroPadding3D", (Param("padding", (_ONES,) * 3), *_DF), zero_padding_3d,
         "Keras ZeroPadding3D: each spatial extent + before + after", "padding")
register("keras", "Reshape", (Param("target_shape"),), reshape,
         "Keras Reshape: target_shape with one -1 inferred; element count unchanged", "reshape")
register("keras", "Permute", (Param("dims"),), permute,
         "Keras Permute: reorders the non-batch axes by dims (1-based)", "reshape")
register("keras", "RepeatVector", (Param("n"),), repeat_vector,
         "Keras RepeatVector: (C,) → (n, C)", "reshape")
