"""Stage 5b (`symconv verify`): check a derivation against the real framework (PyTorch or
Keras), layer by layer.

Nothing here imports a framework until a network is run; `symconv[verify]` installs them.
"""

from .check import FrameworkMissing, verify_source
from .compare import Facts, Mismatch
from .report import Report

__all__ = ["Facts", "FrameworkMissing", "Mismatch", "Report", "verify_source"]
