"""The benchmarked architectures, each written once as a list of layer specs, and the code each
tool needs generated from it: a .arch file (symconv), a torch.nn module (torch.export), a JAX
function of ShapeDtypeStructs (jax.eval_shape) and the textbook formulas in sympy (naive).

torch, jax and sympy are imported inside the methods that need them, so a child process loads
only its own tool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _jax_window(x, init, op, k, s, p, ceil):
    """reduce_window over H, W (NHWC); ceil_mode as s - 1 extra padding on the right."""
    from jax import lax
    hi = p + (s - 1 if ceil else 0)
    pad = ((0, 0), (p, hi), (p, hi), (0, 0))
    return lax.reduce_window(x, init, op, (1, k, k, 1), (1, s, s, 1), pad)


@dataclass(frozen=True)
class Conv:
    cin: int
    cout: int
    k: int
    s: int = 1
    p: int = 0
    bias: bool = True

    def arch(self) -> str:
        return (f"Conv2d({self.cin}, {self.cout}, {self.k}"
                + (f", stride={self.s}" if self.s != 1 else "")
                + (f", padding={self.p}" if self.p else "") + ")")

    def torch(self):
        import torch.nn as nn
        return nn.Conv2d(self.cin, self.cout, self.k, self.s, self.p, bias=self.bias)

    def jax_params(self) -> list[tuple[int, ...]]:
        return [(self.k, self.k, self.cin, self.cout)] + ([(self.cout,)] if self.bias else [])

    def jax(self, x, params):
        from jax import lax
        pad = ((self.p, self.p), (self.p, self.p))
        y = lax.conv_general_dilated(x, next(params), (self.s, self.s), pad,
                                     dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return y + next(params) if self.bias else y

    def naive(self, h):
        from sympy import floor
        return floor((h + 2 * self.p - self.k) / self.s) + 1


@dataclass(frozen=True)
class Pool:
    kind: str  # "max" or "avg"
    k: int
    s: int
    p: int = 0
    ceil: bool = False
    count_include_pad: bool = True

    def arch(self) -> str:
        return (f"{'MaxPool2d' if self.kind == 'max' else 'AvgPool2d'}({self.k}, stride={self.s}"
                + (f", padding={self.p}" if self.p else "")
                + (", ceil_mode=True" if self.ceil else "")
                + ("" if self.count_include_pad else ", count_include_pad=False") + ")")

    def torch(self):
        import torch.nn as nn
        if self.kind == "max":
            return nn.MaxPool2d(self.k, self.s, self.p, ceil_mode=self.ceil)
        return nn.AvgPool2d(self.k, self.s, self.p, ceil_mode=self.ceil,
                            count_include_pad=self.count_include_pad)

    def jax_params(self) -> list[tuple[int, ...]]:
        return []

    def jax(self, x, params):
        import jax.numpy as jnp
        from jax import lax
        # PyTorch drops a last ceil_mode window that would start in the right padding; that
        # can only happen when p + s > k, which no benchmarked pool has.
        assert not self.ceil or self.p + self.s <= self.k
        args = (self.k, self.s, self.p, self.ceil)
        if self.kind == "max":
            return _jax_window(x, -jnp.inf, lax.max, *args)
        total = _jax_window(x, 0.0, lax.add, *args)
        if self.count_include_pad and not self.ceil:
            return total / (self.k * self.k)
        return total / _jax_window(jnp.ones_like(x), 0.0, lax.add, *args)

    def naive(self, h):
        from sympy import Min, ceiling, floor
        if not self.ceil:
            return floor((h + 2 * self.p - self.k) / self.s) + 1
        out = ceiling((h + 2 * self.p - self.k) / self.s) + 1
        if self.p + self.s > self.k:  # PyTorch's correction: the last window starts inside
            out = Min(out, floor((h + self.p - 1) / self.s) + 1)
        return out


@dataclass(frozen=True)
class Pointwise:
    """ReLU or BatchNorm2d(c): shape unchanged."""
    bn: int = 0

    def torch(self):
        import torch.nn as nn
        return nn.BatchNorm2d(self.bn) if self.bn else nn.ReLU()

    def jax_params(self) -> list[tuple[int, ...]]:
        return [(self.bn,), (self.bn,)] if self.bn else []

    def jax(self, x, params):
        import jax.numpy as jnp
        return x * next(params) + next(params) if self.bn else jnp.maximum(x, 0.0)

    def naive(self, h):
        return h


RELU = Pointwise()


@dataclass(frozen=True)
class Bottleneck:
    """torchvision's Bottleneck: 1×1, 3×3 (stride), 1×1 ×4 expand, with a 1×1 downsample."""
    cin: int
    planes: int
    s: int = 1
    down: bool = False

    @property
    def main(self) -> list:
        p = self.planes
        return [Conv(self.cin, p, 1, bias=False), Pointwise(p), RELU,
                Conv(p, p, 3, self.s, 1, bias=False), Pointwise(p), RELU,
                Conv(p, 4 * p, 1, bias=False), Pointwise(4 * p)]

    @property
    def short(self) -> list:
        if not self.down:
            return []
        return [Conv(self.cin, 4 * self.planes, 1, self.s, bias=False), Pointwise(4 * self.planes)]

    def torch(self):
        import torch
        import torch.nn as nn

        class Block(nn.Module):
            def __init__(self, main, short):
                super().__init__()
                self.main = nn.Sequential(*main)
                self.short = nn.Sequential(*short)  # empty: the identity

            def forward(self, x):
                return torch.relu(self.main(x) + self.short(x))

        return Block([op.torch() for op in self.main], [op.torch() for op in self.short])

    def jax_params(self) -> list[tuple[int, ...]]:
        return [shape for op in self.main + self.short for shape in op.jax_params()]

    def jax(self, x, params):
        import jax.numpy as jnp
        y, z = x, x
        for op in self.main:
            y = op.jax(y, params)
        for op in self.short:
            z = op.jax(z, params)
        return jnp.maximum(y + z, 0.0)

    def naive(self, h):  # the main path; the shortcut's extent is not compared
        for op in self.main:
            h = op.naive(h)
        return h


@dataclass(frozen=True)
class Head:
    """AdaptiveAvgPool2d((1, 1)), Flatten, Linear(cin, cout): the H axis is gone after it."""
    cin: int
    cout: int

    def torch(self):
        import torch.nn as nn
        return nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                             nn.Linear(self.cin, self.cout))

    def jax_params(self) -> list[tuple[int, ...]]:
        return [(self.cin, self.cout), (self.cout,)]

    def jax(self, x, params):
        return x.mean(axis=(1, 2)) @ next(params) + next(params)


@dataclass
class Case:
    name: str
    title: str
    cin: int
    body: list  # layers up to the last spatial tensor, whose H extent is reported
    head: list = field(default_factory=list)  # layers after it (ResNet-50's avgpool + fc)
    min_h: int = 1  # the smallest H (= W) the network accepts
    example_h: int = 64  # torch.export's example input
    check_sizes: tuple[int, ...] = ()  # H = W sizes checked against real PyTorch
    source: str = ""  # an example file; "" = generate from `body`
    cut_at: str = ""  # drop the example's lines from this layer on (its Flatten/Dense top)
    feature_before: str = ""  # symconv: the reported tensor is the input of this layer

    def arch_file(self, tmp: Path) -> Path:
        """The .arch file symconv runs on: the example, its truncation, or a generated chain."""
        if self.source and not self.cut_at:
            return EXAMPLES / self.source
        if self.source:
            lines = (EXAMPLES / self.source).read_text().splitlines()
            cut = next(i for i, line in enumerate(lines) if line.startswith(self.cut_at))
            text = "\n".join(lines[:cut]) + "\n"
        else:
            text = "\n".join([f"network {self.name}", "convention torch", "sizes H, W",
                              f"input ({self.cin}, H, W)"] + [op.arch() for op in self.body]) + "\n"
        path = tmp / f"{self.name}.arch"
        path.write_text(text)
        return path


# checked on the meta device (shapes without data), H only: W stays at example_h
HUGE_SIZES = (4097, 10**6 + 1, 2**33 - 1, 2**33 + 1, 10**12 + 7)

CHAIN_PATTERN = [Conv(4, 4, 3, 2, 1), Conv(4, 4, 3, 1, 1), Pool("max", 3, 2, 1), Conv(4, 4, 1),
                 Pool("max", 3, 2, 1, ceil=True),
                 Pool("avg", 3, 2, 1, ceil=True, count_include_pad=False)]
CHAIN_LENGTHS = (50, 200, 1000, 10000)


def _vgg16() -> list:
    body, cin = [], 3
    for width, convs in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(convs):
            body += [Conv(cin, width, 3, 1, 1), RELU]  # Keras padding="same" at stride 1
            cin = width
        body.append(Pool("max", 2, 2))
    return body


def _resnet50() -> list:
    body, cin = [Conv(3, 64, 7, 2, 3, bias=False), Pointwise(64), RELU, Pool("max", 3, 2, 1)], 64
    for planes, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        body.append(Bottleneck(cin, planes, stride, down=True))
        body += [Bottleneck(4 * planes, planes)] * (blocks - 1)
        cin = 4 * planes
    return body


def cases() -> dict[str, Case]:
    out = {
        "mnist": Case("mnist", "MNIST CNN", 1, [Conv(1, 32, 3), RELU, Pool("max", 2, 2),
                                                Conv(32, 64, 3), RELU, Pool("max", 2, 2)],
                      min_h=10, example_h=28, check_sizes=(10, 11, 28, 29, 100),
                      source="mnist_cnn.arch", cut_at="Flatten("),
        "vgg16": Case("vgg16", "VGG16", 3, _vgg16(), min_h=32, example_h=64,
                      check_sizes=(32, 33, 63, 64, 100), source="vgg16.arch", cut_at="Flatten("),
        "resnet50": Case("resnet50", "ResNet-50", 3, _resnet50(), [Head(2048, 1000)], min_h=1,
                         example_h=64, check_sizes=(1, 2, 7, 33, 64, 225), source="resnet50.arch",
                         feature_before="avgpool"),
    }
    for n in CHAIN_LENGTHS:
        body = [CHAIN_PATTERN[i % len(CHAIN_PATTERN)] for i in range(n)]
        out[f"chain{n}"] = Case(f"chain{n}", f"chain of {n:,}", 4, body,
                                check_sizes=(1, 2, 7, 64, 1000))
    return out


def torch_model(case: Case):
    """An nn.Module returning the last spatial tensor (and the head's output, if any)."""
    import torch.nn as nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(*[op.torch() for op in case.body])
            self.head = nn.Sequential(*[op.torch() for op in case.head])

        def forward(self, x):
            f = self.body(x)
            return (f, self.head(f)) if case.head else f

    return Net().eval()


def jax_function(case: Case):
    """(f, params): f(x, params) in NHWC; params a list of ShapeDtypeStructs (no weights exist)."""
    import jax
    import jax.numpy as jnp

    def f(x, params):
        it = iter(params)
        for op in case.body:
            x = op.jax(x, it)
        y = x
        for op in case.head:
            y = op.jax(y, it)
        return (x, y) if case.head else x

    shapes = [s for op in case.body + case.head for s in op.jax_params()]
    return f, [jax.ShapeDtypeStruct(s, jnp.float32) for s in shapes]


def textbook(case: Case, h: int) -> int:
    """The naive formulas evaluated in integers: PyTorch's output size at any H, even past the
    int64 sizes PyTorch itself accepts."""
    from sympy import Integer
    h = Integer(h)
    for op in case.body:
        h = op.naive(h)
    return int(h)


def naive_sympy(case: Case, h, w):
    """The textbook formulas layer by layer, no simplification: the (H, W) extents."""
    for op in case.body:
        h, w = op.naive(h), op.naive(w)
    return h, w
