"""The layers of `ember.nn`, one file per family; each lists its classes in `__all__`."""
