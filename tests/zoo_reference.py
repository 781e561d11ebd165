"""Ground truth for whole models: a small zoo built with the real frameworks.

symconv derives per-layer shapes and parameter counts of whole networks; this module gives the
numbers to compare them with, from real forward passes. It complements ``frameworks.py`` (one
layer, or a plain chain of layers) with multi-branch models, shared modules and blocks.

Nothing heavy is imported at module level (``torch`` / ``keras`` are imported inside the
functions), so importing this module is cheap. The conventions are those of ``frameworks.py``:
shapes never include the batch dimension; PyTorch is channels-first, Keras channels-last; real
forward passes run on a batch of 2 zeros (float32, or integer zeros for models that start with an
``Embedding``); every framework failure becomes :class:`frameworks.FrameworkError`.

Model builders
--------------
PyTorch (torchvision is not installed: the torchvision layouts are written out here in plain
``torch.nn``, mirroring torchvision's source -- class names, module attribute names, the order in
which modules are registered, weight initialisation -- so ``named_modules()`` /
``named_parameters()`` give torchvision's names, e.g. ``layer3.0.downsample.1.running_mean`` or
``features.17.conv.1.0.weight``):

* :func:`lenet5` -- the modern LeNet-5 rendition (full C3 connectivity, plain Linear output).
* :func:`alexnet`, :func:`resnet18`, :func:`resnet50`, :func:`mobilenet_v2` -- torchvision
  layouts (``torchvision.models.alexnet`` / ``resnet`` / ``mobilenetv2``, weights=None).
* :func:`unet2` -- a two-level U-Net (no BatchNorm), widths base, 2·base, 4·base.
* :func:`text_model_torch` -- Embedding → LSTM → GRU → Linear on the **last time step**.
* :func:`transformer_block_torch` -- one ``nn.TransformerEncoderLayer`` (batch_first=True).

Keras 3 (each builder calls ``keras.backend.clear_session()`` first, so the auto-generated layer
names are deterministic: ``conv2d``, ``conv2d_1``, ...):

* :func:`vgg16_keras`, :func:`mobilenet_v2_keras` -- ``keras.applications`` with weights=None.
* :func:`nasnet_mobile_keras` -- ``keras.applications``' NASNet with NASNetMobile's arguments.
* :func:`lenet5_keras`, :func:`text_model_keras`, :func:`unet2_keras`,
  :func:`transformer_block_keras` -- the Keras twins of the torch models above.

Keras builds (and shape-checks) a model while it is defined, so a Keras input size that the model
cannot take fails inside the builder; builders therefore raise :class:`FrameworkError` too, naming
the layer that refused (``.layer``) when one did.

Facts
-----
:func:`torch_layer_facts` and :func:`keras_layer_facts` run one real forward pass and return::

    {"layers": {name: {"type", "output_shapes", "input_shapes", "params", "trainable",
                       "weights", ...}, ...},         # in definition order
     "params": int, "trainable": int,
     "buffers": int (torch) | "non_trainable": int (keras),
     "input_shapes": [shape, ...], "output_shape": shape}

``output_shapes`` has one entry per application of the layer in the forward pass (torchvision's
blocks apply their ``relu`` two or three times, so ``layer1.0.relu`` has several). For a module
that returns a tuple (LSTM, GRU, MultiheadAttention) the first element is recorded, as in
``frameworks.py``. A module that is registered but never called as a module has
``output_shapes == []``: ``nn.MultiheadAttention.out_proj`` is the one case here (the attention
function uses its weight and bias directly).

Failures: a size a model cannot take raises :class:`FrameworkError` whose message is
``"<where>: <original message>"`` and whose ``.layer`` is the dotted module name (torch) or layer
name (keras) that failed, or ``None`` when the failure is not inside a named module/layer (a
``torch.cat`` in a ``forward``, Keras's own input-size check in ``keras.applications``). Torch's
``.after`` is the last module that finished before the failure.
"""

from __future__ import annotations

import contextlib
import os
from collections import OrderedDict
from typing import Any, Callable, Iterator

from frameworks import FrameworkError

Shape = tuple[int, ...]

__all__ = [
    "PUBLISHED",
    "lenet5",
    "alexnet",
    "resnet18",
    "resnet50",
    "mobilenet_v2",
    "unet2",
    "text_model_torch",
    "transformer_block_torch",
    "vgg16_keras",
    "mobilenet_v2_keras",
    "nasnet_mobile_keras",
    "lenet5_keras",
    "text_model_keras",
    "unet2_keras",
    "transformer_block_keras",
    "torch_layer_facts",
    "keras_layer_facts",
    "unet2_params",
    "text_model_params",
    "transformer_block_params",
    "lenet5_flat_features",
]


# --------------------------------------------------------------------------- published totals
# Totals as published by the framework authors (weights=None changes nothing about the counts).
PUBLISHED: dict[str, dict[str, Any]] = {
    # LeCun, Bottou, Bengio, Haffner (1998), "Gradient-based learning applied to document
    # recognition": LeNet-5 on 32x32 inputs. The paper's own count is about 60,000 (its C3 is
    # only partially connected and its output layer is an RBF); 61,706 is the count of the
    # standard modern rendition built here (full C3, Linear(84, 10) output), as every
    # framework tutorial prints it.
    "lenet5": {"params": 61_706, "input": (1, 32, 32),
               "source": "LeNet-5 (LeCun et al. 1998), modern full-connectivity rendition"},
    # torchvision model docs, "num_params" of the IMAGENET1K_V1 weights
    # (https://pytorch.org/vision/stable/models.html); min_size from the same metadata.
    "alexnet": {"params": 61_100_840, "input": (3, 224, 224), "min_size": (63, 63),
                "source": "torchvision docs: AlexNet_Weights.IMAGENET1K_V1 num_params"},
    "resnet18": {"params": 11_689_512, "input": (3, 224, 224), "min_size": (1, 1),
                 "source": "torchvision docs: ResNet18_Weights.IMAGENET1K_V1 num_params"},
    "resnet50": {"params": 25_557_032, "input": (3, 224, 224), "min_size": (1, 1),
                 "source": "torchvision docs: ResNet50_Weights.IMAGENET1K_V1 num_params"},
    "mobilenet_v2": {"params": 3_504_872, "input": (3, 224, 224), "min_size": (1, 1),
                     "source": "torchvision docs: MobileNet_V2_Weights.IMAGENET1K_V1 num_params"},
    # Keras Applications (https://keras.io/api/applications/): the docs table rounds to
    # 138.4M / 3.5M; the exact totals are what keras's model.summary() prints for
    # keras.applications.VGG16() / MobileNetV2() at 224x224 with include_top=True.
    "vgg16_keras": {"params": 138_357_544, "trainable": 138_357_544, "non_trainable": 0,
                    "input": (224, 224, 3),
                    "source": "Keras Applications docs (138.4M), exact from model.summary()"},
    "mobilenet_v2_keras": {"params": 3_538_984, "trainable": 3_504_872, "non_trainable": 34_112,
                           "input": (224, 224, 3),
                           "source": "Keras Applications docs (3.5M), exact from model.summary()"},
    # Keras Applications lists NASNetMobile at 5.3M; the exact total is 5,326,716 (Keras's
    # published count, and model.count_params() of the builder below at 224x224).
    "nasnet_mobile_keras": {"params": 5_326_716, "trainable": 5_289_978, "non_trainable": 36_738,
                            "input": (224, 224, 3),
                            "source": "Keras Applications docs (5.3M), exact from count_params()"},
}


# --------------------------------------------------------------------------- closed forms
def lenet5_flat_features(H: int = 32, W: int = 32) -> int:
    """Features entering LeNet-5's first Linear: 16·⌊(⌊(H−4)/2⌋−4)/2⌋·⌊(⌊(W−4)/2⌋−4)/2⌋."""
    h = ((H - 4) // 2 - 4) // 2
    w = ((W - 4) // 2 - 4) // 2
    return 16 * h * w


def unet2_params(base: int, in_channels: int = 3, out_channels: int = 1) -> int:
    """Parameter count of :func:`unet2` / :func:`unet2_keras` (identical in both frameworks)."""
    b, c = base, in_channels

    def conv(cin: int, cout: int, k: int) -> int:
        return cin * cout * k * k + cout

    return (conv(c, b, 3) + conv(b, b, 3)                    # enc1
            + conv(b, 2 * b, 3) + conv(2 * b, 2 * b, 3)      # enc2
            + conv(2 * b, 4 * b, 3) + conv(4 * b, 4 * b, 3)  # bottleneck
            + conv(4 * b, 2 * b, 2)                          # up2 (transposed, k=2)
            + conv(4 * b, 2 * b, 3) + conv(2 * b, 2 * b, 3)  # dec2 (after the concat)
            + conv(2 * b, b, 2)                              # up1
            + conv(2 * b, b, 3) + conv(b, b, 3)              # dec1
            + conv(b, out_channels, 1))                      # head


def text_model_params(vocab: int, embed: int, hidden: int, classes: int = 2, *,
                      framework: str) -> int:
    """Parameter count of :func:`text_model_torch` / :func:`text_model_keras`. They differ by
    the LSTM's biases: torch has two bias vectors (b_ih, b_hh, 4·hidden each), Keras one. The
    GRUs agree: Keras's default ``reset_after=True`` also keeps two bias rows (shape (2, 3h))."""
    e, h = embed, hidden
    lstm_biases = 2 if framework == "torch" else 1
    lstm = 4 * h * (e + h) + lstm_biases * 4 * h
    gru = 3 * h * (h + h) + 2 * 3 * h
    return vocab * e + lstm + gru + (h * classes + classes)


def transformer_block_params(d_model: int, dim_ff: int) -> int:
    """Parameter count of one post-norm encoder block (both frameworks): attention 4d² + 4d,
    FFN 2·d·ff + ff + d, two LayerNorms 2d each."""
    d = d_model
    return 4 * d * d + 4 * d + (d * dim_ff + dim_ff) + (dim_ff * d + d) + 4 * d


# --------------------------------------------------------------------------- torch models
def _nn() -> Any:
    import torch.nn as nn

    return nn


def lenet5(H: int = 32, W: int = 32, *, activation: str = "tanh", num_classes: int = 10) -> Any:
    """LeNet-5 as ``nn.Sequential`` (indices 0..12): Conv2d(1,6,5), act, MaxPool2d(2),
    Conv2d(6,16,5), act, MaxPool2d(2), Flatten, Linear(F,120), act, Linear(120,84), act,
    Linear(84,num_classes); ``activation`` is "tanh" or "relu".

    The Linear fixes the input size: F = :func:`lenet5_flat_features` (H, W) (400 at 32×32,
    61,706 parameters). For an H, W where F would be ≤ 0 the Linear is built with 1 input
    feature, so that the forward pass fails where torch itself refuses (the second conv or
    pool), not in the builder."""
    nn = _nn()
    act = {"tanh": nn.Tanh, "relu": nn.ReLU}[activation]
    flat = max(lenet5_flat_features(H, W), 1)
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), act(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, kernel_size=5), act(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(flat, 120), act(),
        nn.Linear(120, 84), act(),
        nn.Linear(84, num_classes),
    )


def _torch_classes() -> dict[str, type]:
    """The torchvision classes, defined lazily (torch is imported on first use) and cached."""
    if _TORCH_CLASSES:
        return _TORCH_CLASSES
    import torch
    from torch import nn

    # ---- torchvision/models/alexnet.py
    class AlexNet(nn.Module):
        def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(64, 192, kernel_size=5, padding=2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(192, 384, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(384, 256, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(256, 256, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
            )
            self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
            self.classifier = nn.Sequential(
                nn.Dropout(p=dropout),
                nn.Linear(256 * 6 * 6, 4096),
                nn.ReLU(inplace=True),
                nn.Dropout(p=dropout),
                nn.Linear(4096, 4096),
                nn.ReLU(inplace=True),
                nn.Linear(4096, num_classes),
            )

        def forward(self, x: Any) -> Any:
            x = self.features(x)
            x = self.avgpool(x)
            x = torch.flatten(x, 1)
            x = self.classifier(x)
            return x

    # ---- torchvision/models/resnet.py
    def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1,
                dilation: int = 1) -> Any:
        return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                         groups=groups, bias=False, dilation=dilation)

    def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> Any:
        return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)

    class BasicBlock(nn.Module):
        expansion: int = 1

        def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: Any = None,
                     groups: int = 1, base_width: int = 64, dilation: int = 1,
                     norm_layer: Any = None) -> None:
            super().__init__()
            if norm_layer is None:
                norm_layer = nn.BatchNorm2d
            if groups != 1 or base_width != 64:
                raise ValueError("BasicBlock only supports groups=1 and base_width=64")
            if dilation > 1:
                raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
            self.conv1 = conv3x3(inplanes, planes, stride)
            self.bn1 = norm_layer(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = conv3x3(planes, planes)
            self.bn2 = norm_layer(planes)
            self.downsample = downsample
            self.stride = stride

        def forward(self, x: Any) -> Any:
            identity = x
            out = self.conv1(x)
            out = self.bn1(out)
            out = self.relu(out)
            out = self.conv2(out)
            out = self.bn2(out)
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            out = self.relu(out)
            return out

    class Bottleneck(nn.Module):
        # torchvision's "ResNet V1.5": the stride is on the 3x3 conv (conv2).
        expansion: int = 4

        def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: Any = None,
                     groups: int = 1, base_width: int = 64, dilation: int = 1,
                     norm_layer: Any = None) -> None:
            super().__init__()
            if norm_layer is None:
                norm_layer = nn.BatchNorm2d
            width = int(planes * (base_width / 64.0)) * groups
            self.conv1 = conv1x1(inplanes, width)
            self.bn1 = norm_layer(width)
            self.conv2 = conv3x3(width, width, stride, groups, dilation)
            self.bn2 = norm_layer(width)
            self.conv3 = conv1x1(width, planes * self.expansion)
            self.bn3 = norm_layer(planes * self.expansion)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = downsample
            self.stride = stride

        def forward(self, x: Any) -> Any:
            identity = x
            out = self.conv1(x)
            out = self.bn1(out)
            out = self.relu(out)
            out = self.conv2(out)
            out = self.bn2(out)
            out = self.relu(out)
            out = self.conv3(out)
            out = self.bn3(out)
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            out = self.relu(out)
            return out

    class ResNet(nn.Module):
        def __init__(self, block: Any, layers: list[int], num_classes: int = 1000,
                     zero_init_residual: bool = False, groups: int = 1,
                     width_per_group: int = 64,
                     replace_stride_with_dilation: list[bool] | None = None,
                     norm_layer: Any = None) -> None:
            super().__init__()
            if norm_layer is None:
                norm_layer = nn.BatchNorm2d
            self._norm_layer = norm_layer
            self.inplanes = 64
            self.dilation = 1
            if replace_stride_with_dilation is None:
                replace_stride_with_dilation = [False, False, False]
            if len(replace_stride_with_dilation) != 3:
                raise ValueError("replace_stride_with_dilation should be None or a 3-element "
                                 f"tuple, got {replace_stride_with_dilation}")
            self.groups = groups
            self.base_width = width_per_group
            self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3,
                                   bias=False)
            self.bn1 = norm_layer(self.inplanes)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(block, 64, layers[0])
            self.layer2 = self._make_layer(block, 128, layers[1], stride=2,
                                           dilate=replace_stride_with_dilation[0])
            self.layer3 = self._make_layer(block, 256, layers[2], stride=2,
                                           dilate=replace_stride_with_dilation[1])
            self.layer4 = self._make_layer(block, 512, layers[3], stride=2,
                                           dilate=replace_stride_with_dilation[2])
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512 * block.expansion, num_classes)

            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
            if zero_init_residual:
                for m in self.modules():
                    if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                        nn.init.constant_(m.bn3.weight, 0)
                    elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                        nn.init.constant_(m.bn2.weight, 0)

        def _make_layer(self, block: Any, planes: int, blocks: int, stride: int = 1,
                        dilate: bool = False) -> Any:
            norm_layer = self._norm_layer
            downsample = None
            previous_dilation = self.dilation
            if dilate:
                self.dilation *= stride
                stride = 1
            if stride != 1 or self.inplanes != planes * block.expansion:
                downsample = nn.Sequential(
                    conv1x1(self.inplanes, planes * block.expansion, stride),
                    norm_layer(planes * block.expansion),
                )
            layers = [block(self.inplanes, planes, stride, downsample, self.groups,
                            self.base_width, previous_dilation, norm_layer)]
            self.inplanes = planes * block.expansion
            for _ in range(1, blocks):
                layers.append(block(self.inplanes, planes, groups=self.groups,
                                    base_width=self.base_width, dilation=self.dilation,
                                    norm_layer=norm_layer))
            return nn.Sequential(*layers)

        def _forward_impl(self, x: Any) -> Any:
            x = self.conv1(x)
            x = self.bn1(x)
            x = self.relu(x)
            x = self.maxpool(x)
            x = self.layer1(x)
            x = self.layer2(x)
            x = self.layer3(x)
            x = self.layer4(x)
            x = self.avgpool(x)
            x = torch.flatten(x, 1)
            x = self.fc(x)
            return x

        def forward(self, x: Any) -> Any:
            return self._forward_impl(x)

    # ---- torchvision/ops/misc.py (Conv2dNormActivation is an nn.Sequential subclass)
    class ConvNormActivation(nn.Sequential):
        def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                     stride: int = 1, padding: int | None = None, groups: int = 1,
                     norm_layer: Any = nn.BatchNorm2d, activation_layer: Any = nn.ReLU,
                     dilation: int = 1, inplace: bool | None = True, bias: bool | None = None,
                     conv_layer: Any = nn.Conv2d) -> None:
            if padding is None:
                padding = (kernel_size - 1) // 2 * dilation
            if bias is None:
                bias = norm_layer is None
            layers = [conv_layer(in_channels, out_channels, kernel_size, stride, padding,
                                 dilation=dilation, groups=groups, bias=bias)]
            if norm_layer is not None:
                layers.append(norm_layer(out_channels))
            if activation_layer is not None:
                params = {} if inplace is None else {"inplace": inplace}
                layers.append(activation_layer(**params))
            super().__init__(*layers)
            self.out_channels = out_channels

    class Conv2dNormActivation(ConvNormActivation):
        def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                     stride: int = 1, padding: int | None = None, groups: int = 1,
                     norm_layer: Any = nn.BatchNorm2d, activation_layer: Any = nn.ReLU,
                     dilation: int = 1, inplace: bool | None = True,
                     bias: bool | None = None) -> None:
            super().__init__(in_channels, out_channels, kernel_size, stride, padding, groups,
                             norm_layer, activation_layer, dilation, inplace, bias, nn.Conv2d)

    # ---- torchvision/models/_utils.py
    def _make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
        if min_value is None:
            min_value = divisor
        new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
        if new_v < 0.9 * v:
            new_v += divisor
        return new_v

    # ---- torchvision/models/mobilenetv2.py
    class InvertedResidual(nn.Module):
        def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int,
                     norm_layer: Any = None) -> None:
            super().__init__()
            self.stride = stride
            if stride not in [1, 2]:
                raise ValueError(f"stride should be 1 or 2 instead of {stride}")
            if norm_layer is None:
                norm_layer = nn.BatchNorm2d
            hidden_dim = int(round(inp * expand_ratio))
            self.use_res_connect = self.stride == 1 and inp == oup
            layers: list[Any] = []
            if expand_ratio != 1:
                # pw
                layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1,
                                                   norm_layer=norm_layer,
                                                   activation_layer=nn.ReLU6))
            layers.extend([
                # dw
                Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim,
                                     norm_layer=norm_layer, activation_layer=nn.ReLU6),
                # pw-linear
                nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
                norm_layer(oup),
            ])
            self.conv = nn.Sequential(*layers)
            self.out_channels = oup
            self._is_cn = stride > 1

        def forward(self, x: Any) -> Any:
            if self.use_res_connect:
                return x + self.conv(x)
            return self.conv(x)

    class MobileNetV2(nn.Module):
        def __init__(self, num_classes: int = 1000, width_mult: float = 1.0,
                     inverted_residual_setting: list[list[int]] | None = None,
                     round_nearest: int = 8, block: Any = None, norm_layer: Any = None,
                     dropout: float = 0.2) -> None:
            super().__init__()
            if block is None:
                block = InvertedResidual
            if norm_layer is None:
                norm_layer = nn.BatchNorm2d
            input_channel = 32
            last_channel = 1280
            if inverted_residual_setting is None:
                inverted_residual_setting = [
                    # t, c, n, s
                    [1, 16, 1, 1],
                    [6, 24, 2, 2],
                    [6, 32, 3, 2],
                    [6, 64, 4, 2],
                    [6, 96, 3, 1],
                    [6, 160, 3, 2],
                    [6, 320, 1, 1],
                ]
            input_channel = _make_divisible(input_channel * width_mult, round_nearest)
            self.last_channel = _make_divisible(last_channel * max(1.0, width_mult),
                                                round_nearest)
            features: list[Any] = [
                Conv2dNormActivation(3, input_channel, stride=2, norm_layer=norm_layer,
                                     activation_layer=nn.ReLU6)
            ]
            for t, c, n, s in inverted_residual_setting:
                output_channel = _make_divisible(c * width_mult, round_nearest)
                for i in range(n):
                    stride = s if i == 0 else 1
                    features.append(block(input_channel, output_channel, stride, expand_ratio=t,
                                          norm_layer=norm_layer))
                    input_channel = output_channel
            features.append(Conv2dNormActivation(input_channel, self.last_channel,
                                                 kernel_size=1, norm_layer=norm_layer,
                                                 activation_layer=nn.ReLU6))
            self.features = nn.Sequential(*features)
            self.classifier = nn.Sequential(
                nn.Dropout(p=dropout),
                nn.Linear(self.last_channel, num_classes),
            )
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out")
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
                elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.zeros_(m.bias)

        def _forward_impl(self, x: Any) -> Any:
            x = self.features(x)
            # Cannot use "squeeze" as batch-size can be 1 (a function: no module, no hook)
            x = nn.functional.adaptive_avg_pool2d(x, (1, 1))
            x = torch.flatten(x, 1)
            x = self.classifier(x)
            return x

        def forward(self, x: Any) -> Any:
            return self._forward_impl(x)

    # ---- U-Net (not torchvision)
    class DoubleConv(nn.Sequential):
        """Conv2d(3×3, padding=1) → ReLU → Conv2d(3×3, padding=1) → ReLU (indices 0..3)."""

        def __init__(self, in_channels: int, out_channels: int) -> None:
            super().__init__(
                nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
            )

    class UNet2(nn.Module):
        def __init__(self, base: int = 64, in_channels: int = 3, out_channels: int = 1) -> None:
            super().__init__()
            b = base
            self.enc1 = DoubleConv(in_channels, b)
            self.pool1 = nn.MaxPool2d(2)
            self.enc2 = DoubleConv(b, 2 * b)
            self.pool2 = nn.MaxPool2d(2)
            self.bottleneck = DoubleConv(2 * b, 4 * b)
            self.up2 = nn.ConvTranspose2d(4 * b, 2 * b, kernel_size=2, stride=2)
            self.dec2 = DoubleConv(4 * b, 2 * b)
            self.up1 = nn.ConvTranspose2d(2 * b, b, kernel_size=2, stride=2)
            self.dec1 = DoubleConv(2 * b, b)
            self.head = nn.Conv2d(b, out_channels, kernel_size=1)

        def forward(self, x: Any) -> Any:
            s1 = self.enc1(x)                        # (b, H, W)
            s2 = self.enc2(self.pool1(s1))           # (2b, ⌊H/2⌋, ⌊W/2⌋)
            x = self.bottleneck(self.pool2(s2))      # (4b, ⌊H/4⌋, ⌊W/4⌋)
            x = self.up2(x)                          # (2b, 2⌊H/4⌋, 2⌊W/4⌋)
            x = self.dec2(torch.cat([s2, x], dim=1))  # needs 2⌊H/4⌋ == ⌊H/2⌋
            x = self.up1(x)                          # (b, 4⌊H/4⌋, 4⌊W/4⌋)
            x = self.dec1(torch.cat([s1, x], dim=1))  # needs 4⌊H/4⌋ == H
            return self.head(x)

    # ---- text model
    class TextModel(nn.Module):
        """Embedding → LSTM → GRU → Linear applied to the last time step (like Keras's GRU
        default return_sequences=False followed by Dense)."""

        def __init__(self, vocab: int, embed: int, hidden: int, classes: int = 2) -> None:
            super().__init__()
            self.embedding = nn.Embedding(vocab, embed)
            self.lstm = nn.LSTM(embed, hidden, batch_first=True)
            self.gru = nn.GRU(hidden, hidden, batch_first=True)
            self.fc = nn.Linear(hidden, classes)

        def forward(self, tokens: Any) -> Any:
            x = self.embedding(tokens)   # (T, embed)
            x, _ = self.lstm(x)          # (T, hidden)
            x, _ = self.gru(x)           # (T, hidden)
            return self.fc(x[:, -1])     # (classes,)

    _TORCH_CLASSES.update(
        AlexNet=AlexNet, BasicBlock=BasicBlock, Bottleneck=Bottleneck, ResNet=ResNet,
        ConvNormActivation=ConvNormActivation, Conv2dNormActivation=Conv2dNormActivation,
        InvertedResidual=InvertedResidual, MobileNetV2=MobileNetV2, DoubleConv=DoubleConv,
        UNet2=UNet2, TextModel=TextModel,
    )
    return _TORCH_CLASSES


_TORCH_CLASSES: dict[str, type] = {}


def alexnet(num_classes: int = 1000) -> Any:
    """torchvision ``alexnet()``: features (Sequential 0..12), avgpool AdaptiveAvgPool2d((6, 6)),
    classifier (Sequential 0..6, Dropouts at 0 and 3). 61,100,840 parameters; the adaptive pool
    makes the count independent of the input size; inputs below 63×63 fail at features.12."""
    return _torch_classes()["AlexNet"](num_classes=num_classes)


def resnet18(num_classes: int = 1000) -> Any:
    """torchvision ``resnet18()``: BasicBlock, layers [2, 2, 2, 2]. 11,689,512 parameters."""
    c = _torch_classes()
    return c["ResNet"](c["BasicBlock"], [2, 2, 2, 2], num_classes=num_classes)


def resnet50(num_classes: int = 1000) -> Any:
    """torchvision ``resnet50()``: Bottleneck (V1.5: stride on conv2), layers [3, 4, 6, 3].
    25,557,032 parameters."""
    c = _torch_classes()
    return c["ResNet"](c["Bottleneck"], [3, 4, 6, 3], num_classes=num_classes)


def mobilenet_v2(num_classes: int = 1000, width_mult: float = 1.0) -> Any:
    """torchvision ``mobilenet_v2()``: features.0 and features.18 are Conv2dNormActivation
    (Sequential of Conv2d, BatchNorm2d, ReLU6), features.1..17 InvertedResidual with ``.conv``;
    the global pool is a function (no module); classifier = Dropout(0.2), Linear.
    3,504,872 parameters (plus 34,112 buffer elements: BatchNorm running stats, and 52
    ``num_batches_tracked`` counters)."""
    return _torch_classes()["MobileNetV2"](num_classes=num_classes, width_mult=width_mult)


def unet2(base: int = 64, in_channels: int = 3, out_channels: int = 1) -> Any:
    """Two-level U-Net: enc1, pool1, enc2, pool2, bottleneck, up2, dec2, up1, dec1, head.
    enc*/dec*/bottleneck are ``DoubleConv`` (an ``nn.Sequential``: Conv2d 3×3 pad 1, ReLU,
    Conv2d, ReLU); up* are ConvTranspose2d(k=2, s=2); skips are ``torch.cat(dim=1)`` [skip, up].
    Widths base, 2·base, 4·base. Every conv keeps the size, so the only condition is that the
    concatenations match: H and W divisible by 4 (other sizes fail in ``torch.cat``, i.e. in
    the root module, after ``up2`` or ``up1``). Parameters: :func:`unet2_params`."""
    return _torch_classes()["UNet2"](base, in_channels, out_channels)


def text_model_torch(vocab: int, embed: int, hidden: int, classes: int = 2) -> Any:
    """Embedding(vocab, embed) → LSTM(embed, hidden, batch_first=True) → GRU(hidden, hidden,
    batch_first=True) → Linear(hidden, classes) **on the last time step** (output (classes,)).
    Input: integer tokens of shape (T,). Attribute names: embedding, lstm, gru, fc."""
    return _torch_classes()["TextModel"](vocab, embed, hidden, classes)


def transformer_block_torch(d_model: int, nhead: int, dim_ff: int, dropout: float = 0.1) -> Any:
    """``nn.TransformerEncoderLayer(d_model, nhead, dim_ff, dropout, batch_first=True)``
    (post-norm, ReLU as a function). Input (T, d_model). Modules: self_attn (with
    self_attn.out_proj, never called as a module), linear1, dropout, linear2, norm1, norm2,
    dropout1, dropout2. ``self_attn`` holds in_proj_weight/in_proj_bias itself, so the leaf
    modules do not add up to the total here."""
    import torch.nn as nn

    return nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=dim_ff, dropout=dropout,
                                      batch_first=True)


# --------------------------------------------------------------------------- torch facts
def _tensor_shape(x: Any) -> Shape | None:
    """Batch-less shape of a tensor, or of the first tensor in a (nested) tuple/list or in a
    Hugging Face ModelOutput (a dict of its fields in order: logits, last_hidden_state)."""
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return tuple(int(d) for d in x.shape[1:])
    if hasattr(x, "to_tuple"):
        x = x.to_tuple()
    if isinstance(x, (tuple, list)):
        for item in x:
            shape = _tensor_shape(item)
            if shape is not None:
                return shape
    return None


def _shape_list(input_shapes: Any) -> list[Shape]:
    shapes = list(input_shapes)
    if shapes and all(isinstance(d, int) for d in shapes):
        return [tuple(shapes)]
    return [tuple(s) for s in shapes]


@contextlib.contextmanager
def _no_mha_fastpath() -> Iterator[None]:
    """Eval-mode TransformerEncoderLayer / MultiheadAttention take a fused fast path that
    bypasses their submodules (no hooks would fire); turn it off for the facts run."""
    import torch

    mha = getattr(torch.backends, "mha", None)
    if mha is None or not hasattr(mha, "set_fastpath_enabled"):
        yield
        return
    before = mha.get_fastpath_enabled()
    mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        mha.set_fastpath_enabled(before)


def torch_layer_facts(model: Any, input_shapes: Any,
                      input_dtype: str | None = None) -> dict[str, Any]:
    """Run ``model`` (eval mode, no_grad) once on zeros of shape ``(2,) + shape`` for each
    shape in ``input_shapes`` (one batch-less, channels-first shape, or a list of them) and
    return facts for every module in ``named_modules()`` order (the root, name ``""``, is left
    out: its numbers are the totals). Each entry::

        {"type": class name, "leaf": no child modules,
         "output_shapes": [shape per call], "input_shapes": [shape of the first tensor
         argument per call], "params", "trainable", "buffers" (recursive, shared tensors
         counted once), "own_params" (registered directly on the module),
         "weights": {dotted name: shape} (recursive), "buffer_shapes": {name: shape}}

    Totals: ``params``, ``trainable``, ``buffers``; ``output_shape`` is the model's output
    (first tensor if it returns a tuple). Input dtype: int64 if the first leaf module is an
    Embedding/EmbeddingBag, else float32 (override with ``input_dtype``). Any exception
    becomes :class:`FrameworkError` with ``.layer`` = the innermost module that was running
    (``None`` for the root) and ``.after`` = the last module that had finished."""
    import torch

    shapes = _shape_list(input_shapes)
    modules = list(model.named_modules())
    if input_dtype is None:
        first_leaf = next((m for _, m in modules if not any(True for _ in m.children())), None)
        input_dtype = ("int64" if type(first_leaf).__name__ in ("Embedding", "EmbeddingBag")
                       else "float32")
    dtype = getattr(torch, input_dtype)
    names = {id(m): n for n, m in modules}
    calls: dict[str, dict[str, list[Shape | None]]] = {
        n: {"output_shapes": [], "input_shapes": []} for n, _ in modules}
    running: list[str] = []
    finished: list[str] = []

    def pre_hook(module: Any, args: Any) -> None:
        name = names[id(module)]
        running.append(name)
        calls[name]["input_shapes"].append(_tensor_shape(args))

    def post_hook(module: Any, args: Any, output: Any) -> None:
        name = names[id(module)]
        if running and running[-1] == name:
            running.pop()
        finished.append(name)
        calls[name]["output_shapes"].append(_tensor_shape(output))

    handles = []
    was_training = model.training
    try:
        for _, m in modules:
            handles.append(m.register_forward_pre_hook(pre_hook))
            handles.append(m.register_forward_hook(post_hook))
        model.eval()
        xs = [torch.zeros((2,) + s, dtype=dtype) for s in shapes]
        with torch.no_grad(), _no_mha_fastpath():
            out = model(*xs)
    except Exception as exc:  # noqa: BLE001 - everything becomes FrameworkError
        raise _torch_error(exc, model, running, finished) from exc
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)

    layers: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for name, m in modules:
        if name == "":
            continue
        params = list(m.named_parameters())
        buffers = list(m.named_buffers())
        layers[name] = {
            "type": type(m).__name__,
            "leaf": not any(True for _ in m.children()),
            "output_shapes": calls[name]["output_shapes"],
            "input_shapes": calls[name]["input_shapes"],
            "params": sum(p.numel() for _, p in params),
            "trainable": sum(p.numel() for _, p in params if p.requires_grad),
            "buffers": sum(b.numel() for _, b in buffers),
            "own_params": sum(p.numel() for p in m.parameters(recurse=False)),
            "weights": {n: tuple(p.shape) for n, p in params},
            "buffer_shapes": {n: tuple(b.shape) for n, b in buffers},
        }
    params = list(model.parameters())
    return {
        "layers": layers,
        "params": sum(p.numel() for p in params),
        "trainable": sum(p.numel() for p in params if p.requires_grad),
        "buffers": sum(b.numel() for b in model.buffers()),
        "input_shapes": shapes,
        "output_shape": _tensor_shape(out),
    }


def _torch_error(exc: Exception, model: Any, running: list[str],
                 finished: list[str]) -> FrameworkError:
    from frameworks import _ANSI

    failing = running[-1] if running else None
    layer = failing or None  # the root ("") is not a named module
    after = finished[-1] if finished else None
    if layer is not None:
        where = f"module {layer!r} ({type(model.get_submodule(layer)).__name__})"
    else:
        where = f"{type(model).__name__}.forward"
    if after is not None:
        where += f" after {after!r}"
    err = FrameworkError(f"{where}: {_ANSI.sub('', str(exc))}", type(exc).__name__)
    err.layer = layer  # type: ignore[attr-defined]
    err.after = after  # type: ignore[attr-defined]
    return err


# --------------------------------------------------------------------------- keras models
def _keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    if keras.backend.backend() != "torch":
        raise FrameworkError(f"keras backend is {keras.backend.backend()!r}, expected 'torch'")
    return keras


def _failing_keras_layer(exc: BaseException, keras: Any) -> Any:
    """The innermost keras layer (not a Model) whose method is on the traceback of ``exc``
    or of an exception it was raised from."""
    found = None
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        tb = e.__traceback__
        while tb is not None:
            obj = tb.tb_frame.f_locals.get("self")
            if isinstance(obj, keras.layers.Layer) and not isinstance(obj, keras.Model):
                found = obj
            tb = tb.tb_next
        if found is not None:
            return found
        e = e.__cause__ or e.__context__
    return None


@contextlib.contextmanager
def _zero_keras_init() -> Iterator[None]:
    """Create Keras weights as zeros instead of random numbers while building.

    Keras's torch backend draws random initial values slowly (about 11 s for VGG16's 138M
    weights on this 2-core machine, nearly all in ``backend.torch.random.uniform``), and no
    fact gathered here depends on the values: shapes and counts are unchanged. The
    backend's uniform/normal/truncated_normal are swapped for zeros of the requested shape
    and dtype, and restored afterwards (if keras 3's layout differs, nothing is patched)."""
    try:
        import torch
        from keras.src.backend.torch import core as tcore
        from keras.src.backend.torch import random as trandom
    except ImportError:
        yield
        return
    import keras

    def zeros(shape: Any, _a: Any = None, _b: Any = None, dtype: Any = None, seed: Any = None,
              **_: Any) -> Any:
        dtype = tcore.to_torch_dtype(dtype or keras.config.floatx())
        return torch.zeros(tuple(int(d) for d in shape), dtype=dtype, device=tcore.get_device())

    names = [n for n in ("uniform", "normal", "truncated_normal") if hasattr(trandom, n)]
    saved = {n: getattr(trandom, n) for n in names}
    for n in names:
        setattr(trandom, n, zeros)
    try:
        yield
    finally:
        for n, fn in saved.items():
            setattr(trandom, n, fn)


def _keras_built(build: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for Keras builders: fresh session (deterministic names), weights created as
    zeros (:func:`_zero_keras_init`), and failures as FrameworkError naming the layer.
    Traceback filtering is switched off while building so that the failing layer can be found
    on the traceback (for shape errors raised while a model is defined the message is the same
    either way)."""
    import functools
    import inspect

    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        keras = _keras()
        keras.backend.clear_session()
        filtering = keras.config.is_traceback_filtering_enabled()
        keras.config.disable_traceback_filtering()
        try:
            with _zero_keras_init():
                return build(keras, *args, **kwargs)
        except FrameworkError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise _keras_error(exc, keras) from exc
        finally:
            if filtering:
                keras.config.enable_traceback_filtering()

    sig = inspect.signature(build)
    wrapper.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=list(sig.parameters.values())[1:])  # hide the injected `keras`
    return wrapper


def _keras_error(exc: Exception, keras: Any) -> FrameworkError:
    from frameworks import _ANSI

    layer = _failing_keras_layer(exc, keras)
    msg = _ANSI.sub("", str(exc))
    if layer is not None:
        msg = f"layer {layer.name!r} ({type(layer).__name__}): {msg}"
    err = FrameworkError(msg, type(exc).__name__)
    err.layer = None if layer is None else layer.name  # type: ignore[attr-defined]
    return err


@_keras_built
def vgg16_keras(keras: Any, H: int = 224, W: int = 224, include_top: bool = True) -> Any:
    """``keras.applications.VGG16(weights=None, include_top=..., input_shape=(H, W, 3))``.

    Keras checks H, W ≥ 32 itself ("Input size must be at least 32x32"). With
    include_top=True the Flatten → fc1 Dense ties the parameter count to the input size:
    138,357,544 only at 224×224 (fc1 has (512·⌊H/32⌋·⌊W/32⌋)·4096 + 4096 parameters); with
    weights=None Keras builds any other size ≥ 32 and the count changes. include_top=False
    (no fc layers; 14,714,688 parameters) works at every size ≥ 32."""
    return keras.applications.VGG16(weights=None, include_top=include_top,
                                    input_shape=(H, W, 3))


@_keras_built
def mobilenet_v2_keras(keras: Any, H: int = 224, W: int = 224, include_top: bool = True,
                       alpha: float = 1.0) -> Any:
    """``keras.applications.MobileNetV2(weights=None, input_shape=(H, W, 3), include_top=...)``.
    3,538,984 parameters (34,112 of them non-trainable BatchNorm moving statistics) at every
    input size: global average pooling precedes the classifier. Keras requires H, W ≥ 32;
    with weights=None any size ≥ 32, square or not, is accepted (the sizes 96, 128, 160, 192,
    224 only matter for loading imagenet weights, and only choose the model's name suffix)."""
    return keras.applications.MobileNetV2(weights=None, include_top=include_top, alpha=alpha,
                                          input_shape=(H, W, 3))


@_keras_built
def nasnet_mobile_keras(keras: Any, H: int = 224, W: int = 224, include_top: bool = True,
                        input_tensor: bool = False) -> Any:
    """NASNet-A Mobile: ``keras.applications.nasnet.NASNet`` with the arguments
    ``NASNetMobile(weights=None)`` passes (penultimate_filters 1056, 4 blocks, stem 32
    filters, skip_reduction=False, filter multiplier 2, default size 224). NASNetMobile itself
    raises on the torch backend ("not available with the torch backend at this time due to an
    outstanding bug"); NASNet builds and runs there. 5,326,716 parameters (36,738
    non-trainable) at every size: global average pooling precedes the classifier.

    ``input_tensor=True`` builds it on ``keras.Input(shape=(H, W, 3))`` given as
    ``input_tensor``, which skips keras.applications' "at least 32x32" check (it only looks at
    ``input_shape``), so that the layers themselves meet small sizes: stem_conv1 (3×3, 'valid')
    refuses H or W < 3. ``_adjust_block`` decides from the built shapes: where p and ip have
    equal widths (W ≤ 18 at the last normal stage, smaller W earlier) it projects p with a 1×1
    convolution instead of reducing it, a different model."""
    from keras.src.applications import nasnet

    tensor = keras.Input(shape=(H, W, 3)) if input_tensor else None
    return nasnet.NASNet(input_shape=None if input_tensor else (H, W, 3), input_tensor=tensor,
                         penultimate_filters=1056, num_blocks=4, stem_block_filters=32,
                         skip_reduction=False, filter_multiplier=2, include_top=include_top,
                         weights=None, default_size=224, name="nasnet_mobile")


@_keras_built
def lenet5_keras(keras: Any, H: int = 32, W: int = 32, activation: str = "tanh",
                 num_classes: int = 10) -> Any:
    """Sequential LeNet-5, channels-last input (H, W, 1): Conv2D(6, 5, act), MaxPooling2D(2),
    Conv2D(16, 5, act), MaxPooling2D(2), Flatten, Dense(120, act), Dense(84, act),
    Dense(num_classes). 61,706 parameters at 32×32. Too small an input fails while building
    (the Conv2D or MaxPooling2D that refuses is named)."""
    L = keras.layers
    return keras.Sequential([
        keras.Input(shape=(H, W, 1)),
        L.Conv2D(6, 5, activation=activation),
        L.MaxPooling2D(2),
        L.Conv2D(16, 5, activation=activation),
        L.MaxPooling2D(2),
        L.Flatten(),
        L.Dense(120, activation=activation),
        L.Dense(84, activation=activation),
        L.Dense(num_classes),
    ], name="lenet5")


@_keras_built
def text_model_keras(keras: Any, vocab: int, embed: int, hidden: int, classes: int = 2,
                     seq_len: int = 16) -> Any:
    """Input((seq_len,), int32) → Embedding(vocab, embed) → LSTM(hidden,
    return_sequences=True) → GRU(hidden) (last step) → Dense(classes). Parameters:
    :func:`text_model_params` (framework="keras")."""
    L = keras.layers
    tokens = keras.Input(shape=(seq_len,), dtype="int32")
    x = L.Embedding(vocab, embed)(tokens)
    x = L.LSTM(hidden, return_sequences=True)(x)
    x = L.GRU(hidden)(x)
    out = L.Dense(classes)(x)
    return keras.Model(tokens, out, name="text_model")


@_keras_built
def unet2_keras(keras: Any, base: int = 64, H: int = 64, W: int = 64, in_channels: int = 3,
                out_channels: int = 1) -> Any:
    """Keras twin of :func:`unet2` (input (H, W, in_channels)): Conv2D(3, "same", relu) pairs,
    MaxPooling2D(2), Conv2DTranspose(k=2, s=2), Concatenate()([skip, up]), 1×1 Conv2D head.
    Same parameter count as the torch model. H, W not divisible by 4 fail in a Concatenate
    ("requires inputs with matching shapes except for the concatenation axis")."""
    L = keras.layers
    b = base

    def double(x: Any, f: int) -> Any:
        x = L.Conv2D(f, 3, padding="same", activation="relu")(x)
        return L.Conv2D(f, 3, padding="same", activation="relu")(x)

    inp = keras.Input(shape=(H, W, in_channels))
    s1 = double(inp, b)
    s2 = double(L.MaxPooling2D(2)(s1), 2 * b)
    x = double(L.MaxPooling2D(2)(s2), 4 * b)
    x = L.Conv2DTranspose(2 * b, 2, strides=2)(x)
    x = double(L.Concatenate()([s2, x]), 2 * b)
    x = L.Conv2DTranspose(b, 2, strides=2)(x)
    x = double(L.Concatenate()([s1, x]), b)
    out = L.Conv2D(out_channels, 1)(x)
    return keras.Model(inp, out, name="unet2")


@_keras_built
def transformer_block_keras(keras: Any, d_model: int, heads: int, dim_ff: int,
                            seq_len: int = 16, dropout: float = 0.1) -> Any:
    """Post-norm encoder block on (seq_len, d_model), the Keras twin of
    ``nn.TransformerEncoderLayer``: MultiHeadAttention(heads, key_dim=d_model // heads)(x, x)
    → Dropout → Add → LayerNormalization(epsilon=1e-5) → Dense(dim_ff, relu) → Dropout →
    Dense(d_model) → Dropout → Add → LayerNormalization. Parameters:
    :func:`transformer_block_params` (the same as torch's when heads divides d_model).
    Layers are named as in examples/transformer_block_keras.arch (the auto names would follow
    the order layers are made in, which nested calls scramble)."""
    L = keras.layers
    x = inp = keras.Input(shape=(seq_len, d_model))
    attn = L.MultiHeadAttention(num_heads=heads, key_dim=d_model // heads,
                                name="attention")(x, x)
    attn = L.Dropout(dropout, name="attention_dropout")(attn)
    x = L.LayerNormalization(epsilon=1e-5, name="norm1")(L.Add(name="residual1")([x, attn]))
    ff = L.Dense(dim_ff, activation="relu", name="ff1")(x)
    ff = L.Dropout(dropout, name="ff_dropout")(ff)
    ff = L.Dense(d_model, name="ff2")(ff)
    ff = L.Dropout(dropout, name="output_dropout")(ff)
    x = L.LayerNormalization(epsilon=1e-5, name="norm2")(L.Add(name="residual2")([x, ff]))
    return keras.Model(inp, x, name="transformer_block")


# --------------------------------------------------------------------------- keras facts
def _size(w: Any) -> int:
    n = 1
    for d in w.shape:
        n *= int(d)
    return n


def keras_layer_facts(model: Any) -> dict[str, Any]:
    """Facts for every layer of a built functional or Sequential Keras model, in
    ``model.layers`` order (InputLayers left out; their shapes are ``input_shapes``)::

        {"type", "output_shapes": [shape per application in the model's graph],
         "input_shapes": [shape of the first input tensor per application],
         "params", "trainable", "non_trainable", "weights": {short name: shape}}

    Symbolic shapes are read from the model's graph; then one real forward pass
    (``training=False``) on zeros of batch 2 computes every application's output, and a
    symbolic/real mismatch is a :class:`FrameworkError`. Totals: ``params``, ``trainable``,
    ``non_trainable``, ``output_shape``. ``weights`` uses the variable's short name
    (``kernel``, ``moving_mean``), or its path inside the layer when short names repeat
    (MultiHeadAttention: ``query/kernel``; LSTM: ``lstm_cell/kernel``)."""
    keras = _keras()
    import numpy as np

    graph = getattr(model, "_functional", None) or model
    nodes_by_depth = getattr(graph, "_nodes_by_depth", None)
    if nodes_by_depth is None:
        raise FrameworkError(f"{model.name}: not a built functional/Sequential model",
                             "NotBuilt")
    applications: dict[int, list[Any]] = {}
    for depth in sorted(nodes_by_depth, reverse=True):  # inputs first
        for node in nodes_by_depth[depth]:
            applications.setdefault(id(node.operation), []).append(node)

    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    probes: list[tuple[str, Any]] = []  # (layer name, symbolic output) per application
    for layer in layers:
        for node in applications.get(id(layer), []):
            probes.append((layer.name, node.outputs[0]))

    inputs = list(graph.inputs)
    try:
        xs = [np.zeros((2,) + tuple(int(d) for d in t.shape[1:]), dtype=t.dtype)
              for t in inputs]
        probe = keras.Model(inputs, [t for _, t in probes] + list(graph.outputs))
        real = probe(xs, training=False)
    except FrameworkError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _keras_error(exc, keras) from exc
    real = list(real) if isinstance(real, (list, tuple)) else [real]

    facts: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for layer in layers:
        names = [w.name for w in layer.weights]
        if len(set(names)) != len(names):
            names = [w.path.removeprefix(layer.name + "/") for w in layer.weights]
        facts[layer.name] = {
            "type": type(layer).__name__,
            "output_shapes": [],
            "input_shapes": [tuple(node.input_tensors[0].shape[1:])
                             if node.input_tensors else None
                             for node in applications.get(id(layer), [])],
            "params": int(layer.count_params()) if layer.built else 0,
            "trainable": sum(_size(w) for w in layer.trainable_weights),
            "non_trainable": sum(_size(w) for w in layer.non_trainable_weights),
            "weights": {n: tuple(int(d) for d in w.shape) for n, w in zip(names, layer.weights)},
        }
    for (name, sym), value in zip(probes, real):
        sym_shape = tuple(sym.shape[1:])
        real_shape = tuple(int(d) for d in value.shape[1:])
        if sym_shape != real_shape:
            raise FrameworkError(f"layer {name!r}: symbolic shape {sym_shape} != real shape "
                                 f"{real_shape}", "ShapeMismatch")
        facts[name]["output_shapes"].append(real_shape)

    outputs = real[len(probes):]
    out_shapes = [tuple(int(d) for d in v.shape[1:]) for v in outputs]
    return {
        "layers": facts,
        "params": int(model.count_params()),
        "trainable": sum(_size(w) for w in model.trainable_weights),
        "non_trainable": sum(_size(w) for w in model.non_trainable_weights),
        "input_shapes": [tuple(int(d) for d in t.shape[1:]) for t in inputs],
        "output_shape": out_shapes[0] if len(out_shapes) == 1 else out_shapes,
    }
