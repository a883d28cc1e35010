"""`ember.nn.modules.<sub>.<Name>` wherever PyTorch has `torch.nn.modules.<sub>.<Name>` and ember has the
layer: scripts importing layers (and the base classes users subclass) from those paths port unchanged."""
import importlib

import pytest

import ember
import ember.nn
import ember.nn.modules

torch = pytest.importorskip("torch")


def test_every_layer_is_where_torch_keeps_it():
    checked = 0
    for name in dir(torch.nn):
        t = getattr(torch.nn, name)
        if not (isinstance(t, type) and t.__module__.startswith("torch.nn.modules.")) or not hasattr(ember.nn, name):
            continue
        sub = t.__module__.split(".")[3]
        module = importlib.import_module(f"ember.nn.modules.{sub}")
        assert getattr(module, name) is getattr(ember.nn, name), f"ember.nn.modules.{sub}.{name}"
        assert getattr(ember.nn.modules, name) is getattr(ember.nn, name)
        checked += 1
    assert checked > 150


def test_base_classes_users_subclass():
    from ember.nn.modules.loss import _Loss, _WeightedLoss
    from ember.nn.modules.batchnorm import _BatchNorm
    from ember.nn.modules.module import Module

    class Twice(_Loss):
        def forward(self, input, target):
            return ((input - target) ** 2).mean() * 2

    assert issubclass(_WeightedLoss, _Loss) and issubclass(_BatchNorm, Module)
    assert float(Twice()(ember.ones(3), ember.zeros(3))) == 2.0
    assert Twice().reduction == torch.nn.modules.loss._Loss().reduction
