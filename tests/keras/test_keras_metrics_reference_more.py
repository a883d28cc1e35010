"""More of keras.metrics against Keras 3 (torch backend), accumulated over two batches (the second weighted):
operating points under a constraint, F-scores, R^2, the IoU family, the correlations, top-k accuracies,
metric configs read by the other library, and a custom `Metric` subclass in `fit`."""
import numpy as np
import pytest

from ember import keras as ek

RNG = np.random.default_rng(7)
BIN_T = (RNG.random((12, 1)) > 0.5).astype("float32")
BIN_P = np.clip(BIN_T * 0.4 + RNG.random((12, 1)) * 0.6, 0, 1).astype("float32")
HOT_T = np.eye(4, dtype="float32")[RNG.integers(0, 4, 12)]
HOT_P = RNG.random((12, 4)).astype("float32")
SPARSE_T = RNG.integers(0, 4, 12)
SPARSE_P = RNG.integers(0, 4, 12)
REG_T = RNG.standard_normal((12, 3)).astype("float32")
REG_P = (REG_T + RNG.standard_normal((12, 3)) * 0.5).astype("float32")
SW = RNG.random(12).astype("float32")

# name -> (function of the keras module making the metric, (y_true, y_pred))
CASES = {
    "PrecisionAtRecall": (lambda k: k.metrics.PrecisionAtRecall(0.6, num_thresholds=50), (BIN_T, BIN_P)),
    "RecallAtPrecision": (lambda k: k.metrics.RecallAtPrecision(0.7), (BIN_T, BIN_P)),
    "SensitivityAtSpecificity": (lambda k: k.metrics.SensitivityAtSpecificity(0.5, num_thresholds=20),
                                 (BIN_T, BIN_P)),
    "SpecificityAtSensitivity": (lambda k: k.metrics.SpecificityAtSensitivity(0.8, class_id=2), (HOT_T, HOT_P)),
    "F1Score": (lambda k: k.metrics.F1Score(average="macro"), (HOT_T, HOT_P)),
    "FBetaScore": (lambda k: k.metrics.FBetaScore(average="weighted", beta=2.0, threshold=0.5), (HOT_T, HOT_P)),
    "R2Score": (lambda k: k.metrics.R2Score(class_aggregation="variance_weighted_average"), (REG_T, REG_P)),
    "IoU": (lambda k: k.metrics.IoU(num_classes=4, target_class_ids=[0, 2]), (SPARSE_T, SPARSE_P)),
    "MeanIoU": (lambda k: k.metrics.MeanIoU(num_classes=4, ignore_class=1), (SPARSE_T, SPARSE_P)),
    "BinaryIoU": (lambda k: k.metrics.BinaryIoU(target_class_ids=[1], threshold=0.4), (BIN_T, BIN_P)),
    "OneHotIoU": (lambda k: k.metrics.OneHotIoU(num_classes=4, target_class_ids=[1, 3]), (HOT_T, HOT_P)),
    "OneHotMeanIoU": (lambda k: k.metrics.OneHotMeanIoU(num_classes=4), (HOT_T, HOT_P)),
    "PearsonCorrelation": (lambda k: k.metrics.PearsonCorrelation(), (REG_T, REG_P)),
    "ConcordanceCorrelation": (lambda k: k.metrics.ConcordanceCorrelation(), (REG_T, REG_P)),
    "TopKCategoricalAccuracy": (lambda k: k.metrics.TopKCategoricalAccuracy(k=2), (HOT_T, HOT_P)),
    "SparseTopKCategoricalAccuracy": (lambda k: k.metrics.SparseTopKCategoricalAccuracy(k=3), (SPARSE_T, HOT_P)),
    "F1Score_per_class": (lambda k: k.metrics.F1Score(), (HOT_T, HOT_P)),
    "R2Score_adjusted": (lambda k: k.metrics.R2Score(num_regressors=2, class_aggregation=None), (REG_T, REG_P)),
}
COVERS = {"keras.metrics": ["PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
                             "SpecificityAtSensitivity", "F1Score", "FBetaScore", "R2Score", "IoU", "MeanIoU",
                             "BinaryIoU", "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation", "ConcordanceCorrelation",
                             "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "pearson_correlation",
                             "concordance_correlation", "serialize", "deserialize", "Metric", "MeanMetricWrapper"]}


def as_np(v):
    v = v.detach() if hasattr(v, "detach") else v
    return np.asarray(v.cpu() if hasattr(v, "cpu") else v, dtype=np.float64)


@pytest.mark.parametrize("name", sorted(CASES))
def test_metric_over_two_batches_matches_keras(real_keras, name):
    make, (t, p) = CASES[name]
    ref, ours = make(real_keras), make(ek)
    # Keras's IoU metrics hold int32 counts and truncate float weights: integer weights there
    sw = np.round(SW * 3) if "IoU" in name else SW
    for m in (ref, ours):
        m.update_state(t[:6], p[:6])
        m.update_state(t[6:], p[6:], sample_weight=sw[6:])
    np.testing.assert_allclose(as_np(ours.result()), as_np(ref.result()), rtol=1e-5, atol=1e-6)
    config = real_keras.metrics.serialize(ref)
    back = ek.metrics.deserialize(config)
    back.update_state(t, p)
    ref.reset_state()
    ref.update_state(t, p)
    np.testing.assert_allclose(as_np(back.result()), as_np(ref.result()), rtol=1e-5, atol=1e-6)
    if not name.startswith("OneHot"):  # Keras 3.15 cannot read its own one-hot IoU configs (sparse_y_true)
        again = real_keras.metrics.deserialize(ek.metrics.serialize(ours))
        assert type(again).__name__ == type(ref).__name__


@pytest.mark.parametrize("name", ["pearson_correlation", "concordance_correlation"])
def test_correlation_functions(real_keras, name):
    np.testing.assert_allclose(as_np(getattr(ek.metrics, name)(REG_T, REG_P)),
                               as_np(getattr(real_keras.metrics, name)(REG_T, REG_P)), rtol=1e-5)


def test_custom_metric_subclass_and_wrapper_in_fit(real_keras):
    """A `Metric` subclass and a `MeanMetricWrapper` of a function, as Keras users write them, logged by fit."""
    def build(k):
        class MaxError(k.metrics.Metric):
            def __init__(self, name="max_error", **kwargs):
                super().__init__(name=name, **kwargs)
                self.worst = 0.0

            def update_state(self, y_true, y_pred, sample_weight=None):
                diff = k.ops.convert_to_numpy(k.ops.abs(k.ops.convert_to_tensor(y_true) -
                                                        k.ops.convert_to_tensor(y_pred)))
                self.worst = max(self.worst, float(diff.max()))

            def result(self):
                return self.worst

            def reset_state(self):
                self.worst = 0.0

        def half_abs(y_true, y_pred):
            return k.ops.mean(k.ops.abs(y_true - y_pred), axis=-1) * 0.5
        model = k.Sequential([k.Input((3,)), k.layers.Dense(2)])
        model.compile(optimizer=k.optimizers.SGD(0.05), loss="mse",
                      metrics=[MaxError(), k.metrics.MeanMetricWrapper(half_abs, name="half_abs")])
        return model
    real, ours = build(real_keras), build(ek)
    ours.set_weights(real.get_weights())
    x, y = REG_T, REG_P[:, :2]
    want = real.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    got = ours.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    for key in ("loss", "max_error", "half_abs"):
        np.testing.assert_allclose(got[key], want[key], rtol=1e-4)
