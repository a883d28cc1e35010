"""keras.callbacks.TensorBoard: Keras 3's runs and tag names, read back by TensorBoard's loader.

Keras 3 (keras/callbacks/tensorboard.py) writes `<log_dir>/train` and `<log_dir>/validation`;
`epoch_<metric>` per epoch in each (validation names without `val_`), `epoch_learning_rate` in train,
`batch_<metric>` at the global batch count every `update_freq` batches, weight histograms as
`<weight path>/histogram` (`<layer>/<weight>`) and images as `<weight path>/image`, and
`evaluation_<metric>_vs_iterations` in validation at the optimizer's iteration count.
"""
import numpy as np
import pytest

from ember import keras
from ember.errors import ArgumentError

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


def load(path):
    acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0, "images": 0})
    acc.Reload()
    return acc


def fit(tmp_path, **kwargs):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((80, 4)).astype("float32")
    y = (x.sum(1) > 2).astype("int64")
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu", name="hidden"),
                              keras.layers.Dense(2, activation="softmax", name="out")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    tb = keras.callbacks.TensorBoard(log_dir=tmp_path, **kwargs)
    history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.2, verbose=0, callbacks=[tb])
    return model, history.history


def test_runs_tags_and_values_follow_keras(tmp_path):
    model, history = fit(tmp_path, histogram_freq=1, write_images=True, update_freq=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train", "validation"]
    train, val = load(tmp_path / "train"), load(tmp_path / "validation")
    assert set(train.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "batch_loss",
                                            "batch_accuracy"}
    assert set(val.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy", "evaluation_loss_vs_iterations",
                                          "evaluation_accuracy_vs_iterations"}
    for run, prefix in ((train, ""), (val, "val_")):
        for metric in ("loss", "accuracy"):
            events = run.Scalars(f"epoch_{metric}")
            assert [e.step for e in events] == [0, 1, 2]
            np.testing.assert_allclose([e.value for e in events], history[prefix + metric], rtol=1e-6)
    assert [e.value for e in train.Scalars("epoch_learning_rate")] == pytest.approx([0.01] * 3)
    assert [e.step for e in train.Scalars("batch_loss")] == [2, 4, 6, 8, 10, 12]  # 4 batches an epoch, every 2nd
    assert [e.step for e in val.Scalars("evaluation_loss_vs_iterations")] == [4, 8, 12]
    assert set(train.Tags()["histograms"]) == {"hidden/kernel/histogram", "hidden/bias/histogram",
                                               "out/kernel/histogram", "out/bias/histogram"}
    last = train.Histograms("hidden/kernel/histogram")[-1]
    kernel = model.get_layer("hidden").kernel.detach().numpy()
    assert last.step == 2 and last.histogram_value.num == kernel.size
    assert last.histogram_value.sum == pytest.approx(float(kernel.astype(np.float64).sum()), rel=1e-5)
    assert "hidden/kernel/image" in train.Tags()["images"]


def test_update_freq_epoch_writes_no_batch_scalars(tmp_path):
    fit(tmp_path, write_graph=False)
    train = load(tmp_path / "train")
    assert not any(t.startswith("batch_") for t in train.Tags()["scalars"]) and not train.Tags()["graph"]


def test_embeddings_freq_writes_the_projector_config(tmp_path):
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig
    x = np.random.default_rng(0).integers(0, 10, (32, 5))
    model = keras.Sequential([keras.Input(shape=(5,), dtype="int64"), keras.layers.Embedding(10, 3, name="emb"),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((32, 1), "float32"), epochs=2, verbose=0,
              callbacks=[keras.callbacks.TensorBoard(tmp_path, embeddings_freq=1)])
    config = text_format.Parse((tmp_path / "train" / "projector_config.pbtxt").read_text(), ProjectorConfig())
    assert [e.tensor_name for e in config.embeddings] == ["emb/embeddings:00000_emb_embeddings",
                                                          "emb/embeddings:00001_emb_embeddings"]
    last = np.loadtxt(tmp_path / "train" / config.embeddings[-1].tensor_path, delimiter="\t")
    np.testing.assert_allclose(last, model.get_layer("emb").embeddings.detach().numpy(), rtol=1e-6)


def test_bad_arguments(tmp_path):
    with pytest.raises(ArgumentError, match="update_freq"):
        keras.callbacks.TensorBoard(tmp_path, update_freq="sometimes")
    with pytest.raises(ArgumentError, match="profile_batch"):
        keras.callbacks.TensorBoard(tmp_path, profile_batch=2)
