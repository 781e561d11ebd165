"""Hypothesis strategies for random valid multi-layer `.arch` networks, in both conventions.

>>> net = nets("torch").example()  # doctest: +SKIP
>>> print(net.text)  # doctest: +SKIP
convention torch
input x: (3, 12, 12)
Conv2d(3, 4, 3, padding='same')
ReLU()

A net is a chain of 2–8 steps on one input. A step is a layer, or now and then a small graph: a
residual merge of two or three branches, a concatenation, a Keras Dot, a torch `select`, a shared
layer applied twice, a `block` used twice, a `repeat`. Each layer's arguments are drawn to fit the
current shape (channels first without the batch axis for torch, channels last for Keras) by the
per-layer drawers in netgen_torch.py and netgen_keras.py; the step's output shape then comes from
symconv on that one step (a cheap numeric derivation), and a step symconv refuses is drawn again.
The whole net is checked with `symconv.derive` at the end (`assume`), so a net symconv refuses is
never handed out; STATS counts how often each stage had to draw again. Some nets declare their input extents as sizes (`sizes H, W`, `input (3, H, W)`)
and carry the values in `subs`.

`nets(convention, focus=...)` puts a given registered layer in every net it draws, which is how the
property tests reach every layer with a small example budget. `Net.used` records which
(layer type, hyperparameter) pairs each net gave explicitly, for the coverage table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import hypothesis.strategies as st
from hypothesis import assume
from layer_cases import arch

import symconv
from symconv.layers import REGISTRY

Shape = tuple[int, ...]
MAX_EXTENT = 64  # keeps every forward pass fast
MAX_ELEMENTS = 4096
SIZE_NAMES = ("H", "W", "D", "T", "U")  # U: the fifth axis of a Keras "clip"
BASE = frozenset({"name", "dtype", "device", "trainable", "autocast", "input_shape"})
# how often drawing got what it asked for (the acceptance rates the closing report quotes)
STATS: dict[str, int] = {"attempts": 0, "steps": 0, "steps_refused": 0, "steps_redrawn": 0,
                         "nets": 0, "nets_refused": 0, "nets_abandoned": 0}
REFUSED: list[tuple[str, Shape, str]] | None = None  # set to a list to collect refused steps


# --------------------------------------------------------------------------- drawing


@dataclass(frozen=True)
class Inner:
    """A layer passed as an argument (Bidirectional(LSTM(4)), TimeDistributed(Dense(3)))."""

    type: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def text(self) -> str:
        return call_text(self.type, self.args, dict(self.kwargs))


def value_text(v: Any) -> str:
    if isinstance(v, Inner):
        return v.text()
    if isinstance(v, tuple) and any(isinstance(x, Inner) for x in v):
        return "(" + ", ".join(value_text(x) for x in v) + ")"
    return arch(v)


def call_text(type_: str, args: Sequence[Any], kwargs: dict[str, Any]) -> str:
    items = [value_text(a) for a in args] + [f"{k}={value_text(v)}" for k, v in kwargs.items()]
    return f"{type_}({', '.join(items)})"


class G:
    """The drawing context a layer drawer gets: hypothesis's `draw`, typed helpers, and `keep`
    (the step must give back its input shape: residual branches, shared layers, blocks)."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any], convention: str,
                 keep: bool = False, eager: bool = False) -> None:
        self.draw, self.convention, self.keep = draw, convention, keep
        self.eager = eager  # the focus layer: optional arguments given by default

    def int(self, lo: int, hi: int) -> int:
        return int(self.draw(st.integers(lo, max(lo, hi))))

    def pick(self, options: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(list(options)))

    def often(self, tenths: int) -> bool:
        """True with probability tenths/10, and in the simplest draw (hypothesis's first)."""
        return bool(self.draw(st.integers(0, 9)) < tenths)

    def chance(self, tenths: int) -> bool:
        """True with probability tenths/10 (False is the simple side hypothesis shrinks to)."""
        return bool(self.draw(st.integers(0, 9)) >= 10 - tenths)

    def maybe(self, kw: dict[str, Any], name: str, options: Sequence[Any], tenths: int = 4) -> None:
        """Give `name` one of `options` with probability tenths/10 (the focus layer: at least
        6/10, and in the simplest draw, which hypothesis tries first, always)."""
        give = self.draw(st.integers(0, 9)) < max(tenths, 6) if self.eager else self.chance(tenths)
        if give:
            kw[name] = self.pick(options)

    def ints(self, values: Sequence[int]) -> int | tuple[int, ...]:
        """One int when every axis has the same value (sometimes a tuple anyway), else a tuple."""
        if len(set(values)) == 1 and (len(values) == 1 or not self.chance(3)):
            return values[0]
        return tuple(values)


Call = tuple[tuple[Any, ...], dict[str, Any]]


@dataclass(frozen=True)
class Drawer:
    """How to draw one layer's arguments: `fits(shape)` says whether the layer can take a tensor
    of that shape; `draw(g, shape)` returns (args, kwargs) that mostly make a valid call."""

    fits: Callable[[Shape], bool]
    draw: Callable[[G, Shape], Call]
    keeps: bool = False  # can give back its input shape (honours g.keep)
    first_only: bool = False  # takes integer ids (Embedding): only right after the input


def positional(g: G, type_: str, args: tuple[Any, ...], kw: dict[str, Any]) -> Call:
    """Move keyword arguments that come next in the layer's own order into positional form now
    and then, so binding by position is exercised too."""
    # the base keywords (name, dtype, device, trainable…) are keyword-only in the frameworks
    # (symconv binds them by position too: a known gap, see test_verify_random)
    params = [p.name for p in REGISTRY[g.convention][type_].params if p.name not in BASE]
    args, kw = tuple(args), dict(kw)
    while len(args) < len(params) and params[len(args)] in kw and g.chance(3):
        args += (kw.pop(params[len(args)]),)
    return args, kw


# Keras layers that refuse the mask of Embedding(mask_zero=True) (the mask has the token axes
# only): known gaps, test_verify_random.KNOWN_GAPS["softmax_after_mask_zero"] and
# ["attention_after_mask_zero"] (MultiHeadAttention on token ids of rank 2)
MASK_REFUSED = frozenset({"Softmax", "MultiHeadAttention"})

# values for the keywords that do not change shapes, by the end of their name
NEUTRAL = {
    "keras": {"_initializer": ["zeros", "ones", "glorot_uniform", "he_normal"],
              "_regularizer": ["l2", "l1", None], "_constraint": ["non_neg", None],
              "dtype": ["float32"], "autocast": [True, False]},
    "torch": {"device": ["cpu"]},
}


# torch modules without parameters take no factory keywords (device, dtype), but symconv accepts
# them: a known symconv gap, reproduced by test_verify_random.test_known_gap_device_keyword, so
# the nets leave `device` out on these
NO_FACTORY_KEYWORDS = frozenset(
    [f"Adaptive{k}Pool{r}d" for k in ("Avg", "Max") for r in (1, 2, 3)]
    + [f"{k}Pool{r}d" for k in ("Avg", "Max") for r in (1, 2, 3)]
    + [f"{k}Pad{r}d" for k in ("Constant", "Reflection", "Replication", "Zero") for r in (1, 2, 3)]
    + ["Dropout", "Dropout2d", "Flatten", "GELU", "Hardsigmoid", "Hardswish", "LeakyReLU",
       "PixelShuffle", "PixelUnshuffle", "ReLU", "ReLU6", "SiLU", "Sigmoid", "Softmax", "Tanh",
       "Unflatten", "Upsample"])


def extras(g: G, type_: str, kw: dict[str, Any], name: str | None) -> None:
    """Now and then a keyword every layer takes, or one that does not change shapes (an
    initializer, a regularizer, a constraint, dtype, device, an explicit name)."""
    if name is not None and g.chance(1):
        kw["name"] = name
    if not g.eager and not g.chance(3):
        return
    params = [p.name for p in REGISTRY[g.convention][type_].params if p.name not in kw
              and not (p.name == "device" and type_ in NO_FACTORY_KEYWORDS)
              and not (p.name.endswith("_constraint") and kw.get("lora_rank"))]  # refused
    for suffix, values in NEUTRAL[g.convention].items():
        for param in [p for p in params if p.endswith(suffix)]:
            g.maybe(kw, param, values, 2)


def used_pairs(convention: str, type_: str, args: Sequence[Any],
               kwargs: dict[str, Any]) -> set[tuple[str, str]]:
    """The (layer type, hyperparameter) pairs a call gives explicitly, wrapped layers included."""
    params = [p.name for p in REGISTRY[convention][type_].params]
    out = {(type_, params[i]) for i in range(len(args))} | {(type_, k) for k in kwargs}
    for v in (*args, *kwargs.values()):
        if isinstance(v, Inner):
            out |= used_pairs(convention, v.type, v.args, dict(v.kwargs))
    return out


# --------------------------------------------------------------------------- one-step shapes


@lru_cache(maxsize=200_000)
def step_shape(convention: str, inputs: tuple[Shape, ...], expr: str) -> Shape | None:
    """The output shape symconv gives `expr` applied to numeric inputs t0, t1, …; None when it
    refuses the step. (The differential test checks these shapes against the framework.)"""
    lines = [f"convention {convention}"]
    lines += [f"input t{i}: {arch(s)}" for i, s in enumerate(inputs)]
    lines.append(f"y = {expr}")
    try:
        d = symconv.derive("\n".join(lines) + "\n")
    except symconv.SymconvError:
        return None
    shape = tuple(d.output_shape)
    if not all(getattr(e, "is_Integer", False) for e in shape):
        return None
    return tuple(int(e) for e in shape)


def small(shape: Shape | None) -> bool:
    if shape is None or not shape or min(shape) < 1 or max(shape) > MAX_EXTENT:
        return False
    n = 1
    for e in shape:
        n *= e
    return n <= MAX_ELEMENTS


# --------------------------------------------------------------------------- the builder


@dataclass
class Builder:
    """A network being written: top-level lines, block definitions, the current tensor."""

    g: G
    drawers: dict[str, Drawer]
    input_shape: Shape
    shape: Shape = ()
    lines: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    used: set[tuple[str, str]] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    names: int = 0
    current: str | None = "x"  # the name of the current tensor, when it has one
    nameable: bool = True  # the last line is a statement that can be given a name
    masked: bool = False  # a Keras Embedding(mask_zero=True) came first: its mask travels on
    first: bool = True  # nothing applied yet (Embedding may come)
    counts: dict[str, int] = field(default_factory=dict)  # symbolic repeat counts, by default

    def __post_init__(self) -> None:
        self.shape = self.input_shape

    def fresh(self, prefix: str = "t") -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    def name_current(self) -> str:
        """A name for the current tensor, giving the last statement one if it has none."""
        if self.current is None:
            name = self.fresh()
            if self.nameable:
                self.lines[-1] = f"{name} = {self.lines[-1]}"
            else:  # a repeat: its last tensor has no statement of its own
                text, used, type_ = self.keeper()
                self.lines.append(f"{name} = {text}")
                self.used |= used
                self.types.add(type_)
            self.current, self.nameable = name, True
        return self.current

    def emit(self, line: str, shape: Shape, named: str | None = None) -> None:
        self.lines.append(f"{named} = {line}" if named else line)
        self.shape, self.current, self.first, self.nameable = shape, named, False, True

    # -- layers ------------------------------------------------------------------------
    def candidates(self, keep: bool = False) -> list[str]:
        out = []
        for t, d in self.drawers.items():
            if d.first_only and not self.first or keep and not d.keeps:
                continue
            if self.masked and t in MASK_REFUSED:
                continue
            if d.fits(self.shape):
                out.append(t)
        return sorted(out)

    def draw_call(self, type_: str, shape: Shape, keep: bool = False, tries: int = 4,
                  eager: bool = False,
                  named: bool = False) -> tuple[str, Shape, set[tuple[str, str]]] | None:
        """A call of `type_` on `shape` that symconv accepts (and, with `keep`, that gives back
        `shape`), as (text, output shape, used pairs); None after `tries` refused draws.
        `named`: the call appears once in the text, so it may take an explicit name."""
        drawer = self.drawers[type_]
        g = G(self.g.draw, self.g.convention, keep, eager)
        for _ in range(tries):
            args, kw = drawer.draw(g, shape)
            extras(g, type_, kw, self.fresh("n") if named else None)
            args, kw = positional(g, type_, args, kw)
            text = call_text(type_, args, kw)
            out = step_shape(self.g.convention, (shape,), f"{text}(t0)")
            STATS["steps"] += 1
            STATS["steps_refused"] += out is None
            if out is None and REFUSED is not None:
                REFUSED.append((self.g.convention, shape, text))
            if small(out) and (not keep or out == shape) and not self.mask_trouble(text):
                return text, out, used_pairs(self.g.convention, type_, args, kw)  # type: ignore[return-value]
            STATS["steps_redrawn"] += 1
        return None

    def mask_trouble(self, text: str) -> bool:
        """A recurrent layer run backwards and unrolled on a masked sequence: Keras 3.15 fails
        (AttributeError: 'tuple' object has no attribute 'shape'), a known framework bug
        (test_verify_random.KNOWN_GAPS["unrolled_backwards_rnn_after_mask_zero"])."""
        backwards = "go_backwards=True" in text or text.startswith("Bidirectional")
        return self.masked and backwards and "unroll=True" in text

    def layer(self, type_: str | None = None, keep: bool = False, eager: bool = False) -> bool:
        """Append one layer (of `type_`, or any that fits); False if none could be drawn."""
        if type_ is None:
            options = self.candidates(keep)
            if not options:
                return False
            type_ = self.g.pick(options)
        if not self.drawers[type_].fits(self.shape) or self.masked and type_ in MASK_REFUSED:
            return False
        got = self.draw_call(type_, self.shape, keep, eager=eager, named=True)
        if got is None:
            return False
        text, shape, used = got
        self.emit(text, shape)
        self.masked |= "mask_zero=True" in text
        self.used |= used
        self.types.add(type_)
        return True

    def keeper(self) -> tuple[str, set[tuple[str, str]], str]:
        """A shape-keeping call on the current shape: (text, used pairs, type)."""
        for _ in range(3):
            options = self.candidates(keep=True)
            if not options:  # a rank no shape-keeping layer takes (after expand_dims)
                break
            type_ = self.g.pick(options)
            got = self.draw_call(type_, self.shape, keep=True, tries=2)
            if got is not None:
                return got[0], got[2], type_
        return "Identity()", set(), "Identity"

    def keep_chain(self, n: int) -> list[str]:
        """`n` shape-keeping layers applied to the current tensor, as lines."""
        lines = []
        for _ in range(n):
            text, used, type_ = self.keeper()
            lines.append(text)
            self.used |= used
            self.types.add(type_)
        return lines


# --------------------------------------------------------------------------- nets


@dataclass(frozen=True)
class Net:
    convention: str
    text: str
    subs: dict[str, int] | None
    used: frozenset[tuple[str, str]]  # (layer type, hyperparameter) pairs given explicitly
    types: frozenset[str]  # every registered layer type the net applies

    def __hash__(self) -> int:
        return hash(self.text)


def drawers(convention: str) -> dict[str, Drawer]:
    if convention == "torch":
        from netgen_torch import DRAWERS
    else:
        from netgen_keras import DRAWERS
    return DRAWERS


def graph_forms(convention: str) -> dict[str, Callable[[Builder, str | None], bool]]:
    """Graph steps by the registered merge/function type they exercise (and the plain forms)."""
    from netgen_graphs import FORMS

    return FORMS[convention]


def focus_only(convention: str) -> frozenset[str]:
    """Graph forms drawn only for their own focus (the tensor operations, tests/netgen_ops.py),
    so that the nets drawn for the other layers stay what they were."""
    from netgen_ops import FORMS

    return frozenset(FORMS[convention])


def graph_fits(convention: str, form: str | None) -> Callable[[Shape], bool]:
    from netgen_graphs import FITS

    return FITS[convention].get(form or "", lambda s: True)


def inputs(convention: str) -> dict[str, Callable[[G], Shape]]:
    if convention == "torch":
        from netgen_torch import INPUTS
    else:
        from netgen_keras import INPUTS
    return INPUTS


def input_kinds_for(convention: str, type_: str) -> list[str]:
    """The input kinds on which `type_` can come first (token ids: after an Embedding)."""
    table = drawers(convention)
    fits = table[type_].fits if type_ in table else graph_fits(convention, type_)
    if type_ in table and table[type_].first_only:
        return ["tokens"]
    return sorted(k for k, probe in PROBES[convention].items() if any(fits(s) for s in probe))


# representative shapes of each input kind (token ids after an Embedding), for choosing an input
# a focus layer fits
PROBES: dict[str, dict[str, list[Shape]]] = {
    "torch": {"vector": [(6,)], "sequence": [(8, 6), (12, 4)], "image": [(4, 10, 10)],
              "volume": [(2, 6, 6, 6)], "tokens": [(8, 4), (3, 5, 4)]},
    "keras": {"vector": [(6,)], "sequence": [(8, 6), (12, 4)], "image": [(10, 10, 4)],
              "volume": [(6, 6, 6, 2)], "tokens": [(8, 4), (3, 5, 4)],
              "clip": [(3, 4, 4, 4, 2)]},  # a sequence of volumes: ConvLSTM3D
}


@st.composite
def _net(draw: Callable[[st.SearchStrategy[Any]], Any], convention: str,
         focus: str | None) -> Net:
    STATS["attempts"] += 1
    g = G(draw, convention)
    table = drawers(convention)
    forms = graph_forms(convention)
    kinds = sorted(inputs(convention)) if focus is None else input_kinds_for(convention, focus)
    kind = g.pick(kinds)
    shape = inputs(convention)[kind](g)
    fits = table[focus].fits if focus in table else graph_fits(convention, focus)
    for _ in range(8):  # an input the focus layer takes (token ids: once embedded)
        if fits(shape + (4,) if kind == "tokens" and focus not in ("Embedding",) else shape):
            break
        shape = inputs(convention)[kind](g)
    b = Builder(g, table, shape)
    steps = g.pick([4, 5, 6, 3, 7, 8, 2])  # the simplest draw: 4
    at = 0 if focus is None or g.chance(4) else g.int(1, min(2, steps - 1))
    if kind == "tokens":
        at = 0 if focus in table and table[focus].first_only else max(at, 1)
    placed = focus is None
    for _ in range(3 * steps):
        done = len(b.lines)
        if done >= steps and placed:
            break
        if not placed and done >= at:
            use_form = focus in forms and (focus not in table or g.chance(5))
            g.eager = use_form  # the focus form's own arguments, given by default
            placed = forms[focus](b, focus) if use_form else b.layer(focus, eager=True)
            g.eager = False
            STATS["nets_abandoned"] += not placed
            if not placed and REFUSED is not None:
                REFUSED.append((convention, b.shape, f"focus {focus}"))
            assume(placed)
        elif b.first and kind == "tokens":
            b.layer(g.pick([t for t in table if table[t].first_only]))
        elif not placed:
            b.layer(keep=True)  # before the focus layer: steps after which it still fits
        elif not (g.often(3) and forms[g.pick(rotated(sorted(set(forms) - focus_only(convention)), focus))](b, None)):
            b.layer()
    assume(b.types)
    return finish(g, b, kind)


def rotated(options: list[str], key: str | None) -> list[str]:
    """`options` starting at a place that depends on `key`, so the simplest draws of different
    focus layers (hypothesis's first example) do not all pick the same one."""
    k = sum(map(ord, key or "")) % len(options)
    return options[k:] + options[:k]


def finish(g: G, b: Builder, kind: str) -> Net:
    """The text of the net (some input extents as declared sizes), checked with symconv."""
    shape = b.input_shape
    axes = symbolic_axes(g, b.g.convention, kind, shape)
    names = dict(zip(axes, SIZE_NAMES))
    dims = [names.get(i, str(v)) for i, v in enumerate(shape)]
    subs = {names[i]: shape[i] for i in axes} or None
    head = [f"convention {b.g.convention}"]
    declared = [*(subs or {}), *(f"{name} = {value}" for name, value in b.counts.items())]
    if declared:  # a count is a size with a default: derived closed, verified unrolled
        head.append("sizes " + ", ".join(declared))
    head += b.blocks
    dims_text = "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"
    head.append(f"input x: {dims_text}")
    text = "\n".join(head + b.lines) + "\n"
    STATS["nets"] += 1
    try:  # with the repeat counts' defaults (unrolled), as the nets are verified
        symconv.derive(text, subs=subs if subs or not b.counts else {})
    except symconv.SymconvError:
        STATS["nets_refused"] += 1
        assume(False)
    return Net(b.g.convention, text, subs, frozenset(b.used), frozenset(b.types))


def symbolic_axes(g: G, convention: str, kind: str, shape: Shape) -> tuple[int, ...]:
    """Which input axes become declared sizes: none in most nets, else the spatial or sequence
    axes (and sometimes every axis)."""
    if kind == "tokens" or not g.often(4):
        return ()
    if g.chance(3):
        return tuple(range(len(shape)))
    if len(shape) == 1:
        return (0,)
    if convention == "torch" and kind in ("image", "volume"):
        return tuple(range(1, len(shape)))
    return tuple(range(len(shape) - 1))


def nets(convention: str, focus: str | None = None) -> st.SearchStrategy[Net]:
    """Random valid nets of one convention; with `focus`, each one applies that registered layer
    (or merge, or function)."""
    if focus is not None and focus not in REGISTRY[convention]:
        raise ValueError(f"{focus!r} is not a registered {convention} layer")
    return _net(convention, focus)


def net_texts(convention: str) -> st.SearchStrategy[tuple[str, dict[str, int] | None]]:
    """(arch_text, subs_or_None) pairs, for callers that want only the text."""
    return nets(convention).map(lambda n: (n.text, n.subs))
