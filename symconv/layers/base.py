"""What every layer function receives and returns, and the one registry they live in.

A layer is a small pure function ``fn(call) -> LayerOutput``. `Call` gives it the input shape and
its arguments, bound by the framework's own positional order and defaults, with typed readers that
raise positioned errors; `LayerOutput` is data: the output shape, the weight tensors (parameter
counts are derived from them) and the conditions under which the result is valid.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field, replace
from functools import lru_cache

import sympy
from sympy import Expr, Integer

from ..errors import (Source, Span, SymconvError, did_you_mean, in_notation, located, shape_text,
                      shown)
from ..language.values import Arg, ListValue
from ..maths import extent
from ..maths.symbols import BATCH

REQUIRED = object()  # default of a parameter that must be given


@dataclass(frozen=True)
class Param:
    name: str
    default: object = REQUIRED


@dataclass(frozen=True)
class Weight:
    """A weight tensor with the framework's own name. `buffer`: a PyTorch buffer, not a parameter."""

    name: str
    shape: tuple[Expr, ...]
    trainable: bool = True
    buffer: bool = False

    @property
    def size(self) -> Expr:
        return sympy.Mul(*self.shape) if self.shape else Integer(1)


@dataclass(frozen=True)
class Requirement:
    """A condition the layer's result depends on, with the reason in words."""

    condition: sympy.Basic
    reason: str
    layer: str = ""
    span: Span | None = None
    spoken: str = ""  # the reason in explain's notation, when it writes a formula

    @property
    def said(self) -> str:
        """The reason as explain writes it (16·(⌊H/4⌋ - 3), not 16*(⌊H/4⌋ - 3))."""
        return self.spoken or self.reason


@dataclass(frozen=True)
class LayerWarning:
    """Something valid but almost surely not meant (a merge that works only where an extent is
    1), said where the layer is called."""

    message: str
    layer: str = ""
    span: Span | None = None

    def render(self, source: Source | None) -> str:
        """``path:line:col: warning: message``, the source line and a caret (errors' look)."""
        return "\n".join(located("warning", self.message, self.span, source))

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"message": self.message, "layer": self.layer}
        if self.span is not None:
            out["line"], out["column"] = self.span.line, self.span.column
        return out


@dataclass(frozen=True)
class Several:
    """The results of a call that gives several tensors (torch.chunk, Keras LSTM with
    return_state=True), nested as the framework nests them (torch's LSTM gives
    ``(output, (h, c))``): each item is a shape or another Several."""

    items: tuple[tuple[Expr, ...] | Several, ...]


@dataclass
class LayerOutput:
    shape: tuple[Expr, ...]  # the one result, or the first of `outputs`
    weights: tuple[Weight, ...] = ()
    notes: tuple[str, ...] = ()
    # settings a wrapping layer reads from a layer given as its argument (Keras Bidirectional
    # refuses an RNN with go_backwards=True)
    settings: Mapping[str, object] = field(default_factory=dict)
    outputs: Several | None = None  # set when the call gives several tensors
    # False when the result has no batch axis (a tensor operation on free parameters alone);
    # `cls.expand(x.shape[0], -1, -1)` on a parameter gives a network tensor: True
    batched: bool = True
    # where the framework puts the batch axis in each result (flat order of `outputs`), when
    # not first: torch's RNN h_n and c_n are (D·num_layers, N, H) whatever batch_first says
    batch_axes: tuple[int, ...] | None = None


LayerFn = Callable[["Call"], LayerOutput]


@dataclass(frozen=True)
class LayerSpec:
    convention: str
    type: str
    params: tuple[Param, ...]
    fn: LayerFn
    doc: str
    family: str
    arity: tuple[int, int | None] = (1, 1)  # fewest and most input tensors (None: no limit)
    positional: int | None = None  # how many params may be given by position (None: all)


@dataclass(frozen=True)
class SubLayer:
    """A layer passed as an argument (Keras Bidirectional(LSTM(8)), TimeDistributed(Dense(4))),
    derived on the shape the wrapper gives it."""

    type: str
    name: str
    output: LayerOutput
    requires: tuple[Requirement, ...]


# Set by the derive stage: (argument, input shape, wrapper call) -> SubLayer. Layer functions stay
# pure; they reach the binding machinery only through `Call.sublayer`.
SubLayerHook = Callable[[Arg, tuple[Expr, ...], "Call"], SubLayer]


class Call:
    """One layer call being derived: bound arguments, the input shape, typed argument readers."""

    def __init__(self, spec: LayerSpec, name: str, inputs: tuple[tuple[Expr, ...], ...],
                 args: Mapping[str, Arg], span: Span,
                 sublayer_hook: SubLayerHook | None = None,
                 known: Set[sympy.Basic] = frozenset(),
                 batched: tuple[bool, ...] | None = None,
                 axes: tuple[int, ...] | None = None) -> None:
        self.spec, self.name, self.span = spec, name, span
        self.inputs = inputs  # every input tensor's shape, in call order
        # per input: False for a free parameter (nn.Parameter, a Keras weight), whose shape is
        # its whole shape; True for a tensor of the network, whose batch axis is left out
        self.batched = batched if batched is not None else (True,) * len(inputs)
        # per network tensor: where the framework has its batch axis (0 but for torch's h_n)
        self.axes = axes if axes is not None else (0,) * len(inputs)
        self.input = inputs[0]  # the first (for most layers, the only) one
        self._args = args
        self._sublayer_hook = sublayer_hook
        # the conditions earlier layers recorded: where one fails the network is refused, so a
        # layer may rely on them for the form of its result (never to drop its own conditions)
        self._known = known
        self.requires: list[Requirement] = []
        self.warnings: list[LayerWarning] = []
        # (argument, value, least value accepted) for each whole number read that holds sizes:
        # the uses their domains are inferred from (symconv/derivation/domains.py)
        self.bounds: list[tuple[str, Expr, int | None]] = []
        # what the result was made from beyond the shapes and arguments, for a derivation that
        # reuses it (derivation/frames.py, Applications): the `known` questions and their
        # answers, and whether a layer given as an argument was derived (then it is not reused)
        self.asked: list[tuple[sympy.Basic, bool]] = []
        self.opaque = False

    # -- reading arguments -------------------------------------------------------------
    def given(self, name: str) -> bool:
        return name in self._args

    def raw(self, name: str) -> object:
        """The argument as plain Python/sympy values (tuples unpacked), or its default."""
        if name in self._args:
            return self._args[name].python
        return self._default(name)

    def span_of(self, name: str) -> Span:
        return self._args[name].span if name in self._args else self.span

    def _default(self, name: str) -> object:
        for p in self.spec.params:
            if p.name == name:
                return p.default
        raise KeyError(name)  # a bug in a layer function, not a user error

    def fail(self, message: str, arg: str | None = None, hint: str | None = None,
             code: str = "SC104") -> SymconvError:
        span = self.span_of(arg) if arg else self.span
        return SymconvError(code, f"{self.spec.type} '{self.name}': {message}", span, hint=hint)

    def integer(self, name: str, minimum: int | None = 1, value: object = None) -> Expr:
        """A whole-number argument (a number or an expression in sizes), checked against minimum."""
        v = self.raw(name) if value is None else value
        if isinstance(v, bool) or not isinstance(v, Expr):
            raise self.fail(f"'{name}' must be a whole number, not {_show(v)}", name)
        if not v.is_Number and v.has(BATCH):
            raise self.fail(f"'{name}' reads the batch axis's extent, which is unknown here; "
                            "only view/reshape/expand take x.shape[0]", name,
                            hint="count axes after the batch: x.shape[1], x.shape[-1]")
        if v.is_integer is not True:
            raise self.fail(f"'{name}' must be a whole number, not {shown(v)}", name,
                            hint="use // for whole division of sizes" if v.free_symbols else None)
        if minimum is not None:
            self.require(_at_least(v, minimum), lambda: f"'{name}' must be at least {minimum}",
                         arg=name)
        if not v.is_Number:
            self.bounds.append((name, v, minimum))
        return v

    def switch(self, name: str, optional: bool = False) -> Expr | None:
        """A whole number ≥ 0 (or None, when `optional`) where 0 switches a part off (LoRA's
        rank, an LSTM's projection), so the weights depend on whether it is 0: written in
        sizes, it is read as ≥ 1, the part on, and that is a condition (a size ≥ 0 there
        must not be 0)."""
        v = self.optional_integer(name, 0) if optional else self.integer(name, 0)
        if v is not None and not v.is_Number:
            self.integer(name, 1, v)
        return v

    def integers(self, name: str, rank: int, minimum: int | None = 1) -> tuple[Expr, ...]:
        """An int or a tuple of `rank` ints (kernel sizes, strides, …)."""
        v = self.raw(name)
        if isinstance(v, tuple):
            if len(v) != rank:
                raise self.fail(f"'{name}' needs {rank} values, got {len(v)}", name)
            return tuple(self.integer(name, minimum, x) for x in v)
        return (self.integer(name, minimum, v),) * rank

    def optional_integer(self, name: str, minimum: int | None = 1) -> Expr | None:
        return None if self.raw(name) is None else self.integer(name, minimum)

    def choice(self, name: str, options: tuple[str, ...], fold_case: bool = False) -> str:
        v = self.raw(name)
        if not isinstance(v, str):
            raise self.fail(f"'{name}' must be one of {_alternatives(options)}, not {_show(v)}",
                            name)
        key = v.lower() if fold_case else v
        if key not in options:
            raise self.fail(f"'{name}' must be one of {_alternatives(options)}, not {v!r}", name,
                            hint=did_you_mean(v, options))
        return key

    def flag(self, name: str) -> bool:
        v = self.raw(name)
        if not isinstance(v, bool):
            raise self.fail(f"'{name}' must be True or False, not {_show(v)}", name)
        return v

    def real(self, name: str, low: float | None = None, high: float | None = None,
             inclusive_high: bool = False) -> Expr:
        v = self.raw(name)
        if isinstance(v, bool) or not isinstance(v, Expr) or not v.is_number:
            raise self.fail(f"'{name}' must be a number, not {_show(v)}", name)
        ok = (low is None or v >= low) and (
            high is None or (v <= high if inclusive_high else v < high))
        if not ok:
            upper = "]" if inclusive_high else ")"
            raise self.fail(f"'{name}' must be in [{low}, {high}{upper}, not {shown(v)}", name)
        return v

    def sublayer(self, name: str, shape: tuple[Expr, ...]) -> SubLayer:
        """The layer given as argument `name`, derived on `shape`; its conditions are this
        layer's conditions too."""
        if name not in self._args or self._sublayer_hook is None:
            raise self.fail(f"'{name}' must be a layer, e.g. {name}=LSTM(8)", name)
        self.opaque = True
        sub = self._sublayer_hook(self._args[name], shape, self)
        self.requires.extend(sub.requires)
        return sub

    def delegate(self, spec: LayerSpec, extra: Mapping[str, Arg]) -> LayerOutput:
        """Derive this call by another layer's rule, with `extra` arguments added (a torch Lazy
        module by its eager twin, the inferred size given): errors still name this layer, and
        the other rule's conditions and bounds are this call's."""
        twin = Call(replace(spec, type=self.spec.type), self.name, self.inputs,
                    {**self._args, **extra}, self.span, self._sublayer_hook, self._known,
                    self.batched, self.axes)
        out = twin.spec.fn(twin)
        self.requires += twin.requires
        self.warnings += twin.warnings
        self.bounds += twin.bounds
        self.asked += twin.asked
        self.opaque |= twin.opaque
        return out

    # -- conditions --------------------------------------------------------------------
    def require(self, condition: sympy.Basic, reason: str | Callable[[], str],
                arg: str | None = None, code: str = "SC202") -> None:
        """Record a validity condition; one that is false for every size is an error now.
        A reason that prints formulas may be given as a function, called only when the
        condition is not true (printing sympy objects for thousands of layers whose
        conditions hold took a tenth of a transformer's derivation)."""
        if condition is sympy.true:
            return
        said = reason
        if callable(reason):
            reason = reason()
        if condition is sympy.false:
            err = self.fail(reason, arg, code=code)
            shapes = " and ".join(shape_text(s) for s in self.inputs)
            what = "shapes" if len(self.inputs) > 1 else "shape"
            free = [shape_text(s) for s, b in zip(self.inputs, self.batched) if not b]
            err.notes.append(f"input {what} {shapes} (batch axis left out)" if not free else
                             f"input {what} {shapes} (batch axis left out of the network "
                             f"tensors; {' and '.join(free)}: a free parameter's whole shape)")
            raise err
        # said again now, in explain's notation: a reason that prints no formula reads the same
        spoken = in_notation("spoken", said) if callable(said) else ""
        self.requires.append(Requirement(condition, reason, self.name, self.span_of(arg or ""),
                                         spoken if spoken != reason else ""))

    def known(self, condition: sympy.Basic) -> bool:
        """Whether `condition` is true for every size, or recorded by an earlier layer."""
        if condition is sympy.true:
            return True
        answer = condition in self._known
        self.asked.append((condition, answer))
        return answer

    def warn(self, message: str) -> None:
        """Record a warning about this call (shown with the result; nothing is refused)."""
        self.warnings.append(LayerWarning(f"{self.spec.type} '{self.name}': {message}",
                                          self.name, self.span))

    def agree(self, declared: Expr, actual: Expr, reason: Callable[[], str], arg: str) -> None:
        """A declared extent (in_channels, in_features, …) must equal the input's; the reason is
        written only when the two can differ (printing formulas is slow). The same expression
        twice, the usual case, builds no equation (10,000 of them cost a transformer 0.1 s)."""
        if declared == actual:
            return
        # an identity of floors is proved, not shown: (16⌊H/4⌋ - 48)(⌊W/4⌋ - 3) = 16(⌊H/4⌋ - 3)…
        condition = extent.equal(declared, actual)
        if condition is not sympy.true:
            self.require(condition, reason, arg, code="SC203")

    def input_rank(self, rank: int, what: str) -> None:
        if len(self.input) != rank:
            raise self.fail(
                f"expects {what} (rank {rank} without the batch axis), got shape "
                f"{shape_text(self.input)} of rank {len(self.input)}", code="SC201")


def _at_least(v: Expr, minimum: int) -> sympy.Basic:
    """``v ≥ minimum``, decided without sympy's assumption queries where it is plain: a number,
    or a declared size (a positive integer) against 1 or less."""
    if v.is_Integer:
        return sympy.true if int(v) >= minimum else sympy.false
    if minimum <= 1 and v.is_Symbol and v.is_positive:
        return sympy.true
    return _ge(v, minimum) if small(v) else sympy.Ge(v, minimum)


def relation(kind: type[sympy.core.relational.Relational], a: Expr, b: Expr) -> sympy.Basic:
    """``kind(a, b)`` (sympy.Le, Lt, Ge, Gt): true or false by Python's comparison when both
    are whole numbers, the result sympy gives after its assumption queries (0.15 ms each:
    a pooling layer's ``2p ≤ k`` on numbers took a fifth of a 10,000-layer chain)."""
    if isinstance(a, Integer) and isinstance(b, Integer):
        return sympy.true if _COMPARE[kind](int(a), int(b)) else sympy.false
    return kind(a, b)


_COMPARE = {sympy.Le: operator.le, sympy.Lt: operator.lt, sympy.Ge: operator.ge,
            sympy.Gt: operator.gt}


@lru_cache(maxsize=4096)  # the layers of a network repeat their arguments (4*d in each block)
def _ge(v: Expr, minimum: int) -> sympy.Basic:
    """``v ≥ minimum`` as sympy decides it (an assumptions query, a tenth of a millisecond)."""
    return sympy.Ge(v, minimum)


def small(e: Expr) -> bool:
    """Whether `e` is a number, a size or one operation on them (4*d, d + 1): cheap to hash
    and compare, so a cache may be keyed by its value. Not an extent with roundings: sympy's
    hashes of those collide (power-of-two denominators, symconv/maths/extent.py), and a
    by-value lookup would compare deep formulas."""
    return e.is_Atom or all(a.is_Atom for a in e.args)


def _show(v: object) -> str:
    if isinstance(v, ListValue):
        return "a list"
    return "a tuple" if isinstance(v, tuple) else shown(v)


def _alternatives(options: tuple[str, ...]) -> str:
    return ", ".join(repr(o) for o in options)


# -- the registry ----------------------------------------------------------------------
REGISTRY: dict[str, dict[str, LayerSpec]] = {"keras": {}, "torch": {}}

KERAS_COMMON = (Param("name", None), Param("dtype", None), Param("trainable", True),
                Param("autocast", True), Param("input_shape", None))
TORCH_COMMON = (Param("name", None), Param("device", None), Param("dtype", None))
# torch.nn modules whose constructors take the factory keywords device and dtype: those with
# parameters or buffers (RNNBase through **kwargs), and Identity, which takes anything. The
# others (pooling, activations, padding, dropout, reshaping) raise TypeError on them.
TORCH_FACTORY = frozenset({
    *(f"{k}{r}d" for k in ("Conv", "ConvTranspose", "BatchNorm", "InstanceNorm")
      for r in (1, 2, 3)),
    "Linear", "Embedding", "LayerNorm", "GroupNorm", "PReLU", "MultiheadAttention",
    "TransformerEncoderLayer", "RNN", "LSTM", "GRU", "Identity"})


def register(convention: str, type_: str, params: tuple[Param, ...], fn: LayerFn,
             doc: str, family: str, common: tuple[Param, ...] | None = None,
             arity: tuple[int, int | None] = (1, 1), keyword_only: int = 0) -> None:
    """Add a layer; `common` replaces the base-class keywords every layer of the convention
    takes (Keras: name, dtype, trainable, …; keyword-only in both frameworks, like the last
    `keyword_only` of `params`); `arity` the fewest and most input tensors."""
    if common is None:
        common = (KERAS_COMMON if convention == "keras" else TORCH_COMMON
                  if type_ in TORCH_FACTORY else TORCH_COMMON[:1])
    REGISTRY[convention][type_] = LayerSpec(convention, type_, params + common, fn, doc, family,
                                            arity, len(params) - keyword_only)
