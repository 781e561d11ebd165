"""`symconv import` on real torchvision models nobody here wrote (issue 19).

Each model, built with weights=None, is imported to a .arch file, derived symbolically, and at
two input sizes compared with the model itself: the parameter and buffer totals PyTorch counts,
and every leaf module's output shape recorded with forward hooks on a real forward pass. The
file written to disk derives exactly as the text did. Expected values come from torch alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
models = pytest.importorskip("torchvision.models")

from symconv.api import derive  # noqa: E402
from symconv.cli import main  # noqa: E402
from symconv.errors import SymconvError  # noqa: E402
from symconv.importing import import_module  # noqa: E402

# model, the second input size (H, W) it accepts beside 224×224 (odd and unequal where it can)
MODELS = [
    pytest.param("resnet18", (97, 65), id="resnet18"),
    pytest.param("resnet50", (65, 33), id="resnet50"),
    pytest.param("alexnet", (97, 65), id="alexnet"),
    pytest.param("vgg11_bn", (65, 97), id="vgg11_bn"),
    pytest.param("squeezenet1_1", (97, 65), id="squeezenet1_1"),
    pytest.param("mobilenet_v2", (65, 33), id="mobilenet_v2"),
]
SIZES = ("224x224", "other")


@pytest.fixture(scope="module")
def imported() -> dict[str, tuple[object, str]]:
    return {}


def _model_and_arch(name: str, cache: dict[str, tuple[object, str]]) -> tuple[object, str]:
    if name not in cache:
        model = getattr(models, name)(weights=None).eval()
        cache[name] = (model, import_module(model, [(3, "H", "W")], network=name))
    return cache[name]


def _hooked_shapes(model: object, h: int, w: int) -> dict[str, list[tuple[int, ...]]]:
    """Each leaf module's output shapes (batch axis left out), one per call, from torch."""
    shapes: dict[str, list[tuple[int, ...]]] = {}
    handles = []
    for path, module in model.named_modules():  # type: ignore[attr-defined]
        if path and not list(module.children()):
            handles.append(module.register_forward_hook(
                lambda m, i, out, path=path: shapes.setdefault(path, []).append(
                    tuple(out.shape[1:]))))
    with torch.no_grad():
        model(torch.zeros(1, 3, h, w))  # type: ignore[operator]
    for handle in handles:
        handle.remove()
    return shapes


def _records(derivation: object) -> list[tuple[object, ...]]:
    return [(r.name, r.type, r.output_shape, r.params, r.buffers)
            for r in derivation.layers]  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name, other", MODELS)
def test_imported_model_matches_torch(name: str, other: tuple[int, int], size: str,
                                      imported: dict[str, tuple[object, str]]) -> None:
    model, arch = _model_and_arch(name, imported)
    h, w = (224, 224) if size == "224x224" else other
    derived = derive(arch, subs={"H": h, "W": w})
    assert int(derived.params) == sum(p.numel() for p in model.parameters())  # type: ignore[attr-defined]
    assert int(derived.buffers) == sum(b.numel() for b in model.buffers())  # type: ignore[attr-defined]
    got: dict[str, list[tuple[int, ...]]] = {}
    for r in derived.layers:
        got.setdefault(r.name, []).append(tuple(int(e) for e in r.output_shape))
    expected = _hooked_shapes(model, h, w)
    assert {p: got.get(p) for p in expected} == expected


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
