"""`ember.amp.GradScaler`: dynamic loss scaling, as `torch.amp.GradScaler`.

float16 gradients underflow to zero below ~6e-8 and overflow above 65504. The scaler multiplies
the loss by a large factor before `backward` (so small gradients survive), divides the
gradients by it before the optimizer step, skips the step when a gradient is inf or NaN, and
adapts the factor: halved after an overflow, doubled after `growth_interval` clean steps.

    >>> import ember
    >>> model = ember.nn.Linear(4, 1)
    >>> opt = ember.optim.SGD(model.parameters(), lr=0.1)
    >>> scaler = ember.amp.GradScaler("cpu")
    >>> with ember.autocast("cpu", dtype=ember.float16):
    ...     loss = model(ember.randn(8, 4)).float().pow(2).mean()
    >>> scaler.scale(loss).backward()
    >>> scaler.step(opt)
    >>> scaler.update()
    >>> scaler.get_scale()
    65536.0
"""
import numpy as np

from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, AutogradError, DTypeError
from ember.ops.binary import isfinite
from ember.ops.creation import tensor

READY, UNSCALED, STEPPED = "ready", "unscaled", "stepped"


class GradScaler:
    """`GradScaler(device="cuda", init_scale=2.**16, growth_factor=2., backoff_factor=.5,
    growth_interval=2000, enabled=True)`: PyTorch's arguments and methods (`scale`, `unscale_`,
    `step`, `update`, `get_scale`, `state_dict`, ...). The scale is a float32, as in PyTorch."""

    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        if device not in ("cpu", "cuda"):
            raise ArgumentError(f"GradScaler: device={device!r} is not supported; use 'cpu' or 'cuda'")
        _positive("init_scale", init_scale)
        if not growth_factor > 1.0:
            raise ArgumentError(f"GradScaler: growth_factor must be > 1, got {growth_factor!r}")
        if not 0.0 < backoff_factor < 1.0:
            raise ArgumentError(f"GradScaler: backoff_factor must be in (0, 1), got {backoff_factor!r}")
        if not isinstance(growth_interval, int) or isinstance(growth_interval, bool) or growth_interval < 1:
            raise ArgumentError(f"GradScaler: growth_interval must be a positive int, got {growth_interval!r}")
        self.device, self._enabled = device, bool(enabled)
        self._scale = np.float32(init_scale)
        self._growth_factor, self._backoff_factor = float(growth_factor), float(backoff_factor)
        self._growth_interval, self._growth_tracker = growth_interval, 0
        self._per_optimizer = {}

    # --- the four steps ---------------------------------------------------------------------
    def scale(self, outputs):
        """`outputs * scale`: a tensor, or a list/tuple of them (nested) scaled alike."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * tensor(self._scale, dtype=dtypes.float32, device=outputs.device)
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ArgumentError(f"GradScaler.scale: expected a tensor or a list/tuple of tensors, "
                            f"got {type(outputs).__name__}")

    def unscale_(self, optimizer):
        """Divide `optimizer`'s gradients by the scale in place (before clipping them) and note
        whether any is inf or NaN. Once per optimizer between `update()`s."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["stage"] is UNSCALED:
            raise AutogradError("GradScaler.unscale_: already called on this optimizer since the last update()")
        if state["stage"] is STEPPED:
            raise AutogradError("GradScaler.unscale_: called after step(); call it before step()")
        inv = float(np.float32(1.0 / np.float64(self._scale)))
        found = False
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    if g.dtype is dtypes.float16:
                        raise DTypeError("GradScaler.unscale_: the gradients are float16; keep the parameters "
                                         "float32 and run the forward pass under ember.autocast")
                    found = found or not bool(isfinite(g).all())
                    g.mul_(inv)
        state["found_inf"], state["stage"] = found, UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """`optimizer.step()` unless a gradient is inf/NaN (then skipped; returns None).
        Unscales the gradients first unless `unscale_` already did."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs or args:
            raise ArgumentError("GradScaler.step: a closure is not supported while the scaler is enabled")
        state = self._state(optimizer)
        if state["stage"] is STEPPED:
            raise AutogradError("GradScaler.step: already called on this optimizer since the last update()")
        if state["stage"] is READY:
            self.unscale_(optimizer)
        state["stage"] = STEPPED
        return None if state["found_inf"] else optimizer.step()

    def update(self, new_scale=None):
        """Back off the scale if any optimizer saw inf/NaN, else grow it after `growth_interval`
        clean steps; or set it to `new_scale` (a float or a one-element tensor)."""
        if not self._enabled:
            return
        if new_scale is not None:
            value = float(new_scale.item() if isinstance(new_scale, Tensor) else new_scale)
            _positive("new_scale", value)
            self._scale = np.float32(value)
        else:
            stepped = [s for s in self._per_optimizer.values() if s["stage"] is not READY]
            if not stepped:
                raise AutogradError("GradScaler.update: no inf checks were recorded; call step(optimizer) "
                                    "(or unscale_) before update()")
            if any(s["found_inf"] for s in stepped):
                self._scale = np.float32(self._scale * np.float32(self._backoff_factor))
                self._growth_tracker = 0
            elif self._growth_tracker + 1 == self._growth_interval:
                grown = np.float32(self._scale * np.float32(self._growth_factor))
                self._scale = grown if np.isfinite(grown) else self._scale
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
        self._per_optimizer = {}

    def _state(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), {"stage": READY, "found_inf": False})

    # --- accessors and state ---------------------------------------------------------------
    def get_scale(self):
        return float(self._scale) if self._enabled else 1.0

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        self._growth_interval = int(new_interval)

    def is_enabled(self):
        return self._enabled

    def state_dict(self):
        """PyTorch's keys: scale, growth_factor, backoff_factor, growth_interval, _growth_tracker."""
        if not self._enabled:
            return {}
        return {"scale": float(self._scale), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if not state_dict:
            raise ArgumentError("GradScaler.load_state_dict: the state dict is empty; it was saved from a "
                                "disabled scaler")
        missing = {"scale", "growth_factor", "backoff_factor", "growth_interval"} - set(state_dict)
        if missing:
            raise ArgumentError(f"GradScaler.load_state_dict: missing keys {sorted(missing)}")
        self._scale = np.float32(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict.get("_growth_tracker", 0))


def _positive(name, value):
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value) and value > 0):
        raise ArgumentError(f"GradScaler: {name} must be a positive finite number, got {value!r}")
