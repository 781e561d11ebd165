"""`symconv import` on real torchvision models nobody here wrote (issue 19).

Each model, built with weights=None, is imported to a .arch file, derived symbolically, and at
two input sizes compared with the model itself: the parameter and buffer totals PyTorch counts,
and every leaf module's output shape recorded with forward hooks on a real forward pass. The
file written to disk derives exactly as the text did. Expected values come from torch alone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
models = pytest.importorskip("torchvision.models")

from symconv.api import derive  # noqa: E402
from symconv.cli import main  # noqa: E402
from symconv.importing import import_module  # noqa: E402

# model, the second input size (H, W) it accepts beside 224×224 (odd and unequal where it can)
MODELS = [
    pytest.param("resnet18", (97, 65), id="resnet18"),
    pytest.param("resnet50", (65, 33), id="resnet50"),
    pytest.param("alexnet", (97, 65), id="alexnet"),
    pytest.param("vgg11_bn", (65, 97), id="vgg11_bn"),
    pytest.param("squeezenet1_1", (97, 65), id="squeezenet1_1"),
    pytest.param("mobilenet_v2", (65, 33), id="mobilenet_v2"),
    pytest.param("densenet121", (97, 65), id="densenet121"),
    pytest.param("googlenet", (97, 65), id="googlenet"),
    pytest.param("efficientnet_b0", (65, 33), id="efficientnet_b0"),
    pytest.param("regnet_y_400mf", (65, 33), id="regnet_y_400mf"),
    # Hardswish, and SqueezeExcitation's Hardsigmoid and `scale * input`
    pytest.param("mobilenet_v3_small", (65, 33), id="mobilenet_v3_small"),
    # their forward ends in `x.mean([2, 3])`
    pytest.param("mnasnet1_0", (65, 33), id="mnasnet1_0"),
    pytest.param("shufflenet_v2_x1_0", (65, 33), id="shufflenet_v2_x1_0"),
    # a ShuffleNetV2 unit: chunk, cat and the channel shuffle's view(b, g, c // g, h, w)
    pytest.param("shufflenet_unit", (9, 7), id="shufflenet_unit"),
    # layer scale (a parameter), LayerNorm2d's F.layer_norm with the module's weights, Permute
    pytest.param("convnext_tiny", (97, 65), id="convnext_tiny"),
    # class token and position embedding (parameters), expand, cat, x[:, 0], MultiheadAttention;
    # torchvision asserts the one image size its position embedding is built for: no other size
    pytest.param("vit_b_16", None, id="vit_b_16"),
]
# more of torchvision's classifiers, checked the same way with SYMCONV_IMPORT_ALL=1 (CI keeps
# to the list above for time)
MORE = [
    pytest.param(name, other, id=name, marks=pytest.mark.skipif(
        not os.environ.get("SYMCONV_IMPORT_ALL"), reason="SYMCONV_IMPORT_ALL=1 runs the full list"))
    for name, other in (("resnext50_32x4d", (65, 33)), ("wide_resnet50_2", (65, 33)),
                        ("vgg16", (65, 97)), ("squeezenet1_0", (97, 65)),
                        ("inception_v3", (299, 299)), ("efficientnet_v2_s", (65, 33)),
                        ("regnet_x_400mf", (65, 33)), ("mobilenet_v3_large", (65, 33)))]
MODELS += MORE
CHANNELS = {"shufflenet_unit": 24}  # the input's channels (3 for the whole models)


def _build(name: str) -> object:
    if name == "shufflenet_unit":
        from torchvision.models.shufflenetv2 import InvertedResidual

        return InvertedResidual(24, 24, 1)
    return getattr(models, name)(weights=None, **KWARGS.get(name, {}))
# what a model's factory needs beside weights=None (GoogLeNet: no auxiliary classifiers, whose
# outputs a traced forward in eval mode drops, and no scipy-based initialisation)
KWARGS = {"googlenet": {"aux_logits": False, "init_weights": False},
          "inception_v3": {"aux_logits": False, "init_weights": False}}
SIZES = ("224x224", "other")
# leaf modules written as the steps of their forward, the layer among them named as the module:
# LayerNorm2d's record is the channels-last tensor F.layer_norm gives, its output permuted so
CHANNELS_LAST = {"LayerNorm2d": (0, 2, 3, 1)}


@pytest.fixture(scope="module")
def imported() -> dict[str, tuple[object, str]]:
    return {}


def _model_and_arch(name: str, cache: dict[str, tuple[object, str]]) -> tuple[object, str]:
    if name not in cache:
        model = _build(name).eval()  # type: ignore[attr-defined]
        shape = (CHANNELS.get(name, 3), "H", "W")
        cache[name] = (model, import_module(model, [shape], network=name))
    return cache[name]


def _hooked_shapes(model: object, *inputs: tuple[int, ...]) -> dict[str, list[tuple[int, ...]]]:
    """Each leaf module's output shapes (batch axis left out), one per call, from torch."""
    shapes: dict[str, list[tuple[int, ...]]] = {}
    handles = []
    for path, module in model.named_modules():  # type: ignore[attr-defined]
        if path and not list(module.children()):
            order = CHANNELS_LAST.get(type(module).__name__)
            handles.append(module.register_forward_hook(
                lambda m, i, out, path=path, order=order: shapes.setdefault(path, []).append(
                    tuple((out.permute(*order) if order else out).shape[1:]))))
    with torch.no_grad():
        model(*(torch.zeros(1, *shape) for shape in inputs))  # type: ignore[operator]
    for handle in handles:
        handle.remove()
    return shapes


def _derived_shapes(derived: object) -> dict[str, list[tuple[int, ...]]]:
    """Each layer's and block's output shape: a leaf module the catalog lacks (torchvision's
    Permute) is a block."""
    got: dict[str, list[tuple[int, ...]]] = {}
    for r in (*derived.layers, *derived.blocks):  # type: ignore[attr-defined]
        got.setdefault(r.name, []).append(tuple(int(e) for e in r.output_shape))
    return got


def _records(derivation: object) -> list[tuple[object, ...]]:
    return [(r.name, r.type, r.output_shape, r.params, r.buffers)
            for r in derivation.layers]  # type: ignore[attr-defined]


# each model at each size it takes (a model without a second size, ViT, at 224×224 alone)
SIZED = [pytest.param(*row.values, size, id=f"{row.id}-{size}", marks=row.marks)
         for row in MODELS for size in SIZES if size == SIZES[0] or row.values[1] is not None]


@pytest.mark.parametrize("name, other, size", SIZED)
def test_imported_model_matches_torch(name: str, other: tuple[int, int], size: str,
                                      imported: dict[str, tuple[object, str]]) -> None:
    model, arch = _model_and_arch(name, imported)
    h, w = (224, 224) if size == "224x224" else other
    derived = derive(arch, subs={"H": h, "W": w})
    assert int(derived.params) == sum(p.numel() for p in model.parameters())  # type: ignore[attr-defined]
    assert int(derived.buffers) == sum(b.numel() for b in model.buffers())  # type: ignore[attr-defined]
    got = _derived_shapes(derived)
    expected = _hooked_shapes(model, (CHANNELS.get(name, 3), h, w))
    assert {p: got.get(p) for p in expected} == expected


# lines the file must hold, as torchvision's source writes the modules (googlenet.py:
# `inception_block(192, 64, 96, 128, 16, 32, 32)`; squeezenet.py: `Fire(64, 16, 64, 64)`, whose
# two expand widths are always equal and so one block parameter)
WRITTEN = [
    pytest.param("googlenet", ['Inception(192, 64, 96, 128, 16, 32, 32, name="inception3a")',
                               'Inception(832, 384, 192, 384, 48, 128, 128, name="inception5b")',
                               'MaxPool2d(3, stride=2, ceil_mode=True, name="maxpool1")'],
                 id="googlenet"),
    pytest.param("resnet18", ['Conv2d(3, 64, 7, stride=2, padding=3, bias=False, name="conv1")',
                              'MaxPool2d(3, stride=2, padding=1, name="maxpool")',
                              "    shared relu = ReLU(inplace=True)", "    repeat 2:",
                              'Linear(512, 1000, name="fc")'], id="resnet18"),
    pytest.param("squeezenet1_1", ["    Fire(64, 16, 64)", "    Fire(512, 64, 256)"],
                 id="squeezenet1_1"),
    pytest.param("alexnet", ["    Conv2d(3, 64, 11, stride=4, padding=2)",
                             'avgpool = AdaptiveAvgPool2d((6, 6), name="avgpool")',
                             "flatten(avgpool, 1)"], id="alexnet"),
]


@pytest.mark.parametrize("name, lines", WRITTEN)
def test_the_file_reads_as_the_model_is_written(name: str, lines: list[str],
                                                imported: dict[str, tuple[object, str]]) -> None:
    _, arch = _model_and_arch(name, imported)
    written = arch.splitlines()
    assert [line for line in lines if line not in written] == []
    blocks = [line.split("(")[0] for line in written if line.startswith("block ")]
    assert len(blocks) == len(set(blocks))


@pytest.mark.parametrize("name, other", MODELS)
def test_imported_file_derives_symbolically_and_round_trips(
        name: str, other: tuple[int, int], imported: dict[str, tuple[object, str]],
        tmp_path: Path) -> None:
    _, arch = _model_and_arch(name, imported)
    symbolic = derive(arch)
    assert {str(s) for s in symbolic.free_sizes} <= {"H", "W"}
    path = tmp_path / f"{name}.arch"
    path.write_text(arch, encoding="utf-8")
    assert _records(derive(path)) == _records(symbolic)


class Functional(torch.nn.Module):
    """The functional forms: F.hardswish, F.hardsigmoid, torch.mean and Tensor.mean."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, stride=2)
        self.fc = torch.nn.Linear(8, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        import torch.nn.functional as F

        y = F.hardswish(self.conv(x))
        gate = F.hardsigmoid(torch.mean(y, (-2, -1), keepdim=True), inplace=True)
        return self.fc((y * gate).mean(dim=[2, 3]))


@pytest.mark.parametrize("h, w", [(9, 9), (16, 7)], ids=["9x9", "16x7"])
def test_functional_forms_import_as_torch_runs_them(h: int, w: int) -> None:
    model = Functional().eval()
    arch = import_module(model, [(3, "H", "W")], network="functional")
    lines = arch.splitlines()
    assert {"hardswish = Hardswish(name=\"hardswish\")", "mean(mul_1, dim=(2, 3))",
            "mean(hardswish, (-2, -1), keepdim=True)"} <= set(lines)
    assert "hardsigmoid = Hardsigmoid(name=\"hardsigmoid\")" in lines
    derived = derive(arch, subs={"H": h, "W": w})
    assert int(derived.params) == sum(p.numel() for p in model.parameters())
    with torch.no_grad():
        out = model(torch.zeros(1, 3, h, w))
    assert tuple(int(e) for e in derived.layers[-1].output_shape) == tuple(out.shape[1:])


WITH_FC = '''import torch
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 4)
    def forward(self, x):
'''
BRANCH = WITH_FC + '''        if x.sum() > 0:
            return self.fc(x)
        return x
'''
CUMSUM = '''import torch
class Net(torch.nn.Module):
    def forward(self, x):
        return torch.cumsum(x, 1)
'''
SOFTPLUS = '''import torch
def Net():
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Softplus())
'''
SCALAR = WITH_FC + '''        return self.fc(x) * 0.5
'''
BUFFER = WITH_FC.replace("Linear(4, 4)", "Linear(4, 4)\n        self.register_buffer('b', torch.zeros(4))"
                         ) + '''        return self.fc(x) + self.b
'''
SLICE = WITH_FC + '''        return self.fc(x)[:, 1:]
'''
OTHERS_WEIGHT = WITH_FC + '''        return self.fc(x) * self.fc.bias
'''

# model code → (line of model.py the error points at, or None; words of the message; of the hint)
ERRORS = [
    pytest.param(BRANCH, 7, "torch.fx cannot trace Net", "branch on a tensor",
                 id="data-dependent-branch"),
    pytest.param(CUMSUM, 4, "cannot import the function 'cumsum'", "functions symconv can "
                 "import", id="unsupported-function"),
    pytest.param(SOFTPLUS, None, "module '1' (Softplus) has no .arch layer", "Layers > PyTorch",
                 id="unsupported-module"),
    pytest.param(SCALAR, 7, "'*' with a number", "tensor * tensor", id="scalar-operand"),
    pytest.param(BUFFER, 8, "tensor 'b' the forward reads directly (a buffer", "nn.Parameter",
                 id="buffer-read-directly"),
    pytest.param(SLICE, 7, "indexing or slicing of a tensor", "select(x, dim, i)", id="slice"),
    pytest.param(OTHERS_WEIGHT, 7, "weight 'fc.bias' read outside the module that holds it",
                 "its own module's forward", id="weight-of-a-submodule"),
]


@pytest.mark.parametrize("code, line, message, hint", ERRORS)
def test_what_cannot_be_imported_is_one_error(code: str, line: int | None, message: str,
                                              hint: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.py"
    path.write_text(code, encoding="utf-8")
    assert main(["import", f"{path}:Net", "--input", "(4,)"]) == 1
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.endswith("[SC309]") and message in first and "Traceback" not in err
    assert "hint: " in err and hint in err
    if line is not None:
        assert first.startswith(f"{path}:{line}:")


@pytest.mark.parametrize("source, message", [
    pytest.param("no_such_package_xyz:make", "cannot import 'no_such_package_xyz'", id="module"),
    pytest.param("torch.nn:NoSuchLayer", "has no attribute 'NoSuchLayer'", id="attribute"),
    pytest.param("torch.nn", "cannot read 'torch.nn' as a model", id="no-callable"),
    pytest.param("torch:zeros", "not a torch.nn.Module", id="not-a-module"),
])
def test_a_source_that_gives_no_model_is_refused(source: str, message: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    args = ["import", source, "--input", "(4,)"]
    if source == "torch:zeros":
        args += ["--kwargs", '{"size": [2]}']
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "[SC001]" in err and message in err and "Traceback" not in err


# the user's own Python file, and where the error is said: (file text, callable, line, column
# or None for the line's first character, what is said)
USER_CODE = [
    pytest.param("import torch\ndef f(:\n    pass\n", "f", 2, 7, "invalid Python: invalid syntax",
                 id="syntax-error"),
    pytest.param("x = 1\nraise ImportError('top')\n", "f", 2, None,
                 "raised ImportError: top", id="raises-on-import"),
    pytest.param("def make():\n    y = 2\n    raise RuntimeError('boom')\n", "make", 3, None,
                 "make() raised RuntimeError: boom", id="callable-raises"),
    pytest.param("def make():\n    return 3\n", "make", None, None,
                 "make gave an int, not a torch.nn.Module", id="not-a-module"),
]


@pytest.mark.parametrize("code, name, line, column, message", USER_CODE)
def test_errors_in_the_users_code_are_located(code: str, name: str, line: int | None,
                                              column: int | None, message: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.py"
    path.write_text(code, encoding="utf-8")
    assert main(["import", f"{path}:{name}", "--input", "(3, H, W)"]) == 1
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert message in first and first.endswith("[SC001]") and "Traceback" not in err
    if line is not None:
        shown = code.splitlines()[line - 1]
        at = column or len(shown) - len(shown.lstrip()) + 1
        assert first.startswith(f"{path}:{line}:{at}: error:")
        assert err.splitlines()[1].strip() == shown.strip()  # the line, then the caret


def test_an_input_the_model_does_not_take_writes_no_file(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    path, out = tmp_path / "net.py", tmp_path / "net.arch"
    path.write_text("import torch.nn as nn\n\ndef make():\n    return nn.Conv2d(3, 8, 3)\n",
                    encoding="utf-8")
    assert main(["import", f"{path}:make", "--input", "(4, H, W)", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "the model does not take the --input given" in err and "[SC309]" in err
    assert "'in_channels' is 3 but the input has 4" in err and not out.exists()


@pytest.mark.parametrize("shape, sizes, subs", [
    ("(3, H, W)", "sizes H, W", {"H": 224, "W": 224}),
    # an example input: the sizes stay symbolic, with the example's values as their defaults
    ("(3, H=224, W=224)", "sizes H=224, W=224", {})], ids=["names", "example-values"])
def test_cli_writes_the_file_with_sizes(shape: str, sizes: str, subs: dict[str, int],
                                        tmp_path: Path) -> None:
    out = tmp_path / "resnet18.arch"
    assert main(["import", "torchvision.models:resnet18", "--input", shape,
                 "--kwargs", '{"weights": null}', "--output", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert f"{sizes}\n" in text and "input (3, H, W)\n" in text
    assert derive(out).output_shape[0] == 1000  # symbolic in H and W
    # torchvision's documented resnet18 count (with {}: the declared defaults taken)
    assert int(derive(out, subs=subs).params) == 11_689_512


@pytest.mark.parametrize("given, message", [
    (["(3, H=2, W)", "(3, H=3, W)"], "size H has two example values, 2 and 3"),
    (["(3, H=0, W)"], "bad input shape '(3, H=0, W)'"),
    (["(3, H=x, W)"], "bad input shape '(3, H=x, W)'")],
    ids=["two-values", "zero", "not-a-number"])
def test_bad_example_values_are_usage_errors(given: list[str], message: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["import", "torchvision.models:resnet18", "--kwargs", '{"weights": null}']
    with pytest.raises(SystemExit) as stop:
        main(argv + [a for shape in given for a in ("--input", shape)])
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_derive_from_a_model_without_a_file(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`derive --from` derives what `import` would write: the JSON totals equal torch's."""
    model = models.resnet18(weights=None)
    assert main(["derive", "--from", "torchvision.models:resnet18", "--input", "(3, H, W)",
                 "--kwargs", '{"weights": null}', "--subs", "H=224,W=224", "-f", "json"]) == 0
    totals = json.loads(capsys.readouterr().out)["totals"]
    assert totals["params"] == sum(p.numel() for p in model.parameters())
    assert totals["buffers"] == sum(b.numel() for b in model.buffers())


@pytest.mark.parametrize("argv, message", [
    (["derive"], "give a .arch file or --from SOURCE"),
    (["derive", "net.arch", "--from", "torchvision.models:resnet18", "--input", "(3, H, W)"],
     "give a .arch file or --from SOURCE"),
    (["derive", "--from", "torchvision.models:resnet18"], "--from needs --input"),
    (["derive", "net.arch", "--input", "(3, H, W)"], "--input and --kwargs go with --from"),
], ids=["neither", "both", "no-input", "input-without-from"])
def test_derive_reads_a_file_or_a_model(argv: list[str], message: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


TWO_INPUTS = '''import torch
from torch import nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.left = nn.Conv2d(3, 8, 3, padding=1)
        self.right = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
    def forward(self, x, y):
        return torch.cat([self.left(x), self.right(y)], dim=1)
'''
VIEW = '''from torch import nn
import torch.nn.functional as F
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 5, stride=2)
        self.fc = nn.Linear(4 * 12 * 12, 10)
    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 1)
        return self.fc(x.view(x.size(0), -1))
'''
SECOND_FIRST = '''from torch import nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 1)
        self.b = nn.Conv2d(5, 4, 3, padding=1)
        self.r = nn.ReLU()
    def forward(self, x, y):
        a = self.a(x)
        unused = self.r(a)
        return self.b(y) + a
'''
NESTED_BRANCH = '''from torch import nn
class Gate(nn.Module):
    def forward(self, x):
        return x if x.mean() > 0 else -x
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 4), Gate())
    def forward(self, x):
        return self.body(x)
'''
CROSS_ATTENTION = '''from torch import nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.q = nn.Linear(4, 8)
        self.kv = nn.Linear(4, 6)
        self.attn = nn.MultiheadAttention(8, 2, kdim=6, vdim=6, batch_first=True)
        self.fc = nn.Linear(8, 3)
    def forward(self, x):
        kv = self.kv(x)
        out, _ = self.attn(self.q(x), kv, kv, need_weights=False)
        return self.fc(out)
'''

# model code, --input shapes, sizes to compare at; the sizes line the file must have
SMALL = [
    pytest.param(TWO_INPUTS, ["(3, H, W)", "(3, H, W)"], {"H": 9, "W": 7}, "sizes H, W",
                 id="two-inputs-cat"),
    pytest.param(VIEW, ["(1, 28, 28)"], {}, None, id="view-of-size-no-sizes"),
    # the second input used first, a result left unused: the inputs keep forward's order
    pytest.param(SECOND_FIRST, ["(3, H, W)", "(5, H, W)"], {"H": 6, "W": 5}, "sizes H, W",
                 id="inputs-in-forward-order"),
    # key and value one tensor: the call keeps its three arguments; the weights go unused
    pytest.param(CROSS_ATTENTION, ["(L, 4)"], {"L": 5}, "sizes L", id="cross-attention"),
]


@pytest.mark.parametrize("code, inputs, subs, sizes", SMALL)
def test_small_models_match_torch(code: str, inputs: list[str], subs: dict[str, int],
                                  sizes: str | None, tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(code, encoding="utf-8")
    out = tmp_path / "model.arch"
    args = ["import", f"{path}:Net", "--output", str(out)]
    for shape in inputs:
        args += ["--input", shape]
    assert main(args) == 0
    text = out.read_text(encoding="utf-8")
    assert (sizes + "\n" in text) if sizes else "sizes" not in text
    from symconv.importing.loader import load_model

    model = load_model(f"{path}:Net", {})
    shapes = [tuple(subs.get(e, 0) or int(e) for e in s.strip("()").replace(" ", "").split(","))
              for s in inputs]
    derived = derive(out, subs=subs or None)
    assert int(derived.params) == sum(p.numel() for p in model.parameters())
    expected = _hooked_shapes(model, *shapes)
    assert {p: _derived_shapes(derived).get(p) for p in expected} == expected


def test_a_branch_inside_a_submodule_names_it(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.py"
    path.write_text(NESTED_BRANCH, encoding="utf-8")
    assert main(["import", f"{path}:Net", "--input", "(4,)"]) == 1
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith(f"{path}:4:") and "in module 'body.1'" in first


@pytest.mark.parametrize("inputs, message", [
    pytest.param(["(3, H, W)"], "forward takes 2 tensors but --input gives 1", id="too-few"),
    pytest.param(["(3, input, W)", "(3, H, W)"], "'input' cannot be a size name", id="keyword"),
])
def test_inputs_that_do_not_fit_are_refused(inputs: list[str], message: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.py"
    path.write_text(TWO_INPUTS, encoding="utf-8")
    args = ["import", f"{path}:Net"]
    for shape in inputs:
        args += ["--input", shape]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "[SC309]" in err and message in err and "Traceback" not in err


def test_a_layer_alone_is_one_call(tmp_path: Path) -> None:
    out = tmp_path / "conv.arch"
    assert main(["import", "torch.nn:Conv2d", "--input", "(3, H, W)", "--kwargs",
                 '{"in_channels": 3, "out_channels": 8, "kernel_size": 3, "stride": 2}',
                 "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").endswith("input (3, H, W)\nConv2d(3, 8, 3, stride=2)\n")
    conv = torch.nn.Conv2d(3, 8, 3, stride=2)
    derived = derive(out, subs={"H": 9, "W": 6})
    assert int(derived.params) == sum(p.numel() for p in conv.parameters())
    assert tuple(int(e) for e in derived.layers[0].output_shape) == tuple(
        conv(torch.zeros(1, 3, 9, 6)).shape[1:])


def test_the_command_line_imports_no_torch_until_asked() -> None:
    import subprocess
    import sys

    script = ("import sys; from symconv.cli import arguments, commands; arguments.parser()"
              ".parse_args(['import', 'x:y', '--input', '(3, H, W)']); "
              "print([m for m in ('torch', 'torchvision') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).parent.parent, timeout=120)
    assert done.stdout.strip() == "[]"


class LayerNorm2d(torch.nn.LayerNorm):
    """torchvision's ConvNeXt LayerNorm2d: a LayerNorm over channels, in F.layer_norm."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        import torch.nn.functional as F

        x = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias,
                         self.eps)
        return x.permute(0, 3, 1, 2)


class Weights(torch.nn.Module):
    """A layer scale, a frozen token expanded to the batch and joined, F.layer_norm with its
    module's weights and with none, and x[:, 0]."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3)
        self.norm = LayerNorm2d(8, eps=1e-6)
        self.scale = torch.nn.Parameter(torch.ones(8, 1, 1))
        self.token = torch.nn.Parameter(torch.zeros(1, 1, 8), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        import torch.nn.functional as F

        t = (self.scale * self.norm(self.conv(x))).flatten(2).transpose(1, 2)
        t = torch.cat([self.token.expand(t.shape[0], -1, -1), t], dim=1)
        return F.layer_norm(t, (8,))[:, 0]


@pytest.mark.parametrize("h, w", [(9, 9), (16, 7)], ids=["9x9", "16x7"])
def test_weights_the_forward_reads_are_parameters(h: int, w: int) -> None:
    model = Weights().eval()
    arch = import_module(model, [(3, "H", "W")], network="weights")
    statements = {line.split(" = ", 1)[-1] for line in arch.splitlines()}
    assert {"parameter scale: (8, 1, 1)", "parameter token: (1, 1, 8), requires_grad=False",
            'LayerNorm(8, eps=1e-06, name="norm")', "select(layer_norm, 1, 0)"} <= statements
    derived = derive(arch, subs={"H": h, "W": w})
    sizes = {name: p.numel() for name, p in model.named_parameters()}
    assert {r.name: int(r.params) for r in derived.layers if r.params} == {
        "conv": sizes["conv.weight"] + sizes["conv.bias"], "scale": sizes["scale"],
        "token": sizes["token"], "norm": sizes["norm.weight"] + sizes["norm.bias"]}
    with torch.no_grad():
        out = model(torch.zeros(1, 3, h, w))
    assert tuple(int(e) for e in derived.layers[-1].output_shape) == tuple(out.shape[1:])
