"""Stage 6: the command line. Parses options, calls the library, prints; no maths here."""

from __future__ import annotations

import argparse
import sys
from enum import IntEnum

from .errors import Source, SymconvError


class Exit(IntEnum):
    OK = 0
    ERROR = 1  # a problem in the input: positioned message on stderr
    USAGE = 2  # bad command-line options
    INTERNAL = 3  # a bug in symconv


FORMAT_NAMES = ("table", "json", "markdown", "latex")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"symconv: error: {message}", file=sys.stderr)
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


def _depth(text: str) -> int | None:
    if text == "all":
        return None
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("expected a whole number ≥ 1 or 'all'")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symconv", description="Closed-form output shapes and parameter "
                     "counts of neural networks, as Keras and PyTorch compute them.")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    derive = commands.add_parser("derive", help="derive shapes and parameter counts of a .arch file")
    derive.add_argument("file", help="a .arch file, or - for standard input")
    derive.add_argument("--subs", type=_subs, default=None, metavar="H=28,W=28",
                        help="substitute sizes (defaults declared in `sizes` fill the rest)")
    derive.add_argument("--format", "-f", choices=FORMAT_NAMES, default="table")
    derive.add_argument("--depth", type=_depth, default=1, metavar="N|all",
                        help="show blocks nested N levels deep as one row each, with their "
                        "subtotals (default 1: the network's own blocks); 'all' lists every layer")
    return parser


def _version() -> str:
    from . import __version__

    return f"symconv {__version__}"


def _read(path: str) -> Source:
    from pathlib import Path

    from .api import load

    if path == "-":
        return Source(sys.stdin.read(), "<stdin>")
    return load(Path(path))


def _derive(args: argparse.Namespace) -> str:
    from .api import derive_source

    derivation = derive_source(_read(args.file), args.subs)
    return derivation.render(args.format, args.depth)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        out = _derive(args)
    except SymconvError as err:
        print(err.render(), file=sys.stderr)
        return Exit.ERROR
    except RecursionError:
        print(f"{args.file}: error: the expression is nested too deeply [SC110]", file=sys.stderr)
        return Exit.ERROR
    except Exception as err:  # noqa: BLE001 - a bug: say so plainly, without a traceback
        print(f"symconv: internal error: {type(err).__name__}: {err}\n"
              "hint: this is a bug in symconv; please report it with the input file",
              file=sys.stderr)
        return Exit.INTERNAL
    sys.stdout.write(out)
    return Exit.OK


def entry() -> None:
    """Console-script entry point."""
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    raise SystemExit(code)
