"""Every registered layer, both conventions, against the real framework.

Each case (tests/layer_cases.py: seeded random hyperparameters and input sizes, invalid regions
included) is one layer on one input. The framework is asked first (tests/frameworks.py):

* if it refuses the configuration, symconv must refuse it too, numerically and, with the input's
  extents as declared sizes, when those sizes are substituted;
* otherwise symconv must give the same output shape, parameter counts and weight shapes (by the
  framework's own names), both directly and through the symbolic closed form after substitution.

The only exception is a documented symconv limitation (`documented_limitation`), which symconv
must reject rather than answer wrongly.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras

from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
import sympy  # noqa: E402

import symconv  # noqa: E402
from symconv.layers import REGISTRY  # noqa: E402

from frameworks import (FrameworkError, keras_facts, keras_sequential_facts,  # noqa: E402
                        torch_facts)
from layer_cases import GENERATORS, Case, cases  # noqa: E402

# Frameworks' own advice on odd but legal inputs (Dropout2d on rank 2 or 5, softmax over a size-1
# axis, 'same' with an even kernel); the shapes are still what the sweep checks.
pytestmark = [pytest.mark.filterwarnings("ignore:dropout2d:UserWarning"),
              pytest.mark.filterwarnings("ignore:You are using a softmax:UserWarning"),
              pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")]

TORCH_CASES = cases("torch")
KERAS_CASES = cases("keras")
ALL_CASES = len(TORCH_CASES) + len(KERAS_CASES)

# What ran: case ids, and the layers that were compared on a configuration the framework accepts.
RAN: set[str] = set()
COMPARED: dict[tuple[str, str], int] = {}
REJECTED: dict[tuple[str, str], int] = {}
ARTIFACTS: list[str] = []  # ids of cases skipped as backend artifacts


# --------------------------------------------------------------------------- helpers


def documented_limitation(case: Case) -> str | None:
    """Configurations the framework accepts but symconv rejects on purpose."""
    if case.convention == "torch" and case.layer == "Flatten":
        rank = len(case.input_shape) + 1
        start = dict(case.kwargs).get("start_dim", 1)
        if -rank <= start < rank and start % rank == 0:
            return "torch Flatten(start_dim=0) merges the batch axis; symconv shapes exclude it"
    return None


def backend_artifact(case: Case, err: FrameworkError | None) -> str | None:
    """Failures of Keras's torch backend that other Keras backends do not have; symconv follows
    Keras, not one backend's kernels."""
    if err is None or case.convention != "keras":
        return None
    if case.layer == "AveragePooling3D" and "smaller than kernel size" in str(err):
        # 'same' with symmetric padding calls torch's avg_pool3d with padding=p, and ATen then
        # wants the unpadded input to hold the kernel (keras/src/backend/torch/nn.py).
        return "torch backend: avg_pool3d checks the unpadded input against the pool size"
    return None


def as_int(e: sympy.Expr, what: str) -> int:
    assert isinstance(e, sympy.Integer), f"{what} is not a number after substitution: {e}"
    return int(e)


def symconv_facts(record: Any, convention: str) -> dict[str, Any]:
    """A LayerRecord in the shape of the framework helpers' dicts."""
    shape = lambda w: tuple(as_int(x, f"shape of {w.name}") for x in w.shape)  # noqa: E731
    facts: dict[str, Any] = {
        "output_shape": tuple(as_int(x, "output extent") for x in record.output_shape),
        "params": as_int(record.params, "params"),
        "trainable": as_int(record.trainable, "trainable"),
        "weights": {w.name: shape(w) for w in record.weights if not w.buffer},
    }
    if convention == "torch":
        facts["buffers"] = as_int(record.buffers, "buffers")
        facts["buffer_shapes"] = {w.name: shape(w) for w in record.weights if w.buffer}
    else:
        facts["non_trainable"] = as_int(record.non_trainable, "non_trainable")
        assert as_int(record.buffers, "buffers") == 0, "Keras layers have no buffers"
    return facts


def expected(facts: dict[str, Any], convention: str) -> dict[str, Any]:
    keys = ("output_shape", "params", "trainable", "weights")
    keys += ("buffers", "buffer_shapes") if convention == "torch" else ("non_trainable",)
    return {k: facts[k] for k in keys}


def framework(case: Case) -> tuple[dict[str, Any] | None, FrameworkError | None]:
    helper: Callable[..., dict[str, Any]] = (
        torch_facts if case.convention == "torch" else keras_facts)
    try:
        return helper(case.layer, list(case.args), dict(case.kwargs), case.input_shape), None
    except FrameworkError as err:
        return None, err


def derive_error(text: str, subs: dict[str, int] | None = None) -> symconv.SymconvError | None:
    try:
        symconv.derive(text, subs=subs)
    except symconv.SymconvError as err:
        return err
    return None


def check_case(case: Case) -> None:
    facts, err = framework(case)
    sym_text, subs = case.symbolic()
    key = (case.convention, case.layer)
    RAN.add(case.id)
    artifact = backend_artifact(case, err)
    if artifact is not None:
        ARTIFACTS.append(case.id)
        pytest.skip(artifact)
    limitation = documented_limitation(case)
    if err is not None or limitation is not None:
        why = f"framework: {err.kind}: {err}" if err else f"documented limitation: {limitation}"
        assert derive_error(case.text()) is not None, \
            f"symconv accepts {case.id}, but {why}"
        assert derive_error(sym_text, subs) is not None, \
            f"symconv accepts {case.id} through the symbolic form {subs}, but {why}"
        REJECTED[key] = REJECTED.get(key, 0) + 1
        return
    want = expected(facts, case.convention)  # type: ignore[arg-type]
    for label, text, values in (("numeric", case.text(), None), ("symbolic", sym_text, subs)):
        try:
            d = symconv.derive(text, subs=values)
        except symconv.SymconvError as e:
            pytest.fail(f"symconv rejects ({label}) what the framework accepts:\n{text}"
                        f"subs={values}\n{e}\nframework: {want}")
        got = symconv_facts(d.layers[0], case.convention)
        assert got == want, f"{label} derivation differs from the framework\n{text}subs={values}"
        if case.convention == "torch":
            assert d.layers[0].trainable == d.layers[0].params
            assert d.layers[0].non_trainable == 0
    COMPARED[key] = COMPARED.get(key, 0) + 1


# --------------------------------------------------------------------------- the sweeps


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c.id for c in TORCH_CASES])
def test_torch_layer_matches_framework(case: Case, need_torch: None) -> None:
    check_case(case)


@pytest.mark.parametrize("case", KERAS_CASES, ids=[c.id for c in KERAS_CASES])
def test_keras_layer_matches_framework(case: Case, need_keras: None) -> None:
    check_case(case)


# --------------------------------------------------------------------------- Keras auto names

NETS = [
    ("cnn", (12, 12, 3), [
        ("Conv2D", [4, 3], {}), ("Conv2D", [4, 3], {"padding": "same"}),
        ("MaxPooling2D", [2], {}), ("ReLU", [], {}), ("LeakyReLU", [], {}),
        ("BatchNormalization", [], {}), ("Conv2D", [2, 1], {}), ("BatchNormalization", [], {}),
        ("Flatten", [], {}), ("Dense", [8], {}), ("Dropout", [0.5], {}), ("Dense", [3], {}),
    ]),
    ("sequence", (20, 4), [
        ("Conv1D", [6, 3], {"padding": "causal"}), ("MaxPooling1D", [], {}),
        ("Conv1D", [6, 3], {}), ("SpatialDropout1D", [0.1], {}),
        ("AveragePooling1D", [2], {}), ("GlobalAveragePooling1D", [], {}),
        ("Dense", [4], {}), ("Softmax", [], {}), ("Activation", ["relu"], {}),
    ]),
    ("explicit_names", (9, 9, 2), [
        ("ZeroPadding2D", [1], {}), ("Conv2D", [3, 3], {"name": "conv2d_5"}),
        ("Conv2D", [3, 3], {}), ("AveragePooling2D", [2], {}), ("ELU", [], {}),
        ("SpatialDropout2D", [0.2], {}), ("ZeroPadding2D", [(1, 2)], {}),
        ("GlobalMaxPooling2D", [], {"keepdims": True}), ("Conv2D", [2, 1], {}),
        ("Flatten", [], {}), ("Dense", [2], {"name": "dense_3"}), ("Dense", [2], {}),
    ]),
    ("volumes", (6, 6, 6, 1), [
        ("Conv3D", [2, 3], {}), ("MaxPooling3D", [], {"padding": "same"}),
        ("Conv3D", [2, 1], {}),
        ("AveragePooling3D", [1], {}), ("GlobalMaxPooling3D", [], {}),
        ("Dense", [2], {}), ("ReLU", [], {}), ("ReLU", [], {}), ("LeakyReLU", [], {}),
    ]),
]


def _net_text(shape: tuple[int, ...], layers: list[tuple[str, list[Any], dict[str, Any]]]) -> str:
    calls = [Case("keras", cls, tuple(a), tuple(k.items()), shape, ()).call
             for cls, a, k in layers]
    return "convention keras\ninput " + str(shape) + "\n" + "\n".join(calls) + "\n"


@pytest.mark.parametrize("shape,layers", [n[1:] for n in NETS], ids=[n[0] for n in NETS])
def test_keras_auto_names(shape: tuple[int, ...], layers: list[Any], need_keras: None) -> None:
    facts = keras_sequential_facts(layers, shape)
    d = symconv.derive(_net_text(shape, layers))
    assert [r.name for r in d.layers] == [f["name"] for f in facts]
    for record, f in zip(d.layers, facts):
        assert symconv_facts(record, "keras") == expected(f, "keras"), record.name


# --------------------------------------------------------------------------- coverage


def _one_tensor_layers() -> set[tuple[str, str]]:
    """Every registered layer this sweep covers: all but merges and functions (torch.cat,
    torch.select, …), which tests/test_merges.py compares (test_every_merge_is_covered), and
    Keras's wrappers (a layer as an argument), which tests/test_keras_catalog.py compares
    (test_every_wrapper_is_covered)."""
    return {(c, t) for c, table in REGISTRY.items() for t, spec in table.items()
            if spec.family not in ("merge", "functional", "wrapper")}


def test_every_registered_layer_has_a_generator() -> None:
    registered = _one_tensor_layers()
    missing = sorted(registered - set(GENERATORS))
    assert not missing, f"registered layers without a framework comparison: {missing}"
    stale = sorted(set(GENERATORS) - {(c, t) for c, table in REGISTRY.items() for t in table})
    assert not stale, f"generators for layers that are not registered: {stale}"


def test_zz_every_registered_layer_was_compared(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs last: every layer met the framework on at least one accepted configuration."""
    if len(RAN) < ALL_CASES:
        pytest.skip(f"only {len(RAN)} of {ALL_CASES} framework cases ran in this session")
    registered = _one_tensor_layers()
    never = sorted(registered - set(COMPARED))
    assert not never, f"layers never compared on a configuration the framework accepts: {never}"
    total, rejected = sum(COMPARED.values()), sum(REJECTED.values())
    with capsys.disabled():
        print(f"\nframework comparisons: {ALL_CASES} cases, {total} accepted and compared "
              f"(numeric + symbolic), {rejected} rejected by both, {len(ARTIFACTS)} skipped "
              "as backend artifacts")
