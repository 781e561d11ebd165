"""The compute a layer performs, as framework-neutral primitive operations (an IR between the layer
records and a counting convention).

A layer handler (torch_layers.py, keras_layers.py) turns one LayerRecord into a tuple of these
dataclasses; a Convention (macs.py) prices each kind. Sizes are sympy expressions in the user's
symbols, per example (batch axis left out, as in the records).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from functools import lru_cache

import sympy
from sympy import Expr, Integer

from ..derivation.model import LayerCall, LayerRecord
from ..derivation.model import arguments as model_arguments

ZERO = Integer(0)


@dataclass(frozen=True)
class Contract:
    """A product with a weight tensor (conv, transposed conv, dense/linear, depthwise, pointwise)
    or between activations (Keras Dot): `macs` multiply-adds; `bias` the elements a bias vector
    is added to (0 without a bias)."""

    macs: Expr
    bias: Expr = ZERO


@dataclass(frozen=True)
class Activation:
    """A pointwise nonlinearity on `numel` elements. `kind` is torch's functional name (relu,
    relu6, leaky_relu, gelu, silu, sigmoid, tanh, softmax, prelu, elu, …); `via`: 'module' when
    the equivalent torch model runs an nn module for it, 'bound' when it calls a function bound
    earlier (TransformerEncoderLayer's activation, Keras Rescaling's arithmetic)."""

    kind: str
    numel: Expr
    via: str = "module"


@dataclass(frozen=True)
class Norm:
    """A normalisation of `numel` elements; `kind` batch, layer, group, instance, unit or rms;
    `affine`: with a learned scale (γ)."""

    kind: str
    numel: Expr
    affine: bool


@dataclass(frozen=True)
class Pool:
    """Pooling: `kind` max or avg; `adaptive` for adaptive/global pooling; `window` the number of
    elements each output reads (∏ kernel; for adaptive pooling the input extent ratio is not
    whole, so it is left 0)."""

    kind: str
    adaptive: bool
    rank: int
    in_numel: Expr
    out_numel: Expr
    window: Expr = ZERO


@dataclass(frozen=True)
class Resize:
    """Upsampling by interpolation; `mode` torch's (nearest, linear, bilinear, bicubic,
    trilinear, area); `requested` what F.interpolate was asked for: N·C·∏size, or the input's
    elements times the scale factors (ptflops prices that)."""

    mode: str
    rank: int
    in_numel: Expr
    out_numel: Expr
    requested: Expr


@dataclass(frozen=True)
class Merge:
    """An elementwise merge of `inputs` tensors into `numel` elements (kind add, sub, mul,
    average, maximum, minimum), or a concatenation / selection (kind cat, select: no arithmetic)."""

    kind: str
    inputs: int
    numel: Expr


@dataclass(frozen=True)
class Attention:
    """Scaled dot-product attention with its projections. Query length L (`q_len`, positions),
    key/value length S (`kv_len`), input widths d_q, d_k, d_v, projected widths `qk_dim` = h·key
    dim and `v_dim` = h·value dim, output width d_out; `pairs` the (query, key) position pairs
    the products run over (L·S', S' with torch's bias_kv / zero_attn rows); `fused`: the products
    run inside scaled_dot_product_attention (TransformerEncoderLayer calls need_weights=False),
    not as bmm calls."""

    q_len: Expr
    kv_len: Expr
    d_q: Expr
    d_k: Expr
    d_v: Expr
    qk_dim: Expr
    v_dim: Expr
    d_out: Expr
    heads: Expr
    pairs: Expr
    bias: bool
    fused: bool = False

    @property
    def projections(self) -> Expr:
        """Q, K, V and output projections: L·d_q·qk + S·d_k·qk + S·d_v·v + L·v·d_out."""
        return (self.q_len * self.d_q * self.qk_dim + self.kv_len * self.d_k * self.qk_dim
                + self.kv_len * self.d_v * self.v_dim + self.q_len * self.v_dim * self.d_out)

    @property
    def products(self) -> Expr:
        """QKᵀ and A·V over every head: pairs·qk + pairs·v."""
        return self.pairs * (self.qk_dim + self.v_dim)

    @property
    def bias_adds(self) -> Expr:
        return (self.q_len * self.qk_dim + self.kv_len * (self.qk_dim + self.v_dim)
                + self.q_len * self.d_out) if self.bias else ZERO


@dataclass(frozen=True)
class Cell:
    """One recurrent layer, one direction: weight_ih / kernel, weight_hh / recurrent_kernel and
    (LSTM proj_size) weight_hr element counts, the bias elements, the hidden width."""

    w_ih: Expr
    w_hh: Expr
    w_hr: Expr
    bias: Expr
    hidden: Expr


@dataclass(frozen=True)
class Recurrent:
    """An RNN over `steps` positions: `kind` RNN, LSTM or GRU; `directions` 1 or 2; `cells` one
    per stacked layer (per direction)."""

    kind: str
    steps: Expr
    directions: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Product:
    """A product of two activation tensors (torch.matmul, keras.ops.matmul, the QKᵀ and A·V of
    F.scaled_dot_product_attention): `macs` multiply-adds, exactly (every output element of
    (…, m, n) takes k); `counted` what ptflops and fvcore count for it (their matmul hooks:
    ∏a·b[-1], which ignores a broadcast b's extra leading axes; neither handles
    scaled_dot_product_attention: 0)."""

    macs: Expr
    counted: Expr = ZERO


Op = Contract | Activation | Norm | Pool | Resize | Merge | Attention | Recurrent | Product


# -- reading a record -----------------------------------------------------------------------

def arguments(record: LayerRecord, convention: str,
              call: LayerCall | None = None) -> dict[str, object]:
    """The call's arguments by the framework's names, the registry's defaults filled in."""
    call = call or record.call
    assert call is not None, f"layer {record.name} has no call"
    return model_arguments(call, convention)


def numel(shape: tuple[Expr, ...]) -> Expr:
    return _product(tuple(shape))


@lru_cache(maxsize=4096)  # an output shape counts a layer's MACs, bias adds and memory
def _product(shape: tuple[Expr, ...]) -> Expr:
    return sympy.Mul(*shape) if shape else Integer(1)


def weight(record: LayerRecord, name: str) -> Expr:
    """The element count of the weight called `name` (0 when the layer has none)."""
    for w in record.weights:
        if w.name == name:
            return w.size
    return ZERO


def has_weight(record: LayerRecord, name: str) -> bool:
    return any(w.name == name for w in record.weights)


def as_record(record: LayerRecord, call: LayerCall, input_shape: tuple[Expr, ...],
              output_shape: tuple[Expr, ...], prefix: str) -> LayerRecord:
    """A layer given as an argument (Bidirectional(LSTM(8)), TimeDistributed(Dense(4))) as a
    record of its own: its call, the shapes the wrapper gives it, its weights (`prefix` …)."""
    weights = tuple(replace(w, name=w.name.rsplit("/", 1)[-1]) for w in record.weights
                    if w.name.startswith(prefix))
    return replace(record, type=call.type, call=call, input_shape=input_shape,
                   input_shapes=(input_shape,), output_shape=output_shape, weights=weights,
                   shares=None)


# -- the handler registry -------------------------------------------------------------------

Handler = Callable[[LayerRecord], tuple[Op, ...]]

# (convention, layer type) → the layer's operations; filled by torch_layers and keras_layers
HANDLERS: dict[tuple[str, str], Handler] = {}


def handles(convention: str, *types: str) -> Callable[[Handler], Handler]:
    """Register `fn` as the handler of `types` (one family) in `convention`."""
    def add(fn: Handler) -> Handler:
        for type_ in types:
            HANDLERS[(convention, type_)] = fn
        return fn

    return add


def no_compute(record: LayerRecord) -> tuple[Op, ...]:
    """No arithmetic (reshaping, padding, cropping, dropout at inference, a table lookup):
    0 MACs under every convention."""
    return ()


SCALED = frozenset({"macs", "bias", "numel", "in_numel", "out_numel", "requested", "q_len",
                    "kv_len", "pairs", "steps", "counted"})


def scaled(op: Op, factor: Expr) -> Op:
    """`op` repeated `factor` times (TimeDistributed): every count field multiplied."""
    return replace(op, **{f.name: getattr(op, f.name) * factor for f in fields(op)
                          if f.name in SCALED})


def window_pool(record: LayerRecord, convention: str, size_name: str) -> tuple[Op, ...]:
    """Max/average pooling over windows: each output reads ∏window inputs (the window is
    `size_name`: Keras pool_size, PyTorch kernel_size)."""
    rank = len(record.input_shape) - 1
    size = arguments(record, convention)[size_name]
    window = numel(tuple(size) if isinstance(size, tuple) else (size,) * rank)  # type: ignore[arg-type]
    return (Pool(_pool_kind(record), False, rank, numel(record.input_shape),
                 numel(record.output_shape), window),)


def whole_pool(record: LayerRecord) -> tuple[Op, ...]:
    """Global (Keras) or adaptive (PyTorch) pooling: reads the whole input."""
    return (Pool(_pool_kind(record), True, len(record.input_shape) - 1,
                 numel(record.input_shape), numel(record.output_shape)),)


def _pool_kind(record: LayerRecord) -> str:
    return "max" if "Max" in record.type else "avg"
