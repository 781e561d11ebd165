"""torch functions and tensor methods in a traced graph, as `.arch` statements.

Three kinds: a function with a layer of the catalog that does the same (`F.relu` is `ReLU()`,
`F.adaptive_avg_pool2d(x, 1)` is `AdaptiveAvgPool2d(1)`), written as that layer; a tensor
operation of the language (`x + y`, `cat`, `flatten`, `view`, …); and a value that is not a
tensor (`x.size(0)`, `x.shape[1]`), written inline where it is used.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .literals import Arg, LayerCall, is_literal, literal

if TYPE_CHECKING:
    from torch.fx import Node

Ref = Callable[["Node"], str]  # a tensor's or an inline value's text


class Unsupported(Exception):
    """A call with no .arch form; `hint` names the nearest supported one."""

    def __init__(self, what: str, hint: str) -> None:
        super().__init__(what)
        self.what, self.hint = what, hint


@dataclass
class Op:
    """A statement made from a function call: a layer (`layer`, applied to `tensors[0]`) or a
    tensor operation written by `text`."""

    tensors: tuple[Node, ...]
    layer: LayerCall | None = None
    text: Callable[[Ref], str] | None = None
    owner: str | None = None  # the module whose weights the layer's are: named as it


@dataclass
class Inline:
    """A value that is not a tensor, written where it is used."""

    text: Callable[[Ref], str]
    tensors: tuple[Node, ...] = field(default_factory=tuple)


def _value(value: object, ref: Ref) -> str:
    from torch.fx import Node

    if isinstance(value, Node):
        return ref(value)
    if isinstance(value, (tuple, list)):
        items = [_value(v, ref) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return literal(value)


def bound_arguments(node: Node, names: tuple[str, ...]) -> dict[str, object]:
    """The call's arguments by name (the first is the tensor)."""
    bound = dict(zip(names, node.args))
    bound.update(node.kwargs)
    return bound


def _check_values(node: Node, values: list[object], what: str) -> None:
    from torch.fx import Node as FxNode

    for v in values:
        if not (isinstance(v, FxNode) or is_literal(v) or (
                isinstance(v, (tuple, list)) and all(isinstance(i, FxNode) or is_literal(i)
                                                     for i in v))):
            raise Unsupported(f"{what} with an argument of type {type(v).__name__}",
                              "write the argument as a number, a tuple or x.shape[i]")


# functions with a catalog layer of the same effect: (layer, the function's parameter names
# after the tensor, the names the layer reads, in the layer's order)
_LAYER_FUNCTIONS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "relu": ("ReLU", ("inplace",), ()),
    "relu6": ("ReLU6", ("inplace",), ()),
    "silu": ("SiLU", ("inplace",), ()),
    "hardswish": ("Hardswish", ("inplace",), ()),
    "hardsigmoid": ("Hardsigmoid", ("inplace",), ()),
    "gelu": ("GELU", ("approximate",), ()),
    "sigmoid": ("Sigmoid", (), ()),
    "tanh": ("Tanh", (), ()),
    "dropout": ("Dropout", ("p", "training", "inplace"), ("p",)),
    **{f"adaptive_{k}_pool{r}d": (f"Adaptive{K}Pool{r}d", ("output_size",), ("output_size",))
       for k, K in (("avg", "Avg"), ("max", "Max")) for r in (1, 2, 3)},
    **{f"max_pool{r}d": (f"MaxPool{r}d", ("kernel_size", "stride", "padding", "dilation",
                                          "ceil_mode"),
                         ("kernel_size", "stride", "padding", "dilation", "ceil_mode"))
       for r in (1, 2, 3)},
    **{f"avg_pool{r}d": (f"AvgPool{r}d", ("kernel_size", "stride", "padding", "ceil_mode",
                                          "count_include_pad"),
                         ("kernel_size", "stride", "padding", "ceil_mode",
                          "count_include_pad"))
       for r in (1, 2, 3)},
}
_DEFAULTS: dict[str, object] = {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False,
                                "count_include_pad": True, "p": 0.5}
_REQUIRED = frozenset({"output_size", "kernel_size"})


def _layer_function(node: Node, name: str) -> Op:
    layer, params, read = _LAYER_FUNCTIONS[name]
    bound = bound_arguments(node, ("input", *params))
    _check_values(node, [bound[k] for k in read if k in bound], name)
    from torch.fx import Node as FxNode

    if any(isinstance(bound.get(k), FxNode) for k in read):
        raise Unsupported(f"{name} with a size computed from a tensor",
                          "give the function's sizes as numbers")
    args = tuple(Arg(None if k in _REQUIRED else k, bound[k], k) for k in read
                 if k in bound and (k in _REQUIRED or bound[k] != _DEFAULTS.get(k)))
    return Op((bound["input"],), layer=LayerCall(layer, args))  # type: ignore[arg-type]


_BINARY = {operator.add: "+", operator.sub: "-", operator.mul: "*"}
_BINARY_NAMED = {"add": "+", "sub": "-", "mul": "*"}
# tensor operations of the language: the function's argument names after the tensor
_TENSOR_OPS: dict[str, tuple[str, ...]] = {
    "flatten": ("start_dim", "end_dim"), "transpose": ("dim0", "dim1"),
    "unsqueeze": ("dim",), "squeeze": ("dim",), "contiguous": (),
    "chunk": ("chunks", "dim"), "split": ("split_size_or_sections", "dim"),
    "softmax": ("dim",), "select": ("dim", "index"), "mean": ("dim", "keepdim"),
}
_VARIADIC = frozenset({"view", "reshape", "permute", "expand"})  # x.view(a, b) or x.view((a, b))


def _binary(node: Node, symbol: str) -> Op:
    from torch.fx import Node as FxNode

    a, b = node.args[0], node.args[1]
    if not (isinstance(a, FxNode) and isinstance(b, FxNode)) or node.kwargs:
        raise Unsupported(f"'{symbol}' with a number", "only tensor + tensor, tensor - tensor "
                          "and tensor * tensor are supported; a layer such as "
                          "nn.Identity keeps the shape")
    return Op((a, b), text=lambda ref: f"{ref(a)} {symbol} {ref(b)}")


def _cat(node: Node) -> Op:
    bound = bound_arguments(node, ("tensors", "dim"))
    tensors, dim = tuple(bound["tensors"]), bound.get("dim", 0)  # type: ignore[arg-type]
    _check_values(node, [dim], "cat")
    return Op(tensors, text=lambda ref: "cat((" + ", ".join(ref(t) for t in tensors)
              + ("," if len(tensors) == 1 else "") + f"), dim={_value(dim, ref)})")


def _tensor_op(node: Node, name: str) -> Op:
    x, rest = node.args[0], list(node.args[1:])
    if name in _VARIADIC and len(rest) == 1 and isinstance(rest[0], (tuple, list)):
        rest = list(rest[0])
    if name in ("softmax", "mean") and node.kwargs.get("dtype") is not None:
        raise Unsupported(f"{name} with a dtype", f"{name}(x, dim) without dtype")
    _check_values(node, rest + list(node.kwargs.values()), name)
    keywords = {k: v for k, v in node.kwargs.items() if k != "dtype"}

    def text(ref: Ref) -> str:
        parts = [ref(x)] + [_value(v, ref) for v in rest]  # type: ignore[arg-type]
        parts += [f"{k}={_value(v, ref)}" for k, v in keywords.items()]
        return f"{name}({', '.join(parts)})"
    return Op((x,), text=text)  # type: ignore[arg-type]


def _shape_of(node: Node) -> Inline:
    x = node.args[0]
    if node.op == "call_method" and (len(node.args) > 1 or "dim" in node.kwargs):
        dim = node.args[1] if len(node.args) > 1 else node.kwargs["dim"]
        return Inline(lambda ref: f"{ref(x)}.shape[{_value(dim, ref)}]", (x,))  # type: ignore[arg-type]
    return Inline(lambda ref: f"{ref(x)}.shape", (x,))  # type: ignore[arg-type]


def translate(node: Node, inline: dict[Node, Inline], pairs: frozenset[Node] = frozenset()
              ) -> Op | Inline:
    """The statement or inline value for a call_function / call_method node; `pairs` are the
    calls of modules that give (output, weights) in torch and their output alone in .arch."""
    target = node.target
    name = target if isinstance(target, str) else getattr(target, "__name__", str(target))
    if node.op == "call_function" and target is getattr and node.args[1] == "shape":
        return _shape_of(node)
    if node.op == "call_method" and name == "size":
        return _shape_of(node)
    if target is operator.getitem:
        return _getitem(node, inline, pairs)
    if target in _ARITHMETIC and any(a in inline for a in node.args if _hashable(a)):
        return _arithmetic(node, _ARITHMETIC[target])  # type: ignore[index]
    if target in _BINARY:
        return _binary(node, _BINARY[target])  # type: ignore[index]
    if name in _BINARY_NAMED and len(node.args) == 2:
        return _binary(node, _BINARY_NAMED[name])
    if name in ("cat", "concat", "concatenate"):
        return _cat(node)
    if name in _LAYER_FUNCTIONS:
        return _layer_function(node, name)
    if name in _TENSOR_OPS or name in _VARIADIC:
        return _tensor_op(node, name)
    raise Unsupported(f"{'method' if node.op == 'call_method' else 'function'} '{name}'",
                      _nearest(name))


_ARITHMETIC = {operator.add: "+", operator.sub: "-", operator.mul: "*",
               operator.floordiv: "//"}


def _hashable(value: object) -> bool:
    from torch.fx import Node as FxNode

    return isinstance(value, FxNode)


def _arithmetic(node: Node, symbol: str) -> Inline:
    """Arithmetic on sizes (`c = x.size(1) // groups`), written inline in parentheses."""
    a, b = node.args
    _check_values(node, [a, b], f"'{symbol}'")
    return Inline(lambda ref: f"({_value(a, ref)} {symbol} {_value(b, ref)})")


def _several(node: object) -> bool:
    """Whether `node` gives several tensors (chunk, split)."""
    from torch.fx import Node as FxNode

    if not isinstance(node, FxNode):
        return False
    name = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", "")
    return name in ("chunk", "split")


def _getitem(node: Node, inline: dict[Node, Inline], pairs: frozenset[Node]) -> Op | Inline:
    base, index = node.args
    if base in inline and isinstance(index, int):
        return Inline(lambda ref: f"{ref(base)}[{index}]", ())  # type: ignore[arg-type]
    if _several(base) and isinstance(index, int):  # one piece of x.chunk(2) or x.split(…)
        return Op((base,), text=lambda ref: f"{ref(base)}[{index}]")  # type: ignore[arg-type]
    if base in pairs and index in (0, 1):
        return _of_pair(node, index)  # type: ignore[arg-type]
    if isinstance(index, tuple) and index and isinstance(index[-1], int) and all(
            i == slice(None) for i in index[:-1]):  # x[:, 0]: one index along axis k
        dim, at = len(index) - 1, index[-1]
        return Op((base,), text=lambda ref: f"select({ref(base)}, {dim}, {at})")  # type: ignore[arg-type]
    raise Unsupported("indexing or slicing of a tensor", "x[:, i] (an index after whole "
                      "slices) is select(x, dim, i); other slices are not part of the language")


def _of_pair(node: Node, index: int) -> Inline:
    """nn.MultiheadAttention gives (output, weights); its .arch layer gives the output."""
    base = node.args[0]
    if index == 0:
        return Inline(lambda ref: ref(base), (base,))  # type: ignore[arg-type]
    if node.users:
        raise Unsupported("attention weights of nn.MultiheadAttention",
                          "a .arch MultiheadAttention gives its output only: call it with "
                          "need_weights=False")
    return Inline(lambda ref: f"<{node.name}>")  # unused: never written


# the nearest supported form of a few common functions
_ALTERNATIVES = {
    "amax": "over the spatial axes, AdaptiveMaxPool2d(1) then flatten(x, 1) gives the same shape",
    "sum": "a sum over axes has no .arch form; over the spatial axes, AdaptiveAvgPool2d(1) "
           "then flatten(x, 1) gives the same shape",
    "interpolate": "the module nn.Upsample",
    "pad": "the modules nn.ZeroPad2d, nn.ConstantPad2d, …",
}


def _nearest(name: str) -> str:
    from ..errors import did_you_mean

    if name in _ALTERNATIVES:
        return _ALTERNATIVES[name]

    known = sorted({*_LAYER_FUNCTIONS, *_TENSOR_OPS, *_VARIADIC, "cat", "add", "sub", "mul"})
    close = did_you_mean(name, known)
    listed = ", ".join(known)
    return (close + " " if close else "") + f"the functions symconv can import: {listed}"
