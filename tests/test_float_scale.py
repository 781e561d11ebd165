"""Upsample's float scale through the rest of symconv: torch sizes the output as trunc(L ⊗ s) in
double arithmetic (symconv's FloatScaled), and that form must evaluate in integers (solve),
compose with a window layer after it (derive, solve) and print as the formula it is (every
format). Expected values come from running torch, never from symconv's formulas.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy

import symconv
from symconv import Target
from symconv.maths import symbols
from symconv.maths.integers import compile_form
from symconv.maths.printing import show

from test_errors import run

POOLED = "convention torch\nsizes H\ninput (1, H)\nUpsample(scale_factor=0.7)\nMaxPool1d(2)\n"
CONV = "convention torch\nsizes L\ninput (1, L)\nConv1d(1, 1, 3)\nUpsample(scale_factor=0.7)\n"
SPAN = range(1, 201)


def torch_lengths(modules: list[object], lengths: range) -> dict[int, int | None]:
    """The output length torch gives each input length of a (1, 1, L) input; None where it
    raises."""
    import torch

    net = torch.nn.Sequential(*modules)  # type: ignore[arg-type]
    out: dict[int, int | None] = {}
    for n in lengths:
        try:
            out[n] = int(net(torch.zeros(1, 1, n)).shape[-1])
        except RuntimeError:
            out[n] = None
    return out


def derived_length(text: str, name: str, value: int) -> int | None:
    """symconv's output length with the size substituted; None where it refuses."""
    try:
        return int(symconv.derive(text, subs={name: value}).output_shape[-1])
    except symconv.SymconvError:
        return None


@pytest.fixture(scope="module")
def pooled(need_torch: None) -> dict[int, int | None]:
    import torch

    return torch_lengths([torch.nn.Upsample(scale_factor=0.7), torch.nn.MaxPool1d(2)], SPAN)


# --------------------------------------------------------------------------- integer evaluation
@pytest.mark.parametrize("scale", [0.7, 1.1, 2.3, 0.3, 0.55, 1.7])
def test_compiled_float_scale_equals_torch(scale: float, need_torch: None) -> None:
    """integers.compile_form evaluates FloatScaled (through its integer_function hook) exactly
    as F.interpolate sizes the output; it raised 'no integer evaluation' before."""
    import torch

    truth = torch_lengths([torch.nn.Upsample(scale_factor=scale)], range(2, 300))
    text = f"convention torch\nsizes L\ninput (1, L)\nUpsample(scale_factor={scale})\n"
    form = symconv.derive(text).output_shape[-1]
    L = symbols.size("L")
    f = compile_form(form, [L])
    assert {n: f((n,)) for n in truth if truth[n] is not None} == \
        {n: v for n, v in truth.items() if v is not None}


# --------------------------------------------------------------------------- a window after it
@pytest.fixture(scope="module")
def brute() -> dict[int, int | None]:
    """symconv's derivation with each H substituted."""
    return {h: derived_length(POOLED, "H", h) for h in SPAN}


def test_window_after_float_scale_derives_like_torch(pooled: dict[int, int | None],
                                                     brute: dict[int, int | None]) -> None:
    assert brute == pooled


def test_window_after_float_scale_solves_like_torch(pooled: dict[int, int | None],
                                                    brute: dict[int, int | None]) -> None:
    """Every length torch gives, solved back for H: the solutions are exactly the H for which
    torch gives it and for which symconv's derivation with H substituted gives it (brute
    force). The closed-form inversion raised PolynomialError on floor(floor(H*0.7)/2)."""
    for t in sorted({v for v in pooled.values() if v is not None}):
        s = symconv.solve(POOLED, ["H"], [Target("shape", (None, t))], ranges={"H": (1, 200)})
        assert sorted(v["H"] for v in s.solutions) == [h for h in SPAN if brute[h] == t] == \
            [h for h in SPAN if pooled[h] == t], t


def test_solve_after_float_scale_through_the_cli(tmp_path: Path,
                                                 pooled: dict[int, int | None]) -> None:
    path = tmp_path / "pooled.arch"
    path.write_text(POOLED)
    code, out, err = run(["solve", str(path), "--for", "H", "--shape", "(_, 2)"])
    assert code == 0 and err == ""
    want = [h for h in SPAN if pooled[h] == 2]
    assert want == list(range(want[0], want[-1] + 1))  # one run: printed as one (issue 18)
    assert out.endswith(f"{len(want)} solutions: H in {want[0]}..{want[-1]}\n")


@pytest.mark.parametrize("text", [POOLED, POOLED.replace("MaxPool1d(2)\n", "")],
                         ids=["pooled", "upsample"])
def test_impossible_channel_target_after_float_scale(text: str, tmp_path: Path) -> None:
    """The channel axis is 1 whatever H is: no solution, the nearest values measured through
    FloatScaled (this crashed with 'no integer evaluation for FloatScaled')."""
    path = tmp_path / "net.arch"
    path.write_text(text)
    code, out, err = run(["solve", str(path), "--for", "H", "--shape", "(2, _)"])
    assert code == 1 and err == ""
    assert "the target does not depend on H\nno solution for any H\nnearest:\n" in out
    for h in range(1, 40):  # brute force: symconv's own derivation never gives 2 channels
        try:
            assert symconv.derive(text, subs={"H": h}).output_shape[0] == 1
        except symconv.SymconvError:
            pass


# --------------------------------------------------------------------------- printing
@pytest.mark.parametrize("argv,printed", [
    (["derive"], "floor((L - 2)*0.7)"),
    (["derive", "--format", "json"], "FloatScaled(L - 2, 7/10)"),  # reads back as itself
    (["derive", "--format", "markdown"], "floor((L - 2)*0.7)"),
    (["derive", "--format", "latex"],
     r"\left\lfloor \left(L - 2\right) \cdot 0.7 \right\rfloor"),
    (["explain"], "floor((L - 2)*0.7)"),
], ids=["table", "json", "markdown", "latex", "explain"])
def test_float_scale_of_a_sum_prints_its_parentheses(argv: list[str], printed: str,
                                                     tmp_path: Path) -> None:
    """⌊(L − 2)·0.7⌋ printed as floor(L - 2*0.7) read as ⌊L − 1.4⌋: 98 at L = 100 where torch
    gives 68. Every format, in the shape and in the condition ("Valid when", requires)."""
    path = tmp_path / "conv.arch"
    path.write_text(CONV)
    code, out, err = run([argv[0], str(path), *argv[1:]])
    assert code == 0 and err == ""
    assert out.count(printed) >= 2, out  # the output shape and the layer's condition
    assert "L - 2*0.7" not in out and r"L - 2 \cdot 0.7" not in out


def test_printed_float_scale_formula_evaluates_to_torch(need_torch: None) -> None:
    """The printed formula, read back as written (test only) and evaluated in Python's doubles
    as torch evaluates it, gives torch's lengths (sympy's own arithmetic would expand the
    product and round differently)."""
    import torch

    truth = torch_lengths([torch.nn.Conv1d(1, 1, 3), torch.nn.Upsample(scale_factor=0.7)],
                          range(3, 150))
    form = symconv.derive(CONV).output_shape[-1]
    L = symbols.size("L")
    back = sympy.parse_expr(show(form), local_dict={"L": L}, evaluate=False)  # our output
    in_doubles = sympy.lambdify(L, back, modules="math")
    assert truth[100] == 68
    for n, want in truth.items():
        if want is not None:
            assert in_doubles(n) == want, (n, show(form))


def test_too_small_input_is_refused_with_the_right_condition(need_torch: None) -> None:
    """L = 3: Conv1d gives 1 and trunc(1 × 0.7) = 0, which torch refuses; the condition printed
    must be the one L = 3 breaks (floor(L - 2*0.7) ≥ 1 held at L = 3)."""
    import torch

    assert torch_lengths([torch.nn.Conv1d(1, 1, 3), torch.nn.Upsample(scale_factor=0.7)],
                         range(3, 5)) == {3: None, 4: 1}
    with pytest.raises(symconv.SymconvError) as caught:
        symconv.derive(CONV, subs={"L": 3})
    text = caught.value.render()
    assert caught.value.code == "SC301" and "floor((L - 2)*0.7) ≥ 1, but L = 3" in text, text
    assert symconv.derive(CONV, subs={"L": 4}).output_shape[-1] == 1


def test_json_condition_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "conv.arch"
    path.write_text(CONV)
    code, out, _ = run(["derive", str(path), "--format", "json"])
    conditions = [r["condition"] for r in json.loads(out)["requires"]]
    assert "FloatScaled(L - 2, 7/10) >= 1" in conditions, conditions
