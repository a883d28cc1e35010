"""The Keras optimizers by name, and their configs: `serialize`, `deserialize`.

    >>> deserialize(serialize(Adam(learning_rate=0.01))).learning_rate
    0.01
"""
from ember.errors import ArgumentError
from ember.keras.optimizers.adaptive import Adam, Adamax, AdamW, Nadam
from ember.keras.optimizers.classic import SGD, Adadelta, Adagrad, RMSprop
from ember.keras.optimizers.more import Adafactor, Ftrl, Lamb, Lion, ScheduleFreeAdamW
from ember.keras.optimizers.muon import Muon

__all__ = ["OPTIMIZERS", "serialize", "deserialize"]

OPTIMIZERS = {cls.__name__.lower(): cls for cls in (SGD, RMSprop, Adagrad, Adadelta, Adam, AdamW, Adamax, Nadam, Ftrl,
                                                    Lion, Lamb, Adafactor, ScheduleFreeAdamW, Muon)}


def serialize(optimizer):
    """`{"class_name": ..., "config": ...}` for a Keras optimizer."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config, custom_objects=None, table=OPTIMIZERS):
    """The optimizer for a dict from `serialize` (class names are matched case-insensitively)."""
    name = config.get("class_name") if isinstance(config, dict) else None
    if not isinstance(name, str) or name.lower() not in table:
        raise ArgumentError(f"optimizers.deserialize: unknown optimizer {name!r}; known names: "
                            f"{', '.join(sorted(table))}")
    return table[name.lower()].from_config(dict(config.get("config") or {}))
