"""`ember.serve.Server`: one process serving models over TF Serving's REST API and KServe v2.

    >>> server = Server("digits.ember", name="digits", port=8501)            # doctest: +SKIP
    >>> server.run()                                                        # doctest: +SKIP  (blocks; SIGTERM drains)

Model calls run one at a time (ember's grad mode and tracer are process-wide; see `runner.py`):
batches inline on the event loop, loads and warm-ups on the model thread. On SIGTERM uvicorn
stops accepting, the requests in flight finish, and `run` returns 0.
"""
import contextlib
import logging
import os
import signal
import socket
import threading

import uvicorn

from ember.serve.app import App
from ember.serve.batching import Traffic
from ember.serve.errors import ModelLoadError
from ember.serve.metrics import Metrics
from ember.serve.runner import ModelRunner
from ember.serve.repository import ModelSpec, Repository, read_model_config

__all__ = ["Server"]

log = logging.getLogger("ember.serve")


def _specs(path, name, model_config):
    if model_config is not None:
        if path is not None:
            raise ModelLoadError("give a model PATH or --model-config, not both")
        return read_model_config(model_config)
    if path is None:
        raise ModelLoadError("give a model PATH (a model file or a folder of versions) or --model-config")
    stem = os.path.basename(os.path.normpath(os.fspath(path)))
    return [ModelSpec(name or os.path.splitext(stem)[0], os.fspath(path))]


class _Uvicorn(uvicorn.Server):
    """uvicorn's server, except that SIGTERM/SIGINT end `run` normally (uvicorn re-raises the signal
    after its graceful shutdown, which would make the exit status -15 instead of 0)."""

    @contextlib.contextmanager
    def capture_signals(self):
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        old = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)


class Server:
    """Serve the model at `path` (a file, or a base folder `NAME/1/`, `NAME/2/`...) as `name`, or
    the models of `model_config` (a JSON/TOML file `{"models": [{"name", "base_path"}]}`).
    Arguments match `ember serve`'s options."""

    def __init__(self, path=None, name=None, host="127.0.0.1", port=8501, max_batch_size=32, batch_timeout_ms=2.0,
                 max_body_mb=64.0, request_timeout_s=30.0, model_config=None, poll_interval_s=1.0):
        if max_batch_size < 1 or batch_timeout_ms < 0 or max_body_mb <= 0 or request_timeout_s <= 0:
            raise ModelLoadError(f"Server: max_batch_size >= 1, batch_timeout_ms >= 0, max_body_mb > 0 and "
                                 f"request_timeout_s > 0 are required; got {max_batch_size}, {batch_timeout_ms}, "
                                 f"{max_body_mb}, {request_timeout_s}")
        self.host, self.port = host, port
        self.request_timeout_s = request_timeout_s
        self.runner = ModelRunner()
        self.metrics = Metrics(max_batch_size)
        traffic = Traffic()
        self.repository = Repository(_specs(path, name, model_config), self.runner, max_batch_size,
                                     batch_timeout_ms / 1e3, self.metrics, traffic)
        self.app = App(self.repository, self.metrics, int(max_body_mb * 2 ** 20), request_timeout_s, poll_interval_s,
                       traffic)

    def bind(self):
        """The listening socket (port 0 picks a free one; `self.port` is then the real port)."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        return sock

    def run(self):
        """Serve until SIGTERM or SIGINT, then drain the requests in flight; returns 0."""
        sock = self.bind()
        # keep-alive 30 s (uvicorn's default is 5): a client that pauses while its connection is being
        # closed sees a reset; longer idle connections make that race rarer under bursty load
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on",
                                timeout_keep_alive=30, timeout_graceful_shutdown=self.request_timeout_s + 5)
        log.info("ember serve: listening on http://%s:%d (models: %s)", self.host, self.port,
                 ", ".join(self.repository.models))
        self.uvicorn = _Uvicorn(config)
        try:
            self.uvicorn.run(sockets=[sock])
        finally:
            self.runner.shutdown()
            sock.close()
        log.info("ember serve: stopped")
        return 0

    def stop(self):
        """Ask a running server (e.g. one run in a thread) to drain and return, as SIGTERM does."""
        if getattr(self, "uvicorn", None) is not None:
            self.uvicorn.should_exit = True
