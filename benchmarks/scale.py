"""Start-up (MNIST derive, ResNet-50 solve, against `import sympy`) and deep networks in every
output format (issue 17): whole-process time, peak RSS, output bytes, seconds per MB printed,
growth against output size, and the time of each stage in process.

Called from run.py (`--only tf1250,mixed,unet,chainfmt`); see benchmarks/README.md.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import archs
import deep
from run import SLOW, fmt, spawn, symconv_cmd  # run.py imports this module lazily

HERE = Path(__file__).resolve().parent
COMPUTE = ["--macs", "--memory", "float32", "--receptive-field"]
FORMATS = {"table": [], "json": ["-f", "json"], "markdown": ["-f", "markdown"],
           "latex": ["-f", "latex"], "latex stepwise": ["-f", "latex", "--formulas", "stepwise"],
           "table, compute columns": ["-f", "table", *COMPUTE],
           "json, compute columns": ["-f", "json", *COMPUTE]}
MB = 1_000_000
SYMPY = [sys.executable, "-c", "import sympy"]  # the start-up no symconv command goes below


def formats_of(name: str) -> list[str]:
    return [f for f in FORMATS if (f != "latex stepwise" or name in deep.STEPWISE)
            and ("compute" not in f or name in deep.COMPUTE)]


def whole(arch: Path, fmt_name: str, args, tmp: Path) -> dict:
    """`symconv derive FILE [-f FORMAT]` with its output in a file: median wall time of
    --repeat runs (one run if the first took over SLOW), peak RSS, output bytes; each run
    follows one of `import sympy` (`SYMPY`), whose median is this row's own measure of the
    host's speed in the same seconds (`row["sympy"]`)."""
    row: dict = {"walls": [], "rss": [], "sympy_walls": []}
    out_path = tmp / "out"
    for _ in range(args.repeat):
        row["sympy_walls"].append(spawn(SYMPY, args.timeout, subprocess.DEVNULL)["wall"])
        with out_path.open("w") as out:
            res = spawn(symconv_cmd() + ["derive", str(arch)] + FORMATS[fmt_name],
                        args.timeout, out)
        if res["timeout"] or res["rc"]:
            row["error"] = ("timeout" if res["timeout"] else
                            f"exit {res['rc']}: " + res["stderr"].strip()[-200:])
            return row
        row["walls"].append(res["wall"])
        row["rss"].append(res["maxrss_kb"])
        row["bytes"] = out_path.stat().st_size
        if fmt_name == "json":
            row["conditions"] = len(json.loads(out_path.read_text())["requires"])
        if res["wall"] > SLOW:
            break
    row["wall"] = statistics.median(row["walls"])
    row["sympy"] = statistics.median(row["sympy_walls"])
    return row


def stages(arch: Path, fmt_name: str, timeout: float) -> dict:
    """One fresh process timing import, parse, derive and render (benchmarks/stages.py)."""
    fmt_args = FORMATS[fmt_name][1:] or ["table"]
    res = spawn([sys.executable, str(HERE / "stages.py"), str(arch)] + fmt_args, timeout)
    if "stages" in res:
        return res["stages"]
    return {"error": "timeout" if res["timeout"] else res.get("error", f"exit {res['rc']}"),
            "message": res.get("message", res["stderr"][-200:])}


def measure(names: list[str], args, log) -> dict:
    cases = deep.cases()
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="symconv-deep-") as tmp_name:
        tmp = Path(tmp_name)
        for name in names:
            case, results[name] = cases[name], {"whole": {}, "stages": {}}
            arch = case.arch_file(tmp)
            for f in formats_of(name):
                row = results[name]["whole"][f] = whole(arch, f, args, tmp)
                log(f"{name} {f}: " + (row.get("error") or
                                       f"{row['wall']:.2f} s, {row['bytes']:,} B, "
                                       f"{max(row['rss']) / 1024:.0f} MB"))
                if name in deep.STAGED and "error" not in row:
                    results[name]["stages"][f] = stages(arch, f, args.timeout)
    return results


# --- start-up ---------------------------------------------------------------------------------

# one unknown on ResNet-50: H for layer4's torchvision output at 224×224 (H in 193..224)
SOLVE_ARGS = ["--for", "H", "--layer", "layer4", "--shape", "(2048, 7, 7)", "--subs", "W=224"]
SOLVE_LABEL = ("symconv solve examples/resnet50.arch --for H --layer layer4 "
               '--shape "(2048, 7, 7)" --subs W=224')


def baseline(args) -> list[str]:
    """Start-up: an empty interpreter, importing sympy, symconv on the MNIST example, and a
    one-unknown solve on ResNet-50, taken in turn (round after round, so that each command's
    runs and `import sympy`'s fall in the same minutes of a host whose speed drifts)."""
    commands = {"python -c pass": [sys.executable, "-c", "pass"],
                'python -c "import sympy"': SYMPY,
                "symconv derive examples/mnist_cnn.arch":
                    symconv_cmd() + ["derive", str(archs.EXAMPLES / "mnist_cnn.arch")],
                SOLVE_LABEL: symconv_cmd() + ["solve", str(archs.EXAMPLES / "resnet50.arch")]
                + SOLVE_ARGS}
    runs: dict[str, list[dict]] = {label: [] for label in commands}
    print("baseline: " + ", ".join(commands), file=sys.stderr, flush=True)
    for _ in range(max(5, args.repeat)):
        for label, cmd in commands.items():
            runs[label].append(spawn(cmd, args.timeout, subprocess.DEVNULL))
    walls = {label: statistics.median(r["wall"] for r in rs) for label, rs in runs.items()}
    sympy_wall = walls['python -c "import sympy"']
    lines = ["| command | whole process (s) | ×import sympy | peak RSS (MB) |",
             "|---|--:|--:|--:|"]
    for label, rs in runs.items():
        rss = max(r["maxrss_kb"] for r in rs) / 1024
        lines.append(f"| `{label}` | {fmt(walls[label])} | {walls[label] / sympy_wall:.2f}× "
                     f"| {rss:.0f} |")
    return lines + ["", "(targets: `derive` within 1.5× of `import sympy`; ResNet-50's one-unknown "
                    "`solve` under 0.5 s, which no command can meet where `import sympy` alone "
                    "takes longer: there, within 1.5× of it)", ""]


# --- the report --------------------------------------------------------------------------------

def _size(n: int) -> str:
    return f"{n / MB:.2f} MB" if n >= 100_000 else f"{n / 1000:.1f} kB"


def whole_table(results: dict) -> list[str]:
    """Each row against its own `import sympy` (taken before each of its runs, `whole`)."""
    cases = deep.cases()
    out = ["| case | format | whole process (s) | `import sympy` (s) | ×import sympy | runs "
           "| peak RSS (MB) | output | s per MB | s per MB less `import sympy` | conditions |",
           "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for name, res in results.items():
        for f, row in res["whole"].items():
            cells = [cases[name].title, f]
            if "error" in row:
                cells += [row["error"]] + ["—"] * 8
            else:
                mb = row["bytes"] / MB
                per_mb = row["wall"] / mb if mb else None
                # not for a few kB: there it is the noise of two start-ups divided by little
                startup = row["sympy"]
                net = (row["wall"] - startup) / mb if mb >= 0.1 else None
                cells += [fmt(row["wall"]), fmt(startup), f"{row['wall'] / startup:.2f}×",
                          str(len(row["walls"])),
                          f"{max(row['rss']) / 1024:.0f}", _size(row["bytes"]),
                          fmt(per_mb) if per_mb else "—", fmt(net) if net is not None else "—",
                          str(row.get("conditions", ""))]
            out.append("| " + " | ".join(cells) + " |")
    return out


def growth_table(results: dict) -> list[str]:
    """Consecutive sizes of a family: t(2N)/t(N) next to the ratio of output bytes."""
    cases = deep.cases()
    out = ["| family | from → to | format | time ratio | output ratio "
           "| time ratio ÷ output ratio |", "|---|---|---|--:|--:|--:|"]
    by_family: dict[str, list[str]] = {}
    for name in results:
        if cases[name].size:
            by_family.setdefault(cases[name].family, []).append(name)
    for family, names in by_family.items():
        names.sort(key=lambda n: cases[n].size)
        for small, big in zip(names, names[1:]):
            for f, a in results[small]["whole"].items():
                b = results[big]["whole"].get(f, {})
                if "wall" not in a or "wall" not in b:
                    continue
                t, s = b["wall"] / a["wall"], b["bytes"] / a["bytes"]
                out.append(f"| {family} | {cases[small].size:,} → {cases[big].size:,} | {f} "
                           f"| {t:.2f} | {s:.2f} | {t / s:.2f} |")
    if "tfrepeat" in results and "tf10" in results:
        for f, a in results["tf10"]["whole"].items():
            b = results["tfrepeat"]["whole"].get(f, {})
            if "wall" in a and "wall" in b:
                out.append(f"| tf | 10 blocks → `repeat n:` (target: the same time) | {f} "
                           f"| {b['wall'] / a['wall']:.2f} | {b['bytes'] / a['bytes']:.2f} | — |")
    return out


def stage_table(results: dict) -> list[str]:
    cases = deep.cases()
    out = ["| case | format | import (s) | parse (s) | derive (s) | render (s) | in-process total "
           "(s) | whole process (s) | peak RSS (MB) |", "|---|---|--:|--:|--:|--:|--:|--:|--:|"]
    for name, res in results.items():
        for f, st in res["stages"].items():
            if "render" not in st:
                out.append(f"| {cases[name].title} | {f} | "
                           f"{st.get('error', 'failed')}: {st.get('message', '')[:80]} |")
                continue
            total = sum(st[k] for k in ("import", "parse", "derive", "render"))
            out.append(f"| {cases[name].title} | {f} | {fmt(st['import'])} | {fmt(st['parse'])} "
                       f"| {fmt(st['derive'])} | {fmt(st['render'])} | {fmt(total)} "
                       f"| {fmt(res['whole'][f]['wall'])} | {st['maxrss_kb'] / 1024:.0f} |")
    return out


NOTES = """\
Notes:
- whole process: `symconv derive FILE [-f FORMAT]`, standard output to a file; the median of
  --repeat runs, one run where the first took over 10 s. peak RSS: the child's ru_maxrss
  (os.wait4), the largest of the runs. output: the bytes written. s per MB: whole-process time
  (start-up included) per MB of output; targets: ≤ 1 s per MB; peak RSS < 300 MB. `import
  sympy`: the median of `python -c "import sympy"` run just before each of the row's runs,
  the start-up every command pays and the host's speed in those seconds; ×import sympy and
  s per MB less `import sympy`: the row's time against it (— where the output is under 0.1 MB:
  there it is the noise of two start-ups divided by little).
- conditions: the entries of `requires` in the JSON output (the "Valid when" lines).
- table, compute columns and json, compute columns (mixed chain only): the same command with
  `--macs --memory float32 --receptive-field` (each conv's MACs a product of two long floors,
  their sum in the footer).
- growth: within a family, t(big)/t(small) and the ratio of output sizes, for the same format;
  target (mixed chain): t(4,000)/t(2,000) ≤ 1.2 × the ratio of output sizes, i.e. the last
  column ≤ 1.2. `repeat n:` against 10 blocks unrolled: the same time is the target.
- stages: one fresh process per format (benchmarks/stages.py), one run each, cold: import
  (symconv.api and the CLI's modules), parse, derive, render (with the renderer's lazy
  imports), perf_counter around each. parse and derive are the same work in every row of a
  case: their spread is the machine's noise. The in-process total and the whole-process time
  come from different processes, minutes apart: the first can exceed the second.
- inputs: transformer = `convention torch`, `sizes L, d=64`, `input x: (L, d)`, then blocks of
  `a = LayerNorm(d)(x)`, `a = MultiheadAttention(d, 4, batch_first=True)(a)`, `x = x + a`,
  `m = LayerNorm(d)(x)`, `m = Linear(d, 4 * d)(m)`, `m = GELU()(m)`, `m = Linear(4 * d, d)(m)`,
  `x = x + m`; `repeat n:` holds the same 8 lines with `sizes L, n, d=64`. mixed strides:
  `input (8, H, W)`, the first N lines of the cycle Conv2d(8, 8, 3, stride=1, padding=1),
  Conv2d(8, 8, 3, stride=1, padding=0), Conv2d(8, 8, 5, stride=2, padding=2),
  MaxPool2d(3, stride=1, padding=1), ReLU(), Conv2d(8, 8, 3, stride=3, padding=1). U-Net ×S:
  S U-Nets of 5 levels in a row (DoubleConv = Conv2d 3×3 padding 1, ReLU, twice; MaxPool2d(2)
  down; ConvTranspose2d(c, c/2, 2, stride=2) up; cat of the skip), a MaxPool2d(2) between two,
  so stage s adds ⌊H/2^k⌋ mod 2 = 0 conditions for k = s+1 … s+5, all holding at once.
  chain of 10,000: the peer benchmark's chain. Generated by benchmarks/deep.py.
- the machine: 2 cores shared with other sessions running CPU-heavy work while this ran;
  absolute times are noisy (medians help), ratios within one run are steadier."""


def report(results: dict) -> list[str]:
    lines = ["### Deep networks, every format", ""] + whole_table(results)
    growth = growth_table(results)
    if len(growth) > 2:
        lines += ["", "### Growth against output size", ""] + growth
    staged = stage_table(results)
    if len(staged) > 2:
        lines += ["", "### Stages, in process", ""] + staged
    return lines + [""] + NOTES.splitlines()


def expand(names: list[str]) -> list[str]:
    """--only names: groups (tf1250, mixed, unet, chainfmt) become their cases, in order."""
    out: list[str] = []
    for n in names:
        out += [m for m in deep.GROUPS.get(n, (n,)) if m not in out]
    return out

