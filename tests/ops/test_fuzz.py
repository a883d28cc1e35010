"""Fuzz: every registry op called with random bad arguments raises only ember exceptions,
never another exception type, never a crash, never a large allocation."""
import tracemalloc

import numpy as np
import pytest

import ember
from ember.ops.registry import REGISTRY, SampleMaker

MAX_BYTES = 16 * 2**20
HUGE = [2**31, 2**62, -(2**62), 10**12]


def to_ember(x):
    if isinstance(x, np.ndarray):
        return ember.from_numpy(np.copy(x, order="K"))
    if isinstance(x, (list, tuple)):
        return type(x)(to_ember(v) for v in x)
    return x


def mutations(rng, value):
    """Bad variants of one argument."""
    if isinstance(value, np.ndarray):
        out = [value[None], value.reshape(-1)[:1].reshape(()) if value.size else value[..., None],
               np.zeros(value.shape + (2,), value.dtype), value.astype(np.int64), value.astype(bool),
               np.zeros(tuple(d + 1 for d in value.shape), value.dtype), "a string", None]
        if value.dtype.kind in "iu":
            out += [value.astype(np.int64) + 10**6, value.astype(np.int64) - 10**6, value.astype(np.float32)]
        return out
    if isinstance(value, bool):
        return ["yes", 3.5]
    if isinstance(value, int):
        return [value + 1000, -value - 1000, *HUGE, 2.5, "x", None]
    if isinstance(value, float):
        return [float("nan"), float("inf"), -1e300, "x", None]
    if isinstance(value, tuple):
        if all(isinstance(v, int) for v in value):
            return [tuple(-5 for _ in value), tuple(10**9 for _ in value) + (10**9,), value + (99,),
                    (), ("a",) * len(value), tuple(HUGE[: max(1, len(value))])]
        return [value[:-1] if value else (1,), value + (np.zeros((7, 7)),)]
    if isinstance(value, list):
        return [[], value[:1] + [np.zeros((9, 1, 9), np.float32)], "x"]
    if isinstance(value, str):
        return ["no-such-mode", 7]
    if value is None:
        return [1000, -1000, "x"]
    return [None, "x"]


def cases():
    for name, info in sorted(REGISTRY.items()):
        yield pytest.param(name, id=name)


def call(info, args, kwargs):
    tracemalloc.start()
    try:
        info.fn(*to_ember(args), **{k: to_ember(v) for k, v in kwargs.items()})
    except ember.EmberError:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("name", list(cases()))
def test_bad_arguments_raise_only_ember_errors(name):
    info = REGISTRY[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    tried = 0
    for s in info.samples(SampleMaker("float32")):
        try:  # once on good arguments first: what loads on first use (numba kernels, modules) is no argument's
            info.fn(*to_ember(s.args), **{k: to_ember(v) for k, v in s.kwargs.items()})
        except ember.EmberError:
            pass
        positions = [("arg", i) for i in range(len(s.args))] + [("kw", k) for k in s.kwargs]
        for where, key in positions:
            original = s.args[key] if where == "arg" else s.kwargs[key]
            for bad in mutations(rng, original):
                args, kwargs = list(s.args), dict(s.kwargs)
                if where == "arg":
                    args[key] = bad
                else:
                    kwargs[key] = bad
                try:
                    peak = call(info, tuple(args), kwargs)
                except Exception as e:  # noqa: BLE001 - the point is to name any non-ember exception
                    pytest.fail(f"{name}({_short(args)}, {_short(kwargs)}) raised {type(e).__name__}: {e}")
                assert peak < MAX_BYTES, f"{name}({_short(args)}, {_short(kwargs)}) allocated {peak} bytes"
                tried += 1
        # an unknown keyword is a clear TypeError in Python; an extra positional must not crash either
    assert tried > 0


def _short(v):
    if isinstance(v, np.ndarray):
        return f"array{v.shape}:{v.dtype}"
    if isinstance(v, (list, tuple)):
        return type(v)(_short(x) for x in v)
    if isinstance(v, dict):
        return {k: _short(x) for k, x in v.items()}
    return v
