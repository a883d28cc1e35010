"""Dropout in training (statistics, reproducible masks, the gradient), channel-wise and alpha
dropout, argument checks, and the layers against torch.nn in eval mode (and p=0 in training)."""
import numpy as np
import pytest

import ember
import ember.nn
import ember.nn.functional as F
from conformance import check_module

torch = pytest.importorskip("torch")


def test_mean_is_preserved_and_the_drop_rate_is_p():
    ember.manual_seed(0)
    y = F.dropout(ember.ones(400_000), p=0.3).numpy()
    assert abs((y == 0).mean() - 0.3) < 0.005
    assert abs(y.mean() - 1.0) < 0.01
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)


def test_same_seed_same_mask():
    x = ember.randn(50, 40)
    ember.manual_seed(7)
    a = F.dropout(x, 0.5)
    ember.manual_seed(7)
    b = F.dropout(x, 0.5)
    c = F.dropout(x, 0.5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert (a.numpy() != c.numpy()).any()
    g1, g2 = ember.Generator().manual_seed(3), ember.Generator().manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x, 0.2, generator=g1).numpy(), F.dropout(x, 0.2, generator=g2).numpy())


def test_gradient_is_the_mask_over_one_minus_p():
    x = ember.ones(30, 20, dtype=ember.float64, requires_grad=True)
    y = F.dropout(x, 0.25)
    y.backward(ember.ones(30, 20, dtype=ember.float64))
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())  # y = mask / (1 - p) for x = 1
    assert set(np.unique(x.grad.numpy())) == {0.0, 1 / 0.75}


def test_p_zero_one_eval_and_inplace():
    x = ember.randn(4, 5)
    assert F.dropout(x, 0.7, training=False) is x and F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).numpy().any()
    y = x.clone()
    ember.manual_seed(1)
    out = F.dropout(y, 0.5, inplace=True)
    ember.manual_seed(1)
    assert out is y and np.array_equal(y.numpy(), F.dropout(x, 0.5).numpy())


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), "half"])
def test_bad_p_is_refused(p):
    with pytest.raises(ember.ArgumentError, match="dropout probability has to be between 0 and 1"):
        F.dropout(ember.ones(3), p)
    with pytest.raises(ember.ArgumentError, match="between 0 and 1"):
        ember.nn.Dropout(p)


@pytest.mark.parametrize("fn,shape", [(F.dropout1d, (4, 6, 9)), (F.dropout1d, (6, 9)), (F.dropout2d, (4, 6, 3, 3)),
                                      (F.dropout3d, (2, 6, 2, 2, 2)), (F.feature_alpha_dropout, (4, 6, 9))])
def test_channel_dropout_zeroes_whole_channels(fn, shape):
    ember.manual_seed(2)
    y = fn(ember.ones(*shape), 0.5, training=True).numpy()
    lead = 1 if len(shape) == 2 else 2  # (C, L) without a batch dim
    per_channel = y.reshape(int(np.prod(shape[:lead])), -1)
    assert (per_channel == per_channel[:, :1]).all(), "a channel was partly dropped"
    assert len(np.unique(per_channel[:, 0])) == 2


def test_channel_dropout_rank_errors():
    with pytest.raises(ember.ShapeError, match="dropout1d"):
        F.dropout1d(ember.ones(2, 3, 4, 5))
    with pytest.raises(ember.ShapeError, match=r"dropout2d: expected an \(N, C, H, W\) input, got shape \(3,\)"):
        ember.nn.Dropout2d()(ember.ones(3))


def test_dropout2d_on_2d_input_warns_and_drops_elements_as_pytorch():
    """PyTorch warns on a 2-d input and drops single (n, c) elements; scripts that do this keep running."""
    x = ember.ones(64, 32)
    with pytest.warns(UserWarning, match="2-d input"):
        y = ember.nn.Dropout2d(0.5)(x).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    rows_mixed = ((y == 0).any(1) & (y == 2).any(1)).mean()
    assert rows_mixed > 0.9  # not whole rows: elementwise, as torch's feature dropout on (N, C)
    with pytest.warns(UserWarning, match="2-D input"):
        t = torch.nn.Dropout2d(0.5)(torch.ones(64, 32)).numpy()
    assert ((t == 0).any(1) & (t == 2).any(1)).mean() > 0.9


def test_alpha_dropout_keeps_mean_and_variance():
    ember.manual_seed(3)
    y = F.alpha_dropout(ember.randn(400_000), 0.3, training=True).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1.0) < 0.01
    x = ember.randn(3)
    assert F.alpha_dropout(x, 0.3) is x  # training=False by default, as in PyTorch


def test_alpha_dropout_gradient_is_the_scaled_mask():
    x = ember.randn(1000, dtype=ember.float64, requires_grad=True)
    y = F.alpha_dropout(x, 0.2, training=True)
    y.sum().backward()
    a = 1 / np.sqrt((1.7580993408473766 ** 2 * 0.2 + 1) * 0.8)
    assert set(np.round(np.unique(x.grad.numpy()), 12)) == {0.0, round(a, 12)}


LAYERS = [("Dropout", (4, 5)), ("Dropout1d", (2, 3, 5)), ("Dropout2d", (2, 3, 4, 4)), ("Dropout3d", (2, 3, 2, 2, 2)),
          ("AlphaDropout", (4, 5)), ("FeatureAlphaDropout", (2, 3, 4))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,shape", LAYERS)
def test_layers_conform_to_torch(name, shape, dtype):
    x = np.random.default_rng(0).standard_normal(shape)
    check_module(getattr(ember.nn, name)(0.4), getattr(torch.nn, name)(0.4), x, dtype=dtype, train=False)
    check_module(getattr(ember.nn, name)(0.0), getattr(torch.nn, name)(0.0), x, dtype=dtype, train=True)
    assert repr(getattr(ember.nn, name)(0.4, inplace=True)) == repr(getattr(torch.nn, name)(0.4, inplace=True))


def test_dropout_layer_trains_and_evaluates():
    layer = ember.nn.Dropout(0.5)
    x = ember.ones(1000)
    assert (layer(x).numpy() == 0).any()
    layer.eval()
    assert layer(x) is x
