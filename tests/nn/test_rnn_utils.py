"""ember.nn.utils.rnn against torch.nn.utils.rnn: padding, packing, unpacking (values, shapes, dtypes,
gradients) and RNN/LSTM/GRU on a PackedSequence (outputs, final states and gradients)."""
import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as trnn

import ember
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.nn.utils import rnn as ernn

COVERS = {"torch.nn.utils.rnn": ["PackedSequence", "invert_permutation"]}  # reached as trnn.X / ernn.X


def pair(shape, seed=0, dtype=np.float32):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)


def close(t, e, atol=1e-6):
    t = t.detach().numpy()
    e = e.detach().numpy()
    assert t.shape == e.shape and t.dtype == e.dtype
    np.testing.assert_allclose(e, t, atol=atol, rtol=1e-5)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_values_and_gradients(batch_first, side):
    seqs = [pair((n, 3), seed=n) for n in (4, 1, 3)]
    t = torch.nn.utils.rnn.pad_sequence([s[0] for s in seqs], batch_first, -1.5, side)
    e = ember.nn.utils.rnn.pad_sequence([s[1] for s in seqs], batch_first, -1.5, side)
    close(t, e)
    w = np.arange(t.numel(), dtype=np.float32).reshape(t.shape)
    (t * torch.tensor(w)).sum().backward()
    (e * ember.tensor(w)).sum().backward()
    for (ts, es) in seqs:
        close(ts.grad, es.grad)


def test_pad_sequence_of_ints_and_errors():
    t = trnn.pad_sequence([torch.tensor([1, 2, 3]), torch.tensor([4])])
    e = ernn.pad_sequence([ember.tensor([1, 2, 3]), ember.tensor([4])])
    close(t, e)
    with pytest.raises(ShapeError, match="sequences\\[1\\]"):
        ernn.pad_sequence([ember.ones(2, 3), ember.ones(2, 4)])
    with pytest.raises(ArgumentError, match="padding_side"):
        ernn.pad_sequence([ember.ones(2)], padding_side="middle")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths,enforce", [([5, 4, 2, 2], True), ([2, 5, 1, 4], False)])
def test_pack_and_pad_packed_round_trip(batch_first, lengths, enforce):
    shape = (4, 5, 3) if batch_first else (5, 4, 3)
    tx, ex = pair(shape)
    tp = trnn.pack_padded_sequence(tx, lengths, batch_first=batch_first, enforce_sorted=enforce)
    ep = ernn.pack_padded_sequence(ex, ember.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce)
    assert isinstance(ep, ernn.PackedSequence) and isinstance(ep, ember.nn.utils.rnn.PackedSequence)
    close(tp.data, ep.data)
    close(tp.batch_sizes, ep.batch_sizes)
    for a, b in ((tp.sorted_indices, ep.sorted_indices), (tp.unsorted_indices, ep.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            close(a, b)
    tpad, tlen = trnn.pad_packed_sequence(tp, batch_first, padding_value=7.0, total_length=6)
    epad, elen = ernn.pad_packed_sequence(ep, batch_first, padding_value=7.0, total_length=6)
    close(tpad, epad)
    close(tlen, elen)
    g = np.random.default_rng(3).standard_normal(tuple(tpad.shape)).astype(np.float32)
    (tpad * torch.tensor(g)).sum().backward()
    (epad * ember.tensor(g)).sum().backward()
    close(tx.grad, ex.grad)


def test_pack_sequence_unpack_and_unpad():
    seqs = [pair((n, 2), seed=n) for n in (2, 4, 3)]
    tp = trnn.pack_sequence([s[0] for s in seqs], enforce_sorted=False)
    ep = ernn.pack_sequence([s[1] for s in seqs], enforce_sorted=False)
    close(tp.data, ep.data)
    for a, b in zip(trnn.unpack_sequence(tp), ernn.unpack_sequence(ep)):
        close(a, b)
    tpad, tlen = trnn.pad_packed_sequence(tp)
    epad, elen = ernn.pad_packed_sequence(ep)
    for a, b in zip(trnn.unpad_sequence(tpad, tlen), ernn.unpad_sequence(epad, elen)):
        close(a, b)


def test_packing_errors_name_the_problem():
    x = ember.zeros(5, 3, 2)
    with pytest.raises(ArgumentError, match="enforce_sorted=False"):
        ernn.pack_padded_sequence(x, [2, 5, 1])
    with pytest.raises(ArgumentError, match="lengths"):
        ernn.pack_padded_sequence(x, [6, 2, 1])
    with pytest.raises(ArgumentError, match="lengths"):
        ernn.pack_padded_sequence(x, [3, 2, 0])
    with pytest.raises(ShapeError, match="2 lengths for a batch of 3"):
        ernn.pack_padded_sequence(x, [3, 2])
    with pytest.raises(ArgumentError, match="total_length"):
        ernn.pad_packed_sequence(ernn.pack_padded_sequence(x, [4, 2, 1]), total_length=3)
    with pytest.raises(DTypeError, match="PackedSequence"):
        ernn.pad_packed_sequence(x)


def copy_weights(tm, em):
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("batch_first,bidirectional,with_hx", [(False, True, False), (True, False, True),
                                                               (True, True, True)])
def test_recurrent_layers_run_packed_sequences_as_torch(kind, batch_first, bidirectional, with_hx):
    torch.manual_seed(0)
    kw = {"num_layers": 2, "bidirectional": bidirectional, "batch_first": batch_first}
    if kind == "LSTM" and not bidirectional:
        kw["proj_size"] = 3
    tm, em = getattr(torch.nn, kind)(4, 5, **kw), getattr(ember.nn, kind)(4, 5, **kw)
    copy_weights(tm, em)
    lengths = [3, 6, 1, 6, 4]
    tx, ex = pair((5, 6, 4) if batch_first else (6, 5, 4), seed=1)
    tp = trnn.pack_padded_sequence(tx, lengths, batch_first=batch_first, enforce_sorted=False)
    ep = ernn.pack_padded_sequence(ex, lengths, batch_first=batch_first, enforce_sorted=False)
    dirs = 2 if bidirectional else 1
    th = eh = None
    if with_hx:
        h_size = kw.get("proj_size", 5)
        hs = [pair((2 * dirs, 5, h_size), seed=7), pair((2 * dirs, 5, 5), seed=8)]
        th, eh = (hs[0][0], hs[1][0]), (hs[0][1], hs[1][1])
        if kind != "LSTM":
            th, eh = th[0], eh[0]
    tout, tstate = tm(tp, th)
    eout, estate = em(ep, eh)
    assert isinstance(eout, ernn.PackedSequence)
    close(tout.data, eout.data, atol=2e-6)
    close(tout.batch_sizes, eout.batch_sizes)
    close(tout.unsorted_indices, eout.unsorted_indices)
    tstate = tstate if isinstance(tstate, tuple) else (tstate,)
    estate = estate if isinstance(estate, tuple) else (estate,)
    for a, b in zip(tstate, estate):
        close(a, b, atol=2e-6)
    loss_t = (tout.data ** 2).sum() + sum((s * s.detach()).sum() for s in tstate)
    loss_e = (eout.data ** 2).sum() + sum((s * s.detach()).sum() for s in estate)
    loss_t.backward()
    loss_e.backward()
    close(tx.grad, ex.grad, atol=1e-5)
    for (name, tp_), ep_ in zip(tm.named_parameters(), em.parameters()):
        close(tp_.grad, ep_.grad, atol=1e-5)
    if with_hx:
        for (tt, et) in hs[: 2 if kind == "LSTM" else 1]:
            close(tt.grad, et.grad, atol=1e-5)


def test_packed_sequence_moves_and_casts_like_torch():
    tp = trnn.pack_sequence([torch.ones(3, 2), torch.ones(1, 2)])
    ep = ernn.pack_sequence([ember.ones(3, 2), ember.ones(1, 2)])
    for name in ("double", "float", "cpu"):
        close(getattr(tp, name)().data, getattr(ep, name)().data)
    assert ep.to(ember.float64).data.dtype == ember.float64
    assert ep.is_cuda is tp.is_cuda is False
    assert ep._fields == tp._fields


def test_invert_permutation_as_torch():
    perm = np.array([2, 0, 3, 1])
    close(trnn.invert_permutation(torch.tensor(perm)), ernn.invert_permutation(ember.tensor(perm)))
    assert trnn.invert_permutation(None) is None and ernn.invert_permutation(None) is None
    t = trnn.PackedSequence(torch.ones(3, 2), torch.tensor([2, 1]), torch.tensor([1, 0]))
    e = ernn.PackedSequence(ember.ones(3, 2), ember.tensor([2, 1]), ember.tensor([1, 0]))
    close(t.unsorted_indices, e.unsorted_indices)
