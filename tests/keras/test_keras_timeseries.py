"""keras.utils/preprocessing.timeseries_dataset_from_array against windows built in NumPy from Keras's
documented formula (Keras itself needs TensorFlow or Grain for this function, so it cannot be the reference
here), and a model trained on it."""
import numpy as np
import pytest

from ember import keras as ek


def windows(data, targets, length, stride, rate, start, end):
    end = len(data) if end is None else end
    starts = list(range(start or 0, end - (length - 1) * rate, stride))
    x = np.stack([data[i:i + length * rate:rate] for i in starts])
    return x, None if targets is None else np.asarray(targets)[starts]


@pytest.mark.parametrize("args", [dict(sequence_length=4), dict(sequence_length=3, sequence_stride=2, sampling_rate=2),
                                  dict(sequence_length=2, start_index=3, end_index=15)])
@pytest.mark.parametrize("with_targets", [True, False])
def test_windows_match_the_documented_formula(args, with_targets):
    data = np.arange(40.0).reshape(20, 2)
    targets = np.arange(20) * 10 if with_targets else None
    want_x, want_y = windows(data, targets, args["sequence_length"], args.get("sequence_stride", 1),
                             args.get("sampling_rate", 1), args.get("start_index"), args.get("end_index"))
    for fn in (ek.utils.timeseries_dataset_from_array, ek.preprocessing.timeseries_dataset_from_array):
        batches = list(fn(data, targets, batch_size=3, **args))
        xs = np.concatenate([(b[0] if with_targets else b).numpy() for b in batches])
        np.testing.assert_array_equal(xs, want_x)
        if with_targets:
            np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), want_y)
        assert all(len(b[0] if with_targets else b) <= 3 for b in batches)


def test_shuffled_with_a_seed_repeats_and_keeps_every_window():
    data = np.arange(30.0)
    runs = [[b[1].numpy().tolist() for b in ek.utils.timeseries_dataset_from_array(
        data, np.arange(30), 5, batch_size=4, shuffle=True, seed=3)] for _ in range(2)]
    assert runs[0] == runs[1]
    assert sorted(sum(runs[0], [])) == list(range(26)) and sum(runs[0], []) != list(range(26))


def test_fit_on_a_timeseries_dataset():
    rng = np.random.default_rng(0)
    series = np.sin(np.arange(200) / 5.0).astype("float32")[:, None] + rng.normal(0, 0.01, (200, 1)).astype("float32")
    ds = ek.utils.timeseries_dataset_from_array(series[:-8], series[8:, 0], sequence_length=8, batch_size=32)
    model = ek.Sequential([ek.Input((8, 1)), ek.layers.Flatten(), ek.layers.Dense(1)])
    model.compile(optimizer=ek.optimizers.Adam(0.02), loss="mse")
    history = model.fit(ds, epochs=15, verbose=0).history["loss"]
    assert history[-1] < 0.1 * history[0]
