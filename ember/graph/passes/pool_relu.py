"""Max-pool gradient + ReLU gradient fusion: in a training step, conv -> ReLU -> max pool leaves a
backward of `WindowSpread` (the pool's gradient) followed by the ReLU's `g * (y != 0)`: a
`ReluGrad` call, or, written out in ops, a `Fused` call of two steps (a bool mask, then a multiply
that promotes it to a float copy). Where that product is the spread's only user, this pass makes it one
`WindowSpread` call with `mask=y`: the pool's gradient loop multiplies by the mask as it writes
(ember/ops/_pool_loops.py), with no bool array, no float copy and no second pass. The values are
the same (each element is the product s * 1 or s * 0 the unfused graph computes). Calls that a
`backward` node replays are never fused.

    >>> import ember
    >>> model = ember.nn.Sequential(ember.nn.Conv2d(1, 4, 3), ember.nn.ReLU(), ember.nn.MaxPool2d(2))
    >>> step = ember.compile(lambda x: model(x).sum().backward())
    >>> _ = step(ember.randn(2, 1, 6, 6))
    >>> "mask=" in step.source()
    True
"""
from ember.graph.passes._util import backward_targets, copy_graph, user_nodes

SPREAD, FUSED = "ember.ops.pool.WindowSpread", "ember.graph.passes.fusion.Fused"
NE, MUL, RELU_GRAD = "ember.ops.binary.Ne", "ember.ops.binary.Mul", "ember.ops.unary.ReluGrad"


def _relu_grad(node):
    """(index of the gradient input, index of the ReLU output input) when `node` is a ReluGrad call
    or a Fused call of exactly `input[j] * (input[i] != 0)`, else None."""
    if node.name == RELU_GRAD:
        return 0, 1
    steps = node.attrs.get("steps")
    if node.name != FUSED or not steps or len(steps) != 2 or len(node.args) != 2:
        return None
    (ne, ne_ops, ne_attrs, _), (mul, mul_ops, mul_attrs, _) = steps
    if ne != NE or mul != MUL or ne_attrs or mul_attrs:
        return None
    literal = [v for kind, v in ne_ops if kind == "literal"]
    mask_in = [v for kind, v in ne_ops if kind == "input"]
    grad_in = [v for kind, v in mul_ops if kind == "input"]
    if literal not in ([0], [0.0]) or len(mask_in) != 1 or len(grad_in) != 1 or ("step", 0) not in mul_ops \
            or mask_in[0] == grad_in[0]:
        return None
    return grad_in[0], mask_in[0]


def pool_relu_fusion(graph):
    """A copy of `graph` with each max-pool gradient whose only user is a fused ReLU gradient as one call."""
    out = copy_graph(graph)
    replay = backward_targets(out)
    users = user_nodes(out)
    producer = {v.id: n for n in out.nodes for v in n.outputs}
    moved = {}  # id(fused node) -> the spread node that takes its place
    for n in out.nodes:
        which = _relu_grad(n) if n.op == "call" else None
        if which is None:
            continue
        grad, mask = n.args[which[0]], n.args[which[1]]
        spread = producer.get(grad.id)
        if spread is None or spread.op != "call" or spread.name != SPREAD or spread.attrs.get("best") is None \
                or spread.attrs.get("mask") is not None or len(users.get(grad.id, [])) != 1 \
                or {grad.id, n.outputs[0].id} & replay or spread.outputs[0].dtype != n.outputs[0].dtype:
            continue
        spread.attrs = dict(spread.attrs, mask=mask)
        spread.outputs = list(n.outputs)
        moved[id(n)] = spread  # runs where the product ran: the mask is defined by then
    out.nodes = [moved.get(id(n), n) for n in out.nodes if not any(s is n for s in moved.values())]
    return out
