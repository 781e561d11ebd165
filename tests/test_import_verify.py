"""`symconv verify` passes on the files `symconv import` writes (issue 19).

An imported file is a `.arch` file like any other: verify builds it again in the framework its
convention names, runs it at sampled sizes (and just outside its domain) and compares every
layer with what symconv derives. The models are real ones nobody here wrote: torchvision's
(weights=None) and keras.applications' (weights=None, saved as `.keras` and read as data). CI
verifies a few; SYMCONV_IMPORT_ALL=1 verifies every model the import tests import.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import symconv
from symconv.importing import import_keras

ALL = bool(os.environ.get("SYMCONV_IMPORT_ALL"))
_FULL = pytest.mark.skipif(not ALL, reason="SYMCONV_IMPORT_ALL=1 verifies the full list")

# torchvision model → its factory's keyword arguments beside weights=None
TORCH = {"resnet18": {}, "squeezenet1_1": {}, "vit_b_16": {}}
TORCH_MORE = {"resnet50": {}, "alexnet": {}, "vgg11_bn": {}, "mobilenet_v2": {},
              "densenet121": {}, "googlenet": {"aux_logits": False, "init_weights": False},
              "efficientnet_b0": {}, "regnet_y_400mf": {}, "mobilenet_v3_small": {},
              "mnasnet1_0": {}, "shufflenet_v2_x1_0": {}, "convnext_tiny": {}}
FREE = (None, None, 3)
# keras.applications model → its builder and the --input it is imported with (None: the model's
# own fixed size)
KERAS: dict[str, tuple[Any, tuple[Any, ...] | None]] = {
    "MobileNetV2-top-96": (lambda a: a.MobileNetV2(weights=None, input_shape=(96, 96, 3),
                                                   alpha=0.35), None),
    # a nested model, written as a block: Keras names it `mobilenetv2_0.35_96`, with a dot
    "transfer-learning": (lambda a: _transfer(a), ("H", "W", 3)),
}
KERAS_MORE: dict[str, tuple[Any, tuple[Any, ...] | None]] = {
    "VGG16": (lambda a: a.VGG16(weights=None, include_top=False, input_shape=FREE),
              ("H", "W", 3)),
    "ResNet50": (lambda a: a.ResNet50(weights=None, include_top=False, input_shape=FREE),
                 ("H", "W", 3)),
    "DenseNet121": (lambda a: a.DenseNet121(weights=None, include_top=False, input_shape=FREE),
                    ("H", "W", 3)),
    "Xception": (lambda a: a.Xception(weights=None, include_top=False, input_shape=FREE),
                 ("H", "W", 3)),
    "MobileNetV2": (lambda a: a.MobileNetV2(weights=None, include_top=False, input_shape=FREE),
                    ("H", "W", 3)),
    "EfficientNetB0": (lambda a: a.EfficientNetB0(weights=None, include_top=False,
                                                  input_shape=FREE), ("H", "W", 3)),
}


def _transfer(applications: Any) -> Any:
    """The transfer-learning pattern: a backbone without its top, pooled, a new classifier."""
    import keras

    base = applications.MobileNetV2(weights=None, include_top=False, input_shape=(96, 96, 3),
                                    alpha=0.35)
    x = keras.Input((96, 96, 3))
    y = keras.layers.Dense(10)(keras.layers.GlobalAveragePooling2D()(base(x)))
    return keras.Model(x, y, name="transfer")


def _params(table: dict[str, Any], more: dict[str, Any]) -> list[Any]:
    return [pytest.param(n, id=n) for n in table] + [
        pytest.param(n, id=n, marks=_FULL) for n in more]


def _verified(text: str) -> None:
    report = symconv.verify(text, samples=2, seed=0)
    assert report.ok, report.render()
    assert report.comparisons >= len(report.checked[0].derivation.layers)


@pytest.mark.parametrize("name", _params(TORCH, TORCH_MORE))
def test_an_imported_torchvision_model_verifies(name: str, need_torch: None) -> None:
    models = pytest.importorskip("torchvision.models")
    from symconv.importing import import_module

    kwargs = {**TORCH, **TORCH_MORE}[name]
    model = getattr(models, name)(weights=None, **kwargs).eval()
    _verified(import_module(model, [(3, "H", "W")], network=name))


@pytest.mark.parametrize("name", _params(KERAS, KERAS_MORE))
def test_an_imported_keras_application_verifies(name: str, need_keras: None,
                                                tmp_path: Path) -> None:
    import keras

    build, shape = {**KERAS, **KERAS_MORE}[name]
    path = tmp_path / f"{name}.keras"
    build(keras.applications).save(path)
    _verified(import_keras(str(path), [shape] if shape else []))
