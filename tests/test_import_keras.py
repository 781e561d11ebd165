"""`symconv import` on saved Keras models nobody here wrote (issue 19).

keras.applications models, built with weights=None once per module, are saved both ways
(`model.save("m.keras")` and `model.to_json()`), imported from each (the two texts are equal),
and derived at two input sizes: every layer's output shape, parameter count and trainable
count, and the model's non-trainable total, equal Keras's own (`compute_output_spec` of a model
giving every layer's output, `count_params()`, `trainable_weights`). Models used as layers
(a backbone, a Sequential block, one applied twice) are compared row by row with Keras's
summary at two sizes. Expected values come from Keras alone (or by hand, for tf.keras 2 JSON).
The import itself reads the files as data and runs no Keras code.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

keras = pytest.importorskip("keras")

from symconv.api import derive  # noqa: E402
from symconv.cli import main  # noqa: E402
from symconv.importing import import_keras  # noqa: E402

pytestmark = pytest.mark.usefixtures("need_keras")

FREE = (None, None, 3)  # an application built for any input size: (H, W, 3) names both
# model id → (builder, --input, the second size it is compared at besides 224×224; None:
# fixed-size model imported without --input, compared at its own size)
APPS: dict[str, tuple[Any, tuple[Any, ...] | None, tuple[int, int] | None]] = {
    "VGG16": (lambda a: a.VGG16(weights=None, include_top=False, input_shape=FREE),
              ("H", "W", 3), (65, 97)),
    "ResNet50": (lambda a: a.ResNet50(weights=None, include_top=False, input_shape=FREE),
                 ("H", "W", 3), (65, 33)),
    "MobileNetV2": (lambda a: a.MobileNetV2(weights=None, include_top=False, input_shape=FREE),
                    ("H", "W", 3), (65, 33)),
    "DenseNet121": (lambda a: a.DenseNet121(weights=None, include_top=False, input_shape=FREE),
                    ("H", "W", 3), (97, 65)),
    "EfficientNetB0": (lambda a: a.EfficientNetB0(weights=None, include_top=False,
                                                  input_shape=FREE), ("H", "W", 3), (65, 33)),
    "Xception": (lambda a: a.Xception(weights=None, include_top=False, input_shape=FREE),
                 ("H", "W", 3), (97, 75)),
    # with its classifier, built for 96×96: the input's shape is fixed, no --input needed
    "MobileNetV2-top-96": (lambda a: a.MobileNetV2(weights=None, input_shape=(96, 96, 3),
                                                   alpha=0.35), None, None),
}
CASES = [pytest.param(name, size, id=f"{name}-{size if APPS[name][2] else 'own-size'}")
         for name in APPS for size in ("224x224", "other")
         if APPS[name][2] is not None or size == "224x224"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, str]]:
    """Built, saved and imported once per model: the model and its .arch text."""
    return {"dir": tmp_path_factory.mktemp("keras")}  # type: ignore[dict-item]


def _model_and_arch(name: str, cache: dict[str, Any]) -> tuple[Any, str]:
    if name not in cache:
        build, shape, _ = APPS[name]
        model = build(keras.applications)
        folder: Path = cache["dir"]
        (folder / f"{name}.json").write_text(model.to_json(), encoding="utf-8")
        model.save(folder / f"{name}.keras")
        given = [shape] if shape else []
        texts = [import_keras(str(folder / f"{name}.{ext}"), given) for ext in ("keras", "json")]
        assert texts[0] == texts[1]
        cache[name] = (model, texts[0])
    return cache[name]


def _count(weights: list[Any]) -> int:
    return sum(math.prod(w.shape) for w in weights)


def _keras_layers(model: Any, size: tuple[int, ...]) -> dict[str, tuple[object, ...]]:
    """Each layer's output shape at `size` (batch left out), parameters and trainable ones,
    as Keras computes them (its shape inference, no forward pass)."""
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    probe = keras.Model(model.inputs, [layer.output for layer in layers])
    specs = probe.compute_output_spec(keras.KerasTensor((1, *size)))
    return {layer.name: (tuple(spec.shape[1:]), layer.count_params(),
                         _count(layer.trainable_weights)) for layer, spec in zip(layers, specs)}


def _derived_layers(derived: Any) -> dict[str, tuple[object, ...]]:
    out: dict[str, tuple[object, ...]] = {}
    for r in derived.layers:
        out.setdefault(r.name, (tuple(int(e) for e in r.output_shape), int(r.params),
                                int(r.trainable)))
    return out


@pytest.mark.parametrize("name, size", CASES)
def test_imported_application_matches_keras(name: str, size: str,
                                            saved: dict[str, Any]) -> None:
    model, arch = _model_and_arch(name, saved)
    _, shape, other = APPS[name]
    h, w = (224, 224) if size == "224x224" else other  # type: ignore[misc]
    if shape is None:
        h, w = model.input_shape[1:3]
    derived = derive(arch, subs={"H": h, "W": w} if shape else None)
    expected = _keras_layers(model, (h, w, 3))
    got = _derived_layers(derived)
    assert {k: got.get(k) for k in expected} == expected
    assert len(got) == len(expected)
    assert int(derived.params) == model.count_params()
    assert int(derived.non_trainable) == _count(model.non_trainable_weights)


@pytest.mark.parametrize("name", [n for n in APPS if APPS[n][1]])
def test_imported_application_derives_symbolically(name: str, saved: dict[str, Any],
                                                   tmp_path: Path) -> None:
    _, arch = _model_and_arch(name, saved)
    symbolic = derive(arch)
    assert {str(s) for s in symbolic.free_sizes} == {"H", "W"}
    path = tmp_path / f"{name}.arch"
    path.write_text(arch, encoding="utf-8")
    assert [(r.name, r.output_shape, r.params) for r in derive(path).layers] == [
        (r.name, r.output_shape, r.params) for r in symbolic.layers]


# lines the file must hold, as keras/src/applications writes the layers
WRITTEN = [
    pytest.param("VGG16", ['Conv2D(64, 3, padding="same", activation="relu", '
                           'name="block1_conv1")', "input (H, W, 3)", "sizes H, W",
                           # MaxPooling2D((2, 2), strides=(2, 2)): both the defaults
                           'MaxPooling2D(name="block1_pool")'], id="VGG16"),
    pytest.param("ResNet50", ['Add(name="conv2_block1_add")([conv2_block1_0_bn, '
                              'conv2_block1_3_bn])',
                              'Conv2D(64, 7, strides=2, name="conv1_conv")',
                              # padding=((1, 1), (1, 1)) is the default, (1, 1)
                              'ZeroPadding2D(name="pool1_pad")'], id="ResNet50"),
    pytest.param("MobileNetV2-top-96", ["input (96, 96, 3)",
                                        'Dense(1000, activation="softmax", name="predictions")'],
                 id="MobileNetV2-top"),
]


@pytest.mark.parametrize("name, lines", WRITTEN)
def test_the_file_reads_as_keras_writes_the_model(name: str, lines: list[str],
                                                  saved: dict[str, Any]) -> None:
    _, arch = _model_and_arch(name, saved)
    assert [line for line in lines if line not in arch.splitlines()] == []


def _sequential() -> Any:
    L = keras.layers
    return keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(8, 3, activation="relu"),
                             L.MaxPooling2D(), L.BatchNormalization(), L.Flatten(),
                             L.Dense(10)], name="small_cnn")


def _shared() -> Any:
    """One Dense applied to two inputs (one set of weights), joined; two outputs."""
    L = keras.layers
    a, b = keras.Input((None, 6), name="left"), keras.Input((None, 6), name="right")
    enc = L.Dense(4, name="enc")
    joined = L.Concatenate(name="join")([enc(a), enc(b)])
    return keras.Model([a, b], [L.Dense(2, name="head")(joined), L.Multiply(name="gate")(
        [enc(a), enc(b)])], name="siamese")


def _nested() -> Any:
    """A frozen Sequential inside a functional model: a block, its weights non-trainable."""
    L = keras.layers
    inner = keras.Sequential([L.Conv2D(4, 3, padding="same", name="inner_conv"),
                              L.BatchNormalization(name="inner_bn")], name="stem")
    inner.trainable = False
    x = keras.Input((None, None, 3))
    y = inner(x, training=False)  # as transfer learning calls a frozen base
    y = L.Add(name="skip")([y, L.Conv2D(4, 1, name="side")(x)])
    return keras.Model(x, L.GlobalAveragePooling2D(name="pool")(y), name="outer")


def _channels_first() -> Any:
    L = keras.layers
    x = keras.Input((3, None, None))
    y = L.Conv2D(8, 3, strides=2, padding="same", data_format="channels_first", name="c")(x)
    y = L.MaxPooling2D(data_format="channels_first", name="p")(y)
    z = L.Conv2D(4, 1, data_format="channels_first", name="side")(y)
    y = L.Concatenate(axis=1, name="cat")([y, z])
    return keras.Model(x, L.GlobalAveragePooling2D(data_format="channels_first")(y))


def _nested_last() -> Any:
    """A nested Functional model giving the outer model's output: Keras 3 numbers its call
    from 1 in `output_layers` (its own node first), from 0 in inbound nodes."""
    L = keras.layers
    i = keras.Input((None, 5), name="i")
    shared = L.Dense(5, name="sh")
    inner = keras.Model(i, shared(shared(i)), name="twice_inside")
    x = keras.Input((None, 5))
    return keras.Model(x, inner(x), name="outer")


def _nested_deep() -> Any:
    """A two-input functional model inside the model (a block with `input p, q`) holding a
    Sequential applied twice (shared layers inside the block) and a Sequential holding a
    Sequential (blocks calling blocks)."""
    L = keras.layers
    projection = keras.Sequential([L.Dense(4, name="d4")], name="proj")
    p, q = keras.Input((None, 5), name="p"), keras.Input((None, 5), name="q")
    deep = keras.Sequential([keras.Input((None, 4)), keras.Sequential(
        [L.Dense(3, name="d3")], name="innermost")], name="deep")
    pair = keras.Model([p, q], deep(L.Add(name="sum")([projection(p), projection(q)])),
                       name="pair")
    x, y = keras.Input((None, 5), name="x"), keras.Input((None, 5), name="y")
    return keras.Model([x, y], L.Dense(1, name="out")(pair([x, y])), name="top")


# model, --input shapes, sizes to compare at, the inputs' shapes there
SMALL = [
    pytest.param(_sequential, [], {}, [(28, 28, 1)], id="sequential-fixed"),
    pytest.param(_shared, ["(L, 6)", "(L, 6)"], {"L": 5}, [(5, 6), (5, 6)],
                 id="shared-layer-two-inputs-outputs"),
    pytest.param(_nested, ["(H, W, 3)"], {"H": 9, "W": 7}, [(9, 7, 3)],
                 id="nested-frozen-sequential"),
    pytest.param(_nested_last, ["(L, 5)"], {"L": 3}, [(3, 5)],
                 id="nested-functional-last-with-a-shared-layer"),
    pytest.param(_nested_deep, ["(L, 5)", "(L, 5)"], {"L": 4}, [(4, 5), (4, 5)],
                 id="nested-two-inputs-holding-shared-and-nested-models"),
    pytest.param(_channels_first, ["(3, H, W)"], {"H": 13, "W": 10}, [(3, 13, 10)],
                 id="channels-first-concatenate"),
]


# tf.keras 2's JSON: inbound nodes as [[layer, node, index, kwargs], …], `batch_input_shape`
LEGACY = json.dumps({"class_name": "Functional", "config": {
    "name": "legacy", "layers": [
        {"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 8], "name": "x"}},
        {"class_name": "Dense", "name": "a", "inbound_nodes": [[["x", 0, 0, {}]]],
         "config": {"name": "a", "units": 4, "activation": "relu", "use_bias": True}},
        {"class_name": "Dense", "name": "b", "inbound_nodes": [[["x", 0, 0, {}]]],
         "config": {"name": "b", "units": 4, "activation": "linear", "use_bias": False}},
        {"class_name": "Add", "name": "sum", "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]],
         "config": {"name": "sum"}}],
    "input_layers": [["x", 0, 0]], "output_layers": [["sum", 0, 0]]}})


# the same with the Dense layers inside a nested model: tf.keras 2 numbers a Functional
# model's calls from 1 (node 0 is its own, inputs to outputs), in inbound nodes too
LEGACY_NESTED = json.dumps({"class_name": "Functional", "config": {
    "name": "legacy_outer", "layers": [
        {"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 8], "name": "x"}},
        {**json.loads(LEGACY), "name": "legacy", "inbound_nodes": [[["x", 0, 0, {}]]]},
        {"class_name": "Dense", "name": "out", "inbound_nodes": [[["legacy", 1, 0, {}]]],
         "config": {"name": "out", "units": 2}}],
    "input_layers": [["x", 0, 0]], "output_layers": [["out", 0, 0]]}})


def test_tf_keras_2_json_is_read(tmp_path: Path) -> None:
    source = tmp_path / "legacy.json"
    source.write_text(LEGACY, encoding="utf-8")
    derived = derive(import_keras(str(source), []))
    # by hand: Dense(4) on 8 features is 8·4 + 4 = 36 parameters, without bias 32
    assert [(r.name, tuple(r.output_shape), int(r.params)) for r in derived.layers] == [
        ("a", (4,), 36), ("b", (4,), 32), ("sum", (4,), 0)]


def test_tf_keras_2_json_with_a_nested_model_is_read(tmp_path: Path) -> None:
    source = tmp_path / "legacy.json"
    source.write_text(LEGACY_NESTED, encoding="utf-8")
    arch = import_keras(str(source), [])
    assert "block Legacy():" in arch.splitlines()
    derived = derive(arch)
    # by hand: the block's 36 + 32 parameters, then Dense(2) on 4 features, 4·2 + 2 = 10
    assert [(b.name, int(derived.subtotal(b))) for b in derived.blocks] == [("legacy", 68)]
    assert [(r.name, tuple(r.output_shape)) for r in derived.layers][-1] == ("out", (2,))
    assert int(derived.params) == 78


Rows = dict[str, tuple[list[tuple[int, ...]], int, int]]


def _keras_rows(model: Any, shapes: list[tuple[int, ...]]) -> Rows:
    """Each layer as Keras's summary shows it (name → the output shape of each call, batch
    left out, at input `shapes`; parameters; trainable ones): a nested model applied once is
    one row. One applied several times is given by its layers, as symconv writes it (shared
    layers: the .arch language has no shared blocks). Shapes from Keras's shape inference on
    a model giving every call's output."""
    calls, nested = [], []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        nodes = [n for n in layer._inbound_nodes  # not a nested model's call on its own input
                 if all(id(t) in _reachable(model) for t in n.output_tensors)]
        for node in nodes:
            if isinstance(layer, keras.Model) and len(nodes) > 1:
                nested.append((layer, len(calls), len(node.input_tensors)))
                calls += [(None, t) for t in node.input_tensors]
            else:
                calls.append((layer, node.output_tensors[0]))
    probe = keras.Model(model.inputs, [t for _, t in calls])
    specs = probe.compute_output_spec([keras.KerasTensor((1, *s)) for s in shapes])
    out: Rows = {}
    for (layer, _), spec in zip(calls, specs):
        if layer is not None:
            row = out.setdefault(layer.name, ([], layer.count_params(),
                                              _count(layer.trainable_weights)))
            row[0].append(tuple(spec.shape[1:]))
    for inner, first, count in nested:
        fed = [tuple(spec.shape[1:]) for spec in specs[first:first + count]]
        for name, (found, params, trainable) in _keras_rows(inner, fed).items():
            out.setdefault(name, ([], params, trainable))[0].extend(found)
    return out


def _rows(derived: Any) -> Rows:
    """The rows of symconv's table at depth 1 (a block folded: its instance's name, output
    shape and parameters), as `_keras_rows` gives them."""
    out: Rows = {}
    for block in derived.blocks:
        if len(block.path) == 1:
            out[block.name] = ([tuple(int(e) for e in block.output_shape)],
                               int(derived.subtotal(block)),
                               int(derived.subtotal(block, "trainable")))
    for r in derived.layers:
        if not r.path:
            row = out.setdefault(r.name, ([], int(r.params), int(r.trainable)))
            row[0].append(tuple(int(e) for e in r.output_shape))
    return out


def _reachable(model: Any) -> set[int]:
    """The tensors of the model's own graph (not a nested model's call on its own input)."""
    found: set[int] = set()
    stack = list(model.outputs)
    while stack:
        t = stack.pop()
        if id(t) in found:
            continue
        found.add(id(t))
        node = t._keras_history.operation._inbound_nodes[t._keras_history.node_index]
        stack += list(node.input_tensors)
    return found


@pytest.mark.parametrize("build, inputs, subs, shapes", SMALL)
def test_small_models_match_keras(build: Any, inputs: list[str], subs: dict[str, int],
                                  shapes: list[tuple[int, ...]], tmp_path: Path) -> None:
    model = build()
    source = tmp_path / "m.keras"
    model.save(source)
    out = tmp_path / "m.arch"
    args = ["import", str(source), "-o", str(out)]
    for shape in inputs:
        args += ["--input", shape]
    assert main(args) == 0
    derived = derive(out, subs=subs or None)
    assert int(derived.params) == model.count_params()
    assert int(derived.trainable) == _count(model.trainable_weights)
    assert _rows(derived) == _keras_rows(model, shapes)


def _transfer(h: int, w: int) -> Any:
    """The transfer-learning pattern: a keras.applications backbone called on the model's
    input, then a new head (Keras names the backbone after its default size, 96 here)."""
    L = keras.layers
    base = keras.applications.MobileNetV2(include_top=False, weights=None,
                                          input_shape=(h, w, 3), name="mobilenetv2_1.00_96")
    x = keras.Input((h, w, 3))
    y = L.GlobalAveragePooling2D(name="pool")(base(x))
    return keras.Model(x, L.Dense(10, name="head")(y), name="transfer")


def _siamese(h: int, w: int) -> Any:
    """One small Sequential applied to two inputs: one set of weights (BatchNorm's moving
    statistics non-trainable)."""
    L = keras.layers
    tower = keras.Sequential([L.Conv2D(8, 3, strides=2, name="conv"),
                              L.BatchNormalization(name="bn"), L.ReLU(name="relu")],
                             name="tower")
    a, b = keras.Input((h, w, 3), name="left"), keras.Input((h, w, 3), name="right")
    y = L.Concatenate(name="join")([tower(a), tower(b)])
    return keras.Model([a, b], L.Dense(2, name="head")(L.GlobalAveragePooling2D(name="pool")(y)),
                       name="siamese")


def _sequential_in_sequential(h: int, w: int) -> Any:
    """A Sequential block inside a Sequential model; Flatten makes the head's weights depend
    on the input size."""
    L = keras.layers
    features = keras.Sequential([L.Conv2D(6, 3, name="conv"), L.MaxPooling2D(name="pool")],
                                name="features")
    return keras.Sequential([keras.Input((h, w, 1)), features, L.Flatten(name="flat"),
                             L.Dense(3, name="head")], name="classifier")


# the model at an input size, --input, the size it is built and imported at, another size,
# lines the file must hold
NESTED = [
    pytest.param(_transfer, ["(H, W, 3)"], (96, 96), (128, 160),
                 ["block Mobilenetv2_1_00_96():",
                  '    Conv2D(32, 3, strides=2, padding="same", use_bias=False, name="Conv1")',
                  'Mobilenetv2_1_00_96(name="mobilenetv2_1.00_96")'], id="mobilenetv2-backbone"),
    # a model applied twice: its layers shared (the language has no shared blocks)
    pytest.param(_siamese, ["(H, W, 3)", "(H, W, 3)"], (32, 24), (17, 9),
                 ['shared conv = Conv2D(8, 3, strides=2, name="conv")', "conv(left)",
                  "conv(right)"], id="sequential-applied-twice"),
    pytest.param(_sequential_in_sequential, ["(H, W, 1)"], (28, 28), (13, 21),
                 ["block Features():", '    Conv2D(6, 3, name="conv")', "input (H, W, 1)",
                  'Features(name="features")'], id="sequential-in-sequential"),
]


@pytest.mark.parametrize("build, inputs, built, other, lines", NESTED)
def test_nested_models_fold_as_keras_summary_shows_them(
        build: Any, inputs: list[str], built: tuple[int, int], other: tuple[int, int],
        lines: list[str], tmp_path: Path) -> None:
    """Imported once, at the built size, with the input sizes named; derived at that size
    and at another, where Keras's model is built again (its input shape is fixed): every row
    of the table at depth 1 (a nested model applied once folded into one row) and the totals
    equal Keras's. The text re-derives identically from a file."""
    model = build(*built)
    model.save(tmp_path / "m.keras")
    (tmp_path / "m.json").write_text(model.to_json(), encoding="utf-8")
    given = [tuple(int(e) if e.isdigit() else e for e in i.strip("()").split(", "))
             for i in inputs]
    texts = [import_keras(str(tmp_path / f"m.{ext}"), given) for ext in ("keras", "json")]
    assert texts[0] == texts[1]
    assert [line for line in lines if line not in texts[0].splitlines()] == []
    for h, w in (built, other):
        keras_model = model if (h, w) == built else build(h, w)
        derived = derive(texts[0], subs={"H": h, "W": w})
        shapes = [tuple(e.shape[1:]) for e in keras_model.inputs]
        assert _rows(derived) == _keras_rows(keras_model, shapes)
        assert int(derived.params) == keras_model.count_params()
        assert int(derived.trainable) == _count(keras_model.trainable_weights)
        assert int(derived.non_trainable) == _count(keras_model.non_trainable_weights)
    path = tmp_path / "m.arch"
    path.write_text(texts[0], encoding="utf-8")
    symbolic = derive(texts[0])
    assert {str(s) for s in symbolic.free_sizes} == {"H", "W"}
    assert [(r.name, r.output_shape, r.params) for r in derive(path).layers] == [
        (r.name, r.output_shape, r.params) for r in symbolic.layers]


def _with_lambda() -> Any:
    L = keras.layers
    x = keras.Input((8,))
    y = L.Lambda(lambda t: t * 2, name="double")(L.Dense(4, name="d")(x))
    return keras.Model(x, y)


def _with_unknown_layer() -> Any:
    L = keras.layers
    return keras.Sequential([keras.Input((8, 8, 3)), L.GaussianNoise(0.1, name="noise")])


def _free_input() -> Any:
    return keras.Sequential([keras.Input((None, 4)), keras.layers.Dense(2)])


def _nested_two_outputs() -> Any:
    L = keras.layers
    i = keras.Input((8,))
    inner = keras.Model(i, [L.Dense(2)(i), L.Dense(3)(i)], name="two")
    x = keras.Input((8,))
    return keras.Model(x, L.Dense(1)(inner(x)[0]))


# model, its form, --input, words of the message and of the hint
REFUSED = [
    pytest.param(_with_lambda, "json", [], "layer 'double' (Lambda) carries Python code",
                 "replace it by a Keras layer", id="lambda-json"),
    pytest.param(_with_lambda, "keras", [], "layer 'double' (Lambda) carries Python code",
                 "replace it by a Keras layer", id="lambda-keras"),
    pytest.param(_with_unknown_layer, "keras", [], "layer 'noise' (GaussianNoise) has no .arch "
                 "layer", "Layers > Keras", id="unknown-layer"),
    pytest.param(_free_input, "json", [], "an axis the model leaves free (None) needs a size",
                 "--input", id="free-axis-without-input"),
    pytest.param(_free_input, "json", ["(L, 5)"], "built for 4 on an axis where --input "
                 "gives 5", "a name", id="fixed-axis-other-number"),
    pytest.param(_free_input, "json", ["(L, 4)", "(L, 4)"], "the model takes 1 input but "
                 "--input gives 2", "one --input per input", id="too-many-inputs"),
    pytest.param(_nested_two_outputs, "keras", [], "the nested model 'two' gives 2 tensors",
                 "a block has one output", id="nested-model-two-outputs"),
]


@pytest.mark.parametrize("build, form, inputs, message, hint", REFUSED)
def test_what_cannot_be_imported_is_one_error(build: Any, form: str, inputs: list[str],
                                              message: str, hint: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    model = build()
    source = tmp_path / f"m.{form}"
    if form == "keras":
        model.save(source)
    else:
        source.write_text(model.to_json(), encoding="utf-8")
    args = ["import", str(source)]
    for shape in inputs:
        args += ["--input", shape]
    assert main(args) == 1
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.startswith(f"{source}: error: ") and first.endswith("[SC309]")
    assert message in first and hint in err and "Traceback" not in err


def _with_ops() -> Any:
    x = keras.Input((8,))
    a = keras.layers.Dense(4, name="a")(x)
    return keras.Model(x, a * 2)


def _foreign(config: dict[str, Any]) -> dict[str, Any]:
    """A user's class named Dense, saved from its own module."""
    config["config"]["layers"][1]["module"] = "my_package.layers"
    return config


def _registered(config: dict[str, Any]) -> dict[str, Any]:
    """A custom layer registered with `package="my"`: Keras saves `module` null and names the
    class in `registered_name`."""
    layer = config["config"]["layers"][1]
    layer.update({"module": None, "class_name": "MyLayer", "registered_name": "my>MyLayer"})
    return config


@pytest.mark.parametrize("build, edit, message", [
    pytest.param(_with_ops, None, "'multiply' is a keras.ops operation (Multiply) applied to "
                 "Keras tensors", id="keras-ops"),
    pytest.param(_with_ops, _registered, "layer 'a' is the class my>MyLayer, not a Keras layer",
                 id="registered-custom-layer"),
    pytest.param(_with_ops, _foreign, "layer 'a' is the class my_package.layers.Dense, not a "
                 "Keras layer", id="another-package's-class"),
])
def test_what_is_not_a_keras_layer_is_refused(build: Any, edit: Any, message: str,
                                              tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = json.loads(build().to_json())
    source = tmp_path / "m.json"
    source.write_text(json.dumps(edit(config) if edit else config), encoding="utf-8")
    assert main(["import", str(source)]) == 1
    err = capsys.readouterr().err
    assert err.endswith("\n") and "[SC309]" in err and message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("content, message", [
    pytest.param(b"not a zip", "cannot read", id="not-a-zip"),
    pytest.param(None, "cannot read", id="missing"),
], )
def test_a_file_that_holds_no_model_is_refused(content: bytes | None, message: str,
                                               tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "m.keras"
    if content is not None:
        source.write_bytes(content)
    assert main(["import", str(source)]) == 1
    err = capsys.readouterr().err
    assert "[SC001]" in err and message in err and "Traceback" not in err


@pytest.mark.parametrize("text, message", [
    pytest.param('{"class_name": "Dense", "config": {}}', "holds no Keras model config",
                 id="a-layer-not-a-model"),
    pytest.param("[1, 2", "cannot read", id="bad-json"),
    pytest.param('{"class_name": "Functional", "config": {"layers": [], "input_layers": '
                 '[["x", 0, 0]]}}', "not one Keras writes (KeyError: no 'x')",
                 id="an-input-no-layer-defines"),
    pytest.param('{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense"}'
                 '], "build_input_shape": [null, 4]}}', "not one Keras writes",
                 id="a-layer-without-config"),
    pytest.param('{"class_name": "Functional", "config": {"layers": [{"class_name": '
                 '"InputLayer", "name": "x", "config": {"batch_shape": [null, 4]}}], '
                 '"input_layers": [["x", 0, 0]], "output_layers": [["x", 3, 0]]}}',
                 "names a call of layer 'x' that the model does not make",
                 id="an-output-no-call-makes"),
])
def test_json_that_is_no_model_is_refused(text: str, message: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "m.json"
    source.write_text(text, encoding="utf-8")
    assert main(["import", str(source)]) == 1
    err = capsys.readouterr().err
    assert "[SC001]" in err and message in err and "Traceback" not in err


def test_derive_from_a_saved_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`derive --from m.keras` derives what `import` would write: the totals equal Keras's."""
    model = _sequential()
    model.save(tmp_path / "m.keras")
    assert main(["derive", "--from", str(tmp_path / "m.keras"), "-f", "json"]) == 0
    totals = json.loads(capsys.readouterr().out)["totals"]
    assert totals["params"] == model.count_params()
    assert totals["non_trainable"] == _count(model.non_trainable_weights)


def test_kwargs_are_for_pytorch_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "m.json"
    source.write_text(_sequential().to_json(), encoding="utf-8")
    assert main(["import", str(source), "--kwargs", '{"a": 1}']) == 1
    assert "--kwargs is for a PyTorch callable" in capsys.readouterr().err


def test_a_saved_model_is_read_without_keras_or_torch(tmp_path: Path) -> None:
    """The import reads the file as data: neither Keras nor torch is imported."""
    import subprocess
    import sys

    source = tmp_path / "m.keras"
    _sequential().save(source)
    script = ("import sys; from symconv.cli import main; main(['import', sys.argv[1], '-o', "
              "sys.argv[2]]); print([m for m in ('keras', 'torch', 'tensorflow') "
              "if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", script, str(source), str(tmp_path / "m.arch")],
                          capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parent.parent, timeout=120)
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "m.arch").read_text(encoding="utf-8").startswith("network small_cnn\n")


def _inner_dense(twice: bool) -> Any:
    """A Sequential holding a layer named `dense`, as the outer model's last layer is."""
    L = keras.layers
    inner = keras.Sequential([L.Dense(4, name="dense")], name="inner")
    a, b = keras.Input((8,), name="a"), keras.Input((8,), name="b")
    y = L.Add(name="add")([inner(a), inner(b)]) if twice else inner(a)
    return keras.Model([a, b] if twice else a, L.Dense(2, name="dense")(y))


@pytest.mark.parametrize("twice, lines, names", [
    # a block: its layers' names start with the instance's, inner_dense
    pytest.param(False, ["block Inner():", '    Dense(4, name="dense")', 'Inner(name="inner")',
                         'Dense(2, name="dense")'], ["inner_dense", "dense"], id="once-a-block"),
    # flattened into shared layers: the clashing name takes the model's name before it
    pytest.param(True, ['shared inner_dense = Dense(4, name="inner_dense")',
                        "inner_dense_1 = inner_dense(a)", "inner_dense_2 = inner_dense(b)",
                        'Dense(2, name="dense")'], ["inner_dense", "inner_dense", "add", "dense"],
                 id="twice-shared-layers"),
])
def test_a_nested_layer_whose_name_is_taken_keeps_its_model_name(
        twice: bool, lines: list[str], names: list[str], tmp_path: Path) -> None:
    """Keras names each model's layers apart: the inner `dense` is `inner_dense` in the table
    whether the model is a block or flattened, and the weights are counted once."""
    model = _inner_dense(twice)
    source = tmp_path / "m.json"
    source.write_text(model.to_json(), encoding="utf-8")
    arch = import_keras(str(source), [])
    assert [line for line in lines if line not in arch.splitlines()] == []
    derived = derive(arch)
    assert [r.name for r in derived.layers] == names
    assert int(derived.params) == model.count_params()
    assert tuple(derived.layers[-1].output_shape) == tuple(model.output.shape[1:])
