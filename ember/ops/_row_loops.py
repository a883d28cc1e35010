"""Embedding's weight gradient in one pass (the `fast` extra: numba; ember/backend/jit.py).

The gradient adds each output-gradient row into the weight row its index names, repeats adding
up. In NumPy that is `add.at` (slow on rows) or fancy `+=` in rounds of distinct rows
(ember/ops/_indexing.py's `_add_rows`: a sort, then one pass per repeat; ~1 ms for 2048 rows
into 96). This loop adds the rows in input order, as the rounds do, so both paths give the same
sums bit for bit; at that size it takes ~25 us. `False` where it does not apply (no numba, not
C-contiguous NumPy float32/float64 rows): dense.py runs its ember ops instead.

    >>> import numpy as np
    >>> out = np.zeros((2, 1), np.float32)
    >>> embedding_grad(out, np.array([1, 1]), np.ones((2, 1), np.float32), None, -1)
    True
    >>> out.ravel().tolist()
    [0.0, 2.0]
"""
import numpy as np

from ember.backend.jit import Kernel


def _embedding_grad_loop(out, index, rows, scale, pad):
    # out += rows into the rows `index` names, each row times its scale, the `pad` row skipped
    # (PyTorch's rule: padding_idx gets no gradient at all, not a zero-weighted one)
    for r in range(index.shape[0]):
        i = index[r]
        if i == pad:
            continue
        s = scale[r]
        for j in range(rows.shape[1]):
            out[i, j] += rows[r, j] * s


def _embedding_grad_plain_loop(out, index, rows, pad):
    for r in range(index.shape[0]):
        i = index[r]
        if i == pad:
            continue
        for j in range(rows.shape[1]):
            out[i, j] += rows[r, j]


_SCALED, _PLAIN = Kernel(_embedding_grad_loop), Kernel(_embedding_grad_plain_loop)


def embedding_grad(out, index, rows, scale, pad):
    """`out[index[r]] += rows[r] * scale[r]` for every r in order, except where `index[r] == pad`
    (pass -1 for none; `scale` None for 1); False (nothing done) where the kernel does not apply."""
    kernel = (_PLAIN if scale is None else _SCALED).get()
    if kernel is None or type(rows) is not np.ndarray or rows.dtype not in (np.float32, np.float64) or \
            not rows.flags.c_contiguous or out.dtype != rows.dtype or type(index) is not np.ndarray:
        return False
    if scale is None:
        kernel(out, index, rows, pad)
    else:
        kernel(out, index, rows, scale, pad)
    return True
