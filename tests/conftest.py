"""Settings every test module shares."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras
# the table fits COLUMNS when it is set (an interactive shell may export it): the golden
# outputs are the natural width, as when piped; tests/test_terminal.py sets it itself
os.environ.pop("COLUMNS", None)

import torchvision_shim  # noqa: E402

torchvision_shim.install()  # before anything imports torchvision (see the module)


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """One intra-op thread for the real forward passes (restored afterwards): on a 2-core
    machine, two OpenMP threads competing with other processes made them 3-10 times slower
    than one (measured on ResNet-50 and VGG16 forward passes)."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(scope="module")
def need_torch() -> None:
    pytest.importorskip("torch")


@pytest.fixture(scope="module")
def need_keras() -> None:
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip(f"keras backend is {keras.backend.backend()!r}, not torch")
