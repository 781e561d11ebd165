"""symconv's ONNX import against ONNX Runtime's symbolic shape inference (issue 19).

    python benchmarks/onnx_import.py [--models resnet18,…] [--repeat N] [--append HEADING]

Each torchvision model (weights=None) is exported once with torch.onnx.export, as
tests/test_import_onnx.py exports it (height and width as dynamic axes, BatchNorm kept), then:
- symconv: `symconv derive --from MODEL.onnx -f json`, whole process (median of --repeat), and
  in process `import_onnx` + `derive` (one cold call);
- ONNX Runtime: `SymbolicShapeInference.infer_shapes(model, auto_merge=True)` in process, its
  formulas for every node's output;
- agreement: every layer symconv names after a node, where ONNX Runtime gives a formula, at
  each sampled size; and the length of the two formulas for the last convolution's height.

Needs torch 2.13.0, torchvision 0.28.0, onnx and onnxruntime (`pip install -e '.[test]'`).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))
import torchvision_shim  # noqa: E402  (torchvision beside the torch CPU wheel)

torchvision_shim.install()

MODELS = ("resnet18", "mobilenet_v2", "squeezenet1_1", "shufflenet_v2_x1_0", "resnet50",
          "densenet121", "efficientnet_b0", "googlenet", "inception_v3", "convnext_tiny")
KWARGS = {"googlenet": {"aux_logits": False, "init_weights": False},
          "inception_v3": {"aux_logits": False, "init_weights": False}}
SIZES = ((224, 224), (225, 193), (97, 65), (513, 301))


def export(name: str, folder: Path) -> tuple[Path, float]:
    import torch
    from torchvision import models

    model = getattr(models, name)(weights=None, **KWARGS.get(name, {})).eval()
    path = folder / f"{name}.onnx"
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 3, 299, 299),), str(path), dynamo=False,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch", 2: "height", 3: "width"},
                                        "output": {0: "batch"}},
                          do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    return path, time.perf_counter() - start


def whole_process(path: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "symconv", "derive", "--from", str(path), "-f",
                        "json"], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ours(path: Path) -> tuple[object, float]:
    from symconv.api import derive
    from symconv.importing import import_onnx

    start = time.perf_counter()
    derived = derive(import_onnx(str(path), []))
    return derived, time.perf_counter() - start


def theirs(path: Path) -> tuple[dict[str, list[str | int]], float]:
    import onnx
    from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference

    model = onnx.load(str(path))
    start = time.perf_counter()
    inferred = SymbolicShapeInference.infer_shapes(model, auto_merge=True)
    took = time.perf_counter() - start
    values = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    dims = {}
    for node in inferred.graph.node:
        value = values.get(node.output[0])
        if value is not None:
            dims[node.name] = [d.dim_param or d.dim_value
                               for d in value.type.tensor_type.shape.dim][1:]
    return dims, took


def _at(text: object, h: int, w: int) -> int:
    """A formula (symconv's extent, or ONNX Runtime's text: this script's own data) at a size."""
    import sympy

    if isinstance(text, int):
        return text
    names = {"height": sympy.Symbol("height"), "width": sympy.Symbol("width"),
             "floor": sympy.floor, "ceiling": sympy.ceiling, "Max": sympy.Max, "Min": sympy.Min}
    expr = sympy.sympify(str(text), locals=names)
    return int(expr.subs({names["height"]: h, names["width"]: w}))


def compare(derived: object, dims: dict[str, list[str | int]]) -> tuple[int, int, str, str]:
    """(layers compared, disagreements, the last convolution's height formula in symconv's
    and in ONNX Runtime's words)."""
    compared = wrong = 0
    last = ("", "")
    for record in derived.layers:  # type: ignore[attr-defined]
        formula = dims.get(record.name)
        if formula is None or any(isinstance(d, str) and not d for d in formula):
            continue
        compared += 1
        if any(tuple(_at(e, h, w) for e in record.output_shape)
               != tuple(_at(d, h, w) for d in formula) for h, w in SIZES):
            wrong += 1
        if record.type == "Conv2d":
            last = (str(record.output_shape[1]), str(formula[1]))
    return compared, wrong, *last


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--append", metavar="HEADING")
    args = ap.parse_args()
    rows = ["| model | export (s) | symconv in process (s) | symconv whole process (s) | "
            "ONNX Runtime inference (s) | layers compared | disagree | last conv's height: "
            "symconv (chars) | ONNX Runtime (chars) |", "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    examples = []
    with tempfile.TemporaryDirectory(prefix="symconv-onnx-") as tmp:
        for name in args.models.split(","):
            path, exported = export(name, Path(tmp))
            derived, in_process = ours(path)
            dims, inferred = theirs(path)
            compared, wrong, mine, its = compare(derived, dims)
            process = whole_process(path, args.repeat)
            rows.append(f"| {name} | {exported:.1f} | {in_process:.2f} | {process:.2f} | "
                        f"{inferred:.2f} | {compared} | {wrong} | {len(mine)} | {len(its)} |")
            examples.append(f"- {name}: symconv `{mine}`; ONNX Runtime `{its}`")
            print(rows[-1], file=sys.stderr, flush=True)
    import onnx
    import onnxruntime
    import torch

    report = [f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
              f"- torch {torch.__version__}, onnx {onnx.__version__}, onnxruntime "
              f"{onnxruntime.__version__}; sizes compared: "
              + ", ".join(f"{h}×{w}" for h, w in SIZES), ""] + rows + [
        "", "The last convolution's height, as each tool writes it:", ""] + examples
    text = "\n".join(report) + "\n"
    print(text)
    if args.append:
        with open(HERE / "results.md", "a", encoding="utf-8") as f:
            f.write(f"\n## {args.append}\n\n{text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
