"""The sizes to verify at: the ones given, else samples of valid ones; and, for each sampled
size, the nearest value just outside the valid domain (where the framework must fail too).

Samples come from the derivation's own validity conditions, drawn small (log-uniform) so that
forward passes stay quick, from a seeded generator: the same seed gives the same sizes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy

from .. import symbols
from ..errors import SymconvError
from ..layers.base import Requirement
from ..model import Derivation
from ..solver import kind_of

# sampling ranges by what a size is used for (kept small: every sample is a forward pass)
RANGES = {"kernel": (1, 7), "stride": (1, 3), "padding": (1, 4), "dilation": (1, 3),
          "input size": (1, 256), "width": (1, 64)}
TRIES = 5_000  # candidates drawn before giving up on finding `samples` valid assignments
REACH = 64  # how far above a valid value to look for an invalid one (below: down to 1)


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


def _broken(requires: Sequence[Requirement],
            values: Mapping[str, int]) -> tuple[str, str] | None:
    """(the layer, the reason) of the first condition `values` break."""
    mapping = {symbols.size(k): sympy.Integer(v) for k, v in values.items()}
    for r in requires:
        if r.condition.xreplace(mapping) is not sympy.true:
            return r.layer, r.reason
    return None


def _draw(rng: random.Random, low: int, high: int) -> int:
    """Log-uniform on low..high: small values as often as large ones, by ratio."""
    return min(high, int(low * ((high + 1) / low) ** rng.random()))


def sample(d: Derivation, count: int, seed: int) -> list[dict[str, int]]:
    """Up to `count` distinct valid assignments of the free sizes of `d` (one empty assignment
    when none is free), every one with the sizes fixed in `d` as well."""
    free = free_sizes(d)
    if not free:
        return [dict(d.subs)]
    rng = random.Random(seed)
    ranges = {s: RANGES[kind_of(d, s)] for s in free}
    requires = d.requires  # a property that prunes implied conditions: computed once
    found: list[dict[str, int]] = []
    for _ in range(TRIES):
        candidate = {s: _draw(rng, *ranges[s]) for s in free}
        if candidate not in found and _broken(requires, candidate) is None:
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
    other sizes keep their valid values."""
    points = []
    requires = d.requires
    for size in free_sizes(d):
        value = valid[size]
        for step in range(1, max(value, REACH + 1)):
            moved = [v for v in (value - step, value + step) if v >= 1]
            hit = next(((v, why) for v in moved
                        if (why := _broken(requires, {**valid, size: v})) is not None), None)
            if hit is not None:
                points.append(Outside({**valid, size: hit[0]}, size, *hit[1]))
                break
    return points
