"""`ember.profiler.profile`: record every op with its wall time, shapes and bytes (torch.profiler's API).

It is an observer on the one dispatch hook (eager ops, forward and backward) and on the compiled
replay's kernel hook (`ember.graph.observe`); with no profiler open, neither hook has an observer
and nothing is paid.

    >>> with ember.profiler.profile(record_shapes=True, profile_memory=True) as prof:
    ...     with ember.profiler.record_function("step"):
    ...         model(x).sum().backward()
    >>> print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20))   # doctest: +SKIP
    >>> prof.export_chrome_trace("trace.json")         # open in Perfetto or chrome://tracing
"""
import enum
import time
import traceback

from ember.autograd import dispatch
from ember.autograd.anomaly import user_frame
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError
from ember.graph import observe
from ember.profiler.events import EventList, FunctionEvent
from ember.profiler.export import write_chrome_trace

_clock = time.perf_counter_ns
_active = []  # open profiles that record now (record_function reports its range to them)


class ProfilerActivity(enum.Enum):
    CPU = "cpu"
    CUDA = "cuda"


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait, warmup, active, repeat=0, skip_first=0):
    """torch.profiler.schedule: skip `skip_first` steps, then cycles of `wait` idle, `warmup` (recorded
    and dropped) and `active` recorded steps, the last of which hands the trace to `on_trace_ready`;
    `repeat` cycles (0: forever)."""
    for name, v in (("wait", wait), ("warmup", warmup), ("active", active), ("repeat", repeat),
                    ("skip_first", skip_first)):
        if not isinstance(v, int) or v < 0:
            raise ArgumentError(f"schedule: {name} must be an int >= 0, got {v!r}")
    if active < 1:
        raise ArgumentError(f"schedule: active must be >= 1, got {active}")
    cycle = wait + warmup + active

    def action(step):
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if repeat and step >= cycle * repeat:
            return ProfilerAction.NONE
        pos = step % cycle
        if pos < wait:
            return ProfilerAction.NONE
        if pos < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD_AND_SAVE if pos == cycle - 1 else ProfilerAction.RECORD
    return action


def _always(step):
    return ProfilerAction.RECORD


class profile:
    """Record ops while open (see the module docstring). With `schedule`, call `prof.step()` after each
    training step; `on_trace_ready(prof)` gets each finished cycle (e.g. `tensorboard_trace_handler`)."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False):
        for a in activities or (ProfilerActivity.CPU,):
            if a is not ProfilerActivity.CPU:
                raise ArgumentError(f"profile: activities={a!r} is not supported; ember times ops on the host "
                                    f"(ProfilerActivity.CPU), including ops on CUDA arrays")
        if with_flops:
            raise ArgumentError("profile: with_flops=True is not supported (ember does not count FLOPs)")
        self.schedule = schedule or _always
        self.on_trace_ready = on_trace_ready
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.with_stack, self.with_modules = with_stack, with_modules
        self.step_num = 0
        self._events, self._recording, self._paths = [], False, None
        self._kernel_backward = 0
        self._finished = EventList()
        # One bound method each: the hooks remove an observer by identity.
        self._op_observer, self._kernel_observer = self._observe_op, self._observe_kernel
        self._node_observer = self._observe_node

    # --- lifecycle ----------------------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.step_num = 0
        self._enter_action(self.schedule(0))

    def stop(self):
        action = self.schedule(self.step_num)
        self._stop_recording()
        if action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE):
            self._publish()

    def step(self):
        """Mark the end of a training step (advances the schedule)."""
        action = self.schedule(self.step_num)
        self.step_num += 1
        nxt = self.schedule(self.step_num)
        if action == ProfilerAction.RECORD_AND_SAVE:
            self._stop_recording()
            self._publish()
        elif action == ProfilerAction.WARMUP and nxt not in (ProfilerAction.WARMUP,):
            self._events = []  # warmup steps are run through the profiler and dropped
        self._enter_action(nxt)

    def _enter_action(self, action):
        if action == ProfilerAction.NONE:
            self._stop_recording()
            self._events = []
        elif not self._recording:
            self._start_recording()

    def _start_recording(self):
        self._recording = True
        dispatch.add_observer(self._op_observer)
        dispatch._backward_observers.append(self._node_observer)
        observe.add_observer(self._kernel_observer)
        _active.append(self)
        if self.with_modules:
            self._paths = dispatch.module_paths()
            self._paths.__enter__()

    def _stop_recording(self):
        if not self._recording:
            return
        self._recording = False
        dispatch.remove_observer(self._op_observer)
        dispatch._backward_observers.remove(self._node_observer)
        observe.remove_observer(self._kernel_observer)
        _active.remove(self)
        if self._paths is not None:
            self._paths.__exit__(None, None, None)
            self._paths = None

    def _publish(self):
        self._finished = EventList(self._events)
        self._events = []
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    # --- the observers ------------------------------------------------------------------------
    def _observe_op(self, cls, args, attrs, proceed):
        if dispatch.tracer() is not None:  # the tracer runs the op again untraced: that call is recorded
            return proceed(args, attrs)
        start = _clock()
        out = proceed(args, attrs)
        end = _clock()
        backward = dispatch.in_backward() or self._kernel_backward > 0
        self._record(cls.op_name(), start, end, "op", backward, args, out, cls.is_view)
        return out

    def _observe_node(self, node, grads, proceed):
        """One autograd node's backward, as `<op>_backward` (its primitive calls nest inside it)."""
        start = _clock()
        out = proceed(grads)
        self._record(node.op_name() + "_backward", start, _clock(), "node", True, grads, out, True)
        return out

    def _observe_kernel(self, kernel, args, attrs, proceed):
        if kernel.backward:
            self._kernel_backward += 1
        start = _clock()
        try:
            out = proceed(args, attrs)
        finally:
            end = _clock()
            if kernel.backward:
                self._kernel_backward -= 1
        name = kernel.op + "_backward" if kernel.backward else kernel.op
        self._record(name, start, end, "kernel", kernel.backward, args, out, kernel.cls.is_view)
        return out

    def _record(self, name, start, end, kind, backward, args, out, is_view):
        e = FunctionEvent(name, start, end, kind, "backward" if backward else "forward")
        if self.record_shapes:
            e.input_shapes = [list(a.shape) if hasattr(a, "shape") else [] for a in args]
        if self.profile_memory and not is_view:
            outs = out if isinstance(out, (tuple, list)) else (out,)
            e.bytes = sum(_nbytes(o) for o in outs)
        if self.with_modules:
            e.module = dispatch.module_path()
        if self.with_stack:
            f = user_frame(traceback.extract_stack(limit=30))
            e.stack = [f"{f.filename}:{f.lineno}"] if f is not None else []
        self._events.append(e)

    # --- results ------------------------------------------------------------------------------
    def events(self):
        """Every recorded event (an `EventList`)."""
        return self._finished if not self._recording else EventList(self._events)

    def key_averages(self, group_by_input_shape=False):
        """Events grouped by name (and input shapes): counts, total and self times, memory."""
        return self.events().key_averages(group_by_input_shape)

    def export_chrome_trace(self, path):
        """Write the events as a Chrome Trace Event JSON file (Perfetto, chrome://tracing)."""
        write_chrome_trace(self.events(), path)


def _nbytes(o):
    if isinstance(o, Tensor):
        o = o._data
    return int(getattr(o, "nbytes", 0))


class record_function:
    """A labelled range in the profile: `with record_function("data"):` (also a decorator)."""

    def __init__(self, name, args=None):
        self.name, self.args, self._start = name, args, None

    def __enter__(self):
        self._start = _clock() if _active else None
        return self

    def __exit__(self, *exc):
        if self._start is None:
            return
        end = _clock()
        for prof in _active:
            prof._events.append(FunctionEvent(self.name, self._start, end, "range"))

    def __call__(self, fn):
        def wrapped(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)
        wrapped.__name__, wrapped.__doc__ = fn.__name__, fn.__doc__
        return wrapped
