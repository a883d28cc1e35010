"""`ember train --logdir DIR` and `--plot PATH`: TensorBoard logs and a picture of the training curves.

    ember train --logdir runs/cnn     # then: tensorboard --logdir runs
    ember train --plot curves.png     # training and validation loss (and accuracy) per epoch
"""
import os

from ember.errors import ArgumentError
from ember.keras.callbacks import TensorBoard


def wanted(options):
    """True when the run should also evaluate validation data each epoch (for the logs or the plot)."""
    return bool(options.logdir or options.plot)


def check(options):
    """Fail before training when the plot cannot be written (no matplotlib, unknown file type)."""
    if not options.plot:
        return
    try:
        import matplotlib  # noqa: F401 -- the `plot` extra: only checked when --plot is given
    except ImportError:
        raise ArgumentError("--plot needs matplotlib: pip install 'ember[plot]'") from None
    ext = os.path.splitext(options.plot)[1].lower()
    if ext not in (".png", ".svg", ".pdf"):
        raise ArgumentError(f"--plot {options.plot}: the file must end in .png, .svg or .pdf")


def callbacks(options):
    return [TensorBoard(log_dir=options.logdir)] if options.logdir else []


def finish(options, history):
    """Write the plot of `history` (a keras History) to --plot; print where the logs are."""
    if options.logdir:
        print(f"TensorBoard logs in {options.logdir}; view them with: tensorboard --logdir {options.logdir}")
    if options.plot:
        save_curves(history.history, options.plot)
        print(f"training curves written to {options.plot}")


def save_curves(history, path):
    """One panel per metric (loss, accuracy, ...), training and validation curves per epoch."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # the `plot` extra
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
    metrics = [k for k in history if not k.startswith("val_")]
    fig = Figure(figsize=(5 * len(metrics), 4), dpi=100)
    FigureCanvasAgg(fig)
    for i, name in enumerate(metrics):
        ax = fig.add_subplot(1, len(metrics), i + 1)
        epochs = range(1, len(history[name]) + 1)
        ax.plot(epochs, history[name], marker="o", label=f"training {name}")
        if "val_" + name in history:
            ax.plot(epochs, history["val_" + name], marker="s", label=f"validation {name}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(path)
