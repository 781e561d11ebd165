"""The Keras catalog layers where the generic sweep (test_frameworks.py) cannot show everything:

* Bidirectional and TimeDistributed, which take a layer as argument (`Bidirectional(LSTM(8))`),
  over seeded inner layers and inputs;
* MultiHeadAttention on one tensor (self-attention; Keras is called with (x, x)), on (query,
  value) and on (query, value, key), written as a graph in .arch;
* configurations Keras's torch backend refuses but Keras itself (its other backends, its shape
  rules) takes: LayerNormalization over leading axes, lanczos/area resizing;
* what symconv refuses on purpose (several output tensors, stateful RNNs, backward_layer);
* Keras's auto names in a stack with wrappers.

Expected values come from running Keras (tests/frameworks_keras_more.py), never from symconv's
formulas.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras

import math  # noqa: E402
import random  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

import symconv  # noqa: E402

from frameworks import FrameworkError  # noqa: E402
from layer_cases import SIZE_NAMES, arch  # noqa: E402
from frameworks_keras_more import KLayer, keras_call_facts, keras_chain_facts  # noqa: E402
from test_frameworks import derive_error, expected, symconv_facts  # noqa: E402

Shape = tuple[int, ...]
Texts = list[tuple[str, dict[str, int] | None]]
SEED = int(os.environ.get("SYMCONV_CASES_SEED", "20240613"))
RNNS = ("SimpleRNN", "LSTM", "GRU")

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def facts_or_error(layer: KLayer, shapes: list[Shape],
                   dtype: str = "float32") -> tuple[dict[str, Any] | None, FrameworkError | None]:
    try:
        return keras_call_facts(layer, shapes, dtype), None
    except FrameworkError as err:
        return None, err


def agree(label: str, texts: Texts, facts: dict[str, Any] | None,
          err: FrameworkError | None) -> None:
    """symconv refuses what Keras refuses, and otherwise gives Keras's facts, for every text."""
    for text, subs in texts:
        if err is not None:
            assert derive_error(text, subs) is not None, \
                f"symconv accepts {label} (subs={subs}), but Keras: {err.kind}: {err}"
            continue
        try:
            d = symconv.derive(text, subs=subs)
        except symconv.SymconvError as e:
            pytest.fail(f"symconv rejects what Keras accepts:\n{text}subs={subs}\n{e}")
        got = symconv_facts(d.layers[-1], "keras")
        assert got == expected(facts, "keras"), f"{label} differs\n{text}subs={subs}"  # type: ignore[arg-type]


def one_input_texts(call: str, shape: Shape) -> Texts:
    """The call on a numeric input, and on one whose every extent is a declared size."""
    names = SIZE_NAMES[:len(shape)]
    dims = "(" + ", ".join(names) + ("," if len(shape) == 1 else "") + ")"
    return [(f"convention keras\ninput {arch(shape)}\n{call}\n", None),
            (f"convention keras\nsizes {', '.join(names)}\ninput {dims}\n{call}\n",
             dict(zip(names, shape)))]


# --------------------------------------------------------------------------- wrapped layers


def _maybe(rng: random.Random, kw: dict[str, Any], name: str, p: float, values: list[Any]) -> None:
    if rng.random() < p:
        kw[name] = rng.choice(values)


def rnn_layer(rng: random.Random, type_: str | None = None) -> KLayer:
    type_ = type_ or rng.choice(RNNS)
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "return_sequences", 0.5, [True, False])
    _maybe(rng, kw, "use_bias", 0.2, [False])
    _maybe(rng, kw, "trainable", 0.12, [False])
    _maybe(rng, kw, "go_backwards", 0.06, [True])
    _maybe(rng, kw, "return_state", 0.04, [True])
    _maybe(rng, kw, "name", 0.15, ["enc", "forward_enc", "backward_x"])
    if type_ == "GRU":
        _maybe(rng, kw, "reset_after", 0.5, [True, False])
    return KLayer(type_, (rng.choice([1, 2, 4, 6]),), tuple(kw.items()))


def bidirectional_case(rng: random.Random) -> tuple[KLayer, Shape]:
    inner = rnn_layer(rng) if rng.random() < 0.92 else rng.choice(
        [KLayer("Dense", (3,)), KLayer("Conv1D", (2, 2))])
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "merge_mode", 0.7, ["concat", "sum", "mul", "ave", "sum", "ave", "max",
                                                None])
    _maybe(rng, kw, "trainable", 0.1, [False])
    _maybe(rng, kw, "name", 0.1, ["bi"])
    shape: Shape = (rng.randint(1, 7), rng.randint(1, 5))
    if rng.random() < 0.05:
        shape = rng.choice([shape[:1], (*shape, 2)])
    return KLayer("Bidirectional", (inner,), tuple(kw.items())), shape


def time_distributed_case(rng: random.Random) -> tuple[KLayer, Shape]:
    t, a, b, c = (rng.randint(1, 5) for _ in range(4))
    inner, step = rng.choice([
        (KLayer("Dense", (rng.choice([1, 3, 4]),)), (c,)),
        (KLayer("Dense", (2,), (("use_bias", False),)), (a, c)),
        (KLayer("Conv1D", (2, rng.randint(1, 3)), (("padding", rng.choice(["valid", "same"])),)),
         (a + 2, c)),
        (KLayer("Conv2D", (3, 2)), (a + 1, b + 1, c)),
        (KLayer("MaxPooling1D", (2,)), (a + 1, c)),
        (KLayer("Flatten"), (a, b)),
        (KLayer("BatchNormalization"), (c,)),
        (KLayer("Dropout", (0.5,)), (a, b)),
        (KLayer("Reshape", ((-1,),)), (a, b)),
        (rnn_layer(rng), (a, c)),
        (KLayer("Bidirectional", (rnn_layer(rng, "GRU"),)), (a, c)),
        (KLayer("TimeDistributed", (KLayer("Dense", (2,)),)), (a, c)),
        (KLayer("Conv1D", (2, 4)), (2, c)),  # too short for the kernel
    ])
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "trainable", 0.1, [False])
    shape: Shape = (t, *step) if rng.random() < 0.95 else (t,)
    return KLayer("TimeDistributed", (inner,), tuple(kw.items())), shape


def _cases(name: str, draw: Any, n: int) -> list[tuple[KLayer, Shape]]:
    seen: dict[str, tuple[KLayer, Shape]] = {}
    for i in range(3 * n):
        layer, shape = draw(random.Random(f"{SEED}:{name}:{i}"))
        seen.setdefault(f"{layer.arch()}@{arch(shape)}", (layer, shape))
        if len(seen) == n:
            break
    return list(seen.values())


WRAPPED = _cases("bidirectional", bidirectional_case, 30) + \
    _cases("time_distributed", time_distributed_case, 30)


@pytest.mark.parametrize("layer,shape", WRAPPED, ids=[f"{w.arch()}@{arch(s)}" for w, s in WRAPPED])
def test_wrapped_layer_matches_keras(layer: KLayer, shape: Shape, need_keras: None) -> None:
    facts, err = facts_or_error(layer, [shape])
    agree(layer.arch(), one_input_texts(layer.arch(), shape), facts, err)


def test_time_distributed_inner_trainable_false(need_keras: None) -> None:
    layer = KLayer("TimeDistributed", (KLayer("Dense", (4,), (("trainable", False),)),))
    facts, err = facts_or_error(layer, [(5, 3)])
    assert err is None and facts is not None and facts["non_trainable"] == 16
    agree(layer.arch(), one_input_texts(layer.arch(), (5, 3)), facts, err)


# --------------------------------------------------------------------------- attention


def mha_case(rng: random.Random) -> tuple[KLayer, list[Shape]]:
    rank = rng.choice([2, 2, 3])
    kw: dict[str, Any] = {}
    _maybe(rng, kw, "value_dim", 0.3, [1, 2, 5])
    _maybe(rng, kw, "output_shape", 0.3, [None, 0, 5, (2, 3), (0,), ()])
    _maybe(rng, kw, "use_bias", 0.3, [True, False])
    _maybe(rng, kw, "use_gate", 0.2, [True, False])
    _maybe(rng, kw, "dropout", 0.25, [0.0, 0.1, 1.5])
    axes: list[Any] = [1, -2, 0, -1, (), (1, 1)] if rank == 2 else \
        [1, 2, (1, 2), (2, 1), -2, -3, -1, 3, (1, 1)]
    _maybe(rng, kw, "attention_axes", 0.35, axes)
    _maybe(rng, kw, "sliding_window", 0.08, [2])
    args = (rng.randint(1, 3), rng.choice([1, 2, 4]))
    query = tuple(rng.randint(1, 5) for _ in range(rank - 1))
    value = tuple(rng.choice([q, q, 1, rng.randint(1, 5)]) for q in query)
    key = value if rng.random() < 0.8 else tuple(rng.randint(1, 5) for _ in value)
    shapes = [(*query, rng.randint(1, 6)), (*value, rng.randint(1, 6)), (*key, rng.randint(1, 6))]
    if rng.random() < 0.08:
        shapes[1] = shapes[1][1:] or (2,)  # another rank
    n = rng.choice([1, 2, 2, 3])
    return KLayer("MultiHeadAttention", args, tuple(kw.items())), shapes[:n]


def attention_axes_limitation(layer: KLayer, rank: int) -> bool:
    """attention_axes that are not distinct positional axes of the query: Keras 3.15 takes some
    (it ignores them on its dot_product_attention path, or attends over the heads axis), symconv
    refuses them all."""
    raw = dict(layer.kwargs).get("attention_axes")
    if raw is None:
        return False
    items = raw if isinstance(raw, tuple) else (raw,)
    axes = [a if a >= 0 else rank + 1 + a for a in items]
    return not items or len(set(axes)) != len(axes) or not all(1 <= a < rank for a in axes)


def mha_texts(call: str, shapes: list[Shape]) -> Texts:
    names = ["q", "v", "k"][:len(shapes)]
    numeric = ", ".join(f"{n}: {arch(s)}" for n, s in zip(names, shapes))
    subs = {f"{n.upper()}{i}": e for n, s in zip(names, shapes) for i, e in enumerate(s)}
    symbolic = ", ".join(f"{n}: ({', '.join(f'{n.upper()}{i}' for i in range(len(s)))}"
                         f"{',' if len(s) == 1 else ''})" for n, s in zip(names, shapes))
    apply = f"y = {call}({', '.join(names)})\n"
    return [(f"convention keras\ninput {numeric}\n{apply}", None),
            (f"convention keras\nsizes {', '.join(subs)}\ninput {symbolic}\n{apply}", subs)]


MHA = [case for i in range(60) for case in [mha_case(random.Random(f"{SEED}:mha:{i}"))]][:45]


@pytest.mark.parametrize("layer,shapes", MHA,
                         ids=[f"{m.arch()}@{'+'.join(map(arch, s))}" for m, s in MHA])
def test_multi_head_attention_matches_keras(layer: KLayer, shapes: list[Shape],
                                            need_keras: None) -> None:
    texts = mha_texts(layer.arch(), shapes)
    if attention_axes_limitation(layer, len(shapes[0])):
        same_rank = len({len(s) for s in shapes}) == 1
        for text, subs in texts:
            e = derive_error(text, subs)
            assert e is not None and ("attention_axes" in e.message or not same_rank), text
        return
    # one tensor is self-attention: Keras takes it as (x, x)
    facts, err = facts_or_error(layer, shapes * 2 if len(shapes) == 1 else shapes)
    agree(f"{layer.arch()} on {shapes}", texts, facts, err)


def test_self_attention_written_as_a_plain_stack(need_keras: None) -> None:
    layer = KLayer("MultiHeadAttention", (2, 4))
    facts, err = facts_or_error(layer, [(6, 8), (6, 8)])
    agree(layer.arch(), one_input_texts(layer.arch(), (6, 8)), facts, err)


# --------------------------------------------------------------------------- backend limits


def _build_only(cls: str, kwargs: dict[str, Any], shape: Shape) -> dict[str, Any]:
    """Keras's own shape and weights for a layer, from build() and compute_output_shape()
    without running a backend kernel."""
    import keras

    keras.backend.clear_session()
    layer = getattr(keras.layers, cls)(**kwargs)
    layer.build((None, *shape))
    out = layer.compute_output_shape((None, *shape))[1:]
    return {"output_shape": tuple(out), "params": layer.count_params(),
            "trainable": sum(math.prod(w.shape) for w in layer.trainable_weights),
            "non_trainable": sum(math.prod(w.shape) for w in layer.non_trainable_weights),
            "weights": {w.name: tuple(w.shape) for w in layer.weights}}


LEADING_AXES = [({"axis": 1}, (3, 4, 5)), ({"axis": (1, 2)}, (3, 4, 5)),
                ({"axis": (-3, -2), "center": False}, (3, 4, 5)), ({"axis": 1}, (2, 6))]


@pytest.mark.parametrize("kwargs,shape", LEADING_AXES, ids=[str(k) for k, _ in LEADING_AXES])
def test_layer_norm_over_leading_axes(kwargs: dict[str, Any], shape: Shape,
                                      need_keras: None) -> None:
    """Keras's torch backend hands consecutive axes to F.layer_norm, which wants them trailing;
    Keras's build and shape rules (and its other backends) take any axes, and so does symconv."""
    layer = KLayer("LayerNormalization", (), tuple(kwargs.items()))
    _, err = facts_or_error(layer, [shape])
    assert err is not None and "normalized_shape" in str(err)
    agree(layer.arch(), one_input_texts(layer.arch(), shape),
          _build_only("LayerNormalization", kwargs, shape), None)


@pytest.mark.parametrize("how", ["lanczos3", "lanczos5", "area"])
def test_resize_interpolations_of_other_backends(how: str, need_keras: None) -> None:
    kwargs = {"size": (2, 3), "interpolation": how}
    layer = KLayer("UpSampling2D", (), tuple(kwargs.items()))
    _, err = facts_or_error(layer, [(4, 5, 2)])
    assert err is not None and "interpolation" in str(err)
    agree(layer.arch(), one_input_texts(layer.arch(), (4, 5, 2)),
          _build_only("UpSampling2D", kwargs, (4, 5, 2)), None)


# --------------------------------------------------------------------------- refused on purpose

REFUSED = [
    (KLayer("GRU", (4,), (("stateful", True),)), "stateful", "batch size must be static"),
    (KLayer("Bidirectional", (KLayer("LSTM", (4,)),), (("backward_layer", KLayer(
        "LSTM", (3,), (("go_backwards", True),))),)), "backward_layer", "real shape (7,)"),
]


@pytest.mark.parametrize("layer,arg,keras_says", REFUSED, ids=[r[0].arch() for r in REFUSED])
def test_refused_on_purpose(layer: KLayer, arg: str, keras_says: str, need_keras: None) -> None:
    """Keras needs the batch size, or (backward_layer with other units) states a symbolic shape
    that is not the real one: symconv refuses each with a reason. (return_state=True and
    merge_mode=None, several tensors, are derived now: tests/test_issue16_layers.py.)"""
    _, err = facts_or_error(layer, [(5, 3)])
    assert err is not None and keras_says in str(err), err
    for text, subs in one_input_texts(layer.arch(), (5, 3)):
        e = derive_error(text, subs)
        assert e is not None and arg in e.message and e.code == "SC104", text


# --------------------------------------------------------------------------- auto names

STACKS = [
    ("text", (7,), "int64", [
        KLayer("Embedding", (20, 6)), KLayer("Bidirectional", (KLayer("LSTM", (4,), (
            ("return_sequences", True),)),)),
        KLayer("TimeDistributed", (KLayer("Dense", (3,)),)), KLayer("LSTM", (2,)),
        KLayer("Dense", (1,))]),
    ("video", (4, 6, 6, 2), "float32", [
        KLayer("TimeDistributed", (KLayer("Conv2D", (3, 3)),)),
        KLayer("TimeDistributed", (KLayer("Flatten"),)),
        KLayer("Bidirectional", (KLayer("GRU", (5,), (("return_sequences", True),)),),
               (("merge_mode", "sum"),)),
        KLayer("LayerNormalization"), KLayer("GRU", (2,)), KLayer("Dense", (2,))]),
    ("upsampler", (5, 5, 3), "float32", [
        KLayer("Conv2DTranspose", (4, 3), (("strides", 2),)), KLayer("PReLU"),
        KLayer("SeparableConv2D", (4, 3)), KLayer("DepthwiseConv2D", (2,)),
        KLayer("UpSampling2D"), KLayer("Cropping2D", (1,)), KLayer("Conv2DTranspose", (1, 1)),
        KLayer("Reshape", ((-1, 4),)), KLayer("Permute", ((2, 1),)),
        KLayer("GroupNormalization", (2,), (("axis", 1),)), KLayer("UnitNormalization")]),
]


@pytest.mark.parametrize("shape,dtype,layers", [s[1:] for s in STACKS], ids=[s[0] for s in STACKS])
def test_keras_auto_names_with_wrappers(shape: Shape, dtype: str, layers: list[KLayer],
                                        need_keras: None) -> None:
    facts = keras_chain_facts(layers, shape, dtype)
    text = f"convention keras\ninput {arch(shape)}\n" + "".join(f"{x.arch()}\n" for x in layers)
    d = symconv.derive(text)
    assert [r.name for r in d.layers] == [f["name"] for f in facts]
    for record, f in zip(d.layers, facts):
        assert symconv_facts(record, "keras") == expected(f, "keras"), record.name


def test_keras_auto_names_nested_wrappers(need_keras: None) -> None:
    nested = KLayer("TimeDistributed", (KLayer("TimeDistributed", (KLayer("Dense", (2,)),)),))
    test_keras_auto_names_with_wrappers((6, 5, 3), "float32", [nested, KLayer("Dense", (3,))],
                                        None)


def test_every_wrapper_is_covered() -> None:
    """Every layer that takes a layer as its argument has cases above (the generic sweep in
    test_frameworks.py leaves the 'wrapper' family to this file)."""
    from symconv.layers import REGISTRY

    wrappers = {t for t, spec in REGISTRY["keras"].items() if spec.family == "wrapper"}
    assert wrappers and wrappers <= {w.cls for w, _ in WRAPPED}, wrappers


def test_attention_build_takes_keras_auto_names(need_keras: None) -> None:
    """Keras's MultiHeadAttention makes a Softmax and a Dropout when it is built, so the next
    Dropout is 'dropout_1' (as `model.summary()` prints), in symconv too."""
    import keras

    keras.backend.clear_session()
    x = keras.Input((5, 8))
    attention = keras.layers.MultiHeadAttention(2, 4)
    y = attention(x, x)
    drop = keras.layers.Dropout(0.1)
    drop(y)
    soft = keras.layers.Softmax()
    d = symconv.derive("input (5, 8)\nMultiHeadAttention(2, 4)\nDropout(0.1)\nSoftmax()\n")
    assert [r.name for r in d.layers] == [attention.name, drop.name, soft.name]
