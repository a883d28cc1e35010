"""`ember.Future`, `ember.fork` and `ember.wait`, as PyTorch's eager forms of them: `fork(fn, *args)`
runs `fn` at once on the calling thread (as `torch.jit.fork` does outside TorchScript) and returns a
completed `Future`; `wait(future)` returns its value or raises what `fn` raised.

    >>> import ember
    >>> ember.wait(ember.fork(lambda x: x + 1, 2))
    3
"""
import threading

from ember.errors import ArgumentError

__all__ = ["Future", "fork", "wait"]


class Future:
    """A value that is set once (`set_result`, or `set_exception`), waited for (`wait`), read (`value`),
    and chained (`then`, `add_done_callback`)."""

    def __init__(self):
        self._done = threading.Event()
        self._value = self._error = None
        self._callbacks = []

    def done(self):
        return self._done.is_set()

    def set_result(self, result):
        self._finish(result, None)

    def set_exception(self, result):
        if not isinstance(result, BaseException):
            raise ArgumentError(f"Future.set_exception: expected an exception, got {type(result).__name__}")
        self._finish(None, result)

    def _finish(self, value, error):
        if self.done():
            raise ArgumentError("Future: the result is already set; a Future completes once")
        self._value, self._error = value, error
        self._done.set()
        for callback in self._callbacks:
            callback(self)

    def wait(self):
        """The value, once set (blocks until then); raises the exception if one was set."""
        self._done.wait()
        return self.value()

    def value(self):
        if not self.done():
            raise ArgumentError("Future.value: the result is not set yet; wait() blocks until it is")
        if self._error is not None:
            raise self._error
        return self._value

    def then(self, callback):
        """A new Future holding `callback(self)` once this one completes."""
        out = Future()

        def run(fut):
            try:
                out.set_result(callback(fut))
            except Exception as e:  # the callback's error goes to whoever waits on `out`
                out.set_exception(e)
        self.add_done_callback(run)
        return out

    def add_done_callback(self, callback):
        if self.done():
            callback(self)
        else:
            self._callbacks.append(callback)


def fork(func, *args, **kwargs):
    """Run `func(*args, **kwargs)` now; a completed Future holds its result (or its exception)."""
    if not callable(func):
        raise ArgumentError(f"fork: expected a callable, got {type(func).__name__}")
    fut = Future()
    try:
        fut.set_result(func(*args, **kwargs))
    except Exception as e:
        fut.set_exception(e)
    return fut


def wait(future):
    """`future.wait()`."""
    if not isinstance(future, Future):
        raise ArgumentError(f"wait: expected an ember.Future, got {type(future).__name__}")
    return future.wait()
