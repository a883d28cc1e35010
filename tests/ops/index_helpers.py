"""What the indexing tests share: one array as an ember and a PyTorch tensor, an exact
comparison, int64 index arrays, and the checks of an op's in-place form against PyTorch."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
BASE = RNG.standard_normal((4, 5, 6))


def A(*values):
    """An int64 index array (becomes a tensor on both sides)."""
    return np.array(values, dtype=np.int64)


def pair(array=BASE, grad=True):
    e = ember.from_numpy(array.copy())
    t = torch.from_numpy(array.copy())
    if grad:
        e.requires_grad_()
        t.requires_grad_()
    return e, t


def close(e, t, what=""):
    e = np.asarray(e.detach().numpy()) if isinstance(e, ember.Tensor) else np.asarray(e)
    t = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    assert e.shape == t.shape, f"{what}: shape {e.shape} vs torch {t.shape}"
    np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-12, err_msg=what)


def _on(lib):
    return lambda a: lib.from_numpy(np.asarray(a).copy())


def check_inplace_form(fn):
    """`fn(lib, x, to_tensor)` calls an in-place form: it returns `x`, bumps its version once
    and gives PyTorch's values."""
    ex, tx = pair(BASE[:3, :4, 0], grad=False)
    er, tr = fn(ember, ex, _on(ember)), fn(torch, tx, _on(torch))
    assert er is ex and tr is tx
    assert ex._version == 1
    close(ex, tx)


def check_inplace_backward(fn):
    """The in-place form `fn` applied to a non-leaf: the gradient of the leaf is PyTorch's."""
    e, t = pair(BASE[:3, :4, 0])
    ey, ty = e * 1.5, t * 1.5
    fn(ember, ey, _on(ember))
    fn(torch, ty, _on(torch))
    w = RNG.standard_normal((3, 4))
    (ey * ember.from_numpy(w)).sum().backward()
    (ty * torch.from_numpy(w)).sum().backward()
    close(e.grad, t.grad)


def check_index_changed_in_place(op, index):
    """`op(lib, y, index)` reads `index` (a list: int64 or bool) again in its backward: changing
    the index in place after the call makes backward an error, in ember as in PyTorch."""
    outs = {}
    for lib, error in ((ember, ember.AutogradError), (torch, RuntimeError)):
        x = lib.from_numpy(BASE[:3, :4, 0].copy()).requires_grad_()
        i = lib.tensor(index)
        out = op(lib, x * 1.0, i)
        outs[lib.__name__] = out.detach().numpy().copy()
        i.fill_(0)
        with pytest.raises(error, match="index tensor it needs|modified by an inplace operation"):
            out.sum().backward()
    close(outs["ember"], outs["torch"])
