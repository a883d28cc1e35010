"""`ember.utils.data`, where `torch.utils.data` users look: the same objects as `ember.data`.

    >>> from ember.utils.data import DataLoader
    >>> import ember.data
    >>> DataLoader is ember.data.DataLoader
    True
"""
from ember.data import *  # noqa: F401,F403  (ember.data lists its public names in __all__)
from ember.data import __all__  # noqa: F401
