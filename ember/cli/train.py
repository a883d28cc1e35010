"""`ember train`: train a small Keras-style model on the digits dataset and write its weights."""
import time

from ember import io, keras
from ember.data.datasets import load_digits

MODELS = ("cnn", "mlp")


def build_model(kind):
    """The digits models: a small CNN on (8, 8, 1) images, or an MLP on 64 pixels."""
    layers = keras.layers
    if kind == "cnn":
        body = [keras.Input(shape=(8, 8, 1)), layers.Conv2D(32, 3, padding="same", activation="relu"),
                layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(), layers.Flatten(),
                layers.Dense(64, activation="relu"), layers.Dropout(0.25)]
    else:
        body = [keras.Input(shape=(64,)), layers.Dense(128, activation="relu"), layers.Dropout(0.3)]
    head = [layers.Dense(10, activation="softmax")]
    return keras.Sequential(body + head, name=f"digits_{kind}")


def load_data(kind):
    """Digits as channels-last images (cnn) or flat rows (mlp): ((x_train, y_train), (x_test, y_test))."""
    parts = []
    for train in (True, False):
        ds = load_digits(train=train)
        x = ds.data.transpose(0, 2, 3, 1) if kind == "cnn" else ds.data.reshape(len(ds), -1)
        parts.append((x, ds.targets))
    return parts


def add_arguments(parser):
    parser.add_argument("--model", choices=MODELS, default="cnn", help="which model to train (default: cnn)")
    parser.add_argument("--epochs", type=int, default=20, help="passes over the training set (default: 20)")
    parser.add_argument("--batch-size", type=int, default=32, help="samples per step (default: 32)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for weights and shuffling (default: 0)")
    parser.add_argument("--output", default="ember-digits.ember",
                        help="where to write the trained weights (default: ember-digits.ember)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=2,
                        help="0 silent, 1 progress bar, 2 one line per epoch (default: 2)")


def run(args):
    """Train, evaluate on the held-out split, save; returns the exit status."""
    if args.epochs < 1 or args.batch_size < 1:
        raise SystemExit("ember train: --epochs and --batch-size must be positive")
    keras.utils.set_random_seed(args.seed)
    start = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = load_data(args.model)
    model = build_model(args.model)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    print(f"ember train: {args.model} on digits ({len(x_train)} training, {len(x_test)} test samples), "
          f"{args.epochs} epochs, batch size {args.batch_size}, seed {args.seed}")
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=args.verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    io.save(model.state_dict(), args.output)
    print(f"test accuracy: {accuracy:.4f} (test loss {loss:.4f})")
    print(f"weights written to {args.output} ({time.perf_counter() - start:.1f}s)")
    return 0
