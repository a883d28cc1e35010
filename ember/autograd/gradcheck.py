"""`gradcheck` and `gradgradcheck`: analytic gradients against central finite differences.

    >>> import ember
    >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    >>> ember.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
    True
"""
import numpy as np

from ember.errors import AutogradError
from ember.autograd import engine, grad_mode
from ember.autograd.tensor import Tensor, _wrap


class GradcheckError(AutogradError):
    """Analytic and numerical gradients disagree."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.is_floating_point]


def _numerical(fn, inputs, diff, eps):
    """Jacobians d(out)/d(input) by central differences: {(out k, input i): array (out.size, in.size)}."""
    with grad_mode.no_grad():
        base = _outputs(fn, inputs)
        jac = {}
        for i in diff:
            x = inputs[i]._data
            cols = []
            for j in range(x.size):
                at = np.unravel_index(j, x.shape)  # works for non-contiguous inputs too
                orig = x[at].copy()
                x[at] = orig + eps
                plus = [o._data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
                x[at] = orig - eps
                minus = [o._data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
                x[at] = orig
                cols.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
            for k, o in enumerate(base):
                jac[k, i] = np.stack([c[k] for c in cols], axis=1) if cols else np.zeros((o._data.size, 0))
    return jac, base


def _analytic(fn, inputs, diff, create_graph=False):
    outs = _outputs(fn, inputs)
    jac = {}
    for k, o in enumerate(outs):
        rows = {i: [] for i in diff}
        for r in range(o._data.size):
            if not o._rg:
                for i in diff:
                    rows[i].append(np.zeros(inputs[i]._data.size))
                continue
            seed = np.zeros(o._data.size, dtype=o._data.dtype)
            seed[r] = 1
            gs = engine.grad([o], [inputs[i] for i in diff], [_wrap(seed.reshape(o._data.shape), o._device)],
                             retain_graph=True, allow_unused=True, create_graph=create_graph)
            for i, g in zip(diff, gs):
                rows[i].append(np.zeros(inputs[i]._data.size) if g is None else
                               np.asarray(g._data, dtype=np.float64).reshape(-1))
        for i in diff:
            jac[k, i] = np.stack(rows[i]) if rows[i] else np.zeros((0, inputs[i]._data.size))
    return jac


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0):
    """Check `fn`'s gradients for every input that requires grad (use float64 inputs).

    Returns True, or raises `GradcheckError` naming the output, input and the
    largest difference (returns False with `raise_exception=False`).
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._rg]
    for i in diff:
        if inputs[i].dtype.name != "float64":
            raise AutogradError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 inputs, "
                                f"finite differences in lower precision are not meaningful")
    num, _ = _numerical(fn, inputs, diff, eps)
    ana = _analytic(fn, inputs, diff)
    for key, n in num.items():
        a = ana[key]
        if a.shape != n.shape or not np.allclose(a, n, rtol=rtol, atol=atol):
            if not raise_exception:
                return False
            err = np.abs(a - n).max() if a.shape == n.shape else f"shape {a.shape} vs {n.shape}"
            raise GradcheckError(f"gradcheck: Jacobian mismatch for output {key[0]} with respect to "
                                 f"input {key[1]}: max difference {err}\nanalytic:\n{a}\nnumerical:\n{n}")
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check second derivatives: gradcheck of the function (inputs, v) -> vector-Jacobian product."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._rg]
    outs = _outputs(fn, inputs)
    rng = np.random.default_rng(0)
    if grad_outputs is None:
        grad_outputs = [_wrap(rng.standard_normal(o._data.shape), o._device).requires_grad_()
                        for o in outs]
    n = len(inputs)

    def vjp(*args):
        # gradcheck's finite differences run under no_grad; the vjp itself needs the graph
        with grad_mode.enable_grad():
            xs, vs = args[:n], args[n:]
            outs = _outputs(fn, xs)
            used = [(o, v) for o, v in zip(outs, vs) if o._rg]
            if not used:
                return ()
            gs = engine.grad([o for o, _ in used], [xs[i] for i in diff], [v for _, v in used],
                             create_graph=True, allow_unused=True)
            return tuple(g for g in gs if g is not None)

    return gradcheck(vjp, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
