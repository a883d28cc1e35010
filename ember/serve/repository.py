"""The models a server serves, their versions, and hot swap.

A model is a single file (served as version 1) or a TF-Serving base folder whose numbered
subfolders are versions. The highest version that loaded is the default; every loaded version
can be asked for by number. The folder is polled: a new version is loaded and warmed on the model
thread (the event loop keeps serving), then swapped in with one assignment, so a request sees the old version or the new one and
never none. A version that fails to load is logged and reported in its status; the others keep
serving, and it is tried again when its file changes.

    >>> repo = Repository([ModelSpec("digits", "models/digits")], ModelRunner())   # doctest: +SKIP
    >>> await repo.refresh_all()                                                 # doctest: +SKIP
    >>> repo.get("digits").default().servable.version                            # doctest: +SKIP
    2
"""
import asyncio
import json
import logging
import os
import tomllib
from dataclasses import dataclass

from ember.serve import loading
from ember.serve.batching import Batcher
from ember.serve.errors import BadRequest, ModelLoadError, NotFound, Unavailable

__all__ = ["ModelSpec", "Repository", "read_model_config"]

log = logging.getLogger("ember.serve")


@dataclass
class ModelSpec:
    """A model to serve: `name` and `base_path` (a model file or a base folder of versions)."""
    name: str
    base_path: str


def read_model_config(path):
    """ModelSpecs from a .json or .toml file: {"models": [{"name": ..., "base_path": ...}, ...]}."""
    path = loading.check_local(path)
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f) if path.endswith(".toml") else json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"model config {path}: {e}") from None
    models = doc.get("models") if isinstance(doc, dict) else None
    if not isinstance(models, list) or not models:
        raise ModelLoadError(f"model config {path}: expected {{\"models\": [{{\"name\": ..., \"base_path\": ...}}]}}")
    specs = []
    for i, m in enumerate(models):
        if not isinstance(m, dict) or not isinstance(m.get("name"), str) or not isinstance(m.get("base_path"), str):
            raise ModelLoadError(f"model config {path}: models[{i}] needs a string name and base_path")
        base = m["base_path"] if os.path.isabs(m["base_path"]) else \
            os.path.join(os.path.dirname(os.path.abspath(path)), m["base_path"])
        specs.append(ModelSpec(m["name"], base))
    return specs


class Version:
    """One version's state, as TF Serving reports it: LOADING, AVAILABLE or END (failed or removed)."""

    def __init__(self, number, path):
        self.number, self.path = number, path
        self.state, self.error, self.stamp = "LOADING", "", None
        self.servable = self.batcher = None


class Model:
    """One served model: its versions and where they come from."""

    def __init__(self, spec):
        self.name, self.base = spec.name, loading.check_local(spec.base_path)
        if not loading.NAME_PATTERN.match(self.name):
            raise ModelLoadError(f"model name {self.name!r}: use letters, digits, '_', '.' and '-'")
        if not os.path.exists(self.base):
            raise ModelLoadError(f"{self.base}: no such model file or folder")
        self.folder = os.path.isdir(self.base)
        if not self.folder:
            loading.kind_of(self.base)  # a file that is not a model fails now, not after the server starts
        if self.folder and not loading.versions(self.base):
            raise ModelLoadError(f"{self.base}: a model folder must hold numbered version folders ({self.name}/1/, "
                                 f"{self.name}/2/, ...), each with one model file")
        self.versions = {}

    def sources(self):
        """{version: model file} as found on disk now (folders still empty are left out)."""
        if not self.folder:
            return {1: self.base}
        found = {}
        for number, folder in loading.versions(self.base).items():
            try:
                path = loading.model_file(folder)
            except (ModelLoadError, OSError) as e:
                found[number] = e
                continue
            if path is not None:
                found[number] = path
        return found

    def default(self):
        """The highest available version."""
        ready = [v for v in self.versions.values() if v.state == "AVAILABLE"]
        if not ready:
            errors = "; ".join(f"version {v.number}: {v.error}" for v in self.versions.values() if v.error)
            raise Unavailable(f"model {self.name!r} has no version ready yet" + (f" ({errors})" if errors else ""))
        return max(ready, key=lambda v: v.number)

    def version(self, number=None):
        if number is None:
            return self.default()
        try:
            n = int(number)
        except (TypeError, ValueError):
            raise BadRequest(f"model {self.name!r}: version {str(number)[:40]!r} is not a number") from None
        v = self.versions.get(n)
        if v is None:
            raise NotFound(f"model {self.name!r} has no version {n}; versions: {sorted(self.versions)}")
        if v.state != "AVAILABLE":
            raise Unavailable(f"model {self.name!r} version {n} is {v.state}" + (f": {v.error}" if v.error else ""))
        return v

    def ready(self):
        return any(v.state == "AVAILABLE" for v in self.versions.values())


class Repository:
    """All served models; `refresh_all` loads what is new on disk (see the module docstring)."""

    def __init__(self, specs, runner, max_batch_size=32, batch_timeout_s=0.002, metrics=None, traffic=None):
        self.models = {}
        for spec in specs:
            if spec.name in self.models:
                raise ModelLoadError(f"two models are named {spec.name!r}")
            self.models[spec.name] = Model(spec)
        self.runner = runner
        self.max_batch_size, self.batch_timeout_s = max_batch_size, batch_timeout_s
        self.metrics = metrics
        self.traffic = traffic

    def get(self, name):
        model = self.models.get(name)
        if model is None:
            raise NotFound(f"model {name[:80]!r} is not served; models: {sorted(self.models)}")
        return model

    def ready(self):
        return all(m.ready() for m in self.models.values())

    async def refresh_all(self):
        for model in self.models.values():
            await self.refresh(model)

    async def refresh(self, model):
        found = model.sources()
        for number, v in list(model.versions.items()):
            if number not in found and v.state != "LOADING":
                self._retire(model, v, "its folder was removed")
        for number, path in sorted(found.items()):
            await self._consider(model, number, path)

    async def _consider(self, model, number, path):
        if isinstance(path, Exception):
            self._failed(model, Version(number, ""), path, stamp=None)
            return
        try:
            st = os.stat(path)
        except OSError:
            return
        stamp = (st.st_mtime_ns, st.st_size)
        old = model.versions.get(number)
        if old is not None and (old.stamp == stamp or old.state == "AVAILABLE"):
            return  # loaded, or failed and unchanged since
        v = Version(number, path)
        v.stamp = stamp
        if old is None:
            model.versions[number] = v
        loop = asyncio.get_running_loop()
        try:
            servable = await self.runner.background(self._load, model.name, number, path)
        except Exception as e:  # noqa: BLE001 - any failure of a new version is logged; the others keep serving
            self._failed(model, v, e, stamp)
            return
        on_batch = self.metrics.batch_observer(model.name) if self.metrics else None
        v.servable = servable
        v.batcher = Batcher(servable, self.runner, self.max_batch_size, self.batch_timeout_s, on_batch,
                            self.traffic).start()
        v.state = "AVAILABLE"
        model.versions[number] = v  # the swap: one assignment
        if self.metrics:
            self.metrics.version_loaded(model.name, number, True)
        log.info("model %s version %d is available (%s file %s, %s, batching %s)", model.name, number,
                 servable.kind, path, servable.mode, "on" if v.batcher.max_batch_size > 1 else "off")

    def _load(self, name, number, path):
        servable = loading.load(path, name, number)
        servable.warmup(self.max_batch_size)
        return servable

    def _failed(self, model, v, error, stamp):
        v.state, v.error, v.stamp = "END", str(error), stamp
        if model.versions.get(v.number, v).state != "AVAILABLE":
            model.versions[v.number] = v
        log.error("model %s version %d failed to load: %s%s", model.name, v.number, error,
                  "; the other versions keep serving" if model.ready() else "")

    def _retire(self, model, v, why):
        v.state = "END"
        if v.batcher is not None:
            v.batcher.close()
        del model.versions[v.number]
        if self.metrics:
            self.metrics.version_loaded(model.name, v.number, False)
        log.info("model %s version %d unloaded: %s", model.name, v.number, why)

    async def poll(self, interval_s):
        """Refresh every `interval_s` seconds, for ever (a task the server cancels on shutdown)."""
        while True:
            await asyncio.sleep(interval_s)
            for model in self.models.values():
                if model.folder:
                    await self.refresh(model)

    def close(self):
        for model in self.models.values():
            for v in model.versions.values():
                if v.batcher is not None:
                    v.batcher.close()
