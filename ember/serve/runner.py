"""Where ember code runs in the server: one call at a time, because ember's grad mode and graph tracer
are process-wide state.

A short call (a batch) runs inline on the event loop when nothing else holds the model lock: handing
it to another thread would cost a GIL handoff per batch, which on a busy machine stalls the loop for
milliseconds. A long call (loading and warming a new version) runs on the model thread holding the
lock, so the loop keeps answering meanwhile; batches that arrive during a load wait for it there.

    >>> runner = ModelRunner()
    >>> outputs = await runner.run(servable.run, arrays)                     # doctest: +SKIP
    >>> servable = await runner.background(load, path, "digits")             # doctest: +SKIP
"""
import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["ModelRunner"]


class ModelRunner:
    def __init__(self):
        self.lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ember-model")

    def _locked(self, fn, *args):
        with self.lock:
            return fn(*args)

    async def run(self, fn, *args):
        """fn(*args), inline when the lock is free, else on the model thread after the call holding it."""
        if self.lock.acquire(blocking=False):
            try:
                return fn(*args)
            finally:
                self.lock.release()
        return await asyncio.get_running_loop().run_in_executor(self.executor, self._locked, fn, *args)

    async def background(self, fn, *args):
        """fn(*args) on the model thread (for long calls: the event loop stays free)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, self._locked, fn, *args)

    def shutdown(self):
        self.executor.shutdown(wait=True)
