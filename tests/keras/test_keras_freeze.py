"""Freezing and call-time `training=` in nested models, as in Keras's transfer-learning guide: the
same code on real Keras (torch backend) and on ember.keras, comparing which weights move."""
import numpy as np

from ember import keras as ember_keras


def _freeze_then_unfreeze(keras):
    keras.utils.set_random_seed(3)
    x = np.random.default_rng(3).standard_normal((32, 4)).astype("float32") * 2 + 1
    y = (x[:, :1] > 1).astype("float32")

    class Scaled(keras.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(), initializer="ones", trainable=False, name="scale")

        def call(self, inputs):
            return inputs * self.scale

    base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, use_bias=False),
                             keras.layers.BatchNormalization(), Scaled()])
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(base(inputs, training=False)))
    bn = base.layers[1]
    seen = {}
    for phase, trainable in (("frozen", False), ("unfrozen", True)):
        base.trainable = trainable
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy")
        before = np.array(bn.moving_mean.numpy())
        model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
        seen[phase] = (bool(bn.trainable), len(model.trainable_weights), len(base.non_trainable_weights),
                       not np.allclose(before, bn.moving_mean.numpy()))
    seen["scale trainable"] = bool(base.layers[2].scale.trainable)
    return seen


def test_frozen_base_with_recorded_training_false_behaves_as_in_keras(real_keras):
    ours, theirs = _freeze_then_unfreeze(ember_keras), _freeze_then_unfreeze(real_keras)
    assert ours == theirs
    # Keras: a frozen BatchNormalization keeps its statistics; once unfrozen, fit's training=True
    # overrides the training=False recorded in the graph, so they move again
    assert theirs["frozen"][3] is False and theirs["unfrozen"][3] is True
