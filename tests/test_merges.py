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

import random  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

import symconv  # noqa: E402

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
    """Every layer that takes several tensors has cases above."""
    from symconv.layers import REGISTRY

    many = {(c, t) for c, table in REGISTRY.items() for t, spec in table.items()
            if spec.family in ("merge", "functional")}
    covered = {(c.convention, c.op) for c in CASES}
    assert many <= covered, sorted(many - covered)
