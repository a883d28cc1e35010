"""Imbalanced classification, in the style of Keras's credit-card fraud example: few positives,
class weights, and confusion-count metrics."""
import numpy as np
import keras

keras.utils.set_random_seed(5)
rng = np.random.default_rng(5)
features = rng.standard_normal((1200, 10)).astype("float32")
targets = ((features[:, 0] + features[:, 1] * features[:, 2] + 0.3 * rng.standard_normal(1200)) > 2.2)
targets = targets.astype("uint8")[:, None]
num_val = int(len(features) * 0.2)
train_features, train_targets = features[:-num_val], targets[:-num_val]
val_features, val_targets = features[-num_val:], targets[-num_val:]
counts = np.bincount(train_targets[:, 0])
print(f"Number of positive samples in training data: {counts[1]} ({100 * float(counts[1]) / len(train_targets):.2f}%)")

mean, std = np.mean(train_features, axis=0), np.std(train_features, axis=0)
train_features = (train_features - mean) / std
val_features = (val_features - mean) / std

model = keras.Sequential([
    keras.Input(shape=train_features.shape[1:]),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dropout(0.3),
    keras.layers.Dense(1, activation="sigmoid"),
])
metrics = [keras.metrics.FalseNegatives(name="fn"), keras.metrics.FalsePositives(name="fp"),
           keras.metrics.TrueNegatives(name="tn"), keras.metrics.TruePositives(name="tp"),
           keras.metrics.Precision(name="precision"), keras.metrics.Recall(name="recall")]
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=metrics)
weight_for_0, weight_for_1 = 1.0 / counts[0], 1.0 / counts[1]
class_weight = {0: weight_for_0, 1: weight_for_1}
history = model.fit(train_features, train_targets, batch_size=256, epochs=12, verbose=0,
                    validation_data=(val_features, val_targets), class_weight=class_weight)
print("val recall", history.history["val_recall"][-1])
assert history.history["val_recall"][-1] > 0.6, history.history["val_recall"]
assert history.history["val_tp"][-1] + history.history["val_fn"][-1] == val_targets.sum()
