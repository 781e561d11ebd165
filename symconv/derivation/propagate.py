"""Run the program: tensors flow through layers, merges and blocks; every layer
application is derived by its registry function.

The layer functions are pure; this module owns the graph (named tensors, the current tensor,
blocks, repeat, if, shared layers), naming, argument binding and error positions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import sympy

from ..errors import Span, SymconvError, did_you_mean
from ..language import ir
from ..language.values import Arg, evaluate, position
from ..layers import REGISTRY, Call, LayerSpec
from ..layers.base import REQUIRED, SubLayer
from ..maths import symbols
from .binding import (
    SEPARATOR,
    Budget,
    Namer,
    bind_arguments,
    block_arguments,
    check_arity,
    check_block,
    check_defaults,
    chosen_branch,
    convention_of,
    declared_sizes,
    input_shape,
    lookup,
)
from .domains import DEFAULT, Domain, Uses, check_value
from .frames import (
    Frame,
    Memo,
    Scope,
    Shared,
    Tensor,
    bind_block_inputs,
    bounded_output,
    flat,
    grouped,
    results,
    not_a_tensor,
    same_weights,
    tensor_arguments,
)
from . import arguments, parameters, repeat
from .reuse import Applications, moved_arguments
from .unpacking import bind_values, is_value, method_spec, refuse_several, unpack
from .model import BlockRecord, Derivation, LayerRecord, Node, RepeatRecord, Shape

MAX_BLOCK_DEPTH = 64  # blocks inside blocks (a block that calls itself never ends)
# bodies open at once, counting into the blocks called: each is a Python call, so 64 blocks of
# 100 indented levels each would pass Python's recursion limit without a position
MAX_BODY_DEPTH = 400
_ELEMENTWISE = {"keras": {"+": "add", "-": "subtract", "*": "multiply"},
                "torch": {"+": "add", "-": "sub", "*": "mul"}}


class Deriver:
    def __init__(self, program: ir.Program, known: Mapping[str, Domain],
                 hopeful: frozenset[str] = frozenset()) -> None:
        self.program = program
        self.convention = convention_of(program)
        self.blocks = {b.name: b for b in program.blocks}
        self.records: list[LayerRecord] = []
        self.recorded: set[sympy.Basic] = set()  # every condition recorded so far (Call.known)
        self.block_records: list[BlockRecord] = []
        self.inputs: list[tuple[str, Shape]] = []
        self.namer = Namer(self.convention)
        self.reserved: dict[int, str] = {}  # Keras names of layers written as arguments, by node
        self.budget = Budget()  # applications and statements run, bounded
        self.memo = Memo()  # values of statements a repeat runs again
        self.applied = Applications()  # layer results, reused where the same again
        self.depth = 0
        self.bodies = 0  # body() calls open (MAX_BODY_DEPTH)
        self.known = dict(known)  # sizes whose domain is written or already inferred
        self.hopeful = hopeful  # sizes of unknown domain made ≥ 0 from the start (else ≥ 1)
        self.assumed: set[str] = set()  # those of them in this derivation
        self.seen = Uses((), set())  # what each size is used for, and whether it may be 0
        self.zero: dict[str, Domain] = {}  # sizes found to accept 0 (derive again with them ≥ 0)
        self.repeat_records: list[RepeatRecord] = []  # symbolic repeats (repeat.py)
        self.hidden: dict[tuple[int, str], str] = {}  # tensors named inside one, by frame
        self.top: Frame | None = None
        self.named: dict[str, list[Node]] = {}  # the top level's tensor names: every binding

    def run(self, fixed: Mapping[str, int] | None = None,
            open_sizes: Sequence[str] = ()) -> Derivation:
        scope, defaults = declared_sizes(self.program, self.known)
        chosen: dict[str, int] = {}
        if fixed is not None:
            chosen = {k: v for k, v in {**defaults, **fixed}.items() if k not in open_sizes}
            for name, value in chosen.items():
                if name not in scope:
                    raise SymconvError("SC302", f"'{name}' is not a declared size", None,
                                       hint=did_you_mean(name, sorted(scope))
                                       or f"declared sizes: {', '.join(scope) or 'none'}")
                check_value(name, value, self.known.get(name, DEFAULT))
                scope[name] = sympy.Integer(value)
        unknown = [n for n in scope if n not in self.known and n not in chosen]
        self.assumed = set(unknown) & self.hopeful
        scope.update({n: symbols.size(n, 0) for n in self.assumed})
        self.seen = Uses(unknown, {x for x in scope.values() if x.is_Symbol and not x.is_positive})
        for block in self.program.blocks:
            check_block(block, self.convention)
        top = self.top = Frame(dict(scope))
        self.globals = dict(scope)
        self.body(self.program.body, top)
        if not self.inputs:
            raise SymconvError("SC108", "no input shape", Span(1, 1),
                               hint="declare it before the layers, e.g. `input (H, W, 3)`")
        self.zero = self.seen.inference.zero()
        domains = {n: self.known.get(n) or self.zero.get(n) or self.seen.inference.needs_one(n)
                   for n in scope}
        check_defaults(self.program, domains)
        outputs = top.outputs or ([top.current] if top.current else [])
        return Derivation(self.program.source, self.program.name, self.convention,
                          tuple(scope), defaults, self.inputs[0][1], tuple(self.records),
                          inputs=tuple(self.inputs), outputs=tuple(t.shape for t in outputs),
                          blocks=tuple(self.block_records), subs=chosen,
                          uses={k: tuple(sorted(v)) for k, v in sorted(self.seen.uses.items())},
                          output_nodes=tuple(t.node for t in outputs), domains=domains,
                          limits=tuple(self.seen.limits), repeats=tuple(self.repeat_records),
                          named={k: tuple(v) for k, v in self.named.items()})

    # -- statements ----------------------------------------------------------------------
    def body(self, statements: tuple[ir.Statement, ...], frame: Frame) -> None:
        if self.bodies >= MAX_BODY_DEPTH and statements:
            raise SymconvError("SC110", f"statements nested more than {MAX_BODY_DEPTH} deep, "
                               "counting the bodies of the blocks called", statements[0].span,
                               hint="fewer levels: repeat counts multiply and conditions "
                               "combine with `and`")
        self.bodies += 1
        for statement in statements:
            self.budget.statement(statement.span)
            if isinstance(statement, ir.Assign):
                self.assign(statement, frame)
            elif isinstance(statement, ir.Input):
                self.input(statement, frame)
            elif isinstance(statement, ir.Output):
                self.output(statement, frame)
            elif isinstance(statement, ir.Parameter):
                parameters.declare(self, statement, frame)
            elif isinstance(statement, ir.Repeat):
                self.repeat(statement, frame)
            else:
                self.body(self.memo(statement, frame.values,
                                    lambda: chosen_branch(statement, self.scope(frame))), frame)
        self.bodies -= 1  # not in a `finally`: an error ends the derivation

    def repeat(self, statement: ir.Repeat, frame: Frame) -> None:
        repeat.run(self, statement, frame)  # unrolled, or closed for a symbolic count

    def input(self, statement: ir.Input, frame: Frame) -> None:
        if frame.in_block:
            raise SymconvError("SC104", "a block's `input` line must come first in the block",
                               statement.span)
        for item in statement.items:
            shape_value = item.shape
            if shape_value is None and item.name in frame.values:
                shape_value = ir.Name(item.name, item.span)  # `input L`: a one-axis shape
                item = ir.InputItem(None, shape_value, item.span)
            if shape_value is None:
                raise SymconvError("SC108", f"input '{item.name}' needs a shape", item.span,
                                   hint=f"e.g. `input {item.name}: (H, W, 3)`")
            name = item.name or "input"
            if any(n == name for n, _ in self.inputs):
                raise SymconvError("SC107", f"input '{name}' is declared twice", item.span,
                                   hint="give each input its own name: `input x: (...)`")
            shape = input_shape(shape_value, frame.values)
            self.seen.input(shape, item.span)
            self.inputs.append((name, shape))
            self.bind_tensor(name, Tensor(shape, name, name), frame, item.span)

    def output(self, statement: ir.Output, frame: Frame) -> None:
        if frame.in_block and len(statement.values) != 1:
            raise SymconvError("SC104", "a block has one output", statement.span)
        frame.outputs = [self.tensor(v, frame) for v in statement.values]

    def scope(self, frame: Frame) -> Scope:
        """What values written in `frame` may name (its tensors for `x.shape`)."""
        return Scope(frame, self.convention)

    def assign(self, statement: ir.Assign, frame: Frame) -> None:
        if statement.shared:
            self.declare_shared(statement, frame)
            return
        target = statement.target
        if target is not None and is_value(statement.value, frame, self.blocks):
            value = evaluate(statement.value, self.scope(frame))
            bind_values(target, value, frame, statement.span, self.blocks)
            return
        tensor = self.result(statement.value, frame)
        if isinstance(target, ir.Targets):
            for name, item in unpack(target, tensor, statement.value.span):
                self.bind_tensor(name.id, item, frame, name.span)
        elif target is not None:
            self.bind_tensor(target, tensor, frame, statement.span)
        frame.current = tensor

    def bind_tensor(self, name: str, tensor: Tensor, frame: Frame, span: Span) -> None:
        if name in frame.values or name in frame.shared or name in self.blocks:
            what = ("a shared layer" if name in frame.shared else "a block"
                    if name in self.blocks else "a value" if name in frame.assigned
                    else "a size or block argument")
            raise SymconvError("SC107", f"'{name}' is already {what}", span,
                               hint="give the tensor another name")
        frame.tensors[name] = tensor
        frame.current = tensor
        if frame is self.top:  # `solve --equal s2 up` names tensors as well as layers
            self.named.setdefault(name, []).append(tensor.node)

    def declare_shared(self, statement: ir.Assign, frame: Frame) -> None:
        value, name = statement.value, statement.target or ""
        if not (isinstance(value, ir.CallExpr) and isinstance(value.func, ir.Name)
                and value.func.id not in self.blocks):
            raise SymconvError("SC104", "a shared layer is made by a layer call, e.g. "
                               "`shared enc = Dense(64)`", statement.span)
        if name in frame.values or name in frame.tensors or name in frame.shared:
            raise SymconvError("SC107", f"'{name}' is already declared", statement.span)
        spec = self.spec(value.func.id, value.func.span)
        args = self.bind(spec, value, frame)
        given = args.get("name")
        layer_name = self.namer.layer(spec, given, value.span, frame, default=name)
        frame.shared[name] = Shared(spec, args, layer_name, value.span, len(value.positional))

    # -- tensor expressions --------------------------------------------------------------
    def tensor(self, node: ir.Value, frame: Frame) -> Tensor:
        """One tensor: several results here are an error (`refuse_several`)."""
        return refuse_several(self.result(node, frame), node)

    def result(self, node: ir.Value, frame: Frame) -> Tensor:
        """A tensor expression's value: one tensor, or several results grouped (`several`)."""
        if isinstance(node, ir.Name):
            if node.id in frame.tensors:
                return frame.tensors[node.id]
            raise self.unknown_tensor(node, frame)
        if isinstance(node, ir.Subscript):
            return self.item(node, frame)
        if isinstance(node, ir.BinOp) and node.op in _ELEMENTWISE[self.convention]:
            spec = REGISTRY[self.convention][_ELEMENTWISE[self.convention][node.op]]
            tensors = [self.tensor(node.left, frame), self.tensor(node.right, frame)]
            return self.apply(spec, {}, node.span, tensors, frame)
        if isinstance(node, ir.CallExpr):
            return self.call(node, frame)
        raise SymconvError("SC104", "expected a layer, a block or a tensor here", node.span,
                           hint="e.g. `Conv2D(32, 3)`, `y = Dense(10)(x)` or `z = add(x, y)`")

    def unknown_tensor(self, node: ir.Name, frame: Frame) -> SymconvError:
        return repeat.hidden_error(self, node, frame) or not_a_tensor(node, frame)

    def tensors(self, values: tuple[ir.Value, ...], frame: Frame,
                one: bool = True) -> list[Tensor]:
        """Tensor arguments; one tuple or list stands for them all, as in `Add()([a, b])`."""
        if one and len(values) == 1 and isinstance(values[0], (ir.Tuple, ir.List)):
            values = values[0].items
        return [self.tensor(v, frame) for v in values]

    def current(self, frame: Frame, span: Span) -> Tensor:
        """The tensor a layer written alone takes: the last one made (of several results the
        first, which a layer chain passes on, as torch's LSTM output before its states)."""
        if frame.current is None:
            raise SymconvError("SC108", "no input shape", span,
                               hint="declare it before the layers, e.g. `input (H, W, 3)`")
        current = frame.current
        return flat(current.several)[0] if current.several is not None else current

    def item(self, node: ir.Subscript, frame: Frame) -> Tensor:
        """`outs[0]`, `x.chunk(2)[1]`: one of several results (Python's indexing); torch's
        `h_n[-1]` on one tensor: `h_n.select(0, -1)`."""
        base = self.result(node.value, frame)
        if base.several is None:
            if self.convention != "torch":
                raise SymconvError("SC104", "indexing a tensor is not supported", node.span,
                                   hint="its extents are values: `x.shape[-1]`; a part of it: "
                                   "`keras.ops.split(…)`")
            span = node.span
            method = ir.Attribute(node.value, "select", span, span)
            return self.method(ir.CallExpr(method, (ir.Num(0, span, "0"), node.index), (), span),
                               frame)
        index = evaluate(node.index, self.scope(frame))
        chosen = base.several[position(index, len(base.several), "tuple")]
        return grouped(chosen) if isinstance(chosen, tuple) else chosen

    def method(self, node: ir.CallExpr, frame: Frame) -> Tensor:
        """`x.view(…)`, `x.transpose(1, 2)`, `a.matmul(b)`: the function of that name, with x
        its first tensor."""
        func = node.func
        assert isinstance(func, ir.Attribute)
        first = self.tensor(func.value, frame)
        spec = method_spec(func, self.convention)
        count = tensor_arguments(node.positional, spec, frame, method=True)
        tensors = [first, *self.tensors(node.positional[:count], frame, one=False)]
        config = replace(node, positional=node.positional[count:])
        return self.apply(spec, self.bind(spec, config, frame), func.name_span, tensors, frame,
                          positional=len(config.positional), method=True)

    def call(self, node: ir.CallExpr, frame: Frame) -> Tensor:
        node, tie = parameters.split_tie(node)
        if tie is not None:
            parameters.check_tied_call(self, node, tie, frame)
        func = node.func
        if isinstance(func, ir.Attribute):
            return self.method(node, frame)
        if isinstance(func, ir.Name):
            if func.id in frame.shared:
                if node.keywords:
                    raise SymconvError("SC106", "a shared layer is applied to tensors only",
                                       node.keywords[0].span)
                given = self.tensors(node.positional, frame) if node.positional else None
                return self.apply_shared(frame.shared[func.id], given or
                                         [self.current(frame, node.span)], node.span, frame)
            if func.id in self.blocks:
                return self.block(self.blocks[func.id], node, None, frame)
            if func.id in frame.assigned or func.id in frame.tensors:
                what = "a value" if func.id in frame.assigned else "a tensor"
                raise SymconvError("SC104", f"'{func.id}' is {what}, not a layer", func.span,
                                   hint="only layers, blocks and shared layers can be called")
            spec = self.spec(func.id, func.span)
            if spec.family == "functional":  # torch.cat((a, b), 1); alone: the current
                count = tensor_arguments(node.positional, spec, frame)
                tensors = (self.tensors(node.positional[:count], frame) if count
                           else [self.current(frame, node.span)])
                config = replace(node, positional=node.positional[count:])
                return self.apply(spec, self.bind(spec, config, frame), node.span, tensors, frame,
                                  positional=len(config.positional))
            tensors = [self.current(frame, node.span)]
            return self.apply(spec, self.bind(spec, node, frame), node.span, tensors, frame,
                              positional=len(node.positional), tie=tie)
        if isinstance(func, ir.CallExpr) and isinstance(func.func, ir.Name):
            if node.keywords:
                raise SymconvError("SC106", "a layer is applied to tensors only",
                                   node.keywords[0].span)
            tensors = self.tensors(node.positional, frame)
            if func.func.id in self.blocks:
                return self.block(self.blocks[func.func.id], func, tensors, frame)
            spec = self.spec(func.func.id, func.func.span)
            if spec.family == "functional":
                raise SymconvError("SC104", f"'{spec.type}' is a function: call it on the "
                                   f"tensors, `{spec.type}(a, b)`", func.span)
            return self.apply(spec, self.bind(spec, func, frame), func.span, tensors, frame,
                              positional=len(func.positional), tie=tie)
        raise SymconvError("SC104", "only layers, blocks and shared layers can be called",
                           node.span)

    # -- layers ----------------------------------------------------------------------------
    def spec(self, type_: str, span: Span) -> LayerSpec:
        return lookup(type_, self.convention, span, sorted(self.blocks))

    def bind(self, spec: LayerSpec, call: ir.CallExpr, frame: Frame) -> dict[str, Arg]:
        required = [p.name for p in spec.params if p.default is REQUIRED]
        return self.memo.copied(call, frame.values, lambda node: bind_arguments(
            spec.type, [p.name for p in spec.params], required, node, self.scope(frame),
            positional=spec.positional,
            strings=[p.name for p in spec.params if isinstance(p.default, str)])[0],
            moved_arguments)

    def apply(self, spec: LayerSpec, args: dict[str, Arg], span: Span, tensors: list[Tensor],
              frame: Frame, name: str | None = None, shared: Shared | None = None,
              positional: int = 0, tie: ir.Keyword | None = None,
              method: bool = False) -> Tensor:
        self.budget.application(span)
        check_arity(spec, len(tensors), span)
        if name is None:
            arguments.reserve_names(self, args)
            name = self.namer.layer(spec, args.get("name"), span, frame)
        shapes = tuple(t.shape for t in tensors)
        ctx = Call(spec, name, shapes, args, span, self.sublayer, self.recorded,
                   batched=parameters.batched_inputs(spec, tensors, span),
                   axes=tuple(t.batch_axis for t in tensors))
        out = bounded_output(spec, ctx, self.applied, args)
        self.seen.call(ctx, args)
        if shared is None or shared.first is None:
            self.namer.built(spec)
        weights = out.weights
        if self.convention == "keras" and ctx.given("trainable") and not ctx.flag("trainable"):
            weights = tuple(replace(w, trainable=False) for w in weights)
        shares = None
        if shared is not None and shared.first is not None:
            same_weights(shared, weights, ctx)
            weights, shares = (), shared.first.name
        tied: tuple = ()  # type: ignore[type-arg]
        if tie is not None:
            weights, tied = parameters.tie(self, weights, tie, ctx, frame)
        call = arguments.layer_call(self, spec, args, positional, method)
        record = LayerRecord(name, spec.type, span, shapes[0] if shapes else (), out.shape,
                             weights, tuple(ctx.requires), out.notes, shapes, frame.path, shares,
                             call, tuple(t.node for t in tensors), tuple(ctx.warnings), tied,
                             batched=getattr(out, "batched", True), results=out.outputs,
                             batch_axes=out.batch_axes or ())
        if shared is not None and shared.first is None:
            shared.first = record
        self.records.append(record)
        self.recorded.update(r.condition for r in record.requires)
        index = len(self.records) - 1
        if out.outputs is None:
            return Tensor(out.shape, name, index, batched=getattr(out, "batched", True))
        return grouped(results(out.outputs, name, index, iter(range(len(record.outputs))),
                               record.batched, record.batch_axes))

    def apply_shared(self, shared: Shared, tensors: list[Tensor], span: Span,
                     frame: Frame) -> Tensor:
        return self.apply(shared.spec, shared.args, span, tensors, frame, name=shared.name,
                          shared=shared, positional=shared.positional)

    def sublayer(self, arg: Arg, shape: Shape, wrapper: Call) -> SubLayer:
        """Call.sublayer's hook: a layer given as an argument (arguments.py)."""
        return arguments.sublayer(self, arg, shape, wrapper)

    # -- blocks ----------------------------------------------------------------------------
    def block(self, block: ir.Block, call: ir.CallExpr, tensors: list[Tensor] | None,
              frame: Frame) -> Tensor:
        self.budget.application(call.span)
        if self.depth >= MAX_BLOCK_DEPTH:
            raise SymconvError("SC110", f"blocks nested more than {MAX_BLOCK_DEPTH} deep "
                               f"(does '{block.name}' call itself?)", call.span)
        values, given = self.memo(call, frame.values, lambda: block_arguments(
            block, call, self.scope(frame), self.globals))
        local = self.namer.instance(block, given, call.span, frame)
        inner = Frame(values, frame.path + (local,), in_block=True)
        body = block.body
        declared = body[0].items if body and isinstance(body[0], ir.Input) else None
        if declared is not None:
            body = body[1:]
        if tensors is None:
            tensors = [self.current(frame, call.span)]
        bind_block_inputs(block, declared, tensors, inner, call.span)
        first = len(self.records)
        self.depth += 1
        # an unnamed instance is numbered per pass of a symbolic repeat (h.0, h.1, …), so the
        # names given inside it advance with the pass too: h.0.ln_1, h.1.ln_1
        symbolic = self.namer.symbolic
        self.namer.symbolic = symbolic if given is not None else 0
        self.body(body, inner)
        self.namer.symbolic = symbolic
        self.depth -= 1
        out = inner.outputs[0] if inner.outputs else inner.current
        assert out is not None
        name = SEPARATOR[self.convention].join(inner.path)
        self.block_records.append(BlockRecord(
            name, block.name, call.span, inner.path, tuple(t.shape for t in tensors), out.shape,
            first, len(self.records) - 1))
        return Tensor(out.shape, name, out.node, out.batched, None, out.batch_axis)


