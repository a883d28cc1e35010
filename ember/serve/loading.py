"""Model files to servables: one table from file kind to loader, and TF-Serving base folders.

A file's kind is its ember header's `kind` (Keras `model.save` files: `keras_model`; `ember.io.
save_model` files: `model`) or its suffix (`.onnx`). A base folder holds numbered version folders,
`NAME/1/`, `NAME/2/`, each with one model file. Only local paths are read: a URL is refused.

    >>> servable = load("digits.ember", name="digits")                       # doctest: +SKIP
    >>> versions("models/digits")                                            # doctest: +SKIP
    {1: 'models/digits/1/model.ember', 2: 'models/digits/2/model.ember'}
"""
import os
import re

from ember.errors import EmberError
from ember.io import model as io_model
from ember.io.atomic import is_temp
from ember.io.serialize import FileError, header
from ember.keras import saving as keras_saving
from ember.serve.errors import ModelLoadError
from ember.serve.servable import Servable, keras_adapter, module_adapter

try:  # ONNX import is a format of its own (level 5); a build without it refuses .onnx files clearly
    from ember import onnx as ember_onnx
except ImportError:  # pragma: no cover - depends on the build
    ember_onnx = None

__all__ = ["LOADERS", "kind_of", "load", "versions", "check_local", "NAME_PATTERN"]

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _keras(path):
    return keras_adapter(keras_saving.load_model(path, compile=False))


def _ember_io(path):
    return module_adapter(io_model.load_model(path))


def _onnx(path):
    if ember_onnx is None or not hasattr(ember_onnx, "load"):
        raise ModelLoadError(f"{path}: serving ONNX files needs ember.onnx.load (ONNX import), which this "
                             f"installation of ember does not have")
    return module_adapter(ember_onnx.load(path))


# kind -> loader returning an Adapter. A new format is one row here (and one in SUFFIXES if it is
# not an ember safetensors file).
LOADERS = {"keras_model": _keras, "model": _ember_io, "onnx": _onnx}
SUFFIXES = {".onnx": "onnx"}


def check_local(path):
    """Refuse anything that is not a path on this machine."""
    text = os.fspath(path)
    if _URL.match(text):
        raise ModelLoadError(f"{text}: ember serve loads models from local paths only, not URLs; download "
                             f"the file first")
    return text


def kind_of(path):
    """The loader key for `path`: by suffix, else by the ember file header's kind."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    try:
        kind = header(path).get("kind")
    except (FileError, OSError) as e:
        raise ModelLoadError(f"{path}: not a model file ember can serve ({e})") from None
    if kind not in LOADERS:
        raise ModelLoadError(f"{path}: an ember file of kind {kind!r}, not a model; serve a file written by "
                             f"keras model.save or ember.io.save_model (kinds: {sorted(LOADERS)})")
    return kind


def load(path, name, version=1):
    """A `Servable` for the model file at `path` (not yet warmed up)."""
    path = check_local(path)
    if not os.path.isfile(path):
        raise ModelLoadError(f"{path}: no such model file")
    kind = kind_of(path)
    try:
        adapter = LOADERS[kind](path)
    except ModelLoadError:
        raise
    except (EmberError, OSError, ValueError, KeyError, TypeError) as e:
        raise ModelLoadError(f"{path}: cannot load the {kind} file: {e}") from None
    return Servable(name, version, adapter, kind, path)


def model_file(folder):
    """The one model file in a version folder, or None while it is empty (being written)."""
    files = sorted(f for f in os.listdir(folder) if not f.startswith(".") and not is_temp(f)
                   and os.path.isfile(os.path.join(folder, f)))
    if len(files) > 1:
        raise ModelLoadError(f"{folder}: a version folder must hold one model file, found {files}")
    return os.path.join(folder, files[0]) if files else None


def versions(base):
    """{version number: folder} of a TF-Serving-style base folder (`base/1`, `base/2`, ...)."""
    found = {}
    for entry in os.listdir(base):
        full = os.path.join(base, entry)
        if entry.isdigit() and os.path.isdir(full):
            found[int(entry)] = full
    return found
