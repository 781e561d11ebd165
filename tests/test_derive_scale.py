"""The derivation of long networks does per layer only the work the layer needs (issue 17):
no sympy printing for conditions that hold, no second walk of a formula already checked
against the limits, no cycle collection while deriving, the same conditions of repeated
blocks built once; and the results are those of a cold start. Expected counts are hand
arithmetic written here; the scaling tests count operations, not seconds (the machine's load
makes timings noisy)."""

from __future__ import annotations

import gc
import json

import pytest
import sympy
from sympy.core import relational
from sympy.printing.str import StrPrinter

import symconv
from symconv.derivation.frames import reads_tensors
from symconv.derivation.run import derive_program
from symconv.errors import Source, Span
from symconv.language import ir
from symconv.language.parse import parse
from symconv.layers import REGISTRY, base, common
from symconv.maths import limits

BLOCK = ("a = LayerNorm(d)(x)\na = MultiheadAttention(d, 4, batch_first=True)(a)\nx = x + a\n"
         "m = LayerNorm(d)(x)\nm = Linear(d, 4 * d)(m)\nm = GELU()(m)\nm = Linear(4 * d, d)(m)\n"
         "x = x + m\n")
MIXED = ("Conv2d(8, 8, 3, stride=1, padding=1)", "Conv2d(8, 8, 3, stride=1, padding=0)",
         "Conv2d(8, 8, 5, stride=2, padding=2)", "MaxPool2d(3, stride=1, padding=1)", "ReLU()",
         "Conv2d(8, 8, 3, stride=3, padding=1)")


def transformer(blocks: int) -> str:
    return "convention torch\nsizes L, d=64\ninput x: (L, d)\n" + BLOCK * blocks


def mixed(layers: int) -> str:
    return ("convention torch\nsizes H, W\ninput (8, H, W)\n"
            + "\n".join(MIXED[i % 6] for i in range(layers)) + "\n")


def test_transformer_counts_by_hand() -> None:
    # per block at d = 64: LayerNorm 2·64 = 128 (twice); MultiheadAttention 4·64² + 4·64 =
    # 16,640; Linear(64, 256) 64·256 + 256 = 16,640; Linear(256, 64) 256·64 + 64 = 16,448
    block = 128 + 16_640 + 128 + 16_640 + 16_448
    derivation = symconv.derive(transformer(30), {"d": 64, "L": 7})
    assert derivation.params == 30 * block
    assert derivation.layers[-1].output_shape == (7, 64)


class _Printed:
    """Counts sympy's str printing (what an eager f-string reason costs)."""

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self) -> _Printed:
        self.original = StrPrinter.doprint

        def doprint(printer: StrPrinter, expr: object) -> str:
            self.count += 1
            return self.original(printer, expr)

        StrPrinter.doprint = doprint  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        StrPrinter.doprint = self.original  # type: ignore[method-assign]


def test_conditions_that_hold_print_nothing() -> None:
    """LayerNorm, MultiheadAttention and Linear on (L, d) meet every condition; the reasons
    that would name the extents are not printed (they were, 2.4 per layer)."""
    symconv.derive(transformer(1))  # sympy's first-use work out of the count
    with _Printed() as printed:
        symconv.derive(transformer(40))
    assert printed.count == 0


def test_a_failing_condition_still_names_the_extents() -> None:
    text = "convention torch\nsizes L\ninput x: (L, 32)\nMultiheadAttention(64, 4)(x)\n"
    with pytest.raises(symconv.SymconvError) as caught:
        symconv.derive(text)
    assert "expected a query embedding dimension of 64, but got 32" in str(caught.value)
    text = "convention torch\nsizes L\ninput x: (L, 32)\nLayerNorm(64)(x)\n"
    with pytest.raises(symconv.SymconvError) as caught:
        symconv.derive(text)
    assert "'normalized_shape' expects 64 where the input has 32" in str(caught.value)


def test_require_takes_a_lazy_reason() -> None:
    spec = REGISTRY["torch"]["ReLU"]
    call = base.Call(spec, "r", ((sympy.Integer(3),),), {}, Span(1, 1))
    H = sympy.Symbol("H", integer=True, positive=True)
    call.require(sympy.true, lambda: pytest.fail("printed for a true condition"))
    call.require(sympy.Ge(H, 3), lambda: f"H is {H}")
    assert [r.reason for r in call.requires] == ["H is H"]


def test_a_checked_formula_is_not_walked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    walks = []
    original = limits._Walk.top
    monkeypatch.setattr(limits._Walk, "top", lambda self, e: walks.append(e) or original(self, e))
    H = sympy.Symbol("H", integer=True, positive=True)
    formula = sympy.floor((H + 7) / 3) * H ** 2 + 1
    limits.check(formula)
    first = len(walks)
    limits.check(formula)
    assert first > 0 and len(walks) == first


def test_a_formula_past_the_limits_is_refused_every_time() -> None:
    H = sympy.Symbol("H", integer=True, positive=True)
    for _ in range(2):
        with pytest.raises(limits.TooLarge):
            limits.check(sympy.floor(H / 3) + H ** 300)


def test_no_cycle_collection_while_deriving() -> None:
    """The collector walks every object of the process; a derivation leaves no cycles, so
    it is paused (it ran 2 full collections in a 10,000-layer transformer, half the time)."""
    collections = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    program = parse(Source(mixed(600), "<mixed>"))
    gc.callbacks.append(seen)
    try:
        derive_program(program)
    finally:
        gc.callbacks.remove(seen)
    assert len(collections) <= 1  # the one due as the collector comes back on
    assert gc.isenabled()


def test_the_collector_state_is_restored() -> None:
    gc.disable()
    try:
        symconv.derive(mixed(6))
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(symconv.SymconvError):
        symconv.derive("convention torch\ninput (3, 8, 8)\nConv2d(4, 4, 3)\n")
    assert gc.isenabled()


def test_repeated_blocks_build_their_conditions_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each block's argument bounds (4·d ≥ 1) and divisibility (d mod 4 = 0) are the same
    sympy question; asked once, not once per block."""
    made = []
    original_ge = sympy.Ge
    original_eq = sympy.Eq
    monkeypatch.setattr(sympy, "Ge",
                        lambda *a, **k: made.append(("Ge", *a)) or original_ge(*a, **k))
    monkeypatch.setattr(sympy, "Eq",
                        lambda *a, **k: made.append(("Eq", *a)) or original_eq(*a, **k))
    base._ge.cache_clear()
    common._divides.cache_clear()
    def asked() -> int:
        return sum((a[0], str(a[1])) in (("Ge", "4*d"), ("Eq", "Mod(d, 4)")) for a in made)

    symconv.derive(transformer(2))
    few = asked()
    symconv.derive(transformer(40))
    assert 0 < few == asked()


@pytest.mark.parametrize("formula,small", [
    ("64", True), ("H", True), ("4*H", True), ("H + 1", True),
    ("floor((H + 1)/2)", False), ("floor(H/2) + 1", False)])
def test_caches_keyed_by_value_take_small_formulas_only(formula: str, small: bool) -> None:
    """Sympy's hashes of extents with power-of-two denominators collide: only numbers, sizes
    and one operation on them key a cache by value."""
    H = sympy.Symbol("H", integer=True, positive=True)
    values = {"64": sympy.Integer(64), "H": H, "4*H": 4 * H, "H + 1": H + 1,
              "floor((H + 1)/2)": sympy.floor((H + 1) / 2),
              "floor(H/2) + 1": sympy.floor(H / 2) + 1}
    assert base.small(values[formula]) is small


def test_warm_caches_give_the_cold_result() -> None:
    """A derivation after others (caches warm) is the one a fresh process gives."""
    text = mixed(60)
    base._ge.cache_clear()
    common._divides.cache_clear()
    limits._CHECKED.clear()
    cold = json.dumps(symconv.derive(text).to_dict(), sort_keys=True, default=str)
    symconv.derive(transformer(3))
    warm = json.dumps(symconv.derive(text).to_dict(), sort_keys=True, default=str)
    assert warm == cold


@pytest.mark.parametrize("wrap", ["call", "keyword", "binop", "neg", "tuple", "list",
                                  "subscript", "compare", "boolop"])
def test_a_read_extent_is_found_inside_every_kind_of_node(wrap: str) -> None:
    s = Span(1, 1)
    shape = ir.Attribute(ir.Name("x", s), "shape", s, s)
    one = ir.Num(1, s, "1")
    node = {
        "call": lambda: ir.CallExpr(ir.Name("Dense", s), (shape,), (), s),
        "keyword": lambda: ir.CallExpr(ir.Name("Dense", s), (),
                                       (ir.Keyword("units", shape, s),), s),
        "binop": lambda: ir.BinOp("+", one, shape, s),
        "neg": lambda: ir.Neg(shape, s),
        "tuple": lambda: ir.Tuple((one, shape), s),
        "list": lambda: ir.List((one, shape), s),
        "subscript": lambda: ir.Subscript(shape, one, s),
        "compare": lambda: ir.Compare("==", one, shape, s),
        "boolop": lambda: ir.BoolOp("and", (one, shape), s),
    }[wrap]()
    assert reads_tensors(node)
    assert not reads_tensors(ir.BinOp("+", one, one, s))


@pytest.mark.parametrize("kind,a,b,holds", [
    (sympy.Le, 2, 3, True), (sympy.Le, 3, 3, True), (sympy.Le, 4, 3, False),
    (sympy.Lt, 3, 3, False), (sympy.Lt, -1, 0, True), (sympy.Ge, 0, 0, True),
    (sympy.Ge, 0, 1, False), (sympy.Gt, 5, 4, True), (sympy.Gt, 4, 4, False)])
def test_relation_on_whole_numbers(kind: type, a: int, b: int, holds: bool) -> None:
    assert base.relation(kind, sympy.Integer(a), sympy.Integer(b)) is sympy.S(holds)


def test_relation_in_sizes_is_sympys() -> None:
    H = sympy.Symbol("H", integer=True, positive=True)
    assert base.relation(sympy.Le, sympy.Integer(2), H + 1) is sympy.true  # H + 1 ≥ 2
    assert base.relation(sympy.Lt, sympy.Integer(2), H) == sympy.Lt(2, H)


def test_pools_on_numbers_ask_sympy_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """MaxPool2d(3, stride=1, padding=1)'s 2·1 ≤ 3 on numbers: no sympy relation built."""
    built = []
    original = relational.is_le
    monkeypatch.setattr(relational, "is_le", lambda *a, **k: built.append(a) or original(*a, **k))
    derivation = symconv.derive("convention torch\nsizes H, W\ninput (8, H, W)\n"
                                + "MaxPool2d(3, stride=1, padding=1)\n" * 20, {"H": 9, "W": 5})
    assert built == []
    assert derivation.layers[-1].output_shape == (8, 9, 5)  # (L + 2 - 3)/1 + 1 = L
