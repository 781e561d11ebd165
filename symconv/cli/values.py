"""What the text of each command-line option means: sizes (`H=28,W=28`), shapes, ranges,
whole numbers, a model's input shapes and keyword arguments, plot's quantities. Each is an
argparse `type=` (or action) reading the text as data, never as code; arguments.py builds the
parsers with them. Imports no sympy."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def sizes(text: str) -> dict[str, int]:
    """'H=28,W=28' → {'H': 28, 'W': 28}; plain integers only, nothing is evaluated."""
    out: dict[str, int] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name.isidentifier() or not value.isdigit() or len(value) > 40:
            raise argparse.ArgumentTypeError(
                f"bad substitution {item!r}: write NAME=INTEGER, e.g. H=28,W=28")
        if name in out:
            raise argparse.ArgumentTypeError(f"'{name}' is given twice")
        out[name] = int(value)
    return out


class MergedSubs(argparse.Action):
    """--subs given several times: the substitutions merged (`--subs H=28 --subs W=28`); a
    size given twice is refused, as within one --subs. `--subs ""` names none: every size
    takes its declared default."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        merged = dict(getattr(namespace, self.dest) or {})
        for name, value in values.items():
            if name in merged:
                parser.error(f"argument --subs: '{name}' is given twice")
            merged[name] = value
        setattr(namespace, self.dest, merged)


SUBS_HELP = ("(repeatable; --subs '' takes every declared default without naming a size)")


def depth(text: str) -> int | None:
    if text == "all":
        return None
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("expected a whole number ≥ 1 or 'all'")
    return int(text)


def tuple_items(text: str) -> list[str]:
    """'(13, 13, _)' → ['13', '13', '_']: the items of a tuple written on the command line."""
    inner = text.strip()
    if inner.startswith("(") and inner.endswith(")"):
        inner = inner[1:-1]
    items = [p.strip() for p in inner.split(",")]
    if items and items[-1] == "":
        items.pop()
    return items


def optional_shape(text: str) -> tuple[int | None, ...]:
    """'(13, 13, _)' → (13, 13, None): whole numbers and _ only, nothing is evaluated."""
    items = tuple_items(text)
    if not items or not all(p == "_" or p.isdigit() for p in items):
        raise argparse.ArgumentTypeError(
            f"bad shape {text!r}: write whole numbers or _ for a free axis, e.g. '(13, 13, _)'")
    return tuple(None if p == "_" else int(p) for p in items)


def size_range(text: str) -> tuple[str, tuple[int, int]]:
    """'K=1..31' → ('K', (1, 31))."""
    name, sep, span = text.partition("=")
    low, dots, high = span.partition("..")
    if not (sep and dots and name.strip().isidentifier() and low.strip().isdigit()
            and high.strip().isdigit()):
        raise argparse.ArgumentTypeError(f"bad range {text!r}: write NAME=LOW..HIGH, e.g. K=1..31")
    return name.strip(), (int(low), int(high))


def whole_number(text: str) -> int:
    digits = text.replace("_", "").replace(",", "")
    if not digits.isdigit() or len(digits) > 40:
        raise argparse.ArgumentTypeError(f"bad count {text!r}: write a whole number")
    return int(digits)


def whole_between(low: int, high: int) -> Callable[[str], int]:
    """The parser of a whole number from `low` to `high`."""
    def whole(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}")
        return int(text)
    return whole


samples = whole_between(1, 1000)


def input_shape(text: str) -> tuple[int | str, ...]:
    """'(3, H, W)' → (3, 'H', 'W'): whole numbers and size names only, nothing is evaluated; a
    name may carry an example value, '(3, H=224, W=224)' → (3, 'H=224', 'W=224'), which
    `parse` moves to `args.examples` (the sizes' defaults in the file written)."""
    items = tuple_items(text)
    if not items or not all(p.isdigit() or is_example(p) for p in items):
        raise argparse.ArgumentTypeError(
            f"bad input shape {text!r}: write whole numbers and size names (a name may take an "
            "example value), e.g. '(3, H, W)' or '(3, H=224, W=224)'")
    return tuple(int(p) if p.isdigit() else p for p in items)


def is_example(item: str) -> bool:
    """'H' or 'H=224': a size name, with a positive whole example value or none."""
    name, sep, value = item.partition("=")
    return name.isidentifier() and (not sep or (value.isdigit() and int(value) > 0))


def json_kwargs(text: str) -> dict[str, object]:
    import json

    try:
        value = json.loads(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"bad --kwargs: {err}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("--kwargs must be a JSON object, e.g. '{\"weights\": null}'")
    return value


# the names of symconv.render.plot.QUANTITIES, kept here so that parsing imports no sympy
# (tests/test_plot.py checks they agree)
PLOT_QUANTITIES = ("params", "trainable", "non_trainable", "macs", "flops", "memory",
                   "parameter_bytes", "shape")


def plot_span(text: str) -> tuple[str, tuple[int, int]]:
    """'H=32..512' → ('H', (32, 512)); LO ≤ HI."""
    name, (low, high) = size_range(text.replace(" ", ""))
    if low > high or len(str(high)) > 40:
        raise argparse.ArgumentTypeError(f"bad range {text!r}: LOW must not exceed HIGH "
                                         "(and HIGH has at most 40 digits), e.g. H=32..512")
    return name, (low, high)


def quantities(text: str) -> list[str]:
    """'params,shape:2' → ['params', 'shape:2']: names of PLOT_QUANTITIES, shape:N an axis."""
    names = [p.strip() for p in text.split(",") if p.strip()]
    for name in names:
        base, sep, axis = name.partition(":")
        if base not in PLOT_QUANTITIES or (sep and (base != "shape" or not axis.isdigit()
                                                    or int(axis) < 1)):
            raise argparse.ArgumentTypeError(
                f"unknown quantity {name!r}: one of {', '.join(PLOT_QUANTITIES)}, or shape:N "
                "(the output's N-th axis, from 1, batch axis left out)")
    if not names or len(set(names)) < len(names):
        raise argparse.ArgumentTypeError("name each quantity once, e.g. params,macs")
    return names
