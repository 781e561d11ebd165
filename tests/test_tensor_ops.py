"""The tensor operations (symconv/layers/torch_ops.py, keras_ops.py) against real PyTorch and
Keras: each row is one call on inputs with symbolic extents. At every sample of the sizes,
symconv's substituted result (all its pieces, for chunk and split) must equal the shape the real
op gives on zeros (batch 5), its recorded conditions must hold exactly where the framework takes
the call, and where the framework raises symconv must refuse, for the same reason: the row's
`reason` is a phrase of both messages. Rows marked `narrower` are ones where symconv refuses
more than the framework, on purpose (said in the row); rows with `batch` are refused because the
result would move or merge the batch axis, which the framework does and symconv cannot show.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field

os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest
import sympy

from symconv.errors import Span, SymconvError
from symconv.language.values import Arg
from symconv.layers import REGISTRY
from symconv.layers.base import Call, LayerOutput
from symconv.maths import symbols

H, C = symbols.size("H"), symbols.size("C")
B = symbols.BATCH
BATCH = 5
VALUES = (1, 2, 3, 4, 6)
KEEPS = "keeps the batch axis apart"


@dataclass(frozen=True)
class Row:
    id: str
    convention: str
    op: str
    shapes: tuple[tuple[object, ...], ...]
    args: tuple[object, ...] = ()
    kwargs: dict[str, object] = field(default_factory=dict)
    batched: tuple[bool, ...] | None = None
    reason: str | None = None  # a phrase of both refusals; None: the framework takes it
    narrower: bool = False  # symconv may refuse (a condition) where the framework does not
    batch: bool = False  # refused by symconv: the batch would move or merge


T, K = "torch", "keras"
P = (False,)  # one free parameter
ROWS = [
    # view / reshape
    Row("view_batch_first", T, "view", ((H, 3 * C),), (B, -1)),
    Row("view_minus_one_batch", T, "view", ((H, C),), (-1, H * C)),
    Row("view_split_axis", T, "view", ((H, 3 * C),), (B, H, 3, C)),
    Row("view_tuple", T, "view", ((H, 3 * C),), ((B, H, -1, C),)),
    Row("reshape_infer_divides", T, "reshape", ((H, C),), (B, -1, 2)),
    Row("view_invalid_size", T, "view", ((2, 5),), (B, 3), reason="is invalid for input of size"),
    Row("view_two_minus_one", T, "view", ((2, 5),), (B, -1, -1),
        reason="only one dimension can be inferred"),
    Row("view_minus_two", T, "view", ((2, 5),), (B, -2, 5), reason="invalid shape dimension -2"),
    Row("view_merges_batch", T, "view", ((H, C),), (-1, C), batch=True),
    Row("view_minus_one_numbers", T, "view", ((2, 5),), (-1, 3, 3), batch=True),
    # torch merges the batch in where 12 divides 5·H·C and raises elsewhere: symconv records
    # H·C = 12, where the -1 is the batch
    Row("view_minus_one_condition", T, "view", ((H, C),), (-1, 12), narrower=True),
    Row("view_number_first", T, "view", ((2, 3),), (2 * BATCH, 3), batch=True),
    Row("reshape_parameter", T, "reshape", ((1, H, C),), (H, C), batched=P),
    Row("reshape_parameter_invalid", T, "reshape", ((2, 5),), (3, 3), batched=P,
        reason="is invalid for input of size"),
    # permute / transpose
    Row("permute", T, "permute", ((H, C, 3),), (0, 3, 1, 2)),
    Row("permute_tuple", T, "permute", ((H, C, 3),), ((0, -1, 1, 2),)),
    Row("permute_short", T, "permute", ((H, C),), (0, 1), reason="dims"),
    Row("permute_duplicate", T, "permute", ((H, C),), (0, 1, 1), reason="duplicate dims"),
    Row("permute_out_of_range", T, "permute", ((H, C),), (0, 1, 3),
        reason="dimension out of range"),
    Row("permute_moves_batch", T, "permute", ((H, C),), (1, 0, 2), batch=True),
    Row("transpose", T, "transpose", ((H, C, 3),), (1, -1)),
    Row("transpose_batch", T, "transpose", ((H, C),), (0, 1), batch=True),
    Row("transpose_parameter", T, "transpose", ((H, C),), (0, 1), batched=P),
    # flatten (start_dim defaults to 0)
    Row("flatten_from_1", T, "flatten", ((H, C, 3),), (1,)),
    Row("flatten_middle", T, "flatten", ((H, C, 3),), (2, 3)),
    Row("flatten_default", T, "flatten", ((H, C),), batch=True),
    Row("flatten_parameter", T, "flatten", ((H, C),), batched=P),
    Row("flatten_backwards", T, "flatten", ((H, C, 3),), (3, 2),
        reason="start_dim cannot come after end_dim"),
    # unsqueeze / squeeze
    Row("unsqueeze_last", T, "unsqueeze", ((H, C),), (-1,)),
    Row("unsqueeze_middle", T, "unsqueeze", ((H, C),), (1,)),
    Row("unsqueeze_out_of_range", T, "unsqueeze", ((H, C),), (4,),
        reason="dimension out of range"),
    Row("squeeze_one", T, "squeeze", ((H, 1),), (-1,)),
    Row("squeeze_tuple", T, "squeeze", ((1, H, 1),), ((1, 3),)),
    # torch keeps an axis that is not 1; symconv records "= 1" (the rank would depend on H)
    Row("squeeze_size", T, "squeeze", ((H, C),), (-1,), narrower=True),
    Row("squeeze_number", T, "squeeze", ((H, 3),), (-1,)),
    Row("squeeze_no_dim", T, "squeeze", ((H, 1),), batch=True),
    Row("squeeze_parameter", T, "squeeze", ((1, H, 1),), batched=P, narrower=True),
    # expand
    Row("expand_keep_and_grow", T, "expand", ((H, 1),), (B, -1, C)),
    Row("expand_class_token", T, "expand", ((1, 1, C),), (B, -1, -1), batched=P),
    Row("expand_parameter_new_axis", T, "expand", ((1, C),), (3, H, -1), batched=P),
    Row("expand_mismatch", T, "expand", ((H, 3),), (B, -1, 4),
        reason="must match the existing size"),
    Row("expand_symbolic", T, "expand", ((H, C),), (B, -1, 4),
        reason="must match the existing size"),
    Row("expand_too_few", T, "expand", ((H, C),), (B, -1), reason="number of sizes provided"),
    Row("expand_leading_minus_one", T, "expand", ((1, C),), (-1, -1, -1), batched=P,
        reason="leading, non-existing dimension"),
    # chunk / split
    Row("chunk_qkv", T, "chunk", ((H, 3 * C),), (3, -1)),
    # torch gives fewer pieces where ⌈C/3⌉·2 ≥ C (C = 1, 2, 4): symconv records a condition
    Row("chunk_symbolic", T, "chunk", ((H, C),), (3, 2), narrower=True),
    Row("chunk_fewer", T, "chunk", ((6,),), (4, 1)),
    Row("chunk_last_smaller", T, "chunk", ((10,),), (4, -1)),
    Row("chunk_zero", T, "chunk", ((H, 5),), (0, -1), reason="chunks"),
    Row("chunk_batch", T, "chunk", ((H,),), (2, 0), batch=True),
    Row("split_size", T, "split", ((H, 10),), (3, -1)),
    Row("split_symbolic_size", T, "split", ((H, 2 * C),), (C, -1)),
    Row("split_sizes", T, "split", ((H, C + 3),), ((C, 3), 2)),
    Row("split_sizes_bad", T, "split", ((H, 10),), ((3, 4), -1),
        reason="split_sizes to sum exactly"),
    Row("split_zero", T, "split", ((H, 10),), (0, -1), reason="split_size can only be 0"),
    Row("contiguous", T, "contiguous", ((H, C, 3),)),
    # matmul
    Row("matmul_batched", T, "matmul", ((H, C), (C, 4))),
    Row("matmul_weight", T, "matmul", ((H, C), (C, 4)), batched=(True, False)),
    Row("matmul_vector", T, "matmul", ((H, C), (C,)), batched=(True, False)),
    Row("matmul_vector_left", T, "matmul", ((C,), (H, C, 4)), batched=(False, True)),
    Row("matmul_broadcast", T, "matmul", ((3, H, C), (1, C, 4)), batched=(True, False)),
    Row("matmul_mismatch", T, "matmul", ((H, 3), (4, 2)), batched=(True, False),
        reason="cannot be multiplied"),
    Row("matmul_symbolic", T, "matmul", ((H, C), (3, 2)), batched=(True, False),
        reason="cannot be multiplied"),
    Row("matmul_against_batch", T, "matmul", ((H, C), (3, C, 4)), batched=(True, False),
        batch=True),
    Row("matmul_parameters", T, "matmul", ((H, C), (C,)), batched=(False, False)),
    Row("matmul_scalar", T, "matmul", ((), (C,)), batched=(False, False),
        reason="at least 1d"),
    # softmax, attention
    # select / x[i] (dim 0 of a tensor torch's RNN gives with its batch second: tests
    # test_issue16_layers.py::test_final_states_are_used_as_torch_counts_their_dims)
    Row("select_last", T, "select", ((H, C),), (1, -1)),
    Row("select_middle", T, "select", ((H, C, 3),), (2, 1)),
    Row("select_negative_dim", T, "select", ((H, C),), (-1, 2)),
    Row("select_out_of_range", T, "select", ((H, 3),), (2, 3), reason="out of range"),
    Row("select_negative_out_of_range", T, "select", ((H, 3),), (-1, -4), reason="out of range"),
    Row("select_empty_axis", T, "select", ((0, 3),), (1, 0), reason="out of range"),
    Row("select_batch", T, "select", ((H, C),), (0, 0), batch=True),
    Row("select_parameter", T, "select", ((H, C),), (0, -1), batched=P),
    # mean (torchvision's mnasnet and shufflenet_v2 end in x.mean([2, 3]))
    Row("mean_spatial", T, "mean", ((C, H, 3),), ((2, 3),)),
    Row("mean_keepdim", T, "mean", ((C, H, 3),), ((2, 3),), {"keepdim": True}),
    Row("mean_keepdim_positional", T, "mean", ((C, H),), ((-1,), True)),
    Row("mean_one_dim", T, "mean", ((C, H, 3),), (1,)),
    Row("mean_negative_dims", T, "mean", ((C, H, 3),), ((-2, -1),)),
    Row("mean_unordered_dims", T, "mean", ((C, H, 3),), ((3, 1),)),
    Row("mean_empty_axis", T, "mean", ((0, 3),), (1,)),
    Row("mean_repeated_dim", T, "mean", ((C, H),), ((1, 1),),
        reason="appears multiple times in the list of dims"),
    Row("mean_repeated_negative_dim", T, "mean", ((C, H, 3),), ((2, -2),),
        reason="dim 2 appears multiple times"),
    Row("mean_out_of_range", T, "mean", ((C, H),), (3,), reason="dimension out of range"),
    Row("mean_negative_out_of_range", T, "mean", ((C, H),), ((1, -4),),
        reason="dimension out of range"),
    Row("mean_batch", T, "mean", ((C, H),), (0,), batch=True),
    Row("mean_batch_keepdim", T, "mean", ((C, H),), ((0, 2),), {"keepdim": True}, batch=True),
    Row("mean_every_axis", T, "mean", ((C, H),), batch=True),
    Row("mean_empty_list", T, "mean", ((C, H),), ((),), batch=True),
    Row("mean_parameter_dim_0", T, "mean", ((H, C),), (0,), batched=P),
    Row("mean_parameter_every_axis", T, "mean", ((H, C),), batched=P),
    Row("mean_parameter_empty_list", T, "mean", ((H, C),), ((),), {"keepdim": True},
        batched=P),
    Row("mean_parameter_scalar", T, "mean", ((),), (-1,), batched=P),
    Row("softmax", T, "softmax", ((H, C),), (-1,)),
    Row("softmax_out_of_range", T, "softmax", ((H, C),), (3,), reason="dimension out of range"),
    Row("attention", T, "scaled_dot_product_attention", ((4, H, 8), (4, C, 8), (4, C, 5))),
    Row("attention_heads_broadcast", T, "scaled_dot_product_attention",
        ((3, H, 8), (1, C, 8), (1, C, 5))),
    Row("attention_causal", T, "scaled_dot_product_attention", ((H, 8), (H, 8), (H, C)),
        kwargs={"is_causal": True}),
    # keras.ops
    Row("k_reshape", K, "reshape", ((H, 3 * C),), ((-1, H, 3, C),)),
    Row("k_reshape_flat", K, "reshape", ((H, C),), ((-1, H * C),)),
    Row("k_reshape_merges_batch", K, "reshape", ((H, C),), ((-1, C),), batch=True),
    # Keras's x.shape[0] is None: its symbolic pass takes it, the backend does not
    Row("k_reshape_none", K, "reshape", ((3, 4),), ((None, 12),), reason="none"),
    Row("k_reshape_parameter", K, "reshape", ((2, 6),), ((3, -1),), batched=P),
    Row("k_reshape_parameter_bad", K, "reshape", ((2, 6),), ((5, 2),), batched=P,
        reason="is invalid for input of size"),
    Row("k_transpose", K, "transpose", ((H, C, 3),), ((0, 3, 1, 2),)),
    Row("k_transpose_short", K, "transpose", ((H, C),), ((0, 1),),
        reason="same length as the input shape"),
    Row("k_transpose_duplicate", K, "transpose", ((H, C),), ((0, 1, 1),),
        reason="valid permutation"),
    Row("k_transpose_reversed", K, "transpose", ((H, C),), batch=True),
    Row("k_expand_dims", K, "expand_dims", ((H, C),), (-1,)),
    Row("k_expand_dims_tuple", K, "expand_dims", ((H, C),), ((1, 3),)),
    Row("k_squeeze", K, "squeeze", ((H, 1),), (-1,)),
    # Keras raises where the extent is not 1: symconv's "= 1" condition says the same
    Row("k_squeeze_size", K, "squeeze", ((H, C),), (-1,)),
    Row("k_squeeze_number", K, "squeeze", ((H, 3),), (-1,), reason="squeeze axis"),
    Row("k_squeeze_none", K, "squeeze", ((H, 1),), batch=True),
    Row("k_split_sections", K, "split", ((H, 3 * C),), (3, -1)),
    Row("k_split_symbolic", K, "split", ((H, C),), (2, -1)),
    Row("k_split_indices", K, "split", ((H, 6),), ((2, 5), -1)),
    Row("k_split_decreasing", K, "split", ((H, 6),), ((4, 2), -1), reason="negative"),
    Row("k_split_past_the_end", K, "split", ((H, 6),), ((2, 9), -1), reason="negative"),
    Row("k_split_symbolic_index", K, "split", ((H, C),), ((3,), -1)),
    Row("k_split_not_divisible", K, "split", ((H, 10),), (3, -1), reason="must be divisible"),
    Row("k_matmul", K, "matmul", ((H, C), (C, 4))),
    Row("k_matmul_weight", K, "matmul", ((H, C), (C, 4)), batched=(True, False)),
    Row("k_matmul_vector", K, "matmul", ((H, C), (C,)), batched=(True, False)),
    Row("k_matmul_mismatch", K, "matmul", ((H, 3), (4, 2)), batched=(True, False),
        reason="inner dimensions"),
    Row("k_softmax", K, "softmax", ((H, C),), (1,)),
]


def _value(v: object) -> object:
    if isinstance(v, tuple):
        return tuple(Arg(_value(x), Span(1, 1)) for x in v)
    if isinstance(v, int) and not isinstance(v, bool):
        return sympy.Integer(v)
    return v


def derive(row: Row) -> LayerOutput | SymconvError:
    """symconv's answer for the row: its output (conditions in `requires`) or its refusal."""
    spec = REGISTRY[row.convention][row.op]
    names = [p.name for p in spec.params]
    args = {n: Arg(_value(v), Span(1, 1)) for n, v in zip(names, row.args)}
    args.update({k: Arg(_value(v), Span(1, 1)) for k, v in row.kwargs.items()})
    shapes = tuple(tuple(sympy.Integer(e) if isinstance(e, int) else e for e in s)
                   for s in row.shapes)
    call = Call(spec, row.op, shapes, args, Span(1, 1), batched=row.batched)
    try:
        out = spec.fn(call)
    except SymconvError as err:
        return err
    out.requires = tuple(r.condition for r in call.requires)  # type: ignore[attr-defined]
    return out


def _at(e: object, values: dict[sympy.Symbol, int]) -> object:
    return e.subs(values) if isinstance(e, sympy.Basic) else e


def _concrete(v: object, values: dict[sympy.Symbol, int]) -> object:
    if isinstance(v, tuple):
        return tuple(_concrete(x, values) for x in v)
    if isinstance(v, sympy.Basic):
        return int(v.subs({**values, B: BATCH}))
    return v


def _torch(row: Row, values: dict[sympy.Symbol, int]) -> list[tuple[int, ...]] | str:
    import torch
    import torch.nn.functional as F

    batched = row.batched or (True,) * len(row.shapes)
    tensors = [torch.zeros(((BATCH,) if b else ()) + _concrete(s, values))
               for s, b in zip(row.shapes, batched)]
    args = [_concrete(a, values) for a in row.args]
    try:
        if row.op == "flatten":
            out = torch.flatten(tensors[0], *args, **row.kwargs)
        elif row.op in ("matmul", "scaled_dot_product_attention", "softmax"):
            fn = torch.matmul if row.op == "matmul" else getattr(F, row.op)
            out = fn(*tensors, *args, **row.kwargs)
        else:
            out = getattr(tensors[0], row.op)(*args, **row.kwargs)
    except (RuntimeError, IndexError, ValueError, TypeError) as err:
        return str(err)
    return [tuple(o.shape) for o in (out if isinstance(out, (tuple, list)) else [out])]


def _keras(row: Row, values: dict[sympy.Symbol, int]) -> list[tuple[int, ...]] | str:
    import keras
    import numpy as np

    batched = row.batched or (True,) * len(row.shapes)
    shapes = [_concrete(s, values) for s in row.shapes]
    args = [_concrete(a, values) for a in row.args]
    fn = getattr(keras.ops, row.op)
    try:
        real = [np.zeros(((BATCH,) if b else ()) + s, dtype="float32")
                for s, b in zip(shapes, batched)]
        if any(batched):  # the functional graph's symbolic pass raises first
            fn(*[keras.Input(shape=s) if b else r for s, b, r in zip(shapes, batched, real)],
               *args, **row.kwargs)
        out = fn(*real, *args, **row.kwargs)
    except (RuntimeError, IndexError, ValueError, TypeError) as err:
        return str(err)
    return [tuple(o.shape) for o in (out if isinstance(out, (tuple, list)) else [out])]


def _expected(out: LayerOutput, values: dict[sympy.Symbol, int]) -> list[tuple[int, ...]]:
    pieces = out.outputs.items if out.outputs is not None else (out.shape,)
    lead = (BATCH,) if out.batched else ()
    return [lead + tuple(int(_at(e, values)) for e in p)  # type: ignore[union-attr]
            for p in pieces]


def _samples(row: Row) -> list[dict[sympy.Symbol, int]]:
    free = sorted({x for s in row.shapes for e in s if isinstance(e, sympy.Basic)
                   for x in e.free_symbols}
                  | {x for a in row.args for x in _symbols(a)}, key=str)
    free = [x for x in free if x != B]
    return [dict(zip(free, v)) for v in itertools.product(VALUES, repeat=len(free))]


def _symbols(a: object) -> set[sympy.Symbol]:
    if isinstance(a, tuple):
        return set().union(*(_symbols(x) for x in a)) if a else set()
    return set(a.free_symbols) if isinstance(a, sympy.Basic) else set()


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_against_the_framework(row: Row) -> None:
    pytest.importorskip("torch")
    if row.convention == K:
        pytest.importorskip("keras")
    run = _torch if row.convention == T else _keras
    got = derive(row)
    if row.batch:
        assert isinstance(got, SymconvError) and KEEPS in got.message, got
        assert got.code == "SC201"
        return
    for values in _samples(row):
        real = run(row, values)
        if isinstance(got, SymconvError):  # refused for every size
            assert isinstance(real, str), f"{values}: the framework gives {real}"
            assert row.reason and row.reason.lower() in real.lower(), real
            assert row.reason.lower() in got.message.lower(), got.message
            assert got.code in ("SC201", "SC104"), got.code
            continue
        holds = all(bool(_at(c, values)) for c in got.requires)  # type: ignore[attr-defined]
        if holds:
            assert real == _expected(got, values), f"{values}: symconv {got}, framework {real}"
        elif not row.narrower:
            assert isinstance(real, str), f"{values}: a condition fails, the framework gives {real}"
            if row.reason:
                assert row.reason.lower() in real.lower(), real
    if row.reason and not isinstance(got, SymconvError):
        conditions = got.requires  # type: ignore[attr-defined]
        assert conditions, "a refusal row with neither an error nor a condition"


def test_every_operation_has_rows() -> None:
    ops = {(c, t) for c, table in REGISTRY.items() for t, spec in table.items()
           if spec.family == "functional" and spec.fn.__module__.endswith("_ops")}
    assert ops <= {(r.convention, r.op) for r in ROWS}, sorted(ops - {(r.convention, r.op)
                                                                     for r in ROWS})


# -- MACs against the real counters -----------------------------------------------------------

ATTENTION_NET = (  # every layer feeds the last: fvcore's trace drops what does not
    "convention torch\nsizes L, S, d, e\ninput q: (3, L, d)\ninput k: (3, S, d)\n"
    "input v: (3, S, e)\ninput w: (1, e, 2)\n"
    "kt = transpose(k, -2, -1)\nscores = matmul(q, kt)\nattn = softmax(scores, -1)\n"
    "mixed = matmul(attn, v)\nfused = scaled_dot_product_attention(q, k, v)\n"
    "both = add(mixed, fused)\nmatmul(both, w)\n")
SIZES = [{"L": 2, "S": 3, "d": 4, "e": 5}, {"L": 7, "S": 1, "d": 3, "e": 2}]


# the softmax as the tensor's method: Tensor.softmax, which ptflops does not patch
METHOD_NET = ATTENTION_NET.replace("softmax(scores, -1)", "scores.softmax(-1)")


@pytest.mark.parametrize("net", [ATTENTION_NET, METHOD_NET], ids=["function", "method"])
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()))
def test_macs_against_ptflops_and_fvcore(sizes: dict[str, int], net: str) -> None:
    """ptflops and fvcore count each matmul as ∏a·b[-1] and neither sees inside
    scaled_dot_product_attention; ptflops counts F.softmax once per element, and not the
    tensor method softmax."""
    pytest.importorskip("ptflops")
    pytest.importorskip("fvcore")
    from analysis_torch import fvcore_flops, ptflops_macs

    import symconv
    from symconv.analysis import macs

    d = symconv.derive(net, subs=sizes)
    assert int(macs.total(d, macs.PRESETS["ptflops"])) == ptflops_macs(d)
    assert int(macs.total(d, macs.PRESETS["fvcore"])) == fvcore_flops(d)


# mnasnet's head: x.mean([2, 3]) between a convolution and the classifier
MEAN_NET = ("convention torch\nsizes H, W\ninput x: (3, H, W)\nc = Conv2d(3, 4, 3)\n"
            "m = mean(c, [2, 3])\nLinear(4, 5)\n")
MEAN_METHOD_NET = MEAN_NET.replace("mean(c, [2, 3])", "c.mean((-2, -1))")


@pytest.mark.parametrize("net", [MEAN_NET, MEAN_METHOD_NET], ids=["function", "method"])
@pytest.mark.parametrize("sizes", [{"H": 5, "W": 7}, {"H": 9, "W": 4}], ids=["5x7", "9x4"])
def test_mean_macs_against_ptflops_and_fvcore(sizes: dict[str, int], net: str) -> None:
    """Neither ptflops (no torch.mean or Tensor.mean hook) nor fvcore (no aten::mean handle)
    counts the mean; `all` counts one add per element it reads, 4·(H − 2)·(W − 2)."""
    pytest.importorskip("ptflops")
    pytest.importorskip("fvcore")
    from analysis_torch import fvcore_flops, ptflops_macs

    import symconv
    from symconv.analysis import macs

    d = symconv.derive(net, subs=sizes)
    assert int(macs.total(d, macs.PRESETS["ptflops"])) == ptflops_macs(d)
    assert int(macs.total(d, macs.PRESETS["fvcore"])) == fvcore_flops(d)
    mean = [r.type for r in d.layers].index("mean")
    assert int(macs.layer_macs(d, macs.PRESETS["all"])[mean]) == 4 * (sizes["H"] - 2) * (
        sizes["W"] - 2)


def test_macs_by_hand() -> None:
    """The exact count, by hand: QKᵀ 3·L·S·d, A·V 3·L·S·e, attention 3·L·S·(d + e), the last
    product 3·L·e·2 (w broadcast over the 3)."""
    import symconv
    from symconv.analysis import macs

    d = symconv.derive(ATTENTION_NET, subs={"L": 2, "S": 3, "d": 4, "e": 5})
    per_layer = [int(m) for m in macs.layer_macs(d)]
    assert per_layer == [0, 3 * 2 * 3 * 4, 0, 3 * 2 * 3 * 5, 3 * 2 * 3 * (4 + 5), 0,
                         3 * 2 * 5 * 2]


# -- the batch as a size, in verify and --emit; positioned errors -------------------------------

def test_the_batch_runs_as_the_batch() -> None:
    """`x.view(x.shape[0], -1)`: the batch symbol is the real tensor's batch when verify runs
    it, and `x.shape[0]` in the emitted code."""
    torch = pytest.importorskip("torch")
    from symconv.derivation.model import LayerCall
    from symconv.frameworks.tensor_ops import torch_apply, torch_text

    call = LayerCall("view", (("shape", B), ("*2", sympy.Integer(-1))), 2)
    assert tuple(torch_apply(call, [torch.zeros(BATCH, 3, 4)], BATCH).shape) == (BATCH, 12)
    assert torch_text(call, ["x0"], repr, "x.shape[0]") == "x0.view(x.shape[0], -1)"
    expand = LayerCall("expand", (("size", (B, sympy.Integer(-1), sympy.Integer(-1))),), 1)
    cls = torch.zeros(1, 1, 4)  # a free parameter: the batch comes from the network
    assert tuple(torch_apply(expand, [cls], BATCH).shape) == (BATCH, 1, 4)
    assert torch_text(expand, ["cls"], repr, "x.shape[0]") == "cls.expand((x.shape[0], -1, -1))"


ERRORS = [
    ("convention torch\ninput x: (2, 5)\ny = view(x, (-1, 3, 3))\n", 3, 13, "batch"),
    ("convention torch\ninput x: (2, 5)\ny = permute(x, 0, 2, 2)\n", 3, 16, "duplicate dims"),
    ("convention torch\ninput x: (2, 5)\nq = chunk(x, 0, -1)\n", 3, 14, "greater than 0"),
    ("convention torch\ninput x: (2, 5)\ny = flatten(x)\n", 3, 5, "start_dim"),
    ("input x: (4, 6)\ny = split(x, 4, -1)\n", 2, 14, "divisible"),
]


@pytest.mark.parametrize("text,line,column,phrase", ERRORS, ids=[e[3] for e in ERRORS])
def test_errors_are_positioned(text: str, line: int, column: int, phrase: str) -> None:
    import symconv

    with pytest.raises(SymconvError) as caught:
        symconv.derive(text)
    err = caught.value
    assert err.code == "SC201" and phrase in err.message, err.message
    assert (err.span.line, err.span.column) == (line, column), err.span
