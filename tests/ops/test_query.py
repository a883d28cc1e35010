"""Questions about tensors and dtypes, and poisson sampling, against torch."""
import numpy as np
import pytest
import torch

import ember

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_can_cast_matches_torch(a, b):
    assert ember.can_cast(getattr(ember, a), getattr(ember, b)) == torch.can_cast(getattr(torch, a), getattr(torch, b))


@pytest.mark.parametrize("other", [1.5, 2, True, "int64", "float16"])
def test_result_type_matches_torch(other):
    e = ember.tensor([1, 2], dtype=ember.int32)
    t = torch.tensor([1, 2], dtype=torch.int32)
    if isinstance(other, str):
        e_other, t_other = ember.ones(1, dtype=getattr(ember, other)), torch.ones(1, dtype=getattr(torch, other))
    else:
        e_other = t_other = other
    assert ember.result_type(e, e_other).name == str(torch.result_type(t, t_other)).removeprefix("torch.")


def test_predicates_match_torch():
    for data in ([1.0], [1, 2], [[True]], [0]):
        e, t = ember.tensor(data), torch.tensor(data)
        assert ember.is_tensor(e) and not ember.is_tensor(data)
        assert ember.is_floating_point(e) == torch.is_floating_point(t)
        assert ember.is_signed(e) == torch.is_signed(t) and e.is_signed() == t.is_signed()
        assert ember.numel(e) == torch.numel(t) and not ember.is_complex(e)
        assert ember.is_same_size(e, e) and not e.is_same_size(ember.ones(3, 3))
        if t.numel() == 1:
            assert ember.is_nonzero(e) == torch.is_nonzero(t)
        else:
            with pytest.raises(ember.ArgumentError, match="ambiguous"):
                ember.is_nonzero(e)
    assert ember.broadcast_shapes((2, 1), (3,), 1) == tuple(torch.broadcast_shapes((2, 1), (3,), 1))
    with pytest.raises(ember.ShapeError):
        ember.broadcast_shapes((2,), (3,))


def test_poisson_draws_with_the_rates():
    ember.manual_seed(0)
    rates = ember.tensor(np.repeat([[0.5, 4.0, 20.0]], 20000, 0))
    draws = ember.poisson(rates).numpy()
    np.testing.assert_allclose(draws.mean(0), [0.5, 4.0, 20.0], rtol=0.03)
    np.testing.assert_allclose(draws.var(0), [0.5, 4.0, 20.0], rtol=0.06)
    with pytest.raises(ember.ArgumentError, match="non-negative"):
        ember.poisson(ember.tensor([-1.0]))
