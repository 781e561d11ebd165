"""LaTeX output for papers: an `align*` block of per-row formulas (in the network's input sizes,
or layer by layer: H_1 = H - 2, H_2 = ⌊H_1/2⌋, …), a booktabs table (layer, output shape,
parameters and, when asked, MACs, activation memory and receptive field) with numbers or
formulas, the validity conditions, and with `standalone` a complete document. Both the block
and the table show the rows `--depth` shows; `parts` asks for one of them alone.

Needs ``\\usepackage{amsmath,booktabs}`` (and ``longtable`` for tables over 40 rows). Formulas
go through sympy's LaTeX printer (extended for floor and ceiling in `printing`): on the line,
⌊(H - 6)/4⌋, in the table and the expanded block, whose texts are shared (printed once: a deep
chain's are thousands of characters a row); with \\frac in the stepwise block, whose formulas
are short. Only names and types are escaped here. Wide tables fold (`latex_fit`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sympy
from sympy import Expr, Integer

from ..derivation.model import Derivation, LayerRecord
from ..escapes import visible
from ..maths.printing_latex import latex, latex_inline
from . import latex_fit as fit
from .columns import Column, columns, field_text, footer
from .common import Line, in_pieces, is_batched, memory, pass_lines, remembered, row_counts
from .common import several_shown
from .options import DEFAULT, Options

_ESCAPES = {"\\": r"\textbackslash{}", "_": r"\_", "&": r"\&", "%": r"\%", "$": r"\$",
            "#": r"\#", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}
_TRANSLATE = str.maketrans(_ESCAPES)  # each character as _ESCAPES says, at C speed
LONG = 40  # rows from which the table is a longtable (it breaks across pages)
TIMES = r" \times "
BREAK = r",\allowbreak\ "  # a shape's comma where a table cell may break
SHORT_COUNT = 40  # a count's LaTeX this long or shorter surely fits its `align*` line
KEPT_WIDTHS = 200  # a cell's text up to this long has its width remembered (`_natural`)
Printer = Callable[[Expr], str]


def escape(text: str) -> str:
    """User text for LaTeX: control characters written as Python escapes first (pdflatex
    stops at an invalid character, and an escape's backslash is then escaped too), then
    LaTeX's special characters."""
    return visible(text).translate(_TRANSLATE)


def _shape(shape, tex: Printer = latex) -> str:  # type: ignore[no-untyped-def]
    """A shape in display: (a,\\ b) with parentheses sized to its fractions."""
    return r"\left(" + ",\\ ".join(tex(e) for e in shape) + r"\right)"


def _line_shape(shape, tex: Printer, batch: str | None = None,  # type: ignore[no-untyped-def]
                axis: int = 0, comma: str = BREAK) -> str:
    """A shape on the line: plain parentheses, and a break allowed after each comma (a long
    shape folds in its table cell); `batch` written at `axis`."""
    items = [tex(e) for e in shape]
    if batch is not None:
        items.insert(axis, batch)
    return "(" + comma.join(items) + ")"


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


def _outputs(d: Derivation, row: object, tex: Printer, batch: int | None,
             comma: str = BREAK) -> str:
    """The output shape; every output of a call giving several whose later ones are used. The
    batch is omitted, as everywhere, unless it is given (then written first, as torchinfo
    does); where it is not first (torch's h_n) it is written, as N if not given."""
    given = None if batch is None else str(batch)
    if not isinstance(row, LayerRecord) or not several_shown(d, row):
        return _line_shape(row.output_shape, tex,  # type: ignore[attr-defined]
                           given if is_batched(row) else None, 0, comma)  # type: ignore[arg-type]
    axes = row.batch_axes or (0,) * len(row.outputs)
    shapes = [_line_shape(s, tex, given or ("N" if a else None), a, comma)
              for s, a in zip(row.outputs, axes)]
    return "[" + comma.join(shapes) + "]"


Texts = Callable[[object], tuple[str, str]]


def _texts(d: Derivation, tex: Printer, batch: int | None = None,
           comma: str = BREAK) -> Texts:
    """A row's output shape and parameter count in LaTeX, printed once for its `align*` line
    and its table row alike: a deep chain's are thousands of characters each, and printed
    twice they were half the render's time, held twice most of its memory."""
    made: dict[int, tuple[str, str]] = {}

    def texts(row: object) -> tuple[str, str]:
        pair = made.get(id(row))
        if pair is None:  # the rows live as long as `d`: their ids stay theirs
            pair = made[id(row)] = (_outputs(d, row, tex, batch, comma),
                                    tex(row_counts(d, row)[0]))  # type: ignore[arg-type]
        return pair
    return texts


def _expanded(d: Derivation, depth: int | None, texts: Texts, tex: Printer) -> list[Line]:
    """A line a row (a folded block one line, with its subtotal), as its parts (joined when
    written: the shape and count are shared with the table's row)."""
    rows = [(rf"  {_label(row.name, row.type, row.times, tex)} &:\ ", *texts(row), _tied(row))
            for row in d.rows(depth)]
    broken = _broken([(label, shape) for label, shape, _, _ in rows], [r[2] for r in rows])
    return [(label, shape, " && P = ", count, tied)
            for (label, shape, _, tied), count in zip(rows, broken)]


def _broken(before: list[tuple[str, ...]], counts: list[str]) -> list[str]:
    """The counts, a long one cut at its outer signs into lines of the room the `align*`
    column leaves on the landscape line (the widest label and shape before it decide where
    the column starts, the widest of each aligned column); continuation lines are indented
    under the count."""
    if all(len(c) <= SHORT_COUNT for c in counts):  # the usual case: nothing is measured
        return counts
    widest = [max(fit.width(b[i]) for b in before) for i in range(2)]  # aligned columns
    room = max(fit.ALIGN_BUDGET - sum(widest) - 6, 40)
    return [count if len(count) <= SHORT_COUNT else
            " \\\\\n    &&& \\quad ".join(fit.pieces(count, room)) for count in counts]


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
        total = tex(s.total)
        # the sum and its closed form on two lines when they would not fit one
        then = (" = " if fit.width(written) + fit.width(total) < fit.ALIGN_BUDGET // 2
                else " \\\\\n    &&& \\quad = ")
        rows.append(rf"  \text{{repeat (line {r.span.line})}} &:\ {_shape(r.exit, tex)}"
                    rf" && P = {written}" + (f"{then}{total}" if total != written else ""))
    return rows


def _stepwise(d: Derivation, depth: int | None, batch: int | None = None,
              tex: Printer = latex) -> list[str]:
    from ..derivation.stepwise import shown

    rows, defined = [], []
    for step in shown(d, depth):
        defines = ",\\ ".join(f"{tex(s)} = {tex(e)}" for s, e in step.defines)
        label = rf"  {_label(step.record.name, step.record.type, step.record.times, tex)} &:\ "
        shape = _shape(_batched(step.shape, step.record, batch), tex)
        # the sizes it defines beside the shape, or on a line of their own under it when the
        # three would not fit the line (a folded block's nested floors)
        count = tex(step.params)
        parts = (label, shape, defines)
        # measured only when long: a text is never wider than its characters
        beside = (sum(map(len, parts)) + min(len(count), SHORT_COUNT) + 4 <= fit.ALIGN_BUDGET
                  or sum(map(fit.width, parts)) + min(fit.width(count), SHORT_COUNT) + 4
                  <= fit.ALIGN_BUDGET)
        rows.append((label, shape + (rf",\quad {defines}" if defines and beside else ""),
                     count, _tied(step.record)))
        defined.append("" if beside or not defines else "".join(
            rf" \\" "\n" rf"  &\quad {tex(s)} = {tex(e)}" for s, e in step.defines))
    broken = _broken([(label, shape) for label, shape, _, _ in rows], [r[2] for r in rows])
    return [f"{label}{shape} && P = {count}{tied}{under}"
            for (label, shape, _, tied), count, under in zip(rows, broken, defined)] \
        + _repeat_sums(d, tex)


def _batched(shape: tuple[Expr, ...], row: object, batch: int | None) -> tuple[Expr, ...]:
    """The shape with the batch given first (a free parameter's has none)."""
    if batch is None or not is_batched(row):  # type: ignore[arg-type]
        return shape
    return (Integer(batch), *shape)


def _formulas(d: Derivation, options: Options, texts: Texts, tex: Printer) -> list[Line]:
    """The `align*` block; `tex` prints on the line (shared with the table), and the stepwise
    form, printed for itself, keeps \\frac."""
    rows: list[Line] = (_stepwise(d, options.depth, options.batch)  # type: ignore[assignment]
                        if options.formulas == "stepwise"
                        else _expanded(d, options.depth, texts, tex))
    # a line each (joined, the same text): 10,000 rows are not held as one string
    lines = [_parts(row) + (r" \\",) for row in rows[:-1]] + rows[-1:] or [""]
    return [r"\begin{align*}", *lines, r"\end{align*}"]


def _parts(line: Line) -> tuple[str, ...]:
    return line if isinstance(line, tuple) else (line,)  # type: ignore[return-value]


def formulas_block(d: Derivation, formulas: str = "expanded", depth: int | None = 1) -> str:
    """The `align*` block alone (what Jupyter's MathJax can render: without \\allowbreak, which
    only a table cell needs)."""
    lines = _formulas(d, Options(formulas=formulas, depth=depth),
                      _texts(d, latex_inline, comma=",\\ "), latex_inline)
    return "\n".join("".join(_parts(line)) for line in lines) + "\n"


Cell = tuple[tuple[str, ...], bool]  # a cell's parts, and whether it is a number (set right)


def _cell(column: Column, value: object, tex: Printer) -> Cell:
    """A compute cell: a receptive field, a size in bytes with its unit (3.06 MB, or a formula
    in B), a count."""
    if column.header == "Receptive field":
        return ((f"${field_text(value, tex, TIMES)}$" if value is not None else "-",), False)
    number = isinstance(value, sympy.Number)
    if column.bytes:
        readable = memory(value, 1)  # type: ignore[arg-type]
        return ((readable,) if readable else (f"${tex(value)}$", r"\,B"), number)
    return ((f"${tex(value)}$",), number)


def _math(text: str, number: bool) -> Cell:
    return (("$", text, "$"), number)


def _row_cells(d: Derivation, row: object, extra: list[Column], i: int, texts: Texts,
               tex: Printer) -> list[Cell]:
    shape, count = texts(row)
    counted = row_counts(d, row)[0]  # type: ignore[arg-type]
    return [((_label(row.name, row.type, row.times, tex),), False),  # type: ignore[attr-defined]
            _math(shape, False),
            (("$", count, _tied(row), "$"), isinstance(counted, sympy.Number)),
            *[_cell(c, c.values[i], tex) for c in extra]]


def _total_cells(label: str, value: Expr, extra: list[Column], tex: Printer,
                 totals: bool = False) -> list[Cell]:
    more = [_cell(c, c.total, tex) if totals and c.total is not None else ((), False)
            for c in extra]
    return [((label,), False), ((), False), _math(tex(value), isinstance(value, sympy.Number)),
            *more]


def _line(cells: list[Cell], fractions: list[float | None], right: list[bool]) -> Line:
    """A row's parts; a cell of a paragraph column ragged (justified, a formula broken over
    lines would stretch its spaces). `\\raggedright` makes `\\\\` a line break: a folded
    table ends its rows with `\\tabularnewline` (a group round the cell with a `\\par` would
    add an empty line to it)."""
    parts: list[str] = []
    for j, (cell, number) in enumerate(cells):
        if j:
            parts.append(" & " if cell else " &")
        if fractions[j] is not None and cell:
            parts.append(r"\raggedleft " if right[j] and number else r"\raggedright ")
        parts += cell
    return (*parts, r" \tabularnewline" if any(fractions) else r" \\")


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


def _table(d: Derivation, options: Options, texts: Texts, tex: Printer) -> list[Line]:
    rows = d.rows(options.depth)
    extra: list[Column] = columns(d, rows, options)
    header = ["Layer (type)", "Output shape", "Parameters"] + [escape(c.header) for c in extra]
    right = [False, False, True] + [c.right for c in extra]
    cells = [_row_cells(d, row, extra, i, texts, tex) for i, row in enumerate(rows)]
    totals = [_total_cells("Total", d.params, extra, tex, totals=True),
              _total_cells("Trainable", d.trainable, extra, tex),
              _total_cells("Non-trainable", d.non_trainable, extra, tex)]
    if d.convention == "torch":  # running statistics are buffers there, not parameters
        totals.append(_total_cells("Buffers (not parameters)", d.buffers, extra, tex))
    body_widths = _natural(header, cells)  # with the totals: the wider of the two, per column
    fractions = fit.shares(body_widths, [max(a, b) for a, b in
                                         zip(body_widths, _natural(header, totals))])
    spec = fit.spec("".join("r" if r else "l" for r in right), fractions)
    head = _line([((h,), False) for h in header], fractions, [False] * len(header))
    body = [_line(c, fractions, right) for c in cells]
    closing = [_line(c, fractions, right) for c in totals]
    batch = "batch axis omitted" if options.batch is None else f"batch {options.batch} first"
    caption = (rf"\caption{{{escape(d.network or 'Network')}: output shapes ({batch}) and "
               r"parameter counts.}")
    notes = [line + r"\\" for line in _footer(d, options, tex)]
    if len(rows) > LONG or any(fractions):  # folded rows are tall: the table breaks across pages
        return ([rf"\begin{{longtable}}{{{spec}}}", caption + r"\\", r"\toprule", head,
                 r"\midrule", r"\endhead", *body, r"\midrule", *closing, r"\bottomrule",
                 r"\end{longtable}"] + notes)
    return [r"\begin{table}[ht]", r"\centering", r"\small", rf"\begin{{tabular}}{{{spec}}}",
            r"\toprule", head, r"\midrule", *body, r"\midrule", *closing, r"\bottomrule",
            r"\end{tabular}", caption, *([r"\par\smallskip\footnotesize"] + notes
                                         if notes else []), r"\end{table}"]


def _natural(header: list[str], rows: list[list[Cell]]) -> list[int]:
    """Each column's estimated natural width, in characters (`latex_fit.width`); a header
    counts by its longest word (it folds at its spaces)."""
    widest = [max(fit.width(w) for w in h.split()) for h in header]
    lengths: list[list[tuple[int, int]]] = [[] for _ in header]  # (its length, its row)
    for i, cells in enumerate(rows):
        for j, (cell, _) in enumerate(cells):
            lengths[j].append((sum(map(len, cell)), i))
    # a short text met again (a transformer's 8 shapes, 10,000 times) is measured once; long
    # ones are not kept (a deep chain's thousands of distinct formulas would all be held)
    measured: dict[str, int] = {}
    for j, column in enumerate(lengths):  # the longest first: a text is never wider than its
        for length, i in sorted(column, reverse=True):  # characters, so the rest are not
            if length <= widest[j]:  # measured (a 2,000-layer chain's 4,000 cells)
                break
            text = "".join(rows[i][j][0])
            width = measured.get(text)
            if width is None:
                width = fit.width(text)
                if len(text) <= KEPT_WIDTHS:
                    measured[text] = width
            widest[j] = max(widest[j], width)
    return widest


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
    tex = remembered(latex_inline)
    texts = _texts(d, tex, options.batch)
    body: list[Line] = []
    if options.parts != "table":
        body += _formulas(d, options, texts, tex)
    if options.parts != "formulas":
        body += ([""] if body else []) + _table(d, options, texts, tex)
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
