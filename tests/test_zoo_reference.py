"""The model zoo's ground truth (tests/zoo_reference.py) against the published numbers.

The torchvision layouts are written out by hand (torchvision is not installed); reproducing the
published totals exactly is what shows they are right, down to the BatchNorm count (buffers)
and torchvision's module names. The per-layer facts must be self-consistent: the modules' own
parameters add up to the total (the leaves do too, except where a container holds parameters
itself: ``nn.MultiheadAttention.in_proj_weight``), and every module that runs has an output
shape for each time it runs.

Facts checked here (batch-less; torch channels-first, Keras channels-last)
=========================================================================

Totals (measured == published)

=====================  ============  =========================================================
model                  params        notes
=====================  ============  =========================================================
lenet5 (1×32×32)       61,706        F = 16·⌊(⌊(H−4)/2⌋−4)/2⌋·⌊…W…⌋ into the first Linear
alexnet                61,100,840    independent of the input size (AdaptiveAvgPool2d((6, 6)))
resnet18               11,689,512    buffers 9,620 (20 BN: 9,600 running stats + 20 counters)
resnet50               25,557,032    buffers 53,173 (53 BN: 53,120 + 53)
mobilenet_v2           3,504,872     buffers 34,164 (52 BN: 34,112 + 52)
vgg16_keras 224×224    138,357,544   non-trainable 0; include_top=False: 14,714,688
mobilenet_v2_keras     3,538,984     trainable 3,504,872 + non-trainable 34,112 (BN moving
                                     stats) = torch's params + running stats, at every size
nasnet_mobile_keras    5,326,716     trainable 5,289,978 + non-trainable 36,738, at every size
                                     whose width is ≥ 19 (below, _adjust_block builds another
                                     model); NASNetMobile refuses the torch backend, so the
                                     builder calls NASNet with its arguments
=====================  ============  =========================================================

Final spatial extent against the input size H (= W); "x" = the framework refuses, "--" = not
run here. Every entry is asserted below.

=====  ========  =========  ==========  =========  ===========  ==========================
H      resnet50  mbv2 (pt)  mbv2 keras  alexnet    vgg16 keras  lenet5 2nd pool
       layer4    feat.18    out_relu    feat.12    block5_pool  (pt; keras at 12, 15, 16, 32)
=====  ========  =========  ==========  =========  ===========  ==========================
1      1         1          --          x conv 0   --           --
12     --        --         --          --         --           x 2nd conv (4 < 5)
15     --        --         --          --         --           x 2nd pool (1 < 2)
16     --        --         --          --         --           1
28     --        --         --          --         --           4
31     1         --         x (< 32)    --         x (< 32)     --
32     1         1          1           x          1            5
33     2         2          2 (as W)    --         1            5
62     --        --         --          x          --           --
63     --        --         --          1          --           --
64     2         --         --          1          2            --
96     --        3          --          --         --           --
97     4         4          4           --         --           --
100    --        --         --          --         3            --
224    7         7          7           6          7            --
225    8         8          --          6          --           --
299    10        --         --          8          --           --
=====  ========  =========  ==========  =========  ===========  ==========================

* ResNet-50 and torch MobileNetV2: ⌈H/32⌉ for every H ≥ 1 (all convs and the max pool are
  padded; torchvision's metadata says min_size (1, 1)); the output is (1000,) throughout.
  Keras MobileNetV2 gives the same ⌈H/32⌉ (Conv1 'same', then ZeroPadding2D via correct_pad
  before each 'valid' stride-2 depthwise: block_1_pad turns 48→49 at H=96, 49→51 at H=97).
* AlexNet: features.12 (MaxPool2d(3, 2)) gets 1×1 or 2×2 below H=63 and fails: RuntimeError
  "Given input size: (256x1x1). Calculated output size: (256x0x0). Output size is too small"
  (torchvision's min_size (63, 63)); at H=1 the first conv already fails (features.0, 5×5
  padded input, 11×11 kernel). Above, the adaptive pool always gives 256×6×6.
* Keras applications refuse H or W < 32 before building any layer: ValueError "Input size must
  be at least 32x32; Received: input_shape=(31, 31, 3)" (``.layer`` is None). VGG16's pools
  are 'valid' 2×2: block5_pool is ⌊H/32⌋. With include_top=True and weights=None Keras does
  *not* fix the size to 224: fc1 becomes Dense on 512·⌊H/32⌋·⌊W/32⌋ features (54,471,464
  parameters at 100×100, 37,694,248 at 32×32; 138,357,544 for any H, W in 224..255).
* LeNet-5 (torch, module '3' then '5'; Keras conv2d_1 then max_pooling2d_1): H = 12..13 fail
  at the second conv (4×4 input, 5×5 kernel: "Kernel size can't be greater than actual input
  size" / "Computed output size would be zero or negative"), 14..15 at the second pool (1×1),
  H ≥ 16 works (the builders size the Linear/Dense to F; 15,626 parameters at 16×16, 44,426
  at 28×28).
* U-Net (both): H, W divisible by 4 work (H = 4 and 32, W = 2H checked); H = 30 (and 34,
  torch) fail at the first skip concatenation -- torch ``torch.cat`` in UNet2.forward after
  module 'up2' ("Sizes of tensors must match except in dimension 1. Expected size 15 but got
  size 14"), Keras layer 'concatenate' ("A `Concatenate` layer requires inputs with matching
  shapes except for the concatenation axis"); H = 2 fails earlier at the second pool (torch
  'pool2', Keras max_pooling2d_1).

Per layer (two or more sizes each)

* ResNet-50 at 224 / 97: conv1 (64, 112, 112) / (64, 49, 49), maxpool 56 / 25, layer1
  (256, ·) 56 / 25, layer2 (512) 28 / 13, layer3 (1024) 14 / 7, layer4 (2048) 7 / 4, avgpool
  (2048, 1, 1); ``layer1.0.relu`` runs 3 times per Bottleneck (2 in BasicBlock), the top-level
  ``relu`` once; ``layer3.0.downsample.0`` weight (1024, 512, 1, 1), stride 2.
* MobileNetV2 (torch) at 224 / 97: features.1.conv has 3 children (expand ratio 1: no
  expansion Conv2dNormActivation), features.2.conv 4; features.2.conv.1.0 is the depthwise
  Conv2d with weight (96, 1, 3, 3).
* VGG16 (Keras) at 224 / 100: fc1 params 512·⌊H/32⌋²·4096 + 4096.
* Keras MobileNetV2 layer names: Conv1, bn_Conv1, Conv1_relu, expanded_conv_depthwise, ...,
  block_16_project_BN, Conv_1, Conv_1_bn, out_relu, global_average_pooling2d, predictions (155
  layers after the input); the model name is ``mobilenetv2_1.00_<H>`` for any H, from the
  rows alone (97×33 gives ``mobilenetv2_1.00_97``).
* Text models (vocab 100, embed 8, hidden 12, T = 16): torch 2,818 vs Keras 2,770 -- the LSTM's
  second bias (4·hidden); GRUs agree (Keras reset_after=True keeps a (2, 3h) bias).
* Transformer block (d 32, 4 heads, ff 64): 8,544 in both; torch's ``self_attn.out_proj`` never
  runs as a module (``output_shapes == []``); the Keras builder names its layers (left to
  auto names, the first explicit Dropout would be ``dropout_1``: MultiHeadAttention makes an
  inner ``dropout`` layer).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras

import pytest  # noqa: E402

import zoo_reference as zoo  # noqa: E402
from frameworks import FrameworkError  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]


# ---------------------------------------------------------------------------- cached builds
TORCH_BUILDERS = {"lenet5": zoo.lenet5, "alexnet": zoo.alexnet, "resnet18": zoo.resnet18,
                  "resnet50": zoo.resnet50, "mobilenet_v2": zoo.mobilenet_v2}


@lru_cache(maxsize=None)
def torch_model(name: str) -> Any:
    return TORCH_BUILDERS[name]()


@lru_cache(maxsize=None)
def torch_facts(name: str, shape: tuple[int, ...]) -> dict[str, Any]:
    return zoo.torch_layer_facts(torch_model(name), shape)


@lru_cache(maxsize=None)
def keras_facts(builder: str, *args: Any, **kwargs: Any) -> tuple[str, dict[str, Any]]:
    model = getattr(zoo, builder)(*args, **kwargs)
    return model.name, zoo.keras_layer_facts(model)


def out(facts: dict[str, Any], layer: str) -> tuple[int, ...]:
    """The single output shape of a layer applied once."""
    shapes = facts["layers"][layer]["output_shapes"]
    assert len(shapes) == 1, (layer, shapes)
    return shapes[0]


def check_torch_consistency(facts: dict[str, Any], *, leaves_add_up: bool = True) -> None:
    layers = facts["layers"]
    assert sum(f["own_params"] for f in layers.values()) == facts["params"]
    leaves = [f for f in layers.values() if f["leaf"]]
    if leaves_add_up:
        assert sum(f["params"] for f in leaves) == facts["params"]
        assert sum(f["buffers"] for f in leaves) == facts["buffers"]
    for name, f in layers.items():
        if f["leaf"]:
            assert f["own_params"] == f["params"], name
            assert sum(math.prod(s) for s in f["weights"].values()) == f["params"], name
    for name, f in layers.items():
        if name != "self_attn.out_proj":  # documented: used by F.multi_head_attention_forward
            assert f["output_shapes"], name
            assert all(s is not None for s in f["output_shapes"]), name
            assert len(f["input_shapes"]) == len(f["output_shapes"]), name


def check_keras_consistency(facts: dict[str, Any]) -> None:
    layers = facts["layers"]
    assert sum(f["params"] for f in layers.values()) == facts["params"]
    assert sum(f["trainable"] for f in layers.values()) == facts["trainable"]
    assert sum(f["non_trainable"] for f in layers.values()) == facts["non_trainable"]
    assert facts["trainable"] + facts["non_trainable"] == facts["params"]
    for name, f in layers.items():
        assert f["output_shapes"], name
        assert sum(math.prod(s) for s in f["weights"].values()) == f["params"], name


# ---------------------------------------------------------------------------- cheap import
def test_import_is_cheap() -> None:
    code = ("import sys, zoo_reference; "
            "print('torch' in sys.modules, 'keras' in sys.modules, 'numpy' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent,
                         capture_output=True, text=True, check=True)
    assert res.stdout.split() == ["False", "False", "False"]


# ---------------------------------------------------------------------------- published totals
@pytest.mark.parametrize("name", list(TORCH_BUILDERS))
def test_torch_published_totals(need_torch: None, name: str) -> None:
    published = zoo.PUBLISHED[name]
    facts = torch_facts(name, published["input"])
    assert facts["params"] == published["params"]
    assert facts["trainable"] == published["params"]
    assert facts["output_shape"] == ((10,) if name == "lenet5" else (1000,))
    check_torch_consistency(facts)


def test_torch_buffers_are_batchnorm_stats(need_torch: None) -> None:
    for name, n_bn in (("resnet18", 20), ("resnet50", 53), ("mobilenet_v2", 52)):
        facts = torch_facts(name, (3, 224, 224))
        bns = [f for f in facts["layers"].values() if f["type"] == "BatchNorm2d"]
        assert len(bns) == n_bn
        stats = sum(2 * f["weights"]["weight"][0] for f in bns)
        assert facts["buffers"] == stats + n_bn  # + one num_batches_tracked each


def keras_published(builder: str, model_name: str) -> dict[str, Any]:
    """The builder's facts at 224×224, checked against zoo.PUBLISHED and for consistency."""
    published = zoo.PUBLISHED[builder]
    name, facts = keras_facts(builder, 224, 224)
    assert name == model_name
    assert (facts["params"], facts["trainable"], facts["non_trainable"]) == (
        published["params"], published["trainable"], published["non_trainable"])
    check_keras_consistency(facts)
    return facts


def test_keras_vgg16_published(need_keras: None) -> None:
    facts = keras_published("vgg16_keras", "vgg16")
    assert facts["output_shape"] == (1000,)
    assert facts["input_shapes"] == [(224, 224, 3)]
    assert out(facts, "block5_pool") == (7, 7, 512)
    assert out(facts, "flatten") == (25088,)
    assert facts["layers"]["fc1"]["weights"] == {"kernel": (25088, 4096), "bias": (4096,)}


def test_keras_mobilenet_v2_published(need_keras: None, need_torch: None) -> None:
    facts = keras_published("mobilenet_v2_keras", "mobilenetv2_1.00_224")
    layers = list(facts["layers"])
    assert len(layers) == 155
    assert layers[:4] == ["Conv1", "bn_Conv1", "Conv1_relu", "expanded_conv_depthwise"]
    assert layers[-5:] == ["Conv_1", "Conv_1_bn", "out_relu", "global_average_pooling2d",
                           "predictions"]
    # The same network as torchvision's: Keras's trainable weights are torch's parameters,
    # its non-trainable ones torch's BatchNorm running statistics (52 BN layers in both).
    t = torch_facts("mobilenet_v2", (3, 224, 224))
    assert facts["trainable"] == t["params"]
    assert facts["non_trainable"] == t["buffers"] - 52
    assert sum(f["type"] == "BatchNormalization" for f in facts["layers"].values()) == 52


def test_keras_nasnet_mobile_published(need_keras: None) -> None:
    facts = keras_published("nasnet_mobile_keras", "nasnet_mobile")
    assert len(facts["layers"]) == 770
    assert out(facts, "stem_conv1") == (111, 111, 32)
    # correct_pad before the stride-2 separable convolutions: (1 + E mod 2, 2) for 5×5 on an
    # extent E; reduction_pad_1 (E mod 2, 1) before the 3×3 pools
    assert out(facts, "separable_conv_1_pad_reduction_left1_stem_1") == (115, 115, 11)
    assert out(facts, "reduction_pad_1_stem_1") == (113, 113, 11)
    assert out(facts, "reduction_concat_stem_1") == (56, 56, 44)
    assert out(facts, "normal_concat_12") == (7, 7, 1056)


def test_keras_nasnet_mobile_refuses_torch_backend(need_keras: None) -> None:
    """Why the builder calls nasnet.NASNet with NASNetMobile's arguments."""
    import keras

    with pytest.raises(ValueError, match="not available with the torch backend"):
        keras.applications.NASNetMobile(weights=None)


@pytest.mark.parametrize("H, W, final", [(33, 97, (1, 3)), (225, 225, (7, 7))])
def test_nasnet_mobile_keras_sizes(need_keras: None, H: int, W: int,
                                   final: tuple[int, int]) -> None:
    _, facts = keras_facts("nasnet_mobile_keras", H, W)
    assert facts["params"] == zoo.PUBLISHED["nasnet_mobile_keras"]["params"]
    # five halvings of ⌊(H − 1)/2⌋, each ⌈E/2⌉: ⌊(H + 29)/32⌋
    assert final == ((H + 29) // 32, (W + 29) // 32)
    assert out(facts, "normal_concat_12") == final + (1056,)
    check_keras_consistency(facts)


@pytest.mark.parametrize("H, W, layer", [(2, 64, "stem_conv1"), (64, 2, "stem_conv1"),
                                         (64, 18, "normal_add_1_9")])
def test_nasnet_mobile_keras_refuses(need_keras: None, H: int, W: int, layer: str) -> None:
    """Built on an input tensor (keras.applications' own check refuses anything below 32):
    the stem's 3×3 'valid' convolution needs 3. At W = 18 the widths go 8, 4, 2, 1, 1, so
    cell 9's p (cell 8's output) and ip (reduce_8's) are both 1 wide: _adjust_block projects p
    instead of halving it, and the first add meets p's height 4 (H = 64: 31, 16, 8, 4) against
    ip's 2."""
    with pytest.raises(FrameworkError) as info:
        zoo.nasnet_mobile_keras(H, W, input_tensor=True)
    assert info.value.layer == layer


@pytest.mark.parametrize("H, W, params, reduced", [(64, 19, 5_326_716, True),
                                                   (3, 3, 5_326_716 - 2_112, False)])
def test_nasnet_mobile_keras_adjust_follows_width(need_keras: None, H: int, W: int,
                                                  params: int, reduced: bool) -> None:
    """_adjust_block compares widths only: cell 9 halves p (adjust_conv_1_9) from W = 19
    up, the width examples/nasnet_mobile_keras.arch is written for. At 3×3 every width
    after the stem is 1, so nothing is halved; cell 0's p (stem_1's output, 44 channels =
    its filters) is then left as it is, dropping two 1×1 convolutions 44 → 22 and a
    BatchNorm of 44: 2·44·22 + 4·44 = 2,112 parameters fewer."""
    model = zoo.nasnet_mobile_keras(H, W, input_tensor=True)
    names = {layer.name for layer in model.layers}
    assert model.count_params() == params
    assert ("adjust_conv_1_9" in names) == reduced
    assert ("adjust_conv_projection_9" in names) != reduced
    assert ("adjust_bn_0" in names) == reduced


# ---------------------------------------------------------------------------- torch per layer
RESNET50_AT = {  # H: conv1, maxpool, layer1, layer2, layer3, layer4 spatial extents
    224: (112, 56, 56, 28, 14, 7),
    97: (49, 25, 25, 13, 7, 4),
}


@pytest.mark.parametrize("H", sorted(RESNET50_AT))
def test_resnet50_per_layer(need_torch: None, H: int) -> None:
    facts = torch_facts("resnet50", (3, H, H))
    ext = RESNET50_AT[H]
    for layer, c, stride, e in zip(("conv1", "maxpool", "layer1", "layer2", "layer3", "layer4"),
                                   (64, 64, 256, 512, 1024, 2048), (2, 4, 4, 8, 16, 32), ext):
        assert out(facts, layer) == (c, e, e)
        assert e == math.ceil(H / stride)
    assert out(facts, "avgpool") == (2048, 1, 1)
    assert out(facts, "fc") == (1000,)
    layers = facts["layers"]
    assert len(layers["relu"]["output_shapes"]) == 1
    assert layers["layer1.0.relu"]["output_shapes"] == [(64, ext[2], ext[2])] * 2 + [
        (256, ext[2], ext[2])]
    ds = layers["layer3.0.downsample.0"]
    assert ds["weights"] == {"weight": (1024, 512, 1, 1)}
    assert ds["input_shapes"] == [(512, ext[3], ext[3])]
    assert ds["output_shapes"] == [(1024, ext[4], ext[4])]
    assert layers["layer3.0"]["type"] == "Bottleneck"
    assert layers["layer3.0.downsample"]["type"] == "Sequential"
    assert "layer3.1.downsample" not in layers
    check_torch_consistency(facts)


def test_resnet18_shared_relu(need_torch: None) -> None:
    facts = torch_facts("resnet18", (3, 224, 224))
    assert facts["layers"]["layer2.1.relu"]["output_shapes"] == [(128, 28, 28)] * 2
    assert facts["layers"]["layer2.0"]["type"] == "BasicBlock"
    assert facts["layers"]["layer2.0"]["params"] == 230_144


RESNET50_FINAL = {1: 1, 31: 1, 32: 1, 33: 2, 64: 2, 97: 4, 224: 7, 225: 8, 299: 10}


@pytest.mark.parametrize("H", sorted(RESNET50_FINAL))
def test_resnet50_final_extent(need_torch: None, H: int) -> None:
    facts = torch_facts("resnet50", (3, H, H))
    assert out(facts, "layer4") == (2048, RESNET50_FINAL[H], RESNET50_FINAL[H])
    assert RESNET50_FINAL[H] == math.ceil(H / 32)
    assert facts["output_shape"] == (1000,)
    assert facts["params"] == zoo.PUBLISHED["resnet50"]["params"]


@pytest.mark.parametrize("H, final", [(1, 1), (32, 1), (33, 2), (96, 3), (97, 4), (224, 7),
                                      (225, 8)])
def test_mobilenet_v2_torch_sizes(need_torch: None, H: int, final: int) -> None:
    facts = torch_facts("mobilenet_v2", (3, H, H))
    assert out(facts, "features.18") == (1280, final, final)
    assert final == math.ceil(H / 32)
    layers = facts["layers"]
    assert layers["features.0"]["type"] == "Conv2dNormActivation"
    assert [layers[f"features.0.{i}"]["type"] for i in range(3)] == ["Conv2d", "BatchNorm2d",
                                                                     "ReLU6"]
    assert layers["features.1"]["type"] == "InvertedResidual"
    assert sum(n.startswith("features.1.conv.") and n.count(".") == 3 for n in layers) == 3
    assert sum(n.startswith("features.2.conv.") and n.count(".") == 3 for n in layers) == 4
    assert layers["features.2.conv.1.0"]["weights"] == {"weight": (96, 1, 3, 3)}
    assert out(facts, "classifier.1") == (1000,)
    check_torch_consistency(facts)


@pytest.mark.parametrize("H, pool3", [(63, 1), (64, 1), (224, 6), (225, 6), (299, 8)])
def test_alexnet_sizes(need_torch: None, H: int, pool3: int) -> None:
    facts = torch_facts("alexnet", (3, H, H))
    assert out(facts, "features.12") == (256, pool3, pool3)
    assert out(facts, "avgpool") == (256, 6, 6)
    assert facts["params"] == zoo.PUBLISHED["alexnet"]["params"]


@pytest.mark.parametrize("H, layer, text", [
    (1, "features.0", "Kernel size can't be greater than actual input size"),
    (32, "features.12", "Output size is too small"),
    (62, "features.12", "Output size is too small"),
])
def test_alexnet_too_small(need_torch: None, H: int, layer: str, text: str) -> None:
    with pytest.raises(FrameworkError) as info:
        torch_facts("alexnet", (3, H, H))
    err = info.value
    assert err.kind == "RuntimeError"
    assert err.layer == layer
    assert text in str(err)
    assert str(err).startswith(f"module {layer!r} (")


@pytest.mark.parametrize("H, params, pool2", [(16, 15_626, 1), (28, 44_426, 4), (32, 61_706, 5),
                                              (33, 61_706, 5)])
def test_lenet5_sizes(need_torch: None, H: int, params: int, pool2: int) -> None:
    facts = zoo.torch_layer_facts(zoo.lenet5(H, H), (1, H, H))
    assert facts["params"] == params
    assert out(facts, "5") == (16, pool2, pool2)
    assert zoo.lenet5_flat_features(H, H) == 16 * pool2 * pool2
    assert out(facts, "7")[0] == 120 and out(facts, "11") == (10,)
    check_torch_consistency(facts)


@pytest.mark.parametrize("H, layer, text", [
    (12, "3", "Kernel size can't be greater than actual input size"),
    (15, "5", "Output size is too small"),
])
def test_lenet5_too_small(need_torch: None, H: int, layer: str, text: str) -> None:
    with pytest.raises(FrameworkError) as info:
        zoo.torch_layer_facts(zoo.lenet5(H, H, activation="relu"), (1, H, H))
    assert info.value.layer == layer
    assert text in str(info.value)


@pytest.mark.parametrize("base", [4, 8])
def test_unet2_torch(need_torch: None, base: int) -> None:
    model = zoo.unet2(base)
    for H in (4, 32):
        facts = zoo.torch_layer_facts(model, (3, H, 2 * H))
        assert facts["params"] == zoo.unet2_params(base)
        assert facts["output_shape"] == (1, H, 2 * H)
        assert out(facts, "bottleneck") == (4 * base, H // 4, H // 2)
        assert out(facts, "up2") == (2 * base, H // 2, H)
        assert facts["layers"]["dec2.0"]["input_shapes"] == [(4 * base, H // 2, H)]
        assert facts["layers"]["enc1.1"]["output_shapes"] == [(base, H, 2 * H)]
        check_torch_consistency(facts)


def test_unet2_torch_failures(need_torch: None) -> None:
    model = zoo.unet2(4)
    for H in (30, 34):
        with pytest.raises(FrameworkError) as info:
            zoo.torch_layer_facts(model, (3, H, H))
        assert info.value.layer is None and info.value.after == "up2"
        assert "Sizes of tensors must match except in dimension 1" in str(info.value)
    with pytest.raises(FrameworkError) as info:
        zoo.torch_layer_facts(model, (3, 2, 2))
    assert info.value.layer == "pool2"


def test_text_model_torch(need_torch: None) -> None:
    facts = zoo.torch_layer_facts(zoo.text_model_torch(100, 8, 12), (16,))
    assert facts["params"] == zoo.text_model_params(100, 8, 12, framework="torch") == 2818
    assert [out(facts, n) for n in ("embedding", "lstm", "gru", "fc")] == [
        (16, 8), (16, 12), (16, 12), (2,)]
    assert facts["layers"]["lstm"]["weights"]["weight_hh_l0"] == (48, 12)
    assert facts["output_shape"] == (2,)
    check_torch_consistency(facts)


def test_transformer_block_torch(need_torch: None) -> None:
    facts = zoo.torch_layer_facts(zoo.transformer_block_torch(32, 4, 64), (16, 32))
    assert facts["params"] == zoo.transformer_block_params(32, 64) == 8544
    layers = facts["layers"]
    assert layers["self_attn"]["own_params"] == 3 * 32 * 32 + 3 * 32  # in_proj_weight/bias
    assert layers["self_attn.out_proj"]["output_shapes"] == []
    assert out(facts, "self_attn") == (16, 32)
    assert out(facts, "linear1") == (16, 64)
    assert out(facts, "norm2") == (16, 32)
    leaves = sum(f["params"] for f in layers.values() if f["leaf"])
    assert leaves == facts["params"] - layers["self_attn"]["own_params"]
    check_torch_consistency(facts, leaves_add_up=False)


# ---------------------------------------------------------------------------- keras per layer
@pytest.mark.parametrize("H, final", [(32, 1), (33, 1), (64, 2), (100, 3)])
def test_vgg16_keras_no_top(need_keras: None, H: int, final: int) -> None:
    _, facts = keras_facts("vgg16_keras", H, H, include_top=False)
    assert facts["params"] == 14_714_688
    assert out(facts, "block5_pool") == (final, final, 512) == facts["output_shape"]
    assert out(facts, "block1_conv1") == (H, H, 64)
    check_keras_consistency(facts)


@pytest.mark.parametrize("H", [224, 100, 32])
def test_vgg16_keras_top_depends_on_size(need_keras: None, H: int) -> None:
    _, facts = keras_facts("vgg16_keras", H, H)
    fc1 = 512 * (H // 32) ** 2 * 4096 + 4096
    assert facts["layers"]["fc1"]["params"] == fc1
    assert facts["params"] == 138_357_544 - 102_764_544 + fc1
    assert facts["params"] == {224: 138_357_544, 100: 54_471_464, 32: 37_694_248}[H]


@pytest.mark.parametrize("builder", ["vgg16_keras", "mobilenet_v2_keras", "nasnet_mobile_keras"])
def test_keras_applications_minimum(need_keras: None, builder: str) -> None:
    with pytest.raises(FrameworkError) as info:
        getattr(zoo, builder)(31, 31)
    assert info.value.layer is None
    assert "Input size must be at least 32x32" in str(info.value)


@pytest.mark.parametrize("H, W, final, name", [(32, 32, (1, 1), "mobilenetv2_1.00_32"),
                                               (97, 33, (4, 2), "mobilenetv2_1.00_97"),
                                               (224, 224, (7, 7), "mobilenetv2_1.00_224")])
def test_mobilenet_v2_keras_sizes(need_keras: None, H: int, W: int, final: tuple[int, int],
                                  name: str) -> None:
    got_name, facts = keras_facts("mobilenet_v2_keras", H, W)
    assert got_name == name
    assert facts["params"] == zoo.PUBLISHED["mobilenet_v2_keras"]["params"]
    assert out(facts, "out_relu") == final + (1280,)
    assert final == (math.ceil(H / 32), math.ceil(W / 32))
    assert out(facts, "Conv1") == (math.ceil(H / 2), math.ceil(W / 2), 32)
    # correct_pad before the stride-2 depthwise: pads (0, 1) an even extent, (1, 1) an odd one
    conv1 = (math.ceil(H / 2), math.ceil(W / 2))
    assert out(facts, "block_1_pad")[:2] == tuple(d + 1 + d % 2 for d in conv1)
    check_keras_consistency(facts)


@pytest.mark.parametrize("H, params, pool2", [(16, 15_626, 1), (32, 61_706, 5)])
def test_lenet5_keras(need_keras: None, H: int, params: int, pool2: int) -> None:
    _, facts = keras_facts("lenet5_keras", H, H)
    assert facts["params"] == params
    assert list(facts["layers"]) == ["conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1",
                                     "flatten", "dense", "dense_1", "dense_2"]
    assert out(facts, "max_pooling2d_1") == (pool2, pool2, 16)
    check_keras_consistency(facts)


@pytest.mark.parametrize("H, layer", [(12, "conv2d_1"), (15, "max_pooling2d_1")])
def test_lenet5_keras_too_small(need_keras: None, H: int, layer: str) -> None:
    with pytest.raises(FrameworkError) as info:
        zoo.lenet5_keras(H, H)
    assert info.value.layer == layer
    assert "Computed output size would be zero or negative" in str(info.value)


def test_unet2_keras(need_keras: None) -> None:
    for H in (4, 32):
        _, facts = keras_facts("unet2_keras", 4, H, 2 * H)
        assert facts["params"] == zoo.unet2_params(4)
        assert facts["output_shape"] == (H, 2 * H, 1)
        assert out(facts, "concatenate") == (H // 2, H, 16)
        check_keras_consistency(facts)
    for H, layer in ((30, "concatenate"), (2, "max_pooling2d_1")):
        with pytest.raises(FrameworkError) as info:
            zoo.unet2_keras(4, H, H)
        assert info.value.layer == layer


def test_text_model_keras(need_keras: None) -> None:
    _, facts = keras_facts("text_model_keras", 100, 8, 12)
    assert facts["params"] == zoo.text_model_params(100, 8, 12, framework="keras") == 2770
    assert [out(facts, n) for n in ("embedding", "lstm", "gru", "dense")] == [
        (16, 8), (16, 12), (12,), (2,)]
    assert facts["layers"]["gru"]["weights"]["bias"] == (2, 36)
    assert facts["input_shapes"] == [(16,)]
    check_keras_consistency(facts)


def test_transformer_block_keras(need_keras: None) -> None:
    _, facts = keras_facts("transformer_block_keras", 32, 4, 64)
    assert facts["params"] == zoo.transformer_block_params(32, 64) == 8544
    assert facts["layers"]["attention"]["weights"]["query/kernel"] == (32, 4, 8)
    assert "attention_dropout" in facts["layers"]
    assert facts["output_shape"] == (16, 32)
    check_keras_consistency(facts)


def test_keras_shared_layer_applications(need_keras: None) -> None:
    import keras

    keras.backend.clear_session()
    inp = keras.Input(shape=(5, 4))
    dense = keras.layers.Dense(4, name="shared")
    x = dense(dense(inp))
    x = keras.layers.Flatten()(x)
    facts = zoo.keras_layer_facts(keras.Model(inp, dense(keras.layers.Reshape((5, 4))(x))))
    assert facts["layers"]["shared"]["output_shapes"] == [(5, 4)] * 3
    assert facts["layers"]["shared"]["params"] == 20
    assert facts["params"] == 20
