"""What a symconv command imports (issue 17's start-up): sympy's tensor module and the
combinatorics it builds at import are left out (symconv/cli/deferred.py) without changing any
result, and load as before for whoever uses them. Each case runs in a fresh interpreter, as the
console script does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from symconv import api

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("mnist_cnn", "gpt2", "resnet50", "unet2_torch", "llama2_7b", "nasnet_mobile_keras")


def run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, check=True)
    return out.stdout


def entry(args: list[str]) -> str:
    """Python code running the console script's entry point on `args`, then printing the
    sympy modules it loaded that `import sympy` alone does not."""
    return ("import os, sys, sympy; before = set(sys.modules)\n"
            "def leave(code):\n    raise SystemExit(code)\n"
            "os._exit = leave  # the entry point ends the process: go on to the report\n"
            "from symconv.cli import entry\n"
            f"sys.argv = ['symconv'] + {args!r}\n"
            "try:\n    entry()\nexcept SystemExit:\n    pass\n"
            "print(json.dumps([sorted(m for m in set(sys.modules) - before "
            "if m.startswith('sympy.')), type(sys.modules['sympy.tensor.tensor']).__name__]), "
            "file=sys.stderr)\n").replace("import os,", "import json, os,")


@pytest.mark.parametrize("name", EXAMPLES)
def test_derive_leaves_out_sympys_tensors_and_prints_the_same(name: str, tmp_path: Path) -> None:
    path = ROOT / "examples" / f"{name}.arch"
    out = tmp_path / "out.json"
    code = entry(["derive", str(path), "-f", "json", "-o", str(out)])
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": ""}, check=True)
    loaded, tensor = json.loads(done.stderr.strip().splitlines()[-1])
    assert tensor == "_StandIn" and not [m for m in loaded if m.startswith("sympy.combinatorics")]
    # this process derives with the real module (imported by sympy's Add): the same bytes
    assert out.read_text() == api.derive(path).render("json")


def test_the_real_module_loads_for_whoever_uses_it() -> None:
    """After the stand-in has served sympy's Add, sympy's own tensor API works: asking for it
    loads the real module, and Add then takes tensors as TensAdd, as without symconv."""
    out = run("import sys, sympy\n"
              "from symconv.cli.deferred import defer_sympy_tensors, NAME\n"
              "defer_sympy_tensors()\n"
              "x, y, z = sympy.symbols('x y z')\n"
              "print(x + y + z, type(sys.modules[NAME]).__name__)\n"
              "from sympy.tensor.tensor import TensorIndexType, tensor_indices, TensorHead\n"
              "L = TensorIndexType('L'); i = tensor_indices('i', L)\n"
              "A, B = TensorHead('A', [L]), TensorHead('B', [L])\n"
              "print(type(sympy.Add(A(i), B(i), A(i))).__name__, "
              "type(sys.modules[NAME]).__name__)\n"
              "import sympy.combinatorics\n")
    assert out.split("\n")[:2] == ["x + y + z _StandIn", "TensAdd module"]


def test_a_module_already_loaded_is_left_alone() -> None:
    out = run("import sys, sympy.tensor.tensor as t\n"
              "from symconv.cli.deferred import defer_sympy_tensors, NAME\n"
              "defer_sympy_tensors()\n"
              "print(sys.modules[NAME] is t)\n")
    assert out.strip() == "True"


def test_the_entry_point_leaves_with_all_its_output_and_its_exit_code(tmp_path: Path) -> None:
    """`symconv` ends its process without the interpreter's teardown (cli/commands.py, leave):
    what it printed is all there, on a pipe as in a file, and so is its exit code."""
    env = {"PYTHONPATH": str(ROOT), "PATH": ""}
    path = ROOT / "examples" / "gpt2.arch"
    done = subprocess.run([sys.executable, "-m", "symconv", "derive", str(path)], cwd=ROOT,
                          capture_output=True, text=True, env=env)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == api.derive(path).render("table")
    bad = tmp_path / "bad.arch"
    bad.write_text("convention torch\ninput (3, H)\n")
    done = subprocess.run([sys.executable, "-m", "symconv", "derive", str(bad)], cwd=ROOT,
                          capture_output=True, text=True, env=env)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"{bad}:2:11: error: 'H' is not declared")


@pytest.mark.parametrize("command, printed", [(["import"], "Conv2d(3, 16, 3"),
                                              (["derive", "--from"], "(N, 16, H - 2, W - 2)")])
def test_a_users_model_meets_sympy_as_it_is(command: list[str], printed: str,
                                            tmp_path: Path) -> None:
    """`import` and `derive --from` run the user's Python: no stand-in there. This model reads
    `sympy.tensor.tensor` as an attribute after `import sympy.tensor.tensor`, which a stand-in
    in sys.modules would break (the package never gets the attribute)."""
    pytest.importorskip("torch")
    model = tmp_path / "mymodel.py"
    model.write_text("import sympy.tensor.tensor\nimport torch\n\n\n"
                     "class Net(torch.nn.Module):\n"
                     "    def __init__(self):\n"
                     "        super().__init__()\n"
                     "        self.index = sympy.tensor.tensor.TensorIndexType('L')\n"
                     "        self.c = torch.nn.Conv2d(3, 16, 3)\n\n"
                     "    def forward(self, x):\n"
                     "        return self.c(x)\n")
    done = subprocess.run([sys.executable, "-m", "symconv", *command, f"{model}:Net", "--input",
                           "(3, H, W)"], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert (done.returncode, done.stderr) == (0, "")
    assert printed in done.stdout
