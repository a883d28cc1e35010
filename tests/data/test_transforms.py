"""ember.data.transforms against torchvision's semantics (expected values computed with NumPy)."""
import numpy as np
import pytest

import ember
from ember.data import transforms as T
from ember.errors import ArgumentError, DTypeError, ShapeError

rng = np.random.default_rng(0)


def _img(h=6, w=7, c=3):
    return rng.integers(0, 256, size=(h, w, c), dtype=np.uint8)


# --- ToTensor ------------------------------------------------------------------------------------
def test_to_tensor_hwc_uint8_is_chw_float_in_unit_range():
    a = _img()
    t = T.ToTensor()(a)
    assert t.dtype == ember.float32 and tuple(t.shape) == (3, 6, 7)
    np.testing.assert_allclose(t.numpy(), a.transpose(2, 0, 1).astype(np.float32) / 255, rtol=1e-6, atol=0)
    assert t.numpy().min() >= 0 and t.numpy().max() <= 1


def test_to_tensor_hw_gets_one_channel_and_other_dtypes_keep_values():
    a = _img()[:, :, 0]
    assert tuple(T.ToTensor()(a).shape) == (1, 6, 7)
    f = rng.normal(size=(4, 5, 2))  # torchvision: only uint8 is rescaled; float64 stays float64
    t = T.ToTensor()(f)
    assert t.dtype == ember.float64
    np.testing.assert_array_equal(t.numpy(), f.transpose(2, 0, 1))


def test_to_tensor_rejects_bad_input():
    with pytest.raises(ShapeError, match="ToTensor"):
        T.ToTensor()(np.zeros((2, 3, 4, 5), np.uint8))
    with pytest.raises(DTypeError, match="ToTensor"):
        T.ToTensor()([[1, 2]])


def test_to_tensor_pil_images():
    Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (extra `images`)")
    a = _img()
    t = T.ToTensor()(Image.fromarray(a, mode="RGB"))
    np.testing.assert_allclose(t.numpy(), a.transpose(2, 0, 1) / np.float32(255), rtol=1e-6)
    g = T.ToTensor()(Image.fromarray(a[:, :, 0], mode="L"))
    assert tuple(g.shape) == (1, 6, 7)
    np.testing.assert_allclose(g.numpy()[0], a[:, :, 0] / np.float32(255), rtol=1e-6)
    b = T.ToTensor()(Image.fromarray(a[:, :, 0] > 128).convert("1"))  # mode "1": {0, 1} after scaling
    np.testing.assert_array_equal(b.numpy()[0], (a[:, :, 0] > 128).astype(np.float32))


# --- Normalize -----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5)])
def test_normalize_per_channel(shape):
    x = rng.normal(size=shape).astype(np.float32)
    mean, std = (0.5, -0.25, 2.0), (0.2, 1.5, 3.0)
    out = T.Normalize(mean, std)(ember.tensor(x))
    expected = (x - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-5)


def test_normalize_single_value_inplace_and_float64():
    x = rng.normal(size=(2, 3, 3))
    t = ember.tensor(x)
    out = T.Normalize(0.5, 0.25, inplace=True)(t)
    assert out is t and out.dtype == ember.float64
    np.testing.assert_allclose(t.numpy(), (x - 0.5) / 0.25, rtol=1e-10)


def test_normalize_errors():
    with pytest.raises(DTypeError, match="floating point"):
        T.Normalize((0,), (1,))(ember.zeros(1, 2, 2, dtype=ember.uint8))
    with pytest.raises(ShapeError, match="3 channels"):
        T.Normalize((0, 0), (1, 1))(ember.zeros(3, 2, 2))
    with pytest.raises(ArgumentError, match="zero"):
        T.Normalize((0,), (0,))(ember.zeros(1, 2, 2))
    with pytest.raises(ShapeError):
        T.Normalize((0,), (1,))(ember.zeros(2, 2))
    with pytest.raises(DTypeError, match="ToTensor"):
        T.Normalize((0,), (1,))(np.zeros((1, 2, 2), np.float32))


# --- crops ---------------------------------------------------------------------------------------
def _expected_crop(x, size, pad, mode, fill, seed):
    left, top, right, bottom = pad
    kw = {"constant_values": fill} if mode == "constant" else {}
    p = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)], mode=mode, **kw)
    g = ember.Generator().manual_seed(seed).np  # the draws RandomCrop makes: top, then left
    i = int(g.integers(0, p.shape[-2] - size[0] + 1))
    j = int(g.integers(0, p.shape[-1] - size[1] + 1))
    return p[..., i:i + size[0], j:j + size[1]]


@pytest.mark.parametrize("padding, pad", [(2, (2, 2, 2, 2)), ((1, 3), (1, 3, 1, 3)), ((1, 2, 3, 4), (1, 2, 3, 4))])
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_random_crop_padding_matches_torchvision_layout(padding, pad, mode):
    x = rng.normal(size=(3, 6, 7)).astype(np.float32)
    for seed in range(3):
        crop = T.RandomCrop((5, 6), padding=padding, fill=0.5, padding_mode=mode,
                            generator=ember.Generator().manual_seed(seed))
        out = crop(ember.tensor(x))
        np.testing.assert_array_equal(out.numpy(), _expected_crop(x, (5, 6), pad, mode, 0.5, seed))


def test_random_crop_pad_if_needed_and_errors():
    x = rng.normal(size=(1, 4, 4)).astype(np.float32)
    out = T.RandomCrop(6, pad_if_needed=True, generator=ember.Generator().manual_seed(1))(ember.tensor(x))
    np.testing.assert_array_equal(out.numpy(), _expected_crop(x, (6, 6), (2, 2, 2, 2), "constant", 0, 1))
    with pytest.raises(ShapeError, match="larger than"):
        T.RandomCrop(5)(ember.tensor(x))
    with pytest.raises(ArgumentError, match="padding_mode"):
        T.RandomCrop(2, padding_mode="wrap")
    with pytest.raises(ArgumentError, match="padding"):
        T.RandomCrop(2, padding=(1, 2, 3))
    with pytest.raises(ArgumentError, match="ToTensor"):
        T.RandomCrop(2)(np.zeros((4, 4, 3), np.uint8))


def test_random_crop_is_reproducible_under_manual_seed():
    x = ember.tensor(rng.normal(size=(2, 10, 10)).astype(np.float32))
    crop = T.RandomCrop(4, padding=1)
    ember.manual_seed(3)
    a = [crop(x).numpy().copy() for _ in range(5)]
    ember.manual_seed(3)
    b = [crop(x).numpy().copy() for _ in range(5)]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert any(not np.array_equal(a[0], u) for u in a[1:])  # the window does move


def test_center_crop_rounding():
    x = np.arange(5 * 6, dtype=np.float32).reshape(1, 5, 6)
    out = T.CenterCrop((2, 3))(ember.tensor(x))
    top, left = int(round((5 - 2) / 2.0)), int(round((6 - 3) / 2.0))  # torchvision's formula
    np.testing.assert_array_equal(out.numpy(), x[:, top:top + 2, left:left + 3])
    with pytest.raises(ShapeError):
        T.CenterCrop(7)(ember.tensor(x))


def test_crops_on_pil_images():
    Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (extra `images`)")
    a = _img(8, 9)
    out = T.RandomCrop((4, 5), padding=1, generator=ember.Generator().manual_seed(2))(Image.fromarray(a))
    expected = _expected_crop(a.transpose(2, 0, 1), (4, 5), (1, 1, 1, 1), "constant", 0, 2).transpose(1, 2, 0)
    np.testing.assert_array_equal(np.asarray(out), expected)
    np.testing.assert_array_equal(np.asarray(T.CenterCrop(4)(Image.fromarray(a))), a[2:6, 2:6])


# --- flips ---------------------------------------------------------------------------------------
def test_flips_with_p_one_and_zero():
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    t = ember.tensor(x)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(t).numpy(), x[..., ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0)(t).numpy(), x[..., ::-1, :])
    assert T.RandomHorizontalFlip(0.0)(t) is t
    with pytest.raises(ArgumentError, match="probability"):
        T.RandomVerticalFlip(1.5)


def test_flip_decisions_follow_the_generator():
    x = ember.tensor(np.arange(4.0).reshape(1, 1, 4))
    flip = T.RandomHorizontalFlip(0.3, generator=ember.Generator().manual_seed(5))
    got = [bool(flip(x).numpy()[0, 0, 0] == 3.0) for _ in range(400)]
    expected = list(ember.Generator().manual_seed(5).np.random(400) < 0.3)  # torchvision: flip if rand < p
    assert got == expected
    assert 0.2 < np.mean(got) < 0.4


def test_flips_on_pil_images():
    Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (extra `images`)")
    a = _img()
    np.testing.assert_array_equal(np.asarray(T.RandomHorizontalFlip(1.0)(Image.fromarray(a))), a[:, ::-1])
    np.testing.assert_array_equal(np.asarray(T.RandomVerticalFlip(1.0)(Image.fromarray(a))), a[::-1])


# --- Compose, Lambda, OneHot ---------------------------------------------------------------------
def test_compose_pipeline_matches_numpy():
    a = _img(8, 8)
    tf = T.Compose([T.ToTensor(), T.CenterCrop(4), T.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))])
    expected = (a.transpose(2, 0, 1)[:, 2:6, 2:6].astype(np.float32) / 255 - 0.5) / 0.25
    np.testing.assert_allclose(tf(a).numpy(), expected, rtol=1e-4, atol=1e-5)
    assert "Normalize" in repr(tf)
    with pytest.raises(ArgumentError, match="callable"):
        T.Compose([1])


def test_lambda():
    assert T.Lambda(lambda v: v * 3)(2) == 6
    with pytest.raises(ArgumentError):
        T.Lambda(3)


def test_one_hot():
    np.testing.assert_array_equal(T.OneHot(4)(2).numpy(), [0, 0, 1, 0])
    assert T.OneHot(4)(np.int64(0)).dtype == ember.float32
    y = ember.tensor([1, 0, 2])
    out = T.OneHot(3, dtype=ember.int64)(y)
    assert out.dtype == ember.int64
    np.testing.assert_array_equal(out.numpy(), np.eye(3, dtype=np.int64)[[1, 0, 2]])
    with pytest.raises(ArgumentError, match=r"\[0, 3\)"):
        T.OneHot(3)(3)
    with pytest.raises(DTypeError):
        T.OneHot(3)(1.0)
    with pytest.raises(ArgumentError):
        T.OneHot(0)
