"""The bridge to PyTorch and Keras: `symconv verify` derives the network at sampled sizes,
builds the same network in the real framework, runs it and compares every layer (`check`, its
`report`); `emit` writes the network as framework code.

In: a `Source` and sizes. Out: a `report.Report` (text or JSON) or code. Imports render and
everything below; never the API or the CLI. Nothing here imports a framework until a network
is run; `symconv[verify]` installs them.
"""

from .check import FrameworkMissing, verify_source
from .compare import Facts, Mismatch
from .report import Report

__all__ = ["Facts", "FrameworkMissing", "Mismatch", "Report", "verify_source"]
