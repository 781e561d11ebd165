"""Indentation as Python reads it: tabs and spaces mixed only where the meaning does not depend
on the width of a tab (Python's own tokenizer is the oracle), and a bounded nesting of indented
blocks, refused at the statement that goes too deep."""

from __future__ import annotations

import itertools

import pytest

import symconv
from symconv.language import syntax
from symconv.errors import Source
from symconv.language.parse import parse

INDENTS = ["", " ", "  ", "    ", "        ", "\t", "\t ", " \t", "    \t", "\t\t",
           "        \t", "\t        ", "       \t"]
FEW = ["", "    ", "        ", "\t", "\t ", " \t", "\t\t"]  # for three lines


def _python(lines: list[str]) -> str:
    """'ok', 'tab' (TabError) or 'indent' (another IndentationError) for Python's tokenizer."""
    try:
        compile("\n".join(lines) + "\n", "<case>", "exec")
    except TabError:
        return "tab"
    except IndentationError:
        return "indent"
    return "ok"


def _symconv(lines: list[str]) -> str:
    try:
        parse(Source("sizes H=1\ninput (8,)\n" + "\n".join(lines) + "\n"))
    except symconv.SymconvError as err:
        assert err.code == "SC100" and err.span is not None, err.render()
        return "tab" if "inconsistent use of tabs" in err.message else "indent"
    return "ok"


def _cases() -> list[tuple[str, ...]]:
    two = [(a, b) for a, b in itertools.product(INDENTS[1:], INDENTS)]
    nested = list(itertools.product(FEW[1:], FEW[1:], FEW))
    return two + nested


@pytest.mark.parametrize("indents", _cases(), ids=lambda c: "|".join(map(repr, c)))
def test_tabs_and_spaces_as_python_reads_them(indents: tuple[str, ...]) -> None:
    if len(indents) == 2:
        a, b = indents
        python = ["if 1:", f"{a}x = 1", f"{b}x = 2"]
        arch = ["if H > 0:", f"{a}Dense(1)", f"{b}Dense(2)"]
    else:
        a, b, c = indents
        python = ["if 1:", f"{a}if 1:", f"{b}x = 1", f"{c}x = 2"]
        arch = ["if H > 0:", f"{a}if H > 0:", f"{b}Dense(1)", f"{c}Dense(2)"]
    assert _symconv(arch) == _python(python)


def test_inconsistent_tabs_are_refused_at_the_statement() -> None:
    text = "sizes H=1\ninput (8,)\nif H > 0:\n        Dense(3)\n\tDense(4)\n"
    with pytest.raises(symconv.SymconvError) as caught:
        symconv.derive(text)
    err = caught.value
    assert (err.code, err.span.line, err.span.column) == ("SC100", 5, 2)  # type: ignore[union-attr]
    assert err.message == "inconsistent use of tabs and spaces in indentation"
    assert err.hint and "spaces only" in err.hint


def test_tabs_alone_still_indent() -> None:
    d = symconv.derive("sizes H=1\ninput (8,)\nif H > 0:\n\tDense(3)\n\tif H > 0:\n\t\tDense(4)\n")
    assert [layer.output_shape for layer in d.layers] == [(3,), (4,)]


# -- how deep blocks nest ----------------------------------------------------------------------
def _nested(levels: int, opener: str = "repeat 1:") -> str:
    lines = ["sizes H=1", "input (8,)"]
    lines += [" " * i + opener for i in range(levels)]
    return "\n".join(lines + [" " * levels + "Dense(3)"]) + "\n"


@pytest.mark.parametrize("opener", ["repeat 1:", "if H > 0:"])
def test_blocks_nest_up_to_the_bound(opener: str) -> None:
    assert syntax.MAX_INDENT == 100
    d = symconv.derive(_nested(100, opener))
    assert [layer.output_shape for layer in d.layers] == [(3,)]


@pytest.mark.parametrize("levels", [101, 1300])
def test_one_level_more_is_refused_where_it_starts(levels: int) -> None:
    with pytest.raises(symconv.SymconvError) as caught:
        symconv.derive(_nested(levels))
    err = caught.value
    assert err.code == "SC110" and err.message == "blocks nested more than 100 deep"
    # the statement at depth 101: after 2 lines and 101 openers, indented by 101 spaces
    assert (err.span.line, err.span.column) == (104, 102)  # type: ignore[union-attr]


def _called(blocks: int, levels: int, last: str = "Dense(3)") -> str:
    """`blocks` blocks, each calling the next from inside `levels` nested ifs."""
    lines = ["sizes H=3", "input (8,)"]
    for b in range(blocks):
        lines.append(f"block B{b}():")
        lines += [" " * (i + 1) + "if H > 0:" for i in range(levels)]
        lines.append(" " * (levels + 1) + (f"B{b + 1}()" if b + 1 < blocks else last))
    return "\n".join(lines + ["B0()"]) + "\n"


def test_nesting_through_block_calls_is_bounded_with_a_position() -> None:
    """4 blocks of 99 levels each pass neither the indentation nor the block bound, but would
    pass Python's recursion limit: refused at the statement that goes too deep."""
    with pytest.raises(symconv.SymconvError) as caught:
        symconv.derive(_called(4, 99))
    err = caught.value
    assert err.code == "SC110" and "nested more than 400 deep" in err.message
    assert err.span is not None and err.span.line > 1


def test_the_deepest_nesting_allowed_derives() -> None:
    """64 blocks (the block bound) of 5 levels, 384 bodies deep, with a sum of 199 terms at
    the bottom: within Python's recursion limit, answered rather than refused."""
    d = symconv.derive(_called(64, 5, "Dense(" + " + ".join(["H"] * 199) + ")"))
    assert str(d.layers[-1].output_shape[0]) == "199*H"
