"""`ember train`: train a small model with Keras's `fit`, report how well it does, write the model file.

    ember train                                   # CNN on the digits: test accuracy, ember-digits.ember
    ember train --model mlp --epochs 10
    ember train --model lstm --prompt "The river"  # char-level LM on ember's corpus, then a text sample
    ember train --config train.toml --seed 3       # options from a file; flags win over the file
"""
import argparse
import contextlib
import io
import os
import sys
import tempfile

from ember.cli import charlm, digits, export, monitor
from ember.cli.config import ConfigError, config_values
from ember.errors import ArgumentError
from ember.io.serialize import FileError, require_safetensors
from ember import distributed
from ember.distributed.launch import launch, under_mpirun
from ember.keras import distribution

MODELS = {
    "cnn": "a small CNN on the 8x8 digits (the default)",
    "mlp": "a one-hidden-layer MLP on the 8x8 digits",
    "lstm": "a character-level LSTM language model on ember's text corpus",
    "transformer": "a tiny causal transformer language model on ember's text corpus",
}

# Per model: epochs, batch size, weights file. With these the digits models reach >= 97% test accuracy
# and the language models a held-out perplexity near 5 (lstm) and 7 (transformer), against 58 for a
# uniform guess over the corpus's characters; each in well under a minute on 2 cores.
DEFAULTS = {
    "cnn": {"epochs": 20, "batch_size": 32, "output": "ember-digits.ember"},
    "mlp": {"epochs": 20, "batch_size": 32, "output": "ember-digits-mlp.ember"},
    "lstm": {"epochs": 10, "batch_size": 32, "output": "ember-char-lstm.ember"},
    "transformer": {"epochs": 10, "batch_size": 32, "output": "ember-char-transformer.ember"},
}
COMMON_DEFAULTS = {"model": "cnn", "seed": 0, "verbose": 2, "prompt": charlm.DEFAULT_PROMPT, "logdir": None,
                   "plot": None}

DESCRIPTION = ("Train a small model with Keras's fit(), report how well it does and write the model file\n"
               "(keras.models.load_model reads it).\n\nmodels:\n" +
               "\n".join(f"  {name:12s} {text}" for name, text in MODELS.items()) +
               "\n\nThe digits models need the `datasets` extra, and the model file the `files` extra (pip install\n"
               "'ember[datasets,files]'); the language models use the corpus that ships with ember and print\n"
               "a text sample generated from --prompt.")

EPILOG = """config files:
  --config reads a .json or .toml file whose keys are the option names, e.g. (TOML)
      model = "lstm"
      epochs = 4
      batch-size = 64
  Flags given on the command line override the file; an unknown key is an error.

examples:
  ember train
  ember train --model transformer --epochs 3 --output lm.ember
  ember train --config train.toml --seed 1
  ember train --logdir runs/cnn --plot curves.png   # then: tensorboard --logdir runs"""


def _per_model(key):
    return ", ".join(f"{m} {d[key]}" for m, d in DEFAULTS.items())


def add_arguments(parser):
    """The options of `ember train`. Defaults are None here and filled in by `resolve` (they depend
    on --model and on --config)."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description, parser.epilog = DESCRIPTION, EPILOG
    parser.add_argument("--model", choices=list(MODELS), help="which model to train (default: cnn)")
    parser.add_argument("--epochs", type=int, metavar="N",
                        help=f"passes over the training set (default: {_per_model('epochs')})")
    parser.add_argument("--batch-size", type=int, metavar="N",
                        help=f"samples per step (default: {_per_model('batch_size')})")
    parser.add_argument("--seed", type=int, metavar="N", help="random seed for weights, shuffling and sampling "
                                                              "(default: 0)")
    parser.add_argument("--output", metavar="PATH",
                        help="where to write the trained model (default: ember-digits.ember for cnn, "
                             "ember-digits-mlp.ember, ember-char-lstm.ember, ember-char-transformer.ember)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2),
                        help="0 silent, 1 progress bar, 2 one line per epoch (default: 2)")
    parser.add_argument("--prompt", metavar="TEXT",
                        help=f"lstm, transformer: the text the sample starts from (default: {charlm.DEFAULT_PROMPT!r})")
    parser.add_argument("--export-onnx", metavar="PATH",
                        help="also write the trained model as ONNX to PATH (as `ember export` does)")
    parser.add_argument("--nproc", type=int, metavar="N",
                        help="train data-parallel on N MPI processes (keras.distribution.DataParallel; the global "
                             "batch is --batch-size) (default: 1)")
    parser.add_argument("--logdir", metavar="DIR",
                        help="write TensorBoard logs there (keras.callbacks.TensorBoard: train/ and validation/ "
                             "runs); view with `tensorboard --logdir DIR`")
    parser.add_argument("--plot", metavar="PATH", help="save the training and validation curves as an image "
                                                       "(.png, .svg or .pdf; needs matplotlib)")
    parser.add_argument("--config", metavar="PATH",
                        help="read options from a .json or .toml file (flags given here override it)")


def resolve(parser, args):
    """The options to run with: the command line over the config file over the defaults."""
    given = {k: v for k, v in vars(args).items() if v is not None and k not in ("command", "config")}
    try:
        from_file = config_values(parser, args.config) if args.config else {}
    except ConfigError as e:
        parser.error(str(e))
    options = {**COMMON_DEFAULTS, **from_file, **given}
    options = {**DEFAULTS[options["model"]], **options}
    if options["epochs"] < 1 or options["batch_size"] < 1:
        parser.error(f"--epochs and --batch-size must be positive, got epochs={options['epochs']} "
                     f"and batch-size={options['batch_size']}")
    return argparse.Namespace(**options)


def run(args, parser):
    """Train the chosen model; returns the exit status."""
    options = resolve(parser, args)
    try:
        require_safetensors("ember train")  # the model file is written at the end: fail before training
        monitor.check(options)
    except (FileError, ArgumentError) as e:
        parser.error(str(e))
    if options.model in ("lstm", "transformer"):
        try:
            charlm.check_prompt(options.prompt)
        except ValueError as e:
            parser.error(str(e))
    nproc = getattr(options, "nproc", None) or 1
    if nproc < 1:
        parser.error(f"--nproc must be at least 1, got {nproc}")
    if nproc > 1 and not under_mpirun():
        return launch(nproc, ["-m", "ember.cli"] + _argv(options))
    if nproc > 1:
        return _run_data_parallel(options)
    return _train(options)


def _train(options):
    status = charlm.run(options) if options.model in ("lstm", "transformer") else digits.run(options)
    if status == 0 and getattr(options, "export_onnx", None):
        proto = export.export_file(options.output, options.export_onnx)
        print(f"ONNX model written to {options.export_onnx} (opset {proto.opset_import[0].version})")
    return status


def _argv(options):
    """`ember train` arguments that reproduce `options` (for the ranks of --nproc)."""
    flags = ("model", "epochs", "batch_size", "seed", "output", "verbose", "prompt", "nproc", "logdir", "plot",
             "export_onnx")
    return ["train"] + [arg for k in flags if getattr(options, k, None) is not None
                        for arg in (f"--{k.replace('_', '-')}", str(getattr(options, k)))]


def _run_data_parallel(options):
    """One rank of `ember train --nproc N`: rank 0 prints and writes the model file (and logs and plot);
    the others train their share silently and write their copies into a temporary folder (the options
    stay set, so every rank makes the same choices, such as holding out validation data)."""
    distribution.set_distribution(distribution.DataParallel())
    if distributed.get_rank() == 0:
        return _train(options)
    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stdout(io.StringIO()):
        for key in ("output", "logdir", "plot", "export_onnx"):
            if getattr(options, key, None):
                setattr(options, key, os.path.join(folder, os.path.basename(os.path.normpath(getattr(options, key)))))
        status = _train(options)
    sys.stdout.flush()
    return status
