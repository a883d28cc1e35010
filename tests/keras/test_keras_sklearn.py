"""keras.wrappers: Keras 3's scikit-learn wrappers on ember models pass scikit-learn's estimator checks
(with the same expected failures Keras lists for its own), work in Pipeline and GridSearchCV, and take
Keras's arguments."""
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from ember import keras

COVERS = {"keras.wrappers": ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]}


def dynamic_model(X, y, loss, out_activation_function="softmax", layers=(10,)):
    """An MLP sized by the data (the model function of Keras's own wrapper tests)."""
    inp = keras.Input(shape=(X.shape[1],))
    hidden = inp
    for size in layers:
        hidden = keras.layers.Dense(size, activation="relu")(hidden)
    n_outputs = y.shape[1] if len(y.shape) > 1 else 1
    model = keras.Model(inp, keras.layers.Dense(n_outputs, activation=out_activation_function)(hidden))
    model.compile(loss=loss, optimizer="rmsprop")
    return model


# Keras's own list of checks its wrappers are expected to fail (keras/src/wrappers/sklearn_test.py)
EXPECTED_FAILED = {
    "SKLearnClassifier": {
        "check_classifiers_regression_target": "as Keras's wrapper",
        "check_parameters_default_constructible": "as Keras's wrapper: model has no default",
        "check_classifiers_one_label_sample_weights": "as Keras's wrapper: 0 sample weight is not ignored",
        "check_classifiers_classes": "as Keras's wrapper: small cases do not always predict every class",
        "check_classifier_data_not_an_array": "as Keras's wrapper: assumes reproducible fits",
        "check_supervised_y_2d": "as Keras's wrapper: assumes reproducible fits",
        "check_fit_idempotent": "as Keras's wrapper: assumes reproducible fits",
        "check_classifiers_train": "as Keras's wrapper: decision_function returns probabilities",
    },
    "SKLearnRegressor": {"check_parameters_default_constructible": "as Keras's wrapper: model has no default"},
    "SKLearnTransformer": {"check_parameters_default_constructible": "as Keras's wrapper: model has no default"},
}


class _Named:
    """`fn` with a stable repr: the checks' test ids contain the estimator's repr, and a function's repr holds
    its address, which differs between pytest-xdist workers (they must collect the same ids)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def __repr__(self):
        return self.fn.__name__


@parametrize_with_checks(
    [keras.wrappers.SKLearnClassifier(model=_Named(dynamic_model), model_kwargs={"loss": "categorical_crossentropy",
                                                                          "layers": [20, 20, 20]},
                                      fit_kwargs={"epochs": 5}),
     keras.wrappers.SKLearnRegressor(model=_Named(dynamic_model), model_kwargs={"loss": "mse"}),
     keras.wrappers.SKLearnTransformer(model=_Named(dynamic_model), model_kwargs={"loss": "mse"})],
    expected_failed_checks=lambda est: EXPECTED_FAILED[type(est).__name__])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_pipeline_and_grid_search():
    X, y = make_classification(n_samples=160, n_features=6, n_informative=4, n_classes=3, random_state=0)
    clf = keras.wrappers.SKLearnClassifier(model=dynamic_model, model_kwargs={"loss": "categorical_crossentropy"},
                                           fit_kwargs={"epochs": 20, "batch_size": 16})
    pipe = make_pipeline(StandardScaler(), clf)
    search = GridSearchCV(pipe, {"sklearnclassifier__model_kwargs": [
        {"loss": "categorical_crossentropy", "layers": [8]}, {"loss": "categorical_crossentropy", "layers": [32]}]},
        cv=2)
    search.fit(X, y)
    assert set(search.predict(X)) <= set(y)
    assert search.best_score_ > 0.5

    Xr, yr = make_regression(n_samples=120, n_features=5, random_state=0)
    reg = keras.wrappers.SKLearnRegressor(model=dynamic_model,
                                          model_kwargs={"loss": "mse", "out_activation_function": "linear"},
                                          fit_kwargs={"epochs": 3})
    pred = make_pipeline(StandardScaler(), reg).fit(Xr, yr / 100).predict(Xr)
    assert pred.shape == yr.shape
    Xt = keras.wrappers.SKLearnTransformer(model=dynamic_model, model_kwargs={"loss": "mse"}).fit(Xr, Xr[:, 0])
    assert Xt.transform(Xr).shape == (120, 1)


def test_same_contract_as_keras_wrappers(real_keras):
    """Keras's wrappers and ember's, each with its own library's model function, on the same data:
    the same fitted attributes, output shapes and dtypes."""
    X, y = make_classification(n_samples=80, n_features=4, n_informative=3, n_redundant=0, n_classes=3,
                               random_state=1)
    labels = np.array(["a", "b", "c"])[y]

    def model_fn(k):
        def build(X, y, loss):
            inp = k.Input(shape=(X.shape[1],))
            out = k.layers.Dense(y.shape[1] if y.ndim > 1 else 1, activation="softmax")(k.layers.Dense(8)(inp))
            model = k.Model(inp, out)
            model.compile(loss=loss, optimizer="adam")
            return model
        return build
    for cls in ("SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"):
        target = labels if cls == "SKLearnClassifier" else X[:, 0]
        loss = "categorical_crossentropy" if cls == "SKLearnClassifier" else "mse"
        fitted = [getattr(k.wrappers, cls)(model=model_fn(k), model_kwargs={"loss": loss},
                                           fit_kwargs={"epochs": 2, "verbose": 0}).fit(X, target)
                  for k in (real_keras, keras)]
        outs = [f.predict(X) if cls != "SKLearnTransformer" else f.transform(X) for f in fitted]
        assert outs[0].shape == outs[1].shape and outs[0].dtype.kind == outs[1].dtype.kind, cls
        assert fitted[0].n_features_in_ == fitted[1].n_features_in_
        if cls == "SKLearnClassifier":
            assert list(fitted[0].classes_) == list(fitted[1].classes_)
            assert set(outs[1]) <= set(labels)
