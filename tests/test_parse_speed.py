"""Parsing by distinct statements (symconv/language/chunks.py) gives what parsing the whole file
gives: the same Program, every span included, and the same error, byte for byte. The whole-file
parse (the path every file took before issue 17) is the oracle: `_whole` runs parse() with the
chunked path switched off."""

from __future__ import annotations

import sys
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from symconv import api
from symconv.errors import Source, Span, SymconvError
from symconv.language import chunks, ir
from symconv.language.parse import _parser, parse

import fuzzgen

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*.arch"))
ERRORS = sorted(ROOT.glob("tests/errors/*.arch"))

TRANSFORMER = ["a = LayerNorm(d)(x)", "a = MultiheadAttention(d, 4, batch_first=True)(a)",
               "x = x + a", "m = LayerNorm(d)(x)", "m = Linear(d, 4 * d)(m)", "m = GELU()(m)",
               "m = Linear(4 * d, d)(m)", "x = x + m"]
MIXED = ["Conv2d(8, 8, 3, stride=1, padding=1)", "Conv2d(8, 8, 3, stride=1, padding=0)",
         "Conv2d(8, 8, 5, stride=2, padding=2)", "MaxPool2d(3, stride=1, padding=1)", "ReLU()",
         "Conv2d(8, 8, 3, stride=3, padding=1)"]


def tf(blocks: int) -> str:
    return "\n".join(["convention torch", "sizes L, d=64", "input x: (L, d)"]
                     + TRANSFORMER * blocks) + "\n"


def mixed(layers: int) -> str:
    return "\n".join(["convention torch", "sizes H, W", "input (8, H, W)"]
                     + [MIXED[i % 6] for i in range(layers)]) + "\n"


# blocks, repeats and ifs nested; comments and strings holding ( ) [ ] # and quotes; calls
# continued over lines, with comment and blank lines (at column 1 too) inside the parentheses
NESTED = '''# a network (with "quotes", 'apostrophes' and # signs in comments)
network nested
convention torch
sizes H, W, n=2, k=3

block Res(c, k=3):  # parameters: c (channels) and k
    input x
    y = Conv2d(c, c, k, padding=k // 2)(x)
    if k > 1:
        repeat n as i:   # ( unbalanced in a comment
            y = ReLU()(y)
    elif k == 1:
        y = Identity()(y)
# a comment at column 1 inside a block
    else:
        y = Sigmoid()(y)
    output y + x

input x: (8, H, W)
x = Res(8)(x)
y = Conv2d(8, 8,
           3, padding=1)(x)   # ) closes nothing here
z = cat((y,
# a comment at column 1 inside parentheses
x), dim=1)
w = Conv2d(16, 8, 1, padding_mode="#(")(z)
v = Conv2d(8, 8, 1, padding_mode='"[')(w)
u = Conv2d(8, 8, 1, padding_mode="it's ) ]")(v)
if H > 8:
    u = MaxPool2d(2)(u)
else:
    u = AvgPool2d(2)(u)
repeat 2:
    u = ReLU()(u)
    repeat n:
        if W > 4:
            u = ReLU()(u)

t = x.shape[-1]
a, (b, c) = u.chunk(2, dim=1), (u, u)
parameter pos: (1, H, W), trainable=False
shared act = ReLU()
output u
'''

UNICODE = ('convention torch\nsizes H\ninput x: (3, H)  # größe → ∑, \u2028 and \x85 in a comment\n'
           'y = Conv1d(3, 3, 1, padding_mode="zéros\u2028")(x)\n')


def _whole(source: Source, monkeypatch: pytest.MonkeyPatch) -> object:
    """What parse() gave before issue 17: the whole file through Lark."""
    with monkeypatch.context() as m:
        m.setattr(chunks, "statements", lambda text, parse_text: None)
        return _outcome(source)


def _outcome(source: Source) -> object:
    try:
        return parse(source)
    except SymconvError as err:
        return ("error", err.code, err.span, err.render(), err.to_dict())


def _statements(text: str) -> tuple[object, object]:
    """The statements of `text` parsed whole (or its error's type) and by distinct chunks."""
    prepared = text.lstrip("\ufeff")
    prepared = prepared if prepared.endswith("\n") else prepared + "\n"
    parser = _parser()
    try:
        whole: object = parser.parse(prepared)
    except Exception as err:  # noqa: BLE001 - any error: the chunked path must give way
        whole = type(err)
    return whole, chunks.statements(prepared, parser.parse)


def check(text: str, monkeypatch: pytest.MonkeyPatch) -> bool:
    """parse() gives today's result or error for `text`; True if the chunked path was taken
    (which here it is whenever one statement repeats)."""
    monkeypatch.setattr(chunks, "MOST_DISTINCT", 1.0)
    source = Source(text, "case.arch")
    # the parser takes `-` nested hundreds deep (derive refuses past 200, SC110); comparing
    # two such trees recurses a few frames a level, past Python's default limit of 1,000
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        assert _outcome(source) == _whole(source, monkeypatch)
        whole, chunked = _statements(text)
        if isinstance(whole, type):
            assert chunked is None, "a file the whole parse refuses was parsed by chunks"
            return False
        assert chunked is None or chunked == whole
    finally:
        sys.setrecursionlimit(limit)
    return chunked is not None


def doubled(text: str) -> str:
    """`text` twice over: every statement repeats, so the chunked path copies them all."""
    return text + ("" if text.endswith("\n") else "\n") + text.lstrip("\ufeff")


@pytest.mark.parametrize("path", EXAMPLES + ERRORS, ids=lambda p: p.name)
def test_examples_and_error_cases_parse_alike(path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    check(text, monkeypatch)
    taken = check(doubled(text), monkeypatch)
    if path.parent.name == "examples":
        assert taken, "an example doubled should be parsed by its distinct statements"


@pytest.mark.parametrize("text", [
    tf(1250), tf(3), mixed(1000), mixed(7), NESTED * 3, UNICODE * 4,
    "\ufeff" + tf(5),  # a byte order mark
    tf(5).rstrip("\n"),  # no final newline
    tf(5).replace("\n", "\r\n"),  # CRLF
    NESTED.replace("\n", "\r\n") * 2,
    (NESTED * 2).replace("    ", "\t"),  # tabs
    tf(4).replace("\nm = GELU", "\n\fm = GELU"),  # a form feed starts a top-level line
    tf(4).replace("GELU()", "GELU()\f"),
    tf(4).replace("x = x + a", "x = x + \\\n    a"),  # a continued line
    tf(4) + "# a last comment (\n\n   \n",
    "\n\n# leading comments\n   # indented\n" + tf(3),
    "# only a comment\n" * 5,
    "",
    "\n" * 5,
], ids=["tf1250", "tf3", "mixed1000", "mixed7", "nested", "unicode", "bom", "no-final-newline",
        "crlf", "nested-crlf", "tabs", "form-feed", "form-feed-end", "backslash", "last-comment",
        "leading-comments", "only-comments", "empty", "blank"])
def test_generated_files_parse_alike(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    check(text, monkeypatch)
    check(doubled(text), monkeypatch)


@pytest.mark.parametrize("text", [
    tf(3) + "m = Linear(d, (4 * d)(m)\n" + tf(2),  # a parenthesis left open
    tf(3) + "m = Linear(d, 4 * d))(m)\n" + tf(2),  # closed once too often
    tf(3) + "m = Linear(d, 'a)(m)\n" + tf(2),  # a string left open
    tf(3) + "  m = GELU()(m)\n" + tf(2),  # an unexpected indent
    tf(3) + "\f  m = GELU()(m)\n" + tf(2),  # one after a form feed (alone, it would parse)
    tf(3) + "repeat 2:\nm = GELU()(m)\n" + tf(2),  # a suite missing
    tf(3) + "else:\n    m = GELU()(m)\n" + tf(2),  # an else with no if
    tf(3) + "if d > 1:\n    m = GELU()(m)\nelif:\n" + tf(2),
    tf(3) + "m = Linear(d, 4 * d)(m) $\n" + tf(2),  # an unexpected character
    tf(3) + "m = Linear(d, 4 * d)(m)\r" + tf(2),  # a lone carriage return
    tf(3) + "m = Linear(d, 12345678901234567890123456789012345678901)(m)\n" + tf(2),
    tf(3) + "m = " + "(" * 101 + "d" + ")" * 101 + "\n" + tf(2),  # nested too deep
    tf(3) + "m + 1, n = d\n" + tf(2),  # cannot assign to an expression
    tf(3) + "m = GELU()(m) \\\n" + tf(2),  # a backslash before a statement
    tf(3) + "repeat 2:\n" + "".join(" " * (i + 1) + "repeat 2:\n" for i in range(101))
    + " " * 103 + "x = x\n" + tf(2),  # blocks nested too deep
    tf(3) + "repeat 2:\n        x = x\n    x = x\n" + tf(2),  # a dedent to no level
    tf(3) + "repeat 2:\n\tx = x\n        x = x\n" + tf(2),  # tabs and spaces
    tf(3) + "network a\n" + tf(2),  # _assemble: a second `network`, `convention`, `sizes`
    "block B(c):\n    x = x\n" + tf(3) + "block B(c):\n    x = x\n",  # a block defined twice
    tf(3) + "repeat 2:\n    sizes H\n" + tf(2),  # a top-level-only statement indented
    tf(3) + "m = GELU()(m\n",  # a parenthesis open at the end of the file
], ids=["open-paren", "extra-paren", "open-string", "indent", "form-feed-indent",
        "no-suite", "lone-else",
        "empty-elif", "bad-char", "carriage-return", "long-literal", "too-deep", "bad-target",
        "backslash", "blocks-too-deep", "bad-dedent", "tabs-spaces", "second-network",
        "block-twice", "sizes-indented", "open-at-end"])
def test_errors_are_todays_byte_for_byte(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    source = Source(text, "case.arch")
    outcome = _outcome(source)
    assert isinstance(outcome, tuple) and outcome[0] == "error"
    assert outcome == _whole(source, monkeypatch)
    check(doubled(text), monkeypatch)


def test_repeated_statements_are_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """What Lark reads for 1,250 transformer blocks is their eleven distinct lines (padded with
    newlines to keep each on its line), not 106,000 tokens; fails where the whole file is
    handed to Lark."""
    parser = _parser()
    read: list[str] = []
    original = parser.parse

    def spy(text: str, *args: object, **kwargs: object) -> object:
        read.append(text)
        return original(text, *args, **kwargs)

    monkeypatch.setattr(parser, "parse", spy)
    program = parse(Source(tf(1250)))
    assert len(program.body) == 1 + 10_000
    assert [len(t.split()) for t in read] == [sum(len(ln.split()) for ln in
                                                  ["convention torch", "sizes L, d=64",
                                                   "input x: (L, d)"] + TRANSFORMER)]


def test_files_that_repeat_little_are_parsed_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file mostly distinct would be parsed twice when it holds an error: it is parsed whole."""
    parser = _parser()
    read: list[str] = []
    original = parser.parse
    monkeypatch.setattr(parser, "parse", lambda text: read.append(text) or original(text))
    distinct = "".join(f"x = Linear({i}, {i + 1})(x)\n" for i in range(60))
    for text, whole in [(tf(2) + distinct, True), (tf(20) + distinct, False)]:
        read.clear()
        parse(Source(text))
        assert len(read) == 1 and (read[0] == text) == whole


def test_copies_are_moved_down_with_every_span() -> None:
    """The 1,250th block's `MultiheadAttention(d, 4, batch_first=True)` holds the spans of its
    own line (4 + 8 × 1249 + 1), written out here by hand."""
    program = parse(Source(tf(1250)))
    line = 3 + 8 * 1249 + 2
    statement = program.body[1 + 8 * 1249 + 1]
    assert statement == ir.Assign(
        "a", ir.CallExpr(
            ir.CallExpr(ir.Name("MultiheadAttention", Span(line, 5, line, 23)),
                        (ir.Name("d", Span(line, 24, line, 25)),
                         ir.Num(4, Span(line, 27, line, 28), "4")),
                        (ir.Keyword("batch_first", ir.Const(True, Span(line, 42, line, 46)),
                                    Span(line, 30, line, 41)),),
                        Span(line, 5, line, 23)),
            (ir.Name("a", Span(line, 48, line, 49)),), (), Span(line, 5, line, 50)),
        Span(line, 1, line, 2))


def test_split_keeps_statements_whole() -> None:
    text = NESTED
    pieces = chunks.split(text)
    assert pieces is not None and "".join(p for _, p in pieces) == text
    firsts = [p.split("\n", 1)[0] for _, p in pieces]
    assert firsts[0].startswith("# a network") and "block Res(c, k=3):  # parameters: c (channels) and k" in firsts
    assert "y = Conv2d(8, 8," in firsts and "z = cat((y," in firsts and "if H > 8:" in firsts
    assert not any(f.startswith(("else", "elif", "#", " ", "x), dim")) for f in firsts[1:])
    lines = [n for n, _ in pieces]
    assert lines == [1 + text[:text.index(p)].count("\n") for _, p in pieces]
    for text in ["x = (\n", "x = )\n", "x = 'a\n", "x = 1 + \\\n 2\n"]:
        assert chunks.split(text) is None


HYPOTHESIS = settings(max_examples=60, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                             HealthCheck.function_scoped_fixture])


def _fuzz(data: bytes, copies: int, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        text = api.decode(data, "case.arch").text
    except SymconvError:
        return
    check(text, monkeypatch)
    lines = text.split("\n")
    # repetition inside the file too: every line and then the whole file repeated
    check("\n".join(line for line in lines for _ in range(copies)), monkeypatch)
    check(doubled(text) * copies, monkeypatch)


@HYPOTHESIS
@given(data=st.one_of(fuzzgen.programs(), fuzzgen.hostile()), copies=st.integers(1, 3))
def test_generated_programs_parse_alike(data: bytes, copies: int,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _fuzz(data, copies, monkeypatch)


@HYPOTHESIS
@given(data=st.one_of(fuzzgen.nearly_valid(), fuzzgen.mutants(), fuzzgen.generated_mutant()),
       copies=st.integers(1, 3))
def test_damaged_programs_parse_alike(data: bytes, copies: int,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _fuzz(data, copies, monkeypatch)

