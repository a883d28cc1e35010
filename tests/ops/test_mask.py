"""Masks against PyTorch: masked_fill/masked_select, nonzero, one_hot, tril/triu: error
messages, cases beyond the registry samples, in-place forms, and masks changed in place
before the backward. The registry test covers each op's samples and gradcheck."""
import numpy as np
import pytest

import ember
from ember import DTypeError, IndexOutOfRangeError, ShapeError
from index_helpers import BASE, check_index_changed_in_place, check_inplace_backward, check_inplace_form, close, pair

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
MASK45 = RNG.random((4, 5)) < 0.5
X = ember.zeros(3, 4)


@pytest.mark.parametrize("indices,num_classes,bad", [([0, 3], 3, 3), ([-1, 2], -1, -1)], ids=["above", "negative"])
def test_one_hot_index_out_of_range_names_op_index_dim_and_size(indices, num_classes, bad):
    with pytest.raises(IndexOutOfRangeError, match=rf"^one_hot: index {bad} is out of bounds for dim -1 with size 3"):
        ember.one_hot(ember.tensor(indices), num_classes)


def test_one_hot_float_index_is_a_dtype_error_naming_int64():
    with pytest.raises(DTypeError, match=r"one_hot: expected .*int64, got (ember\.)?float32"):
        ember.one_hot(ember.tensor([0.0, 1.0]), 3)


def test_shape_and_argument_errors():
    with pytest.raises(DTypeError, match="masked_fill: mask must be a bool tensor, got (ember\\.)?int64"):
        X.masked_fill(ember.tensor([1, 0, 1, 0]), 1.0)
    with pytest.raises(ShapeError, match="masked_fill: value must be a number or a 0-d tensor"):
        X.masked_fill(ember.tensor([True, False, True, False]), ember.ones(2))
    with pytest.raises(ShapeError, match="masked_fill"):
        X.masked_fill(ember.tensor([True, False]), 1.0)
    with pytest.raises(ember.DimError, match="tril: input must have at least 2 dimensions"):
        ember.ones(3).tril()
    with pytest.raises(ember.ArgumentError, match="one_hot: can't infer num_classes"):
        ember.one_hot(ember.zeros(0, dtype=ember.int64))
    with pytest.raises(DTypeError, match="one_hot.*int64, got (ember\\.)?int32"):
        ember.one_hot(ember.tensor([1], dtype=ember.int32), 3)


def test_errors_come_before_allocation():
    with pytest.raises(ember.AllocationError, match="one_hot"):
        ember.one_hot(ember.tensor([0, 1]), 2**60)
    with pytest.raises(ember.ArgumentError, match="one_hot"):
        ember.one_hot(ember.tensor([0, 1]), -5)


def test_nonzero_as_tuple_indexes_like_a_mask():
    x = ember.tensor([[0.0, 1.5], [2.0, 0.0]])
    rows, cols = x.nonzero(as_tuple=True)
    assert x[rows, cols].tolist() == x[x != 0].tolist() == [1.5, 2.0]
    assert ember.where(x != 0)[1].tolist() == [1, 0]
    assert ember.argwhere(x).tolist() == [[0, 1], [1, 0]]


def test_masked_fill_with_tensor_value_gets_its_gradient():
    e, t = pair(BASE[:, :, 0])
    ev, tv = pair(np.array(0.5))
    em, tm = MASK45[:1], torch.from_numpy(MASK45[:1].copy())
    eo, to = e.masked_fill(ember.from_numpy(em.copy()), ev * 2), t.masked_fill(tm, tv * 2)
    close(eo, to)
    cot = RNG.standard_normal((4, 5))
    eo.backward(ember.from_numpy(cot))
    to.backward(torch.from_numpy(cot))
    close(e.grad, t.grad)
    close(ev.grad, tv.grad)


def test_masked_fill_casts_the_value_to_the_input_dtype():
    x = ember.tensor([1, 2, 3])
    assert x.masked_fill(ember.tensor([True, False, True]), 7.9).tolist() == [7, 2, 7]
    assert x.masked_fill(ember.tensor([True, False, True]), 7.9).dtype == ember.int64


def test_one_hot_matches_torch():
    a = RNG.integers(0, 6, (4, 3))
    close(ember.one_hot(ember.from_numpy(a)), torch.nn.functional.one_hot(torch.from_numpy(a)))
    close(ember.one_hot(ember.from_numpy(a), 8), torch.nn.functional.one_hot(torch.from_numpy(a), 8))
    assert ember.one_hot(ember.from_numpy(a)).dtype == ember.int64


# --- in-place forms ----------------------------------------------------------------------------

INPLACE = {
    "masked_fill_": lambda m, x, T: x.masked_fill_(T(BASE[:3, :4, 1] > 0), 0.5),
    "masked_fill_-broadcast": lambda m, x, T: x.masked_fill_(T(np.array([True, False, False, True])), -3.0),
    "tril_": lambda m, x, T: x.tril_(1),
    "triu_": lambda m, x, T: x.triu_(-1),
}


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forms_match_torch_and_return_self(name):
    check_inplace_form(INPLACE[name])


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forms_on_a_non_leaf_backward_matches_torch(name):
    check_inplace_backward(INPLACE[name])


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    x = ember.zeros(3, requires_grad=True)
    with pytest.raises(ember.AutogradError, match="masked_fill_"):
        x.masked_fill_(ember.tensor([True, False, True]), 1.0)


def test_inplace_masked_fill_cannot_grow_the_tensor():
    x = ember.zeros(4)
    with pytest.raises(ember.EmberError):
        x.masked_fill_(ember.ones(2, 4, dtype=ember.bool), 1.0)


# --- masks are read again by the backward: changing them in place is refused ------------------

MASK = [[True, False, True, False], [False, False, True, True], [True, True, False, False]]
CHANGED_IN_PLACE = {
    "masked_fill": (lambda lib, y, m: y.masked_fill(m, 0.5), MASK),
    "masked_select": (lambda lib, y, m: y.masked_select(m), MASK),
}


@pytest.mark.parametrize("op,mask", CHANGED_IN_PLACE.values(), ids=CHANGED_IN_PLACE.keys())
def test_backward_refuses_a_mask_changed_in_place(op, mask):
    check_index_changed_in_place(op, mask)
