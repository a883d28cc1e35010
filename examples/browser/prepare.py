"""Make what the browser page reads: `model.onnx` (the digits CNN, trained by `ember train` and
exported with `--export-onnx`) and `digits.json` (the held-out test digits, 8x8x1, and their labels).

    python examples/browser/prepare.py                  # then: python -m http.server -d examples/browser
    python examples/browser/prepare.py --epochs 2 --out /tmp/page
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def write_digits(path):
    from ember.data.datasets import load_digits
    test = load_digits(train=False)
    images = test.data.transpose(0, 2, 3, 1)      # channels last, as the Keras CNN of `ember train` takes them
    with open(path, "w") as f:
        json.dump({"shape": list(images.shape[1:]), "images": images.reshape(len(images), -1).tolist(),
                   "labels": [int(y) for y in test.targets]}, f)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", default=HERE, help="folder for model.onnx, model.ember and digits.json")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    subprocess.run([sys.executable, "-m", "ember.cli", "train", "--model", "cnn", "--epochs", str(args.epochs),
                    "--verbose", "0", "--output", os.path.join(args.out, "model.ember"),
                    "--export-onnx", os.path.join(args.out, "model.onnx")], check=True)
    write_digits(os.path.join(args.out, "digits.json"))


if __name__ == "__main__":
    main()
