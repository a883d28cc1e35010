"""Shape ops beyond the registry samples: views and memory sharing, error messages,
iteration, and argument forms (ints vs tuples, negative dims, keywords) against PyTorch."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def arange(*shape):
    n = int(np.prod(shape))
    return ember.tensor(np.arange(n, dtype=np.float32).reshape(shape)), torch.arange(n, dtype=torch.float32).reshape(shape)


def same(e, t):
    if isinstance(t, (tuple, list)):
        assert isinstance(e, tuple) and len(e) == len(t)
        for a, b in zip(e, t):
            same(a, b)
        return
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


# --- view ------------------------------------------------------------------------

def test_view_shares_memory_and_writes_through():
    x = ember.zeros(2, 6)
    v = x.view(3, 4)
    v[0, 1] = 5.0
    assert x[0, 1].item() == 5.0
    assert np.shares_memory(x.numpy(), v.numpy())


def test_view_of_a_noncontiguous_but_viewable_tensor():
    x, tx = arange(3, 4)
    same(x.T.view(2, 2, 3), tx.T.view(2, 2, 3))
    assert np.shares_memory(x.T.view(2, 2, 3).numpy(), x.numpy())
    same(x.T.view(4, 3, 1), tx.T.view(4, 3, 1))
    same(x[:, ::2].view(3, 2, 1), tx[:, ::2].view(3, 2, 1))
    same(x[:, ::2].view(-1), tx[:, ::2].view(-1))  # one uniform stride: viewable


@pytest.mark.parametrize("make", [lambda x: x.T, lambda x: x[:, :2], lambda x: x.unsqueeze(1).expand(3, 2, 4)])
def test_view_error_says_use_reshape_or_contiguous(make):
    x, _ = arange(3, 4)
    with pytest.raises(ember.ShapeError, match=r"view:.*reshape.*contiguous"):
        make(x).view(-1)
    same(make(x).reshape(-1), make(torch.arange(12.0).reshape(3, 4)).reshape(-1))
    assert make(x).contiguous().view(-1).shape == (make(x).numel(),)


def test_view_forms_and_bad_shapes():
    x, tx = arange(2, 3, 4)
    for args in [(6, 4), ((6, 4),), ([-1, 4],), (tuple(ember.zeros(4, 6).shape),)]:
        same(x.view(*args), tx.view(*args))
    same(x.view_as(ember.zeros(4, 6)), tx.view_as(torch.zeros(4, 6)))
    with pytest.raises(ember.ShapeError, match=r"view: shape \(5, 5\) is invalid for input of size 24"):
        x.view(5, 5)
    with pytest.raises(ember.ArgumentError, match="only one dimension can be -1"):
        x.view(-1, -1)
    with pytest.raises(ember.ArgumentError, match="view"):
        x.view(ember.float64)


def test_slice_and_split_views_share_memory_with_the_base():
    x = ember.zeros(4, 3)
    a, b = x.split(2)
    b[0, 0] = 7.0
    assert x[2, 0].item() == 7.0
    row = x.unbind(1)[2]
    row[1] = 3.0
    assert x[1, 2].item() == 3.0
    n = x.narrow(1, 1, 2)
    n[3, 1] = 9.0
    assert x[3, 2].item() == 9.0
    s = x.unsqueeze(0).squeeze(0)
    s[0, 0] = 1.0
    assert x[0, 0].item() == 1.0


@pytest.mark.parametrize("pieces", [lambda x: x.split(2), lambda x: x.chunk(2), lambda x: x.unbind()])
def test_split_outputs_are_views_for_autograd(pieces):
    x = ember.randn(4, 2, requires_grad=True).exp()
    with pytest.raises(ember.AutogradError, match="view"):
        pieces(x)[0].mul_(2)
    y = ember.randn(4, 2, requires_grad=True)
    z = y.exp()
    with ember.no_grad():
        pieces(z)[1].mul_(2)  # changes z, which exp's backward needs
    with pytest.raises(ember.AutogradError, match="in-place"):
        z.sum().backward()


def test_flip_roll_repeat_pad_and_cat_copy():
    x = ember.ones(2, 3)
    for y in (x.flip(0), x.roll(1), x.repeat(1, 1), ember.pad(x, (0, 0)), ember.cat([x]), ember.stack([x])):
        assert not np.shares_memory(y.numpy(), x.numpy())


# --- iteration -------------------------------------------------------------------

def test_for_row_in_x():
    x, tx = arange(3, 2)
    rows = [r for r in x]
    assert len(rows) == 3
    for r, tr in zip(rows, tx):
        same(r, tr)
    with pytest.raises(TypeError):
        iter(ember.tensor(1.0))


def test_iteration_is_differentiable():
    x = ember.randn(3, 2, requires_grad=True)
    total = sum((row * (i + 1)).sum() for i, row in enumerate(x))
    total.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.array([[1, 1], [2, 2], [3, 3]], dtype=np.float32))


def test_unused_split_outputs_get_zero_gradients():
    x = ember.randn(5, 2, requires_grad=True)
    a, b, c = x.split(2)
    (b * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.array([[0, 0], [0, 0], [2, 2], [2, 2], [0, 0]], np.float32))


def test_double_backward_through_cat_and_split():
    x = ember.randn(4, requires_grad=True)
    y = ember.cat([x[:2] ** 2, x[2:] ** 3])
    (g,) = ember.autograd.grad(y.sum(), x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    xs = x.detach().numpy()
    np.testing.assert_allclose(gg.numpy(), np.concatenate([[2, 2], 6 * xs[2:]]), rtol=1e-5)


# --- errors ----------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda x: x.squeeze(3), lambda x: x.unsqueeze(4), lambda x: x.unsqueeze(-5), lambda x: x.flatten(0, 3),
    lambda x: x.flip(3), lambda x: x.roll(1, 3), lambda x: x.split(1, 3), lambda x: x.chunk(2, -4),
    lambda x: x.unbind(3), lambda x: x.narrow(3, 0, 1), lambda x: x.movedim(3, 0), lambda x: x.unflatten(-4, (1, 2)),
    lambda x: ember.cat([x, x], 3), lambda x: ember.stack([x, x], 4), lambda x: x.transpose(0, 3)])
def test_out_of_range_dim_names_the_dim_and_rank(call):
    x = ember.zeros(2, 3, 4)
    with pytest.raises(ember.DimError, match=r"(dim|dims|dim1|source)=-?[345] is out of range for a tensor of rank 3"):
        call(x)


def test_cat_of_mismatched_shapes_names_both_shapes():
    with pytest.raises(ember.ShapeError, match=r"cat: tensor 0 has shape \(2, 3\) and tensor 1 has shape \(2, 4\)"):
        ember.cat([ember.zeros(2, 3), ember.zeros(2, 4)])
    with pytest.raises(ember.ShapeError, match=r"\(2, 3\).*\(3,\)"):
        ember.cat([ember.zeros(2, 3), ember.zeros(3)])
    with pytest.raises(ember.ShapeError, match=r"stack: .*\(2, 3\).*\(3, 2\)"):
        ember.stack([ember.zeros(2, 3), ember.zeros(3, 2)])


def test_cat_and_stack_argument_errors():
    with pytest.raises(ember.ArgumentError, match="non-empty"):
        ember.cat([])
    with pytest.raises(ember.ArgumentError, match="list or tuple of tensors"):
        ember.cat(ember.zeros(2, 3))
    with pytest.raises(ember.DTypeError, match="element 1"):
        ember.stack([ember.zeros(2), [1.0, 2.0]])
    with pytest.raises(ember.ShapeError, match="zero-dimensional"):
        ember.cat([ember.tensor(1.0), ember.tensor(2.0)])


def test_split_sizes_that_do_not_add_up():
    x = ember.zeros(5, 3)
    with pytest.raises(ember.ShapeError, match=r"split sizes \[2, 2\] must be non-negative and sum to 5.*\(5, 3\)"):
        x.split([2, 2])
    with pytest.raises(ember.ShapeError, match="sum to 3"):
        ember.split(x, [1, 1, 2], dim=1)
    with pytest.raises(ember.ArgumentError, match="split_size=0"):
        x.split(0)
    with pytest.raises(ember.ArgumentError, match="chunks must be greater than 0"):
        x.chunk(0)
    with pytest.raises(ember.DimError, match="0-d"):
        ember.tensor(1.0).unbind()


def test_other_argument_errors():
    x = ember.zeros(2, 3)
    with pytest.raises(ember.ArgumentError, match="start_dim"):
        ember.zeros(2, 3, 4).flatten(2, 1)
    with pytest.raises(ember.ShapeError, match=r"unflatten: sizes \(2, 2\) don't multiply to 3"):
        x.unflatten(1, (2, 2))
    with pytest.raises(ember.ArgumentError, match=r"narrow: start \(2\) \+ length \(2\) exceeds the size 3"):
        x.narrow(1, 2, 2)
    with pytest.raises(ember.ArgumentError, match="repeats"):
        x.repeat(2)
    with pytest.raises(ember.ArgumentError, match="negative"):
        x.repeat(2, -1)
    with pytest.raises(ember.AllocationError, match="repeat"):
        x.repeat(10 ** 9, 10 ** 9)
    with pytest.raises(ember.ArgumentError, match="roll.*same length"):
        x.roll((1, 2), 0)
    with pytest.raises(ember.ArgumentError, match="repeat"):
        x.flip((0, 0))
    with pytest.raises(ember.ArgumentError, match="movedim: repeated dim in destination"):
        ember.zeros(2, 3, 4).movedim((0, 1), (1, 1))
    with pytest.raises(ember.ShapeError, match="expand"):
        x.expand(3, 3)
    with pytest.raises(ember.ShapeError, match=r"broadcast_tensors: shapes \(2, 3\) and \(4,\)"):
        ember.broadcast_tensors(x, ember.zeros(4))


def test_pad_errors():
    x = ember.zeros(1, 2, 3)
    with pytest.raises(ember.ArgumentError, match=r"reflect padding \(3, 3\) must be less than the size 3 of dim 2"):
        ember.pad(x, (3, 3), mode="reflect")
    with pytest.raises(ember.ArgumentError, match="circular"):
        ember.pad(x, (4, 0), mode="circular")
    with pytest.raises(ember.ArgumentError, match="pairs"):
        ember.pad(x, (1, 1, 1))
    with pytest.raises(ember.ArgumentError, match="pairs"):
        ember.pad(x, (1,) * 8)
    with pytest.raises(ember.ShapeError, match="negative size"):
        ember.pad(x, (-2, -2))
    with pytest.raises(ember.ArgumentError, match="mode"):
        ember.pad(x, (1, 1), mode="edge")
    with pytest.raises(ember.ArgumentError, match="value"):
        ember.pad(x, (1, 1), mode="reflect", value=2.0)
    with pytest.raises(ember.AllocationError, match="pad"):
        ember.pad(x, (10 ** 12, 0))


# --- argument forms against torch ------------------------------------------------

FORMS = [
    ("squeeze", lambda m, x: m.squeeze(x, -1), (2, 3, 1)),
    ("squeeze-tuple-neg", lambda m, x: m.squeeze(x, (-1, 0, 1)), (1, 3, 1)),
    ("squeeze-method", lambda m, x: x.squeeze(), (1, 3, 1)),
    ("squeeze-0d", lambda m, x: x.squeeze(0), ()),
    ("unsqueeze-neg", lambda m, x: x.unsqueeze(-3), (2, 3)),
    ("unsqueeze-end", lambda m, x: m.unsqueeze(x, 2), (2, 3)),
    ("flatten-kw", lambda m, x: m.flatten(x, start_dim=-2), (2, 3, 4)),
    ("flatten-same", lambda m, x: x.flatten(1, 1), (2, 3, 4)),
    ("flatten-1d", lambda m, x: x.flatten(), (5,)),
    ("unflatten-list", lambda m, x: x.unflatten(0, [2, -1]), (6, 2)),
    ("movedim-neg", lambda m, x: m.movedim(x, -1, 0), (2, 3, 4)),
    ("movedim-list", lambda m, x: x.movedim([0, 2], [2, 1]), (2, 3, 4)),
    ("moveaxis", lambda m, x: m.moveaxis(x, (0, 1), (-1, -2)), (2, 3, 4)),
    ("expand-method-varargs", lambda m, x: x.expand(2, -1, 3), (4, 1)),
    ("expand_as", lambda m, x: x.expand_as(m.zeros(2, 4, 3)), (4, 1)),
    ("broadcast_to-neg", lambda m, x: m.broadcast_to(x, (3, -1)), (1, 4)),
    ("reshape_as", lambda m, x: x.reshape_as(m.zeros(3, 4)), (4, 3)),
    ("split-kw", lambda m, x: m.split(x, 2, dim=-1), (2, 5)),
    ("split-tuple", lambda m, x: x.split((1, 1, 3), 1), (2, 5)),
    ("split-method-big", lambda m, x: x.split(10), (3, 2)),
    ("chunk-neg", lambda m, x: x.chunk(3, -1), (2, 7)),
    ("chunk-more-than-size", lambda m, x: m.chunk(x, 5), (3, 2)),
    ("chunk-empty", lambda m, x: m.chunk(x, 3), (0, 2)),
    ("unbind-neg", lambda m, x: m.unbind(x, -1), (2, 3)),
    ("flip-int-method", lambda m, x: x.flip(-1), (2, 3)),
    ("flip-varargs", lambda m, x: x.flip(0, -1), (2, 3)),
    ("flip-kw", lambda m, x: m.flip(x, dims=[1]), (2, 3)),
    ("flip-none", lambda m, x: m.flip(x, ()), (2, 3)),
    ("roll-neg-dim", lambda m, x: m.roll(x, -1, -2), (3, 4)),
    ("roll-tuple-kw", lambda m, x: x.roll(shifts=(1, 2), dims=(1, 0)), (3, 4)),
    ("roll-flat-big", lambda m, x: x.roll(-7), (3, 4)),
    ("repeat-list", lambda m, x: x.repeat([1, 2, 2]), (2, 3)),
    ("repeat-1d", lambda m, x: x.repeat(3), (2,)),
    ("tile-long", lambda m, x: m.tile(x, (2, 1, 1)), (2, 3)),
    ("tile-1", lambda m, x: x.tile((3,)), (2, 3)),
    ("narrow-neg", lambda m, x: m.narrow(x, -2, -2, 2), (4, 3)),
    ("transpose-same", lambda m, x: x.transpose(1, -2), (2, 3, 4)),
    ("swapaxes", lambda m, x: m.swapaxes(x, 0, 2), (2, 3, 4)),
    ("permute-list", lambda m, x: x.permute([1, 0]), (2, 3)),
    ("permute-neg", lambda m, x: x.permute(-1, 0, 1), (2, 3, 4)),
    ("cat-tuple-kw", lambda m, x: m.cat((x, x * 2), dim=-1), (2, 3)),
    ("cat-legacy-only", lambda m, x: m.cat([m.zeros(0), m.zeros(0)]), (2,)),
    ("concatenate-axis", lambda m, x: m.concatenate([x, x], axis=1), (2, 3)),
    ("concat", lambda m, x: m.concat([x, x], 0), (2, 3)),
    ("stack-end", lambda m, x: m.stack((x, x), 2), (2, 3)),
    ("hstack-1d", lambda m, x: m.hstack([x[0], x[1]]), (2, 3)),
    ("vstack-1d", lambda m, x: m.vstack([x[0], x[1], x[0]]), (2, 3)),
    ("dstack-2d", lambda m, x: m.dstack([x, x]), (2, 3)),
    ("dstack-1d", lambda m, x: m.dstack([x[0], x[1]]), (2, 3)),
    ("broadcast_tensors", lambda m, x: m.broadcast_tensors(x, x[:1], m.zeros(2, 1, 1)), (2, 3)),
    ("view-size", lambda m, x: x.view(m.zeros(3, 2).shape), (2, 3)),
]


@pytest.mark.parametrize("name,call,shape", FORMS, ids=[f[0] for f in FORMS])
def test_argument_forms_match_torch(name, call, shape):
    x, tx = arange(*shape)
    same(call(ember, x), call(torch, tx))


def test_cat_promotes_dtypes_like_torch():
    pairs = [(np.int64, np.float32), (np.bool_, np.int32), (np.float32, np.float64), (np.int8, np.uint8)]
    for a, b in pairs:
        e = ember.cat([ember.tensor(np.ones((2, 2), a)), ember.tensor(np.ones((1, 2), b))])
        t = torch.cat([torch.from_numpy(np.ones((2, 2), a)), torch.from_numpy(np.ones((1, 2), b))])
        assert e.dtype.name == str(t.dtype).replace("torch.", "")
    e = ember.cat([ember.zeros(0, dtype=ember.float64), ember.ones(2, 3)])
    assert e.dtype == ember.float64 and e.shape == (2, 3)


PADS = [((1, 2), "reflect"), ((-1, 2), "reflect"), ((2, -1, 1, 1), "reflect"), ((3, 0), "replicate"),
        ((-1, 2, 2, -1), "replicate"), ((2, 3), "circular"), ((-1, 3), "circular"), ((1, -2, -1, 2), "circular"),
        ((1, 1, 1, 1, 1, 1), "constant"), ((-1, -1, 2, 0), "constant")]


@pytest.mark.parametrize("pads,mode", PADS)
def test_pad_modes_and_crops_match_torch(pads, mode):
    shape = (2, 3, 5) if len(pads) == 2 else (2, 3, 4, 5)  # torch's non-constant modes want a batch dim
    e = ember.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    t = torch.from_numpy(e.detach().numpy().copy()).requires_grad_()
    ey, ty = ember.pad(e, pads, mode=mode), torch.nn.functional.pad(t, pads, mode=mode)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy())
    w = np.random.default_rng(1).standard_normal(tuple(ty.shape))
    (ey * ember.tensor(w)).sum().backward()
    (ty * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_pad_int_tensor_with_value():
    x = ember.tensor([[1, 2], [3, 4]])
    y = ember.pad(x, (1, 0, 0, 1), value=9)
    assert y.dtype == ember.int64
    np.testing.assert_array_equal(y.numpy(), [[9, 1, 2], [9, 3, 4], [9, 9, 9]])
