"""The language of issue 16: lists, attributes and subscripts, tensor extents (`x.shape[i]`),
values bound by assignment with max/min, tensor methods, and several results unpacked.
Expected extents come from real torch and Keras tensors; expected counts from hand arithmetic
written in each row."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sympy

import symconv
from symconv.errors import SymconvError
from symconv.language import ir
from symconv.language.parse import parse
from symconv.layers.base import REGISTRY, LayerOutput, Param, Several, register
from symconv.maths.symbols import BATCH
from symconv.errors import Source

from test_errors import run


def derive(text: str, subs: dict[str, int] | None = None) -> symconv.Derivation:
    return symconv.derive(text, subs)


def error(text: str) -> SymconvError:
    with pytest.raises(SymconvError) as info:
        symconv.derive(text)
    return info.value


# -- a several-result function registered for these tests only ------------------------------
def _chunk(call):  # type: ignore[no-untyped-def]
    """torch.chunk(x, chunks, dim) where chunks divides the extent (enough for these tests)."""
    chunks, dim = int(call.integer("chunks")), int(call.raw("dim"))
    rank = len(call.input) + 1  # torch counts the batch axis
    axis = (dim % rank) - 1
    part = sympy.floor(call.input[axis] / chunks)
    shape = call.input[:axis] + (part,) + call.input[axis + 1:]
    return LayerOutput(shape, outputs=Several(tuple(shape for _ in range(chunks))))


def _pair(call):  # type: ignore[no-untyped-def]
    """A test function giving (x, (x, x)), nested as torch's LSTM gives (out, (h, c))."""
    return LayerOutput(call.input, outputs=Several((call.input, Several((call.input,) * 2))))


@pytest.fixture
def several() -> Iterator[None]:
    """`chunk` (the registry's own when helper specs are merged) and `pair`, removed after."""
    saved = {k: REGISTRY["torch"].get(k) for k in ("chunk", "pair")}
    if saved["chunk"] is None:
        register("torch", "chunk", (Param("chunks"), Param("dim", sympy.Integer(0))), _chunk,
                 "test", "functional", common=(), arity=(1, 1))
    register("torch", "pair", (), _pair, "test", "functional", common=(), arity=(1, 1))
    yield
    for k, v in saved.items():
        if v is None:
            REGISTRY["torch"].pop(k, None)
        else:
            REGISTRY["torch"][k] = v


# -- parsing -------------------------------------------------------------------------------
@pytest.mark.parametrize("text, kind", [
    ("a = [1, 2, [3]]", ir.List),
    ("a = []", ir.List),
    ("a = x.shape", ir.Attribute),
    ("a = x.shape[-1]", ir.Subscript),
    ("a = x.view(2, -1)", ir.CallExpr),
    ("a = max(1, c // 4)", ir.CallExpr),
    ("a = [1,\n     2]", ir.List),  # a bracket continues the line, as a parenthesis does
], ids=["list", "empty-list", "attribute", "subscript", "method", "max", "multiline"])
def test_parses(text: str, kind: type) -> None:
    (statement,) = parse(Source(text + "\n")).body
    assert isinstance(statement, ir.Assign) and isinstance(statement.value, kind)


def test_several_targets_parse_nested() -> None:
    (statement,) = parse(Source("out, (h, c) = f(x)\n")).body
    assert isinstance(statement.target, ir.Targets)
    first, rest = statement.target.items
    assert isinstance(first, ir.Name) and isinstance(rest, ir.Targets)
    assert [n.id for n in rest.items] == ["h", "c"]  # type: ignore[union-attr]


def test_assigning_to_an_expression_is_a_syntax_error() -> None:
    with pytest.raises(SymconvError) as info:
        parse(Source("a, f(x) = g(x)\n"))
    assert info.value.code == "SC100" and "cannot assign" in info.value.message
    assert (info.value.span.line, info.value.span.column) == (1, 4)


# -- x.shape[i], against real torch and Keras tensors ---------------------------------------
TORCH_INDICES = [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4]


@pytest.mark.parametrize("i", TORCH_INDICES)
def test_torch_extent(i: int) -> None:
    torch = pytest.importorskip("torch")
    shape = torch.zeros(2, 3, 5, 7).shape  # batch 2 stands for symconv's BATCH
    text = f"convention torch\ninput x: (3, 5, 7)\nc = x.shape[{i}]\nLinear(7, c)\n"
    try:
        want = shape[i]
    except IndexError as err:
        e = error(text)
        assert (e.code, e.message) == ("SC104", str(err))  # "tuple index out of range"
        assert (e.span.line, e.span.column) == (3, 13 if i >= 0 else 13)
        return
    if want == 2:  # the batch: only view/reshape/expand take it
        e = error(text)
        assert e.code == "SC104" and "batch axis's extent" in e.message
        return
    d = derive(text)
    assert d.layers[0].output_shape == (3, 5, want)


@pytest.mark.parametrize("i", [-4, -3, -2, -1, 0, 1, 2, 3])
def test_keras_extent(i: int) -> None:
    keras = pytest.importorskip("keras")
    shape = keras.Input(shape=(5, 7, 3)).shape
    text = f"input x: (5, 7, 3)\nc = x.shape[{i}]\nDense(c)\n"
    try:
        want = shape[i]
    except IndexError as err:
        e = error(text)
        assert (e.code, e.message) == ("SC104", str(err))
        return
    if want is None:  # Keras's batch axis
        e = error(text)
        assert e.code == "SC104" and "not None" in e.message
        return
    assert derive(text).layers[0].output_shape == (5, 7, want)


def test_free_sizes_flow_through_extents() -> None:
    d = derive("convention torch\nsizes C\ninput x: (C, 8)\nc = x.shape[1] * x.shape[-1]\n"
               "Flatten()\nLinear(c, 10)\n")
    c = d.symbol("C")
    assert sympy.expand(d.layers[1].params - 10 * (8 * c + 1)) == 0  # (8C + 1 bias) · 10


# -- values bound by assignment, max and min -----------------------------------------------
@pytest.mark.parametrize("c", [1, 3, 4, 7, 16, 33])
def test_max_min_at_sizes(c: int) -> None:
    text = ("convention torch\nsizes C\ninput x: (C,)\nhidden = max(1, C // 4)\n"
            "low = min(hidden, 3, C)\nLinear(C, hidden)\nLinear(hidden, low)\n")
    d = derive(text, {"C": c})
    hidden, low = max(1, c // 4), min(max(1, c // 4), 3, c)
    assert [r.output_shape for r in d.layers] == [(hidden,), (low,)]
    assert d.params == (c + 1) * hidden + (hidden + 1) * low


def test_max_prints_as_written_and_survives_subs_solve_explain(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "net.arch"
    path.write_text("convention torch\nsizes C\ninput (C,)\nLinear(C, max(1, C // 4))\n")
    code, out, err = run(["derive", str(path)])
    assert code == 0 and "max(1, ⌊C/4⌋)" in out and "Max" not in out, err
    code, out, _ = run(["derive", str(path), "--subs", "C=12"])
    assert code == 0 and " Total params: 39 " in out  # (12 + 1)·3
    code, out, _ = run(["solve", str(path), "--for", "C", "--params", "39"])
    assert code == 0 and "C = 12" in out
    code, out, _ = run(["explain", str(path), "--layer", "0"])
    assert code == 0 and "max(1, ⌊C/4⌋)" in out


def test_a_size_used_only_through_max_gets_a_domain() -> None:
    d = derive("convention torch\nsizes K\ninput (8,)\nLinear(8, max(1, K // 4))\n")
    assert d.domain("K").least == 0  # Linear(8, 1) at K = 0, as torch takes it
    assert derive("convention torch\nsizes K\ninput (8,)\nLinear(8, min(K, 4))\n"
                  ).domain("K").least == 1  # min(0, 4) = 0 features: not ≥ 1


def test_values_in_repeat_follow_the_tensor() -> None:
    """The memo must not reuse `x.shape[-1] // 2` computed for an earlier tensor."""
    text = ("convention torch\ninput x: (64,)\nrepeat 3:\n    c = x.shape[-1] // 2\n"
            "    x = Linear(x.shape[-1], c)(x)\n")
    d = derive(text)
    assert [r.output_shape for r in d.layers] == [(32,), (16,), (8,)]
    assert d.params == 65 * 32 + 33 * 16 + 17 * 8


def test_a_value_rebound_in_repeat() -> None:
    text = "convention torch\ninput (1,)\nc = 1\nrepeat 3:\n    c = c * 2\n    Linear(c // 2, c)\n"
    d = derive(text)
    assert [r.output_shape for r in d.layers] == [(2,), (4,), (8,)]


@pytest.mark.parametrize("text, code, where", [
    ("input x: (3,)\nx = 3\n", "SC107", (2, 1)),
    ("sizes H\ninput x: (H,)\nH = 3\n", "SC107", (3, 1)),
    ("input x: (3,)\nc = 3\nc = Dense(4)(x)\n", "SC107", (3, 1)),
    ("input x: (3,)\nc = 3\nDense(4)(c)\n", "SC104", (3, 10)),
    ("input x: (3,)\nc = x + 1\n", "SC104", (2, 9)),
    ("input x: (3,)\nc = x.size\n", "SC104", (2, 7)),
    ("input x: (3,)\nc = x[0]\n", "SC104", (2, 5)),
    ("sizes H\ninput x: (H,)\nc = x.shape[H - 1]\n", "SC104", (3, 13)),
    ("input x: (3,)\nc = max()\n", "SC105", (2, 5)),
    ("input x: (3,)\nc = min(1)\n", "SC104", (2, 9)),  # Python: 'int' object is not iterable
    ("input x: (3,)\nc = x.shape[-1]\ny = c(x)\n", "SC104", (3, 5)),
    ("input x: (3,)\nc = (1,)[1]\n", "SC104", (2, 10)),
], ids=["tensor-as-value", "size", "value-as-tensor", "value-applied", "tensor-arith",
        "no-attribute", "tensor-index", "bad-index-type", "empty-max", "min-of-one",
        "value-called", "tuple-index"])
def test_value_errors(text: str, code: str, where: tuple[int, int]) -> None:
    e = error(text)
    assert e.code == code and (e.span.line, e.span.column) == where, e


# -- lists ---------------------------------------------------------------------------------
def test_list_reaches_the_layer_and_the_framework() -> None:
    d = derive("input (4, 5, 6)\nPermute([2, 1, 3])\n")
    assert d.layers[0].output_shape == (5, 4, 6)
    (arg,) = [v for k, v in d.layers[0].call.args if k == "dims"]  # type: ignore[union-attr]
    from symconv.frameworks.values import plain

    assert plain(arg, lambda c: c) == [2, 1, 3]


@pytest.mark.parametrize("text, against", [
    ("input (4, 5, 6)\nPermute([2, 1, 3])\nReshape([-1, 6])\n", "keras"),
    ("convention torch\ninput (8, 6)\nUnflatten(1, [2, 4])\n", "torch"),
    ("convention torch\ninput x: (4, 6)\ny = x.add(x)\nz = cat([x, y], 1)\n", "torch"),
], ids=["keras-permute-reshape", "torch-unflatten", "torch-method-and-list-cat"])
def test_verify_hands_lists_and_methods_on(text: str, against: str) -> None:
    pytest.importorskip(against)
    report = symconv.verify(text, samples=1, outside=False)
    assert report.ok, report


def test_emit_writes_lists_and_methods() -> None:
    pytest.importorskip("torch")
    from symconv.frameworks.emit import emit_source

    code = emit_source(Source("convention torch\ninput x: (8, 6)\ny = x.add(x)\n"
                              "Unflatten(1, [2, 4])\n"), None, {}, 0)
    assert "x0 = inputs.add(inputs)" in code.replace("x_", "inputs") or ".add(" in code
    assert "nn.Unflatten(1, [2, 4])" in code


# -- methods and several results -------------------------------------------------------------
def test_method_calls_the_function_with_the_tensor_first() -> None:
    d = derive("convention torch\ninput x: (4, 6)\ny = x.add(x)\nz = y.mul(x)\n")
    assert [r.type for r in d.layers] == ["add", "mul"]
    assert d.layers[1].sources == (0, "x") and d.layers[1].call.method  # type: ignore[union-attr]


def test_unknown_method_has_a_hint() -> None:
    e = error("convention torch\ninput x: (4, 6)\ny = x.muls(x)\n")
    assert e.code == "SC101" and (e.span.line, e.span.column) == (3, 7)
    assert e.hint == "did you mean 'mul'?"


def test_unpacking_and_indexing(several: None) -> None:
    text = ("convention torch\ninput x: (4, 6)\nq, k, v = x.chunk(3, dim=-1)\n"
            "o, (h, c) = q.pair()\ny = cat((k, v, h), 1)\nw = x.chunk(2, -1)[1]\n")
    d = derive(text)
    chunk, pair, cat, last = d.layers
    assert chunk.outputs == ((4, 2),) * 3 and pair.outputs == ((4, 2),) * 3
    assert cat.sources == ((0, 1), (0, 2), (1, 1)) and cat.output_shape == (12, 2)
    assert last.output_shape == (4, 3)
    table = d.render("table")
    assert "[(N, 4, 2), (N, 4, 2), (N, 4, 2)]" in table
    layer = d.to_dict()["layers"][0]  # type: ignore[index]
    assert layer["outputs"] == [[4, 2]] * 3 and "outputs" not in d.to_dict()["layers"][2]  # type: ignore[index]


def test_a_layer_chain_takes_the_first_result(several: None) -> None:
    d = derive("convention torch\ninput x: (4, 6)\nx.chunk(2, -1)\nLinear(3, 5)\n")
    assert d.layers[1].sources == (0,) and d.layers[1].output_shape == (4, 5)


@pytest.mark.parametrize("text, message, where", [
    ("a, b = x.chunk(3, -1)", "too many values to unpack (expected 2, got 3)", (3, 8)),
    ("a, b, c, d = x.chunk(3, -1)", "not enough values to unpack (expected 4, got 3)", (3, 14)),
    ("a, (b, c) = x.chunk(2, -1)", "cannot unpack one tensor", (3, 4)),
    ("a, b = x.add(x)", "cannot unpack one tensor", (3, 8)),
    ("o = x.chunk(2, -1)\ny = Linear(3, 2)(o)", "'o' holds 2 results where one tensor is needed",
     (4, 18)),
    ("y = x.chunk(2, -1).add(x)", "this gives 2 results where one tensor is needed", (3, 5)),
], ids=["too-many", "not-enough", "nested-one", "one-tensor", "named-several", "method-on-several"])
def test_several_errors(several: None, text: str, message: str,
                        where: tuple[int, int]) -> None:
    e = error(f"convention torch\ninput x: (4, 6)\n{text}\n")
    assert e.code == "SC111" and e.message == message
    assert (e.span.line, e.span.column) == where


def test_unpacking_values() -> None:
    d = derive("convention torch\ninput x: (3, 5, 7)\n_, c, h, w = x.shape\nLinear(7, c * h)\n")
    assert d.layers[0].output_shape == (3, 5, 15)


def test_verify_compares_every_output(several: None) -> None:
    pytest.importorskip("torch")
    text = "convention torch\ninput x: (4, 6)\na, b = x.chunk(2, dim=-1)\ny = cat((b, a), 1)\n"
    report = symconv.verify(text, samples=1, outside=False)
    assert report.ok, report


def test_batch_symbol_is_refused_by_whole_number_arguments() -> None:
    e = error("convention torch\ninput x: (3, 8)\nLinear(8, x.shape[0] * 2)\n")
    assert e.code == "SC104" and "only view/reshape/expand take x.shape[0]" in e.message
    assert BATCH.name == "(batch)"


def _split(call):  # type: ignore[no-untyped-def]
    """keras.ops.split(x, sections, axis) into equal sections (enough for this test)."""
    sections, axis = int(call.integer("indices_or_sections")), int(call.raw("axis"))
    at = axis % (len(call.input) + 1) - 1  # Keras counts the batch axis
    shape = call.input[:at] + (sympy.floor(call.input[at] / sections),) + call.input[at + 1:]
    return LayerOutput(shape, outputs=Several((shape,) * sections))


def test_keras_several_results_are_verified() -> None:
    pytest.importorskip("keras")
    saved = REGISTRY["keras"].get("split")
    if saved is None:
        register("keras", "split", (Param("indices_or_sections"), Param("axis", sympy.Integer(0))),
                 _split, "test", "functional", common=(), arity=(1, 1))
    try:
        text = "input x: (4, 6)\na, b = x.split(2, axis=-1)\ny = Dense(5)(b)\nc = x.shape[-1]\n"
        d = derive(text)
        assert d.layers[0].outputs == ((4, 3), (4, 3)) and d.layers[1].sources == ((0, 1),)
        report = symconv.verify(text, samples=1, outside=False)
        assert report.ok, report
    finally:
        if saved is None:
            REGISTRY["keras"].pop("split", None)


@pytest.mark.parametrize("text", [
    "input x: (3,)\nc = " + "+".join(["1"] * 300) + "\n",
    "convention torch\ninput x: (3,)\ny = x.select(" + "+".join(["1"] * 300) + ", 0)\n",
], ids=["value", "method-argument"])
def test_deep_values_are_refused_where_written(text: str) -> None:
    e = error(text)
    assert e.code == "SC110" and "nested more than 200 deep" in e.message and e.span is not None


def test_block_arguments_from_extents_in_repeat() -> None:
    """A block argument read from a tensor that changes each time round is not memoised."""
    text = ("convention torch\nblock Proj(out):\n    input x\n    c = x.shape[-1]\n"
            "    if c == out:\n        Identity()\n    else:\n        Linear(c, out)(x)\n"
            "input x: (4, 8)\nrepeat 3:\n    x = Proj(x.shape[-1] * 2)(x)\nProj(64)\n")
    d = derive(text)
    assert [r.type for r in d.layers] == ["Linear"] * 3 + ["Identity"]
    assert d.params == 9 * 16 + 17 * 32 + 33 * 64  # (in + 1)·out per Linear


def test_layer_arguments_from_extents_in_repeat() -> None:
    text = ("convention torch\ninput x: (4,)\nrepeat 3:\n"
            "    x = Linear(x.shape[-1], x.shape[-1] * 2)(x)\n")
    d = derive(text)
    assert [r.output_shape for r in d.layers] == [(8,), (16,), (32,)]


def test_keras_merge_takes_a_list_of_tensors() -> None:
    d = derive("input x: (4, 6)\ny = Dense(6)(x)\nz = Concatenate()([x, y])\nAdd()([z, z])\n")
    assert [r.sources for r in d.layers[1:]] == [("x", 0), (1, 1)]
    assert d.layers[-1].output_shape == (4, 12)
