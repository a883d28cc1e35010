"""The real TensorBoard serves ember's event files: its HTTP data API over loopback, and its web page
rendered by a headless Chromium for an `ember train --logdir` run."""
import html.parser
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

import ember

pytest.importorskip("tensorboard")
from ember.utils.tensorboard import SummaryWriter  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TensorBoardServer:
    """`tensorboard --logdir` on a free loopback port (the Python data loader: no network, no rustboard)."""

    def __init__(self, logdir, tmp_path):
        self.port = free_port()
        self.log = open(tmp_path / "tensorboard.log", "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host",
                                      "127.0.0.1", "--port", str(self.port), "--load_fast=false"],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=ENV)

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
            return json.loads(r.read())

    def text(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
            return r.read().decode()

    def wait_for_runs(self, runs, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (pathlib.Path(self.log.name).read_text())
            try:
                tags = self.get("/data/plugin/scalars/tags")
                if set(runs) <= set(tags):
                    return tags
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"TensorBoard did not list runs {runs} within {seconds}s")

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def server_for(tmp_path):
    servers = []

    def start(logdir):
        servers.append(TensorBoardServer(logdir, tmp_path))
        return servers[-1]
    yield start
    for s in servers:
        s.close()


def test_http_data_api_serves_the_written_scalars(tmp_path, server_for):
    values = np.random.default_rng(0).random(20).astype(np.float32)
    with SummaryWriter(tmp_path / "logs" / "exp") as w:
        for step, v in enumerate(values):
            w.add_scalar("loss/train", v, step * 10)
        w.add_histogram("weights", values, 0)
        w.add_graph(ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.Tanh()), ember.randn(4, 3))
    server = server_for(tmp_path / "logs")
    tags = server.wait_for_runs(["exp"])
    assert "loss/train" in tags["exp"]
    assert server.get("/data/runs") == ["exp"]
    points = server.get("/data/plugin/scalars/scalars?run=exp&tag=loss/train")
    assert [p[1] for p in points] == [10 * i for i in range(20)]
    np.testing.assert_array_equal(np.array([p[2] for p in points], np.float32), values)
    assert "weights" in server.get("/data/plugin/histograms/tags")["exp"]
    graph = server.text("/data/plugin/graphs/graph?run=exp&conceptual=false")   # the Graphs dashboard's data
    assert 'name: "Sequential/0/linear_3"' in graph and 'op: "tanh"' in graph


class _Page(html.parser.HTMLParser):
    """Card titles (tag names) and run-table cells of TensorBoard's rendered page."""

    def __init__(self):
        super().__init__()
        self.titles, self.cells, self._cell = set(), set(), 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "group-title" in (attrs.get("class") or "") and attrs.get("title"):
            self.titles.add(attrs["title"])
        self._cell += 1 if tag == "div" and "cell" in (attrs.get("class") or "").split() else 0

    def handle_endtag(self, tag):
        if tag == "div" and self._cell:
            self._cell -= 1

    def handle_data(self, data):
        if self._cell and data.strip():
            self.cells.add(data.strip())


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (.ci/run installs it)")
def test_chromium_renders_the_run_and_epoch_loss_of_ember_train(tmp_path, server_for):
    logdir = tmp_path / "logs"
    result = subprocess.run([sys.executable, "-m", "ember.cli", "train", "--model", "mlp", "--epochs", "2",
                             "--verbose", "0", "--logdir", str(logdir), "--output", str(tmp_path / "m.ember")],
                            capture_output=True, text=True, timeout=300, env=ENV, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    server = server_for(logdir)
    tags = server.wait_for_runs(["train", "validation"])
    assert "epoch_loss" in tags["train"] and "epoch_loss" in tags["validation"]
    profile = tmp_path / "chromium-profile"
    page = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", "--no-first-run",
                           f"--user-data-dir={profile}", "--virtual-time-budget=20000", "--dump-dom",
                           f"http://127.0.0.1:{server.port}/#timeseries"],
                          capture_output=True, text=True, timeout=120)
    assert page.returncode == 0, page.stderr[-2000:]
    parsed = _Page()
    parsed.feed(page.stdout)
    assert "epoch_loss" in parsed.titles, sorted(parsed.titles)
    assert {"train", "validation"} <= parsed.cells, sorted(parsed.cells)[:40]
    shutil.rmtree(profile, ignore_errors=True)
