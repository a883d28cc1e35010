"""`ember.save` / `ember.load` with `torch.save` / `torch.load`'s signatures, so PyTorch scripts port
by changing the import:

    >>> ember.save(model.state_dict(), "model.pt")                          # doctest: +SKIP
    >>> model.load_state_dict(ember.load("model.pt", weights_only=True))    # doctest: +SKIP
    >>> ember.save(model, "whole.pt")                                       # doctest: +SKIP
    >>> model = ember.load("whole.pt", weights_only=False)                  # doctest: +SKIP

`f` is a path or a binary file object (`open(..., "wb")`, `io.BytesIO`). Nothing is pickled either
way: a whole module is stored as ember's model file (registered classes by name, see
`ember.io.registry`), and loading one never runs code from the file. PyTorch refuses to load a whole
module unless `weights_only=False`; ember asks the same, so a script means what it says in both.
Arguments about pickling have no meaning here and raise.
"""
from ember.autograd.tensor import Tensor
from ember.backend.device import Device, device as as_device
from ember.errors import ArgumentError
from ember import nn
from ember.io.model import load_model, save_model
from ember.io.serialize import FileError, read, write

__all__ = ["save", "load"]


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save tensors, containers of them (state dicts) or a whole `ember.nn.Module` to `f`.

    A path is written atomically (never a half-written file); a file object gets the bytes.
    """
    _refuse_pickling("save", pickle_module=pickle_module, pickle_protocol=pickle_protocol)
    if _disable_byteorder_record:
        raise ArgumentError("save: _disable_byteorder_record=True is not supported (safetensors files are "
                            "always little-endian)")
    if isinstance(obj, nn.Module):
        save_model(obj, f)
    else:
        write(f, obj, "object")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load what `save` wrote from a path or a binary file object.

    `map_location` (`"cpu"`, `"cuda"`, an `ember.device`) moves every tensor there; files record no
    storage locations, so a dict or a function for `map_location` is refused. A whole module needs
    `weights_only=False`, as in PyTorch.
    """
    _refuse_pickling("load", pickle_module=pickle_module, **pickle_load_args)
    if mmap:
        raise ArgumentError("load: mmap=True is not supported; ember reads the file into memory")
    if weights_only not in (None, True, False):
        raise ArgumentError(f"load: weights_only must be a bool, got {weights_only!r}")
    target = _target_device(map_location)
    data = f.read() if hasattr(f, "read") else None
    source = _Bytes(data, getattr(f, "name", None)) if data is not None else f
    header, obj = read(source, "load")
    kind = header.get("kind")
    if kind == "model":
        if weights_only is not False:
            raise FileError(f"load: {_name(f)!r} holds a whole module; pass weights_only=False to load it (in "
                            f"ember that is safe: no code runs, classes are found by registered name)")
        model = load_model(_Bytes(data, getattr(f, "name", None)) if data is not None else f)
        return model if target is None else model.to(target)
    return obj if target is None else _move(obj, target)  # any other kind: its stored structure, as before


class _Bytes:
    """The bytes already read from a file object, readable again (a model is read twice)."""

    def __init__(self, data, name):
        self.data = data
        self.name = name or "<file object>"

    def read(self):
        return self.data


def _name(f):
    return getattr(f, "name", "<file object>") if hasattr(f, "read") else str(f)


def _refuse_pickling(op, **args):
    given = {k: v for k, v in args.items() if v is not None}
    if given:
        raise ArgumentError(f"{op}: {', '.join(sorted(given))} not supported: ember's files are safetensors "
                            f"with a JSON header and are never pickled")


def _target_device(map_location):
    if map_location is None:
        return None
    if isinstance(map_location, (str, Device)):
        return as_device(map_location)
    raise ArgumentError(f"load: map_location must be a device or a device name like 'cpu', got "
                        f"{type(map_location).__name__}; ember files record no storage locations to remap")


def _move(obj, device):
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((k, _move(v, device)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(v, device) for v in obj)
    return obj
