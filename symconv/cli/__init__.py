"""The command line: `symconv derive | solve | verify | explain | import | draw | plot`.

In: the arguments (`commands.main(argv)`). Out: results on standard output or --output
(`output` writes them), diagnostics on standard error, an exit code. May import any package;
none imports it. `symconv.cli:entry` is the console script.
"""

from .commands import Exit, entry, main

__all__ = ["Exit", "entry", "main"]
