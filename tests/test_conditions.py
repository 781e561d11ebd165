"""The conditions shown are the fewest that say the same (issue 18, implied conditions): an
identity of floors is proved, not listed; a condition that the sizes' bounds already give is
dropped; one they do not give stays. Expected sets are worked out by hand in each row."""

from __future__ import annotations

import pytest
import sympy

import symconv
from symconv.derivation.conditions import _implied
from symconv.maths import printing

H = sympy.Symbol("H", integer=True, positive=True)
W = sympy.Symbol("W", integer=True, positive=True)
P = sympy.Symbol("P", integer=True, nonnegative=True)

LENET = """convention torch
sizes H, W
input (1, H, W)
Conv2d(1, 6, 5)
MaxPool2d(2)
Conv2d(6, 16, 5)
MaxPool2d(2)
Flatten()
Linear({features}, 120)
"""


@pytest.mark.parametrize("features, valid", [
    # ((H - 4)//2 - 4)//2 is ⌊H/4⌋ - 3, the extent the Flatten counts: no condition of its own;
    # in_features ≥ 1 follows from H ≥ 16 and W ≥ 16 (16·(4 - 3)·(4 - 3) = 16)
    ("16*(((H-4)//2-4)//2)*(((W-4)//2-4)//2)", ["H ≥ 16", "W ≥ 16"]),
    # a number: 16·5·5 = 400 holds for H, W in 32..35 only, which the equation says
    ("16 * 5 * 5", ["H ≥ 16", "W ≥ 16", "400 = 16*(⌊H/4⌋ - 3)*(⌊W/4⌋ - 3)"]),
], ids=["written-with-floor-division", "a-number"])
def test_lenet_conditions(features: str, valid: list[str]) -> None:
    d = symconv.derive(LENET.format(features=features))
    assert [printing.pretty(r.condition) for r in d.requires] == valid


def test_floor_division_is_canonical() -> None:
    d = symconv.derive("convention torch\nsizes H\ninput (H,)\nLinear(H, ((H - 4)//2 - 4)//2)\n")
    assert d.layers[0].output_shape == (sympy.floor(H / 4) - 3,)


@pytest.mark.parametrize("condition, least, implied", [
    # (16⌊H/4⌋ - 48)(⌊W/4⌋ - 3) at H = W = 16: 16 ≥ 1, and it grows with H and W
    ((16 * sympy.floor(H / 4) - 48) * (sympy.floor(W / 4) - 3) >= 1, {H: 16, W: 16}, True),
    # the same without the bounds: at H = W = 1 it is (0 - 48)·(0 - 3) = 144, but a factor is
    # negative there, so growth is not shown: kept
    ((16 * sympy.floor(H / 4) - 48) * (sympy.floor(W / 4) - 3) >= 1, {}, False),
    (20 - H >= 1, {H: 3}, False),  # falls as H grows
    (H + P >= 1, {}, True),  # H ≥ 1 by its domain, P ≥ 0
    (H >= 3, {H: 3}, False),  # a bound is what the others rest on, never dropped
    (sympy.Eq(sympy.Mod(H, 4), 0), {H: 16}, False),  # not a bound
    (H * W - 300 > 0, {H: 16, W: 16}, False),  # 256 - 300 < 0 at the least values
], ids=["lenet", "no-bounds", "decreasing", "domains", "a-bound", "mod", "too-small"])
def test_implied(condition: object, least: dict[sympy.Symbol, int], implied: bool) -> None:
    assert _implied(condition, least) is implied


def test_a_condition_that_is_not_implied_stays() -> None:
    """20 - H features: H ≤ 19 is a real limit beside H ≥ 3 (torch Linear(20 - H, …))."""
    d = symconv.derive("convention torch\nsizes H\ninput (4, H)\nConv1d(4, 4, 3)\n"
                       "Linear(H - 2, 20 - H)\n")
    assert [printing.pretty(r.condition) for r in d.requires] == ["H ≥ 3", "-H + 20 ≥ 1"]


def test_convnext_stages_need_only_the_last_bound() -> None:
    """ConvNeXt-T: a 4× stem and three 2× downsamples, whatever the stage depths n1…n4, so
    H ≥ 32 and W ≥ 32 (at 31 the extents are ⌊27/4⌋ + 1 = 7, then 3, 1 and 0); each stage's own
    `nk = 0 or H ≥ 4·2^k` says nothing more."""
    from pathlib import Path

    d = symconv.derive(Path(__file__).resolve().parent.parent / "examples" / "convnext_tiny.arch")
    assert [printing.pretty(r.condition) for r in d.requires] == ["H ≥ 32", "W ≥ 32"]


@pytest.mark.parametrize("condition, least, implied", [
    (sympy.Or(sympy.Eq(P, 0), H >= 4), {H: 32}, True),
    (sympy.Or(sympy.Eq(P, 0), H >= 64), {H: 32}, False),
], ids=["or-implied", "or-not-implied"])
def test_implied_or(condition: object, least: dict[sympy.Symbol, int], implied: bool) -> None:
    assert _implied(condition, least) is implied
