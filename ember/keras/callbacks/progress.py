"""Callbacks that report: `ProgbarLogger` (Keras's progress bar) and `CSVLogger`."""
import csv
import os
import sys
import time

import numpy as np

from ember.keras.progbar import is_interactive_logging_enabled, print_msg
from ember.errors import ArgumentError
from ember.keras.callbacks.base import Callback

__all__ = ["ProgbarLogger", "CSVLogger"]


class CSVLogger(Callback):
    """Write one row per epoch to `filename`: an "epoch" column (0-based, as Keras) then the log keys
    (sorted, taken from the first epoch, plus their "val_" twins when that epoch had no validation, as
    Keras; "NA" where an epoch lacks one). Flushed after each row. With `append=True` an existing file
    keeps its rows and its header's columns.
    """
    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ArgumentError(f"CSVLogger: separator must be one character, got {separator!r}")
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self.keys, self.writer, self.csv_file = None, None, None

    def on_train_begin(self, logs=None):
        self.keys, header = None, None
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.sep), None)
        self.write_header = not header
        if header:
            self.keys = [k for k in header if k != "epoch"]
        folder = os.path.dirname(self.filename)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")
        self.writer = csv.writer(self.csv_file, delimiter=self.sep)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(k.startswith("val_") for k in self.keys):  # validation_freq > 1 skips the first epoch
                self.keys += ["val_" + k for k in self.keys]
        if self.write_header:
            self.writer.writerow(["epoch"] + self.keys)
            self.write_header = False
        self.writer.writerow([epoch] + [_csv_value(logs.get(k, "NA")) for k in self.keys])
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file, self.writer = None, None


def _csv_value(v):
    if isinstance(v, np.generic) or (isinstance(v, np.ndarray) and v.ndim == 0):
        return v.item()
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ", ".join(map(str, v)) + "]"
    return v


def format_value(v):
    return f"{v:.4f}" if abs(v) >= 1e-3 or v == 0 else f"{v:.4e}"


def format_logs(logs):
    return " - ".join(f"{k}: {format_value(v)}" for k, v in logs.items() if np.isscalar(v) and not isinstance(v, str))


def format_time(seconds):
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{seconds:.0f}s"


class ProgbarLogger(Callback):
    """Progress output: "Epoch k/N" and a bar with ETA, loss and metrics redrawn in place (verbose=1,
    on a terminal; elsewhere only each epoch's final bar), or one line per epoch (verbose=2)."""

    def __init__(self, verbose=1, stream=None, width=30):
        super().__init__()
        self.verbose, self.stream, self.width = verbose, stream, width

    def _write(self, text):
        if not is_interactive_logging_enabled():  # keras.utils.disable_interactive_logging(): to the logger
            print_msg(text.strip("\r\n"))
            return
        stream = self.stream or sys.stdout
        stream.write(text)
        stream.flush()

    def on_epoch_begin(self, epoch, logs=None):
        self.start = self.last_draw = time.perf_counter()
        self._write(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}\n")

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if self.verbose == 1 and (self.stream or sys.stdout).isatty() and now - self.last_draw > 0.1:
            self.last_draw = now
            self._write("\r" + self._bar(batch + 1) + f" - ETA: {self._eta(batch + 1, now)} - "
                        + format_logs(logs or {}))

    def _bar(self, done):
        steps = self.params.get("steps") or done
        filled = min(self.width, int(self.width * done / max(steps, 1)))
        arrow = ">" if 0 < filled < self.width else ""
        bar = "=" * (filled - len(arrow)) + arrow + "." * (self.width - filled)
        return f"{done}/{steps} [{bar}]"

    def _eta(self, done, now):
        steps = self.params.get("steps") or done
        return format_time((now - self.start) / done * (steps - done))

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        steps = self.params.get("steps") or 0
        elapsed = now - self.start
        timing = f"{format_time(elapsed)} {elapsed / max(steps, 1) * 1000:.0f}ms/step"
        if self.verbose == 1:
            self._write(f"\r{self._bar(steps)} - {timing} - {format_logs(logs or {})}\n")
        else:
            self._write(f"{steps}/{steps} - {timing} - {format_logs(logs or {})}\n")
