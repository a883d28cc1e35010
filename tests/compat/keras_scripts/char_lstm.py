"""Character-level text generation with an LSTM, in the style of Keras's example: one-hot (bool)
windows of a small stand-in text, next-character prediction, sampling with a temperature."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(3)
text = ("the quick brown fox jumps over the lazy dog. " * 6 + "a stitch in time saves nine. " * 6).lower()
chars = sorted(list(set(text)))
print("Total chars:", len(chars))
char_indices = dict((c, i) for i, c in enumerate(chars))
indices_char = dict((i, c) for i, c in enumerate(chars))

maxlen, step = 10, 3
sentences, next_chars = [], []
for i in range(0, len(text) - maxlen, step):
    sentences.append(text[i: i + maxlen])
    next_chars.append(text[i + maxlen])
x = np.zeros((len(sentences), maxlen, len(chars)), dtype="bool")
y = np.zeros((len(sentences), len(chars)), dtype="bool")
for i, sentence in enumerate(sentences):
    for t, char in enumerate(sentence):
        x[i, t, char_indices[char]] = 1
    y[i, char_indices[next_chars[i]]] = 1

model = keras.Sequential([keras.Input(shape=(maxlen, len(chars))), layers.LSTM(48),
                          layers.Dense(len(chars), activation="softmax")])
optimizer = keras.optimizers.RMSprop(learning_rate=0.01)
model.compile(loss="categorical_crossentropy", optimizer=optimizer)


def sample(preds, temperature=1.0):
    preds = np.asarray(preds).astype("float64")
    preds = np.log(preds) / temperature
    exp_preds = np.exp(preds)
    preds = exp_preds / np.sum(exp_preds)
    probas = np.random.multinomial(1, preds, 1)
    return np.argmax(probas)


history = model.fit(x, y, batch_size=32, epochs=12, verbose=0)
sentence = text[:maxlen]
generated = ""
for i in range(20):
    x_pred = np.zeros((1, maxlen, len(chars)))
    for t, char in enumerate(sentence):
        x_pred[0, t, char_indices[char]] = 1.0
    preds = model.predict(x_pred, verbose=0)[0]
    next_char = indices_char[sample(preds, 0.5)]
    sentence = sentence[1:] + next_char
    generated += next_char
print("Generated:", generated)
assert history.history["loss"][-1] < 0.6 * history.history["loss"][0], history.history["loss"]
