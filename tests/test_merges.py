"""Layers that take several tensors, and functions, against the real frameworks.

Seeded random cases (shapes with equal, broadcastable and clashing extents; every axis choice,
the batch axis included) for Keras's merge layers and keras.ops' elementwise functions, and for
PyTorch's add, sub, mul, cat and select. The framework runs first: where it refuses, symconv must refuse
(numerically, and through the symbolic form once sizes are substituted); otherwise both forms must
give the framework's output shape. Differing ranks are a documented limitation (the frameworks
broadcast them against the batch axis, which symconv shapes leave out): symconv must refuse them.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import json  # noqa: E402
import random  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

import symconv  # noqa: E402
from symconv.maths.printing import pretty  # noqa: E402

from frameworks import FrameworkError  # noqa: E402
from layer_cases import arch  # noqa: E402

SEED = int(os.environ.get("SYMCONV_CASES_SEED", "20240613"))
KERAS_LAYERS = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
                "Dot")
KERAS_OPS = ("add", "subtract", "multiply")
TORCH_OPS = ("add", "sub", "mul", "cat", "select")
OPERATORS = {"add": "+", "sub": "-", "mul": "*", "subtract": "-", "multiply": "*"}


@dataclass(frozen=True)
class MergeCase:
    convention: str
    op: str
    kwargs: tuple[tuple[str, Any], ...]
    shapes: tuple[tuple[int, ...], ...]
    infix: bool = False  # written `a + b` rather than add(a, b)

    @property
    def id(self) -> str:
        kw = ",".join(f"{k}={v}" for k, v in self.kwargs)
        how = "infix" if self.infix else ""
        return f"{self.convention}:{self.op}({kw}){how}@{'+'.join(map(arch, self.shapes))}"

    def text(self, symbolic: bool = False) -> tuple[str, dict[str, int]]:
        names = [f"t{i}" for i in range(len(self.shapes))]
        subs: dict[str, int] = {}
        lines = [f"convention {self.convention}"]
        inputs = []
        for i, shape in enumerate(self.shapes):
            dims = []
            for j, v in enumerate(shape):
                if symbolic:
                    subs[f"S{i}_{j}"] = v
                    dims.append(f"S{i}_{j}")
                else:
                    dims.append(str(v))
            inputs.append(f"input {names[i]}: ({', '.join(dims)}{',' if len(dims) == 1 else ''})")
        if subs:
            lines.append("sizes " + ", ".join(subs))
        lines += inputs
        kw = ", ".join(f"{k}={arch(v)}" for k, v in self.kwargs)
        if self.infix:
            lines.append(f"y = {names[0]} {OPERATORS[self.op]} {names[1]}")
        elif self.convention == "keras" and self.op[0].isupper():
            lines.append(f"y = {self.op}({kw})({', '.join(names)})")
        elif self.op == "cat":
            lines.append(f"y = cat(({', '.join(names)}), {kw})")
        elif self.op == "select":
            lines.append(f"y = select({names[0]}, {kw})")
        else:
            lines.append(f"y = {self.op}({', '.join(names)})")
        return "\n".join(lines) + "\n", subs


def _shape(rng: random.Random, rank: int) -> tuple[int, ...]:
    return tuple(rng.choice([1, 2, 3, 4]) for _ in range(rank))


def _related(rng: random.Random, base: tuple[int, ...], axis: int | None) -> tuple[int, ...]:
    """A shape like `base`: mostly equal, sometimes 1 or different on an axis."""
    out = list(base)
    for i in range(len(out)):
        r = rng.random()
        if i == axis or r < 0.15:
            out[i] = rng.choice([1, 2, 3, 5])
        elif r < 0.25:
            out[i] = 1
    if rng.random() < 0.07:  # a different rank now and then
        out = out[:-1] if len(out) > 1 else out + [2]
    return tuple(out)


def _cases() -> list[MergeCase]:
    rng = random.Random(f"{SEED}:merges")
    out: dict[str, MergeCase] = {}
    plan = [("keras", op) for op in KERAS_LAYERS + KERAS_OPS] + [("torch", op) for op in TORCH_OPS]
    for convention, op in plan:
        for _ in range(16):
            rank = rng.randint(1, 3)
            base = _shape(rng, rank)
            kwargs: dict[str, Any] = {}
            n = 1 if op == "select" else 2 if op in ("Subtract", "Dot") or op.islower() and \
                op != "cat" else rng.choice([2, 2, 3])
            axis = None
            if op == "Concatenate" and rng.random() < 0.8:
                kwargs["axis"] = rng.randint(-rank - 1, rank)
            if op == "cat":
                kwargs["dim"] = rng.randint(-rank - 1, rank)
            if op in ("Concatenate", "cat"):
                chosen = kwargs.get("axis", kwargs.get("dim", -1))
                axis = chosen % (rank + 1) - 1 if -rank - 1 <= chosen <= rank else None
            if op == "select":
                kwargs["dim"] = rng.randint(-rank - 1, rank)
                kwargs["index"] = rng.randint(-5, 4)
            if op == "Dot":
                kwargs["axes"] = rng.choice([1, 2, -1, (1, 1), (1, 2), (2, 1), 0])
                if rng.random() < 0.3:
                    kwargs["normalize"] = True
            shapes = [base] + [_related(rng, base, axis if axis is not None and axis >= 0
                                        else None) for _ in range(n - 1)]
            infix = op in OPERATORS and rng.random() < 0.5
            case = MergeCase(convention, op, tuple(kwargs.items()), tuple(shapes), infix)
            out.setdefault(case.id, case)
    return list(out.values())


CASES = _cases()


def keras_merge(case: MergeCase) -> tuple[int, ...]:
    import numpy as np

    import keras

    keras.backend.clear_session()
    try:
        inputs = [keras.Input(s) for s in case.shapes]
        kwargs = dict(case.kwargs)
        if case.op[0].isupper():
            out = getattr(keras.layers, case.op)(**kwargs)(inputs)
        else:
            out = getattr(keras.ops, case.op)(*inputs)
        model = keras.Model(inputs, out)
        y = model([np.zeros((2, *s), dtype="float32") for s in case.shapes])
    except Exception as err:  # noqa: BLE001 - any refusal is data
        raise FrameworkError(str(err), type(err).__name__) from err
    return tuple(int(v) for v in y.shape[1:])


def torch_merge(case: MergeCase) -> tuple[int, ...]:
    import torch

    xs = [torch.zeros((2, *s)) for s in case.shapes]
    try:
        if case.op == "cat":
            y = torch.cat(xs, **dict(case.kwargs))
        elif case.op == "select":
            y = torch.select(xs[0], **dict(case.kwargs))
        else:
            y = getattr(torch, case.op)(*xs)
    except Exception as err:  # noqa: BLE001
        raise FrameworkError(str(err), type(err).__name__) from err
    return tuple(y.shape[1:])


def _refused(text: str, subs: dict[str, int] | None) -> bool:
    try:
        symconv.derive(text, subs=subs)
    except symconv.SymconvError:
        return True
    return False


def _limitation(case: MergeCase) -> str | None:
    if len({len(s) for s in case.shapes}) > 1:
        return "inputs of different ranks"
    kw = dict(case.kwargs)
    rank = len(case.shapes[0]) + 1
    for key in ("axis", "dim"):
        if key in kw and -rank <= kw[key] < rank and kw[key] % rank == 0:
            return "an operation along the batch axis"
    if case.op == "cat" and "dim" not in kw:
        return "an operation along the batch axis"
    return None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_merge_matches_framework(case: MergeCase) -> None:
    pytest.importorskip("torch")
    if case.convention == "keras":
        pytest.importorskip("keras")
    try:
        want: tuple[int, ...] | None = (keras_merge if case.convention == "keras"
                                        else torch_merge)(case)
        why = None
    except FrameworkError as err:
        want, why = None, f"{err.kind}: {err}"
    limitation = _limitation(case)
    numeric, _ = case.text()
    symbolic, subs = case.text(symbolic=True)
    if want is None or limitation is not None:
        for text, values in ((numeric, None), (symbolic, subs)):
            assert _refused(text, values), \
                f"symconv accepts what {'is a limitation' if want else 'the framework refuses'}" \
                f" ({limitation or why}):\n{text}{values}"
        return
    for text, values in ((numeric, None), (symbolic, subs)):
        d = symconv.derive(text, subs=values)
        got = tuple(int(e) for e in d.output_shape)
        assert got == want, f"{text}{values}: symconv {got}, framework {want}"
        assert d.params == 0


def test_every_merge_is_covered() -> None:
    """Every layer that takes several tensors has cases above (the tensor operations: in
    tests/test_tensor_ops.py)."""
    from symconv.layers import REGISTRY

    many = {(c, t) for c, table in REGISTRY.items() for t, spec in table.items()
            if spec.family in ("merge", "functional")}
    from test_tensor_ops import ROWS  # the tensor operations (view, chunk, matmul, …)

    covered = {(c.convention, c.op) for c in CASES} | {(r.convention, r.op) for r in ROWS}
    assert many <= covered, sorted(many - covered)


# -- merges of computed extents (issue 14): the examples the fuzzer found, against real torch and
# Keras, and the warning a merge valid only where an extent is 1 gives ----------------------------

POOLED = "convention torch\nsizes H\ninput x: (4, H)\ny = MaxPool1d(2)(x)\nx + y\n"
DENSE = "sizes S\ninput x: (3,)\ny = Dense(S//2)(x)\nx + y\n"


def _torch_pooled(h: int) -> tuple[int, ...] | None:
    """The first example run by PyTorch at H = h: the output shape, or None if refused."""
    import torch

    x = torch.zeros(2, 4, h)
    try:
        return tuple((x + torch.nn.MaxPool1d(2)(x)).shape[1:])
    except RuntimeError:
        return None


def test_pooled_skip_matches_torch() -> None:
    """x: (4, H) + MaxPool1d(2)(x): PyTorch broadcasts where ⌊H/2⌋ = 1 (H = 2, 3) and refuses
    H = 8 (8 against 4); symconv agrees by substitution and with H fixed."""
    pytest.importorskip("torch")
    assert [_torch_pooled(h) for h in (2, 3, 8)] == [(4, 2), (4, 3), None]
    d = symconv.derive(POOLED)
    assert [w.layer for w in d.warnings] == ["add"]
    for h, want in ((2, (4, 2)), (3, (4, 3))):
        assert tuple(int(e) for e in symconv.derive(POOLED, subs={"H": h}).output_shape) == want
    with pytest.raises(symconv.SymconvError) as err:
        symconv.derive(POOLED, subs={"H": 8})
    assert err.value.code == "SC301" and err.value.message.startswith("add 'add': ")
    assert err.value.span is not None and (err.value.span.line, err.value.span.column) == (5, 1)


def test_pooled_skip_cli(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`derive --subs H=2|3` prints the broadcast shape and the warning on stderr, in errors'
    look; H=8 is refused (SC301 at the merge); JSON lists the warning."""
    from test_errors import run

    path = tmp_path / "pooled.arch"
    path.write_text(POOLED)
    warning = (f"{path}:5:1: warning: add 'add': extents H and ⌊H/2⌋ on axis 2 are never "
               "equal, so the inputs broadcast only where one of them is 1 (is a stride or a "
               "padding missing?)\n    x + y\n    ^~~~~\n")
    for h in (2, 3):
        code, out, err = run(["derive", str(path), "--subs", f"H={h}"])
        assert (code, err) == (0, warning)
        assert f"│ add (add)     │ (N, 4, {h})" in out
    code, out, err = run(["derive", str(path), "--subs", "H=8"])
    assert code == 1 and out == ""
    assert err.startswith(f"{path}:5:1: error: add 'add': the inputs' extents on axis 2 must "
                          "be equal (or 1) [SC301]\n    x + y\n    ^~~~~\n"
                          "note: requires H = 1 or ⌊H/2⌋ = 1, but H = 8\n")
    code, out, err = run(["explain", str(path)])
    assert code == 0 and err == warning
    code, out, err = run(["derive", str(path), "-f", "json"])
    assert code == 0 and err == warning
    assert json.loads(out)["warnings"] == [{
        "message": warning.split("warning: ")[1].split("\n")[0], "layer": "add", "line": 5,
        "column": 1}]


def test_no_warning_no_key() -> None:
    """A merge that is fine for some sizes (a skip after pool and upsample, even H) warns of
    nothing, and its JSON has no 'warnings' key."""
    text = ("convention torch\nsizes H\ninput x: (1, H)\ny = MaxPool1d(2)(x)\n"
            "z = Upsample(scale_factor=2)(y)\nx + z\n")
    d = symconv.derive(text)
    assert d.warnings == () and "warnings" not in d.to_dict()
    assert pretty(d.requires[-1].condition) == "H = 1 or H mod 2 = 0"


def _keras_dense(s: int) -> tuple[int, ...] | None:
    import numpy as np

    import keras

    x = np.zeros((2, 3), "float32")
    try:
        return tuple(keras.ops.add(x, keras.layers.Dense(s // 2)(x)).shape[1:])
    except (ValueError, RuntimeError):
        return None


def test_dense_merge_condition_matches_keras() -> None:
    """(3,) + Dense(S//2): valid where ⌊S/2⌋ is 3 or 1, the result (3,) there; read as such."""
    pytest.importorskip("keras")
    d = symconv.derive(DENSE)
    assert pretty(d.requires[-1].condition) == "3 = ⌊S/2⌋ or ⌊S/2⌋ = 1"
    assert d.warnings == ()
    for s in range(2, 10):
        want = _keras_dense(s)
        try:
            got: tuple[int, ...] | None = tuple(
                int(e) for e in symconv.derive(DENSE, subs={"S": s}).output_shape)
        except symconv.SymconvError:
            got = None
        assert got == want, f"S = {s}"
    assert {s for s in range(2, 10) if _keras_dense(s)} == {2, 3, 6, 7}


def test_extents_never_equal_nor_one_are_refused_at_the_merge() -> None:
    """3 against 4: Keras's Add raises at build time, torch at the call; symconv refuses at the
    merge, naming both extents and the axis (batch axis 0)."""
    pytest.importorskip("keras")
    import numpy as np

    import keras
    import torch

    with pytest.raises(ValueError, match="incompatible shapes"):
        keras.layers.Add()([keras.Input((3,)), keras.Input((4,))])
    with pytest.raises(RuntimeError):
        torch.zeros(2, 3) + torch.zeros(2, 4)
    # size-1 axes broadcast in Keras's merge layers too: (4, 8) with (4, 1)
    assert tuple(keras.layers.Add()([np.zeros((2, 4, 8)), np.zeros((2, 4, 1))]).shape) == (
        2, 4, 8)
    for text in ("input x: (3,)\ninput y: (4,)\nAdd()(x, y)\n",
                 "convention torch\ninput x: (3,)\ninput y: (4,)\nx + y\n"):
        with pytest.raises(symconv.SymconvError) as err:
            symconv.derive(text)
        assert err.value.code == "SC203" and err.value.span is not None
        assert "extents 3 and 4 on axis 1 must be equal (or 1)" in err.value.message


def test_zero_extent_broadcast_with_one_gives_zero() -> None:
    """torch: (1, 1) + (1, 0) is (1, 0); the symbolic result must not be Max(H, K - 1)."""
    pytest.importorskip("torch")
    import torch

    x = torch.zeros(2, 1, 1)
    assert tuple((x + torch.nn.AdaptiveAvgPool1d(0)(x)).shape[1:]) == (1, 0)
    text = ("convention torch\nsizes H, K\ninput x: (1, H)\ny = AdaptiveAvgPool1d(K - 1)(x)\n"
            "x + y\n")
    d = symconv.derive(text, subs={"H": 1, "K": 1})
    assert tuple(int(e) for e in d.output_shape) == (1, 0)


def test_concatenate_names_the_extents_and_reads_mod() -> None:
    """Concatenate's other axes and Dot's axes compare extents as the elementwise merges do:
    never equal → SC203 naming both; equal for some sizes → a readable condition (H mod 2 = 0
    for a skip after pool and upsampling), which real Keras confirms."""
    pytest.importorskip("keras")
    import numpy as np

    import keras

    pooled = "sizes H\ninput x: (H, 4)\ny = MaxPooling1D(2)(x)\n"
    with pytest.raises(symconv.SymconvError) as err:
        symconv.derive(pooled + "Concatenate()(x, y)\n")
    assert "extents H and ⌊H/2⌋ on axis 1 must be equal" in err.value.message
    with pytest.raises(symconv.SymconvError) as err:
        symconv.derive(pooled + "Dot(axes=1)(x, y)\n")
    assert "H on axis 1 of the first input and ⌊H/2⌋ on axis 1" in err.value.message
    skip = pooled + "z = UpSampling1D(2)(y)\n"
    for merge in ("Concatenate()(x, z)", "Dot(axes=1)(x, z)"):
        d = symconv.derive(skip + merge + "\n")
        assert pretty(d.requires[-1].condition) == "H mod 2 = 0", merge
        for h in (4, 5):
            x = np.zeros((2, h, 4), "float32")
            z = keras.layers.UpSampling1D(2)(keras.layers.MaxPooling1D(2)(x))
            layer = (keras.layers.Concatenate() if merge.startswith("Concat")
                     else keras.layers.Dot(axes=1))
            try:
                want: tuple[int, ...] | None = tuple(layer([x, z]).shape[1:])
            except (ValueError, RuntimeError):
                want = None
            try:
                got: tuple[int, ...] | None = tuple(
                    int(e) for e in symconv.derive(skip + merge + "\n", subs={"H": h})
                    .output_shape)
            except symconv.SymconvError:
                got = None
            assert got == want, (merge, h)
