"""JSON formulas read back (issue 14): `sympy.parse_expr(value,
local_dict=symconv.json_symbols(document))` gives the derived expression for every value, even
for sizes named like sympy's constants and functions or like a Python keyword. (The parse is in
the test: symconv itself never parses text with sympy.)"""

from __future__ import annotations

import json

import pytest
import sympy
from sympy.parsing.sympy_parser import parse_expr

import symconv

NAMES = ["E", "I", "N", "S", "Q", "O", "pi", "oo", "zoo", "nan", "lambda", "beta", "gamma",
         "Symbol", "Integer", "floor", "ceiling", "Mod", "Min", "Max", "Eq", "x"]


def _network(name: str) -> str:
    # a ceil-mode pool (a Min of two floors before it settles), a symbolic channel count, a
    # user-written floor, a size named like the written form of another (name_)
    return f"""network t
convention torch
sizes {name}, W, {name}_
input (3, {name}, W)
Conv2d(3, 4, 3, stride=2, padding=1)
MaxPool2d(2, ceil_mode=True)
Conv2d(4, {name}_, 1)
Flatten()
Linear({name}_*((({name} - 1)//2 + 1)//2)*(((W - 1)//2 + 1)//2), 2)
"""


def _same(read: sympy.Basic, derived: sympy.Basic) -> bool:
    """Equal as functions of the sizes, over the same symbols (assumptions included)."""
    if read.free_symbols != derived.free_symbols:
        return False
    if read == derived:
        return True
    if isinstance(derived, sympy.Expr) and sympy.expand(read - derived) == 0:
        return True
    sizes = sorted(derived.free_symbols, key=str)
    return all(read.xreplace(dict(zip(sizes, point))) == derived.xreplace(dict(zip(sizes, point)))
               for point in [(1, 2, 3), (7, 5, 2), (30, 31, 4), (100, 9, 64)])


@pytest.mark.parametrize("name", NAMES)
def test_every_value_reads_back_as_the_derived_expression(name: str) -> None:
    d = symconv.derive(_network(name))
    doc = json.loads(d.render("json"))
    names = symconv.json_symbols(doc)

    def read(value: int | str) -> sympy.Basic:
        return sympy.Integer(value) if isinstance(value, int) else parse_expr(value, names)

    pairs = [(doc["input"], d.input_shape), (doc["output_shape"], d.output_shape)]
    for data, layer in zip(doc["layers"], d.layers):
        pairs.append((data["output_shape"], layer.output_shape))
        pairs.append(([data["params"]], (layer.params,)))
        pairs += [(shape, w.shape) for shape, w in zip(data["weights"].values(), layer.weights)]
        pairs.append(([r["condition"] for r in data["requires"]],
                      tuple(r.condition for r in layer.requires)))
    pairs.append(([r["condition"] for r in doc["requires"]],
                  tuple(r.condition for r in d.requires)))
    pairs.append(([doc["totals"]["params"]], (d.params,)))
    for values, derived in pairs:
        assert len(values) == len(derived)
        for value, expr in zip(values, derived):
            assert _same(read(value), expr), (name, value, expr)


def test_names_the_parser_cannot_read_are_written_with_an_underscore() -> None:
    d = symconv.derive(_network("lambda"))
    doc = json.loads(d.render("json"))
    assert doc["sizes"] == ["lambda", "W", "lambda_"]  # the sizes keep their names
    assert doc["layers"][0]["output_shape"][1] == "ceiling(lambda__/2)"
    assert doc["layers"][2]["output_shape"][0] == "lambda_"  # the size named lambda_
    names = symconv.json_symbols(doc)
    assert names["lambda__"].name == "lambda" and names["lambda_"].name == "lambda_"


def test_a_float_scaled_extent_reads_back_as_itself() -> None:
    """F.interpolate's extent for a float scale is trunc(L ⊗ s) in doubles, not floor(L·s):
    written as floor(…*0.7) it read back as sympy's exact-ish arithmetic, one less at 34 of
    1,500 points (e.g. L = 21, K = 2, where torch gives 7). Written by name, it reads back
    equal, and evaluates as torch does."""
    torch = pytest.importorskip("torch")
    text = ("convention torch\nsizes L, K\ninput (1, L)\nConv1d(1, 1, K)\nMaxPool1d(2)\n"
            "Upsample(scale_factor=0.7)\n")
    d = symconv.derive(text)
    doc = json.loads(d.render("json"))
    names = symconv.json_symbols(doc)
    read = parse_expr(doc["output_shape"][-1], local_dict=names)
    assert read == d.output_shape[-1]
    net = torch.nn.Sequential(torch.nn.Conv1d(1, 1, 2), torch.nn.MaxPool1d(2),
                              torch.nn.Upsample(scale_factor=0.7))
    for length in range(6, 60):  # from (6 - 1)//2 = 2 samples: 2 ⊗ 0.7 = 1
        want = net(torch.zeros(1, 1, length)).shape[-1]
        assert read.subs({names["L"]: length, names["K"]: 2}) == want, length


def _document(rng, depth: int = 0):  # type: ignore[no-untyped-def]
    """A random JSON value of the kinds symconv writes, and the awkward ones json handles:
    empty containers, non-ASCII and control characters, big integers, floats, booleans."""
    r = rng.random()
    if depth > 3 or r < 0.4:
        return rng.choice([0, -7, 10**40, 2.5, float("inf"), True, False, None, "", "H",
                           "é\u202e", 'q"\\\n', "⌊H/2⌋"])
    if r < 0.7:
        return [_document(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["a", "layers", "é", "k k"]): _document(rng, depth + 1)
            for _ in range(rng.randint(0, 4))}


@pytest.mark.parametrize("seed", range(6), ids=[f"seed{s}" for s in range(6)])
def test_the_writer_is_json_dumps_byte_for_byte(seed: int) -> None:
    """symconv writes JSON with its own indenting writer (json's is pure Python with indent,
    a fifth of a 1,250-block transformer's run): the same bytes as json.dumps(indent=2,
    ensure_ascii=False), top-level lists written an item at a time."""
    import random

    from symconv.render.jsonout import _streamed

    rng = random.Random(seed)
    for _ in range(300):
        doc = {str(i): _document(rng) for i in range(rng.randint(0, 5))}
        doc.update({3: "an int key", None: [], True: {}} if rng.random() < 0.2 else {})
        assert "".join(_streamed(doc)) == json.dumps(doc, indent=2, ensure_ascii=False)



@pytest.mark.parametrize("seed", range(4), ids=[f"seed{s}" for s in range(4)])
def test_values_shared_between_layers_are_written_as_json_dumps_writes_them(seed: int) -> None:
    """The writer writes a list or dict that stands in many layers (a reused layer's shape
    and weights: render/jsonout.py, _Writer.shared) once and repeats its text: the same bytes
    as json.dumps, whatever else the layers hold."""
    import random

    from symconv.render.jsonout import _streamed

    rng = random.Random(seed)
    for _ in range(100):
        pool = [rng.choice([[], {}]) or _document(rng, 2) for _ in range(3)]
        pool = [v if isinstance(v, (list, dict)) else [v] for v in pool]
        layers = [{rng.choice(["name", "weights", "é", "output_shape"]): rng.choice(
            pool + [_document(rng, 2)]) for _ in range(rng.randint(0, 5))}
            for _ in range(rng.randint(1, 6))]
        doc = {"network": None, "layers": layers, "blocks": [{"k": pool[0]}, 3]}
        assert "".join(_streamed(doc, pool)) == json.dumps(doc, indent=2, ensure_ascii=False)


DEEP = ("convention torch\nsizes L, d=64\ninput x: (L, d)\n" + "a = LayerNorm(d)(x)\n"
        "a = MultiheadAttention(d, 4, batch_first=True)(a)\nx = x + a\nm = Linear(d, 4 * d)(x)\n"
        "m = GELU()(m)\nm = Linear(4 * d, d)(m)\nx = x + m\n" * 40)


@pytest.mark.parametrize("name", ["resnet50.arch", "gpt2.arch", "convnext_tiny.arch",
                                  "mobilenetv2_keras.arch", "deep"])
def test_the_json_written_is_the_document_as_json_dumps_writes_it(name: str) -> None:
    """`derive -f json` (its values shared between layers) against the document handed over
    by to_dict (its own lists) written by json.dumps."""
    from pathlib import Path

    from symconv.render.jsonout import render_json, to_dict

    d = symconv.derive(DEEP if name == "deep" else
                       Path(__file__).parent.parent / "examples" / name)
    assert render_json(d) == json.dumps(to_dict(d), indent=2, ensure_ascii=False) + "\n"
