"""Grad modes: `no_grad`, `enable_grad`, `set_grad_enabled`, usable as context
managers and as decorators.

    >>> import ember
    >>> x = ember.ones(2, requires_grad=True)
    >>> with ember.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
"""
import functools
import threading


class _ThreadState(threading.local):
    """Per thread, as in PyTorch: whether ops record the graph, whether anomaly detection is on, and
    the graph tracer (ember.graph, level 3) while it records on this thread (level 1 calls it through
    this slot and never imports it; it sees every primitive call and every read of tensor values).
    A thread that trains is not affected by another inside `no_grad` or tracing a compiled function.
    The hot path reads the attributes directly (no function call)."""
    enabled = True
    anomaly = False
    tracer = None
    inference = False  # inside inference_mode (is_inference_mode_enabled)


_state = _ThreadState()


def is_grad_enabled():
    return _state.enabled


class _GradMode:
    mode = None

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self.mode

    def __exit__(self, *exc):
        _state.enabled = self._prev

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _state.enabled
            _state.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _state.enabled = prev
        return wrapper


class no_grad(_GradMode):
    """Ops inside record no graph; results do not require grad."""
    mode = False


class enable_grad(_GradMode):
    """Record the graph again inside a `no_grad` block."""
    mode = True


class set_grad_enabled(_GradMode):
    """`set_grad_enabled(False)` is `no_grad()`; also works as a plain call."""

    def __init__(self, mode):
        self._prev = _state.enabled
        self.mode = bool(mode)
        _state.enabled = self.mode  # like PyTorch, calling it (without `with`) sets the mode

    def __enter__(self):
        pass  # __init__ already set the mode and remembered the previous one

    def __call__(self, fn):
        _state.enabled = self._prev  # used as a decorator: the mode applies inside fn only
        return super().__call__(fn)


class inference_mode(no_grad):
    """`no_grad` that `is_inference_mode_enabled()` reports (ember has no separate inference tensors)."""

    def __init__(self, mode=True):
        self.mode = not mode
        self.inference = bool(mode)

    def __enter__(self):
        self._prev_inference = _state.inference
        _state.inference = self.inference
        super().__enter__()

    def __exit__(self, *exc):
        super().__exit__(*exc)
        _state.inference = self._prev_inference

    def __call__(self, fn):
        inference = self.inference

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(inference):
                return fn(*args, **kwargs)
        return wrapper


def is_inference_mode_enabled():
    """Whether this thread is inside `inference_mode()` (and not an inner `inference_mode(False)`)."""
    return _state.inference


def is_anomaly_enabled():
    return _state.anomaly


class detect_anomaly:
    """Check every op's forward output and backward gradients for NaN/Inf.

    Raises `AnomalyError` naming the op and the line of user code that
    created it where a NaN or Inf first appears. Slow: for debugging.
    """

    def __init__(self, check_nan=True):
        self.check = bool(check_nan)

    def __enter__(self):
        self._prev = _state.anomaly
        _state.anomaly = self.check

    def __exit__(self, *exc):
        _state.anomaly = self._prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly(detect_anomaly):
    def __init__(self, mode):
        super().__init__(mode)
        self._prev = _state.anomaly
        _state.anomaly = self.check
