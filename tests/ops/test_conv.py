"""Convolutions against PyTorch beyond the registry samples: larger shapes, every spatial
argument, double backward, and the errors for bad shapes."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(0)


def pair(*shape, dtype="float64"):
    a = rng.standard_normal(shape).astype(dtype)
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def close(e, t, dtype="float64"):
    rtol, atol = (1e-4, 1e-4) if dtype == "float32" else (1e-9, 1e-10)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


def check(e_fn, t_fn, shapes, dtype="float64"):
    """Forward and the gradient of every input against PyTorch, for one random upstream gradient."""
    pairs = [pair(*s, dtype=dtype) for s in shapes]
    ye, yt = e_fn(*[p[0] for p in pairs]), t_fn(*[p[1] for p in pairs])
    close(ye, yt, dtype)
    up = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    ge = ember.autograd.grad(ye, [p[0] for p in pairs], ember.tensor(up))
    gt = torch.autograd.grad(yt, [p[1] for p in pairs], torch.tensor(up))
    for a, b in zip(ge, gt):
        close(a, b, dtype)


CONV2D = [  # (x shape, w shape, kwargs)
    ((3, 4, 9, 8), (6, 4, 3, 3), dict(padding=1)),
    ((2, 4, 9, 8), (6, 2, 3, 2), dict(stride=(2, 3), padding=(2, 1), dilation=(1, 2), groups=2)),
    ((2, 6, 7, 7), (6, 1, 3, 3), dict(padding=1, groups=6)),
    ((2, 3, 8, 8), (5, 3, 4, 4), dict(padding="same", dilation=2)),
    ((2, 3, 8, 8), (5, 3, 1, 1), dict(stride=2)),
    ((1, 2, 11, 5), (3, 2, 5, 5), dict(padding=(0, 2), stride=3)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("xs,ws,kw", CONV2D)
def test_conv2d_matches_torch(xs, ws, kw, dtype):
    check(lambda x, w, b: F.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
          [xs, ws, (ws[0],)], dtype)


@pytest.mark.parametrize("kw", [dict(dilation=3, padding=2), dict(padding="same", dilation=2),
                                dict(stride=2, groups=2)])
def test_conv1d_matches_torch(kw):
    check(lambda x, w: F.conv1d(x, w, **kw), lambda x, w: TF.conv1d(x, w, **kw),
          [(2, 4, 13), (4, 4 // kw.get("groups", 1), 4)])


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, output_padding=1),
                                dict(stride=2, dilation=3, output_padding=2),
                                dict(groups=2, stride=3, padding=2), dict(dilation=2, padding=1)])
def test_conv_transpose_matches_torch(kw):
    check(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw),
          [(2, 4, 5, 4), (4, 3, 3, 2), (6 if kw.get("groups") == 2 else 3,)])
    check(lambda x, w: F.conv_transpose1d(x, w, **kw), lambda x, w: TF.conv_transpose1d(x, w, **kw),
          [(2, 4, 6), (4, 3, 3)])


def test_double_backward_matches_torch():
    """d/d(x, w) of <grad_x, v> + <grad_w, u>: the gradients of the gradients are convolutions again."""
    (xe, xt), (we, wt) = pair(2, 3, 7, 6), pair(4, 3, 3, 3)
    v, u = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 3))
    results = []
    for lib, x, w, conv in ((ember, xe, we, F.conv2d), (torch, xt, wt, TF.conv2d)):
        y = conv(x, w, stride=2, padding=1)
        gx, gw = lib.autograd.grad((y * y).sum(), [x, w], create_graph=True)
        s = (gx * lib.tensor(v)).sum() + (gw * lib.tensor(u)).sum()
        results.append(lib.autograd.grad(s, [x, w]))
    for a, b in zip(*results):
        close(a, b)


def test_float32_layer_sized_shapes_match_torch():
    """The shapes of the benchmark at a small batch, in float32."""
    for cin, cout, size in ((1, 32, 28), (32, 64, 14), (64, 64, 8)):
        check(lambda x, w, b: F.conv2d(x, w, b, padding=1), lambda x, w, b: TF.conv2d(x, w, b, padding=1),
              [(2, cin, size, size), (cout, cin, 3, 3), (cout,)], "float32")


def test_input_without_grad_skips_its_gradient():
    x = ember.randn(2, 3, 5, 5)
    w = ember.randn(4, 3, 3, 3, requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (4, 3, 3, 3)


@pytest.mark.parametrize("call,match", [
    (lambda: F.conv2d(ember.randn(2, 3, 5, 5), ember.randn(4, 3, 3)), r"conv2d.*weight.*\(4, 3, 3\)"),
    (lambda: F.conv2d(ember.randn(1, 2, 3, 5, 5), ember.randn(4, 3, 3, 3)), r"conv2d.*\(1, 2, 3, 5, 5\)"),
    (lambda: F.conv2d(ember.randn(2, 5, 5, 5), ember.randn(4, 3, 3, 3)), r"conv2d.*\(2, 5, 5, 5\).*5 channels.*3"),
    (lambda: F.conv2d(ember.randn(2, 3, 2, 2), ember.randn(4, 3, 3, 3)), r"conv2d.*kernel.*larger.*\(2, 3, 2, 2\)"),
    (lambda: F.conv2d(ember.randn(2, 4, 5, 5), ember.randn(3, 2, 3, 3), groups=2), r"conv2d.*divisible by groups=2"),
    (lambda: F.conv2d(ember.randn(2, 3, 5, 5), ember.randn(4, 3, 3, 3), ember.randn(3)), r"conv2d.*bias.*\(4,\)"),
    (lambda: F.conv2d(ember.randn(2, 3, 5, 5), ember.randn(4, 3, 3, 3), stride=2, padding="same"), r"same"),
    (lambda: F.conv2d(ember.randn(2, 3, 5, 5), ember.randn(4, 3, 3, 3), stride=0), r"conv2d.*stride"),
    (lambda: F.conv1d(ember.randn(2, 3, 5, 5), ember.randn(4, 3, 3)), r"conv1d.*2-d.*3-d"),
    (lambda: F.conv_transpose2d(ember.randn(2, 3, 5, 5), ember.randn(4, 3, 3, 3)), r"conv_transpose2d.*3 channels"),
    (lambda: F.conv_transpose2d(ember.randn(1, 4, 5, 5), ember.randn(4, 3, 3, 3), stride=2, output_padding=2),
     r"output_padding"),
])
def test_errors_name_the_op_and_shapes(call, match):
    with pytest.raises((ember.ShapeError, ember.ArgumentError), match=match):
        call()


def test_dtype_mismatch_and_integer_inputs_are_dtype_errors():
    with pytest.raises(ember.DTypeError, match="conv2d"):
        F.conv2d(ember.randn(1, 1, 3, 3), ember.randn(1, 1, 2, 2, dtype=ember.float64))
    with pytest.raises(ember.DTypeError, match="conv2d"):
        F.conv2d(ember.ones(1, 1, 3, 3, dtype=ember.int64), ember.ones(1, 1, 2, 2, dtype=ember.int64))
