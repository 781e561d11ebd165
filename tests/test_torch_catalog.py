"""The torch catalog layers where the generic sweep (test_frameworks.py) cannot show everything:

* sequence layers (RNN, LSTM, GRU, MultiheadAttention, TransformerEncoderLayer) run in their own
  layout, batch axis second unless batch_first, and unbatched; the answers must agree;
* MultiheadAttention on three tensors (query, key, value) written as a graph in .arch;
* Upsample's output size from a float scale, which torch computes in double arithmetic;
* inputs and arguments that torch accepts only by reading or changing the batch axis, which
  symconv refuses on purpose, each shown against torch.

Expected values come from running torch, never from symconv's formulas.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras

import random  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

import symconv  # noqa: E402

from frameworks import FrameworkError, torch_facts  # noqa: E402
from frameworks_torch_more import SEQUENCE_LAYERS, torch_call_facts  # noqa: E402
from layer_cases import Case, arch, cases  # noqa: E402
from cases_torch_catalog import torch_mha  # noqa: E402  (after layer_cases, which imports it)
from test_frameworks import derive_error, expected, symconv_facts  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore:dropout option adds dropout:UserWarning"),
              pytest.mark.filterwarnings("ignore:LSTM with projections:UserWarning"),
              pytest.mark.filterwarnings("ignore:input's size at dim:UserWarning")]


def facts_or_error(layer: str, args: Any, kwargs: dict[str, Any], inputs: list[tuple[int, ...]],
                   **options: Any) -> tuple[dict[str, Any] | None, FrameworkError | None]:
    try:
        return torch_call_facts(layer, list(args), kwargs, inputs, **options), None
    except FrameworkError as err:
        return None, err


def agree(label: str, texts: list[tuple[str, dict[str, int] | None]],
          facts: dict[str, Any] | None, err: FrameworkError | None) -> None:
    """symconv refuses what torch refuses, and otherwise gives torch's facts, for every text."""
    for text, subs in texts:
        if err is not None:
            assert derive_error(text, subs) is not None, \
                f"symconv accepts {label} (subs={subs}), but torch: {err.kind}: {err}"
            continue
        try:
            d = symconv.derive(text, subs=subs)
        except symconv.SymconvError as e:
            pytest.fail(f"symconv rejects what torch accepts:\n{text}subs={subs}\n{e}")
        got = symconv_facts(d.layers[-1], "torch")
        assert got == expected(facts, "torch"), f"{label} differs\n{text}subs={subs}"  # type: ignore[arg-type]


# --------------------------------------------------------------------------- sequence layouts

def _self_attention(i: int) -> Case:
    rng = random.Random(f"mha1:{i}")
    args, kwargs, shape = torch_mha(rng)
    return Case("torch", "MultiheadAttention", args, tuple(kwargs.items()), shape,
                rng.choice([(0, 1), (0,)]))


# the generic sweep's MultiheadAttention cases are refused arguments only (one input tensor)
SEQUENCE = [c for c in cases("torch") if c.layer in SEQUENCE_LAYERS - {"MultiheadAttention"}]
SEQUENCE += list({c.id: c for c in map(_self_attention, range(40))}.values())[:30]


@pytest.mark.parametrize("case", SEQUENCE, ids=[c.id for c in SEQUENCE])
def test_sequence_layer_in_its_own_layout(case: Case, need_torch: None) -> None:
    kwargs = dict(case.kwargs)
    facts, err = facts_or_error(case.layer, case.args, kwargs, [case.input_shape])
    if len(case.input_shape) == 2:  # (L, F); torch reads a rank-3 unbatched input as batched
        flat, flat_err = facts_or_error(case.layer, case.args, kwargs, [case.input_shape],
                                        batch=None)
        assert (err is None) == (flat_err is None), (err, flat_err)
        assert flat == facts, "torch's unbatched answer differs from its batched one"
    agree(case.id, [(case.text(), None), case.symbolic()], facts, err)


# --------------------------------------------------------------------------- attention, 3 inputs

QKV = ("q", "k", "v")
SIZE_NAMES = (("Lq", "Dq"), ("Sk", "Dk"), ("Sv", "Dv"))


def mha_case(rng: random.Random) -> tuple[tuple[int, int], dict[str, Any], list[tuple[int, int]]]:
    heads = rng.choice([1, 2, 4])
    e = heads * rng.choice([1, 2, 3]) if rng.random() < 0.9 else 5
    kw: dict[str, Any] = {}
    for name in ("kdim", "vdim"):
        kw[name] = rng.choice([None, e, rng.randint(1, 7)])
    for name, values in (("bias", [True, False]), ("add_bias_kv", [True, False]),
                         ("add_zero_attn", [True, False]), ("batch_first", [True, False]),
                         ("dropout", [0.0, 0.1])):
        if rng.random() < 0.4:
            kw[name] = rng.choice(values)
    s = rng.randint(1, 6)
    k_dim = kw["kdim"] if kw["kdim"] is not None else e
    v_dim = kw["vdim"] if kw["vdim"] is not None else e
    shapes = [(rng.randint(1, 6), e if rng.random() < 0.9 else e + 1),
              (s, k_dim if rng.random() < 0.9 else k_dim + 1),
              (s if rng.random() < 0.85 else s + 1, v_dim if rng.random() < 0.9 else 1)]
    return (e, heads), {k: v for k, v in kw.items() if v is not None or rng.random() < 0.5}, shapes


def mha_texts(args: tuple[int, int], kwargs: dict[str, Any],
              shapes: list[tuple[int, int]]) -> list[tuple[str, dict[str, int] | None]]:
    call = Case("torch", "MultiheadAttention", args, tuple(kwargs.items()), (), ()).call
    apply = f"{call}({', '.join(QKV)})\n"
    numeric = ", ".join(f"{n}: {arch(s)}" for n, s in zip(QKV, shapes))
    symbolic = ", ".join(f"{n}: ({a}, {b})" for n, (a, b) in zip(QKV, SIZE_NAMES))
    subs = {name: v for names, s in zip(SIZE_NAMES, shapes) for name, v in zip(names, s)}
    return [(f"convention torch\ninput {numeric}\n{apply}", None),
            (f"convention torch\nsizes {', '.join(subs)}\ninput {symbolic}\n{apply}", subs)]


MHA_CASES = [mha_case(random.Random(f"mha3:{i}")) for i in range(40)]


@pytest.mark.parametrize("args,kwargs,shapes", MHA_CASES,
                         ids=[f"{a}-{k}-{s}" for a, k, s in MHA_CASES])
def test_multihead_attention_on_query_key_value(args: tuple[int, int], kwargs: dict[str, Any],
                                                shapes: list[tuple[int, int]],
                                                need_torch: None) -> None:
    facts, err = facts_or_error("MultiheadAttention", args, kwargs, shapes)
    agree(f"MultiheadAttention{args} {kwargs} on {shapes}", mha_texts(args, kwargs, shapes),
          facts, err)


def test_multihead_attention_refuses_two_inputs(need_torch: None) -> None:
    _, err = facts_or_error("MultiheadAttention", (8, 2), {}, [(5, 8), (6, 8)])
    assert err is not None and "missing 1 required positional argument" in str(err)
    text = "convention torch\ninput q: (5, 8), k: (6, 8)\nMultiheadAttention(8, 2)(q, k)\n"
    e = derive_error(text)
    assert e is not None and e.code == "SC201"


# --------------------------------------------------------------------------- Upsample rounding

def test_upsample_rounds_like_doubles(need_torch: None) -> None:
    """90 × 0.7 is 63 exactly but 62 in torch: the double nearest 0.7 is below 7/10."""
    facts = torch_facts("Upsample", [], {"scale_factor": 0.7}, (1, 90))
    assert facts["output_shape"] == (1, 62)
    text = "convention torch\nsizes L\ninput (1, L)\nUpsample(scale_factor=0.7)\n"
    assert symconv.derive(text, subs={"L": 90}).layers[0].output_shape[1] == 62
    assert symconv.derive(text, subs={"L": 10}).layers[0].output_shape[1] == 7


UPSAMPLE = [(L, s, mode) for i in range(60) for rng in [random.Random(f"up:{i}")]
            for L, s, mode in [(rng.randint(1, 400), rng.choice(
                [0.7, 1.1, 2.3, 0.3, 1.3, 0.6, 2.9, 0.55, 1.7, 0.35, 1.5, 0.25, 3]),
                rng.choice(["nearest", "linear", "area"]))]]


@pytest.mark.parametrize("L,scale,mode", UPSAMPLE, ids=[f"{L}x{s}-{m}" for L, s, m in UPSAMPLE])
def test_upsample_scale_sweep(L: int, scale: float, mode: str, need_torch: None) -> None:
    facts = torch_facts("Upsample", [], {"scale_factor": scale, "mode": mode}, (1, L))
    call = f"Upsample(scale_factor={scale!r}, mode='{mode}')\n"
    for text, subs in ((f"convention torch\ninput (1, {L})\n{call}", None),
                       (f"convention torch\nsizes L\ninput (1, L)\n{call}", {"L": L})):
        assert symconv_facts(symconv.derive(text, subs=subs).layers[0], "torch") == \
            expected(facts, "torch"), text


# --------------------------------------------------------------------------- refused on purpose

def test_conv_transpose_empty_output_is_refused(need_torch: None) -> None:
    """(L − 1)·s − 2p + d(k − 1) + op + 1 = 0 here. torch's fallback kernel (batch 1) raises;
    at batch 2 oneDNN may return an empty tensor instead, depending on threads. symconv refuses
    0 always."""
    with pytest.raises(FrameworkError, match="Output size is too small"):
        torch_call_facts("ConvTranspose1d", [2, 2, 1], {"padding": 1}, [(2, 2)], batch=1)
    e = derive_error("convention torch\ninput (2, 2)\nConvTranspose1d(2, 2, 1, padding=1)\n")
    assert e is not None and e.code == "SC202"


# (layer call, input shape): torch accepts them, but only by changing the batch axis (its extent,
# or, for LayerNorm, normalizing across it)
BATCH_AXIS = [
    ("Unflatten", (0, (1, 2)), (6, 4)),
    ("Unflatten", (-3, (2, 1)), (6, 4)),
    ("LayerNorm", ((2, 3, 4),), (3, 4)),
    ("ConstantPad1d", ((1, 1, 1, 1), 0.0), (3,)),
    ("ZeroPad3d", ((1, 1, 1, 1, 1, 1),), (3, 3)),
]


@pytest.mark.parametrize("layer,args,shape", BATCH_AXIS, ids=[f"{x[0]}{x[1]}" for x in BATCH_AXIS])
def test_arguments_reaching_the_batch_axis_are_refused(layer: str, args: tuple[Any, ...],
                                                       shape: tuple[int, ...],
                                                       need_torch: None) -> None:
    torch_facts(layer, list(args), {}, shape)  # torch accepts
    text = f"convention torch\ninput {arch(shape)}\n{Case('torch', layer, args, (), (), ()).call}\n"
    e = derive_error(text)
    assert e is not None and e.code == "SC201", e


# (layer call, input shape one rank short): torch takes them as unbatched, the batch axis of 2
# read as channels or sequence, and answers; symconv's shapes leave the batch axis out, so the
# rank is wrong
UNBATCHED = [
    ("InstanceNorm2d", (3,), {}, (3, 5)),
    ("InstanceNorm1d", (2,), {}, (5,)),
    ("PixelShuffle", (1,), {}, (4, 4)),
    ("RNN", (3, 4), {"batch_first": True}, (3,)),
    ("MultiheadAttention", (4, 2), {"batch_first": True}, (4,)),
    ("TransformerEncoderLayer", (4, 2, 8), {"batch_first": True}, (4,)),
]


@pytest.mark.parametrize("layer,args,kwargs,shape", UNBATCHED,
                         ids=[f"{x[0]}@{x[3]}" for x in UNBATCHED])
def test_unbatched_ranks_are_refused(layer: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                                     shape: tuple[int, ...], need_torch: None) -> None:
    torch_call_facts(layer, list(args), kwargs, [(2, *shape)], batch=None)  # torch accepts
    call = Case("torch", layer, args, tuple(kwargs.items()), (), ()).call
    e = derive_error(f"convention torch\ninput {arch(shape)}\n{call}\n")
    assert e is not None and e.code == "SC201", e


# --------------------------------------------------------------------------- symbolic arguments

# (arguments as written with sizes, the input, the torch call for given sizes, size values);
# the generic sweep keeps arguments numeric, these put the sizes into the arguments
SYMBOLIC = [
    ("ConvTranspose2d(C, F, K, stride=S, padding=P, output_padding=O, dilation=D)", "(C, H, W)",
     lambda v: ("ConvTranspose2d", (v["C"], v["F"], v["K"]),
                {"stride": v["S"], "padding": v["P"], "output_padding": v["O"],
                 "dilation": v["D"]}, (v["C"], v["H"], v["W"])),
     [dict(C=2, F=3, K=3, S=2, P=1, O=1, D=1, H=4, W=5),
      dict(C=1, F=2, K=2, S=1, P=1, O=1, D=2, H=3, W=1),
      dict(C=2, F=2, K=1, S=1, P=2, O=1, D=1, H=3, W=3),  # O not < S nor < D
      dict(C=2, F=2, K=1, S=2, P=3, O=1, D=1, H=2, W=2)]),  # extent < 1
    ("Upsample(scale_factor=S, mode='linear')", "(C, L)",
     lambda v: ("Upsample", (), {"scale_factor": v["S"], "mode": "linear"}, (v["C"], v["L"])),
     [dict(C=2, S=3, L=5), dict(C=1, S=1, L=1)]),
    ("ConstantPad1d((P, -Q), 1.5)", "(C, L)",
     lambda v: ("ConstantPad1d", ((v["P"], -v["Q"]), 1.5), {}, (v["C"], v["L"])),
     [dict(C=1, P=2, Q=3, L=4), dict(C=1, P=3, Q=4, L=3), dict(C=2, P=1, Q=2, L=2)]),
    ("ReflectionPad1d((P, Q))", "(C, L)",
     lambda v: ("ReflectionPad1d", ((v["P"], v["Q"]),), {}, (v["C"], v["L"])),
     [dict(C=1, P=2, Q=1, L=3), dict(C=1, P=3, Q=1, L=3)]),
    ("LSTM(F, H, 2, bidirectional=True, proj_size=P)", "(L, F)",
     lambda v: ("LSTM", (v["F"], v["H"], 2), {"bidirectional": True, "proj_size": v["P"]},
                (v["L"], v["F"])),
     [dict(F=3, H=4, P=2, L=5), dict(F=2, H=3, P=3, L=1)]),
    ("MultiheadAttention(E, A)", "(L, E)",
     lambda v: ("MultiheadAttention", (v["E"], v["A"]), {}, (v["L"], v["E"])),
     [dict(E=6, A=3, L=4), dict(E=6, A=4, L=2)]),
    ("TransformerEncoderLayer(E, A, F)", "(L, E)",
     lambda v: ("TransformerEncoderLayer", (v["E"], v["A"], v["F"]), {}, (v["L"], v["E"])),
     [dict(E=4, A=2, F=6, L=3), dict(E=4, A=3, F=1, L=3)]),
    ("Embedding(V, E, padding_idx=V - P)", "(L,)",
     lambda v: ("Embedding", (v["V"], v["E"]), {"padding_idx": v["V"] - v["P"]}, (v["L"],)),
     [dict(V=5, E=3, P=1, L=4), dict(V=5, E=2, P=6, L=2), dict(V=3, E=2, P=3, L=1)]),
    ("GroupNorm(G, C)", "(C, L)",
     lambda v: ("GroupNorm", (v["G"], v["C"]), {}, (v["C"], v["L"])),
     [dict(G=2, C=4, L=3), dict(G=3, C=4, L=3)]),
    ("InstanceNorm2d(C)", "(C, H, W)",
     lambda v: ("InstanceNorm2d", (v["C"],), {}, (v["C"], v["H"], v["W"])),
     [dict(C=2, H=1, W=2), dict(C=2, H=1, W=1)]),
    ("PixelShuffle(R)", "(C, H, W)",
     lambda v: ("PixelShuffle", (v["R"],), {}, (v["C"], v["H"], v["W"])),
     [dict(R=2, C=8, H=2, W=3), dict(R=2, C=6, H=2, W=3)]),
    ("Unflatten(1, (A, -1))", "(N, W)",
     lambda v: ("Unflatten", (1, (v["A"], -1)), {}, (v["N"], v["W"])),
     [dict(A=3, N=6, W=2), dict(A=4, N=6, W=2)]),
    ("PReLU(P)", "(C, L)",
     lambda v: ("PReLU", (v["P"],), {}, (v["C"], v["L"])),
     [dict(P=1, C=3, L=2), dict(P=3, C=3, L=2), dict(P=2, C=3, L=2)]),
]
SYMBOLIC_CASES = [(call, shape, spec, v) for call, shape, spec, values in SYMBOLIC for v in values]


@pytest.mark.parametrize("call,shape,spec,values", SYMBOLIC_CASES,
                         ids=[f"{c}-{'-'.join(map(str, v.values()))}"
                              for c, _, _, v in SYMBOLIC_CASES])
def test_sizes_in_arguments(call: str, shape: str, spec: Any, values: dict[str, int],
                            need_torch: None) -> None:
    layer, args, kwargs, input_shape = spec(values)
    dtype = "int64" if layer == "Embedding" else "float32"
    facts, err = facts_or_error(layer, args, kwargs, [input_shape], input_dtype=dtype)
    text = f"convention torch\nsizes {', '.join(values)}\ninput {shape}\n{call}\n"
    agree(f"{call} at {values}", [(text, values)], facts, err)
    symconv.derive(text)  # the symbolic derivation itself stands
