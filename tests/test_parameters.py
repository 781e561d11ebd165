"""Free parameters (`parameter NAME: SHAPE`) and tied weights (`tie="wte"`), against the real
frameworks: shapes of `x + pos` / `gamma * x` from torch and Keras broadcasting, parameter
counts from `sum(p.numel() for p in model.parameters())` (which yields a tied tensor once) and
Keras's `count_params()`, errors where the framework refuses, and explain's words."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import json  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import symconv  # noqa: E402
from symconv.cli import main  # noqa: E402
from symconv.errors import SymconvError  # noqa: E402

BATCH = 2


def _torch_net(body: str, sizes: str = "") -> str:
    return f"convention torch\n{sizes}" + body


# -- broadcasting a free parameter against a network tensor -----------------------------------
# (parameter shape, network shape without batch, operator): the expected result is what torch
# computes on (BATCH, *network shape) and the parameter, run below
TORCH_BROADCAST = {
    "vit_pos_embedding": ((1, 197, 768), (197, 768), "add"),
    "layer_scale_channels_first": ((4, 1, 1), (4, 5, 6), "mul"),
    "last_axis_only": ((768,), (197, 768), "add"),
    "scalar": ((), (3, 5), "mul"),
    "parameter_first": ((1, 5), (3, 5), "sub"),
    "parameter_extent_1_broadcasts": ((1, 1, 5), (3, 5), "add"),
    "network_extent_1_broadcasts": ((7, 5), (1, 5), "add"),
}
# (parameter shape, network shape, why symconv refuses): torch raises, or (last row) gives a
# result whose batch axis is no longer first
TORCH_REFUSED = {
    "batch_axis_not_1": ((2, 197, 768), (197, 768), "raises: 2 against the batch of 2? no: "
                         "torch broadcasts it only when the batch is 2 or 1; symconv requires 1"),
    "wrong_extent": ((1, 196, 768), (197, 768), "torch raises"),
    "wrong_last_extent": ((5,), (3, 4), "torch raises"),
    "more_axes_than_batched": ((3, 1, 5), (5,), "torch gives (3, 2, 5): the batch axis moves"),
}


def _torch_result(param: tuple[int, ...], shape: tuple[int, ...], op: str,
                  first: bool = False) -> tuple[int, ...] | None:
    x, p = torch.zeros((BATCH, *shape)), torch.zeros(param)
    try:
        out = getattr(torch, op)(p, x) if first else getattr(torch, op)(x, p)
    except RuntimeError:
        return None
    return tuple(out.shape)


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _derive_torch_op(param: tuple[int, ...], shape: tuple[int, ...], op: str,
                     first: bool = False) -> symconv.Derivation:
    call = f"{op}(p, input)" if first else f"{op}(input, p)"
    return symconv.derive(_torch_net(f"input {_shape_text(shape)}\n"
                                     f"parameter p: {_shape_text(param)}\ny = {call}\n"))


@pytest.mark.parametrize("name", sorted(TORCH_BROADCAST))
def test_broadcast_matches_torch(name: str) -> None:
    param, shape, op = TORCH_BROADCAST[name]
    for first in (False, True):
        expected = _torch_result(param, shape, op, first)
        assert expected is not None and expected[0] == BATCH  # the row is a valid one
        d = _derive_torch_op(param, shape, op, first)
        assert tuple(int(e) for e in d.layers[-1].output_shape) == expected[1:]
        assert d.layers[-1].batched
        assert d.params == sympy_size(param)


def sympy_size(shape: tuple[int, ...]) -> int:
    n = 1
    for e in shape:
        n *= e
    return n


@pytest.mark.parametrize("name", sorted(TORCH_REFUSED))
def test_broadcast_refused_where_torch_refuses(name: str) -> None:
    param, shape, _ = TORCH_REFUSED[name]
    got = _torch_result(param, shape, "add")
    if name == "more_axes_than_batched":
        assert got is not None and got[0] != BATCH  # torch moves the batch axis
    elif name == "batch_axis_not_1":
        assert _torch_result(param, shape, "add") == (BATCH, *shape)  # only by luck: batch 2
        assert torch.zeros((3, *shape)).shape  # and with a batch of 3 torch raises:
        with pytest.raises(RuntimeError):
            torch.zeros((3, *shape)) + torch.zeros(param)
    else:
        assert got is None
    with pytest.raises(SymconvError) as err:
        _derive_torch_op(param, shape, "add")
    assert err.value.code in ("SC201", "SC203")


def test_symbolic_batch_axis_is_a_condition() -> None:
    """pos: (P, L, d) with P a size: P = 1 is required, checked on substitution."""
    text = _torch_net("input (L, d)\nparameter pos: (P, L, d)\nx = add(input, pos)\n",
                      "sizes P, L = 4, d = 3\n")
    d = symconv.derive(text)
    assert any("batch axis" in r.reason for r in d.requires)
    assert symconv.derive(text, {"P": 1}).layers[-1].output_shape == (4, 3)
    with pytest.raises(SymconvError):
        symconv.derive(text, {"P": 2})


def test_keras_gamma_channels_last() -> None:
    """Keras: gamma (C,) * x (B, H, W, C), as keras.ops.multiply computes it."""
    import keras

    x = keras.ops.zeros((BATCH, 5, 6, 4))
    gamma = keras.Variable(keras.ops.zeros((4,)))
    expected = tuple(keras.ops.multiply(x, gamma).shape)
    d = symconv.derive("input (5, 6, 4)\nparameter gamma: (4,)\ny = input * gamma\n")
    assert tuple(int(e) for e in d.layers[-1].output_shape) == expected[1:]
    with pytest.raises(SymconvError):
        symconv.derive("input (5, 6, 4)\nparameter gamma: (5,)\ny = input * gamma\n")


# -- counts against torch ---------------------------------------------------------------------
class _ViTStem(nn.Module):
    """Patch convolution and a position embedding, as torchvision's ViT."""

    def __init__(self, d: int, patches: int) -> None:
        super().__init__()
        self.conv_proj = nn.Conv2d(3, d, 4, stride=4)
        self.pos_embedding = nn.Parameter(torch.zeros(1, d, patches))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_proj(x).flatten(2) + self.pos_embedding


def test_vit_stem_counts_match_torch() -> None:
    model = _ViTStem(8, 16)
    out = model(torch.zeros(BATCH, 3, 16, 16))
    text = ("convention torch\nsizes H = 16, W = 16, d = 8\ninput (3, H, W)\n"
            "x = Conv2d(3, d, 4, stride=4, name=\"conv_proj\")\nx = Flatten(1)\n"
            "x = Unflatten(1, (d, (H // 4) * (W // 4)))\n"
            "parameter pos_embedding: (1, d, (H // 4) * (W // 4))\ny = add(x, pos_embedding)\n")
    d = symconv.derive(text, {"H": 16, "W": 16})
    assert int(d.params) == sum(p.numel() for p in model.parameters())
    assert tuple(int(e) for e in d.layers[-1].output_shape) == tuple(out.shape[1:])
    assert d.layer("pos_embedding").weights[0].shape == (1, 8, 16)


class _Scaled(nn.Module):
    """ConvNeXt's layer scale: gamma (C, 1, 1) per block instance."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.layer_scale = nn.Parameter(torch.zeros(c, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer_scale * self.conv(x)


def test_layer_scale_per_block_instance_in_repeat() -> None:
    model = nn.Sequential(*[_Scaled(4) for _ in range(3)])
    model(torch.zeros(BATCH, 4, 6, 6))
    text = ("convention torch\nsizes C = 4\ninput (C, 6, 6)\nblock Scaled(c):\n"
            "    y = Conv2d(c, c, 3, padding=1, name=\"conv\")\n"
            "    parameter layer_scale: (c, 1, 1)\n    y = layer_scale * y\n"
            "repeat 3:\n    Scaled(C)\n")
    d = symconv.derive(text, {"C": 4})
    assert int(d.params) == sum(p.numel() for p in model.parameters())
    names = [r.name for r in d.layers if r.type == "Parameter"]
    assert names == [n for n, _ in model.named_parameters() if n.endswith("layer_scale")]


def test_frozen_parameter_is_still_a_torch_parameter() -> None:
    count = nn.Parameter(torch.zeros(3), requires_grad=False)
    d = symconv.derive("convention torch\ninput (3,)\nparameter count: (3,), "
                       "requires_grad=False\ny = mul(input, count)\n")
    assert int(d.params) == count.numel() and int(d.trainable) == 0
    assert int(d.non_trainable) == count.numel()


class _TinyGPT(nn.Module):
    """GPT-2's shape in miniature: token and position embeddings, one MLP block with
    LayerNorms, and lm_head tied to wte as Hugging Face's GPT2LMHeadModel ties it."""

    def __init__(self, v: int, ctx: int, d: int) -> None:
        super().__init__()
        self.wte, self.wpe = nn.Embedding(v, d), nn.Embedding(ctx, d)
        self.ln_1, self.ln_f = nn.LayerNorm(d), nn.LayerNorm(d)
        self.fc, self.proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.lm_head = nn.Linear(d, v, bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, ids: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        h = self.wte(ids) + self.wpe(pos)
        h = h + self.proj(nn.functional.gelu(self.fc(self.ln_1(h))))
        return self.lm_head(self.ln_f(h))


GPT = """convention torch
sizes V = 50, ctx = 16, d = 8, L = 6
input ids: (L,), pos: (L,)
t = Embedding(V, d, name="wte")(ids)
p = Embedding(ctx, d, name="wpe")(pos)
h = add(t, p)
m = LayerNorm(d, name="ln_1")(h)
m = Linear(d, 4 * d, name="fc")(m)
m = GELU()(m)
m = Linear(4 * d, d, name="proj")(m)
h = add(h, m)
h = LayerNorm(d, name="ln_f")(h)
y = Linear(d, V, bias=False, name="lm_head", tie="wte")(h)
"""


@pytest.mark.parametrize("sizes", [(50, 16, 8), (97, 5, 12)], ids=["small", "other"])
def test_tied_gpt_counts_match_torch(sizes: tuple[int, int, int]) -> None:
    v, ctx, d = sizes
    model = _TinyGPT(v, ctx, d)
    out = model(torch.zeros(BATCH, 6, dtype=torch.long), torch.zeros(BATCH, 6, dtype=torch.long))
    derived = symconv.derive(GPT, {"V": v, "ctx": ctx, "d": d})
    assert int(derived.params) == sum(p.numel() for p in model.parameters())
    assert tuple(int(e) for e in derived.output_shape) == tuple(out.shape[1:])
    # untied, torch would count V·d more: the tie is what makes the numbers agree
    assert int(derived.params) + v * d == sum(p.numel() for p in _TinyGPT(v, ctx, d).parameters()
                                              if True) + v * d
    head = derived.layer("lm_head")
    assert head.params == 0 and head.tied[0].where == "wte.weight"


def test_tied_symbolic_total() -> None:
    """V·d + ctx·d + 2·2d (LayerNorms) + (d·4d + 4d) + (4d·d + d); lm_head adds nothing."""
    d = symconv.derive(GPT)
    v, ctx, w = (d.symbol(n) for n in ("V", "ctx", "d"))
    expected = v * w + ctx * w + 4 * w + (4 * w * w + 4 * w) + (4 * w * w + w)
    assert (d.params - expected).expand() == 0


def test_tied_bias_is_the_layers_own() -> None:
    head = nn.Linear(8, 50)
    wte = nn.Embedding(50, 8)
    head.weight = wte.weight
    params = {id(p): p for m in (wte, head) for p in m.parameters()}
    text = ("convention torch\ninput ids: (6,)\nt = Embedding(50, 8, name=\"wte\")(ids)\n"
            "y = Linear(8, 50, tie=\"wte\")(t)\n")
    d = symconv.derive(text)
    assert int(d.params) == sum(p.numel() for p in params.values())
    assert int(d.layers[-1].params) == 50  # its bias


TIE_ERRORS = {
    "shape": ("Linear(d, V + 1, bias=False, tie=\"wte\")(t)", "must have the shape of wte.weight"),
    "unknown": ("Linear(d, V, tie=\"wt\")(t)", "no layer 'wt'"),
    "no_weight": ("ReLU(tie=\"wte\")(t)", "no weight to tie"),
    "not_a_string": ("Linear(d, V, tie=3)(t)", "names a layer"),
    "function": ("add(t, t, tie=\"wte\")", "is a function"),
}


@pytest.mark.parametrize("name", sorted(TIE_ERRORS))
def test_tie_errors(name: str) -> None:
    """torch raises on the forward of a mis-shaped tie (F.linear); symconv at the keyword."""
    line, message = TIE_ERRORS[name]
    text = ("convention torch\nsizes V = 50, d = 8\ninput ids: (6,)\n"
            f"t = Embedding(V, d, name=\"wte\")(ids)\ny = {line}\n")
    with pytest.raises(SymconvError) as err:
        symconv.derive(text)
    code = "SC104" if name == "not_a_string" else "SC113"  # a bad value, as for any argument
    assert err.value.code == code and message in err.value.message
    assert err.value.span is not None and err.value.span.line == 5



def test_tie_to_a_layer_without_weights() -> None:
    """torch: `head.weight = act.weight` raises AttributeError (nn.ReLU has no weight)."""
    with pytest.raises(AttributeError):
        nn.Linear(8, 50).weight = nn.ReLU().weight  # type: ignore[attr-defined]
    text = ("convention torch\nsizes V = 50, d = 8\ninput ids: (6,)\n"
            "t = Embedding(V, d, name=\"wte\")(ids)\nr = ReLU(name=\"act\")(t)\n"
            "y = Linear(d, V, bias=False, tie=\"act\")(r)\n")
    with pytest.raises(SymconvError) as err:
        symconv.derive(text)
    assert err.value.code == "SC113" and "ReLU 'act' has no weight" in err.value.message
    assert err.value.span is not None and err.value.span.line == 6
    assert "wte" in (err.value.hint or "")

def test_mis_shaped_tie_in_torch() -> None:
    """Why symconv refuses what torch runs: after `head.weight = wte.weight` a Linear(8, 51)
    gives 50 features, not the 51 it was made with; and with the wrong in_features it raises."""
    head, wte = nn.Linear(8, 51, bias=False), nn.Embedding(50, 8)
    head.weight = wte.weight
    assert head(torch.zeros(2, 8)).shape == (2, 50) and head.out_features == 51
    head, wte = nn.Linear(9, 50, bias=False), nn.Embedding(50, 8)
    head.weight = wte.weight
    with pytest.raises(RuntimeError):
        head(torch.zeros(2, 9))


def test_symbolic_tie_mismatch_is_a_condition() -> None:
    text = ("convention torch\nsizes V, W, d = 8\ninput ids: (6,)\n"
            "t = Embedding(V, d, name=\"wte\")(ids)\ny = Linear(d, W, tie=\"wte\")(t)\n")
    d = symconv.derive(text)
    assert any(r.condition == __import__("sympy").Eq(d.symbol("W"), d.symbol("V"))
               or "wte.weight" in r.reason for r in d.requires)
    with pytest.raises(SymconvError):
        symconv.derive(text, {"V": 5, "W": 6})


# -- Keras ------------------------------------------------------------------------------------
def test_keras_layer_scale_counts() -> None:
    import keras

    class LayerScale(keras.layers.Layer):
        def build(self, shape: tuple[int, ...]) -> None:
            self.gamma = self.add_weight(name="gamma", shape=(shape[-1],), initializer="zeros")

        def call(self, x):  # type: ignore[no-untyped-def]
            return x * self.gamma

    x = keras.Input((6, 6, 4))
    y = LayerScale()(keras.layers.Conv2D(4, 3, padding="same")(x))
    model = keras.Model(x, y)
    text = ("sizes C = 4\ninput (6, 6, C)\nblock Scaled(c):\n    y = Conv2D(c, 3, padding=\"same\")"
            "\n    parameter gamma: (c,)\n    y = y * gamma\nScaled(C)\n")
    d = symconv.derive(text, {"C": 4})
    assert int(d.params) == model.count_params()


def test_keras_frozen_parameter() -> None:
    import keras

    layer = keras.layers.Layer()
    w = layer.add_weight(name="count", shape=(), initializer="zeros", trainable=False)
    d = symconv.derive("input (3,)\nparameter count: (), trainable=False\ny = input * count\n")
    assert int(d.non_trainable) == len(layer.non_trainable_weights) == 1 and not w.trainable
    assert int(d.trainable) == 0


def test_keras_tie_is_the_transpose() -> None:
    """keras_hub's ReversibleEmbedding: logits = x @ embeddings.T, so Dense(V) on (…, d)
    ties to Embedding(V, d); Dense(V + 1) does not."""
    text = ("sizes V = 50, d = 8\ninput ids: (6,)\nt = Embedding(V, d, name=\"wte\")(ids)\n"
            "y = Dense(V, tie=\"wte\")(t)\n")
    d = symconv.derive(text, {"V": 50})
    assert int(d.params) == 50 * 8 + 50  # the embeddings once, Dense's bias its own
    assert d.layers[-1].tied[0].where == "wte/embeddings"
    with pytest.raises(SymconvError) as err:
        symconv.derive(text.replace("Dense(V,", "Dense(V + 1,"), {"V": 50})
    assert err.value.code == "SC113" and "transpose" in err.value.message



def test_keras_ties_a_dense_to_an_embedding_only() -> None:
    """Keras has no weight sharing between two Dense layers' kernels to write here."""
    text = ("sizes V = 50, d = 8\ninput ids: (6,)\nt = Embedding(V, d, name=\"wte\")(ids)\n"
            "h = Dense(d, name=\"proj\")(t)\ny = Dense(d, tie=\"proj\")(h)\n")
    with pytest.raises(SymconvError) as err:
        symconv.derive(text)
    assert err.value.code == "SC113" and "to an Embedding only" in err.value.message

# -- outputs ----------------------------------------------------------------------------------
def test_explain_says_where_a_tied_weight_is_counted() -> None:
    from symconv.render.explain import render_explain

    out = render_explain(symconv.derive(GPT), "lm_head")
    assert "weight (V, d): tied to wte.weight, counted there." in out
    assert "No parameters of its own." in out


def test_explain_free_parameter() -> None:
    from symconv.render.explain import render_explain

    d = symconv.derive("convention torch\nsizes L, d\ninput (L, d)\nparameter pos: (1, L, d)\n"
                       "y = add(input, pos)\n")
    out = render_explain(d, "pos")
    assert "A free parameter: an nn.Parameter of shape (1, L, d)" in out
    assert "counted once, here" in out


def test_json_and_table_show_ties_and_parameters(tmp_path, capsys):  # type: ignore[no-untyped-def]
    path = tmp_path / "gpt.arch"
    path.write_text(GPT + "parameter scale: (1,)\nz = mul(y, scale)\n", encoding="utf-8")
    assert main(["derive", str(path), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    layers = {layer["name"]: layer for layer in doc["layers"]}
    assert layers["lm_head"]["tied_weights"] == {"weight": {"to": "wte.weight",
                                                            "shape": ["V", "d"]}}
    assert layers["scale"]["batched"] is False and layers["scale"]["output_shape"] == [1]
    assert main(["derive", str(path)]) == 0
    table = capsys.readouterr().out
    assert "tied (wte.weight)" in table and "(1,)" in table


def test_verify_agrees_with_torch_and_keras(capsys) -> None:  # type: ignore[no-untyped-def]
    from symconv.frameworks.check import verify_source
    from symconv.errors import Source

    for text in (GPT, "sizes C = 4\ninput (6, 6, C)\nblock Scaled(c):\n"
                 "    y = Conv2D(c, 3, padding=\"same\")\n    parameter gamma: (c,)\n"
                 "    y = y * gamma\nScaled(C)\nScaled(C)\n",
                 "sizes V = 50, d = 8\ninput ids: (6,)\nt = Embedding(V, d, name=\"wte\")(ids)\n"
                 "y = Dense(V, tie=\"wte\")(t)\n"):
        report = verify_source(Source(text))
        assert report.ok, report


def test_emit_torch_runs_and_counts(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The emitted module declares nn.Parameter and ties by assignment; run, it counts what
    symconv counts (torch yields the tied tensor once)."""
    import runpy

    path = tmp_path / "gpt.arch"
    path.write_text(GPT + "parameter scale: (1,)\nz = mul(y, scale)\n", encoding="utf-8")
    assert main(["verify", str(path), "--emit"]) == 0
    code = capsys.readouterr().out
    assert "self.lm_head.weight = self.wte.weight" in code
    assert "nn.Parameter(torch.zeros((1,)))" in code
    module = tmp_path / "net.py"
    module.write_text(code, encoding="utf-8")
    namespace = runpy.run_path(str(module))
    model = namespace["Network"]()
    derived = symconv.derive(str(path), {})
    assert sum(p.numel() for p in model.parameters()) == int(derived.params)


def test_keras_file_with_parameters_refuses_torch_translation(  # type: ignore[no-untyped-def]
        tmp_path, capsys):
    path = tmp_path / "k.arch"
    path.write_text("input (6, 6, 4)\nparameter gamma: (4,)\ny = input * gamma\n",
                    encoding="utf-8")
    assert main(["verify", str(path), "--against", "torch"]) == 1
    assert "[SC306]" in capsys.readouterr().err
    assert main(["verify", str(path), "--emit"]) == 1
    assert "[SC306]" in capsys.readouterr().err


def test_substitution_reaches_tied_shapes_and_parameters() -> None:
    from symconv.solving.substitute import substitute

    d = substitute(symconv.derive(GPT), {"V": 50, "d": 8, "ctx": 16})
    assert d.layer("lm_head").tied[0].weight.shape == (50, 8)
    p = substitute(symconv.derive("convention torch\nsizes L, d\ninput (L, d)\n"
                                  "parameter pos: (1, L, d)\ny = add(input, pos)\n"),
                   {"L": 5, "d": 3})
    assert p.layer("pos").output_shape == (1, 5, 3) and not p.layer("pos").batched
    assert int(p.params) == 15


def test_parameter_in_top_level_repeat_is_named_twice() -> None:
    """Outside a block a repeat would make the same attribute again: refused, at the name."""
    with pytest.raises(SymconvError) as err:
        symconv.derive("convention torch\ninput (3,)\nrepeat 2:\n    parameter s: (3,)\n"
                       "    y = mul(input, s)\n")
    assert err.value.code == "SC107" and err.value.span.line == 4


def test_layer_on_a_parameter_is_refused() -> None:
    with pytest.raises(SymconvError) as err:
        symconv.derive("convention torch\ninput (3,)\nparameter s: (4, 3)\ny = Linear(3, 2)(s)\n")
    assert err.value.code == "SC201" and "free parameter 's'" in err.value.message


def test_parameters_alone_stay_unbatched() -> None:
    """p + q of two free parameters is a parameter-like tensor (numpy broadcasting, no batch),
    as torch computes it; added to x it broadcasts against (batch, …)."""
    expected = tuple((torch.zeros(4, 1) + torch.zeros(3)).shape)
    d = symconv.derive("convention torch\ninput (4, 3)\nparameter p: (4, 1)\nparameter q: (3,)\n"
                       "r = add(p, q)\ny = add(input, r)\n")
    r = d.layers[2]
    assert not r.batched and tuple(int(e) for e in r.output_shape) == expected
    assert tuple(int(e) for e in d.output_shape) == (4, 3)


def test_tied_head_still_multiplies() -> None:
    """Tying saves parameters, not work: lm_head's MACs are L·d·V per example, as an untied
    head's (hand arithmetic: one multiply per weight per position)."""
    from symconv.analysis.macs import layer_macs

    d = symconv.derive(GPT, {"V": 50, "ctx": 16, "d": 8})
    macs = dict(zip((r.name for r in d.layers), layer_macs(d)))
    assert int(macs["lm_head"]) == 6 * 8 * 50
    assert int(macs["pos"] if "pos" in macs else 0) == 0


def test_stepwise_keeps_a_parameters_written_shape() -> None:
    """A parameter's shape is written, not derived: no stage symbols for it, so `x + pos`
    keeps the input's L and d (not Max(L, L_1))."""
    from symconv.derivation.stepwise import steps

    d = symconv.derive("convention torch\nsizes L, d\ninput (L, d)\nparameter pos: (1, L, d)\n"
                       "y = add(input, pos)\n")
    pos, add = steps(d)
    assert pos.defines == () and add.defines == ()
    assert add.shape == (d.symbol("L"), d.symbol("d"))


PARAMETER_ERRORS = {
    # (statement, code, words in the message)
    "keras_name_in_torch": ("parameter s: (3,), trainable=False", "SC106", "only 'requires_grad'"),
    "not_a_flag": ("parameter s: (3,), requires_grad=1", "SC104", "True or False"),
    "negative_extent": ("parameter s: (3, -1)", "SC104", "whole number ≥ 0"),
    "fraction_extent": ("parameter s: (3 / 2,)", "SC104", "whole number ≥ 0"),
    "string_extent": ("parameter s: (\"3\",)", "SC104", "whole number ≥ 0"),
}


@pytest.mark.parametrize("name", sorted(PARAMETER_ERRORS))
def test_parameter_statement_errors(name: str) -> None:
    """nn.Parameter(torch.zeros(3, -1)) raises too (a negative dimension); symconv says so at
    the extent, and takes the framework's own name for freezing it."""
    statement, code, words = PARAMETER_ERRORS[name]
    with pytest.raises(SymconvError) as err:
        symconv.derive(f"convention torch\ninput (3,)\n{statement}\n")
    assert err.value.code == code and words in err.value.message
    assert err.value.span is not None and err.value.span.line == 3


def test_negative_extent_is_refused_by_torch() -> None:
    with pytest.raises(RuntimeError):
        nn.Parameter(torch.zeros(3, -1))


@pytest.mark.parametrize("text,code,phrase", [
    ("convention torch\nsizes L, d = 8, n\ninput x: (L, d)\nrepeat n:\n"
     "    parameter scale: (d,)\n    x = x * scale\n", "SC112", "every pass would make"),
    ("convention torch\nsizes L, d = 8, n\ninput x: (L, d)\nrepeat n:\n    Linear(d, d)\n"
     "Linear(d, d, tie=\"0\")\n", "SC113", "no one weight to tie to"),
], ids=["parameter_in_symbolic_repeat", "tie_into_symbolic_repeat"])
def test_what_a_symbolic_repeat_cannot_name(text: str, code: str, phrase: str) -> None:
    """Unrolled, the first makes 'scale' twice (SC107) and the second has nothing to tie to at
    n = 0: the closed form must refuse them too (once derived, and solved to n = 0)."""
    with pytest.raises(SymconvError) as err:
        symconv.derive(text)
    assert err.value.code == code and phrase in err.value.message
    with pytest.raises(SymconvError):
        symconv.derive(text, {"n": 2 if code == "SC112" else 0, "L": 3})
