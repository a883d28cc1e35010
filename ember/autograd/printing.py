"""How tensors print, as PyTorch's `torch._tensor_str`: `set_printoptions(precision, threshold, edgeitems,
linewidth, profile, sci_mode)` and the formatter that `repr(tensor)` uses. Floats print with `precision`
digits, as integers with a trailing dot when every finite value is whole, or in scientific notation when
the magnitudes span more than 1000x (or reach 1e8, or go below 1e-4); `sci_mode` forces it on or off.

    >>> import ember
    >>> ember.tensor([1.0, 2.5])
    tensor([1.0000, 2.5000])
    >>> ember.set_printoptions(precision=2)
    >>> ember.tensor([1.0, 2.5])
    tensor([1.00, 2.50])
    >>> ember.set_printoptions(profile="default")
"""
import math

import numpy as np

from ember.errors import ArgumentError

__all__ = ["set_printoptions", "get_printoptions", "tensor_str"]

PROFILES = {"default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
            "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
            "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80}}
PRINT_OPTS = dict(PROFILES["default"], sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set how tensors print (PyTorch's arguments): `profile` ('default', 'short', 'full') first, then
    each option given; `sci_mode` True/False forces scientific notation on/off, None picks it."""
    if profile is not None:
        if profile not in PROFILES:
            raise ArgumentError(f"set_printoptions: unknown profile {profile!r}; use one of {sorted(PROFILES)}")
        PRINT_OPTS.update(PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            PRINT_OPTS[name] = value
    PRINT_OPTS["sci_mode"] = sci_mode


def get_printoptions():
    """The current print options, a dict."""
    return dict(PRINT_OPTS)


class _Formatter:
    """One width and style for every element of a tensor (decided from the elements shown)."""

    def __init__(self, a):
        self.floating = a.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        p = PRINT_OPTS["precision"]
        if not self.floating:
            self.width = max([len(_plain(v)) for v in a.reshape(-1).tolist()] or [1])
            return
        finite = a[np.isfinite(a) & (a != 0)].astype(np.float64)
        if not finite.size:
            return
        lo, hi = np.abs(finite).min(), np.abs(finite).max()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if PRINT_OPTS["sci_mode"] is None \
            else PRINT_OPTS["sci_mode"]
        if self.sci_mode:
            self.width = max(len(f"{v:.{p}e}") for v in finite.tolist())
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in finite.tolist())
        else:
            self.width = max(len(f"{v:.{p}f}") for v in finite.tolist())

    def format(self, v):
        p = PRINT_OPTS["precision"]
        if not self.floating:
            s = _plain(v)
        elif self.sci_mode:
            s = f"{v:{self.width}.{p}e}"
        elif self.int_mode:
            s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            s = f"{v:.{p}f}"
        return " " * (self.width - len(s)) + s


def _plain(v):
    return str(v)


def _summarized(a, edge):
    """The elements a summarized print shows (for choosing the format)."""
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * edge:
        parts = [a[:edge], a[-edge:]] if edge else [a[:0]]
        a = np.concatenate(parts)
    if a.ndim == 1:
        return a
    return np.stack([_summarized(row, edge) for row in a]) if len(a) else a


def _vector(a, indent, summarize, fmt):
    edge = PRINT_OPTS["edgeitems"]
    per_line = max(1, int(math.floor((PRINT_OPTS["linewidth"] - indent) / (fmt.width + 2))))
    if summarize and not edge:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * edge:
        data = [fmt.format(v) for v in a[:edge].tolist()] + [" ..."] + [fmt.format(v) for v in a[-edge:].tolist()]
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a, indent, summarize, fmt):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    edge = PRINT_OPTS["edgeitems"]
    rows = range(a.shape[0])
    if summarize and a.shape[0] > 2 * edge:
        rows = list(range(edge)) + [None] + list(range(a.shape[0] - edge, a.shape[0]))
    parts = ["..." if i is None else _nested(a[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_str(a, indent):
    """The values part of a tensor's repr, for a NumPy array `a` (float16/bfloat16 given as float32)."""
    summarize = a.size > PRINT_OPTS["threshold"]
    fmt = _Formatter(_summarized(a, PRINT_OPTS["edgeitems"]) if summarize else a)
    return _nested(a, indent, summarize, fmt)
