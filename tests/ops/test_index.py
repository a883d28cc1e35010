"""Indexing against PyTorch: `t[k]` and `t[k] = v` for many key forms (values and
gradients), their error messages, `index_put` and the fast paths of repeated indices.
The registry test covers each op's samples and gradcheck."""
import numpy as np
import pytest

import ember
from ember import DTypeError, IndexOutOfRangeError
from index_helpers import A, BASE, check_index_changed_in_place, check_inplace_backward, check_inplace_form, close, pair

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")

RNG = np.random.default_rng(0)
MASK45 = RNG.random((4, 5)) < 0.5
MASK4 = np.array([True, False, True, True])


def convert(key, to):
    if isinstance(key, np.ndarray):
        return to(key)
    if isinstance(key, tuple):
        return tuple(convert(k, to) for k in key)
    return key  # ints, slices, None, Ellipsis, bools and lists stay as they are


def e_key(key):
    return convert(key, lambda a: ember.from_numpy(a.copy()))


def t_key(key):
    return convert(key, lambda a: torch.from_numpy(a.copy()))


GET_KEYS = {
    "int": 1, "negative-int": -1, "ints": (1, 2), "negative-ints": (-2, slice(None), -3),
    "slice": slice(1, 3), "step": slice(None, None, 2), "negative-start": slice(-3, None),
    "steps-2d": (slice(None), slice(1, None, 3)), "steps-3d": (slice(0, 4, 3), slice(None), slice(1, None, 4)),
    "empty-slice": slice(2, 2),
    "none": None, "none-int": (None, 1), "ellipsis-none": (Ellipsis, None), "int-ellipsis": (1, Ellipsis),
    "ellipsis-int": (Ellipsis, 2), "none-ellipsis-none": (None, Ellipsis, None), "ellipsis-only": Ellipsis,
    "mask-dim0": MASK4, "mask-2d": MASK45, "mask-after-slice": (slice(None), MASK45[0]),
    "mask-3d": BASE > 0, "all-false-mask": np.zeros(4, bool), "true": True,
    "list": [0, 2], "list-nested": [[0, 1], [2, 3]], "list-pair": ([0, 1], [2, 3]), "list-negative": [-1, 0, -4],
    "empty-list": [],
    "tensor": A(3, 0, 3), "tensor-pair-broadcast": (A(0, 1), A([1], [2])), "tensor-0d": np.array(2),
    "adjacent": (slice(None), A(0, 1), A(2, 3)), "separated": (A(0, 1), slice(None), A(2, 3)),
    "int-slice-tensor": (0, slice(None), A(1, 2)), "slice-tensor": (slice(1, 3), A(4, 0)),
    "ellipsis-tensor": (Ellipsis, A(1, 2)), "none-tensor-int": (None, A(0, 1), 1),
    "tensor-int-slice": (A(0, 1), 1, slice(None)), "int-tensors": (1, A(0, 2), A(1, 3)),
    "tensor-slice-int": (A(0, 3), slice(None, 3), 4), "mask-int": (MASK4, 2),
    "mask-tensor": (MASK4, slice(None), A(0, 5, 1)), "step-tensor": (slice(None, None, 2), A(4, 4)),
}


@pytest.mark.parametrize("key", GET_KEYS.values(), ids=GET_KEYS.keys())
def test_getitem_values_and_gradient_match_torch(key):
    e, t = pair()
    eo, to = e[e_key(key)], t[t_key(key)]
    close(eo, to, "forward")
    cot = RNG.standard_normal(tuple(to.shape))
    eo.backward(ember.from_numpy(cot))
    to.backward(torch.from_numpy(cot))
    close(e.grad, t.grad, "gradient")


def test_negative_steps_follow_numpy():
    e = ember.from_numpy(BASE.copy()).requires_grad_()
    out = e[::-1, 1, 5:0:-2]
    np.testing.assert_array_equal(out.detach().numpy(), BASE[::-1, 1, 5:0:-2])
    out.sum().backward()
    expected = np.zeros_like(BASE)
    expected[::-1, 1, 5:0:-2] = 1.0
    np.testing.assert_array_equal(e.grad.numpy(), expected)


def test_basic_keys_give_views_and_advanced_keys_copies():
    x = ember.zeros(3, 4)
    v = x[1:, ::2]
    v[0, 1] = 5.0
    assert x[1, 2].item() == 5.0
    assert x[ember.tensor(1)]._base is x  # a 0-d int tensor selects like an int
    c = x[[0, 1]]
    c[0, 0] = 7.0
    assert x[0, 0].item() == 0.0


SET_CASES = {
    "int-number": (1, 2.0), "column-vector": ((slice(None), 1), RNG.standard_normal(4)),
    "rows-broadcast": (slice(1, 3), RNG.standard_normal((1, 5))), "mask-number": (MASK45, 0.0),
    "mask-values": (MASK45, RNG.standard_normal(int(MASK45.sum()))), "list-rows": ([0, 2], RNG.standard_normal((2, 5))),
    "pairs": ((A(0, 2), A(1, 3)), np.array([7.0, 8.0])), "ellipsis": ((Ellipsis, 0), RNG.standard_normal(4)),
    "step": ((slice(None, None, 2), slice(1, None, 2)), RNG.standard_normal((2, 2))),
    "negative": ((-1, -2), 3.0), "int-tensor": ((0, A(1, 2)), np.array([1.0, 2.0])),
    "none": ((None, 1), RNG.standard_normal((1, 5))), "0d-value": (MASK4, np.array(4.0)),
    "leading-ones": (1, RNG.standard_normal((1, 1, 5))),
    "leading-ones-broadcast": (slice(1, 3), RNG.standard_normal((1, 1, 5))),
}


def _value(v, to):
    return to(v.copy()) if isinstance(v, np.ndarray) else v


@pytest.mark.parametrize("key,value", SET_CASES.values(), ids=SET_CASES.keys())
def test_setitem_matches_torch(key, value):
    e, t = pair(BASE[:, :, 0], grad=False)
    e[e_key(key)] = _value(value, ember.from_numpy)
    t[t_key(key)] = _value(value, torch.from_numpy)
    close(e, t)


def test_setitem_3d_int_slice_tensor_layout():
    e, t = pair(grad=False)
    v = RNG.standard_normal((5, 2))
    e[0, :, A(1, 2)] = ember.from_numpy(v)  # PyTorch's layout: (5, 2), where NumPy's would be (2, 5)
    t[0, :, torch.tensor([1, 2])] = torch.from_numpy(v)
    close(e, t)


@pytest.mark.parametrize("key,value", [SET_CASES[k] for k in ("rows-broadcast", "mask-values", "pairs", "int-tensor",
                                                               "leading-ones", "leading-ones-broadcast", "0d-value")],
                         ids=["rows-broadcast", "mask-values", "pairs", "int-tensor", "leading-ones",
                              "leading-ones-broadcast", "0d-value"])
def test_setitem_on_non_leaf_then_backward_matches_torch(key, value):
    e, t = pair(BASE[:, :, 0])
    ev, tv = pair(np.asarray(value, dtype=np.float64))
    ey, ty = e * 2.0, t * 2.0
    ey[e_key(key)] = ev * 3.0
    ty[t_key(key)] = tv * 3.0
    close(ey, ty, "forward")
    w = RNG.standard_normal(ey.shape)
    (ey * ember.from_numpy(w)).sum().backward()
    (ty * torch.from_numpy(w)).sum().backward()
    close(e.grad, t.grad, "input gradient")
    close(ev.grad, tv.grad, "value gradient")


def test_setitem_on_leaf_that_requires_grad_is_refused():
    x = ember.zeros(3, requires_grad=True)
    with pytest.raises(ember.ArgumentError, match="leaf"):
        x[0] = 1.0
    with ember.no_grad():
        x[0] = 1.0
    assert x[0].item() == 1.0


def test_setitem_bumps_the_version_shared_with_views():
    x = ember.zeros(3, 4)
    v = x[0]
    before = x._version
    x[1] = 1.0
    assert x._version == v._version == before + 1


# --- errors -----------------------------------------------------------------------------

def test_getitem_errors_name_index_dim_and_size():
    x = ember.zeros(4, 5)
    with pytest.raises(IndexOutOfRangeError, match=r"getitem: index 4 is out of bounds for dim 0 with size 4"):
        x[4]
    with pytest.raises(IndexOutOfRangeError, match=r"index 7 is out of bounds for dim 1 with size 5"):
        x[:, [0, 7]]
    with pytest.raises(IndexOutOfRangeError, match=r"index -6 is out of bounds for dim 1 with size 5"):
        x[0, -6]
    with pytest.raises(IndexOutOfRangeError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexOutOfRangeError, match=r"mask of shape \(3,\)"):
        x[ember.tensor([True, False, True])]
    with pytest.raises(DTypeError, match="float"):
        x[1.5]
    with pytest.raises(DTypeError, match="float32"):
        x[ember.tensor([0.0, 1.0])]
    with pytest.raises(ember.ArgumentError, match="ellipsis"):
        x[..., ...]
    with pytest.raises(IndexOutOfRangeError, match=r"setitem: index 9 is out of bounds for dim 0"):
        x[9] = 1.0


# --- in-place forms ----------------------------------------------------------------------------

INPLACE = {
    "index_put_": lambda m, x, T: x.index_put_((T(np.array([0, 0])), T(np.array([1, 3]))), T(np.array([1.0, 2.0]))),
    "index_put_-accumulate": lambda m, x, T: x.index_put_((T(np.array([1, 1])),), T(np.array(2.0)), accumulate=True),
}


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forms_match_torch_and_return_self(name):
    check_inplace_form(INPLACE[name])


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forms_on_a_non_leaf_backward_matches_torch(name):
    check_inplace_backward(INPLACE[name])


# --- repeated indices add up (the fast paths of getitem's gradient and index_add) ------------

ROWS = [A(0, 2, 2, -1, 0), RNG.integers(-4, 4, (7, 9)), np.r_[np.zeros(100, np.int64), A(3, -2)]]


@pytest.mark.parametrize("rows", ROWS, ids=["few-repeats", "2d-rows", "one-row-100-times"])
def test_rows_gradient_with_repeats_matches_torch(rows):
    e, t = pair(BASE)
    eo, to = e[ember.from_numpy(rows)], t[torch.from_numpy(rows)]
    cot = RNG.standard_normal(tuple(to.shape))
    eo.backward(ember.from_numpy(cot))
    to.backward(torch.from_numpy(cot))
    close(e.grad, t.grad)


def test_pairs_of_index_arrays_accumulate_with_negative_indices():
    e, t = pair(BASE[:, :, 0])
    key = (A(0, -4, 1, 0), A(-1, 4, 2, 4))
    eo, to = e[e_key(key)], t[t_key(key)]
    (eo * ember.from_numpy(np.arange(4.0))).sum().backward()
    (to * torch.arange(4.0, dtype=torch.float64)).sum().backward()
    close(e.grad, t.grad)


# --- index tensors are read again by the backward: changing them in place is refused ----------

def _setitem(lib, y, i):
    y[i] = lib.ones(y[i].shape, dtype=y.dtype) * 2.0
    return y


CHANGED_IN_PLACE = {
    "getitem": (lambda lib, y, i: y[i], [2, 0, 2]),
    "getitem-pair": (lambda lib, y, i: y[i, i], [1, 2]),
    "getitem-mask": (lambda lib, y, i: y[i], [[True, False, True, False]] * 3),
    "setitem": (_setitem, [0, 2]),
    "index_put": (lambda lib, y, i: y.index_put((i,), lib.ones(4, dtype=y.dtype), accumulate=True), [1, 1]),
}


@pytest.mark.parametrize("op,index", CHANGED_IN_PLACE.values(), ids=CHANGED_IN_PLACE.keys())
def test_backward_refuses_an_index_changed_in_place(op, index):
    check_index_changed_in_place(op, index)


def test_an_index_left_alone_or_a_0d_int_key_changed_in_place_is_fine():
    x = ember.ones(3, 4, requires_grad=True)
    i, k = ember.tensor([2, 2]), ember.tensor(1)
    out = (x * 1.0)[i].sum() + (x * 1.0)[k].sum()  # a 0-d integer key is read as an int, in forward only
    k.add_(1)
    out.backward()
    assert x.grad.tolist() == [[0.0] * 4, [1.0] * 4, [2.0] * 4]


def test_a_range_indexes_as_the_list_of_its_ints_as_torch():
    # pytorch/examples' forward-forward: x_[range(x.shape[0]), y] = x.max()
    for lib in (ember, torch):
        x = lib.arange(12.0).reshape(4, 3)
        y = lib.tensor([2, 0, 1, 2])
        x[range(x.shape[0]), y] = x.max()
        if lib is ember:
            got = x.numpy()
        else:
            expected = x.numpy()
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(ember.arange(6)[range(1, 6, 2)].numpy(), torch.arange(6)[range(1, 6, 2)].numpy())
    a, t = ember.arange(4.0, requires_grad=True), torch.arange(4.0, requires_grad=True)
    a[range(3, 0, -1)].sum().backward()
    t[range(3, 0, -1)].sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), t.grad.numpy())
