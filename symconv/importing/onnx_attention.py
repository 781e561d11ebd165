"""nn.MultiheadAttention as torch's exporter writes it: one `MultiheadAttention` layer.

F.multi_head_attention_forward works on (L, N, E): a batch_first module's export transposes
the batch away from axis 0, views q, k, v as (L, N·heads, E/heads) and multiplies them as
(N·heads, L, E/heads), the batch merged with the heads. The `.arch` language keeps the batch
first and alone, so none of those steps has a form; the module they come from has one, and
the PyTorch importer writes it so. The nodes of one exporter scope (`/…/self_attention/…`)
are that module when they read one network tensor x, first through Transpose(perm=[1, 0,
2]) (batch_first), give one tensor read outside (the scope's last node), contain a Softmax,
and their weights are exactly a MultiheadAttention's with kdim = vdim = E: a MatMul by
in_proj_weightᵀ (E, 3E) with the Add of in_proj_bias (3E,), and a Gemm by out_proj.weight
(E, E) with out_proj.bias (E,) (both biases or neither). The heads are the Softmax input's
axis 1, (N, heads, L, S), as ONNX's shape inference finds it. Anything else is left to the
operators' handlers, which refuse the batch-moving Transpose.
"""

from __future__ import annotations

from .onnx_graph import Graph, Node
from .onnx_steps import Context, Layer, layer


def attention_layers(ctx: Context) -> dict[int, Layer]:
    """The MultiheadAttention layers found, by the index of the node each replaces (its
    scope's last); every node of their scopes is added to ctx.fused."""
    scopes: dict[str, list[Node]] = {}
    for node in ctx.graph.nodes:
        if node.name.count("/") >= 2:
            scopes.setdefault(node.name.rsplit("/", 1)[0], []).append(node)
    found: dict[int, Layer] = {}
    for scope, nodes in scopes.items():
        if any(n.op == "Softmax" for n in nodes):
            made = _attention(scope, nodes, ctx)
            if made is not None:
                found[nodes[-1].index] = made
                ctx.fused.update(n.index for n in nodes)
    return found


def _attention(scope: str, nodes: list[Node], ctx: Context) -> Layer | None:
    graph = ctx.graph
    made = {t for n in nodes for t in n.outputs}
    outside = {t for n in nodes for t in n.inputs if t and t not in made and
               t not in graph.constants}
    first, last = nodes[0], nodes[-1]
    if len(outside) != 1 or first.op != "Transpose" or first.attrs.get("perm") != [1, 0, 2]:
        return None
    if _read_outside(made, nodes, ctx) != {last.outputs[0]}:
        return None
    x = outside.pop()
    weights = _weights(nodes, graph)
    dims = graph.fixed.get(x, ())
    if weights is None or len(dims) != 3 or dims[2] != weights[0]:
        return None
    softmax = next(n for n in nodes if n.op == "Softmax")
    scores = graph.fixed.get(softmax.inputs[0], ())
    if len(scores) != 4 or not scores[1] or weights[0] % scores[1]:
        return None
    fused = Node(last.index, "MultiheadAttention", scope, (x,), (last.outputs[0],), {})
    ctx.settle(last.outputs[0], dims)
    return layer(fused, "MultiheadAttention", weights[0], scores[1], bias=weights[1],
                 batch_first=True)


def _read_outside(made: set[str], nodes: list[Node], ctx: Context) -> set[str]:
    inside = {n.index for n in nodes}
    return {t for t in made if t in ctx.graph.outputs or any(
        r.index not in inside for r in ctx.readers.get(t, []))}


def _weights(nodes: list[Node], graph: Graph) -> tuple[int, bool] | None:
    """(E, bias) when the scope's weights are a packed MultiheadAttention's, else None."""
    # the weights of nodes on activations (rank ≥ 2), not the arithmetic on extents
    on_tensors = [n for n in nodes if n.op in ("MatMul", "Gemm", "Add") and any(
        graph.ranks.get(t, 0) >= 2 for t in n.inputs if t not in graph.constants)]
    shapes = sorted(graph.constants[t].shape for n in on_tensors for t in n.inputs
                    if t in graph.constants)
    gemm = [n for n in nodes if n.op == "Gemm"]
    if len(gemm) != 1 or not gemm[0].attrs.get("transB", 0):
        return None
    e = graph.constants[gemm[0].inputs[1]].shape[0] if gemm[0].inputs[1] in graph.constants \
        else 0
    plain = sorted([(e, 3 * e), (e, e)])
    if e and shapes == plain:
        return e, False
    if e and shapes == sorted(plain + [(3 * e,), (e,)]):
        return e, True
    return None
