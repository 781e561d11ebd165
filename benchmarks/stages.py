"""symconv's stages timed in one fresh process, so that the slow one is visible:

    python benchmarks/stages.py ARCH_FILE FORMAT [--formulas stepwise] [--macs] [--memory DTYPE]
                                [--receptive-field]

import (the modules the CLI loads before it reads the file), parse, derive, render FORMAT
(the renderer's own lazy imports included, its pieces written to os.devnull as the CLI
writes them to its output), each once, cold, as `symconv derive` meets them
(the cyclic garbage collector off, as the CLI has it).
Prints one JSON line: {"stages": {"import": s, "parse": s, "derive": s, "render": s,
"bytes": n, "maxrss_kb": n}}, or {"error": type, "message": text}.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time


def main(path: str, fmt: str, *rest: str) -> dict:
    gc.disable()  # as the CLI does (cli/commands.py, entry)
    options: dict = {"formulas": rest[1]} if rest[:1] == ("--formulas",) else {}
    if "--macs" in rest:  # the compute columns, as `symconv derive` passes them
        options["macs"] = "weights"
    if "--memory" in rest:
        options["memory"] = rest[rest.index("--memory") + 1]
    if "--receptive-field" in rest:
        options["receptive"] = True
    times: dict = {}
    t = time.perf_counter()
    from symconv.cli.deferred import defer_sympy_tensors

    defer_sympy_tensors()  # as the CLI does
    import symconv.api  # noqa: F401
    import symconv.cli.commands  # noqa: F401
    from symconv.api import load
    from symconv.derivation.run import derive_program
    from symconv.language.parse import parse
    from symconv.render import render_chunks
    times["import"] = time.perf_counter() - t

    t = time.perf_counter()
    program = parse(load(path))
    times["parse"] = time.perf_counter() - t
    t = time.perf_counter()
    derivation = derive_program(program)
    times["derive"] = time.perf_counter() - t
    t = time.perf_counter()
    written = 0
    with open(os.devnull, "w", encoding="utf-8") as sink:  # in pieces, as the CLI writes them
        for piece in render_chunks(derivation, fmt, 1, **options):
            sink.write(piece)
            written += len(piece.encode())
    times["render"] = time.perf_counter() - t
    times["bytes"] = written
    times["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return times


if __name__ == "__main__":
    try:
        print(json.dumps({"stages": main(*sys.argv[1:])}), flush=True)
    except BaseException as err:  # noqa: BLE001  reported by scale.py
        print(json.dumps({"error": type(err).__name__, "message": str(err)[:300]}), flush=True)
        sys.exit(1)
