"""More keras.layers augmentation against Keras 3 (torch backend).

Exact values where the layer is deterministic (CLAHE, MaxNumBoundingBoxes) or a factor range of one
point pins the draw (hue, saturation, colour jitter, erasing); the warps' transforms against
`keras.ops.image.perspective_transform` and `elastic_transform` (the elastic noise pinned: Keras on
torch draws it from torch's global generator, which the test seeds and reads in the same order);
otherwise the property each output must have, or a statistic of it, checked on both libraries'
outputs (Keras's and ember's generators cannot be matched draw for draw)."""
import numpy as np
import pytest

import ember
from ember import keras as ek
from ember.keras.layers.augment_color import rgb_to_hsv
from ember.keras.layers.augment_more import clahe
from ember.keras.layers.augment_warp import elastic_transform, perspective_transform

RNG = np.random.default_rng(29)
IMG = RNG.uniform(20, 235, (4, 6, 5, 3)).astype("float32")
UNIT = IMG / 255.0

EXACT = {  # name -> (function of the keras module making the layer, images)
    "RandomHue": (lambda k: k.layers.RandomHue((1.0, 1.0)), IMG),
    "RandomHue_none": (lambda k: k.layers.RandomHue((0.0, 0.0)), IMG),
    "RandomHue_unit_range": (lambda k: k.layers.RandomHue((1.0, 1.0), value_range=(0, 1)), UNIT),
    "RandomSaturation": (lambda k: k.layers.RandomSaturation((0.7, 0.7)), IMG),
    "RandomSaturation_gray": (lambda k: k.layers.RandomSaturation((0.0, 0.0)), IMG),
    "RandomSaturation_full": (lambda k: k.layers.RandomSaturation((1.0, 1.0)), IMG),
    "RandomColorJitter": (lambda k: k.layers.RandomColorJitter(
        brightness_factor=(0.1, 0.1), contrast_factor=(0.0, 0.0), saturation_factor=(0.3, 0.3),
        hue_factor=(1.0, 1.0)), IMG),
    "RandomErasing": (lambda k: k.layers.RandomErasing((1.0, 1.0), scale=(1.0, 1.0), fill_value=7.0), IMG),
    "RandomErasing_rgb": (lambda k: k.layers.RandomErasing((1.0, 1.0), scale=(1.0, 1.0), fill_value=(1, 300, 3.5)),
                          IMG),
    "RandomErasing_never": (lambda k: k.layers.RandomErasing((0.0, 0.0)), IMG),
    "RandomPerspective_never": (lambda k: k.layers.RandomPerspective((0.0, 0.0)), IMG),
    "RandomElasticTransform_still": (lambda k: k.layers.RandomElasticTransform(scale=(0.0, 0.0)), IMG),
    "RandAugment_no_ops": (lambda k: k.layers.RandAugment(num_ops=0), IMG),
}
CLAHE = {  # id -> (shape, tile_grid_size, clip_limit, value_range): tiles the grid divides, whole clip limits
    "clip": ((2, 32, 32, 3), (2, 2), 4.0, (0, 255)),
    "no_clip": ((2, 12, 12, 2), (2, 3), 0.0, (0, 255)),
    "unit_range": ((1, 32, 32, 3), (4, 4), 4.0, (0, 1)),
}
RANDOM = {
    "RandomHue": lambda k: k.layers.RandomHue(0.4),
    "RandomSaturation": lambda k: k.layers.RandomSaturation((0.2, 0.8)),
    "RandomErasing": lambda k: k.layers.RandomErasing(fill_value=0.0),
    "CutMix": lambda k: k.layers.CutMix(),
    "RandomPerspective": lambda k: k.layers.RandomPerspective(fill_value=-1.0),
    "RandomElasticTransform": lambda k: k.layers.RandomElasticTransform(),
    "RandAugment": lambda k: k.layers.RandAugment(),
    "AugMix": lambda k: k.layers.AugMix(),
    "RandomColorJitter": lambda k: k.layers.RandomColorJitter(brightness_factor=0.2, hue_factor=0.2),
}
COVERS = {"keras.layers": ["RandomHue", "RandomSaturation", "RandomColorJitter", "RandomErasing", "CutMix",
                           "RandomPerspective", "RandomElasticTransform", "RandAugment", "AugMix",
                           "ContrastLimitedAdaptiveHistogramEqualization", "MaxNumBoundingBoxes"]}


def as_np(v):
    v = v.detach() if hasattr(v, "detach") else v
    return np.asarray(v.cpu() if hasattr(v, "cpu") else v, dtype=np.float64)


@pytest.mark.parametrize("name", sorted(EXACT))
def test_pinned_augmentation_matches_keras(real_keras, name):
    make, x = EXACT[name]
    np.testing.assert_allclose(as_np(make(ek)(x)), as_np(make(real_keras)(x)), rtol=1e-5, atol=2e-4)
    np.testing.assert_allclose(as_np(make(ek)(x[0])), as_np(make(real_keras)(x[0])), rtol=1e-5, atol=2e-4)


@pytest.mark.parametrize("case", sorted(CLAHE))
def test_clahe_matches_keras(real_keras, case):
    shape, grid, clip, value_range = CLAHE[case]
    x = RNG.uniform(*value_range, shape).astype("float32")
    kwargs = dict(tile_grid_size=grid, clip_limit=clip, value_range=value_range)
    want = as_np(real_keras.layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)(x))
    layer = ek.layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)
    np.testing.assert_allclose(as_np(layer(ember.tensor(x))), want, rtol=1e-5, atol=1e-3 * value_range[1])
    np.testing.assert_allclose(as_np(layer(ember.tensor(x), training=False)), want, rtol=1e-5,
                               atol=1e-3 * value_range[1])  # deterministic: at inference too


@pytest.mark.parametrize("clip_limit", [8.0, 10.0])
def test_clahe_where_keras_on_torch_differs(real_keras, clip_limit):
    """Two places where Keras on torch does not run CLAHE as written: it counts the histogram in integers,
    so the clip limit (clip_limit * pixels / 256) is truncated to a whole count, and its "symmetric" pad
    (for images the grid does not divide) repeats the edge pixel. ember keeps the fraction and pads
    symmetrically, as Keras's other backends do. With the truncated limit and edge padding, ember's
    transform gives Keras-on-torch's output exactly: the rest of the computation is the same."""
    x = RNG.uniform(0, 255, (1, 30, 30, 2)).astype("float32")  # tiles of 8 x 8 after padding by 2
    want = as_np(real_keras.layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(4, 4),
                                                                               clip_limit=clip_limit)(x))
    whole = np.floor(clip_limit * 64 / 256) * 256 / 64  # the clip limit Keras-on-torch ends up using
    np.testing.assert_allclose(clahe(x, whole, (4, 4), pad_mode="edge"), want, atol=1e-3)
    assert np.abs(clahe(x, clip_limit, (4, 4)) - want).max() > 0.1


def test_max_num_bounding_boxes_matches_keras(real_keras):
    boxes = {"boxes": RNG.random((2, 5, 4)).astype("float32"), "labels": np.arange(10.0).reshape(2, 5)}
    data = {"images": IMG[:2], "bounding_boxes": boxes}
    for n in (3, 7):
        want = real_keras.layers.MaxNumBoundingBoxes(n, bounding_box_format="xyxy")(data)
        got = ek.layers.MaxNumBoundingBoxes(n, bounding_box_format="xyxy")(
            {"images": ember.tensor(IMG[:2]), "bounding_boxes": {k: ember.tensor(v) for k, v in boxes.items()}})
        for key in ("boxes", "labels"):
            np.testing.assert_array_equal(as_np(got["bounding_boxes"][key]), as_np(want["bounding_boxes"][key]))
        np.testing.assert_array_equal(as_np(got["images"]), as_np(want["images"]))
    with pytest.raises(ValueError, match="bounding_box_format"):
        ek.layers.MaxNumBoundingBoxes(3)({"images": ember.tensor(IMG[:2]),
                                          "bounding_boxes": {k: ember.tensor(v) for k, v in boxes.items()}})


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_perspective_transform_matches_keras(real_keras, interpolation):
    x = RNG.uniform(0, 255, (2, 9, 11, 3)).astype("float32")
    start = np.repeat(np.array([[[0, 0], [10, 0], [0, 8], [10, 8]]], "float32"), 2, 0)
    end = start + start * RNG.uniform(-0.3, 0.3, (2, 4, 2)).astype("float32")
    want = as_np(real_keras.ops.image.perspective_transform(x, start, end, interpolation=interpolation,
                                                            fill_value=3.0))
    np.testing.assert_allclose(perspective_transform(x, start, end, interpolation, 3.0), want, atol=1e-3)


@pytest.mark.parametrize("fill_mode", ["reflect", "constant", "nearest", "wrap"])
def test_elastic_transform_matches_keras(real_keras, fill_mode):
    import torch
    x = RNG.uniform(0, 255, (2, 9, 11, 3)).astype("float32")
    torch.manual_seed(5)
    want = as_np(real_keras.ops.image.elastic_transform(x, alpha=2.0, sigma=1.2, fill_mode=fill_mode,
                                                        fill_value=9.0))
    torch.manual_seed(5)  # the same draws, in Keras's order: dx's noise, then dy's
    noise = [torch.normal(0.0, 1.0, size=(2, 9, 11)).numpy() for _ in range(2)]
    np.testing.assert_allclose(elastic_transform(x, 2.0, 1.2, *noise, "bilinear", fill_mode, 9.0), want, atol=1e-3)


def _hsv(images):
    return rgb_to_hsv(np.asarray(images, np.float32) / 255.0)


def _changed_rectangle(before, after):
    """Rows and columns of the one rectangle where `after` differs from `before` (None: no change)."""
    diff = np.abs(after - before).max(-1) > 1e-3
    if not diff.any():
        return None
    rows, cols = np.flatnonzero(diff.any(1)), np.flatnonzero(diff.any(0))
    return rows, cols


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_augmentation_properties(real_keras, name):
    x = RNG.uniform(30, 225, (6, 12, 10, 3)).astype("float32")
    for k in (real_keras, ek):
        layer = RANDOM[name](k)
        if name == "CutMix":
            out = layer({"images": x, "labels": np.eye(6, dtype="float32")})
            images, labels = as_np(out["images"]), as_np(out["labels"])
            np.testing.assert_allclose(labels.sum(1), 1.0, atol=1e-5)
            for i in range(6):
                others = [j for j in range(6) if j != i and labels[i, j] > 1e-6]
                assert len(others) <= 1, (k.__name__, i)
                inside = np.abs(images[i] - x[i]).max(-1) > 1e-3
                if others:  # the changed pixels come from that image, and their share is about its label
                    assert np.allclose(images[i][inside], x[others[0]][inside])
                    assert abs(inside.mean() - labels[i, others[0]]) < 0.35, (k.__name__, i)
                assert inside.sum() == 0 or _changed_rectangle(x[i], images[i]) is not None
            continue
        out = as_np(layer(x))
        assert out.shape == x.shape
        np.testing.assert_allclose(as_np(layer(x, training=False)), x)  # inference: unchanged
        for i in range(6):
            _check_one(name, x[i].astype(np.float64), out[i], k.__name__)


def _check_one(name, image, result, lib):
    if name == "RandomHue":  # one hue shift per image, at most 0.2; saturation and value kept
        before, after = _hsv(image), _hsv(result)
        shift = (after[..., 0] - before[..., 0] + 0.5) % 1.0 - 0.5
        assert np.allclose(shift, np.median(shift), atol=2e-3) and abs(np.median(shift)) <= 0.2 + 2e-3, lib
        np.testing.assert_allclose(after[..., 1:], before[..., 1:], atol=2e-3)
    elif name == "RandomSaturation":  # one saturation scale per image in [0.25, 4]; hue and value kept
        before, after = rgb_to_hsv(image.astype(np.float32)), rgb_to_hsv(result.astype(np.float32))
        scale = after[..., 1] / before[..., 1]
        assert np.allclose(scale, np.median(scale), rtol=2e-3) and 0.25 - 1e-3 <= np.median(scale) <= 4 + 1e-2, lib
        np.testing.assert_allclose(after[..., 2], before[..., 2], rtol=1e-4)
    elif name == "RandomErasing":  # unchanged, or one rectangle set to the fill value (0)
        found = _changed_rectangle(image, result)
        if found is not None:
            rows, cols = found
            block = result[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
            assert np.all(block == 0.0), lib
            area = len(rows) * len(cols) / (image.shape[0] * image.shape[1])
            assert area <= 0.33 * 2.5, lib  # sides sqrt(scale) * size, rounded out to whole pixels
    elif name == "RandomPerspective":  # bilinear samples of the image and the fill value -1 outside it
        assert result.min() >= -1.0 - 1e-3 and result.max() <= image.max() + 1e-3, lib
        assert result[0, 0].min() >= image.min() - 1e-3, lib  # the top-left corner never moves
    elif name == "RandAugment":  # Keras's own output can leave the value range (some of its operations do not clip)
        assert np.isfinite(result).all(), lib
    else:  # clipped to the value range
        assert result.min() >= -1e-3 and result.max() <= 255 + 1e-3, lib


def test_elastic_displacement_statistics_match_keras(real_keras):
    """On a ramp (value = 8 * column) every output pixel tells its horizontal displacement; the spread of
    the displacements must agree between the libraries (a statistic: the fields are random)."""
    ramp = np.broadcast_to((8.0 * np.arange(32, dtype="float32"))[None, None, :, None], (8, 32, 32, 1)).copy()
    spreads = []
    for k in (real_keras, ek):
        layer = k.layers.RandomElasticTransform(factor=(1.0, 1.0), scale=(0.5, 0.5), fill_mode="nearest")
        out = as_np(layer(ramp))
        moved = (out - ramp)[:, 4:-4, 4:-4] / 8.0  # away from the borders, where "nearest" clamps
        spreads.append(moved.std())
    assert spreads[0] > 0.1 and spreads[1] == pytest.approx(spreads[0], rel=0.35)


def test_policies_seeded_and_configs(real_keras):
    for make in (lambda k: k.layers.RandAugment(num_ops=3, factor=0.4, seed=5),
                 lambda k: k.layers.AugMix(num_chains=2, chain_depth=2, all_ops=False, seed=5)):
        outs = [as_np(make(ek)(IMG)) for _ in range(2)]
        np.testing.assert_array_equal(outs[0], outs[1])  # the same seed, the same augmentation
        config = make(ek).get_config()
        back = type(make(real_keras)).from_config(config).get_config()
        for key in ("num_ops", "num_chains", "chain_depth", "all_ops", "factor"):
            if key in config:
                assert back[key] == (list(config[key]) if key == "factor" else config[key]) or \
                    list(back[key]) == list(config[key]), key
