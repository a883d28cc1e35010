"""`import ember` loads tensors, ops and autograd; the packages above them load on first use and
then behave as if they had been imported eagerly."""
import subprocess
import sys

import ember

LAZY = sorted(ember._LAZY_MODULES)


def test_import_ember_leaves_the_upper_packages_unloaded():
    code = ("import sys, ember; print(' '.join(sorted({m.split('.')[1] for m in sys.modules "
            "if m.startswith('ember.')})))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    assert loaded.isdisjoint({"nn", "io", "data", "optim", "onnx", "graph", "keras", "distributions", "profiler"}), loaded
    assert {"autograd", "ops", "backend"} <= loaded


def test_lazy_names_resolve_to_their_modules_objects():
    import importlib
    for name in LAZY:
        assert getattr(ember, name) is importlib.import_module("ember." + name)
    assert ember.compile is importlib.import_module("ember.graph").compile
    assert (ember.load, ember.save, ember.register) == (ember.io.load, ember.io.save, ember.io.register)
    assert ember.conv3d is ember.nn.functional.conv3d
    assert ember.adaptive_max_pool1d is ember.nn.functional.adaptive_max_pool1d_with_indices
    from ember.nn import aten_forms
    assert all(getattr(ember, name) is getattr(aten_forms, name) for name in aten_forms.__all__)


def test_dir_lists_lazy_names_and_unknown_names_raise():
    names = dir(ember)
    assert {"nn", "optim", "compile", "save", "conv3d", "Tensor", "add"} <= set(names)
    try:
        ember.no_such_name
    except AttributeError as e:
        assert "no_such_name" in str(e)
    else:
        raise AssertionError("ember.no_such_name did not raise")
    assert not hasattr(ember, "__wrapped__")
