"""Shared parts of the server tests: model files made once per session, and `ember serve` started as a
subprocess on a free loopback port (port 0; the server logs the port it got), stopped with SIGTERM."""
import os
import pathlib
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("uvicorn")
os.environ.setdefault("KERAS_BACKEND", "torch")

ROOT = pathlib.Path(__file__).resolve().parents[2]
ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", **os.environ,
       "PYTHONPATH": str(ROOT)}


def make_cnn(path, seed=0):
    from ember import keras
    from ember.cli.digits import build_model
    keras.utils.set_random_seed(seed)
    model = build_model("cnn")
    model.save(path)
    return model


def make_two_heads(path, seed=1):
    """A functional model with two inputs (one int64) and two outputs."""
    from ember import keras
    keras.utils.set_random_seed(seed)
    numbers = keras.Input(shape=(4,), name="numbers")
    tokens = keras.Input(shape=(6,), dtype="int64", name="tokens")
    seq = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 8)(tokens))
    h = keras.layers.Dense(16, activation="relu")(keras.layers.Concatenate()([numbers, seq]))
    model = keras.Model([numbers, tokens], [keras.layers.Dense(3, activation="softmax", name="cls")(h),
                                            keras.layers.Dense(1, name="reg")(h)])
    model.save(path)
    return model


def make_net(path, seed=2):
    """An ember.nn model saved with ember.io.save_model (architecture as registered classes)."""
    import ember
    from ember import nn
    ember.manual_seed(seed)
    net = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3))
    ember.io.save_model(net, path)
    return net.eval()


def net_predict(net, x):
    import ember
    with ember.no_grad():
        return net(ember.tensor(x)).numpy()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    models = {"cnn": make_cnn(d / "cnn.ember"), "two": make_two_heads(d / "two.ember"), "net": make_net(d / "net.ember")}
    return d, models


class Served:
    """A running `ember serve` subprocess."""

    def __init__(self, args, log_path, cwd=None):
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "ember.cli", "serve", "--port", "0", *map(str, args)],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=ENV, cwd=cwd)
        self.port = self._port()
        self.url = f"http://127.0.0.1:{self.port}"

    def text(self):
        return pathlib.Path(self.log_path).read_text()

    def _port(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.text())
            if m:
                return int(m.group(1))
            if self.proc.poll() is not None:
                raise AssertionError(f"ember serve exited with {self.proc.returncode}:\n{self.text()}")
            time.sleep(0.05)
        raise AssertionError(f"ember serve did not start:\n{self.text()}")

    def wait_ready(self, timeout=60):
        import httpx
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/v2/health/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"ember serve did not become ready:\n{self.text()}")

    def wait_for(self, predicate, what, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}:\n{self.text()[-3000:]}")

    def rss_mb(self):
        for line in pathlib.Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def stop(self, timeout=60):
        """SIGTERM; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.log.close()


@pytest.fixture
def serve(tmp_path):
    """serve(*args) starts `ember serve --port 0 *args` and waits until it is ready (unless ready=False)."""
    started = []

    def start(*args, ready=True):
        s = Served(args, tmp_path / f"server{len(started)}.log")
        started.append(s)
        if ready:
            s.wait_ready()
        return s
    yield start
    for s in started:
        s.stop()


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(0)


def start_models_server(model_dir, log_dir, *extra):
    """A server for cnn (Keras Sequential), two (functional, two inputs and two outputs) and net
    (ember.io), from a --model-config file."""
    d, models = model_dir
    config = d / "models.json"
    config.write_text('{"models": [{"name": "cnn", "base_path": "cnn.ember"}, '
                      '{"name": "two", "base_path": "two.ember"}, {"name": "net", "base_path": "net.ember"}]}')
    s = Served(["--model-config", config, *extra], log_dir / "server.log")
    s.wait_ready()
    s.models = models
    return s


@pytest.fixture(scope="module")
def server(model_dir, tmp_path_factory):
    """One models server per test module (see start_models_server)."""
    s = start_models_server(model_dir, tmp_path_factory.mktemp("log"))
    yield s
    assert s.stop() == 0
