"""Embedding against torch.nn (train/eval, float32/float64, padding_idx, max_norm), its N(0, 1)
initialization, from_pretrained, repr and errors."""
import numpy as np
import pytest

import ember
import ember.nn
from conformance import check_module

torch = pytest.importorskip("torch")

IDX = np.array([[0, 3, 3, 9], [1, 0, 7, 3]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 3}, {"padding_idx": -1, "scale_grad_by_freq": True},
                                    {"max_norm": 1.0}])
def test_conforms_to_torch(kwargs, train, dtype):
    check_module(ember.nn.Embedding(10, 4, **kwargs), torch.nn.Embedding(10, 4, **kwargs), IDX,
                 dtype=dtype, train=train)


def test_init_is_standard_normal_with_zero_padding_row():
    ember.manual_seed(0)
    w = ember.nn.Embedding(2000, 50, padding_idx=5).weight.detach().numpy()
    assert not w[5].any()
    rest = np.delete(w, 5, axis=0)
    assert abs(rest.mean()) < 0.01 and abs(rest.std() - 1.0) < 0.01


def test_padding_row_gets_no_gradient():
    emb = ember.nn.Embedding(5, 2, padding_idx=0)
    emb(ember.tensor([0, 0, 1])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[0], [0.0, 0.0])
    np.testing.assert_array_equal(emb.weight.grad.numpy()[1], [1.0, 1.0])


def test_from_pretrained():
    w = ember.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    emb = ember.nn.Embedding.from_pretrained(w)
    assert not emb.weight.requires_grad and emb(ember.tensor([2])).tolist() == [[5.0, 6.0]]
    assert ember.nn.Embedding.from_pretrained(w, freeze=False, padding_idx=1).weight.requires_grad
    with pytest.raises(ember.ShapeError, match="2-d"):
        ember.nn.Embedding.from_pretrained(ember.ones(3))


def test_repr_and_state_dict_match_torch():
    for kw in ({}, {"padding_idx": 2}, {"max_norm": 1.0, "norm_type": 1.0, "scale_grad_by_freq": True}):
        e, t = ember.nn.Embedding(10, 3, **kw), torch.nn.Embedding(10, 3, **kw)
        assert repr(e) == repr(t)
        assert list(e.state_dict()) == list(t.state_dict()) == ["weight"]


def test_errors_name_the_index_and_the_table_size():
    emb = ember.nn.Embedding(10, 3)
    with pytest.raises(ember.IndexOutOfRangeError, match=r"index 10 is out of range for num_embeddings=10"):
        emb(ember.tensor([[1, 10]]))
    with pytest.raises(ember.DTypeError, match=r"Embedding\(10, 3\): the input must be an integer tensor"):
        emb(ember.tensor([1.0]))
    with pytest.raises(ember.ArgumentError, match="padding_idx=10"):
        ember.nn.Embedding(10, 3, padding_idx=10)
