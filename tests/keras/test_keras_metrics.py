"""keras.metrics: accumulated over the whole epoch; precision/recall/AUC against scikit-learn."""
import numpy as np
import pytest

from ember import keras
from ember.errors import ArgumentError

M = keras.metrics
sklearn_metrics = pytest.importorskip("sklearn.metrics")


def _batches(n, size):
    return [slice(i, i + size) for i in range(0, n, size)]


def _binary_data(seed=0, n=203):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(rng.uniform(0, 1, n) * 0.7 + y * 0.3, 0, 1)
    return y, p, rng.uniform(0.1, 2.0, n)


def test_precision_recall_over_uneven_batches_match_sklearn():
    y, p, w = _binary_data()
    for threshold in (0.5, 0.3):
        precision, recall = M.Precision(thresholds=threshold), M.Recall(thresholds=threshold)
        wp, wr = M.Precision(thresholds=threshold), M.Recall(thresholds=threshold)
        for s in _batches(len(y), 17):  # several batches, the last one short
            precision.update_state(y[s], p[s])
            recall.update_state(y[s, None], p[s, None])
            wp.update_state(y[s], p[s], sample_weight=w[s])
            wr.update_state(y[s], p[s], sample_weight=w[s])
        pred = (p > threshold).astype(int)
        assert precision.result() == pytest.approx(sklearn_metrics.precision_score(y, pred))
        assert recall.result() == pytest.approx(sklearn_metrics.recall_score(y, pred))
        assert wp.result() == pytest.approx(sklearn_metrics.precision_score(y, pred, sample_weight=w))
        assert wr.result() == pytest.approx(sklearn_metrics.recall_score(y, pred, sample_weight=w))
    # the mean of per-batch precisions differs from the epoch precision that was matched above
    per_batch = [sklearn_metrics.precision_score(y[s], p[s] > 0.3) for s in _batches(len(y), 17)]
    assert abs(np.mean(per_batch) - precision.result()) > 1e-4
    precision.reset_state()
    assert precision.result() == 0.0


def test_precision_recall_class_id_top_k_and_threshold_lists():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, 120)
    y = np.eye(4)[labels]
    p = rng.dirichlet(np.ones(4), 120)
    r = M.Recall(class_id=2)
    for s in _batches(120, 25):
        r.update_state(y[s], p[s])
    assert r.result() == pytest.approx(sklearn_metrics.recall_score(labels == 2, p[:, 2] > 0.5))
    top1 = M.Precision(top_k=1)
    top1.update_state(y, p)
    assert top1.result() == pytest.approx(np.mean(p.argmax(-1) == labels))
    multi = M.Precision(thresholds=[0.2, 0.6])
    multi.update_state(y, p)
    assert multi.result() == pytest.approx([sklearn_metrics.precision_score(y.ravel(), p.ravel() > t)
                                            for t in (0.2, 0.6)])


def test_roc_auc_matches_sklearn_over_batches():
    rng = np.random.default_rng(2)
    n = 500
    y = rng.integers(0, 2, n)
    # scores between the 200 thresholds, so the thresholded curve has every vertex of the exact one
    k = np.clip(rng.integers(0, 120, n) + y * 60, 0, 198)
    p = (k + 0.5) / 199
    w = rng.uniform(0.5, 1.5, n)
    auc, wauc = M.AUC(), M.AUC()
    for s in _batches(n, 64):
        auc.update_state(y[s], p[s])
        wauc.update_state(y[s], p[s], sample_weight=w[s])
    assert auc.result() == pytest.approx(sklearn_metrics.roc_auc_score(y, p), abs=1e-9)
    assert wauc.result() == pytest.approx(sklearn_metrics.roc_auc_score(y, p, sample_weight=w), abs=1e-9)
    # arbitrary scores: within the resolution of 200 thresholds
    y2, p2, _ = _binary_data(3, 400)
    auc2 = M.AUC(num_thresholds=1000)
    auc2.update_state(y2, p2)
    assert auc2.result() == pytest.approx(sklearn_metrics.roc_auc_score(y2, p2), abs=5e-3)
    logits = M.AUC(from_logits=True)
    logits.update_state(y[:100], np.log(p[:100] / (1 - p[:100])))
    plain = M.AUC()
    plain.update_state(y[:100], p[:100])
    assert logits.result() == pytest.approx(plain.result())


def _pr_auc_reference(y, p, num_thresholds):
    """Keras's interpolated PR AUC (Davis & Goadrich) from the thresholded counts, in NumPy."""
    t = np.array([-1e-7] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1 + 1e-7])
    pred = p[None, :] > t[:, None]
    tp, fp = (pred & (y == 1)).sum(1).astype(float), (pred & (y == 0)).sum(1).astype(float)
    fn = ((~pred) & (y == 1)).sum(1).astype(float)
    total = 0.0
    for i in range(num_thresholds - 1):
        dtp, p0, p1 = tp[i] - tp[i + 1], tp[i] + fp[i], tp[i + 1] + fp[i + 1]
        dp = p0 - p1
        slope = dtp / dp if dp > 0 else 0.0
        intercept = tp[i + 1] - slope * p1
        ratio = p0 / p1 if p0 > 0 and p1 > 0 else 1.0
        denom = tp[i + 1] + fn[i + 1]
        total += slope * (dtp + intercept * np.log(ratio)) / denom if denom > 0 else 0.0
    return total


def test_pr_auc_interpolation_and_summation_methods():
    y, p, _ = _binary_data(4, 300)
    pr = M.AUC(curve="PR", num_thresholds=50)
    for s in _batches(300, 70):
        pr.update_state(y[s], p[s])
    assert pr.result() == pytest.approx(_pr_auc_reference(y, p, 50), rel=1e-10)
    assert pr.result() == pytest.approx(sklearn_metrics.average_precision_score(y, p), abs=0.03)
    lo, hi = M.AUC(summation_method="minoring"), M.AUC(summation_method="majoring")
    lo.update_state(y, p)
    hi.update_state(y, p)
    assert lo.result() <= sklearn_metrics.roc_auc_score(y, p) <= hi.result()
    with pytest.raises(ArgumentError, match="curve"):
        M.AUC(curve="DET")


def test_accuracy_family_and_regression_over_batches():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 5, 90)
    scores = rng.standard_normal((90, 5))
    onehot = np.eye(5)[labels]
    w = rng.uniform(0, 1, 90)
    checks = [
        (M.SparseCategoricalAccuracy(), labels, scores, scores.argmax(-1) == labels),
        (M.CategoricalAccuracy(), onehot, scores, scores.argmax(-1) == labels),
        (M.get("accuracy"), labels, scores, scores.argmax(-1) == labels),
        (M.TopKCategoricalAccuracy(k=2), onehot, scores,
         (np.argsort(-scores, -1)[:, :2] == labels[:, None]).any(-1)),
        (M.SparseTopKCategoricalAccuracy(k=3), labels[:, None], scores,
         (np.argsort(-scores, -1)[:, :3] == labels[:, None]).any(-1)),
        (M.BinaryAccuracy(threshold=0.2), (labels > 2).astype(float), scores[:, :1], (scores[:, 0] > 0.2) == (labels > 2)),
        (M.MeanSquaredError(), scores[:, ::-1], scores, ((scores[:, ::-1] - scores) ** 2).mean(-1)),
        (M.MeanAbsoluteError(), scores[:, ::-1], scores, np.abs(scores[:, ::-1] - scores).mean(-1)),
        (M.get("kl_divergence"), np.abs(scores), np.abs(scores[::-1]),
         (np.clip(np.abs(scores), 1e-7, 1) * np.log(np.clip(np.abs(scores), 1e-7, 1) /
                                                     np.clip(np.abs(scores[::-1]), 1e-7, 1))).sum(-1)),
    ]
    for metric, t, p, per_sample in checks:
        for s in _batches(90, 32):
            metric.update_state(t[s], p[s])
        assert metric.result() == pytest.approx(np.mean(per_sample)), metric.name
        metric.reset_state()
        for s in _batches(90, 32):
            metric.update_state(t[s], p[s], sample_weight=w[s])
        assert metric.result() == pytest.approx((per_sample * w).sum() / w.sum()), metric.name
    rmse = M.RootMeanSquaredError()
    for s in _batches(90, 40):
        rmse.update_state(scores[s, 0], scores[s, 1])
    assert rmse.result() == pytest.approx(np.sqrt(np.mean((scores[:, 0] - scores[:, 1]) ** 2)))
    assert isinstance(rmse.result(), float)


def test_mean_sum_and_loss_metrics():
    m, s = M.Mean(), M.Sum()
    m.update_state([1.0, 2.0, 3.0])
    m.update_state(4.0, sample_weight=3)
    s.update_state([1.0, 2.0], sample_weight=[2.0, 0.5])
    assert m.result() == pytest.approx((1 + 2 + 3 + 12) / 6) and s.result() == pytest.approx(3.0)
    bce = M.get("binary_crossentropy")
    y, p, _ = _binary_data(6, 50)
    bce.update_state(y[:, None], p[:, None])
    ref = -np.mean(y * np.log(np.clip(p, 1e-7, 1)) + (1 - y) * np.log(np.clip(1 - p, 1e-7, 1)))
    assert bce.result() == pytest.approx(ref) and bce.name == "binary_crossentropy"
    cos = M.CosineSimilarity()
    cos.update_state(np.array([[1.0, 0.0]]), np.array([[2.0, 0.0]]))
    assert cos.result() == pytest.approx(1.0)


def test_names_configs_and_errors():
    for name, cls in [("acc", M.AutoAccuracy), ("auc", M.AUC), ("precision", M.Precision), ("recall", M.Recall),
                      ("mse", M.MeanSquaredError), ("mae", M.MeanAbsoluteError),
                      ("root_mean_squared_error", M.RootMeanSquaredError),
                      ("top_k_categorical_accuracy", M.TopKCategoricalAccuracy),
                      ("sparse_top_k_categorical_accuracy", M.SparseTopKCategoricalAccuracy),
                      ("AUC", M.AUC), ("poisson", M.Poisson), ("hinge", M.Hinge)]:
        metric = M.get(name)
        assert type(metric) is cls and metric.name == name
    assert M.SparseTopKCategoricalAccuracy().get_config() == {"name": "sparse_top_k_categorical_accuracy", "k": 5}
    auc = M.get({"class_name": "AUC", "config": M.AUC(num_thresholds=50, curve="PR").get_config()})
    assert auc.num_thresholds == 50 and auc.curve == "PR"
    p = M.Precision.from_config(M.Precision(thresholds=0.3, class_id=1).get_config())
    assert p.class_id == 1 and p.init_thresholds == 0.3

    def close(y_true, y_pred):
        return np.abs(y_true - y_pred) < 0.5
    custom = M.get(close)
    custom.update_state(np.array([0.0, 1.0]), np.array([0.1, 0.2]))
    assert custom.result() == 0.5 and custom.name == "close"
    with pytest.raises(ArgumentError, match="known names: .*auc.*precision"):
        M.get("f1")
