"""Indexing against PyTorch: `t[k]` and `t[k] = v` for many key forms (values and
gradients), the indexing ops' error messages, sort/topk's named fields, and the
in-place forms. The registry test covers each op's samples and gradcheck."""
import numpy as np
import pytest

import ember
from ember import DTypeError, IndexOutOfRangeError, ShapeError

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter"),
              pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")]

RNG = np.random.default_rng(0)
BASE = RNG.standard_normal((4, 5, 6))
MASK45 = RNG.random((4, 5)) < 0.5
MASK4 = np.array([True, False, True, True])


def A(*values):
    """An int64 index array (becomes a tensor on both sides)."""
    return np.array(values, dtype=np.int64)


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
    "one_hot": (lambda: ember.one_hot(ember.tensor([0, 3]), 3), "one_hot", 3, -1, 3),
    "one_hot-negative": (lambda: ember.one_hot(ember.tensor([-1, 2])), "one_hot", -1, -1, 3),
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
    "one_hot": lambda i: ember.one_hot(i, 3),
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
    with pytest.raises(DTypeError, match="masked_fill: mask must be a bool tensor, got (ember\\.)?int64"):
        X.masked_fill(ember.tensor([1, 0, 1, 0]), 1.0)
    with pytest.raises(ShapeError, match="masked_fill: value must be a number or a 0-d tensor"):
        X.masked_fill(ember.tensor([True, False, True, False]), ember.ones(2))
    with pytest.raises(ShapeError, match="masked_fill"):
        X.masked_fill(ember.tensor([True, False]), 1.0)
    with pytest.raises(ember.ArgumentError, match="topk: k=5 is out of range for dim 1 of size 4"):
        X.topk(5)
    with pytest.raises(ember.DimError, match="sort: dim=2"):
        X.sort(2)
    with pytest.raises(ember.DimError, match="tril: input must have at least 2 dimensions"):
        ember.ones(3).tril()
    with pytest.raises(ember.ArgumentError, match="one_hot: can't infer num_classes"):
        ember.one_hot(ember.zeros(0, dtype=ember.int64))
    with pytest.raises(DTypeError, match="one_hot.*int64, got (ember\\.)?int32"):
        ember.one_hot(ember.tensor([1], dtype=ember.int32), 3)


def test_errors_come_before_allocation_and_leave_tensors_unchanged():
    with pytest.raises(ember.AllocationError, match="one_hot"):
        ember.one_hot(ember.tensor([0, 1]), 2**60)
    with pytest.raises(ember.ArgumentError, match="one_hot"):
        ember.one_hot(ember.tensor([0, 1]), -5)
    x = ember.zeros(3, 4)
    with pytest.raises(IndexOutOfRangeError):
        x.scatter_(0, ember.tensor([[0, 1, 9, 0]]), 1.0)
    with pytest.raises(IndexOutOfRangeError):
        x.index_add_(0, ember.tensor([0, 3]), ember.ones(2, 4))
    assert not x.numpy().any() and x._version == 0


# --- the ops against PyTorch, beyond the registry samples ------------------------------------

def test_sort_and_topk_return_named_tuples():
    x = ember.tensor([[3.0, 1.0, 2.0]])
    s = x.sort(descending=True)
    assert isinstance(s, tuple) and len(s) == 2
    values, indices = s
    assert s.values is values and s.indices is indices
    assert values.tolist() == [[3.0, 2.0, 1.0]] and indices.tolist() == [[0, 2, 1]]
    assert indices.dtype == ember.int64
    k = ember.topk(x, 2, largest=False)
    assert k.values.tolist() == [[1.0, 2.0]] and k.indices.tolist() == [[1, 2]]
    assert k[0] is k.values and "values=" in repr(k)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_stable_sort_with_many_ties_matches_torch(descending, dim):
    a = RNG.integers(0, 4, (30, 40)).astype(np.float32)
    e = ember.from_numpy(a).sort(dim, descending, stable=True)
    t = torch.from_numpy(a).sort(dim=dim, descending=descending, stable=True)
    close(e.values, t.values)
    np.testing.assert_array_equal(e.indices.numpy(), t.indices.numpy())
    np.testing.assert_array_equal(ember.from_numpy(a).argsort(dim, descending, stable=True).numpy(),
                                  torch.from_numpy(a).argsort(dim=dim, descending=descending, stable=True).numpy())


@pytest.mark.parametrize("k", [1, 3, 10, 99, 100])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_torch_on_larger_inputs(k, largest):
    a = RNG.permutation(400).reshape(4, 100).astype(np.float64)
    e, t = pair(a)
    eo, to = e.topk(k, largest=largest), t.topk(k, largest=largest)
    close(eo.values, to.values)
    np.testing.assert_array_equal(eo.indices.numpy(), to.indices.numpy())
    cot = RNG.standard_normal((4, k))
    eo.values.backward(ember.from_numpy(cot))
    to.values.backward(torch.from_numpy(cot))
    close(e.grad, t.grad)


def test_sort_backward_refuses_indices_changed_in_place():
    x = ember.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, indices = x.sort()
    indices.add_(0)
    with pytest.raises(ember.AutogradError, match="in-place"):
        values.sum().backward()


def test_nonzero_as_tuple_indexes_like_a_mask():
    x = ember.tensor([[0.0, 1.5], [2.0, 0.0]])
    rows, cols = x.nonzero(as_tuple=True)
    assert x[rows, cols].tolist() == x[x != 0].tolist() == [1.5, 2.0]
    assert ember.where(x != 0)[1].tolist() == [1, 0]
    assert ember.argwhere(x).tolist() == [[0, 1], [1, 0]]


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


def test_index_ops_accept_int32_indices_as_torch_does():
    a = BASE[:3, :4, 0]
    i32 = np.array([[2, 0, 1, 1]], dtype=np.int32)
    close(ember.from_numpy(a).gather(0, ember.from_numpy(i32)), torch.from_numpy(a).gather(0, torch.from_numpy(i32)))
    close(ember.from_numpy(a).index_select(1, ember.from_numpy(i32[0])),
          torch.from_numpy(a).index_select(1, torch.from_numpy(i32[0])))


def test_double_backward_through_gather_and_sort():
    x = ember.tensor([[3.0, 1.0, 2.0]], requires_grad=True)
    y = (x.gather(1, ember.tensor([[2, 2, 0]])) ** 2).sum() + (x.sort().values ** 3).sum()
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    tx = torch.tensor([[3.0, 1.0, 2.0]], requires_grad=True)
    ty = (tx.gather(1, torch.tensor([[2, 2, 0]])) ** 2).sum() + (tx.sort().values ** 3).sum()
    (tg,) = torch.autograd.grad(ty, tx, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), tx)
    close(g, tg)
    close(gg, tgg)


# --- in-place forms ----------------------------------------------------------------------------

IDX = np.array([[1, 0, 2, 1], [0, 2, 1, 0]])
INPLACE = {
    "scatter_": lambda m, x, T: x.scatter_(0, T(IDX), T(BASE[:2, :4, 1].copy())),
    "scatter_-value": lambda m, x, T: x.scatter_(1, T(IDX[:, :2] % 2), -1.0),
    "scatter_-reduce": lambda m, x, T: x.scatter_(0, T(IDX), T(BASE[:2, :4, 1].copy()), reduce="add"),
    "scatter_add_": lambda m, x, T: x.scatter_add_(0, T(IDX), T(BASE[:2, :4, 1].copy())),
    "index_add_": lambda m, x, T: x.index_add_(0, T(np.array([2, 0, 2])), T(BASE[:3, :4, 2].copy()), alpha=2.0),
    "masked_fill_": lambda m, x, T: x.masked_fill_(T(BASE[:3, :4, 1] > 0), 0.5),
    "masked_fill_-broadcast": lambda m, x, T: x.masked_fill_(T(np.array([True, False, False, True])), -3.0),
    "index_put_": lambda m, x, T: x.index_put_((T(np.array([0, 0])), T(np.array([1, 3]))), T(np.array([1.0, 2.0]))),
    "index_put_-accumulate": lambda m, x, T: x.index_put_((T(np.array([1, 1])),), T(np.array(2.0)), accumulate=True),
    "tril_": lambda m, x, T: x.tril_(1),
    "triu_": lambda m, x, T: x.triu_(-1),
}


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forms_match_torch_and_return_self(name):
    fn = INPLACE[name]
    ex, tx = pair(BASE[:3, :4, 0], grad=False)
    er = fn(ember, ex, lambda a: ember.from_numpy(np.asarray(a).copy()))
    tr = fn(torch, tx, lambda a: torch.from_numpy(np.asarray(a).copy()))
    assert er is ex and tr is tx
    assert ex._version == 1
    close(ex, tx)


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forms_on_a_non_leaf_backward_matches_torch(name):
    if "reduce" in name:
        pytest.skip("PyTorch has no derivative for scatter with reduce")
    fn = INPLACE[name]
    e, t = pair(BASE[:3, :4, 0])
    ey, ty = e * 1.5, t * 1.5
    fn(ember, ey, lambda a: ember.from_numpy(np.asarray(a).copy()))
    fn(torch, ty, lambda a: torch.from_numpy(np.asarray(a).copy()))
    w = RNG.standard_normal((3, 4))
    (ey * ember.from_numpy(w)).sum().backward()
    (ty * torch.from_numpy(w)).sum().backward()
    close(e.grad, t.grad)


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    x = ember.zeros(3, requires_grad=True)
    with pytest.raises(ember.AutogradError, match="masked_fill_"):
        x.masked_fill_(ember.tensor([True, False, True]), 1.0)


def test_inplace_masked_fill_cannot_grow_the_tensor():
    x = ember.zeros(4)
    with pytest.raises(ember.EmberError):
        x.masked_fill_(ember.ones(2, 4, dtype=ember.bool), 1.0)


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


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_index_add_with_many_repeats_matches_torch(dim):
    index = np.r_[RNG.integers(0, 4, 30), np.zeros(70, np.int64)]
    shape = list(BASE.shape)
    shape[dim] = len(index)
    source = RNG.standard_normal(shape)
    e, t = pair(BASE, grad=False)
    close(e.index_add(dim, ember.from_numpy(index), ember.from_numpy(source), alpha=0.5),
          t.index_add(dim, torch.from_numpy(index), torch.from_numpy(source), alpha=0.5))


def test_pairs_of_index_arrays_accumulate_with_negative_indices():
    e, t = pair(BASE[:, :, 0])
    key = (A(0, -4, 1, 0), A(-1, 4, 2, 4))
    eo, to = e[e_key(key)], t[t_key(key)]
    (eo * ember.from_numpy(np.arange(4.0))).sum().backward()
    (to * torch.arange(4.0, dtype=torch.float64)).sum().backward()
    close(e.grad, t.grad)
