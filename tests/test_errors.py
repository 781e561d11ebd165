"""Every bad input gets `path:line:col: error:`, the source line, a caret, a hint where one
helps, exit code 1, and never a traceback. Golden files: tests/errors/NAME.arch → NAME.err."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from symconv.cli import main
from symconv.errors import CODES

HERE = Path(__file__).parent
CASES = sorted((HERE / "errors").glob("*.arch"))


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse usage errors
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_error_golden(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE.parent)
    code, out, err = run(["derive", str(case.relative_to(HERE.parent))])
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    assert err == case.with_suffix(".err").read_text(encoding="utf-8")
    head = err.splitlines()[0]
    assert head.startswith(f"tests/errors/{case.name}:") and ": error: " in head
    assert head.rsplit("[", 1)[1].rstrip("]") in CODES


def test_injection_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    arch = tmp_path / "evil.arch"
    arch.write_text(f"input (28, 28, 1)\nConv2D(__import__('os').system('touch {marker}'), 3)\n")
    code, _, err = run(["derive", str(arch)])
    # method-call syntax parses (`x.view(…)`): the call is refused as a value, never run
    assert code == 1 and "[SC104]" in err
    assert not marker.exists()
    arch.write_text(f"input x: (3,)\n__import__('os').system('touch {marker}')\n")
    code, _, err = run(["derive", str(arch)])
    assert code == 1 and "[SC101]" in err and "unknown Keras layer '__import__'" in err
    assert not marker.exists()


@pytest.mark.parametrize("subs", ["H=abc", "H=__import__('os')", "H", "=3", "H=1.5", "H=-2",
                                  "H=2,H=3"])
def test_bad_subs_are_usage_errors(subs: str) -> None:
    code, out, err = run(["derive", str(HERE.parent / "examples" / "mnist_cnn.arch"),
                          "--subs", subs])
    assert code == 2 and out == "" and "Traceback" not in err


def test_substitution_that_breaks_a_condition_names_the_layer() -> None:
    code, _, err = run(["derive", str(HERE.parent / "examples" / "mnist_cnn.arch"),
                        "--subs", "H=5,W=28"])
    assert code == 1
    assert "Conv2D 'conv2d_1': computed output size would be zero or negative" in err
    assert "requires H ≥ 8, but H = 5" in err


def test_unknown_size_in_subs() -> None:
    code, _, err = run(["derive", str(HERE.parent / "examples" / "mnist_cnn.arch"),
                        "--subs", "X=5"])
    assert code == 1 and "'X' is not a declared size" in err


def test_missing_file_and_non_utf8(tmp_path: Path) -> None:
    code, _, err = run(["derive", str(tmp_path / "nope.arch")])
    assert code == 1 and "SC001" in err
    bad = tmp_path / "bad.arch"
    bad.write_bytes(b"input (\xff\xfe)\n")
    code, _, err = run(["derive", str(bad)])
    assert code == 1 and "not UTF-8" in err


def test_every_code_is_documented_in_readme() -> None:
    readme = (HERE.parent / "README.md").read_text(encoding="utf-8")
    for code in CODES:
        assert code in readme, code


def test_no_module_turns_text_into_code() -> None:
    banned = ("sympify(", "parse_expr(", "eval(", "exec(", "S(")
    for path in (HERE.parent / "symconv").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for word in banned:
            for line in text.splitlines():
                code = line.split("#", 1)[0]
                # `def eval(cls, …)` defines a sympy Function's evaluation rule; it reads no text
                code = code.replace("def eval(cls", "")
                assert word not in code.replace("_eval(", "").replace(".S(", ""), (path, line)


def test_every_registered_layer_is_in_readme() -> None:
    """Each convention's table in README names every layer it registers (`Name1D/2D/3D`
    stands for the three)."""
    import re

    from symconv.layers import REGISTRY

    readme = (HERE.parent / "README.md").read_text(encoding="utf-8")
    sections = {"keras": readme[readme.index("### Keras 3"):readme.index("### PyTorch")],
                "torch": readme[readme.index("### PyTorch"):readme.index("## Errors")]}
    for convention, text in sections.items():
        text = re.sub(r"(\w+?)1([Dd])/2\2/3\2", r"\g<1>1\2 \g<1>2\2 \g<1>3\2", text)
        missing = [t for t in REGISTRY[convention] if not re.search(rf"\b{re.escape(t)}\b", text)]
        assert not missing, f"{convention} layers missing from README: {missing}"


def test_every_raised_code_is_in_the_catalogue() -> None:
    """A code raised anywhere in symconv is in errors.CODES (and so, by the test above, in
    README's table)."""
    import re

    from symconv.errors import CODES

    used = set()
    for path in (HERE.parent / "symconv").rglob("*.py"):
        used |= set(re.findall(r"\"(SC\d{3})\"", path.read_text(encoding="utf-8")))
    assert used - set(CODES) == set(), sorted(used - set(CODES))
