"""The ASGI app: one route table for both protocols and /metrics, bodies read under a size limit,
every error rendered as `{"error": message}` with the status of `errors.status_of`, one access-log
line and one metrics sample per request.

    >>> app = App(repository, model_thread, Metrics())                       # doctest: +SKIP
    >>> uvicorn.run(app, host="127.0.0.1", port=8501)                        # doctest: +SKIP
"""
import asyncio
import logging
import re
import time

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from ember.serve import kserve, tfserving
from ember.serve.batching import Traffic
from ember.serve.errors import BadRequest, MethodNotAllowed, NotFound, PayloadTooLarge, RequestTimeout, status_of
from ember.serve.metrics import CONTENT_TYPE_LATEST
from ember.serve.tensors import render_json

__all__ = ["App"]

log = logging.getLogger("ember.serve")
access_log = logging.getLogger("ember.serve.access")


async def metrics(app, request):
    return 200, Response(app.metrics.render(), media_type=CONTENT_TYPE_LATEST)


ROUTES = tfserving.ROUTES + kserve.ROUTES + [("GET", r"/metrics", metrics, "metrics")]


class App:
    """See the module docstring. `poll_interval_s` > 0 watches base folders for new versions."""

    def __init__(self, repository, metrics, max_body_bytes=64 * 2 ** 20, request_timeout_s=30.0,
                 poll_interval_s=1.0, traffic=None):
        self.repository, self.metrics = repository, metrics
        self.max_body_bytes, self.request_timeout_s = max_body_bytes, request_timeout_s
        self.poll_interval_s = poll_interval_s
        self.routes = [(method, re.compile(pattern + r"\Z"), handler, label) for method, pattern, handler, label in ROUTES]
        self.started = False
        self.tasks = []
        self.traffic = traffic or Traffic()

    # -- the parts handlers use ------------------------------------------------------------------------
    async def read_body(self, request):
        """The body, refused with 413 as soon as it is known to be over the limit (by Content-Length,
        or while streaming one without) — never read whole first."""
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                raise BadRequest(f"Content-Length {declared[:20]!r} is not a byte count")
            if int(declared) > self.max_body_bytes:
                raise PayloadTooLarge(f"the body is {int(declared)} bytes; the limit is {self.max_body_bytes} "
                                      f"(--max-body-mb)")
        chunks, size = [], 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise PayloadTooLarge(f"the body is over the limit of {self.max_body_bytes} bytes (--max-body-mb)")
                chunks.append(chunk)
        except ClientDisconnect:
            raise BadRequest("the client closed the connection before the body was complete") from None
        return b"".join(chunks)

    async def infer(self, version, arrays):
        """The outputs for `arrays` from `version`'s batcher, or a RequestTimeout."""
        future = version.batcher.submit(arrays)
        in_flight = self.metrics.in_flight.labels(version.servable.name)
        in_flight.inc()
        start = time.perf_counter()
        try:
            outputs = await asyncio.wait_for(future, self.request_timeout_s)
        except asyncio.TimeoutError:
            outputs = None
        finally:
            in_flight.dec()
        # A batch run inline finishes before the timer can fire: its lateness is checked here.
        if outputs is None or time.perf_counter() - start > self.request_timeout_s:
            raise RequestTimeout(f"model {version.servable.name!r} did not answer within "
                                 f"{self.request_timeout_s:g} s (--request-timeout-s)")
        return outputs

    # -- ASGI ------------------------------------------------------------------------------------------
    def route(self, method, path):
        allowed = []
        for m, pattern, handler, label in self.routes:
            match = pattern.match(path)
            if match:
                if m == method:
                    return handler, {k: v for k, v in match.groupdict().items() if v is not None}, label
                allowed.append(m)
        if allowed:
            raise MethodNotAllowed(f"{method} is not allowed on {path[:100]!r}; use {' or '.join(allowed)}")
        raise NotFound(f"no endpoint {path[:100]!r}; see /v1/models/NAME and /v2/models/NAME")

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if scope["type"] != "http":
            return
        start = time.perf_counter()
        request = Request(scope, receive)
        label = "unknown"
        self.traffic.active += 1
        try:
            handler, params, label = self.route(scope["method"], scope["path"])
            status, *body = await handler(self, request, **params)
            response = body[0] if isinstance(body[0], Response) else _json(status, *body)
        except Exception as e:  # noqa: BLE001 - every error becomes a response; status_of says which
            status = status_of(e)
            if status == 500:
                log.exception("internal error on %s %s", scope["method"], ascii(scope["path"][:200]))
            response = _json(status, {"error": str(e) or type(e).__name__})
        finally:
            self.traffic.active -= 1
        await response(scope, receive, send)
        elapsed = time.perf_counter() - start
        self.metrics.observe(label, scope["method"], response.status_code, elapsed)
        client = scope.get("client") or ("-", 0)
        access_log.info('%s "%s %s" %d %.2fms', client[0], scope["method"], ascii(scope["path"][:200])[1:-1],
                        response.status_code, elapsed * 1e3)

    async def _lifespan(self, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.tasks.append(asyncio.get_running_loop().create_task(self._load()))
                self.started = True
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for task in self.tasks:
                    task.cancel()
                self.repository.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _load(self):
        await self.repository.refresh_all()
        if self.repository.ready():
            log.info("ready: %s", ", ".join(f"{name} v{m.default().number}" for name, m in self.repository.models.items()))
        if self.poll_interval_s > 0:
            await self.repository.poll(self.poll_interval_s)


def _json(status, doc, tail=b""):
    if not tail:
        return Response(render_json(doc), status, media_type="application/json")
    head = render_json(doc)
    return Response(head + tail, status, media_type="application/octet-stream",
                    headers={"Inference-Header-Content-Length": str(len(head))})
