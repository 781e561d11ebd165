"""Graphs in the language (named tensors, several inputs, blocks, repeat, if, shared layers),
each checked against the same network built in the real framework: layer names, output shapes,
parameter counts per layer and in total, at several input sizes."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

from typing import Any  # noqa: E402

import pytest  # noqa: E402

import symconv  # noqa: E402

# --------------------------------------------------------------------------- Keras

KERAS_SHARED = """\
network siamese
sizes L
input left: (L, 16)
input right: (L, 16)
shared encode = Dense(8, activation="relu")
a = encode(left)
b = encode(right)
both = Concatenate()(a, b)
Dense(1)
"""

KERAS_BLOCKS = """\
network blocks
sizes H, W
block ConvBN(filters, strides=1):
    Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)
    BatchNormalization()
    ReLU()

block Residual(filters):
    input x
    ConvBN(filters)
    y = ConvBN(filters)
    Add()(x, y)

input (H, W, 3)
ConvBN(8, 2)
repeat 2:
    Residual(8)
GlobalAveragePooling2D()
Dense(10)
"""


def _keras_shared() -> Any:
    import keras

    keras.backend.clear_session()
    left, right = keras.Input((None, 16)), keras.Input((None, 16))
    encode = keras.layers.Dense(8, activation="relu")
    both = keras.layers.Concatenate()([encode(left), encode(right)])
    return keras.Model([left, right], keras.layers.Dense(1)(both))


def _keras_blocks() -> Any:
    import keras

    keras.backend.clear_session()

    def conv_bn(x: Any, filters: int, strides: int = 1) -> Any:
        x = keras.layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        return keras.layers.ReLU()(x)

    inp = keras.Input((None, None, 3))
    x = conv_bn(inp, 8, 2)
    for _ in range(2):
        y = conv_bn(conv_bn(x, 8), 8)
        x = keras.layers.Add()([x, y])
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, keras.layers.Dense(10)(x))


def _keras_facts(model: Any, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    import numpy as np

    arrays = [np.zeros((2, *s), dtype="float32") for s in shapes]
    y = model(arrays if len(arrays) > 1 else arrays[0])
    layers = {}
    for layer in model.layers:
        if layer.__class__.__name__ == "InputLayer":
            continue
        layers[layer.name] = (layer.count_params(),
                              sum(int(np.prod(w.shape)) for w in layer.non_trainable_weights))
    return {"layers": layers, "total": model.count_params(),
            "output": tuple(int(v) for v in y.shape[1:])}


@pytest.mark.parametrize("size", [5, 11])
def test_keras_shared_layer_counts_once(size: int) -> None:
    pytest.importorskip("keras")
    want = _keras_facts(_keras_shared(), [(size, 16), (size, 16)])
    d = symconv.derive(KERAS_SHARED, subs={"L": size})
    assert int(d.params) == want["total"] == 8 * 17 + 17
    assert tuple(int(e) for e in d.output_shape) == want["output"]
    names = [r.name for r in d.layers]
    assert names == ["dense", "dense", "concatenate", "dense_1"]
    assert d.layers[1].shares == "dense" and d.layers[1].params == 0
    for record in d.layers:
        if not record.shares:
            assert int(record.params) == want["layers"][record.name][0], record.name


@pytest.mark.parametrize("size", [(8, 8), (9, 13), (32, 17)])
def test_keras_blocks_names_and_counts(size: tuple[int, int]) -> None:
    pytest.importorskip("keras")
    h, w = size
    want = _keras_facts(_keras_blocks(), [(h, w, 3)])
    d = symconv.derive(KERAS_BLOCKS, subs={"H": h, "W": w})
    leaf = {r.name: (int(r.params), int(r.non_trainable)) for r in d.layers}
    assert leaf == want["layers"]
    assert int(d.params) == want["total"]
    assert tuple(int(e) for e in d.output_shape) == want["output"]
    folded = [row.name for row in d.rows(1)]
    assert folded == ["conv_bn", "residual", "residual_1", "global_average_pooling2d", "dense"]
    assert sum(d.subtotal(b) for b in d.blocks if len(b.path) == 1) + 10 * 8 + 10 == d.params


# --------------------------------------------------------------------------- PyTorch

TORCH_STAGES = """\
network stages
convention torch
sizes H, W, width=8

block Downsample(cin, cout, stride):
    Conv2d(cin, cout, 1, stride, bias=False)
    BatchNorm2d(cout)

block Basic(cin, cout, stride=1):
    input x
    Conv2d(cin, cout, 3, stride, 1, bias=False, name="conv1")
    BatchNorm2d(cout, name="bn1")
    ReLU(name="relu")
    Conv2d(cout, cout, 3, 1, 1, bias=False, name="conv2")
    y = BatchNorm2d(cout, name="bn2")
    if stride != 1 or cin != cout:
        identity = Downsample(cin, cout, stride, name="downsample")(x)
    else:
        identity = x
    y + identity

block Stage(cin, cout, blocks, stride):
    Basic(cin, cout, stride)
    repeat blocks - 1:
        Basic(cout, cout)

input (3, H, W)
Conv2d(3, width, 3, 2, 1, bias=False, name="stem")
Stage(width, width, 2, 1, name="layer1")
Stage(width, 2 * width, 2, 2, name="layer2")
AdaptiveAvgPool2d(1, name="pool")
Flatten(name="flatten")
Linear(2 * width, 10, name="fc")
"""


def _torch_stages(width: int) -> Any:
    from torch import nn

    class Basic(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x: Any) -> Any:
            y = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return y + (x if self.downsample is None else self.downsample(x))

    def stage(cin: int, cout: int, blocks: int, stride: int) -> Any:
        return nn.Sequential(Basic(cin, cout, stride),
                             *[Basic(cout, cout) for _ in range(blocks - 1)])

    model = nn.Sequential()
    model.add_module("stem", nn.Conv2d(3, width, 3, 2, 1, bias=False))
    model.add_module("layer1", stage(width, width, 2, 1))
    model.add_module("layer2", stage(width, 2 * width, 2, 2))
    model.add_module("pool", nn.AdaptiveAvgPool2d(1))
    model.add_module("flatten", nn.Flatten())
    model.add_module("fc", nn.Linear(2 * width, 10))
    return model


@pytest.mark.parametrize("size,width", [((32, 32), 8), ((33, 47), 8), ((17, 64), 4)])
def test_torch_blocks_repeat_if(size: tuple[int, int], width: int) -> None:
    torch = pytest.importorskip("torch")
    model = _torch_stages(width)
    h, w = size
    shapes: dict[str, tuple[int, ...]] = {}

    def record(name: str) -> Any:
        def hook(module: Any, inputs: Any, output: Any) -> None:  # None: keep the output
            shapes.setdefault(name, tuple(output.shape[1:]))
        return hook

    for name, module in model.named_modules():
        if not list(module.children()):
            module.register_forward_hook(record(name))
    y = model(torch.zeros(2, 3, h, w))
    d = symconv.derive(TORCH_STAGES, subs={"H": h, "W": w, "width": width})
    params = {n: p.numel() for n, p in model.named_parameters()}
    for record in d.layers:
        name = record.name
        if record.type in ("add",):
            continue
        assert tuple(int(e) for e in record.output_shape) == shapes[name], name
        mine = {f"{name}.{w.name}": int(w.size) for w in record.weights if not w.buffer}
        assert mine == {k: v for k, v in params.items() if k.rsplit(".", 1)[0] == name}, name
    assert int(d.params) == sum(params.values())
    assert int(d.buffers) == sum(b.numel() for b in model.buffers())
    assert tuple(int(e) for e in d.output_shape) == tuple(y.shape[1:])
    assert [b.name for b in d.blocks if len(b.path) == 1] == ["layer1", "layer2"]


UNET_SKIP = """\
convention torch
sizes H, W
input x: (4, H, W)
skip = Conv2d(4, 4, 3, padding=1)(x)
down = MaxPool2d(2)(skip)
up = ConvTranspose2d(4, 4, 2, stride=2)(down)
cat((up, skip), dim=1)
"""


def test_skip_condition_names_the_sizes_that_work() -> None:
    """Odd sizes lose a row in the pool; the skip concatenation then fails in torch, and
    symconv says so at the `cat`."""
    torch = pytest.importorskip("torch")
    if "ConvTranspose2d" not in symconv.layers.REGISTRY["torch"]:
        pytest.skip("ConvTranspose2d not registered yet")
    from torch import nn

    conv, pool, up = nn.Conv2d(4, 4, 3, padding=1), nn.MaxPool2d(2), nn.ConvTranspose2d(4, 4, 2, 2)
    d = symconv.derive(UNET_SKIP)
    assert any("cat" in r.layer for r in d.requires)
    for h, w in [(8, 8), (9, 8), (8, 13), (16, 20), (7, 7)]:
        x = torch.zeros(2, 4, h, w)
        skip = conv(x)
        try:
            torch.cat((up(pool(skip)), skip), dim=1)
            ok = True
        except RuntimeError:
            ok = False
        try:
            symconv.derive(UNET_SKIP, subs={"H": h, "W": w})
            mine = True
        except symconv.SymconvError as err:
            assert "cat" in str(err), err
            mine = False
        assert mine == ok, (h, w)


def test_same_input_prints_the_same_bytes() -> None:
    first = symconv.derive(TORCH_STAGES).render("table", None)
    assert first == symconv.derive(TORCH_STAGES).render("table", None)
