"""The command line's commands: parses options, calls the library, prints; no maths here."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Iterator
from enum import IntEnum
from typing import TYPE_CHECKING

from ..errors import Source, SymconvError

if TYPE_CHECKING:
    from ..derivation.model import Derivation


class Exit(IntEnum):
    OK = 0
    ERROR = 1  # a problem in the input: positioned message on stderr
    USAGE = 2  # bad command-line options
    INTERNAL = 3  # a bug in symconv


FORMAT_NAMES = ("table", "json", "markdown", "latex")
FORMULAS = ("expanded", "stepwise")
LATEX_PARTS = ("both", "formulas", "table")
# the names of symconv.analysis.macs.PRESETS and memory.BYTES, kept here so that parsing the
# command line imports no sympy (tests/test_columns.py checks they agree)
MACS_CONVENTIONS = ("weights", "all", "ptflops", "fvcore")
DTYPES = ("float32", "float16", "bfloat16", "float64", "int8")


class _Parser(argparse.ArgumentParser):
    def _print_message(self, message: str, file=None) -> None:  # type: ignore[no-untyped-def, override]
        """--help and --version through symconv's writers: argparse would ignore a failed
        write and exit 0."""
        from .output import ReaderGone, WriteError, to_stderr, to_stdout

        if not message:
            return
        if file is not sys.stdout:
            to_stderr(message.rstrip("\n"))
            return
        try:
            to_stdout(message)
        except ReaderGone:
            raise SystemExit(Exit.ERROR) from None
        except WriteError as err:
            to_stderr(f"symconv: error: {err}")
            raise SystemExit(Exit.ERROR) from None

    def error(self, message: str) -> None:  # type: ignore[override]
        from .output import to_stderr

        self._print_message(self.format_usage(), sys.stderr)
        to_stderr(f"symconv: error: {message}")
        raise SystemExit(Exit.USAGE)


def _subs(text: str) -> dict[str, int]:
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


class _MergedSubs(argparse.Action):
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


def _depth(text: str) -> int | None:
    if text == "all":
        return None
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("expected a whole number ≥ 1 or 'all'")
    return int(text)


def _shape(text: str) -> tuple[int | None, ...]:
    """'(13, 13, _)' → (13, 13, None): whole numbers and _ only, nothing is evaluated."""
    inner = text.strip()
    if inner.startswith("(") and inner.endswith(")"):
        inner = inner[1:-1]
    items = [p.strip() for p in inner.split(",")]
    if items and items[-1] == "":
        items.pop()
    if not items or not all(p == "_" or p.isdigit() for p in items):
        raise argparse.ArgumentTypeError(
            f"bad shape {text!r}: write whole numbers or _ for a free axis, e.g. '(13, 13, _)'")
    return tuple(None if p == "_" else int(p) for p in items)


def _range(text: str) -> tuple[str, tuple[int, int]]:
    """'K=1..31' → ('K', (1, 31))."""
    name, sep, span = text.partition("=")
    low, dots, high = span.partition("..")
    if not (sep and dots and name.strip().isidentifier() and low.strip().isdigit()
            and high.strip().isdigit()):
        raise argparse.ArgumentTypeError(f"bad range {text!r}: write NAME=LOW..HIGH, e.g. K=1..31")
    return name.strip(), (int(low), int(high))


def _count(text: str) -> int:
    digits = text.replace("_", "").replace(",", "")
    if not digits.isdigit() or len(digits) > 40:
        raise argparse.ArgumentTypeError(f"bad count {text!r}: write a whole number")
    return int(digits)


def _solve_parser(commands) -> None:  # type: ignore[no-untyped-def]
    solve = commands.add_parser("solve", help="find the sizes that give a target shape or "
                                "parameter count")
    solve.add_argument("file", help="a .arch file, or - for standard input")
    solve.add_argument("--for", dest="unknowns", action="append", required=True, metavar="NAME",
                       help="a declared size to solve for (repeat for several)")
    solve.add_argument("--shape", type=_shape, metavar="'(13, 13, _)'",
                       help="the output shape wanted (batch axis left out; _ for any)")
    solve.add_argument("--layer", metavar="NAME", help="the layer (or block) --shape and "
                       "--params refer to (default: the network); for --shape also a tensor "
                       "the file names (`s2 = …`)")
    solve.add_argument("--params", type=_count, metavar="N", help="an exact parameter count")
    solve.add_argument("--max-params", type=_count, metavar="N", help="a parameter budget")
    solve.add_argument("--min-params", type=_count, metavar="N", help="a parameter floor")
    solve.add_argument("--equal", nargs=2, metavar=("A", "B"),
                       help="two layers, blocks or tensors the file names (`s2 = …`) whose "
                       "output shapes must be equal")
    solve.add_argument("--subs", type=_subs, default=None, metavar="H=28,W=28", action=_MergedSubs,
                       help="fix other sizes (declared defaults fill the rest) " + SUBS_HELP)
    solve.add_argument("--range", type=_range, action="append", default=[], metavar="K=1..31",
                       help="the values to try for an unknown")
    solve.add_argument("--format", "-f", choices=("text", "json", "latex"), default="text",
                       help="text (default), json (README: solve, JSON) or latex (align*)")


def _samples(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError("expected a whole number from 1 to 1000")
    return int(text)


def _verify_parser(commands) -> None:  # type: ignore[no-untyped-def]
    verify = commands.add_parser("verify", help="check the derivation against real PyTorch or "
                                 "Keras, layer by layer")
    verify.add_argument("file", help="a .arch file, or - for standard input")
    verify.add_argument("--against", choices=("torch", "keras"), default=None,
                        help="the framework (default: the file's convention)")
    verify.add_argument("--subs", type=_subs, default=None, metavar="H=28,W=28", action=_MergedSubs,
                        help="fix sizes (declared defaults fill the rest; others are sampled) " + SUBS_HELP)
    verify.add_argument("--samples", type=_samples, default=3, metavar="N",
                        help="valid size assignments to sample for the sizes left free "
                        "(default 3)")
    verify.add_argument("--seed", type=_count, default=0, metavar="S",
                        help="the sampling seed (default 0)")
    verify.add_argument("--no-outside", dest="outside", action="store_false",
                        help="skip the sizes just outside the valid domain")
    verify.add_argument("--emit", action="store_true", help="print the generated PyTorch "
                        "nn.Module or Keras model code instead of verifying")
    verify.add_argument("--format", "-f", choices=("text", "json"), default="text",
                        help="text (default: the agreement table) or json")


def _explain_parser(commands) -> None:  # type: ignore[no-untyped-def]
    explain = commands.add_parser("explain", help="explain every number of each layer in words")
    explain.add_argument("file", help="a .arch file, or - for standard input")
    explain.add_argument("--layer", metavar="NAME", help="only this layer")
    explain.add_argument("--subs", type=_subs, default=None, metavar="H=28,W=28", action=_MergedSubs,
                         help="substitute sizes (declared defaults fill the rest) " + SUBS_HELP)


EXAMPLES = """examples:
  # the summary table, symbolic in the sizes H and W
  symconv derive examples/mnist_cnn.arch
  # with numbers, as Keras's model.summary() prints them
  symconv derive examples/mnist_cnn.arch --subs H=28,W=28
  # a LaTeX document for a paper
  symconv derive examples/resnet50.arch -f latex --standalone -o resnet50.tex
  # the input heights that give 1,600 features after the flatten
  symconv solve examples/mnist_cnn.arch --for H --layer flatten --shape "(1600,)" --subs W=28
  # every number of one layer in words
  symconv explain examples/mnist_cnn.arch --layer conv2d_1
  # check against real PyTorch (needs 'symconv[verify]')
  symconv verify examples/vgg16.arch --against torch

'symconv COMMAND --help' lists a command's options. The .arch language (sizes, input,
layers, blocks, repeat, merges) is described in README.md, section "The .arch language";
every layer symconv knows is listed there under "Layers".
"""


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symconv", description="Closed-form output shapes and parameter "
                     "counts of neural networks, as Keras and PyTorch compute them.",
                     epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    derive = commands.add_parser("derive", help="derive shapes and parameter counts of a .arch file")
    derive.add_argument("file", help="a .arch file, or - for standard input")
    derive.add_argument("--subs", type=_subs, default=None, metavar="H=28,W=28", action=_MergedSubs,
                        help="substitute sizes (defaults declared in `sizes` fill the rest) " + SUBS_HELP)
    derive.add_argument("--format", "-f", choices=FORMAT_NAMES, default="table",
                        help="table (default: Keras's summary, fitted to the terminal), json "
                        "(formulas in sympy syntax), markdown, or latex (align* formulas and a "
                        "booktabs table)")
    _solve_parser(commands)
    _verify_parser(commands)
    _explain_parser(commands)
    for sub in commands.choices.values():
        sub.add_argument("--output", "-o", metavar="FILE", default=None,
                         help="write the result to FILE (whole or not at all) instead of "
                         "standard output")
    derive.add_argument("--depth", type=_depth, default=1, metavar="N|all",
                        help="show blocks nested N levels deep as one row each, with their "
                        "subtotals (default 1: the network's own blocks); 'all' lists every layer")
    derive.add_argument("--formulas", choices=FORMULAS, default="expanded",
                        help="LaTeX: formulas in the input sizes (expanded) or layer by layer "
                        "(stepwise: H_1, H_2, …)")
    derive.add_argument("--standalone", action="store_true",
                        help="LaTeX: a complete document for pdflatex")
    derive.add_argument("--latex-parts", dest="parts", choices=LATEX_PARTS, default="both",
                        help="LaTeX: the align* block of formulas and the table (both, the "
                        "default), or only one of them (formulas, table)")
    derive.add_argument("--macs", nargs="?", const="weights", default=None,
                        choices=MACS_CONVENTIONS, metavar="CONVENTION",
                        help="add multiply-accumulates per layer and in total (conventions: "
                        f"{', '.join(MACS_CONVENTIONS)}; default weights)")
    derive.add_argument("--flops", action="store_true",
                        help="with --macs: show FLOPs = 2·MACs")
    derive.add_argument("--memory", nargs="?", const="float32", default=None, choices=DTYPES,
                        metavar="DTYPE", help="add activation memory per layer and parameter "
                        "memory (default float32)")
    derive.add_argument("--batch", type=_samples, default=None, metavar="N",
                        help="the batch size: shown first in every output shape (as torchinfo "
                        "shows it) and used by --memory (default: left out of the shapes, "
                        "1 for --memory)")
    derive.add_argument("--receptive-field", dest="receptive", action="store_true",
                        help="add the receptive field per spatial axis")
    return parser


def _version() -> str:
    from .. import __version__

    return f"symconv {__version__}"


def _read(path: str) -> Source:
    from pathlib import Path

    from ..api import load, load_stdin

    return load_stdin() if path == "-" else load(Path(path))


def _derive(args: argparse.Namespace) -> tuple[str | Iterator[str], int]:
    from ..api import derive_source

    derivation = derive_source(_read(args.file), args.subs)
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


def _warn(derivation: Derivation) -> None:
    """Warnings go to stderr, in the look of errors; the result still goes to stdout."""
    from .output import to_stderr

    for warning in derivation.warnings:
        to_stderr(warning.render(derivation.source))


COMMANDS = {"derive": _derive, "solve": _solve, "verify": _verify, "explain": _explain}


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


def main(argv: list[str] | None = None) -> int:
    from .output import to_stderr as say

    args = _parser().parse_args(argv)
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


def _rendered(err: SymconvError) -> str:
    """The error as standard error's encoding can show it (in ASCII, caret aligned, if not)."""
    from .output import encodes

    text = err.render()
    return text if encodes(sys.stderr, text) else err.render(ascii=True)


def _deliver(text: str | Iterator[str], path: str | None, is_json: bool, code: int,
             table: bool = False) -> int:
    """Write the result (to standard output, or to `path`); `code`, or Exit.ERROR when it
    could not be written. Whatever a renderer let through, no control character reaches the
    terminal: the last line of defence, after each renderer's own escaping."""
    from ..escapes import json_visible, visible_lines
    from .output import ReaderGone, WriteError, to_file, to_stderr, to_stdout

    if isinstance(text, str):
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
    Reference counting still frees memory as usual."""
    gc.disable()
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    raise SystemExit(code)
