"""In-place ops: version counters, the errors PyTorch gives, and correct gradients otherwise."""
import numpy as np
import pytest

import ember
from ember.errors import AutogradError

torch = pytest.importorskip("torch")


def pair(shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def test_inplace_on_leaf_requiring_grad_is_refused():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(AutogradError, match="leaf"):
        x.add_(1)
    with pytest.raises(AutogradError, match="leaf"):
        x += 1
    with ember.no_grad():
        x.add_(1)  # optimizer-style updates are fine
    assert np.allclose(x.detach().numpy(), 2)


def test_overwriting_a_value_saved_for_backward_is_refused():
    e, _ = pair((3,))
    h = e * 1
    y = h.sin()        # sin saves h
    h.mul_(2)
    with pytest.raises(AutogradError, match=r"sin.*modified by an in-place operation"):
        y.sum().backward()


def test_overwriting_a_saved_output_is_refused():
    e, _ = pair((3,))
    y = e.exp()        # exp's backward reuses its output
    y.add_(1)
    with pytest.raises(AutogradError, match=r"exp.*output 0.*in-place"):
        y.sum().backward()


def test_inplace_after_an_op_that_saves_nothing_is_fine():
    e, t = pair((3,))
    he, ht = e * 1, t * 1
    ye, yt = he + 1, ht + 1   # add saves nothing
    he.add_(5)
    ht.add_(5)
    (ye * 2).sum().backward()
    (yt * 2).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_"])
def test_inplace_arithmetic_gradients_match_torch(op):
    e, t = pair((3, 4))
    f, u = pair((4,), seed=1)
    he, ht = e * 1.5, t * 1.5
    getattr(he, op)(f)
    getattr(ht, op)(u)
    (he * he).sum().backward()
    (ht * ht).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(f.grad.numpy(), u.grad.numpy(), rtol=1e-10)


def test_inplace_operators_keep_identity_and_bump_version():
    x = ember.zeros(3)
    ident, v = id(x), x._version
    x += 1
    x *= 3
    assert id(x) == ident and x._version == v + 2
    assert np.allclose(x.numpy(), 3)


def test_views_share_the_version_counter():
    x = ember.zeros(2, 3)
    v = x[0]
    v.add_(1)
    assert x._version == v._version == 1
    assert np.allclose(x.numpy()[0], 1)


def test_setitem_on_non_leaf_is_recorded():
    e, t = pair((3, 4))
    f, u = pair((4,), seed=1)
    he, ht = e * 2, t * 2
    he[1] = f.exp()
    ht[1] = u.exp()
    he[:, 0] = 0.0
    ht[:, 0] = 0.0
    (he.sin()).sum().backward()
    (ht.sin()).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(f.grad.numpy(), u.grad.numpy(), rtol=1e-10)


def test_int_tensor_cannot_take_a_float_result_in_place():
    x = ember.ones(3, dtype=ember.int64)
    with pytest.raises(ember.DTypeError, match="can't be cast"):
        x += 1.5


def test_earlier_consumers_keep_the_old_history():
    """A node made before an in-place op sends its gradient where the input came from then."""
    x = ember.ones(3, requires_grad=True)
    y = x * 1.0
    z = y + 1
    y.mul_(3.0)
    (z.sum() + y.sum()).backward()
    tx = torch.ones(3, requires_grad=True)
    ty = tx * 1.0
    tz = ty + 1
    ty.mul_(3.0)
    (tz.sum() + ty.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
