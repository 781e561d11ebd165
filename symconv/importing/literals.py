"""Python values as `.arch` literals, and the layer calls the importer writes.

A call keeps its arguments as data (keyword, value, role) until it is written, so that the
writer can turn an integer that differs between instances of one module class into a block
parameter (`Hole`) rather than a literal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# the words of the .arch language and Python's literals, never used as a tensor or parameter name
KEYWORDS = frozenset({"block", "repeat", "input", "output", "shared", "sizes", "network",
                      "convention", "parameter", "if", "elif", "else", "as", "and", "or", "not",
                      "True", "False", "None", "max", "min", "in", "is", "for", "def", "return",
                      "lambda", "class", "import", "from", "with", "while", "pass"})


def unique(base: str, used: set[str], first: int = 1) -> str:
    """`base`, or base_1 (base_`first`), base_2, … : the first not in `used`, which it joins."""
    name, k = base, first
    while name in used:
        name, k = f"{base}_{k}", k + 1
    used.add(name)
    return name


def literal(value: object) -> str:
    """`value` as the .arch grammar reads it: numbers, strings, booleans, None, tuples."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # 1e-05 and 0.001 are both .arch decimals
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (tuple, list)):
        items = [literal(v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    raise TypeError(f"no .arch literal for {type(value).__name__}")


def is_literal(value: object) -> bool:
    """Whether `literal` can write `value`."""
    if isinstance(value, (tuple, list)):
        return all(is_literal(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


@dataclass(frozen=True)
class Hole:
    """A number argument that may become a block parameter named after `role`. A keyword
    argument carries its `keyword=` (after the separator) in `prefix`, and the layer's
    `default`: the whole argument is left out where every instance has the default."""

    value: int | float
    role: str
    prefix: str = ""
    default: int | float | None = None

    def written(self, parameter: str | None = None) -> str:
        if parameter is not None:
            return self.prefix + parameter
        return "" if self.value == self.default else self.prefix + literal(self.value)


Fragment = str | Hole  # a piece of a written line


@dataclass(frozen=True)
class Arg:
    keyword: str | None  # None: given by position
    value: object
    role: str  # the parameter's name in the catalog (a block parameter is named after it)
    default: object = None  # the layer's default, for a keyword argument
    at_default: bool = False  # written only in a block's full form (see LayerCall.fragments)


@dataclass(frozen=True)
class LayerCall:
    """`Type(args, name="…")` of torch convention."""

    type: str
    args: tuple[Arg, ...] = ()

    def fragments(self, name: str | None = None, full: bool = False) -> list[Fragment]:
        """The call's pieces; `full` adds the integer keywords left at their default, so that
        instances that differ only in which keywords they need line up as one block."""
        out: list[Fragment] = [f"{self.type}("]
        for arg in self.args:
            if arg.at_default and not full:
                continue
            sep = ", " if len(out) > 1 else ""
            if type(arg.value) not in (int, float):
                out.append(sep + (f"{arg.keyword}=" if arg.keyword else "") + literal(arg.value))
            elif arg.keyword:
                default = arg.default if type(arg.default) in (int, float) else None
                out.append(Hole(arg.value, arg.role, f"{sep}{arg.keyword}=", default))
            else:
                out += [sep, Hole(arg.value, arg.role)]
        if name is not None:
            out.append((", " if len(out) > 1 else "") + f"name={literal(name)}")
        return out + [")"]


def joined(fragments: list[Fragment], hole: Callable[[Hole], str] = Hole.written) -> str:
    """A line's text, each hole written by `hole` (its value unless it became a parameter);
    a keyword left out at the head of a call takes the next one's separator with it."""
    return "".join(f if isinstance(f, str) else hole(f) for f in fragments).replace("(, ", "(")
