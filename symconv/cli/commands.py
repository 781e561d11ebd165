"""The command line's commands: parses options, calls the library, prints; no maths here."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import Source, SymconvError
from .arguments import Exit, parse
from .deferred import defer_sympy_tensors

if TYPE_CHECKING:
    from ..derivation.model import Derivation
    from ..render.plot import Curves


def _read(path: str) -> Source:
    from pathlib import Path

    from ..api import load, load_stdin

    return load_stdin() if path == "-" else load(Path(path))


def _derive(args: argparse.Namespace) -> tuple[str | Iterator[str], int]:
    from ..api import derive_source

    derivation = derive_source(_imported(args) if args.source else _read(args.file), args.subs)
    _warn(derivation)
    if args.flops and args.macs is None:
        args.macs = "weights"
    options = {"formulas": args.formulas, "standalone": args.standalone, "parts": args.parts,
               "macs": args.macs,
               "flops": args.flops, "memory": args.memory, "batch": args.batch,
               "receptive": args.receptive, "ascii": _ascii_terminal(args),
               "width": _terminal_width(args)}
    from ..render import render_chunks

    # in pieces: a deep chain's table or JSON is Θ(n²) characters, hundreds of megabytes
    return render_chunks(derivation, args.format, args.depth, **options), Exit.OK


def _targets(args: argparse.Namespace) -> list:  # type: ignore[type-arg]
    from ..solving.solver import Target

    targets = []
    if args.shape is not None:
        targets.append(Target("shape", args.shape, args.layer))
    for kind, value in (("params", args.params), ("max-params", args.max_params),
                        ("min-params", args.min_params)):
        if value is not None:
            targets.append(Target(kind, value, args.layer))
    if args.equal:
        targets.append(Target("equal", args.equal[1], args.equal[0]))
    return targets


def _solve(args: argparse.Namespace) -> tuple[str, int]:
    from ..api import solve_source
    from ..render.solution import SOLUTION_FORMATS

    source = _read(args.file)
    named = [name for name, _ in args.range]
    repeated = sorted({n for n in named if named.count(n) > 1})  # dict() would keep the last
    if repeated:
        raise SymconvError("SC303", f"--range gives '{repeated[0]}' more than once", None,
                           source, hint=f"give one --range {repeated[0]}=LOW..HIGH")
    solution = solve_source(source, args.unknowns, _targets(args), args.subs, dict(args.range))
    return SOLUTION_FORMATS[args.format](solution), Exit.OK if solution.found else Exit.ERROR


def _verify(args: argparse.Namespace) -> tuple[str, int]:
    from ..frameworks import FrameworkMissing, verify_source

    source = _read(args.file)
    try:
        if args.emit:
            from ..frameworks.emit import emit_source

            return emit_source(source, args.against, args.subs, args.seed), Exit.OK
        report = verify_source(source, args.against, args.subs, args.samples, args.seed,
                               args.outside)
    except FrameworkMissing as err:
        from .output import to_stderr

        to_stderr(f"symconv: {err}")
        return "", Exit.USAGE
    if args.format == "json":
        from ..frameworks.report import render_report_json

        return render_report_json(report), Exit.OK if report.ok else Exit.ERROR
    return report.render(), Exit.OK if report.ok else Exit.ERROR


def _explain(args: argparse.Namespace) -> tuple[str, int]:
    from ..api import derive_source
    from ..render.explain import render_explain

    derivation = derive_source(_read(args.file), args.subs)
    _warn(derivation)
    return render_explain(derivation, args.layer), Exit.OK


def _draw(args: argparse.Namespace) -> tuple[str, int]:
    from ..api import derive_source
    from ..render.draw import draw  # the drawing code loads on this command only

    derivation = derive_source(_read(args.file), args.subs)
    _warn(derivation)
    return draw(derivation, args.format, args.depth, args.standalone, args.style), Exit.OK


def _plot(args: argparse.Namespace) -> tuple[str | bytes, int]:
    from ..api import derive_source
    from ..render.plot import evaluate
    from .output import to_stderr

    fmt = _plot_format(args.output)
    source = _read(args.file)
    size, span = args.x
    try:
        derivation = derive_source(source)
    except SymconvError as err:  # no closed form in the sizes: derived at each value instead
        from ..render.plot_each import NEEDS_NUMBERS, evaluate_each

        if err.code not in NEEDS_NUMBERS:
            raise
        curves = evaluate_each(source, size, span, args.y, args.subs or {}, args.layer)
    else:
        _warn(derivation)
        curves = evaluate(derivation, size, span, args.y, args.subs or {}, args.layer)
    if curves.skipped:
        to_stderr(f"symconv: note: {curves.skipped:,} value(s) of {size} in {span[0]}..{span[1]} "
                  "left out: the network is invalid there")
    curves, marked_by = _marked(source, curves, args.marks)
    try:
        from ..render.plot_figure import render_plot  # matplotlib loads on this command only
        data = render_plot(curves, fmt, args.log, marked_by)
    except ImportError as err:
        to_stderr(f"symconv: error: plot needs matplotlib ({err.name or err}): "
                  "pip install 'symconv[plot]'")
        return "", Exit.USAGE
    return (data.decode("utf-8") if args.output in (None, "-") else data), Exit.OK


def _plot_format(path: str | None) -> str:
    """The format --output names by its suffix (checked when parsed); SVG on standard output."""
    return "svg" if path in (None, "-") else path.rsplit(".", 1)[-1].lower()


def _marked(source: Source, curves: Curves, count: int) -> tuple[Curves, str | None]:
    """The curves with the framework's numbers marked at `count` values of the size, and the
    framework's name; unmarked, with a note on stderr, when it is not installed."""
    from ..frameworks import FrameworkMissing
    from ..frameworks.compare import Refused
    from ..render.plot import mark_points, with_marks
    from .output import to_stderr

    if not count or not any(s.quantity in ("params", "trainable", "non_trainable", "shape")
                            for s in curves.series):
        return curves, None
    xs = mark_points(curves, count)
    points = [{**curves.fixed, curves.size: x} for x in xs]
    # building a large network in the framework takes a while (GPT-2 three times: minutes)
    to_stderr(f"symconv: note: building the network in its framework at {curves.size} = "
              f"{', '.join(f'{x:,}' for x in xs)} for the marks (--marks 0 leaves them out)")
    try:
        from ..frameworks.measure import measure

        framework, measured = measure(source, points, curves.layer)
    except FrameworkMissing as err:
        to_stderr(f"symconv: note: plotted without the framework's marks: {err}")
        return curves, None
    except Refused as err:  # symconv accepts what the framework refuses: `verify` tells more
        to_stderr(f"symconv: note: plotted without the framework's marks: it refuses "
                  f"{err.record.name} ({err}); `symconv verify` compares layer by layer")
        return curves, None
    return with_marks(curves, {xs[i]: values for i, values in measured.items()}), framework


def _imported(args: argparse.Namespace) -> Source:
    """`derive --from SOURCE`: the model's .arch text, as `symconv import` writes it."""
    from ..importing import import_source  # torch is imported there, on this path only

    return Source(import_source(args.source, args.inputs, args.kwargs, args.examples),
                  f"{args.source}.arch")


def _import(args: argparse.Namespace) -> tuple[str, int]:
    from ..api import derive_source
    from ..importing import import_source  # torch is imported there, on this path only

    text = import_source(args.source, args.inputs, args.kwargs, args.examples)
    written = Source(text, f"{args.source}.arch")
    try:  # a file that cannot derive is not written: --input does not fit the model
        derive_source(written)
    except SymconvError as err:
        line = written.line(err.span.line).strip() if err.span else ""
        raise SymconvError("SC309", f"the model does not take the --input given: {err.message}"
                           + (f" (at `{line}`)" if line else ""), None, Source("", args.source),
                           hint="give --input the shape the model's forward expects "
                           "(channels, rank)") from None
    return text, Exit.OK


def _warn(derivation: Derivation) -> None:
    """Warnings go to stderr, in the look of errors; the result still goes to stdout."""
    from .output import to_stderr

    for warning in derivation.warnings:
        to_stderr(warning.render(derivation.source))


COMMANDS = {"derive": _derive, "solve": _solve, "verify": _verify, "explain": _explain,
            "import": _import, "draw": _draw, "plot": _plot}


def _ascii_terminal(args: argparse.Namespace) -> bool:
    """Whether the result goes to a standard output whose encoding has no box drawing (then
    the table is drawn in ASCII, aligned, rather than escaped character by character)."""
    from .output import encodes

    return args.output in (None, "-") and not encodes(sys.stdout, "┃━⌊≥")


def _terminal_width(args: argparse.Namespace) -> int | None:
    """The columns the table must fit: COLUMNS when set (as Python's shutil and rich read it,
    piped or not), else the terminal's when standard output is one; None for a file or a
    pipe (the table keeps its natural width, every line the same in every run)."""
    import os

    if args.output not in (None, "-"):
        return None
    given = os.environ.get("COLUMNS", "")
    if given.isdigit() and int(given) > 0:
        return int(given)
    try:
        if sys.stdout is not None and sys.stdout.isatty():
            return os.get_terminal_size(sys.stdout.fileno()).columns or None
    except (OSError, ValueError, AttributeError):  # no terminal after all: natural width
        pass
    return None


def main(argv: list[str] | None = None, deferring: bool = False) -> int:
    """Run one command; `deferring` (the console script's process, which symconv owns): keep
    sympy's tensor module from loading unless something uses it (cli/deferred.py)."""
    from .output import to_stderr as say

    args = parse(argv)
    if deferring and not _runs_users_code(args):
        defer_sympy_tensors()
    try:
        out, code = COMMANDS[args.command](args)
    except SymconvError as err:
        say(_rendered(err))
        if getattr(args, "format", None) == "json":  # machines read the error from stdout
            import json

            return _deliver(json.dumps({"error": err.to_dict()}, ensure_ascii=False) + "\n",
                            None, True, Exit.ERROR)
        return Exit.ERROR
    except RecursionError:
        say(f"{args.file}: error: the expression is nested too deeply [SC110]")
        return Exit.ERROR
    except Exception as err:  # noqa: BLE001 - a bug: say so plainly, without a traceback
        say(f"symconv: internal error: {type(err).__name__}: {err}\n"
            "hint: this is a bug in symconv; please report it with the input file")
        return Exit.INTERNAL
    return _deliver(out, args.output, getattr(args, "format", None) == "json", code,
                    table=args.command == "derive" and args.format == "table")


def _runs_users_code(args: argparse.Namespace) -> bool:
    """Whether the command runs the user's Python (`import`, `derive --from`): their code
    meets sympy as it is, tensor module included (cli/deferred.py is for symconv's own work)."""
    return args.command == "import" or bool(getattr(args, "source", None))


def _rendered(err: SymconvError) -> str:
    """The error as standard error's encoding can show it (in ASCII, caret aligned, if not)."""
    from .output import encodes

    text = err.render()
    return text if encodes(sys.stderr, text) else err.render(ascii=True)


def _deliver(text: str | bytes | Iterator[str], path: str | None, is_json: bool, code: int,
             table: bool = False) -> int:
    """Write the result (to standard output, or to `path`); `code`, or Exit.ERROR when it
    could not be written. Whatever a renderer let through, no control character reaches the
    terminal: the last line of defence, after each renderer's own escaping."""
    from ..escapes import json_visible, visible_lines
    from .output import ReaderGone, WriteError, to_file, to_stderr, to_stdout

    if isinstance(text, bytes):  # a picture (`plot`): written as it is, to a file
        pass
    elif isinstance(text, str):
        if not text:
            return code
        text = json_visible(text) if is_json else visible_lines(text)
    else:  # a renderer's pieces, each whole lines (JSON: escaped character by character)
        text = (json_visible(t) if is_json else visible_lines(t) for t in text)
    if table and path in (None, "-"):
        from . import colour

        if colour.wanted(sys.stdout):  # after the escaping: the only escape codes written
            text = map(colour.table, [text] if isinstance(text, str) else text)
    try:
        if path is None:
            to_stdout(text)
        else:
            to_file(path, text)
    except ReaderGone:  # `symconv … | head`: the reader has what it wanted
        return Exit.ERROR
    except WriteError as err:
        to_stderr(f"symconv: error: {err}")
        return Exit.ERROR
    return code


def entry() -> None:
    """Console-script entry point. The process is short-lived and what it builds (IR nodes,
    sympy expressions) holds no reference cycles worth collecting, so Python's cyclic garbage
    collector is switched off: it would otherwise walk every live object again and again while
    sympy is imported and a large network is derived (measured: `import sympy` 0.40 → 0.37 s).
    Reference counting still frees memory as usual. sympy's tensor module, which sympy's Add
    imports on its first call, is loaded only if something uses it, in the commands that run
    no user code (cli/deferred.py)."""
    gc.disable()
    try:
        code = main(deferring=True)
    except KeyboardInterrupt:
        code = 130
    leave(code)


def leave(code: int) -> None:
    """End the process without tearing the interpreter down: freeing every object one by one
    (a 10,000-layer derivation's records, sympy's caches and modules) took 0.15-0.18 s of a
    2 s run, for memory the process gives back at once. What exit would still do is done
    here: standard output and error flushed (a failure there is the reader's, already said by
    cli/output.py); every file symconv writes is closed before its command returns."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
