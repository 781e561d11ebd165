"""Pieces every renderer shares: cells for shapes and counts, the requirements list."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction

import sympy
from sympy import Expr

from ..derivation.model import BlockRecord, Derivation, LayerRecord
from ..maths import symbols
from ..maths.printing import pretty

BATCH = {"keras": "None", "torch": "N"}


Line = str | bytes | tuple[str, ...]


def in_pieces(lines: Iterable[Line], finish: Callable[[str], str] = str,
              size: int = 1 << 16) -> Iterator[str]:
    """Lines (a long one kept as UTF-8 bytes, `packed`, or as its parts, joined only here: a
    formula printed once and shown twice) joined about `size` characters at a time, each with
    its newline, through `finish` (escaping done line by line, so a batch at a time is the
    same): what the CLI writes as it goes, never the whole text of a deep network at once,
    nor 2,000 of its 10,000-character lines."""
    batch: list[str] = []
    length = 0
    for line in lines:
        text = line if isinstance(line, str) else (
            "".join(line) if isinstance(line, tuple) else line.decode())
        batch.append(text)
        length += len(text) + 1
        if length >= size:
            yield finish("\n".join(batch) + "\n")
            batch, length = [], 0
    if batch:
        yield finish("\n".join(batch) + "\n")


def packed(text: str) -> str | bytes:
    """A long line as UTF-8 until it is written: one ⌊ makes a Python string two bytes a
    character, and a deep chain's lines are mostly digits."""
    return text if len(text) <= SHORT else text.encode()


SHORT = 256  # texts up to this long are kept for the whole render
RECENT = 64  # how many longer ones are kept (the last rows')


def remembered(fmt: Callable[[Expr], str] = pretty) -> Callable[[Expr], str]:
    """`fmt` with each expression's text kept for the rest of one render: a shape repeats from
    row to row (10,000 of a transformer's rows are (N, L, 64)), a count from layer to layer.
    A long text is kept only while its rows are near: a deep chain's extents, thousands of
    characters each, change at most layers, and kept whole they doubled the table's memory."""
    texts: dict[object, str] = {}
    recent: dict[object, str] = {}

    def show(e: Expr) -> str:
        text = texts.get(e) or recent.get(e)
        if text is None:
            text = fmt(e)
            if len(text) <= SHORT:
                texts[e] = text
            else:
                if len(recent) >= RECENT:
                    recent.clear()
                recent[e] = text
        return text
    return show


def shape_cell(shape: tuple[Expr, ...], convention: str, fmt=pretty,  # type: ignore[no-untyped-def]
               batched: bool = True, axis: int = 0, batch: int | None = None) -> str:
    """(None, H, W, 32) as Keras prints it; a scalar per example is (None,). A free
    parameter's shape (`batched` False) is its whole shape: (1, L, d), or () for a scalar.
    The batch goes at `axis` (torch's LSTM h_n: (2, N, h)); a `batch` given (`--batch 8`) is
    written as its number, as torchinfo writes it: (8, 64, 112, 112)."""
    if not batched:
        return "(" + ", ".join(fmt(e) for e in shape) + ("," if len(shape) == 1 else "") + ")"
    first = BATCH[convention] if batch is None else str(batch)
    if not shape:
        return f"({first},)"
    items = [fmt(e) for e in shape]
    return "(" + ", ".join([*items[:axis], first, *items[axis:]]) + ")"


def outputs_cell(row: LayerRecord | BlockRecord, d: Derivation,
                 fmt: Callable[[Expr], str] = pretty, batch: int | None = None) -> str:
    """The output shape; a call giving several tensors lists them all, in order, as Keras's
    summary lists a layer's several outputs. `batch`: the batch given, written as a number."""
    convention = d.convention
    if isinstance(row, LayerRecord) and several_shown(d, row):
        axes = row.batch_axes or (0,) * len(row.outputs)
        return "[" + ", ".join(shape_cell(s, convention, fmt, axis=a, batch=batch)
                               for s, a in zip(row.outputs, axes)) + "]"
    return shape_cell(row.output_shape, convention, fmt, batched=is_batched(row), batch=batch)


def count_cell(value: Expr, fmt=pretty) -> str:  # type: ignore[no-untyped-def]
    if isinstance(value, sympy.Integer):
        return f"{int(value):,}"
    return fmt(value)


def layer_label(layer: LayerRecord | BlockRecord) -> str:
    return f"{layer.name} ({layer.type}){times_text(layer)}"


def times_text(row: LayerRecord | BlockRecord, fmt=pretty) -> str:  # type: ignore[no-untyped-def]
    """' × n' after a row inside a repeat of symbolic count n (its first pass is shown, with
    that pass's names); nothing elsewhere."""
    if row.times == 1:
        return ""
    text = fmt(row.times)
    return f" × ({text})" if isinstance(row.times, (sympy.Add, sympy.Mod)) else f" × {text}"


def row_counts(d: Derivation, row: LayerRecord | BlockRecord) -> tuple[Expr, Expr]:
    """(parameters, buffers) of a layer, or the subtotals of a folded block."""
    if isinstance(row, BlockRecord):
        return d.subtotal(row), d.subtotal(row, "buffers")
    return row.params, row.buffers


def param_cell(d: Derivation, row: LayerRecord | BlockRecord, fmt=pretty) -> str:  # type: ignore[no-untyped-def]
    if isinstance(row, LayerRecord) and row.shares:
        return f"shared ({row.shares})"
    cell = count_cell(row_counts(d, row)[0], fmt)
    if isinstance(row, LayerRecord) and row.tied:
        where = ", ".join(t.where for t in row.tied)
        return f"tied ({where})" if row.params == 0 else f"{cell} + tied ({where})"
    return cell


def several_shown(d: Derivation, layer: LayerRecord) -> bool:
    """Whether a layer's every output is shown: several, and a later one used."""
    return layer.results is not None and d.layer_positions[id(layer)] in d.unpacked


def is_batched(row: LayerRecord | BlockRecord) -> bool:
    """False for a free parameter's row (its shape is whole, no batch axis left out)."""
    return getattr(row, "batched", True)


def memory(count: Expr, bytes_per_value: int = 4) -> str | None:
    """keras.src.utils.summary_utils.readable_memory_size for float32 weights (in floats, as
    Keras computes it; past the floats' range, 1.8e308 bytes, exactly in petabytes)."""
    if not isinstance(count, sympy.Integer):
        return None
    exact = int(count) * bytes_per_value
    if exact.bit_length() > 1000:
        hundredths = round(Fraction(exact * 100, 1024**5))
        return f"{hundredths // 100}.{hundredths % 100:02d} PB"
    size = float(exact)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def requirement_lines(d: Derivation, fmt=pretty) -> list[str]:  # type: ignore[no-untyped-def]
    """'name: condition  (reason)' for every open condition, in layer order, without repeats."""
    seen: set[str] = set()
    lines = []
    for req in d.requires:
        text = fmt(req.condition)
        if text in seen:
            continue
        seen.add(text)
        lines.append(f"{req.layer}: {text}  ({req.reason})")
    return lines


def note_lines(d: Derivation, name: Callable[[str], str] = str) -> list[str]:
    """'layers: note' for every distinct note (how the other framework differs), in order;
    `name` writes a layer name for the output (Markdown escapes it)."""
    where: dict[str, list[str]] = {}
    for layer in d.layers:
        for note in layer.notes:
            names = where.setdefault(note, [])
            if layer.name not in names:
                names.append(layer.name)
    lines = pass_lines(d)
    for note, names in where.items():
        more = f" and {len(names) - 1} more" if len(names) > 1 else ""
        lines.append(f"{name(names[0])}{more}: {note}")
    return lines


def pass_lines(d: Derivation, fmt=pretty) -> list[str]:  # type: ignore[no-untyped-def]
    """What the pass symbol of each symbolic repeat stands for: the rows of its body show
    pass k (k, or the loop index `as i`), 0 ≤ k ≤ n − 1."""
    lines = []
    for r in d.repeats:
        step = r.steps if r.steps is not None else (
            sympy.Symbol(r.index) if r.index is not None else None)
        if step is not None:
            k = fmt(step)
            lines.append(f"{k}: the pass of the repeat on line {r.span.line}, from 0 to "
                         f"{fmt(r.count - 1)} (its rows show pass {k})")
    return lines


def named_domain(d: Derivation, size: str) -> str:
    """A size with its domain where it is not the default: `P ≥ 0`, `H`."""
    least = d.domain(size).least
    return size if least == symbols.DEFAULT_LEAST else f"{size} ≥ {least}"


def title(d: Derivation) -> str:
    name = d.network or "network"
    free = [named_domain(d, s) for s in d.free_sizes]
    sizes = f"; symbolic in {', '.join(free)}" if free else ""
    given = ", ".join(f"{k}={v}" for k, v in d.subs.items())
    given = f"; {given}" if given else ""
    return f'Model: "{name}" ({d.convention} convention{given}{sizes})'
