"""Values and several results in assignments: whether `c = …` binds a value (`x.shape[-1] // 4`,
`max(1, c // 4)`) or a tensor, binding values (each binding a new values dict, so the Memo's
identity keys stay sound), unpacking several results (`q, k, v = x.chunk(3, dim=-1)`,
`out, (h, c) = lstm(x)`) with Python's messages, and the function a tensor method names."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..errors import Span, SymconvError, did_you_mean
from ..language import ir
from ..language.values import Arg
from ..layers import REGISTRY, LayerSpec
from .frames import Frame, Results, Tensor, flat, grouped, is_value


def bind_values(target: str | ir.Targets, arg: Arg, frame: Frame, span: Span,
                blocks: Mapping[str, object]) -> None:
    """`c = value`, or `_, c, h, w = x.shape`: each name bound in a new values dict."""
    if isinstance(target, str):
        _bind_value(target, arg.value, frame, span, blocks)
        return
    value = arg.value
    if not isinstance(value, tuple):
        raise SymconvError("SC111", f"cannot unpack {_one(value)}", arg.span,
                           hint="unpack a tuple, e.g. `_, c, h, w = x.shape`")
    _check_count(target, len(value), arg.span)
    for name, item in zip(target.items, value):
        if isinstance(name, ir.Targets):
            bind_values(name, item, frame, item.span, blocks)
        else:
            _bind_value(name.id, item.value, frame, name.span, blocks)


def _one(value: object) -> str:
    return "a string" if isinstance(value, str) else f"the single value {value}"


def _bind_value(name: str, value: object, frame: Frame, span: Span,
                blocks: Mapping[str, object]) -> None:
    taken = ("a tensor" if name in frame.tensors else "a shared layer" if name in frame.shared
             else "a block" if name in blocks else "a size or block argument"
             if name in frame.values and name not in frame.assigned else None)
    if taken is not None:
        raise SymconvError("SC107", f"'{name}' is already {taken}", span,
                           hint="give the value another name")
    # a new dict, never an update: the Memo keys on the values dict's identity
    frame.values = {**frame.values, name: value}
    frame.assigned.add(name)


def _check_count(target: ir.Targets, got: int, span: Span) -> None:
    """Python's ValueError when the names and the results differ in number."""
    want = len(target.items)
    if got > want:
        raise SymconvError("SC111", f"too many values to unpack (expected {want}, got {got})",
                           span, hint=f"name all {got}, or take one with `[i]`")
    if got < want:
        raise SymconvError("SC111", f"not enough values to unpack (expected {want}, got {got})",
                           span)


def unpack(target: ir.Targets, tensor: Tensor, span: Span) -> Iterator[tuple[ir.Name, Tensor]]:
    """The (name, tensor) pairs of `a, (b, c) = …` over several results."""
    if tensor.several is None:
        raise SymconvError("SC111", "cannot unpack one tensor", span,
                           hint="several names take the results of a call that gives several "
                           "(`x.chunk(2)`, an LSTM's output and states)")
    _check_count(target, len(tensor.several), span)
    for name, item in zip(target.items, tensor.several):
        result = grouped(item) if isinstance(item, tuple) else item
        if isinstance(name, ir.Targets):
            yield from unpack(name, result, name.span)
        else:
            yield name, result


def refuse_several(tensor: Tensor, node: ir.Value) -> Tensor:
    """`tensor`, which must be one tensor here: several results are refused where written."""
    if tensor.several is None:
        return tensor
    count = len(tensor.several)
    shown = f"'{node.id}' holds" if isinstance(node, ir.Name) else "this gives"
    raise SymconvError("SC111", f"{shown} {count} results where one tensor is needed",
                       node.span, hint="unpack them (`a, b = …`) or take one (`…[0]`)",
                       notes=[f"{len(flat(tensor.several))} tensors in all"]
                       if len(flat(tensor.several)) != count else [])


def method_spec(func: ir.Attribute, convention: str) -> LayerSpec:
    """The function `x.name(…)` calls: the registry's functional spec of that name."""
    functions = sorted(k for k, v in REGISTRY[convention].items() if v.family == "functional")
    spec = REGISTRY[convention].get(func.name)
    if spec is None or spec.family != "functional":
        label = "PyTorch" if convention == "torch" else "Keras"
        raise SymconvError("SC101", f"unknown {label} tensor method '{func.name}'",
                           func.name_span, hint=did_you_mean(func.name, functions)
                           or f"the tensor methods are the functions: {', '.join(functions)}")
    return spec


__all__ = ["Results", "bind_values", "is_value", "method_spec", "refuse_several", "unpack"]
