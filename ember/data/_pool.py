"""The main process's side of DataLoader workers: start them, send tasks, collect messages, shut down.

`ProcessPool` gives each worker its own task pipe and result pipe, and waits
on the result pipes and the processes' sentinels together: a worker that
dies (even by SIGKILL) wakes the main process at once, and one worker's
death cannot corrupt another's channel. `ThreadPool` has the same interface
over threads and queues.
"""
import multiprocessing
import queue
import signal
import threading
import time
from multiprocessing.connection import wait

from ember.data import _shm
from ember.data._worker import DataLoaderError, process_loop, thread_loop

JOIN_SECONDS = 2.0


def _describe_exit(code):
    if code is None:
        return "is not responding"
    if code < 0:
        try:
            return f"was killed by signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited unexpectedly with exit code {code}"


class ProcessPool:
    """`num_workers` daemon processes running `_worker.process_loop`."""

    def __init__(self, spec, base_seed, context):
        ctx = multiprocessing.get_context(context) if isinstance(context, (str, type(None))) else context
        self.use_shm = _shm.AVAILABLE
        if self.use_shm:
            from multiprocessing import resource_tracker
            resource_tracker.ensure_running()  # one tracker shared with the workers
        self.procs, self.task_conns, self.result_conns, self.closed = [], [], [], False
        self.slots, self.freed = _shm.MainSlots(), [[] for _ in range(spec["num_workers"])]
        for wid in range(spec["num_workers"]):
            task_r, task_w = ctx.Pipe(duplex=False)
            result_r, result_w = ctx.Pipe(duplex=False)
            p = ctx.Process(target=process_loop, args=(spec, wid, base_seed + wid, task_r, result_w, self.use_shm),
                            daemon=True, name=f"ember-data-worker-{wid}")
            p.start()
            task_r.close()
            result_w.close()
            self.procs.append(p)
            self.task_conns.append(task_w)
            self.result_conns.append(result_r)

    def send(self, wid, task):
        """Send task `(epoch, n, index)` to worker `wid`, handing back the slots whose batches were copied out."""
        freed, self.freed[wid] = self.freed[wid], []
        try:
            self.task_conns[wid].send(task + (freed,))
        except OSError:
            self.check_alive()
            raise

    def recv(self, timeout):
        """Messages `(worker_id, msg)` that arrive within `timeout` seconds; raises if a worker died."""
        ready = wait(self.result_conns + [p.sentinel for p in self.procs], timeout)
        out = []
        for wid, conn in enumerate(self.result_conns):
            while conn in ready or self.procs[wid].sentinel in ready:
                try:
                    if not conn.poll(0):
                        break
                    msg = conn.recv()
                except (EOFError, OSError):
                    break
                out.append((wid, self._unpack(wid, msg)))
        if not out:
            self.check_alive()
        return out

    def _unpack(self, wid, msg):
        kind, epoch, n, payload = msg
        if kind != "batch":
            return msg
        if payload[1] is not None:
            self.freed[wid].append(payload[1])
        return kind, epoch, n, self.slots.unpack(payload)

    def check_alive(self):
        for wid, p in enumerate(self.procs):
            if not p.is_alive():
                raise DataLoaderError(f"DataLoader worker {wid} (pid {p.pid}) {_describe_exit(p.exitcode)}; "
                                      f"if it ran out of memory, lower batch_size or num_workers",
                                      worker_id=wid)

    def pids(self):
        return [p.pid for p in self.procs]

    def shutdown(self, wait_seconds=JOIN_SECONDS):
        """Ask workers to stop, drain their pipes, join for `wait_seconds`; terminate stragglers."""
        if self.closed:
            return
        self.closed = True
        for conn in self.task_conns:
            try:
                conn.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + wait_seconds
        while any(p.is_alive() for p in self.procs) and time.monotonic() < deadline:
            self._drain()
            wait([p.sentinel for p in self.procs if p.is_alive()], 0.05)
        for p in self.procs:
            if p.is_alive():
                p.terminate()
                p.join(0.5)
            if p.is_alive():
                p.kill()
                p.join()
        self._drain()
        for conn in self.task_conns + self.result_conns:
            conn.close()
        self.slots.close()

    def _drain(self):
        """Read and drop what workers still send (so none blocks on a full pipe); they unlink their slots."""
        for conn in self.result_conns:
            try:
                while conn.poll(0):
                    conn.recv_bytes()
            except (EOFError, OSError):
                pass


class ThreadPool:
    """`num_workers` daemon threads running `_worker.thread_loop` (the dataset is shared, not copied)."""

    def __init__(self, spec, base_seed, context=None):
        self.results = queue.Queue()
        self.tasks = [queue.Queue() for _ in range(spec["num_workers"])]
        self.threads = [threading.Thread(target=thread_loop, args=(spec, wid, base_seed + wid, q, self.results),
                                         daemon=True, name=f"ember-data-worker-{wid}")
                        for wid, q in enumerate(self.tasks)]
        self.closed = False
        for t in self.threads:
            t.start()

    def send(self, wid, task):
        self.tasks[wid].put(task + ((),))

    def recv(self, timeout):
        try:
            out = [self.results.get(timeout=timeout)]
        except queue.Empty:
            return []
        while True:
            try:
                out.append(self.results.get_nowait())
            except queue.Empty:
                return out

    def check_alive(self):
        for wid, t in enumerate(self.threads):
            if not t.is_alive():
                raise DataLoaderError(f"DataLoader worker thread {wid} stopped unexpectedly", worker_id=wid)

    def pids(self):
        return []

    def shutdown(self, wait_seconds=JOIN_SECONDS):
        if self.closed:
            return
        self.closed = True
        for q in self.tasks:
            q.put(None)
        deadline = time.monotonic() + wait_seconds
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
