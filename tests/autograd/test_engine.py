"""The backward engine: accumulation, retain/create graph, autograd.grad, hooks, depth."""
import sys

import numpy as np
import pytest

import ember
from ember.errors import AutogradError, ShapeError

torch = pytest.importorskip("torch")


def pair(shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def close(e, t, tol=1e-10):
    np.testing.assert_allclose(np.asarray(e.detach().numpy()), t.detach().numpy(), rtol=tol, atol=tol)


def test_backward_accumulates_and_matches_torch():
    e, t = pair((3, 4))
    for _ in range(2):
        ((e * e).sin() * 3).sum().backward()
        ((t * t).sin() * 3).sum().backward()
    close(e.grad, t.grad)


def test_backward_with_gradient_argument():
    e, t = pair((2, 3))
    g = np.arange(6.0).reshape(2, 3)
    (e.exp() * 2).backward(gradient=ember.tensor(g))
    (t.exp() * 2).backward(gradient=torch.tensor(g))
    close(e.grad, t.grad)


def test_non_scalar_backward_without_gradient_is_an_error():
    e, _ = pair((2, 3))
    with pytest.raises(AutogradError, match="scalar outputs"):
        (e * 2).backward()


def test_gradient_of_wrong_shape_is_an_error():
    e, _ = pair((2, 3))
    with pytest.raises(ShapeError, match=r"\(3,\).*\(2, 3\)"):
        (e * 2).backward(ember.ones(3))


def test_second_backward_needs_retain_graph():
    e, t = pair((3,))
    y = (e * e).sum()
    y.backward(retain_graph=True)
    y.backward()
    yt = (t * t).sum()
    yt.backward(retain_graph=True)
    yt.backward()
    close(e.grad, t.grad)
    z = (e.exp()).sum()
    z.backward()
    with pytest.raises(AutogradError, match="second time"):
        z.backward()


def test_backward_of_tensor_without_grad_is_an_error():
    with pytest.raises(AutogradError, match="does not require grad"):
        (ember.ones(2) * 2).sum().backward()


def test_create_graph_gives_higher_derivatives():
    e, t = pair((4,))
    ge, = ember.autograd.grad((e ** 3).sum(), e, create_graph=True)
    gt, = torch.autograd.grad((t ** 3).sum(), t, create_graph=True)
    close(ge, gt)
    gge, = ember.autograd.grad(ge.sum(), e, create_graph=True)
    ggt, = torch.autograd.grad(gt.sum(), t, create_graph=True)
    close(gge, ggt)
    close(ember.autograd.grad(gge.sum(), e)[0], torch.autograd.grad(ggt.sum(), t)[0])


def test_double_backward_through_saved_outputs():
    # tanh, sigmoid and exp reuse their output in backward: double backward must flow through it
    for name in ("tanh", "sigmoid", "exp", "sqrt"):
        a = np.random.default_rng(1).uniform(0.5, 1.5, 5)
        e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        ge, = ember.autograd.grad(getattr(ember, name)(e).sum(), e, create_graph=True)
        gt, = torch.autograd.grad(getattr(torch, name)(t).sum(), t, create_graph=True)
        (ge * ge).sum().backward()
        (gt * gt).sum().backward()
        close(e.grad, t.grad)


def test_grad_with_several_inputs_and_non_leaf():
    e, t = pair((3,))
    f, u = pair((3,), seed=1)
    he, ht = e * 2, t * 2
    oe, ot = (he * f).sum(), (ht * u).sum()
    ge = ember.autograd.grad(oe, [he, f])
    gt = torch.autograd.grad(ot, [ht, u])
    for a, b in zip(ge, gt):
        close(a, b)
    assert e.grad is None and f.grad is None  # grad() accumulates nothing


def test_grad_allow_unused():
    e, _ = pair((3,))
    f, _ = pair((3,), seed=1)
    with pytest.raises(AutogradError, match="not used"):
        ember.autograd.grad((e * 2).sum(), [e, f])
    ge, gf = ember.autograd.grad((e * 2).sum(), [e, f], allow_unused=True)
    assert gf is None and np.allclose(ge.numpy(), 2)


def test_backward_inputs_limits_accumulation():
    e, _ = pair((3,))
    f, _ = pair((3,), seed=1)
    (e * f).sum().backward(inputs=[f])
    assert e.grad is None and np.allclose(f.grad.numpy(), e.detach().numpy())


def test_leaf_grads_never_alias():
    a = ember.ones(3, requires_grad=True)
    b = ember.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.mul_(5)
    assert np.allclose(b.grad.numpy(), 1)


def test_deep_chain_does_not_recurse():
    x = ember.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    limit = sys.getrecursionlimit()
    y.backward()
    assert sys.getrecursionlimit() == limit
    assert x.grad.item() == 1.0


def test_diamond_graph_sums_paths():
    e, t = pair((3,))
    he, ht = e.exp(), t.exp()
    ((he * he.sin() + he.cos()) * e).sum().backward()
    ((ht * ht.sin() + ht.cos()) * t).sum().backward()
    close(e.grad, t.grad)


def test_broadcast_gradients_reduce_to_input_shape():
    e, t = pair((3, 1))
    f, u = pair((4,), seed=1)
    (e * f + e).sum().backward()
    (t * u + t).sum().backward()
    close(e.grad, t.grad)
    close(f.grad, u.grad)


def test_mixed_precision_gradients_keep_each_input_dtype():
    a = ember.ones(3, dtype=ember.float32, requires_grad=True)
    b = ember.ones(3, dtype=ember.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == ember.float32 and b.grad.dtype == ember.float64


def test_hooks_on_leaf_and_non_leaf():
    e, t = pair((3,))
    seen = []
    e.register_hook(lambda g: seen.append(("leaf", g.numpy().copy())))
    h = e * 2
    h.register_hook(lambda g: g * 10)  # replaces the gradient flowing on
    h.sum().backward()
    assert np.allclose(e.grad.numpy(), 20)
    assert seen[0][0] == "leaf" and np.allclose(seen[0][1], 20)


def test_hook_handle_remove():
    e, _ = pair((3,))
    handle = e.register_hook(lambda g: g * 0)
    handle.remove()
    (e * 1).sum().backward()
    assert np.allclose(e.grad.numpy(), 1)


def test_retain_grad():
    e, t = pair((3,))
    he, ht = e.exp(), t.exp()
    he.retain_grad()
    ht.retain_grad()
    (he * he).sum().backward()
    (ht * ht).sum().backward()
    close(he.grad, ht.grad)
    assert he.retains_grad and not e.exp().retains_grad


def test_grad_modes():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not (x * 2).requires_grad
        with ember.enable_grad():
            assert (x * 2).requires_grad
    assert (x * 2).requires_grad

    @ember.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad and ember.is_grad_enabled()
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()


def test_detach_and_requires_grad():
    x = ember.ones(2, requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf
    assert (x * 2).is_leaf is False and x.is_leaf
    with pytest.raises(AutogradError, match="leaf"):
        (x * 2).requires_grad_(False)
    with pytest.raises(ember.DTypeError, match="floating point"):
        ember.ones(2, dtype=ember.int64).requires_grad_()
    with pytest.raises(AutogradError, match="detach"):
        x.numpy()


def test_grad_mode_and_tracing_are_per_thread():
    # as in PyTorch: one thread inside no_grad (or tracing a compiled function) changes nothing for another
    import threading

    import ember.graph
    x = ember.ones(3, requires_grad=True)
    entered, release, seen = threading.Event(), threading.Event(), {}

    def other():
        with ember.no_grad():
            seen["other"] = (x * 2).requires_grad
            entered.set()
            release.wait(10)

    t = threading.Thread(target=other)
    t.start()
    assert entered.wait(10)
    seen["main"] = (x * 2).requires_grad  # while the other thread is still inside no_grad
    release.set()
    t.join()
    assert seen == {"other": False, "main": True}

    # a trace on one thread records only that thread's ops
    started, done = threading.Event(), threading.Event()

    def traced(a):
        started.set()
        done.wait(10)
        return a + 1

    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("graph", ember.graph.trace(traced, ember.ones(2))))
    worker.start()
    assert started.wait(10)
    (ember.ones(2) * 3).exp()  # runs on this thread during the other's trace
    done.set()
    worker.join()
    ops = [n.op for n in result["graph"].nodes]
    assert ops.count("call") == 1 and "Exp" not in str(result["graph"].nodes), ops


@pytest.mark.parametrize("how", ["grad", "backward_inputs"])
def test_only_the_gradients_asked_for_are_computed_and_their_hooks_fire(how):
    # as PyTorch prunes: autograd.grad(out, x) / backward(inputs=[x]) do not run the branches that lead
    # only to other tensors, so hooks there do not fire

    def run(lib):
        w, x, b = (lib.ones(3, requires_grad=True) for _ in range(3))
        fired = []
        w.register_hook(lambda g: fired.append("w"))
        x.register_hook(lambda g: fired.append("x"))
        b.register_hook(lambda g: fired.append("b"))
        h = w * x
        h.register_hook(lambda g: fired.append("h"))
        u = b.exp()
        u.register_hook(lambda g: fired.append("u"))
        out = (h + u).sum()
        if how == "grad":
            (g,) = lib.autograd.grad(out, x)
        else:
            out.backward(inputs=[x])
            g = x.grad
        return sorted(fired), g.detach().numpy().tolist(), w.grad is None and b.grad is None
    assert run(ember) == run(torch)
