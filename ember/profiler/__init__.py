"""Level 3: `ember.profiler`, the core of torch.profiler's API on ember's dispatch hook.

    >>> from ember.profiler import profile, record_function, schedule, tensorboard_trace_handler
    >>> with profile(schedule=schedule(wait=1, warmup=1, active=2),
    ...              on_trace_ready=tensorboard_trace_handler("runs/prof")) as prof:
    ...     for step in range(4):
    ...         train_step()
    ...         prof.step()                            # doctest: +SKIP
"""
from ember.profiler.events import EventList, FunctionEvent, FunctionEventAvg
from ember.profiler.export import chrome_trace, tensorboard_trace_handler
from ember.profiler.profile import ProfilerAction, ProfilerActivity, profile, record_function, schedule

__all__ = ["profile", "record_function", "schedule", "tensorboard_trace_handler", "ProfilerActivity",
           "ProfilerAction", "EventList", "FunctionEvent", "FunctionEventAvg", "chrome_trace"]
