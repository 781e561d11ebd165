"""derivation → substituted / solved: numbers for sizes, and sizes for targets.

In: a `Derivation`, with values (`substitute`) or targets (`solver`). Out: a `Derivation` with
every condition re-checked, or a `solver.Solution`. Imports derivation and everything below it;
never analysis, render, frameworks, the API or the CLI.
"""
