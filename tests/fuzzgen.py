"""Hypothesis strategies that build valid, nearly valid and mangled `.arch` inputs, as bytes.

>>> programs().example()  # doctest: +SKIP
b'# fuzz\\nconvention torch\\nsizes H, W, C=3, F=8\\ninput x: (C, H, W)\\nConv2d(C, F, 3)\\n...'

Three families, all returned as the bytes a file would hold:

- `programs()`: grammar-aware and shape-aware programs in either convention. A chain of layers
  from `symconv.layers.REGISTRY` (the generator tracks the rank and, for PyTorch, the channel
  count as text, so most programs derive), with symbolic sizes with and without defaults, named
  inputs, assignments, merges (`a + b`, `add(a, b)`, `Add()(a, b)`, `cat((a, b), dim=1)`,
  `Concatenate()(a, b)`), blocks with parameters and `if/elif/else` on them, `repeat`, shared
  layers, `output`, comments and continuation lines.
- `nearly_valid()`: such a program with one or two targeted slips (a wrong keyword, a missing
  parenthesis, an undeclared size, a layer of the other convention, a bad indent, a misspelt
  layer, a wrong value kind...), or a random call of any registered layer with arguments of every
  value kind (numbers, size expressions with + - * / // % **, strings, True/False/None, tuples).
- `mutants()`: every file in examples/*.arch and tests/errors/*.arch with byte- and token-level
  damage: deleted, duplicated and swapped tokens, truncated lines, random and non-UTF-8 bytes, a
  BOM, CRLF line ends, tabs, a 100k-character line, deeply nested parentheses, huge numbers and
  powers, huge `repeat` counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import hypothesis.strategies as st

from symconv.layers import REGISTRY
from symconv.layers.base import REQUIRED

ROOT = Path(__file__).parent.parent
SEEDS = sorted(ROOT.glob("examples/*.arch")) + sorted(ROOT.glob("tests/errors/*.arch"))
SEED_BYTES = {p.relative_to(ROOT).as_posix(): p.read_bytes() for p in SEEDS}
TOKEN = re.compile(rb"#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|[0-9][0-9_.eE]*|\"[^\"\n]*\"|'[^'\n]*'|\*\*|//|"
                   rb"[=!<>]=|\S")
KEYWORDS = ("network", "convention", "sizes", "input", "output", "shared", "block", "repeat",
            "if", "elif", "else", "and", "or", "not", "True", "False", "None")

# --------------------------------------------------------------------------- values


def size_expr(names: tuple[str, ...], depth: int = 3) -> st.SearchStrategy[str]:
    """An arithmetic expression over declared sizes and small numbers, every operator."""
    leaf = st.one_of(st.integers(0, 12).map(str), st.sampled_from(names or ("1",)),
                     st.sampled_from(["1.5", "0.5", "2e1", "1_0"]))
    if depth == 0:
        return leaf

    def binop(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        ops = st.sampled_from(["+", "-", "*", "/", "//", "%"])
        pair = st.tuples(children, ops, children).map(lambda t: f"{t[0]} {t[1]} {t[2]}")
        power = st.tuples(children, st.integers(0, 5)).map(lambda t: f"({t[0]})**{t[1]}")
        unary = children.map(lambda c: f"-({c})")
        return st.one_of(pair, pair.map(lambda s: f"({s})"), power, unary)

    return st.recursive(leaf, binop, max_leaves=6)


def any_value(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A value of any kind the language has."""
    scalar = st.one_of(
        st.integers(-3, 64).map(str), size_expr(names),
        st.sampled_from(['"same"', "'valid'", '"relu"', '"causal"', '"full"', '""', '"x y"',
                         "True", "False", "None", "0.5", "1e-3", "-1", "10**40", "2**64"]))
    tuples = st.lists(scalar, max_size=4).map(
        lambda xs: "()" if not xs else f"({xs[0]},)" if len(xs) == 1 else f"({', '.join(xs)})")
    return st.one_of(scalar, scalar, tuples)


def _plausible(param: str, default: object, names: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A value that fits a parameter by its name and default, most of the time."""
    small = st.sampled_from(["1", "2", "3", "4", "8"] + [n for n in names if len(n) > 1 or n == "F"])
    if isinstance(default, bool):
        return st.sampled_from(["True", "False"])
    if "padding" in param and isinstance(default, str):
        return st.sampled_from(['"valid"', '"same"', '"causal"', '"zeros"', '"reflect"'])
    if isinstance(default, str):
        return st.just(repr(default)) | st.sampled_from(['"relu"', '"nearest"', '"concat"'])
    if isinstance(default, float):
        return st.sampled_from(["0.1", "0.5", "1e-5", "0.0"])
    if isinstance(default, tuple) and default:
        return st.lists(small, min_size=len(default), max_size=len(default)).map(
            lambda xs: f"({', '.join(xs)},)")
    if default is None and param in ("activation",):
        return st.sampled_from(['"relu"', '"softmax"', "None"])
    return small | st.sampled_from(["None", "(2, 2)", "-1", "0"])


# --------------------------------------------------------------------------- random calls


@st.composite
def random_call(draw: st.DrawFn, convention: str, names: tuple[str, ...]) -> str:
    """Any registered layer of `convention`, arguments by position and keyword, plausible
    values mostly, any value now and then."""
    spec = REGISTRY[convention][draw(st.sampled_from(sorted(REGISTRY[convention])))]
    # the slots of sizes given one by one (torch_ops' '*2', …) have no keyword form
    params = [p for p in spec.params if p.name not in ("name", "dtype", "device")
              and not p.name.startswith("*")]
    limit = len(params) if spec.positional is None else min(spec.positional, len(params))
    npos = draw(st.integers(0, min(limit, 3)))
    items = []
    for p in params[:npos]:
        items.append(draw(_plausible(p.name, p.default, names) | any_value(names)))
    rest = params[npos:]
    required = [p for p in rest if p.default is REQUIRED]
    optional = draw(st.lists(st.sampled_from(rest), max_size=3, unique=True)) if rest else []
    for p in required + [p for p in optional if p not in required]:
        value = draw(st.one_of(_plausible(p.name, p.default, names),
                               _plausible(p.name, p.default, names), any_value(names)))
        items.append(f"{p.name}={value}")
    return f"{spec.type}({', '.join(items)})"


# --------------------------------------------------------------------------- programs


@dataclass
class State:
    """What the shape-aware generator knows: the convention, the current tensor's rank and (for
    PyTorch) its channel or feature count as .arch text; tensors named so far."""

    convention: str
    rank: int
    channels: str
    names: tuple[str, ...]
    tensors: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    counter: int = 0

    def fresh(self) -> str:
        self.counter += 1
        return f"t{self.counter}"


Step = Callable[[st.DrawFn, State], str]
KERNEL = ["1", "2", "3", "K"]
PADS = ["padding='same')", "padding=\"valid\")", "strides=2)", "strides=(1, 2), padding='same')",
        "dilation_rate=2, use_bias=False)", ")"]


def _k(draw: st.DrawFn, s: State) -> str:
    return draw(st.sampled_from(KERNEL if "K" in s.names else KERNEL[:3]))


def _width(draw: st.DrawFn, s: State) -> str:
    widths = ["4", "8", "16"] + [f"{w}" for w in ("F", "2 * F", "F // 2 + 1", "F + 1",
                                                   "(F + 3) % 5 + 1") if "F" in s.names]
    return draw(st.sampled_from(widths))


def keras_steps(rank: int) -> list[tuple[str, Step, int]]:
    """(label, step, rank after) for a Keras tensor of `rank`."""
    d = {1: "1D", 2: "1D", 3: "2D"}[rank] if rank > 1 else ""
    same: list[tuple[str, Step, int]] = [
        ("relu", lambda dr, s: "ReLU()", rank),
        ("dropout", lambda dr, s: f"Dropout({dr(st.sampled_from(['0.5', '0.1', 'rate=0.2']))})",
         rank),
        ("bn", lambda dr, s: "BatchNormalization()", rank),
        ("ln", lambda dr, s: "LayerNormalization(epsilon=1e-6)", rank),
        ("act", lambda dr, s: f"Activation({dr(st.sampled_from(['relu', 'tanh']))!r})", rank),
        ("leaky", lambda dr, s: "LeakyReLU(negative_slope=0.2)", rank),
    ]
    if rank == 1:
        return same + [
            ("dense", lambda dr, s: f"Dense({_width(dr, s)}, use_bias={dr(st.booleans())})", 1),
            ("repeatvector", lambda dr, s: f"RepeatVector({dr(st.sampled_from(['2', '3']))})", 2),
        ]
    window = [
        ("conv", lambda dr, s: f"Conv{d}({_width(dr, s)}, {_k(dr, s)}, "
         + dr(st.sampled_from(PADS)), rank),
        ("maxpool", lambda dr, s: f"MaxPooling{d}({dr(st.sampled_from(['2', 'pool_size=2']))})",
         rank),
        ("avgpool", lambda dr, s: f"AveragePooling{d}(2, strides=1, padding='same')", rank),
        ("upsample", lambda dr, s: f"UpSampling{d}(2)", rank),
        ("zeropad", lambda dr, s: f"ZeroPadding{d}({dr(st.sampled_from(['1', '2']))})", rank),
        ("gap", lambda dr, s: f"GlobalAveragePooling{d}()", 1),
        ("flatten", lambda dr, s: "Flatten()", 1),
        ("dense_last", lambda dr, s: f"Dense({_width(dr, s)})", rank),
    ]
    if rank == 2:
        window.append(("lstm", lambda dr, s: f"LSTM({_width(dr, s)})", 1))
        window.append(("gru_seq", lambda dr, s: "GRU(4, return_sequences=True)", 2))
    else:
        window.append(("sepconv", lambda dr, s: f"SeparableConv2D({_width(dr, s)}, 3, "
                       "padding='same')", 3))
        window.append(("dwconv", lambda dr, s: "DepthwiseConv2D(3, depth_multiplier=2)", 3))
        window.append(("convT", lambda dr, s: f"Conv2DTranspose({_width(dr, s)}, 2, strides=2)",
                       3))
    return same + window


def _torch_set(s: State, channels: str) -> None:
    s.channels = channels


def torch_steps(rank: int) -> list[tuple[str, Step, int]]:
    """(label, step, rank after) for a PyTorch tensor of `rank`; steps update `s.channels`."""
    d = {2: "1d", 3: "2d"}.get(rank, "")

    def conv(dr: st.DrawFn, s: State) -> str:
        out, cin = _width(dr, s), s.channels
        s.channels = out
        k = _k(dr, s)
        extra = dr(st.sampled_from(["", ", padding=1", ", stride=2", f", padding={k} // 2",
                                    ", dilation=2", ", bias=False", ", padding='same'"]))
        return f"Conv{d}({cin}, {out}, {k}{extra})"

    def convt(dr: st.DrawFn, s: State) -> str:
        out, cin = _width(dr, s), s.channels
        s.channels = out
        return f"ConvTranspose{d}({cin}, {out}, 2, stride=2)"

    def linear(dr: st.DrawFn, s: State) -> str:
        out, cin = _width(dr, s), s.channels
        s.channels = out
        return f"Linear({cin}, {out}, bias={dr(st.booleans())})"

    def pool_flat(dr: st.DrawFn, s: State) -> str:
        return f"AdaptiveAvgPool{d}(1)\nFlatten()"

    same: list[tuple[str, Step, int]] = [
        ("relu", lambda dr, s: dr(st.sampled_from(["ReLU()", "ReLU(inplace=True)", "GELU()",
                                                   "Tanh()", "Sigmoid()", "Identity()"])), rank),
        ("dropout", lambda dr, s: f"Dropout({dr(st.sampled_from(['0.5', 'p=0.1']))})", rank),
    ]
    if rank == 1:
        return same + [("linear", linear, 1),
                       ("bn1", lambda dr, s: f"BatchNorm1d({s.channels})", 1)]
    return same + [
        ("conv", conv, rank), ("convT", convt, rank),
        ("maxpool", lambda dr, s: f"MaxPool{d}({dr(st.sampled_from(['2', '3, 2, 1', '2, ceil_mode=True']))})", rank),
        ("avgpool", lambda dr, s: f"AvgPool{d}(2)", rank),
        ("bn", lambda dr, s: f"BatchNorm{d}({s.channels})", rank),
        ("pad", lambda dr, s: f"ZeroPad{d}({dr(st.sampled_from(['1', '2']))})", rank),
        ("upsample", lambda dr, s: "Upsample(scale_factor=2)", rank),
        ("pool_flat", pool_flat, 1),
    ]


def _input(draw: st.DrawFn, convention: str, rank: int, names: tuple[str, ...]) -> tuple[str, str]:
    """The input statement and the PyTorch channel count."""
    spatial = [n for n in ("H", "W", "L") if n in names] or ["16"]
    ch = "C" if "C" in names else "3"
    extents = [draw(st.sampled_from(spatial + ["16", "H + 4"] if "H" in names else spatial))
               for _ in range(rank - 1)]
    shape = [ch] + extents if convention == "torch" else extents + [ch]
    if rank == 1:
        shape = [ch]
    text = "(" + ", ".join(shape) + ("," if len(shape) == 1 else "") + ")"
    named = draw(st.booleans())
    return (f"input x: {text}" if named else f"input {text}"), ch


BLOCKS = {
    "keras": ("block Act(p=1, kind='relu'):\n"
              "    if p > 1 and kind == 'relu':\n        ReLU()\n"
              "    elif p == 1:  # the usual case\n        Activation(kind)\n"
              "    else:\n        Dropout(0.1)\n"),
    "torch": ("block Act(p=1, kind='relu'):\n"
              "    if p > 1 and kind == 'relu':\n        ReLU()\n"
              "    elif not p != 1:\n        GELU()\n"
              "    else:\n        Dropout(p=0.1)\n"),
}
DECLS = [("H", None), ("W", None), ("L", None), ("C", "3"), ("F", "8"), ("K", "3")]


def _chain_step(draw: st.DrawFn, s: State) -> None:
    """One statement: a layer, an assignment, a residual merge, a block use, a repeat, a
    shared layer."""
    steps = (keras_steps if s.convention == "keras" else torch_steps)(s.rank)
    kind = draw(st.sampled_from(["layer"] * 6 + ["assign", "merge", "block", "repeat",
                                                 "shared", "concat"]))
    if kind in ("layer", "assign"):
        _, step, after = draw(st.sampled_from(steps))
        text = step(draw, s)
        s.rank = after
        if kind == "assign" and "\n" not in text:
            name = s.fresh()
            s.tensors.append(name)
            text = f"{name} = {text}"
        if draw(st.integers(0, 9)) == 0:
            text += "  # " + draw(st.sampled_from(["note", "(x, y", "ßé ∑", "repeat 3:"]))
        s.lines.append(text)
    elif kind == "merge":
        a, b = s.fresh(), s.fresh()
        act = "ReLU()"
        merge = draw(st.sampled_from(
            [f"{a} + {b}", f"{a} * {b}", f"{a} - {b}"]
            + ([f"Add()({a}, {b})", f"Average()(({a}, {b}))", f"Maximum()({a}, {b})"]
               if s.convention == "keras" else [f"add({a}, {b})", f"mul({a}, {b})"])))
        s.lines += [f"{a} = Identity()", f"{b} = {act}({a})", f"{s.fresh()} = {merge}"]
    elif kind == "concat" and s.rank > 1:
        a, b = s.fresh(), s.fresh()
        if s.convention == "keras":
            s.lines += [f"{a} = ReLU()", f"{b} = Identity()({a})", f"Concatenate()({a}, {b})"]
        else:
            s.lines += [f"{a} = ReLU()", f"{b} = Identity()({a})", f"cat(({a}, {b}), dim=1)"]
            s.channels = f"2 * ({s.channels})"
    elif kind == "block":
        args = draw(st.sampled_from(["", "2", "p=1", "1, 'tanh'", "kind='relu', p=2",
                                     "0, name='act_blk'"]))
        s.lines.append(f"Act({args})")
    elif kind == "repeat":
        count = draw(st.sampled_from(["0", "1", "2", "3", "1 + 1"]))
        body = draw(st.sampled_from(["ReLU()", "Dropout(0.5)", "Identity()", "Act(2)"]))
        s.lines += [f"repeat {count}:", f"    {body}", "    Identity()"]
    elif kind == "shared":
        name = f"sh{s.counter}"
        s.counter += 1
        s.lines += [f"shared {name} = ReLU()", f"{name}()", f"{s.fresh()} = {name}()"]


@st.composite
def program(draw: st.DrawFn, convention: str | None = None) -> str:
    """A shape-aware program; most derive, some fail on a shape (SC2xx)."""
    convention = convention or draw(st.sampled_from(["keras", "torch"]))
    rank = draw(st.sampled_from([1, 2, 3, 3]))
    chosen = [d for d in DECLS if draw(st.booleans())]
    names = tuple(n for n, _ in chosen)
    lines = []
    if draw(st.booleans()):
        lines.append("# generated by tests/fuzzgen.py")
    if draw(st.booleans()):
        lines.append(f"network {draw(st.sampled_from(['fuzz', 'net_1', '_x']))}")
    if convention == "torch" or draw(st.booleans()):
        lines.append(f"convention {convention}")
    if chosen:
        lines.append("sizes " + ", ".join(n if d is None or not draw(st.booleans())
                                          else f"{n}={d}" for n, d in chosen))
    use_block = draw(st.booleans())
    if use_block:
        lines.append("")
        lines.append(BLOCKS[convention])
    inp, ch = _input(draw, convention, rank, names)
    lines.append(inp)
    s = State(convention, rank, ch, names)
    for _ in range(draw(st.integers(1, 7))):
        _chain_step(draw, s)
    if not use_block:
        s.lines = [ln for ln in s.lines if "Act(" not in ln] or ["ReLU()"]
    lines += s.lines
    if s.tensors and draw(st.integers(0, 3)) == 0:
        lines.append(f"output {s.tensors[-1]}")
    text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 9)) == 0:  # a call continued over lines inside its parentheses
        text = re.sub(r"(\([^()\n]*?), ", r"\1,\n        ", text, count=1)
    return text


def programs() -> st.SearchStrategy[bytes]:
    return program().map(lambda t: t.encode())


# --------------------------------------------------------------------------- nearly valid

OTHER = {"keras": "torch", "torch": "keras"}


def _slip(text: str, draw: st.DrawFn) -> str:
    """One targeted mistake in a program."""
    lines = text.splitlines()
    i = draw(st.integers(0, max(0, len(lines) - 1)))
    line = lines[i] if lines else ""
    kind = draw(st.sampled_from(
        ["keyword", "paren", "undeclared", "other", "indent", "misspelt", "value", "colon",
         "dup", "swap", "drop", "extra_comma", "dedent_block"]))
    if kind == "keyword" and "=" in line and "(" in line:
        line = re.sub(r"(\w+)=", lambda m: m.group(1) + draw(st.sampled_from(["s", "_", "x"]))
                      + "=", line, count=1)
    elif kind == "paren" and ")" in line:
        j = draw(st.sampled_from([m.start() for m in re.finditer(r"[()]", line)]))
        line = line[:j] + line[j + 1:]
    elif kind == "undeclared":
        line = re.sub(r"\b(H|W|F|C|K|L|4|8|16)\b", draw(st.sampled_from(["Q", "Hieght", "f"])),
                      line, count=1)
    elif kind == "other":
        conv = "torch" if "convention torch" in text else "keras"
        line = draw(random_call(OTHER[conv], ("H", "W", "C")))
    elif kind == "indent":
        line = draw(st.sampled_from(["  ", "    ", "\t", "   \t"])) + line
    elif kind == "misspelt":
        line = re.sub(r"\b([A-Z][A-Za-z0-9]+)\(", lambda m: m.group(1)[:-1] + "(", line, count=1)
    elif kind == "value":
        line = re.sub(r"\b\d+\b", draw(st.sampled_from(["0", "-1", "1.5", "'3'", "None",
                                                         "(1, 2, 3, 4)", "True"])), line, 1)
    elif kind == "colon":
        line = line.replace(":", "", 1)
    elif kind == "dup":
        lines.insert(i, line)
    elif kind == "swap" and len(lines) > 1:
        j = draw(st.integers(0, len(lines) - 1))
        lines[j], line = line, lines[j]
    elif kind == "drop":
        line = ""
    elif kind == "extra_comma":
        line = line.replace("(", "(,", 1)
    elif kind == "dedent_block":
        line = line.lstrip()
    if lines:
        lines[i] = line
    return "\n".join(lines) + "\n"


@st.composite
def nearly_valid_text(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 2)) == 0:
        convention = draw(st.sampled_from(["keras", "torch"]))
        names = ("H", "W", "C", "F")
        head = (f"convention {convention}\nsizes H, W, C=3, F=8\n"
                + ("input (C, H, W)\n" if convention == "torch" else "input (H, W, C)\n"))
        calls = draw(st.lists(random_call(convention, names), min_size=1, max_size=3))
        return head + "\n".join(calls) + "\n"
    text = draw(program())
    for _ in range(draw(st.integers(1, 2))):
        text = _slip(text, draw)
    return text


def nearly_valid() -> st.SearchStrategy[bytes]:
    return nearly_valid_text().map(lambda t: t.encode())


# --------------------------------------------------------------------------- mutants


def _tokens(data: bytes) -> list[tuple[int, int]]:
    """Token spans, comments left out (damage there rarely matters)."""
    return [m.span() for m in TOKEN.finditer(data) if not m.group().startswith(b"#")]


def _mutate(data: bytes, draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(MUTATIONS))
    toks = _tokens(data)
    if kind in ("delete", "duplicate", "swap", "replace") and toks:
        i = draw(st.integers(0, len(toks) - 1))
        a, b = toks[i]
        if kind == "delete":
            return data[:a] + data[b:]
        if kind == "duplicate":
            return data[:b] + b" " + data[a:b] + data[b:]
        if kind == "replace":
            new = draw(st.sampled_from(KEYWORDS + ("(", ")", ",", ":", "=", "**", "0", "-",
                                                   "x", "'s'", "1e400"))).encode()
            return data[:a] + new + data[b:]
        j = draw(st.integers(0, len(toks) - 1))
        (a, b), (c, d) = sorted([toks[i], toks[j]])
        if b > c:
            return data
        return data[:a] + data[c:d] + data[b:c] + data[a:b] + data[d:]
    lines = data.split(b"\n")
    i = draw(st.integers(0, len(lines) - 1))
    if kind == "truncate_line":
        lines[i] = lines[i][:draw(st.integers(0, len(lines[i])))]
    elif kind == "truncate_file":
        return data[:draw(st.integers(0, len(data)))]
    elif kind == "random_bytes":
        pos = draw(st.integers(0, len(data)))
        return data[:pos] + draw(st.binary(min_size=1, max_size=8)) + data[pos:]
    elif kind == "non_utf8":
        pos = draw(st.integers(0, len(data)))
        return data[:pos] + draw(st.sampled_from([b"\xff", b"\xc3(", b"\xe2\x82", b"\x80",
                                                  b"\xed\xa0\x80"])) + data[pos:]
    elif kind == "unicode":
        pos = draw(st.integers(0, len(data)))
        return data[:pos] + draw(st.sampled_from(["\u00a0", "\u2028", "\u0085", "\x0c", "\x0b",
                                                  "é", "\x00", "\r", "\u200b"])).encode() + data[pos:]
    elif kind == "bom":
        return b"\xef\xbb\xbf" + data
    elif kind == "crlf":
        return data.replace(b"\n", b"\r\n")
    elif kind == "cr":
        return data.replace(b"\n", b"\r")
    elif kind == "tabs":
        lines[i] = re.sub(rb"^( {4})+", lambda m: b"\t" * (len(m.group(0)) // 4), lines[i])
        if draw(st.booleans()):
            lines[i] = b"\t" + lines[i]
    elif kind == "long_line":
        lines[i] = lines[i] + draw(st.sampled_from([b"  # " + b"x" * 100_000,
                                                    b" " * 100_000, b"x" * 100_000]))
    elif kind == "long_literal":
        lines[i] = re.sub(rb"\b\d+\b", draw(st.sampled_from([b"1" * 100_000, b"9" * 41,
                                                             b"1" * 40])), lines[i], count=1)
    elif kind == "deep_parens":
        n = draw(st.sampled_from([50, 500, 5_000, 20_000]))
        lines[i] = re.sub(rb"\b(\d+|[A-Z]\w*)\b", lambda m: b"(" * n + m.group(0) + b")" * n,
                          lines[i], count=1)
    elif kind == "deep_tuples":
        n = draw(st.sampled_from([50, 500, 3_000]))
        lines[i] = re.sub(rb"\b\d+\b", lambda m: b"(" * n + m.group(0) + b",)" * n,
                          lines[i], count=1)
    elif kind == "deep_unary":
        n = draw(st.sampled_from([10, 300, 3_000]))
        lines[i] = re.sub(rb"\b\d+\b", lambda m: b"-" * n + m.group(0), lines[i], count=1)
    elif kind == "huge_number":
        new = draw(st.sampled_from([b"10**40", b"2**64", b"9" * 40, b"2**64**64", b"(2**64)**64",
                                    b"10**64 * 10**64", b"0**0", b"1e308", b"1e309", b"-10**40",
                                    b"10**40 // 10**39", b"2**-1", b"1e400000",
                                    b"1" * 5000]))
        lines[i] = re.sub(rb"\b\d+\b", lambda m: new, lines[i], count=1)
    elif kind == "huge_repeat":
        # 20,000 applications is symconv's bound: such a net takes ~1.5 s per call, and ~13 s for
        # all the checks of one input, so it is drawn rarely
        new = draw(st.sampled_from([b"20001", b"10**9", b"2**64", b"500", b"20001", b"10**9",
                                    b"2**64", b"500", b"20000"]))
        if b"repeat" in data:
            return re.sub(rb"repeat [^:\n]+:", b"repeat " + new + b":", data, count=1)
        body = lines[i]
        if body.strip() and not body.startswith((b" ", b"\t")) and b"=" not in body \
                and not body.startswith((b"input", b"sizes", b"network", b"convention", b"#",
                                         b"block", b"output", b"shared")):
            lines[i] = b"repeat " + new + b":\n    " + body
    elif kind == "blank_lines":
        lines.insert(i, draw(st.sampled_from([b"", b"    ", b"\t", b"  # c", b"\\"])))
    elif kind == "dup_line":
        lines.insert(i, lines[i])
    return b"\n".join(lines)


MUTATIONS = ("delete", "duplicate", "swap", "replace", "delete", "replace", "truncate_line",
             "truncate_file", "random_bytes", "non_utf8", "unicode", "bom", "crlf", "cr", "tabs",
             "long_line", "long_literal", "deep_parens", "deep_tuples", "deep_unary",
             "huge_number", "huge_repeat", "blank_lines", "dup_line")


@st.composite
def mutant(draw: st.DrawFn, seeds: tuple[str, ...] = tuple(SEED_BYTES)) -> bytes:
    """A seed file with one to three mutations."""
    data = SEED_BYTES[draw(st.sampled_from(seeds))]
    for _ in range(draw(st.integers(1, 3))):
        data = _mutate(data, draw)
    return data


def mutants() -> st.SearchStrategy[bytes]:
    return mutant()


def generated_mutant() -> st.SearchStrategy[bytes]:
    """A generated program, mangled like the seed files."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        data = draw(programs())
        for _ in range(draw(st.integers(1, 2))):
            data = _mutate(data, draw)
        return data

    return build()


# --------------------------------------------------------------------------- hostile
# Inputs written to hurt, each family one an independent fuzzer found wrong answers, crashes or
# minutes-long runs with (issue 14): merges of every extent form, float scale factors, symbolic
# hyperparameters in long chains, compounded exponents and huge products, sizes that may be 0.

# One branch from `x`, by the extent form it leaves on the spatial axis. Rank-2 inputs: PyTorch
# (C, H), Keras (H, C); C is a declared size.
BRANCHES = {
    "torch": {
        "same": "Identity()",
        "floor": "MaxPool1d(2)",
        "floor_pad": "MaxPool1d(3, 2, 1)",
        "min": "MaxPool1d(2, ceil_mode=True)",
        "min_pad": "MaxPool1d(3, stride=2, padding=1, ceil_mode=True)",
        "float": "Upsample(scale_factor=0.7)",
        "float_up": "Upsample(scale_factor=1.3)",
        "double": "Upsample(scale_factor=2)",
        "transposed": "ConvTranspose1d(C, C, 2, stride=2)",
        "same_conv": "Conv1d(C, C, 3, padding='same')",
        "padded": "ConstantPad1d((0, 1), 0.0)",
        "symbolic": "Conv1d(C, C, K, stride=S)",
        "symbolic_pad": "MaxPool1d(K, stride=S, padding=P)",
        "adaptive": "AdaptiveAvgPool1d(1)",
        "one": "AdaptiveMaxPool1d(1)",
    },
    "keras": {
        "same": "Identity()",
        "floor": "MaxPooling1D(2)",
        "ceil": "MaxPooling1D(2, padding='same')",
        "ceil3": "Conv1D(C, 3, strides=3, padding='same')",
        "valid": "Conv1D(C, 3, strides=2)",
        "double": "UpSampling1D(2)",
        "zeropad": "ZeroPadding1D((0, P))",
        "crop": "Cropping1D((1, 0))",
        "symbolic": "Conv1D(C, K, strides=S)",
        "dense_floor": "Dense(C // 2 + 1)",
        "transposed": "Conv1DTranspose(C, 2, strides=2)",
        "causal": "Conv1D(C, 2, dilation_rate=2, padding='causal')",
    },
}
MERGES = {
    "torch": ["{a} + {b}", "{a} - {b}", "{a} * {b}", "add({a}, {b})", "mul({a}, {b})",
              "sub({a}, {b})", "cat(({a}, {b}), dim=2)", "cat(({a}, {b}), dim=1)"],
    "keras": ["{a} + {b}", "{a} * {b}", "{a} - {b}", "Add()({a}, {b})", "Multiply()({a}, {b})",
              "Subtract()({a}, {b})", "Average()(({a}, {b}))", "Maximum()({a}, {b})",
              "Minimum()({a}, {b})", "Concatenate(axis=1)({a}, {b})", "Concatenate()({a}, {b})"],
}


@st.composite
def merge_program(draw: st.DrawFn) -> str:
    """Two or three branches of different extent forms, merged, the result merged again (a Max
    form after a broadcast), sometimes followed by a window layer."""
    convention = draw(st.sampled_from(["torch", "keras"]))
    forms = BRANCHES[convention]
    lines = [f"convention {convention}", "sizes H, C=4, K=3, S=2, P=1",
             "input x: (C, H)" if convention == "torch" else "input x: (H, C)"]
    names = ["x"]
    for i in range(draw(st.integers(2, 4))):
        chain = draw(st.lists(st.sampled_from(sorted(forms)), min_size=1, max_size=2))
        source = draw(st.sampled_from(names))
        for j, form in enumerate(chain):
            lines.append(f"b{i}_{j} = {forms[form]}({source})")
            source = f"b{i}_{j}"
        names.append(source)
        if len(names) >= 3 and draw(st.booleans()):
            a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
            lines.append(f"m{i} = " + draw(st.sampled_from(MERGES[convention])).format(a=a, b=b))
            names.append(f"m{i}")
    a, b = names[-1], draw(st.sampled_from(names[:-1]))
    lines.append(draw(st.sampled_from(MERGES[convention])).format(a=a, b=b))
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(sorted(forms.values()))))
    return "\n".join(lines) + "\n"


@st.composite
def float_scale_program(draw: st.DrawFn) -> str:
    """PyTorch Upsample by float scale factors inside chains of windows (FloatScaled extents)."""
    rank = draw(st.sampled_from([1, 2]))
    d = f"{rank}d"
    spatial = ", ".join(["H", "W"][:rank])
    lines = ["convention torch", "sizes H, W, C=2", f"input (C, {spatial})"]
    for _ in range(draw(st.integers(1, 6))):
        scale = draw(st.sampled_from(["0.7", "1.3", "2.5", "0.5", "0.1", "3", "1.0", "0.3333"]))
        lines.append(draw(st.sampled_from([
            f"Upsample(scale_factor={scale})", f"Upsample(scale_factor={scale}, mode='nearest')",
            f"MaxPool{d}(2)", f"MaxPool{d}(3, 2, 1, ceil_mode=True)", f"AvgPool{d}(2)",
            f"Conv{d}(C, C, 3)", f"Conv{d}(C, C, 3, stride=2, padding=1)"])))
    return "\n".join(lines) + "\n"


@st.composite
def symbolic_chain(draw: st.DrawFn) -> str:
    """A long chain whose kernels, strides, paddings and dilations are sizes (the closed forms
    then cannot fold into one floor)."""
    convention = draw(st.sampled_from(["torch", "keras"]))
    depth = draw(st.sampled_from([1, 3, 10, 30, 60, 100]))
    lines = [f"convention {convention}", "sizes H, W, K, S, P, D"]
    lines.append("input (8, H, W)" if convention == "torch" else "input (H, W, 8)")
    for _ in range(depth):
        k = draw(st.sampled_from(["K", "3", "1", "K + 1"]))
        s = draw(st.sampled_from(["S", "1", "2"]))
        if convention == "torch":
            p = draw(st.sampled_from(["P", "0", "1"]))
            dil = draw(st.sampled_from(["D", "1"]))
            lines.append(draw(st.sampled_from([
                f"Conv2d(8, 8, {k}, stride={s}, padding={p}, dilation={dil})",
                f"MaxPool2d({k}, stride={s}, padding=0)", "ReLU()"])))
        else:
            pad = draw(st.sampled_from(["'valid'", "'same'"]))
            lines.append(draw(st.sampled_from([
                f"Conv2D(8, {k}, strides={s}, padding={pad})",
                f"MaxPooling2D({k}, strides={s}, padding={pad})", "ReLU()"])))
    return "\n".join(lines) + "\n"


HUGE = ["Dense(((H**64)**64)**64)", "Dense(((((H**64)**64)**64)**64)**64)", "Dense(H**64)",
        "Dense(H**32)", "Dense((H + W + 1)**64)", "Dense(10**40 * H)", "Dense(2**64 * 2**64)",
        "Dense((H**64)**4)", "Dense(H**64 * W**64)"]


@st.composite
def huge_program(draw: st.DrawFn) -> str:
    """Compounded exponents, huge products and large polynomial expansions."""
    kind = draw(st.sampled_from(["dense", "padding", "flatten", "branches"]))
    if kind == "dense":
        body = "\n".join(draw(st.lists(st.sampled_from(HUGE), min_size=1, max_size=3)))
        return f"sizes H, W, C\ninput (10,)\n{body}\n"
    if kind == "padding":
        pad = draw(st.sampled_from(["(H**64)**4", "H**64", "2**64", "10**40", "(H + W)**32"]))
        return (f"convention torch\nsizes H, W\ninput (1, H, W)\n"
                f"Conv2d(1, 1, 3, padding={pad})\nMaxPool2d(2)\n")
    if kind == "flatten":
        axes = draw(st.sampled_from([2, 8, 20, 110]))
        extent = draw(st.sampled_from(["10**40", "H**64", "H * 10**40"]))
        return (f"sizes H\ninput ({', '.join([extent] * axes)})\nFlatten()\nDense(1)\n")
    names = draw(st.sampled_from([("H", "W"), ("H", "W", "C"), ("H", "W", "C", "F", "K")]))
    power = draw(st.sampled_from([8, 16, 64]))
    poly = f"({' + '.join(names)} + 1)**{power}"
    return (f"sizes {', '.join(names)}\ninput x: (10,)\na = Dense({poly})(x)\n"
            f"b = Dense({poly})(x)\na + b\n")


@st.composite
def zero_program(draw: st.DrawFn) -> str:
    """Sizes used where 0 is a valid value: paddings, output paddings, cropping and zero padding
    amounts, repeat counts."""
    convention = draw(st.sampled_from(["torch", "keras"]))
    if convention == "torch":
        use = draw(st.sampled_from([
            "Conv2d(4, 8, 3, stride=2, padding=P, dilation=2)", "MaxPool2d(3, 2, P)",
            "ConvTranspose2d(4, 8, 3, stride=2, padding=P, output_padding=Q)",
            "ZeroPad2d(P)", "ConstantPad2d((P, Q, 0, 1), 0.0)",
            "Conv2d(4, 8, 2 * P + 1, padding=P)"]))
        return f"convention torch\nsizes H, P, Q\ninput (4, H, H)\n{use}\nFlatten()\n"
    use = draw(st.sampled_from(["ZeroPadding2D(P)", "ZeroPadding2D(((P, Q), (1, 0)))",
                                "Cropping2D(P)", "Cropping2D(((P, 0), (Q, 1)))",
                                "Conv2DTranspose(4, 3, strides=2, output_padding=Q)"]))
    return f"sizes H, P, Q\ninput (H, H, 4)\n{use}\nFlatten()\n"


def hostile() -> st.SearchStrategy[bytes]:
    return st.one_of(merge_program(), merge_program(), float_scale_program(), symbolic_chain(),
                     huge_program(), zero_program()).map(lambda t: t.encode())
