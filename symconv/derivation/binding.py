"""What a program's words bind to — the convention and sizes it declares, a
call's arguments bound as the framework binds them (its positional order, keywords, defaults),
the layer a name stands for, repeat counts and if conditions, and names as the frameworks give
them (Keras's global snake_case counter, PyTorch's container indices and dotted paths)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

import sympy
from sympy import Expr

from ..errors import Span, SymconvError, did_you_mean, shown
from ..language import ir
from ..language.values import Arg, evaluate, truth
from ..layers import REGISTRY, LayerSpec
from ..layers.common import KERAS_ACTIVATIONS
from ..maths import limits, symbols
from .domains import Domain

CONVENTIONS = ("keras", "torch")
DEFAULT_CONVENTION = "keras"
MAX_APPLICATIONS = 20_000  # layer and block applications in one derivation (about 6 s)
MAX_STATEMENTS = 100_000  # statements run, repeats and blocks expanded (each costs microseconds)
SEPARATOR = {"keras": "_", "torch": "."}  # block instance name + layer name
# Layers Keras makes, with auto names, when it builds a layer (its first call): they take those
# names from later layers (keras/src/layers/attention/multi_head_attention.py _build_attention).
KERAS_MADE_ON_BUILD = {"MultiHeadAttention": ("Softmax", "Dropout")}
# Words that are only ever strings in a layer call: activations (torch's activation="gelu"
# too) and padding modes, given where the argument's default is not a string (torch's
# padding=0, Keras's activation=None).
STRING_WORDS = frozenset(KERAS_ACTIVATIONS) | {"same", "valid", "causal"}


class Budget:
    """What one derivation may still do: MAX_APPLICATIONS layer and block applications and
    MAX_STATEMENTS statements run, repeats and blocks expanded (a repeat of statements without a
    layer was not counted, and ran 400 million times)."""

    def __init__(self) -> None:
        self.applications = 0
        self.statements = 0

    @property
    def spent(self) -> bool:
        """Whether a derivation stopped here, at either bound."""
        return self.applications > MAX_APPLICATIONS or self.statements > MAX_STATEMENTS

    def application(self, span: Span) -> None:
        self.applications += 1
        if self.applications > MAX_APPLICATIONS:
            raise SymconvError("SC110", f"more than {MAX_APPLICATIONS:,} layer and block "
                               "applications", span, hint="is a `repeat` count too large?")

    def statement(self, span: Span) -> None:
        self.statements += 1
        if self.statements > MAX_STATEMENTS:
            raise SymconvError("SC110", f"more than {MAX_STATEMENTS:,} statements run "
                               "(repeats and blocks expanded)", span,
                               hint="is a `repeat` count too large?")


def bind_arguments(owner: str, names: Sequence[str], required: Sequence[str],
                   call: ir.CallExpr, scope: Mapping[str, object],
                   reserved: Sequence[str] = (),
                   positional: int | None = None,
                   strings: Collection[str] = ()) -> tuple[dict[str, Arg], dict[str, Arg]]:
    """(the arguments bound to `names` by position and keyword, the `reserved` keywords); only
    the first `positional` names (default all) may be given by position; `strings`: the
    arguments whose values are strings (for the hint when the quotes are forgotten)."""
    limit = len(names) if positional is None else positional
    if len(call.positional) > limit:
        raise SymconvError("SC106", f"{owner}() takes at most {limit} positional "
                           "arguments", call.positional[limit].span,
                           hint=f"give '{names[limit]}' by keyword" if limit < len(names)
                           else None)
    bound = {n: _argument(n, v, scope, strings) for n, v in zip(names, call.positional)}
    extra: dict[str, Arg] = {}
    for kw in call.keywords:
        if kw.name in reserved:
            extra[kw.name] = evaluate(kw.value, scope)
            continue
        if kw.name not in names:
            raise SymconvError("SC106", f"{owner}() got an unexpected argument '{kw.name}'",
                               kw.span, hint=did_you_mean(kw.name, list(names)))
        if kw.name in bound:
            raise SymconvError("SC106", f"{owner}() got two values for '{kw.name}'", kw.span)
        bound[kw.name] = _argument(kw.name, kw.value, scope, strings)
    for name in required:
        if name not in bound:
            raise SymconvError("SC105", f"{owner}() is missing the argument '{name}'",
                               call.span, hint=f"e.g. {owner}({name}=…)")
    return bound, extra


def _argument(name: str, value: ir.Value, scope: Mapping[str, object],
               strings: Collection[str]) -> Arg:
    """An argument's value; a bare undeclared name where a string is meant (`activation=relu`:
    a string argument, or a word such as an activation's or a padding's name) gets the hint
    to quote it, rather than to declare a size called relu."""
    try:
        return evaluate(value, scope)
    except SymconvError as err:
        if err.code == "SC103" and isinstance(value, ir.Name) and (
                name in strings or value.id in STRING_WORDS):
            err.hint = f'a string is written in quotes: `{name}="{value.id}"`'
        raise


def lookup(type_: str, convention: str, span: Span, blocks: Sequence[str] = ()) -> LayerSpec:
    """The registered layer `type_` of the convention; an error naming the other convention
    (and its equivalent) or the nearest names."""
    table = REGISTRY[convention]
    if type_ in table:
        return table[type_]
    other = "torch" if convention == "keras" else "keras"
    if type_ in REGISTRY[other]:
        raise SymconvError(
            "SC102", f"'{type_}' is a {label(other)} layer, but this file uses the "
            f"{label(convention)} convention", span,
            hint=f"write `convention {other}` at the top, or use the "
            f"{label(convention)} name{_equivalent(type_, convention)}")
    raise SymconvError("SC101", f"unknown {label(convention)} layer '{type_}'", span,
                       hint=did_you_mean(type_, sorted(table) + sorted(blocks))
                       or "README lists the supported layers")


class Container(Protocol):
    """Where a name is given: the top level or a block instance."""

    path: tuple[str, ...]
    index: int  # PyTorch's container index for the next unnamed module
    calls: dict[str, int]  # torch functions used so far in this container, by name


class Namer:
    """Every name of one derivation, unique."""

    def __init__(self, convention: str) -> None:
        self.convention = convention
        self.keras_counts: dict[str, int] = {}
        self.taken: dict[str, Span] = {}
        self.repeating = 0  # inside `repeat` (for the hint when a name comes twice)
        self.symbolic = 0  # inside a repeat of symbolic count: names must advance with the pass

    def keras_auto(self, type_: str) -> str:
        """keras.src.backend.common.global_state's uniquified snake_case names."""
        base = snake_case(type_)
        count = self.keras_counts.get(base, 0)
        self.keras_counts[base] = count + 1
        return f"{base}_{counted(count)}" if count != 0 else base

    def built(self, spec: LayerSpec) -> None:
        """A Keras layer's first call: the names its build takes (KERAS_MADE_ON_BUILD)."""
        if self.convention == "keras":
            for type_ in KERAS_MADE_ON_BUILD.get(spec.type, ()):
                self.keras_auto(type_)

    def layer(self, spec: LayerSpec, given: Arg | None, span: Span, where: Container,
              default: str | None = None) -> str:
        """Keras: the given name (after the enclosing block names) or a global snake_case one;
        PyTorch: the given name or the container index, after the block names."""
        index, where.index = where.index, where.index + int(spec.family != "functional")
        if given is not None:
            local, at = name_value(given), given.span
            self.fixed_in_repeat(at)
        elif default is not None and self.convention == "torch":
            local, at = default, span
        elif self.convention == "keras":
            return self.take(self.keras_auto(spec.type), span)
        elif spec.family == "functional":  # not a module: add, add_1, … in each block
            count = where.calls.get(spec.type, 0)
            where.calls[spec.type] = count + 1
            local, at = (f"{spec.type}_{counted(count)}" if count != 0 else spec.type), span
        else:
            local, at = counted(index), span
        return self.take(SEPARATOR[self.convention].join((*where.path, local)), at)

    def instance(self, block: ir.Block, given: Arg | None, span: Span,
                 where: Container) -> str:
        """A block instance's own name (its layers' names start with it)."""
        index, where.index = where.index, where.index + 1
        if given is not None:
            local = name_value(given)
            self.fixed_in_repeat(given.span)
        elif self.convention == "keras":
            local = self.keras_auto(block.name)
        else:
            local = counted(index)
        self.take(SEPARATOR[self.convention].join((*where.path, local)), span, block=True)
        return local

    def fixed_in_repeat(self, span: Span) -> None:
        """A name given inside a repeat of symbolic count: pass 2 would take it again."""
        if self.symbolic:
            raise SymconvError("SC112", "a name given inside a repeat of symbolic count would "
                               "be taken by every pass", span,
                               hint="leave the layer unnamed, or give the repeat a number")

    def take(self, name: str, span: Span, block: bool = False) -> str:
        if name in self.taken:
            advice = ("; inside `repeat`, leave layers unnamed" if self.repeating
                      else "; all layer names must be unique")
            raise SymconvError("SC107", f"{'block' if block else 'layer'} name '{name}' is "
                               "used twice", span,
                               hint=f"first used on line {self.taken[name].line}{advice}")
        self.taken[name] = span
        return name


def counted(index: object) -> str:
    """A counter in a name: a number, or, past a symbolic repeat, its formula in braces
    (`{n + 2}`, `{⌊n/2⌋ + 1}`; the number it stands for when n is substituted)."""
    if isinstance(index, int) or getattr(index, "is_Integer", False):
        return str(index)
    if isinstance(index, sympy.Expr) and not index.is_polynomial():
        from ..maths.printing import pretty  # ⌊n/2⌋, n mod 3, max(2, n) as the table writes

        return "{" + pretty(index) + "}"
    return "{" + str(index) + "}"


def name_value(given: Arg) -> str:
    if not isinstance(given.value, str) or not given.value:
        raise SymconvError("SC104", "'name' must be a non-empty string", given.span)
    return given.value


def snake_case(name: str) -> str:
    """keras.src.utils.naming.to_snake_case."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def label(convention: str) -> str:
    return "Keras" if convention == "keras" else "PyTorch"


def _equivalent(type_: str, convention: str) -> str:
    from ..layers.names import equivalent

    found = equivalent(type_, convention)
    return f" ({found})" if found else ""


# -- declarations and statements ------------------------------------------------------------
def convention_of(program: ir.Program) -> str:
    """The file's convention (Keras when it names none)."""
    name = program.convention or DEFAULT_CONVENTION
    if name not in CONVENTIONS:
        raise SymconvError("SC109", f"unknown convention '{name}'", program.convention_span,
                           hint="write `convention keras` or `convention torch`")
    return name


def declared_domains(program: ir.Program) -> dict[str, Domain]:
    """The domains written in `sizes` (`P >= 0`, `H >= 1`)."""
    return {decl.name: Domain(_least(decl, decl.domain), "", declared=True)
            for decl in program.sizes if decl.domain is not None}


def _least(decl: ir.SizeDecl, domain: ir.Domain) -> int:
    """A written domain's least value: `>= 0` or `>= 1`, the two sympy assumptions a size can
    carry (nonnegative, positive); a larger least value is a condition, which the layers
    record themselves."""
    if domain.op != ">=":
        raise SymconvError("SC104", f"a size's domain is its least value, written with >=, "
                           f"not {domain.op}", domain.op_span,
                           hint=_domain_hint(decl.name))
    bound = domain.bound
    if not (isinstance(bound, ir.Num) and isinstance(bound.value, int)
            and bound.value in symbols.LEAST):
        raise SymconvError("SC104", f"a size's least value is 0 or 1, not {bound.text}"
                           if isinstance(bound, ir.Num) else "a size's least value is 0 or 1",
                           bound.span,
                           hint=_domain_hint(decl.name) + "; the layers' conditions say "
                           "which larger values work")
    return bound.value


def _domain_hint(name: str) -> str:
    return f"write `{name} >= 1`, or `{name} >= 0` for a size that may be 0 (a padding)"


def declared_sizes(program: ir.Program, domains: Mapping[str, Domain]
                   ) -> tuple[dict[str, Expr], dict[str, int]]:
    """(each declared size as its symbol, of its domain in `domains` (else ≥ 1), the declared
    defaults); a default below a declared domain is an error here, one below an inferred
    domain once it is known (`check_defaults`)."""
    scope: dict[str, Expr] = {}
    defaults: dict[str, int] = {}
    for decl in program.sizes:
        if decl.name in scope:
            raise SymconvError("SC107", f"size '{decl.name}' is declared twice", decl.span)
        domain = domains.get(decl.name)
        if decl.default is not None:
            value = evaluate(decl.default, {}).value
            least = domain.least if domain is not None else 0
            if not (isinstance(value, sympy.Integer) and value >= least):
                raise _bad_default(decl, value, domain or Domain(0, ""))
            defaults[decl.name] = int(value)
        scope[decl.name] = symbols.size(decl.name, domain.least if domain else 1)
    return scope, defaults


def check_defaults(program: ir.Program, domains: Mapping[str, Domain]) -> None:
    """Each declared default in its size's domain, inferred ones included."""
    for decl in program.sizes:
        if decl.default is None:
            continue
        value = evaluate(decl.default, {}).value
        if value < domains[decl.name].least:
            raise _bad_default(decl, value, domains[decl.name])


def _bad_default(decl: ir.SizeDecl, value: object, domain: Domain) -> SymconvError:
    assert decl.default is not None
    bound = f" ≥ {domain.least}" if isinstance(value, sympy.Integer) else ""
    return SymconvError("SC104", f"the default of '{decl.name}' must be a whole number"
                        f"{bound}, not {shown(value)}", decl.default.span,
                        hint=domain.reason(decl.name) if domain.least else None)


def check_block(block: ir.Block, convention: str) -> None:
    """A block definition's own mistakes: a parameter twice or named `name`, a layer's name."""
    seen: set[str] = set()
    for p in block.params:
        if p.name in seen or p.name == "name":
            why = "is reserved for the instance name" if p.name == "name" else "appears twice"
            raise SymconvError("SC107", f"block parameter '{p.name}' {why}", p.span)
        seen.add(p.name)  # a parameter may shadow a size, as in Python
    if block.name in REGISTRY[convention]:
        raise SymconvError("SC107", f"block '{block.name}' has the name of a layer",
                           block.span, hint="rename the block")


def repeat_count(statement: ir.Repeat, values: Mapping[str, object]) -> int | Expr:
    """`repeat N:`'s N: a whole number ≥ 0, or an expression in sizes that is a whole number
    ≥ 0 for all of them (symconv/derivation/repeat.py closes it)."""
    arg = evaluate(statement.count, values)
    value = arg.value
    if isinstance(value, sympy.Expr) and not value.is_Number and value.free_symbols:
        if value.is_integer and value.is_nonnegative:
            limits.check(value)
            return value
        raise SymconvError("SC112", f"a symbolic repeat count must be a whole number ≥ 0 for "
                           f"every value of its sizes, not {shown(value)}", arg.span,
                           hint="write a size (`repeat n:`) or an expression such as "
                           "`n + 1` or `2 * n`")
    if not (isinstance(value, sympy.Integer) and value >= 0):
        raise SymconvError("SC104", f"a repeat count must be a whole number ≥ 0, not {shown(value)}",
                           arg.span)
    if value > MAX_APPLICATIONS:
        raise SymconvError("SC110", f"repeat count {value} is more than "
                           f"{MAX_APPLICATIONS:,}", arg.span)
    return int(value)


def chosen_branch(statement: ir.If, values: Mapping[str, object]) -> tuple[ir.Statement, ...]:
    """The statements an `if` runs; a condition sizes leave open is an error."""
    for condition, body in statement.branches:
        arg = evaluate(condition, values)
        value = truth(arg)
        if not isinstance(value, bool):
            raise SymconvError("SC104", "this condition depends on sizes left symbolic", arg.span,
                               notes=[f"it reads {shown(value)}"],
                               hint="sizes stay symbolic while the network is derived: decide it "
                               "with a block argument (a number, a string, True or False)")
        if value:
            return body
    return statement.orelse


def input_shape(value: ir.Value, scope: Mapping[str, object]) -> tuple[Expr, ...]:
    """An `input` shape: whole numbers ≥ 1 for every size."""
    arg = evaluate(value, scope)
    items = arg.value if isinstance(arg.value, tuple) else (arg,)
    shape = []
    for item in items:
        v = item.value
        if not isinstance(v, Expr) or v.is_integer is not True or v.is_positive is not True:
            raise SymconvError("SC104", "an input extent must be a whole number ≥ 1, not "
                               f"{shown(v)}", item.span,
                               hint=f"'{v}' is declared ≥ 0: declare it `{v} >= 1`"
                               if isinstance(v, sympy.Symbol) and v.is_nonnegative
                               else "use declared sizes and whole numbers")
        shape.append(v)
    if not shape:
        raise SymconvError("SC104", "the input shape is empty", arg.span)
    try:
        limits.check_elements(tuple(shape))
    except limits.TooLarge as err:
        raise SymconvError("SC110", f"this input would be {err}", arg.span,
                           hint="README: Limits lists the bounds") from None
    return tuple(shape)


def check_arity(spec: LayerSpec, n: int, span: Span) -> None:
    """The number of tensors a layer or function takes."""
    low, high = spec.arity
    if n < low or (high is not None and n > high):
        want = f"{low}" if low == high else f"at least {low}" if high is None else \
            f"{low} to {high}"
        how = (f"`{spec.type}(a, b)`" if spec.family == "functional"
               else f"`{spec.type}()(a, b)`")
        raise SymconvError("SC201", f"{spec.type} takes {want} tensor{'s' if want != '1' else ''}"
                           f", got {n}", span, hint=how if low > 1 else None)


def block_arguments(block: ir.Block, call: ir.CallExpr, scope: Mapping[str, object],
                    globals_: Mapping[str, object]) -> tuple[dict[str, object], Arg | None]:
    """A block call's parameters (declared defaults filled in, each may use the ones before
    it, over the network's sizes `globals_`) and the instance name given, if any."""
    names = [p.name for p in block.params]
    bound, extra = bind_arguments(block.name, names, (), call, scope, reserved=("name",))
    values: dict[str, object] = dict(globals_)
    for p in block.params:
        if p.name in bound:
            values[p.name] = bound[p.name].value
        elif p.default is not None:
            values[p.name] = evaluate(p.default, values).value
        else:
            raise SymconvError("SC105", f"{block.name}() is missing the argument "
                               f"'{p.name}'", call.span, hint=f"e.g. {block.name}({p.name}=…)")
    return values, extra.get("name")
