"""Graph steps for tests/netgen.py that apply the tensor operations (symconv/layers/torch_ops.py,
keras_ops.py) to the current tensor, as functions with the tensor first (the method form
`x.view(…)` is the same call). Each form draws arguments that fit the current shape (batch axis
left out; dims counting it as 0, as the frameworks do) and appends the call when symconv accepts
it; chunk and split give their first piece. Merged into netgen_graphs.FORMS and FITS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netgen import Builder, Shape

Form = Callable[[Builder, "str | None"], bool]


def _apply(b: Builder, pattern: str, type_: str, used: set[str]) -> bool:
    from netgen_graphs import _apply as apply

    name = b.name_current()
    return apply(b, pattern, [name], [b.shape], type_, {(type_, u) for u in used})


def _dims(b: Builder, rank: int, first: int = 1) -> int:
    """A dim of a full shape with `rank` axes, from `first`, now and then negative."""
    d = b.g.int(first, rank - 1)
    return d - rank if b.g.chance(3) else d


def _factors(b: Builder, n: int) -> list[int]:
    """n as a product of 1–3 whole numbers."""
    out = []
    for _ in range(b.g.int(0, 2)):
        options = [d for d in range(1, min(n, 8) + 1) if n % d == 0]
        d = b.g.pick(options)
        out.append(d)
        n //= d
    return out + [n]


def _sizes(b: Builder, values: list[Any]) -> str:
    """Sizes one by one, or as one tuple."""
    text = ", ".join(str(v) for v in values)
    return f"({text}{',' if len(values) == 1 else ''})" if b.g.chance(4) else text


def _numel(s: Shape) -> int:
    n = 1
    for e in s:
        n *= e
    return n


# -- torch ----------------------------------------------------------------------------------

def _slots(first: str, values: list[Any], text: str) -> set[str]:
    """The parameters a size list fills: `first`, and given one by one the slots '*2', …"""
    return {first} if text.startswith("(") else {first, *(f"*{i}" for i in
                                                          range(2, len(values) + 1))}


def _view(type_: str) -> Form:
    def form(b: Builder, focus: str | None) -> bool:
        values = [-1, *_factors(b, _numel(b.shape))]
        text = _sizes(b, values)
        return _apply(b, f"{type_}({{0}}, {text})", type_, _slots("shape", values, text))

    return form


def _permute(b: Builder, focus: str | None) -> bool:
    rest = list(range(1, len(b.shape) + 1))
    order = [b.g.pick(rest)]
    rest.remove(order[0])
    while rest:
        order.append(rest.pop(b.g.int(0, len(rest) - 1)))
    text = _sizes(b, [0, *order])
    return _apply(b, f"permute({{0}}, {text})", "permute", _slots("dims", [0, *order], text))


def _transpose(b: Builder, focus: str | None) -> bool:
    r = len(b.shape) + 1
    return _apply(b, f"transpose({{0}}, {_dims(b, r)}, {_dims(b, r)})", "transpose",
                  {"dim0", "dim1"})


def _flatten(b: Builder, focus: str | None) -> bool:
    r = len(b.shape) + 1
    start = b.g.int(1, r - 1)
    end = b.g.int(start, r - 1)
    if b.g.chance(5):
        return _apply(b, f"flatten({{0}}, {start}, {end - r if b.g.chance(5) else end})",
                      "flatten", {"start_dim", "end_dim"})
    return _apply(b, f"flatten({{0}}, start_dim={start})", "flatten", {"start_dim"})


def _unsqueeze(b: Builder, focus: str | None) -> bool:
    r = len(b.shape) + 2  # the output's rank
    return _apply(b, f"unsqueeze({{0}}, {_dims(b, r)})", "unsqueeze", {"dim"})


def _ones_first(b: Builder, first: int) -> int:
    """An axis (counting the batch) whose extent is 1 if there is one, else any."""
    ones = [i + first for i, e in enumerate(b.shape) if e == 1]
    return b.g.pick(ones) if ones and b.g.chance(7) else b.g.int(first, len(b.shape))


def _squeeze(b: Builder, focus: str | None) -> bool:
    return _apply(b, f"squeeze({{0}}, {_ones_first(b, 1)})", "squeeze", {"dim"})


def _expand(b: Builder, focus: str | None) -> bool:
    sizes = [-1] + [b.g.int(1, 4) if e == 1 and b.g.chance(6) else
                    (e if b.g.chance(3) else -1) for e in b.shape]
    text = _sizes(b, sizes)
    return _apply(b, f"expand({{0}}, {text})", "expand", _slots("size", sizes, text))


def _chunk(b: Builder, focus: str | None) -> bool:
    dim = _dims(b, len(b.shape) + 1)
    return _apply(b, f"chunk({{0}}, {b.g.int(1, 4)}, {dim})", "chunk", {"chunks", "dim"})


def _split(b: Builder, focus: str | None) -> bool:
    axis = b.g.int(1, len(b.shape))
    length = b.shape[axis - 1]
    dim = axis - len(b.shape) - 1 if b.g.chance(3) else axis
    if b.g.chance(5):
        first = b.g.int(0, length)
        sizes = f"({first}, {length - first})"
    else:
        sizes = str(b.g.int(1, length))
    return _apply(b, f"split({{0}}, {sizes}, dim={dim})", "split",
                  {"split_size_or_sections", "dim"})


def _contiguous(b: Builder, focus: str | None) -> bool:
    """A transpose, the copy, then the view that needs it (torch refuses the view without)."""
    r = len(b.shape) + 1
    if r < 3:
        return _apply(b, "contiguous({0})", "contiguous", set())
    return _apply(b, f"view(contiguous(transpose({{0}}, 1, {r - 1})), -1, {_numel(b.shape)})",
                  "contiguous", set())


def _matmul(b: Builder, focus: str | None) -> bool:
    return _apply(b, "matmul({0}, transpose({0}, -1, -2))", "matmul", set())


def _softmax(b: Builder, focus: str | None) -> bool:
    return _apply(b, f"softmax({{0}}, {_dims(b, len(b.shape) + 1)})", "softmax", {"dim"})


def _attention(b: Builder, focus: str | None) -> bool:
    options = {"attn_mask": "None", "dropout_p": "0.0", "is_causal": "True", "scale": "0.5",
               "enable_gqa": "False"}
    given = {k: v for k, v in options.items() if b.g.chance(4)}
    extra = "".join(f", {k}={v}" for k, v in given.items())
    return _apply(b, f"scaled_dot_product_attention({{0}}, {{0}}, {{0}}{extra})",
                  "scaled_dot_product_attention", set(given))


# -- keras.ops --------------------------------------------------------------------------------

def _k_reshape(b: Builder, focus: str | None) -> bool:
    target = ", ".join(str(v) for v in [-1, *_factors(b, _numel(b.shape))])
    return _apply(b, f"reshape({{0}}, ({target},))", "reshape", {"newshape"})


def _k_transpose(b: Builder, focus: str | None) -> bool:
    rest = list(range(1, len(b.shape) + 1))
    order = [0]
    while rest:
        order.append(rest.pop(b.g.int(0, len(rest) - 1)))
    axes = ", ".join(str(a) for a in order)
    return _apply(b, f"transpose({{0}}, ({axes},))", "transpose", {"axes"})


def _k_expand_dims(b: Builder, focus: str | None) -> bool:
    return _apply(b, f"expand_dims({{0}}, {_dims(b, len(b.shape) + 2)})", "expand_dims",
                  {"axis"})


def _k_squeeze(b: Builder, focus: str | None) -> bool:
    ones = [i + 1 for i, e in enumerate(b.shape) if e == 1]
    if not ones:  # Keras refuses an axis that is not 1: make one first
        return _apply(b, "squeeze(expand_dims({0}, -1), -1)", "squeeze", {"axis"})
    return _apply(b, f"squeeze({{0}}, {b.g.pick(ones)})", "squeeze", {"axis"})


def _k_split(b: Builder, focus: str | None) -> bool:
    axis = b.g.int(1, len(b.shape))
    length = b.shape[axis - 1]
    if b.g.chance(5):
        cut = b.g.int(0, length)
        return _apply(b, f"split({{0}}, ({cut},), axis={axis})", "split",
                      {"indices_or_sections", "axis"})
    n = b.g.pick([d for d in range(1, min(length, 4) + 1) if length % d == 0])
    return _apply(b, f"split({{0}}, {n}, {axis})", "split", {"indices_or_sections", "axis"})


def _k_matmul(b: Builder, focus: str | None) -> bool:
    r = len(b.shape) + 1
    axes = ", ".join(str(a) for a in [*range(r - 2), r - 1, r - 2])
    return _apply(b, f"matmul({{0}}, transpose({{0}}, ({axes},)))", "matmul", set())


def _k_softmax(b: Builder, focus: str | None) -> bool:
    return _apply(b, f"softmax({{0}}, {_dims(b, len(b.shape) + 1)})", "softmax", {"axis"})


def _mean(b: Builder, focus: str | None) -> bool:
    """Distinct dims past the batch (one, or a list, now and then negative); keepdim, or at
    least one axis left besides the batch."""
    r = len(b.shape) + 1
    keep = len(b.shape) == 1 or b.g.chance(3)
    count = b.g.int(1, len(b.shape) if keep else len(b.shape) - 1)
    axes = list(range(1, r))
    dims = [axes.pop(b.g.int(0, len(axes) - 1)) for _ in range(count)]
    dims = [d - r if b.g.chance(3) else d for d in dims]
    text = str(dims[0]) if count == 1 and b.g.chance(2) else (
        "[" + ", ".join(str(d) for d in dims) + "]")
    if keep:
        return _apply(b, f"mean({{0}}, {text}, keepdim=True)", "mean", {"dim", "keepdim"})
    return _apply(b, f"mean({{0}}, {text})", "mean", {"dim"})


def _at_least(n: int) -> Callable[[Shape], bool]:
    return lambda s: len(s) >= n


FORMS: dict[str, dict[str, Form]] = {
    "torch": {"view": _view("view"), "reshape": _view("reshape"), "permute": _permute,
              "transpose": _transpose, "flatten": _flatten, "unsqueeze": _unsqueeze,
              "squeeze": _squeeze, "expand": _expand, "chunk": _chunk, "split": _split,
              "contiguous": _contiguous, "matmul": _matmul, "softmax": _softmax,
              "mean": _mean, "scaled_dot_product_attention": _attention},
    "keras": {"reshape": _k_reshape, "transpose": _k_transpose, "expand_dims": _k_expand_dims,
              "squeeze": _k_squeeze, "split": _k_split, "matmul": _k_matmul,
              "softmax": _k_softmax},
}
FITS: dict[str, dict[str, Callable[[Shape], bool]]] = {
    "torch": {"view": _at_least(1), "reshape": _at_least(1), "permute": _at_least(1),
              "transpose": _at_least(1), "flatten": _at_least(1), "unsqueeze": _at_least(1),
              "squeeze": _at_least(1), "expand": _at_least(1), "chunk": _at_least(1),
              "split": _at_least(1), "contiguous": _at_least(1), "matmul": _at_least(2),
              "softmax": _at_least(1), "mean": _at_least(1),
              "scaled_dot_product_attention": _at_least(2)},
    "keras": {"reshape": _at_least(1), "transpose": _at_least(1),
              "expand_dims": _at_least(1), "squeeze": _at_least(1),
              "split": _at_least(1), "matmul": _at_least(2), "softmax": _at_least(1)},
}
