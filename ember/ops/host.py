"""`HostCompute`: a computation of values with no gradient (counts, indices, masks) done by a Python
function on the input arrays, recorded as one primitive, so a compiled graph reruns it on new inputs
instead of replaying the values seen while tracing.

    >>> import ember
    >>> from ember.ops.host import host_compute
    >>> host_compute(lambda a: a.argsort(), ember.tensor([3.0, 1.0, 2.0]))
    tensor([1, 2, 0])
"""
from ember.autograd.function import Function

__all__ = []
METHODS = ""
INPLACE = ""


class HostCompute(Function):
    """`fn(*arrays)` as a primitive without gradient; `fn` must return an array of the same module."""
    differentiable = False
    save_inputs = False
    internal = True  # reached through the ops that use it (histc, bincount, mode, cummax, ...), tested there

    def forward(self, *arrays, fn=None):
        return self.xp.asarray(fn(*arrays))

    def backward(self, *grads):
        return (None,) * len(self.inputs)


def host_compute(fn, *tensors):
    """Run `fn` on the tensors' arrays as one recorded, non-differentiable primitive."""
    return HostCompute.apply(*(t.detach() for t in tensors), fn=fn)
