"""The Optimizer base: parameter groups, zero_grad, state dicts, repr, and errors that name the
optimizer and the argument."""
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.optim
from ember.errors import ArgumentError, DTypeError, EmberError, ShapeError

OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam"]


def leaf(*shape):
    return ember.randn(*shape, requires_grad=True)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_defaults_and_group_keys_match_torch(name):
    e = getattr(ember.optim, name)([leaf(2)], lr=0.01)
    t = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], lr=0.01)
    assert e.defaults == t.defaults
    assert sorted(e.param_groups[0]) == sorted(t.param_groups[0])


@pytest.mark.parametrize("name, kwargs, argument", [
    ("SGD", dict(lr=-0.1), "lr"),
    ("SGD", dict(momentum=-0.5), "momentum"),
    ("SGD", dict(weight_decay=-1.0), "weight_decay"),
    ("Adam", dict(lr=-1e-3), "lr"),
    ("Adam", dict(betas=(1.0, 0.999)), "betas[0]"),
    ("Adam", dict(betas=(0.9, -0.1)), "betas[1]"),
    ("Adam", dict(eps=-1e-8), "eps"),
    ("AdamW", dict(weight_decay=-0.01), "weight_decay"),
    ("RMSprop", dict(alpha=-0.5), "alpha"),
    ("RMSprop", dict(eps=-1.0), "eps"),
    ("Adagrad", dict(lr_decay=-1.0), "lr_decay"),
    ("Adagrad", dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    ("Adadelta", dict(rho=1.5), "rho"),
    ("Adamax", dict(betas=(0.9, 1.0)), "betas[1]"),
    ("NAdam", dict(momentum_decay=-1.0), "momentum_decay"),
    ("NAdam", dict(lr=float("nan")), "lr"),
])
def test_invalid_hyperparameters_name_the_optimizer_and_argument(name, kwargs, argument):
    with pytest.raises(ArgumentError) as info:
        getattr(ember.optim, name)([leaf(2)], **kwargs)
    assert str(info.value).startswith(f"{name}: invalid {argument}=")
    assert isinstance(info.value, ValueError)  # torch raises ValueError: ported code keeps working


def test_invalid_value_in_a_param_group_names_the_group():
    with pytest.raises(ArgumentError, match=r"Adam: invalid lr=-1 in param group 1"):
        ember.optim.Adam([{"params": [leaf(2)]}, {"params": [leaf(2)], "lr": -1}])


def test_nesterov_needs_momentum_and_no_dampening():
    with pytest.raises(ArgumentError, match="SGD: nesterov=True requires momentum > 0"):
        ember.optim.SGD([leaf(2)], lr=0.1, nesterov=True)
    with pytest.raises(ArgumentError, match="dampening=0.1"):
        ember.optim.SGD([leaf(2)], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)


def test_bad_params_are_rejected_clearly():
    with pytest.raises(DTypeError, match="SGD: params must be an iterable.*single Tensor"):
        ember.optim.SGD(leaf(2), lr=0.1)
    with pytest.raises(ArgumentError, match="Adam: got an empty parameter list"):
        ember.optim.Adam([])
    with pytest.raises(DTypeError, match="not a set"):
        ember.optim.Adam({leaf(2)})
    with pytest.raises(DTypeError, match="Adam: parameter 1 of group 0 is a ndarray"):
        ember.optim.Adam([leaf(2), np.zeros(2)])
    with pytest.raises(DTypeError, match="Adam: parameter 0 of group 0 has dtype ember.int64.*floating"):
        ember.optim.Adam([ember.tensor([1, 2])])
    w = leaf(2)
    with pytest.raises(ArgumentError, match="RMSprop: parameter 0 of group 0 is not a leaf tensor"):
        ember.optim.RMSprop([w * 2])


def test_duplicate_parameters_are_rejected():
    w, b = leaf(2), leaf(2)
    with pytest.raises(ArgumentError, match="SGD: some parameters of group 1 are also in group 0"):
        ember.optim.SGD([{"params": [w, b]}, {"params": [b]}], lr=0.1)
    with pytest.raises(ArgumentError, match="parameter 1 of group 0 appears twice"):
        ember.optim.SGD([w, w], lr=0.1)
    opt = ember.optim.SGD([w], lr=0.1)
    with pytest.raises(ArgumentError, match="also in group 0"):
        opt.add_param_group({"params": w})


def test_every_error_is_an_ember_error():
    for bad in (lambda: ember.optim.SGD(3, lr=0.1), lambda: ember.optim.Adam([leaf(2)], lr="fast"),
                lambda: ember.optim.SGD([leaf(2)], lr=0.1).add_param_group([leaf(2)])):
        with pytest.raises(EmberError):
            bad()


def test_add_param_group_fills_defaults_and_is_stepped():
    a, b = leaf(3), leaf(3)
    opt = ember.optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["params"] == [b]
    before = b.detach().clone()
    b.grad = ember.ones(3)
    opt.step()
    np.testing.assert_allclose(b.detach().numpy(), before.numpy() - 0.01, rtol=1e-6)


def test_named_parameters_keep_their_names_in_the_state_dict():
    w, b = leaf(2, 2), leaf(2)
    opt = ember.optim.Adam([("weight", w), ("bias", b)], lr=0.1)
    assert opt.param_groups[0]["params"] == [w, b]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    with pytest.raises(ArgumentError, match="mixes"):
        ember.optim.Adam([("weight", w), b])


def test_zero_grad_sets_none_or_zeros():
    w = leaf(3)
    opt = ember.optim.SGD([w], lr=0.1)
    w.grad = ember.ones(3)
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and w.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_state_dict_keeps_nonempty_state_only_and_numbers_params_in_group_order():
    a, b, c = leaf(2), leaf(2), leaf(2)
    opt = ember.optim.SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1)
    b.grad = ember.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert sd["state"] == {}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    opt = ember.optim.SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1, momentum=0.9)
    b.grad, c.grad = None, ember.ones(2)
    opt.step()
    assert list(opt.state_dict()["state"]) == [2]


def test_load_state_dict_checks_group_sizes_and_restores_hyperparameters():
    a, b = leaf(2), leaf(2)
    src = ember.optim.Adam([a, b], lr=0.1)
    with pytest.raises(ArgumentError, match="2 parameter groups, this optimizer has 1"):
        ember.optim.Adam([a, b]).load_state_dict(
            {"state": {}, "param_groups": src.state_dict()["param_groups"] * 2})
    with pytest.raises(ArgumentError, match="group 0 has 2 parameters in the state dict but 1"):
        ember.optim.Adam([a]).load_state_dict(src.state_dict())
    dst = ember.optim.Adam([leaf(2), leaf(2)], lr=0.5)
    dst.load_state_dict(src.state_dict())
    assert dst.param_groups[0]["lr"] == 0.1


def test_load_state_dict_casts_state_to_the_parameter_dtype_but_not_the_step():
    w64 = ember.randn(3, dtype=ember.float64, requires_grad=True)
    src = ember.optim.Adam([ember.randn(3, requires_grad=True)], lr=0.1)
    src.param_groups[0]["params"][0].grad = ember.ones(3)
    src.step()
    dst = ember.optim.Adam([w64], lr=0.1)
    dst.load_state_dict(src.state_dict())
    assert dst.state[w64]["exp_avg"].dtype == ember.float64
    assert dst.state[w64]["step"].dtype == ember.float32


def test_repr_lists_the_groups_like_torch():
    e = ember.optim.SGD([leaf(2)], lr=0.1, momentum=0.9)
    t = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
    assert repr(e) == repr(t)


def test_gradients_with_a_graph_are_used_as_values():
    w = leaf(3)
    y = (w ** 3).sum()
    (g,) = ember.autograd.grad(y, [w], create_graph=True)
    w.grad = g
    opt = ember.optim.SGD([w], lr=0.1)
    before = w.detach().clone()
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), before.numpy() - 0.3 * before.numpy() ** 2, rtol=1e-5)


def test_training_a_linear_model_with_ember_autograd_matches_torch():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))
    w0 = rng.standard_normal((3, 1))
    ew = ember.tensor(w0.copy(), requires_grad=True)
    tw = torch.tensor(w0.copy(), requires_grad=True)
    e_opt, t_opt = ember.optim.Adam([ew], lr=0.05), torch.optim.Adam([tw], lr=0.05)
    ex, ey, tx, ty = ember.tensor(x), ember.tensor(y), torch.tensor(x), torch.tensor(y)
    for _ in range(30):
        for opt, w, xx, yy in ((e_opt, ew, ex, ey), (t_opt, tw, tx, ty)):
            opt.zero_grad()
            ((xx @ w - yy) ** 2).mean().backward()
            opt.step()
    np.testing.assert_allclose(ew.detach().numpy(), tw.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_no_warning_is_raised_by_a_plain_step():
    w = leaf(2)
    opt = ember.optim.Adam([w])
    w.grad = ember.ones(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()


def test_a_gradient_of_the_wrong_shape_is_rejected():
    w = leaf(3)
    ember.optim.Adam([w])
    with pytest.raises(ShapeError, match=r"grad: can't assign a gradient of shape \(2,\) to a tensor of shape \(3,\)"):
        w.grad = ember.ones(2)  # refused where it is assigned, as in PyTorch


def _compiled_run(compiled, change):
    """Adam on w (and, from `change`'s point on, b) through three steps, `change`, three more; the
    parameters and w's step count."""
    ember.manual_seed(0)
    w, b = ember.randn(4, 3, requires_grad=True), ember.randn(3, requires_grad=True)
    opt, x = ember.optim.Adam([w], lr=0.1), ember.randn(8, 4)

    def step(x):
        opt.zero_grad()
        b.grad = None  # b's gradient is not kept from step to step, also before b is in the optimizer
        ((x @ w + b) ** 2).sum().backward()
        opt.step()
    f = ember.compile(step) if compiled else step
    for _ in range(3):
        f(x)
    if change == "load_state_dict":
        saved = opt.state_dict()
        saved = {"state": {k: {n: v.clone() for n, v in s.items()} for k, s in saved["state"].items()},
                 "param_groups": saved["param_groups"]}
        f(x)
        f(x)
        opt.load_state_dict(saved)
    else:
        opt.add_param_group({"params": [b], "lr": 0.5})
    for _ in range(3):
        f(x)
    return [w.detach().numpy().copy(), b.detach().numpy().copy(), float(opt.state[w]["step"])]


@pytest.mark.parametrize("change", ["load_state_dict", "add_param_group"])
def test_a_compiled_step_follows_the_optimizer_it_recorded(change, caplog):
    """A compiled step records each group's update on the state tensors the optimizer held when traced:
    loading a state dict (new state tensors) or adding a group makes it retrace, so it goes on as the
    eager step does (the loaded state used and advanced, the new group updated)."""
    eager, compiled = _compiled_run(False, change), _compiled_run(True, change)
    assert eager[2] == compiled[2] == 6.0  # 3 + 2 steps, the state of step 3 loaded, 3 more; or 6 steps
    for a, b in zip(eager[:2], compiled[:2]):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
    assert "retracing" in caplog.text and "optimizers' groups and state" in caplog.text
