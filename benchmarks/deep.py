"""The deep networks of issue 17, symconv only (no peer writes them): a pre-norm transformer
unrolled and as `repeat n:`, a chain mixing strides 2 and 3 (a condition on most layers), and
stacked U-Nets (many divisibility conditions that hold at once), each family at sizes that
double so that growth can be read off.

Each case is .arch text generated here; `arch_file(tmp)` writes it where the CLI can read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import archs

# One pre-norm block: LayerNorm → attention → add, LayerNorm → Linear → GELU → Linear → add.
TF_BLOCK = ["a = LayerNorm(d)(x)", "a = MultiheadAttention(d, 4, batch_first=True)(a)",
            "x = x + a", "m = LayerNorm(d)(x)", "m = Linear(d, 4 * d)(m)", "m = GELU()(m)",
            "m = Linear(4 * d, d)(m)", "x = x + m"]

# Strides 1, 2 and 3 mixed: most layers add a condition and the floor formulas grow long.
MIXED_CYCLE = ["Conv2d(8, 8, 3, stride=1, padding=1)", "Conv2d(8, 8, 3, stride=1, padding=0)",
               "Conv2d(8, 8, 5, stride=2, padding=2)", "MaxPool2d(3, stride=1, padding=1)",
               "ReLU()", "Conv2d(8, 8, 3, stride=3, padding=1)"]

UNET_LEVELS = 5


@dataclass(frozen=True)
class Deep:
    name: str
    title: str
    family: str  # cases of one family are compared size against size
    size: int  # blocks, layers or stages: what doubles within the family
    text: str

    def arch_file(self, tmp: Path) -> Path:
        path = tmp / f"{self.name}.arch"
        path.write_text(self.text)
        return path


def transformer(blocks: int) -> str:
    head = ["convention torch", "sizes L, d=64", "input x: (L, d)"]
    return "\n".join(head + TF_BLOCK * blocks) + "\n"


def transformer_repeat() -> str:
    """The same block under `repeat n:` with n symbolic: derived once, closed in n."""
    head = ["convention torch", "sizes L, n, d=64", "input x: (L, d)", "repeat n:"]
    return "\n".join(head + ["    " + line for line in TF_BLOCK]) + "\n"


def mixed(layers: int) -> str:
    body = [MIXED_CYCLE[i % len(MIXED_CYCLE)] for i in range(layers)]
    return "\n".join(["convention torch", "sizes H, W", "input (8, H, W)"] + body) + "\n"


def unet(stages: int, levels: int = UNET_LEVELS) -> str:
    """`stages` U-Nets of `levels` levels in a row, a MaxPool2d(2) between two: stage s joins
    its skips at H/2^(s+1) … H/2^(s+levels), so every stage adds divisibility conditions
    (⌊H/2^k⌋ mod 2 = 0) that overlap the previous stage's and all hold at once."""
    lines = ["convention torch", "sizes H, W", "block DoubleConv(cin, cout):",
             "    Conv2d(cin, cout, 3, padding=1)", "    ReLU()",
             "    Conv2d(cout, cout, 3, padding=1)", "    ReLU()", "input x: (4, H, W)"]
    for s in range(stages):
        if s:
            lines.append("x = MaxPool2d(2)(x)")
        c = 4
        for level in range(levels):  # down: DoubleConv, keep the skip, halve
            lines += [f"s{level} = DoubleConv({c}, {8 << level})(x)", f"x = MaxPool2d(2)(s{level})"]
            c = 8 << level
        lines.append(f"x = DoubleConv({c}, {2 * c})(x)")
        c *= 2
        for level in reversed(range(levels)):  # up: double, join the skip, DoubleConv
            lines += [f"u = ConvTranspose2d({c}, {c // 2}, 2, stride=2)(x)",
                      f"x = DoubleConv({c}, {c // 2})(cat((s{level}, u), dim=1))"]
            c //= 2
        lines.append(f"x = Conv2d({c}, 4, 1)(x)")
    return "\n".join(lines) + "\n"


def _chain10000() -> Deep:
    case = archs.cases()["chain10000"]
    text = "\n".join(["network chain10000", "convention torch", "sizes H, W", "input (4, H, W)"]
                     + [op.arch() for op in case.body]) + "\n"
    return Deep("chain10000", "chain of 10,000", "chain", 10000, text)


# --only names: a group selects every case of its family
GROUPS = {"tf1250": ("tf10", "tf1250", "tfrepeat"),
          "mixed": ("mixed1000", "mixed2000", "mixed4000"),
          "unet": ("unet8", "unet16", "unet32"), "chainfmt": ("chain10000",)}
# the cases whose stages (import, parse, derive, render per format) are timed in process
STAGED = ("tf1250", "tfrepeat", "mixed4000", "unet32", "chain10000")
STEPWISE = ("mixed2000",)  # LaTeX --formulas stepwise as well
# --macs --memory float32 --receptive-field as well: MAC products of two floors, their sums
COMPUTE = ("mixed1000", "mixed2000", "mixed4000")


def cases() -> dict[str, Deep]:
    out = {f"tf{n}": Deep(f"tf{n}", f"transformer, {n:,} blocks unrolled", "tf", n,
                          transformer(n)) for n in (10, 1250)}
    out["tfrepeat"] = Deep("tfrepeat", "transformer, `repeat n:` (n symbolic)", "tf", 0,
                           transformer_repeat())
    for n in (1000, 2000, 4000):
        out[f"mixed{n}"] = Deep(f"mixed{n}", f"mixed strides, {n:,} layers", "mixed", n, mixed(n))
    for n in (8, 16, 32):
        out[f"unet{n}"] = Deep(f"unet{n}", f"U-Net ×{n} ({UNET_LEVELS} levels each)", "unet", n,
                               unet(n))
    out["chain10000"] = _chain10000()
    return out
