"""Stage 4b: compute and memory of a derivation, layer by layer, as sympy expressions.

- `macs`: multiply-accumulate counts under a named convention (weights only, ptflops, fvcore…)
- `receptive`: receptive field size, jump and start per spatial axis
- `memory`: activation and parameter bytes for a dtype and batch size
"""

from . import macs, memory, receptive

__all__ = ["macs", "memory", "receptive"]
