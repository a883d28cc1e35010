"""keras.layers' recurrent cells and the generic RNN layer against Keras 3 (torch backend): each cell alone,
RNN over each cell and over stacked cells (sequences, states, backwards, masks), with Keras's weights, and a
user-written cell as in Keras's RNN guide."""
import numpy as np
import pytest

from ember import keras as ek

RNG = np.random.default_rng(9)
X = RNG.standard_normal((3, 5, 4)).astype("float32")
CELLS = {"SimpleRNNCell": lambda k: k.layers.SimpleRNNCell(3, activation="relu"),
         "LSTMCell": lambda k: k.layers.LSTMCell(3),
         "GRUCell": lambda k: k.layers.GRUCell(3),
         "GRUCell_before": lambda k: k.layers.GRUCell(3, reset_after=False),
         "StackedRNNCells": lambda k: k.layers.StackedRNNCells([k.layers.LSTMCell(3), k.layers.GRUCell(2)])}
COVERS = {"keras.layers": ["SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells", "RNN"]}


def as_np(v):
    v = v.detach() if hasattr(v, "detach") else v
    return np.asarray(v.cpu() if hasattr(v, "cpu") else v, dtype=np.float64)


def copy(real, ours):
    ours.set_weights([as_np(w).astype("float32") for w in real.get_weights()])


@pytest.mark.parametrize("name", sorted(CELLS))
@pytest.mark.parametrize("options", [dict(), dict(return_sequences=True, return_state=True),
                                     dict(return_sequences=True, go_backwards=True)])
def test_rnn_over_cells_matches_keras(real_keras, name, options):
    real = real_keras.Sequential([real_keras.Input((5, 4)), real_keras.layers.RNN(CELLS[name](real_keras),
                                                                                  **options)]) \
        if not options.get("return_state") else None
    if real is None:
        x = real_keras.Input((5, 4))
        real = real_keras.Model(x, real_keras.layers.RNN(CELLS[name](real_keras), **options)(x))
        y = ek.Input((5, 4))
        ours = ek.Model(y, ek.layers.RNN(CELLS[name](ek), **options)(y))
    else:
        ours = ek.Sequential([ek.Input((5, 4)), ek.layers.RNN(CELLS[name](ek), **options)])
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in real.get_weights()]
    copy(real, ours)
    want, got = real.predict(X, verbose=0), ours.predict(X, verbose=0)
    got, want = (list(v) if isinstance(v, (list, tuple)) else [v] for v in (got, want))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(as_np(g), as_np(w), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["SimpleRNNCell", "LSTMCell", "GRUCell"])
def test_one_cell_step(real_keras, name):
    cells = [CELLS[name](k) for k in (real_keras, ek)]
    states = [np.zeros((3, 3), "float32")] * (2 if name == "LSTMCell" else 1)
    out_real, new_real = cells[0](X[:, 0], states)
    cells[1](ek.ops.convert_to_tensor(X[:, 0]), [ek.ops.convert_to_tensor(s) for s in states])
    copy(cells[0], cells[1])
    out, new = cells[1](ek.ops.convert_to_tensor(X[:, 0]), [ek.ops.convert_to_tensor(as_np(s).astype("float32"))
                                                          for s in new_real])
    out_real2, new_real2 = cells[0](X[:, 0], new_real)
    np.testing.assert_allclose(as_np(out), as_np(out_real2), rtol=1e-5, atol=1e-6)
    for a, b in zip(new, new_real2):
        np.testing.assert_allclose(as_np(a), as_np(b), rtol=1e-5, atol=1e-6)
    assert cells[1].state_size == cells[0].state_size


def test_masked_rnn_matches_keras(real_keras):
    def build(k):
        model = k.Sequential([k.Input((6,), dtype="int32"), k.layers.Embedding(7, 4, mask_zero=True),
                              k.layers.RNN(k.layers.GRUCell(3), return_sequences=True)])
        return model
    real, ours = build(real_keras), build(ek)
    copy(real, ours)
    ids = np.array([[1, 2, 0, 0, 0, 0], [3, 4, 5, 6, 1, 0]], "int32")
    np.testing.assert_allclose(ours.predict(ids, verbose=0), real.predict(ids, verbose=0), rtol=1e-5, atol=1e-6)


def test_user_cell_as_in_the_rnn_guide(real_keras):
    """A minimal cell written as Keras's guide writes it, in RNN, trained for two epochs with equal losses."""
    def build(k):
        class MinimalRNNCell(k.layers.Layer):
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.units, self.state_size = units, units

            def build(self, input_shape):
                self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform",
                                              name="kernel")
                self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="orthogonal",
                                                        name="recurrent_kernel")

            def call(self, inputs, states):
                prev_output = states[0]
                h = k.ops.matmul(inputs, self.kernel)
                output = h + k.ops.matmul(prev_output, self.recurrent_kernel)
                return output, [output]
        model = k.Sequential([k.Input((5, 4)), k.layers.RNN(MinimalRNNCell(3)), k.layers.Dense(1)])
        model.compile(optimizer=k.optimizers.SGD(0.01), loss="mse")
        return model
    real, ours = build(real_keras), build(ek)
    copy(real, ours)
    y = RNG.standard_normal((3, 1)).astype("float32")
    want = real.fit(X, y, epochs=2, verbose=0, shuffle=False).history["loss"]
    got = ours.fit(X, y, epochs=2, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-5)
