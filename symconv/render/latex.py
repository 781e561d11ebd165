"""LaTeX output: an `align` block of per-layer formulas and a booktabs summary table.

Needs ``\\usepackage{amsmath,booktabs}``. Formulas go through sympy's LaTeX printer (extended
for floor and ceiling in `printing`); only names and types are escaped here.
"""

from __future__ import annotations

from ..model import Derivation
from .printing import latex

_ESCAPES = {"\\": r"\textbackslash{}", "_": r"\_", "&": r"\&", "%": r"\%", "$": r"\$",
            "#": r"\#", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}


def escape(text: str) -> str:
    return "".join(_ESCAPES.get(c, c) for c in text)


def _shape(shape) -> str:  # type: ignore[no-untyped-def]
    return r"\left(" + ",\\ ".join(latex(e) for e in shape) + r"\right)"


def _label(name: str, type_: str) -> str:
    return rf"\texttt{{{escape(name)}}}\ \text{{({escape(type_)})}}"


def render_latex(d: Derivation, depth: int | None = None) -> str:
    lines = [f"% symconv: {escape(d.network or 'network')} ({d.convention} convention)",
             r"% needs \usepackage{amsmath,booktabs}", r"\begin{align*}"]
    rows = [rf"  {_label(layer.name, layer.type)} &:\ {_shape(layer.output_shape)}"
            rf" && P = {latex(layer.params)}" for layer in d.layers]
    lines.append(" \\\\\n".join(rows))
    lines += [r"\end{align*}", "", r"\begin{table}[t]", r"\centering",
              r"\begin{tabular}{llr}", r"\toprule",
              r"Layer (type) & Output shape & Parameters \\", r"\midrule"]
    for layer in d.layers:
        lines.append(rf"{_label(layer.name, layer.type)} & ${_shape(layer.output_shape)}$ & "
                     rf"${latex(layer.params)}$ \\")
    lines += [r"\midrule",
              rf"Total & & ${latex(d.params)}$ \\",
              rf"Trainable & & ${latex(d.trainable)}$ \\",
              rf"Non-trainable & & ${latex(d.non_trainable)}$ \\",
              r"\bottomrule", r"\end{tabular}",
              rf"\caption{{{escape(d.network or 'Network')}: output shapes (batch axis omitted) "
              r"and parameter counts.}", r"\end{table}"]
    return "\n".join(lines) + "\n"
