"""Free parameters and tied weights: the weights that are not one layer's own.

- `parameter pos: (1, L, d)` makes one weight of that whole shape (torch `nn.Parameter`, Keras
  `add_weight`), recorded as a "Parameter" record of its own (named by the enclosing block path
  and `pos`, as the framework's state dict / weight path names it) and bound to `pos` as an
  unbatched tensor (`Tensor.batched` False): it broadcasts against a network tensor's
  (batch, *shape), aligned to the right (symconv/layers/merge.py).
- `tie="wte"` on a layer call: the layer's first weight IS the named layer's first weight
  (GPT-2's lm_head and wte), so it is counted once, at the layer that made it. PyTorch ties by
  assignment, `lm_head.weight = wte.weight`, so the two shapes are equal (Linear(d, V).weight and
  Embedding(V, d).weight are both (V, d)); Keras has no tying in Dense: keras_hub's
  ReversibleEmbedding multiplies by the transposed embedding matrix, so a Keras Dense kernel
  (in, out) tied to an Embedding's (num, dim) is its transpose: in = dim, out = num.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

import sympy
from sympy import Expr

from ..errors import Span, SymconvError, did_you_mean, shape_text, shown
from ..language import ir
from ..language.values import evaluate
from ..layers.base import Call, LayerSpec, Weight
from ..maths import limits
from ..maths.identity import ByIdentity
from .binding import SEPARATOR
from .frames import Frame, Tensor
from .model import LayerCall, LayerRecord, Tied

PARAMETER = "Parameter"  # the record type of a free parameter
# the setting that freezes a free parameter, by the framework's own name
FROZEN = {"torch": "requires_grad", "keras": "trainable"}
TIE = "tie"
# the operations that take a tensor whose batch axis is not first (torch's h_n, c_n) and give
# one whose batch is first again, or refuse (tensor_shapes._read_back)
BATCH_FIRST_AGAIN = frozenset({"select", "transpose", "permute", "squeeze", "unsqueeze",
                               "contiguous"})


class Deriver(Protocol):
    """What these statements use of propagate.Deriver (which imports this module)."""

    convention: str
    records: list[LayerRecord]
    blocks: dict[str, ir.Block]
    namer: Any
    seen: Any
    memo: Any

    def spec(self, type_: str, span: Span) -> LayerSpec: ...

    def bind_tensor(self, name: str, tensor: Tensor, frame: Frame, span: Span) -> None: ...


# -- parameter NAME: SHAPE -------------------------------------------------------------------
def shape_of(value: ir.Value, scope: dict[str, object]) -> tuple[Expr, ...]:
    """The parameter's whole shape: whole numbers ≥ 0 (a scalar is `()`)."""
    arg = evaluate(value, scope)
    items = arg.value if isinstance(arg.value, tuple) else (arg,)
    shape = []
    for item in items:
        v = item.value
        if not isinstance(v, Expr) or v.is_integer is not True or v.is_nonnegative is not True:
            raise SymconvError("SC104", "a parameter's extent must be a whole number ≥ 0, not "
                               f"{shown(v)}", item.span,
                               hint="its whole shape, e.g. `parameter pos: (1, L, d)`")
        shape.append(v)
    try:
        limits.check_elements(tuple(shape))
    except limits.TooLarge as err:
        raise SymconvError("SC110", f"this parameter would be {err}", arg.span,
                           hint="README: Limits lists the bounds") from None
    return tuple(shape)


def trainable(statement: ir.Parameter, convention: str, scope: dict[str, object]) -> bool:
    """The one setting: `requires_grad=False` (torch) / `trainable=False` (Keras)."""
    flag = True
    for setting in statement.settings:
        if setting.name != FROZEN[convention]:
            raise SymconvError("SC106", f"a parameter takes only '{FROZEN[convention]}', not "
                               f"'{setting.name}'", setting.span,
                               hint=f"e.g. `parameter {statement.name}: (4,), "
                               f"{FROZEN[convention]}=False`")
        value = evaluate(setting.value, scope).value
        if not isinstance(value, bool):
            raise SymconvError("SC104", f"'{setting.name}' must be True or False, not "
                               f"{shown(value)}", setting.span)
        flag = value
    return flag


def declare(deriver: Deriver, statement: ir.Parameter, frame: Frame) -> None:
    """Record the weight (counted once, here) and bind its name to an unbatched tensor."""
    shape = deriver.memo(statement, frame.values, lambda: shape_of(statement.shape, frame.values))
    flag = trainable(statement, deriver.convention, frame.values)
    deriver.seen.input(shape, statement.span)
    if deriver.namer.symbolic:  # every pass would make `scale` again (inside a block: h.0.scale)
        raise SymconvError("SC112", f"parameter '{statement.name}' is made directly in a repeat "
                           "of symbolic count: every pass would make one of that name",
                           statement.span, hint="make it inside a block the repeat applies "
                           "(its instances are named per pass), or give the repeat a number")
    name = deriver.namer.take(SEPARATOR[deriver.convention].join((*frame.path, statement.name)),
                              statement.span)
    weight = Weight(statement.name, shape, trainable=flag)
    call = LayerCall(PARAMETER, (("shape", shape), (FROZEN[deriver.convention], flag)), 0)
    record = LayerRecord(name, PARAMETER, statement.span, (), shape, (weight,), (), (), (),
                         frame.path, None, call, (), batched=False)
    deriver.records.append(record)
    tensor = Tensor(shape, name, len(deriver.records) - 1, batched=False)
    current = frame.current
    deriver.bind_tensor(statement.name, tensor, frame, statement.span)
    frame.current = current  # a weight is not the network's running tensor


# -- tie="wte" -------------------------------------------------------------------------------
# by identity, the node kept alive beside its result: the same stripped node each time a repeat
# runs the call (the Memo's key); hashing a node by value walks its whole expression
_STRIPPED = ByIdentity(4096)


def split_tie(call: ir.CallExpr) -> tuple[ir.CallExpr, ir.Keyword | None]:
    """`call` without its `tie=` keyword (on the layer made, `Linear(d, V, tie="wte")` or
    `Linear(d, V, tie="wte")(x)`), and that keyword."""
    inner = call.func if isinstance(call.func, ir.CallExpr) else None
    target = inner if inner is not None else call
    found = [k for k in target.keywords if k.name == TIE]
    if not found:
        return call, None
    hit = _STRIPPED.get(call)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    stripped = replace(target, keywords=tuple(k for k in target.keywords if k.name != TIE))
    result = (replace(call, func=stripped) if inner is not None else stripped), found[0]
    _STRIPPED.put(call, result)
    return result


def check_tied_call(deriver: Deriver, call: ir.CallExpr, keyword: ir.Keyword,
                    frame: Frame) -> None:
    """`tie=` belongs on a layer made here: not on a block, a shared layer or a function."""
    made = call.func if isinstance(call.func, ir.CallExpr) else call
    name = made.func.id if isinstance(made.func, ir.Name) else None
    if name is None or name in deriver.blocks or name in frame.shared:
        raise SymconvError("SC113", "'tie' goes on a layer made here, e.g. "
                           "`Linear(d, V, bias=False, tie=\"wte\")`", keyword.span)
    if deriver.spec(name, made.func.span).family == "functional":
        raise SymconvError("SC113", f"'{name}' is a function: it has no weight to tie",
                           keyword.span)


def batched_inputs(spec: LayerSpec, tensors: list[Tensor], span: Span) -> tuple[bool, ...]:
    """Call.batched; a free parameter goes to functions and merges only (a layer module
    applied to a weight is not a network step symconv can shape: its batch axis is absent)."""
    flags = tuple(t.batched for t in tensors)
    moved = next((t for t in tensors if t.batched and t.batch_axis != 0), None)
    if moved is not None and spec.type not in BATCH_FIRST_AGAIN:
        raise SymconvError("SC201", f"{spec.type} is applied to a final state of "
                           f"'{moved.origin}', whose batch axis is dim {moved.batch_axis}, not 0; "
                           "symconv keeps the batch axis first", span,
                           hint="take the last layer's state first, `h[-1]` (torch's "
                           "`fc(h_n[-1])`), or move the batch first: `h.transpose(0, 1)`")
    if not all(flags) and spec.family not in ("functional", "merge"):
        name = next(t.origin for t in tensors if not t.batched)
        raise SymconvError("SC201", f"{spec.type} is applied to the free parameter '{name}', "
                           "which has no batch axis", span,
                           hint="combine it with a network tensor first, e.g. `x + pos`")
    return flags


def tie_name(keyword: ir.Keyword) -> str:
    if not isinstance(keyword.value, ir.Str) or not keyword.value.value:
        raise SymconvError("SC104", "'tie' names a layer, as a string: `tie=\"wte\"`",
                           keyword.value.span)
    return keyword.value.value


def owner(deriver: Deriver, keyword: ir.Keyword, frame: Frame) -> LayerRecord:
    """The layer named by `tie=`: in this block instance first, then by its whole name."""
    wanted = tie_name(keyword)
    local = SEPARATOR[deriver.convention].join((*frame.path, wanted))
    for name in dict.fromkeys((local, wanted)):
        for record in reversed(deriver.records):
            if record.name == name and record.shares is None and record.type != PARAMETER:
                if not record.weights:
                    raise SymconvError("SC113", f"{record.type} '{record.name}' has no weight "
                                       "to tie to", keyword.value.span,
                                       hint=_weighted_hint(deriver, wanted))
                if record.times != 1:  # one weight per pass, and none when the count is 0
                    raise SymconvError("SC113", f"'{record.name}' is inside a repeat of "
                                       f"symbolic count ({record.times} passes): there is no "
                                       "one weight to tie to", keyword.value.span,
                                       hint="tie to a layer outside the repeat, or give the "
                                       "repeat a number")
                return record
    raise SymconvError("SC113", f"no layer '{wanted}' made before this one to tie to",
                       keyword.value.span, hint=_weighted_hint(deriver, wanted))


def _weighted_hint(deriver: Deriver, wanted: str) -> str:
    """The layers made so far that have a weight to tie to, the nearest name first."""
    names = [r.name for r in deriver.records
             if r.weights and r.type != PARAMETER and r.shares is None]
    return did_you_mean(wanted, names) or (
        f"layers with a weight so far: {', '.join(names[-4:])}" if names else
        "tie to a layer made earlier that has a weight, by its name: `tie=\"wte\"`")


def _wanted_shape(source: LayerRecord, convention: str) -> tuple[tuple[Expr, ...], bool]:
    """The shape the tied weight must have, and whether it is the transpose: the source
    weight's (PyTorch assigns the tensor), or for Keras the transpose of an Embedding's
    (ReversibleEmbedding's reverse projection)."""
    shape = source.weights[0].shape
    if convention == "keras" and source.type == "Embedding":
        return tuple(reversed(shape)), True
    return shape, False


def tie(deriver: Deriver, weights: tuple[Weight, ...], keyword: ir.Keyword, ctx: Call,
        frame: Frame) -> tuple[tuple[Weight, ...], tuple[Tied, ...]]:
    """(the layer's own weights, its tied one): the first weight becomes the named layer's
    first weight, its shape checked against it (SC113)."""
    source = owner(deriver, keyword, frame)
    if deriver.convention == "keras" and ctx.spec.type != "Dense":
        raise SymconvError("SC113", f"Keras layers do not share weights: symconv ties a Dense "
                           f"only (keras_hub's ReversibleEmbedding), not a {ctx.spec.type}",
                           keyword.span)
    if deriver.convention == "keras" and source.type != "Embedding":
        raise SymconvError("SC113", f"Keras ties a Dense to an Embedding only (keras_hub's "
                           f"ReversibleEmbedding), not to {source.type} '{source.name}'",
                           keyword.value.span,
                           hint="name the Embedding: `Dense(V, use_bias=False, tie=\"wte\")`")
    if not weights:
        raise SymconvError("SC113", f"{ctx.spec.type} '{ctx.name}' has no weight to tie",
                           keyword.span)
    mine, theirs = weights[0], source.weights[0]
    wanted, transposed = _wanted_shape(source, deriver.convention)
    where = f"{source.name}{'.' if deriver.convention == 'torch' else '/'}{theirs.name}"
    how = f"the transpose of {where}, {shape_text(wanted)}" if transposed else (
        f"the shape of {where}, {shape_text(wanted)}")
    reason = (f"{ctx.spec.type} '{ctx.name}': its {mine.name} {shape_text(mine.shape)} must "
              f"have {how}")
    if len(mine.shape) != len(wanted):
        raise SymconvError("SC113", reason, keyword.span)
    for a, b in zip(mine.shape, wanted):
        condition = sympy.Eq(a, b)
        if condition is sympy.false:
            raise SymconvError("SC113", reason, keyword.span,
                               hint="PyTorch: Linear(d, V) ties to Embedding(V, d)"
                               if deriver.convention == "torch" else
                               "Keras: Dense(V) on (…, d) ties to Embedding(V, d)")
        if condition is not sympy.true:
            ctx.require(condition, f"its {mine.name} must have {how}", code="SC113")
    return weights[1:], (Tied(mine, source.name, theirs.name, where),)
