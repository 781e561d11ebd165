"""Ground truth from real Keras (torch backend) for what tests/frameworks.py does not cover: a
layer given as another layer's argument (Bidirectional(LSTM(8)), TimeDistributed(Dense(4))) and
a layer called on several tensors (MultiHeadAttention(query, value, key)).

A layer is written as `KLayer(cls, args, kwargs)`; its arguments may themselves be `KLayer`s.
`keras_call_facts` builds it in a fresh session, calls it symbolically on ``keras.Input``s and
then eagerly on zeros with a batch of 2, and returns the facts dict of frameworks.keras_facts
(weights keyed by short name, or by path inside the layer where short names repeat).
`KLayer.arch()` writes the same layer in .arch syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from frameworks import (FrameworkError, _keras, _keras_layer_facts, _wrap, keras_output_shapes,
                        shown)
from layer_cases import arch

Shape = tuple[int, ...]


@dataclass(frozen=True)
class KLayer:
    cls: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def build(self, keras: Any) -> Any:
        def value(v: Any) -> Any:
            return v.build(keras) if isinstance(v, KLayer) else v

        return getattr(keras.layers, self.cls)(*map(value, self.args),
                                               **{k: value(v) for k, v in self.kwargs})

    def arch(self) -> str:
        def value(v: Any) -> str:
            return v.arch() if isinstance(v, KLayer) else arch(v)

        items = [value(a) for a in self.args] + [f"{k}={value(v)}" for k, v in self.kwargs]
        return f"{self.cls}({', '.join(items)})"


def keras_call_facts(layer: KLayer, input_shapes: Sequence[Shape],
                     input_dtype: str = "float32") -> dict[str, Any]:
    """Facts about `layer` called on one tensor per shape in `input_shapes` (batch excluded);
    raises FrameworkError where Keras refuses the layer, the call, or gives a real output shape
    that differs from the symbolic one."""
    try:
        keras = _keras()
        import numpy as np

        keras.backend.clear_session()
        built = layer.build(keras)
        sym = built(*[keras.Input(shape=tuple(s), dtype=input_dtype) for s in input_shapes])
        sym_shapes = keras_output_shapes(sym)  # several with return_state / merge_mode=None
        real = built(*[np.zeros((2, *s), dtype=input_dtype) for s in input_shapes],
                     training=False)
        real_shapes = keras_output_shapes(real)
        if real_shapes != sym_shapes:
            raise FrameworkError(f"{built.name}: symbolic shape {shown(sym_shapes)} != real "
                                 f"shape {shown(real_shapes)}", "ShapeMismatch")
        return {**_keras_layer_facts(built, real_shapes[0]), "outputs": real_shapes}
    except FrameworkError:
        raise
    except Exception as exc:  # noqa: BLE001 - everything becomes FrameworkError
        raise _wrap(exc) from exc


def keras_chain_facts(layers: Sequence[KLayer], input_shape: Shape,
                      input_dtype: str = "float32") -> list[dict[str, Any]]:
    """Facts for each layer of a plain stack (Keras's auto names included: the layers are made
    in order, each wrapped layer before its wrapper, in one fresh session)."""
    try:
        keras = _keras()
        import numpy as np

        keras.backend.clear_session()
        built = [layer.build(keras) for layer in layers]
        x = keras.Input(shape=tuple(input_shape), dtype=input_dtype)
        for layer in built:
            x = layer(x)
        real = np.zeros((2, *input_shape), dtype=input_dtype)
        out = []
        for layer in built:
            real = layer(real, training=False)
            out.append(_keras_layer_facts(layer, tuple(int(d) for d in real.shape[1:])))
        return out
    except FrameworkError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _wrap(exc) from exc
