"""`checkpoint(function, *args)`: activation checkpointing, as `torch.utils.checkpoint`.

The forward runs without recording a graph (its activations are freed); the backward runs
`function` again on the saved inputs, with the random state of the first run (dropout draws the
same masks), and differentiates that. Outputs and gradients are those of `function(*args)`.

    >>> block = ember.nn.Sequential(ember.nn.Linear(4, 4), ember.nn.ReLU())
    >>> x = ember.randn(2, 4, requires_grad=True)
    >>> checkpoint(block, x, use_reentrant=False).sum().backward()
    >>> x.grad.shape
    ember.Size([2, 4])

The parameters that are differentiated are those of `function` when it is a Module or a Module's
method; any other callable is run without recomputation (same results, no memory saved), since
the tensors it closes over cannot be found.
"""
from ember.autograd import Function, Tensor, enable_grad, grad
from ember.backend.random import get_rng_state, set_rng_state
from ember.errors import ArgumentError
from ember.nn.module import Module

__all__ = ["checkpoint"]


class _Recompute(Function):
    @staticmethod
    def forward(ctx, plan, *tensors):
        ctx.plan = plan
        ctx.rng = get_rng_state() if plan.preserve_rng_state else None
        ctx.save_for_backward(*tensors)
        return plan.run(tensors)

    @staticmethod
    def backward(ctx, *grad_outputs):
        plan, saved = ctx.plan, ctx.saved_tensors
        n_args = len(saved) - len(plan.params)
        inputs = [t.detach().requires_grad_(t.requires_grad) for t in saved[:n_args]]
        current = get_rng_state()
        if ctx.rng is not None:
            set_rng_state(ctx.rng)
        try:
            with enable_grad():
                out = plan.run(inputs + list(plan.params))
        finally:
            set_rng_state(current)
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [(o, g) for o, g in zip(outs, grad_outputs) if isinstance(o, Tensor) and o.requires_grad
                 and g is not None]
        wrt = [t for t in inputs + list(plan.params) if t.requires_grad]
        found = iter(grad([o for o, _ in pairs], wrt, [g for _, g in pairs], allow_unused=True)
                     if pairs and wrt else [None] * len(wrt))
        return (None, *[next(found) if t.requires_grad else None for t in inputs + list(plan.params)])


class _Plan:
    """How to call `function` again from the flat list of tensors (the args', then the parameters)."""

    def __init__(self, function, args, kwargs, params, preserve_rng_state):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.params, self.preserve_rng_state = params, preserve_rng_state
        self.slots = [i for i, a in enumerate(args) if isinstance(a, Tensor)]

    def run(self, tensors):
        args = list(self.args)
        for i, t in zip(self.slots, tensors):
            args[i] = t
        return self.function(*args, **self.kwargs)


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               preserve_rng_state=True, **kwargs):
    """`function(*args, **kwargs)`, keeping only its inputs for the backward pass (see the module docstring)."""
    if context_fn is not None or determinism_check != "default" or debug:
        raise ArgumentError("checkpoint: context_fn, determinism_check and debug are not supported by ember")
    if kwargs and use_reentrant is not False:
        raise ArgumentError("checkpoint: keyword arguments for the function need use_reentrant=False, as in PyTorch")
    owner = function if isinstance(function, Module) else getattr(function, "__self__", None)
    if not isinstance(owner, Module):
        return function(*args, **kwargs)
    params = [p for p in owner.parameters()]
    plan = _Plan(function, args, kwargs, params, preserve_rng_state)
    return _Recompute.apply(plan, *[args[i] for i in plan.slots], *params)
