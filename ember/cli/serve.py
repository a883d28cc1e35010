"""`ember serve`: serve model files over TF Serving's REST API and KServe's v2 protocol.

    ember serve ember-digits.ember                       # http://127.0.0.1:8501/v1/models/ember-digits
    ember serve models/digits --name digits              # a base folder: digits/1/, digits/2/, ...
    ember serve --model-config models.json --port 9000   # several models
"""
import argparse
import logging
import sys

try:  # the server needs the `serve` extra; `ember train` must work without it
    from ember import serve as ember_serve
    _MISSING = None
except ImportError as e:  # pragma: no cover - depends on the installation
    ember_serve, _MISSING = None, e

DESCRIPTION = ("Serve a model over TF Serving's REST API (/v1/models/NAME...) and KServe's v2 protocol\n"
               "(/v2/models/NAME...), with server-side batching, Prometheus metrics at /metrics and hot swap\n"
               "of new versions. PATH is a model file (keras model.save, ember.io.save_model; .onnx with ONNX\n"
               "import) or a base folder of versions NAME/1/, NAME/2/, ... each holding one model file.\n"
               "Needs the `serve` extra: pip install 'ember[serve]'.")

EPILOG = """examples:
  ember serve ember-digits.ember --name digits
  curl localhost:8501/v1/models/digits/metadata
  curl -d '{"instances": [[[[0.0], ...]]]}' localhost:8501/v1/models/digits:predict
  curl localhost:8501/v2/models/digits

model config (--model-config, JSON or TOML):
  {"models": [{"name": "digits", "base_path": "models/digits"}, {"name": "mlp", "base_path": "mlp.ember"}]}"""


def add_arguments(parser):
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description, parser.epilog = DESCRIPTION, EPILOG
    parser.add_argument("path", nargs="?", metavar="PATH", help="a model file or a base folder of versions")
    parser.add_argument("--name", help="the model's name in URLs (default: the file or folder name)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this "
                                                            "machine only)")
    parser.add_argument("--port", type=int, default=8501, help="port (default: 8501; 0 picks a free one)")
    parser.add_argument("--max-batch-size", type=int, default=32, metavar="N",
                        help="samples merged into one model run (default: 32; 1 turns batching off)")
    parser.add_argument("--batch-timeout-ms", type=float, default=2.0, metavar="MS",
                        help="how long a batch waits for more requests (default: 2)")
    parser.add_argument("--max-body-mb", type=float, default=64.0, metavar="MB",
                        help="larger request bodies get 413 (default: 64)")
    parser.add_argument("--request-timeout-s", type=float, default=30.0, metavar="S",
                        help="an inference slower than this gets 504 (default: 30)")
    parser.add_argument("--model-config", metavar="FILE", help="serve the models listed in a JSON or TOML file")
    parser.add_argument("--poll-s", type=float, default=1.0, metavar="S",
                        help="how often base folders are checked for new versions (default: 1; 0: never)")


def run(args, parser):
    """Serve until SIGTERM/SIGINT; returns the exit status."""
    if ember_serve is None:
        parser.error(f"ember serve needs the `serve` extra (pip install 'ember[serve]'): {_MISSING}")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        server = ember_serve.Server(args.path, name=args.name, host=args.host, port=args.port,
                                    max_batch_size=args.max_batch_size, batch_timeout_ms=args.batch_timeout_ms,
                                    max_body_mb=args.max_body_mb, request_timeout_s=args.request_timeout_s,
                                    model_config=args.model_config, poll_interval_s=args.poll_s)
    except ember_serve.ModelLoadError as e:
        parser.error(str(e))
    try:
        return server.run()
    except OSError as e:
        parser.error(f"cannot listen on {args.host}:{args.port}: {e}")
