"""PyTorch layers that resize or reshape a tensor without weights: Upsample, the padding layers
(ConstantPad, ReflectionPad, ReplicationPad, ZeroPad1d/3d), Unflatten, PixelShuffle,
PixelUnshuffle and Identity. Rules from torch/nn/modules (upsampling.py, padding.py,
flatten.py, pixelshuffle.py), F.interpolate, F.pad and ATen's padding checks (torch 2.13).
"""

from __future__ import annotations

import math

import sympy
from sympy import Expr, Integer
from sympy.printing.precedence import PRECEDENCE

from ..errors import shown
from ..maths import extent
from .base import Call, LayerOutput, Param, register
from .common import divisible, product

# -- Upsample ------------------------------------------------------------------------------

MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
MODE_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}  # spatial axes


class FloatScaled(sympy.Function):
    """trunc(L ⊗ s): L times the double nearest s, rounded to a double, truncated. This is how
    F.interpolate sizes an output from a float scale (C++ floor(L * scale), or Python
    int(L * scale) with recompute_scale_factor), and it is not floor(L·s) in exact arithmetic:
    90 × 0.7 gives 62 (the double 0.7 is a little less than 7/10). Evaluates once L is a number;
    prints as floor(L*0.7), the float literal marking the double product."""

    is_integer = True

    @classmethod
    def eval(cls, extent: Expr, scale: Expr) -> Expr | None:
        if extent.is_Integer:
            return Integer(scaled(int(extent), float(scale)))
        return None

    def integer_function(self, compile_arg):  # type: ignore[no-untyped-def]
        """For symconv.maths.integers: the value at integer points, from the compiled extent."""
        extent, scale = compile_arg(self.args[0]), float(self.args[1])
        return lambda v: scaled(int(extent(v)), scale)

    def _eval_is_nonnegative(self) -> bool | None:  # the extent is a positive size
        return self.args[1].is_nonnegative

    def _parts(self, printer) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
        """(function, extent, scale): trunc and floor agree for a non-negative scale, and
        floor reads better; the float literal says the product is a double."""
        name = "floor" if self.args[1] >= 0 else "trunc"
        # the extent is a factor of the product: a sum in it needs its parentheses
        extent = printer.parenthesize(self.args[0], PRECEDENCE["Mul"])
        return name, extent, repr(float(self.args[1]))

    def _sympystr(self, printer) -> str:  # type: ignore[no-untyped-def]
        name, extent, scale = self._parts(printer)
        return f"{name}({extent}*{scale})"

    def _latex(self, printer) -> str:  # type: ignore[no-untyped-def]
        name, extent, scale = self._parts(printer)
        if name == "floor":
            return rf"\left\lfloor {extent} \cdot {scale} \right\rfloor"
        return rf"\operatorname{{trunc}}\left({extent} \cdot {scale}\right)"


def scaled(length: int, scale: float) -> int:
    """trunc(L ⊗ s) as F.interpolate computes it: the int times the double, a double, truncated."""
    return math.trunc(length * scale)


def _dyadic(scale: Expr) -> bool:
    """Whether `scale` is a whole number or a fraction over a power of two: then the double
    arithmetic is exact and floor(L·s) is the closed form."""
    q = int(sympy.fraction(scale)[1])
    return q & (q - 1) == 0


def scaled_extent(L: Expr, scale: Expr) -> Expr:
    """The output extent F.interpolate gives L for a scale factor."""
    if not scale.is_number:  # a whole-number expression in sizes: exact
        return sympy.expand(L * scale)
    if L.is_Integer or not _dyadic(scale):
        return FloatScaled(L, scale)
    p, q = sympy.fraction(abs(scale))
    whole = extent.affine_floor(sympy.expand(L * p), Integer(0), q, Integer(0))
    return whole if scale >= 0 else -whole


def _upsample_sizes(call: Call, spatial: tuple[Expr, ...]) -> tuple[Expr, ...]:
    rank = len(spatial)
    size, scale = call.raw("size"), call.raw("scale_factor")
    if not isinstance(scale, tuple) and scale is not None and scale == 0:
        scale = None  # Upsample keeps `float(scale_factor) if scale_factor else None`
    if size is not None and scale is not None:
        raise call.fail("only one of size or scale_factor should be defined", "size")
    if size is None and scale is None:
        raise call.fail("either size or scale_factor should be defined", "size")
    if call.raw("recompute_scale_factor") is not None:
        if call.flag("recompute_scale_factor") and size is not None:
            raise call.fail("recompute_scale_factor is not meaningful with an explicit size",
                            "recompute_scale_factor")
    name, value = ("size", size) if size is not None else ("scale_factor", scale)
    items = value if isinstance(value, tuple) else (value,) * rank
    if len(items) != rank:
        raise call.fail(f"'{name}' needs {rank} values for {rank} spatial axes, got "
                        f"{len(items)}", name)
    if name == "size":
        return tuple(call.integer("size", None, v) for v in items)
    return tuple(scaled_extent(L, _scale(call, v)) for L, v in zip(spatial, items))


def _scale(call: Call, v: object) -> Expr:
    if isinstance(v, bool) or not isinstance(v, Expr) or not (v.is_number or v.is_integer):
        raise call.fail(f"'scale_factor' must be a number, not {v}", "scale_factor")
    return v


def upsample(call: Call) -> LayerOutput:
    """Upsample: the given size, or trunc(L ⊗ scale) per axis in double arithmetic (see
    FloatScaled); every extent ≥ 1 ('area' goes through adaptive_avg_pool and allows 0).
    Inputs (C, L), (C, H, W) or (C, D, H, W); 'linear' needs 1, 'bilinear'/'bicubic' 2,
    'trilinear' 3 spatial axes; align_corners only with the interpolating modes."""
    if len(call.input) not in (2, 3, 4):
        raise call.fail(f"expects (C, L), (C, H, W) or (C, D, H, W) without the batch axis, got "
                        f"rank {len(call.input)}", code="SC201")
    c, spatial = call.input[0], call.input[1:]
    mode = call.choice("mode", MODES)
    if mode in MODE_RANK and MODE_RANK[mode] != len(spatial):
        raise call.fail(f"mode '{mode}' needs {MODE_RANK[mode]} spatial axes, the input has "
                        f"{len(spatial)}", "mode", code="SC201")
    if call.raw("align_corners") is not None:
        if mode in ("nearest", "area", "nearest-exact"):
            raise call.fail("align_corners can only be set with the interpolating modes: "
                            "linear, bilinear, bicubic, trilinear", "align_corners")
        call.flag("align_corners")
    out = _upsample_sizes(call, spatial)
    least = 0 if mode == "area" else 1
    for e in out:
        call.require(extent.at_least(e, least), "output sizes should be greater than 0"
                     if least else "output sizes must not be negative", "size")
    return LayerOutput((c, *out))


# -- padding -------------------------------------------------------------------------------

def _pads(call: Call, rank: int) -> tuple[Expr, ...]:
    """(left, right, top, bottom, front, back…): an int is used 2·rank times; a tuple of any
    even length is kept (torch's _ntuple keeps iterables as given)."""
    v = call.raw("padding")
    items = v if isinstance(v, tuple) else (v,) * (2 * rank)
    if len(items) % 2:
        raise call.fail(f"padding length must be divisible by 2, got {len(items)}", "padding")
    return tuple(call.integer("padding", None, x) for x in items)


def _check_pad_rank(call: Call, kind: str, pairs: int) -> None:
    rank = len(call.input)
    if kind in ("reflect", "replicate"):
        # F.pad: 2·n values pad the last n axes of an input of rank n + 1 or n + 2 (batch
        # axis included), n from 1 to 3
        if not 1 <= pairs <= 3 or rank not in (pairs, pairs + 1):
            raise call.fail(f"{2 * pairs} padding values are not supported for an input of "
                            f"rank {rank} (batch axis left out); {kind} padding takes 2, 4 or "
                            "6 values for the last 1, 2 or 3 axes", "padding", code="SC201")
    elif pairs == rank + 1:
        raise call.fail("this padding would pad the batch axis, which symconv leaves out of "
                        "shapes; this is not supported", "padding", code="SC201")
    elif pairs > rank + 1:
        raise call.fail(f"padding length {2 * pairs} is more than two times the input's "
                        f"rank {rank + 1} (batch axis included)", "padding", code="SC201")


def _pad_conditions(call: Call, kind: str, axes: list[tuple[Expr, Expr, Expr]]) -> None:
    """ATen's checks: constant_pad_nd narrows for negative pads (each narrowed length ≥ 0)
    and wants every extent ≥ 0; reflection wants each pad < L; reflection and replication
    want every extent ≥ 0 and, over the padded axes, one extent ≥ 1 (2-D and 3-D check
    `out_w >= 1 || out_h >= 1 …`; 1-D checks its one axis)."""
    outs = [L + left + right for L, left, right in axes]
    for (L, left, right), out in zip(axes, outs):
        if kind == "constant":
            call.require(sympy.Ge(L + sympy.Min(left, 0) + sympy.Min(right, 0), 0),
                         "negative padding crops more than the input has", "padding")
        if kind == "reflect":
            call.require(sympy.Lt(sympy.Max(left, right), L),
                         "padding size should be less than the corresponding input dimension",
                         "padding")
        call.require(sympy.Ge(out, 0), "negative padding gives a negative extent", "padding")
    if kind != "constant":
        call.require(sympy.Or(*[sympy.Ge(out, 1) for out in outs]),
                     "the input is too small: every padded extent would be 0", "padding")


def pad(rank: int, kind: str):  # type: ignore[no-untyped-def]
    def torch_pad(call: Call) -> LayerOutput:
        """{kind} padding: L + before + after on the last axes, pairs read from the last axis
        back; negative values crop."""
        if kind == "constant" and call.given("value") and call.raw("value") is not None:
            call.real("value")
        p = _pads(call, rank)
        pairs = len(p) // 2
        _check_pad_rank(call, kind, pairs)
        shape = list(call.input)
        axes = []
        for i in range(pairs):
            axis = len(shape) - 1 - i
            axes.append((shape[axis], p[2 * i], p[2 * i + 1]))
            shape[axis] = sympy.expand(shape[axis] + p[2 * i] + p[2 * i + 1])
        _pad_conditions(call, kind, axes)
        return LayerOutput(tuple(shape))

    return torch_pad


# -- reshaping -----------------------------------------------------------------------------

def unflatten(call: Call) -> LayerOutput:
    """Unflatten(dim, unflattened_size): the extent at `dim` (the batch axis is dim 0) becomes
    the given sizes; one -1 is inferred; the sizes must multiply up to the extent."""
    rank = len(call.input) + 1
    dim = call.integer("dim", None)
    if not dim.is_Integer or not -rank <= int(dim) < rank:
        raise call.fail(f"'dim' = {dim} is out of range for an input of rank {rank}", "dim",
                        hint=f"dims run from -{rank} to {rank - 1}, the batch axis is 0")
    axis = int(dim) % rank
    if axis == 0:
        raise call.fail("unflattening the batch axis (dim=0) is not supported", "dim",
                        hint="symconv shapes leave the batch axis out; use dim=1 or later",
                        code="SC201")
    sizes = call.raw("unflattened_size")
    if not isinstance(sizes, tuple):
        raise call.fail("'unflattened_size' must be a tuple of ints", "unflattened_size")
    if not sizes:
        raise call.fail("'unflattened_size' must be non-empty", "unflattened_size")
    values = [call.integer("unflattened_size", None, v) for v in sizes]
    wild = [i for i, v in enumerate(values) if v == -1]
    if len(wild) > 1:
        raise call.fail("only one dimension can be inferred (-1)", "unflattened_size")
    extent = call.input[axis - 1]
    known = [v for v in values if v != -1]
    for v in known:
        call.require(sympy.Ge(v, 1), lambda: f"invalid size {shown(v)} in unflattened_size",
                     "unflattened_size")
    if wild:
        divisible(call, extent, product(known), "the sizes do not divide the extent at dim",
                  "unflattened_size")
        values[wild[0]] = extent / product(known)
    else:
        call.require(sympy.Eq(product(values), extent),
                     f"the sizes do not multiply up to the extent at dim ({shown(extent)})",
                     "unflattened_size", code="SC203")
    s = call.input
    return LayerOutput((*s[:axis - 1], *values, *s[axis:]))


def pixel_shuffle(call: Call) -> LayerOutput:
    """PixelShuffle(r): (…, C, H, W) → (…, C/r², H·r, W·r); C divisible by r²."""
    lead, (c, h, w) = _chw(call)
    r = call.integer("upscale_factor")
    divisible(call, c, r**2, "the channel axis must be divisible by the square of "
              "upscale_factor", "upscale_factor")
    return LayerOutput((*lead, c / r**2, h * r, w * r))


def pixel_unshuffle(call: Call) -> LayerOutput:
    """PixelUnshuffle(r): (…, C, H, W) → (…, C·r², H/r, W/r); H and W divisible by r."""
    lead, (c, h, w) = _chw(call)
    r = call.integer("downscale_factor")
    divisible(call, h, r, "the height must be divisible by downscale_factor", "downscale_factor")
    divisible(call, w, r, "the width must be divisible by downscale_factor", "downscale_factor")
    return LayerOutput((*lead, c * r**2, h / r, w / r))


def _chw(call: Call) -> tuple[tuple[Expr, ...], tuple[Expr, ...]]:
    """(leading axes, (C, H, W)). Rank 2 is refused: torch would take the batch axis for the
    channels."""
    if len(call.input) < 3:
        raise call.fail(f"expects (…, C, H, W) without the batch axis, got rank "
                        f"{len(call.input)}", code="SC201")
    return call.input[:-3], call.input[-3:]


def identity(call: Call) -> LayerOutput:
    """Identity: unchanged (torch ignores any arguments; symconv takes none)."""
    return LayerOutput(call.input)


UPSAMPLE_PARAMS = (Param("size", None), Param("scale_factor", None), Param("mode", "nearest"),
                   Param("align_corners", None), Param("recompute_scale_factor", None))

register("torch", "Upsample", UPSAMPLE_PARAMS, upsample,
         "torch.nn.Upsample: size, or trunc(L ⊗ scale) in double arithmetic", "resize")
for _r in (1, 2, 3):
    register("torch", f"ConstantPad{_r}d", (Param("padding"), Param("value")),
             pad(_r, "constant"), f"torch.nn.ConstantPad{_r}d: L + before + after", "padding")
    register("torch", f"ReflectionPad{_r}d", (Param("padding"),), pad(_r, "reflect"),
             f"torch.nn.ReflectionPad{_r}d: L + before + after, each pad < L", "padding")
    register("torch", f"ReplicationPad{_r}d", (Param("padding"),), pad(_r, "replicate"),
             f"torch.nn.ReplicationPad{_r}d: L + before + after", "padding")
for _r in (1, 2, 3):
    register("torch", f"ZeroPad{_r}d", (Param("padding"),), pad(_r, "constant"),
             f"torch.nn.ZeroPad{_r}d: L + before + after (negative values crop)", "padding")
register("torch", "Unflatten", (Param("dim"), Param("unflattened_size")), unflatten,
         "torch.nn.Unflatten: one extent split into the given sizes", "reshape")
register("torch", "PixelShuffle", (Param("upscale_factor"),), pixel_shuffle,
         "torch.nn.PixelShuffle: (C/r², H·r, W·r)", "reshape")
register("torch", "PixelUnshuffle", (Param("downscale_factor"),), pixel_unshuffle,
         "torch.nn.PixelUnshuffle: (C·r², H/r, W/r)", "reshape")
register("torch", "Identity", (), identity, "torch.nn.Identity: unchanged", "core")
