"""Answers a person can read (issue 18): conditions and formulas in messages, notes, reasons and
JSON as the table writes them (⌊H/4⌋, max(H, W), d mod heads = 0, H = 1 or H - 2 = 1), never in
sympy's syntax; `explain` in one notation (·, ⌊⌋, no separators inside a formula), totals
multiplied out, no step that repeats itself; a forgotten string's quotes named in the hint.
Every expected text is written by hand from the issue or from the arithmetic in the comment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy

import symconv
from symconv.errors import SymconvError, shape_text, shown
from symconv.escapes import plain
from symconv.maths import symbols
from symconv.maths.printing import spoken
from symconv.render.explain import render_explain
from symconv.render.jsonout import to_dict
from symconv.render.solution import to_dict as solution_dict
from symconv.solving.targets import Target

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))
H, W, C, d, heads = (symbols.size(n) for n in ("H", "W", "C", "d", "heads"))

MERGE = "convention torch\nsizes H\ninput x: (4, H)\ny = Conv1d(4, 4, 3)(x)\nx + y\n"  # H, H - 2
MHA = "convention torch\nsizes L, d, heads\ninput (L, d)\nMultiheadAttention(d, heads)\n"
# Conv1d(4, 4, 5, padding=P) gives H + 2P - 4, broadcast against H: max(H, H + 2P - 4)
WIDEST = ("convention torch\nsizes H, P >= 0\ninput x: (4, H)\n"
          "y = Conv1d(4, 4, 5, padding=P)(x)\nx + y\nLinear(5, 3)\n")


def _error(source: object, subs: dict[str, int] | None = None) -> SymconvError:
    with pytest.raises(SymconvError) as info:
        symconv.derive(source, subs=subs)  # type: ignore[arg-type]
    return info.value


# -- SC301: the condition a substitution breaks ----------------------------------------------
NOTES = [
    ("merge", MERGE, {"H": 5}, "requires H = 1 or H - 2 = 1, but H = 5"),
    ("divisible", MHA, {"d": 10, "heads": 3}, "requires d mod heads = 0, but d = 10, heads = 3"),
    # at 36: 16·(9 - 3)·(9 - 3) = 576 features, not 400
    ("floor", ROOT / "examples/lenet5.arch", {"H": 36, "W": 36},
     "requires 400 = 16*(⌊H/4⌋ - 3)*(⌊W/4⌋ - 3), but H = 36, W = 36"),
    ("at-least", ROOT / "examples/mnist_cnn.arch", {"H": 5, "W": 28},
     "requires H ≥ 8, but H = 5"),
]


@pytest.mark.parametrize("source,subs,note", [r[1:] for r in NOTES], ids=[r[0] for r in NOTES])
def test_broken_condition_is_noted_as_the_table_writes_it(source: object, subs: dict[str, int],
                                                          note: str) -> None:
    err = _error(source, subs)
    assert err.code == "SC301"
    assert err.notes == [note]


# -- reasons and messages --------------------------------------------------------------------
REASONS = [
    ("max", WIDEST, "1", "'in_features' is 5 but the input's last axis is max(H, H + 2*P - 4)"),
    ("floor", ROOT / "examples/lenet5.arch", "7",
     "'in_features' is 400 but the input's last axis is 16*(⌊H/4⌋ - 3)*(⌊W/4⌋ - 3)"),
]


@pytest.mark.parametrize("source,layer,reason", [r[1:] for r in REASONS],
                         ids=[r[0] for r in REASONS])
def test_reason_names_formulas_as_the_table_does(source: object, layer: str,
                                                 reason: str) -> None:
    reasons = [r.reason for r in symconv.derive(source).requires  # type: ignore[arg-type]
               if r.layer == layer]
    assert reason in reasons


SYMPY_SYNTAX = re.compile(r"\b(floor|ceiling|Max|Min|Mod|Eq|Ne|And|Or)\(|\*\*")


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_no_reason_in_any_example_is_in_sympy_syntax(path: Path) -> None:
    d = symconv.derive(path)
    assert [r.reason for r in d.requires if SYMPY_SYNTAX.search(r.reason)] == []


SHOWN = [
    ("floor", sympy.floor(H / 2), "⌊H/2⌋"),
    ("max", sympy.Max(H, W), "max(H, W)"),
    ("mod", sympy.Eq(sympy.Mod(d, heads), 0), "d mod heads = 0"),
    ("or", sympy.Or(sympy.Eq(H, 1), sympy.Eq(H - 2, 1)), "H = 1 or H - 2 = 1"),
    ("number", sympy.Integer(10000), "10000"),
    ("decimal", sympy.Rational(-1, 2), "-0.5"),
    ("string", "relu", "'relu'"),
]


@pytest.mark.parametrize("value,text", [r[1:] for r in SHOWN], ids=[r[0] for r in SHOWN])
def test_a_value_in_a_message(value: object, text: str) -> None:
    assert shown(value) == text


SHAPES = [
    ("formula-and-number", (H - 2, sympy.Integer(10000)), "(H - 2, 10000)"),
    ("one-axis", (C,), "(C,)"),
    ("floor", (sympy.floor(H / 4), sympy.Max(H, W)), "(⌊H/4⌋, max(H, W))"),
]


@pytest.mark.parametrize("shape,text", [r[1:] for r in SHAPES], ids=[r[0] for r in SHAPES])
def test_a_shape_in_a_message(shape: tuple[sympy.Expr, ...], text: str) -> None:
    assert shape_text(shape) == text


# -- JSON: the machine form and the readable one beside it -----------------------------------
JSON = [
    ("mod", MHA, "Eq(Mod(d, heads), 0)", "d mod heads = 0"),
    ("or", MERGE, "Eq(H, 1) | Eq(H - 2, 1)", "H = 1 or H - 2 = 1"),
]


@pytest.mark.parametrize("source,condition,text", [r[1:] for r in JSON],
                         ids=[r[0] for r in JSON])
def test_json_condition_has_a_readable_text(source: str, condition: str, text: str) -> None:
    doc = to_dict(symconv.derive(source))
    requires: list[dict[str, object]] = doc["requires"]  # type: ignore[assignment]
    found = [{k: r[k] for k in ("condition", "text")} for r in requires]
    assert {"condition": condition, "text": text} in found


def test_solve_json_has_readable_closed_form_and_conditions() -> None:
    # README: kernel_stride at S = 2, output (13, 13, _): 3 ≤ K ≤ 4
    s = symconv.solve(ROOT / "examples/kernel_stride.arch", ["K"],
                      [Target("shape", (13, 13, None))], subs={"S": 2})
    out = solution_dict(s)
    assert out["closed_form"] == {"K": "(3 <= K) & (K <= 4)"}
    assert out["closed_form_text"] == {"K": "3 ≤ K ≤ 4"}
    assert len(out["conditions_text"]) == len(out["conditions"])  # type: ignore[arg-type]


def test_solve_nearest_shows_a_free_axis_as_the_table_does() -> None:
    # Conv2D(8, 1, strides=2), 'valid': ⌊(28 - 1)/2⌋ + 1 = 14 rows, ⌊(W - 1)/2⌋ + 1 columns
    s = symconv.solve("sizes H, W, K\ninput (H, W, 3)\nConv2D(8, K, strides=2)\n", ["K"],
                      [Target("shape", (40, None, None))], subs={"H": 28})
    assert ({"K": 1}, "(14, ⌊(W - 1)/2⌋ + 1, 8)") in s.nearest


# -- explain: one notation -------------------------------------------------------------------
SEED = ROOT / "examples/conv1d_seed.arch"
EXPLAINED = [
    # 7 filters of 40·C weights and a bias: 7·(40·C + 1) = 280·C + 7
    ("product", SEED, None, "conv1d",
     "each filter has 40·C weights and 1 bias; 7·(40·C + 1) = 280·C + 7 parameters."),
    ("weights", SEED, None, "conv1d", "Parameters: 280·C + 7 = kernel (40, C, 7) = 280·C; bias (7,)"),
    ("other", SEED, None, "conv1d", "The other framework counts the same 280·C + 7:"),
    # 280·C + 7 + 10·(16·7 + 1) = 280·C + 1137
    ("total", SEED, None, None,
     "Total: 280·C + 1137 parameters (280·C + 1137 trainable, 0 non-trainable)."),
    ("same", "sizes H, L\ninput (H, L, 3)\nConv2D(16, 3, padding='same', strides=2)\n", None,
     "conv2d", "height (axis 1): ⌈H/2⌉; padding 'same'"),
    # (L - 55 + 1)·70 = 70·L - 3780 features; 32·(70·L - 3779) = 2240·L - 120928
    ("no-separators", "sizes L\ninput (L, 7)\nConv1D(70, 55)\nFlatten()\nDense(32)\n", None,
     "dense", "32·(70·L - 3779) = 2240·L - 120928 parameters."),
    # LSTM(d, 2d): 4 gate blocks of 2d units, d + 2d weights and 2 biases each: 24·d² + 16·d
    ("power", "convention torch\nsizes L, d\ninput (L, d)\nLSTM(d, 2 * d)\n", None, "0",
     "4·(2·d)·(d + 2·d + 2) = 24·d² + 16·d parameters."),
    ("numbers", SEED, {"L": 60, "C": 1}, "conv1d_1",
     "each filter has 16·7 = 112 weights and 1 bias; 10·113 = 1,130 parameters."),
]


@pytest.mark.parametrize("source,subs,layer,line", [r[1:] for r in EXPLAINED],
                         ids=[r[0] for r in EXPLAINED])
def test_explain_writes_one_notation(source: object, subs: dict[str, int] | None,
                                     layer: str | None, line: str) -> None:
    d = symconv.derive(source, subs=subs)  # type: ignore[arg-type]
    assert line in render_explain(d, layer)


def _arithmetic(out: str) -> list[str]:
    """explain's own lines: not the source line quoted after a layer's name, not a note, and
    not a condition's reason (a message, in the table's notation)."""
    return [line for line in out.splitlines()
            if ", line " not in line and "differs" not in line and "Valid when" not in line]


CIRCULAR = re.compile(r"(?:^|: |has )([^=:;]+?) = \1(?:;|$| parameters| weights)")


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_explain_has_no_sympy_product_and_no_circular_step(path: Path) -> None:
    lines = _arithmetic(render_explain(symconv.derive(path)))
    assert [line for line in lines if "*" in line] == []
    assert [line for line in lines if CIRCULAR.search(line.strip())] == []


SPOKEN = [
    ("product", sympy.Mul(7, 40 * C + 1, evaluate=False), "7·(40·C + 1)"),
    ("power", 4 * d**2 + 4 * d, "4·d² + 4·d"),
    ("big-number", 2240 * H - 120960, "2240·H - 120960"),
    ("fraction", H / (2 * C), "H/(2·C)"),
    ("floor", 64 * sympy.floor((H - 6) / 4), "64·⌊(H - 6)/4⌋"),
    ("condition", sympy.Ge(H, 10000), "H ≥ 10000"),
]


@pytest.mark.parametrize("expr,text", [r[1:] for r in SPOKEN], ids=[r[0] for r in SPOKEN])
def test_spoken_notation(expr: sympy.Basic, text: str) -> None:
    assert spoken(expr) == text


# -- a string without its quotes -------------------------------------------------------------
HINTS = [
    ("activation", "sizes H\ninput (H, 3)\nDense(4, activation=relu)\n",
     'a string is written in quotes: `activation="relu"`'),
    ("positional", "sizes H\ninput (H, 3)\nActivation(relu)\n",
     'a string is written in quotes: `activation="relu"`'),
    ("keras-padding", "sizes H\ninput (H, 3)\nConv1D(4, 3, padding=valid)\n",
     'a string is written in quotes: `padding="valid"`'),
    ("torch-padding", "convention torch\nsizes H\ninput (3, H)\nConv1d(3, 4, 3, padding=same)\n",
     'a string is written in quotes: `padding="same"`'),
    ("string-argument", "convention torch\nsizes H, W\ninput (3, H, W)\n"
     "Upsample(scale_factor=2, mode=bilinear)\n",
     'a string is written in quotes: `mode="bilinear"`'),
    ("a-size", "sizes H\ninput (H, 3)\nDense(units)\n", "declare it first: `sizes units`"),
]


@pytest.mark.parametrize("source,hint", [r[1:] for r in HINTS], ids=[r[0] for r in HINTS])
def test_undeclared_name_hint(source: str, hint: str) -> None:
    err = _error(source)
    assert err.code == "SC103"
    assert err.hint == hint


# -- Markdown: `|` in a name -----------------------------------------------------------------
PIPED = ('convention torch\nsizes H\ninput x: (4, H)\nConv1d(4, 4, 3, name="a|b")\n'
         'Linear(H - 2, 3, name="l|x")\n')
MARKDOWN = [
    ("row", "| a\\|b | Conv1d | `(N, 4, H - 2)` | `52` | `0` |"),
    ("row-formula", "| l\\|x | Linear | `(N, 4, 3)` | `3*(H - 1)` | `0` |"),
    # a list item is no table row: a backslash there would be shown
    ("list-item", "- `a|b: H ≥ 3  (output size is too small (the kernel does not fit the "
                  "padded input))`"),
]


@pytest.mark.parametrize("line", [r[1] for r in MARKDOWN], ids=[r[0] for r in MARKDOWN])
def test_markdown_escapes_a_pipe_in_table_cells_only(line: str) -> None:
    assert line in symconv.derive(PIPED).render("markdown").splitlines()


PLAIN = [
    ("power", "24·d² + 16·d", "24*d^2 + 16*d"),
    ("two-digit-power", "K·S³⁹ ≥ ⌊H/2⌋", "K*S^39 >= floor(H/2)"),
]


@pytest.mark.parametrize("text,ascii", [r[1:] for r in PLAIN], ids=[r[0] for r in PLAIN])
def test_explain_notation_in_ascii(text: str, ascii: str) -> None:
    assert plain(text) == ascii
