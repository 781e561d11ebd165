"""The Python API presents itself as torchinfo's and Keras's summaries do (issue 18, Python API):
`repr(derivation)` is the table, notebooks get an HTML table, a Solution prints its answer and
has `to_dict()` and `render()`, and `help(symconv.derive)` documents the call.

Numbers: the Keras MNIST example (keras.io/examples/vision/mnist_convnet) at 28×28×1 prints
34,826 parameters in Keras's summary; the 3×3 Conv2D on 28×28×1 needs K = 16 to give 13×13
(28 − K + 1 = 13).
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

import symconv
from symconv import Target

ROOT = Path(__file__).resolve().parent.parent
MNIST = ROOT / "examples" / "mnist_cnn.arch"
GOLDEN = Path(__file__).resolve().parent / "golden"


class _Cells(HTMLParser):
    """The text of each table row's cells, and of the paragraphs and list items."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.texts: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th", "p", "li"):
            self._in.append(tag)
            (self.rows[-1] if tag in ("td", "th") else self.texts).append("")

    def handle_endtag(self, tag: str) -> None:
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if self._in:
            where = self.rows[-1] if self._in[-1] in ("td", "th") else self.texts
            where[-1] += data


def test_repr_is_the_table() -> None:
    d = symconv.derive(MNIST)
    assert repr(d) == (GOLDEN / "mnist_cnn.table.txt").read_text()
    assert str(d) == repr(d)
    assert "source" not in repr(d) and "LayerRecord(" not in repr(d)


def test_html_table() -> None:
    d = symconv.derive(MNIST, {"H": 28, "W": 28})
    page = _Cells()
    page.feed(d._repr_html_())
    header, *rows = page.rows
    assert header == ["Layer (type)", "Output Shape", "Param #"]
    assert [r[0] for r in rows] == [
        "conv2d (Conv2D)", "max_pooling2d (MaxPooling2D)", "conv2d_1 (Conv2D)",
        "max_pooling2d_1 (MaxPooling2D)", "flatten (Flatten)", "dropout (Dropout)",
        "dense (Dense)"]
    assert rows[0][1:] == ["(None, 26, 26, 32)", "320"]  # Keras: 32·(3·3·1 + 1)
    assert rows[-1][1:] == ["(None, 10)", "16,010"]  # Keras: 10·(1600 + 1)
    assert "Total params: 34,826" in page.texts[-1]


@pytest.mark.parametrize("name, shown", [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("a&b", "a&amp;b"),
], ids=["tag", "ampersand"])
def test_html_escapes_user_text(name: str, shown: str) -> None:
    text = f'convention keras\ninput (4,)\nDense(2, name="{name}")\n'
    html = symconv.derive(text)._repr_html_()
    assert shown in html and name not in html


def test_solution_presents_its_answer() -> None:
    s = symconv.solve("sizes K\ninput (28, 28, 1)\nConv2D(8, K)", ["K"],
                      [Target("shape", (13, 13, None))])
    assert s.solutions == [{"K": 16}]
    assert s.to_dict()["solutions"] == [{"K": 16}]
    assert json.loads(s.render("json"))["solutions"] == [{"K": 16}]
    assert "K = 16" in repr(s) and "K = 16" in s.render("latex")
    with pytest.raises(ValueError, match="no format 'csv'"):
        s.render("csv")


@pytest.mark.parametrize("function, words", [
    (symconv.derive, "Returns a Derivation"),
    (symconv.solve, "Returns a Solution"),
    (symconv.verify, "Returns a Report"),
], ids=["derive", "solve", "verify"])
def test_help_documents_the_call(function: object, words: str) -> None:
    doc = function.__doc__ or ""
    assert words in doc and "See symconv.api" not in doc
