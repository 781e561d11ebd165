"""The transformer and modern-CNN zoo of issue 16 against the reference implementations.

GPT-2, BERT-base and Llama-2-7B against Hugging Face transformers, ViT-B/16 and ConvNeXt-Tiny
against torchvision, EfficientNetB0 against keras.applications (tests/zoo_transformers_reference.py
builds them). Four kinds of check:

* the twins give the published totals, and the papers' closed forms (written by hand in the
  reference module) give the twins' counts at small configurations;
* each file gives the published total at the published sizes (derived symbolically once, then
  substituted, as ``symconv derive FILE --subs L=16`` does);
* its symbolic total is the papers' closed form in depth, width, vocabulary, … and equals the
  twin's count at small configurations (depth 0 included);
* layer by layer at small widths, depths and sizes against a real forward pass of the twin:
  every module's output shape (every application), weight names and shapes, parameters; the free
  parameters (class token, layer scale) by their state-dict names; the totals and the output.

Where the reference stores a tensor in another layout than the torch.nn module symconv writes,
the comparison says so: Hugging Face's ``Conv1D`` (GPT-2) keeps its weight transposed, (in, out);
torchvision's ``LayerNorm2d`` is an ``nn.LayerNorm`` between two permutes, whose module output is
channels-first while the LayerNorm inside it works channels-last.
"""

from __future__ import annotations

import os
import re

os.environ.setdefault("KERAS_BACKEND", "torch")

from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from functools import lru_cache  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import pytest  # noqa: E402

import symconv  # noqa: E402
from symconv.layers import REGISTRY  # noqa: E402

import zoo_reference as facts_of  # noqa: E402
import zoo_transformers_reference as ref  # noqa: E402
from frameworks import FrameworkError  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"



def _case(file: str, *values: Any, id: str) -> Any:
    return pytest.param(file, *values, id=id)


# --------------------------------------------------------------------------- the models
@dataclass(frozen=True)
class Twin:
    """A zoo file and how to compare it with its twin layer by layer."""

    file: str
    convention: str
    shape: Callable[[dict[str, int]], tuple[int, ...]]  # the twin's input, batch left out
    configs: list[dict[str, int]]  # small sizes for the layer-by-layer comparison
    transposed: frozenset[str] = frozenset()  # module types keeping their weight as (in, out)
    channels_first_norms: frozenset[str] = frozenset()  # LayerNorm2d: output (C, H, W)
    absent: frozenset[str] = frozenset()  # twin modules the file leaves out on purpose
    absent_types: frozenset[str] = frozenset()  # module types written as the function they run
    renames: tuple[tuple[str, str], ...] = ()  # (pattern, replacement) on the twin's names
    output_module: str | None = None  # the file's output is this module's (BERT: the pooler)
    buffers: bool = True  # compare the buffer total (HF keeps position ids and tables)
    counts: list[dict[str, int]] = field(default_factory=list)  # small configs for totals


def _tokens(s: dict[str, int]) -> tuple[int, ...]:
    return (s["L"],)


def _image(s: dict[str, int]) -> tuple[int, ...]:
    return (3, s["H"], s["W"])


GPT2_SMALL = {"n": 2, "d": 16, "heads": 4, "V": 50, "ctx": 32}
BERT_SMALL = {"n": 2, "d": 16, "heads": 4, "ff": 24, "V": 50, "ctx": 32, "types": 2}
LLAMA_SMALL = {"n": 2, "d": 16, "heads": 4, "ff": 40, "V": 50}
VIT_SMALL = {"n": 2, "d": 16, "heads": 4, "mlp": 24, "classes": 10, "p": 8}
CONVNEXT_SMALL = {"C": 8, "n1": 1, "n2": 2, "n3": 1, "n4": 1, "classes": 10}

TWINS = [
    Twin("gpt2.arch", "torch", _tokens,
         [{**GPT2_SMALL, "L": 1}, {**GPT2_SMALL, "L": 7}, {**GPT2_SMALL, "L": 32},
          {**GPT2_SMALL, "n": 0, "L": 5}, {"n": 3, "d": 8, "heads": 2, "V": 11, "ctx": 9, "L": 9}],
         transposed=frozenset({"Conv1D"}),
         counts=[{"n": 1, "d": 8, "heads": 2, "V": 11, "ctx": 7},
                 {"n": 4, "d": 24, "heads": 3, "V": 101, "ctx": 5}]),
    Twin("bert_base.arch", "torch", _tokens,
         [{**BERT_SMALL, "L": 1}, {**BERT_SMALL, "L": 9}, {**BERT_SMALL, "n": 0, "L": 4}],
         output_module="pooler", buffers=False,
         counts=[{"n": 1, "d": 8, "heads": 2, "ff": 12, "V": 11, "ctx": 7, "types": 3},
                 {"n": 3, "d": 12, "heads": 3, "ff": 20, "V": 31, "ctx": 9, "types": 1}]),
    Twin("llama2_7b.arch", "torch", _tokens,
         [{**LLAMA_SMALL, "L": 1}, {**LLAMA_SMALL, "L": 9}, {**LLAMA_SMALL, "n": 0, "L": 3}],
         absent=frozenset({"model.rotary_emb"}), buffers=False,
         counts=[{"n": 1, "d": 8, "heads": 2, "ff": 12, "V": 11},
                 {"n": 3, "d": 12, "heads": 3, "ff": 32, "V": 29}]),
    Twin("vit_b16.arch", "torch", _image,
         [{**VIT_SMALL, "H": 32, "W": 32}, {**VIT_SMALL, "H": 40, "W": 40},
          {**VIT_SMALL, "n": 0, "H": 16, "W": 16}, {**VIT_SMALL, "p": 16, "H": 48, "W": 48}],
         # torchvision names its blocks encoder_layer_0 …; a name cannot be built from a
         # repeat's index yet, so the file's are numbered as nn.Sequential numbers them
         renames=((r"^encoder\.layers\.encoder_layer_(\d+)", r"encoder.layers.\1"),),
         counts=[{**VIT_SMALL, "H": 32, "W": 32}, {**VIT_SMALL, "n": 3, "H": 48, "W": 48}]),
    Twin("convnext_tiny.arch", "torch", _image,
         [{**CONVNEXT_SMALL, "H": 32, "W": 32}, {**CONVNEXT_SMALL, "H": 35, "W": 61},
          {**CONVNEXT_SMALL, "H": 64, "W": 64}, {**CONVNEXT_SMALL, "H": 16, "W": 32},
          {**CONVNEXT_SMALL, "n2": 0, "H": 33, "W": 33}],
         channels_first_norms=frozenset({"LayerNorm2d"}),
         absent_types=frozenset({"Permute"}),  # torchvision.ops.misc.Permute: x.permute(…)
         counts=[{**CONVNEXT_SMALL, "H": 32, "W": 32},
                 {"C": 4, "n1": 2, "n2": 1, "n3": 3, "n4": 2, "classes": 5, "H": 32, "W": 32}]),
    Twin("efficientnetb0_keras.arch", "keras", lambda s: (s["H"], s["W"], 3),
         [{"H": 32, "W": 32}, {"H": 33, "W": 35}, {"H": 64, "W": 97}, {"H": 224, "W": 224}]),
]
BY_FILE = {t.file: t for t in TWINS}


def _sizes(twin: Twin, s: dict[str, int]) -> str:
    return twin.file.removesuffix(".arch") + "@" + ",".join(f"{k}={v}" for k, v in s.items())


# --------------------------------------------------------------------------- the twins' facts
@pytest.mark.parametrize("file", list(ref.PUBLISHED))
def test_twin_gives_the_published_total(file: str) -> None:
    """The reference implementations at the published sizes count the published figures
    (Llama-2-7B on the meta device: no memory)."""
    pytest.importorskip("torch")
    published = ref.PUBLISHED[file]
    if file == "llama2_7b.arch":
        model = ref.llama(ref.DEFAULTS[file], meta=True)
    else:
        model = ref.build(file, published["subs"])
    assert ref.count(model) == published["params"], published["source"]
    if "non_trainable" in published:
        import numpy as np

        frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
        assert frozen == published["non_trainable"]


def test_gpt2_twin_ties_its_head_to_the_token_embedding() -> None:
    model = ref.build("gpt2.arch", GPT2_SMALL)
    assert model.lm_head.weight is model.transformer.wte.weight


CLOSED_FORMS: dict[str, Callable[..., Any]] = {
    "gpt2.arch": lambda s: ref.gpt2_params(s["n"], s["d"], s["V"], s["ctx"]),
    "bert_base.arch": lambda s: ref.bert_params(s["n"], s["d"], s["ff"], s["V"], s["ctx"],
                                                s["types"]),
    "llama2_7b.arch": lambda s: ref.llama_params(s["n"], s["d"], s["ff"], s["V"]),
    "vit_b16.arch": lambda s: ref.vit_params(s["H"], s["W"], s["n"], s["d"], s["mlp"],
                                             s["classes"], s["p"]),
}
FORM_CASES = [(t.file, s) for t in TWINS if t.file in CLOSED_FORMS
              for s in t.counts + [{**ref.DEFAULTS[t.file], **ref.PUBLISHED[t.file]["subs"]}]]


@pytest.mark.parametrize("file,s", FORM_CASES, ids=[_sizes(BY_FILE[f], s) for f, s in FORM_CASES])
def test_papers_closed_form_counts_the_twin(file: str, s: dict[str, int]) -> None:
    """The hand-written closed forms are right: they give the twin's count."""
    pytest.importorskip("torch")
    if file == "llama2_7b.arch" and s["d"] > 1000:
        model = ref.llama(s, meta=True)
    else:
        model = ref.build(file, s)
    assert CLOSED_FORMS[file](s) == ref.count(model)


# --------------------------------------------------------------------------- symconv's totals
@lru_cache(maxsize=None)
def _derived(file: str) -> symconv.Derivation:
    return symconv.derive(EXAMPLES / file)


def _substituted(file: str, s: dict[str, int]) -> symconv.Derivation:
    from symconv.solving.substitute import substitute

    return substitute(_derived(file), s)


PUBLISHED_CASES = [_case(f, id=f.removesuffix(".arch")) for f in ref.PUBLISHED]


@pytest.mark.parametrize("file", PUBLISHED_CASES)
def test_published_total(file: str) -> None:
    """`symconv derive FILE --subs L=16` (or H=224,W=224): the publisher's figure."""
    published = ref.PUBLISHED[file]
    d = _substituted(file, published["subs"])
    assert int(d.params) == published["params"], published["source"]
    if "non_trainable" in published:
        assert int(d.non_trainable) == published["non_trainable"]
        assert int(d.trainable) == published["trainable"]


def _symbols(expr: Any) -> dict[str, Any]:
    return {s.name: s for s in expr.free_symbols}


SYMBOLIC_CASES = [_case(f, id=f.removesuffix(".arch")) for f in CLOSED_FORMS]


@pytest.mark.parametrize("file", SYMBOLIC_CASES)
def test_symbolic_total_is_the_papers_closed_form(file: str) -> None:
    """Plain `derive` prints the total in depth, width, vocabulary, … (and ViT's in H, W with
    ⌊H/p⌋·⌊W/p⌋ patches): exactly the closed form. A language model's parameters do not depend
    on the sequence length, nor any model's on the number of heads."""
    import sympy

    total = _derived(file).params
    names = _symbols(total)
    assert not {"L", "heads"} & set(names)
    sizes = {**ref.DEFAULTS[file], **ref.PUBLISHED[file]["subs"]}
    s = {k: names.get(k, v) for k, v in sizes.items()}
    assert sympy.expand(total - CLOSED_FORMS[file](s)) == 0


def test_vit_symbolic_patches_are_floor_h16_floor_w16() -> None:
    """ViT's sequence: ⌊H/p⌋·⌊W/p⌋ patches and the class token."""
    import sympy

    pytest.importorskip("torch")
    d = _derived("vit_b16.arch")
    tokens = next(r for r in d.layers if r.name == "encoder.ln").output_shape[0]
    H, W, p = (_symbols(tokens)[k] for k in ("H", "W", "p"))
    assert sympy.expand(tokens - (sympy.floor(H / p) * sympy.floor(W / p) + 1)) == 0


COUNT_CASES = [_case(t.file, s, id=_sizes(t, s)) for t in TWINS for s in t.counts]


@pytest.mark.parametrize("file,s", COUNT_CASES)
def test_symbolic_total_counts_the_twin(file: str, s: dict[str, int]) -> None:
    """The symbolic total, substituted at small configurations, is the twin's count."""
    pytest.importorskip("torch")
    sizes = {**s, "L": 4} if BY_FILE[file].shape is _tokens else s
    assert int(_substituted(file, sizes).params) == ref.count(ref.build(file, s))


# --------------------------------------------------------------------------- layer by layer
def _ints(shape: tuple[Any, ...]) -> tuple[int, ...]:
    return tuple(int(e) for e in shape)


def _functional(record: Any, convention: str) -> bool:
    spec = REGISTRY[convention].get(record.type)
    return spec is not None and spec.family == "functional"


def _free_parameter(record: Any, convention: str) -> bool:
    """An nn.Parameter / Keras weight of its own (`parameter NAME: SHAPE`), not a layer."""
    return record.type not in REGISTRY[convention]


def _tied(record: Any) -> dict[str, Any]:
    """A tied layer's weights that are another layer's (`tie=`), by name: (shape, the owner's
    weight, `transformer.wte.weight`)."""
    return {t.weight.name: (_ints(t.weight.shape), t.where) for t in getattr(record, "tied", ())}


def _size(shape: tuple[int, ...]) -> int:
    n = 1
    for e in shape:
        n *= e
    return n


def _expected_weights(twin: Twin, fact: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    weights = fact["weights"]
    if fact["type"] in twin.transposed:
        weights = {n: s[::-1] if n == "weight" else s for n, s in weights.items()}
    return weights


def _expected_shape(twin: Twin, fact: dict[str, Any], k: int) -> tuple[int, ...]:
    shape = fact["output_shapes"][k]
    if fact["type"] in twin.channels_first_norms:  # the LayerNorm inside works channels-last
        shape = shape[1:] + shape[:1]
    return shape


# at depth 0 an nn.Sequential is empty, a leaf module that runs no layer
CONTAINERS = frozenset({"Sequential", "ModuleList"})


def _renamed(twin: Twin, name: str) -> str:
    for pattern, replacement in twin.renames:
        name = re.sub(pattern, replacement, name)
    return name


def _compare_torch_layers(twin: Twin, d: Any, model: Any, facts: dict[str, Any]) -> None:
    layers = {_renamed(twin, n): f for n, f in facts["layers"].items()}
    parameters = {_renamed(twin, n): p
                  for n, p in model.named_parameters(remove_duplicate=False)}
    seen: Counter[str] = Counter()
    for record in d.layers:
        if _functional(record, "torch"):
            continue
        if _free_parameter(record, "torch"):
            weights = [w for w in record.weights if not w.buffer]
            assert [_ints(w.shape) for w in weights] == [tuple(parameters[record.name].shape)], \
                f"{record.name}: free parameter"
            seen[record.name] += 1
            continue
        assert record.name in layers, f"{record.name} is not a module of the reference"
        fact = layers[record.name]
        k = seen[record.name]
        seen[record.name] += 1
        assert _ints(record.output_shape) == _expected_shape(twin, fact, k), \
            f"{record.name} (application {k + 1}): output shape"
        weights = {w.name: _ints(w.shape) for w in record.weights if not w.buffer}
        tied = _tied(record)
        weights.update({n: shape for n, (shape, _) in tied.items()})
        assert weights == _expected_weights(twin, fact), f"{record.name}: weights"
        for n, (_, owner) in tied.items():  # the reference's tensor is the owner's, too
            assert parameters[f"{record.name}.{n}"] is parameters[owner], n
        counted = sum(_size(shape) for n, (shape, _) in tied.items())
        assert int(record.params) == fact["params"] - counted, f"{record.name}: params"
    called = {n for n, f in layers.items() if f["leaf"] and f["output_shapes"]
              and f["type"] not in twin.absent_types | CONTAINERS} - twin.absent
    lacking = {n for n in called if not any(n == s or n.startswith(s + ".") for s in seen)}
    assert not lacking, f"modules of the reference symconv lacks: {sorted(lacking)}"
    for name, count in seen.items():
        if name in layers:
            assert count == len(layers[name]["output_shapes"]), f"{name}: number of applications"


def _compare_keras_layers(d: Any, facts: dict[str, Any]) -> None:
    layers = facts["layers"]
    seen: Counter[str] = Counter()
    for record in d.layers:
        if _functional(record, "keras"):
            continue
        assert record.name in layers, f"{record.name} is not a layer of the reference"
        fact = layers[record.name]
        k = seen[record.name]
        seen[record.name] += 1
        assert _ints(record.output_shape) == fact["output_shapes"][k], record.name
        weights = {w.name: _ints(w.shape) for w in record.weights}
        assert weights == fact["weights"], f"{record.name}: weights"
        assert int(record.params) == fact["params"], f"{record.name}: params"
        assert int(record.non_trainable) == fact["non_trainable"], record.name
    lacking = {n for n, f in layers.items() if f["output_shapes"]} - set(seen)
    assert not lacking, f"layers of the reference symconv lacks: {sorted(lacking)}"


def _compare_totals(twin: Twin, d: Any, facts: dict[str, Any]) -> None:
    assert int(d.params) == facts["params"]
    assert int(d.trainable) == facts["trainable"]
    if twin.convention == "keras":
        assert int(d.non_trainable) == facts["non_trainable"]
    elif twin.buffers:
        assert int(d.buffers) == facts["buffers"]
    if twin.output_module is not None:
        expected = facts["layers"][twin.output_module]["output_shapes"][-1]
    else:
        expected = tuple(facts["output_shape"])
    assert _ints(d.output_shape) == expected


def _twin_facts(twin: Twin, s: dict[str, int]) -> tuple[Any, Any]:
    """(model, facts), or (None, the FrameworkError) where the reference refuses the sizes."""
    try:
        if twin.convention == "keras":
            model = ref.build(twin.file, s)
            return model, facts_of.keras_layer_facts(model)
        model = ref.build(twin.file, s)
        return model, facts_of.torch_layer_facts(model, twin.shape(s))
    except FrameworkError as err:
        return None, err
    except ValueError as err:  # keras.applications refuses an input size while building
        return None, err


LAYER_CASES = [_case(t.file, s, id=_sizes(t, s)) for t in TWINS for s in t.configs]


@pytest.mark.parametrize("file,s", LAYER_CASES)
def test_layer_by_layer(file: str, s: dict[str, int]) -> None:
    """Every module, free parameter and total against a real forward pass of the reference."""
    pytest.importorskip("torch")
    twin = BY_FILE[file]
    model, facts = _twin_facts(twin, s)
    try:
        d, refusal = _substituted(file, s), None
    except symconv.SymconvError as err:
        d, refusal = None, err.render()
    if model is None:
        assert refusal is not None, f"symconv accepts {s}, the reference fails: {facts}"
        layer = getattr(facts, "layer", None)
        if layer:
            assert f"'{layer}'" in refusal, f"the reference fails at {layer}:\n{refusal}"
        return
    assert refusal is None, f"symconv refuses {s}, the reference accepts:\n{refusal}"
    if twin.convention == "keras":
        _compare_keras_layers(d, facts)
    else:
        _compare_torch_layers(twin, d, model, facts)
    _compare_totals(twin, d, facts)


# --------------------------------------------------------------------------- what the zoo needs
STACK = """\
convention torch
sizes L, n=2
block B(d):
    Linear(d, d, name="fc")
block Stack(n, d):
    repeat n:
        B(d)
input (L, 8)
Stack(n, 8, name="h")
"""


def test_names_inside_an_unnamed_instance_advance_with_the_pass() -> None:
    """A symbolic repeat of an unnamed block instance: the instance is numbered per pass
    (h.0, h.1, …), so a name given inside it is too (HF's h.0.ln_1, encoder.layer.0.output.dense);
    a name given to the instance itself would be taken by every pass (SC112)."""
    assert [r.name for r in _names(symconv.derive(STACK))] == ["h.0.fc"]
    unrolled = symconv.derive(STACK, subs={"n": 3})
    assert [r.name for r in _names(unrolled)] == ["h.0.fc", "h.1.fc", "h.2.fc"]
    with pytest.raises(symconv.SymconvError) as refused:
        symconv.derive(STACK.replace("        B(d)", '        B(d, name="b")'))
    assert refused.value.code == "SC112"


def _names(d: symconv.Derivation) -> list[Any]:
    return [r for r in d.layers if not _functional(r, d.convention)]
