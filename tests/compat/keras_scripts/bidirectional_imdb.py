"""A bidirectional LSTM on IMDB-like data, in the style of Keras's example: stand-in reviews of word
indices, padded to a fixed length; positive when "good" words (3) outnumber "bad" ones (4)."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(4)
max_features, maxlen = 30, 24
rng = np.random.default_rng(4)
reviews = [list(rng.integers(1, max_features, rng.integers(8, maxlen + 1))) for _ in range(640)]
labels = np.array([int(r.count(3) > r.count(4)) for r in reviews])
x_train = keras.utils.pad_sequences(reviews[:512], maxlen=maxlen)
x_val = keras.utils.pad_sequences(reviews[512:], maxlen=maxlen)
y_train, y_val = labels[:512], labels[512:]
print(len(x_train), "Training sequences")

inputs = keras.Input(shape=(None,), dtype="int32")
h = layers.Embedding(max_features, 16)(inputs)
h = layers.Bidirectional(layers.LSTM(12, return_sequences=True))(h)
h = layers.Bidirectional(layers.LSTM(12))(h)
outputs = layers.Dense(1, activation="sigmoid")(h)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=8, validation_data=(x_val, y_val), verbose=0)
print(f"val accuracy {history.history['val_accuracy'][-1]:.3f}")
assert history.history["val_accuracy"][-1] > 0.7, history.history
