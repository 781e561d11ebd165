"""LaTeX output for papers: an `align*` block of per-layer formulas (in the network's input sizes,
or layer by layer: H_1 = H - 2, H_2 = ⌊H_1/2⌋, …), a booktabs table (layer, output shape,
parameters and, when asked, MACs, activation memory and receptive field) with numbers or
formulas, the validity conditions, and with `standalone` a complete document.

Needs ``\\usepackage{amsmath,booktabs}`` (and ``longtable`` for tables over 40 rows). Formulas
go through sympy's LaTeX printer (extended for floor and ceiling in `printing`); only names and
types are escaped here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sympy
from sympy import Expr, Integer

from ..derivation.model import Derivation, LayerRecord
from ..escapes import visible
from ..maths.printing import latex
from .columns import Column, columns, field_text, footer
from .common import Line, in_pieces, pass_lines, remembered, row_counts, several_shown
from .options import DEFAULT, Options

_ESCAPES = {"\\": r"\textbackslash{}", "_": r"\_", "&": r"\&", "%": r"\%", "$": r"\$",
            "#": r"\#", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}
LONG = 40  # rows from which the table is a longtable (it breaks across pages)
TIMES = r" \times "
Printer = Callable[[Expr], str]


def escape(text: str) -> str:
    """User text for LaTeX: control characters written as Python escapes first (pdflatex
    stops at an invalid character, and an escape's backslash is then escaped too), then
    LaTeX's special characters."""
    return "".join(_ESCAPES.get(c, c) for c in visible(text))


def _shape(shape, tex: Printer = latex) -> str:  # type: ignore[no-untyped-def]
    return r"\left(" + ",\\ ".join(tex(e) for e in shape) + r"\right)"


def _label(name: str, type_: str, times: Expr = Integer(1), tex: Printer = latex) -> str:
    """The name and type; `\times n` for a row inside a repeat of symbolic count n."""
    label = rf"\texttt{{{escape(name)}}}\ \text{{({escape(type_)})}}"
    # \ensuremath: the label is set in text (the table) and in math (align*) alike
    if times == 1:
        return label
    count = tex(times)
    count = rf"\left({count}\right)" if isinstance(times, (sympy.Add, sympy.Mod)) else count
    return label + rf"\ \ensuremath{{\times {count}}}"


def _tied(layer: object) -> str:
    """Where a tied weight is counted (`tie="wte"`), after the layer's own count."""
    tied = getattr(layer, "tied", ())
    return "".join(rf",\ \text{{{escape(t.weight.name)} tied to }}\texttt{{{escape(t.where)}}}"
                   for t in tied)


def _outputs(d: Derivation, row: object, tex: Printer = latex) -> str:
    """The output shape; every output of a call giving several whose later ones are used (the
    batch, omitted as everywhere, written as N where it is not first: torch's h_n)."""
    if not isinstance(row, LayerRecord) or not several_shown(d, row):
        return _shape(row.output_shape, tex)  # type: ignore[attr-defined]
    axes = row.batch_axes or (0,) * len(row.outputs)
    shapes = [_shape(s, tex) if a == 0 else _shape((*s[:a], sympy.Symbol("N"), *s[a:]), tex)
              for s, a in zip(row.outputs, axes)]
    return r"\left[" + r",\ ".join(shapes) + r"\right]"


Texts = Callable[[object], tuple[str, str]]


def _texts(d: Derivation, tex: Printer = latex) -> Texts:
    """A row's output shape and parameter count in LaTeX, printed once for its `align*` line
    and its table row alike: a deep chain's are thousands of characters each, and printed
    twice they were half the render's time, held twice most of its memory."""
    made: dict[int, tuple[str, str]] = {}

    def texts(row: object) -> tuple[str, str]:
        pair = made.get(id(row))
        if pair is None:  # the rows live as long as `d`: their ids stay theirs
            pair = made[id(row)] = (_outputs(d, row, tex),
                                    tex(row_counts(d, row)[0]))  # type: ignore[arg-type]
        return pair
    return texts


def _expanded(d: Derivation, texts: Texts, tex: Printer = latex) -> list[Line]:
    """A line a layer, as its parts (joined when written: the shape and count are shared
    with the table's row)."""
    return [(rf"  {_label(layer.name, layer.type, layer.times, tex)} &:\ ", shape, " && P = ",
             count, _tied(layer)) for layer in d.layers for shape, count in [texts(layer)]]


def _repeat_sums(d: Derivation, tex: Printer = latex) -> list[str]:
    """Each symbolic repeat's parameters: n·P for a body the same in every pass, the sum over
    the passes (and its closed form) for one that depends on the pass."""
    from ..derivation.stepwise import repeat_sums

    rows = []
    for s in repeat_sums(d):
        r, k = s.repeat, s.repeat.steps
        if k is not None and k in s.per_pass.free_symbols:
            written = (rf"\sum_{{{tex(k)}=0}}^{{{tex(r.count - 1)}}} "
                       rf"\left({tex(s.per_pass)}\right)")
        else:
            written = rf"{tex(r.count)} \cdot \left({tex(s.per_pass)}\right)"
        rows.append(rf"  \text{{repeat (line {r.span.line})}} &:\ {_shape(r.exit, tex)}"
                    rf" && P = {written} = {tex(s.total)}")
    return rows


def _stepwise(d: Derivation, tex: Printer = latex) -> list[str]:
    from ..derivation.stepwise import steps

    rows = []
    for step in steps(d):
        defines = ",\\ ".join(f"{tex(s)} = {tex(e)}" for s, e in step.defines)
        rows.append(rf"  {_label(step.record.name, step.record.type, step.record.times, tex)}"
                    rf" &:\ {_shape(step.shape, tex)}"
                    + (rf",\quad {defines}" if defines else "")
                    + rf" && P = {tex(step.params)}{_tied(step.record)}")
    return rows + _repeat_sums(d, tex)


def _formulas(d: Derivation, options: Options, texts: Texts, tex: Printer = latex) -> list[Line]:
    rows: list[Line] = (_stepwise(d, tex) if options.formulas == "stepwise"  # type: ignore[assignment]
                        else _expanded(d, texts, tex))
    # a line each (joined, the same text): 10,000 rows are not held as one string
    lines = [_parts(row) + (r" \\",) for row in rows[:-1]] + rows[-1:] or [""]
    return [r"\begin{align*}", *lines, r"\end{align*}"]


def _parts(line: Line) -> tuple[str, ...]:
    return line if isinstance(line, tuple) else (line,)  # type: ignore[return-value]


def formulas_block(d: Derivation, formulas: str = "expanded") -> str:
    """The `align*` block alone (what Jupyter's MathJax can render)."""
    lines = _formulas(d, Options(formulas=formulas), _texts(d))
    return "\n".join("".join(_parts(line)) for line in lines) + "\n"


def _cell(column: Column, value: object, tex: Printer = latex) -> str:
    if column.header == "Receptive field":
        return f"${field_text(value, tex, TIMES)}$" if value is not None else "-"
    return f"${tex(value)}$"


_PROSE = {"ᵀ": r"\textsuperscript{T}", "·": r"$\cdot$", "×": r"$\times$", "≥": r"$\geq$",
          "≤": r"$\leq$", "²": r"\textsuperscript{2}", "’": "'", "≠": r"$\neq$",
          "⌊": r"$\lfloor$", "⌋": r"$\rfloor$", "⌈": r"$\lceil$", "⌉": r"$\rceil$"}


def prose(text: str) -> str:
    """Words for LaTeX: escaped, and the few symbols our sentences use written as commands."""
    return "".join(_PROSE.get(c, c) for c in escape(text))


def _footer(d: Derivation, options: Options, tex: Printer = latex) -> list[str]:
    """The compute footer in LaTeX: the sentences escaped, the values as math (kept apart
    from the escaping by placeholders)."""
    values: list[str] = []

    def show(value) -> str:  # type: ignore[no-untyped-def]
        values.append(f"${tex(value)}$")
        return f"\x00{len(values) - 1}\x00"

    def line(text: str) -> str:  # words escaped, and the values between NULs put back
        parts = text.split("\x00")
        return "".join(values[int(p)] if i % 2 and p.isdigit() and int(p) < len(values)
                       else prose(p) for i, p in enumerate(parts))

    return [line(text) for text in footer(d, options, show)]


def _table(d: Derivation, options: Options, texts: Texts, tex: Printer = latex) -> list[Line]:
    rows = d.rows(options.depth)
    extra: list[Column] = columns(d, rows, options)
    spec = "ll" + "r" + "".join("r" if c.right else "l" for c in extra)
    head = " & ".join(["Layer (type)", "Output shape", "Parameters"]
                      + [escape(c.header) for c in extra]) + r" \\"
    body: list[Line] = []
    for i, row in enumerate(rows):
        shape, count = texts(row)
        body.append((_label(row.name, row.type, row.times, tex), " & $", shape, "$ & $", count,
                     _tied(row), "$", *[" & " + _cell(c, c.values[i], tex) for c in extra],
                     r" \\"))
    pad = "".join(f" & ${tex(c.total)}$" if c.total is not None else " &" for c in extra)
    none = " &" * len(extra)
    totals = [rf"Total & & ${tex(d.params)}${pad} \\",
              rf"Trainable & & ${tex(d.trainable)}${none} \\",
              rf"Non-trainable & & ${tex(d.non_trainable)}${none} \\"]
    if d.convention == "torch":  # running statistics are buffers there, not parameters
        totals.append(rf"Buffers (not parameters) & & ${tex(d.buffers)}${none} \\")
    caption = (rf"\caption{{{escape(d.network or 'Network')}: output shapes (batch axis "
               r"omitted) and parameter counts.}")
    notes = [line + r"\\" for line in _footer(d, options, tex)]
    if len(rows) > LONG:
        return ([rf"\begin{{longtable}}{{{spec}}}", caption + r"\\", r"\toprule", head,
                 r"\midrule", r"\endhead", *body, r"\midrule", *totals, r"\bottomrule",
                 r"\end{longtable}"] + notes)
    return [r"\begin{table}[ht]", r"\centering", r"\small", rf"\begin{{tabular}}{{{spec}}}",
            r"\toprule", head, r"\midrule", *body, r"\midrule", *totals, r"\bottomrule",
            r"\end{tabular}", caption, *([r"\par\smallskip\footnotesize"] + notes
                                         if notes else []), r"\end{table}"]


def _conditions(d: Derivation, tex: Printer = latex) -> list[str]:
    seen: list[str] = []
    for req in d.requires:
        text = rf"\item \texttt{{{escape(req.layer)}}}: ${tex(req.condition)}$ " \
               rf"({prose(req.reason)})"  # a reason may name a formula: ⌊H/4⌋
        if text not in seen:
            seen.append(text)
    return [r"\noindent Valid when:", r"\begin{itemize}", *seen, r"\end{itemize}"] if seen else []


def render_latex(d: Derivation, options: Options = DEFAULT) -> str:
    return "".join(latex_chunks(d, options))


def latex_chunks(d: Derivation, options: Options = DEFAULT) -> Iterator[str]:
    """The LaTeX in pieces of whole lines (`render_latex` joined), every formula printed
    first."""
    name = escape(d.network or "network")
    tex = remembered(latex)
    texts = _texts(d, tex)
    body = [*_formulas(d, options, texts, tex), "", *_table(d, options, texts, tex)]
    conditions = _conditions(d, tex)
    if conditions:
        body += ["", *conditions]
    passes = pass_lines(d, lambda e: f"${tex(e)}$")
    if passes:
        body += ["", r"\noindent " + r"\\ ".join(passes)]
    if not options.standalone:
        return in_pieces([f"% symconv: {name} ({d.convention} convention)",
                          r"% needs \usepackage{amsmath,booktabs,longtable}", *body])
    sizes = ", ".join(f"${latex_size(k)} = {v}$" for k, v in d.subs.items())
    title = f"{name} ({d.convention} convention" + (f"; {sizes}" if sizes else "") + ")"
    return in_pieces([
        r"\documentclass[10pt]{article}", r"\usepackage[margin=2cm,landscape]{geometry}",
        r"\usepackage{amsmath,booktabs,longtable}", r"\allowdisplaybreaks", r"\begin{document}",
        rf"\section*{{{title}}}", *body, r"\end{document}"])


def latex_size(name: str) -> str:
    from ..maths import symbols

    return latex(symbols.size(name))
