"""The fast paths for large formulas (issue 14) build what sympy builds, found without sympy's
assumption queries: each is compared with sympy's own construction on random inputs small
enough for sympy to answer quickly.

- polynomial.show: the sum sympy's Add makes (same arguments, same order, same hash);
- quotient._Tally: sympy.count_ops of every writing;
- quotient.build: extent's general path (sympy's evaluation, count_ops choosing), for every
  form the module builds;
- quotient.at_least: the general path's condition, or a decision it could not make (checked
  against integers);
- the printers' polynomial paths: StrPrinter's text; whole exponents without separators;
- Derivation.requires: the pairwise pruning it replaced.
"""

from __future__ import annotations

import random

import pytest
import sympy
from sympy.printing.str import StrPrinter

from symconv.maths import extent
from symconv.maths import polynomial as P
from symconv.maths import quotient as Q
from symconv.layers.base import Requirement
from symconv.derivation.conditions import _strongest
from symconv.maths import printing, printing_latex

SIZES = [sympy.Symbol(n, integer=True, positive=True) for n in ("H", "K", "S", "W", "P")]
OTHERS = [sympy.Symbol("classes", integer=True, positive=True),
          sympy.Symbol("a10", integer=True, positive=True),
          sympy.Symbol("z", integer=True, nonnegative=True)]  # another set of assumptions


def _monomial(rng: random.Random, sizes: list[sympy.Symbol], most: int = 3) -> P.Monomial:
    powers = {x: rng.randint(1, 3) for x in rng.sample(sizes, rng.randint(0, most))}
    return tuple(sorted(powers.items(), key=P._key))


def _poly(rng: random.Random, terms: int, sizes: list[sympy.Symbol] = SIZES) -> P.Poly:
    p: P.Poly = {}
    while len(p) < terms:
        p = P.add(p, {_monomial(rng, sizes): rng.choice([-5, -3, -2, -1, 1, 1, 2, 4, 6])})
    return p


def _form(rng: random.Random, terms: int) -> Q.Quotient:
    c = rng.choice([1, 2, 3, 4, 6])
    mono: P.Monomial = () if rng.random() < 0.3 else _monomial(rng, SIZES[1:4], 2) or \
        ((SIZES[2], 1),)
    if c == 1 and not mono:
        mono = ((SIZES[2], 1),)
    num = _poly(rng, terms)
    if rng.random() < 0.5:  # terms the divisor divides, which move out of the rounding
        num = P.add(num, P.scale(_poly(rng, 2), c, mono))
    return Q.Quotient(num, c, mono).reduced()


def _fast_forms(count: int, seed: int) -> list[Q.Quotient]:
    """Forms the quotient module builds: large ones, and small ones with terms of both signs
    inside the rounding (every convolution with a symbolic kernel: ⌊(H − K)/S⌋)."""
    rng = random.Random(seed)
    forms: list[Q.Quotient] = []
    while len(forms) < count:
        form = _form(rng, rng.randint(9, 12) if len(forms) % 2 else rng.randint(1, 5))
        inside = Q.split(form)[0]
        if len(inside) > Q.SMALL or Q._mixed(inside):
            forms.append(form)
    return forms


@pytest.mark.parametrize("seed", range(4))
def test_show_makes_the_sum_sympy_makes(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(300):
        p = _poly(rng, rng.randint(0, 12), SIZES + OTHERS)
        den = rng.choice([1, 1, 2, 6])
        made = P.show(p, den)
        want = sympy.Add(*[sympy.Rational(c, den) * P.monomial_expr(m) for m, c in p.items()])
        assert made == want and made.args == want.args and hash(made) == hash(want)


def test_read_expands_within_the_bound_and_refuses_beyond() -> None:
    H, K = SIZES[:2]
    assert P.read((H + 1) * (K - 1)) == {((H, 1), (K, 1)): 1, ((H, 1),): -1, ((K, 1),): 1,
                                          (): -1}
    assert len(P.read((H + 1) ** 64)) == 65  # type: ignore[arg-type]
    assert P.read(sympy.floor(H / 2)) is None
    with pytest.raises(Q.P.limits.TooLarge):
        P.read(sum(SIZES, sympy.Integer(1)) ** 64)  # C(69, 5) = 11,238,513 terms


@pytest.mark.parametrize("seed", range(3))
def test_tally_is_count_ops_of_every_writing(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        form = _form(rng, rng.randint(1, 9))
        inside, outside = Q.split(form)
        if not inside:
            continue
        tally = Q._Tally(form, inside, outside)
        den = form.den
        changes = [({}, outside), (P.mul(outside, den), {}),
                   (P.add(P.constant(1), P.scale(den, -1)), outside),
                   (_poly(rng, 2), _poly(rng, 2))]
        for kind in (sympy.floor, sympy.ceiling):
            for change, out in changes:
                written = Q._written(form, kind, P.add(inside, change), out)
                assert tally.ops(kind, change, out) == sympy.count_ops(written), written


@pytest.mark.parametrize("form", _fast_forms(40, seed=11), ids=lambda f: str(Q.build(f))[:40])
def test_build_is_the_general_path(form: Q.Quotient) -> None:
    general = extent._build.__wrapped__(P.show(form.num), P.show(form.den), sympy.Integer(0))
    assert Q.build(form) == general


@pytest.mark.parametrize("form", _fast_forms(40, seed=12), ids=lambda f: str(Q.build(f))[:40])
def test_at_least_is_the_general_path_or_decides_more(form: Q.Quotient) -> None:
    built = Q.build(form)
    copy = built.func(*built.args)  # the same expression, unknown to the quotient module
    assert Q.built(copy) is None
    rng = random.Random(str(built))
    for bound in (1, 2):
        fast, general = extent.at_least(built, bound), extent.at_least(copy, bound)
        if fast == general:
            continue
        assert fast in (sympy.true, sympy.false) and general not in (sympy.true, sympy.false)
        for _ in range(30):  # a decision sympy could not make: true at every size tried
            point = {x: rng.randint(1, 9) for x in SIZES}
            assert bool(general.xreplace(point)) == (fast is sympy.true)
            assert (int(built.xreplace(point)) >= bound) == (fast is sympy.true)


def test_a_symbolic_chain_stays_exact() -> None:
    """Ten strided windows with symbolic kernel and stride, every one built by the quotient
    module, agree with integers."""
    H, K, S = SIZES[0], SIZES[1], SIZES[2]
    e: sympy.Expr = H
    forms = []
    for _ in range(10):
        e = extent.window(e, K, S, sympy.Integer(2))
        forms.append(e)
    assert all(Q.built(f) is not None for f in forms)
    for h, k, s in [(1000, 3, 2), (10**9, 5, 3), (37, 1, 1), (64, 2, 2)]:
        value = h
        for i in range(10):
            value = (value + 2 - k) // s + 1
            assert forms[i].xreplace({H: h, K: k, S: s}) == value


# -- printing ----------------------------------------------------------------------------
class _Sympy(printing._SympyPrinter):
    _print_Add = StrPrinter._print_Add
    _print_Mul = StrPrinter._print_Mul
    _print_Pow = StrPrinter._print_Pow


class _Pretty(printing._PrettyPrinter):
    _print_Add = StrPrinter._print_Add
    _print_Mul = StrPrinter._print_Mul
    _print_Pow = StrPrinter._print_Pow


def _expression(rng: random.Random) -> sympy.Basic:
    terms = []
    for _ in range(rng.randint(1, 9)):
        t = sympy.Rational(rng.choice([-3, -2, -1, 1, 2, 5, 7, -12345]), rng.choice([1, 1, 2, 3]))
        for x in rng.sample(SIZES + OTHERS, rng.randint(0, 3)):
            t *= x ** rng.randint(1, 3)
        terms.append(t)
    e = sympy.Add(*terms)
    kind = rng.randrange(6)
    if kind == 1:
        e = sympy.floor(e / 7) + e
    elif kind == 2:
        e = -2 * sympy.ceiling(e / 3) ** 2 + sympy.floor(e / 7) * SIZES[1] - e
    elif kind == 3:
        e = sympy.Max(e, 3) + sympy.Mod(e, 2) + sympy.floor(e)
    elif kind == 4:
        e = sympy.floor(e / 5) + sympy.floor(e / 3) + 1
    return sympy.Ge(e, e**2 - 1, evaluate=False) if rng.random() < 0.2 else e


@pytest.mark.parametrize("seed", range(3))
def test_polynomials_print_as_sympy_prints_them(seed: int) -> None:
    rng = random.Random(seed)
    for mine, theirs in ((printing._SympyPrinter(), _Sympy()),
                         (printing._PrettyPrinter(), _Pretty())):
        for _ in range(100):
            e = _expression(rng)
            assert mine.doprint(e) == theirs.doprint(e)


def test_exponents_take_no_thousands_separators() -> None:
    H = SIZES[0]
    assert printing.pretty(H**16384) == "H**16384"
    assert printing.pretty(12345 * H**20000 + 1) == "12,345*H**20000 + 1"
    assert printing.show(H**16384) == "H**16384"
    assert printing_latex.latex(H**16384) == "H^{16384}"
    assert printing_latex.latex(12345 * H**3) == r"12\,345 \cdot H^{3}"
    assert printing.pretty(1 / H**20000) == "H**(-20000)"


# -- pruning conditions -------------------------------------------------------------------
def _implies(a: sympy.Basic, b: sympy.Basic, earlier: bool) -> bool:
    """The pairwise rule `Derivation.requires` applied before (model.py, issue 17)."""
    if a == b:
        return earlier
    if not (isinstance(a, sympy.GreaterThan) and isinstance(b, sympy.GreaterThan)):
        return False
    gap = a.rhs - b.rhs
    return a.lhs == b.lhs and gap.is_number is True and bool(gap > 0)


@pytest.mark.parametrize("seed", range(5))
def test_pruning_in_one_pass_is_the_pairwise_rule(seed: int) -> None:
    rng = random.Random(seed)
    H, K, S = SIZES[:3]
    lefts, rights = [H, H + S, K * S], [sympy.Integer(0), K, K * S + K]
    every = []
    for i in range(60):
        if rng.random() < 0.2:
            cond = sympy.Eq(sympy.Mod(H, rng.randint(2, 3)), 0)
        else:
            cond = sympy.Ge(rng.choice(lefts), rng.choice(rights) + rng.randint(-2, 3),
                            evaluate=False)
        every.append(Requirement(cond, f"reason {i}", f"layer{i}"))
    want = tuple(r for j, r in enumerate(every)
                 if not any(_implies(o.condition, r.condition, i < j)
                            for i, o in enumerate(every) if i != j))
    assert tuple(_strongest(every)) == want


class _Latex(printing_latex._Latex):
    _print_Add = printing_latex.LatexPrinter._print_Add


def test_polynomials_print_in_latex_as_sympy_prints_them() -> None:
    rng = random.Random(9)
    mine, theirs = printing_latex._Latex({"mul_symbol": "dot"}), _Latex({"mul_symbol": "dot"})
    for _ in range(150):
        e = _expression(rng)
        assert mine.doprint(e) == theirs.doprint(e)
