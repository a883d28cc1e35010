"""`CallbackList`: the callbacks of one `fit`/`evaluate`/`predict` call, each hook called on each in order.

A hook runs only on the callbacks that override it (the base class's hooks are no-ops), and
`wants(hook)` tells the loop whether any does: `fit` builds a batch's logs only when some callback
reads them, so a step's bookkeeping does not grow with the callbacks that ignore batches.

    >>> calls = keras.callbacks.CallbackList([keras.callbacks.Callback()], add_history=True, epochs=2)
    >>> len(calls.callbacks), calls.params
    (2, {'epochs': 2})
"""
from ember.errors import ArgumentError
from ember.keras.callbacks.base import Callback, History
from ember.keras.callbacks.progress import ProgbarLogger

__all__ = ["CallbackList"]


_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}  # Keras's older names


class CallbackList(Callback):
    """Calls each hook on every callback in order (Keras's arguments: `add_history` and `add_progbar`
    append a `History` and a progress bar; `model` and `**params` are given to each callback)."""

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self._hooked = {}  # hook name -> the callbacks that override it, found on first call
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise ArgumentError(f"fit: callbacks must be keras.callbacks.Callback objects, "
                                    f"got {type(cb).__name__}")
        if add_history:
            self.callbacks.append(History())
        if add_progbar:
            self.callbacks.append(ProgbarLogger(params.get("verbose", 1)))
        if model is not None:
            self.set_model(model)
        self.set_params(params)

    def set_model(self, model):
        super().set_model(model)
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for cb in self.callbacks:
            cb.set_params(params)

    def append(self, callback):
        self.callbacks.append(callback)
        self._hooked = {}
        if self.model is not None:
            callback.set_model(self.model)
        if self.params is not None:
            callback.set_params(self.params)

    def wants(self, hook):
        """Whether any callback overrides `hook` (e.g. "on_train_batch_end"): else calling it does nothing.

            >>> CallbackList([keras.callbacks.History()]).wants("on_train_batch_end")
            False
        """
        return bool(self._callers(hook))

    def _callers(self, hook):
        found = self._hooked.get(hook)
        if found is None:
            names = (hook,) + ((_ALIASES[hook],) if hook in _ALIASES else ())
            found = self._hooked[hook] = [cb for cb in self.callbacks if any(
                name in vars(cb) or getattr(type(cb), name) is not getattr(Callback, name) for name in names)]
        return found

    def _call(self, hook, *args):
        for cb in self._callers(hook):
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_train_batch_begin(self, batch, logs=None): self._call("on_train_batch_begin", batch, logs)
    def on_train_batch_end(self, batch, logs=None): self._call("on_train_batch_end", batch, logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs)
    def on_test_end(self, logs=None): self._call("on_test_end", logs)
    def on_test_batch_begin(self, batch, logs=None): self._call("on_test_batch_begin", batch, logs)
    def on_test_batch_end(self, batch, logs=None): self._call("on_test_batch_end", batch, logs)
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs)
    def on_predict_end(self, logs=None): self._call("on_predict_end", logs)
    def on_predict_batch_begin(self, batch, logs=None): self._call("on_predict_batch_begin", batch, logs)
    def on_predict_batch_end(self, batch, logs=None): self._call("on_predict_batch_end", batch, logs)
