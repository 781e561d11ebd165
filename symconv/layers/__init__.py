"""The layer registry: one small pure function per layer, grouped by family and convention.

In: a `base.Call` (input shapes and arguments bound by the framework's signature, as sympy).
Out: a `base.LayerOutput` (output shape, weights, conditions). Imports language (argument
values), maths and errors/escapes; never derivation or a later stage.
"""

from . import (keras_core, keras_spatial, merge, torch_attention, torch_core,  # noqa: F401
               torch_norm, torch_recurrent, torch_resize, torch_spatial,  # noqa: F401
               torch_ops, torch_transpose)  # noqa: F401  (registration)
from . import torch_lazy, torch_more  # noqa: F401  (torch_lazy after its eager twins)
from . import (keras_attention, keras_basic, keras_conv_variants,  # noqa: F401  (Keras catalog)
               keras_norm, keras_ops, keras_recurrent, keras_reshape)  # noqa: F401  (Keras catalog)
from . import keras_conv_recurrent  # noqa: F401  (Keras ConvLSTM1D/2D/3D)
from .base import REGISTRY, Call, LayerOutput, LayerSpec, Param, Requirement, Weight

__all__ = ["REGISTRY", "Call", "LayerOutput", "LayerSpec", "Param", "Requirement", "Weight"]
