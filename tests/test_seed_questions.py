"""The seed questions, with the numbers Keras printed for the people who asked them."""

from __future__ import annotations

import pytest

import symconv

# (id, .arch text, [(output shape, params) per layer], total)
SEEDS = [
    ("conv1d_maxpool_1417", """
input (60, 1)
Conv1D(7, kernel_size=40)
Conv1D(10, kernel_size=16)
MaxPooling1D(pool_size=3)
""", [((21, 7), 287), ((6, 10), 1130), ((2, 10), 0)], 1417),
    ("mnist_1181161", """
input (28, 28, 1)
Conv2D(32, (3, 3))
Conv2D(63, (3, 3))
MaxPooling2D((2, 2))
Dropout(0.25)
Flatten()
Dense(128)
Dropout(0.5)
Dense(10)
""", [((26, 26, 32), 320), ((24, 24, 63), 18207), ((12, 12, 63), 0), ((12, 12, 63), 0),
      ((9072,), 0), ((128,), 1161344), ((128,), 0), ((10,), 1290)], 1181161),
    ("same_padding_no_bias", """
input (25, 64, 1)
Conv2D(100, (7, 7), padding='same', use_bias=False)
MaxPooling2D(padding='same')
Conv2D(150, (5, 5), padding='same', use_bias=False)
""", [((25, 64, 100), 4900), ((13, 32, 100), 0), ((13, 32, 150), 375000)], 379900),
]


@pytest.mark.parametrize("text,layers,total", [s[1:] for s in SEEDS], ids=[s[0] for s in SEEDS])
def test_seed_numbers(text: str, layers: list, total: int) -> None:
    d = symconv.derive(text)
    assert [(tuple(int(e) for e in r.output_shape), int(r.params)) for r in d.layers] == layers
    assert int(d.params) == int(d.trainable) == total
    assert int(d.non_trainable) == 0


def test_conv1d_111_filters_symbolic_length() -> None:
    d = symconv.derive("sizes L\ninput (L, 300)\nConv1D(111, 5)")
    layer = d.layers[0]
    weights = {w.name: tuple(int(e) for e in w.shape) for w in layer.weights}
    assert weights == {"kernel": (5, 300, 111), "bias": (111,)}
    assert str(layer.output_shape[0]) == "L - 4" and int(layer.output_shape[1]) == 111
    assert int(layer.params) == 166611


def test_mnist_symbolic_then_substituted_matches_seed() -> None:
    text = """
sizes H, W, F
input (H, W, 1)
Conv2D(32, (3, 3))
Conv2D(F, (3, 3))
MaxPooling2D((2, 2))
Flatten()
Dense(128)
Dense(10)
"""
    d = symconv.derive(text, subs={"H": 28, "W": 28, "F": 63})
    assert int(d.params) == 1181161
    assert tuple(int(e) for e in d.layers[3].output_shape) == (9072,)


def test_three_pools_compose_to_one_floor() -> None:
    d = symconv.derive("sizes H, W\ninput (H, W, 3)\n" + "MaxPooling2D(2)\n" * 3)
    assert str(d.layers[-1].output_shape[0]) == "floor(H/8)"


def test_same_cnn_two_frameworks_two_answers() -> None:
    # ../shared/CONVENTIONS.md, checked there against Keras 3.15 and PyTorch: 127,242 / 127,114.
    keras = symconv.derive("""
input (28, 28, 1)
Conv2D(32, 3)
MaxPooling2D(2)
Conv2D(64, 3, padding="same")
BatchNormalization()
Flatten()
Dense(10)
""")
    torch = symconv.derive("""
convention torch
input (1, 28, 28)
Conv2d(1, 32, 3)
MaxPool2d(2)
Conv2d(32, 64, 3, padding=1)
BatchNorm2d(64)
Flatten()
Linear(64 * 13 * 13, 10)
""")
    assert (int(keras.params), int(keras.non_trainable)) == (127242, 128)
    assert (int(torch.params), int(torch.buffers)) == (127114, 129)
