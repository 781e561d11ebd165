"""`symconv explain` answers each seed question in its own numbers (the numbers Keras printed
for the people who asked), and says which framework rule it follows."""

from __future__ import annotations

from pathlib import Path

import pytest

import symconv
from symconv.cli import main
from symconv.render.explain import render_explain

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))


def explain(text: str, layer: str | None = None, subs: dict[str, int] | None = None) -> str:
    return render_explain(symconv.derive(text, subs=subs), layer)


def test_how_is_1130_computed() -> None:
    out = explain(ROOT / "examples/conv1d_seed.arch", subs={"L": 60, "C": 1})  # type: ignore[arg-type]
    assert ("10 filters of width 16 over 7 input channels: each filter has 16·7 = 112 weights "
            "and 1 bias; 10·113 = 1,130 parameters.") in out
    assert "length (axis 1): ⌊(21 - 16)/1⌋ + 1 = 6" in out
    assert "7 filters of width 40 over 1 input channel: each filter has 40·1 = 40 weights and " \
        "1 bias; 7·41 = 287 parameters." in out
    assert out.rstrip().endswith("Total: 1,417 parameters (1,417 trainable, 0 non-trainable).")


def test_why_is_the_pooled_length_2_and_not_4() -> None:
    out = explain(ROOT / "examples/conv1d_seed.arch", "max_pooling1d", {"L": 60, "C": 1})  # type: ignore[arg-type]
    assert "length (axis 1): ⌊(6 - 3)/3⌋ + 1 = 2" in out
    assert "strides not given: Keras uses the pool size, 3, so the windows do not overlap " \
        "(with stride 1 the length would be 4)" in out


def test_why_18207_parameters() -> None:
    out = explain("input (28, 28, 1)\nConv2D(32, (3, 3))\nConv2D(63, (3, 3))\n", "conv2d_1")
    assert "63 filters of size 3×3 over 32 input channels: each filter has 3·3·32 = 288 " \
        "weights and 1 bias; 63·289 = 18,207 parameters." in out


def test_same_padding_and_no_bias() -> None:
    out = explain("input (25, 64, 1)\nConv2D(100, (7, 7), padding='same', use_bias=False)\n"
                  "MaxPooling2D(padding='same')\n")
    assert "each filter has 7·7·1 = 49 weights; 100·49 = 4,900 parameters." in out
    assert "use_bias=False: no bias, 100 parameters fewer (one per filter)." in out
    # TensorFlow's 'same': total (⌈n/s⌉ − 1)·s + k − n, half before (rounded down), the rest
    # after. Conv 7×7, stride 1: 6 = 3 + 3 on each axis.
    assert "height (axis 1): ⌈25/1⌉ = 25; padding 'same': 3 rows at the top and 3 rows at " \
        "the bottom, of zeros" in out
    # pool 2, stride 2: 25 → 13, total (13 − 1)·2 + 2 − 25 = 1 (at the bottom); 64 → 32, none
    assert "height (axis 1): ⌈25/2⌉ = 13; padding 'same': 1 row at the bottom, counted as −∞, " \
        "so never the maximum" in out
    assert "width (axis 2): ⌈64/2⌉ = 32; padding 'same': no padding needed here" in out


def test_batch_norm_and_the_other_framework() -> None:
    keras = explain("input (8, 8, 64)\nBatchNormalization()\n")
    assert "128 trainable (gamma, beta" in keras and "128 non-trainable (the moving mean" in keras
    assert "PyTorch keeps them as buffers" in keras
    torch = explain("convention torch\ninput (64, 8, 8)\nBatchNorm2d(64)\n")
    assert "128 parameters (weight, bias" in torch and "are 129 buffers" in torch


def test_recurrent_biases() -> None:
    # keras.layers.LSTM(64) built on 128 features: count_params() 49,408; torch.nn.LSTM(128, 64):
    # 49,664 parameters (both run on 2026-11-27, Keras 3.15.1 and PyTorch 2.13.0)
    keras = explain(ROOT / "examples/text_model_keras.arch", "lstm", {"L": 100})  # type: ignore[arg-type]
    assert "4·64·(128 + 64 + 1) = 49,408 parameters." in keras
    torch = explain(ROOT / "examples/text_model_torch.arch", "lstm", {"L": 100})  # type: ignore[arg-type]
    assert "2 biases (bias_ih and bias_hh): 4·64·(128 + 64 + 2) = 49,664 parameters." in torch


def test_symbolic_sizes_are_explained_too() -> None:
    out = explain("sizes L\ninput (L, 300)\nConv1D(111, 5)\n")
    assert "length (axis 1): ⌊(L - 5)/1⌋ + 1 = L - 4" in out
    assert "Valid when L ≥ 5" in out


def test_torch_ceil_mode_is_explained() -> None:
    # torch.nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True) on 6×6 gives 4×4 (PyTorch 2.13)
    out = explain("convention torch\ninput (1, 6, 6)\nMaxPool2d(3, stride=2, padding=1, "
                  "ceil_mode=True)\nMaxPool2d(2, stride=2, ceil_mode=True)\n")
    assert "height (axis 2): ⌈(6 + 2·1 - 3)/2⌉ + 1 = 4" in out
    assert "padding 1: 1 row on each side, counted as −∞, so never the maximum" in out


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_explains(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(path)]) == 0
    out = capsys.readouterr().out
    d = symconv.derive(path)
    assert all(f"{r.name} ({r.type}), line {r.span.line}:" in out for r in d.layers)


def test_unknown_layer_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(ROOT / "examples/mnist_cnn.arch"), "--layer", "dens"]) == 1
    err = capsys.readouterr().err
    assert "no layer or block is called 'dens' [SC307]" in err and "did you mean 'dense'?" in err


def test_the_other_framework_counts_the_same(need_torch: None, need_keras: None) -> None:
    from frameworks import keras_facts, torch_facts

    out = explain(ROOT / "examples/conv1d_seed.arch", "conv1d_1", {"L": 60, "C": 1})  # type: ignore[arg-type]
    torch = torch_facts("Conv1d", [7, 10, 16], {}, (7, 21))
    weight, bias = torch["weights"]["weight"], torch["weights"]["bias"]
    assert (f"The other framework counts the same {torch['params']:,}: PyTorch's nn.Conv1d "
            f"weight {weight} and bias ({bias[0]},).") in out
    out = explain("convention torch\ninput (64,)\nLinear(64, 10)\n")
    keras = keras_facts("Dense", [10], {}, (64,))
    assert (f"The other framework counts the same {keras['params']:,}: Keras's Dense kernel "
            f"{keras['weights']['kernel']} and bias (10,).") in out


def test_explain_lists_every_result_of_a_call() -> None:
    """torch's LSTM gives (output, (h_n, c_n)); h_n and c_n have their batch second."""
    text = ("convention torch\ninput (7, 3)\nout, (h, c) = LSTM(3, 6, num_layers=2, "
            "batch_first=True)(input)\ny = Linear(6, 2)(h[-1])\n")
    out = render_explain(symconv.derive(text))
    assert "Gives 3 tensors (batch axis shown), nested as the framework nests them: " \
           "(N, 7, 6), (2, N, 6), (2, N, 6)" in out


@pytest.mark.parametrize("text, layer, line", [
    # Keras AveragePooling2D 'same' excludes the padded cells from the mean (TensorFlow's
    # avg_pool divides by the number of real cells); 5 → ⌈5/2⌉ = 3, pad (3 − 1)·2 + 2 − 5 = 1
    ("input (5, 5, 1)\nAveragePooling2D(2, padding='same')\n", "average_pooling2d",
     "height (axis 1): ⌈5/2⌉ = 3; padding 'same': 1 row at the bottom, left out of the mean"),
    # PyTorch AvgPool2d counts its zero padding in the mean unless count_include_pad=False
    ("convention torch\ninput (1, 6, 6)\nAvgPool2d(3, stride=1, padding=1)\n", "0",
     "padding 1: 1 column on each side, of zeros, counted in the mean (count_include_pad=True)"),
    ("convention torch\ninput (1, 6, 6)\nAvgPool2d(3, stride=1, padding=1, "
     "count_include_pad=False)\n", "0", "padding 1: 1 row on each side, left out of the mean"),
    # causal: (k − 1)·d zeros before the sequence, none after
    ("input (10, 4)\nConv1D(2, 3, padding='causal', dilation_rate=2)\n", "conv1d",
     "padding 'causal': 4 steps of zeros at the start, none at the end"),
    ("convention torch\ninput (8,)\nLinear(8, 3, bias=False)\n", "0",
     "bias=False: no bias, 3 parameters fewer (one per unit)."),
    ("input (28, 28, 1)\nConv2D(5, 3)\n", "conv2d", "Parameters: 50 = kernel (3, 3, 1, 5) = 45; "
     "bias (5,)"),
    # a reason that names a formula says it in explain's notation (·, no `*`), and says what
    # happens otherwise: (H - 4 - 4)/4 + 1 = ⌊H/4⌋ - 1 per side, 16 channels
    ("convention torch\nsizes H, W\ninput (1, H, W)\nConv2d(1, 16, 5)\nMaxPool2d(4)\n"
     "Flatten()\nLinear(400, 10)\n", "3", "Valid when 400 = 16·(⌊H/4⌋ - 1)·(⌊W/4⌋ - 1); "
     "otherwise 'in_features' is 400 but the input's last axis is 16·(⌊H/4⌋ - 1)·(⌊W/4⌋ - 1)."),
    ("convention torch\nsizes H\ninput (2, H)\nConv1d(2, 2, 3)\n", "0",
     "Valid when H ≥ 3; otherwise output size is too small"),
], ids=["keras-avg-same", "torch-avg-include", "torch-avg-exclude", "causal", "no-bias",
        "weight-tuples", "reason-notation", "reason-otherwise"])
def test_padding_bias_and_weights_in_words(text: str, layer: str, line: str) -> None:
    assert line in explain(text, layer)


def test_a_block_is_explained_by_name() -> None:
    """ResNet-50's layer1 (torchvision: 215,808 parameters at base 64: 52·64² + 44·64)."""
    out = explain(ROOT / "examples/resnet50.arch", "layer1")  # type: ignore[arg-type]
    assert "layer1 (block Stage), line 41: 32 layers, 52·base² + 44·base parameters" in out
    assert "layer1.0.conv1 (Conv2d)" in out and "layer2.0.conv1" not in out
    numbers = explain(ROOT / "examples/resnet50.arch", "layer1", {"H": 224, "W": 224})  # type: ignore[arg-type]
    assert "32 layers, 215,808 parameters" in numbers
