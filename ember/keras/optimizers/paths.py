"""Keras variable paths for a model's weights: `"sequential/dense/kernel"`.

Keras names a variable by the name scopes open when its layer was built. Here that is read from the
model's structure: the names of the enclosing layers, then the weight's own name. A `Sequential`, a
subclassed `Model` and a layer holding other layers add their name (their layers build inside their
call); a functional `Model` adds nothing and starts its layers afresh (they were built when called
on `keras.Input`s, outside any scope). `Muon` and `OptimizerMap` select weights by these paths;
`fit` sets them before it builds the optimizer.

    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="out")])
    >>> assign_paths(model)
    >>> [w.path for w in model.trainable_weights]
    ['sequential/out/kernel', 'sequential/out/bias']
"""
from ember.keras.layers.base import Layer

__all__ = ["assign_paths"]


def _functional(module):
    return getattr(module, "_nodes", None) is not None


def assign_paths(root):
    """Set `.path` on every parameter of `root` (a Keras layer or model); a shared weight keeps the
    path of its first owner."""
    seen = set()
    stack = [(root, "" if _functional(root) or not isinstance(root, Layer) else f"{root.name}/")]
    while stack:
        module, prefix = stack.pop()
        for name, p in module._parameters.items():
            if p is not None and id(p) not in seen:
                seen.add(id(p))
                p.path = prefix + name
        children = []
        for key, child in module._modules.items():
            if child is None:
                continue
            if _functional(child):
                children.append((child, ""))
            else:
                children.append((child, f"{prefix}{child.name if isinstance(child, Layer) else key}/"))
        stack.extend(reversed(children))
