"""Every shipped example, derived symbolically, then substituted at several input sizes and
compared layer by layer with the real framework running the same network."""

from __future__ import annotations

from pathlib import Path

import pytest

import symconv

ROOT = Path(__file__).parent.parent

# example → (framework, layers as the framework spells them, input shape builder, sizes to try)
NETS = {
    "mnist_cnn": ("keras", [
        ("Conv2D", [32], {"kernel_size": (3, 3), "activation": "relu"}),
        ("MaxPooling2D", [], {"pool_size": (2, 2)}),
        ("Conv2D", [64], {"kernel_size": (3, 3), "activation": "relu"}),
        ("MaxPooling2D", [], {"pool_size": (2, 2)}),
        ("Flatten", [], {}),
        ("Dropout", [0.5], {}),
        ("Dense", [10], {"activation": "softmax"}),
    ], lambda s: (s["H"], s["W"], 1), [{"H": 28, "W": 28}, {"H": 33, "W": 17}, {"H": 10, "W": 11}]),
    "conv1d_seed": ("keras", [
        ("Conv1D", [7], {"kernel_size": 40}),
        ("Conv1D", [10], {"kernel_size": 16}),
        ("MaxPooling1D", [], {"pool_size": 3}),
    ], lambda s: (s["L"], s["C"]), [{"L": 60, "C": 1}, {"L": 100, "C": 3}, {"L": 57, "C": 2}]),
    "small_cnn_torch": ("torch", [
        ("Conv2d", [1, 32], {"kernel_size": 3}),
        ("MaxPool2d", [2], {}),
        ("Conv2d", [32, 64], {"kernel_size": 3, "padding": 1}),
        ("BatchNorm2d", [64], {}),
        ("ReLU", [], {}),
        ("MaxPool2d", [], {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
        ("AdaptiveAvgPool2d", [(1, 1)], {}),
        ("Flatten", [], {}),
        ("Linear", [64, 10], {}),
    ], lambda s: (1, s["H"], s["W"]), [{"H": 28, "W": 28}, {"H": 29, "W": 40}, {"H": 5, "W": 7}]),
}

CASES = [(name, sizes) for name, net in NETS.items() for sizes in net[3]]


def _ids(case: tuple[str, dict[str, int]]) -> str:
    return case[0] + "-" + ",".join(f"{k}={v}" for k, v in case[1].items())


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_example_matches_framework(case: tuple[str, dict[str, int]]) -> None:
    frameworks = pytest.importorskip("frameworks")
    name, sizes = case
    kind, layers, shape, _ = NETS[name]
    facts = (frameworks.keras_sequential_facts if kind == "keras"
             else frameworks.torch_sequential_facts)(layers, shape(sizes))
    d = symconv.derive(ROOT / "examples" / f"{name}.arch", subs=sizes)
    assert len(d.layers) == len(facts)
    for record, fact in zip(d.layers, facts):
        assert tuple(int(e) for e in record.output_shape) == tuple(fact["output_shape"]), record.name
        assert int(record.params) == fact["params"], record.name
        assert int(record.trainable) == fact["trainable"], record.name
        if kind == "keras":
            assert record.name == fact["name"]
            assert int(record.non_trainable) == fact["non_trainable"]
        else:
            assert int(record.buffers) == fact["buffers"], record.name
        ours = {w.name: tuple(int(e) for e in w.shape) for w in record.weights if not w.buffer}
        assert ours == {k: tuple(v) for k, v in fact["weights"].items()}, record.name


def test_example_invalid_size_fails_in_both() -> None:
    frameworks = pytest.importorskip("frameworks")
    kind, layers, shape, _ = NETS["mnist_cnn"]
    with pytest.raises(frameworks.FrameworkError):
        frameworks.keras_sequential_facts(layers, shape({"H": 9, "W": 28}))
    with pytest.raises(symconv.SymconvError) as err:
        symconv.derive(ROOT / "examples" / "mnist_cnn.arch", subs={"H": 9, "W": 28})
    assert "max_pooling2d_1" in str(err.value)
