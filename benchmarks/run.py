"""symconv against torch.export, jax.eval_shape and naive sympy, on the same architectures.

    python benchmarks/run.py [--quick] [--timeout SECONDS] [--repeat N] [--only NAME,...]
                             [--tools NAME,...] [--check | --no-check] [--write]
                             [--append HEADING]

--only takes the peer cases (mnist, …, chain10000), the deep groups of scale.py (tf1250,
mixed, unet, chainfmt: symconv only, every output format) and startup (the start-up rows alone,
which every run prints first).

Every measurement runs in a fresh child process, one at a time; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import operator
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import archs  # noqa: E402

TOOLS = {"symconv": "symconv", "torch": "torch.export", "jax": "jax.eval_shape",
         "naive": "naive sympy"}
QUICK = ("mnist", "resnet50", "chain50", "chain200")
SLOW = 10.0  # seconds: a run slower than this is not repeated
FLOOR_OPS = re.compile(r"floordiv|floor|ceiling|ceil|FloorDiv|CeilToInt|⌊|⌈|//")


# --- running one child process ---------------------------------------------------------------

def spawn(cmd: list[str], timeout: float, stdout=subprocess.PIPE) -> dict:
    """Run cmd: its wall time, its ru_maxrss (wait4), exit code, and its JSON lines merged."""
    killed: list[bool] = []
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, JAX_PLATFORMS="cpu"))
    timer = threading.Timer(timeout, lambda: (killed.append(True), proc.kill()))
    timer.start()
    text = {"out": "", "err": ""}
    readers = [threading.Thread(target=lambda k=k, f=f: text.__setitem__(k, f.read()))
               for k, f in (("out", proc.stdout), ("err", proc.stderr)) if f is not None]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(proc.pid, 0)  # not proc.wait(): wait4 gives the child's rusage
    wall = time.perf_counter() - t
    timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for r in readers:
        r.join()
    res = {"wall": wall, "rc": proc.returncode, "maxrss_kb": usage.ru_maxrss,
           "timeout": bool(killed), "stderr": text["err"], "warm": [], "render": []}
    for line in text["out"].splitlines():
        for key, value in json.loads(line).items():
            if key in ("warm", "render"):
                res[key].append(value)
            else:
                res[key] = value  # a child's own maxrss_kb replaces wait4's (the same number)
    return res


def symconv_cmd() -> list[str]:
    exe = shutil.which("symconv")
    return [exe] if exe else [sys.executable, "-m", "symconv"]


def child(tool: str, case: str, warm: int, arch: Path, timeout: float) -> dict:
    return spawn([sys.executable, str(HERE / "peers.py"), tool, case, str(warm), str(arch)],
                 timeout)


def failure(res: dict, case: archs.Case) -> str | None:
    if res["timeout"]:
        return "timeout"
    where = f" ({res['stage']})" if res.get("stage") else ""
    if res.get("error") == "RecursionError":
        return f"RecursionError at {len(case.body):,} layers{where}"
    if "error" in res:
        return f"{res['error']}{where}: {res['message'].splitlines()[0][:120]}"
    if res["rc"] != 0:
        return f"exit {res['rc']}: " + (res["stderr"].strip().splitlines() or [""])[-1][:120]
    return None


def measure(tool: str, case: archs.Case, arch: Path, args) -> dict:
    """Whole-process runs (median; one if it is slower than SLOW), then one in-process child."""
    row: dict = {"walls": [], "firsts": [], "rss": []}
    for _ in range(args.repeat):
        if tool == "symconv":
            res = spawn(symconv_cmd() + ["derive", str(arch)], args.timeout, subprocess.DEVNULL)
        else:
            res = child(tool, case.name, 0, arch, args.timeout)
        if (err := failure(res, case)):
            row["error"] = err
            return row
        row["walls"].append(res["wall"])
        row["rss"].append(res["maxrss_kb"])
        if "first" in res:
            row["firsts"].append(res["first"])
            row["expr"] = res["expr"]
        if res["wall"] > SLOW:
            break
    fast = row["walls"][0] <= SLOW
    if tool == "symconv" or fast:  # the peers' slow first calls are known from the runs above
        res = child(tool, case.name, args.repeat if fast else 0, arch, args.timeout)
        if (err := failure(res, case)):
            row["error_inproc"] = err
        else:
            row["firsts"].append(res["first"])
            row.update(expr=res["expr"], warms=res["warm"], renders=res["render"])
    return row


# --- checking the printed expressions against PyTorch ----------------------------------------

TOKENS = re.compile(r"\s*(?:(\d+)|([A-Za-z_]\w*)|(//|\*\*|[-+*/(),]))")
BINARY = {"+": (1, operator.add), "-": (1, operator.sub), "*": (2, operator.mul),
          "/": (2, operator.truediv), "//": (2, operator.floordiv), "**": (3, operator.pow)}
FUNCTIONS = {"floor": math.floor, "ceiling": math.ceil, "ceil": math.ceil, "CeilToInt": math.ceil,
             "floordiv": operator.floordiv, "FloorDiv": operator.floordiv, "mod": operator.mod,
             "max": max, "min": min, "Max": max, "Min": min}


def evaluate(text: str, h: int) -> Fraction:
    """A printed extent (sympy, torch or jax syntax) at H = W = h, exactly; Python's eval()
    would refuse the deep nesting of the longer chains and round sympy's fractions."""
    matches = list(TOKENS.finditer(text))
    if sum(len(m.group(0)) for m in matches) != len(text.rstrip()):
        raise ValueError("unknown syntax")
    tokens, pos = [m.groups() for m in matches], 0

    def take() -> tuple:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def expr(power: int = 0) -> Fraction:
        number, name, op = take()
        if number:
            left = Fraction(int(number))
        elif name and pos < len(tokens) and tokens[pos][2] == "(":
            take()
            args = [expr()]
            while take()[2] == ",":
                args.append(expr())
            left = Fraction(FUNCTIONS[name](*args))
        elif name:
            left = Fraction({"H": h, "W": h}[name])
        elif op == "(":
            left = expr()
            take()
        else:  # unary minus
            left = -expr(BINARY["*"][0])
        while pos < len(tokens) and BINARY.get(tokens[pos][2], (0,))[0] > power:
            level, apply = BINARY[op := take()[2]]
            left = apply(left, expr(level - (op == "**")))
        return left

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20 * len(tokens)))
    return expr()


def subs_extent(case: archs.Case, arch: Path, h: int, timeout: float) -> int | None:
    """`symconv derive FILE --subs H=h,W=h --format json`: the reported tensor's H extent."""
    cmd = symconv_cmd() + ["derive", str(arch), "--subs", f"H={h},W={h}", "--format", "json"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if out.returncode:
        return None
    d = json.loads(out.stdout)
    names = [layer["name"] for layer in d["layers"]]
    i = names.index(case.feature_before) - 1 if case.feature_before else -1
    return d["layers"][i]["output_shape"][1 if d["convention"] == "torch" else 0]


def check(tool: str, case: archs.Case, row: dict, truth: dict, arch: Path, timeout: float) -> str:
    """'ok', or where the printed expression (symconv: also --subs) disagrees with PyTorch."""
    if not truth or "expr" not in row:
        return "—"
    low = max(2, case.min_h) if tool == "torch" else case.min_h  # torch.export's Dim(min=…)
    for h, want in truth.items():
        if want is None or h < low:
            continue
        try:
            got = evaluate(row["expr"], h)
        except Exception as err:  # noqa: BLE001
            return f"unevaluable: {type(err).__name__}"
        short = str(h) if h < 10**12 else f"{str(h)[:4]}…({len(str(h))} digits)"
        if got != want:
            return f"WRONG at H={short}: {got}, PyTorch {want}"
        if tool == "symconv" and statistics.median(row["walls"]) < SLOW and h < 10**40 \
                and (got := subs_extent(case, arch, h, timeout)) != want:  # --subs: 40 digits
            return f"--subs WRONG at H={short}: {got}, PyTorch {want}"
    return "ok"


# --- the report --------------------------------------------------------------------------------

def fmt(x: float) -> str:
    return (f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}" if x >= 1
            else f"{x:.2g}")


def ratio(peer: float | None, base: float | None, prefix: str = "") -> str:
    if not peer or not base:
        return "—"
    r = peer / base
    return prefix + (f"{r:.0f}×" if r >= 10 else f"{r:.1f}×" if r >= 0.1 else f"{r:.2f}×")


def in_process(row: dict) -> tuple[float | None, str]:
    """Warm median, or the first call (marked *) where no warm call was made."""
    if row.get("warms"):
        return statistics.median(row["warms"]), ""
    if row.get("firsts"):
        return statistics.median(row["firsts"]), "*"
    return None, ""


def table(results: dict, cases: dict, timeout: float) -> list[str]:
    out = ["| architecture | tool | check | whole process (s) | ×symconv | in-process (ms) "
           "| ×symconv | first call (ms) | peak RSS (MB) | ⌊⌋ ⌈⌉ in H extent "
           "| H extent length |",
           "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for name, rows in results.items():
        base = rows.get("symconv", {})
        base_wall = statistics.median(base["walls"]) if base.get("walls") else None
        base_in = in_process(base)[0]
        for tool, row in rows.items():
            cells = [cases[name].title, TOOLS[tool], row.get("check", "—")]
            if row.get("error") == "timeout":
                skipped = row.get("skipped")
                cells += [f"> {timeout:g} s" + (f" (not run: > {timeout:g} s at {skipped:,} layers)"
                                                if skipped else ""),
                          ratio(timeout, base_wall, "> ")] + ["—"] * 6
            elif "error" in row:
                cells += [row["error"]] + ["—"] * 7
            else:
                wall, expr = statistics.median(row["walls"]), row.get("expr")
                inproc, mark = in_process(row)
                ok = row["check"] in ("ok", "—")
                cells += [fmt(wall) + ("" if len(row["walls"]) > 1 else " (1 run)"),
                          ratio(wall, base_wall) if ok else "—",
                          fmt(inproc * 1e3) + mark if inproc else row.get("error_inproc", "—"),
                          ratio(inproc, base_in) if ok else "—",
                          fmt(statistics.median(row["firsts"]) * 1e3) if row["firsts"] else "—",
                          f"{max(row['rss']) / 1024:.0f}",
                          str(len(FLOOR_OPS.findall(expr))) if expr is not None else "—",
                          f"{len(expr):,}" if expr is not None else "—"]
            out.append("| " + " | ".join(cells) + " |")
    return out


def compiled() -> None:
    """symconv's modules compiled to bytecode before anything is timed, as `pip install .`
    (README's install) does: an editable install run where PYTHONDONTWRITEBYTECODE=1 is set
    would otherwise compile every module of symconv in every timed process, a cost no
    installed user pays (MNIST's derive: 1.22 s of CPU without bytecode, 0.94 s with it,
    `import sympy` 0.65 s; 2026-12-01, six runs each). Python reads the cached bytecode
    whatever that variable says; sympy's and lark's were compiled when pip installed them."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("symconv")
    if spec and spec.origin:
        compileall.compile_dir(str(Path(spec.origin).parent), quiet=1)


def machine() -> list[str]:
    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    info = Path("/proc/cpuinfo")
    cpu = next((line.split(":", 1)[1].strip() for line in info.read_text().splitlines()
                if line.startswith("model name")), "") if info.exists() else platform.processor()
    git = ["git", "-C", str(archs.ROOT)]
    commit = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    dirty = subprocess.run(git + ["status", "--porcelain", "symconv"], capture_output=True,
                           text=True).stdout.strip()
    return [f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
            f"- machine: {os.cpu_count()} CPUs ({cpu or 'unknown CPU'}), {platform.platform()}",
            f"- python {platform.python_version()}, sympy {version('sympy')}, "
            f"torch {version('torch')}, jax {version('jax')}, jaxlib {version('jaxlib')}, "
            f"symconv {version('symconv')} (git {commit}"
            f"{', symconv/ has uncommitted changes' if dirty else ''})"]


NOTES = """\
Notes:
- whole process: wall time of a fresh process, median of the runs (one run where it took over
  10 s). symconv: `symconv derive FILE` (table output to /dev/null); peers: import, build the
  model, derive once, print the H extent. ×symconv: this tool's time / symconv's (above 1:
  symconv is faster).
- in-process: median of warm calls, after imports, model construction and a first call, in
  one process (* = the first call only, where a whole run took over 10 s). A warm call redoes
  the work: the sizes are renamed (H1, W1, H2, …) so that no cache keyed on the last result
  answers it (sympy's, symconv's own, jax's tracing cache), and sympy's cache is cleared
  (torch.export's symbols are the same every time). torch.export: `export` of the same module.
  first call: the first derivation after imports (median over the processes that made one).
- check: the printed H extent, evaluated exactly, against PyTorch: real forward passes at
  H = W in the case's check sizes, and the meta device (shapes without data) at H = 4097,
  10⁶ + 1, 2³³ ± 1, 10¹² + 7; chains with m strided layers also at H = 2^m − 1, 2^m, 2^m + 1,
  5·2^(m+2) + 3, 3^m against the naive formulas evaluated in integers (past int64, where
  PyTorch cannot go). symconv also through `symconv derive FILE --subs H=..,W=.. --format json`
  (up to 40 digits, where one run takes under 10 s). "—": nothing printed to check.
- MNIST CNN, VGG16: every tool stops at the last MaxPool (the Dense after Flatten would need
  in_features symbolic in H, W, which torch.nn.Linear cannot have); symconv derives the example
  file cut before `Flatten(`. ResNet-50: the whole network for every tool (avgpool and fc
  included); the H extent reported is layer4's output.
- torch.export runs with `backed_size_oblivious=True` and
  `prefer_deferred_runtime_asserts_over_guards=True`: without them it refuses these networks
  over a range of H (it specialises on extents equal to 1, and cannot prove the ceil_mode
  guard). Dim min = max(2, the network's smallest H); its symbols s… are renamed H, W.
- jax: NHWC; ceil_mode as s − 1 more padding on the right (exact when p + s ≤ k, as in every
  pool here); weights are ShapeDtypeStructs.
- naive sympy: floor((L + 2p − k)/s) + 1 per layer, ceiling for ceil_mode (PyTorch's
  correction would be a Min, but it can fire only when p + s > k: never here), no
  simplification, the default recursion limit; residual blocks follow the main path.
- a chain a tool timed out on is a prefix of the longer chains, which are then not run.
- peak RSS: ru_maxrss of the child process."""


def report(results: dict, cases: dict, timeout: float) -> list[str]:
    lines = table(results, cases, timeout) + [""] + NOTES.splitlines()
    lines += ["", "Printed H extents:", ""]
    for name, rows in results.items():
        for tool, row in rows.items():
            if (expr := row.get("expr")) is not None:
                shown = expr if len(expr) <= 160 else f"{expr[:160]}… ({len(expr):,} characters)"
                lines.append(f"- {cases[name].title}, {TOOLS[tool]}: `{shown}`")
    renders = [f"{cases[n].title} {fmt(statistics.median(r['symconv']['renders']) * 1e3)} ms"
               for n, r in results.items() if r.get("symconv", {}).get("renders")]
    if renders:
        lines += ["", "symconv `render('table')` after a warm derive (median): "
                  + ", ".join(renders) + "."]
    return lines


def main(argv: list[str] | None = None) -> int:
    import deep
    import scale  # it imports this module's helpers: imported here, not at the top

    cases = archs.cases()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="MNIST, ResNet-50, chains of 50 and 200; repeat 3, timeout 30 s")
    ap.add_argument("--timeout", type=float, help="seconds per process (default 120; quick 30)")
    ap.add_argument("--repeat", type=int, help="whole-process runs (default 5; quick 3)")
    ap.add_argument("--only", help="comma-separated cases: " + ",".join(cases)
                    + "; deep groups (symconv only): " + ",".join(deep.GROUPS) + "; startup")
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated: " + ",".join(TOOLS))
    ap.add_argument("--check", action=argparse.BooleanOptionalAction, default=True,
                    help="check every printed extent against PyTorch first (default: on)")
    ap.add_argument("--write", action="store_true", help="also write benchmarks/results.md")
    ap.add_argument("--append", metavar="HEADING",
                    help="also append the report to benchmarks/results.md under ## HEADING")
    args = ap.parse_args(argv)
    args.repeat = args.repeat or (3 if args.quick else 5)
    args.timeout = args.timeout or (30.0 if args.quick else 120.0)
    every = list(cases) + list(deep.GROUPS)
    asked = args.only.split(",") if args.only else list(QUICK if args.quick else every)
    tools = args.tools.split(",")
    if bad := [n for n in asked if n not in every and n not in deep.cases() and n != "startup"] \
            + [t for t in tools if t not in TOOLS]:
        ap.error(f"unknown: {', '.join(bad)}")
    names = [n for n in asked if n in cases]
    deep_names = scale.expand([n for n in asked if n not in cases and n != "startup"]) \
        if "symconv" in tools else []

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    compiled()
    lines = ["# symconv benchmark", ""] + machine() + [""] + scale.baseline(args)
    results: dict = {}
    timed_out: dict[str, int] = {}  # tool → the chain length it timed out on
    with tempfile.TemporaryDirectory(prefix="symconv-bench-") as tmp:
        for name in names:
            case, results[name] = cases[name], {}
            arch = case.arch_file(Path(tmp))
            truth = {}
            if args.check and case.check_sizes:
                log(f"{name}: PyTorch's output sizes")
                res = child("truth", name, 0, arch, args.timeout)
                truth = {int(h): v for h, v in res.get("sizes", {}).items()}
                if not truth:
                    log(f"  no reference: {failure(res, case) or res['stderr'][-500:]}")
                elif name.startswith("chain"):  # where H/2^m is not 1 any more: past int64
                    m = sum(1 for op in case.body if getattr(op, "s", 1) > 1)
                    for h in (2**m - 1, 2**m, 2**m + 1, 5 * 2**(m + 2) + 3, 3**m):
                        truth[h] = archs.textbook(case, h)
            for tool in tools:
                log(f"{name}: {TOOLS[tool]}")
                if name.startswith("chain") and tool in timed_out:
                    results[name][tool] = {"error": "timeout", "skipped": timed_out[tool]}
                    continue
                row = results[name][tool] = measure(tool, case, arch, args)
                if row.get("error") == "timeout" and name.startswith("chain"):
                    timed_out[tool] = len(case.body)
                row["check"] = check(tool, case, row, truth, arch, args.timeout)
                took = row.get("error") or f"{statistics.median(row['walls']):.2f} s"
                log(f"  {took}, check {row['check']}")
    if results:
        lines += report(results, cases, args.timeout)
    if deep_names:
        lines += [""] + scale.report(scale.measure(deep_names, args, log))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        (HERE / "results.md").write_text(text)
    if args.append:
        with (HERE / "results.md").open("a") as f:
            f.write(f"\n## {args.append}\n\n" + "\n".join(lines[2:]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
