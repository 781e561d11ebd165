"""The model zoo in examples/, layer by layer, against the same models run in the real
frameworks (tests/zoo_reference.py: torchvision's layouts in plain torch.nn, keras.applications).

Each model is derived once, symbolically; its closed forms are then substituted at many input
sizes (the image models: all 49 pairs of {32, 33, 64, 97, 224, 225, 299}², plus sizes too small;
NASNet-A Mobile, whose 770 layers take seconds to build, at seven) and compared with a real
forward pass at each: every layer's output shape (every application of a module used several
times), weight names and shapes, parameters, buffers / non-trainable weights, the totals and the
output. Where the framework fails, symconv must fail too, naming the module that failed.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

from collections import Counter  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from functools import lru_cache  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import pytest  # noqa: E402

import symconv  # noqa: E402
from symconv.layers import REGISTRY  # noqa: E402

import zoo_reference as zoo  # noqa: E402
from frameworks import FrameworkError  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SQUARE = [32, 33, 64, 97, 224, 225, 299]
GRID = [(h, w) for h in SQUARE for w in SQUARE]  # all 49 pairs
SIZES = [(s, s) for s in SQUARE] + [(32, 299), (97, 33), (225, 64)]


@dataclass(frozen=True)
class Zoo:
    """A zoo model: its file, how to build the framework's twin from the sizes, the sizes to
    try (each a --subs mapping), and the framework's input shape for them."""

    file: str
    convention: str
    build: Callable[[dict[str, int]], Any]
    sizes: list[dict[str, int]]
    shape: Callable[[dict[str, int]], tuple[int, ...]]
    functions: frozenset[str] = frozenset()  # records the framework computes without a module
    rename: Callable[[Any], str] | None = None  # a record's name in the framework, when not its own

    def id(self, subs: dict[str, int]) -> str:
        return self.file.removesuffix(".arch") + "@" + ",".join(f"{k}={v}" for k, v in subs.items())


def _hw(pairs: list[tuple[int, int]], **extra: int) -> list[dict[str, int]]:
    return [{"H": h, "W": w, **extra} for h, w in pairs]


def _image(channels: int, convention: str = "torch") -> Callable[[dict[str, int]], tuple[int, ...]]:
    if convention == "torch":
        return lambda s: (channels, s["H"], s["W"])
    return lambda s: (s["H"], s["W"], channels)


def _sequential(module: Any) -> Any:
    """One module as layer '0' of a Sequential, as a one-layer .arch names it."""
    from torch import nn

    return nn.Sequential(module)


def _nasnet_name(record: Any) -> str:
    """Keras's name of a layer of examples/nasnet_mobile_keras.arch. NASNet names a layer
    "<name>_<branch>_<cell>" (separable_conv_1_bn_reduction_left1_stem_1) where symconv writes
    the block instances first (stem_1_reduction_left1_separable_conv_1_bn), and the file calls
    the reduction cell's average pool reduction_left4_pool, as its separable branch already has
    that id; unnamed layers have Keras's global names in both."""
    prefix = "_".join(record.path) + "_"
    if not record.path or not record.name.startswith(prefix):
        return str(record.name)
    local = record.name.removeprefix(prefix).removesuffix("_pool")
    return "_".join((local, *reversed(record.path)))


def _nasnet(s: dict[str, int]) -> Any:
    """Below Keras's 32×32 the model is built on an input tensor, which its check skips."""
    return zoo.nasnet_mobile_keras(s["H"], s["W"], input_tensor=min(s["H"], s["W"]) < 32)


TEXT = {"vocab": 50, "embed": 8, "hidden": 6}
BLOCK = {"d_model": 32, "heads": 4, "ff": 64}

ZOO = [
    Zoo("lenet5.arch", "torch", lambda s: zoo.lenet5(32, 32),
        _hw([(32, 32), (33, 35), (35, 32), (36, 36), (31, 32), (28, 28), (64, 64), (12, 12)]),
        _image(1)),
    Zoo("alexnet.arch", "torch", lambda s: zoo.alexnet(), _hw(GRID + [(63, 63), (62, 70)]),
        _image(3), frozenset({"flatten"})),
    Zoo("resnet18.arch", "torch", lambda s: zoo.resnet18(), _hw(GRID + [(1, 1), (2, 5)]),
        _image(3), frozenset({"flatten"})),
    Zoo("resnet50.arch", "torch", lambda s: zoo.resnet50(), _hw(GRID + [(1, 1)]), _image(3),
        frozenset({"flatten"})),
    Zoo("mobilenetv2_torch.arch", "torch", lambda s: zoo.mobilenet_v2(), _hw(GRID + [(1, 2)]),
        _image(3),
        frozenset({"pool", "flatten"})),
    Zoo("unet2_torch.arch", "torch", lambda s: zoo.unet2(base=8),
        _hw([(32, 32), (33, 33), (64, 64), (36, 40), (30, 32), (34, 36), (4, 4), (2, 4), (97, 97),
             (224, 224)], base=8), _image(3)),
    Zoo("text_model_torch.arch", "torch", lambda s: zoo.text_model_torch(**TEXT),
        [{"L": n, **TEXT} for n in (1, 2, 7, 40)], lambda s: (s["L"],)),
    Zoo("transformer_block_torch.arch", "torch",
        lambda s: _sequential(zoo.transformer_block_torch(32, 4, 64)),
        [{"L": n, **BLOCK} for n in (1, 3, 16)], lambda s: (s["L"], s["d_model"])),
    Zoo("text_model_keras.arch", "keras",
        lambda s: zoo.text_model_keras(s["vocab"], s["embed"], s["hidden"], seq_len=s["L"]),
        [{"L": n, **TEXT} for n in (1, 2, 7, 40)], lambda s: (s["L"],)),
    Zoo("transformer_block_keras.arch", "keras",
        lambda s: zoo.transformer_block_keras(s["d_model"], s["heads"], s["ff"], seq_len=s["L"]),
        [{"L": n, **BLOCK} for n in (1, 3, 16)], lambda s: (s["L"], s["d_model"])),
    Zoo("vgg16.arch", "keras", lambda s: zoo.vgg16_keras(s["H"], s["W"], True),
        _hw([(32, 32), (33, 47), (64, 64), (97, 97), (224, 224)]), _image(3, "keras")),
    Zoo("mobilenetv2_keras.arch", "keras",
        lambda s: zoo.mobilenet_v2_keras(s["H"], s["W"], True),
        _hw([(32, 32), (33, 33), (35, 97), (64, 64), (97, 97), (224, 224), (225, 225), (299, 32)]),
        _image(3, "keras")),
    Zoo("nasnet_mobile_keras.arch", "keras", _nasnet,
        _hw([(224, 224), (32, 32), (225, 225), (33, 97), (19, 19), (2, 64), (64, 2)]),
        _image(3, "keras"), rename=_nasnet_name),
]


@lru_cache(maxsize=None)
def _derived(file: str) -> symconv.Derivation:
    return symconv.derive(EXAMPLES / file)


@lru_cache(maxsize=4)
def _torch_model(file: str) -> Any:
    entry = next(z for z in ZOO if z.file == file)
    return entry.build({})


def _ints(shape: tuple[Any, ...]) -> tuple[int, ...]:
    return tuple(int(e) for e in shape)


def _framework(entry: Zoo, subs: dict[str, int]) -> tuple[dict[str, Any] | None,
                                                         FrameworkError | None]:
    try:
        if entry.convention == "torch":
            return zoo.torch_layer_facts(_torch_model(entry.file), entry.shape(subs)), None
        return zoo.keras_layer_facts(entry.build(subs)), None
    except FrameworkError as err:
        return None, err


def _symconv(entry: Zoo, subs: dict[str, int]) -> tuple[symconv.Derivation | None, str | None]:
    from symconv.solving.substitute import substitute

    try:
        return substitute(_derived(entry.file), subs), None
    except symconv.SymconvError as err:
        return None, err.render()


def _is_function(record: Any, convention: str) -> bool:
    return REGISTRY[convention][record.type].family == "functional"


def _compare_layers(entry: Zoo, d: symconv.Derivation, facts: dict[str, Any]) -> None:
    layers = facts["layers"]
    seen: Counter[str] = Counter()
    torch = entry.convention == "torch"
    for record in d.layers:
        if _is_function(record, entry.convention) or record.name in entry.functions:
            continue
        name = entry.rename(record) if entry.rename else record.name
        assert name in layers, f"{name} is not a layer of the framework's model"
        fact = layers[name]
        k = seen[name]
        seen[name] += 1
        assert _ints(record.output_shape) == fact["output_shapes"][k], \
            f"{name} (application {k + 1}): output shape"
        if record.shares:
            continue
        weights = {w.name: _ints(w.shape) for w in record.weights if not w.buffer}
        assert weights == fact["weights"], f"{name}: weights"
        assert int(record.params) == fact["params"], f"{name}: params"
        if torch:
            buffers = {w.name: _ints(w.shape) for w in record.weights if w.buffer}
            assert buffers == fact["buffer_shapes"], f"{name}: buffers"
        else:
            assert int(record.non_trainable) == fact["non_trainable"], name
    called = {n for n, f in layers.items() if f.get("leaf", True) and f["output_shapes"]}
    lacking = {n for n in called if not any(n == s or n.startswith(s + ".") for s in seen)}
    assert not lacking, f"framework layers symconv lacks: {sorted(lacking)}"
    for name, count in seen.items():
        assert count == len(layers[name]["output_shapes"]), f"{name}: number of applications"


def _compare_totals(entry: Zoo, d: symconv.Derivation, facts: dict[str, Any]) -> None:
    assert int(d.params) == facts["params"]
    assert int(d.trainable) == facts["trainable"]
    if entry.convention == "torch":
        assert int(d.buffers) == facts["buffers"]
    else:
        assert int(d.non_trainable) == facts["non_trainable"]
    assert _ints(d.output_shape) == tuple(facts["output_shape"])


CASES = [(z, subs) for z in ZOO for subs in z.sizes]


@pytest.mark.parametrize("entry,subs", CASES, ids=[z.id(subs) for z, subs in CASES])
def test_zoo_model_matches_framework(entry: Zoo, subs: dict[str, int]) -> None:
    pytest.importorskip("torch")
    if entry.convention == "keras":
        pytest.importorskip("keras")
    facts, err = _framework(entry, subs)
    d, refusal = _symconv(entry, subs)
    if err is not None:
        layer = getattr(err, "layer", None)
        if entry.convention == "keras" and "at least 32" in str(err):
            pytest.skip(f"keras.applications' own input-size check: {err}")
        assert refusal is not None, f"symconv accepts {subs}, the framework fails: {err}"
        if layer:
            assert f"'{layer}'" in refusal, f"framework fails at {layer}:\n{err}\nsymconv:\n{refusal}"
        return
    assert refusal is None, f"symconv refuses {subs}, the framework accepts:\n{refusal}"
    assert d is not None and facts is not None
    _compare_layers(entry, d, facts)
    _compare_totals(entry, d, facts)


PUBLISHED = [("lenet5.arch", 32, 61_706), ("alexnet.arch", 224, 61_100_840),
             ("resnet18.arch", 224, 11_689_512), ("resnet50.arch", 224, 25_557_032),
             ("mobilenetv2_torch.arch", 224, 3_504_872), ("vgg16.arch", 224, 138_357_544),
             ("mobilenetv2_keras.arch", 224, 3_538_984),
             ("nasnet_mobile_keras.arch", 224, 5_326_716)]


@pytest.mark.parametrize("file,size,total", PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_published_totals(file: str, size: int, total: int) -> None:
    """The papers' and frameworks' published counts (tests/zoo_reference.PUBLISHED)."""
    d = symconv.derive(EXAMPLES / file, subs={"H": size, "W": size})
    assert int(d.params) == total


def test_mobilenetv2_keras_statistics_are_non_trainable() -> None:
    d = symconv.derive(EXAMPLES / "mobilenetv2_keras.arch", subs={"H": 224, "W": 224})
    assert int(d.non_trainable) == 34_112


@pytest.mark.parametrize("file", ["resnet50.arch", "mobilenetv2_keras.arch"])
def test_final_extent_is_one_closed_form(file: str) -> None:
    """No tower of nested floors: ⌈H/32⌉ after five stride-2 steps (ResNet-50's stem and
    stages; MobileNetV2's 'same' convolutions and Keras's parity-dependent padding)."""
    import sympy

    d = _derived(file)
    H = sympy.Symbol("H", integer=True, positive=True)
    axis = 1 if d.convention == "torch" else 0
    spatial = [r.output_shape[axis] for r in d.layers if len(r.output_shape) == 3
               and r.output_shape[axis].free_symbols]
    assert spatial[-1] == sympy.ceiling(H / 32)


def test_resnet50_final_extent_is_one_closed_form() -> None:
    """No tower of nested floors: ⌈H/32⌉ after four stride-2 stages and the stem."""
    import sympy

    d = _derived("resnet50.arch")
    layer4 = next(b for b in d.blocks if b.name == "layer4")
    H = sympy.Symbol("H", integer=True, positive=True)
    assert layer4.output_shape[1] == sympy.ceiling(H / 32)


def test_text_models_differ_by_the_lstm_bias() -> None:
    """The same Embedding → LSTM → GRU → last step → Dense in both frameworks: PyTorch's LSTM
    has a second bias vector per gate (bias_hh), 4·hidden more; the GRUs agree (Keras's
    reset_after=True also keeps two). Measured in the frameworks, derived in closed form."""
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    import sympy

    torch_facts = zoo.torch_layer_facts(zoo.text_model_torch(**TEXT), (7,))
    keras_facts = zoo.keras_layer_facts(zoo.text_model_keras(**TEXT, seq_len=7))
    assert torch_facts["params"] - keras_facts["params"] == 4 * TEXT["hidden"]
    t, k = _derived("text_model_torch.arch"), _derived("text_model_keras.arch")
    hidden = sympy.Symbol("hidden", integer=True, positive=True)
    assert sympy.expand(t.params - k.params) == 4 * hidden
    assert sympy.expand(t.layer("gru").params - k.layer("gru").params) == 0
