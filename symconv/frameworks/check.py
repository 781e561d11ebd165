"""`symconv verify`: derive the network at concrete sizes, build the same network in the real
framework, run it, and compare every layer; then step just outside the valid domain and check
that the framework refuses what symconv refuses.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from types import ModuleType

from ..derivation.domains import check_values
from ..derivation.model import Derivation
from ..errors import Source, SymconvError
from .compare import Facts, Mismatch, Refused, compare
from .report import Checked, OutsideCheck, Report
from .sizes import Outside, outside, sample

# the most parameters and buffers `verify` builds in the framework (4 bytes each: 1 GB): GPT-2,
# BERT and ViT-B/16 at their published sizes (124, 109 and 87 million) fit; Llama 2 7B's
# 6.7 billion, 27 GB in float32, would exhaust the machine's memory instead of answering
MAX_BUILT = 250_000_000
INSTALL = "pip install 'symconv[verify]'  (torch==2.13.0, a CPU build, and keras==3.15.1)"


class FrameworkMissing(Exception):
    """The framework to verify against is not installed (the CLI exits 2)."""


def runner(against: str, convention: str) -> tuple[ModuleType, str]:
    """The module that runs a `convention` file in `against` (its `run(derivation)` gives
    Facts per layer) and the framework's version; FrameworkMissing when not installed."""
    from . import keras_net, torch_net, translate

    if (convention, against) == ("keras", "torch"):
        module, version = translate, torch_net.version()
    elif against == convention:
        module = torch_net if against == "torch" else keras_net  # type: ignore[assignment]
        version = module.version()
    else:
        raise SymconvError("SC306", f"verifying a {convention} file against {against} is not "
                           "supported: symconv translates Keras files to PyTorch, not the "
                           "other way", hint=f"verify against {convention}, the file's "
                           "convention")
    if version is None:
        raise FrameworkMissing(f"verifying against {against} needs PyTorch and Keras: {INSTALL}")
    return module, version


def verify_source(source: Source, against: str | None = None,
                  subs: Mapping[str, int] | None = None, samples: int = 3, seed: int = 0,
                  check_outside: bool = True) -> Report:
    """See `symconv.verify`."""
    from ..derivation.run import derive_program
    from ..language.parse import parse

    check_values(subs, source)
    program = parse(source)
    symbolic = derive_program(program, dict(subs or {}))
    convention = symbolic.convention
    against = against or convention
    try:
        module, version = runner(against, convention)
    except SymconvError as err:
        raise err.located(source) from None
    report = Report(source.path, against, version,
                    convention if convention != against else None)
    assignments = sample(symbolic, samples, seed)
    derived = [derive_program(program, sizes, domains=symbolic.domains) for sizes in assignments]
    for sizes, d in zip(assignments, derived):
        _buildable(d, sizes, source)
    if report.translated_from:  # every layer translates, or SC306 names the first that does not
        try:
            module.steps(derived[0])
        except SymconvError as err:
            raise err.located(source) from None
    for sizes, d in zip(assignments, derived):
        report.checked.append(_check(module, d, sizes, report))
    if check_outside and len(symbolic.subs) < len(symbolic.sizes):
        for point in outside(symbolic, assignments[0]):
            report.outside.append(_outside(module, program, symbolic, point, report))
    return report


def _buildable(d: Derivation, sizes: Mapping[str, int], source: Source) -> None:
    """Refuse (SC308) a network too large to build in memory at these sizes."""
    count = int(d.params) + int(d.buffers)
    if count > MAX_BUILT:
        given = ", ".join(f"{k}={v}" for k, v in sizes.items())
        raise SymconvError("SC308", f"the network has {count:,} parameters and buffers at "
                           f"{given or 'its declared sizes'}: more than the {MAX_BUILT:,} "
                           "verify builds in memory", None, source,
                           hint="verify a smaller instance of it: give smaller sizes with "
                           "--subs (the formulas are the same at every size)")


def _run(module: ModuleType, d: Derivation) -> list[Facts]:
    """The framework's facts; its warnings (about odd but legal configurations, such as a
    zero-element weight just outside the valid domain) are not the user's concern here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return module.run(d)  # type: ignore[no-any-return]


def _check(module: ModuleType, d: Derivation, sizes: dict[str, int], report: Report) -> Checked:
    try:
        facts = _run(module, d)
    except Refused as err:
        report.mismatches.append(Mismatch(err.record.name, err.record.type, sizes,
                                          "the framework refuses what symconv accepts",
                                          "accepted", str(err), report.against))
        return Checked(sizes, d, None, str(err))
    for record, theirs in zip(d.layers, facts):
        if report.translated_from:
            from .translate import compare_translated

            found, expected = compare_translated(record, theirs, sizes)
            report.mismatches += found
            if expected:
                report.expected.setdefault(record.name, expected)
        else:
            report.mismatches += compare(record, theirs, sizes, report.against)
    return Checked(sizes, d, tuple(facts))


def _outside(module: ModuleType, program: object, symbolic: Derivation, point: Outside,
             report: Report) -> OutsideCheck:
    from ..derivation.run import derive_program
    from ..solving.substitute import unchecked

    try:
        derive_program(program, point.sizes, domains=symbolic.domains)  # type: ignore[arg-type]
    except SymconvError as err:
        said = err.message
    else:  # the conditions say no, so derivation must too: a bug if not
        raise AssertionError(f"symconv accepts {point.sizes} against its own condition "
                             f"{point.reason}")
    try:
        _run(module, unchecked(symbolic, point.sizes))
    except Refused as err:
        return OutsideCheck(point, said, str(err))
    record = symbolic.layer(point.layer)
    report.mismatches.append(Mismatch(record.name, record.type, point.sizes,
                                      "symconv refuses what the framework accepts", said,
                                      "accepted", report.against))
    return OutsideCheck(point, said, None)
