"""The tensor operations (layers/torch_ops.py, keras_ops.py) as operations (ops.py), per
example. Moving elements (view, reshape, permute, transpose, flatten, unsqueeze, squeeze,
expand, chunk, split, contiguous, expand_dims) costs nothing under every convention; matmul and attention
are products of activations (ops.Product); softmax an activation; mean one operation per element
it reads (as pooling is) where a convention counts element-wise work, and nothing in ptflops and
fvcore, which see no Tensor.mean.

Counting conventions compared: a matmul (…, m, k) @ (…, k, n) is m·k·n multiply-adds for every
element of the broadcast leading axes (the per-example output's elements times k); ptflops
0.7.5 and fvcore 0.1.5 both count ∏a·n instead (their matmul hooks), the same unless b's
leading axes broadcast a. scaled_dot_product_attention (…, L, E), (…, S, E), (…, S, Ev) is
L·S·E (QKᵀ) + L·S·Ev (A·V) for every leading element: 2·L·S·d when E = Ev = d; the softmax on
the L·S scores is an activation (counted where a convention counts activations; ptflops does
not see it inside the fused op), the 1/√E scaling is not counted. Neither ptflops nor fvcore
handles scaled_dot_product_attention: their count is 0.
"""

from __future__ import annotations

from ..derivation.model import LayerRecord
from .ops import Activation, Op, Product, handles, no_compute, numel


def _matmul(record: LayerRecord) -> tuple[Op, ...]:
    """matmul: ∏out·k exactly (k the contracted extent, a's last); ptflops and fvcore
    ∏a·b[-1]."""
    a, b = record.input_shapes[0], record.input_shapes[1]
    return (Product(numel(record.output_shape) * a[-1], numel(a) * b[-1]),)


def _attention(record: LayerRecord) -> tuple[Op, ...]:
    """scaled_dot_product_attention: QKᵀ ∏lead·L·S·E and A·V ∏lead·L·S·Ev multiply-adds, and
    a softmax over the ∏lead·L·S scores (inside the fused op)."""
    q, k = record.input_shapes[0], record.input_shapes[1]
    out = record.output_shape
    scores = numel(out[:-1]) * k[-2]
    return (Product(scores * q[-1]), Product(scores * out[-1]),
            Activation("softmax", scores, via="bound"))


def _softmax(record: LayerRecord) -> tuple[Op, ...]:
    """softmax (F.softmax / keras.ops.softmax) on ∏out elements. Written as the tensor's method,
    `x.softmax(-1)`, torch runs Tensor.softmax, which ptflops does not patch (it patches
    F.softmax): 'bound', as a function it cannot see."""
    method = record.call is not None and record.call.method
    return (Activation("softmax", numel(record.output_shape), via="bound" if method else "module"),)


def _mean(record: LayerRecord) -> tuple[Op, ...]:
    """mean: one add per input element (∏in), an element-wise operation that `all` counts;
    ptflops 0.7.5 patches no torch.mean or Tensor.mean and fvcore 0.1.5 has no aten::mean
    handle, so both count 0: 'bound', an operation neither sees."""
    return (Activation("mean", numel(record.input_shapes[0]), via="bound"),)


handles("torch", "matmul")(_matmul)
handles("torch", "mean")(_mean)
handles("keras", "matmul")(_matmul)
handles("torch", "scaled_dot_product_attention")(_attention)
handles("torch", "softmax")(_softmax)
handles("keras", "softmax")(_softmax)
for _type in ("view", "reshape", "permute", "transpose", "flatten", "unsqueeze", "squeeze",
              "expand", "chunk", "split", "contiguous"):
    handles("torch", _type)(no_compute)
for _type in ("reshape", "transpose", "expand_dims", "squeeze", "split"):
    handles("keras", _type)(no_compute)
