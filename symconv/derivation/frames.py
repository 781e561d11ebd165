"""The derive stage's state, and the rules about it that need no layer: tensors, shared
layers and frames (the top level or one block instance); binding a block's inputs, telling a
function's tensors from its settings, a shared layer keeping its weights' shapes, and the error
for a name that is not a tensor."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union

import sympy

from ..errors import Source, Span, SymconvError, did_you_mean, shape_text
from ..language import chunks, ir
from ..language.values import BUILTINS, MAX_DEPTH, Arg, TensorView
from ..layers import Call, LayerSpec
from ..layers.base import LayerOutput, Several
from ..maths import limits, symbols
from .binding import name_value
from .model import LayerRecord, Shape
from .reuse import Applications, key


T = TypeVar("T")
N = TypeVar("N")


@dataclass
class Tensor:
    shape: Shape
    origin: str  # the layer or input that made it, for messages
    node: int | str = ""  # the index of the record that made it, or the network input's name
    # False for a free parameter (`parameter pos: (1, L, d)`): `shape` is its whole shape, with
    # no batch axis left out, and it broadcasts against a network tensor's (batch, *shape)
    batched: bool = True
    # set when it stands for several results (`x.chunk(3)`, LSTM's (out, (h, c))), nested as
    # the framework nests them; `shape` and `node` are then the first result's, which a layer
    # chain passes on
    several: Results | None = None
    # where the framework has the batch axis of this network tensor: 0 (first) but for torch's
    # RNN h_n and c_n, (D·num_layers, N, H); only the operations that bring it first take those
    batch_axis: int = 0


Results = tuple[Union[Tensor, "Results"], ...]


def flat(results: Results) -> list[Tensor]:
    """Several results in order, nested ones depth first (the order of LayerRecord.outputs)."""
    out: list[Tensor] = []
    for item in results:
        out.extend(flat(item) if isinstance(item, tuple) else [item])
    return out


def grouped(results: Results) -> Tensor:
    """Nested results as one Tensor standing for them (the first one's shape and node)."""
    first = flat(results)[0]
    return Tensor(first.shape, first.origin, first.node, first.batched, results, first.batch_axis)


def results(outputs: Several, name: str, index: int, counter: Iterator[int],
            batched: bool = True, axes: tuple[int, ...] = ()) -> Results:
    """A call's several results as tensors, nested as `outputs`; the k-th in flat order
    (LayerRecord.outputs) is node `index` for the first, `(index, k)` for the others, its batch
    axis at `axes[k]` (first when `axes` is empty)."""
    items: list[Tensor | Results] = []
    for item in outputs.items:
        if isinstance(item, Several):
            items.append(results(item, name, index, counter, batched, axes))
            continue
        k = next(counter)
        items.append(Tensor(item, name, index if k == 0 else (index, k), batched, None,
                            axes[k] if axes else 0))
    return tuple(items)


def extents(tensor: Tensor, convention: str) -> tuple[object, ...]:
    """`x.shape` as the framework gives it: torch counts the batch first (BATCH stands for its
    unknown extent), Keras gives None there; a free parameter has no batch axis."""
    if not tensor.batched:
        return tensor.shape
    return ((symbols.BATCH if convention == "torch" else None), *tensor.shape)


@dataclass
class Shared:
    """`shared enc = Dense(64)`: one layer object, applied as `enc(x)`; weights counted once."""

    spec: LayerSpec
    args: dict[str, Arg]
    name: str
    span: Span
    positional: int = 0  # arguments given by position
    first: LayerRecord | None = None


@dataclass
class Frame:
    """The top level or one block instance."""

    values: dict[str, object]  # declared sizes, the block's arguments, values bound by `c = …`
    path: tuple[str, ...] = ()
    in_block: bool = False
    tensors: dict[str, Tensor] = field(default_factory=dict)
    shared: dict[str, Shared] = field(default_factory=dict)
    current: Tensor | None = None
    outputs: list[Tensor] = field(default_factory=list)
    index: int = 0  # PyTorch's container index for the next unnamed module
    calls: dict[str, int] = field(default_factory=dict)  # torch functions used so far, by name
    assigned: set[str] = field(default_factory=set)  # the values bound by `c = …`


class Scope(Mapping[str, object]):
    """What a value written in a frame may name: its values (sizes, block arguments, values
    bound by assignment) and its tensors, seen as TensorViews (for `x.shape`)."""

    def __init__(self, frame: Frame, convention: str) -> None:
        self.frame, self.convention = frame, convention

    def __getitem__(self, key: str) -> object:
        if key in self.frame.values:
            return self.frame.values[key]
        tensor = self.frame.tensors[key]
        return TensorView(key, None if tensor.several is not None
                          else extents(tensor, self.convention))

    def __iter__(self) -> Iterator[str]:
        yield from self.frame.values
        yield from (k for k in self.frame.tensors if k not in self.frame.values)

    def __len__(self) -> int:
        return len(set(self.frame.values) | set(self.frame.tensors))


def reads_tensors(node: object) -> bool:
    """Whether evaluating `node` reads a tensor's extents (`x.shape`): its value then depends
    on the tensors of the moment, not only on the frame's values, and is not memoised. For an
    `if` or a `repeat`, only its conditions or count are read. A loop, not recursion: a sum of
    thousands of terms is refused by `evaluate` with its position, after this has run."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ir.Attribute):
            return True
        stack.extend(_read(item))
    return False


def _read(node: object) -> tuple[object, ...]:
    """The parts of `node` evaluated with it: by its exact type, one dictionary lookup where a
    chain of isinstance tests took 270,000 calls for a 10,000-layer network."""
    parts = _PARTS.get(type(node))
    return parts(node) if parts is not None else ()


_PARTS: dict[type, Callable[[Any], tuple[object, ...]]] = {
    ir.If: lambda n: tuple(condition for condition, _ in n.branches),
    ir.Repeat: lambda n: (n.count,),
    tuple: lambda n: n,
    ir.Keyword: lambda n: (n.value,),
    ir.CallExpr: lambda n: (n.func, *n.positional, *n.keywords),
    ir.BinOp: lambda n: (n.left, n.right),
    ir.Compare: lambda n: (n.left, n.right),
    ir.Neg: lambda n: (n.operand,),
    ir.Tuple: lambda n: n.items,
    ir.List: lambda n: n.items,
    ir.BoolOp: lambda n: n.operands,
    ir.Subscript: lambda n: (n.value, n.index),
}


class Memo:
    """Values computed from a written node in one frame's values, once: a repeat runs the
    same statements in the same frame, whose values never change after it is made (evaluating
    a 190-term argument again for each of 20,000 layers took a minute). Keyed by identity,
    each key's objects kept alive beside the value. A value bound by assignment (`c = …`)
    makes the frame a new values dict, so what was computed before it is never reused after;
    a node that reads a tensor's extents is computed each time (`reads_tensors`)."""

    def __init__(self) -> None:
        self.items: dict[tuple[int, int], tuple[object, object, object]] = {}
        self.volatile: dict[int, tuple[object, bool]] = {}

    def __call__(self, node: object, values: Mapping[str, object],
                 compute: Callable[[], T]) -> T:
        seen = self.volatile.get(id(node))
        if seen is None or seen[0] is not node:
            seen = self.volatile[id(node)] = (node, reads_tensors(node))
        if seen[1]:
            return compute()
        key = (id(node), id(values))
        hit = self.items.get(key)
        if hit is not None and hit[0] is node and hit[1] is values:
            return hit[2]  # type: ignore[return-value]
        value = compute()
        self.items[key] = (node, values, value)
        return value

    def copied(self, node: N, values: Mapping[str, object], compute: Callable[[N], T],
               move: Callable[[T, int, N], T | None]) -> T:
        """`compute(node)`, memoised as above; for a copy of a repeated statement (a deep
        network's 1,250 blocks unrolled: `chunks.origin`) the value of the node it copies,
        moved to its lines by `move(value, lines, that node)`. Computed for the copy itself
        where `move` cannot move the value (None), or where the node it copies fails: the
        error is the copy's, at its line."""
        source = chunks.origin(node)
        if source is not None:
            original, lines = source
            try:
                value = self(original, values, lambda: compute(original))
            except SymconvError:
                pass
            else:
                moved = move(value, lines, original)
                if moved is not None:
                    return moved
        return self(node, values, lambda: compute(node))


def bind_block_inputs(block: ir.Block, declared: tuple[ir.InputItem, ...] | None,
                       tensors: list[Tensor], frame: Frame, span: Span) -> None:
    if declared is None:
        if len(tensors) != 1:
            raise SymconvError("SC201", f"block '{block.name}' takes one tensor, got "
                               f"{len(tensors)}", span,
                               hint="name several inputs on the block's first line: "
                               "`input x, skip`")
        frame.current = tensors[0]
        return
    for item in declared:
        if item.shape is not None or item.name is None:
            raise SymconvError("SC104", "a block's inputs take their shapes from the call",
                               item.span, hint="write only their names: `input x, skip`")
    if len(declared) != len(tensors):
        raise SymconvError("SC201", f"block '{block.name}' takes {len(declared)} tensors, got "
                           f"{len(tensors)}", span)
    for item, tensor in zip(declared, tensors):
        if item.name in frame.values:
            raise SymconvError("SC107", f"input '{item.name}' hides a size or block argument",
                               item.span)
        frame.tensors[item.name] = tensor  # type: ignore[index]
    frame.current = tensors[-1] if len(tensors) == 1 else tensors[0]


def tensor_arguments(values: tuple[ir.Value, ...], spec: LayerSpec, frame: Frame,
                     method: bool = False) -> int:
    """How many leading arguments of a function call are its tensors: a tuple or list of them
    (`cat((a, b), 1)`), or up to the function's arity of tensor expressions (`select(x, 1, 0)`,
    `add(a, b)`; after a method's tensor, `a.matmul(b)`, one fewer); the rest are its settings
    (numbers, sizes, extents: `x.view(x.shape[0], -1)`)."""
    if not method and values and isinstance(values[0], (ir.Tuple, ir.List)):
        return 1
    most = len(values) if spec.arity[1] is None else spec.arity[1] - method
    count = 0
    for value in values[:most]:
        if isinstance(value, ir.Name) and value.id not in frame.tensors:
            break
        if not isinstance(value, (ir.Name, ir.CallExpr, ir.BinOp, ir.Subscript)):
            break
        if not isinstance(value, ir.Name) and _computes_value(value, frame):
            break
        count += 1
    return count


def _computes_value(node: ir.Value, frame: Frame) -> bool:
    return is_value(node, frame, {})


def is_value(node: ir.Value, frame: Frame, blocks: Mapping[str, object],
             depth: int = 0) -> bool:
    """Whether `node` computes a value (a number, a string, a tuple of them, an extent), not a
    tensor: decided from the text and the names bound, before anything is evaluated. Past
    MAX_DEPTH it is taken for a value, which `evaluate` refuses where it is written."""
    if depth > MAX_DEPTH:
        return True
    depth += 1
    if isinstance(node, (ir.Num, ir.Str, ir.Const, ir.Compare, ir.BoolOp, ir.Attribute)):
        return True
    if isinstance(node, ir.Name):
        return node.id in frame.values and node.id not in frame.tensors
    if isinstance(node, (ir.Tuple, ir.List)):
        return all(is_value(item, frame, blocks, depth) for item in node.items)
    if isinstance(node, ir.Subscript):
        return is_value(node.value, frame, blocks, depth)
    if isinstance(node, ir.BinOp):
        return (is_value(node.left, frame, blocks, depth)
                and is_value(node.right, frame, blocks, depth))
    if isinstance(node, ir.Neg):
        return is_value(node.operand, frame, blocks, depth)
    if isinstance(node, ir.CallExpr) and isinstance(node.func, ir.Name):
        name = node.func.id
        return name in BUILTINS and name not in frame.values and name not in blocks
    return False


def same_weights(shared: Shared, weights: tuple, ctx: Call) -> None:  # type: ignore[type-arg]
    assert shared.first is not None
    for old, new in zip(shared.first.weights, weights):
        for a, b in zip(old.shape, new.shape):
            ctx.require(sympy.Eq(a, b), f"a shared layer's weights keep their shape: "
                        f"'{old.name}' was made {shape_text(old.shape)}", code="SC203")


def not_a_tensor(node: ir.Name, frame: Frame) -> SymconvError:
    if node.id in frame.assigned:
        return SymconvError("SC104", f"'{node.id}' is a value, not a tensor", node.span)
    if node.id in frame.shared:
        return SymconvError("SC104", f"'{node.id}' is a shared layer, not a tensor", node.span,
                            hint=f"apply it: `{node.id}(x)`")
    if node.id in frame.values:
        return SymconvError("SC104", f"'{node.id}' is a size, not a tensor", node.span)
    return SymconvError("SC103", f"'{node.id}' is not a tensor", node.span,
                        hint=did_you_mean(node.id, sorted(frame.tensors))
                        or f"name a tensor first: `{node.id} = Conv2D(...)`")


def given_name(args: Mapping[str, Arg]) -> str | None:
    return name_value(args["name"]) if "name" in args else None


def bounded_output(spec: LayerSpec, ctx: Call, applied: Applications | None = None,
                   args: Mapping[str, Arg] | None = None) -> LayerOutput:
    """The layer's output, its shape, weights and conditions within `limits`; past them an
    SC110 error at the layer (a Flatten of ten 40-digit axes, a merge that would expand
    (H + W + … + 1)**64). With `applied`, a result derived before is reused (Applications)."""
    found = key(spec, ctx, args) if applied is not None and args is not None else None
    if found is not None:
        assert applied is not None
        reused = applied.reuse(found, spec, ctx)
        if reused is not None:
            return reused
    try:
        out = spec.fn(ctx)
        for value in (*out.shape, *(w.size for w in out.weights),
                      *(r.condition for r in ctx.requires)):
            limits.check(value)
        limits.check_elements(out.shape)
    except limits.TooLarge as err:
        raise ctx.fail(f"its result would hold {err}", code="SC110",
                       hint="README: Limits lists the bounds") from None
    if found is not None:
        assert applied is not None and args is not None
        applied.keep(found, spec, ctx, out, args)
    return out


def bounded_record(layer: LayerRecord, source: Source | None = None) -> LayerRecord:
    """`layer` (with sizes substituted), or an SC110 error at it when a shape, a weight or a
    condition went past `limits` (a 40-digit H in H**256 makes 10,240 digits)."""
    try:
        for value in (*(e for s in layer.input_shapes for e in s), *layer.output_shape,
                      *(w.size for w in layer.weights), *(r.condition for r in layer.requires)):
            limits.check(value)
        for shape in (*layer.input_shapes, layer.output_shape):
            limits.check_elements(shape)
    except limits.TooLarge as err:
        raise SymconvError("SC110", f"{layer.type} '{layer.name}': with these sizes it would "
                           f"hold {err}", layer.span, source,
                           hint="README: Limits lists the bounds") from None
    return layer
