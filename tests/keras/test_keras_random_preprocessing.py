"""keras.random (Keras's distributions and seeding, compared by moments since the generators differ),
keras.preprocessing and the keras.utils helpers, against Keras 3."""
import numpy as np
import pytest

from ember import keras as ek

COVERS = {"keras.random": ["normal", "uniform", "randint", "truncated_normal", "gamma", "beta", "binomial",
                           "dropout", "shuffle", "categorical", "SeedGenerator"],
          "keras.preprocessing": ["sequence", "image"],
          "keras.utils": ["pad_sequences", "array_to_img", "img_to_array", "load_img", "save_img",
                          "pack_x_y_sample_weight", "unpack_x_y_sample_weight", "to_categorical", "normalize"]}

N = (200, 100)
DRAWS = {"normal": lambda k, s: k.random.normal(N, mean=1.0, stddev=2.0, seed=s),
         "uniform": lambda k, s: k.random.uniform(N, minval=-1.0, maxval=3.0, seed=s),
         "randint": lambda k, s: k.random.randint(N, 2, 9, seed=s),
         "truncated_normal": lambda k, s: k.random.truncated_normal(N, mean=0.5, stddev=1.5, seed=s),
         "gamma": lambda k, s: k.random.gamma(N, alpha=2.5, seed=s),
         "beta": lambda k, s: k.random.beta(N, alpha=2.0, beta=5.0, seed=s),
         "binomial": lambda k, s: k.random.binomial(N, counts=10, probabilities=0.3, seed=s),
         "dropout": lambda k, s: k.random.dropout(k.ops.ones(N), 0.3, seed=s)}


def as_np(t):
    if isinstance(t, np.ndarray):
        return t
    return np.asarray(t.detach().cpu().numpy() if hasattr(t, "cpu") else t.numpy())


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_random_distributions_match_keras(real_keras, name):
    want, got = as_np(DRAWS[name](real_keras, 7)), as_np(DRAWS[name](ek, 7))
    assert got.shape == want.shape and got.dtype == want.dtype
    for stat in (np.mean, np.std):
        np.testing.assert_allclose(stat(got), stat(want), rtol=0.05, atol=0.02)
    assert got.min() >= want.min() - 0.5 * want.std() and got.max() <= want.max() + 0.5 * want.std()
    np.testing.assert_array_equal(as_np(DRAWS[name](ek, 7)), got)   # an int seed repeats


def test_seed_generator_advances_and_categorical(real_keras):
    g = ek.random.SeedGenerator(3)
    a, b = as_np(ek.random.uniform((5,), seed=g)), as_np(ek.random.uniform((5,), seed=g))
    assert not np.array_equal(a, b)
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], "float32"))
    want = as_np(real_keras.random.categorical(logits, 4000, seed=real_keras.random.SeedGenerator(1)))
    got = as_np(ek.random.categorical(logits, 4000, seed=ek.random.SeedGenerator(1)))
    assert got.shape == want.shape and got.dtype == want.dtype
    for row in range(2):
        np.testing.assert_allclose(np.bincount(got[row], minlength=3) / 4000, np.bincount(want[row], minlength=3) / 4000,
                                   atol=0.04)
    x = np.arange(20).reshape(10, 2)
    shuffled = as_np(ek.random.shuffle(x, seed=1))
    assert sorted(map(tuple, shuffled)) == sorted(map(tuple, as_np(real_keras.random.shuffle(x, seed=1))))


@pytest.mark.parametrize("kwargs", [{}, dict(maxlen=3), dict(maxlen=3, padding="post", truncating="post"),
                                    dict(value=-1, dtype="float32")])
def test_pad_sequences(real_keras, kwargs):
    seqs = [[1, 2, 3, 4], [5], [], [6, 7]]
    want = real_keras.preprocessing.sequence.pad_sequences(seqs, **kwargs)
    for got in (ek.preprocessing.sequence.pad_sequences(seqs, **kwargs), ek.utils.pad_sequences(seqs, **kwargs)):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype


@pytest.mark.parametrize("shape,size", [((7, 12, 3), (4, 4)), ((2, 9, 5, 1), (6, 3)), ((6, 6, 2), (12, 12))])
def test_smart_resize(real_keras, shape, size):
    x = np.random.default_rng(0).random(shape).astype("float32") * 255
    want = as_np(real_keras.preprocessing.image.smart_resize(x, size))
    np.testing.assert_allclose(ek.preprocessing.image.smart_resize(x, size), want, rtol=1e-4, atol=1e-3)


def test_image_round_trip(real_keras, tmp_path):
    x = np.random.default_rng(1).integers(0, 256, (5, 7, 3)).astype("float32")
    for module in (ek.utils, ek.preprocessing.image):
        module.save_img(tmp_path / "ours.png", x, scale=False)
    real_keras.utils.save_img(tmp_path / "theirs.png", x, scale=False)
    for path in ("ours.png", "theirs.png"):
        for mode in ("rgb", "grayscale"):
            want = real_keras.utils.img_to_array(real_keras.utils.load_img(tmp_path / path, color_mode=mode,
                                                                           target_size=(3, 4)))
            got = ek.utils.img_to_array(ek.utils.load_img(tmp_path / path, color_mode=mode, target_size=(3, 4)))
            np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.asarray(ek.utils.array_to_img(x)), np.asarray(real_keras.utils.array_to_img(x)))


def test_utils_helpers(real_keras):
    x, y, w = np.ones(2), np.zeros(2), np.ones(2)
    for args in ((x,), ((x, x),), (x, y), (x, y, w)):
        packed, want = ek.utils.pack_x_y_sample_weight(*args), real_keras.utils.pack_x_y_sample_weight(*args)
        assert type(packed) is type(want) and len(packed) == len(want)
        unpacked, want = ek.utils.unpack_x_y_sample_weight(packed), real_keras.utils.unpack_x_y_sample_weight(want)
        assert [u is None for u in unpacked] == [u is None for u in want]
    np.testing.assert_array_equal(ek.utils.to_categorical([0, 2, 1], 3), real_keras.utils.to_categorical([0, 2, 1], 3))
    v = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(ek.utils.normalize(v), as_np(real_keras.utils.normalize(v)))
