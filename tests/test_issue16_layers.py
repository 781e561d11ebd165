"""The layers issue 16 adds, where the generic sweep (test_frameworks.py, whose generators are in
tests/cases_torch_catalog.py and tests/cases_keras_catalog.py) cannot show everything: arguments
that torch accepts only by reading the batch axis, symbolic sizes, and each layer's own
refusals. Expected values come from running the frameworks, or from arithmetic written here.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras

from dataclasses import replace  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

import symconv  # noqa: E402
from symconv.layers import REGISTRY, Call, LayerOutput  # noqa: E402
from symconv.layers.base import Several  # noqa: E402

from frameworks import FrameworkError, torch_facts  # noqa: E402
from frameworks_keras_more import KLayer, keras_call_facts  # noqa: E402
from layer_cases import Case, arch  # noqa: E402
from test_frameworks import derive_error, expected, symconv_facts  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore:LSTM with projections:UserWarning")]


def torch_text(layer: str, args: tuple[Any, ...], kwargs: dict[str, Any],
               shape: tuple[int, ...] | str, sizes: str = "") -> str:
    call = Case("torch", layer, args, tuple(kwargs.items()), (), ()).call
    head = f"convention torch\n{'sizes ' + sizes + chr(10) if sizes else ''}"
    dims = shape if isinstance(shape, str) else arch(shape)
    return f"{head}input {dims}\n{call}\n"


def torch_error(layer: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                shape: tuple[int, ...]) -> FrameworkError:
    with pytest.raises(FrameworkError) as info:
        torch_facts(layer, list(args), kwargs, shape)
    return info.value


# --------------------------------------------------------------------------- RMSNorm


def test_rms_norm_reaching_the_batch_axis_is_refused(need_torch: None) -> None:
    """torch normalizes across the batch of 2 when normalized_shape has one axis more than
    symconv's shape; symconv leaves the batch axis out and refuses."""
    torch_facts("RMSNorm", [(2, 3, 4)], {}, (3, 4))  # torch accepts
    e = derive_error(torch_text("RMSNorm", ((2, 3, 4),), {}, (3, 4)))
    assert e is not None and e.code == "SC201", e


@pytest.mark.parametrize("args,kwargs,shape,message", [
    (((3, 5),), {}, (4, 5), "expected input with shape [*3, 5]"),
    (((),), {}, (4, 5), "at least 1-dimensional"),
])
def test_rms_norm_refusals(args: tuple[Any, ...], kwargs: dict[str, Any],
                           shape: tuple[int, ...], message: str, need_torch: None) -> None:
    assert message in str(torch_error("RMSNorm", args, kwargs, shape))
    assert derive_error(torch_text("RMSNorm", args, kwargs, shape)) is not None


def test_rms_norm_symbolic(need_torch: None) -> None:
    """Llama's RMSNorm(d) on (L, d): d parameters, no bias; torch at d = 8, L = 3."""
    text = "convention torch\nsizes L, d\ninput (L, d)\nRMSNorm(d, eps=1e-6)\n"
    assert str(symconv.derive(text).layers[0].params) == "d"
    want = expected(torch_facts("RMSNorm", [8], {"eps": 1e-6}, (3, 8)), "torch")
    got = symconv.derive(text, subs={"L": 3, "d": 8})
    assert symconv_facts(got.layers[0], "torch") == want


# --------------------------------------------------------------------------- Keras Normalization


def keras_text(layer: str, kwargs: dict[str, Any], shape: tuple[int, ...] | str,
               sizes: str = "") -> str:
    call = Case("keras", layer, (), tuple(kwargs.items()), (), ()).call
    head = f"convention keras\n{'sizes ' + sizes + chr(10) if sizes else ''}"
    return f"{head}input {shape if isinstance(shape, str) else arch(shape)}\n{call}\n"


def test_normalization_makes_efficientnet_exact(need_keras: None) -> None:
    """EfficientNetB0's Normalization() on (H, W, 3): mean (3,), variance (3,), count (): the 7
    non-trainable parameters that take 5,330,564 to Keras's 5,330,571, whatever H and W."""
    from frameworks import keras_facts

    d = symconv.derive(keras_text("Normalization", {}, "(H, W, 3)", "H, W"))
    record = d.layers[0]
    assert (record.params, record.non_trainable, record.trainable) == (7, 7, 0)
    facts = keras_facts("Normalization", [], {}, (224, 224, 3))
    assert facts["weights"] == {"mean": (3,), "variance": (3,), "count": ()}
    assert (facts["params"], facts["non_trainable"]) == (7, 7)


@pytest.mark.parametrize("kwargs,shape,message", [
    ({"axis": 0}, (4, 5), "must have a known shape"),
    ({"axis": 3}, (4, 5), "must be in the range"),
    ({"axis": (2, 2)}, (4, 5), "is invalid for input of size"),
    ({"mean": (1.0, 2.0), "variance": (1.0, 2.0)}, (4, 5), "must match the existing size"),
    ({"mean": ((1.0,),), "variance": ((1.0,),)}, (4, 5), "rank of `mean`"),
    ({"mean": 1.0}, (4, 5), "both `mean` and `variance` must be set"),
    ({"mean": (1.0, 2.0), "variance": (1.0, 2.0, 3.0)}, (4, 5), "must have the same shape"),
])
def test_normalization_refusals(kwargs: dict[str, Any], shape: tuple[int, ...], message: str,
                                need_keras: None) -> None:
    from frameworks import keras_facts

    with pytest.raises(FrameworkError) as info:
        keras_facts("Normalization", [], kwargs, shape)
    assert message in str(info.value)
    assert derive_error(keras_text("Normalization", kwargs, shape)) is not None


def test_normalization_constants_make_no_weights(need_keras: None) -> None:
    """mean and variance given: plain tensors, 0 parameters; a vector must fit the last axis,
    a condition when that axis is a size (C = 3 here; Keras refuses C = 4)."""
    from frameworks import keras_facts

    kwargs = {"mean": (1.0, 2.0, 3.0), "variance": (1.0, 1.0, 1.0)}
    assert keras_facts("Normalization", [], kwargs, (5, 3))["params"] == 0
    text = keras_text("Normalization", kwargs, "(L, C)", "L, C")
    assert symconv.derive(text, subs={"L": 5, "C": 3}).layers[0].params == 0
    with pytest.raises(FrameworkError):
        keras_facts("Normalization", [], kwargs, (5, 4))
    assert derive_error(text, {"L": 5, "C": 4}) is not None


# --------------------------------------------------------------------------- Lazy modules


@pytest.mark.parametrize("lazy,eager,shape", [
    ("LazyLinear(10)", "Linear(C, 10)", "(L, C)"),
    ("LazyConv2d(8, 3, stride=2, groups=2)", "Conv2d(C, 8, 3, stride=2, groups=2)", "(C, H, W)"),
    ("LazyConvTranspose1d(4, 3, stride=2)", "ConvTranspose1d(C, 4, 3, stride=2)", "(C, L)"),
])
def test_lazy_module_is_its_eager_twin(lazy: str, eager: str, shape: str) -> None:
    """Symbolically, a Lazy module derives as its twin with the input's size written in: the
    same shape, weights, conditions and MACs."""
    from symconv.analysis import macs

    sizes = ", ".join(ch for ch in "CHWL" if ch in shape)
    texts = [f"convention torch\nsizes {sizes}\ninput {shape}\n{call}\n" for call in (lazy, eager)]
    a, b = (symconv.derive(t) for t in texts)
    ra, rb = a.layers[0], b.layers[0]
    assert (ra.output_shape, ra.weights, ra.params) == (rb.output_shape, rb.weights, rb.params)
    assert [r.condition for r in a.requires] == [r.condition for r in b.requires]
    preset = macs.PRESETS["ptflops"]
    assert macs.total(a, preset) == macs.total(b, preset)


def test_lazy_conv_groups_must_divide_the_input_channels(need_torch: None) -> None:
    assert "divisible by groups" in str(torch_error("LazyConv2d", (6, 3), {"groups": 2},
                                                    (3, 8, 8)))
    e = derive_error(torch_text("LazyConv2d", (6, 3), {"groups": 2}, (3, 8, 8)))
    assert e is not None and "LazyConv2d" in str(e) and "groups" in str(e)


# --------------------------------------------------------------------------- several results


def captured(monkeypatch: pytest.MonkeyPatch, convention: str, text: str,
             layer: str) -> list[LayerOutput]:
    """Every LayerOutput the rule of `layer` gave while `text` was derived (the results of a
    call that gives several tensors, before the binding syntax reads them)."""
    spec = REGISTRY[convention][layer]
    seen: list[LayerOutput] = []

    def recording(call: Call) -> LayerOutput:
        out = spec.fn(call)
        seen.append(out)
        return out

    monkeypatch.setitem(REGISTRY[convention], layer, replace(spec, fn=recording))
    symconv.derive(text)
    return seen


def flat(several: Several) -> list[tuple[int, ...]]:
    """The shapes of a Several in order, nesting flattened, as numbers."""
    out: list[tuple[int, ...]] = []
    for item in several.items:
        out += flat(item) if isinstance(item, Several) else [tuple(int(e) for e in item)]
    return out


KERAS_STATES = [
    KLayer("LSTM", (5,), (("return_state", True),)),
    KLayer("LSTM", (5,), (("return_state", True), ("return_sequences", True))),
    KLayer("GRU", (4,), (("return_state", True), ("reset_after", False))),
    KLayer("SimpleRNN", (3,), (("return_state", True), ("return_sequences", True))),
    KLayer("Bidirectional", (KLayer("LSTM", (5,), (("return_state", True),)),)),
    KLayer("Bidirectional", (KLayer("GRU", (4,), (("return_state", True),
                                                  ("return_sequences", True))),),
           (("merge_mode", "sum"),)),
    KLayer("Bidirectional", (KLayer("SimpleRNN", (2,), (("return_sequences", True),)),),
           (("merge_mode", None),)),
    KLayer("Bidirectional", (KLayer("LSTM", (2,), (("return_state", True),)),),
           (("merge_mode", None),)),
]


@pytest.mark.parametrize("layer", KERAS_STATES, ids=[k.arch() for k in KERAS_STATES])
def test_keras_several_results_match_keras(layer: KLayer, monkeypatch: pytest.MonkeyPatch,
                                           need_keras: None) -> None:
    """Keras's [output, h, (c)] with return_state=True, and Bidirectional's [output(s),
    forward states, backward states], shape by shape, on a (7, 3) sequence."""
    outputs = keras_call_facts(layer, [(7, 3)])["outputs"]
    text = f"convention keras\ninput (7, 3)\n{layer.arch()}\n"
    result = captured(monkeypatch, "keras", text, layer.cls)[-1]
    assert result.outputs is not None and flat(result.outputs) == list(outputs)
    assert tuple(int(e) for e in result.shape) == outputs[0]


def test_time_distributed_refuses_several_results(need_keras: None) -> None:
    layer = KLayer("TimeDistributed", (KLayer("LSTM", (5,), (("return_state", True),)),))
    with pytest.raises(FrameworkError):
        keras_call_facts(layer, [(4, 7, 3)])
    e = derive_error(f"convention keras\ninput (4, 7, 3)\n{layer.arch()}\n")
    assert e is not None and "several tensors" in e.message


TORCH_STATES = [
    ("LSTM", (3, 6), {}),
    ("LSTM", (3, 6), {"num_layers": 2, "bidirectional": True, "proj_size": 2,
                      "batch_first": True}),
    ("GRU", (3, 5), {"num_layers": 3}),
    ("RNN", (3, 4), {"bidirectional": True, "batch_first": True}),
]


def torch_results(layer: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                  shape: tuple[int, int], batch: int = 2) -> list[tuple[int, ...]]:
    """torch's (output, h_n) / (output, (h_n, c_n)), each without its batch axis: dim 0 of
    the output with batch_first, else dim 1; dim 1 of h_n and c_n whatever batch_first."""
    import torch

    module = getattr(torch.nn, layer)(*args, **kwargs)
    first = kwargs.get("batch_first", False)
    x = torch.zeros((batch, *shape) if first else (shape[0], batch, shape[1]))
    with torch.no_grad():
        out, states = module(x)
    states = states if isinstance(states, tuple) else (states,)
    for s in states:
        assert s.shape[1] == batch
    out_shape = list(out.shape)
    del out_shape[0 if first else 1]
    return [tuple(out_shape)] + [tuple(s.shape[:1]) + tuple(s.shape[2:]) for s in states]


@pytest.mark.parametrize("layer,args,kwargs", TORCH_STATES,
                         ids=[f"{t[0]}{t[1]}{t[2]}" for t in TORCH_STATES])
def test_torch_several_results_match_torch(layer: str, args: tuple[Any, ...],
                                           kwargs: dict[str, Any],
                                           monkeypatch: pytest.MonkeyPatch,
                                           need_torch: None) -> None:
    want = torch_results(layer, args, kwargs, (7, 3), batch=5)
    result = captured(monkeypatch, "torch", torch_text(layer, args, kwargs, (7, 3)), layer)[-1]
    assert result.outputs is not None and flat(result.outputs) == want
    # torch's h_n and c_n have the batch at dim 1 (torch_results checks it on the real tensors)
    assert result.batch_axes is not None and result.batch_axes[1:] == (1,) * (len(want) - 1)
    nested = result.outputs.items[1]
    assert isinstance(nested, Several) == (layer == "LSTM")  # (output, (h_n, c_n))


STATE_USES = """convention torch
input x: (7, 3)
out, (h, c) = LSTM(3, 6, num_layers=2, batch_first=True)(x)
last = h[-1]
y = Linear(6, 4)(last)
first = select(c, 0, 0)
t = h.transpose(0, 1)
s = c.squeeze(0)
"""


def test_final_states_are_used_as_torch_counts_their_dims(need_torch: None) -> None:
    """torch's h_n is (num_layers, N, H): `h[-1]` and `select(c, 0, 0)` take a layer's
    state, (N, H); `transpose(0, 1)` brings the batch first. Shapes from real torch; the
    table shows the batch where torch has it."""
    import torch

    lstm, fc = torch.nn.LSTM(3, 6, num_layers=2, batch_first=True), torch.nn.Linear(6, 4)
    with torch.no_grad():
        _, (h, c) = lstm(torch.zeros(5, 7, 3))
        want = {"select": h[-1].shape, "1": fc(h[-1]).shape, "select_1": c.select(0, 0).shape,
                "transpose": h.transpose(0, 1).shape}
    d = symconv.derive(STATE_USES.replace("s = c.squeeze(0)\n", ""))
    for name, shape in want.items():
        assert (5, *(int(e) for e in d.layer(name).output_shape)) == tuple(shape), name
    assert "(2, N, 6), (2, N, 6)]" in d.render("table")
    assert symconv.verify(STATE_USES.replace("s = c.squeeze(0)\n", "")).ok
    # squeeze(0) keeps the layers axis of 2 (torch: (2, 5, 6)): the batch stays second
    with pytest.raises(symconv.SymconvError) as err:
        symconv.derive(STATE_USES)
    assert err.value.code == "SC201" and "batch axis" in err.value.message
    assert c.squeeze(0).shape == (2, 5, 6)


@pytest.mark.parametrize("line", ["y = Linear(6, 4)(h)", "y = h.view(2, -1)",
                                  "y = h + h", "y = h.contiguous()"])
def test_a_final_state_whose_batch_is_second_is_refused(line: str) -> None:
    """torch's fc(h_n) gives (2, N, 4), a tensor with its batch second: symconv keeps the batch
    first and says how to take the state it means."""
    text = STATE_USES.split("last =")[0] + line + "\n"
    with pytest.raises(symconv.SymconvError) as err:
        symconv.derive(text)
    assert err.value.code == "SC201" and "batch axis" in err.value.message
    assert err.value.span is not None and err.value.span.line == 4

# --------------------------------------------------------------------------- EmbeddingBag, Unfold,
# ChannelShuffle, StochasticDepth


def test_embedding_bag_offsets_form_is_refused(need_torch: None) -> None:
    """torch's 1-D indices with a tensor of offsets: the bags are not the batch axis, so
    symconv refuses the second tensor and names the form it takes."""
    import torch

    bag = torch.nn.EmbeddingBag(10, 3)
    out = bag(torch.zeros(6, dtype=torch.long), torch.tensor([0, 2, 5]))
    assert tuple(out.shape) == (3, 3)  # torch accepts: three bags of 2, 3 and 1
    text = ("convention torch\ninput i: (6,)\ninput o: (3,)\n"
            "EmbeddingBag(10, 3)(i, o)\n")
    e = derive_error(text)
    assert e is not None and "offsets" in e.message and e.code == "SC201", e


def test_embedding_bag_empty_width_warns(need_torch: None) -> None:
    """E = 0 in sum mode: torch 2.13's CPU kernel raises "Expected i < index_size" on some
    runs and not on others (it reads memory it never wrote), so symconv accepts the shape
    (0,) and warns."""
    d = symconv.derive(torch_text("EmbeddingBag", (5, 0), {"mode": "sum"}, (3,)))
    assert any("empty embedding_dim" in w.message for w in d.warnings)


@pytest.mark.parametrize("args,kwargs,values", [
    ((3,), {}, {"C": 4, "H": 8, "W": 9}),
    (((2, 3),), {"dilation": 2, "padding": 1, "stride": (2, 1)}, {"C": 4, "H": 8, "W": 9}),
    ((3,), {"stride": 2, "padding": 1}, {"C": 2, "H": 1, "W": 6}),
])
def test_unfold_symbolic_matches_torch(args: tuple[Any, ...], kwargs: dict[str, Any],
                                       values: dict[str, int], need_torch: None) -> None:
    """(C·∏k, L_H·L_W) in C, H, W, substituted, against torch's output and refusals."""
    text = torch_text("Unfold", args, kwargs, "(C, H, W)", "C, H, W")
    want = torch_facts("Unfold", list(args), kwargs, (values["C"], values["H"], values["W"]))
    got = symconv.derive(text, subs=values)
    assert symconv_facts(got.layers[0], "torch") == expected(want, "torch")


def test_unfold_too_small_is_a_condition(need_torch: None) -> None:
    assert "must be at least one" in str(torch_error("Unfold", (3,), {}, (4, 2, 9)))
    text = torch_text("Unfold", (3,), {}, "(C, H, W)", "C, H, W")
    assert derive_error(text, {"C": 4, "H": 2, "W": 9}) is not None


@pytest.mark.parametrize("args,message", [
    ((1.5, "row"), "drop probability has to be between 0 and 1"),
    ((0.2, "rows"), "mode has to be either 'batch' or 'row'"),
])
def test_stochastic_depth_refusals(args: tuple[Any, ...], message: str,
                                   need_torch: None) -> None:
    pytest.importorskip("torchvision")
    assert message in str(torch_error("StochasticDepth", args, {}, (4, 5)))
    assert derive_error(torch_text("StochasticDepth", args, {}, (4, 5))) is not None


def test_stochastic_depth_verifies(need_torch: None) -> None:
    """`symconv verify` builds torchvision.ops.StochasticDepth, which is not in torch.nn."""
    pytest.importorskip("torchvision")
    text = ("convention torch\nsizes H\ninput (3, H, H)\nConv2d(3, 4, 3)\n"
            "StochasticDepth(0.2, 'row')\nChannelShuffle(2)\n")
    report = symconv.verify(text, subs={"H": 8}, samples=1, seed=0)
    assert report.ok, report.render()


# --------------------------------------------------------------------------- ConvLSTM


CONV_LSTMS = [
    KLayer("ConvLSTM2D", (4, 3), (("padding", "same"), ("strides", 2), ("return_sequences", True),
                                  ("return_state", True))),
    KLayer("ConvLSTM1D", (3, 2), (("dilation_rate", 2), ("return_state", True))),
    KLayer("ConvLSTM3D", (2, (1, 2, 3)), (("data_format", "channels_first"),
                                          ("return_state", True), ("use_bias", False))),
]
CONV_LSTM_INPUTS = {"ConvLSTM1D": (5, 9, 2), "ConvLSTM2D": (5, 8, 9, 2),
                    "ConvLSTM3D": (3, 2, 4, 5, 6)}


@pytest.mark.parametrize("layer", CONV_LSTMS, ids=[k.arch() for k in CONV_LSTMS])
def test_conv_lstm_states_match_keras(layer: KLayer, monkeypatch: pytest.MonkeyPatch,
                                      need_keras: None) -> None:
    """[output, h, c] with return_state=True: h and c are the one-step conv map."""
    shape = CONV_LSTM_INPUTS[layer.cls]
    facts = keras_call_facts(layer, [shape])
    text = f"convention keras\ninput {arch(shape)}\n{layer.arch()}\n"
    result = captured(monkeypatch, "keras", text, layer.cls)[-1]
    assert result.outputs is not None and flat(result.outputs) == list(facts["outputs"])
    d = symconv.derive(text)
    assert symconv_facts(d.layers[0], "keras") == expected(facts, "keras")


def test_conv_lstm_symbolic() -> None:
    """ConvLSTM2D(f, 3) on (T, H, W, C): 4f·(9·(C + f) + 1) parameters, the 'valid' extents
    H − 2 and W − 2 (hand arithmetic: kernel 3·3·C·4f, recurrent 3·3·f·4f, bias 4f)."""
    import sympy

    text = "convention keras\nsizes T, H, W, C\ninput (T, H, W, C)\nConvLSTM2D(8, 3)\n"
    record = symconv.derive(text).layers[0]
    C, H, W = (sympy.Symbol(n, integer=True, positive=True) for n in "CHW")
    assert sympy.expand(record.params - (9 * C * 32 + 9 * 8 * 32 + 32)) == 0
    assert [str(e) for e in record.output_shape] == ["H - 2", "W - 2", "8"]


def test_conv_lstm_macs_by_hand() -> None:
    """ConvLSTM2D(4, 3) on 5 steps of 8×9×2: each step's input convolution 3·3·2·16 = 288 and
    recurrent one 3·3·4·16 = 576 multiply-adds at each of the 6·7 = 42 output positions:
    5·42·864 = 181,440 (weights only)."""
    from symconv.analysis import macs

    d = symconv.derive("convention keras\ninput (5, 8, 9, 2)\nConvLSTM2D(4, 3)\n")
    assert macs.total(d, macs.PRESETS["weights"]) == 5 * 42 * (288 + 576)


def test_a_size_a_layer_needs_as_a_number_is_taken_from_subs(need_torch: None) -> None:
    """LSTM's num_layers names its weights (weight_ih_l1, …), so a symbolic count is refused;
    with `--subs` (or the declared default) the network is derived with the number, as verify
    derives it. Counts from torch."""
    import torch

    text = ("convention torch\nsizes L, F = 8, Hd = 16, nl = 2\ninput x: (L, F)\n"
            "out = LSTM(F, Hd, num_layers=nl, batch_first=True)(x)\n")
    with pytest.raises(symconv.SymconvError) as err:
        symconv.derive(text)
    assert err.value.code == "SC104" and "num_layers" in err.value.message
    for nl in (2, 3):
        d = symconv.derive(text, {"L": 5, "nl": nl})
        module = torch.nn.LSTM(8, 16, num_layers=nl, batch_first=True)
        assert int(d.params) == sum(p.numel() for p in module.parameters())
    assert int(symconv.derive(text, {"L": 5}).params) == sum(
        p.numel() for p in torch.nn.LSTM(8, 16, num_layers=2).parameters())
