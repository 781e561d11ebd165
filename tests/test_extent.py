"""The canonical floor forms of symconv.maths.extent, checked against plain integer arithmetic.

Each chain of window operations is evaluated two ways: step by step with Python integers (the
frameworks' own formulas) and through symconv's composed closed form; they must agree for every
integer tried, negative ones included (the identities hold for all integers).
"""

from __future__ import annotations

import random

import pytest
import sympy

from symconv.maths import extent
from symconv.maths.printing import show

X = sympy.Symbol("X", integer=True)  # any integer: the identities claim all of them
XS = range(-60, 400)


def _floor_div(a: int, b: int) -> int:
    return a // b


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def _step(kind: str, L: int, k: int, s: int, p: int) -> int:
    if kind == "window":
        return _floor_div(L + 2 * p - k, s) + 1
    if kind == "same":
        return _ceil_div(L, s)
    # PyTorch ceil mode (ATen pooling_output_shape)
    out = _ceil_div(L + 2 * p - k, s) + 1
    if (out - 1) * s >= L + p:
        out -= 1
    return out


def _symbolic(kind: str, e: sympy.Expr, k: int, s: int, p: int) -> sympy.Expr:
    if kind == "window":
        return extent.window(e, sympy.Integer(k), sympy.Integer(s), sympy.Integer(2 * p))
    if kind == "same":
        return extent.ceil_div(e, sympy.Integer(s))
    return extent.ceil_window(e, sympy.Integer(k), sympy.Integer(s), sympy.Integer(p))


def _chains(n: int, seed: int) -> list[list[tuple[str, int, int, int]]]:
    rng = random.Random(seed)
    chains = []
    for _ in range(n):
        chain = []
        for _ in range(rng.randint(1, 6)):
            kind = rng.choice(["window", "same", "ceil"])
            k, s = rng.randint(1, 7), rng.randint(1, 4)
            p = rng.randint(0, k // 2)
            chain.append((kind, k, s, p))
        chains.append(chain)
    return chains


CHAINS = _chains(150, seed=2026)


@pytest.mark.parametrize("chain", CHAINS, ids=lambda c: "-".join(f"{a[0]}{a[1:]}" for a in c))
def test_composed_form_equals_stepwise_integers(chain: list[tuple[str, int, int, int]]) -> None:
    e: sympy.Expr = X
    for kind, k, s, p in chain:
        e = _symbolic(kind, e, k, s, p)
    for x in XS:
        expected = x
        for kind, k, s, p in chain:
            expected = _step(kind, expected, k, s, p)
        assert e.xreplace({X: x}) == expected, (x, e)


@pytest.mark.parametrize("chain", CHAINS[:60], ids=lambda c: "-".join(f"{a[0]}{a[1:]}" for a in c))
def test_composed_form_has_at_most_one_floor_per_branch(chain) -> None:  # type: ignore[no-untyped-def]
    e: sympy.Expr = X
    for kind, k, s, p in chain:
        e = _symbolic(kind, e, k, s, p)
    branches = e.args if isinstance(e, (sympy.Min, sympy.Max)) else (e,)
    for b in branches:
        assert len(b.atoms(sympy.floor, sympy.ceiling)) <= 1, e


@pytest.mark.parametrize("chain", CHAINS[:60], ids=lambda c: "-".join(f"{a[0]}{a[1:]}" for a in c))
def test_at_least_is_exact(chain) -> None:  # type: ignore[no-untyped-def]
    e: sympy.Expr = X
    for kind, k, s, p in chain:
        e = _symbolic(kind, e, k, s, p)
    for bound in (0, 1, 3):
        cond = extent.at_least(e, sympy.Integer(bound))
        for x in range(-30, 200, 7):
            assert bool(cond.xreplace({X: x})) == (int(e.xreplace({X: x})) >= bound), (x, cond)


def test_printed_form_reads_back_as_the_same_function() -> None:
    # Test-only parse of symconv's own output; user text never goes through sympify.
    for chain in CHAINS[:40]:
        e: sympy.Expr = X
        for kind, k, s, p in chain:
            e = _symbolic(kind, e, k, s, p)
        back = sympy.parse_expr(show(e), local_dict={"X": X})
        for x in range(-20, 120, 3):
            assert back.xreplace({X: x}) == e.xreplace({X: x})


@pytest.mark.parametrize("k,s,p", [(2, 2, 1), (3, 2, 1), (3, 2, 0), (2, 1, 1), (5, 3, 2)])
def test_ceil_mode_last_window_rule(k: int, s: int, p: int) -> None:
    e = extent.ceil_window(X, sympy.Integer(k), sympy.Integer(s), sympy.Integer(p))
    for L in range(max(1, k - 2 * p), 60):
        assert e.xreplace({X: L}) == _step("ceil", L, k, s, p)
    # the case many tools get wrong (CONVENTIONS.md): L=5, k=2, s=2, p=1 gives 3
    if (k, s, p) == (2, 2, 1):
        assert e.xreplace({X: 5}) == 3


def test_readable_forms() -> None:
    H = sympy.Symbol("H", integer=True, positive=True)
    e = H
    for _ in range(5):
        e = extent.ceil_div(e, sympy.Integer(2))
    assert show(e) == "ceiling(H/32)"
    e = H
    for _ in range(5):
        e = extent.window(e, sympy.Integer(2), sympy.Integer(2), sympy.Integer(0))
    assert show(e) == "floor(H/32)"
    K, S = (sympy.Symbol(n, integer=True, positive=True) for n in "KS")
    assert show(extent.window(H, K, S, sympy.Integer(0))) == "floor((H - K)/S) + 1"
    assert show(extent.ceil_div(H, S)) == "ceiling(H/S)"


def test_symbolic_ceil_mode_keeps_both_branches() -> None:
    H, K = (sympy.Symbol(n, integer=True, positive=True) for n in "HK")
    e = extent.ceil_window(H, K, sympy.Integer(2), sympy.Integer(0))
    assert isinstance(e, sympy.Min)
    for h in range(1, 40):
        for k in range(1, h + 1):
            assert e.xreplace({H: h, K: k}) == _step("ceil", h, k, 2, 0)


def _truth(condition: sympy.Basic, h: int) -> bool:
    return bool(condition.subs(H, h)) if condition not in (sympy.true, sympy.false) \
        else condition is sympy.true


H = sympy.Symbol("H", integer=True, positive=True)
SCALED = [(c, sympy.floor((H + a) / d) + b) for c in (1, 2, 3, 4) for d in (1, 2, 3, 4)
          for a in (-3, 0, 1, 5) for b in (-1, 0, 2)] + \
         [(c, sympy.ceiling((H + a) / d)) for c in (2, 4) for d in (2, 4) for a in (-1, 0, 3)]


@pytest.mark.parametrize("c,form", SCALED, ids=[f"{c}*({f})" for c, f in SCALED])
def test_equal_is_exact(c: int, form: sympy.Expr) -> None:
    """extent.equal (identity 6) against plain integers, on both sides of the equation."""
    lhs = c * form
    for rhs in (H, H + 1, H - 2, 2 * H):
        condition = extent.equal(lhs, rhs)
        for h in range(1, 60):
            want = int(lhs.subs(H, h)) == int(rhs.subs(H, h))
            assert _truth(condition, h) == want, (lhs, rhs, h, condition)


@pytest.mark.parametrize("c,form", SCALED, ids=[f"{c}*({f})" for c, f in SCALED])
def test_at_least_scaled_is_exact(c: int, form: sympy.Expr) -> None:
    """extent.at_least on c*floor(...) + B (identity 7) against plain integers."""
    lhs = c * form + 1
    for bound in (1, 2, 5, 9):
        condition = extent.at_least(lhs, bound)
        for h in range(1, 60):
            assert _truth(condition, h) == (int(lhs.subs(H, h)) >= bound), (lhs, bound, h)


@pytest.mark.parametrize("a,d", [(a, d) for a in (-2, 0, 1, 3) for d in (1, 2, 3, 4)])
def test_even_up_and_nested_roundings_are_exact(a: int, d: int) -> None:
    """Identity 8 (X + X mod 2 = 2*ceiling(X/2)) and flattened nested roundings, through the
    window a stride-2 'valid' 3-wide convolution applies after Keras's correct_pad."""
    inner = extent.ceil_div(H + a, d) if d > 1 else H + a
    same = sympy.floor((H + a + d - 1) / d)  # the same extent, written another way
    padded = inner + sympy.Mod(same, 2) + 1
    out = extent.window(padded, 3, 2, 0)
    assert show(out).count("floor") + show(out).count("ceiling") <= 1, show(out)
    for h in range(1, 80):
        x = int(inner.subs(H, h))
        want = (x + x % 2 + 1 - 3) // 2 + 1
        assert int(out.subs(H, h)) == want, (h, show(out))


@pytest.mark.parametrize("c,d,b", [(c, d, b) for c in (2, 3) for d in (1, 2, 3) for b in (-1, 0, 1)])
def test_equal_nested_scales_is_exact(c: int, d: int, b: int) -> None:
    """c*floor(H/(c*d)) + b = floor(H/d), the second skip of a U-Net, against integers."""
    lhs, rhs = c * sympy.floor(H / (c * d)) + b, sympy.floor(H / d)
    condition = extent.equal(lhs, rhs)
    for h in range(1, 80):
        assert _truth(condition, h) == (int(lhs.subs(H, h)) == int(rhs.subs(H, h))), (h, condition)


@pytest.mark.parametrize("seed", range(3))
def test_a_rounding_of_one_size_is_built_as_sympy_evaluates_it(seed: int) -> None:
    """`_round` builds ⌊(a·x + c)/den⌋ + offset of one size without sympy's evaluation (the
    arguments as Add and Mul order them): the same tree, hash and equality as evaluating it,
    whatever the signs, the sizes' assumptions and the numbers' lengths (a 2,000-layer chain's
    denominators have hundreds of digits)."""
    rng = random.Random(seed)
    sizes = [X, sympy.Symbol("H", integer=True, positive=True),
             sympy.Symbol("P", integer=True, nonnegative=True),
             sympy.Symbol("W_12", integer=True, positive=True)]
    for _ in range(400):
        den = rng.choice([2, 3, 6, 7, 2**rng.randint(1, 900) * 3**rng.randint(0, 600)])
        a = rng.choice([1, -1, 1]) * rng.randint(1, 3 * den)
        if a % den == 0:
            continue
        const, offset = rng.randint(-3 * den, 3 * den), rng.randint(-5, 5)
        kind = rng.choice([sympy.floor, sympy.ceiling])
        x = rng.choice(sizes)
        built = extent._round(kind, [(x, a)], const, den, [], offset)
        whole, part = divmod(const, den)
        inner = sympy.Add(sympy.Rational(a, den) * x, sympy.Rational(part and const, den))
        evaluated = sympy.Add(sympy.Basic.__new__(kind, inner),
                              sympy.Integer(offset + (0 if part else whole)))
        assert sympy.srepr(built) == sympy.srepr(evaluated)
        assert built == evaluated and hash(built) == hash(evaluated)
        assert built.args == evaluated.args
