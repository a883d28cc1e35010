"""Import table, shape and indexing part (see op_math.py). Ops that only move shapes around
(`Shape`, `Size`, `Constant`) give static NumPy values, so the sizes a graph computes from its
input's shape are Python ints by the time `Reshape` or `Slice` reads them.

    >>> TENSOR_OPS["Shape"]([ember.zeros(2, 3)], Attrs({}, "Shape", 1))
    array([2, 3])
"""
import numpy as np

from ember.backend import dtypes
from ember.ops import arrange, binary, creation, gather, index, join, mask, shape, sort
from ember.onnx._proto import EMBER_DTYPE, OnnxError
from ember.onnx.op_util import Attrs, axis, ints, refuse, static, tensor_of, tensors  # noqa: F401

MAX_ELEMENTS = 2 ** 28  # a shape input asking for more elements (1 GiB of float32) is refused before allocating


def _checked(a, dims):
    if any(d < 0 for d in dims) or int(np.prod(dims, dtype=np.float64)) > MAX_ELEMENTS:
        raise OnnxError(f"onnx {a.op_type} {a.name!r}: refusing to allocate a tensor of shape {tuple(dims)}")
    return tuple(dims)


def reshape(x, a):
    v, target = tensor_of(x[0]), ints(x[1])
    if not int(a.get("allowzero", 0)):  # 0 copies the input's size at that position
        target = [v.shape[i] if d == 0 and i < v.ndim else d for i, d in enumerate(target)]
    return v.reshape(target)


def flatten(x, a):
    v = tensor_of(x[0])
    d = int(a.get("axis", 1))
    if not -v.ndim <= d <= v.ndim:
        raise OnnxError(f"onnx Flatten {a.name!r}: axis={d} is out of range for rank {v.ndim}")
    d = d + v.ndim if d < 0 else d
    lead = int(np.prod(v.shape[:d], dtype=np.int64))
    return v.reshape(lead, int(np.prod(v.shape[d:], dtype=np.int64)))


def squeeze(x, a):
    v = tensor_of(x[0])
    axes = ints(x[1]) if len(x) > 1 and x[1] is not None else list(a.get("axes", []))
    if not axes:
        return v.reshape([d for d in v.shape if d != 1])
    axes = {d % v.ndim for d in axes}
    return v.reshape([d for i, d in enumerate(v.shape) if i not in axes])


def unsqueeze(x, a):
    v = tensor_of(x[0])
    axes = ints(x[1]) if len(x) > 1 else list(a["axes"])
    rank = v.ndim + len(axes)
    if any(not -rank <= d < rank for d in axes) or len(set(d % rank for d in axes)) != len(axes):
        raise OnnxError(f"onnx Unsqueeze {a.name!r}: axes {axes} are out of range or repeated for rank {rank}")
    axes = sorted(d % rank for d in axes)
    dims = list(v.shape)
    for d in axes:
        dims.insert(d, 1)
    return v.reshape(dims)


def transpose(x, a):
    v = tensor_of(x[0])
    perm = list(a.get("perm", range(v.ndim - 1, -1, -1)))
    return v.permute(perm)


def concat(x, a):
    xs = [v for v in tensors(x) if v is not None]
    return join.cat(xs, axis(a, xs[0]))


def split(x, a):
    v = tensor_of(x[0])
    d = axis(a, v)
    sizes = ints(x[1]) if len(x) > 1 and x[1] is not None else list(a.get("split", []))
    if not sizes:
        n = int(a.get("num_outputs", a.n_out))
        step = -(-v.shape[d] // n)
        sizes = [min(step, v.shape[d] - i * step) for i in range(n)]
    if sum(sizes) != v.shape[d]:
        raise OnnxError(f"onnx Split {a.name!r}: sizes {sizes} do not add up to dim {d} of shape {tuple(v.shape)}")
    return tuple(join.split(v, sizes, d))


def slice_(x, a):
    v = tensor_of(x[0])
    starts, ends = ints(x[1]), ints(x[2])
    axes = ints(x[3]) if len(x) > 3 and x[3] is not None else list(range(len(starts)))
    steps = ints(x[4]) if len(x) > 4 and x[4] is not None else [1] * len(starts)
    key = [slice(None)] * v.ndim
    for s, e, d, st in zip(starts, ends, axes, steps):
        if st == 0:
            raise OnnxError(f"onnx Slice {a.name!r}: a step of 0")
        n = v.shape[d % v.ndim]
        s, e = _clamp_index(s, n, st), _clamp_index(e, n, st)
        key[d % v.ndim] = slice(s, e if e >= 0 else None, st)
    if any(k.step is not None and k.step < 0 for k in key):
        return _negative_slice(v, key)
    return v[tuple(key)]


def _clamp_index(i, n, step):
    i = i + n if i < 0 else i
    return max(-1, min(i, n - 1)) if step < 0 else max(0, min(i, n))


def _negative_slice(v, key):
    """ember indexing takes positive steps: flip the dims with negative ones, slicing the flipped range."""
    flips = [d for d, k in enumerate(key) if k.step is not None and k.step < 0]
    v = arrange.flip(v, flips)
    out = []
    for d, k in enumerate(key):
        if d in flips:
            n = v.shape[d]
            start = n - 1 - k.start
            stop = n if k.stop is None else n - 1 - k.stop
            out.append(slice(start, max(start, stop), -k.step))
        else:
            out.append(k)
    return v[tuple(out)]


def _wrap_index(idx, n):
    """Negative indices counted from the end (in NumPy when the index is static)."""
    if isinstance(idx, np.ndarray):
        return tensor_of(np.where(idx < 0, idx + n, idx))
    return binary.where(idx < 0, idx + n, idx)


def gather_(x, a):
    v = tensor_of(x[0])
    d = axis(a, v)
    idx = _wrap_index(x[1], v.shape[d])
    flat = gather.index_select(v, d, idx.reshape(-1))
    return flat.reshape(list(v.shape[:d]) + list(idx.shape) + list(v.shape[d + 1:]))


def gather_elements(x, a):
    v = tensor_of(x[0])
    d = axis(a, v)
    idx = _wrap_index(x[1], v.shape[d])
    return gather.gather(v, d, idx)


def scatter_elements(x, a):
    v, src = tensors([x[0], x[2]])
    d = axis(a, v)
    red = {"none": None, "add": "add", "mul": "multiply"}.get(a.get("reduction", "none"), "?")
    if red == "?":
        refuse(a, f"reduction={a.get('reduction')!r}")
    idx = _wrap_index(x[1], v.shape[d])
    return gather.scatter(v, d, idx, src, reduce=red)


def gather_nd(x, a):
    v, idx = tensors(x[:2])
    b = int(a.get("batch_dims", 0))
    if b:
        refuse(a, "batch_dims > 0")
    k = idx.shape[-1]
    key = tuple(idx[..., i] for i in range(k))
    return index.getitem(v, key)


def expand(x, a):
    v, target = tensor_of(x[0]), ints(x[1])
    rank = max(v.ndim, len(target))
    have = [1] * (rank - v.ndim) + list(v.shape)
    want = [1] * (rank - len(target)) + target
    out = [h if w == 1 else w for h, w in zip(have, want)]
    return shape.broadcast_to(v.reshape(have), _checked(a, out))


def tile(x, a):
    v = tensor_of(x[0])
    reps = ints(x[1])
    _checked(a, [n * r for n, r in zip(v.shape, reps)])
    return arrange.tile(v, reps)


def shape_of(x, a):
    dims = np.array(x[0].shape, dtype=np.int64)
    start, end = int(a.get("start", 0)), a.get("end")
    return dims[start:None if end is None else int(end)]


def constant(x, a):
    for key in ("value", "value_float", "value_int", "value_floats", "value_ints"):
        if key in a:
            v = np.asarray(a[key])
            return v.astype(np.float32) if key.startswith("value_float") else (
                v.astype(np.int64) if key.startswith("value_int") else v)
    refuse(a, f"a Constant of kind {sorted(a)}")


def constant_of_shape(x, a):
    """A filled tensor: made by ember's `full` (a recorded op whose size may follow the batch)."""
    dims = _checked(a, ints(x[0]))
    value = np.asarray(a.get("value", np.zeros(1, np.float32)))
    dt = dtypes.as_dtype(value.dtype.name)
    return creation.full(dims, value.reshape(-1)[0].item(), dtype=dt)


def range_(x, a):
    start, limit, delta = (static(v, a, "range") for v in x[:3])
    n = max(int(np.ceil((limit - start) / delta)), 0)
    _checked(a, [n])
    return (start + np.arange(n) * delta).astype(np.asarray(start).dtype)


def pad(x, a):
    v = tensor_of(x[0])
    pads = ints(x[1]) if len(x) > 1 else list(a["pads"])
    value = x[2] if len(x) > 2 and x[2] is not None else None
    axes = ints(x[3]) if len(x) > 3 and x[3] is not None else list(range(v.ndim))
    axes = [d % v.ndim for d in axes]
    n = len(axes)
    per = {d: (pads[i], pads[i + n]) for i, d in enumerate(axes)}
    _checked(a, [s + sum(per.get(d, (0, 0))) for d, s in enumerate(v.shape)])
    torch_pads = []
    for d in range(v.ndim - 1, -1, -1):  # PyTorch's order: the last dim first
        torch_pads += list(per.get(d, (0, 0)))
    mode = {"constant": "constant", "reflect": "reflect", "edge": "replicate", "wrap": "circular"}.get(
        a.get("mode", "constant"))
    if mode is None:
        refuse(a, f"mode={a.get('mode')!r}")
    fill = None if value is None else float(static(value, a, "value").reshape(-1)[0]) if mode == "constant" else None
    return arrange.pad(v, torch_pads, mode=mode, value=fill if mode == "constant" else None)


def one_hot(x, a):
    idx, depth, values = tensor_of(x[0]), int(ints(x[1])[0]), tensor_of(x[2])
    if depth <= 0:
        raise OnnxError(f"onnx OneHot {a.name!r}: depth={depth}; it must be positive")
    idx = binary.where(idx < 0, idx + depth, idx).long()
    inside = binary.logical_and(idx >= 0, idx < depth)       # ONNX: an index out of range gives all off
    hot = binary.logical_and(mask.one_hot(binary.where(inside, idx, idx * 0), depth).bool(), inside.unsqueeze(-1))
    d = int(a.get("axis", -1))
    if d != -1:
        hot = hot.movedim(-1, d % hot.ndim)
    off, on = values[0], values[1]
    return binary.where(hot, on, off)


def trilu(x, a):
    v = tensor_of(x[0])
    k = ints(x[1])[0] if len(x) > 1 and x[1] is not None else 0
    return mask.triu(v, k) if int(a.get("upper", 1)) else mask.tril(v, k)


def topk(x, a):
    v = tensor_of(x[0])
    k = ints(x[1])[0]
    values, indices = sort.topk(v, k, dim=axis(a, v, default=-1), largest=bool(int(a.get("largest", 1))),
                                sorted=bool(int(a.get("sorted", 1))))
    return values, indices


def dropout(x, a):
    """Inference: the identity (and an all-true mask); a training_mode input of true is refused."""
    v = tensor_of(x[0])
    if len(x) > 2 and x[2] is not None and bool(static(x[2], a, "training_mode").reshape(-1)[0]):
        refuse(a, "training_mode=True")
    return (v, creation.ones(tuple(v.shape), dtype=dtypes.bool_)) if a.n_out > 1 else v


def eye_like(x, a):
    v = x[0]
    rows, cols = v.shape
    dt = a.get("dtype")
    out = np.eye(rows, cols, k=int(a.get("k", 0)), dtype=dtypes.as_dtype(EMBER_DTYPE[int(dt)]).np if dt is not None
                 else np.asarray(v.numpy() if hasattr(v, "numpy") else v).dtype)
    return out


def depth_to_space(x, a):
    v = tensor_of(x[0])
    b, c, h, w = v.shape
    s = int(a["blocksize"])
    if a.get("mode", "DCR") == "DCR":
        y = v.reshape(b, s, s, c // (s * s), h, w).permute(0, 3, 4, 1, 5, 2)
    else:
        y = v.reshape(b, c // (s * s), s, s, h, w).permute(0, 1, 4, 2, 5, 3)
    return y.reshape(b, c // (s * s), h * s, w * s)


def space_to_depth(x, a):
    v = tensor_of(x[0])
    b, c, h, w = v.shape
    s = int(a["blocksize"])
    perm = (0, 3, 5, 1, 2, 4) if a.get("mode", "DCR") == "DCR" else (0, 1, 3, 5, 2, 4)
    y = v.reshape(b, c, h // s, s, w // s, s).permute(*perm)
    return y.reshape(b, c * s * s, h // s, w // s)


def scatter_nd(x, a):
    v, idx, upd = tensors(x[:3])
    red = a.get("reduction", "none")
    if red not in ("none", "add"):
        refuse(a, f"reduction={red!r}")
    key = tuple(idx[..., i] for i in range(idx.shape[-1]))
    return index.index_put(v, key, upd, accumulate=red == "add")


def compress(x, a):
    v, cond = tensor_of(x[0]), static(x[1], a, "condition").astype(bool)
    keep = tensor_of(np.nonzero(cond)[0].astype(np.int64))
    if "axis" not in a:
        return gather.index_select(v.reshape(-1), 0, keep[keep < v.numel()] if len(cond) > v.numel() else keep)
    d = axis(a, v)
    return gather.index_select(v, d, keep)


def reverse_sequence(x, a):
    v, lens = tensor_of(x[0]), ints(x[1])
    t_axis, b_axis = int(a.get("time_axis", 0)), int(a.get("batch_axis", 1))
    order = np.tile(np.arange(v.shape[t_axis]), (v.shape[b_axis], 1))
    for b, n in enumerate(lens):
        order[b, :n] = order[b, :n][::-1]
    idx = order.T if t_axis == 0 else order                    # (T, B) or (B, T), as the data
    shape = [1] * v.ndim
    shape[t_axis], shape[b_axis] = v.shape[t_axis], v.shape[b_axis]
    idx = tensor_of(idx.reshape(shape)).expand(*v.shape)
    return gather.gather(v, t_axis, idx)


def nonzero(x, a):
    return mask.nonzero(tensor_of(x[0])).T.long()


TENSOR_OPS = {
    "Reshape": reshape, "Flatten": flatten, "Squeeze": squeeze, "Unsqueeze": unsqueeze, "Transpose": transpose,
    "Concat": concat, "Split": split, "Slice": slice_, "Gather": gather_, "GatherElements": gather_elements,
    "GatherND": gather_nd, "ScatterElements": scatter_elements, "Expand": expand, "Tile": tile, "Shape": shape_of,
    "Size": lambda x, a: np.array(int(np.prod(x[0].shape, dtype=np.int64)), dtype=np.int64),
    "Constant": constant, "ConstantOfShape": constant_of_shape, "Range": range_, "Pad": pad, "OneHot": one_hot,
    "Trilu": trilu, "TopK": topk, "Dropout": dropout, "EyeLike": eye_like, "DepthToSpace": depth_to_space,
    "SpaceToDepth": space_to_depth, "NonZero": nonzero, "ScatterND": scatter_nd, "Compress": compress,
    "ReverseSequence": reverse_sequence,
}
