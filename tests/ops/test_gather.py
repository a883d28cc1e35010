"""Indexing along a dim against PyTorch: gather/scatter, index_select/index_add, take and
take_along_dim: error messages, cases beyond the registry samples, in-place forms, and
index tensors changed in place before the backward. The registry test covers each op's
samples and gradcheck."""
import numpy as np
import pytest

import ember
from ember import DTypeError, IndexOutOfRangeError, ShapeError
from index_helpers import BASE, check_index_changed_in_place, check_inplace_backward, check_inplace_form, close, pair

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")

RNG = np.random.default_rng(0)
X = ember.zeros(3, 4)
OUT_OF_RANGE = {
    "gather": (lambda: ember.gather(X, 1, ember.tensor([[0, 4]])), "gather", 4, 1, 4),
    "gather-negative": (lambda: ember.gather(X, 0, ember.tensor([[-1]])), "gather", -1, 0, 3),
    "scatter": (lambda: ember.scatter(X, 0, ember.tensor([[3]]), ember.ones(1, 1)), "scatter", 3, 0, 3),
    "scatter-value": (lambda: X.scatter(1, ember.tensor([[5]]), 1.0), "scatter", 5, 1, 4),
    "scatter_add": (lambda: X.scatter_add(0, ember.tensor([[0, 7]]), ember.ones(1, 2)), "scatter_add", 7, 0, 3),
    "index_select": (lambda: X.index_select(1, ember.tensor([4])), "index_select", 4, 1, 4),
    "index_select-negative": (lambda: X.index_select(0, ember.tensor([-1])), "index_select", -1, 0, 3),
    "index_add": (lambda: X.index_add(0, ember.tensor([3]), ember.ones(1, 4)), "index_add", 3, 0, 3),
    "take_along_dim": (lambda: ember.take_along_dim(X, ember.tensor([[4]]), 1), "take_along_dim", 4, 1, 4),
    "take_along_dim-negative": (lambda: ember.take_along_dim(X, ember.tensor([[-4]]), 0), "take_along_dim", -4, 0, 3),
    "take": (lambda: ember.take(X, ember.tensor([12])), "take", 12, 0, 12),
}


@pytest.mark.parametrize("fn,op,index,dim,size", OUT_OF_RANGE.values(), ids=OUT_OF_RANGE.keys())
def test_out_of_range_indices_name_op_index_dim_and_size(fn, op, index, dim, size):
    with pytest.raises(IndexOutOfRangeError) as info:
        fn()
    msg = str(info.value)
    assert msg.startswith(f"{op}:") and f"index {index} " in msg and f"dim {dim} " in msg and f"size {size}" in msg, msg


FLOAT_INDEX = {
    "gather": lambda i: ember.gather(X, 1, i.reshape(1, 2)),
    "scatter": lambda i: X.scatter(1, i.reshape(1, 2), 0.0),
    "scatter_add": lambda i: X.scatter_add(1, i.reshape(1, 2), ember.ones(1, 2)),
    "index_select": lambda i: X.index_select(0, i),
    "index_add": lambda i: X.index_add(0, i, ember.ones(2, 4)),
    "take_along_dim": lambda i: ember.take_along_dim(X, i.reshape(1, 2), 1),
    "take": lambda i: ember.take(X, i),
}


@pytest.mark.parametrize("op", FLOAT_INDEX)
def test_float_index_is_a_dtype_error_naming_int64(op):
    with pytest.raises(DTypeError, match=rf"{op}: expected .*int64, got (ember\.)?float32"):
        FLOAT_INDEX[op](ember.tensor([0.0, 1.0]))


def test_shape_and_argument_errors():
    with pytest.raises(ShapeError, match=r"gather: index of shape \(2,\) must have as many dims as the input of shape "
                                         r"\(3, 4\)"):
        ember.gather(X, 1, ember.tensor([0, 1]))
    with pytest.raises(ShapeError, match="larger than the input"):
        ember.gather(X, 1, ember.zeros(4, 1, dtype=ember.int64))
    with pytest.raises(DTypeError, match="scatter: src"):
        X.scatter(0, ember.tensor([[0]]), ember.ones(1, 1, dtype=ember.float64))
    with pytest.raises(ShapeError, match="scatter: src of shape"):
        X.scatter(0, ember.tensor([[0, 1]]), ember.ones(1, 1))
    with pytest.raises(ember.ArgumentError, match="reduce"):
        X.scatter(0, ember.tensor([[0]]), 1.0, reduce="mean")
    with pytest.raises(ShapeError, match=r"index_add: source of shape \(3, 4\)"):
        X.index_add(0, ember.tensor([0, 1]), ember.ones(3, 4))
    with pytest.raises(ShapeError, match="index_select: index must be 0-d or 1-d"):
        X.index_select(0, ember.tensor([[0]]))


def test_errors_come_before_allocation_and_leave_tensors_unchanged():
    x = ember.zeros(3, 4)
    with pytest.raises(IndexOutOfRangeError):
        x.scatter_(0, ember.tensor([[0, 1, 9, 0]]), 1.0)
    with pytest.raises(IndexOutOfRangeError):
        x.index_add_(0, ember.tensor([0, 3]), ember.ones(2, 4))
    assert not x.numpy().any() and x._version == 0


# --- the ops against PyTorch, beyond the registry samples ------------------------------------

def test_scatter_with_src_larger_than_index():
    e, t = pair(BASE[:3, :4, 0])
    es, ts = pair(BASE[:3, :3, 1])
    idx = np.array([[1, 0], [2, 1]])
    eo = ember.scatter(e, 1, ember.from_numpy(idx), es)
    to = torch.scatter(t, 1, torch.from_numpy(idx), ts)
    close(eo, to)
    eo.sum().backward()
    expected = np.zeros((3, 3))
    expected[:2, :2] = 1.0  # only the part of src that index covers is used
    close(es.grad, expected)


def test_scatter_multiply_has_no_gradient():
    x = ember.ones(3, requires_grad=True)
    y = x.scatter(0, ember.tensor([0, 0]), ember.tensor([2.0, 3.0]), reduce="multiply")
    assert y.tolist() == [6.0, 1.0, 1.0]
    with pytest.raises(ember.AutogradError, match="multiply"):
        y.sum().backward()


def test_scatter_accepts_value_keyword_and_0d_tensor_value():
    x = ember.zeros(2, 2)
    idx = ember.tensor([[1, 0]])
    assert x.scatter(0, idx, value=ember.tensor(4.0)).tolist() == [[0.0, 4.0], [4.0, 0.0]]
    assert x.scatter(0, idx, 4.0, reduce="add").tolist() == [[0.0, 4.0], [4.0, 0.0]]


def test_take_along_dim_with_argsort_and_negative_indices():
    a = RNG.standard_normal((3, 5))
    e, t = pair(a, grad=False)
    close(ember.take_along_dim(e, e.argsort(dim=1), dim=1), torch.take_along_dim(t, t.argsort(dim=1), dim=1))
    idx = np.array([[-1, 0, -5]])
    close(ember.take_along_dim(e, ember.from_numpy(idx), 1), np.take_along_axis(a, idx % 5, 1))


def test_index_ops_accept_int32_indices_as_torch_does():
    a = BASE[:3, :4, 0]
    i32 = np.array([[2, 0, 1, 1]], dtype=np.int32)
    close(ember.from_numpy(a).gather(0, ember.from_numpy(i32)), torch.from_numpy(a).gather(0, torch.from_numpy(i32)))
    close(ember.from_numpy(a).index_select(1, ember.from_numpy(i32[0])),
          torch.from_numpy(a).index_select(1, torch.from_numpy(i32[0])))


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_index_add_with_many_repeats_matches_torch(dim):
    index = np.r_[RNG.integers(0, 4, 30), np.zeros(70, np.int64)]
    shape = list(BASE.shape)
    shape[dim] = len(index)
    source = RNG.standard_normal(shape)
    e, t = pair(BASE, grad=False)
    close(e.index_add(dim, ember.from_numpy(index), ember.from_numpy(source), alpha=0.5),
          t.index_add(dim, torch.from_numpy(index), torch.from_numpy(source), alpha=0.5))


# --- in-place forms ----------------------------------------------------------------------------

IDX = np.array([[1, 0, 2, 1], [0, 2, 1, 0]])
INPLACE = {
    "scatter_": lambda m, x, T: x.scatter_(0, T(IDX), T(BASE[:2, :4, 1].copy())),
    "scatter_-value": lambda m, x, T: x.scatter_(1, T(IDX[:, :2] % 2), -1.0),
    "scatter_-reduce": lambda m, x, T: x.scatter_(0, T(IDX), T(BASE[:2, :4, 1].copy()), reduce="add"),
    "scatter_add_": lambda m, x, T: x.scatter_add_(0, T(IDX), T(BASE[:2, :4, 1].copy())),
    "index_add_": lambda m, x, T: x.index_add_(0, T(np.array([2, 0, 2])), T(BASE[:3, :4, 2].copy()), alpha=2.0),
}


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forms_match_torch_and_return_self(name):
    check_inplace_form(INPLACE[name])


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forms_on_a_non_leaf_backward_matches_torch(name):
    if "reduce" in name:
        pytest.skip("PyTorch has no derivative for scatter with reduce")
    check_inplace_backward(INPLACE[name])


# --- index tensors are read again by the backward: changing them in place is refused ----------

INDEX = [[1, 0, 2, 1], [2, 2, 0, 1], [0, 1, 1, 0]]
CHANGED_IN_PLACE = {
    "gather": (lambda lib, y, i: y.gather(1, i), INDEX),
    "scatter": (lambda lib, y, i: y.scatter(0, i, y * 2.0), [[1, 0, 2, 1], [2, 1, 0, 0], [0, 2, 1, 2]]),
    "scatter_add": (lambda lib, y, i: y.scatter_add(1, i, y * 2.0), INDEX),
    "index_select": (lambda lib, y, i: y.index_select(1, i), [3, 0, 3]),
    "index_add": (lambda lib, y, i: y.index_add(1, i, y[:, :2] * 2.0), [3, 3]),
}


@pytest.mark.parametrize("op,index", CHANGED_IN_PLACE.values(), ids=CHANGED_IN_PLACE.keys())
def test_backward_refuses_an_index_changed_in_place(op, index):
    check_index_changed_in_place(op, index)


@pytest.mark.parametrize("op", ["take", "take_along_dim"])
def test_take_copies_its_indices_so_later_changes_do_not_matter(op):
    # take and take_along_dim normalise negative indices into a new tensor, which their gradient
    # reads; changing the caller's index tensor afterwards leaves the gradient right (PyTorch refuses)
    x = ember.ones(3, 4, requires_grad=True)
    indices = ember.tensor([[1], [0], [3]])
    out = x.take(indices) if op == "take" else ember.take_along_dim(x * 1.0, indices, 1)
    indices[0, 0] = 2
    out.sum().backward()
    expected = np.zeros((3, 4))
    if op == "take":
        expected.reshape(-1)[[1, 0, 3]] = 1
    else:
        expected[[0, 1, 2], [1, 0, 3]] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)