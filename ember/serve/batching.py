"""Server-side batching: concurrent requests to one model version are merged into one batch.

Requests queue per servable. The batcher takes the first request and waits up to `timeout_s` for
more — only while other requests are on their way (received by the server but not yet queued, as
`Traffic` counts them), so a lone client never waits for company that is not coming; while the
model thread is busy, requests queue and form the next batch. It
joins inputs of the same per-sample shapes and dtypes along the batch axis up to
`max_batch_size` samples, runs the batch once (through `runner.ModelRunner`) and hands each request its own
rows back. A request larger than `max_batch_size` runs alone.

    >>> batcher = Batcher(servable, ModelRunner(), max_batch_size=32, timeout_s=0.002)   # doctest: +SKIP
    >>> outputs = await batcher.submit([x])                                               # doctest: +SKIP
"""
import asyncio
import collections

import numpy as np

__all__ = ["Batcher", "Traffic"]


class Traffic:
    """Requests the server is handling (`active`) and those queued or running in a batcher (`queued`):
    the difference is on its way to a batcher (being read or parsed)."""

    def __init__(self):
        self.active = self.queued = 0

    def arriving(self):
        return self.active - self.queued > 0


class _Item:
    __slots__ = ("arrays", "n", "key", "future")

    def __init__(self, arrays, future):
        self.arrays, self.future = arrays, future
        self.n = len(arrays[0])
        self.key = tuple((a.dtype.str, a.shape[1:]) for a in arrays)


class Batcher:
    """Merges the requests to one servable (see the module docstring). `on_batch(size)` is told the
    size of every batch run (for the metrics)."""

    def __init__(self, servable, runner, max_batch_size=32, timeout_s=0.002, on_batch=None, traffic=None):
        self.servable, self.runner = servable, runner
        self.max_batch_size = max_batch_size if servable.batchable else 1
        self.timeout_s = timeout_s
        self.on_batch = on_batch or (lambda size: None)
        self.traffic = traffic or Traffic()
        self.items = collections.deque()
        self.wakeup = asyncio.Event()
        self.task = None
        self.closing = False

    def start(self):
        self.task = asyncio.get_running_loop().create_task(self._loop())
        return self

    def close(self):
        """Stop once the queued requests have run (a retired version finishes what it was given)."""
        self.closing = True
        self.wakeup.set()

    def submit(self, arrays):
        """A future of the outputs for `arrays` (one batch-first array per input), run with others'
        requests; cancelling it before its batch starts takes it out of the queue."""
        future = asyncio.get_running_loop().create_future()
        self.items.append(_Item(arrays, future))
        self.traffic.queued += 1
        future.add_done_callback(self._done)
        self.wakeup.set()
        return future

    def _done(self, future):
        self.traffic.queued -= 1

    async def _loop(self):
        loop = asyncio.get_running_loop()
        while True:
            if not self.items:
                if self.closing:
                    return
                self.wakeup.clear()
                await self.wakeup.wait()
                continue
            if self.timeout_s > 0 and self.max_batch_size > 1:
                await self._gather(loop)
            batch = self._take()
            if batch:
                await self._run(loop, batch)

    async def _gather(self, loop):
        deadline = loop.time() + self.timeout_s
        while self._ready() < self.max_batch_size and self.traffic.arriving():
            left = deadline - loop.time()
            if left <= 0:
                return
            self.wakeup.clear()
            try:
                await asyncio.wait_for(self.wakeup.wait(), left)
            except asyncio.TimeoutError:
                return

    def _ready(self):
        first, total = self.items[0], 0
        for item in self.items:
            if item.key == first.key:
                total += item.n
        return total

    def _take(self):
        """The oldest request and the later ones that fit with it; requests that timed out are dropped."""
        first = self.items.popleft()
        batch, size, rest = [first], first.n, collections.deque()
        while self.items:
            item = self.items.popleft()
            if item.key == first.key and size + item.n <= self.max_batch_size:
                batch.append(item)
                size += item.n
            else:
                rest.append(item)
        self.items.extendleft(reversed(rest))
        return [item for item in batch if not item.future.done()]

    async def _run(self, loop, batch):
        arrays = [np.concatenate(parts) if len(batch) > 1 else parts[0]
                  for parts in zip(*(item.arrays for item in batch))]
        self.on_batch(len(arrays[0]))
        try:
            outputs = await self.runner.run(self.servable.run, arrays)
        except Exception as e:  # noqa: BLE001 - the model's error goes to the request that caused it
            if len(batch) == 1:
                if not batch[0].future.done():
                    batch[0].future.set_exception(e)
                return
            for item in batch:  # one bad request must not fail the others: run each alone
                await self._run(loop, [item])
            return
        if len(batch) == 1:
            if not batch[0].future.done():
                batch[0].future.set_result(outputs)
            return
        start = 0
        for item in batch:
            if not item.future.done():
                item.future.set_result([o[start:start + item.n] for o in outputs])
            start += item.n
