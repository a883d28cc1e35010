"""Level 1: the primitive ops, one module per family, composites, and the op registry.

Importing this package binds the ops to `Tensor` (see `tensor_methods`).
"""
from ember.ops import binary, convert, creation, index, linalg, reduce, registry, shape, unary
from ember.ops import tensor_methods
from ember.ops.registry import REGISTRY

tensor_methods.bind()
