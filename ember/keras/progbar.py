"""Keras's `Progbar` (a progress bar with running averages of the values it is given) and the
interactive-logging switch: while it is off, progress goes to the `ember.keras` logger instead of
being drawn on stdout, as Keras sends it to its logger.

    >>> bar = keras.utils.Progbar(2, verbose=2)
    >>> bar.update(2, values=[("loss", 0.5)])  # doctest: +ELLIPSIS
    2/2 - 0s - ...us/step - loss: 0.5000
"""
import logging
import sys
import time

__all__ = ["Progbar", "enable_interactive_logging", "disable_interactive_logging", "is_interactive_logging_enabled",
           "print_msg"]

log = logging.getLogger("ember.keras")
_INTERACTIVE = {"enabled": True}


def enable_interactive_logging():
    """Draw progress on stdout (the default)."""
    _INTERACTIVE["enabled"] = True


def disable_interactive_logging():
    """Send progress to the `ember.keras` logger instead of stdout (for log files and batch jobs)."""
    _INTERACTIVE["enabled"] = False


def is_interactive_logging_enabled():
    return _INTERACTIVE["enabled"]


def print_msg(message, line_break=True, stream=None):
    """Write `message` to `stream` (stdout) with interactive logging on, else log it."""
    if _INTERACTIVE["enabled"]:
        out = stream or sys.stdout
        out.write(message + ("\n" if line_break else ""))
        out.flush()
    else:
        log.info(message)


def _per_step(seconds):
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class Progbar:
    """A bar for `target` steps (None: unknown): `update(current, values)` sets the step reached,
    `add(n, values)` advances; `values` are (name, value) pairs averaged over the steps seen (names in
    `stateful_metrics` are shown as given). verbose 1 redraws one line, 2 prints the final line only."""

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None, stateless_metrics=None,
                 unit_name="step"):
        self.target, self.width, self.verbose, self.interval = target, width, verbose, interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self._values, self._order = {}, []
        self._seen, self._start, self._last_draw = 0, time.time(), 0.0

    def update(self, current, values=None, finalize=None):
        finalize = (self.target is not None and current >= self.target) if finalize is None else finalize
        for name, value in values or []:
            if name not in self._values:
                self._order.append(name)
            if name in self.stateful_metrics:
                self._values[name] = [value, 1]
            else:
                steps = max(current - self._seen, 1)
                total, count = self._values.get(name, [0.0, 0])
                self._values[name] = [total + value * steps, count + steps]
        self._seen = current
        now = time.time()
        if self.verbose == 1 and (finalize or now - self._last_draw >= self.interval):
            self._last_draw = now
            print_msg("\r" + self._line(current, now, bar=True), line_break=finalize)
        elif self.verbose == 2 and finalize:
            print_msg(self._line(current, now, bar=False))

    def add(self, n, values=None):
        self.update(self._seen + n, values)

    def _line(self, current, now, bar):
        elapsed = now - self._start
        per_step = _per_step(elapsed / max(current, 1))
        shown = " - ".join(f"{name}: {self._mean(name):.4f}" for name in self._order)
        if bar:
            filled = self.width if self.target is None else int(self.width * min(current / max(self.target, 1), 1))
            head = f"{current}/{self.target or '?'} " + "━" * filled + " " * (self.width - filled)
            line = f"{head} {elapsed:.0f}s {per_step}"
        else:
            line = f"{current}/{self.target or '?'} - {elapsed:.0f}s - {per_step}"
        return line + (f" - {shown}" if shown else "")

    def _mean(self, name):
        total, count = self._values[name]
        return total / max(count, 1)
