"""`LRScheduler`: the base of the learning-rate schedulers, as PyTorch's.

A scheduler keeps `last_epoch` (how many times it stepped, -1 before the
first), each group's starting rate in `base_lrs` (and in the group as
'initial_lr'), and writes each new rate into `optimizer.param_groups[i]['lr']`.
Subclasses give `get_lr()`: PyTorch's chainable, recursive form (from the
group's current lr), and `_get_closed_form_lr()` where PyTorch has one (used by
`step(epoch)`).
"""
import warnings

from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError
from ember.optim.optimizer import Optimizer


class LRScheduler:
    """Base class of the schedulers: `step()`, `get_last_lr()`, `state_dict()`, `load_state_dict()`."""

    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        check_optimizer(self, optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", _copy(group["lr"]))
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ArgumentError(f"{type(self).__name__}: param_groups[{i}] has no 'initial_lr', which "
                                        f"resuming with last_epoch={last_epoch} needs; load the optimizer's "
                                        f"state dict first, or start with last_epoch=-1")
        self.base_lrs = group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The new lr of each group for the epoch `self.last_epoch` (called by `step()`)."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def get_last_lr(self):
        """The lr of each group set by the last `step()`."""
        return self._last_lr

    def step(self, epoch=None):
        """Move to the next epoch (or to `epoch`, with the closed form) and set each group's lr."""
        if self._step_count == 1 and _optimizer_not_stepped(self.optimizer):
            warnings.warn("Detected call of `lr_scheduler.step()` before `optimizer.step()`; call "
                          "`optimizer.step()` first, or the first value of the schedule is skipped",
                          UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn("The epoch parameter in `scheduler.step()` is deprecated (as in PyTorch); "
                          "call `scheduler.step()` once per epoch", UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._get_closed_form_lr() if hasattr(self, "_get_closed_form_lr") else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            set_group_value(group, "lr", lr)
        self._last_lr = group_values(self.optimizer, "lr")

    def state_dict(self):
        """Every attribute except the optimizer."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore the attributes from `state_dict()`."""
        self.__dict__.update(state_dict)


def check_optimizer(scheduler, optimizer):
    if not isinstance(optimizer, Optimizer):
        raise DTypeError(f"{type(scheduler).__name__}: expected an ember.optim.Optimizer, "
                         f"got {type(optimizer).__name__}")


def _optimizer_not_stepped(optimizer):
    # an optimizer with its own step() may not count steps; warn only for the base loop
    return type(optimizer).step is Optimizer.step and optimizer._step_count == 0


def _copy(value):
    return value.clone() if isinstance(value, Tensor) else value


def group_values(optimizer, key):
    """`[group[key] for each group]` (tensors cloned)."""
    return [_copy(group[key]) for group in optimizer.param_groups]


def set_group_value(group, key, value):
    """Set group[key]; a tensor lr is filled in place, as PyTorch does."""
    if isinstance(group[key], Tensor):
        group[key].fill_(float(value))
    else:
        group[key] = value


def per_group(name, optimizer, value):
    """`value` for each parameter group: a list/tuple of one per group, or one value for all."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ArgumentError(f"{name} must have one value per parameter group: got {len(value)} values "
                                f"for {len(optimizer.param_groups)} groups")
        return [_copy(v) for v in value]
    return [_copy(value)] * len(optimizer.param_groups)
