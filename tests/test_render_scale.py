"""Rendering deep networks (issue 17): a table cell past the fold width is folded within its
column instead of every row being padded to the widest formula; each expression is printed once
per render and each total computed once per derivation, so rendering grows with what it shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import symconv
from symconv.derivation import model
from symconv.maths import printing, printing_latex

CYCLE = ["Conv2d(8, 8, 3, stride=1, padding=1)", "Conv2d(8, 8, 3, stride=1, padding=0)",
         "Conv2d(8, 8, 5, stride=2, padding=2)", "MaxPool2d(3, stride=1, padding=1)", "ReLU()",
         "Conv2d(8, 8, 3, stride=3, padding=1)"]
BLOCK = ["a = LayerNorm(d)(x)", "a = MultiheadAttention(d, 4, batch_first=True)(a)",
         "x = x + a", "m = LayerNorm(d)(x)", "m = Linear(d, 4 * d)(m)", "m = GELU()(m)",
         "m = Linear(4 * d, d)(m)", "x = x + m"]
ROOT = Path(__file__).parent.parent
WIDTH = 72  # the fold width the table promises (symconv.render.fold.WIDTH)


def mixed(n: int) -> str:
    """The mixed-stride chain of issue 17: strides 2 and 3 give extents like ⌊(H + c)/6^k⌋
    whose numbers grow a digit every few layers (past 72 characters before 100 layers)."""
    return "convention torch\nsizes H, W\ninput (8, H, W)\n" + "\n".join(
        (CYCLE * (n // len(CYCLE) + 1))[:n]) + "\n"


def transformer(blocks: int) -> str:
    return "convention torch\nsizes L, d=64\ninput x: (L, d)\n" + "\n".join(
        BLOCK * blocks) + "\n"


@pytest.fixture(scope="module")
def chain() -> symconv.Derivation:
    return symconv.derive(mixed(150))


def _cells(line: str, bar: str) -> list[str]:
    return [c.strip() for c in line.strip()[1:-1].split(bar)]


def _table_cells(table: str, bar: str, rule: str) -> list[list[str]]:
    """Each body row's cells with its folded lines joined (no space: a fold drops the space at
    its break), read back from the drawn table."""
    lines = table.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith(rule))
    rows: list[list[str]] = []
    for line in lines[top + 1:]:
        if not line.startswith(bar):
            if not line.startswith(("├", "+")):
                break
            rows.append([])
            continue
        cells = _cells(line, bar)
        if not rows:
            rows.append([])
        rows[-1] = cells if not rows[-1] else [a + b for a, b in zip(rows[-1], cells)]
    return rows


def _markdown_cells(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    return [[c.strip().strip("`") for c in row.strip("|").split(" | ")] for row in rows]


def test_long_cells_fold_within_their_column(chain: symconv.Derivation) -> None:
    """No cell past the first is wider than the fold width, the table stays rectangular, and
    the folded cells hold exactly what the Markdown table (which never folds) shows."""
    table = chain.render("table")
    body = [line for line in table.splitlines() if line.startswith("│")]
    assert len({len(line) for line in body}) == 1  # every line of the box is as wide
    for line in body:
        assert all(len(c) <= WIDTH for c in _cells(line, "│")[1:]), line
    folded = _table_cells(table, "│", "┡")
    shown = _markdown_cells(chain.render("markdown"))
    assert len(folded) == len(shown) == 150
    squeeze = re.compile(r"\s+")
    for row, md in zip(folded, shown):
        # markdown: name | type | shape | params | buffers; table: "name (type)" | shape | …
        assert squeeze.sub("", row[1]) == squeeze.sub("", md[2])
        assert squeeze.sub("", row[2]) == squeeze.sub("", md[3])
    # the old table padded every row to the widest shape: its lines were over 150 wide
    assert max(map(len, table.splitlines()[1:len(body)])) < 30 + 3 * (WIDTH + 3)


def test_folding_in_ascii(chain: symconv.Derivation) -> None:
    """--ascii draws the folded table in ASCII (⌊ written floor(, so cells are longer): the
    widths are measured and folded after that conversion."""
    table = chain.render("table", ascii=True)
    assert table.isascii()
    body = [line for line in table.splitlines() if line.startswith("|")]
    assert len({len(line) for line in body}) == 1
    for line in body:
        assert all(len(c) <= WIDTH for c in _cells(line, "|")[1:]), line
    assert any("floor(" in line for line in body)


def test_fold_breaks_outermost_first() -> None:
    """A sum breaks between its terms before inside one (ConvNeXt-Tiny's stages: n1*(8*C**2 +
    58*C) stays whole), numbers at their thousands separators, and nothing is lost."""
    from symconv.render.fold import fold

    text = ("2*C*(4*C + 1) + 4*C*(8*C + 1) + 8*C*(16*C + 1) + 65*C + n1*(8*C**2 + 58*C) + "
            "n2*(32*C**2 + 116*C) + n3*(128*C**2 + 232*C) + n4*(512*C**2 + 464*C)")
    assert fold(text) == [
        "2*C*(4*C + 1) + 4*C*(8*C + 1) + 8*C*(16*C + 1) + 65*C +",
        "n1*(8*C**2 + 58*C) + n2*(32*C**2 + 116*C) + n3*(128*C**2 + 232*C) +",
        "n4*(512*C**2 + 464*C)"]
    assert fold("⌊(H + 1,234,567,890,123)/6⌋", 12) == ["⌊(H +", "1,234,567,", "890,123)/6⌋"]
    assert fold("x" * 150) == ["x" * 72, "x" * 72, "x" * 6]
    # a piece too long ending at a break of its own (the first folding recursed on it forever)
    long = "⌊(H + " + "123," * 30 + "456)/6⌋ + ⌊(W + 1)/2⌋"
    lines = fold(long)
    assert "".join(lines).replace(" ", "") == long.replace(" ", "")
    assert max(map(len, lines)) <= 72 and len(lines) == 3
    assert fold("(N, 8, H, W)") == ["(N, 8, H, W)"]


def _prints(monkeypatch: pytest.MonkeyPatch, target: object, name: str, d: symconv.Derivation,
            fmt: str) -> int:
    calls = []
    original = getattr(target, name)

    def counted(*args: object, **kwargs: object) -> str:
        calls.append(1)
        return original(*args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(target, name, counted)
    d.render(fmt)
    monkeypatch.setattr(target, name, original)
    return len(calls)


@pytest.mark.parametrize("fmt,target", [("table", "pretty"), ("markdown", "pretty"),
                                        ("latex", "latex"), ("json", "json")])
def test_each_expression_printed_once(monkeypatch: pytest.MonkeyPatch, fmt: str,
                                      target: str) -> None:
    """A transformer's rows repeat the same shapes ((N, L, 64)) and counts block after block:
    a render prints each once, so 12 blocks print no more than 2 (the old renderers printed
    every cell anew: 6 times as many)."""
    if target == "json":
        from symconv.render.jsonout import _JsonPrinter
        where: object = _JsonPrinter
    else:
        # LaTeX prints its table and expanded block on the line (the stepwise block alone
        # uses _LATEX)
        where = printing._PRETTY if target == "pretty" else printing_latex._LATEX_INLINE
    small, large = symconv.derive(transformer(2)), symconv.derive(transformer(12))
    assert (_prints(monkeypatch, where, "doprint", large, fmt)
            == _prints(monkeypatch, where, "doprint", small, fmt))


def _count_totals(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per sum of layer counts (counts.grouped_total, as model calls it) from now on."""
    calls: list[int] = []
    original = model.grouped_total

    def counted(counts):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(counts)

    monkeypatch.setattr(model, "grouped_total", counted)
    return calls


def test_totals_computed_once_per_derivation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Table, JSON, Markdown and LaTeX of one derivation sum its layers' counts once per total
    (params, trainable, non-trainable, buffers): 10,000 layers took 0.07 s a sum, four times
    per format."""
    d = symconv.derive(transformer(3))
    calls = _count_totals(monkeypatch)
    before = [d.render(fmt) for fmt in ("table", "json", "markdown", "latex")]
    assert len(calls) == 4
    assert [d.render(fmt) for fmt in ("table", "json", "markdown", "latex")] == before
    assert len(calls) == 4


def test_block_subtotals_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A folded block's row shows its subtotal of parameters and of buffers; JSON lists every
    block's, LaTeX and Markdown show them again: each is summed once per derivation."""
    d = symconv.derive(ROOT / "examples" / "resnet18.arch")
    assert d.blocks
    calls = _count_totals(monkeypatch)
    first = [d.render(fmt) for fmt in ("table", "json", "latex", "markdown")]
    once = len(calls)
    assert once <= 4 + 2 * len(d.blocks)  # the network's 4, each block's params and buffers
    assert [d.render(fmt) for fmt in ("table", "json", "latex", "markdown")] == first
    assert len(calls) == once


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "latex"])
def test_pieces_join_to_the_whole_text(chain: symconv.Derivation, fmt: str) -> None:
    """The CLI writes a table or JSON in pieces (a 10,000-layer chain's is 100 MB): joined,
    they are the text `render` gives, with the compute columns too."""
    from symconv.render import render_chunks

    for options in ({}, {"macs": "weights", "memory": "float32", "receptive": True}):
        pieces = list(render_chunks(chain, fmt, **options))
        assert "".join(pieces) == chain.render(fmt, **options)
        if fmt == "table":  # whole lines, so that each can be escaped alone
            assert all(p.endswith("\n") for p in pieces)


def test_cli_writes_the_pieces_to_a_file_whole(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """--output gets the same bytes as standard output, through the temporary file renamed
    over it (no temporary file left)."""
    from symconv.cli import main

    arch = tmp_path / "chain.arch"
    arch.write_text(mixed(150), encoding="utf-8")
    for fmt in ("table", "json"):
        assert main(["derive", str(arch), "--format", fmt]) == 0
        shown = capsys.readouterr().out
        target = tmp_path / f"out.{fmt}"
        assert main(["derive", str(arch), "--format", fmt, "-o", str(target)]) == 0
        assert target.read_text(encoding="utf-8") == shown
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chain.arch", "out.json", "out.table"]
