"""Level 5: ember's files (DESIGN.md "Files"): state dicts, whole models, checkpoints.

Tensors live in safetensors files; structure, architecture and metadata are JSON in the
safetensors header. Nothing is pickled and no file can run code on load. Every write is atomic.

    >>> ember.save(net.state_dict(), "net.ember")                       # doctest: +SKIP
    >>> net.load_state_dict(ember.load("net.ember"))                    # doctest: +SKIP
"""
from ember.io.atomic import atomic_write
from ember.io.serialize import FORMAT, MIGRATIONS, FileError, header
from ember.io.registry import RegistryError, register, registered
from ember.io.model import GraphModule, load_model, load_optimizer_state, save_model
from ember.io.checkpoint import Checkpoint
from ember.io.files import load, save
from ember.io.torch_weights import keras_to_ember, load_torch_safetensors

__all__ = ["save", "load", "header", "register", "registered", "save_model", "load_model",
           "load_optimizer_state", "GraphModule", "Checkpoint", "load_torch_safetensors", "keras_to_ember",
           "atomic_write", "FileError", "RegistryError", "FORMAT", "MIGRATIONS"]
