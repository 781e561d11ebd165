"""`symconv verify` on every example at several sizes, and the checks that it can fail: a wrong
layer rule, a condition stricter than the framework's, a framework that is missing.

Agreement here is with the real frameworks (PyTorch 2.13 and Keras 3.15 on the torch backend);
the wrong rules are made by wrapping a registered layer function, so they are never shipped.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sympy

import symconv
from symconv.cli import main
from symconv.layers import REGISTRY
from symconv.layers.base import Call, LayerOutput, Weight

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))
# each example at three seeds: three sampled size assignments each, so nine in all
SEEDS = (0, 1, 2)
SAMPLES = int(os.environ.get("SYMCONV_VERIFY_SAMPLES", "3"))
# verify keeps a size's declared default: Llama-2-7B's would build 6.7 billion float32 weights
# (27 GB) in torch; its structure is checked at these widths (tests/test_zoo_transformers.py
# compares the published sizes' counts with transformers' model on the meta device)
SMALL = {"llama2_7b": {"n": 2, "d": 64, "heads": 4, "ff": 172, "V": 100}}

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.fixture(scope="module")
def frameworks(need_torch: None, need_keras: None) -> None:
    """Both frameworks, for the modules that verify examples of both conventions."""


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_verifies(path: Path, seed: int, frameworks: None) -> None:
    report = symconv.verify(path, samples=SAMPLES, seed=seed, subs=SMALL.get(path.stem))
    assert report.ok, report.render()
    assert report.comparisons >= len(report.checked[0].derivation.layers)
    for outside in report.outside:  # symconv refused there, and so did the framework
        assert outside.framework is not None


def test_sampled_sizes_are_valid_distinct_and_reproducible(frameworks: None) -> None:
    first = symconv.verify(ROOT / "examples/vgg16.arch", samples=3, seed=7, outside=False)
    again = symconv.verify(ROOT / "examples/vgg16.arch", samples=3, seed=7, outside=False)
    sizes = [c.sizes for c in first.checked]
    assert sizes == [c.sizes for c in again.checked]
    assert len({tuple(s.items()) for s in sizes}) == 3
    for s in sizes:  # VGG16 needs 32 × 32 at least (five 2 × 2 pools); defaults fill the rest
        assert s["H"] >= 32 and s["W"] >= 32 and s["classes"] == 1000


def test_given_sizes_are_checked_once(frameworks: None) -> None:
    report = symconv.verify(ROOT / "examples/mnist_cnn.arch", subs={"H": 28, "W": 28})
    assert [c.sizes for c in report.checked] == [{"H": 28, "W": 28, "C": 1, "classes": 10}]
    assert report.outside == [] and report.ok
    # Keras's summary() for this model: 34,826 parameters (the README's quick start)
    assert sum(c.trainable for c in report.checked[0].facts) == 34_826  # type: ignore[union-attr]


def test_outside_the_domain_the_framework_refuses_too(frameworks: None) -> None:
    report = symconv.verify(ROOT / "examples/mnist_cnn.arch", seed=3)
    points = {o.point.size: o for o in report.outside}
    assert set(points) == {"H", "W"}
    for size, o in points.items():  # valid from 10 up: the nearest invalid value is 9
        assert o.point.sizes[size] == 9
        assert "zero or negative" in o.symconv
        assert o.framework is not None and "Computed output size would be" in o.framework


# --------------------------------------------------------------------------- wrong rules

@pytest.fixture
def wrong_rule() -> Iterator[Any]:
    """Replace a registered layer function for one test."""
    saved: list[tuple[str, str, Any]] = []

    def install(convention: str, type_: str, change: Any, wrap: bool = True) -> None:
        """`change(call, output)` edits the rule's output; with wrap=False, `change(call)` is
        the whole rule."""
        spec = REGISTRY[convention][type_]
        saved.append((convention, type_, spec))

        def fn(call: Call) -> LayerOutput:
            return change(call, spec.fn(call))

        REGISTRY[convention][type_] = replace(spec, fn=fn if wrap else change)

    yield install
    for convention, type_, spec in reversed(saved):
        REGISTRY[convention][type_] = spec


def test_a_wrong_parameter_rule_fails_with_a_clear_message(wrong_rule: Any,
                                                            frameworks: None) -> None:
    # a Conv2d rule that forgets the bias
    wrong_rule("torch", "Conv2d", lambda call, out: replace(
        out, weights=tuple(w for w in out.weights if w.name != "bias")))
    report = symconv.verify(ROOT / "examples/small_cnn_torch.arch", subs={"H": 28, "W": 28})
    assert not report.ok
    lines = [str(m) for m in report.mismatches]
    assert "0 (Conv2d) at H=28, W=28: params: symconv 288, torch 320" in lines
    assert "0 (Conv2d) at H=28, W=28: weight shapes: symconv {weight: (32, 1, 3, 3)}, torch " \
        "{weight: (32, 1, 3, 3), bias: (32,)}" in lines
    text = report.render()
    assert "MISMATCH" in text and "✗" in text


def test_a_wrong_shape_rule_fails_with_a_clear_message(wrong_rule: Any,
                                                        frameworks: None) -> None:
    # a MaxPooling1D rule whose stride defaults to 1 instead of the pool size
    def stride_one(call: Call, out: LayerOutput) -> LayerOutput:
        length = call.input[0] - call.integer("pool_size") + 1
        return replace(out, shape=(length, *out.shape[1:]))

    wrong_rule("keras", "MaxPooling1D", stride_one)
    report = symconv.verify(ROOT / "examples/conv1d_seed.arch", subs={"L": 60, "C": 1})
    # the seed question: 6 steps pooled by 3 give 2, not 4
    assert [str(m) for m in report.mismatches] == [
        "max_pooling1d (MaxPooling1D) at L=60, C=1: output shape: symconv (4, 10), keras (2, 10)"]


def test_a_condition_stricter_than_the_framework_fails(wrong_rule: Any,
                                                        frameworks: None) -> None:
    # a Dense rule that wants at least 100 input features: Keras takes fewer
    def strict(call: Call, out: LayerOutput) -> LayerOutput:
        call.require(sympy.Ge(call.input[-1], 100), "needs 100 features")
        return out

    wrong_rule("keras", "Dense", strict)
    text = "sizes F\ninput (F,)\nDense(3)\n"
    report = symconv.verify(text, subs=None, samples=1, seed=0)
    assert report.ok is False
    (m,) = report.mismatches
    assert m.what == "symconv refuses what the framework accepts" and m.sizes == {"F": 99}


def test_a_framework_refusal_of_an_accepted_net_is_a_mismatch(wrong_rule: Any,
                                                               frameworks: None) -> None:
    # a Linear rule that does not check in_features against the input
    def lenient(call: Call) -> LayerOutput:
        n, m = call.integer("in_features"), call.integer("out_features")
        return LayerOutput((*call.input[:-1], m), (Weight("weight", (m, n)), Weight("bias", (m,))))

    wrong_rule("torch", "Linear", lenient, wrap=False)
    report = symconv.verify("convention torch\ninput (5,)\nLinear(4, 2)\n")
    (m,) = report.mismatches
    assert m.what == "the framework refuses what symconv accepts"
    assert "mat1 and mat2 shapes cannot be multiplied" in str(m.framework)


# --------------------------------------------------------------------------- the command line

def test_cli_prints_the_agreement_table(capsys: pytest.CaptureFixture[str],
                                        frameworks: None) -> None:
    code = main(["verify", str(ROOT / "examples/small_cnn_torch.arch"), "--subs", "H=28,W=28"])
    out = capsys.readouterr().out
    assert code == 0
    assert "against PyTorch 2.13.0" in out and "Sizes: H=28, W=28" in out
    assert re.search(r"│ 0 \(Conv2d\) +│ \(N, 32, 26, 26\) +│ +320 │ +0 │ weight \(32, 1, 3, 3\), "
                     r"bias \(32,\) +│ ✓ +│", out)
    assert out.rstrip().endswith("agree (1 size assignment, 9 layer comparisons, 0 points "
                                 "outside the valid domain).")


def test_cli_exits_1_on_a_mismatch_and_writes_json(wrong_rule: Any, frameworks: None,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    wrong_rule("torch", "Conv2d", lambda call, out: replace(out, weights=out.weights[:1]))
    code = main(["verify", str(ROOT / "examples/small_cnn_torch.arch"), "--subs", "H=28,W=28",
                 "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["ok"] is False
    assert {"layer": "0", "type": "Conv2d", "sizes": {"H": 28, "W": 28}, "what": "params",
            "symconv": 288, "framework": 320} in data["mismatches"]


def test_cli_without_the_frameworks_says_how_to_install(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from symconv.frameworks import torch_net

    monkeypatch.setattr(torch_net, "version", lambda: None)
    code = main(["verify", str(ROOT / "examples/small_cnn_torch.arch")])
    assert code == 2
    assert "pip install 'symconv[verify]'" in capsys.readouterr().err


# --------------------------------------------------------------------------- Keras files in PyTorch

TRANSLATED = ["mnist_cnn", "conv1d_seed", "vgg16", "text_model_keras"]


@pytest.mark.parametrize("name", TRANSLATED)
def test_keras_examples_verify_against_pytorch(name: str, frameworks: None) -> None:
    report = symconv.verify(ROOT / f"examples/{name}.arch", against="torch", samples=2)
    assert report.ok, report.render()
    assert report.translated_from == "keras"
    assert "a keras file, translated layer by layer" in report.render()


def test_expected_differences_are_reported_not_failed(frameworks: None) -> None:
    # text_model_keras: Keras LSTM(64) on 128 features has 49,408 parameters, PyTorch's
    # nn.LSTM(128, 64) 49,664 (bias_ih and bias_hh): 4·64 = 256 more; Keras's GRU with
    # reset_after=True has two biases as PyTorch does, so it agrees exactly.
    report = symconv.verify(ROOT / "examples/text_model_keras.arch", against="torch", samples=1)
    assert report.ok and set(report.expected) == {"lstm"}
    assert "256 more parameters in PyTorch" in report.expected["lstm"]
    text = "sizes H\ninput (H, H, 3)\nConv2D(8, 3)\nBatchNormalization()\n"
    report = symconv.verify(text, against="torch", samples=1)
    # Keras: gamma, beta trainable and 16 non-trainable; PyTorch: 16 + 1 buffers
    assert report.ok and "with num_batches_tracked (17)" in report.expected["batch_normalization"]
    assert "≈" in report.render()


def test_a_layer_without_a_faithful_translation_is_named(
        capsys: pytest.CaptureFixture[str], frameworks: None) -> None:
    code = main(["verify", str(ROOT / "examples/mobilenetv2_keras.arch"), "--against", "torch"])
    err = capsys.readouterr().err
    assert code == 1 and "[SC306]" in err
    assert "Conv2D 'Conv1' has no faithful PyTorch translation: 'same' padding with a stride " \
        "other than 1" in err
    code = main(["verify", str(ROOT / "examples/resnet18.arch"), "--against", "keras"])
    err = capsys.readouterr().err
    assert code == 1 and "[SC306]" in err and "not the other way" in err


def test_verify_refuses_what_it_cannot_build(frameworks: None) -> None:
    """Llama 2 7B at its published sizes is 27 GB in float32: refused before any is built."""
    with pytest.raises(symconv.SymconvError) as err:
        symconv.verify(ROOT / "examples/llama2_7b.arch", samples=1, outside=False)
    assert err.value.code == "SC308" and "6,738,415,616 parameters" in err.value.message


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_emitted_code_builds_the_same_network(path: Path, frameworks: None,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The printed model code, run as Python, has the parameters and output shape that verify
    found in memory (this test runs the code; symconv never does)."""
    smaller = SMALL.get(path.stem, {})  # verify refuses Llama's 27 GB (SC308)
    subs = ["--subs", ",".join(f"{k}={v}" for k, v in smaller.items())] if smaller else []
    assert main(["verify", str(path), "--emit", *subs]) == 0
    code = capsys.readouterr().out
    report = symconv.verify(path, samples=1, outside=False, subs=smaller or None)
    (checked,) = report.checked
    assert code.startswith(f"# Generated by `symconv verify --emit` from {path} at "
                           + ", ".join(f"{k}={v}" for k, v in checked.sizes.items()))
    d = checked.derivation
    namespace: dict[str, Any] = {"__name__": "emitted"}
    exec(compile(code, str(path), "exec"), namespace)  # noqa: S102 - the test runs it, not symconv
    want_params = int(d.params)
    if d.convention == "torch":
        import torch

        cls = next(v for k, v in namespace.items() if isinstance(v, type)
                   and issubclass(v, torch.nn.Module) and v is not torch.nn.Module)
        model = cls().eval()
        with torch.no_grad():
            out = model(*[torch.zeros((2, *map(int, s)),
                                      dtype=torch.long if "Embedding" in code and i == 0
                                      else torch.float32) for i, (_, s) in enumerate(d.inputs)])
        assert sum(p.numel() for p in model.parameters()) == want_params
        assert sum(b.numel() for b in model.buffers()) == int(d.buffers)
        assert tuple(out.shape[1:]) == tuple(int(e) for e in d.output_shape)
    else:
        model = namespace["build"]()
        assert model.count_params() == want_params
        assert tuple(model.output.shape[1:]) == tuple(int(e) for e in d.output_shape)


def test_given_sizes_are_checked_like_derive(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["verify", str(ROOT / "examples/mnist_cnn.arch"), "--subs", "H=0"],
                 ["verify", str(ROOT / "examples/mnist_cnn.arch"), "--emit", "--subs", "H=0"],
                 ["derive", str(ROOT / "examples/mnist_cnn.arch"), "--subs", "H=0"]):
        assert main(argv) == 1
        assert "'H' must be a whole number ≥ 1, not 0 [SC302]" in capsys.readouterr().err


# every Keras layer symconv translates to PyTorch, each verified against real PyTorch
TRANSLATABLE = {
    *(f"{kind}{r}D" for kind in ("Conv", "MaxPooling", "AveragePooling", "GlobalMaxPooling",
                                  "GlobalAveragePooling") for r in (1, 2, 3)),
    "Dense", "BatchNormalization", "LayerNormalization", "Embedding", "SimpleRNN", "LSTM",
    "GRU", "ZeroPadding1D", "ZeroPadding2D", "ReLU", "LeakyReLU", "Dropout", "SpatialDropout1D",
    "SpatialDropout2D", "Activation", "ELU", "Softmax", "Identity", "Flatten", "Add", "add",
    "Subtract", "subtract", "Multiply", "multiply", "Maximum", "Minimum", "Average",
    "Concatenate"}
TRANSLATED_NETS = {
    "sequence": """sizes L
input (L, 6)
Conv1D(4, 3)
MaxPooling1D(2)
AveragePooling1D(2, strides=1)
ZeroPadding1D(1)
SpatialDropout1D(0.1)
LayerNormalization()
SimpleRNN(3, return_sequences=True)
LSTM(3, return_sequences=True)
GRU(3, return_sequences=True, reset_after=False)
s = GRU(2, return_sequences=True)
a = GlobalMaxPooling1D()(s)
b = GlobalAveragePooling1D()(s)
Add()((a, b))
Dense(4)
ReLU()
LeakyReLU()
ELU()
Softmax()
Activation("tanh")
Identity()
Dropout(0.2)
""",
    "tokens": """sizes L
input (L,)
Embedding(20, 4)
LSTM(5)
""",
    "image": """sizes H, W
input x: (H, W, 3)
a = Conv2D(4, 3, padding="same")(x)
b = BatchNormalization()(a)
c = SpatialDropout2D(0.1)(b)
s = Add()((a, c))
t = Subtract()((a, c))
m = Multiply()((s, t))
mx = Maximum()((m, a))
mn = Minimum()((mx, a))
av = Average()((mn, a))
f = multiply(subtract(add(av, a), a), a)
z = ZeroPadding2D(1)(Concatenate()((f, a)))
q = AveragePooling2D(2)(MaxPooling2D(2)(z))
Add()((GlobalMaxPooling2D()(q), GlobalAveragePooling2D()(q)))
""",
    "volume": """sizes D
input (D, D, D, 2)
Conv3D(3, 2)
MaxPooling3D(2)
y = AveragePooling3D(1)
g = Add()((GlobalMaxPooling3D()(y), GlobalAveragePooling3D()(y)))
Concatenate()((g, Flatten()(y)))
""",
}


@pytest.mark.parametrize("name", sorted(TRANSLATED_NETS))
def test_every_translated_layer_verifies(name: str, need_torch: None) -> None:
    report = symconv.verify(TRANSLATED_NETS[name], against="torch", samples=2, seed=1)
    assert report.ok and report.translated_from == "keras", report.render()


def test_the_translation_table_is_covered() -> None:
    used = {r.type for text in TRANSLATED_NETS.values() for r in symconv.derive(text).layers}
    assert used == TRANSLATABLE
