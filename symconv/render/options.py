"""What a renderer is asked to show beyond the summary (every renderer takes these)."""

from __future__ import annotations

from dataclasses import dataclass

@dataclass(frozen=True)
class Options:
    """`depth`: blocks folded below it (None: every layer). LaTeX: `formulas` 'expanded' (in the
    network's input sizes) or 'stepwise' (H_1, H_2, … layer by layer); `standalone`: a complete
    document; `parts`: 'both', 'formulas' (the `align*` block alone) or 'table'. Compute
    columns: `macs` names a MACs convention (symconv.analysis.macs.PRESETS), `flops` shows
    2·MACs instead; `memory` a dtype for activation and parameter memory at `batch` (None: 1,
    the shapes leaving the batch out; a number given is shown in every shape, as torchinfo
    shows it); `receptive` the receptive field per spatial axis. `ascii`: the table drawn and
    written in ASCII (for a terminal whose encoding has no box drawing); `width`: the
    terminal's columns, which the table is narrowed to fit (None: its natural width)."""

    depth: int | None = 1
    formulas: str = "expanded"
    standalone: bool = False
    parts: str = "both"
    macs: str | None = None
    flops: bool = False
    memory: str | None = None
    batch: int | None = None
    receptive: bool = False
    ascii: bool = False
    width: int | None = None


DEFAULT = Options()
