"""The layer registry: one small pure function per layer, grouped by family and convention."""

from . import keras_core, keras_spatial, merge, torch_core, torch_spatial  # noqa: F401  (registration)
from .base import REGISTRY, Call, LayerOutput, LayerSpec, Param, Requirement, Weight

__all__ = ["REGISTRY", "Call", "LayerOutput", "LayerSpec", "Param", "Requirement", "Weight"]
