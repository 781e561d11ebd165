"""Long chains and canonical forms (issue 6): a derivation is linear in depth, never recursive,
its window extents print one floor deep, and differently-written equal extents merge.

Expected values come from the frameworks' own formulas evaluated with Python integers
(ATen's pooling_output_shape, the Conv2d documentation) or from running real PyTorch."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy

import symconv
from symconv.maths import extent
from symconv.layers import REGISTRY

ROOT = Path(__file__).resolve().parent.parent

# A repeating six-layer pattern: strided convs and pools, floor and ceil mode. Each layer keeps
# an extent of 1 at 1, so the chain is valid for every H ≥ 1 however long it is.
PATTERN = [
    ("Conv2d(4, 4, 3, stride=2, padding=1)", ("floor", 3, 2, 1)),
    ("Conv2d(4, 4, 3, padding=1)", ("floor", 3, 1, 1)),
    ("MaxPool2d(3, stride=2, padding=1)", ("floor", 3, 2, 1)),
    ("Conv2d(4, 4, 1)", ("floor", 1, 1, 0)),
    ("MaxPool2d(3, stride=2, padding=1, ceil_mode=True)", ("ceil", 3, 2, 1)),
    ("AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)",
     ("ceil", 3, 2, 1)),
]


def chain_text(n: int) -> str:
    lines = ["network chain", "convention torch", "sizes H, W", "input (4, H, W)"]
    lines += [PATTERN[i % len(PATTERN)][0] for i in range(n)]
    return "\n".join(lines) + "\n"


def aten(L: int, mode: str, k: int, s: int, p: int) -> int:
    """ATen's pooling_output_shape (convolutions are its floor mode)."""
    out = (L + 2 * p - (k - 1) - 1 + (s - 1 if mode == "ceil" else 0)) // s + 1
    if mode == "ceil" and (out - 1) * s >= L + p:
        out -= 1
    return out


def chain_integers(n: int, L: int) -> list[int]:
    out = []
    for i in range(n):
        L = aten(L, *PATTERN[i % len(PATTERN)][1])
        out.append(L)
    return out


def roundings(e: sympy.Expr) -> int:
    return sum(1 for node in sympy.preorder_traversal(e)
               if isinstance(node, (sympy.floor, sympy.ceiling)))


def branches(e: sympy.Expr) -> list[sympy.Expr]:
    if isinstance(e, (sympy.Min, sympy.Max)):
        return [b for a in e.args for b in branches(a)]
    return [e]


def test_ten_thousand_layers_derive_without_recursion_and_stay_one_floor_deep() -> None:
    n = 10_000
    d = symconv.derive(chain_text(n))
    assert len(d.layers) == n
    H = sympy.Symbol("H", integer=True, positive=True)
    last = d.layers[-1].output_shape[1]
    assert all(roundings(b) <= 1 for b in branches(last)) and len(str(last)) < 10_000
    for L in (1, 2, 3, 1000, 10**600 + 12345, 2**4000 - 1):
        assert last.xreplace({H: L}) == chain_integers(n, L)[-1], L


@pytest.mark.parametrize("n", [50, 200, 1000])
def test_every_layer_of_a_chain_matches_the_frameworks_formulas(n: int) -> None:
    d = symconv.derive(chain_text(n))
    H = sympy.Symbol("H", integer=True, positive=True)
    for L in (1, 5, 64, 2**40 + 3, 3**300):
        want = chain_integers(n, L)
        got = [layer.output_shape[1].xreplace({H: L}) for layer in d.layers]
        assert got == want, L
    assert all(roundings(b) <= 1 for layer in d.layers for b in branches(layer.output_shape[1]))


EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.arch"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_window_extents_of_every_example_print_one_floor_per_branch(name: str) -> None:
    """Every output extent of a convolution or pooling layer, in every example of the zoo."""
    d = symconv.derive(ROOT / "examples" / name)
    for layer in d.layers:
        spec = REGISTRY[d.convention].get(layer.type)
        if spec is None or spec.family not in ("conv", "pool"):
            continue
        for axis in layer.output_shape:
            for branch in branches(axis):
                assert roundings(branch) <= 1, (layer.name, axis)


def test_resnet50_and_vgg16_final_extents_read_as_published() -> None:
    resnet = symconv.derive(ROOT / "examples" / "resnet50.arch")
    conv = next(la for la in resnet.layers if la.name == "layer4.2.conv3")
    assert str(conv.output_shape[1]) == "ceiling(H/32)"
    vgg = symconv.derive(ROOT / "examples" / "vgg16.arch")
    pool = next(la for la in vgg.layers if la.name == "block5_pool")
    assert str(pool.output_shape[0]) == "floor(H/32)"


RESIDUAL = """\
convention torch
sizes H, W
input x: (8, H, W)
a = MaxPool2d(2)(x)
a = Conv2d(8, 8, 3, stride=2, padding=1)(a)
b = Conv2d(8, 8, 2, stride=4)(x)
a + b
"""


def test_residual_add_of_differently_written_equal_branches_is_accepted(need_torch) -> None:  # type: ignore[no-untyped-def]
    """torch.export and JAX reject this add (issue 6); the branches agree for every H ≥ 2."""
    import torch
    from torch import nn

    d = symconv.derive(RESIDUAL)
    assert [str(r.condition) for r in d.requires] == ["H >= 2", "W >= 2"]
    torch.manual_seed(0)
    a = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, stride=2, padding=1))
    b = nn.Conv2d(8, 8, 2, stride=4)
    for h in range(2, 40):
        x = torch.zeros(1, 8, h, h + 1)
        with torch.no_grad():
            out = a(x) + b(x)  # raises if the branches differ
        sub = symconv.derive(RESIDUAL, subs={"H": h, "W": h + 1})
        assert tuple(int(v) for v in sub.layers[-1].output_shape) == tuple(out.shape[1:])


def test_linear_forms_depend_on_the_expression_alone() -> None:
    """A number reached through a window (floor(23/2) + 1 = 12) is the number 12 afterwards:
    what a later layer derives cannot depend on what was derived before it."""
    twelve = extent.window(sympy.Integer(25), sympy.Integer(2), sympy.Integer(2), sympy.Integer(0))
    assert twelve == 12 and extent.linear(twelve) == extent.Linear((), 12, 1)
    u = sympy.Symbol("U", integer=True, positive=True)
    after = extent.window(twelve, u + 1, sympy.Integer(3), sympy.Integer(0))
    assert after == sympy.floor((14 - u) / 3)
    for value in range(1, 14):
        assert after.xreplace({u: value}) == (12 - value - 1) // 3 + 1


# -- symbolic kernels, strides, paddings and dilations (issue 14) ----------------------------
# Each composes into one exact floor whose numerator grows by a term or two a layer; sympy's
# evaluation of such floors factored the numerator at every layer (100 layers: 47 s).
KERAS_CHAIN = "convention keras\nsizes H, W, K, S\ninput (H, W, 3)\n"
KERAS_LAYER = "Conv2D(8, K, strides=S)\n"
TORCH_CHAIN = "convention torch\nsizes H, W, K, S, P, D\ninput (8, H, W)\n"
TORCH_LAYER = "Conv2d(8, 8, K, stride=S, padding=P, dilation=D)\n"


def keras_valid(L: int, k: int, s: int) -> int:
    """keras.src.ops.operation_utils.compute_conv_output_shape, 'valid', dilation 1."""
    return (L - k) // s + 1


def torch_conv(L: int, k: int, s: int, p: int, d: int) -> int:
    """The torch.nn.Conv2d documentation: floor((L + 2p − d(k − 1) − 1)/s) + 1."""
    return (L + 2 * p - d * (k - 1) - 1) // s + 1


def _symbols(names: str) -> list[sympy.Symbol]:
    return [sympy.Symbol(n, integer=True, positive=True) for n in names]


def test_a_keras_chain_with_symbolic_kernel_and_stride_is_exact() -> None:
    n = 100
    d = symconv.derive(KERAS_CHAIN + KERAS_LAYER * n)
    H, W, K, S = _symbols("HWKS")
    for h, k, s in [(10**6, 3, 2), (50, 1, 1), (10**40, 5, 3), (7, 2, 2), (999, 4, 1)]:
        L = h
        for i, layer in enumerate(d.layers):
            L = keras_valid(L, k, s)
            if i % 9 == 0 or i == n - 1:
                point = {H: h, W: h, K: k, S: s}
                assert layer.output_shape[0].xreplace(point) == L, (i, h, k, s)
                (condition,) = [r.condition for r in layer.requires
                                if r.condition.free_symbols >= {H}]
                assert bool(condition.xreplace(point)) == (L >= 1), (i, condition)


def test_a_torch_chain_with_symbolic_stride_padding_and_dilation_is_exact() -> None:
    n = 60
    d = symconv.derive(TORCH_CHAIN + TORCH_LAYER * n)
    H, W, K, S, P, D = (d.symbol(n) for n in "HWKSPD")  # P is a padding: ≥ 0
    for h, k, s, p, dil in [(10**6, 3, 2, 1, 1), (10**30, 5, 3, 2, 2), (40, 1, 1, 0, 3),
                            (123, 3, 1, 1, 2)]:
        L = h
        for i, layer in enumerate(d.layers):
            L = torch_conv(L, k, s, p, dil)
            if i % 7 == 0 or i == n - 1:
                point = {H: h, W: h, K: k, S: s, P: p, D: dil}
                assert layer.output_shape[1].xreplace(point) == L, (i, h, k, s, p, dil)


@pytest.mark.parametrize("chain,layer", [(KERAS_CHAIN, KERAS_LAYER), (TORCH_CHAIN, TORCH_LAYER)],
                         ids=["keras", "torch"])
def test_200_symbolic_layers_derive_and_print_within_a_minute(chain: str, layer: str,
                                                              tmp_path: Path) -> None:
    """The whole process (over a minute before for either; a few seconds now, most of it
    printing a table of 7 to 13 MB: every extent's numerator has a term or two per layer)."""
    import os
    import subprocess
    import sys

    path = tmp_path / "chain.arch"
    path.write_text(chain + layer * 200, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "symconv", "derive", str(path)], env=env,
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("│ conv2d") == 200 or run.stdout.count("(Conv2d)") == 200


def test_explain_of_a_symbolic_chain_within_a_minute(tmp_path: Path) -> None:
    """symconv explain computed each window with sympy's floor on the input extent (a 100-layer
    chain took 75 s); every layer's line states Keras's formula."""
    import os
    import subprocess
    import sys

    path = tmp_path / "chain.arch"
    path.write_text(KERAS_CHAIN + KERAS_LAYER * 150, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "symconv", "explain", str(path)], env=env,
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("height (axis 1): ⌊(") == 150 and \
        run.stdout.count("width (axis 2): ⌊(") == 150
