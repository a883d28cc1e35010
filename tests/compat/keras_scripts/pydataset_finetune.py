"""Transfer learning in the style of Keras's "Transfer learning & fine-tuning" guide, on stand-in
data: a Sequential base with BatchNormalization and Dropout trained on NumPy arrays, then reused
frozen (trainable = False, BatchNormalization kept in inference mode) under a new head fed by a
keras.utils.PyDataset, and finally unfrozen and recompiled with a low learning rate."""
import math

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(6)
rng = np.random.default_rng(6)
centers = rng.standard_normal((6, 20)).astype("float32") * 2.0
labels = rng.integers(0, 6, size=900)
features = (centers[labels] + rng.standard_normal((900, 20)).astype("float32")).astype("float32")

base = keras.Sequential([
    keras.Input(shape=(20,)),
    layers.Dense(32, use_bias=False),
    layers.BatchNormalization(),
    layers.Activation("relu"),
    layers.Dropout(0.2),
    layers.Dense(16, activation="relu", name="embedding"),
], name="base")
pretrain = keras.Sequential([base, layers.Dense(6, activation="softmax")])
pretrain.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
pretrain.fit(features[:600], labels[:600], batch_size=32, epochs=4, verbose=0)


class PairsDataset(keras.utils.PyDataset):
    """Batches of (features, is the class even?) for the new task, reshuffled every epoch."""

    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.order = np.arange(len(x))

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, idx):
        rows = self.order[idx * self.batch_size:(idx + 1) * self.batch_size]
        return self.x[rows], (self.y[rows] % 2 == 0).astype("float32")[:, None]

    def on_epoch_end(self):
        np.random.default_rng(len(self.order)).shuffle(self.order)


base.trainable = False
assert base.trainable_weights == [] and len(base.non_trainable_weights) == 7
moving_mean = base.layers[1].moving_mean.numpy().copy()
kernel = base.get_layer("embedding").kernel.numpy().copy()
inputs = keras.Input(shape=(20,))
x = base(inputs, training=False)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
assert len(model.trainable_weights) == 2
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=keras.losses.BinaryCrossentropy(),
              metrics=[keras.metrics.BinaryAccuracy(name="acc")])
train, val = PairsDataset(features[600:800], labels[600:800], 25), PairsDataset(features[800:], labels[800:], 50)
frozen = model.fit(train, epochs=6, validation_data=val, verbose=0)
np.testing.assert_array_equal(base.layers[1].moving_mean.numpy(), moving_mean)   # BN left in inference mode
np.testing.assert_array_equal(base.get_layer("embedding").kernel.numpy(), kernel)

base.trainable = True
model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=keras.losses.BinaryCrossentropy(),
              metrics=[keras.metrics.BinaryAccuracy(name="acc")])
assert len(model.trainable_weights) == 2 + 5
history = model.fit(train, epochs=3, validation_data=val, verbose=0)
assert not np.array_equal(base.get_layer("embedding").kernel.numpy(), kernel)
print("frozen", [round(a, 3) for a in frozen.history["val_acc"]], "fine-tuned", history.history["val_acc"])
assert frozen.history["val_acc"][-1] > 0.8 and history.history["val_acc"][-1] >= frozen.history["val_acc"][-1] - 0.05
scores = model.evaluate(val, verbose=0, return_dict=True)
assert abs(scores["acc"] - history.history["val_acc"][-1]) < 1e-6
