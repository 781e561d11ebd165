"""One measurement in a fresh process, so that memory and import costs belong to one tool.

    python benchmarks/peers.py TOOL CASE WARM [ARCH_FILE]

TOOL: torch | jax | naive | symconv (in-process; run.py times the CLI itself) | truth (PyTorch's
own output sizes at CASE's check sizes). One derivation, then up to WARM more in the same
process, with the sizes renamed each time and sympy's cache cleared, until they have taken
10 s. Prints JSON lines: {"first": seconds}, {"expr": the H extent as the tool prints it},
{"warm": seconds} per further call (symconv: and "render"), {"maxrss_kb": n}; on failure
{"error": type, "message": text}, after a {"stage": ...} line saying what was being done.
"""

from __future__ import annotations

import atexit
import json
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import archs  # noqa: E402

WARM_BUDGET = 10.0  # seconds of warm calls at most


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


# Each tool: prepare(k) → a call deriving the network with its sizes named H, W (k = 0) or
# Hk, Wk (k > 0: a warm call that no cache keyed on the previous result can answer), and
# expr(result) → the H extent as the tool prints it.

def torch_export(case, arch_file):
    """torch.export with H, W dynamic (its own symbols are s…, whatever k is)."""
    import torch
    import torch.fx.experimental._config as fx_config
    from torch.export import Dim, export

    model = archs.torch_model(case)
    x = torch.zeros(1, case.cin, case.example_h, case.example_h)
    low = max(2, case.min_h)
    dynamic = ({2: Dim("H", min=low), 3: Dim("W", min=low)},)

    def run():
        with fx_config.patch(backed_size_oblivious=True):  # no specialisation of extents 0/1
            return export(model, (x,), dynamic_shapes=dynamic,
                          prefer_deferred_runtime_asserts_over_guards=True)

    def expr(ep) -> str:
        nodes = {n.name: n for n in ep.graph.nodes}
        xin = nodes[ep.graph_signature.user_inputs[0]].meta["val"].shape
        out = next(n for n in ep.graph.nodes if n.op == "output").args[0][0]
        text = str(out.meta["val"].shape[2])
        for sym, name in ((xin[2], "H"), (xin[3], "W")):  # torch's s16, s82, … renamed
            text = re.sub(rf"\b{re.escape(str(sym))}\b", name, text)
        return text

    return lambda k: run, expr


def jax_eval_shape(case, arch_file):
    import jax
    import jax.numpy as jnp
    from jax import export

    f, params = archs.jax_function(case)

    def prepare(k: int):
        shape = export.symbolic_shape(f"N, H{k or ''}, W{k or ''}, {case.cin}")
        x = jax.ShapeDtypeStruct(shape, jnp.float32)
        return lambda: jax.eval_shape(f, x, params)

    return prepare, lambda out: str((out[0] if case.head else out).shape[1])


def naive(case, arch_file):
    from sympy import Symbol

    def prepare(k: int):
        h, w = (Symbol(f"{n}{k or ''}", integer=True, positive=True) for n in "HW")
        return lambda: archs.naive_sympy(case, h, w)

    return prepare, lambda out: str(out[0])


def symconv_api(case, arch_file):
    import symconv
    import symconv.api
    import symconv.derivation.propagate  # noqa: F401
    import symconv.language.parse  # noqa: F401  symconv imports lazily; time derive, not imports

    tmp = Path(tempfile.mkdtemp(prefix="symconv-warm-"))
    atexit.register(shutil.rmtree, tmp, True)

    def prepare(k: int):
        path = Path(arch_file)
        if k:
            text = re.sub(r"\b([HW])\b", rf"\g<1>{k}", path.read_text())
            path = tmp / f"{k}_{path.name}"
            path.write_text(text)
        return lambda: symconv.derive(str(path))

    def expr(d) -> str:
        names = [layer.name for layer in d.layers]
        i = names.index(case.feature_before) - 1 if case.feature_before else -1
        from symconv.maths.printing import show  # as symconv prints it (--format json)

        return show(d.layers[i].output_shape[1 if d.convention == "torch" else 0])

    return prepare, expr


def truth(case):
    """Real forward passes at the check sizes, then shapes alone (meta device) at huge ones."""
    import torch

    model, sizes = archs.torch_model(case), {}
    with torch.no_grad():
        for h in case.check_sizes:
            try:
                out = model(torch.zeros(1, case.cin, h, h))
                sizes[h] = int((out[0] if case.head else out).shape[2])
            except RuntimeError:
                sizes[h] = None
        model = model.to("meta")
        for h in archs.HUGE_SIZES if case.check_sizes else ():
            out = model(torch.empty(1, case.cin, h, case.example_h, device="meta"))
            sizes[h] = int((out[0] if case.head else out).shape[2])
    emit(sizes=sizes)


TOOLS = {"torch": torch_export, "jax": jax_eval_shape, "naive": naive, "symconv": symconv_api}


def main(tool: str, name: str, warm: str, arch_file: str | None = None) -> None:
    case = archs.cases()[name]
    emit(stage="setting up")
    if tool == "truth":
        return truth(case)
    prepare, expr = TOOLS[tool](case, arch_file)
    call = prepare(0)
    emit(stage="deriving")
    t = time.perf_counter()
    result = call()
    emit(first=time.perf_counter() - t, stage="printing the result")
    emit(expr=expr(result), stage="deriving again")
    spent = 0.0
    for k in range(1, int(warm) + 1):
        if spent >= WARM_BUDGET:
            break
        call = prepare(k)
        if "sympy" in sys.modules:  # torch's own symbols are the same in every export
            sys.modules["sympy"].core.cache.clear_cache()
        t = time.perf_counter()
        result = call()
        fields = {"warm": time.perf_counter() - t}
        if tool == "symconv":
            t = time.perf_counter()
            result.render("table")
            fields["render"] = time.perf_counter() - t
        spent += sum(fields.values())
        emit(**fields)
    emit(maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, stage="")


if __name__ == "__main__":
    try:
        main(*sys.argv[1:])
    except BaseException as err:  # noqa: BLE001  reported to run.py, which shows it in the table
        emit(error=type(err).__name__, message=str(err)[:500])
        sys.exit(1)
