"""roots.py against plain integer evaluation: a polynomial relation in one size, decided and
solved over the size's whole numbers, must agree with trying every value (the answers are
intervals, so values past the last change of sign are tried too)."""

from __future__ import annotations

import random

import pytest
import sympy

from symconv.solving import roots

U = sympy.Symbol("U", integer=True, positive=True)
N = sympy.Symbol("N", integer=True, nonnegative=True)
RELATIONS = [sympy.Eq, sympy.Le, sympy.Lt, sympy.Ge, sympy.Gt]
HOLDS = {sympy.Eq: int.__eq__, sympy.Le: int.__le__, sympy.Lt: int.__lt__,
         sympy.Ge: int.__ge__, sympy.Gt: int.__gt__}


def _polynomials() -> list[tuple[sympy.Symbol, list[int], int]]:
    """(variable, coefficients highest first, target): counts like a network's (positive
    coefficients, some high degrees), a few decreasing ones and targets near a value."""
    rng = random.Random(14)
    out = []
    for i in range(60):
        x = U if i % 3 else N
        degree = rng.choice([1, 2, 3, 5, 8, 32])
        coeffs = [rng.randint(0, 9) for _ in range(degree)] + [rng.randint(-50, 50)]
        coeffs[0] = rng.randint(1, 9)
        if i % 7 == 0:
            coeffs = [-c for c in coeffs]
        at = rng.randint(0, 6)
        value = sum(c * at ** (len(coeffs) - 1 - j) for j, c in enumerate(coeffs))
        out.append((x, coeffs, value + rng.choice([0, 0, 1, -1])))
    return out


CASES = [(x, c, t, r) for x, c, t in _polynomials() for r in RELATIONS]


@pytest.mark.parametrize("x,coeffs,target,relation", CASES,
                         ids=[f"{x}-{len(c) - 1}-{r.__name__}-{i}"
                              for i, (x, c, _, r) in enumerate(CASES)])
def test_whole_solutions_equal_trying_every_value(x: sympy.Symbol, coeffs: list[int],
                                                  target: int, relation: type) -> None:
    p = sympy.Poly(coeffs, x) - target
    answer = roots.whole_solutions(relation, p)
    assert answer is not None  # every case here is monotone over the whole numbers
    low = 1 if x is U else 0
    for v in range(low, 40):
        value = int(p.eval(v))
        want = HOLDS[relation](value, 0)
        got = answer if answer in (sympy.true, sympy.false) else answer.xreplace({x: v})
        assert bool(got) == want, (v, value, answer)


def test_not_monotone_is_left_alone() -> None:
    """(U − 5)² = 4 has two roots: not decided here (the enumeration tries every value)."""
    assert roots.whole_solutions(sympy.Eq, sympy.Poly((U - 5) ** 2 - 4, U)) is None


def test_degree_64_is_decided_at_once() -> None:
    p = 11 * U**64 + U - 10**40
    assert roots.whole_solutions(sympy.Le, sympy.Poly(p, U)) == sympy.Le(U, 4)
    assert roots.relate(sympy.Eq, 11 * U**64 + U, sympy.Integer(100)) is sympy.false
    assert roots.relate(sympy.Ge, 11 * U**64 + U, sympy.Integer(12)) is sympy.true
    left = roots.relate(sympy.Eq, 11 * U**64 + U, sympy.Integer(11 * 2**64 + 2))
    assert isinstance(left, sympy.Eq)  # has a solution (U = 2): left as it is


def test_upper_bounds_hold_for_every_solution() -> None:
    """Each bound is sound (no solution beyond it) and tight where the others are lowest."""
    rng = random.Random(7)
    x, y = sympy.symbols("X Y", integer=True, positive=True)
    for _ in range(40):
        a, b, c, d = rng.randint(0, 5), rng.randint(1, 5), rng.randint(1, 5), rng.randint(0, 3)
        p = a * x**2 * y + b * x**3 + c * y**2 + d

        def count(i: int, j: int) -> int:
            return a * i * i * j + b * i**3 + c * j * j + d

        budget = rng.randint(1, 400)
        low = {x: rng.randint(1, 3), y: rng.randint(1, 3)}
        for relation in (sympy.Le, sympy.Eq):
            bounds = roots.upper_bounds(relation(p, budget), low)
            found = [(i, j) for i in range(low[x], 30) for j in range(low[y], 30)
                     if HOLDS[relation](count(i, j), budget)]
            assert all(i <= bounds[x] and j <= bounds[y] for i, j in found), (p, budget)
            if relation is sympy.Le:
                assert bounds[x] < low[x] or count(bounds[x], low[y]) <= budget
                assert count(bounds[x] + 1, low[y]) > budget
