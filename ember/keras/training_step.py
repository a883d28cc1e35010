"""How `fit` runs one training step: eagerly, compiled with `ember.compile` (one compiled step per
structure of the batch), or whichever of the two `jit_compile="auto"` measured faster; and how the
step's loss and outputs reach the `Objective`. Mixed into `Trainer` (trainer.py holds the loop).

A compiled step returns only what the objective reads (the loss, the per-output losses with several
outputs, the predictions when metrics need them), so a step without metrics hands back one scalar.
"""
import logging
import time

from ember import graph as ember_graph, optim
from ember.autograd import Tensor
from ember.keras import data_adapter as data
from ember.keras.layers.base import flatten, map_structure
from ember.keras.numerics import quiet

__all__ = ["TrainingStep"]

log = logging.getLogger("ember.keras")
_AUTO_TRIALS = 6  # steps timed per mode when jit_compile="auto" picks (the fastest of each decide)


def _structure(args, objective):
    """(a key for the structure of (x, y, sample_weight) and what `objective` reads of a step, the tensors
    in args): a step is compiled per key. One input and one target without weights is the common batch,
    found without flattening."""
    x, y, sw = args
    wants = (objective.wants_terms, objective.wants_preds)
    if type(x) is Tensor and type(y) is Tensor and sw is None:
        return (Tensor, Tensor, False, False, True) + wants, (x, y)
    leaves = flatten(args)
    return (type(x), type(y)) + tuple([a is None for a in leaves]) + wants, [a for a in leaves if a is not None]


class TrainingStep:
    """The training step of Keras models (mixed into `Trainer`, which sets the attributes it reads)."""

    def _apply_optimizer(self):
        if isinstance(self.optimizer, optim.Optimizer):
            self.optimizer.step()
        else:
            self.optimizer.apply_gradients()

    def _train_fn(self, x, y, sample_weight):
        """The training step: forward, loss, backward, update. Returns (total, loss terms, outputs)."""
        self._step_optimizer.zero_grad()
        preds = self._run_outputs(x, training=True)
        total, terms = self._objective.compute(y, preds, sample_weight, self._penalties())
        (self.optimizer.scale_loss(total) if hasattr(self.optimizer, "scale_loss") else total).backward()
        self._apply_optimizer()
        return total, terms, preds

    def _compile_step(self, key, args):
        """`ember.compile` of the training step for batches structured as `args` (x, y, sample_weight). It
        returns only what the loop reads: the loss terms with several outputs, the predictions when
        metrics need them (`key` ends with those two flags)."""
        skeleton, (terms_wanted, preds_wanted) = args, key[-2:]

        def run(*flat):
            it = iter(flat)
            x, y, sw = map_structure(lambda a: None if a is None else next(it), skeleton)
            total, terms, preds = self._train_fn(x, y, sw)
            if not (terms_wanted or preds_wanted):
                return total
            return total, terms if terms_wanted else [], preds if preds_wanted else []
        run.__name__ = f"{self.name}_train_step"
        step = self._compiled_steps[key] = ember_graph.compile(run, state=dict(self.state_dict(keep_vars=True)))
        return step

    def _train_batch(self, x, y, sample_weight, rows=None):
        with quiet():  # backward of log(0) and friends: silent, as in Keras and PyTorch
            return self._step_batch(data.as_tensors((x, y, sample_weight)), rows)

    def _step_batch(self, args, rows=None):
        """`_train_batch` on (x, y, sample_weight) as tensors, for callers already under `quiet()` (fit
        enters it once per epoch)."""
        if hasattr(self.optimizer, "before_step"):
            self.optimizer.before_step()
        # data-parallel, every rank must run the same collectives: compiled only when asked (jit_compile=True),
        # never by "auto"'s timing (each rank would time, and choose, on its own)
        choice = self._jit_choice if self._data_parallel is None else self._jit is True
        if choice is None:
            total, terms, preds = self._auto_step(args)
        elif choice:
            total, terms, preds = self._compiled_or_eager(args)
        else:
            total, terms, preds = self._train_fn(*args)
        x = args[0]
        rows = rows or (len(x) if isinstance(x, Tensor) else flatten(x)[0].shape[0])
        if self._data_parallel is None:
            self._objective.update(args[1], preds, args[2], total, terms, rows)
        else:
            self._update_objective(args, preds, total, terms, rows)
        return total

    def _update_objective(self, args, preds, total, terms, rows):
        """Add a batch to the loss and metrics; data-parallel, the whole global batch (every rank's slice)."""
        if self._data_parallel is not None:
            args, preds, total, terms, rows = self._data_parallel.global_batch(args, preds, total, terms, rows)
        self._objective.update(args[1], preds, args[2], total, terms, rows)

    def _compiled_or_eager(self, args):
        """The compiled step, one per structure of `args`; under "auto", a step that cannot be compiled (code
        that stops tracing, input shapes that keep changing) runs eagerly, now and from then on.
        `jit_compile=True` raises instead."""
        key, leaves = _structure(args, self._objective)
        step = self._compiled_steps.get(key) or self._compile_step(key, args)
        try:
            out = step(*leaves)
        except (ember_graph.TraceError, ember_graph.RecompileError) as e:
            if self._jit is True:
                raise
            log.warning("ember.keras: %s continues eagerly: %s", self.name, e)
            self._jit_choice = False
            self._step_optimizer.zero_grad()
            return self._train_fn(*args)
        return out if type(out) is tuple else (out, (), ())

    def _auto_step(self, args):
        """jit_compile="auto": trace on the first step, then time compiled and eager steps in turn and keep
        the faster (by the fastest of `_AUTO_TRIALS` each)."""
        trial = self.__dict__.setdefault("_auto_trial", {"compiled": [], "eager": []})
        compiled = len(trial["compiled"]) <= len(trial["eager"])  # trace, then alternate: same conditions
        start = time.perf_counter()
        out = self._compiled_or_eager(args) if compiled else self._train_fn(*args)
        trial["compiled" if compiled else "eager"].append(time.perf_counter() - start)
        if self._jit_choice is None and len(trial["eager"]) == _AUTO_TRIALS:
            # the fastest of each: on a loaded machine other processes only ever add time
            fast, slow = min(trial["compiled"][1:]), min(trial["eager"])  # [0] was the trace
            self._jit_choice = fast < slow
            log.info("ember.keras: %s trains %s (compiled step %.2f ms, eager %.2f ms)", self.name,
                     "compiled" if self._jit_choice else "eagerly", fast * 1e3, slow * 1e3)
        return out
