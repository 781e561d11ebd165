"""`symconv plot` (issue 20): the curves' values against hand-computed numbers, against `derive
--subs` JSON at sampled points and against the real frameworks' own counts (the marks); the
files in each format, the same bytes every time; clear errors; matplotlib only on this command."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sympy

import symconv
from symconv.cli.arguments import PLOT_QUANTITIES
from symconv.cli.commands import main
from symconv.errors import Source
from symconv.render.plot import (
    QUANTITIES,
    Curves,
    evaluate,
    exact,
    mark_points,
    points,
    values_at,
)

ROOT = Path(__file__).parent.parent
CONV1D_SEED = ROOT / "examples" / "conv1d_seed.arch"  # floor(L/3) - 18 after two convs and a pool
KERAS_CONV = "sizes F\ninput (8, 8, 32)\nConv2D(F, 3)\n"
KERAS_POOL = "sizes H\ninput (H, 1)\nMaxPooling1D(3)\n"
TORCH_CONV = "convention torch\nsizes L\ninput (2, L)\nConv1d(2, 4, 3, stride=2)\n"
KERAS_LSTM = "sizes u\ninput (5, 8)\nLSTM(u)\n"
KERAS_DENSE = "sizes L\ninput (L, 2)\nConv1D(4, 3)\nFlatten()\nDense(10)\n"


def _curves(text: str, size: str, span: tuple[int, int], y: list[str],
            subs: dict[str, int] | None = None, layer: str | None = None) -> Curves:
    return evaluate(symconv.derive(text), size, span, y, subs, layer)


def _at(curves: Curves, label: str) -> dict[int, int]:
    (s,) = [s for s in curves.series if s.label == label]
    return dict(zip(s.xs, s.ys))


# (id, .arch text, size, range, --y, curve label, {x: value by hand})
HAND = [
    # Keras: a 3×3 conv from 32 channels to F filters has F·(3·3·32 + 1) parameters
    ("keras-conv-params", KERAS_CONV, "F", (1, 64), "params", "parameters",
     {1: 289, 63: 18_207, 64: 18_496}),
    # Keras MaxPooling1D(3), 'valid', stride 3: ⌊(H − 3)/3⌋ + 1 = ⌊H/3⌋, valid from H = 3
    ("keras-pool-staircase", KERAS_POOL, "H", (3, 9), "shape:1", "output axis 1",
     {3: 1, 5: 1, 6: 2, 8: 2, 9: 3}),
    # PyTorch Conv1d(k=3, s=2): ⌊(L − 3)/2⌋ + 1
    ("torch-conv-staircase", TORCH_CONV, "L", (3, 10), "shape:2", "output axis 2",
     {3: 1, 4: 1, 5: 2, 6: 2, 9: 4, 10: 4}),
    # Keras LSTM: 4·[u(n + u) + u] with n = 8; u = 32 gives 5,248 (CONVENTIONS.md)
    ("keras-lstm-params", KERAS_LSTM, "u", (1, 32), "params", "parameters",
     {1: 40, 32: 5_248}),
    # weights-only MACs: Conv1D(4, 3) on (L, 2) is (L − 2)·4·3·2, Dense(10) on 4(L − 2) is 40(L − 2)
    ("keras-macs", KERAS_DENSE, "L", (3, 10), "macs", "MACs per example (weights convention)",
     {3: 64, 10: 512}),
    ("keras-flops", KERAS_DENSE, "L", (3, 10), "flops",
     "FLOPs per example (2·MACs, weights convention)", {3: 128, 10: 1_024}),
    # activations in float32, batch 1: conv 4(L − 2), flatten 4(L − 2), dense 10 values
    ("keras-memory", KERAS_DENSE, "L", (3, 10), "memory",
     "activation memory (bytes, float32, batch 1)", {3: 4 * (4 + 4 + 10), 10: 4 * (32 + 32 + 10)}),
    # the seed question: 63·(3·3·32 + 1) is a conv's count; here the Conv1D seed's extent,
    # ⌊L/3⌋ − 18, first 1 at L = 57
    ("conv1d-seed-staircase", CONV1D_SEED.read_text(), "L", (57, 62), "shape:1",
     "output axis 1", {57: 1, 59: 1, 60: 2, 62: 2}),
]


@pytest.mark.parametrize("text, size, span, y, label, expected",
                         [row[1:] for row in HAND], ids=[row[0] for row in HAND])
def test_curves_match_hand_computed_values(text: str, size: str, span: tuple[int, int], y: str,
                                           label: str, expected: dict[int, int]) -> None:
    subs = {"C": 3} if "conv1d_seed" in text else None
    values = _at(_curves(text, size, span, [y], subs), label)
    assert {x: values[x] for x in expected} == expected


# (id, example, size, range, the other sizes, --layer): compared with derive --subs JSON
AGAINST_DERIVE = [
    ("mnist-H", "mnist_cnn", "H", (10, 60), {"W": 28}, None),
    ("mnist-flatten-W", "mnist_cnn", "W", (10, 40), {"H": 28}, "flatten"),
    ("gpt2-d", "gpt2", "d", (12, 96), {"L": 16}, None),
    ("lenet5-H", "lenet5", "H", (28, 64), {"W": 32}, None),
    ("text-model-L", "text_model_keras", "L", (1, 50), {}, None),
]
JSON_TOTALS = {"params": "params", "trainable": "trainable", "non_trainable": "non_trainable",
               "macs": "macs", "memory": "activation_bytes", "parameter_bytes": "parameter_bytes"}


def _derived_json(example: str, subs: dict[str, int], capsys: pytest.CaptureFixture[str]) -> dict:
    given = ",".join(f"{k}={v}" for k, v in subs.items())
    assert main(["derive", str(ROOT / "examples" / f"{example}.arch"), "--subs", given,
                 "-f", "json", "--macs", "--memory"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("example, size, span, subs, layer",
                         [row[1:] for row in AGAINST_DERIVE], ids=[row[0] for row in AGAINST_DERIVE])
def test_curves_match_derive_at_sampled_points(example: str, size: str, span: tuple[int, int],
                                               subs: dict[str, int], layer: str | None,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    wanted = [*JSON_TOTALS, "flops", "shape"]
    curves = evaluate(symconv.derive(ROOT / "examples" / f"{example}.arch"), size, span, wanted,
                      subs, layer)
    for x in mark_points(curves, 3):
        out = _derived_json(example, {**subs, size: x}, capsys)
        for name, key in JSON_TOTALS.items():
            assert _value(curves, name, x) == out["totals"][key], (name, x)
        assert _value(curves, "flops", x) == 2 * out["totals"]["macs"]
        shape = out["output_shape"] if layer is None else next(
            r["output_shape"] for r in out["layers"] if r["name"] == layer)
        axes = {s.label: dict(zip(s.xs, s.ys))[x] for s in curves.series if s.quantity == "shape"}
        assert axes and all(shape[int(label.split()[-1]) - 1] == v for label, v in axes.items())


def _value(curves: Curves, quantity: str, x: int) -> int:
    (s,) = [s for s in curves.series if s.quantity == quantity]
    return dict(zip(s.xs, s.ys))[x]


# a repeat whose body changes the shape has no closed form in n (SC112): derived at each n.
# Dense(4) on 3 features, then on 4: 16 + 20·(n − 1) parameters, the extent 4 throughout
REPEAT_RESHAPING = "sizes n, L\ninput (L, 3)\nrepeat n:\n    Dense(4)\n"


def test_a_network_without_a_closed_form_is_derived_at_each_value() -> None:
    from symconv.render.plot_each import evaluate_each

    curves = evaluate_each(Source(REPEAT_RESHAPING, "net.arch"), "n", (1, 5),
                           ["params", "shape"], {"L": 7})
    assert _at(curves, "parameters") == {1: 16, 2: 36, 3: 56, 4: 76, 5: 96}
    assert [s.label for s in curves.series] == ["parameters", "output axis 1", "output axis 2"]
    assert _at(curves, "output axis 1") == dict.fromkeys(range(1, 6), 7)


H = sympy.Symbol("H", integer=True, positive=True)
# forms the derivations hold: a PyTorch ceil-mode pool's min, Keras 'same' ceilings, a
# divisibility's Mod, a width squared, a reciprocal that is whole at some H only
FORMS = [
    ("ceil-mode-pool", sympy.Min(sympy.ceiling((H - 1) / 2) + 1, sympy.floor(H / 2) + 1)),
    ("same-strided", 32 * sympy.ceiling(H / 32) + 395),
    ("mod", sympy.Mod(H, 12) + sympy.floor((H + 3) / 7) * sympy.Max(H - 5, 2)),
    ("square", 12 * H**2 + 13 * H + sympy.Rational(1, 2) * (2 * H)),
    ("reciprocal", 60 / H),
]


@pytest.mark.parametrize("form", [f for _, f in FORMS], ids=[i for i, _ in FORMS])
def test_the_fast_evaluation_is_sympys(form: sympy.Expr) -> None:
    """`exact` against sympy's own substitution, the reference, at whole values of H."""
    xs = list(range(1, 70))
    by_sympy = [form.xreplace({H: v}) for v in xs]
    whole = [v for v, e in zip(xs, by_sympy) if e.is_Integer]
    assert values_at(form, H, whole, "value", "H") == [int(form.xreplace({H: v})) for v in whole]
    fast = exact(form, H)
    assert fast is not None and [fast(v) for v in xs] == [
        int(e) if e.is_Integer else None for e in by_sympy]


EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.arch"))


@pytest.mark.parametrize("example", EXAMPLES)  # every one: 18 s in all, one process
def test_every_example_plots_as_derive_says(example: str) -> None:
    """Against its first free size, from a valid value verify's sampler picks, 8 values on:
    the SVG parses, and at the first plotted value the curves are derive's numbers there."""
    from symconv.analysis.macs import total
    from symconv.frameworks.sizes import free_sizes, sample
    from symconv.render.plot_figure import render_plot

    d = symconv.derive(ROOT / "examples" / f"{example}.arch")
    size = (free_sizes(d) or list(d.sizes))[0]
    values = sample(d, 1, 0)[0]
    subs = {k: v for k, v in values.items() if k != size and k not in d.defaults}
    curves = evaluate(d, size, (values[size], values[size] + 7), ["params", "macs", "shape"],
                      subs)
    ET.fromstring(render_plot(curves, "svg"))
    x = curves.series[0].xs[0]
    at = symconv.derive(ROOT / "examples" / f"{example}.arch", {**subs, size: x})
    assert _value(curves, "params", x) == at.params
    assert _value(curves, "macs", x) == total(at)
    axes = [s for s in curves.series if s.quantity == "shape"]
    assert all(s.ys[0] == at.output_shape[int(s.label.split()[-1]) - 1] for s in axes)


def test_invalid_values_are_left_out_and_counted() -> None:
    curves = _curves(KERAS_POOL, "H", (1, 6), ["shape"])
    assert curves.series[0].xs == [3, 4, 5, 6] and curves.skipped == 2


def test_a_wide_range_is_sampled_with_both_ends() -> None:
    xs = points((1, 10**12))
    assert xs[0] == 1 and xs[-1] == 10**12 and len(xs) == 2_000 and xs == sorted(set(xs))


def test_the_cli_names_every_quantity_the_library_has() -> None:
    assert PLOT_QUANTITIES == tuple(QUANTITIES)


# -- the framework's marks: its own counts at a few points -------------------------------------
# (id, .arch text, size, range, --y, {curve label: {x: value by hand}})
MARKS = [
    ("keras-conv", KERAS_CONV, "F", (1, 63), "params", {"parameters": {1: 289, 63: 18_207}}),
    ("torch-staircase", TORCH_CONV, "L", (3, 10), "shape",
     {"output axis 2": {3: 1, 10: 4}}),
]


@pytest.mark.parametrize("text, size, span, y, expected", [row[1:] for row in MARKS],
                         ids=[row[0] for row in MARKS])
def test_marks_are_the_frameworks_own_numbers(text: str, size: str, span: tuple[int, int],
                                              y: str, expected: dict[str, dict[int, int]]) -> None:
    pytest.importorskip("torch")
    from symconv.frameworks.measure import measure
    from symconv.render.plot import with_marks

    curves = _curves(text, size, span, [y])
    xs = mark_points(curves, 3)
    framework, measured = measure(Source(text, "net.arch"), [{size: x} for x in xs])
    marked = with_marks(curves, {xs[i]: v for i, v in measured.items()})
    assert framework.startswith(("Keras 3", "PyTorch 2"))
    for s in marked.series:
        if s.label in expected:
            marks = dict(s.marks)
            assert {x: marks[x] for x in expected[s.label]} == expected[s.label]
            assert marks == {x: dict(zip(s.xs, s.ys))[x] for x in marks}  # on the curve


def test_the_marks_are_drawn_and_named(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    (tmp_path / "net.arch").write_text(TORCH_CONV)
    root = ET.fromstring(_plot(tmp_path, "p.svg", "--x", "L=3..12", "--y", "shape:2",
                               "--marks", "2", arch=tmp_path / "net.arch"))
    texts = " ".join(t for e in root.iter() if e.tag.endswith("text") for t in e.itertext())
    assert "PyTorch 2." in texts and "symconv" in texts
    # the wait for the framework is announced, with the way to skip it
    assert "at L = 3, 12 for the marks (--marks 0" in capsys.readouterr().err


@pytest.mark.parametrize("value, label", [
    (124_000_000, "124M"), (2_500_000_000, "2.5G"), (1_500, "1,500"), (0, "0"),
    # a constant's ticks are one apart: 25.56M three times would say nothing
    (25_557_032, "25,557,032"), (124_439_808, "124,439,808")])
def test_tick_labels_are_short_only_where_exact(value: int, label: str) -> None:
    pytest.importorskip("matplotlib")
    from symconv.render.plot_figure import _readable

    assert _readable()(float(value), None) == label


def test_without_the_framework_the_plot_has_no_marks(tmp_path: Path, monkeypatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from symconv.frameworks import keras_net

    monkeypatch.setattr(keras_net, "version", lambda: None)
    (tmp_path / "net.arch").write_text(KERAS_CONV)
    assert main(["plot", str(tmp_path / "net.arch"), "--x", "F=1..8",
                 "-o", str(tmp_path / "p.svg")]) == 0
    assert "without the framework's marks" in capsys.readouterr().err
    assert "framework" not in (tmp_path / "p.svg").read_text() and "Keras" not in \
        (tmp_path / "p.svg").read_text()


# -- files ---------------------------------------------------------------------------------
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF-"}
PLOT_ARGS = ["--x", "H=10..40", "--subs", "W=28", "--y", "params,shape,memory", "--layer",
             "flatten", "--marks", "0"]


def _plot(tmp_path: Path, name: str, *args: str, arch: Path = ROOT / "examples" /
          "mnist_cnn.arch") -> bytes:
    out = tmp_path / name
    assert main(["plot", str(arch), *args, "-o", str(out)]) == 0
    return out.read_bytes()


@pytest.mark.parametrize("fmt", sorted(MAGIC))
def test_each_format_is_written_the_same_every_time(fmt: str, tmp_path: Path) -> None:
    (tmp_path / "net.arch").write_text(KERAS_POOL)
    args = ["--x", "H=3..30", "--y", "shape:1", "--marks", "0"]
    first = _plot(tmp_path, f"a.{fmt}", *args, arch=tmp_path / "net.arch")
    assert first.startswith(MAGIC[fmt]) and len(first) > 5_000
    assert _plot(tmp_path, f"b.{fmt}", *args, arch=tmp_path / "net.arch") == first


def test_svg_is_xml_with_the_axes_labelled(tmp_path: Path) -> None:
    root = ET.fromstring(_plot(tmp_path, "p.svg", *PLOT_ARGS, "--log"))
    texts = " ".join(t for e in root.iter() if e.tag.endswith("text") for t in e.itertext())
    for label in ("H", "parameters", "output extent of flatten", "mnist_cnn against H",
                  "W=28", "activation memory (bytes, float32, batch 1)"):
        assert label in texts, label


def test_log_scale_draws_counts_of_zero(tmp_path: Path) -> None:
    """A pooling network has no parameters: 0 on a log scale is drawn, not refused."""
    (tmp_path / "net.arch").write_text(KERAS_POOL)
    root = ET.fromstring(_plot(tmp_path, "p.svg", "--x", "H=3..999999999",
                               "--y", "params,shape", "--log", "--marks", "0",
                               arch=tmp_path / "net.arch"))
    assert root.tag.endswith("svg")


def test_svg_without_output_goes_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plot", str(ROOT / "examples" / "mnist_cnn.arch"), *PLOT_ARGS]) == 0
    ET.fromstring(capsys.readouterr().out.encode())


def test_the_figure_draws_the_values() -> None:
    pytest.importorskip("matplotlib")
    from symconv.render.plot_figure import _figure

    curves = _curves(KERAS_POOL, "H", (3, 9), ["shape", "params"])
    axes = _figure(curves, False, None).axes
    drawn = axes[0].lines[0].get_xydata().tolist()
    assert drawn == [[x, y] for x, y in zip(range(3, 10), [1, 1, 1, 2, 2, 2, 3])]
    assert axes[0].lines[0].get_drawstyle() == "steps-post"  # ⌊H/3⌋: a staircase
    assert axes[1].get_ylabel() == "parameters" and axes[1].get_xlabel() == "H"


def test_no_line_is_drawn_across_values_left_out() -> None:
    """Heads must divide the width (8): h = 3, 5, 6, 7 are left out, and the curve breaks
    there instead of joining 2 to 4 and 4 to 8 as if those values existed."""
    pytest.importorskip("matplotlib")
    from symconv.render.plot_figure import _figure

    text = "convention torch\nsizes L, h\ninput (L, 8)\nMultiheadAttention(8, h, batch_first=True)\n"
    curves = _curves(text, "h", (1, 8), ["params"], {"L": 5})
    assert curves.series[0].xs == [1, 2, 4, 8] and curves.skipped == 4
    drawn = _figure(curves, False, None).axes[0].lines[0].get_xydata().tolist()
    # 4·8·8 + 4·8 = 288 parameters whatever h is; a gap (no value) between 2 and 4, 4 and 8
    assert [x for x, _ in drawn] == [1, 2, 3, 4, 6, 8]
    assert [y == y for _, y in drawn] == [True, True, False, True, False, True]
    assert {y for _, y in drawn if y == y} == {288}


# -- errors ----------------------------------------------------------------------------------
# (id, .arch text, arguments after the file, exit code, what stderr says)
ERRORS = [
    ("missing-size", "sizes H, W\ninput (H, W, 1)\nConv2D(4, 3)\n", ["--x", "H=3..9"], 1,
     "'W' has no value: a plot varies H alone [SC302]"),
    ("not-a-size", KERAS_POOL, ["--x", "Q=3..9"], 1, "--x: 'Q' is not a declared size"),
    ("x-in-subs", KERAS_POOL, ["--x", "H=3..9", "--subs", "H=4"], 1,
     "'H' is given both by --x and by --subs"),
    ("nowhere-valid", KERAS_POOL, ["--x", "H=1..2"], 1,
     "net.arch:3:1: error: the network is invalid at every value of H in 1..2"),
    ("below-domain", KERAS_POOL, ["--x", "H=0..9"], 1, "'H' must be a whole number ≥ 1, not 0"),
    ("no-such-axis", KERAS_POOL, ["--x", "H=3..9", "--y", "shape:3"], 1,
     "the output of the network has 2 axes, not 3"),
    ("no-such-layer", KERAS_POOL, ["--x", "H=3..9", "--layer", "pool"], 1,
     "no layer or tensor named 'pool'"),
    ("bad-x", KERAS_POOL, ["--x", "H=3-9"], 2, "bad range 'H=3-9'"),
    ("low-above-high", KERAS_POOL, ["--x", "H=9..3"], 2, "LOW must not exceed HIGH"),
    ("unknown-quantity", KERAS_POOL, ["--x", "H=3..9", "--y", "params,speed"], 2,
     "unknown quantity 'speed'"),
    ("bad-suffix", KERAS_POOL, ["--x", "H=3..9", "-o", "plot.jpg"], 2,
     "name a file ending in .png, .svg, .pdf"),
]


@pytest.mark.parametrize("text, args, code, said", [row[1:] for row in ERRORS],
                         ids=[row[0] for row in ERRORS])
def test_errors_are_clear(text: str, args: list[str], code: int, said: str, tmp_path: Path,
                          monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("net.arch").write_text(text)
    if code == 2:
        with pytest.raises(SystemExit) as stop:
            main(["plot", "net.arch", *args])
        assert stop.value.code == code
    else:
        assert main(["plot", "net.arch", *args, "--marks", "0"]) == code
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def test_without_matplotlib_the_plot_says_what_to_install(tmp_path: Path, monkeypatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    (tmp_path / "net.arch").write_text(KERAS_POOL)
    assert main(["plot", str(tmp_path / "net.arch"), "--x", "H=3..9", "--marks", "0"]) == 2
    assert "pip install 'symconv[plot]'" in capsys.readouterr().err


def test_derive_does_not_import_matplotlib() -> None:
    code = ("import sys; from symconv.cli import main; "
            "main(['derive', 'examples/mnist_cnn.arch', '-o', '/dev/null']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert out.stdout.strip() == "[]"
