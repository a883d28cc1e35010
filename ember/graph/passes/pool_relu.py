"""Max-pool gradient + ReLU gradient fusion: in a training step, conv -> ReLU -> max pool leaves a
backward of `WindowSpread` (the pool's gradient) followed by the ReLU's gradient, a `ReluGrad` call
(0 where the ReLU's output y <= 0, else the gradient). Where the spread's only user is that call,
this pass makes it one `WindowSpread` call with `mask=y`: the pool's gradient loop writes 0 where
y <= 0 as it goes (ember/ops/_pool_loops.py), with no second pass and no second array; the values
are the unfused graph's. Calls that a `backward` node replays are never fused.

    >>> import ember
    >>> model = ember.nn.Sequential(ember.nn.Conv2d(1, 4, 3), ember.nn.ReLU(), ember.nn.MaxPool2d(2))
    >>> step = ember.compile(lambda x: model(x).sum().backward())
    >>> _ = step(ember.randn(2, 1, 6, 6))
    >>> "mask=" in step.source()
    True
"""
from ember.graph.passes._util import backward_targets, copy_graph, user_nodes

SPREAD, RELU_GRAD = "ember.ops.pool.WindowSpread", "ember.ops.unary.ReluGrad"


def pool_relu_fusion(graph):
    """A copy of `graph` with each max-pool gradient whose only user is a ReLU gradient as one call."""
    out = copy_graph(graph)
    replay = backward_targets(out)
    users = user_nodes(out)
    producer = {v.id: n for n in out.nodes for v in n.outputs}
    moved = {}  # id(ReluGrad node) -> the spread node that takes its place
    for n in out.nodes:
        if n.op != "call" or n.name != RELU_GRAD:
            continue
        grad, mask = n.args
        spread = producer.get(grad.id)
        if spread is None or spread.op != "call" or spread.name != SPREAD or spread.attrs.get("best") is None \
                or spread.attrs.get("mask") is not None or len(users.get(grad.id, [])) != 1 \
                or {grad.id, n.outputs[0].id} & replay or spread.outputs[0].dtype != n.outputs[0].dtype:
            continue
        spread.attrs = dict(spread.attrs, mask=mask)
        spread.outputs = list(n.outputs)
        moved[id(n)] = spread  # runs where the ReluGrad ran: the mask is defined by then
    out.nodes = [moved.get(id(n), n) for n in out.nodes if not any(s is n for s in moved.values())]
    return out
