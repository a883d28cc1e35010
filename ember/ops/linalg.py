"""Linear algebra: matmul with batching and broadcasting, mm, bmm, einsum, outer, dot, tensordot."""
from ember.autograd.function import Function
from ember.ops.registry import Sample, register

__all__ = []

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = ""
INPLACE = ""
