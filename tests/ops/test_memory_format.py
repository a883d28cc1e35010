"""Memory formats and layouts against torch: the strides `.to()`, `contiguous()`, `clone()`, the casts and
`*_like` give, `is_contiguous(memory_format=)`, values and gradients through re-laid-out tensors, and the
refusals (wrong rank, preserve in contiguous, a non-format)."""
import copy
import pickle

import numpy as np
import pytest
import torch

import ember

FORMATS = ["contiguous_format", "channels_last", "channels_last_3d", "preserve_format"]


def _pair(*shape):
    a = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    return ember.tensor(a), torch.tensor(a)


def _fmt(lib, name):
    return getattr(lib, name)


@pytest.mark.parametrize("shape,name", [((2, 3, 4, 5), "channels_last"), ((2, 3, 4, 5, 6), "channels_last_3d"),
                                        ((1, 3, 1, 1), "channels_last"), ((2, 3, 4, 5), "contiguous_format"),
                                        ((2, 3), "contiguous_format")])
def test_to_contiguous_and_clone_lay_out_as_torch(shape, name):
    e, t = _pair(*shape)
    ef, tf = _fmt(ember, name), _fmt(torch, name)
    for make in (lambda x, f: x.to(memory_format=f), lambda x, f: x.contiguous(memory_format=f),
                 lambda x, f: x.clone(memory_format=f), lambda x, f: x.double(memory_format=f),
                 lambda x, f: x.to(x.dtype, memory_format=f)):
        eo, to = make(e, ef), make(t, tf)
        assert eo.stride() == to.stride()
        np.testing.assert_array_equal(eo.numpy(), to.numpy())
        assert eo.is_contiguous(memory_format=ef) is to.is_contiguous(memory_format=tf) is True
        assert eo.is_contiguous() == to.is_contiguous()
    assert e.is_contiguous(memory_format=ef) == t.is_contiguous(memory_format=tf)


def test_results_keep_the_layout_and_contiguous_restores_it():
    e, t = _pair(2, 3, 4, 5)
    ec, tc = e.to(memory_format=ember.channels_last), t.to(memory_format=torch.channels_last)
    assert ec.to(memory_format=ember.channels_last) is ec  # already laid out: no copy, as torch
    assert (ec + 1).stride() == (tc + 1).stride()
    assert ec.contiguous().stride() == tc.contiguous().stride()
    assert ec.clone(memory_format=ember.preserve_format).stride() == tc.clone().stride()
    et, tt = e.transpose(0, 1), t.transpose(0, 1)
    assert et.clone(memory_format=ember.preserve_format).stride() == tt.clone(memory_format=torch.preserve_format).stride()
    for fn in ("zeros_like", "ones_like", "empty_like"):
        for name in ("channels_last", "preserve_format", "contiguous_format"):
            ours = getattr(ember, fn)(ec, memory_format=_fmt(ember, name))
            theirs = getattr(torch, fn)(tc, memory_format=_fmt(torch, name))
            assert ours.stride() == theirs.stride(), (fn, name)
    full_e = ember.full_like(e, 7.0, memory_format=ember.channels_last)
    full_t = torch.full_like(t, 7.0, memory_format=torch.channels_last)
    assert full_e.stride() == full_t.stride()
    np.testing.assert_array_equal(full_e.numpy(), full_t.numpy())


def test_gradients_flow_through_a_layout_change():
    a = np.random.default_rng(0).standard_normal((2, 3, 2, 2))
    e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    w = np.arange(24.0).reshape(2, 3, 2, 2)
    (e.to(memory_format=ember.channels_last) * ember.tensor(w)).sum().backward()
    (t.to(memory_format=torch.channels_last) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy())
    e2 = ember.tensor(a, requires_grad=True)
    (e2.contiguous(memory_format=ember.channels_last) ** 2).sum().backward()
    np.testing.assert_allclose(e2.grad.numpy(), 2 * a)


def test_refusals_match_torch():
    e, t = _pair(2, 3)
    for call in (lambda lib, x: x.to(memory_format=lib.channels_last),
                 lambda lib, x: x.contiguous(memory_format=lib.channels_last_3d),
                 lambda lib, x: lib.ones_like(x, memory_format=lib.channels_last)):
        with pytest.raises(RuntimeError, match="rank"):
            call(torch, t)
        with pytest.raises(ember.ShapeError, match="4-d|5-d"):
            call(ember, e)
    assert e.contiguous(memory_format=ember.preserve_format) is e  # nothing to do: torch returns it too
    assert t.contiguous(memory_format=torch.preserve_format) is t
    with pytest.raises(RuntimeError, match="preserve memory format is unsupported"):
        t.t().contiguous(memory_format=torch.preserve_format)
    with pytest.raises(ember.ArgumentError, match="preserve memory format is unsupported"):
        e.t().contiguous(memory_format=ember.preserve_format)
    with pytest.raises(TypeError):
        t.clone(memory_format="channels_last")
    with pytest.raises(ember.ArgumentError, match="memory format"):
        e.clone(memory_format="channels_last")


def test_format_and_layout_objects_as_torch():
    for name in FORMATS:
        assert repr(_fmt(ember, name)) == repr(_fmt(torch, name)).replace("torch.", "ember.")
        assert isinstance(_fmt(ember, name), ember.memory_format) and isinstance(_fmt(torch, name), torch.memory_format)
        assert copy.deepcopy(_fmt(ember, name)) is _fmt(ember, name)
        assert pickle.loads(pickle.dumps(_fmt(ember, name))) is _fmt(ember, name)
    assert ember.legacy_contiguous_format is ember.contiguous_format
    assert torch.legacy_contiguous_format is torch.contiguous_format
    assert isinstance(ember.strided, ember.layout) and isinstance(torch.strided, torch.layout)
    assert isinstance(ember.jagged, ember.layout) and isinstance(torch.jagged, torch.layout)
    assert repr(ember.ones(2).layout) == repr(torch.ones(2).layout).replace("torch.", "ember.") == "ember.strided"
    assert repr(ember.jagged) == "ember.jagged" and repr(torch.jagged) == "torch.jagged"
