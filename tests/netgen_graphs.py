"""Graph steps for tests/netgen.py: merges of branches, concatenation, Keras Dot, torch select,
attention on several tensors, a shared layer applied twice, a `block` used twice, a `repeat`.

Each form is `form(builder, focus) -> bool`: it appends its lines to the builder (naming the
tensors it needs) and returns False, appending nothing, when it cannot be drawn on the current
shape. FORMS maps each registered merge or function type to the form that exercises it; the
plain graph forms are under their own names."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from netgen import Builder, Shape, call_text, small, step_shape

Form = Callable[[Builder, "str | None"], bool]


def _apply(b: Builder, pattern: str, names: Sequence[str], shapes: Sequence[Shape],
           type_: str, used: set[tuple[str, str]] | None = None) -> bool:
    """Emit `pattern` (with {0}, {1}, … for the input tensors) if symconv accepts it."""
    out = step_shape(b.g.convention, tuple(shapes), pattern.format(
        *(f"t{i}" for i in range(len(names)))))
    if not small(out):
        return False
    b.emit(pattern.format(*names), out)  # type: ignore[arg-type]
    b.types.add(type_)
    b.used |= used or set()
    return True


def _branch(b: Builder, n: int) -> tuple[str, str]:
    """Name the current tensor a, apply `n` shape-keeping layers to it, name the result b."""
    a = b.name_current()
    for line in b.keep_chain(n):
        b.emit(line, b.shape)
    return a, b.name_current()


def _merge(type_: str, most: int) -> Form:
    """A residual-style merge of the current tensor with shape-keeping branches of it."""

    def form(b: Builder, focus: str | None) -> bool:
        shape = b.shape
        a, c = _branch(b, b.g.int(1, 2))
        names = [a, c]
        if most > 2 and b.g.chance(3):
            b.emit(b.keep_chain(1)[0] + f"({a})", shape)
            names.append(b.name_current())
        kw: dict[str, Any] = {}
        if type_ == "Concatenate":
            r = len(shape)
            b.g.maybe(kw, "axis", [*range(1, r + 1), *range(-r, 0)], 7)
        used = {(type_, k) for k in kw}
        args = ", ".join(f"{{{i}}}" for i in range(len(names)))
        pattern = f"{call_text(type_, (), kw)}({args})"
        return _apply(b, pattern, names, [shape] * len(names), type_, used)

    return form


OPERATORS = {"add": "+", "sub": "-", "mul": "*", "subtract": "-", "multiply": "*"}


def _function(type_: str) -> Form:
    """torch.add/sub/mul and keras.ops add/subtract/multiply, as calls or as operators."""

    def form(b: Builder, focus: str | None) -> bool:
        shape = b.shape
        a, c = _branch(b, b.g.int(1, 2))
        pattern = f"{{0}} {OPERATORS[type_]} {{1}}" if b.g.chance(4) else f"{type_}({{0}}, {{1}})"
        return _apply(b, pattern, [a, c], [shape, shape], type_)

    return form


def _cat(b: Builder, focus: str | None) -> bool:
    """torch.cat of two or three tensors (or one): same shapes along any dim, or a Linear branch
    of another width along the last."""
    shape, r = b.shape, len(b.shape)
    if b.g.chance(3):
        a = b.name_current()
        width = b.g.int(1, 6)
        b.emit(f"Linear({shape[-1]}, {width})({a})", (*shape[:-1], width))
        b.used |= {("Linear", "in_features"), ("Linear", "out_features")}
        b.types.add("Linear")
        names, shapes, dim = [a, b.name_current()], [shape, b.shape], b.g.pick([r, -1])
    elif b.g.chance(1):
        names, shapes, dim = [b.name_current()], [shape], b.g.int(1, r)
    else:
        a, c = _branch(b, 1)
        names, shapes = [a, c], [shape, shape]
        if b.g.chance(3):
            names, shapes = [a, c, a], [shape] * 3
        dim = b.g.pick([*range(1, r + 1), *range(-r, 0)])
    inner = ", ".join(f"{{{i}}}" for i in range(len(names))) + ("," if len(names) == 1 else "")
    # keyword only: symconv refuses torch.cat(tensors, 1) (see the report of this generator)
    pattern = f"cat(({inner}), dim={dim})"
    return _apply(b, pattern, names, shapes, "cat", {("cat", "dim")})


def _select(b: Builder, focus: str | None) -> bool:
    shape, r = b.shape, len(b.shape)
    if r < 2:
        return False
    axis = b.g.int(0, r - 1)
    dim = axis + 1 if b.g.chance(6) else axis - r
    index = b.g.int(-shape[axis], shape[axis] - 1)
    pattern = f"select({{0}}, dim={dim}, index={index})"  # keywords, as for cat
    used = {("select", "dim"), ("select", "index")}
    return _apply(b, pattern, [b.name_current()], [shape], "select", used)


def _dot(b: Builder, focus: str | None) -> bool:
    """Keras Dot of the current tensor and a shape-keeping branch of it."""
    shape = b.shape
    if len(shape) > 2:
        return False
    a, c = _branch(b, 1)
    kw: dict[str, Any] = {"axes": b.g.pick([1, 2, -1, (1, 1), (2, 2), (1, 2), (2, 1)][
        :1 if len(shape) == 1 else 7])}
    b.g.maybe(kw, "normalize", [True, False], 3)
    used = {("Dot", k) for k in kw}
    return _apply(b, call_text("Dot", (), kw) + "({0}, {1})", [a, c], [shape, shape], "Dot",
                  used)


def _keras_attention(b: Builder, focus: str | None) -> bool:
    """MultiHeadAttention on a query and a value of another width (and sometimes a key)."""
    shape = b.shape
    if len(shape) != 2:
        return False
    q = b.name_current()
    v_width, names = b.g.int(1, 6), [q]
    b.emit(f"Dense({v_width})({q})", (shape[0], v_width))
    b.types.add("Dense")
    b.used.add(("Dense", "units"))
    names.append(b.name_current())
    shapes = [shape, (shape[0], v_width)]
    if b.g.chance(4):  # a key of its own width
        k_width = b.g.int(1, 6)
        b.emit(f"Dense({k_width})({q})", (shape[0], k_width))
        names.append(b.name_current())
        shapes.append((shape[0], k_width))
    kw: dict[str, Any] = {}
    b.g.maybe(kw, "value_dim", [2, 3])
    b.g.maybe(kw, "output_shape", [None, 3, (4,)], 3)
    b.g.maybe(kw, "use_bias", [True, False])
    call = call_text("MultiHeadAttention", (b.g.int(1, 3), b.g.int(1, 5)), kw)
    used = {("MultiHeadAttention", k) for k in ("num_heads", "key_dim", *kw)}
    args = ", ".join(f"{{{i}}}" for i in range(len(names)))
    return _apply(b, f"{call}({args})", names, shapes, "MultiHeadAttention", used)


def _torch_attention(b: Builder, focus: str | None) -> bool:
    """MultiheadAttention on query, key and value of different widths (kdim, vdim)."""
    shape = b.shape
    if len(shape) != 2:
        return False
    q, e = b.name_current(), shape[-1]
    kdim, vdim = b.g.int(1, 6), b.g.int(1, 6)
    b.emit(f"Linear({e}, {kdim})({q})", (shape[0], kdim))
    k = b.name_current()
    b.emit(f"Linear({e}, {vdim})({q})", (shape[0], vdim))
    v = b.name_current()
    b.types.add("Linear")
    b.used |= {("Linear", "in_features"), ("Linear", "out_features")}
    heads = b.g.pick([h for h in (1, 2, 3, 4) if e % h == 0])
    kw: dict[str, Any] = {"kdim": kdim, "vdim": vdim}
    b.g.maybe(kw, "batch_first", [True, False], 5)
    b.g.maybe(kw, "add_bias_kv", [True, False], 3)
    call = call_text("MultiheadAttention", (e, heads), kw)
    used = {("MultiheadAttention", x) for x in ("embed_dim", "num_heads", *kw)}
    return _apply(b, call + "({0}, {1}, {2})", [q, k, v],
                  [shape, (shape[0], kdim), (shape[0], vdim)], "MultiheadAttention", used)


# --------------------------------------------------------------------------- reuse


def _shared(b: Builder, focus: str | None) -> bool:
    text, used, type_ = b.keeper()
    name = b.fresh("s")
    b.lines.append(f"shared {name} = {text}")
    b.used |= used
    b.types.add(type_)
    b.emit(f"{name}()", b.shape)
    if b.g.chance(5):
        b.emit(b.keep_chain(1)[0], b.shape)
    b.emit(f"{name}()", b.shape)
    return True


def _block(b: Builder, focus: str | None) -> bool:
    """A block of shape-keeping layers (sometimes a residual inside) used twice in a row."""
    name = f"B{len(b.blocks)}"
    body = b.keep_chain(b.g.int(1, 3))
    residual = b.g.chance(4)
    lines = [f"block {name}():"]
    if residual:
        merge = "Add()(x, y)" if b.g.convention == "keras" else "add(x, y)"
        body = ["input x", *body[:-1], f"y = {body[-1]}", merge]
    lines += [f"    {line}" for line in body]
    b.blocks.append("\n".join(lines))
    for _ in range(2):
        b.emit(f"{name}()", b.shape)
    return True


def _repeat(b: Builder, focus: str | None) -> bool:
    body = b.keep_chain(b.g.int(1, 2))
    b.emit(f"repeat {b.g.int(2, 3)}:\n" + "\n".join(f"    {line}" for line in body), b.shape)
    b.nameable = False
    return True


COMMON: dict[str, Form] = {"shared": _shared, "block": _block, "repeat": _repeat}

FORMS: dict[str, dict[str, Form]] = {
    "torch": {**COMMON, **{t: _function(t) for t in ("add", "sub", "mul")}, "cat": _cat,
              "select": _select, "MultiheadAttention": _torch_attention},
    "keras": {**COMMON, **{t: _merge(t, 3) for t in ("Add", "Multiply", "Average", "Maximum",
                                                      "Minimum", "Concatenate")},
              "Subtract": _merge("Subtract", 2),
              **{t: _function(t) for t in ("add", "subtract", "multiply")},
              "Dot": _dot, "MultiHeadAttention": _keras_attention},
}

# the shapes a form can start from (the others take any)
FITS: dict[str, dict[str, Callable[[Shape], bool]]] = {
    "torch": {"select": lambda s: len(s) >= 2, "MultiheadAttention": lambda s: len(s) == 2},
    "keras": {"Dot": lambda s: len(s) <= 2, "MultiHeadAttention": lambda s: len(s) == 2},
}

# the tensor operations (view, permute, chunk, matmul, …): forms of their own
from netgen_ops import FITS as _OPS_FITS, FORMS as _OPS_FORMS  # noqa: E402

for _c in ("torch", "keras"):
    FORMS[_c].update(_OPS_FORMS[_c])
    FITS[_c].update(_OPS_FITS[_c])
