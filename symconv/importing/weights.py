"""Weights a forward reads itself (torch.fx get_attr nodes), and the checks it makes.

An nn.Parameter used as a tensor (ViT's `class_token`, ConvNeXt's `layer_scale`) becomes a
`parameter name: (shape)` statement in the block of the module that holds it, named as torch
names it. The weight and bias of a function that has a layer of the catalog
(`F.layer_norm(x, shape, self.weight, self.bias, eps)`, torchvision's LayerNorm2d) are that
layer's own: the layer is named as the module that holds them, so the records carry the
state dict's names. `torch._assert(cond, msg)` and the values only it reads are left out: a
check changes no shape (a model that asserts one input size derives, in the file, with the
conditions its shapes need).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .functions import Inline, Op, Unsupported, bound_arguments
from .literals import Arg, Fragment, Hole, LayerCall

if TYPE_CHECKING:
    import torch
    from torch.fx import Graph, Node

# functions whose weight and bias are a catalog layer's: (the function's parameters after the
# tensor, the ones that hold weights)
_WEIGHTED = {"layer_norm": (("normalized_shape", "weight", "bias", "eps"), ("weight", "bias"))}


@dataclass
class Parameter:
    """`parameter attr: (shape)`: an nn.Parameter the forward uses as a tensor."""

    attr: str
    shape: tuple[int, ...]
    frozen: bool  # requires_grad=False

    def fragments(self, name: str) -> list[Fragment]:
        """The statement; each extent a hole, so instances of one block of other widths (the
        layer scale of each ConvNeXt stage) share the block."""
        out: list[Fragment] = [f"parameter {name}: ("]
        for k, extent in enumerate(self.shape):
            out += [", "] if k else []
            out.append(Hole(extent, "dim"))
        out.append(",)" if len(self.shape) == 1 else ")")
        return out + ([", requires_grad=False"] if self.frozen else [])


def _name(node: Node) -> str:
    target = node.target
    return target if isinstance(target, str) else getattr(target, "__name__", str(target))


def takes_weights(node: Node) -> bool:
    return node.op == "call_function" and _name(node) in _WEIGHTED


def _as_weight(user: Node, node: Node) -> bool:
    """Whether `user` reads `node` as a layer function's weight or bias."""
    if not takes_weights(user):
        return False
    params, held = _WEIGHTED[_name(user)]
    bound = bound_arguments(user, ("input", *params))
    return any(bound.get(k) is node for k in held) and bound.get("input") is not node


def weight(node: Node, model: torch.nn.Module) -> Parameter | Inline:
    """A get_attr node: a parameter statement, or a layer function's weight (written by it)."""
    target = str(node.target)
    try:
        value = model.get_parameter(target)
    except AttributeError:
        raise Unsupported(f"tensor '{target}' the forward reads directly (a buffer or a plain "
                          "tensor, not an nn.Parameter)", "a `parameter name: (shape)` of a "
                          ".arch file is an nn.Parameter; write that part by hand") from None
    readers = [_as_weight(u, node) for u in node.users]
    if readers and all(readers):
        return Inline(lambda ref: target)  # never written: the layer holds it
    if any(readers):
        raise Unsupported(f"weight '{target}' used both by a layer function and as a tensor",
                          "use the weight in one of the two ways")
    owner, _, attr = target.rpartition(".")
    stack = list(node.meta.get("nn_module_stack", {}).values())
    if owner != (stack[-1][0] if stack else ""):
        raise Unsupported(f"weight '{target}' read outside the module that holds it",
                          "a .arch parameter belongs to the block that uses it: read the "
                          "weight in its own module's forward")
    return Parameter(attr, tuple(int(e) for e in value.shape), not value.requires_grad)


def weighted_layer(node: Node, model: torch.nn.Module) -> Op:
    """`F.layer_norm(x, shape, weight, bias, eps)` as LayerNorm: with no weights, or with the
    weight (and bias) of one module, of the normalised shape, the layer named as that module."""
    params, _ = _WEIGHTED[_name(node)]
    bound = bound_arguments(node, ("input", *params))
    shape = bound["normalized_shape"]
    if isinstance(shape, (tuple, list)) and len(shape) == 1:
        shape = shape[0]
    if not (isinstance(shape, int) or isinstance(shape, (tuple, list))
            and all(isinstance(e, int) for e in shape)):
        raise Unsupported("layer_norm with a shape computed from a tensor",
                          "give normalized_shape as numbers")
    eps = bound.get("eps", 1e-5)
    if not isinstance(eps, float):
        raise Unsupported("layer_norm with an eps computed from a tensor", "give eps as a number")
    owner, args = _owner(bound, shape, model)
    call = LayerCall("LayerNorm", (Arg(None, shape, "normalized_shape"),
                                   Arg("eps", eps, "eps", 1e-5), *args))
    return Op((bound["input"],), layer=call, owner=owner)  # type: ignore[arg-type]


def _owner(bound: dict[str, object], shape: object, model: torch.nn.Module
           ) -> tuple[str | None, tuple[Arg, ...]]:
    """The module holding the weight and bias, and the LayerNorm arguments that say which of
    them there are."""
    w, b = bound.get("weight"), bound.get("bias")
    if w is None and b is None:
        return None, (Arg("elementwise_affine", False, "elementwise_affine", True),)
    want = (shape,) if isinstance(shape, int) else tuple(shape)  # type: ignore[arg-type]
    owner = _held(w, "weight", want, model)
    if owner is not None and (b is None or _held(b, "bias", want, model) == owner):
        return owner, (() if b is not None else (Arg("bias", False, "bias", True),))
    raise Unsupported("layer_norm whose weights are not one module's weight and bias of the "
                      "normalised shape", "nn.LayerNorm, or F.layer_norm(x, shape, self.weight, "
                      "self.bias, eps) in a module holding both")


def _held(value: object, attr: str, shape: tuple[int, ...], model: torch.nn.Module
          ) -> str | None:
    """The path of the module whose parameter `attr` of `shape` the get_attr `value` reads."""
    from torch.fx import Node as FxNode

    if not (isinstance(value, FxNode) and value.op == "get_attr"):
        return None
    owner, _, name = str(value.target).rpartition(".")
    if name != attr or not owner:  # the model's own: no module name for the layer
        return None
    try:
        found = model.get_parameter(str(value.target))
    except AttributeError:  # a buffer: LayerNorm's weights are parameters
        return None
    return owner if tuple(found.shape) == shape else None


def checks(graph: Graph) -> set[Node]:
    """`torch._assert` calls and the values only they read (`h == 224`, `x.dim() == 3`)."""
    import torch

    found: set[Node] = set()
    for node in reversed(list(graph.nodes)):
        if node.target is torch._assert or (node.op in ("call_function", "call_method") and
                                            node.users and all(u in found for u in node.users)):
            found.add(node)
    return found


def left_out(node: Node) -> Inline:
    """A check, or a value only a check reads: never written."""
    return Inline(lambda ref: f"<{node.name}>")

