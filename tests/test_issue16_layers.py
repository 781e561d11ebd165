"""The layers issue 16 adds, where the generic sweep (test_frameworks.py, whose generators are in
tests/cases_torch_catalog.py and tests/cases_keras_catalog.py) cannot show everything: arguments
that torch accepts only by reading the batch axis, symbolic sizes, and each layer's own
refusals. Expected values come from running the frameworks, or from arithmetic written here.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras

from typing import Any  # noqa: E402

import pytest  # noqa: E402

import symconv  # noqa: E402

from frameworks import FrameworkError, torch_facts  # noqa: E402
from layer_cases import Case, arch  # noqa: E402
from test_frameworks import derive_error, expected, symconv_facts  # noqa: E402


def torch_text(layer: str, args: tuple[Any, ...], kwargs: dict[str, Any],
               shape: tuple[int, ...] | str, sizes: str = "") -> str:
    call = Case("torch", layer, args, tuple(kwargs.items()), (), ()).call
    head = f"convention torch\n{'sizes ' + sizes + chr(10) if sizes else ''}"
    dims = shape if isinstance(shape, str) else arch(shape)
    return f"{head}input {dims}\n{call}\n"


def torch_error(layer: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                shape: tuple[int, ...]) -> FrameworkError:
    with pytest.raises(FrameworkError) as info:
        torch_facts(layer, list(args), kwargs, shape)
    return info.value


# --------------------------------------------------------------------------- RMSNorm


def test_rms_norm_reaching_the_batch_axis_is_refused(need_torch: None) -> None:
    """torch normalizes across the batch of 2 when normalized_shape has one axis more than
    symconv's shape; symconv leaves the batch axis out and refuses."""
    torch_facts("RMSNorm", [(2, 3, 4)], {}, (3, 4))  # torch accepts
    e = derive_error(torch_text("RMSNorm", ((2, 3, 4),), {}, (3, 4)))
    assert e is not None and e.code == "SC201", e


@pytest.mark.parametrize("args,kwargs,shape,message", [
    (((3, 5),), {}, (4, 5), "expected input with shape [*3, 5]"),
    (((),), {}, (4, 5), "at least 1-dimensional"),
])
def test_rms_norm_refusals(args: tuple[Any, ...], kwargs: dict[str, Any],
                           shape: tuple[int, ...], message: str, need_torch: None) -> None:
    assert message in str(torch_error("RMSNorm", args, kwargs, shape))
    assert derive_error(torch_text("RMSNorm", args, kwargs, shape)) is not None


def test_rms_norm_symbolic(need_torch: None) -> None:
    """Llama's RMSNorm(d) on (L, d): d parameters, no bias; torch at d = 8, L = 3."""
    text = "convention torch\nsizes L, d\ninput (L, d)\nRMSNorm(d, eps=1e-6)\n"
    assert str(symconv.derive(text).layers[0].params) == "d"
    want = expected(torch_facts("RMSNorm", [8], {"eps": 1e-6}, (3, 8)), "torch")
    got = symconv.derive(text, subs={"L": 3, "d": 8})
    assert symconv_facts(got.layers[0], "torch") == want
