"""Einstein summation, as `torch.einsum`: letters name dims, '...' stands for the
broadcast dims, and the gradient of each operand is another einsum, so gradients of
gradients work.

    >>> import ember
    >>> a, b = ember.ones(2, 3), ember.ones(3, 4)
    >>> ember.einsum("ij,jk->ik", a, b).shape, ember.einsum("ii", ember.eye(3))
    (ember.Size([2, 4]), tensor(3.))
"""
import string

import numpy as np

from ember.autograd.checks import check_size
from ember.autograd.function import Function
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops._util import const
from ember.ops.linalg import _need_tensors
from ember.ops.registry import Sample, register

__all__ = ["einsum"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = ""
INPLACE = ""

_LETTERS = string.ascii_letters


class Einsum(Function):
    """`xp.einsum` on canonical subscripts (letters only, one size per letter); the
    gradient of each operand is another einsum, so gradients of gradients work."""

    def forward(self, *arrays, subscripts, output):
        dt = arrays[0].dtype
        for i, a in enumerate(arrays):
            if a.dtype != dt:
                raise DTypeError(f"einsum: expected all operands to have the same dtype, got {dtypes.dtype_of(a).name} "
                                 f"for operand {i} and {dtypes.dtype_of(arrays[0]).name} for operand 0")
        if dt == bool:
            raise DTypeError("einsum: bool operands are not supported; use .long() or .float()")
        self.subscripts, self.out_sub = subscripts, output
        work = [a.astype(np.float32) for a in arrays] if dt.name == "bfloat16" else arrays
        y = self.xp.einsum(",".join(subscripts) + "->" + output, *work, optimize=len(arrays) > 1)
        if len(arrays) == 1 and self.xp.may_share_memory(y, arrays[0]):
            y = y.copy()  # transposes and diagonals come back as views of the input
        return y if y.dtype == dt else y.astype(dt)

    def backward(self, g):
        return tuple(_einsum_grad(self, g, k) if x.requires_grad else None for k, x in enumerate(self.inputs))


def _einsum_grad(node, g, k):
    """The gradient of operand k: `g` contracted with the other operands onto k's subscripts.

    A letter repeated in operand k (a diagonal, as in "ii->i") gets fresh letters tied
    by a constant delta tensor, so the result is zero off the diagonal; a letter that only
    operand k has was summed out, so the gradient is constant along it (an expand).
    """
    subs, out, x = node.subscripts, node.out_sub, node.inputs[k]
    own = subs[k]
    others = [i for i in range(len(subs)) if i != k]
    elsewhere = set(out).union(*(subs[i] for i in others))
    spare = iter(c for c in _LETTERS if c not in set(out).union(*subs))
    target, groups = [], {}
    for c in own:
        if c in groups:
            c2 = next(spare, None)
            if c2 is None:
                raise ArgumentError(f"einsum: the gradient of {','.join(subs)}->{out} needs more than the 52 letters")
            groups[c].append(c2)
            target.append(c2)
        else:
            groups[c] = [c]
            target.append(c)
    operands = [g] + [node.inputs[i] for i in others]
    terms = [out] + [subs[i] for i in others]
    for c, group in groups.items():
        if len(group) > 1:
            operands.append(const(_delta(node.xp, x.shape[own.index(c)], len(group), g._data.dtype), g))
            terms.append("".join(group))
    lonely = {c for c, group in groups.items() if len(group) == 1 and c not in elsewhere}
    gk = Einsum.apply(*operands, subscripts=tuple(terms), output="".join(c for c in target if c not in lonely))
    if lonely:
        kept = [1 if c in lonely else x.shape[j] for j, c in enumerate(target)]
        gk = gk.reshape(kept).expand(tuple(x.shape))
    return gk


def _delta(xp, n, rank, dtype):
    """The tensor of `rank` dims of size n that is 1 where all indices are equal."""
    d = xp.zeros((n,) * rank, dtype)
    i = xp.arange(n)
    d[(i,) * rank] = 1
    return d


def _split_terms(equation, count):
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    bad = sorted(set(eq.replace("->", "").replace("...", "")) - set(_LETTERS) - {","})
    if bad or "->" in rhs:
        raise ArgumentError(f"einsum: invalid equation {equation!r}: use letters, ',', one '->' and '...'"
                            + (f" (got {''.join(bad)!r})" if bad else ""))
    terms = lhs.split(",")
    if len(terms) != count:
        raise ArgumentError(f"einsum: the equation {equation!r} has {len(terms)} operands but {count} tensors "
                            f"were given")
    for t in terms + [rhs]:
        if t.count("...") > 1:
            raise ArgumentError(f"einsum: {t!r} in {equation!r} has more than one '...'")
    return terms, (rhs if arrow else None)


def _parse_einsum(equation, shapes):
    """Subscripts with '...' replaced by spare letters, the output subscripts, and each letter's size."""
    terms, rhs = _split_terms(equation, len(shapes))
    ranks = []
    for i, (t, s) in enumerate(zip(terms, shapes)):
        n = len(t.replace("...", ""))
        if n > len(s) or ("..." not in t and n != len(s)):
            raise ShapeError(f"einsum: operand {i} has shape {s} (rank {len(s)}) but its subscripts {t!r} in "
                             f"{equation!r} name {n} dims" + ("" if "..." in t else " and there is no '...'"))
        ranks.append(len(s) - n)
    spare = [c for c in _LETTERS if c not in equation]
    if max(ranks) > len(spare):
        raise ArgumentError(f"einsum: too many dims for the 52 subscript letters in {equation!r}")
    fill = "".join(spare[:max(ranks)])
    terms = [t.replace("...", fill[len(fill) - r:] if r else "") for t, r in zip(terms, ranks)]
    if rhs is None:  # implicit output: '...' dims, then the letters used once, sorted
        counts = "".join(terms)
        out = fill + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in fill))
    else:
        out = rhs.replace("...", fill)
    for c in out:
        if out.count(c) > 1 or c not in "".join(terms):
            raise ArgumentError(f"einsum: output subscript {c!r} of {equation!r} "
                                + ("appears more than once" if out.count(c) > 1 else "appears in no operand"))
    return terms, out, _letter_sizes(equation, terms, shapes, fill)


def _letter_sizes(equation, terms, shapes, fill):
    sizes = {}
    for i, (t, s) in enumerate(zip(terms, shapes)):
        own = {}
        for c, d in zip(t, s):
            name = "a '...' dim" if c in fill else f"subscript {c!r}"
            if own.setdefault(c, d) != d:
                raise ShapeError(f"einsum: {name} is repeated in operand {i} (shape {s}) with sizes {own[c]} "
                                 f"and {d}; a diagonal needs equal sizes")
            prev = sizes.get(c, 1)
            if d != 1 and prev != 1 and d != prev:
                raise ShapeError(f"einsum: {name} has size {d} in operand {i} (shape {s}) but {prev} in an "
                                 f"earlier operand of {equation!r}; sizes must match or be 1")
            if prev == 1:
                sizes[c] = d
    return sizes


def _drop_broadcast_dims(operands, terms, sizes):
    """Size-1 dims whose letter is larger elsewhere are broadcast: reshape them away, so that
    every letter has one size in the primitive (and in its gradient einsums)."""
    operands, terms = list(operands), list(terms)
    for i, (t, sub) in enumerate(zip(operands, terms)):
        keep = [j for j, c in enumerate(sub) if t.shape[j] != 1 or sizes[c] == 1]
        if len(keep) != len(sub):
            operands[i] = t.reshape([t.shape[j] for j in keep])
            terms[i] = "".join(sub[j] for j in keep)
    return operands, terms


@register("einsum", lambda make: _einsum_samples(make), Einsum)
def einsum(equation, *operands):
    """Einstein summation, as `torch.einsum`: letters name dims, '...' stands for the
    broadcast dims, and without '->' the output is the letters used once, sorted.
    Operands may also come as one list.

        >>> a, b = ember.ones(2, 3), ember.ones(3, 4)
        >>> ember.einsum("ij,jk->ik", a, b).shape, ember.einsum("ii", ember.eye(3))
        (ember.Size([2, 4]), tensor(3.))
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise ArgumentError("einsum: the first argument must be the equation, e.g. einsum('ij,jk->ik', a, b); "
                            "the sublist format is not supported")
    if not operands:
        raise ArgumentError(f"einsum: {equation!r} needs at least one operand")
    _need_tensors("einsum", *((f"operand {i}", t) for i, t in enumerate(operands)))
    terms, out, sizes = _parse_einsum(equation, [tuple(t.shape) for t in operands])
    check_size("einsum", [sizes[c] for c in out], operands[0]._data.itemsize, "output shape")
    operands, terms = _drop_broadcast_dims(operands, terms, sizes)
    return Einsum.apply(*operands, subscripts=tuple(terms), output=out)


def _einsum_samples(make):
    return [Sample(("ij,jk->ik", make(3, 4), make(4, 5)), name="matmul"),
            Sample(("bij,bjk->bik", make(2, 3, 4), make(2, 4, 5)), name="bmm"),
            Sample(("i,j->ij", make(3), make(4)), name="outer"),
            Sample(("ij->ji", make(3, 4)), name="transpose"),
            Sample(("ii->", make(3, 3)), name="trace"),
            Sample(("ii->i", make(3, 3)), name="diagonal"),
            Sample(("ij->i", make(3, 4)), name="sum"),
            Sample(("ij,ij->", make(3, 4), make(3, 4)), name="frobenius"),
            Sample(("...ij,...jk->...ik", make(2, 1, 3, 4), make(5, 4, 2)), name="ellipsis-broadcast"),
            Sample(("ij,jk,kl->il", make(2, 3), make(3, 4), make(4, 2)), name="three"),
            Sample(("ij,jk", make(3, 4), make(4, 2)), name="implicit"),
            Sample(("bij,j->bi", make(2, 3, 4), make(1)), name="broadcast-letter"),
            Sample(("iij,j->ij", make(3, 3, 2), make(2)), name="diagonal-product"),
            Sample(("ij,jk->ik", [make(4, 3, noncontig=True), make(3, 2)]), name="list-noncontig"),
            Sample(("ij,jk->ik", make(0, 3), make(3, 2)), name="empty")]
