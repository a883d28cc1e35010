"""Level 1: the primitive ops, one module per family, composites, and the op registry.

Each family module lists its public ops in `__all__` (exported as `ember.<op>`, as
PyTorch exports `torch.<op>`), its Tensor methods in `METHODS` and those with an
in-place `name_` form in `INPLACE`. Adding a family is one entry in FAMILIES.
Importing this package binds the ops to `Tensor` (see `tensor_methods`).
"""
from ember.ops import (activation, arrange, attention, binary, compare, conv, convert, creation, dense, diag, dropout,
                       einsum, extreme, fill, gather, host, index, join, layout, linalg, linalg_more, loss, mask, mathfn,
                       norm, pool, query, real, reduce, recurrent, registry, scan, shape, softmax, sort, stats, tensor_info, trig,
                       unary, windows)
from ember.ops import copies, scatter_more  # PyTorch's functional forms and more indexing
from ember.ops import search  # indexed writes, searching and sets (split from layout)
from ember.ops import tensor_methods
from ember.ops.registry import REGISTRY

FAMILIES = (unary, binary, reduce, scan, extreme, shape, join, arrange, index, gather, mask, sort, convert,
            creation, fill, linalg, einsum, diag, activation, softmax, dense, dropout, conv, pool, norm, attention, loss,
            recurrent, compare, trig, mathfn, stats, layout, linalg_more, query, real, windows, tensor_info,
            copies, scatter_more, search)

from ember.ops import ctc, grid3d, mapped, segment, strided, special_extra  # PyTorch's remaining top-level ops
FAMILIES += (strided, special_extra, segment, mapped, ctc, grid3d)

for _family in FAMILIES:  # every public function guarded, not only the registry's primitives
    registry.guard_module(_family, _family.__all__ + getattr(_family, "FUNCTIONAL", "").split())
del _family
tensor_methods.bind(FAMILIES)
