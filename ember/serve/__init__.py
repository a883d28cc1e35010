"""Level 6: the model server (DESIGN.md). One process speaks TF Serving's REST API and KServe's v2
protocol for ember's model files, with server-side batching, Prometheus metrics and hot swap of
new model versions. Needs the `serve` extra (starlette, uvicorn, prometheus-client).

    >>> from ember.serve import Server
    >>> Server("digits.ember", name="digits").run()                        # doctest: +SKIP

From the shell: `ember serve digits.ember` (see `ember serve --help`).
"""
from ember.serve.errors import (BadRequest, ModelLoadError, NotFound, PayloadTooLarge, RequestTimeout, ServeError,
                                status_of)
from ember.serve.loading import LOADERS, load
from ember.serve.repository import ModelSpec, read_model_config
from ember.serve.server import Server
from ember.serve.servable import Servable, TensorSpec

__all__ = ["Server", "ModelSpec", "read_model_config", "load", "LOADERS", "Servable", "TensorSpec", "ServeError",
           "BadRequest", "NotFound", "PayloadTooLarge", "RequestTimeout", "ModelLoadError", "status_of"]
