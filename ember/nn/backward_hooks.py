"""Module backward hooks: `register_full_backward_hook` and `register_full_backward_pre_hook`.

A module with such hooks passes its tensor inputs (before `forward`) and its outputs (after the
forward hooks) through identity autograd functions. The outputs' node sees the gradients with
respect to the outputs (`grad_output`); the inputs' node sees those with respect to the inputs
(`grad_input`), all at once, and calls the hooks there, as PyTorch does:

    >>> lin = ember.nn.Linear(2, 1)
    >>> h = lin.register_full_backward_hook(lambda m, gi, go: print(go[0].tolist()))
    >>> lin(ember.ones(1, 2, requires_grad=True)).sum().backward()
    [[1.0]]
"""
from ember.autograd import grad_mode
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor


class _HookState:
    """What one call of the module shares between its output node and its input node."""

    def __init__(self, module, n_inputs, inputs_need_grad):
        self.module, self.n_inputs, self.inputs_need_grad = module, n_inputs, inputs_need_grad
        self.grad_output = None


class _BackwardHookOutputs(Function):
    @staticmethod
    def forward(ctx, state, *outputs):
        ctx.state = state
        return outputs

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        for hook in list(state.module._backward_pre_hooks.values()):
            result = hook(state.module, grads)
            if result is not None:   # a pre-hook may replace grad_output
                grads = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        state.grad_output = grads
        if not state.inputs_need_grad:   # no input node will run: the hooks see grad_input of Nones
            _call_hooks(state, (None,) * state.n_inputs)
        return (None, *grads)


class _BackwardHookInputs(Function):
    @staticmethod
    def forward(ctx, state, at, *inputs):
        ctx.state, ctx.at = state, at
        # as in PyTorch: an input that needs no grad stays so, and its grad_input entry reads zeros
        ctx.mark_non_differentiable(*[t for t in inputs if not t.requires_grad])
        return inputs

    @staticmethod
    def backward(ctx, *grads):
        # one entry per positional argument, None for non-tensors
        grad_input = [None] * ctx.state.n_inputs
        for i, g in zip(ctx.at, grads):
            grad_input[i] = g
        grad_input = _call_hooks(ctx.state, tuple(grad_input))
        return (None, None, *(grad_input[i] for i in ctx.at))


def _call_hooks(state, grad_input):
    for hook in list(state.module._backward_hooks.values()):
        result = hook(state.module, grad_input, state.grad_output)
        if result is not None:   # a hook may replace grad_input
            grad_input = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    return grad_input


def wrap_inputs(module, args):
    """`args` with their tensors routed through the input node; the state for `wrap_outputs`."""
    if not grad_mode.is_grad_enabled():
        return args, None
    at = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    need = any(args[i].requires_grad for i in at)
    state = _HookState(module, len(args), need)
    if not need:
        return args, state
    routed = _BackwardHookInputs.apply(state, at, *(args[i] for i in at))
    args = list(args)
    for i, t in zip(at, routed):
        args[i] = t
    return tuple(args), state


def wrap_outputs(state, out):
    """`out` (a tensor or a tuple/list of them) routed through the output node."""
    if state is None:
        return out
    single = isinstance(out, Tensor)
    items = [out] if single else list(out) if isinstance(out, (tuple, list)) else []
    at = [i for i, o in enumerate(items) if isinstance(o, Tensor) and o.requires_grad]
    if not at:
        return out
    routed = _BackwardHookOutputs.apply(state, *(items[i] for i in at))
    for i, t in zip(at, routed):
        items[i] = t
    return items[0] if single else type(out)(items)
