"""`symconv import model.onnx` on torchvision models exported by torch.onnx.export (issue 19).

Each model (weights=None) is exported once per session with torch's TorchScript exporter
(`dynamo=False`: 1.5 s for resnet18 against 7 s for the dynamo one, which also folds each
BatchNorm into its convolution), in eval mode with training=PRESERVE and no constant folding,
so that BatchNormalization stays an operator, and with the height and width as dynamic axes,
whose names become the file's sizes. Expected values come from torch (the parameter count) and
from ONNX Runtime: the output of a real inference at sampled sizes, and the formulas of its
symbolic shape inference for every node's output, evaluated at the same sizes.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")
models = pytest.importorskip("torchvision.models")

import numpy as np  # noqa: E402
import sympy  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from symconv.api import derive  # noqa: E402
from symconv.cli import main  # noqa: E402
from symconv.errors import SymconvError  # noqa: E402
from symconv.importing import import_onnx  # noqa: E402

ALL = pytest.mark.skipif(not os.environ.get("SYMCONV_IMPORT_ALL"),
                         reason="SYMCONV_IMPORT_ALL=1 runs the full list")
# model, exported with free height and width, the other size sampled beside 224×224
MODELS = [
    pytest.param("resnet18", (225, 193), id="resnet18"),
    pytest.param("mobilenet_v2", (225, 193), id="mobilenet_v2"),
    pytest.param("squeezenet1_1", (225, 193), id="squeezenet1_1"),
    pytest.param("densenet121", (225, 193), id="densenet121", marks=ALL),
    pytest.param("mobilenet_v3_small", (225, 193), id="mobilenet_v3_small", marks=ALL),
    pytest.param("efficientnet_b0", (225, 193), id="efficientnet_b0", marks=ALL),
    pytest.param("googlenet", (225, 193), id="googlenet", marks=ALL),
]
# AdaptiveAvgPool2d((6, 6)) / ((7, 7)) has no ONNX operator for a free input size (the exporter
# refuses it): these are exported at 224×224 and imported with --input "(3, H, W)"; the file
# then holds the exporter's 1×1 average pool and the Linear's fixed width, true at 224 only
FIXED = [pytest.param("alexnet", id="alexnet"),
         pytest.param("vgg11_bn", id="vgg11_bn", marks=ALL)]
KWARGS = {"googlenet": {"aux_logits": False, "init_weights": False}}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int]]:
    return {}


def _export(name: str, cache: dict[str, tuple[Path, int]], free: bool,
            factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The model's ONNX file and torch's parameter count, exported once per session."""
    if name not in cache:
        model = getattr(models, name)(weights=None, **KWARGS.get(name, {})).eval()
        path = factory.mktemp("onnx") / f"{name}.onnx"
        axes = {"input": {0: "batch", 2: "height", 3: "width"} if free else {0: "batch"},
                "output": {0: "batch"}}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's deprecation notice
            torch.onnx.export(model, (torch.zeros(1, 3, 224, 224),), str(path), dynamo=False,
                              input_names=["input"], output_names=["output"],
                              dynamic_axes=axes, do_constant_folding=False,
                              training=torch.onnx.TrainingMode.PRESERVE)
        cache[name] = (path, sum(p.numel() for p in model.parameters()))
    return cache[name]


def _runtime_shape(path: Path, h: int, w: int) -> tuple[int, ...]:
    """The output shape ONNX Runtime computes on zeros, batch axis left out."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: np.zeros((1, 3, h, w), dtype=np.float32)}
    return tuple(session.run(None, feed)[0].shape[1:])


def _shape(record: Any) -> tuple[int, ...]:
    return tuple(int(e) for e in record.output_shape)


@pytest.mark.parametrize("size", ["224x224", "other"])
@pytest.mark.parametrize("name, other", MODELS)
def test_imported_model_matches_torch_and_onnxruntime(
        name: str, other: tuple[int, int], size: str, exported: dict[str, tuple[Path, int]],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    path, params = _export(name, exported, True, tmp_path_factory)
    h, w = (224, 224) if size == "224x224" else other
    derived = derive(import_onnx(str(path), []), subs={"height": h, "width": w})
    assert int(derived.params) == params
    assert _shape(derived.layers[-1]) == _runtime_shape(path, h, w)


def _inferred_dims(path: Path) -> dict[str, list[str | int]]:
    """Each node's first output, as ONNX Runtime's symbolic shape inference gives it."""
    from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference

    model = SymbolicShapeInference.infer_shapes(onnx.load(str(path)), auto_merge=True)
    values = {v.name: v for v in list(model.graph.value_info) + list(model.graph.output)}
    dims: dict[str, list[str | int]] = {}
    for node in model.graph.node:
        value = values.get(node.output[0])
        if value is not None:
            dims[node.name] = [d.dim_param or d.dim_value
                               for d in value.type.tensor_type.shape.dim][1:]
    return dims


def _evaluate(formula: str | int, h: int, w: int) -> int:
    """ONNX Runtime's formula text (the test's own data, not user text) at a size."""
    if isinstance(formula, int):
        return formula
    names = {"height": sympy.Symbol("height"), "width": sympy.Symbol("width"),
             "floor": sympy.floor, "ceiling": sympy.ceiling, "Max": sympy.Max, "Min": sympy.Min}
    return int(sympy.sympify(formula, locals=names).subs({names["height"]: h,
                                                          names["width"]: w}))


def _at(extent: Any, h: int, w: int) -> int:
    """One of our symbolic extents at a size (its symbols matched by name)."""
    values = {"height": h, "width": w}
    return int(sympy.sympify(extent).xreplace({s: values[str(s)] for s in
                                               sympy.sympify(extent).free_symbols}))


@pytest.mark.parametrize("name, other", MODELS)
def test_symbolic_shapes_agree_with_onnxruntime_inference(
        name: str, other: tuple[int, int], exported: dict[str, tuple[Path, int]],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every layer named after a node: its symbolic output shape and ONNX Runtime's formula
    give the same numbers at each sampled size (where ONNX Runtime gives a formula)."""
    path, _ = _export(name, exported, True, tmp_path_factory)
    symbolic = derive(import_onnx(str(path), []))
    assert {str(s) for s in symbolic.free_sizes} == {"height", "width"}
    inferred = _inferred_dims(path)
    compared = 0
    for record in symbolic.layers:
        dims = inferred.get(record.name)
        if dims is None or any(isinstance(d, str) and not d for d in dims):
            continue
        for h, w in ((224, 224), other, (97, 65)):
            ours = tuple(_at(e, h, w) for e in record.output_shape)
            assert ours == tuple(_evaluate(d, h, w) for d in dims), (record.name, h, w)
        compared += 1
    convs = sum(1 for r in symbolic.layers if r.type == "Conv2d")
    assert compared >= convs > 0


@pytest.mark.parametrize("name", FIXED)
def test_fixed_size_export_imports_with_named_sizes(
        name: str, exported: dict[str, tuple[Path, int]],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """At 224×224 the counts and the output are torch's and ONNX Runtime's; at 193×225 the
    Linear's fixed width no longer fits, and symconv refuses as ONNX Runtime does."""
    path, params = _export(name, exported, False, tmp_path_factory)
    arch = import_onnx(str(path), [(3, "H", "W")])
    derived = derive(arch, subs={"H": 224, "W": 224})
    assert int(derived.params) == params
    assert _shape(derived.layers[-1]) == _runtime_shape(path, 224, 224)
    with pytest.raises(SymconvError):
        derive(arch, subs={"H": 193, "W": 225})
    with pytest.raises(Exception):  # noqa: B017 (onnxruntime's own error types)
        _runtime_shape(path, 193, 225)
