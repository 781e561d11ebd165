"""Every extent form symconv builds, merged with every other, against the real frameworks
(issue 14: a merge of a floored or ceiled extent ended in an internal error).

Each row of FORMS is one way a tensor's last extent comes about, written three times: in .arch,
with real PyTorch and with real Keras (Keras has no ceil-mode pooling and no float-scaled
upsampling, and no layer giving an extent that may be 0, so those rows are PyTorch's only).
Each pair of forms of a convention is merged, by `+` and `cat` in PyTorch and by `Add`,
`Concatenate` and `Dot` in Keras (cat, Concatenate and Dot need the extents equal: the siblings of
broadcasting), and for every sampled size:

- symconv never fails with anything but a SymconvError (exit 1, not 3);
- the framework's verdict is the truth: where it refuses (the merge, or a layer before it),
  symconv refuses, both by substituting the sizes into the symbolic derivation and by deriving
  with the sizes fixed from the start; where it accepts, both give its output shape;
- a warning ("valid only where an extent is 1") is sound: the two extents differ at every
  sampled size the framework can build.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest  # noqa: E402

import symconv  # noqa: E402
from symconv.derivation.run import derive_program  # noqa: E402
from symconv.errors import Source  # noqa: E402
from symconv.language.parse import parse  # noqa: E402

# Sizes sampled: small, so that extents of 0, 1 and equal extents all occur.
SAMPLES = {"H": (1, 2, 3, 4, 5, 6, 7, 8), "W": (1, 2, 3), "K": (1, 2, 3)}

# Each input's shape without the batch axis: PyTorch channels first, Keras channels last; the
# extent merged is the length (PyTorch's last axis, Keras's first).
TORCH_INPUTS = {"x": "(1, H)", "w": "(1, W)", "u": "(1, H, W)", "one": "(1, 1)",
                "three": "(1, 3)"}
KERAS_INPUTS = {"x": "(H, 1)", "w": "(W, 1)", "u": "(H, W, 1)", "one": "(1, 1)",
                "three": "(3, 1)"}
Env = dict[str, Any]  # input name → tensor; sizes under their names


@dataclass(frozen=True)
class Form:
    name: str
    inputs: tuple[str, ...]
    sizes: tuple[str, ...]
    torch_arch: str | None  # an expression in the inputs
    keras_arch: str | None
    torch: Callable[[Env], Any] | None = None
    keras: Callable[[Env], Any] | None = None


def _t(name: str) -> Any:
    import torch

    return getattr(torch.nn, name)


def _k(name: str) -> Any:
    import keras

    return getattr(keras.layers, name)


FORMS = (
    Form("size", ("x",), ("H",), "x", "x", lambda e: e["x"], lambda e: e["x"]),
    Form("one", ("one",), (), "one", "one", lambda e: e["one"], lambda e: e["one"]),
    Form("three", ("three",), (), "three", "three", lambda e: e["three"],
         lambda e: e["three"]),
    Form("floor", ("x",), ("H",), "MaxPool1d(2)(x)", "MaxPooling1D(2)(x)",
         lambda e: _t("MaxPool1d")(2)(e["x"]), lambda e: _k("MaxPooling1D")(2)(e["x"])),
    Form("floor3", ("x",), ("H",), "AvgPool1d(3)(x)", "AveragePooling1D(3)(x)",
         lambda e: _t("AvgPool1d")(3)(e["x"]), lambda e: _k("AveragePooling1D")(3)(e["x"])),
    Form("ceil", ("x",), ("H",), "MaxPool1d(2, ceil_mode=True)(x)",
         "MaxPooling1D(2, padding='same')(x)",
         lambda e: _t("MaxPool1d")(2, ceil_mode=True)(e["x"]),
         lambda e: _k("MaxPooling1D")(2, padding="same")(e["x"])),
    # a ceil-mode pool with a symbolic kernel: Min(⌈H/2⌉, ⌊(H - K + 3)/2⌋)
    Form("min", ("x",), ("H", "K"), "MaxPool1d(K, stride=2, ceil_mode=True)(x)", None,
         lambda e: _t("MaxPool1d")(e["K"], stride=2, ceil_mode=True)(e["x"])),
    # an extent that may be 0 (K = 1): 0 broadcast with 1 gives 0
    Form("empty", ("x",), ("H", "K"), "AdaptiveAvgPool1d(K - 1)(x)", None,
         lambda e: _t("AdaptiveAvgPool1d")(e["K"] - 1)(e["x"])),
    # an earlier broadcast: Max(H, W)
    Form("max", ("x", "w"), ("H", "W"), "add(x, w)", "Add()(x, w)",
         lambda e: e["x"] + e["w"], lambda e: _k("Add")()([e["x"], e["w"]])),
    # trunc(H ⊗ 0.7) in double arithmetic (torch_resize.FloatScaled)
    Form("scaled", ("x",), ("H",), "Upsample(scale_factor=0.7)(x)", None,
         lambda e: _t("Upsample")(scale_factor=0.7)(e["x"])),
    Form("product", ("u",), ("H", "W"), "Flatten(start_dim=2)(u)", "Reshape((-1, 1))(u)",
         lambda e: e["u"].flatten(2), lambda e: _k("Reshape")((-1, 1))(e["u"])),
    # H + (H mod 2) + 1: Keras's correct_pad before a stride-2 window
    Form("mod", ("x",), ("H",), "ZeroPad1d((H % 2, 1))(x)", "ZeroPadding1D((H % 2, 1))(x)",
         lambda e: _t("ZeroPad1d")((e["H"] % 2, 1))(e["x"]),
         lambda e: _k("ZeroPadding1D")((e["H"] % 2, 1))(e["x"])),
)


# The merges, written in .arch and run by the framework on the two tensors: broadcasting, and
# the siblings that need the merged extents equal (Concatenate's other axes, Dot's axes).
MERGES: dict[str, tuple[str, Callable[[Any, Any], Any]]] = {
    "add": ("a + b", lambda a, b: a + b),
    "cat": ("cat((a, b), dim=1)", lambda a, b: __import__("torch").cat((a, b), 1)),
    "Add": ("Add()(a, b)", lambda a, b: _k("Add")()([a, b])),
    "Concatenate": ("Concatenate()(a, b)", lambda a, b: _k("Concatenate")()([a, b])),
    "Dot": ("Dot(axes=1)(a, b)", lambda a, b: _k("Dot")(axes=1)([a, b])),
}
CONVENTION_MERGES = {"torch": ("add", "cat"), "keras": ("Add", "Concatenate", "Dot")}


@dataclass(frozen=True)
class Pair:
    convention: str
    merge: str
    first: Form
    second: Form

    @property
    def id(self) -> str:
        return f"{self.convention}:{self.merge}:{self.first.name},{self.second.name}"

    @property
    def forms(self) -> tuple[Form, Form]:
        return self.first, self.second

    @property
    def sizes(self) -> list[str]:
        return sorted({s for f in self.forms for s in f.sizes})

    @property
    def inputs(self) -> list[str]:
        return [n for n in TORCH_INPUTS if any(n in f.inputs for f in self.forms)]

    def text(self) -> str:
        torch = self.convention == "torch"
        shapes = TORCH_INPUTS if torch else KERAS_INPUTS
        lines = [f"convention {self.convention}"]
        if self.sizes:
            lines.append("sizes " + ", ".join(self.sizes))
        lines += [f"input {n}: {shapes[n]}" for n in self.inputs]
        exprs = [f.torch_arch if torch else f.keras_arch for f in self.forms]
        lines += [f"a = {exprs[0]}", f"b = {exprs[1]}"]
        lines.append(f"y = {MERGES[self.merge][0]}")
        return "\n".join(lines) + "\n"

    def assignments(self) -> list[dict[str, int]]:
        values = [SAMPLES[s] for s in self.sizes]
        return [dict(zip(self.sizes, combo)) for combo in itertools.product(*values)]


def _pairs() -> list[Pair]:
    out = []
    for convention in ("torch", "keras"):
        forms = [f for f in FORMS if (f.torch if convention == "torch" else f.keras)]
        out += [Pair(convention, merge, a, b) for merge in CONVENTION_MERGES[convention]
                for a, b in itertools.combinations_with_replacement(forms, 2)]
    return out


PAIRS = _pairs()


class Refused(Exception):
    pass


def _torch_truth(pair: Pair, sizes: dict[str, int]) -> tuple[tuple[int, ...], tuple[int, int]]:
    """(the merge's output shape, the two merged extents) by real PyTorch; Refused if it
    refuses."""
    import torch

    env: Env = dict(sizes)
    for name in pair.inputs:
        shape = TORCH_INPUTS[name].strip("()").split(", ")
        env[name] = torch.zeros((2, *(sizes.get(d, None) or int(d) for d in shape)))
    try:
        a, b = (f.torch(env) for f in pair.forms)  # type: ignore[misc]
        y = MERGES[pair.merge][1](a, b)
    except (RuntimeError, ValueError) as err:
        raise Refused(str(err)) from err
    return tuple(y.shape[1:]), (a.shape[-1], b.shape[-1])


def _keras_truth(pair: Pair, sizes: dict[str, int]) -> tuple[tuple[int, ...], tuple[int, int]]:
    """As _torch_truth, by real Keras run eagerly (each layer is built on the concrete shapes,
    as in a model whose input shapes are given)."""
    import numpy as np

    env: Env = dict(sizes)
    for name in pair.inputs:
        shape = KERAS_INPUTS[name].strip("()").split(", ")
        env[name] = np.zeros((2, *(sizes.get(d, None) or int(d) for d in shape)), "float32")
    try:
        a, b = (f.keras(env) for f in pair.forms)  # type: ignore[misc]
        y = MERGES[pair.merge][1](a, b)
    except (RuntimeError, ValueError) as err:
        raise Refused(str(err)) from err
    return tuple(int(v) for v in y.shape[1:]), (a.shape[1], b.shape[1])


def _symconv(run: Callable[[], Any]) -> tuple[int, ...] | None:
    """The output shape, or None where symconv refuses (any other exception is a bug)."""
    try:
        d = run()
    except symconv.SymconvError:
        return None
    return tuple(int(e) for e in d.output_shape)


@pytest.mark.parametrize("pair", PAIRS, ids=[p.id for p in PAIRS])
def test_merge_of_forms_matches_framework(pair: Pair) -> None:
    pytest.importorskip("torch")
    if pair.convention == "keras":
        pytest.importorskip("keras")
    text = pair.text()
    source = Source(text, f"{pair.id}.arch")
    try:
        symbolic = symconv.derive(text)
    except symconv.SymconvError:
        symbolic = None  # refused for every size: the framework must refuse every sample
    truth = _torch_truth if pair.convention == "torch" else _keras_truth
    warned = symbolic is not None and bool(symbolic.warnings)
    accepted = 0
    for sizes in pair.assignments():
        try:
            want, extents = truth(pair, sizes)
        except Refused as err:
            want, extents, why = None, None, str(err).splitlines()[0][:200]
        if symbolic is None:
            assert want is None, f"symconv refuses what the framework accepts at {sizes}:\n{text}"
            continue
        substituted = _symconv(lambda: symconv.derive(text, subs=sizes))
        fixed = _symconv(lambda: derive_program(parse(source), sizes))
        where = f"{sizes}:\n{text}framework: {want or why}"
        assert substituted == want, f"substituted {substituted} at {where}"
        assert fixed == want, f"sizes fixed {fixed} at {where}"
        if warned and extents is not None:
            assert extents[0] != extents[1], f"warned, but the extents are equal at {where}"
        accepted += want is not None
    if pair.merge in ("add", "Add"):
        # the samples reach every broadcast symconv derives (an extent of 1 always comes up);
        # joins need equal extents, which symconv cannot always rule out (floor(H*0.7) = H)
        assert (symbolic is None) == (accepted == 0), f"{accepted} samples accepted:\n{text}"


def test_every_form_is_in_both_conventions_where_it_exists() -> None:
    """The table covers PyTorch fully and Keras wherever Keras has the form."""
    assert all(f.torch is not None and f.torch_arch for f in FORMS)
    assert {f.name for f in FORMS if f.keras is None} == {"min", "empty", "scaled"}
