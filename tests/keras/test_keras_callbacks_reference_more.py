"""More of keras.callbacks against Keras 3 (torch backend): CallbackList driven by hand, the progress bar's
logged values, BackupAndRestore resuming an interrupted fit at the same epoch, and RemoteMonitor posting to a
loopback server (Keras's requests client and ember's standard-library one, the same payloads)."""
import contextlib
import http.server
import io
import json
import re
import threading
import urllib.parse

import numpy as np
import pytest

from ember import keras as ek

RNG = np.random.default_rng(2)
X, Y = RNG.standard_normal((16, 3)).astype("float32"), RNG.standard_normal((16, 1)).astype("float32")
COVERS = {"keras.callbacks": ["CallbackList", "ProgbarLogger", "BackupAndRestore", "RemoteMonitor"]}


def model(k, weights=None):
    m = k.Sequential([k.Input((3,)), k.layers.Dense(1)])
    m.compile(optimizer=k.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    if weights is not None:
        m.set_weights(weights)
    return m


def test_callback_list_by_hand(real_keras):
    events = {}
    for k in (real_keras, ek):
        seen = events.setdefault(k.__name__, [])

        class Recorder(k.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                seen.append(("epoch_begin", epoch, self.params.get("epochs")))

            def on_train_batch_end(self, batch, logs=None):
                seen.append(("batch_end", batch, sorted(logs)))
        m = model(k)
        calls = k.callbacks.CallbackList([Recorder()], add_history=True, model=m, epochs=3, steps=2)
        calls.on_train_begin()
        calls.on_epoch_begin(0)
        calls.on_train_batch_end(0, {"loss": 1.0})
        calls.on_epoch_end(0, {"loss": 1.0})
        calls.on_train_end()
        assert len(calls.callbacks) == 2 and calls.callbacks[0].model is m
    assert events["ember.keras"] == events["keras"]


def _printed_numbers(text):
    return [float(v) for v in re.findall(r"(?:loss|mae): ([0-9.]+)", text)]


def test_progbar_logger_prints_keras_values(real_keras):
    weights = model(real_keras).get_weights()
    outputs = []
    for k in (real_keras, ek):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            model(k, weights).fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=2,
                                  callbacks=[k.callbacks.ProgbarLogger()])
        outputs.append(buf.getvalue())
    assert "Epoch 1/2" in outputs[1] and "Epoch 2/2" in outputs[1]
    want = _printed_numbers(outputs[0].rsplit("Epoch 2/2", 1)[1])[-2:]
    got = _printed_numbers(outputs[1].rsplit("Epoch 2/2", 1)[1])[-2:]
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_backup_and_restore_resumes_where_keras_does(real_keras, tmp_path):
    """A fit interrupted by an exception in epoch 3, then run again: both resume at the same epoch with the
    same losses."""
    weights = model(real_keras).get_weights()
    runs = {}
    for k in (real_keras, ek):
        class Interrupt(k.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if epoch == 2:
                    raise RuntimeError("interrupted")

        class Epochs(k.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.seen = []

            def on_epoch_begin(self, epoch, logs=None):
                self.seen.append(epoch)
        backup = str(tmp_path / k.__name__)
        m = model(k, weights)
        with pytest.raises(RuntimeError):
            m.fit(X, Y, batch_size=8, epochs=4, shuffle=False, verbose=0,
                  callbacks=[k.callbacks.BackupAndRestore(backup), Interrupt()])
        epochs = Epochs()
        history = model(k, weights).fit(X, Y, batch_size=8, epochs=4, shuffle=False, verbose=0,
                                        callbacks=[k.callbacks.BackupAndRestore(backup), epochs]).history
        runs[k.__name__] = (epochs.seen, history["loss"])
    assert runs["ember.keras"][0] == runs["keras"][0] == [2, 3]
    # ember's History also holds the restored epochs (documented); the resumed epochs' losses are Keras's
    np.testing.assert_allclose(runs["ember.keras"][1][-2:], runs["keras"][1], rtol=1e-5)


class _Collector(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Collector.received.append((self.path, self.headers.get("Content-Type", ""), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("as_json", [False, True])
def test_remote_monitor_posts_the_same_payloads(real_keras, as_json):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    root = f"http://127.0.0.1:{server.server_address[1]}"
    weights = model(real_keras).get_weights()
    try:
        payloads = {}
        for k in (real_keras, ek):
            _Collector.received = []
            model(k, weights).fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                                  callbacks=[k.callbacks.RemoteMonitor(root=root, path="/epochs",
                                                                       send_as_json=as_json)])
            decoded = []
            for path, kind, body in _Collector.received:
                assert path == "/epochs"
                if as_json:
                    assert kind.startswith("application/json")
                    decoded.append(json.loads(body))
                else:
                    decoded.append(json.loads(urllib.parse.parse_qs(body.decode())["data"][0]))
            payloads[k.__name__] = decoded
    finally:
        server.shutdown()
        server.server_close()
    ours, want = payloads["ember.keras"], payloads["keras"]
    assert [p["epoch"] for p in ours] == [p["epoch"] for p in want] == [0, 1]
    for a, b in zip(ours, want):
        assert set(a) == set(b)
        np.testing.assert_allclose([a[key] for key in sorted(a)], [b[key] for key in sorted(b)], rtol=1e-5)


def test_remote_monitor_unreachable_warns():
    m = model(ek)
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor"):
        m.fit(X, Y, epochs=1, verbose=0, callbacks=[ek.callbacks.RemoteMonitor(root="http://127.0.0.1:9")])
