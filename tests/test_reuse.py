"""What a derivation reuses (issue 17) gives what deriving afresh gives. A layer's result on
the same shapes and argument values is reused (symconv/derivation/reuse.py, Applications), and
so are the arguments of a copy of a repeated statement (Memo.copied, chunks.origin); neither may
change a result, a condition's layer or line, a warning or an error. Each case is derived both
ways and compared whole: the JSON, the table, every record's conditions and warnings with their
layer names and positions, or the error as printed."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy

from symconv import api
from symconv.derivation import frames, reuse
from symconv.errors import Source, SymconvError
from symconv.language import chunks
from symconv.layers import REGISTRY, Call

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))
ERRORS = sorted((ROOT / "tests" / "errors").glob("*.arch"))

TF_BLOCK = ("a = LayerNorm(d)(x)\na = MultiheadAttention(d, 4, batch_first=True)(a)\nx = x + a\n"
            "m = LayerNorm(d)(x)\nm = Linear(d, 4 * d)(m)\nm = GELU()(m)\n"
            "m = Linear(4 * d, d)(m)\nx = x + m\n")

# networks written to catch a result reused where it must not be
CASES = {
    # symbolic d: every attention layer requires d mod 4 = 0, each at its own line
    "transformer unrolled, d symbolic":
        "convention torch\nsizes L, d\ninput x: (L, d)\n" + TF_BLOCK * 6,
    "transformer unrolled, d = 64": "convention torch\nsizes L, d=64\ninput x: (L, d)\n"
                                    + TF_BLOCK * 6,
    # the same merge warns at each of its lines: the extents are never equal
    "a warning at every copy": "convention torch\nsizes H\ninput a: (4, H)\ninput b: (4, H + 1)\n"
                               + "c = a + b\n" * 6 + "output c\n",
    # a condition at the argument in_features, in two instances of a block: each instance's name
    "conditions in block instances": "convention torch\nsizes H\ninput x: (H,)\n"
                                     "block Head(f):\n    y = Linear(f, 10)\n"
                                     "    output ReLU()(y)\n"
                                     "a = Head(16)(x)\nb = Head(16)(x)\nc = Head(32)(x)\n"
                                     "output a\n",
    # a layer given as an argument is derived each time, never reused
    "Keras wrappers repeated": "convention keras\nsizes T, d\ninput (T, d)\n"
                               + "Bidirectional(LSTM(8, return_sequences=True))\n" * 4
                               + "TimeDistributed(Dense(d))\n" * 4,
    # the same text reads a tensor's extents, so its copies differ: x.shape[-1] = H, then 4
    "copies that read the tensors": "convention torch\nsizes H\ninput x: (3, H)\n"
                                    + "x = Linear(x.shape[-1], 4)(x)\n" * 4 + "output x\n",
    # a copy takes the other branch: the test reads the tensor (16, then 4, then 8)
    "copies of an if": "convention torch\ninput x: (3, 16)\n"
                       + ("if x.shape[-1] > 4:\n    x = Linear(x.shape[-1], 4)(x)\nelse:\n"
                          "    x = Linear(4, 8)(x)\n") * 4,
    "symbolic and numeric repeats": "convention torch\nsizes L, n, d=64\ninput x: (L, d)\n"
                                    "repeat n:\n" + "".join("    " + line + "\n" for line in
                                                            TF_BLOCK.splitlines())
                                    + "repeat 3:\n    x = ReLU()(x)\n" + TF_BLOCK * 3,
    "a strided chain (nothing to reuse)": "convention torch\nsizes H, W\ninput (8, H, W)\n"
                                          + ("Conv2d(8, 8, 3, stride=2, padding=1)\n"
                                             "MaxPool2d(3, stride=1, padding=1)\n") * 6,
    # a value bound before keeps its own position in every copy; a call over two lines
    "values bound before": "convention torch\nsizes H\ninput x: (4, H, H)\nk = (3, 3)\n"
                           + "x = Conv2d(4, 4, k, padding=1)(x)\n" * 3
                           + "x = Conv2d(4, 4,\n           k)(x)\n" * 3,
    # arguments that look alike and are not: 4 and 4.0, True and 1, a list and a tuple
    "alike arguments": "convention keras\nsizes T\ninput (T, 16)\nDropout(0.5)\nDropout(0.25)\n"
                       "Dense(4, use_bias=True)\nDense(4, use_bias=False)\nPermute((2, 1))\n"
                       "Permute([2, 1])\nReshape((2, -1))\nReshape((2, -1))\n",
}

# an error only a later copy meets (x has lost its last axis): at that copy's line
FAILING = {
    "an error in the second copy": ("convention torch\nsizes H\ninput x: (3, H)\n"
                                   + "x = Linear(x.shape[2], 4)(x).flatten(1)\n" * 4, 5),
    "a condition false at a copy": ("convention torch\nsizes H\ninput x: (3, 8)\n"
                                    + "x = Linear(8, 8)(x)\n" * 3 + "x = x.flatten(1)\n"
                                    + "x = Linear(8, 8)(x)\n" * 2, 8),
}


def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Derive as before issue 17's reuse: every layer and every argument computed again."""
    monkeypatch.setattr(frames, "key", lambda *args: None)
    monkeypatch.setattr(chunks, "origin", lambda node: None)


def outcome(text: str, path: str = "case.arch") -> object:
    try:
        d = api.derive_source(Source(text, path))
    except SymconvError as err:
        return ("error", err.render(), err.to_dict())
    records = [(r.name, r.type, r.span, r.output_shape, r.weights,
                [(q.condition, q.reason, q.layer, q.span, q.spoken) for q in r.requires],
                [(w.message, w.layer, w.span) for w in r.warnings]) for r in d.layers]
    return (d.render("json"), d.render("table"), records)


def both(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    monkeypatch.setattr(chunks, "MOST_DISTINCT", 1.0)  # copies for every repeated statement
    reused = outcome(text)
    with monkeypatch.context() as m:
        fresh(m)
        again = outcome(text)
    return reused, again


@pytest.mark.parametrize("name", CASES)
def test_cases_derive_as_afresh(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    reused, again = both(CASES[name], monkeypatch)
    assert reused[0] != "error", reused  # type: ignore[index]
    assert reused == again


@pytest.mark.parametrize("name", FAILING)
def test_errors_at_the_copy_that_fails(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text, line = FAILING[name]
    reused, again = both(text, monkeypatch)
    assert reused == again
    assert reused[0] == "error" and reused[2]["line"] == line  # type: ignore[index]


@pytest.mark.parametrize("path", EXAMPLES + ERRORS, ids=lambda p: p.name)
def test_examples_and_error_cases_derive_as_afresh(path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    reused, again = both(path.read_text(encoding="utf-8"), monkeypatch)
    assert reused == again


def test_warnings_and_conditions_name_each_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reused results are said again with the copy's own layer name and line (checked by hand
    here, not only against the fresh derivation)."""
    reused, _ = both(CASES["a warning at every copy"], monkeypatch)
    records = reused[2]  # type: ignore[index]
    assert [r[0] for r in records] == ["add", "add_1", "add_2", "add_3", "add_4", "add_5"]
    for k, record in enumerate(records):
        (message, layer, span), = record[6]
        assert layer == record[0] and span.line == 5 + k
        assert message.startswith(f"add '{record[0]}': ")
        assert [q[2] for q in record[5]] == [record[0]] * len(record[5])
    reused, _ = both(CASES["conditions in block instances"], monkeypatch)
    linear = [r for r in reused[2] if r[1] == "Linear"]  # type: ignore[index]
    assert [r[0] for r in linear] == ["0.0", "1.0", "2.0"]  # torch numbers the instances
    for record, features in zip(linear, (16, 16, 32)):
        (condition, _, layer, span, _), = record[5]
        assert layer == record[0] and (span.line, span.column) == (5, 16)  # at `f`
        assert condition == sympy.Eq(features, sympy.Symbol("H", integer=True, positive=True))


def test_a_result_made_from_earlier_conditions_is_not_reused_without_them() -> None:
    """The merge of (H - 2) and (W) reads whether H - 2 ≥ 1 is known from an earlier layer
    (Call.known): its result differs with the answer, and a reused one must too."""
    H, W = sympy.symbols("H W", integer=True, positive=True)
    spec = REGISTRY["torch"]["add"]
    shapes = ((4, H - 2), (4, W))
    shapes = tuple(tuple(sympy.Integer(e) if isinstance(e, int) else e for e in s) for s in shapes)
    from symconv.errors import Span

    def derive(known: frozenset, applied: reuse.Applications | None) -> object:
        call = Call(spec, "add", shapes, {}, Span(1, 1), None, known)
        out = frames.bounded_output(spec, call, applied, {})
        return out.shape, [r.condition for r in call.requires]

    without = derive(frozenset(), None)
    probe = Call(spec, "add", shapes, {}, Span(1, 1))
    spec.fn(probe)
    asked = [c for c, _ in probe.asked]
    assert asked, "the merge asks about earlier conditions"
    with_known = derive(frozenset(asked), None)
    assert without != with_known
    applied = reuse.Applications()
    assert derive(frozenset(), applied) == without
    assert derive(frozenset(asked), applied) == with_known
    assert derive(frozenset(), applied) == without
