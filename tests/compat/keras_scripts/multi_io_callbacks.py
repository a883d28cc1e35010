"""A functional model with two inputs and two outputs, in the style of Keras's "The Functional API"
guide (ticket priority and department from a title and tags): named outputs, per-output losses and
metrics given as dicts, loss_weights, and the usual callbacks on a validation split — EarlyStopping
with restore_best_weights, ReduceLROnPlateau, ModelCheckpoint keeping the best .keras file, and
CSVLogger."""
import csv
import os

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(2)
num_tags, num_words, num_departments, n = 12, 50, 4, 600
rng = np.random.default_rng(2)
title_data = rng.integers(1, num_words, size=(n, 10))
tags_data = rng.integers(0, 2, size=(n, num_tags)).astype("float32")
department_targets = keras.utils.to_categorical(2 * tags_data[:, 0] + tags_data[:, 1], num_departments)
priority_targets = ((tags_data[:, 2] + (title_data[:, :3] > 25).sum(1)) / 4.0)[:, None]

title_input = keras.Input(shape=(None,), name="title")
tags_input = keras.Input(shape=(num_tags,), name="tags")
title_features = layers.Embedding(num_words, 16)(title_input)
title_features = layers.GlobalAveragePooling1D()(title_features)
x = layers.concatenate([title_features, tags_input])
x = layers.Dense(32, activation="relu")(x)
priority_pred = layers.Dense(1, name="priority")(x)
department_pred = layers.Dense(num_departments, activation="softmax", name="department")(x)
model = keras.Model(inputs=[title_input, tags_input], outputs={"priority": priority_pred,
                                                               "department": department_pred})
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-2),
    loss={"priority": keras.losses.MeanSquaredError(), "department": keras.losses.CategoricalCrossentropy()},
    loss_weights={"priority": 1.0, "department": 0.5},
    metrics={"priority": [keras.metrics.MeanAbsoluteError(name="mae")], "department": ["accuracy"]},
)
callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True, verbose=1),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=1e-4),
    keras.callbacks.ModelCheckpoint("best.keras", monitor="val_department_accuracy", mode="max",
                                    save_best_only=True),
    keras.callbacks.CSVLogger("training.log"),
]
history = model.fit({"title": title_data, "tags": tags_data},
                    {"priority": priority_targets, "department": department_targets},
                    epochs=25, batch_size=32, validation_split=0.2, callbacks=callbacks, verbose=0)
h = history.history
print({k: round(v[-1], 4) for k, v in h.items()})
assert {"loss", "priority_loss", "department_loss", "priority_mae", "department_accuracy", "val_loss",
        "val_department_accuracy", "learning_rate"} <= set(h), sorted(h)
assert h["department_accuracy"][-1] > h["department_accuracy"][0] and max(h["val_department_accuracy"]) > 0.8
assert min(h["learning_rate"]) < 1e-2    # the plateau callback lowered it

# EarlyStopping put the best epoch's weights back: evaluating gives the best val_loss seen
val = slice(int(n * 0.8), n)
scores = model.evaluate([title_data[val], tags_data[val]],
                        {"priority": priority_targets[val], "department": department_targets[val]},
                        verbose=0, return_dict=True)
print(scores, min(h["val_loss"]))
assert abs(scores["loss"] - min(h["val_loss"])) < 1e-3 * max(1.0, min(h["val_loss"]))

with open("training.log") as f:
    rows = list(csv.DictReader(f))
assert len(rows) == len(h["loss"]) and "val_department_accuracy" in rows[0]
assert abs(float(rows[-1]["loss"]) - h["loss"][-1]) < 1e-4
best = keras.models.load_model("best.keras")
predictions = best.predict({"title": title_data[val], "tags": tags_data[val]}, verbose=0)
assert set(predictions) == {"priority", "department"} and predictions["department"].shape == (120, 4)
best_acc = float(np.mean(predictions["department"].argmax(1) == department_targets[val].argmax(1)))
assert abs(best_acc - max(h["val_department_accuracy"])) < 1e-6, (best_acc, max(h["val_department_accuracy"]))
assert os.path.exists("best.keras")
