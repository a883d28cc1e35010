"""The CTC loss against torch: torch.nn.functional.ctc_loss and torch.ctc_loss (int reductions, and its
per-sequence default), padded and concatenated targets, unbatched input, impossible alignments with and
without zero_infinity, gradients through log_softmax, and the refusals."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 3, 5))
TARGETS = np.array([[1, 2, 2], [3, 4, 0], [1, 1, 1]])
INPUT_LENGTHS, TARGET_LENGTHS = [6, 5, 6], [3, 2, 3]


def _both():
    e, t = ember.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    return e, t, e.log_softmax(2), t.log_softmax(2)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("concatenated", [False, True])
def test_functional_ctc_loss_matches_torch(reduction, concatenated):
    e, t, elp, tlp = _both()
    targets = np.concatenate([r[:k] for r, k in zip(TARGETS, TARGET_LENGTHS)]) if concatenated else TARGETS
    ours = F.ctc_loss(elp, ember.tensor(targets), INPUT_LENGTHS, ember.tensor(TARGET_LENGTHS), reduction=reduction)
    theirs = TF.ctc_loss(tlp, torch.tensor(targets), torch.tensor(INPUT_LENGTHS), torch.tensor(TARGET_LENGTHS),
                         reduction=reduction)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    w = np.arange(1.0, 4.0) if reduction == "none" else 1.0
    (ours * ember.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), atol=1e-12)


def test_top_level_form_matches_torch():
    _, _, elp, tlp = _both()
    args_e = (ember.tensor(TARGETS), INPUT_LENGTHS, TARGET_LENGTHS)
    args_t = (torch.tensor(TARGETS), INPUT_LENGTHS, TARGET_LENGTHS)
    np.testing.assert_allclose(ember.ctc_loss(elp, *args_e).detach().numpy(), torch.ctc_loss(tlp, *args_t).detach().numpy())
    for code in (0, 1, 2):
        np.testing.assert_allclose(ember.ctc_loss(elp, *args_e, 0, code).detach().numpy(),
                                   torch.ctc_loss(tlp, *args_t, 0, code).detach().numpy(), rtol=1e-12)
    with pytest.raises(ember.ArgumentError, match="reduction"):
        ember.ctc_loss(elp, *args_e, 0, 3)


def test_unbatched_impossible_and_blank_elsewhere_match_torch():
    e, t, elp, tlp = _both()
    one_e = F.ctc_loss(elp[:, 0], ember.tensor(TARGETS[0]), [6], [3], reduction="sum")
    one_t = TF.ctc_loss(tlp[:, 0], torch.tensor(TARGETS[0]), [6], [3], reduction="sum")
    np.testing.assert_allclose(one_e.detach().numpy(), one_t.detach().numpy(), rtol=1e-12)
    for zero in (False, True):  # two frames cannot hold three labels (or two equal ones)
        ours = F.ctc_loss(elp, ember.tensor(TARGETS), [2, 2, 2], TARGET_LENGTHS, reduction="none", zero_infinity=zero)
        theirs = TF.ctc_loss(tlp, torch.tensor(TARGETS), [2, 2, 2], TARGET_LENGTHS, reduction="none", zero_infinity=zero)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), atol=1e-12)
    blank4 = (ember.tensor(TARGETS) % 4, torch.tensor(TARGETS) % 4)
    np.testing.assert_allclose(
        F.ctc_loss(elp, blank4[0], INPUT_LENGTHS, [3, 2, 3], blank=4, reduction="none").detach().numpy(),
        TF.ctc_loss(tlp, blank4[1], INPUT_LENGTHS, [3, 2, 3], blank=4, reduction="none").detach().numpy(), rtol=1e-12)
    empty = F.ctc_loss(elp, ember.tensor(TARGETS), INPUT_LENGTHS, [0, 2, 3], reduction="none")
    np.testing.assert_allclose(empty.detach().numpy(), TF.ctc_loss(
        tlp, torch.tensor(TARGETS), INPUT_LENGTHS, [0, 2, 3], reduction="none").detach().numpy(), rtol=1e-12)


def test_ctc_loss_refusals():
    _, _, elp, tlp = _both()
    for kw, error in (({"blank": 5}, ember.ArgumentError), ({"input_lengths": [7, 5, 6]}, ember.ArgumentError),
                      ({"target_lengths": [4, 2, 3]}, ember.ShapeError)):
        args = {"targets": TARGETS, "input_lengths": INPUT_LENGTHS, "target_lengths": TARGET_LENGTHS, "blank": 0, **kw}
        with pytest.raises(RuntimeError):
            TF.ctc_loss(tlp, torch.tensor(args["targets"]), args["input_lengths"], args["target_lengths"], args["blank"])
        with pytest.raises(error, match="ctc_loss"):
            F.ctc_loss(elp, ember.tensor(args["targets"]), args["input_lengths"], args["target_lengths"], args["blank"])
    # a target holding the blank label: torch computes a number for it, ember refuses it
    torch_value = TF.ctc_loss(tlp, torch.tensor([[0, 1, 2]] * 3), INPUT_LENGTHS, TARGET_LENGTHS, reduction="none")
    assert torch.isfinite(torch_value).all()
    with pytest.raises(ember.ArgumentError, match="not the blank"):
        F.ctc_loss(elp, ember.tensor([[0, 1, 2]] * 3), INPUT_LENGTHS, TARGET_LENGTHS)
    with pytest.raises(ember.DTypeError, match="ctc_loss"):
        F.ctc_loss(elp.detach().to(ember.int64), ember.tensor(TARGETS), INPUT_LENGTHS, TARGET_LENGTHS)


def test_ctc_loss_module_matches_torch():
    e, t, elp, tlp = _both()
    ours = ember.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)(elp, ember.tensor(TARGETS), [2, 5, 6],
                                                                            TARGET_LENGTHS)
    theirs = torch.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)(tlp, torch.tensor(TARGETS), [2, 5, 6],
                                                                             TARGET_LENGTHS)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), atol=1e-12)
    assert repr(ember.nn.CTCLoss().reduction) == repr(torch.nn.CTCLoss().reduction)
