"""Fuzzing: symconv either derives an input or refuses it with a positioned SymconvError.

Inputs come from tests/fuzzgen.py: grammar- and shape-aware programs, nearly valid ones (one
slip each), and every file of examples/ and tests/errors/ mangled at the byte and token level.
For every input, written as bytes to a file and given as text to the API:

- `symconv.derive(path)` succeeds, every format renders, and at sampled sizes substituting
  agrees with deriving with those sizes fixed from the start (`derive_program(parse(source),
  fixed)`, as `solve` does) on every layer's output shape and parameter count, all plain
  integers; where a substitution breaks a condition (SC301) the fixed derivation refuses too;
- or it raises `SymconvError` whose `render()` starts with `path:line:col: error:` or
  `path: error:` and ends its first line with a code of `symconv.errors.CODES`;
- the text API agrees with the file API; `symconv derive FILE` returns 0 or 1, never 3 and never
  a traceback (a RecursionError from the API is accepted only because the CLI turns it into SC110);
- each symconv call on an input (derive, a render, a substitution, the CLI) finishes within
  BOUND seconds of wall-clock time, plus PER_LAYER for each layer application it derives (a
  SIGALRM at HARD seconds stops a runaway input so the test fails instead of hanging); the
  closing note names the slowest call and its input.

Fixed seeds (`derandomize`); SYMCONV_FUZZ_EXAMPLES sets the examples per strategy (default 400:
about 2,000 inputs and 70 s on two cores). A long run, one command:

    SYMCONV_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py -q

`test_zz_totals` prints how many inputs ran and the slowest one.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import random
import re
import signal
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import fuzzgen
import pytest
from hypothesis import HealthCheck, Phase, given, settings

import symconv
from symconv.cli import commands as cli
from symconv.derivation.binding import MAX_APPLICATIONS
from symconv.derivation.model import Derivation
from symconv.derivation.run import derive_program
from symconv.errors import CODES, Source, SymconvError
from symconv.language.parse import parse
from symconv.solving.substitute import substitute

DEFAULT_EXAMPLES = 400
EXAMPLES = int(os.environ.get("SYMCONV_FUZZ_EXAMPLES", str(DEFAULT_EXAMPLES)))
BOUND = 5.0  # seconds per input (API, renders, substitutions and the CLI together)
HARD = 30  # seconds: a runaway input is stopped here
LARGE = 2_000  # layer applications past which an input is not substituted nor solved
# and the time a call may take grows with them, as a deep network's output does (issue 17):
# a mutant's `repeat 500` in each ConvNeXt stage is 2,000 blocks of 13 applications, refused
# (SC110) when the 20,000th is reached, 5.1–6.1 s on an idle machine: an input refused at that
# cap has done the work of a derivation that size, and is allowed its time
PER_LAYER = 0.0005  # seconds
FORMATS = ("table", "json", "markdown", "latex")
SAMPLE_VALUES = (1, 2, 3, 4, 5, 7, 8, 16, 28, 32, 33, 64)
SUBS_WANTED, SUBS_TRIES = 2, 6
FIRST_LINE = re.compile(r"^(?P<path>.*?)(?::(?P<line>\d+):(?P<col>\d+))?: error: .* "
                        r"\[(?P<code>SC\d{3})\]$")
WORKDIR = Path(tempfile.mkdtemp(prefix="symconv-fuzz-"))
FUZZ = settings(derandomize=True, database=None, max_examples=EXAMPLES, deadline=None,
                suppress_health_check=list(HealthCheck), print_blob=False,
                phases=[Phase.generate, Phase.shrink])  # no explain phase: no .hypothesis/patches

# Bugs the fuzzing found and that are fixed (regression tests below): an integer literal, or a
# decimal's exponent, past Python's 4,300-digit str→int limit was converted before the 40-digit
# bound was checked (ValueError, exit 3), and 1e40000000 did not finish. An input that escapes
# with a known exception is counted under "known: …" instead of failing; none is left.
KNOWN: dict[str, tuple[re.Pattern[bytes], type[BaseException]]] = {}

# running totals for the closing note
TOTALS: dict[str, object] = {"inputs": 0, "slowest": 0.0, "slowest_input": b"",
                             "slowest_op": "", "slowest_all": 0.0,
                             "outcomes": Counter(), "substitutions": 0, "solves": 0, "tests": 0}


OPS: dict[str, float] = {}  # the current input's operations and their wall-clock seconds


def timed(label: str, run, *args):  # type: ignore[no-untyped-def]
    """`run(*args)`, its time recorded under `label` (the bound applies to each symconv call)."""
    start = time.perf_counter()
    try:
        return run(*args)
    finally:
        OPS[label] = max(OPS.get(label, 0.0), time.perf_counter() - start)


class TooSlow(AssertionError):
    """One symconv call on one input took longer than BOUND."""


class Timeout(BaseException):
    """Raised by SIGALRM; a BaseException so no `except Exception` in symconv swallows it."""


@contextlib.contextmanager
def hard_limit(seconds: int) -> Iterator[None]:
    def alarm(signum: int, frame: object) -> None:
        raise Timeout(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def outcome(run: object) -> Derivation | SymconvError | RecursionError:
    """The derivation, or the SymconvError or RecursionError raised; anything else escapes."""
    try:
        return run()  # type: ignore[operator, no-any-return]
    except SymconvError as err:
        return err
    except RecursionError as err:
        return err


def check_error(err: SymconvError, path: str) -> None:
    first = err.render().splitlines()[0]
    match = FIRST_LINE.match(first)
    assert match, f"error's first line has not the house form: {first!r}"
    assert match["path"] == path, f"error names {match['path']!r}, not {path!r}: {first!r}"
    assert match["code"] == err.code and err.code in CODES, first
    err.to_dict()


def check_renders(d: Derivation) -> None:
    for fmt in FORMATS:
        assert isinstance(timed(f"render {fmt}", d.render, fmt), str)


def check_layers_equal(sub: Derivation, fixed: Derivation, values: dict[str, int]) -> None:
    where = f"at {values}"
    assert [r.name for r in sub.layers] == [r.name for r in fixed.layers], where
    for a, b in zip(sub.layers, fixed.layers):
        for shape in (a.output_shape, b.output_shape):
            assert all(getattr(e, "is_Integer", isinstance(e, int)) for e in shape), \
                f"{a.name}: output shape {shape} is not whole numbers {where}"
        assert tuple(a.output_shape) == tuple(b.output_shape), \
            f"{a.name}: substituted {a.output_shape}, fixed {b.output_shape} {where}"
        assert a.params.is_Integer and b.params.is_Integer, f"{a.name}: params {where}"
        assert a.params == b.params, f"{a.name}: substituted {a.params}, fixed {b.params} {where}"


def check_substitutions(d: Derivation, text: str,
                        data: bytes) -> tuple[dict[str, int], Derivation] | None:
    """At a few sampled sizes: substituting the symbolic derivation (what `derive(path,
    subs=...)` does) agrees with the derivation with those sizes fixed from the start."""
    if not d.sizes:
        return None
    rng = random.Random(zlib.crc32(data))
    program = parse(Source(text, d.source.path))
    done = 0
    for attempt in range(SUBS_TRIES):
        values = {s: (d.defaults[s] if s in d.defaults and rng.random() < 0.5
                      else rng.choice(SAMPLE_VALUES)) for s in d.sizes}
        if attempt == 0:
            values = {s: d.defaults.get(s, 32) for s in d.sizes}
        try:
            sub = timed("substitute", substitute, d, values)
        except SymconvError as err:  # a condition broken, or a number past README's Limits
            assert err.code in ("SC301", "SC110"), err.render()
            with pytest.raises(SymconvError):
                timed("derive fixed", derive_program, program, values)  # refused too
            continue
        fixed = timed("derive fixed", derive_program, program, values)
        check_layers_equal(sub, fixed, values)
        good = values, sub
        TOTALS["substitutions"] = int(TOTALS["substitutions"]) + 1  # type: ignore[call-overload]
        done += 1
        if done == SUBS_WANTED:
            break
    if done:
        good[1].render("table")
        return good
    return None


def run_cli(path: str, *args: str, label: str = "cli derive") -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = timed(label, lambda: cli.main([*(args or ("derive",)), path]))
    return int(code), err.getvalue()


def check_solve(d: Derivation, found: tuple[dict[str, int], Derivation], path: str,
                data: bytes) -> None:
    """solve for one size, the target being what a valid substitution gave: with every other
    size fixed at its sampled value, the sampled value is among the solutions (when it lies in
    the range tried and the list is complete); with the others left free, an answer or a
    positioned refusal. Through the API and the CLI, never an internal error."""
    values, sub = found
    rng = random.Random(zlib.crc32(data) ^ 0x5EED)
    unknown = rng.choice(sorted(values))
    others = {k: v for k, v in values.items() if k != unknown}
    if rng.random() < 0.5:  # some sizes left free (those without a default stay symbolic)
        others = {k: v for k, v in others.items() if rng.random() < 0.5}
    shape = tuple(int(e) for e in sub.output_shape)
    targets = [symconv.Target("shape", shape)]
    if rng.random() < 0.5:
        targets = [symconv.Target("params", int(sub.params))]
    source = Source(data.decode("utf-8"), path)
    result = timed("solve", lambda: outcome(lambda: symconv.api.solve_source(
        source, [unknown], targets, others)))
    if isinstance(result, SymconvError):
        check_error(result, path)
    elif not isinstance(result, RecursionError):
        TOTALS["solves"] = int(TOTALS["solves"]) + 1  # type: ignore[call-overload]
        low, high = result.ranges[unknown]
        if (set(others) | {unknown}) >= set(d.sizes) and result.complete \
                and low <= values[unknown] <= high and not result.free:
            assert any(s.get(unknown) == values[unknown] for s in result.solutions), \
                f"solve for {unknown} with {others} misses {values[unknown]}: {result.solutions}"
    axes = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
    subs = ",".join(f"{k}={v}" for k, v in others.items())
    code, stderr = run_cli(path, "solve", "--for", unknown, "--shape", axes,
                           *(("--subs", subs) if subs else ()), label="cli solve")
    assert "Traceback" not in stderr and code in (0, 1), f"solve exit {code}: {stderr}"


def same_result(a: object, b: object) -> bool:
    if isinstance(a, SymconvError) and isinstance(b, SymconvError):
        return (a.code, a.message, a.span) == (b.code, b.message, b.span)
    if isinstance(a, Derivation) and isinstance(b, Derivation):
        return ([(r.name, r.output_shape, r.params) for r in a.layers]
                == [(r.name, r.output_shape, r.params) for r in b.layers])
    return type(a) is type(b)


def check(data: bytes) -> None:
    """The fuzz property for one input (module docstring), known bugs set aside. An input too
    slow once is timed again after a full garbage collection, and fails if slow twice: after
    the deep mutants (16,000 applications) a refusal that takes 1 s once took 7.6 s."""
    try:
        try:
            check_input(data)
        except TooSlow:
            gc.collect()
            check_input(data)
    except Exception as err:
        for name, (pattern, kind) in KNOWN.items():
            if isinstance(err, kind) and pattern.search(data):
                TOTALS["outcomes"][f"known: {name}"] += 1  # type: ignore[index]
                TOTALS["inputs"] = int(TOTALS["inputs"]) + 1  # type: ignore[call-overload]
                return
        raise


def check_input(data: bytes) -> None:
    """The fuzz property for one input (module docstring)."""
    path = WORKDIR / "fuzz.arch"
    path.write_bytes(data)
    OPS.clear()
    start = time.perf_counter()
    with hard_limit(HARD):
        result = timed("derive", lambda: outcome(lambda: symconv.derive(path)))
        if isinstance(result, Derivation):
            check_renders(result)
            # substitutions and solve derive the network again several times: checked on every
            # input but the largest (a mutant's `repeat 500` makes BERT 10,000 applications,
            # each call a few seconds, all of them past the hard limit)
            found = (check_substitutions(result, data.decode("utf-8"), data)
                     if len(result.layers) <= LARGE else None)
            if found is not None:
                check_solve(result, found, str(path), data)
        elif isinstance(result, SymconvError):
            check_error(result, str(path))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            assert isinstance(result, SymconvError) and result.code == "SC001"
            text = None
        if text is not None and len(data) <= 1_000_000:
            source = Source(text)
            as_text = timed("derive text", lambda: outcome(
                lambda: symconv.derive(text) if "\n" in text else symconv.api.derive_source(source)))
            assert same_result(result, as_text), (result, as_text)
        code, stderr = run_cli(str(path))
    elapsed = time.perf_counter() - start
    assert "Traceback" not in stderr, stderr
    assert code in (0, 1), f"exit {code}: {stderr}"
    if isinstance(result, Derivation):
        assert code == 0, stderr
    elif isinstance(result, SymconvError):
        assert code == 1 and stderr.startswith(result.render().splitlines()[0]), stderr
    else:  # RecursionError: accepted because the CLI reports it as SC110
        assert code == 1 and "[SC110]" in stderr, stderr
    record(data, result, elapsed)
    label, slowest = max(OPS.items(), key=lambda kv: kv[1])
    layers = len(result.layers) if isinstance(result, Derivation) else \
        MAX_APPLICATIONS if isinstance(result, SymconvError) and result.code == "SC110" \
        and "layer and block applications" in result.message else 0
    if slowest >= BOUND + PER_LAYER * layers:
        raise TooSlow(f"{label} took {slowest:.2f} s (all checks: {elapsed:.2f} s)")


def record(data: bytes, result: object, elapsed: float) -> None:
    TOTALS["inputs"] = int(TOTALS["inputs"]) + 1  # type: ignore[call-overload]
    label = ("ok" if isinstance(result, Derivation) else
             result.code if isinstance(result, SymconvError) else type(result).__name__)
    TOTALS["outcomes"][label] += 1  # type: ignore[index]
    label, slowest = max(OPS.items(), key=lambda kv: kv[1])
    if slowest > float(TOTALS["slowest"]):  # type: ignore[arg-type]
        TOTALS["slowest"], TOTALS["slowest_input"], TOTALS["slowest_op"] = slowest, data, label
    if elapsed > float(TOTALS["slowest_all"]):  # type: ignore[arg-type]
        TOTALS["slowest_all"] = elapsed


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("name", sorted(fuzzgen.SEED_BYTES))
def test_seed_file(name: str) -> None:
    """Every seed file, unmutated: examples derive, error cases refuse."""
    check(fuzzgen.SEED_BYTES[name])


@FUZZ
@given(data=fuzzgen.programs())
def test_programs(data: bytes) -> None:
    check(data)


@FUZZ
@given(data=fuzzgen.nearly_valid())
def test_nearly_valid(data: bytes) -> None:
    check(data)


@settings(FUZZ, max_examples=2 * EXAMPLES)
@given(data=fuzzgen.mutants())
def test_mutants(data: bytes) -> None:
    check(data)


@FUZZ
@given(data=fuzzgen.generated_mutant())
def test_generated_mutants(data: bytes) -> None:
    check(data)


@FUZZ
@given(data=fuzzgen.hostile())
def test_hostile(data: bytes) -> None:
    """Inputs written to hurt: merges of every extent form, float scales, symbolic chains,
    compounded exponents and huge products, sizes that may be 0."""
    check(data)


# --------------------------------------------------------------------------- found and fixed


@pytest.mark.parametrize("text", ["input (" + "1" * 4301 + ",)\n",
                                  "input (4,)\nDropout(1e400000)\n",
                                  "input (4,)\nDropout(1e100000000)\n"],
                         ids=["int_4301_digits", "decimal_exponent_400000", "exponent_1e8"])
def test_long_literals_are_refused_quickly(text: str) -> None:
    start = time.perf_counter()
    with pytest.raises(SymconvError) as err:
        symconv.derive(text)
    assert err.value.code == "SC110" and "longer than 40 digits" in err.value.message
    assert time.perf_counter() - start < 1


def test_programs_mostly_derive() -> None:
    """The generator is useful only if most of its programs are valid."""
    outcomes = TOTALS["outcomes"]
    if int(TOTALS["inputs"]) < 100:  # type: ignore[call-overload]
        pytest.skip("too few inputs ran")
    assert outcomes["ok"] > 0.2 * int(TOTALS["inputs"])  # type: ignore[index, call-overload]


def test_zz_totals(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs last: how much one run fuzzed, and the slowest input."""
    slow = bytes(TOTALS["slowest_input"])  # type: ignore[call-overload]
    shown = slow[:160].decode("utf-8", "replace").replace("\n", "\\n")
    with capsys.disabled():
        print(f"\nfuzzed inputs: {TOTALS['inputs']} (slowest: {float(TOTALS['slowest']):.2f} s, "  # type: ignore[arg-type]
              f"{TOTALS['slowest_op']} of {len(slow):,} bytes: {shown!r}; all checks of one "
              f"input at most {float(TOTALS['slowest_all']):.2f} s); substitutions compared: "
              f"{TOTALS['substitutions']}; solves: {TOTALS['solves']}; outcomes: {dict(TOTALS['outcomes'])}")  # type: ignore[call-overload]
