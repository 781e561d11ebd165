"""Helpers shared by the layer families of both conventions."""

from __future__ import annotations

from functools import lru_cache

import sympy
from sympy import Expr

from ..maths import extent
from .base import Call, Weight, small


def positive_extents(call: Call, shape: tuple[Expr, ...], axes: range | tuple[int, ...],
                     reason: str) -> None:
    """Require every extent on `axes` to be at least 1."""
    for axis in axes:
        call.require(extent.at_least(shape[axis], 1), reason)


def divisible(call: Call, value: Expr, by: Expr, reason: str, arg: str | None = None) -> None:
    known = small(value) and small(by)
    call.require(_divides(value, by) if known else sympy.Eq(sympy.Mod(value, by), 0), reason, arg)


@lru_cache(maxsize=4096)  # the same channels and heads, block after block
def _divides(value: Expr, by: Expr) -> sympy.Basic:
    """``value mod by = 0``, decided by sympy where it can be (Mod and Eq evaluate)."""
    return sympy.Eq(sympy.Mod(value, by), 0)


def product(values: tuple[Expr, ...] | list[Expr]) -> Expr:
    return sympy.Mul(*values) if values else sympy.Integer(1)


def all_one(values: tuple[Expr, ...]) -> sympy.Basic:
    return sympy.And(*[sympy.Eq(v, 1) for v in values])


# Keras 3.15's activation identifiers (keras.activations.ALL_OBJECTS_DICT), less "threshold":
# activations.get accepts it, but it needs `threshold` and `default_value`, so every call fails
# ("threshold() missing 2 required positional arguments").
KERAS_ACTIVATIONS = (
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
    "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign",
    "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh", "tanh_shrink",
)


def keras_activation(call: Call, name: str = "activation") -> None:
    """Check a Keras activation argument (None or a known identifier)."""
    if call.raw(name) is not None:
        call.choice(name, KERAS_ACTIVATIONS)


def keras_lora(call: Call, kernel: Weight, out: Expr) -> list[Weight]:
    """Keras 3 LoRA (`lora_rank` r, Dense and BaseConv.enable_lora): a rank of None or 0 leaves
    the kernel alone; otherwise the kernel is frozen and two trainable factors are added,
    lora_kernel_a (*kernel shape but the last axis, r) and lora_kernel_b (r, out)."""
    rank = call.switch("lora_rank", optional=True)
    if rank is None or rank.is_zero:
        return [kernel]
    if call.raw("kernel_constraint") is not None:
        raise call.fail("LoRA is incompatible with kernel constraints", "lora_rank")
    return [Weight(kernel.name, kernel.shape, trainable=False),
            Weight("lora_kernel_a", (*kernel.shape[:-1], rank)),
            Weight("lora_kernel_b", (rank, out))]
