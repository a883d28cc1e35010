"""Transfer learning from an ONNX file: a feature extractor trained elsewhere (here: on the digits
0-4, then shipped as ONNX) is imported frozen with `ember.onnx.load(..., trainable=False)`, and only
a new Keras head (two Dense layers) is trained, on the digits 5-9 the extractor never saw.

Claims checked at the end: the new head reaches over 90% held-out accuracy on 5-9, the imported
body's weights do not change, and only the head's weights are trained.
"""
import os
import tempfile

import numpy as np

import ember
from ember import keras, nn
from ember.data.datasets import load_digits

ember.manual_seed(0)
train, test = load_digits(train=True), load_digits(train=False)


def subset(ds, classes):
    keep = np.isin(ds.targets, classes)
    return ds.data[keep].astype(np.float32), ds.targets[keep] - classes[0]   # pixels in [0, 1]


# 1. Elsewhere: a small CNN trained on the digits 0-4; its body is shipped as an ONNX file.
body = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                     nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
source = nn.Sequential(body, nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, 5))
x04, y04 = subset(train, [0, 1, 2, 3, 4])
opt = ember.optim.Adam(source.parameters(), lr=3e-3)
for epoch in range(8):
    for i in range(0, len(x04), 32):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(source(ember.tensor(x04[i:i + 32])), ember.tensor(y04[i:i + 32]))
        loss.backward()
        opt.step()
folder = tempfile.mkdtemp()
path = os.path.join(folder, "digits_features.onnx")
ember.onnx.export(body, ember.tensor(x04[:2]), path)

# 2. Here: import the body frozen, put a new head on it, and train the head on the digits 5-9.
features = ember.onnx.load(path, trainable=False)
model = keras.Sequential([features, keras.layers.Dense(64, activation="relu"), keras.layers.Dense(5)])
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
x59, y59 = subset(train, [5, 6, 7, 8, 9])
frozen_before = {k: v.numpy().copy() for k, v in features.state_dict().items()}
model.fit(x59, y59, epochs=15, batch_size=32, verbose=0)
xt, yt = subset(test, [5, 6, 7, 8, 9])
_, accuracy = model.evaluate(xt, yt, verbose=0)
trained = [p for p in model.parameters() if p.requires_grad]
print(f"held-out accuracy on 5-9 with a frozen body imported from ONNX: {accuracy:.3f}; "
      f"{sum(p.numel() for p in trained)} trained weights of {sum(p.numel() for p in model.parameters())}")

assert accuracy > 0.9, accuracy
assert all(np.array_equal(frozen_before[k], v.numpy()) for k, v in features.state_dict().items())
assert sum(p.numel() for p in trained) == (128 * 64 + 64) + (64 * 5 + 5)
