"""`keras.wrappers`: Keras models as scikit-learn estimators (`SKLearnClassifier`, `SKLearnRegressor`,
`SKLearnTransformer`), with Keras 3's arguments, for `Pipeline`, `GridSearchCV` and `cross_val_score`.
Needs scikit-learn (the `datasets` extra).

`model` is a function `model(X, y, **model_kwargs)` returning a compiled Keras model (called at each
`fit`, so the shapes can follow the data), or a compiled model (rebuilt from its config at each
`fit`, unless `warm_start`).

    >>> def build(X, y, units=16):
    ...     inputs = keras.Input(shape=(X.shape[1],))
    ...     h = keras.layers.Dense(units, activation="relu")(inputs)
    ...     model = keras.Model(inputs, keras.layers.Dense(y.shape[1], activation="softmax")(h))
    ...     model.compile(loss="categorical_crossentropy", optimizer="adam")
    ...     return model
    >>> clf = keras.wrappers.SKLearnClassifier(build, model_kwargs={"units": 8}, fit_kwargs={"epochs": 5})
"""
import os
import tempfile

import numpy as np

from ember.errors import ArgumentError
from ember.keras import models

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.utils.multiclass import type_of_target
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError:  # distinct stand-in bases (one shared `object` gives no method order); the wrappers
    sklearn = None     # then explain how to get scikit-learn

    class BaseEstimator:
        pass

    class ClassifierMixin:
        pass

    class RegressorMixin:
        pass

    class TransformerMixin:
        pass

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


class _SKLBase(BaseEstimator):
    """The shared part: build (or rebuild) the model, validate the data, fit, predict."""

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        if sklearn is None:
            raise ArgumentError(f"{type(self).__name__} needs scikit-learn: pip install 'ember[datasets]'")
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __getstate__(self):
        """Pickling (scikit-learn's persistence, joblib in GridSearchCV) keeps the fitted model as the bytes
        of ember's model file (architecture, weights, optimizer: no pickled tensors, no code)."""
        state = dict(self.__dict__)
        if "model_" in state:
            state["model_"] = _model_bytes(state["model_"])
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model_"), bytes):
            state = {**state, "model_": _model_from_bytes(state["model_"])}
        self.__dict__.update(state)

    def _get_model(self, X, y):
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if callable(self.model) and not hasattr(self.model, "fit"):
            model = self.model(X=X, y=y, **(self.model_kwargs or {}))
        else:
            model = _rebuilt(self.model)
        if not getattr(model, "compiled", False) or model.optimizer is None or model.loss is None:
            raise ArgumentError(f"{type(self).__name__}: the model must be compiled with a loss and an optimizer")
        return model

    def fit(self, X, y, **kwargs):
        """Fit the model on X (n_samples, n_features) and y; `kwargs` go to `model.fit`."""
        X, y = validate_data(self, X, y, dtype="float32", y_numeric=not isinstance(self, ClassifierMixin))
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        fit_kwargs = {"verbose": 0, **(self.fit_kwargs or {}), **kwargs}
        self.history_ = model.fit(X, y, **fit_kwargs).history
        self.model_ = model
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype="float32")
        return self._reverse_process_target(self.model_.predict(X, verbose=0))

    def _process_target(self, y, reset=False):
        y = np.asarray(y)
        if reset:
            self._y_ndim = y.ndim
        return y.reshape(-1, 1).astype("float32") if y.ndim == 1 else y.astype("float32")

    def _reverse_process_target(self, y):
        return y.reshape(-1) if self._y_ndim == 1 and y.ndim == 2 and y.shape[1] == 1 else y


def _model_bytes(model):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.ember")
        model.save(path)
        with open(path, "rb") as f:
            return f.read()


def _model_from_bytes(data):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.ember")
        with open(path, "wb") as f:
            f.write(data)
        return models.load_model(path)


def _rebuilt(model):
    """A fresh copy of a compiled model: the same architecture and compile settings, new weights."""
    config, compile_config = model.get_config(), getattr(model, "_compile_config", None)
    copy = type(model).from_config(config)
    if compile_config:
        copy.compile(**{k: v for k, v in compile_config.items() if isinstance(v, (str, list, dict, float, int,
                                                                                     type(None)))})
    return copy


class SKLearnClassifier(ClassifierMixin, _SKLBase):
    """A Keras classifier for scikit-learn: the labels are one-hot encoded for the model (which ends in
    one unit per class), and `predict` returns labels of the classes seen in `fit` (`classes_`)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags

    def _process_target(self, y, reset=False):
        target = type_of_target(y, input_name="y", raise_unknown=True)
        if target not in ("binary", "multiclass"):
            raise ValueError(f"{type(self).__name__}: only binary and multiclass targets are supported, got {target}")
        y = np.asarray(y).reshape(-1, 1)
        if reset:
            self._encoder = OneHotEncoder(sparse_output=False).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError(f"{type(self).__name__}: fit needs at least two classes; y holds one class only "
                                 f"({self.classes_[0]!r})")
        return self._encoder.transform(y).astype("float32")

    def _reverse_process_target(self, y):
        return self._encoder.inverse_transform(y).reshape(-1)

    def decision_function(self, X):
        """The model's raw outputs for X."""
        check_is_fitted(self)
        return self.model_.predict(validate_data(self, X, reset=False, dtype="float32"), verbose=0)


class SKLearnRegressor(RegressorMixin, _SKLBase):
    """A Keras regressor for scikit-learn (y of shape (n,) or (n, outputs))."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, _SKLBase):
    """A Keras model as a scikit-learn transformer: `transform(X)` is the model's output."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags

    def transform(self, X):
        check_is_fitted(self)
        return self.model_.predict(validate_data(self, X, reset=False, dtype="float32"), verbose=0)
