"""`ember`: the command line. `ember train` lands with the training issue (ember.keras)."""
import argparse
import sys

import ember


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ember", description="ember deep learning framework")
    parser.add_argument("--version", action="version", version=f"ember {ember.__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("train", help="train the default model on the embedded default dataset")
    args = parser.parse_args(argv)
    if args.command == "train":
        print("ember train: not yet available - the training loop (ember.keras, fit) is not built yet; "
              "the core (tensors, autograd, ops) is.", file=sys.stderr)
        return 2
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
