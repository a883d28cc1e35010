"""Prometheus metrics of one server (its own registry, so two servers in a process stay apart).

    ember_serve_requests_total{endpoint, method, status}   requests answered
    ember_serve_request_seconds{endpoint}                   latency histogram
    ember_serve_batch_size{model}                           samples per model run
    ember_serve_model_version_loaded{model, version}        1 while a version serves
    ember_serve_inferences_in_flight{model}                 requests waiting for or in a model run
"""
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["Metrics", "CONTENT_TYPE_LATEST"]

_METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}
_LATENCY = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self, max_batch_size=32):
        self.registry = CollectorRegistry()
        self._children = {}
        self.requests = Counter("ember_serve_requests", "Requests answered, by endpoint, method and status",
                                ["endpoint", "method", "status"], registry=self.registry)
        self.latency = Histogram("ember_serve_request_seconds", "Request latency in seconds", ["endpoint"],
                                 buckets=_LATENCY, registry=self.registry)
        buckets, b = [], 1
        while b < max_batch_size:
            buckets.append(b)
            b *= 2
        self.batch = Histogram("ember_serve_batch_size", "Samples per model run", ["model"],
                               buckets=buckets + [max_batch_size], registry=self.registry)
        self.loaded = Gauge("ember_serve_model_version_loaded", "1 while a model version is served",
                            ["model", "version"], registry=self.registry)
        self.in_flight = Gauge("ember_serve_inferences_in_flight", "Requests waiting for or in a model run",
                               ["model"], registry=self.registry)

    def observe(self, endpoint, method, status, seconds):
        method = method if method in _METHODS else "other"  # a client may send any token as its method
        key = (endpoint, method, status)
        children = self._children.get(key)
        if children is None:  # label lookups cost more than the update: keep each pair of children
            children = self._children[key] = (self.requests.labels(endpoint, method, str(status)),
                                              self.latency.labels(endpoint))
        children[0].inc()
        children[1].observe(seconds)

    def batch_observer(self, model):
        child = self.batch.labels(model)
        return child.observe

    def version_loaded(self, model, version, loaded):
        self.loaded.labels(model, str(version)).set(1 if loaded else 0)

    def render(self):
        return generate_latest(self.registry)
