"""The library API: `derive(text_or_path, subs=...)`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .derivation.domains import check_values
from .derivation.model import Derivation
from .errors import Source, SymconvError
from .render import FORMATS  # noqa: F401  (importing render lets every Derivation render itself)

if TYPE_CHECKING:
    from .derivation.domains import Domain
    from .language import ir
    from .frameworks import Report
    from .solving.solver import Solution, Target

MAX_FILE_BYTES = 1_000_000


def load(text_or_path: str | Path, path: str | None = None) -> Source:
    """A Source from .arch text, or from a file when given a Path or a name ending in .arch."""
    if isinstance(text_or_path, Path) or (
            isinstance(text_or_path, str) and "\n" not in text_or_path
            and text_or_path.endswith(".arch")):
        file = Path(text_or_path)
        try:
            with file.open("rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)  # bounded: a FIFO or /dev/zero ends here
        except OSError as err:
            raise SymconvError("SC001", f"cannot read {file}: {err.strerror}",
                               source=Source("", str(file))) from None
        return decode(data, path or str(file))
    return Source(str(text_or_path), path or "<string>")


def load_stdin() -> Source:
    """A Source from standard input, read as bytes and checked as a file is."""
    import sys

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # started with standard input closed (`<&-`)
        raise SymconvError("SC001", "cannot read standard input: it is closed",
                           source=Source("", STDIN))
    try:
        data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise SymconvError("SC001", f"cannot read standard input: {err.strerror}",
                           source=Source("", STDIN)) from None
    return decode(data, STDIN)


STDIN = "<stdin>"


def decode(data: bytes, path: str) -> Source:
    """The checks every input passes: at most MAX_FILE_BYTES bytes, UTF-8 text."""
    what = "standard input" if path == STDIN else "file"
    if len(data) > MAX_FILE_BYTES:
        raise SymconvError("SC110", f"{what} is larger than {MAX_FILE_BYTES:,} bytes",
                           source=Source("", path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SymconvError("SC001", f"not UTF-8 text (byte {err.start})",
                           source=Source("", path)) from None
    return Source(text, path)


def derive(text_or_path: str | Path, subs: Mapping[str, int] | None = None) -> Derivation:
    """Derive a network's shapes and parameter counts.

    >>> d = derive("input (60, 1)\\nConv1D(7, kernel_size=40)")
    >>> d.layers[0].output_shape, d.layers[0].params
    ((21, 7), 287)

    Without `subs` every declared size stays symbolic; with `subs`, the named sizes (and the
    declared defaults of the others) are substituted and every condition re-checked.
    """
    return derive_source(load(text_or_path), subs)


def derive_source(source: Source, subs: Mapping[str, int] | None = None) -> Derivation:
    """`derive` for a Source already read."""
    from .derivation.run import derive_program
    from .language.parse import parse
    from .solving.substitute import substitute

    try:
        program = parse(source)
        try:
            derivation = derive_program(program)
        except SymconvError as err:
            if err.code not in ("SC104", "SC112") or subs is None:
                raise
            # a repeat whose symbolic count has no closed form, or a size where a layer needs
            # a number (LSTM's num_layers=nl): with the sizes given, derived with numbers
            return derive_program(program, dict(subs), domains=_guessed_domains(program))
        if subs is not None:
            derivation = substitute(derivation, subs)
    except RecursionError:  # a safety net: the parser and evaluator bound nesting first
        raise SymconvError("SC110", "the input is nested too deeply", None, source) from None
    return derivation


def _guessed_domains(program: ir.Program) -> dict[str, Domain]:
    """The domains written, and ≥ 0 for the sizes written only as repeat counts or paddings
    (no symbolic derivation to infer them from: the layers check the numbers given)."""
    from .derivation.binding import convention_of, declared_domains
    from .derivation.domains import Domain, likely_zero

    guessed = {n: Domain(0, "a repeat count or a padding") for n in
               likely_zero(program, convention_of(program))}
    return {**guessed, **declared_domains(program)}


def solve(text_or_path: str | Path, unknowns: Sequence[str], targets: Sequence[Target],
          subs: Mapping[str, int] | None = None,
          ranges: Mapping[str, tuple[int, int]] | None = None) -> Solution:
    """The values of `unknowns` (declared sizes) for which every target holds.

    >>> from symconv import Target
    >>> s = solve("sizes K\\ninput (28, 28, 1)\\nConv2D(8, K)", ["K"], [Target("shape", (13, 13, None))])
    >>> s.solutions
    [{'K': 16}]
    """
    return solve_source(load(text_or_path), unknowns, targets, subs, ranges)


def solve_source(source: Source, unknowns: Sequence[str], targets: Sequence[Target],
                 subs: Mapping[str, int] | None = None,
                 ranges: Mapping[str, tuple[int, int]] | None = None) -> Solution:
    """`solve` for a Source already read."""
    from .derivation.run import derive_program
    from .language.parse import parse
    from .render import solution  # noqa: F401  (a Solution renders itself: Solution.render)
    from .solving.solver import solve as solve_derivation

    check_values(subs, source)
    program = parse(source)
    derived = derive_program(program, dict(subs or {}), open_sizes=unknowns)
    return solve_derivation(derived, unknowns, targets, subs, ranges)


def verify(text_or_path: str | Path, against: str | None = None,
           subs: Mapping[str, int] | None = None, samples: int = 3, seed: int = 0,
           outside: bool = True) -> Report:
    """Check the derivation against the real framework (`against`: 'torch' or 'keras'; by
    default the file's convention): build the same network, run it on zeros and compare every
    layer's output shape, parameter counts and weight shapes. Sizes not given (in `subs` or as
    declared defaults) are sampled: `samples` valid assignments from `seed`; with `outside`,
    the nearest invalid value of each sampled size is tried too, and the framework must refuse
    it as symconv does. `report.ok` says whether everything agreed."""
    from .frameworks import verify_source

    return verify_source(load(text_or_path), against, subs, samples, seed, outside)
