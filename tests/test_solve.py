"""`symconv solve` against brute force: the framework (PyTorch) or plain integer arithmetic
written here from the frameworks' documented rules, over the same ranges.

* round trips: random conv/pool chains in both conventions with one hyperparameter or input size
  left open; the target is what the framework gives for the original value; the original must
  be among the solutions, and the solution list must equal brute force over the whole range;
* closed forms with sizes left symbolic, checked at sampled points against brute force;
* budgets, the no-solution path, the CLI and README's examples (their printed output).
"""

from __future__ import annotations

import json
import random
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sympy

import symconv
from symconv import SymconvError, Target
from symconv.maths.integers import compile_form

from test_errors import run

ROOT = Path(__file__).resolve().parent.parent
SEED = 20241122


# --------------------------------------------------------------------------- plain integers
def keras_extent(length: int, layer: dict[str, Any]) -> int | None:
    """keras.src.ops.operation_utils.compute_conv_output_shape / pooling, one axis; None if
    Keras refuses (an extent below 1)."""
    k, s, d = layer["k"], layer["s"], layer.get("d", 1)
    span = d * (k - 1) + 1
    if layer["padding"] == "same":
        out = -(-length // s)
    else:
        out = (length - span) // s + 1
    return out if out >= 1 else None


def torch_extent(length: int, layer: dict[str, Any]) -> int | None:
    """torch.nn.Conv2d / MaxPool2d (floor mode) output extent; None if torch refuses."""
    k, s, p, d = layer["k"], layer["s"], layer["p"], layer.get("d", 1)
    if layer["type"] == "pool" and p > k // 2:
        return None
    out = (length + 2 * p - d * (k - 1) - 1) // s + 1
    return out if out >= 1 else None


def chain_extent(length: int, layers: list[dict[str, Any]], convention: str) -> int | None:
    rule = keras_extent if convention == "keras" else torch_extent
    for layer in layers:
        result = rule(length, layer)
        if result is None:
            return None
        length = result
    return length


def random_chain(rng: random.Random, convention: str) -> list[dict[str, Any]]:
    layers = []
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["conv", "conv", "pool"])
        k = rng.randint(1, 5)
        layer = {"type": kind, "k": k, "s": rng.choice([1, 1, 2, 3]),
                 "p": rng.randint(0, k // 2), "d": rng.choice([1, 1, 2]) if kind == "conv" else 1,
                 "padding": rng.choice(["valid", "same"])}
        if convention == "keras" and (layer["s"] > 1 and layer["d"] > 1):
            layer["d"] = 1
        layers.append(layer)
    return layers


def arch_text(layers: list[dict[str, Any]], convention: str, unknown: tuple[int, str]) -> str:
    """The chain in .arch, the `unknown` = (layer index, field) written as the size U."""
    def value(i: int, field: str) -> str:
        return "U" if unknown == (i, field) else str(layers[i][field])

    lines = [f"convention {convention}", "sizes H, U"]
    if convention == "keras":
        lines.append("input (H, 3)")
        for i, layer in enumerate(layers):
            if layer["type"] == "conv":
                lines.append(f"Conv1D(4, {value(i, 'k')}, strides={value(i, 's')}, "
                             f"padding='{layer['padding']}', dilation_rate={value(i, 'd')})")
            else:
                lines.append(f"MaxPooling1D({value(i, 'k')}, strides={value(i, 's')}, "
                             f"padding='{layer['padding']}')")
    else:
        lines.append("input (3, H)")
        channels = 3
        for i, layer in enumerate(layers):
            if layer["type"] == "conv":
                lines.append(f"Conv1d({channels}, 4, {value(i, 'k')}, stride={value(i, 's')}, "
                             f"padding={value(i, 'p')}, dilation={value(i, 'd')})")
                channels = 4
            else:
                lines.append(f"MaxPool1d({value(i, 'k')}, stride={value(i, 's')}, "
                             f"padding={value(i, 'p')})")
    return "\n".join(lines) + "\n"


def _cases() -> list[tuple[str, list[dict[str, Any]], tuple[int, str], int]]:
    rng = random.Random(SEED)
    out = []
    while len(out) < 80:
        convention = rng.choice(["keras", "torch"])
        layers = random_chain(rng, convention)
        fields = ["k", "s"] + (["p", "d"] if convention == "torch" else ["d"])
        i = rng.randrange(len(layers))
        field = rng.choice([f for f in fields if not (f == "d" and layers[i]["type"] == "pool")
                            and not (f == "p" and layers[i][f] == 0)])
        length = rng.randint(8, 40)
        if chain_extent(length, layers, convention) is None:
            continue
        out.append((convention, layers, (i, field), length))
    return out


CASES = _cases()


@pytest.mark.parametrize("convention,layers,unknown,length", CASES,
                         ids=[f"{c}-{len(ls)}-{u[1]}{u[0]}-L{n}" for c, ls, u, n in CASES])
def test_round_trip_equals_brute_force(convention: str, layers: list[dict[str, Any]],
                                       unknown: tuple[int, str], length: int) -> None:
    want = chain_extent(length, layers, convention)
    text = arch_text(layers, convention, unknown)
    shape = (want, None) if convention == "keras" else (None, want)
    solution = symconv.solve(text, ["U"], [Target("shape", shape)], subs={"H": length},
                             ranges={"U": (1, 12)})
    found = sorted(s["U"] for s in solution.solutions)
    i, field = unknown
    brute = []
    for u in range(1, 13):
        trial = [dict(layer) for layer in layers]
        trial[i][field] = u
        if convention == "keras" and trial[i]["s"] > 1 and trial[i].get("d", 1) > 1:
            continue  # Keras refuses strides > 1 with dilation > 1
        if chain_extent(length, trial, convention) == want:
            brute.append(u)
    assert layers[i][field] in found
    assert found == brute, text


def test_kernels_come_odd_first() -> None:
    text = (ROOT / "examples" / "kernel_torch.arch").read_text()
    s = symconv.solve(text, ["K"], [Target("shape", (16, 8, 8))])
    assert [v["K"] for v in s.solutions] == [1, 3, 2, 4]


# --------------------------------------------------------------------------- closed forms
SYMBOLIC = "sizes H, K, S, P\ninput (H, 2)\nZeroPadding1D(P)\nConv1D(4, K, strides=S)\n"


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_closed_form_for_the_kernel_is_exact(stride: int) -> None:
    """H + 2P − S·T + 1 ≤ K ≤ H + 2P − S·(T − 1), and K = H + 2P − T + 1 at stride 1."""
    s = symconv.solve(SYMBOLIC, ["K"], [Target("shape", (7, None))], subs={"S": stride})
    assert s.free == ("H", "P") and s.closed_form is not None
    condition = s.closed_form["K"]
    named = {x.name: x for x in condition.free_symbols}  # P is ≥ 0 (a padding), H and K ≥ 1
    assert named["P"].is_nonnegative and named["P"].is_positive is None
    holds = compile_form(condition, [named[n] for n in "HKP"])
    for h in range(1, 40, 3):
        for p in (0, 1, 2, 4):
            for k in range(1, 50):
                out = (h + 2 * p - k) // stride + 1
                assert bool(holds((h, k, p))) == (out == 7), (h, p, k, condition)
    if stride == 1:
        assert isinstance(condition, sympy.Eq) or "=" in str(condition)


def test_closed_form_for_the_stride() -> None:
    s = symconv.solve(SYMBOLIC, ["S"], [Target("shape", (7, None))], subs={"K": 3, "P": 1})
    H, S = (sympy.Symbol(n, integer=True, positive=True) for n in "HS")
    holds = compile_form(s.closed_form["S"], [H, S])  # type: ignore[index]
    for h in range(1, 60):
        for stride in range(1, 20):
            assert bool(holds((h, stride))) == ((h + 2 - 3) // stride + 1 == 7), (h, stride)


# --------------------------------------------------------------------------- budgets, errors
def test_budget_gives_the_widest_dense() -> None:
    """The Keras MNIST convnet: 320 + 18,496 + 1,601·classes parameters at 28×28 (Keras's
    summary; 1,601 = 1,600 flattened features + 1 bias)."""
    s = symconv.solve(ROOT / "examples" / "mnist_cnn.arch", ["classes"],
                      [Target("max-params", 1_000_000)], subs={"H": 28, "W": 28})
    widest = (1_000_000 - 320 - 18_496) // 1_601
    assert s.extreme == {"classes": widest} and s.count == widest


def test_flatten_sizes_equal_brute_force() -> None:
    s = symconv.solve(ROOT / "examples" / "mnist_cnn.arch", ["H", "W"],
                      [Target("shape", (1600,), "flatten")], ranges={"H": (1, 120),
                                                                    "W": (1, 120)})
    brute = [(h, w) for h in range(1, 121) for w in range(1, 121)
             if h >= 10 and w >= 10 and 64 * ((h - 6) // 4) * ((w - 6) // 4) == 1600]
    assert sorted((v["H"], v["W"]) for v in s.solutions) == brute


def test_no_solution_exits_1_with_the_nearest() -> None:
    code, out, err = run(["solve", str(ROOT / "examples" / "kernel_stride.arch"), "--for", "K",
                          "--shape", "(40, 40, _)"])
    assert code == 1 and err == ""
    assert "no solution" in out and "K = 1 gives (28, 28, 8)" in out


@pytest.mark.parametrize("argv,message", [
    (["--for", "Q", "--shape", "(1, 1, _)"], "'Q' is not a declared size"),
    (["--for", "K"], "nothing to solve for"),
    (["--for", "K", "--shape", "(1, 1)"], "the target shape has 2 axes"),
    (["--for", "K", "--shape", "(1, 1, _)", "--layer", "nope"], "no layer or tensor named 'nope'"),
    (["--for", "K", "--for", "S", "--shape", "(1, 1, _)", "--range", "K=1..1000000"],
     "values to try"),
])
def test_solver_errors(argv: list[str], message: str) -> None:
    code, out, err = run(["solve", str(ROOT / "examples" / "kernel_stride.arch"), *argv])
    assert code == 1 and out == "" and message in err and "Traceback" not in err


# --------------------------------------------------------------------------- README
def _readme_examples() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\n\$ (symconv solve [^\n]+)\n(.*?)```", text, re.S)
    return [(command, output) for command, output in blocks]


README = _readme_examples()


@pytest.mark.parametrize("command,output", README, ids=[c[14:60] for c, _ in README])
def test_readme_solve_examples_print_what_readme_says(command: str, output: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run(shlex.split(command)[1:])
    assert err == "" and out == output


def test_readme_has_the_solver_examples() -> None:
    assert len(README) >= 6, [c for c, _ in README]


# --------------------------------------------------------------------------- seeds and zoo
@pytest.mark.parametrize("text,unknown,params,want", [
    # Keras prints 18,207 for a 3×3 Conv2D with 63 filters on 32 channels: 63·(3·3·32 + 1)
    ("sizes F\ninput (28, 28, 32)\nConv2D(F, 3)\n", "F", 18_207, 63),
    # Param # 640 for Conv2D(64, k) on one channel: 64·(k·k + 1) = 640 ⇒ k = 3
    ("sizes K\ninput (28, 28, 1)\nConv2D(64, K)\n", "K", 640, 3),
    # the seed's Conv1D: 10 filters of width 16 over 7 channels: 10·(16·7 + 1) = 1,130
    ("sizes K\ninput (21, 7)\nConv1D(10, K)\n", "K", 1_130, 16),
])
def test_seed_parameter_counts_solve_back(text: str, unknown: str, params: int, want: int) -> None:
    s = symconv.solve(text, [unknown], [Target("params", params)])
    assert [v[unknown] for v in s.solutions] == [want]


@pytest.mark.parametrize("file,width,total", [
    ("resnet18.arch", 64, 11_689_512), ("resnet50.arch", 64, 25_557_032),
    ("vgg16.arch", 1000, 138_357_544), ("alexnet.arch", 1000, 61_100_840)])
def test_zoo_widths_solve_back_from_published_totals(file: str, width: int, total: int) -> None:
    """The published totals (torchvision, keras.applications) give back the paper's widths."""
    name = "base" if "resnet" in file else "classes"
    s = symconv.solve(ROOT / "examples" / file, [name], [Target("params", total)],
                      subs={"H": 224, "W": 224}, ranges={name: (1, 1024 if name == "base"
                                                                 else 2048)})
    assert s.solutions == [{name: width}]


def test_skip_connection_equality() -> None:
    """The U-Net's second-level skip lines up when H is a multiple of 4 (torch.cat's rule:
    every axis but the joined one equal)."""
    s = symconv.solve(ROOT / "examples" / "unet2_torch.arch", ["H"],
                      [Target("equal", "enc2", "up2")], subs={"W": 64},
                      ranges={"H": (1, 80)})
    assert [v["H"] for v in s.solutions] == [h for h in range(1, 81) if h % 4 == 0]


def test_json_and_latex_forms() -> None:
    import json

    code, out, _ = run(["solve", str(ROOT / "examples" / "kernel_stride.arch"), "--for", "K",
                        "--subs", "S=2", "--shape", "(13, 13, _)", "--format", "json"])
    data = json.loads(out)
    assert code == 0
    assert {"unknowns", "closed_form", "conditions", "solutions", "count", "complete"} <= set(data)
    assert data["solutions"] == [{"K": 3}, {"K": 4}] and data["count"] == 2 and data["complete"]
    code, out, _ = run(["solve", str(ROOT / "examples" / "kernel_stride.arch"), "--for", "K",
                        "--subs", "S=2", "--shape", "(13, 13, _)", "--format", "latex"])
    assert code == 0 and out.startswith("\\begin{align*}") and "K" in out


# --------------------------------------------------------------------------- issue 14
def params_or_none(text: str, subs: dict[str, int]) -> int | None:
    """Brute force: symconv's derivation with every size substituted, through the API; None
    where a layer refuses the sizes."""
    try:
        return int(symconv.derive(text, subs=subs).params)
    except symconv.SymconvError:
        return None


def shape_or_none(text: str, subs: dict[str, int]) -> tuple[int, ...] | None:
    try:
        return tuple(int(e) for e in symconv.derive(text, subs=subs).output_shape)
    except symconv.SymconvError:
        return None


def solve_cli(tmp_path: Path, text: str, *argv: str) -> tuple[int, str, str]:
    path = tmp_path / "net.arch"
    path.write_text(text)
    return run(["solve", str(path), *argv])


# Keras Dense: (inputs + 1)·units parameters, so 10·(L + 1) + 11·10 = 10·L + 120; S unused
UNUSED = "sizes L, S\ninput (L,)\nDense(10)\nDense(10)\n"


def test_unused_unknown_with_a_free_size_and_no_solution(tmp_path: Path) -> None:
    """10·L + 120 = 100 for no L ≥ 1: no solution, whatever L is; this crashed with
    'unbound symbol L' (the nearest search evaluated a count holding L)."""
    code, out, err = solve_cli(tmp_path, UNUSED, "--for", "S", "--params", "100")
    assert code == 1 and err == ""
    assert out == ("S: width\ntarget: the network parameters = 100\n"
                   "the target does not depend on S\nno solution for any S, whatever L is\n")
    assert all(params_or_none(UNUSED, {"L": n, "S": 1}) != 100 for n in range(1, 200))
    s = symconv.solve(UNUSED, ["S"], [Target("params", 100)])
    assert s.impossible and not s.found and s.independent == ("S",) and s.free == ("L",)


def test_unused_unknown_with_a_free_size_gives_a_condition(tmp_path: Path) -> None:
    """10·L + 120 = 220: a condition on L (true at L = 10 only, by brute force), exit 0."""
    code, out, err = solve_cli(tmp_path, UNUSED, "--for", "S", "--params", "220")
    assert code == 0 and err == "" and "the target does not depend on S\n" in out
    assert "condition: " in out and "sizes left symbolic: L" in out
    s = symconv.solve(UNUSED, ["S"], [Target("params", 220)])
    assert s.found and not s.tried and len(s.conditions) == 1
    holds = compile_form(s.conditions[0], [sympy.Symbol("L", integer=True, positive=True)])
    assert [n for n in range(1, 200) if holds((n,))] == \
        [n for n in range(1, 200) if params_or_none(UNUSED, {"L": n, "S": 1}) == 220] == [10]


def test_unused_unknown_with_its_size_given_lists_every_value() -> None:
    s = symconv.solve(UNUSED, ["S"], [Target("params", 220)], subs={"L": 10},
                      ranges={"S": (1, 30)})
    assert s.independent == ("S",) and s.extreme is None
    assert [v["S"] for v in s.solutions] == \
        [n for n in range(1, 31) if params_or_none(UNUSED, {"L": 10, "S": n}) == 220]


CONV2D = "sizes H, W, K\ninput (H, W, 1)\nConv2D(4, K)\n"  # Keras: 4·K² + 4 parameters


def test_nearest_shows_an_axis_with_a_free_size_as_a_formula(tmp_path: Path) -> None:
    """H − K + 1 = 20 at H = 10 for no K ≥ 1; the free axis holds W, printed as a formula
    (the old answer was 'condition: False', exit 1)."""
    code, out, err = solve_cli(tmp_path, CONV2D, "--for", "K", "--subs", "H=10", "--shape",
                               "(20, _, _)")
    assert code == 1 and err == "" and "condition: False" not in out
    assert "no solution for any K, whatever W is\nnearest:\n  K = 1 gives (10, W, 4)\n" in out
    for k in range(1, 65):
        shape = shape_or_none(CONV2D, {"H": 10, "W": 64, "K": k})
        assert shape is None or shape[0] != 20


def test_free_size_in_the_layers_conditions_only_is_enumerated(tmp_path: Path) -> None:
    """8·(K + 1) + 8·(3·8 + 1) = 304 ⇔ K = 12 whatever H is; H only bounds the layers
    (K + 2 ≤ H), and the answer says so instead of giving up on the enumeration."""
    text = "sizes H, K\ninput (H, 1)\nConv1D(8, K)\nConv1D(8, 3)\n"
    code, out, err = solve_cli(tmp_path, text, "--for", "K", "--params", "304")
    assert code == 0 and err == ""
    assert out.endswith("1 solution: K = 12\nsizes left symbolic: H; each solution also "
                        "needs:\n  H ≥ K + 2\n")
    s = symconv.solve(text, ["K"], [Target("params", 304)])
    assert s.solutions == [{"K": k} for k in range(1, 65)
                           if params_or_none(text, {"H": 100, "K": k}) == 304]
    H, K = sympy.Symbol("H", integer=True, positive=True), sympy.Symbol("K", integer=True,
                                                                       positive=True)
    needs = [compile_form(c, [H, K]) for c in s.conditions]
    for h in range(1, 30):
        assert all(f((h, 12)) for f in needs) == (params_or_none(text, {"H": h, "K": 12})
                                                  is not None), h


def test_two_unknowns_with_a_free_size_in_the_layers_conditions() -> None:
    """F·(K·1 + 1) = 40 parameters: every (K, F) pair, H left symbolic."""
    text = "sizes H, K, F\ninput (H, 1)\nConv1D(F, K)\n"
    s = symconv.solve(text, ["K", "F"], [Target("params", 40)], ranges={"K": (1, 25),
                                                                          "F": (1, 25)})
    brute = sorted((k, f) for k in range(1, 26) for f in range(1, 26)
                   if params_or_none(text, {"H": 100, "K": k, "F": f}) == 40)
    assert sorted((v["K"], v["F"]) for v in s.solutions) == brute and s.free == ("H",)


def test_repeated_unknown_is_refused(tmp_path: Path) -> None:
    """--for K --for K printed every solution twice; it is refused, and so is a repeated
    --range (the last one was used silently)."""
    code, out, err = run(["solve", str(ROOT / "examples" / "kernel_stride.arch"), "--for", "K",
                          "--for", "K", "--shape", "(13, 13, _)"])
    assert code == 1 and out == ""
    assert "'K' is named more than once as an unknown [SC303]" in err and "Traceback" not in err
    code, out, err = run(["solve", str(ROOT / "examples" / "kernel_stride.arch"), "--for", "K",
                          "--shape", "(13, 13, _)", "--range", "K=1..5", "--range", "K=10..20"])
    assert code == 1 and out == "" and "--range gives 'K' more than once [SC303]" in err
    with pytest.raises(symconv.SymconvError) as caught:
        symconv.solve(ROOT / "examples" / "kernel_stride.arch", ["K", "S", "K"],
                      [Target("shape", (13, 13, None))])
    assert caught.value.code == "SC303"


IMPOSSIBLE = "sizes H, K\ninput (H, 1)\nConv1D(8, K)\nConv1D(8, 3)\n"  # 8·K + 208 parameters


@pytest.mark.parametrize("fmt", ["text", "json", "latex"])
def test_impossible_count_exits_1_in_every_format(fmt: str, tmp_path: Path) -> None:
    """8·K + 208 = 300 has no whole K: 'closed form: False' and exit 0 before."""
    code, out, err = solve_cli(tmp_path, IMPOSSIBLE, "--for", "K", "--params", "300",
                               "--format", fmt)
    assert code == 1 and err == "" and "False" not in out
    if fmt == "text":
        assert "no solution for any K, whatever H is\nnearest:\n" \
            "  K = 11 gives 296 parameters\n  K = 12 gives 304 parameters\n" in out
    elif fmt == "json":
        data = json.loads(out)
        assert data["impossible"] and data["solutions"] == [] and data["closed_form"] == {}
    else:
        assert r"\text{no solution}" in out
    assert all(params_or_none(IMPOSSIBLE, {"H": 100, "K": k}) != 300 for k in range(1, 90))
    assert params_or_none(IMPOSSIBLE, {"H": 100, "K": 11}) == 296


def test_impossible_shape_says_for_any_value() -> None:
    """28 − K + 1 = 40 for no K ≥ 1 (README's no-solution example)."""
    s = symconv.solve(ROOT / "examples" / "kernel_stride.arch", ["K"],
                      [Target("shape", (40, 40, None))])
    assert s.impossible and not s.found and [v for v, _ in s.nearest] == [{"K": 1}, {"K": 2},
                                                                          {"K": 3}]
    text = (ROOT / "examples" / "kernel_stride.arch").read_text()
    assert all((shape_or_none(text, {"K": k}) or (0,))[0] != 40 for k in range(1, 65))


@pytest.mark.parametrize("argv,code,expected", [
    # 4·K² + 4 ≥ 8 for every K ≥ 1: every value, the layers' own conditions listed
    (["--min-params", "8"], 0, "the target holds for every K\n"),
    # 4·K² + 4 ≤ 7 for no K ≥ 1
    (["--max-params", "7"], 1, "no solution for any K, whatever H and W are\n"),
])
def test_budget_that_always_or_never_holds(argv: list[str], code: int, expected: str,
                                           tmp_path: Path) -> None:
    """Both printed nothing useful and exited 1 before (closed form {} with sizes free)."""
    got, out, err = solve_cli(tmp_path, CONV2D, "--for", "K", *argv)
    assert got == code and err == "" and expected in out and "True" not in out
    budget = int(argv[1])
    s = symconv.solve(CONV2D, ["K"], [Target(argv[0][2:], budget)])
    brute = [k for k in range(1, 65)
             if (n := params_or_none(CONV2D, {"H": 64, "W": 64, "K": k})) is not None
             and (n >= budget if argv[0] == "--min-params" else n <= budget)]
    assert sorted(v["K"] for v in s.solutions) == brute


# Keras Dense: (10 + 1)·units; the counts below are polynomials of degree 32 to 64 in H
HIGH_DEGREE = [
    ("Dense(H**32 + H)", ["H"], {"params": 11 * (3**32 + 3)}),
    ("Dense(H**32 + H)", ["H"], {"params": 100}),
    ("Dense(H**32)\nDense(H)", ["H"], {"params": 100}),
    ("Dense(H**64)", ["H"], {"max-params": 10**40}),
    ("Dense((H + 1)**40)", ["H"], {"min-params": 10**25}),
    ("Dense((H + 1)**40)", ["H"], {"params": 11 * 4**40}),
    ("Dense(H**32)\nDense(W**3)", ["H", "W"], {"max-params": 10**20}),
    ("Dense(H**32 + W)", ["H", "W"], {"params": 11 * (2**32 + 5)}),
]


@pytest.mark.parametrize("layers,unknowns,target", HIGH_DEGREE,
                         ids=[f"{c}-{list(t)[0]}" for c, _, t in HIGH_DEGREE])
def test_high_degree_counts_are_solved_quickly(layers: str, unknowns: list[str],
                                               target: dict[str, int]) -> None:
    """A degree-33 count took sympy's solvers 77 s and more; each is answered within 2 s,
    and the answer equals brute force over the range."""
    import time

    text = f"sizes H, W\ninput (10,)\n{layers}\n"
    (kind, value), = target.items()
    span = {u: (1, 12) for u in unknowns}
    start = time.perf_counter()
    s = symconv.solve(text, unknowns, [Target(kind, value)], ranges=span)
    assert time.perf_counter() - start < 2
    meets = {"params": int.__eq__, "max-params": int.__le__, "min-params": int.__ge__}[kind]
    brute = []
    for h in range(1, 13):
        for w in range(1, 13) if len(unknowns) == 2 else [1]:
            n = params_or_none(text, {"H": h, "W": w})
            if n is not None and meets(n, value):
                brute.append({"H": h, "W": w} if len(unknowns) == 2 else {"H": h})
    key = (lambda v: tuple(v.values()))  # noqa: E731
    assert sorted(s.solutions, key=key) == sorted(brute, key=key)


def test_exact_closed_form_narrows_a_wide_range() -> None:
    """28 − K + 1 = 1 ⇔ K = 28: a million candidates need not be tried (SC304 before)."""
    s = symconv.solve(ROOT / "examples" / "kernel_stride.arch", ["K"],
                      [Target("shape", (1, 1, None))], ranges={"K": (1, 1_000_000)})
    text = (ROOT / "examples" / "kernel_stride.arch").read_text()
    assert s.solutions == [{"K": 28}] and shape_or_none(text, {"K": 28}) == (1, 1, 8)
    assert shape_or_none(text, {"K": 27}) != (1, 1, 8) and shape_or_none(text, {"K": 29}) is None


def test_two_unknowns_in_a_growing_count_search_only_where_it_can_hold() -> None:
    """11·H³² + (H³² + 1)·W³ + 10 ≤ 10²⁰ (Keras Dense: (inputs + 1)·units) over the default
    ranges, 4,096 × 4,096 candidates: the count grows with both, so H ≤ 3 and the search is
    3 × 4,096 (SC304 before). Brute force in plain integers, checked against derive."""
    import time

    text = "sizes H, W\ninput (10,)\nDense(H**32)\nDense(W**3)\nDense(1)\n"

    def count(h: int, w: int) -> int:
        return 11 * h**32 + (h**32 + 1) * w**3 + (w**3 + 1)

    for h, w in [(1, 1), (2, 5), (3, 7)]:
        assert params_or_none(text, {"H": h, "W": w}) == count(h, w)
    budget = 10**20
    start = time.perf_counter()
    s = symconv.solve(text, ["H", "W"], [Target("max-params", budget)])
    assert time.perf_counter() - start < 2
    brute = [(h, w) for h in range(1, 4097) if count(h, 1) <= budget
             for w in range(1, 4097) if count(h, w) <= budget]
    assert s.count == len(brute) and {h for h, _ in brute} == {1, 2, 3}
    assert [(v["H"], v["W"]) for v in s.solutions] == brute[:len(s.solutions)]


def test_every_kind_of_size_prints_its_search_order(tmp_path: Path) -> None:
    """A Keras cropping size solved through the CLI ended in KeyError 'cropping' (exit 3): the
    text form knew no order for that kind (found by the fuzzer's hostile family)."""
    from symconv.render.solution import ORDER
    from symconv.solving.solver import RANGES

    assert set(RANGES) <= set(ORDER)
    path = tmp_path / "crop.arch"
    path.write_text("sizes H, P, Q\ninput (H, H, 4)\nCropping2D(((P, 0), (Q, 1)))\nFlatten()\n")
    out = subprocess.run([sys.executable, "-m", "symconv", "solve", str(path), "--for", "P",
                          "--shape", "(96,)", "--subs", "H=8,Q=1"], capture_output=True,
                         text=True, timeout=60)
    # Keras: (8 − P − 0)·(8 − 1 − 1)·4 = 96 ⇔ P = 4
    assert out.returncode == 0 and "P: cropping, tried 0..32" in out.stdout, out.stderr
    assert "closed form: P = 4" in out.stdout, out.stdout


@pytest.mark.parametrize("kind,value", [("nope", 3), ("params", "x"), ("params", -3),
                                        ("max-params", True), ("shape", 5),
                                        ("shape", (13, -1, None)), ("equal", 4)])
def test_api_targets_are_checked_as_the_cli_checks_them(kind: str, value: object) -> None:
    """Once a KeyError, a ValueError or an AssertionError from inside the solver."""
    with pytest.raises(SymconvError) as err:
        Target(kind, value)
    assert err.value.code == "SC303"
