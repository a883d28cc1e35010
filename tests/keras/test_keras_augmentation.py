"""keras.layers' random augmentation layers against Keras 3 (torch backend): unchanged at inference (inside
predict) in both; exact values where a factor range of one point makes the draw deterministic; otherwise the
property each output must have, checked on both libraries' outputs."""
import numpy as np
import pytest

from ember import keras as ek

RNG = np.random.default_rng(3)
IMG = RNG.uniform(20, 235, (4, 6, 5, 3)).astype("float32")
MID = RNG.uniform(100, 150, (4, 6, 5, 3)).astype("float32")  # no clipping by the random shifts and scales

# name -> function of the keras module making a layer whose training output is deterministic
EXACT = {
    "RandomBrightness": lambda k: k.layers.RandomBrightness((0.1, 0.1)),
    "RandomGrayscale": lambda k: k.layers.RandomGrayscale(1.0),
    "RandomInvert": lambda k: k.layers.RandomInvert((1.0, 1.0)),
    "Solarization": lambda k: k.layers.Solarization(0.0, 0.0),
    "RandomPosterization": lambda k: k.layers.RandomPosterization((3, 3)),
    "AutoContrast": lambda k: k.layers.AutoContrast(),
    "RandomColorDegeneration": lambda k: k.layers.RandomColorDegeneration((0.4, 0.4)),
    "RandomBrightness_unit_range": lambda k: k.layers.RandomBrightness((-0.2, -0.2), value_range=(0, 1)),
    "AutoContrast_unit_range": lambda k: k.layers.AutoContrast(value_range=(0, 1)),
    "RandomTranslation": lambda k: k.layers.RandomTranslation((0.5, 0.5), (-0.2, -0.2)),
    "RandomTranslation_constant": lambda k: k.layers.RandomTranslation((-1 / 3, -1 / 3), (0.4, 0.4),
                                                                       fill_mode="constant", fill_value=7.0),
    "RandomTranslation_fractional": lambda k: k.layers.RandomTranslation((0.25, 0.25), (0.1, 0.1),
                                                                         fill_mode="wrap"),
    "RandomZoom": lambda k: k.layers.RandomZoom((-0.5, -0.5)),
    "RandomZoom_out": lambda k: k.layers.RandomZoom((0.3, 0.3), (0.6, 0.6), fill_mode="nearest"),
    "RandomZoom_nearest": lambda k: k.layers.RandomZoom((0.4, 0.4), interpolation="nearest"),
    "RandomRotation": lambda k: k.layers.RandomRotation((0.25, 0.25)),
    "RandomRotation_small": lambda k: k.layers.RandomRotation((0.05, 0.05), fill_mode="constant"),
    "RandomSharpness": lambda k: k.layers.RandomSharpness((0.9, 0.9)),
    "RandomSharpness_soft": lambda k: k.layers.RandomSharpness((0.1, 0.1), value_range=(0, 1)),
    "RandomGaussianBlur": lambda k: k.layers.RandomGaussianBlur((1.0, 1.0), kernel_size=5, sigma=(0.8, 0.8)),
    "Equalization": lambda k: k.layers.Equalization(),
    "Equalization_unit_range": lambda k: k.layers.Equalization(value_range=(0, 1), bins=32),
}
RANDOM = {
    "RandomFlip": lambda k: k.layers.RandomFlip(seed=4),
    "RandomFlip_horizontal": lambda k: k.layers.RandomFlip("horizontal"),
    "RandomContrast": lambda k: k.layers.RandomContrast(0.3, seed=2),
    "RandomBrightness": lambda k: k.layers.RandomBrightness(0.2),
    "RandomInvert": lambda k: k.layers.RandomInvert(0.5),
    "MixUp": lambda k: k.layers.MixUp(0.4),
    "RandomCrop": lambda k: k.layers.RandomCrop(4, 3),
    "RandomRotation": lambda k: k.layers.RandomRotation(0.5),
    "RandomShear": lambda k: k.layers.RandomShear((0.3, 0.3), (0.2, 0.2), fill_mode="constant"),
}
COVERS = {"keras.layers": ["RandomBrightness", "RandomGrayscale", "RandomInvert", "Solarization",
                           "RandomPosterization", "AutoContrast", "RandomColorDegeneration", "RandomFlip",
                           "RandomContrast", "MixUp", "RandomTranslation", "RandomZoom", "RandomRotation",
                           "RandomCrop", "RandomSharpness", "RandomShear", "RandomGaussianBlur", "Equalization"]}


def as_np(v):
    v = v.detach() if hasattr(v, "detach") else v
    return np.asarray(v.cpu() if hasattr(v, "cpu") else v, dtype=np.float64)


def images_for(name):
    return IMG / 255.0 if "unit_range" in name or "soft" in name else IMG


@pytest.mark.parametrize("name", sorted(EXACT))
def test_deterministic_augmentation_matches_keras(real_keras, name):
    x = images_for(name)
    want, got = EXACT[name](real_keras)(x), EXACT[name](ek)(x)
    np.testing.assert_allclose(as_np(got), as_np(want), rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(as_np(EXACT[name](ek)(x[0])), as_np(EXACT[name](real_keras)(x[0])), rtol=1e-5,
                               atol=1e-3)  # one unbatched image


@pytest.mark.parametrize("name", sorted(set(EXACT) | set(RANDOM)))
def test_inference_passes_images_through(real_keras, name):
    make = EXACT.get(name) or RANDOM[name]
    x = images_for(name)
    if name.startswith("Equalization"):  # Keras 3.15 cannot put it in a model (its output spec is its input)
        for k in (real_keras, ek):
            np.testing.assert_allclose(as_np(make(k)(x, training=False)), x, rtol=1e-6)
        return
    for k in (real_keras, ek):
        model = k.Sequential([k.Input(x.shape[1:]), make(k)])
        out = model.predict(x, verbose=0)
        if name.startswith("AutoContrast"):  # deterministic: applied at inference too, in both
            continue
        np.testing.assert_allclose(out, x, rtol=1e-6)


def _flip_choices(x, mode):
    return {"horizontal": [x, x[:, ::-1]], "vertical": [x, x[::-1]],
            "horizontal_and_vertical": [x, x[::-1, ::-1]]}[mode]


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_augmentation_properties(real_keras, name):
    for k in (real_keras, ek):
        out = as_np(RANDOM[name](k)(MID))
        assert out.shape[0] == MID.shape[0]
        for i, (image, result) in enumerate(zip(MID.astype(np.float64), out)):
            if name.startswith("RandomFlip"):
                mode = "horizontal" if name.endswith("horizontal") else "horizontal_and_vertical"
                assert any(np.allclose(result, c) for c in _flip_choices(image, mode)), (k.__name__, i)
            elif name == "RandomContrast":  # (x - mean) * c + mean with one c per image in [0.7, 1.3]
                mean = image.mean((0, 1))
                c = (result - mean) / (image - mean)
                assert np.allclose(c, c.flat[0], rtol=1e-3) and 0.7 - 1e-4 <= c.flat[0] <= 1.3 + 1e-4
            elif name == "RandomBrightness":  # one shift per image within +-0.2 * 255
                shift = result - image
                assert np.allclose(shift, shift.flat[0], atol=1e-3) and abs(shift.flat[0]) <= 51 + 1e-3
            elif name == "RandomCrop":  # one window of the image
                windows = [image[r:r + 4, c:c + 3] for r in range(3) for c in range(3)]
                assert result.shape == (4, 3, 3) and any(np.allclose(result, win) for win in windows)
            elif name == "RandomRotation":  # bilinear samples of the reflected image stay within its range
                assert np.isfinite(result).all() and result.min() >= image.min() - 1e-3 and \
                    result.max() <= image.max() + 1e-3
            elif name == "RandomShear":  # sheared by (0.3, 0.2) or by (-0.3, -0.2): Keras's own affine op decides
                candidates = [as_np(real_keras.ops.image.affine_transform(
                    image[None].astype("float32"), np.array([[1, s * 0.3, 0, s * 0.2, 1, 0, 0, 0]], "float32"),
                    fill_mode="constant"))[0] for s in (1, -1)]
                assert any(np.allclose(result, c, atol=1e-3) for c in candidates), (k.__name__, i)
            elif name == "RandomInvert":
                assert np.allclose(result, image) or np.allclose(result, 255 - image)
            elif name == "MixUp":  # lam * image + (1 - lam) * another image of the batch
                others = MID.astype(np.float64)
                fits = []
                for other in others:
                    d = image - other
                    lam = float((result - other).ravel() @ d.ravel() / max(d.ravel() @ d.ravel(), 1e-12))
                    fits.append(np.allclose(lam * image + (1 - lam) * other, result, atol=1e-3) and
                                -1e-6 <= lam <= 1 + 1e-6)
                assert any(fits), (k.__name__, i)


def test_seeded_layers_repeat(real_keras):
    outs = [as_np(ek.layers.RandomContrast(0.5, seed=7)(IMG)) for _ in range(2)]
    np.testing.assert_array_equal(outs[0], outs[1])
