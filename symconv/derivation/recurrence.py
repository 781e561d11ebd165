"""The affine floor recurrence of a symbolic repeat: a body that maps each changing extent X
to ``floor((X + a)/s) + b`` (numbers a, s ≥ 1, b), read off one pass derived on a fresh X,
closes after n passes (`closed_extent`); the body's records are written at pass k and their
conditions checked at the passes where they are strongest (`step_conditions`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import sympy
from sympy import Expr, Integer, floor

from ..errors import SymconvError, shown
from ..layers.base import Requirement
from ..maths import extent
from .model import LayerRecord, Shape

HINT = ("the body must keep the shape, or change each extent as ⌊(X + a)/s⌋ + b with numbers "
        "a, s ≥ 1 and b; or give the repeat a number")


def closed_extent(x: Expr, a: int, s: int, b: int, n: Expr) -> Expr:
    """The extent after n passes of ``X ↦ floor((X + a)/s) + b`` from x.

    With a' = a + b·s one pass is ``floor((X + a')/s)`` (identity 2 of maths/extent.py). For
    whole numbers a' and s ≥ 1 and any real y, ``floor((floor(y) + a')/s) = floor((y + a')/s)``:
    write t = floor((y + a')/s), so t·s ≤ y + a' < (t+1)·s; as t·s − a' is whole and at most y,
    it is at most floor(y), and floor(y) ≤ y < (t+1)·s − a'; hence
    t·s ≤ floor(y) + a' < (t+1)·s. By induction on n, with y = (x + a'(sⁿ − 1)/(s − 1))/sⁿ,

        X_n = floor((x + a'·(sⁿ − 1)/(s − 1)) / sⁿ)    for s ≥ 2,

    since ``(y + a')/s = (x + a'(sⁿ − 1)/(s − 1) + a'·sⁿ)/sⁿ⁺¹`` and
    (sⁿ − 1)/(s − 1) + sⁿ = (sⁿ⁺¹ − 1)/(s − 1). For s = 1 each pass adds a + b: X_n = x + n(a + b).
    At n = 0 both give x.
    """
    if s == 1:
        return x + n * (a + b)
    shift = a + b * s
    if shift == 0:
        return floor(x / s ** n)
    if shift == s - 1:  # floor((x + sⁿ − 1)/sⁿ) = ceiling(x/sⁿ) (identity 4 of maths/extent.py)
        return sympy.ceiling(x / s ** n)
    return floor((x + shift * (s ** n - 1) / (s - 1)) / s ** n)


@dataclass(frozen=True)
class Affine:
    a: int
    s: int
    b: int


def affine_of(e: Expr, x: sympy.Symbol) -> Affine | None:
    """(a, s, b) when ``e = floor((x + a)/s) + b`` with numbers a, s ≥ 1, b; else None."""
    if e.free_symbols != {x}:
        return None
    form = extent.decompose(e)
    num, den, off = sympy.expand(form.num), form.den, form.offset
    if not (den.is_Integer and den >= 1 and off.is_Integer):
        return None
    poly = sympy.Poly(num, x) if num.is_polynomial(x) else None
    if poly is None or poly.degree() != 1 or poly.coeff_monomial(x) != 1:
        return None
    a = poly.coeff_monomial(1)
    if not a.is_Integer:
        return None
    found = Affine(int(a), int(den), int(off))
    for value in range(1, 40):  # the form read back: decompose is exact, this guards the reading
        if e.xreplace({x: Integer(value)}) != closed_extent(Integer(value), found.a, found.s,
                                                            found.b, Integer(1)):
            return None
    return found


def step_record(record: LayerRecord, fresh: Mapping[int, sympy.Symbol],
                at_k: Mapping[sympy.Symbol, Expr], after: Mapping[Expr, Expr], count: Expr,
                k: Expr) -> LayerRecord:
    """A body record at pass k: its extents in X_k (the pass's output extents as X_{k+1}),
    its conditions at every pass, its weights the same in every pass (else SC112)."""
    xs = set(fresh.values())
    for w in record.weights:
        if w.size.free_symbols & xs:
            raise SymconvError("SC112", f"the weights of {record.type} '{record.name}' depend on "
                               "an extent the repeat changes, so the passes differ",
                               record.span, hint=HINT)
        if k in w.size.free_symbols and not w.size.is_polynomial(k):
            raise SymconvError("SC112", f"the weights of {record.type} '{record.name}' are not "
                               "a polynomial in the loop index, so their sum over the passes has "
                               "no closed form here", record.span, hint=HINT)
    requires = tuple(r2 for r in record.requires for r2 in step_conditions(r, xs, at_k, count, k))

    return replace(record, input_shape=at_pass(record.input_shape, at_k, after),
                   output_shape=at_pass(record.output_shape, at_k, after),
                   input_shapes=tuple(at_pass(s, at_k, after) for s in record.input_shapes),
                   requires=requires)


def at_pass(shape: Shape, at_k: Mapping[sympy.Symbol, Expr], after: Mapping[Expr, Expr]) -> Shape:
    """A shape of the body at pass k: each fresh extent X as X_k, the pass's output extents as
    X_{k+1} (the same number, in the closed form's words)."""
    return tuple(after[e] if e in after else e.xreplace(at_k) for e in shape)


def step_conditions(r: Requirement, xs: set[sympy.Symbol], at_k: Mapping[sympy.Symbol, Expr],
                    count: Expr, k: Expr) -> tuple[Requirement, ...]:
    """A body condition at every pass 0 … n − 1, for a condition that holds one of `xs` (the
    changing extents, or the loop index) and is monotone in it. Each extent is monotone in k
    (the map is non-decreasing, so X₁ ≤ X₀ gives X₂ ≤ X₁ and so on, or ≥ throughout), and so
    is the index; a condition monotone in the one that changes is then strongest at the first
    or the last pass: it is recorded at both, as ``n = 0 or …`` (true at n = 0, where no pass
    runs). One that holds two of them (which may move apart) is refused."""
    cond = r.condition
    held = cond.free_symbols & (xs | {k})
    if not held:
        return (r,)
    at_pass_k = cond.xreplace(at_k)  # DenseNet's BatchNorm2d(c + 8·i) on X_i = c + 8·i: true
    if at_pass_k is sympy.true:
        return ()
    if not at_pass_k.free_symbols & (xs | {k}):
        return (replace(r, condition=sympy.Or(sympy.Eq(count, 0), at_pass_k)),)
    if len(held) > 1 or not _monotone_condition(cond, held):  # type: ignore[arg-type]
        raise SymconvError("SC112", f"a condition of a layer inside the repeat, {shown(cond)}, "
                           "is not monotone in one thing that changes from pass to pass, so it "
                           "cannot be checked at the first and last passes alone", r.span, hint=HINT)
    out: list[Requirement] = []
    for at in (Integer(0), count - 1):
        mapping = {x: e.xreplace({k: at}) for x, e in at_k.items()}
        value = cond.xreplace({k: at, **mapping})
        guarded = sympy.Or(sympy.Eq(count, 0), value)
        if guarded is not sympy.true and all(o.condition != guarded for o in out):
            out.append(replace(r, condition=guarded))
    return tuple(out)


def _monotone_condition(cond: sympy.Basic, xs: set[sympy.Symbol]) -> bool:
    if not isinstance(cond, (sympy.GreaterThan, sympy.StrictGreaterThan, sympy.LessThan,
                             sympy.StrictLessThan)):
        return False
    e = cond.lhs - cond.rhs
    return all(_rising(e, x) or _rising(-e, x) for x in xs)


def _rising(e: Expr, x: sympy.Symbol) -> bool:
    """Whether e is non-decreasing in x by its structure (sums, positive multiples, floors)."""
    if x not in e.free_symbols or e == x:
        return True
    if isinstance(e, sympy.Add):
        return all(_rising(t, x) for t in e.args)
    if isinstance(e, sympy.Mul):
        rest = [f for f in e.args if x not in f.free_symbols]
        inner = [f for f in e.args if x in f.free_symbols]
        return len(inner) == 1 and sympy.Mul(*rest).is_positive is True and _rising(inner[0], x)
    if isinstance(e, (sympy.floor, sympy.ceiling)):
        return _rising(e.args[0], x)
    return False
