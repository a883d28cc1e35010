"""The connectionist temporal classification loss (Graves et al., 2006): the negative log likelihood of
each target sequence summed over every alignment of it to the input frames, by the forward (alpha)
recursion in log space over the target with blanks between its labels.

It is a composite of ember ops (a loop over time), so its gradient is autograd's: through
`log_softmax` it equals PyTorch's.

    >>> import ember
    >>> lp = ember.full((3, 1, 2), 0.5).log()           # T=3 frames, 1 sequence, classes {blank, 1}
    >>> float(ember.nn.functional.ctc_loss(lp, ember.tensor([[1]]), [3], [1], reduction="sum"))
    0.5389965...
"""
import numpy as np

from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import binary, join, shape as _shape
from ember.ops._util import const

__all__ = []
METHODS = ""
INPLACE = ""
FUNCTIONAL = "ctc_loss"
_REDUCTIONS = ("none", "mean", "sum")
_IMPOSSIBLE = -1e30  # log(0) kept finite, so impossible paths carry no NaN into the gradient


def _lengths(op, name, value, n):
    a = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
    if a.dtype.kind not in "iu" or a.reshape(-1).shape != (n,):
        raise ArgumentError(f"{op}: {name} must hold {n} integers (one per sequence), got {a.tolist()!r}")
    return a.reshape(-1).astype(np.int64)


def _padded_targets(op, targets, target_lengths, n, blank, classes):
    t = targets.numpy() if isinstance(targets, Tensor) else None
    if t is None or t.dtype.kind not in "iu":
        raise DTypeError(f"{op}: targets must be an integer tensor, got {getattr(targets, 'dtype', type(targets))}")
    if t.ndim == 2:
        if t.shape[0] != n or (target_lengths > t.shape[1]).any():
            raise ShapeError(f"{op}: padded targets of shape {t.shape} must have {n} rows, each at least as long "
                             f"as its target length {target_lengths.tolist()}")
        rows = [t[i, :k] for i, k in enumerate(target_lengths)]
    elif t.ndim == 1:
        if t.size != target_lengths.sum():
            raise ShapeError(f"{op}: concatenated targets hold {t.size} labels, target_lengths sum to "
                             f"{int(target_lengths.sum())}")
        rows = np.split(t, np.cumsum(target_lengths)[:-1])
    else:
        raise ShapeError(f"{op}: targets must be 1-d (concatenated) or 2-d (padded), got shape {t.shape}")
    longest = max([len(r) for r in rows] + [0])
    out = np.full((n, longest), blank, dtype=np.int64)
    for i, r in enumerate(rows):
        if ((r < 0) | (r >= classes) | (r == blank)).any():
            raise ArgumentError(f"{op}: target {i} has labels {r.tolist()}; each must be in [0, {classes}) and not "
                                f"the blank {blank}")
        out[i, :len(r)] = r
    return out


def _extended(labels, target_lengths, blank):
    """Targets with blanks around every label, (N, 2S+1); where a skip of two positions is allowed;
    which positions lie inside each sequence's extended target."""
    n, s = labels.shape
    ext = np.full((n, 2 * s + 1), blank, dtype=np.int64)
    ext[:, 1::2] = labels
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    valid = np.arange(2 * s + 1)[None, :] < (2 * target_lengths + 1)[:, None]
    return ext, skip, valid


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """CTC loss of `log_probs` (T, N, C) (or (T, C) for one sequence), log-probabilities over C classes,
    against `targets` (N, S) padded or 1-d concatenated. 'mean' divides each loss by its target length
    and averages; an impossible alignment gives inf (0 with `zero_infinity`, with no gradient)."""
    op = "ctc_loss"
    if not isinstance(log_probs, Tensor) or log_probs.dtype.name not in ("float32", "float64"):
        raise DTypeError(f"{op}: log_probs must be a float32 or float64 tensor, got "
                         f"{getattr(log_probs, 'dtype', type(log_probs).__name__)}")
    if reduction not in _REDUCTIONS:
        raise ArgumentError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    single = log_probs.ndim == 2
    if single:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.reshape(1, -1) if isinstance(targets, Tensor) else targets
    if log_probs.ndim != 3:
        raise ShapeError(f"{op}: log_probs must be (T, N, C) or (T, C), got shape {tuple(log_probs.shape)}")
    frames, n, classes = log_probs.shape
    if isinstance(blank, bool) or not isinstance(blank, int) or not 0 <= blank < classes:
        raise ArgumentError(f"{op}: blank must be a class index in [0, {classes}), got {blank!r}")
    in_len = _lengths(op, "input_lengths", input_lengths, n)
    tgt_len = _lengths(op, "target_lengths", target_lengths, n)
    if (in_len < 0).any() or (in_len > frames).any() or (tgt_len < 0).any():
        raise ArgumentError(f"{op}: input_lengths {in_len.tolist()} must lie in [0, {frames}] and target_lengths "
                            f"{tgt_len.tolist()} be non-negative")
    ext, skip, valid = _extended(_padded_targets(op, targets, tgt_len, n, blank, classes), tgt_len, blank)
    loss = _forward(log_probs, ext, skip, valid, in_len, tgt_len)
    impossible = const(loss.detach().numpy() > -_IMPOSSIBLE / 10, loss)
    loss = binary.where(impossible, 0.0 if zero_infinity else float("inf"), loss)
    if reduction == "mean":
        return (loss / const(np.maximum(tgt_len, 1).astype(loss.dtype.np), loss)).mean()
    if reduction == "sum":
        return loss.sum()
    return loss[0] if single else loss


def _forward(log_probs, ext, skip, valid, in_len, tgt_len):
    """-log of the summed probability of every alignment, per sequence (N,)."""
    frames, n, _ = log_probs.shape
    width = ext.shape[1]
    index = const(np.broadcast_to(ext, (frames,) + ext.shape).copy(), log_probs)
    emit = log_probs.gather(2, index)                                            # (T, N, 2S+1)
    floor = lambda shape: const(np.full(shape, _IMPOSSIBLE, dtype=log_probs.dtype.np), log_probs)  # noqa: E731
    start = np.zeros((n, width), dtype=bool)
    start[:, 0] = True
    start[:, 1] = tgt_len > 0
    alpha = binary.where(const(start & valid, log_probs), emit[0], floor((n, width)))
    skip_t, valid_t = const(skip, log_probs), const(valid, log_probs)
    for t in range(1, frames):
        one = join.cat([floor((n, 1)), alpha[:, :-1]], 1)
        two = binary.where(skip_t, join.cat([floor((n, 2)), alpha[:, :-2]], 1), floor((n, width)))
        new = join.stack([alpha, one, two], 0).logsumexp(0) + emit[t]
        new = binary.where(valid_t, new, floor((n, width)))
        alpha = binary.where(const((t < in_len)[:, None], log_probs), new, alpha)
    last = const((2 * tgt_len)[:, None], log_probs)
    before = const(np.maximum(2 * tgt_len - 1, 0)[:, None], log_probs)
    end = alpha.gather(1, last)
    prev = binary.where(const((tgt_len > 0)[:, None], log_probs), alpha.gather(1, before), floor((n, 1)))
    total = join.cat([end, prev], 1).logsumexp(1)
    return _shape.reshape(-total, (n,))
