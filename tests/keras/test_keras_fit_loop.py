"""The fit loop's per-step bookkeeping against Keras 3 (torch backend): the logs each batch hook sees (running
averages of the loss and metrics), History with and without callbacks that read batches, sample and class
weights, several outputs, and the NumPy error state callbacks and data sources run in. `fit` builds a
batch's logs only when a callback reads them and returns from a compiled step only what it updates, so
these pin that nothing observable changed with it."""
import numpy as np
import pytest

from ember import keras as ek

COVERS = {"keras.callbacks": ["CallbackList"]}


def data(n=24, features=4, classes=3):
    rng = np.random.default_rng(1)
    return rng.standard_normal((n, features)).astype("float32"), rng.integers(0, classes, n)


def classifier(k, real=None, metrics=("accuracy",), jit=None):
    model = k.Sequential([k.Input(shape=(4,)), k.layers.Dense(8, activation="relu"),
                          k.layers.Dense(3, activation="softmax")])
    if real is not None:
        model.set_weights(real.get_weights())
    extra = {} if jit is None else {"jit_compile": jit}
    model.compile(optimizer=k.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                  metrics=list(metrics) or None, **extra)
    return model


def recorder(k, seen, batch="on_train_batch", epochs=True):
    """A callback that records what its `{batch}_begin`/`{batch}_end` hooks (and on_epoch_end) see."""
    def hook(what):
        return lambda self, i, logs=None: seen.append((what, i, dict(logs or {})))
    hooks = {f"{batch}_begin": hook("begin"), f"{batch}_end": hook("end")}
    if epochs:
        hooks["on_epoch_end"] = hook("epoch")
    return type("Recorder", (k.callbacks.Callback,), hooks)()


def fit_records(real_keras, jit, fit_epochs, **recorder_args):
    """What a recorder sees in Keras's fit and in ember's, the same model and data."""
    x, y = data()
    real = classifier(real_keras)
    ours = classifier(ek, real, jit=jit)
    records = {}
    for name, k, model in (("real", real_keras, real), ("ours", ek, ours)):
        seen = records[name] = []
        model.fit(x, y, batch_size=5, epochs=fit_epochs, shuffle=False, verbose=0,
                  callbacks=[recorder(k, seen, **recorder_args)])
    return records


def assert_same_records(ours, real):
    assert [(hook, i, sorted(logs)) for hook, i, logs in ours] == [(hook, i, sorted(logs)) for hook, i, logs in real]
    for (_, _, a), (_, _, b) in zip(ours, real):
        np.testing.assert_allclose([a[key] for key in sorted(b)], [b[key] for key in sorted(b)], rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("jit", [False, True])
def test_batch_hooks_see_keras_running_averages(real_keras, jit):
    records = fit_records(real_keras, jit, 2)
    assert_same_records(records["ours"], records["real"])


@pytest.mark.parametrize("weights", ["none", "sample_weight", "class_weight"])
def test_history_is_keras_whether_or_not_a_callback_reads_batches(real_keras, weights):
    x, y = data()
    given = {"none": {}, "sample_weight": {"sample_weight": np.linspace(0.5, 2.0, len(y)).astype("float32")},
             "class_weight": {"class_weight": {0: 1.0, 1: 2.5, 2: 0.5}}}[weights]
    real = classifier(real_keras)
    start = real.get_weights()
    h_real = real.fit(x, y, batch_size=7, epochs=3, shuffle=False, verbose=0, **given).history
    histories = []
    for callbacks in ([], [recorder(ek, [])], [ek.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: None)]):
        ours = classifier(ek, jit=True)
        ours.set_weights(start)
        histories.append(ours.fit(x, y, batch_size=7, epochs=3, shuffle=False, verbose=0, callbacks=callbacks,
                                  **given).history)
    for h in histories:
        assert sorted(h) == sorted(h_real)
        for key in h_real:
            np.testing.assert_allclose(h[key], h_real[key], rtol=2e-5, atol=1e-6)


def two_outputs(k, real=None):
    inputs = k.Input(shape=(4,))
    hidden = k.layers.Dense(6, activation="tanh")(inputs)
    model = k.Model(inputs, [k.layers.Dense(1, name="a")(hidden), k.layers.Dense(2, name="b")(hidden)])
    if real is not None:
        model.set_weights(real.get_weights())
    model.compile(optimizer=k.optimizers.SGD(0.05), loss=["mse", "mae"], loss_weights=[1.0, 0.5],
                  **({} if real is None else {"jit_compile": True}))
    return model


def test_per_output_losses_of_a_compiled_step_are_keras(real_keras):
    x, _ = data()
    ya, yb = x[:, :1] * 2.0, x[:, 1:3] - 1.0
    real = two_outputs(real_keras)
    ours = two_outputs(ek, real)
    records = {}
    for name, k, model in (("real", real_keras, real), ("ours", ek, ours)):
        seen = records[name] = []
        model.fit(x, [ya, yb], batch_size=8, epochs=2, shuffle=False, verbose=0, callbacks=[recorder(k, seen)])
    assert_same_records(records["ours"], records["real"])


def test_callbacks_and_generators_run_in_the_callers_numpy_error_state(real_keras):
    x, y = data()

    def run(k, model):
        states = []

        def batches():
            for _ in range(2):
                states.append(("data", np.geterr()["divide"]))
                yield x[:8], y[:8]

        class Watch(k.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                states.append(("begin", np.geterr()["divide"]))

            def on_train_batch_end(self, batch, logs=None):
                states.append(("end", np.geterr()["divide"]))
        with np.errstate(divide="raise"):
            model.fit(batches(), steps_per_epoch=2, epochs=1, shuffle=False, verbose=0, callbacks=[Watch()])
            model.fit(x, y, batch_size=12, epochs=1, verbose=0, callbacks=[Watch()])
        return states
    real = classifier(real_keras, metrics=())
    ours = run(ek, classifier(ek, real, metrics=()))
    theirs = run(real_keras, real)  # Keras draws from a generator ahead of the hooks: compare what, not when
    assert set(ours) == set(theirs) == {("data", "raise"), ("begin", "raise"), ("end", "raise")}


def test_callback_list_wants_only_overridden_hooks():
    class Batches(ek.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass
    calls = ek.callbacks.CallbackList([ek.callbacks.History(),
                                       ek.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: None)])
    assert not calls.wants("on_train_batch_end") and not calls.wants("on_train_batch_begin")
    assert calls.wants("on_epoch_end")
    calls.append(Batches())
    assert calls.wants("on_train_batch_end") and not calls.wants("on_train_batch_begin")
    lam = ek.callbacks.CallbackList([ek.callbacks.LambdaCallback(on_train_batch_begin=lambda b, logs: None)])
    assert lam.wants("on_train_batch_begin") and not lam.wants("on_train_batch_end")


@pytest.mark.parametrize("jit", [False, True])
def test_keras_older_batch_hook_names_are_called_as_keras(real_keras, jit):
    """on_batch_begin/on_batch_end, Keras's older names, run from on_train_batch_begin/end as in Keras."""
    records = fit_records(real_keras, jit, 1, batch="on_batch", epochs=False)
    assert len(records["real"]) == 10
    assert_same_records(records["ours"], records["real"])
    assert ek.callbacks.CallbackList([recorder(ek, [], "on_batch", False)]).wants("on_train_batch_end")
