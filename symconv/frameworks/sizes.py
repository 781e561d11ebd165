"""The sizes to verify at: the ones given, else samples of valid ones; and, for each sampled
size, the nearest value just outside the valid domain (where the framework must fail too).

Samples come from the derivation's own validity conditions, drawn small (log-uniform) so that
forward passes stay quick, from a seeded generator: the same seed gives the same sizes. A size
that may be 0 (its domain ≥ 0) is tried at 0 in the first sample where that is valid, and
stepped below its domain (to -1) where a layer's bound refuses that.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy

from ..derivation.model import Derivation
from ..errors import SymconvError
from ..layers.base import Requirement
from ..solving.solver import kind_of

# sampling ranges by what a size is used for (kept small: every sample is a forward pass)
RANGES = {"kernel": (1, 7), "stride": (1, 3), "padding": (1, 4), "cropping": (1, 4),
          "dilation": (1, 3), "input size": (1, 256),
          "depth": (0, 4), "width": (1, 64)}  # each from the size's least value
TRIES = 5_000  # candidates drawn before giving up on finding `samples` valid assignments
REACH = 64  # how far above a valid value to look for an invalid one (below: to the least value)


@dataclass(frozen=True)
class Outside:
    """Sizes just outside the valid domain: `size` moved from a valid value; `reason` is the
    condition it breaks, as symconv says it."""

    sizes: dict[str, int]
    size: str
    layer: str
    reason: str


def free_sizes(d: Derivation) -> list[str]:
    return [s for s in d.sizes if s not in d.subs]


def _broken(d: Derivation, requires: Sequence[Requirement],
            values: Mapping[str, int]) -> tuple[str, str] | None:
    """(the layer, the reason) of the first condition `values` break."""
    mapping = {d.symbol(k): sympy.Integer(v) for k, v in values.items()}
    for r in requires:
        if r.condition.xreplace(mapping) is not sympy.true:
            return r.layer, r.reason
    return None


def _draw(rng: random.Random, low: int, high: int) -> int:
    """Log-uniform on low..high: small values as often as large ones, by ratio (0..high as
    1..high + 1, less one)."""
    if low < 1:
        return _draw(rng, low + 1, high + 1) - 1
    return min(high, int(low * ((high + 1) / low) ** rng.random()))


def sample(d: Derivation, count: int, seed: int) -> list[dict[str, int]]:
    """Up to `count` distinct valid assignments of the free sizes of `d` (one empty assignment
    when none is free), every one with the sizes fixed in `d` as well."""
    free = free_sizes(d)
    if not free:
        return [dict(d.subs)]
    rng = random.Random(seed)
    ranges = {s: (d.domain(s).least, RANGES[kind_of(d, s)][1]) for s in free}
    requires = d.requires  # a property that prunes implied conditions: computed once
    zero = {s: 0 for s in free if d.domain(s).least == 0}
    found: list[dict[str, int]] = []
    for attempt in range(TRIES):
        candidate = {s: _draw(rng, *ranges[s]) for s in free}
        if attempt == 0:
            candidate.update(zero)  # 0 where it may be: the value most easily got wrong
        if candidate not in found and _broken(d, requires, candidate) is None:
            found.append(candidate)
            if len(found) == count:
                break
    if not found:
        names = ", ".join(f"{s} in {lo}..{hi}" for s, (lo, hi) in ranges.items())
        raise SymconvError("SC305", f"no valid sizes found among {TRIES:,} tried ({names})",
                           None, d.source, hint="give the sizes with --subs")
    return [{s: {**d.subs, **c}[s] for s in d.sizes} for c in found]


def outside(d: Derivation, valid: Mapping[str, int]) -> list[Outside]:
    """For each free size, the nearest value (below first) that breaks a condition while the
    other sizes keep their valid values; for a size ≥ 0, -1 where a layer's bound refuses it
    (the domain itself is symconv's, and ZeroPad2d(-1) crops)."""
    points = []
    requires = d.requires
    for size in free_sizes(d):
        value, least = valid[size], d.domain(size).least
        for step in range(1, max(value - least + 2, REACH + 1)):
            moved = [v for v in (value - step, value + step) if v >= least - (least == 0)]
            hit = next(((v, why) for v in moved
                        if (why := _broken(d, requires if v >= least else d.limits,
                                           {**valid, size: v})) is not None), None)
            if hit is not None:
                points.append(Outside({**valid, size: hit[0]}, size, *hit[1]))
                break
    return points
