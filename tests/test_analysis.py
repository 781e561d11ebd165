"""symconv.analysis: MACs under named conventions (checked against the real ptflops and fvcore
counters on real torch modules), receptive fields (checked against published values) and memory
(checked against the real tensors' sizes)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
import sympy
from analysis_models import MNIST_TORCH, RESNET50_SLIM, VGG16_TORCH

import symconv
from symconv.analysis import macs, memory, receptive
from symconv.analysis.ops import HANDLERS
from symconv.layers import REGISTRY

EXAMPLES = Path(__file__).parent.parent / "examples"
PTFLOPS, FVCORE, WEIGHTS = macs.PRESETS["ptflops"], macs.PRESETS["fvcore"], macs.PRESETS["weights"]


# -- registry coverage ----------------------------------------------------------------------

@pytest.mark.parametrize("key", [(c, t) for c, d in REGISTRY.items() for t in d],
                         ids=lambda k: f"{k[0]}-{k[1]}")
def test_every_registered_layer_has_a_documented_handler(key: tuple[str, str]) -> None:
    assert key in HANDLERS, f"no MAC handler for {key}"
    assert HANDLERS[key].__doc__, f"the handler of {key} has no docstring"


@pytest.mark.parametrize("name", sorted(macs.PRESETS))
def test_presets_describe_themselves(name: str) -> None:
    preset = macs.PRESETS[name]
    assert preset.name == name and preset.description and "\n" not in preset.description


# -- the real counters ----------------------------------------------------------------------

def _counted(d: symconv.Derivation) -> tuple[int, int]:
    """(ptflops, fvcore) on the real torch model, their chatter silenced."""
    pytest.importorskip("ptflops")
    pytest.importorskip("fvcore")
    from analysis_torch import fvcore_flops, ptflops_macs

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return ptflops_macs(d), fvcore_flops(d)


ONE_LAYER = {
    "conv-groups": ("(4, 6, 6)", "Conv2d(4, 6, 3, groups=2)"),
    "conv-dilated-nobias": ("(4, 9, 9)", "Conv2d(4, 6, 3, dilation=2, padding=1, bias=False)"),
    "conv1d": ("(3, 11)", "Conv1d(3, 5, 4, stride=2)"),
    "conv3d": ("(2, 5, 5, 5)", "Conv3d(2, 3, 2)"),
    "convT-groups": ("(4, 6, 6)", "ConvTranspose2d(4, 6, 3, stride=2, groups=2)"),
    "convT1d": ("(3, 7)", "ConvTranspose1d(3, 2, 4, stride=3, padding=1, bias=False)"),
    "linear-rank3": ("(5, 4, 7)", "Linear(7, 3)"),
    "relu": ("(4, 6, 6)", "ReLU()"), "relu6": ("(4, 6, 6)", "ReLU6()"),
    "leaky": ("(4, 6, 6)", "LeakyReLU()"), "gelu": ("(4, 6, 6)", "GELU()"),
    "silu": ("(4, 6, 6)", "SiLU()"), "sigmoid": ("(4, 6, 6)", "Sigmoid()"),
    "tanh": ("(4, 6, 6)", "Tanh()"), "softmax": ("(4, 6, 6)", "Softmax(dim=1)"),
    "prelu": ("(4, 6, 6)", "PReLU()"),
    "hardswish": ("(4, 6, 6)", "Hardswish()"), "hardsigmoid": ("(4, 6, 6)", "Hardsigmoid()"),
    "maxpool": ("(4, 7, 7)", "MaxPool2d(3, 2, 1, ceil_mode=True)"),
    "avgpool": ("(4, 6, 6)", "AvgPool2d(2)"), "maxpool1d": ("(4, 6)", "MaxPool1d(2)"),
    "adaptive-avg2": ("(4, 6, 6)", "AdaptiveAvgPool2d(1)"),
    "adaptive-avg1": ("(4, 6)", "AdaptiveAvgPool1d(1)"),
    "adaptive-max2": ("(4, 6, 6)", "AdaptiveMaxPool2d((2, 3))"),
    "bn": ("(4, 6, 6)", "BatchNorm2d(4)"), "bn-plain": ("(4, 6, 6)", "BatchNorm2d(4, affine=False)"),
    "bn1d": ("(4, 6)", "BatchNorm1d(4)"),
    "ln": ("(4, 6, 6)", "LayerNorm(6)"),
    "ln-plain": ("(4, 6, 6)", "LayerNorm(6, elementwise_affine=False)"),
    "gn": ("(4, 6, 6)", "GroupNorm(2, 4)"), "in": ("(4, 6, 6)", "InstanceNorm2d(4)"),
    "in-affine": ("(4, 6, 6)", "InstanceNorm2d(4, affine=True)"),
    "up-nearest": ("(4, 6, 6)", "Upsample(scale_factor=2)"),
    "up-bilinear": ("(4, 6, 6)", "Upsample(scale_factor=2, mode='bilinear')"),
    "up-size": ("(4, 6, 6)", "Upsample(size=(9, 10))"),
    "up-tuple": ("(4, 6, 6)", "Upsample(scale_factor=(2, 3))"),
    "up1d": ("(4, 6)", "Upsample(scale_factor=3)"),
    "embedding": ("(5,)", "Embedding(10, 3)"),
    "rnn": ("(5, 7)", "RNN(7, 3, batch_first=True)"),
    "lstm": ("(5, 7)", "LSTM(7, 3, batch_first=True)"), "gru": ("(5, 7)", "GRU(7, 3)"),
    "lstm-2-layers-bidirectional": ("(5, 7)", "LSTM(7, 3, num_layers=2, bidirectional=True)"),
    "lstm-proj": ("(5, 7)", "LSTM(7, 4, proj_size=2)"),
    "gru-nobias": ("(6, 4)", "GRU(4, 5, bias=False, batch_first=True)"),
    "mha": ("(5, 8)", "MultiheadAttention(8, 2)"),
    "mha-nobias": ("(5, 8)", "MultiheadAttention(8, 2, bias=False, batch_first=True)"),
    "mha-bias-kv": ("(5, 8)", "MultiheadAttention(8, 2, add_bias_kv=True)"),
    "encoder-layer": ("(5, 8)", "TransformerEncoderLayer(8, 2, 16, batch_first=True)"),
    "encoder-layer-gelu": ("(6, 12)", "TransformerEncoderLayer(12, 3, 20, activation='gelu')"),
    "pixel-shuffle": ("(8, 3, 3)", "PixelShuffle(2)"),
    "reflection-pad": ("(4, 6, 6)", "ReflectionPad2d(1)"),
}


@pytest.mark.parametrize("name", ONE_LAYER)
def test_one_layer_against_the_counters(need_torch: None, name: str) -> None:
    shape, layer = ONE_LAYER[name]
    d = symconv.derive(f"convention torch\ninput {shape}\n{layer}\n", subs={})
    pt, fv = _counted(d)
    assert (macs.total(d, PTFLOPS), macs.total(d, FVCORE)) == (pt, fv)


# (file or text, sizes tried): small sizes keep the real forward passes quick
MODELS = {
    "lenet5": ("lenet5.arch", [{"H": 32, "W": 32}, {"H": 35, "W": 33}]),
    "small_cnn_torch": ("small_cnn_torch.arch", [{"H": 28, "W": 28}, {"H": 33, "W": 40}]),
    "alexnet": ("alexnet.arch", [{"H": 224, "W": 224}, {"H": 127, "W": 150}]),
    "resnet18": ("resnet18.arch", [{"H": 64, "W": 64}, {"H": 97, "W": 80}]),
    "resnet50": ("resnet50.arch", [{"H": 64, "W": 64}, {"H": 100, "W": 72}]),
    "unet2_torch": ("unet2_torch.arch", [{"H": 32, "W": 32}, {"H": 48, "W": 64, "base": 16}]),
    "mobilenetv2_torch": ("mobilenetv2_torch.arch", [{"H": 64, "W": 64}, {"H": 97, "W": 75}]),
    "transformer_block_torch": ("transformer_block_torch.arch", [{"L": 10}, {"L": 33}]),
    "text_model_torch": ("text_model_torch.arch", [{"L": 12}, {"L": 30}]),
    "vgg16_torch": (VGG16_TORCH, [{"H": 32, "W": 32}, {"H": 64, "W": 96}]),
    "mnist_torch": (MNIST_TORCH, [{"H": 28, "W": 28}, {"H": 31, "W": 40}]),
}
MODEL_CASES = [(m, i) for m, (_, sizes) in MODELS.items() for i in range(len(sizes))]


def _source(name: str) -> str:
    text = MODELS[name][0]
    return str(EXAMPLES / text) if text.endswith(".arch") else text


def _at(expr: sympy.Expr, d: symconv.Derivation, subs: dict[str, int]) -> sympy.Expr:
    """A symbolic count at `subs` (and the declared defaults)."""
    values = {**d.defaults, **subs}
    return expr.subs({s: values[s.name] for s in expr.free_symbols if s.name in values})


@pytest.mark.parametrize("name, i", MODEL_CASES, ids=[f"{m}-{i}" for m, i in MODEL_CASES])
def test_models_against_the_counters(need_torch: None, name: str, i: int) -> None:
    subs = MODELS[name][1][i]
    d = symconv.derive(_source(name), subs=subs)
    pt, fv = _counted(d)
    assert macs.total(d, PTFLOPS) == pt
    assert macs.total(d, FVCORE) == fv
    symbolic = symconv.derive(_source(name))  # sizes free, then substituted
    assert _at(macs.total(symbolic, PTFLOPS), symbolic, subs) == pt
    assert _at(macs.total(symbolic, FVCORE), symbolic, subs) == fv


# Keras layouts against the PyTorch counter run on the torch twin
KERAS_TWINS = {"vgg16.arch": "vgg16_torch", "mnist_cnn.arch": "mnist_torch"}


@pytest.mark.parametrize("keras_file", KERAS_TWINS)
@pytest.mark.parametrize("preset", ["weights", "ptflops", "fvcore", "all"])
def test_keras_layout_matches_its_torch_twin(keras_file: str, preset: str) -> None:
    convention = macs.PRESETS[preset]
    for subs in MODELS[KERAS_TWINS[keras_file]][1]:
        keras_d = symconv.derive(EXAMPLES / keras_file, subs=subs)
        torch_d = symconv.derive(_source(KERAS_TWINS[keras_file]), subs=subs)
        assert macs.total(keras_d, convention) == macs.total(torch_d, convention)


@pytest.mark.parametrize("keras_file", KERAS_TWINS)
def test_keras_layout_against_ptflops_on_its_twin(need_torch: None, keras_file: str) -> None:
    subs = MODELS[KERAS_TWINS[keras_file]][1][0]
    keras_d = symconv.derive(EXAMPLES / keras_file, subs=subs)
    pt, fv = _counted(symconv.derive(_source(KERAS_TWINS[keras_file]), subs=subs))
    assert (macs.total(keras_d, PTFLOPS), macs.total(keras_d, FVCORE)) == (pt, fv)


def test_vgg16_published_gmacs() -> None:
    # VGG16 at 224×224: 15.47 GMACs for its convolutions and dense layers, as the ptflops README
    # (github.com/sovrasov/flops-counter.pytorch, "vgg16 … 15.47") and fvcore-based model-zoo
    # tables list it; weights only, batch 1.
    d = symconv.derive(EXAMPLES / "vgg16.arch", subs={"H": 224, "W": 224})
    assert round(int(macs.total(d)) / 1e9, 2) == 15.47


def test_transformer_blocks_agree_across_conventions() -> None:
    """Keras's block (MultiHeadAttention, Dense, Add, LayerNormalization) and torch's
    TransformerEncoderLayer do the same arithmetic when heads divide d_model."""
    subs = {"d_model": 64, "heads": 4, "ff": 128}
    keras_d = symconv.derive(EXAMPLES / "transformer_block_keras.arch")
    torch_d = symconv.derive(EXAMPLES / "transformer_block_torch.arch")
    for preset in ("weights", "all"):
        a, b = (macs.total(x, macs.PRESETS[preset]) for x in (keras_d, torch_d))
        length = sympy.Symbol("L", integer=True, positive=True)
        assert sympy.expand(_at(a, keras_d, subs) - _at(b, torch_d, subs)) == 0
        assert _at(a, keras_d, subs).free_symbols == {length}


def test_attention_counts_products_per_head() -> None:
    d = symconv.derive(EXAMPLES / "transformer_block_torch.arch")
    length = next(s for s in macs.total(d).free_symbols if s.name == "L")
    total = macs.total(d).subs({s: d.defaults[s.name] for s in macs.total(d).free_symbols
                                if s.name in d.defaults})
    # 4·L·d² projections + 2·L²·d products + 2·L·d·ff feed-forward
    assert sympy.expand(total - (4 * length * 512 ** 2 + 2 * length ** 2 * 512
                                 + 2 * length * 512 * 2048)) == 0


def test_recurrent_counts_every_step() -> None:
    d = symconv.derive(EXAMPLES / "text_model_keras.arch", subs={"L": 10})
    lstm, gru = macs.layer_macs(d)[1:3]
    assert (lstm, gru) == (10 * 4 * 64 * (128 + 64), 10 * 3 * 64 * (64 + 64))
    assert macs.layer_macs(d)[0] == 0  # an embedding is a lookup


def test_symbolic_counts_stay_in_the_users_symbols() -> None:
    d = symconv.derive(EXAMPLES / "mnist_cnn.arch")
    count = macs.total(d, PTFLOPS)
    assert {s.name for s in count.free_symbols} <= {"H", "W", "C", "classes"}
    at = symconv.derive(EXAMPLES / "mnist_cnn.arch", subs={"H": 28, "W": 28})
    assert _at(count, d, {"H": 28, "W": 28}) == macs.total(at, PTFLOPS)


def test_shared_layers_are_counted_at_every_use() -> None:
    d = symconv.derive(EXAMPLES / "resnet18.arch", subs={"H": 64, "W": 64})
    relus = [m for m, layer in zip(macs.layer_macs(d, PTFLOPS), d.layers)
             if layer.type == "ReLU" and layer.shares]
    assert relus and all(m > 0 for m in relus)


def test_flops_are_twice_the_macs() -> None:
    assert macs.flops(sympy.Integer(21)) == 42


# -- receptive fields: published values only --------------------------------------------------

def _field(d: symconv.Derivation, name: str) -> tuple[receptive.Field, ...]:
    f = receptive.fields(d)[[layer.name for layer in d.layers].index(name)]
    assert f is not None
    return f


def test_vgg16_receptive_fields() -> None:
    # VGG16: conv5_3 sees 196×196 pixels, pool5 212×212 (Araujo, Norris & Sim, "Computing
    # Receptive Fields of Convolutional Neural Networks", Distill 2019, table of vgg_16: 212 at
    # pool5; 196 is the commonly cited value for conv5_3, e.g. Luo et al. 2016, "Understanding
    # the Effective Receptive Field", and cs231n notes).
    d = symconv.derive(EXAMPLES / "vgg16.arch")
    assert [f.size for f in _field(d, "block5_conv3")] == [196, 196]
    assert [f.size for f in _field(d, "block5_pool")] == [212, 212]
    assert [f.jump for f in _field(d, "block5_pool")] == [32, 32]


def test_alexnet_receptive_field() -> None:
    # AlexNet pool5: 195 (Araujo et al., Distill 2019, table: alexnet_v2, r = 195).
    d = symconv.derive(EXAMPLES / "alexnet.arch")
    assert [f.size for f in _field(d, "features.12")] == [195, 195]


def test_resnet50_receptive_field() -> None:
    # ResNet-50 (TF-slim resnet_v1_50) final convolution: 483 (Araujo et al., Distill 2019,
    # table: resnet_v1_50, r = 483).
    d = symconv.derive(RESNET50_SLIM)
    last = receptive.fields(d)[-1]
    assert last is not None and [f.size for f in last] == [483, 483]


def test_receptive_field_ends_where_windows_end() -> None:
    d = symconv.derive(EXAMPLES / "alexnet.arch")
    kinds = {layer.type: f for layer, f in zip(d.layers, receptive.fields(d))}
    assert kinds["Linear"] is None and kinds["Flatten"] is None
    u = symconv.derive(EXAMPLES / "unet2_torch.arch")
    by_name = dict(zip((layer.name for layer in u.layers), receptive.fields(u)))
    assert by_name["pool2"] is not None and by_name["up2"] is None and by_name["head"] is None


def test_padding_shifts_the_start_only() -> None:
    a = symconv.derive("convention torch\ninput (1, 9, 9)\nConv2d(1, 1, 3, stride=2)")
    b = symconv.derive("convention torch\ninput (1, 9, 9)\nConv2d(1, 1, 3, stride=2, padding=1)")
    fa, fb = receptive.fields(a)[0], receptive.fields(b)[0]
    assert fa is not None and fb is not None
    assert [(f.size, f.jump) for f in fa] == [(f.size, f.jump) for f in fb] == [(3, 2)] * 2
    assert [f.start for f in fa] == [sympy.Rational(3, 2)] * 2
    assert [f.start for f in fb] == [sympy.Rational(1, 2)] * 2


# -- memory against real tensors ---------------------------------------------------------------

@pytest.mark.parametrize("name, subs, dtype", [
    ("small_cnn_torch.arch", {"H": 28, "W": 28}, "float32"),
    ("resnet18.arch", {"H": 64, "W": 48}, "float64"),
    ("text_model_torch.arch", {"L": 9}, "float32"),
])
def test_memory_against_torch(need_torch: None, name: str, subs: dict[str, int],
                              dtype: str) -> None:
    import torch
    from analysis_torch import Replay, example_inputs

    batch = 3
    d = symconv.derive(EXAMPLES / name, subs=subs)
    model = Replay(d).eval().to(getattr(torch, dtype))
    inputs = {k: v.to(getattr(torch, dtype)) if v.is_floating_point() else v
              for k, v in example_inputs(d, batch).items()}
    with torch.no_grad():
        model(**inputs)
    real = [t.numel() * t.element_size() for t, _ in model.outputs]
    assert memory.activations(d, dtype, batch) == real
    weights = [*model.parameters(), *model.buffers()]
    assert memory.parameters(d, dtype) == sum(w.numel() * w.element_size() for w in weights)


def test_memory_is_symbolic() -> None:
    d = symconv.derive(EXAMPLES / "mnist_cnn.arch")
    first = memory.activations(d, "bfloat16", batch=8)[0]
    H, W = (next(s for s in first.free_symbols if s.name == n) for n in "HW")
    assert sympy.expand(first - 2 * 8 * 32 * (H - 2) * (W - 2)) == 0
    assert sympy.expand(memory.parameters(d, "int8") - d.params) == 0
    assert sympy.expand(memory.parameters(d, "float64") - 8 * d.params) == 0
    with pytest.raises(ValueError):
        memory.activations(d, "float8")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.arch")), ids=lambda p: p.stem)
def test_every_example_analyses_symbolically(path: Path) -> None:
    d = symconv.derive(path)
    for preset in macs.PRESETS.values():
        assert len(macs.layer_macs(d, preset)) == len(d.layers)
    assert len(receptive.fields(d)) == len(d.layers)
    assert len(memory.activations(d)) == len(d.layers)


KERAS_WRAPPED = """
convention keras
input (6, 10, 10, 3)
TimeDistributed(Conv2D(4, 3))
TimeDistributed(Flatten())
Bidirectional(LSTM(5, return_sequences=True))
x = Dense(5)
SeparableConv1D(7, 3, depth_multiplier=2)
"""


def test_keras_wrappers_and_separable_convolutions() -> None:
    d = symconv.derive(KERAS_WRAPPED)
    counts = macs.layer_macs(d)
    assert counts[0] == 6 * (8 * 8) * (3 * 3 * 3 * 4)  # T · positions · kernel
    assert counts[1] == 0
    assert counts[2] == 2 * 6 * 4 * 5 * (256 + 5)  # 2 directions · T · gates · u · (n + u)
    assert counts[3] == 6 * 10 * 5
    assert counts[4] == 4 * (3 * 5 * 2) + 4 * (10 * 7)  # depthwise + pointwise on 4 steps


@pytest.mark.parametrize("preset", ["ptflops", "fvcore", "all"])
def test_keras_global_pooling_counts_as_torch_adaptive_pooling(preset: str) -> None:
    """Keras GlobalAveragePooling2D is torch's AdaptiveAvgPool2d(1) (+ flatten); the counters'
    numbers for the torch layer are checked against the real counters above."""
    keras = symconv.derive("input (8, 8, 3)\nGlobalAveragePooling2D()\n")
    torch = symconv.derive("convention torch\ninput (3, 8, 8)\nAdaptiveAvgPool2d(1)\n")
    assert macs.total(keras, macs.PRESETS[preset]) == macs.total(torch, macs.PRESETS[preset])
    assert macs.total(torch, macs.PRESETS[preset]) != 0
