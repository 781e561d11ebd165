"""The command line's options: the parser of every command, the exit codes and the names of
formats, kept apart from what the commands do (commands.py); what each option's text means
is values.py. Parsing imports no sympy."""

from __future__ import annotations

import argparse
import sys
from enum import IntEnum

from .values import (PLOT_QUANTITIES, SUBS_HELP, MergedSubs, depth, input_shape, json_kwargs,
                     optional_shape, plot_span, quantities, samples, size_range, sizes,
                     whole_between, whole_number)


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


def _solve_parser(commands) -> None:  # type: ignore[no-untyped-def]
    solve = commands.add_parser("solve", help="find the sizes that give a target shape or "
                                "parameter count")
    solve.add_argument("file", help="a .arch file, or - for standard input")
    solve.add_argument("--for", dest="unknowns", action="append", required=True, metavar="NAME",
                       help="a declared size to solve for (repeat for several)")
    solve.add_argument("--shape", type=optional_shape, metavar="'(13, 13, _)'",
                       help="the output shape wanted (batch axis left out; _ for any)")
    solve.add_argument("--layer", metavar="NAME", help="the layer (or block) --shape and "
                       "--params refer to (default: the network); for --shape also a tensor "
                       "the file names (`s2 = …`)")
    solve.add_argument("--params", type=whole_number, metavar="N", help="an exact parameter count")
    solve.add_argument("--max-params", type=whole_number, metavar="N", help="a parameter budget")
    solve.add_argument("--min-params", type=whole_number, metavar="N", help="a parameter floor")
    solve.add_argument("--equal", nargs=2, metavar=("A", "B"),
                       help="two layers, blocks or tensors the file names (`s2 = …`) whose "
                       "output shapes must be equal")
    solve.add_argument("--subs", type=sizes, default=None, metavar="H=28,W=28", action=MergedSubs,
                       help="fix other sizes (declared defaults fill the rest) " + SUBS_HELP)
    solve.add_argument("--range", type=size_range, action="append", default=[], metavar="K=1..31",
                       help="the values to try for an unknown")
    solve.add_argument("--format", "-f", choices=("text", "json", "latex"), default="text",
                       help="text (default), json (README: solve, JSON) or latex (align*)")


def _verify_parser(commands) -> None:  # type: ignore[no-untyped-def]
    verify = commands.add_parser("verify", help="check the derivation against real PyTorch or "
                                 "Keras, layer by layer")
    verify.add_argument("file", help="a .arch file, or - for standard input")
    verify.add_argument("--against", choices=("torch", "keras"), default=None,
                        help="the framework (default: the file's convention)")
    verify.add_argument("--subs", type=sizes, default=None, metavar="H=28,W=28", action=MergedSubs,
                        help="fix sizes (declared defaults fill the rest; others are sampled) " + SUBS_HELP)
    verify.add_argument("--samples", type=samples, default=3, metavar="N",
                        help="valid size assignments to sample for the sizes left free "
                        "(default 3)")
    verify.add_argument("--seed", type=whole_number, default=0, metavar="S",
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
    explain.add_argument("--subs", type=sizes, default=None, metavar="H=28,W=28", action=MergedSubs,
                         help="substitute sizes (declared defaults fill the rest) " + SUBS_HELP)


def _examples(inputs: list[tuple[int | str, ...]], command) -> tuple[  # type: ignore[no-untyped-def]
        list[tuple[int | str, ...]], dict[str, int]]:
    """The shapes with names alone, and each name's example value (one value per name)."""
    shapes, examples = [], {}
    for shape in inputs:
        bare: list[int | str] = []
        for item in shape:
            name, sep, value = str(item).partition("=") if isinstance(item, str) else ("", "", "")
            if sep and examples.setdefault(name, int(value)) != int(value):
                command.error(f"--input: size {name} has two example values, "
                              f"{examples[name]} and {value}")
            bare.append(name if isinstance(item, str) else item)
        shapes.append(tuple(bare))
    return shapes, examples


DRAW_FORMATS = ("tikz", "svg", "dot")  # symconv.render.draw.DRAW_FORMATS, named here unloaded
DRAW_STYLES = ("boxes", "cuboids")  # symconv.render.draw.STYLES


def _draw_parser(commands) -> None:  # type: ignore[no-untyped-def]
    draw = commands.add_parser("draw", help="draw the network with its shapes and parameters "
                               "(TikZ, SVG or Graphviz DOT)")
    draw.add_argument("file", help="a .arch file, or - for standard input")
    draw.add_argument("--subs", type=sizes, default=None, metavar="H=28,W=28", action=MergedSubs,
                      help="substitute sizes (declared defaults fill the rest) " + SUBS_HELP)
    draw.add_argument("--format", "-f", choices=DRAW_FORMATS, default="tikz",
                      help="tikz (default: a tikzpicture for pdflatex), svg (for a browser) "
                      "or dot (for Graphviz)")
    draw.add_argument("--depth", type=depth, default=1, metavar="N|all",
                      help="draw blocks nested N levels deep as one box each, as the table "
                      "folds them (default 1); 'all' draws every layer")
    draw.add_argument("--standalone", action="store_true",
                      help="TikZ: a complete document for pdflatex")
    draw.add_argument("--style", choices=DRAW_STYLES, default="boxes",
                      help="boxes (default: a labelled box per layer) or cuboids (feature maps "
                      "as solids sized by their extents and channels; TikZ and SVG)")


PLOT_SUFFIXES = (".png", ".svg", ".pdf")  # symconv.render.plot.PLOT_FORMATS, as --output ends


def _plot_parser(commands) -> None:  # type: ignore[no-untyped-def]
    plot = commands.add_parser("plot", help="plot parameters, MACs, memory or output extents "
                               "against one size (needs 'symconv[plot]')")
    plot.add_argument("file", help="a .arch file, or - for standard input")
    plot.add_argument("--x", type=plot_span, required=True, metavar="NAME=LO..HI",
                      help="the size to vary and its whole values, e.g. H=32..512")
    plot.add_argument("--y", type=quantities, default=["params"], metavar="Q[,Q…]",
                      help=f"what to plot, one panel each: {', '.join(PLOT_QUANTITIES)}, or "
                      "shape:N for the output's N-th axis (default params)")
    plot.add_argument("--subs", type=sizes, default=None, metavar="d=768,L=16",
                      action=MergedSubs, help="values of the other sizes (declared defaults "
                      "fill the rest; every size needs one) " + SUBS_HELP)
    plot.add_argument("--layer", metavar="NAME", help="shape: the output of this layer, block "
                      "or tensor the file names (default: the network's output)")
    plot.add_argument("--log", action="store_true", help="the values on a log scale")
    plot.add_argument("--marks", type=whole_between(0, 20), default=3, metavar="N",
                      help="mark the framework's own parameter counts and extents at N "
                      "values of the size (default 3; 0: none; needs 'symconv[verify]')")


def _import_parser(commands) -> None:  # type: ignore[no-untyped-def]
    imp = commands.add_parser("import", help="write the .arch file of a PyTorch model (runs "
                              "the model's Python code) or of a saved Keras or ONNX model "
                              "(read as data)")
    imp.add_argument("source", metavar="SOURCE", help="package.module:callable or "
                     "path/to/file.py:callable, returning an nn.Module; or a Keras model "
                     "saved as FILE.keras or as its JSON config, FILE.json; or an ONNX file "
                     "FILE.onnx")
    imp.add_argument("--input", dest="inputs", type=input_shape, action="append",
                     metavar="'(3, H, W)'", help="an input's shape without the batch axis; "
                     "names become sizes, H=224 also gives the size that default (one --input "
                     "per argument of forward, or per input of the Keras model: needed where "
                     "its shape has None)")
    imp.add_argument("--kwargs", type=json_kwargs, default={}, metavar="JSON",
                     help="keyword arguments for the callable, e.g. '{\"weights\": null}'")


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
  # the network drawn for a paper, with its symbolic shapes (TikZ; or --format svg, dot)
  symconv draw examples/unet2_torch.arch --standalone -o unet.tex
  # GPT-2's parameters against its depth, as a PNG (needs 'symconv[plot]')
  symconv plot examples/gpt2.arch --x n=1..48 --subs L=1024 -o gpt2_params.png
  # a .arch file from a torchvision model (runs its Python code; needs 'symconv[import]')
  symconv import torchvision.models:resnet18 --input "(3, H, W)" --kwargs '{"weights": null}'
  # a .arch file from a saved Keras model (read as data, no code runs)
  symconv import model.keras --input "(H, W, 3)"
  # a .arch file from an ONNX file (read as data; its dim_params become sizes)
  symconv import model.onnx

'symconv COMMAND --help' lists a command's options. The .arch language (sizes, input,
layers, blocks, repeat, merges) is described in README.md, section "The .arch language";
every layer symconv knows is listed there under "Layers".
"""


def parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symconv", description="Closed-form output shapes and parameter "
                     "counts of neural networks, as Keras and PyTorch compute them.",
                     epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    derive = commands.add_parser("derive", help="derive shapes and parameter counts of a .arch file")
    derive.add_argument("file", nargs="?", help="a .arch file, or - for standard input")
    derive.add_argument("--from", dest="source", metavar="SOURCE", default=None,
                        help="instead of a file: the PyTorch model package.module:callable or "
                        "path/to/file.py:callable (runs its Python code), or a saved Keras "
                        "model FILE.keras or FILE.json or an ONNX file FILE.onnx (read as "
                        "data), imported as `symconv "
                        "import` does, with --input and --kwargs")
    derive.add_argument("--input", dest="inputs", type=input_shape, action="append",
                        metavar="'(3, H, W)'", help="with --from: an input's shape without the "
                        "batch axis; names become sizes")
    derive.add_argument("--kwargs", type=json_kwargs, default={}, metavar="JSON",
                        help="with --from: keyword arguments for the callable")
    derive.add_argument("--subs", type=sizes, default=None, metavar="H=28,W=28", action=MergedSubs,
                        help="substitute sizes (defaults declared in `sizes` fill the rest) " + SUBS_HELP)
    derive.add_argument("--format", "-f", choices=FORMAT_NAMES, default="table",
                        help="table (default: Keras's summary, fitted to the terminal), json "
                        "(formulas in sympy syntax), markdown, or latex (align* formulas and a "
                        "booktabs table)")
    _solve_parser(commands)
    _verify_parser(commands)
    _explain_parser(commands)
    _import_parser(commands)
    _draw_parser(commands)
    _plot_parser(commands)
    for sub in commands.choices.values():
        sub.add_argument("--output", "-o", metavar="FILE", default=None,
                         help="write the result to FILE (whole or not at all) instead of "
                         "standard output")
    derive.add_argument("--depth", type=depth, default=1, metavar="N|all",
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
    derive.add_argument("--batch", type=samples, default=None, metavar="N",
                        help="the batch size: shown first in every output shape (as torchinfo "
                        "shows it) and used by --memory (default: left out of the shapes, "
                        "1 for --memory)")
    derive.add_argument("--receptive-field", dest="receptive", action="store_true",
                        help="add the receptive field per spatial axis")
    return parser


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line, with what argparse cannot say alone: derive reads a file or a model
    (--from), not both, and --input and --kwargs belong to --from; draw's cuboids are not
    DOT's; plot's --output names its format."""
    p = parser()
    args = p.parse_args(argv)
    command = p._subparsers._group_actions[0].choices.get(args.command)  # type: ignore[union-attr]
    if args.command == "draw" and args.style == "cuboids" and args.format == "dot":
        # Graphviz places and sizes DOT's nodes itself: no cuboid would keep its proportions
        command.error("--style cuboids draws TikZ or SVG (Graphviz sizes DOT's nodes itself); "
                      "give --format tikz or svg")
    if args.command == "draw" and args.standalone and args.format != "tikz":
        command.error(f"--standalone makes a TikZ picture a LaTeX document; --format "
                      f"{args.format} is complete as it is")
    if args.command == "plot" and args.output not in (None, "-") and \
            not args.output.lower().endswith(PLOT_SUFFIXES):
        command.error(f"--output {args.output}: name a file ending in "
                      f"{', '.join(PLOT_SUFFIXES)} (the format follows it)")
    if args.command not in ("derive", "import"):
        return args
    if args.command == "derive":
        if (args.file is None) == (args.source is None):
            command.error("give a .arch file or --from SOURCE (one of them)")
        if args.source is None and (args.inputs or args.kwargs):
            command.error("--input and --kwargs go with --from SOURCE")
    args.inputs, args.examples = _examples(args.inputs or [], command)
    # a saved Keras or ONNX model knows its input shapes; a PyTorch forward's must be given
    saved = args.source is not None and args.source.endswith((".keras", ".json", ".onnx"))
    if args.source is not None and not args.inputs and not saved:
        option = "--from" if args.command == "derive" else "a PyTorch SOURCE"
        command.error(f"{option} needs --input, e.g. --input '(3, H, W)'")
    return args


def _version() -> str:
    from .. import __version__

    return f"symconv {__version__}"
