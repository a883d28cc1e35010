"""examples/browser: the page classifies every test digit in headless Chromium with onnxruntime-web,
and its predictions equal ember's. The page and its files are served on a loopback port; the page
posts its predictions back to the same server."""
import http.server
import json
import os
import pathlib
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

import ember

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGE = ROOT / "examples" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _server(data_dir, results):
    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                          ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm"}

        def translate_path(self, path):
            name = path.split("?")[0].lstrip("/")
            if name in ("model.onnx", "digits.json"):
                return str(data_dir / name)
            return str(PAGE / name)

        def do_POST(self):
            body = self.rfile.read(min(int(self.headers.get("Content-Length", 0)), 1 << 20))
            results.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.slow  # trains the CNN for one epoch and starts a browser: ~30 s on 2 busy cores
def test_browser_predictions_equal_embers(tmp_path):
    assert (PAGE / "node_modules" / "onnxruntime-web").is_dir(), "run `npm ci` in examples/browser (.ci/run does)"
    assert os.path.exists(CHROMIUM), "the chromium package is needed (.ci/run installs it)"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, str(PAGE / "prepare.py"), "--epochs", "1", "--out", str(tmp_path)], env=env,
                   check=True, capture_output=True, timeout=600)
    digits = json.loads((tmp_path / "digits.json").read_text())
    from ember import keras
    model = keras.models.load_model(tmp_path / "model.ember")
    model.eval()
    x = np.asarray(digits["images"], dtype=np.float32).reshape([-1] + digits["shape"])
    with ember.no_grad():
        want = model(ember.tensor(x)).numpy().argmax(1).tolist()

    results = []
    server = _server(tmp_path, results)
    url = f"http://127.0.0.1:{server.server_port}/index.html?report=/result"
    browser = subprocess.Popen([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                                "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", url],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(1200):  # at most 120 s
            if results:
                break
            try:
                browser.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                pass
    finally:
        browser.kill()
        browser.wait(timeout=30)
        server.shutdown()
    assert results, "the page posted no predictions"
    assert "error" not in results[0], results[0]
    got = results[0]["predictions"]
    assert len(got) == len(digits["labels"]) == len(want)
    assert got == want
