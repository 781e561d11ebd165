"""Derive a program: run it (propagate.py) with the sizes' domains known or guessed, and again
when the uses show a guess was wrong (domains.py says how a size's domain is read from its uses).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from ..errors import SymconvError
from ..language import ir
from .binding import convention_of, declared_domains
from .domains import Domain, below_one, likely_zero
from .model import Derivation
from .propagate import Deriver


def derive_program(program: ir.Program, fixed: Mapping[str, int] | None = None,
                   open_sizes: Sequence[str] = (),
                   domains: Mapping[str, Domain] | None = None) -> Derivation:
    """Derive every layer of a parsed program, symbolically. With `fixed`, those sizes (and
    the declared defaults of the others, except `open_sizes`) are numbers from the start: the
    same result as substituting them afterwards, reached faster (the solver's way). `domains`:
    the sizes' domains when already known (a derivation's of the same program)."""
    try:
        with _no_cycle_collection():
            known = dict(domains) if domains is not None else declared_domains(program)
            if fixed is not None and below_one(program, fixed, open_sizes, known):
                known = dict(_derive(program, known).domains)  # whether 0 is valid
            return _derive(program, known, fixed, open_sizes)
    except SymconvError as err:
        raise err.located(program.source) from None


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while deriving, as it was before after. A derivation
    makes hundreds of thousands of objects that all stay alive (records, formulas, sympy's
    caches), and each full collection walks every object of the process: two of them were
    half of a 10,000-layer transformer's derivation. Reference counting still frees what
    dies; a derivation leaves no cycles behind (tens of objects, measured), so memory stays
    bounded."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _derive(program: ir.Program, known: Mapping[str, Domain],
            fixed: Mapping[str, int] | None = None, open_sizes: Sequence[str] = ()) -> Derivation:
    """Derive, watching the uses of the sizes of unknown domain: those written only as
    paddings ≥ 0 from the start (`likely_zero`), the others ≥ 1; derive again if the uses say
    otherwise (symconv/derivation/domains.py)."""
    deriver = Deriver(program, known, hopeful=likely_zero(program, convention_of(program)))
    try:
        derivation = deriver.run(fixed, open_sizes)
    except SymconvError as error:
        derivation, deriver = _retry(program, known, fixed, open_sizes, deriver, error)
    if set(deriver.zero) == deriver.assumed:
        return derivation
    return Deriver(program, derivation.domains).run(fixed, open_sizes)


def _retry(program: ir.Program, known: Mapping[str, Domain], fixed: Mapping[str, int] | None,
           open_sizes: Sequence[str], failed: Deriver,
           error: SymconvError) -> tuple[Derivation, Deriver]:
    """An error while some sizes are undecided may hold only for the domains tried: ≥ 1
    (`ZeroPad2d(P)` then `Linear(H, 2)` on the padded extent needs P = 0) or a guessed ≥ 0.
    Try those not yet refused 0 as ≥ 0, then every one ≥ 1; the error stands if both fail.
    A derivation stopped at its budget (binding.Budget) is not tried again where no `if` can
    take another branch: without one, the same statements run whatever the domains (a
    2,000-block network refused at its 20,000th application took three times as long)."""
    if failed.budget.spent and not _branches(program.body + tuple(
            statement for block in program.blocks for statement in block.body)):
        raise error
    wider = frozenset(failed.seen.inference.open) | failed.assumed
    for hopeful in dict.fromkeys((wider, frozenset())):
        if hopeful == failed.assumed:
            continue
        deriver = Deriver(program, known, hopeful=hopeful)
        try:
            return deriver.run(fixed, open_sizes), deriver
        except SymconvError:
            continue
    raise error


def _branches(statements: tuple[ir.Statement, ...]) -> bool:
    """Whether an `if` is among `statements`, at any depth."""
    for statement in statements:
        if isinstance(statement, ir.If):
            return True
        if isinstance(statement, ir.Repeat) and _branches(statement.body):
            return True
    return False
