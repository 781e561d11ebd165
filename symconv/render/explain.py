"""`symconv explain`: every layer's numbers in words, the way a good forum answer gives them:
where each parameter comes from, the output extent as arithmetic on this layer's own numbers,
the framework rule behind it, and what the other framework would print.

The arithmetic shown is checked against the derivation before it is printed (at the layer's
own sizes, or at sampled values when they are symbolic); a step that does not reproduce the
derived value is left out rather than shown wrong.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import sympy
from sympy import Expr

from ..derivation.model import BlockRecord, Derivation, LayerRecord, arguments
from ..maths import extent, limits
from ..errors import SymconvError, did_you_mean
from ..escapes import visible_lines
from ..layers import REGISTRY
from ..maths.printing import spoken
from .common import pass_lines, shape_cell

Lines = list[str]


def _v(value: object) -> str:
    """A value on its own: a number with thousands separators, a formula in explain's one
    notation (`spoken`: 7·(40·C + 1), ⌊H/2⌋, digits without separators)."""
    if isinstance(value, sympy.Integer):
        return f"{int(value):,}"
    return spoken(value)  # type: ignore[arg-type]


def _n(value: object) -> str:
    """A value inside arithmetic: plain digits, a formula in parentheses."""
    atomic = isinstance(value, (sympy.Symbol, sympy.floor, sympy.ceiling, sympy.Integer))
    return spoken(value) if atomic else f"({spoken(value)})"  # type: ignore[arg-type]


def _total(value: object) -> str:
    """A count: a number with separators, a formula multiplied out (280·C + 1137, not
    7·(40·C + 1) + 1130), as it is when the expansion would be too large to print."""
    if isinstance(value, sympy.Expr) and not value.is_Integer:
        value = _multiplied_out(value)
    return _v(value)


def _multiplied_out(value: sympy.Expr) -> sympy.Expr:
    """`value` expanded with each rounding (⌊ ⌋, ⌈ ⌉, max, …) kept whole: expanding inside
    them rebuilds every floor of a deep chain (seconds a layer) and does not read better."""
    held = {f: sympy.Dummy() for f in value.atoms(sympy.Function)}
    try:
        out = limits.expand(value.xreplace(held))
    except limits.TooLarge:
        return value
    return out.xreplace({v: k for k, v in held.items()})


def _equals(steps: str, value: object, count: bool = True) -> str:
    """``steps = result``, or the steps alone when the result reads the same (⌈H/2⌉, not
    ⌈H/2⌉ = ⌈H/2⌉); a count multiplied out, an extent as derived."""
    result = _total(value) if count else _v(value)
    return steps if result == steps else f"{steps} = {result}"


def _arg(d: Derivation, record: LayerRecord, name: str) -> object:
    assert record.call is not None
    return arguments(record.call, d.convention).get(name)


def _per_axis(value: object, rank: int) -> tuple[object, ...]:
    return value if isinstance(value, tuple) else (value,) * rank


def _same(a: Expr, b: Expr) -> bool:
    """Whether two extents agree at the layer's sizes (sampled where symbolic)."""
    if a == b:  # one expression (the window arithmetic remembers what it built)
        return True
    free = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = random.Random(0)
    for _ in range(6 if free else 1):
        values = {s: sympy.Integer(rng.randint(200, 400)) for s in free}
        if sympy.Integer(0) != (a.xreplace(values) - b.xreplace(values)):
            return False
    return True


# -- parameters ----------------------------------------------------------------------------
def _weights_line(record: LayerRecord) -> str:
    """Each weight by its shape, as the framework reports it, and its count: kernel
    (5, 300, 111) = 166,500."""
    parts = []
    for w in record.weights:
        kind = "" if w.trainable and not w.buffer else " (buffer)" if w.buffer else \
            " (non-trainable)"
        size = f" = {_total(w.size)}" if len(w.shape) != 1 else ""
        parts.append(f"{w.name} {_shape(w.shape)}{size}{kind}")
    return "; ".join(parts)


def _no_bias(d: Derivation, count: Expr, each: str) -> Lines:
    """A layer that has a bias by default, made without one: what that removed."""
    flag = "use_bias=False" if d.convention == "keras" else "bias=False"
    return [f"{flag}: no bias, {_v(count)} parameters fewer (one per {each})."]


def _filters(record: LayerRecord, kernel: Expr, filters: Expr, fan_in: tuple[Expr, ...],
             bias: bool) -> str:
    per = sympy.Mul(*fan_in)
    dims = "·".join(_n(e) for e in fan_in)
    each = f"each filter has {_equals(dims, per)} weights" + (" and 1 bias" if bias else "")
    total = _equals(f"{_n(filters)}·{_n(per + (1 if bias else 0))}", record.params)
    return f"{each}; {total} parameters"


def conv_params(d: Derivation, record: LayerRecord) -> Lines:
    weights = {w.name: w for w in record.weights}
    if d.convention == "keras":
        kernel = weights.get("kernel")
        if kernel is None or len(weights) > 2:
            return []
        *k, per_group, filters = kernel.shape
    else:
        kernel = weights.get("weight")
        if kernel is None:
            return []
        filters, per_group, *k = kernel.shape
    window = "×".join(_n(e) for e in k)
    channels = record.input_shape[-1] if d.convention == "keras" else record.input_shape[0]
    head = (f"{_v(filters)} filters of {'width' if len(k) == 1 else 'size'} {window} over "
            f"{_v(channels)} input channel{'' if channels == 1 else 's'}")
    if per_group != (record.input_shape[-1] if d.convention == "keras" else
                     record.input_shape[0]):
        head += f" in groups ({_n(per_group)} channels per filter)"
    return [f"{head}: {_filters(record, kernel.size, filters, (*k, per_group), 'bias' in weights)}."
            ] + ([] if "bias" in weights else _no_bias(d, filters, "filter"))


def dense_params(d: Derivation, record: LayerRecord) -> Lines:
    weights = {w.name: w for w in record.weights}
    kernel = weights.get("kernel" if d.convention == "keras" else "weight")
    if kernel is None or len(weights) > 2:
        return []
    n_in, n_out = kernel.shape if d.convention == "keras" else kernel.shape[::-1]
    bias = "bias" in weights
    per = f"{_v(n_in)} weights" + (" and 1 bias" if bias else "")
    return [(f"{_v(n_out)} units, each with {per} (one weight per input feature): "
            f"{_equals(f'{_n(n_out)}·{_n(n_in + (1 if bias else 0))}', record.params)} "
             "parameters.")] + ([] if bias else _no_bias(d, n_out, "unit"))


def norm_params(d: Derivation, record: LayerRecord) -> Lines:
    if "BatchNorm" not in record.type:
        return []
    if d.convention == "keras":
        return [(f"{_total(record.trainable)} trainable (gamma, beta: a scale and a shift per "
                 f"channel) and {_total(record.non_trainable)} non-trainable (the moving mean and "
                 "variance, updated in training but not by the optimizer); Keras's total counts "
                 "both.")]
    return [(f"{_total(record.params)} parameters (weight, bias: a scale and a shift per channel); "
            f"the running mean, variance and num_batches_tracked are {_total(record.buffers)} "
            "buffers, which PyTorch does not count as parameters.")]


GATE_NAMES = {1: "one block", 3: "3 gate blocks (reset, update, new)",
              4: "4 gate blocks (input, forget, cell, output)"}


def recurrent_params(d: Derivation, record: LayerRecord) -> Lines:
    """One unidirectional layer: g gate blocks of u units, each unit with n input weights, u
    recurrent weights and b biases (Keras 1, GRU with reset_after 2; PyTorch 2)."""
    weights = {w.name: w for w in record.weights}
    if d.convention == "keras":
        kernel, recurrent = weights.get("kernel"), weights.get("recurrent_kernel")
        if kernel is None or recurrent is None:
            return []
        n, (u, gu) = kernel.shape[0], recurrent.shape
        bias = weights.get("bias")
        b = 0 if bias is None else (bias.shape[0] if len(bias.shape) == 2 else 1)
        why = {0: "no bias", 1: "1 bias", 2: "2 biases (reset_after=True)"}.get(int(b), "")
    else:
        ih, hh = weights.get("weight_ih_l0"), weights.get("weight_hh_l0")
        if ih is None or hh is None or len(weights) > 4:
            return []
        (gu, n), u = ih.shape, hh.shape[1]
        b = sum(1 for k in ("bias_ih_l0", "bias_hh_l0") if k in weights)
        why = "2 biases (bias_ih and bias_hh)" if b == 2 else "no bias"
    gates = gu / u  # sympy cancels 4·u/u to 4
    total = gates * u * (n + u + b)
    if not (gates.is_Integer and _same(total, record.params)):
        return []
    block = GATE_NAMES.get(int(gates), f"{gates} blocks")
    steps = f"{_n(gates)}·{_n(u)}·({spoken(n)} + {spoken(u)} + {b})"
    return [(f"{_v(u)} units on {_v(n)} features, {block}: each unit has {_v(n)} input weights, "
            f"{_v(u)} recurrent weights and {why}: {_equals(steps, record.params)} "
            "parameters.")]


def embedding_params(d: Derivation, record: LayerRecord) -> Lines:
    (table,) = record.weights[:1]
    rows, width = table.shape
    return [(f"a table of {_v(rows)} rows (one per token id) of {_v(width)} values: "
            f"{_equals(f'{_n(rows)}·{_n(width)}', record.params)} parameters.")]


PARAMS: dict[str, Callable[[Derivation, LayerRecord], Lines]] = {
    "conv": conv_params, "core": dense_params, "normalization": norm_params,
    "recurrent": recurrent_params, "embedding": embedding_params}


# -- output extents ------------------------------------------------------------------------
AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
# what one unit of padding is on each axis, and its two sides
SIDES = {"length": ("step", "at the start", "at the end"),
         "height": ("row", "at the top", "at the bottom"),
         "width": ("column", "on the left", "on the right"),
         "depth": ("slice", "at the front", "at the back")}


def _axis(rank: int, i: int, first: int) -> str:
    """A spatial axis by its name and by the framework's number, batch included (Keras
    channels-last: H is axis 1; PyTorch and channels-first: axis 2), as errors number them."""
    name = AXES[rank][i] if rank in AXES else f"spatial axis {i + 1}"
    return f"{name} (axis {i + first})"


def _unit(rank: int, i: int) -> str:
    return SIDES.get(AXES[rank][i] if rank in AXES else "", ("cell",))[0]


def _units(count: object, unit: str) -> str:
    if count == 0:
        return f"no {unit}s"
    return f"{_v(count)} {unit}" + ("" if count == 1 else "s")


def _sides(total: Expr, rank: int, i: int) -> str:
    """Padding of `total` cells on one axis, split as TensorFlow and PyTorch split it: half
    (rounded down) before, the rest after."""
    unit, before, after = SIDES.get(AXES[rank][i] if rank in AXES else "",
                                    ("cell", "at the start", "at the end"))
    if total.is_Integer:
        low = total // 2
        parts = [f"{_units(n, unit)} {side}" for n, side in ((low, before), (total - low, after))
                 if n]
        return " and ".join(parts)
    return f"{spoken(total)} {unit}s in all, half {before} (rounded down), the rest {after}"


def _filled(record: LayerRecord, pool: bool, convention: str, d: Derivation) -> str:
    """What padded cells hold, as the framework treats them."""
    if not pool:
        return "of zeros"
    if "Max" in record.type:
        return "counted as −∞, so never the maximum"
    if convention == "keras" or not _arg(d, record, "count_include_pad"):
        return "left out of the mean (a window at the border averages only its real cells)"
    return "of zeros, counted in the mean (count_include_pad=True)"


def _window_keras(d: Derivation, record: LayerRecord, pool: bool) -> Lines:
    rank = len(record.input_shape) - 1
    size = _per_axis(_arg(d, record, "pool_size" if pool else "kernel_size"), rank)
    strides = _arg(d, record, "strides")
    stride_given = strides is not None
    strides = _per_axis(strides if stride_given else size, rank)
    dilation = (1,) * rank if pool else _per_axis(_arg(d, record, "dilation_rate"), rank)
    padding = str(_arg(d, record, "padding")).lower()
    first = str(_arg(d, record, "data_format") or "channels_last") == "channels_first"
    spatial = record.input_shape[1:] if first else record.input_shape[:-1]
    outs = record.output_shape[1:] if first else record.output_shape[:-1]
    lines = []
    for axis, (n, k, s, dd, out) in enumerate(zip(spatial, size, strides, dilation, outs)):
        k_eff = dd * (k - 1) + 1
        if padding == "valid":
            value = extent.window(n, k_eff, s, sympy.Integer(0))  # ⌊(n − k_eff)/s⌋ + 1
            shown = f"⌊({_n(n)} - {_n(k_eff)})/{_n(s)}⌋ + 1"
            rule = "padding 'valid': every window lies inside the input"
        elif padding == "causal":
            value, shown = extent.ceil_div(n, s), f"⌈{_n(n)}/{_n(s)}⌉"
            rule = (f"padding 'causal': {_units(k_eff - 1, SIDES['length'][0])} of zeros at "
                    "the start, none at the end, so no output sees a later step")
        else:
            value, shown = extent.ceil_div(n, s), f"⌈{_n(n)}/{_n(s)}⌉"
            total = sympy.Max((value - 1) * s + k_eff - n, 0)
            added = ("no padding needed here" if total == 0 else
                     f"{_sides(total, rank, axis)}, {_filled(record, pool, 'keras', d)}")
            rule = f"padding 'same': {added}; the length depends only on the stride"
        if _same(value, out):
            lines.append(f"{_axis(rank, axis, 2 if first else 1)}: "
                         f"{_equals(shown, out, count=False)}; {rule}")
    if pool and not stride_given:
        n, k = spatial[0], size[0]
        other = sympy.floor(n - k) + 1 if padding == "valid" else n
        lines.append(f"strides not given: Keras uses the pool size, {_v(k)}, so the windows do "
                     f"not overlap (with stride 1 the length would be {_v(other)})")
    return lines


def _window_torch(d: Derivation, record: LayerRecord, pool: bool) -> Lines:
    rank = len(record.output_shape) - 1
    kernel = _per_axis(_arg(d, record, "kernel_size"), rank)
    stride = _arg(d, record, "stride")
    stride_given = stride is not None
    strides = _per_axis(stride if stride_given else kernel, rank)
    padding = _arg(d, record, "padding")
    if isinstance(padding, str):
        return []
    pads = _per_axis(padding, rank)
    dilation = _per_axis(_arg(d, record, "dilation") or 1, rank)  # pools but MaxPool have none
    ceil_mode = pool and bool(_arg(d, record, "ceil_mode"))
    lines = []
    for axis, (n, k, s, p, dd, out) in enumerate(zip(record.input_shape[-rank:], kernel, strides,
                                                     pads, dilation, record.output_shape[1:])):
        k_eff = dd * (k - 1) + 1
        inner = f"({_n(n)} + 2·{_n(p)} - {_n(k_eff)})/{_n(s)}"
        value = extent.affine_floor(  # ⌊ ⌋ or ⌈(n + 2p − k_eff)/s⌉ + 1, without sympy's proofs
            n, 2 * p - k_eff + (s - 1 if ceil_mode else 0), s)
        shown = f"⌈{inner}⌉ + 1" if ceil_mode else f"⌊{inner}⌋ + 1"
        padded = "" if p == 0 else (f"; padding {_v(p)}: {_units(p, _unit(rank, axis))} on "
                                    f"each side, {_filled(record, pool, 'torch', d)}")
        if _same(value, out):
            lines.append(f"{_axis(rank, axis, 2)}: {_equals(shown, out, count=False)}{padded}")
        elif ceil_mode and _same(value - 1, out):
            lines.append(f"{_axis(rank, axis, 2)}: {_equals(f'{shown} - 1', out, count=False)}; "
                         "ceil_mode, but the last window would start in the right padding, so "
                         f"PyTorch drops it{padded}")
    if pool and not stride_given:
        lines.append("stride not given: PyTorch uses the kernel size, so the windows do not "
                     "overlap")
    return lines


def window_shape(pool: bool) -> Callable[[Derivation, LayerRecord], Lines]:
    def explain(d: Derivation, record: LayerRecord) -> Lines:
        if "Transpose" in record.type or "Depthwise" in record.type or "Separable" in record.type:
            return []
        return (_window_keras if d.convention == "keras" else _window_torch)(d, record, pool)

    return explain


SHAPES: dict[str, Callable[[Derivation, LayerRecord], Lines]] = {
    "conv": window_shape(False), "pool": window_shape(True)}


# -- the other framework -------------------------------------------------------------------
def other_conv(d: Derivation, record: LayerRecord) -> Lines:
    """A plain convolution counts the same in both frameworks; only the kernel's layout
    differs (Keras (*k, C/groups, F), PyTorch (F, C/groups, *k))."""
    if not record.type.lower().startswith("conv") or "Transpose" in record.type:
        return []
    weights = {w.name: w for w in record.weights}
    rank = int(record.type[4])
    if d.convention == "keras" and set(weights) <= {"kernel", "bias"} and "kernel" in weights:
        *k, per, filters = weights["kernel"].shape
        other = f"PyTorch's nn.Conv{rank}d weight {_shape((filters, per, *k))}"
    elif d.convention == "torch" and set(weights) <= {"weight", "bias"} and "weight" in weights:
        filters, per, *k = weights["weight"].shape
        other = f"Keras's Conv{rank}D kernel {_shape((*k, per, filters))}"
    else:
        return []
    bias = f" and bias {_shape((filters,))}" if "bias" in weights else ""
    return [f"The other framework counts the same {_total(record.params)}: {other}{bias}."]


def other_dense(d: Derivation, record: LayerRecord) -> Lines:
    """Dense and Linear count the same; the kernel is (in, out) in Keras, (out, in) in PyTorch."""
    weights = {w.name: w for w in record.weights}
    name = "kernel" if d.convention == "keras" else "weight"
    if record.type not in ("Dense", "Linear") or name not in weights or len(weights) > 2:
        return []
    a, b = weights[name].shape
    other = (f"PyTorch's nn.Linear weight {_shape((b, a))}" if d.convention == "keras"
             else f"Keras's Dense kernel {_shape((b, a))}")
    bias = f" and bias {_shape((a if d.convention == 'torch' else b,))}" if "bias" in weights \
        else ""
    return [f"The other framework counts the same {_total(record.params)}: {other}{bias}."]


OTHER: dict[str, Callable[[Derivation, LayerRecord], Lines]] = {
    "conv": other_conv, "core": other_dense}


# -- one layer -----------------------------------------------------------------------------
def _shape(shape: tuple[Expr, ...]) -> str:
    return "(" + ", ".join(spoken(e) for e in shape) + ("," if len(shape) == 1 else "") + ")"


def _several(d: Derivation, record: LayerRecord) -> Lines:
    """A call giving several tensors: all of them, the batch shown where it is not first."""
    if record.results is None:
        return []
    axes = record.batch_axes or (0,) * len(record.outputs)
    shown = ", ".join(shape_cell(s, d.convention, spoken, axis=a)
                      for s, a in zip(record.outputs, axes))
    return [f"  Gives {len(record.outputs)} tensors (batch axis shown), nested as the framework "
            f"nests them: {shown} (the first is what a layer written after it takes)."]


def _free_parameter(d: Derivation, record: LayerRecord) -> Lines:
    """A `parameter` statement: one weight of its whole shape, counted here, once."""
    (w,) = record.weights
    made = "an nn.Parameter" if d.convention == "torch" else "a weight made by add_weight"
    frozen = "" if w.trainable else (" (requires_grad=False: still a parameter)"
                                     if d.convention == "torch" else " (non-trainable)")
    return [f"  A free parameter: {made} of shape {_shape(w.shape)}, with no batch axis; it "
            "broadcasts against a network tensor's (batch, …), aligned to the right.",
            f"  Parameters: {_weights_line(record)}{frozen}, counted once, here."]


def _tied(record: LayerRecord) -> Lines:
    return [f"  {t.weight.name} {_shape(t.weight.shape)}: tied to {t.where}, counted there."
            for t in record.tied]


def explain_layer(d: Derivation, record: LayerRecord) -> Lines:
    spec = REGISTRY[d.convention].get(record.type)
    family = spec.family if spec is not None else "parameter"
    source = d.source.line(record.span.line).strip()
    ins = " and ".join(_shape(s) for s in record.input_shapes) or "()"
    lines = [f"{record.name} ({record.type}), line {record.span.line}: {source}",
             f"  {ins} → {_shape(record.output_shape)}"] + _several(d, record)
    times = ([f"  Applied {_v(record.times)} times (a repeat of symbolic count); the counts "
              "below are one application's, the totals count them all."]
             if record.times != 1 else [])  # one pass of a symbolic repeat, named as the first
    if spec is None:
        return lines[:1] + times + _free_parameter(d, record)
    lines += _tied(record) + times
    if record.shares:
        lines.append(f"  Shares its weights with {record.shares}: no parameters of its own.")
    elif record.weights:
        lines.append(f"  Parameters: {_total(record.params)} = {_weights_line(record)}"
                     if len(record.weights) > 1 else
                     f"  Parameters: {_weights_line(record)}")
        lines += [f"    {x}" for x in PARAMS.get(family, lambda *_: [])(d, record)]
    else:
        lines.append("  No parameters of its own." if record.tied else "  No parameters.")
    shapes = SHAPES.get(family, lambda *_: [])(d, record)
    if shapes:
        lines.append("  Output extents:")
        lines += [f"    {x}" for x in shapes]
    elif record.output_shape == record.input_shape:
        lines.append("  Shape unchanged.")
    for req in record.requires:
        lines.append(f"  Valid when {spoken(req.condition)}: {req.reason}.")
    lines += [f"  {note}" for note in record.notes]
    if not record.notes and record.shares is None:
        lines += [f"  {x}" for x in OTHER.get(family, lambda *_: [])(d, record)]
    return lines


def _block(d: Derivation, block: BlockRecord) -> str:
    """A block instance named by --layer (ResNet's layer1): what it is, then its layers."""
    layers = d.block_layers(block)
    ins = " and ".join(_shape(s) for s in block.input_shapes) or "()"
    return (f"{block.name} (block {block.type}), line {block.span.line}: {len(layers)} layer"
            f"{'' if len(layers) == 1 else 's'}, {_total(d.subtotal(block))} parameters\n"
            f"  {ins} → {_shape(block.output_shape)}")


def _chosen(d: Derivation, layer: str | None) -> list[str]:
    """The explanations asked for: every layer, the layers called `layer`, or the layers of
    the block instance called `layer` after a line on the block (SC307 when there is none)."""
    records = [r for r in d.layers if layer is None or r.name == layer]
    if records:
        return ["\n".join(explain_layer(d, r)) for r in records]
    blocks = [b for b in d.blocks if b.name == layer]
    if blocks:
        return [text for b in blocks for text in
                [_block(d, b), *("\n".join(explain_layer(d, r)) for r in d.block_layers(b))]]
    names = [r.name for r in d.layers] + [b.name for b in d.blocks]
    raise SymconvError("SC307", f"no layer or block is called '{layer}'", None, d.source,
                       hint=did_you_mean(str(layer), names)
                       or f"layers: {', '.join(names[:12])}" + (", …" if len(names) > 12
                                                                else ""))


def render_explain(d: Derivation, layer: str | None = None) -> str:
    """Every layer explained (or the layers, or the block, called `layer`)."""
    sizes = ", ".join(f"{k} = {d.subs[k]}" for k in d.sizes if k in d.subs)
    head = f"{d.network or 'network'} ({d.convention} convention" + (
        f"; {sizes}" if sizes else "") + ")"
    blocks = _chosen(d, layer)
    total = (f"Total: {_total(d.params)} parameters ({_total(d.trainable)} trainable, "
             f"{_total(d.non_trainable)} non-trainable)" + (
                 f", and {_total(d.buffers)} buffers" if d.convention == "torch" else "") + ".")
    passes = "\n".join(pass_lines(d))
    return visible_lines("\n\n".join([head, *blocks, total, *([passes] if passes else [])])
                         + "\n")
