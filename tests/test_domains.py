"""Every size has a domain, its least value: 0 (`sizes P >= 0`, or every use of it takes 0: a
padding, an output padding, a cropping) or 1 (the rest). derive, substitute, solve, verify and
explain honour it.

Truth comes from the frameworks (a real torch.nn module or Keras layer built at the value) and
from brute force: deriving with each value substituted, over ranges that include 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import symconv
from symconv import Target
from symconv.errors import SymconvError

from test_errors import run

# PyTorch warns that a kernel of 0 initialises nothing before it refuses it
pytestmark = pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")

ROOT = Path(__file__).resolve().parent.parent
TORCH = "convention torch\n"

# The seed question of issue 14: which padding gives 14 × 14 from 32 × 32?
# PyTorch: floor((32 + 2P - 2·(3 - 1) - 1)/2) + 1 = 14 at P = 0 (and 15 at P = 1).
SEED = TORCH + """sizes H, P
input (16, H, H)
Conv2d(16, 32, kernel_size=3, stride=2, padding=P, dilation=2)
"""


def torch_shape(module: object, shape: tuple[int, ...]) -> tuple[int, ...]:
    """What the real module gives a batch of one, the batch axis left out."""
    import torch

    with torch.no_grad():
        return tuple(module(torch.zeros(1, *shape)).shape[1:])  # type: ignore[operator]


def seed_conv(p: int) -> object:
    import torch

    return torch.nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=p, dilation=2)


def shape_at(text: str, subs: dict[str, int]) -> tuple[int, ...] | None:
    """Brute force: the output shape derived with the sizes substituted (None if refused)."""
    try:
        return tuple(int(e) for e in symconv.derive(text, subs=subs).output_shape)
    except SymconvError:
        return None


# --------------------------------------------------------------------------- the seed example
def test_seed_solve_finds_padding_zero_as_torch_does(tmp_path: Path, need_torch: None) -> None:
    path = tmp_path / "seed.arch"
    path.write_text(SEED)
    code, out, err = run(["solve", str(path), "--for", "P", "--shape", "(32, 14, 14)",
                          "--subs", "H=32"])
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "P: padding, tried 0..32 (smallest first)"
    assert out.splitlines()[-1] == "1 solution: P = 0"
    torch_says = [p for p in range(0, 33) if torch_shape(seed_conv(p), (16, 32, 32)) == (32, 14, 14)]
    assert torch_says == [0]


def test_seed_substitutes_padding_zero(tmp_path: Path, need_torch: None) -> None:
    path = tmp_path / "seed.arch"
    path.write_text(SEED)
    code, out, err = run(["derive", str(path), "--subs", "H=32,P=0"])
    assert (code, err) == (0, "")
    assert "(N, 32, 14, 14)" in out
    assert torch_shape(seed_conv(0), (16, 32, 32)) == (32, 14, 14)


def test_range_from_zero_is_accepted_for_a_padding(tmp_path: Path) -> None:
    path = tmp_path / "seed.arch"
    path.write_text(SEED)
    code, out, _ = run(["solve", str(path), "--for", "P", "--shape", "(32, 14, 14)",
                        "--subs", "H=32", "--range", "P=0..10"])
    assert code == 0 and "tried 0..10" in out and out.endswith("1 solution: P = 0\n")


def test_range_from_zero_is_refused_for_a_kernel() -> None:
    code, out, err = run(["solve", str(ROOT / "examples/kernel_stride.arch"), "--for", "K",
                          "--shape", "(13, 13, _)", "--range", "K=0..10"])
    assert code == 1 and out == ""
    assert "the range of 'K' must run from 1 or more upwards, not 0..10 [SC303]" in err
    assert "hint: 'K' appears in 'kernel_size' of Conv2D 'conv2d' (line 8), which needs K ≥ 1" \
        in err


# --------------------------------------------------------------------------- solve vs brute force
SOLVES = {
    # name: (text, unknowns, target shape, other sizes, each unknown's range)
    "torch conv padding": (SEED, ["P"], (32, 14, 14), {"H": 32}, {"P": (0, 12)}),
    "torch conv padding, wider": (SEED, ["P"], (32, 17, 17), {"H": 32}, {"P": (0, 12)}),
    "torch conv padding and input": (SEED, ["P", "H"], (32, 14, 14), {},
                                     {"P": (0, 20), "H": (1, 40)}),
    "torch output padding": (TORCH + "sizes H, P\ninput (3, H, H)\n"
                             "ConvTranspose2d(3, 4, 3, stride=3, output_padding=P)\n",
                             ["P"], (4, 23, 23), {"H": 7}, {"P": (0, 5)}),
    "keras zero padding": ("sizes H, P\ninput (H, H, 3)\nZeroPadding2D(P)\nConv2D(4, 5)\n",
                           ["P"], (12, 12, 4), {"H": 16}, {"P": (0, 10)}),
    "keras cropping, none": ("sizes H, C\ninput (H, H, 3)\nCropping2D(C)\nConv2D(4, 3)\n",
                             ["C"], (14, 14, 4), {"H": 16}, {"C": (0, 10)}),
    "keras cropping, one": ("sizes H, C\ninput (H, H, 3)\nCropping2D(C)\nConv2D(4, 3)\n",
                            ["C"], (12, 12, 4), {"H": 16}, {"C": (0, 10)}),
}


def _brute(text: str, unknowns: list[str], target: tuple[int, ...], subs: dict[str, int],
           ranges: dict[str, tuple[int, int]]) -> set[tuple[int, ...]]:
    import itertools

    spans = [range(ranges[u][0], ranges[u][1] + 1) for u in unknowns]
    return {values for values in itertools.product(*spans)
            if shape_at(text, {**subs, **dict(zip(unknowns, values))}) == target}


@pytest.mark.parametrize("name", sorted(SOLVES))
def test_solve_equals_brute_force_from_zero(name: str) -> None:
    text, unknowns, target, subs, ranges = SOLVES[name]
    s = symconv.solve(text, unknowns, [Target("shape", target)], subs=subs, ranges=ranges)
    found = {tuple(x[u] for u in unknowns) for x in s.solutions}
    brute = _brute(text, unknowns, target, subs, ranges)
    assert found == brute and s.complete
    assert brute  # each has a solution


def test_solve_brute_force_includes_zero_and_frameworks_agree(need_torch: None) -> None:
    """The solutions with a 0 in them exist, and the framework gives the target there."""
    text, unknowns, target, subs, ranges = SOLVES["torch conv padding and input"]
    s = symconv.solve(text, unknowns, [Target("shape", target)], subs=subs, ranges=ranges)
    with_zero = [x for x in s.solutions if x["P"] == 0]
    assert with_zero == [{"P": 0, "H": 31}, {"P": 0, "H": 32}]  # ⌊(H - 5)/2⌋ + 1 = 14
    for x in with_zero:
        assert torch_shape(seed_conv(x["P"]), (16, x["H"], x["H"])) == target


def test_output_padding_solutions_agree_with_torch(need_torch: None) -> None:
    import torch

    text, unknowns, target, subs, _ = SOLVES["torch output padding"]
    s = symconv.solve(text, unknowns, [Target("shape", target)], subs=subs)
    assert s.ranges["P"] == (0, 32)
    # (7 − 1)·3 + 3 + P = 21 + P: 23 needs P = 2, below the stride 3
    assert s.solutions == [{"P": 2}]
    module = torch.nn.ConvTranspose2d(3, 4, 3, stride=3, output_padding=2)
    assert torch_shape(module, (3, 7, 7)) == target


def test_keras_zero_padding_solution_agrees_with_keras(need_keras: None) -> None:
    import keras

    text, unknowns, target, subs, _ = SOLVES["keras zero padding"]
    s = symconv.solve(text, unknowns, [Target("shape", target)], subs=subs)
    assert s.solutions == [{"P": 0}]  # 16 + 2P − 5 + 1 = 12
    x = keras.Input((16, 16, 3))
    y = keras.layers.Conv2D(4, 5)(keras.layers.ZeroPadding2D(0)(x))
    assert tuple(y.shape[1:]) == target


def test_default_ranges_start_at_the_least_value() -> None:
    s = symconv.solve(SEED, ["P"], [Target("shape", (32, 14, 14))], subs={"H": 32})
    assert s.ranges == {"P": (0, 32)}
    k = symconv.solve(ROOT / "examples/kernel_stride.arch", ["K"],
                      [Target("shape", (13, 13, None))])
    assert k.ranges == {"K": (1, 64)}


def test_solve_with_a_padding_given_as_zero() -> None:
    s = symconv.solve(SEED, ["H"], [Target("shape", (32, 14, 14))], subs={"P": 0},
                      ranges={"H": (1, 64)})
    assert [x["H"] for x in s.solutions] == [31, 32]


# --------------------------------------------------------------------------- substitution
SUBSTITUTED = {
    # a template with {P} for the size: symbolic P substituted by 0 must equal 0 written
    "torch conv": TORCH + "sizes H{s}\ninput (3, H, H)\nConv2d(3, 4, 3, stride=2, padding={P})\n"
                  "MaxPool2d(2, padding={P})\n",
    "torch transpose": TORCH + "sizes H{s}\ninput (3, H, H)\n"
                       "ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding={P})\n",
    "torch pads": TORCH + "sizes H{s}\ninput (3, H, H)\nZeroPad2d({P})\nConstantPad2d(({P}, 1, "
                  "{P}, 0), 0.5)\nReflectionPad2d({P})\nConv2d(3, 4, 3)\n",
    "keras": "sizes H{s}\ninput (H, H, 3)\nZeroPadding2D({P})\nConv2D(4, 3)\nCropping2D({P})\n"
             "Conv2DTranspose(2, 3, strides=2, output_padding={P})\n",
    "kernel 2P+1": TORCH + "sizes H{s}\ninput (3, H, H)\nConv2d(3, 4, 2*{P} + 1, padding={P})\n",
}


def _facts(d: symconv.derivation.model.Derivation) -> list[object]:
    return [(r.name, r.output_shape, r.params, tuple(w.shape for w in r.weights))
            for r in d.layers]


@pytest.mark.parametrize("name", sorted(SUBSTITUTED))
@pytest.mark.parametrize("h", [9, 16])
def test_substitution_at_zero_equals_zero_written(name: str, h: int) -> None:
    template = SUBSTITUTED[name]
    symbolic = symconv.derive(template.format(s=", P", P="P"))
    assert symbolic.domain("P").least == 0
    at_zero = symconv.derive(template.format(s=", P", P="P"), subs={"H": h, "P": 0})
    literal = symconv.derive(template.format(s="", P="0"), subs={"H": h})
    assert _facts(at_zero) == _facts(literal)
    assert [r.condition for r in at_zero.requires] == [r.condition for r in literal.requires]


def test_a_kernel_size_given_zero_is_refused_with_the_reason(tmp_path: Path) -> None:
    import torch

    path = tmp_path / "kernel.arch"
    path.write_text(TORCH + "sizes H, K\ninput (3, H, H)\nConv2d(3, 8, K, padding=K)\n")
    code, out, err = run(["derive", str(path), "--subs", "H=32,K=0"])
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{path}: error: 'K' must be a whole number ≥ 1, not 0 [SC302]",
        "hint: 'K' appears in 'kernel_size' of Conv2d '0' (line 4), which needs K ≥ 1"]
    with pytest.raises(SymconvError, match="'K' must be a whole number ≥ 1, not 0"):
        symconv.solve(path, ["H"], [Target("shape", (8, 30, 30))], subs={"K": 0})
    with pytest.raises(RuntimeError):  # PyTorch refuses a kernel of 0 too
        torch_shape(torch.nn.Conv2d(3, 8, 0, padding=0), (3, 32, 32))


def test_a_negative_size_is_refused_in_its_domain() -> None:
    with pytest.raises(SymconvError, match="'P' must be a whole number ≥ 0, not -1"):
        symconv.derive(SEED, subs={"H": 32, "P": -1})
    with pytest.raises(SymconvError, match="'H' must be a whole number ≥ 1, not 0"):
        symconv.derive(SEED, subs={"H": 0, "P": 0})


# --------------------------------------------------------------------------- inferred domains
INFERRED = [
    # (id, text, size, least); every least-0 row is checked against the framework at 0
    ("torch conv padding", TORCH + "sizes H, P\ninput (3, H, H)\nConv2d(3, 4, 3, padding=P)", "P", 0),
    ("torch conv padding by position", TORCH + "sizes H, P\ninput (3, H, H)\n"
     "Conv2d(3, 4, 3, 1, P)", "P", 0),
    ("torch pool padding", TORCH + "sizes H, P\ninput (3, H, H)\nMaxPool2d(3, padding=P)", "P", 0),
    ("torch output padding", TORCH + "sizes H, P\ninput (3, H, H)\n"
     "ConvTranspose2d(3, 4, 3, stride=2, output_padding=P)", "P", 0),
    ("torch ConstantPad2d", TORCH + "sizes H, P\ninput (3, H, H)\nConstantPad2d(P, 0.5)", "P", 0),
    ("torch ZeroPad2d", TORCH + "sizes H, P\ninput (3, H, H)\nZeroPad2d((P, 1, 0, P))", "P", 0),
    ("torch ReflectionPad2d", TORCH + "sizes H, P\ninput (3, H, H)\nReflectionPad2d(P)", "P", 0),
    ("keras output padding", "sizes H, P\ninput (H, H, 3)\n"
     "Conv2DTranspose(4, 3, strides=2, output_padding=P)", "P", 0),
    ("keras ZeroPadding2D", "sizes H, P\ninput (H, H, 3)\nZeroPadding2D(P)", "P", 0),
    ("keras ZeroPadding2D pairs", "sizes H, P\ninput (H, H, 3)\nZeroPadding2D(((P, 1), (0, P)))",
     "P", 0),
    ("keras Cropping2D", "sizes H, P\ninput (H, H, 3)\nCropping2D(P)", "P", 0),
    ("keras Cropping1D", "sizes L, P\ninput (L, 3)\nCropping1D((P, 1))", "P", 0),
    ("kernel 2P + 1", TORCH + "sizes H, P\ninput (3, H, H)\nConv2d(3, 4, 2*P + 1, padding=P)",
     "P", 0),
    ("a block's padding", TORCH + "sizes H, P\nblock Pad(p):\n    Conv2d(3, 3, 3, padding=p)\n"
     "input (3, H, H)\nPad(P)", "P", 0),
    ("padding and kernel", TORCH + "sizes H, P\ninput (3, H, H)\nConv2d(3, 4, P, padding=P)",
     "P", 1),
    ("kernel P + Q", TORCH + "sizes H, P, Q\ninput (3, H, H)\nConv2d(3, 4, P + Q)", "P", 1),
    ("padding P - 1", TORCH + "sizes H, P\ninput (3, H, H)\nConv2d(3, 4, 3, padding=P - 1)",
     "P", 1),
    ("an input extent", TORCH + "sizes H\ninput (3, H, H)\nZeroPad2d(H)", "H", 1),
    ("a padding that must be 0", TORCH + "sizes H, P\ninput (3, H, H)\nZeroPad2d(P)\n"
     "Linear(H, 2)", "P", 0),  # an error while P ≥ 1, valid at P = 0
    ("a pool's padding that must be 0", TORCH + "sizes H, P\ninput (3, H, H)\n"
     "MaxPool2d(1, padding=P)", "P", 0),
    ("units", "sizes U\ninput (4,)\nDense(U)", "U", 1),
    ("a LoRA rank", "sizes R\ninput (4,)\nDense(8, lora_rank=R)", "R", 1),
    ("an LSTM projection", TORCH + "sizes P\ninput (5, 4)\n"
     "LSTM(4, 8, proj_size=P, batch_first=True)", "P", 1),
    ("unused", "sizes P\ninput (4,)\nDense(3)", "P", 1),
]


@pytest.mark.parametrize("text,size,least", [r[1:] for r in INFERRED], ids=[r[0] for r in INFERRED])
def test_inferred_domain(text: str, size: str, least: int) -> None:
    d = symconv.derive(text)
    assert d.domain(size).least == least
    assert not d.domain(size).declared


ZERO_ROWS = [r for r in INFERRED if r[3] == 0]


@pytest.mark.parametrize("text,size", [r[1:3] for r in ZERO_ROWS], ids=[r[0] for r in ZERO_ROWS])
def test_inferred_zero_is_what_the_framework_accepts(text: str, size: str, need_torch: None,
                                                     need_keras: None) -> None:
    d = symconv.derive(text)
    subs = {s: 0 if s == size else 8 for s in d.sizes}
    report = symconv.verify(text, subs=subs, outside=False)
    assert report.ok and report.checked[0].sizes[size] == 0, report.render()


def test_frameworks_refuse_zero_where_the_domain_is_one(need_torch: None,
                                                        need_keras: None) -> None:
    import keras
    import torch

    with pytest.raises(RuntimeError):  # a size both padding and kernel: the kernel refuses 0
        torch_shape(torch.nn.Conv2d(3, 4, 0, padding=0), (3, 8, 8))
    with pytest.raises(ValueError):  # Dense(0)
        keras.layers.Dense(0)


def test_a_fixed_point_keeps_sums_safe() -> None:
    """kernel_size=P + Q: each alone could be 0, not both at once; both are ≥ 1 (whatever
    the order the uses are read in)."""
    for names in ("P, Q", "Q, P"):
        d = symconv.derive(TORCH + f"sizes H, {names}\ninput (3, H, H)\nConv2d(3, 4, P + Q)")
        assert (d.domain("P").least, d.domain("Q").least) == (1, 1)


# --------------------------------------------------------------------------- declared domains
def test_a_declared_nonnegative_kernel_records_its_condition(need_torch: None) -> None:
    import torch

    text = TORCH + "sizes H, K >= 0\ninput (3, H, H)\nConv2d(3, 8, K)\n"
    d = symconv.derive(text)
    assert d.domain("K").least == 0 and d.domain("K").declared
    assert [(r.layer, str(r.condition)) for r in d.requires][:1] == [("0", "K >= 1")]
    with pytest.raises(SymconvError) as err:
        symconv.derive(text, subs={"H": 8, "K": 0})
    assert err.value.code == "SC301" and "'kernel_size' must be at least 1" in err.value.message
    with pytest.raises(RuntimeError):  # and PyTorch refuses it too
        torch_shape(torch.nn.Conv2d(3, 8, 0), (3, 8, 8))
    assert symconv.derive(text, subs={"H": 8, "K": 3}).output_shape == (8, 6, 6)


def test_a_declared_domain_and_default() -> None:
    text = TORCH + "sizes H, P >= 0 = 0, S >= 1 = 2\ninput (3, H, H)\n" \
        "Conv2d(3, 8, 3, stride=S, padding=P)\n"
    d = symconv.derive(text)
    assert d.domain("P").declared and d.domain("S").declared
    assert d.domain("P").least == 0 and d.domain("S").least == 1
    assert symconv.derive(text, subs={"H": 32}).output_shape == (8, 15, 15)  # ⌊29/2⌋ + 1


def test_a_default_of_zero_for_an_inferred_padding() -> None:
    text = TORCH + "sizes H, P = 0\ninput (3, H, H)\nConv2d(3, 8, 3, padding=P)\n"
    assert symconv.derive(text, subs={"H": 32}).output_shape == (8, 30, 30)
    s = symconv.solve(text, ["H"], [Target("shape", (8, 30, 30))], ranges={"H": (1, 64)})
    assert s.solutions == [{"H": 32}]


def test_a_declared_size_at_least_one_is_not_inferred() -> None:
    text = TORCH + "sizes H, P >= 1\ninput (3, H, H)\nConv2d(3, 8, 3, padding=P)"
    assert symconv.derive(text).domain("P").least == 1
    with pytest.raises(SymconvError) as err:
        symconv.derive(text, subs={"H": 8, "P": 0})
    assert err.value.message == "'P' must be a whole number ≥ 1, not 0"
    assert err.value.hint == "'P' is declared `P >= 1`"


@pytest.mark.parametrize("line,column,message", [
    ("sizes H, P > 0", 12, "a size's domain is its least value, written with >=, not >"),
    ("sizes H, P >= 2", 15, "a size's least value is 0 or 1, not 2"),
    ("sizes H, P >= -1", 15, "unexpected '-'"),
    ("sizes H, P >= 0 = -1", 19, "the default of 'P' must be a whole number ≥ 0, not -1"),
    ("sizes H, P >= 1 = 0", 19, "the default of 'P' must be a whole number ≥ 1, not 0"),
])
def test_bad_domains_are_refused_where_written(line: str, column: int, message: str) -> None:
    text = f"{TORCH}{line}\ninput (3, H, H)\nConv2d(3, 8, 3, padding=P)\n"
    with pytest.raises(SymconvError) as err:
        symconv.derive(text)
    assert err.value.message == message
    assert err.value.span is not None and (err.value.span.line, err.value.span.column) == (2, column)


def test_an_input_extent_declared_nonnegative_is_refused() -> None:
    with pytest.raises(SymconvError) as err:
        symconv.derive("sizes H >= 0\ninput (H, 3)\nDense(4)\n")
    assert err.value.hint == "'H' is declared ≥ 0: declare it `H >= 1`"


# --------------------------------------------------------------------------- output
def test_table_and_json_show_a_domain_that_is_not_the_default() -> None:
    d = symconv.derive(SEED)
    assert d.render("table").splitlines()[0] == \
        'Model: "network" (torch convention; symbolic in H, P ≥ 0)'
    data = json.loads(d.render("json"))
    assert data["domains"] == {"P": 0}
    assert "domains" not in json.loads(symconv.derive(ROOT / "examples/mnist_cnn.arch")
                                      .render("json"))


def test_explain_at_zero_reads_as_zero_written(tmp_path: Path) -> None:
    (tmp_path / "p.arch").write_text(SEED)
    (tmp_path / "zero.arch").write_text(SEED.replace("padding=P", "padding=0")
                                        .replace("sizes H, P", "sizes H"))
    _, symbolic, _ = run(["explain", str(tmp_path / "p.arch"), "--subs", "H=32,P=0"])
    _, literal, _ = run(["explain", str(tmp_path / "zero.arch"), "--subs", "H=32"])
    assert "height (axis 2): ⌊(32 + 2·0 - 5)/2⌋ + 1 = 14" in symbolic
    assert symbolic.splitlines()[3:] == literal.splitlines()[3:]  # after the call as written


# --------------------------------------------------------------------------- verify
def test_verify_samples_zero_and_steps_below_it(need_torch: None) -> None:
    report = symconv.verify(SEED, samples=3, seed=0)
    assert report.ok, report.render()
    assert report.checked[0].sizes["P"] == 0
    below = [o for o in report.outside if o.point.size == "P"]
    assert [o.point.sizes["P"] for o in below] == [-1]
    assert below[0].framework is not None and "negative padding" in below[0].framework


def test_verify_a_padding_example_at_zero(need_torch: None) -> None:
    report = symconv.verify(ROOT / "examples/dilated_same.arch", subs={"P": 0})
    assert report.ok, report.render()
    facts = report.checked[0].facts
    assert facts is not None and tuple(facts[0].output_shape[-2:]) == (52, 52)  # 56 − 2·2


def test_verify_does_not_step_below_where_the_framework_accepts_it(need_keras: None) -> None:
    """Keras's ZeroPadding2D(-1) crops: -1 is outside symconv's domain only, so it is no
    point at which the framework must refuse."""
    report = symconv.verify("sizes H, P\ninput (H, H, 3)\nZeroPadding2D(P)\nConv2D(4, 3)\n",
                            samples=2, seed=1)
    assert report.ok, report.render()
    assert report.checked[0].sizes["P"] == 0
    assert all(o.point.size != "P" for o in report.outside)
