"""ReLU fused into the epilogue of a GEMM layer: a `Conv` or `Linear` call whose only user is a
`Relu` becomes one call with `relu=True`, which clamps its fresh output in the same pass that adds
the bias (ember/ops/_epilogue.py) instead of a separate ReLU pass and array. Calls that a
`backward` node replays are never fused (their backward runs on their own instance); in training
steps the pair's backward is recorded as ops (ReLU's reads its output, the layer's its inputs), so
it fuses there too. Permutes between the two (Keras's channels-last layers around the convolution)
do not stop it: the ReLU commutes with them, so it moves into the layer and the last permute's
result becomes the ReLU's. The values are the same: PyTorch's ReLU is max(y, 0) with NaN kept, and
so is the epilogue.

    >>> import ember
    >>> conv = ember.nn.Conv2d(1, 4, 3)
    >>> g2 = epilogue_relu_fusion(ember.graph.trace(lambda x: conv(x).relu(), ember.randn(1, 1, 5, 5)))
    >>> [(n.name.rsplit(".", 1)[1], n.attrs.get("relu")) for n in g2.nodes if n.op == "call"]
    [('Conv', True)]
"""
from ember.graph.passes._util import backward_targets, copy_graph, user_nodes

LAYERS, RELU = ("ember.ops.conv.Conv", "ember.ops.dense.Linear"), "ember.ops.unary.Relu"
PERMUTE = "ember.ops.shape.Permute"


def _only_user(users, node):
    after = users.get(node.outputs[0].id, [])
    return after[0] if len(after) == 1 and after[0].op == "call" and len(after[0].outputs) == 1 else None


def epilogue_relu_fusion(graph):
    """A copy of `graph` with each Conv -> Relu and Linear -> Relu pair (the layer's output used by
    the Relu only, through permutes used once) as one call."""
    out = copy_graph(graph)
    replay = backward_targets(out)
    users = user_nodes(out)
    gone = set()
    for n in out.nodes:
        if n.op != "call" or n.name not in LAYERS or n.attrs.get("relu") or len(n.outputs) != 1:
            continue
        chain, relu = [n], _only_user(users, n)
        while relu is not None and relu.name == PERMUTE:
            chain.append(relu)
            relu = _only_user(users, relu)
        if relu is None or relu.name != RELU or len(relu.args) != 1 \
                or {c.outputs[0].id for c in chain + [relu]} & replay:
            continue
        n.attrs = dict(n.attrs, relu=True)
        chain[-1].outputs = list(relu.outputs)
        gone.add(id(relu))
    out.nodes = [n for n in out.nodes if id(n) not in gone]
    return out
