"""Curves of a network with no closed form in the plotted size: a `repeat n` whose body changes
the shape (SC112) or an argument that must be a number (LSTM's `num_layers=nl`, SC104). The
network is derived again at each value, as `derive --subs` derives it, at most MAX_DERIVED
values (evenly spaced, both ends kept): slower than evaluating a closed form, the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..derivation.model import Derivation
from ..errors import Source, SymconvError
from .plot import Curves, Series, fixed_sizes, formulas, network_name, number, points

MAX_DERIVED = 200
NEEDS_NUMBERS = ("SC104", "SC112")  # the codes api.derive_source derives again with numbers


def evaluate_each(source: Source, size: str, span: tuple[int, int], wanted: Sequence[str],
                  subs: Mapping[str, int] | None = None, layer: str | None = None) -> Curves:
    """`plot.evaluate` for a network derived at each value of `size`; a value where the
    derivation fails is left out (counted in `skipped`), and the failure at LO is the error
    when it fails at every value."""
    from ..derivation.binding import declared_domains, declared_sizes
    from ..derivation.run import derive_program
    from ..language.parse import parse

    program = parse(source)
    _, defaults = declared_sizes(program, declared_domains(program))
    fixed = fixed_sizes(tuple(s.name for s in program.sizes), defaults, size, dict(subs or {}),
                        source)
    derived: dict[int, Derivation] = {}
    failure: SymconvError | None = None
    for x in points(span, MAX_DERIVED):
        try:
            derived[x] = derive_program(program, {**fixed, size: x})
        except SymconvError as err:
            failure = failure or err.located(source)
    if not derived:
        assert failure is not None
        raise failure
    xs = sorted(derived)
    return Curves(network_name(next(iter(derived.values()))), size, span,
                  _series(derived, xs, wanted, layer, size),
                  len(points(span, MAX_DERIVED)) - len(xs), fixed, layer)


def _series(derived: Mapping[int, Derivation], xs: list[int], wanted: Sequence[str],
            layer: str | None, size: str) -> list[Series]:
    """One series per curve; of the output axes asked as `shape`, those that vary (all when
    none does), as `evaluate` keeps those that hold the size."""
    per_x = {x: formulas(derived[x], wanted, layer, None) for x in xs}
    series = []
    for k, (quantity, label, _) in enumerate(per_x[xs[0]]):
        ys = [number(per_x[x][k][2], label, x, size) for x in xs]
        series.append(Series(quantity, label, xs, ys))
    shapes = [s for s in series if s.quantity == "shape"]
    moving = [s for s in shapes if len(set(s.ys)) > 1]
    if any(w == "shape" for w in wanted) and moving:
        series = [s for s in series if s.quantity != "shape" or s in moving]
    return series
