"""keras.ops beyond the common core, against Keras 3 (torch backend): each entry calls the op the same
way on both libraries' `ops` and compares values and shapes."""
import numpy as np
import pytest

from ember import keras as ek

RNG = np.random.default_rng(1)
X = RNG.uniform(0.1, 0.9, (3, 4)).astype("float32")
Y = RNG.uniform(0.1, 0.9, (3, 4)).astype("float32")
N = X.copy()
N[0, 1] = N[2, 3] = np.nan
INTS = RNG.integers(1, 20, (3, 4)).astype("int32")
SQ = (RNG.standard_normal((3, 3)) + 3 * np.eye(3)).astype("float32")
SPD = (SQ @ SQ.T + np.eye(3)).astype("float32")
IMG = RNG.standard_normal((2, 6, 6, 4)).astype("float32")
SEQ = RNG.standard_normal((2, 7, 3)).astype("float32")
VOL = RNG.standard_normal((1, 4, 5, 6, 2)).astype("float32")

# name -> a function of (ops, x, y) calling it as Keras code would
UNARY_ELEMENTWISE = ["arccos", "arcsin", "arctan", "arcsinh", "arctanh", "cosh", "sinh", "log10", "exp2", "erfc",
                     "erfinv", "i0", "sinc", "deg2rad", "rad2deg", "fabs", "trunc", "signbit", "cbrt", "real",
                     "conj", "conjugate", "angle", "ravel", "copy", "fliplr", "flipud", "isreal", "isneginf",
                     "isposinf", "celu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "hard_shrink",
                     "soft_shrink", "tanh_shrink", "softsign", "sparse_plus", "sparse_sigmoid", "squareplus",
                     "corrcoef", "diag", "diagonal", "trace", "tril", "triu", "median", "ptp", "average",
                     "count_nonzero", "array", "nonzero", "unstack", "dtype", "is_tensor", "rot90",
                     "diff"]
SIGNED = ("fabs", "trunc", "signbit", "cbrt", "celu", "hard_shrink", "soft_shrink", "tanh_shrink", "softsign",
          "sparse_plus", "sparse_sigmoid", "hard_tanh", "hard_silu", "median", "ptp", "count_nonzero", "nonzero")
BINARY_ELEMENTWISE = ["arctan2", "hypot", "logaddexp", "logaddexp2", "nextafter", "fmax", "fmin", "fmod",
                      "heaviside", "kron", "inner", "cdist", "divide_no_nan", "isclose", "allclose",
                      "append", "tensordot"]
INT_BINARY = ["gcd", "lcm", "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift",
              "bitwise_left_shift", "bitwise_right_shift"]
INT_UNARY = ["bitwise_not", "bitwise_invert", "bincount"]
NAN_REDUCTIONS = ["nanmax", "nanmin", "nanmean", "nansum", "nanprod", "nanstd", "nanvar", "nanargmax", "nanargmin",
                  "nancumsum", "nancumprod", "nanmedian", "nan_to_num"]
CALLS = {
    "arccosh": lambda o, x, y: o.arccosh(x + 1.0), "ldexp": lambda o, x, y: o.ldexp(x, o.cast(y * 4, "int32")),
    "array_split": lambda o, x, y: o.array_split(x, 3, axis=1), "hsplit": lambda o, x, y: o.hsplit(x, 2),
    "vsplit": lambda o, x, y: o.vsplit(x, 3), "dsplit": lambda o, x, y: o.dsplit(o.reshape(x, (1, 3, 4)), 2),
    "hstack": lambda o, x, y: o.hstack([x, y]), "vstack": lambda o, x, y: o.vstack([x, y]),
    "dstack": lambda o, x, y: o.dstack([x, y]), "roll": lambda o, x, y: o.roll(x, 2, axis=1),
    "diagflat": lambda o, x, y: o.diagflat(x[0], k=1), "tri": lambda o, x, y: o.tri(3, 4, 1),
    "empty": lambda o, x, y: o.shape(o.empty((2, 3))),
    "empty_like": lambda o, x, y: o.shape(o.empty_like(x)), "logspace": lambda o, x, y: o.logspace(0.0, 2.0, 5),
    "geomspace": lambda o, x, y: o.geomspace(1.0, 100.0, 5), "meshgrid": lambda o, x, y: o.meshgrid(x[0], y[1]),
    "searchsorted": lambda o, x, y: o.searchsorted(o.sort(x[0]), y[0]),
    "digitize": lambda o, x, y: o.digitize(x, [0.2, 0.5, 0.7]), "cross": lambda o, x, y: o.cross(x[:2, :3], y[:2, :3]),
    "vander": lambda o, x, y: o.vander(x[0], 3), "outer": lambda o, x, y: o.outer(x[0], y[1]),
    "vdot": lambda o, x, y: o.vdot(x[0], y[1]),
    "select": lambda o, x, y: o.select([x > 0.6, x < 0.3], [x, y], 0.0),
    "unravel_index": lambda o, x, y: o.unravel_index(o.convert_to_tensor([3, 7, 11]), (3, 4)),
    "unique": lambda o, x, y: o.unique(o.cast(x * 4, "int32")), "isin": lambda o, x, y: o.isin(o.cast(x * 4, "int32"),
                                                                                              [1, 2]),
    "quantile": lambda o, x, y: o.quantile(x, 0.3, axis=1), "percentile": lambda o, x, y: o.percentile(x, 75.0),
    "nanquantile": lambda o, x, y: o.nanquantile(x, 0.4, axis=0),
    "nanpercentile": lambda o, x, y: o.nanpercentile(x, 40.0, axis=1),
    "histogram": lambda o, x, y: o.histogram(x[0], bins=4), "moments": lambda o, x, y: o.moments(x, axes=[0]),
    "trapezoid": lambda o, x, y: o.trapezoid(x, dx=0.5), "kaiser": lambda o, x, y: o.kaiser(6, 3.0),
    "bartlett": lambda o, x, y: o.bartlett(6), "blackman": lambda o, x, y: o.blackman(6),
    "hamming": lambda o, x, y: o.hamming(6), "hanning": lambda o, x, y: o.hanning(7),
    "segment_sum": lambda o, x, y: o.segment_sum(x, o.convert_to_tensor([0, 0, 2]), num_segments=3),
    "segment_max": lambda o, x, y: o.segment_max(x, o.convert_to_tensor([1, 0, 1]), num_segments=2),
    "segment_min": lambda o, x, y: o.segment_min(x, o.convert_to_tensor([1, 0, 1]), num_segments=2),
    "segment_prod": lambda o, x, y: o.segment_prod(x, o.convert_to_tensor([1, 1, 0]), num_segments=2),
    "get_item": lambda o, x, y: o.get_item(x, 1), "slice": lambda o, x, y: o.slice(x, (1, 1), (2, 2)),
    "slice_update": lambda o, x, y: o.slice_update(x, (1, 2), y[:2, :2]),
    "scatter": lambda o, x, y: o.scatter(o.convert_to_tensor([[0, 1], [2, 3], [0, 1]]), y[0, :3], (3, 4)),
    "scatter_update": lambda o, x, y: o.scatter_update(x, o.convert_to_tensor([[0, 1], [2, 3]]), y[0, :2]),
    "saturate_cast": lambda o, x, y: o.saturate_cast((x - 0.5) * 1000, "int8"),
    "view": lambda o, x, y: o.view(x, "int32"),
    "cond": lambda o, x, y: o.cond(o.sum(x) > 1, lambda: x * 2, lambda: y),
    "switch": lambda o, x, y: o.switch(1, [lambda a: a + 1, lambda a: a * 3], x),
    "while_loop": lambda o, x, y: o.while_loop(lambda v: o.sum(v) < 50.0, lambda v: v * 2, x),
    "fori_loop": lambda o, x, y: o.fori_loop(0, 3, lambda i, v: v + i * x, y),
    "map": lambda o, x, y: o.map(lambda r: o.sum(r * r), x),
    "vectorized_map": lambda o, x, y: o.vectorized_map(lambda r: r * 2 + 1, x),
    "scan": lambda o, x, y: o.scan(lambda c, r: (c + r, c * r), o.zeros(4), x),
    "associative_scan": lambda o, x, y: o.associative_scan(lambda a, b: a + b, x, axis=1),
    "vectorize": lambda o, x, y: o.vectorize(lambda a: a * a + 1)(x[0]),
    "inv": lambda o, x, y: o.inv(SQ), "det": lambda o, x, y: o.det(SQ), "logdet": lambda o, x, y: o.logdet(SPD),
    "slogdet": lambda o, x, y: o.slogdet(SQ), "cholesky": lambda o, x, y: o.cholesky(SPD),
    "cholesky_inverse": lambda o, x, y: o.cholesky_inverse(o.cholesky(SPD)),
    "solve": lambda o, x, y: o.solve(SQ, x[:, :2]), "solve_triangular": lambda o, x, y: o.solve_triangular(
        SQ, x[:, :2], lower=True), "pinv": lambda o, x, y: o.pinv(x),
    "lstsq": lambda o, x, y: o.lstsq(o.transpose(x), o.transpose(y)[:, :2]),
    "matrix_rank": lambda o, x, y: o.matrix_rank(SQ), "svd": lambda o, x, y: o.abs(o.svd(SQ)[1]),
    "qr": lambda o, x, y: o.abs(o.qr(SQ)[1]), "linalg": lambda o, x, y: o.linalg.inv(SQ),
    "conv": lambda o, x, y: o.conv(IMG, np.ones((3, 2, 4, 5), "float32") * 0.1, strides=2, padding="same"),
    "conv_transpose": lambda o, x, y: o.conv_transpose(SEQ, np.linspace(-1, 1, 18).reshape(3, 2, 3).astype(
        "float32"), strides=2, padding="same"),
    "depthwise_conv": lambda o, x, y: o.depthwise_conv(IMG, np.linspace(-1, 1, 72).reshape(3, 3, 4, 2).astype(
        "float32"), padding="same"),
    "separable_conv": lambda o, x, y: o.separable_conv(IMG, np.linspace(-1, 1, 36).reshape(3, 3, 4, 1).astype(
        "float32"), np.linspace(-1, 1, 12).reshape(1, 1, 4, 3).astype("float32")),
    "max_pool": lambda o, x, y: o.max_pool(VOL, 2, padding="same"),
    "average_pool": lambda o, x, y: o.average_pool(IMG, 3, strides=1, padding="same"),
    "adaptive_average_pool": lambda o, x, y: o.adaptive_average_pool(IMG, (2, 3)),
    "adaptive_max_pool": lambda o, x, y: o.adaptive_max_pool(SEQ, 3),
    "batch_normalization": lambda o, x, y: o.batch_normalization(x, y[0], x[0], axis=1, offset=y[1], scale=y[2]),
    "layer_normalization": lambda o, x, y: o.layer_normalization(x, y[0], y[1], epsilon=1e-3),
    "rms_normalization": lambda o, x, y: o.rms_normalization(x, y[0], epsilon=1e-6),
    "binary_crossentropy": lambda o, x, y: o.binary_crossentropy(o.round(y), x),
    "categorical_crossentropy": lambda o, x, y: o.categorical_crossentropy(o.round(y), x, from_logits=True),
    "sparse_categorical_crossentropy": lambda o, x, y: o.sparse_categorical_crossentropy([0, 3, 1], x),
    "multi_hot": lambda o, x, y: o.multi_hot(o.convert_to_tensor([[0, 2], [1, 1]]), 4),
    "psnr": lambda o, x, y: o.psnr(x, y, 1.0), "in_top_k": lambda o, x, y: o.in_top_k([0, 1, 3], x, 2),
    "dot_product_attention": lambda o, x, y: o.dot_product_attention(
        o.reshape(SEQ[:, :6], (2, 6, 1, 3)), o.reshape(SEQ[:, 1:], (2, 6, 1, 3)), o.reshape(SEQ[:, :6] * 2,
                                                                                             (2, 6, 1, 3)),
        is_causal=True),
    "depth_to_space": lambda o, x, y: o.depth_to_space(IMG, 2),
    "space_to_depth": lambda o, x, y: o.space_to_depth(IMG, 2),
    "extract_sequences": lambda o, x, y: o.extract_sequences(SEQ[:, :, 0], 3, 2),
    "unfold": lambda o, x, y: o.unfold(o.transpose(IMG, (0, 3, 1, 2)), 2, stride=2),
    "fold": lambda o, x, y: o.fold(o.convert_to_tensor(np.ones((2, 16, 9), "float32")), (6, 6), 2, stride=2),
    "threshold": lambda o, x, y: o.threshold(x, 0.5, -1.0),
    "pad": lambda o, x, y: o.pad(x, ((1, 0), (2, 3)), constant_values=0.5),
}
# more calls of names above (their keys are not names: not in COVERS)
VARIANTS = {"pad_reflect": lambda o, x, y: o.pad(IMG, ((0, 0), (1, 2), (2, 1), (0, 0)), mode="reflect")}
COVERS = {"keras.activations": ["deserialize"],
          "keras.ops": UNARY_ELEMENTWISE + BINARY_ELEMENTWISE + INT_BINARY + INT_UNARY + NAN_REDUCTIONS + list(CALLS)
          + ["where", "scan"]}


def as_np(v):
    if isinstance(v, (list, tuple)):
        return [as_np(a) for a in v]
    if isinstance(v, (bool, str)):
        return v
    if hasattr(v, "detach"):
        v = v.detach()
    if hasattr(v, "cpu"):
        v = v.cpu()
    return np.asarray(v.numpy() if hasattr(v, "numpy") else v)


def assert_same(got, want, rtol=1e-4, atol=1e-5):
    got, want = as_np(got), as_np(want)
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_same(g, w, rtol, atol)
        return
    if isinstance(want, (bool, str)):
        assert got == want
        return
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol)


def both(real_keras, call, *args):
    want = call(real_keras.ops, *[real_keras.ops.convert_to_tensor(a) for a in args])
    got = call(ek.ops, *[ek.ops.convert_to_tensor(a) for a in args])
    return got, want


@pytest.mark.parametrize("name", UNARY_ELEMENTWISE)
def test_unary(real_keras, name):
    got, want = both(real_keras, lambda o, x: getattr(o, name)(x), X - 0.3 if name in SIGNED else X)
    assert_same(got, want)


@pytest.mark.parametrize("name", BINARY_ELEMENTWISE)
def test_binary(real_keras, name):
    got, want = both(real_keras, lambda o, x, y: getattr(o, name)(x, y), X, Y if name != "isclose" else X)
    assert_same(got, want)


@pytest.mark.parametrize("name", INT_BINARY + INT_UNARY)
def test_integer_ops(real_keras, name):
    a = INTS if name != "bincount" else INTS[0]
    args = (a,) if name in INT_UNARY else (a, INTS[::-1] % 4 if "shift" in name else INTS[::-1])
    got, want = both(real_keras, lambda o, *v: getattr(o, name)(*v), *args)
    assert_same(got, want)


@pytest.mark.parametrize("name", NAN_REDUCTIONS)
def test_nan_reductions(real_keras, name):
    call = (lambda o, x: getattr(o, name)(x, axis=1)) if name not in ("nan_to_num",) else \
        (lambda o, x: o.nan_to_num(x, nan=-2.0))
    got, want = both(real_keras, call, N)
    assert_same(got, want)
    if name in ("nanmax", "nansum", "nanmean", "nanvar"):
        assert_same(*both(real_keras, lambda o, x: getattr(o, name)(x, axis=0, keepdims=True), N))


@pytest.mark.parametrize("name", sorted(CALLS) + sorted(VARIANTS))
def test_calls(real_keras, name):
    got, want = both(real_keras, CALLS.get(name) or VARIANTS[name], X, Y)
    assert_same(got, want, rtol=2e-4, atol=2e-5)


def test_argpartition_partitions():
    """Any partition is right (NumPy's contract): the kth value in place, smaller before, larger after.
    Keras 3.15's torch backend returns an order that is not a partition, so NumPy is the reference here."""
    part = np.take_along_axis(X, as_np(ek.ops.argpartition(X, 1, axis=1)), 1)
    np.testing.assert_allclose(part[:, 1], np.sort(X, 1)[:, 1])
    assert (part[:, :1] <= part[:, 1:2]).all() and (part[:, 2:] >= part[:, 1:2]).all()


def test_sparsemax_against_numpy():
    """The simplex projection, in float64 (Keras 3.15's torch backend does not sum to one: not the reference)."""
    z = (X.astype(np.float64) - 0.3) * 3
    s = -np.sort(-z, 1)
    k = np.arange(1, 5)
    support = 1 + k * s > np.cumsum(s, 1)
    tau = ((s * support).sum(1) - 1) / support.sum(1)
    want = np.maximum(z - tau[:, None], 0)
    got = as_np(ek.ops.sparsemax(z))
    np.testing.assert_allclose(got, want, atol=1e-12)
    np.testing.assert_allclose(got.sum(1), 1.0)


def test_where_and_scan_match_keras(real_keras):
    assert_same(*both(real_keras, lambda o, x, y: o.where(x > 0.5, x, y), X, Y))
    assert_same(*both(real_keras, lambda o, x: o.scan(lambda c, r: (c * 0.5 + r, c), o.ones(4), x, reverse=True),
                      X))


def test_ops_in_a_functional_model(real_keras):
    """The new ops also build op layers on symbolic inputs, as Keras's do."""
    def build(k):
        x = k.Input((4,))
        return k.Model(x, k.ops.hstack([k.ops.arcsinh(x), k.ops.nanmean(x, axis=1, keepdims=True)]))
    assert_same(build(ek).predict(X, verbose=0), build(real_keras).predict(X, verbose=0))


@pytest.mark.parametrize("name", ["relu", "gelu", "softmax", "swish"])
def test_activation_deserialize(real_keras, name):
    config = real_keras.activations.serialize(real_keras.activations.get(name))
    z = ek.ops.convert_to_tensor((X - 0.5) * 4)
    assert_same(ek.activations.deserialize(config)(z), real_keras.activations.deserialize(config)((X - 0.5) * 4))


def test_pad_with_one_width_for_every_axis():
    """An int pads every axis as NumPy does (Keras 3.15's torch backend pads only the last one: not the reference)."""
    np.testing.assert_array_equal(as_np(ek.ops.pad(X, 1)), np.pad(X, 1))
    np.testing.assert_array_equal(as_np(ek.ops.pad(IMG, (1, 2), mode="edge")), np.pad(IMG, (1, 2), mode="edge"))
