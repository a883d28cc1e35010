"""Loss layers against PyTorch: values and gradients (conformance, float32 and float64, both
modes), buffers named as PyTorch's, the legacy reduction arguments, and errors naming the layer."""
import numpy as np
import pytest

import ember
import ember.nn as nn

torch = pytest.importorskip("torch")
from conformance import check_module  # noqa: E402

rng = np.random.default_rng(0)


def _w(n):
    return rng.uniform(0.5, 2.0, n)


def _cases():
    x, idx = rng.standard_normal((5, 4)), np.array([0, 3, -100, 1, 2])
    x4, idx4 = rng.standard_normal((2, 4, 3, 3)), rng.integers(0, 4, (2, 3, 3))
    probs = rng.dirichlet(np.ones(4), 5)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    p, y = rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4))
    logp, q = np.log(rng.dirichlet(np.ones(4), 3)), rng.dirichlet(np.ones(4), 3)
    w4, pw = _w(4), _w(4)
    return [
        ("CrossEntropyLoss", lambda m, t: m.CrossEntropyLoss(), (x, idx)),
        ("CrossEntropyLoss-weight-smoothing", lambda m, t: m.CrossEntropyLoss(weight=t(w4), label_smoothing=0.2),
         (x, idx)),
        ("CrossEntropyLoss-spatial-sum", lambda m, t: m.CrossEntropyLoss(reduction="sum"), (x4, idx4)),
        ("CrossEntropyLoss-probabilities", lambda m, t: m.CrossEntropyLoss(weight=t(w4)), (x, probs)),
        ("NLLLoss-weight-none", lambda m, t: m.NLLLoss(weight=t(w4), reduction="none"), (x, idx)),
        ("NLLLoss-ignore", lambda m, t: m.NLLLoss(ignore_index=2), (x4, idx4)),
        ("MSELoss", lambda m, t: m.MSELoss(), (a, b)),
        ("L1Loss-sum", lambda m, t: m.L1Loss(reduction="sum"), (a, b)),
        ("SmoothL1Loss", lambda m, t: m.SmoothL1Loss(beta=0.5), (a, b)),
        ("HuberLoss-none", lambda m, t: m.HuberLoss(reduction="none", delta=0.7), (a, b)),
        ("BCELoss-weight", lambda m, t: m.BCELoss(weight=t(w4)), (p, y)),
        ("BCEWithLogitsLoss", lambda m, t: m.BCEWithLogitsLoss(), (a * 5, y)),
        ("BCEWithLogitsLoss-weights", lambda m, t: m.BCEWithLogitsLoss(weight=t(_w((3, 1))), pos_weight=t(pw)),
         (a, y)),
        ("KLDivLoss-batchmean", lambda m, t: m.KLDivLoss(reduction="batchmean"), (logp, q)),
        ("KLDivLoss-log-target", lambda m, t: m.KLDivLoss(reduction="sum", log_target=True), (logp, np.log(q))),
        ("CosineEmbeddingLoss", lambda m, t: m.CosineEmbeddingLoss(margin=0.1), (a, b, np.array([1, -1, -1]))),
    ]


CASES = _cases()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name,make,inputs", CASES, ids=[c[0] for c in CASES])
def test_conformance(name, make, inputs, train, dtype):
    e_mod = make(nn, lambda a: ember.tensor(np.asarray(a)))
    t_mod = make(torch.nn, lambda a: torch.tensor(np.asarray(a)))
    check_module(e_mod, t_mod, *inputs, dtype=dtype, train=train)


def test_weights_are_buffers_as_in_torch():
    for make in (lambda m, t: m.CrossEntropyLoss(weight=t), lambda m, t: m.NLLLoss(weight=t),
                 lambda m, t: m.BCELoss(weight=t), lambda m, t: m.BCEWithLogitsLoss(pos_weight=t),
                 lambda m, t: m.BCEWithLogitsLoss(weight=t, pos_weight=t), lambda m, t: m.CrossEntropyLoss()):
        w = np.ones(3)
        e, t = make(nn, ember.tensor(w)), make(torch.nn, torch.tensor(w))
        assert list(e.state_dict()) == list(t.state_dict())
        assert list(dict(e.named_buffers())) == list(dict(t.named_buffers()))
        assert not list(e.parameters())
    loss = nn.CrossEntropyLoss(weight=ember.ones(3)).to(ember.float64)
    assert loss.weight.dtype == ember.float64


def test_legacy_reduction_arguments():
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.L1Loss(reduce=False).reduction == "none"
    assert nn.CrossEntropyLoss(size_average=True, reduce=True).reduction == "mean"
    assert nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"
    with pytest.raises(ember.ArgumentError, match="MSELoss: reduction='batchmean'"):
        nn.MSELoss(reduction="batchmean")


def test_errors_name_the_layer():
    with pytest.raises(ember.ShapeError, match=r"^CrossEntropyLoss: cross_entropy: .*\(4, 3\).*\(4,\)"):
        nn.CrossEntropyLoss()(ember.randn(4, 3), ember.tensor([0, 1]))
    with pytest.raises(ember.IndexOutOfRangeError, match=r"^NLLLoss: .*target 5 is out of range for 3 classes"):
        nn.NLLLoss()(ember.randn(2, 3), ember.tensor([0, 5]))
    with pytest.raises(ember.DTypeError, match="^NLLLoss: .*int64"):
        nn.NLLLoss()(ember.randn(2, 3), ember.tensor([0.0, 1.0]))
    with pytest.raises(ember.ShapeError, match=r"^BCELoss: .*\(3,\).*\(3, 1\)"):
        nn.BCELoss()(ember.rand(3, 1), ember.rand(3))
