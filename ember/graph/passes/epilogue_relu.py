"""ReLU fused into the epilogue of a GEMM layer: a `Conv` or `Linear` call whose only user is a
`Relu` becomes one call with `relu=True`, which clamps its fresh output in the same pass that adds
the bias (ember/ops/_epilogue.py) instead of a separate ReLU pass and array. Calls that a
`backward` node replays are never fused (their backward runs on their own instance); in training
steps the pair's backward is recorded as ops (ReLU's reads its output, the layer's its inputs), so
it fuses there too. The values are the same: PyTorch's ReLU is max(y, 0) with NaN kept, and so is
the epilogue.

    >>> import ember
    >>> conv = ember.nn.Conv2d(1, 4, 3)
    >>> g2 = epilogue_relu_fusion(ember.graph.trace(lambda x: conv(x).relu(), ember.randn(1, 1, 5, 5)))
    >>> [(n.name.rsplit(".", 1)[1], n.attrs.get("relu")) for n in g2.nodes if n.op == "call"]
    [('Conv', True)]
"""
from ember.graph.passes._util import backward_targets, copy_graph, user_nodes

LAYERS, RELU = ("ember.ops.conv.Conv", "ember.ops.dense.Linear"), "ember.ops.unary.Relu"


def epilogue_relu_fusion(graph):
    """A copy of `graph` with each Conv -> Relu and Linear -> Relu pair (the layer's output used by
    the Relu only) as one call."""
    out = copy_graph(graph)
    replay = backward_targets(out)
    users = user_nodes(out)
    gone = set()
    for n in out.nodes:
        if n.op != "call" or n.name not in LAYERS or n.attrs.get("relu") or len(n.outputs) != 1:
            continue
        after = users.get(n.outputs[0].id, [])
        relu = after[0] if len(after) == 1 else None
        if relu is None or relu.op != "call" or relu.name != RELU or len(relu.args) != 1 \
                or {n.outputs[0].id, relu.outputs[0].id} & replay:
            continue
        n.attrs = dict(n.attrs, relu=True)
        n.outputs = list(relu.outputs)
        gone.add(id(relu))
    out.nodes = [n for n in out.nodes if id(n) not in gone]
    return out
