"""User text cannot drive the terminal or the page: names, string arguments and source lines
holding escape sequences, carriage returns, bidirectional overrides, Markdown or HTML come out
escaped in every format, and JSON keeps the exact name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import symconv
from symconv.cli import commands as cli
from symconv.escapes import code_span, json_visible, markdown, plain, visible
from symconv.render.latex import escape as latex_escape

# an OSC title change, BEL, a colour, a carriage return, a right-to-left override, C1 CSI, DEL
EVIL = "a\x1b]0;PWNED\x07\x1b[31mred\rX\u202e\x9b\x7f"
SHOWN = "a\\x1b]0;PWNED\\x07\\x1b[31mred\\rX\\u202e\\x9b\\x7f"  # as Python's repr writes it
MARKUP = "b|c<i>&`x*y*_z_[l](u)"
NET = (f'input (8,)\nDense(3, name="{EVIL}")\nDense(3, name="{MARKUP}")\n'
       'Dense(2, name="c\u2028d")\n')


def _raw(text: str) -> list[str]:
    """The characters a terminal would act on: anything not printable but a newline."""
    return [c for c in text if not c.isprintable() and c != "\n"]


@pytest.fixture(scope="module")
def derivation() -> symconv.derivation.model.Derivation:  # type: ignore[name-defined]
    return symconv.derive(NET)


@pytest.mark.parametrize("fmt", ["table", "markdown", "latex", "json"])
def test_no_control_character_reaches_any_format(derivation, fmt: str) -> None:  # type: ignore[no-untyped-def]
    out = derivation.render(fmt)
    assert _raw(out) == []


def test_table_shows_names_as_python_escapes(derivation) -> None:  # type: ignore[no-untyped-def]
    out = derivation.render("table")
    assert f"│ {SHOWN} (Dense) │" in out
    assert "│ c\\u2028d (Dense)" in out
    widths = {len(line) for line in out.splitlines() if line.startswith(("│", "┏", "└"))}
    assert len(widths) == 1  # escaped before the columns were measured


def test_markdown_escapes_columns_html_and_emphasis(derivation) -> None:  # type: ignore[no-untyped-def]
    out = derivation.render("markdown")
    assert derivation._repr_markdown_() == out  # what Jupyter renders
    rows = [line for line in out.splitlines() if line.startswith("| ")][1:]
    for row in rows:  # 4 columns: 5 pipes not preceded by a backslash
        assert len(re.findall(r"(?<!\\)\|", row)) == 5, row
    assert "<" not in out.replace("&lt;", "") and ">" not in out.replace("&gt;", "")
    assert r"| b\|c&lt;i&gt;&amp;\`x\*y\*\_z\_\[l\](u) | Dense |" in out
    assert r"| a\\x1b\]0;PWNED" in out


def test_json_keeps_the_exact_names(derivation) -> None:  # type: ignore[no-untyped-def]
    out = derivation.render("json")
    names = [layer["name"] for layer in json.loads(out)["layers"]]
    assert names == [EVIL, MARKUP, "c\u2028d"]
    assert "\\u001b]0;PWNED\\u0007" in out and "\\u202e\\u009b\\u007f" in out


def test_latex_writes_controls_as_escapes(derivation) -> None:  # type: ignore[no-untyped-def]
    out = derivation.render("latex")
    assert r"\texttt{a\textbackslash{}x1b]0;PWNED\textbackslash{}x07" in out


def test_explain_escapes_names_and_the_source_line(derivation) -> None:  # type: ignore[no-untyped-def]
    from symconv.render.explain import render_explain

    out = render_explain(derivation)
    assert _raw(out) == []
    assert f'{SHOWN} (Dense), line 2: Dense(3, name="{SHOWN}")' in out
    # the carriage return inside line 2 does not end a line: line 3 is line 3
    assert f'line 3: Dense(3, name="{MARKUP}")' in out


def test_an_error_shows_its_own_line_escaped() -> None:
    text = f'input (8,)\nDense(3, name="{EVIL}")\nDense(3, stride=2)\n'
    with pytest.raises(symconv.SymconvError) as caught:
        symconv.derive(text)
    lines = caught.value.render().splitlines()
    assert lines[1] == "    Dense(3, stride=2)"  # not the text after the \r of line 2
    text = f'input (8,)\nDense(3, name="{EVIL}", stride=2)\n'
    with pytest.raises(symconv.SymconvError) as caught:
        symconv.derive(text)
    rendered = caught.value.render()
    assert _raw(rendered) == []
    source, caret = rendered.splitlines()[1:3]
    assert source == f'    Dense(3, name="{SHOWN}", stride=2)'
    assert caret.index("^") == source.index("stride") and caret.endswith("^~~~~~")


def test_the_cli_escapes_paths_arguments_and_results(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "n\x1b[2J.arch"
    assert cli.main(["derive", str(path)]) == 1
    err = capsys.readouterr().err
    assert _raw(err) == [] and "n\\x1b[2J.arch: error: cannot read" in err
    path.write_text(NET, encoding="utf-8")
    assert cli.main(["explain", str(path), "--layer", "x\x1b[2J"]) == 1
    err = capsys.readouterr().err
    assert _raw(err) == [] and "no layer or block is called 'x\\x1b[2J'" in err
    for fmt in ("table", "markdown", "latex", "json"):
        assert cli.main(["derive", str(path), "-f", fmt]) == 0
        assert _raw(capsys.readouterr().out) == []


def test_verify_text_escapes_names(need_torch: None) -> None:
    from symconv.frameworks import verify_source
    from symconv.errors import Source

    text = f'convention torch\ninput (8,)\nLinear(8, 3, name="{EVIL}")\n'
    report = verify_source(Source(text), "torch", None, 1, 0, False)
    out = report.render()
    assert report.ok and _raw(out) == [] and SHOWN in out


# -- the helpers -------------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("plain ⌊H/2⌋ ≥ 1 é", "plain ⌊H/2⌋ ≥ 1 é"),  # printable text is untouched
    ("\t\r\x00\x1b\x7f\x85\xa0", "\\t\\r\\x00\\x1b\\x7f\\x85\\xa0"),
    ("\u200b\u202e\u2066\ufeff\U000e0001", "\\u200b\\u202e\\u2066\\ufeff\\U000e0001"),
], ids=["printable", "c0-c1", "format"])
def test_visible_escapes_as_python_repr_does(text: str, expected: str) -> None:
    assert visible(text) == expected == repr(text)[1:-1]


@pytest.mark.parametrize("text,expected", [
    ("conv2d_1", "conv2d_1"), ("_x_", r"\_x\_"), ("a__b", r"a\_\_b"),
    ("<script>", "&lt;script&gt;"), ("a|b", r"a\|b"), ("**b**", r"\*\*b\*\*"),
    ("[t](u)", r"\[t\](u)"), ("~~s~~", r"\~\~s\~\~"), ("`c`", r"\`c\`"),
], ids=["intraword", "emphasis", "double", "html", "pipe", "strong", "link", "strike", "code"])
def test_markdown_text(text: str, expected: str) -> None:
    assert markdown(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("plain (é) 1.0", "plain (é) 1.0"), ("a_b", r"a\_b"), ("50%", r"50\%"),
    ("x~y^z", r"x\textasciitilde{}y\^{}z"), ("{#$&}", r"\{\#\$\&\}"),
    ("a\\b", r"a\textbackslash{}b"), ("\x1b", r"\textbackslash{}x1b"),
], ids=["plain", "underscore", "percent", "tilde-caret", "braces", "backslash", "control"])
def test_latex_escape(text: str, expected: str) -> None:
    assert latex_escape(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("a & b", "a &amp; b"), ("<a & b>", "&lt;a &amp; b&gt;")], ids=["ampersand", "tags"])
def test_markdown_writes_html_as_entities(text: str, expected: str) -> None:
    assert markdown(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("H - 2", "`H - 2`"), ("a|b", r"`a\|b`"), ("x`y", "`` x`y ``"), ("``", "``` `` ```")])
def test_code_span_fences_backticks(text: str, expected: str) -> None:
    assert code_span(text) == expected


def test_json_visible_keeps_the_value() -> None:
    value = {"name": EVIL + "\u2028\U000e0001é⌊"}
    out = json_visible(json.dumps(value, ensure_ascii=False))
    assert _raw(out) == [] and json.loads(out) == value and "é⌊" in out


def test_plain_is_ascii_and_keeps_box_widths() -> None:
    assert plain("┏━┳┓│├─┼┤") == "+=++|+-++"
    assert plain("⌊H/2⌋ ≥ 3 · é") == "floor(H/2) >= 3 * \\xe9"


@pytest.mark.parametrize("fmt", ["text", "json", "latex"])
def test_a_solution_rendered_by_the_library_is_escaped(fmt: str) -> None:
    """`symconv solve` output through the library (not only the CLI's last pass): a target on a
    layer whose name holds escape sequences."""
    from symconv.render.solution import SOLUTION_FORMATS

    net = f'sizes K\ninput (28, 28, 1)\nConv2D(8, K, name="{EVIL}")\n'
    solution = symconv.solve(net, ["K"], [symconv.Target("shape", (13, 13, None), EVIL)])
    assert solution.solutions == [{"K": 16}]  # 28 − 16 + 1 = 13 (Keras 'valid')
    assert not _raw(SOLUTION_FORMATS[fmt](solution))
