"""derivation → compute, memory and receptive fields, layer by layer, as sympy expressions.

In: a `Derivation` (and a convention, dtype or batch size). Out: sympy expressions per layer,
the columns the renderers show. Imports derivation, layers and below; never render, frameworks,
the API or the CLI.

- `macs`: multiply-accumulate counts under a named convention (weights only, ptflops, fvcore…)
- `receptive`: receptive field size, jump and start per spatial axis
- `memory`: activation and parameter bytes for a dtype and batch size
"""

from . import macs, memory, receptive

__all__ = ["macs", "memory", "receptive"]
