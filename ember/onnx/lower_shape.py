"""Lowerings of the shape, join, indexing and reduction primitives to ONNX (see lower.py).
Sizes recorded at the trace's batch size arrive as Syms (k * B + c) and become shape tensors
computed from the batch input, so the file keeps a dynamic batch dim.

    >>> "ember.ops.shape.Reshape" in SHAPE_LOWERINGS
    True
"""
import numpy as np

from ember.graph.codegen import Sym
from ember.onnx._proto import OnnxError

P = "ember.ops."


def _x(e, node):
    return e.name(node.args[0])


def _attr(node, name, pos, default=None):
    """An argument recorded by keyword or by position."""
    if name in node.attrs:
        return node.attrs[name]
    return node.args[pos] if len(node.args) > pos else default


def reshape(e, node):
    return [e.op("Reshape", [_x(e, node), e.shape(_attr(node, "shape", 1))])]


def expand(e, node):
    shape = tuple(1 if isinstance(s, int) and s == -1 else s for s in _attr(node, "shape", 1))
    return [e.op("Expand", [_x(e, node), e.shape(shape)])]


def permute(e, node):
    return [e.op("Transpose", [_x(e, node)], perm=[int(d) for d in _attr(node, "dims", 1)])]


def cat(e, node):
    xs = [a for a in node.args]
    dt = node.outputs[0].dtype
    return [e.op("Concat", [e.cast(e.name(x), e.dtype(x), dt) for x in xs], axis=node.attrs.get("dim", 0))]


def stack(e, node):
    dim = node.attrs.get("dim", 0)
    rank = len(node.outputs[0].shape)
    dim = dim + rank if dim < 0 else dim
    parts = [e.op("Unsqueeze", [e.name(x), e.ints([dim])]) for x in node.args]
    return [e.op("Concat", parts, axis=dim)]


def split(e, node):
    sizes, dim = _attr(node, "sizes", 1), _attr(node, "dim", 2)
    outs = e.op("Split", [_x(e, node), e.ints(sizes)], n_out=len(sizes), axis=dim)
    return outs if len(sizes) > 1 else [outs]


def unbind(e, node):
    dim, n = _attr(node, "dim", 1, 0), len(node.outputs)
    parts = e.op("Split", [_x(e, node), e.ints([1] * n)], n_out=n, axis=dim) if n > 1 else [_x(e, node)]
    return [e.op("Squeeze", [p, e.ints([dim])]) for p in parts]


def getitem(e, node):
    """Basic indexing (ints, slices, None, Ellipsis) as one Slice, then Squeeze/Unsqueeze; one
    integer index tensor as Gather."""
    x, idx = node.args[0], _attr(node, "idx", 1)
    idx = idx if isinstance(idx, tuple) else (idx,)
    if sum(1 for k in idx if k is Ellipsis) > 1:
        raise OnnxError("onnx export: index with more than one Ellipsis")
    rest = len(e.shapes[x.id]) - sum(1 for k in idx if k is not None and k is not Ellipsis)
    full = []
    for k in idx:  # Ellipsis stands for the dims the key does not name
        full.extend([slice(None)] * rest if k is Ellipsis else [k])
    starts, ends, axes, steps, squeeze, unsqueeze, gathers = [], [], [], [], [], [], []
    dim = out_dim = 0
    for k in full:
        if k is None:
            unsqueeze.append(out_dim)
            out_dim += 1
            continue
        if isinstance(k, slice):
            if k != slice(None):
                step = 1 if k.step is None else k.step
                if not isinstance(step, int) or step <= 0:
                    raise OnnxError(f"onnx export: index step {step!r} (ONNX export takes positive steps)")
                starts.append(0 if k.start is None else k.start)
                ends.append(np.iinfo(np.int64).max if k.stop is None else k.stop)
                axes.append(dim)
                steps.append(step)
            out_dim += 1
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            starts.append(int(k))
            ends.append(int(k) + 1 if int(k) != -1 else np.iinfo(np.int64).max)
            axes.append(dim)
            steps.append(1)
            squeeze.append(dim)
        elif hasattr(k, "id"):
            gathers.append((dim, k))
            out_dim += 1
        else:
            raise OnnxError(f"onnx export: index {k!r} has no ONNX lowering (ints, slices, None, ... and one "
                            f"integer index tensor are exported)")
        dim += 1
    if len(gathers) > 1 or (gathers and (squeeze or unsqueeze)):
        raise OnnxError("onnx export: advanced indexing with several index tensors (or mixed with ints/None) "
                        "has no ONNX lowering yet")
    y = e.name(x)
    if axes:
        y = e.op("Slice", [y, e.shape(starts), e.shape(ends), e.ints(axes), e.ints(steps)])
    for d, k in gathers:
        if e.dtype(k) == "bool":
            raise OnnxError("onnx export: indexing with a bool mask has a data-dependent shape; use ember.where")
        y = e.op("Gather", [y, e.name(k)], axis=d)
    if squeeze:
        y = e.op("Squeeze", [y, e.ints(squeeze)])
    if unsqueeze:
        y = e.op("Unsqueeze", [y, e.ints(unsqueeze)])
    return [y]


def _axes(e, node):
    dim = _attr(node, "dim", 1)
    if dim is None:
        return []
    dims = dim if isinstance(dim, (tuple, list)) else [dim]
    return [e.ints(dims)]


def _reduce(op_type, cast_bool=False):
    def lower(e, node):
        x = _x(e, node)
        dtype = node.attrs.get("dtype")
        out_dt = node.outputs[0].dtype
        if cast_bool:  # all/any: a max/min over 0/1
            x = e.op("Cast", [e.op("Cast", [x], to=9)], to=6)
        elif dtype is not None or e.dtype(node.args[0]) != out_dt:
            x = e.cast(x, e.dtype(node.args[0]), out_dt)
        y = e.op(op_type, [x] + _axes(e, node), keepdims=int(bool(_attr(node, "keepdim", 2, False))))
        return [e.cast(y, "int32", out_dt) if cast_bool else y]
    return lower


def var(sqrt):
    def lower(e, node):
        x, dt = _x(e, node), node.outputs[0].dtype
        shape = e.shapes[node.args[0].id]
        dim = _attr(node, "dim", 1)
        dims = list(range(len(shape))) if dim is None else list(dim if isinstance(dim, (tuple, list)) else [dim])
        sizes = [shape[d] for d in dims]
        if any(isinstance(s, Sym) for s in sizes):
            raise OnnxError("onnx export: var/std over the batch dim with a dynamic batch; pass dynamic_batch=False")
        n, corr = int(np.prod(sizes)), node.attrs.get("correction", 1)
        axes = e.ints(dims)
        keep = int(bool(node.attrs.get("keepdim", False)))
        xc = e.op("Sub", [x, e.op("ReduceMean", [x, axes], keepdims=1)])
        ss = e.op("ReduceSum", [e.op("Mul", [xc, xc]), axes], keepdims=keep)
        v = e.op("Div", [ss, e.const(np.asarray(max(n - corr, 0), dtype=np.dtype(dt)))])
        return [e.op("Sqrt", [v]) if sqrt else v]
    return lower


def extreme_dim(reduce_type, arg_type):
    def lower(e, node):
        x, dim = _x(e, node), _attr(node, "dim", 1)
        keep = int(bool(node.attrs.get("keepdim", False)))
        return [e.op(reduce_type, [x, e.ints([dim])], keepdims=keep), e.op(arg_type, [x], axis=dim, keepdims=keep)]
    return lower


def arg_extreme(arg_type):
    def lower(e, node):
        x, dim = _x(e, node), _attr(node, "dim", 1)
        keep = int(bool(node.attrs.get("keepdim", False)))
        if dim is None:
            x, dim = e.op("Reshape", [x, e.ints([-1])]), 0
        return [e.op(arg_type, [x], axis=dim, keepdims=keep)]
    return lower


def cumsum(e, node):
    x, dt = _x(e, node), node.outputs[0].dtype
    x = e.cast(x, e.dtype(node.args[0]), dt)
    return [e.op("CumSum", [x, e.const(np.asarray(_attr(node, "dim", 1), dtype=np.int64))],
                 reverse=int(bool(node.attrs.get("reverse", False))))]


def triangle(upper):
    return lambda e, n: [e.op("Trilu", [_x(e, n), e.const(np.asarray(n.attrs.get("diagonal", 0), dtype=np.int64))],
                              upper=int(upper))]


def pad(e, node):
    pads, value = _attr(node, "pad", 1), node.attrs.get("value", 0)
    rank = len(node.outputs[0].shape)
    begins, ends = [0] * rank, [0] * rank
    for i in range(len(pads) // 2):  # PyTorch's order: the last dim first, (before, after) pairs
        begins[rank - 1 - i], ends[rank - 1 - i] = pads[2 * i], pads[2 * i + 1]
    dt = node.outputs[0].dtype
    return [e.op("Pad", [_x(e, node), e.ints(begins + ends), e.const(np.asarray(value, dtype=np.dtype(dt)))])]


def flip(e, node):
    dims = list(_attr(node, "dims", 1))
    big = np.iinfo(np.int64).max
    return [e.op("Slice", [_x(e, node), e.ints([-1] * len(dims)), e.ints([-big] * len(dims)), e.ints(dims),
                           e.ints([-1] * len(dims))])]


def repeat(e, node):
    reps = list(_attr(node, "repeats", 1))
    x, rank = _x(e, node), len(e.shapes[node.args[0].id])
    if len(reps) > rank:
        x = e.op("Unsqueeze", [x, e.ints(range(len(reps) - rank))])
    return [e.op("Tile", [x, e.ints(reps)])]


def gather(e, node):
    return [e.op("GatherElements", [_x(e, node), e.name(node.args[1])], axis=_attr(node, "dim", 2))]


def index_select(e, node):
    return [e.op("Gather", [_x(e, node), e.name(node.args[1])], axis=_attr(node, "dim", 2))]


def einsum(e, node):
    equation = ",".join(node.attrs["subscripts"]) + "->" + node.attrs["output"]
    return [e.op("Einsum", [e.name(a) for a in node.args], equation=equation)]


def topk(e, node):
    k, dim = _attr(node, "k", 1), node.attrs.get("dim", -1)
    vals, idx = e.op("TopK", [_x(e, node), e.ints([k])], n_out=2, axis=dim,
                     largest=int(bool(node.attrs.get("largest", True))), sorted=1)
    return [vals, idx]


def one_hot(e, node):
    depth = node.attrs.get("num_classes", -1)
    if depth is None or depth < 0:
        depth = node.outputs[0].shape[-1]
    return [e.op("OneHot", [_x(e, node), e.const(np.asarray(depth, dtype=np.int64)),
                            e.const(np.array([0, 1], dtype=np.int64))], axis=-1)]


SHAPE_LOWERINGS = {
    P + "shape.Reshape": reshape,
    P + "shape.Expand": expand,
    P + "shape.Permute": permute,
    P + "join.Cat": cat,
    P + "join.Stack": stack,
    P + "join.Split": split,
    P + "join.Unbind": unbind,
    P + "index.GetItem": getitem,
    P + "reduce.Sum": _reduce("ReduceSum"),
    P + "reduce.Mean": _reduce("ReduceMean"),
    P + "scan.Prod": _reduce("ReduceProd"),
    P + "extreme.Amax": _reduce("ReduceMax"),
    P + "extreme.Amin": _reduce("ReduceMin"),
    P + "reduce.All": _reduce("ReduceMin", cast_bool=True),
    P + "reduce.Any": _reduce("ReduceMax", cast_bool=True),
    P + "reduce.Var": var(sqrt=False),
    P + "reduce.Std": var(sqrt=True),
    P + "extreme.MaxDim": extreme_dim("ReduceMax", "ArgMax"),
    P + "extreme.MinDim": extreme_dim("ReduceMin", "ArgMin"),
    P + "extreme.Argmax": arg_extreme("ArgMax"),
    P + "extreme.Argmin": arg_extreme("ArgMin"),
    P + "scan.Cumsum": cumsum,
    P + "mask.Tril": triangle(upper=False),
    P + "mask.Triu": triangle(upper=True),
    P + "arrange.Pad": pad,
    P + "arrange.Flip": flip,
    P + "arrange.Repeat": repeat,
    P + "gather.Gather": gather,
    P + "gather.IndexSelect": index_select,
    P + "einsum.Einsum": einsum,
    P + "sort.TopK": topk,
    P + "mask.OneHot": one_hot,
}
