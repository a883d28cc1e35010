"""Interpolation in every mode, pixel and channel shuffles, fold and unfold against torch: outputs and
input gradients through the layers, reprs, and refused arguments."""
import numpy as np
import pytest

import ember
import ember.nn
import ember.nn.functional as F
from conformance import check_module

torch = pytest.importorskip("torch")
TF = torch.nn.functional
rng = np.random.default_rng(0)

IMAGE, LINE, VOLUME = rng.standard_normal((2, 3, 5, 7)), rng.standard_normal((2, 3, 9)), rng.standard_normal((1, 2, 3, 4, 5))
INTERP = [(mode, x, kw, ac)
          for mode, x in [("nearest", IMAGE), ("nearest-exact", IMAGE), ("bilinear", IMAGE), ("bicubic", IMAGE),
                          ("area", IMAGE), ("linear", LINE), ("nearest", LINE), ("area", LINE), ("trilinear", VOLUME),
                          ("nearest", VOLUME)]
          for kw in [dict(size=tuple(np.array(x.shape[2:]) * 2 - 1)), dict(scale_factor=1.7), dict(scale_factor=0.5),
                     dict(scale_factor=2.5, recompute_scale_factor=True)]
          for ac in ([None, True] if mode in ("bilinear", "bicubic", "linear", "trilinear") else [None])]


@pytest.mark.parametrize("mode,x,kw,align_corners", INTERP)
def test_interpolate_values_and_gradients_match_torch(mode, x, kw, align_corners):
    kw = {k: tuple(int(s) for s in v) if k == "size" else v for k, v in kw.items()}
    layer_kw = dict(kw, mode=mode, align_corners=align_corners)
    check_module(ember.nn.Upsample(**layer_kw), torch.nn.Upsample(**layer_kw), x, dtype="float64")


LAYERS = [("UpsamplingNearest2d", dict(scale_factor=2), IMAGE), ("UpsamplingBilinear2d", dict(size=(4, 9)), IMAGE),
          ("PixelShuffle", dict(upscale_factor=2), rng.standard_normal((2, 8, 3, 4))),
          ("PixelUnshuffle", dict(downscale_factor=2), rng.standard_normal((2, 2, 4, 6))),
          ("ChannelShuffle", dict(groups=3), rng.standard_normal((2, 6, 3, 2))),
          ("Unfold", dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(2, 1)), IMAGE),
          ("Unfold", dict(kernel_size=3), IMAGE[0]),
          ("Fold", dict(output_size=(5, 7), kernel_size=(2, 3), padding=1, stride=(2, 1)),
           rng.standard_normal((2, 18, 21))),
          ("Fold", dict(output_size=(4, 5), kernel_size=2), rng.standard_normal((8, 12)))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kw,x", LAYERS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(LAYERS)])
def test_layers_conform_to_torch(name, kw, x, dtype):
    check_module(getattr(ember.nn, name)(**kw), getattr(torch.nn, name)(**kw), x, dtype=dtype)
    assert repr(getattr(ember.nn, name)(**kw)) == repr(getattr(torch.nn, name)(**kw))


def test_refused_arguments_name_the_problem():
    x = ember.ones(1, 1, 4, 4)
    with pytest.raises(ember.ArgumentError, match="exactly one of size and scale_factor"):
        F.interpolate(x)
    with pytest.raises(ember.ShapeError, match="'linear' takes 3-d"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(ember.ArgumentError, match="antialias"):
        F.interpolate(x, scale_factor=2, mode="bilinear", antialias=True)
    with pytest.raises(ember.ArgumentError, match="align_corners"):
        F.interpolate(x, scale_factor=2, mode="nearest", align_corners=True)
    with pytest.raises(ember.ShapeError, match="pixel_shuffle"):
        F.pixel_shuffle(ember.ones(1, 3, 2, 2), 2)
    with pytest.raises(ember.ShapeError, match="fold"):
        F.fold(ember.ones(1, 4, 5), (3, 3), 2)
