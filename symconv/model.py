"""The result of a derivation: per-layer records and network totals, as sympy expressions.

Renderers take these objects; `to_dict()` is the JSON form documented in README.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy
from sympy import Expr, Integer

from .errors import Source, Span
from .layers.base import Requirement, Weight


def _sum(values: list[Expr]) -> Expr:
    return sympy.Add(*values) if values else Integer(0)


def _count(values: list[Expr]) -> Expr:
    """A layer's parameter count with common factors pulled out: F*(C*K**2 + 1), not
    C*F*K**2 + F (sympy.factor_terms: a sound rewrite, no simplify())."""
    return sympy.factor_terms(_sum(values))


def _implies(stronger: Requirement, weaker: Requirement, earlier: bool) -> bool:
    """Whether `stronger` makes `weaker` redundant; of two equal ones the earlier stays."""
    a, b = stronger.condition, weaker.condition
    if a == b:
        return earlier
    if not (isinstance(a, sympy.GreaterThan) and isinstance(b, sympy.GreaterThan)):
        return False
    gap = a.rhs - b.rhs
    return a.lhs == b.lhs and gap.is_number is True and bool(gap > 0)


@dataclass(frozen=True)
class LayerRecord:
    name: str
    type: str
    span: Span
    input_shape: tuple[Expr, ...]
    output_shape: tuple[Expr, ...]
    weights: tuple[Weight, ...]
    requires: tuple[Requirement, ...]
    notes: tuple[str, ...] = ()

    @property
    def trainable(self) -> Expr:
        return _count([w.size for w in self.weights if w.trainable and not w.buffer])

    @property
    def non_trainable(self) -> Expr:
        return _count([w.size for w in self.weights if not w.trainable and not w.buffer])

    @property
    def params(self) -> Expr:
        return _count([w.size for w in self.weights if not w.buffer])

    @property
    def buffers(self) -> Expr:
        return _count([w.size for w in self.weights if w.buffer])


@dataclass(frozen=True)
class Derivation:
    """A derived network. `subs` holds the sizes substituted so far (name → value)."""

    source: Source
    network: str | None
    convention: str
    sizes: tuple[str, ...]
    defaults: dict[str, int]
    input_shape: tuple[Expr, ...]
    layers: tuple[LayerRecord, ...]
    subs: dict[str, int] = field(default_factory=dict)

    @property
    def requires(self) -> tuple[Requirement, ...]:
        """Every layer's open conditions, less those another one implies (same left side of
        ≥, a larger right side by a known amount)."""
        every = [r for layer in self.layers for r in layer.requires]
        return tuple(r for j, r in enumerate(every)
                     if not any(_implies(o, r, i < j) for i, o in enumerate(every) if i != j))

    @property
    def output_shape(self) -> tuple[Expr, ...]:
        return self.layers[-1].output_shape if self.layers else self.input_shape

    @property
    def params(self) -> Expr:
        return _sum([layer.params for layer in self.layers])

    @property
    def trainable(self) -> Expr:
        return _sum([layer.trainable for layer in self.layers])

    @property
    def non_trainable(self) -> Expr:
        return _sum([layer.non_trainable for layer in self.layers])

    @property
    def buffers(self) -> Expr:
        return _sum([layer.buffers for layer in self.layers])

    @property
    def free_sizes(self) -> tuple[str, ...]:
        return tuple(s for s in self.sizes if s not in self.subs)

    def layer(self, name: str) -> LayerRecord:
        for record in self.layers:
            if record.name == name:
                return record
        raise KeyError(name)

    def to_dict(self) -> dict[str, object]:
        from .render.jsonout import to_dict

        return to_dict(self)

    def render(self, fmt: str = "table") -> str:
        """This derivation as 'table', 'json', 'markdown' or 'latex' text."""
        from .render import FORMATS

        return FORMATS[fmt](self)

    def _repr_markdown_(self) -> str:
        return self.render("markdown")

    def _repr_latex_(self) -> str:
        return self.render("latex")
