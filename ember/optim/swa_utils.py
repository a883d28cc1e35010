"""Weight averaging, with PyTorch's `torch.optim.swa_utils` names: `AveragedModel` keeps a running
average of a model's parameters (SWA's equal-weight mean, or an exponential moving average),
`SWALR` anneals each group's learning rate to a constant SWA rate, and `update_bn` recomputes the
BatchNorm statistics of the averaged weights in one pass over the data.

    >>> swa_model = ember.optim.swa_utils.AveragedModel(model)               # doctest: +SKIP
    >>> ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999))  # doctest: +SKIP
    >>> swa_model.update_parameters(model)   # after each epoch (or step)    # doctest: +SKIP
    >>> update_bn(loader, swa_model)                                          # doctest: +SKIP
"""
import copy
import math

from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError
from ember.nn.layers.norm import _BatchNorm
from ember.nn.module import Module
from ember.ops.creation import tensor as _tensor
from ember.optim.lr_scheduler.base import LRScheduler

__all__ = ["AveragedModel", "SWALR", "update_bn", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]


def get_ema_multi_avg_fn(decay=0.999):
    """In place over lists of tensors: ema <- decay * ema + (1 - decay) * current."""
    def ema_update(averaged, current, num_averaged):
        for a, c in zip(averaged, current):
            a.lerp_(c, 1 - decay)
    return ema_update


def get_swa_multi_avg_fn():
    """In place over lists of tensors: the equal-weight mean of every model seen (avg + (p - avg) / (n + 1))."""
    def swa_update(averaged, current, num_averaged):
        n = int(num_averaged.item()) if isinstance(num_averaged, Tensor) else int(num_averaged)
        for a, c in zip(averaged, current):
            if a.dtype.is_floating_point:
                a.lerp_(c, 1 / (n + 1))
            else:
                a.add_((c - a) // (n + 1))
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """Per tensor: returns decay * ema + (1 - decay) * current."""
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """Per tensor: returns avg + (current - avg) / (num_averaged + 1)."""
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A copy of `model` whose parameters (and, with `use_buffers=True`, buffers) are the average of
    those `update_parameters` is given. `avg_fn(avg, current, n)` returns one averaged tensor;
    `multi_avg_fn(avgs, currents, n)` updates lists in place; neither: SWA's equal-weight mean.
    Calling it runs the averaged copy."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ArgumentError("AveragedModel: give avg_fn or multi_avg_fn, not both")
        if not isinstance(model, Module):
            raise ArgumentError(f"AveragedModel: model must be an ember.nn.Module, got {type(model).__name__}")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _tensor(0, dtype="int64", device=device))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _tensors(self, model):
        if self.use_buffers:
            return list(model.parameters()) + list(model.buffers())
        return list(model.parameters())

    def update_parameters(self, model):
        """Average `model`'s current parameters into this copy's."""
        mine = [t.detach() for t in self._tensors(self.module)]
        theirs = [t.detach().to(a.device) for t, a in zip(self._tensors(model), mine)]
        if len(mine) != len(theirs):
            raise ArgumentError(f"AveragedModel.update_parameters: the model has {len(theirs)} tensors to average, "
                                f"the averaged copy {len(mine)}; give a model of the same architecture")
        with no_grad():
            if int(self.n_averaged.item()) == 0:
                for a, c in zip(mine, theirs):
                    a.copy_(c)
            elif self.avg_fn is not None:
                for a, c in zip(mine, theirs):
                    a.copy_(self.avg_fn(a, c, self.n_averaged.to(a.device)))
            else:
                (self.multi_avg_fn or get_swa_multi_avg_fn())(mine, theirs, self.n_averaged.to(mine[0].device)
                                                              if mine else self.n_averaged)
            if not self.use_buffers:  # the buffers (BatchNorm statistics) follow the model, unaveraged
                for a, c in zip(self.module.buffers(), model.buffers()):
                    a.detach().copy_(c.detach().to(a.device))
            self.n_averaged.add_(1)


def update_bn(loader, model, device=None):
    """Recompute every BatchNorm layer's running mean and variance as the plain average over one pass
    of `loader` (its batches, or their first element) through `model` in training mode."""
    momenta = {}
    for m in model.modules():
        if isinstance(m, _BatchNorm) and m.running_mean is not None:
            m.reset_running_stats()
            momenta[m] = m.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for m in momenta:
        m.momentum = None  # a cumulative average over the pass
    with no_grad():
        for batch in loader:
            x = batch[0] if isinstance(batch, (list, tuple)) else batch
            model(x.to(device) if device is not None else x)
    for m, momentum in momenta.items():
        m.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr from its current value to `swa_lr` (a number, or one per group) over
    `anneal_epochs` steps, along a cosine ("cos") or a straight line ("linear"), then hold it."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        lrs = list(swa_lr) if isinstance(swa_lr, (list, tuple)) else [swa_lr] * len(optimizer.param_groups)
        if len(lrs) != len(optimizer.param_groups):
            raise ArgumentError(f"SWALR: swa_lr has {len(lrs)} values for {len(optimizer.param_groups)} param groups")
        for group, lr in zip(optimizer.param_groups, lrs):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ArgumentError(f"SWALR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        if isinstance(anneal_epochs, bool) or not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ArgumentError(f"SWALR: anneal_epochs must be a non-negative int, got {anneal_epochs!r}")
        self.anneal_func = _cos_anneal if anneal_strategy == "cos" else _linear_anneal
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0.0, min(1.0, (step - 1) / max(1, self.anneal_epochs))))
        alpha = self.anneal_func(max(0.0, min(1.0, step / max(1, self.anneal_epochs))))
        out = []
        for group in self.optimizer.param_groups:
            swa = group["swa_lr"]
            prev = swa if prev_alpha == 1 else (group["lr"] - prev_alpha * swa) / (1 - prev_alpha)
            out.append(swa * alpha + prev * (1 - alpha))
        return out


def _cos_anneal(t):
    return (1 - math.cos(math.pi * t)) / 2


def _linear_anneal(t):
    return t
