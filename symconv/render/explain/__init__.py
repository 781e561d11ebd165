"""`symconv explain`: every layer's numbers in words, the way a good forum answer gives them:
where each parameter comes from, the output extent as arithmetic on this layer's own numbers,
the framework rule behind it, and what the other framework would print.

The arithmetic shown is checked against the derivation before it is printed (at the layer's
own sizes, or at sampled values when they are symbolic); a step that does not reproduce the
derived value is left out rather than shown wrong.

The package: `words` (values in one notation, checked steps), `counts` (parameters, and the
other framework), `extents` (window arithmetic, padding), `layers` (a layer, a block, the
network).
"""

from .layers import explain_layer, render_explain

__all__ = ["explain_layer", "render_explain"]
