"""The one-pass numba update kernels (ember/optim/_fused.py) against the optimizers' NumPy code:
the same trajectory, bit for bit, in float32 and float64, for every option the kernels cover."""
import numpy as np
import pytest

import ember
from ember.backend import jit
from ember.optim import _fused

pytest.importorskip("numba")

CASES = {
    "adam": lambda ps: ember.optim.Adam(ps, lr=0.01),
    "adamw": lambda ps: ember.optim.AdamW(ps, lr=0.01, weight_decay=0.1),
    "adam-maximize": lambda ps: ember.optim.Adam(ps, lr=0.01, maximize=True, weight_decay=0.01),
    "sgd": lambda ps: ember.optim.SGD(ps, lr=0.1),
    "sgd-momentum": lambda ps: ember.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1),
    "sgd-nesterov": lambda ps: ember.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "rmsprop": lambda ps: ember.optim.RMSprop(ps, lr=0.01),
    "rmsprop-momentum": lambda ps: ember.optim.RMSprop(ps, lr=0.01, momentum=0.9),
    "keras-adam": lambda ps: ember.keras.optimizers.Adam(learning_rate=0.01).build(ps),
    "keras-adamw": lambda ps: ember.keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.1).build(ps),
}


def _trajectory(case, dtype, numba):
    before = jit.set_enabled(numba)
    try:
        rng = np.random.default_rng(0)
        params = [ember.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
                  for s in ((7, 5), (5,), (3, 2, 4))]
        opt = CASES[case](params)
        history = []
        for _ in range(5):
            for p in params:
                p.grad = ember.tensor(rng.standard_normal(p.shape).astype(dtype))
            opt.step()
            history.append([p.detach().numpy().copy() for p in params])
        return history
    finally:
        jit.set_enabled(before)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(CASES))
def test_numba_kernels_equal_the_numpy_path(case, dtype):
    fast, slow = _trajectory(case, dtype, True), _trajectory(case, dtype, False)
    kernel = {"adam": _fused._ADAM, "keras": _fused._ADAM_KERAS, "sgd": _fused._SGD,
              "rmsprop": _fused._RMSPROP}[case.split("-")[0].rstrip("w")]
    assert kernel.compiled is not None  # the fast path ran
    for step_fast, step_slow in zip(fast, slow):
        for a, b in zip(step_fast, step_slow):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case", ["adam", "keras-adam"])
@pytest.mark.parametrize("compiled", [False, True])
def test_group_loop_equals_each_parameter_alone(case, compiled):
    """Adam's group loop (_fused.adam_group, adam_keras_group) gives the per-parameter kernels' and the
    NumPy path's bits: with a strided (transposed) gradient, a parameter left out of some steps (so
    the step counts differ), float32 and float64 parameters in one group, eager and compiled."""
    def run(mode):
        before, group_loop = jit.set_enabled(mode != "numpy"), {}
        if mode == "alone":  # each parameter through the optimizer's own _update
            group_loop = {"adam_group": _fused.adam_group, "adam_keras_group": _fused.adam_keras_group}
            _fused.adam_group = _fused.adam_keras_group = lambda *a, **k: False
        try:
            rng = np.random.default_rng(0)
            params = [ember.tensor(rng.standard_normal(s).astype(dt), requires_grad=True)
                      for s, dt in (((7, 5), "float32"), ((5,), "float32"), ((3, 4), "float64"))]
            opt = CASES[case](params)

            def step(g0, g1, g2):
                for p, g in zip(params, (g0.mT, g1, g2)):
                    p.grad = g
                opt.step()
            fn = ember.compile(step) if compiled else step
            history = []
            for i in range(4):
                g0, g1, g2 = (ember.tensor(rng.standard_normal(s).astype(p.dtype.name)) for s, p in
                              zip(((5, 7), (5,), (3, 4)), params))
                if i == 2 and not compiled:  # the second parameter sits this step out
                    params[0].grad, params[1].grad, params[2].grad = g0.mT, None, g2
                    opt.step()
                else:
                    fn(g0, g1, g2)
                history.append([p.detach().numpy().copy() for p in params])
            return history
        finally:
            jit.set_enabled(before)
            for name, f in group_loop.items():
                setattr(_fused, name, f)
    loop, alone, numpy = run("loop"), run("alone"), run("numpy")
    for a, b, c in zip(loop, alone, numpy):
        for x, y, z in zip(a, b, c):
            np.testing.assert_array_equal(x, y)
            np.testing.assert_array_equal(x, z)
