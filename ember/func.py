"""Function transforms and control flow from PyTorch's top level and `torch.func`: `vmap`, `cond`,
`while_loop`. ember runs them eagerly: `vmap` calls the function once per batch element and stacks the
results (same values and gradients as PyTorch's batched rules; slower, and randomness is always
'different' per element), `cond` and `while_loop` run the branch or the loop in Python.

    >>> import ember
    >>> dot = lambda a, b: (a * b).sum()
    >>> ember.vmap(dot)(ember.ones(3, 2), ember.ones(3, 2))
    tensor([2., 2., 2.])
"""
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops.join import stack

__all__ = ["vmap", "cond", "while_loop"]


def _in_dims(in_dims, args):
    dims = tuple(in_dims) if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
    if len(dims) != len(args):
        raise ArgumentError(f"vmap: in_dims has {len(dims)} entries for {len(args)} arguments")
    for a, d in zip(args, dims):
        if d is not None and (not isinstance(d, int) or not isinstance(a, Tensor)):
            raise ArgumentError(f"vmap: in_dims entries must be ints for tensor arguments or None, got {d!r} for "
                                f"{type(a).__name__} (nested in_dims are not supported)")
    return dims


def _stack_outputs(results, out_dims):
    first = results[0]
    if isinstance(first, Tensor):
        return stack(results, out_dims if isinstance(out_dims, int) else out_dims[0])
    if isinstance(first, (tuple, list)):
        dims = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(first)
        return type(first)(_stack_outputs([r[k] for r in results], dims[k]) for k in range(len(first)))
    raise DTypeError(f"vmap: the function must return tensors (or tuples of them), got {type(first).__name__}")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """`func` mapped over dim `in_dims` of its tensor arguments (None: shared), outputs stacked at `out_dims`."""
    if randomness not in ("error", "different", "same"):
        raise ArgumentError(f"vmap: randomness must be 'error', 'different' or 'same', got {randomness!r}")
    if randomness == "same":
        raise ArgumentError("vmap: randomness='same' is not supported (ember draws per element: 'different')")

    def batched(*args):
        dims = _in_dims(in_dims, args)
        sizes = {a.shape[d] for a, d in zip(args, dims) if d is not None}
        if len(sizes) != 1:
            raise ShapeError(f"vmap: the mapped dims must have one size, got sizes {sorted(sizes)}" if sizes else
                             "vmap: at least one argument must be mapped (in_dims all None)")
        n = sizes.pop()
        if n == 0:
            raise ShapeError("vmap: cannot map over a dim of size 0")
        results = [func(*[a.select(d, i) if d is not None else a for a, d in zip(args, dims)]) for i in range(n)]
        return _stack_outputs(results, out_dims)
    return batched


def cond(pred, true_fn, false_fn, operands=()):
    """`true_fn(*operands)` if `pred` (a bool or one-element tensor) else `false_fn(*operands)`."""
    if isinstance(pred, Tensor) and pred.numel() != 1:
        raise ShapeError(f"cond: pred must have one element, got shape {tuple(pred.shape)}")
    return (true_fn if bool(pred) else false_fn)(*operands)


def while_loop(cond_fn, body_fn, carried_inputs):
    """Run `carried = body_fn(*carried)` while `cond_fn(*carried)`; the final carried values (a tuple)."""
    carried = tuple(carried_inputs)
    while bool(cond_fn(*carried)):
        out = body_fn(*carried)
        out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        if len(out) != len(carried):
            raise ArgumentError(f"while_loop: body_fn returned {len(out)} values for {len(carried)} carried inputs")
        carried = out
    return carried
