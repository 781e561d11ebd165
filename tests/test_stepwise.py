"""The layer-by-layer form (symconv/derivation/stepwise.py) reruns each layer on symbols for
its input's extents. A layer met again on inputs that differ only in their symbols gets the
result computed first, its one symbol renamed (`_rerun`): the same expressions, tree for tree,
as running it again. Every network here is stepped both ways and compared by `srepr`, and
rendered both ways in LaTeX."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy

import symconv
from symconv.derivation import stepwise

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))

CYCLE = ["Conv2d(8, 8, 3, stride=1, padding=1)", "Conv2d(8, 8, 3, stride=1, padding=0)",
         "Conv2d(8, 8, 5, stride=2, padding=2)", "MaxPool2d(3, stride=1, padding=1)",
         "ReLU()", "Conv2d(8, 8, 3, stride=3, padding=1)"]

CASES = {
    "strides 1, 2 and 3 mixed": "convention torch\nsizes H, W\ninput (8, H, W)\n"
                                + "\n".join(CYCLE * 20) + "\n",
    # ceil-mode pools: Max of floors; a padding that may be 0; a dilation
    "ceil mode, padding P >= 0": "convention torch\nsizes H, W, P >= 0\ninput (3, H, W)\n"
                                 + "Conv2d(3, 3, 3, padding=P)\nMaxPool2d(3, 2, ceil_mode=True)\n"
                                 * 6,
    "dilated, symbolic stride": "convention torch\nsizes H, S\ninput (3, H)\n"
                                + "Conv1d(3, 3, 3, dilation=2, stride=S)\n" * 5,
    # two symbols in one extent: a concatenation's sum, then the layers after it
    "a sum of two symbols": "convention torch\nsizes H, W\ninput a: (3, H)\ninput b: (3, W)\n"
                            "c = cat([a, b], dim=-1)\n" + "c = Conv1d(3, 3, 2, stride=2)(c)\n" * 5
                            + "output c\n",
    "keras, same and valid": "convention keras\nsizes H, W\ninput (H, W, 3)\n"
                             + "Conv2D(4, 3, strides=2, padding=\"same\")\n"
                             "Conv2D(4, 3, strides=3)\nMaxPooling2D(2)\n" * 5,
    # the same layer on (8, H_k, H_k): one symbol twice
    "square": "convention torch\nsizes H\ninput (8, H, H)\n"
              + "Conv2d(8, 8, 3, stride=2)\nMaxPool2d(2)\n" * 6,
    # a product of the symbol and a sum of it, H_1·(H_1 − 1) (sympy orders a Dummy's factors
    # the other way round: the stand-ins are Symbols), twice, then used again
    "unfold on a square": "convention torch\nsizes H\ninput (3, H, H)\nConv2d(3, 4, 3)\n"
                          "Unfold((1, 2))\nConv1d(8, 8, 3)\nConv1d(8, 8, 3)\n",
    "unfold twice": "convention torch\nsizes H\ninput a: (3, H, H)\n"
                    "b = Conv2d(3, 4, 3)(a)\nc = Conv2d(3, 4, 3)(a)\nb = Unfold((1, 2))(b)\n"
                    "c = Unfold((1, 2))(c)\nd = b + c\noutput d\n",
}


def _steps(d: symconv.Derivation) -> list[tuple[str, ...]]:
    return [(step.record.name, *(sympy.srepr(e) for e in step.shape),
             *(f"{sympy.srepr(s)}={sympy.srepr(e)}" for s, e in step.defines),
             sympy.srepr(step.params)) for step in stepwise.steps(d)]


def _both(d: symconv.Derivation, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    kept = (_steps(d), d.render("latex", formulas="stepwise"))
    stepwise._TEMPLATES.clear()
    with monkeypatch.context() as m:
        m.setattr(stepwise, "_template", lambda shape, params: None)  # every layer run again
        again = (_steps(d), d.render("latex", formulas="stepwise"))
    return kept, again


@pytest.mark.parametrize("name", CASES)
def test_cases_step_as_run_again(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    kept, again = _both(symconv.derive(CASES[name]), monkeypatch)
    assert kept == again


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_step_as_run_again(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept, again = _both(symconv.derive(path), monkeypatch)
    assert kept == again


def test_a_template_is_used() -> None:
    """The mixed chain's 120 layers run six distinct layers: the rest are renamed."""
    runs = []
    original = stepwise._run
    stepwise._TEMPLATES.clear()
    try:
        stepwise._run = lambda *a: runs.append(1) or original(*a)  # type: ignore[assignment]
        steps = stepwise.steps(symconv.derive(CASES["strides 1, 2 and 3 mixed"]))
    finally:
        stepwise._run = original  # type: ignore[assignment]
    assert len(steps) == 120 and len(runs) <= 12
    # checked by hand: the first layer keeps H; the second defines H_1 = H - 2; the stride-2
    # one ⌊(H_1 + 4 − 5)/2⌋ + 1 = ⌈H_1/2⌉, and its copy 6 layers on the same of its own input
    h = [sympy.Symbol(f"H_{k}", integer=True, positive=True) for k in range(8)]
    assert steps[1].defines[0] == (h[1], sympy.Symbol("H", integer=True, positive=True) - 2)
    assert steps[2].defines[0] == (h[2], sympy.ceiling(h[1] / 2))
    # (then a pool and a ReLU keep it, H_3 by stride 3, H_4 = H_3 − 2)
    assert [s for s, _ in steps[8].defines] == [h[5], sympy.Symbol("W_5", integer=True,
                                                                   positive=True)]
    assert steps[8].defines[0][1] == sympy.ceiling(h[4] / 2)


@pytest.mark.parametrize("make", [
    lambda x: x * (x - 1), lambda x: x * (x + 1) / 2, lambda x: sympy.floor(x / 2) * (x - 1),
    lambda x: x * sympy.floor(x / 2), lambda x: (x - 3) ** 2 * x, lambda x: sympy.ceiling(x / 3)
    + 2 * x * sympy.floor((x + 1) / 2), lambda x: -x ** 3 / 7 + x,
], ids=["x(x-1)", "x(x+1)/2", "floor*sum", "x*floor", "power", "sum of products", "rational"])
def test_a_renamed_result_is_the_tree_sympy_builds(make) -> None:  # type: ignore[no-untyped-def]
    """What `_rerun` renames is the expression sympy makes for the real symbol, argument for
    argument (a Dummy stand-in would put x·(x − 1)'s factors the other way round)."""
    for h in (sympy.Symbol("H_1", integer=True, positive=True),
              sympy.Symbol("W_12", integer=True, positive=True),
              sympy.Symbol("P", integer=True, nonnegative=True)):
        (standing,), back = stepwise._standing(((h,),))
        renamed = stepwise._renamed(make(standing[0]), back)
        assert sympy.srepr(renamed) == sympy.srepr(make(h))
        assert renamed == make(h) and hash(renamed) == hash(make(h))
