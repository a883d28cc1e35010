"""Keras's `RemoteMonitor`: each epoch's logs POSTed to a server, as a form field holding JSON (or as
a JSON body with `send_as_json`), with the standard library's HTTP client.

    >>> monitor = keras.callbacks.RemoteMonitor(root="http://127.0.0.1:9000", send_as_json=True)
"""
import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from ember.keras.callbacks.base import Callback

__all__ = ["RemoteMonitor"]

TIMEOUT_S = 10  # a server that does not answer must not hang training


class RemoteMonitor(Callback):
    """POSTs `{"epoch": epoch, **logs}` to `root + path` at each epoch's end: form-encoded under `field`
    (the default) or as JSON; a server that cannot be reached gives a warning, not an error."""

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data", headers=None,
                 send_as_json=False):
        super().__init__()
        self.root, self.path, self.field = root, path, field
        self.headers, self.send_as_json = headers, send_as_json

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            send[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        if self.send_as_json:
            body, kind = json.dumps(send).encode(), "application/json"
        else:
            body, kind = urllib.parse.urlencode({self.field: json.dumps(send)}).encode(), \
                "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.root + self.path, data=body, method="POST",
                                         headers={"Content-Type": kind, **(self.headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                response.read()
        except (urllib.error.URLError, OSError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)
