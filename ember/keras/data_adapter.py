"""What `fit`, `evaluate` and `predict` accept, turned into batches for the one loop.

Three sources, one interface (`steps`, `batches(tensors=False)`, `first_x()`):
- arrays: NumPy arrays, ember tensors or nested lists, and lists/tuples/dicts of them for models
  with several inputs or outputs; batched here, shuffled with ember's default generator;
- re-iterable loaders: an `ember.data.DataLoader` or any iterable of batches, walked once per epoch;
- Python generators (and other iterators): drawn from across epochs; `steps_per_epoch` says how
  many batches make an epoch.
A batch from a loader or generator is `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`.

    >>> adapter = make(np.zeros((10, 3)), np.zeros(10), batch_size=4, op="fit")
    >>> adapter.steps
    3
"""
import math

import numpy as np

from ember.autograd import Tensor
from ember.autograd.tensor import _wrap
from ember.errors import ArgumentError, ShapeError
from ember.ops.creation import from_numpy, randperm
from ember.keras.layers.base import flatten, map_structure


def to_array(data, what, op):
    """A NumPy array from a NumPy array, an ember tensor or a nested list; floats become float32."""
    if data is None:
        raise ArgumentError(f"{op}: {what} is None; pass a NumPy array or an ember tensor")
    if isinstance(data, Tensor):
        data = data.detach().numpy()
    try:
        array = np.asarray(data)
    except ValueError:  # nested lists of different lengths
        raise ArgumentError(f"{op}: {what} is not a rectangular array of numbers (its rows have different "
                            "lengths); pad sequences to one length, e.g. keras.utils.pad_sequences") from None
    if array.dtype.kind not in "biuf" and array.dtype != object and array.dtype.name != "bfloat16":
        raise ArgumentError(f"{op}: {what} has dtype {array.dtype}; give numbers (encode labels or text as "
                            "integers first)")
    if array.dtype == object:
        raise ArgumentError(f"{op}: {what} is not a rectangular array of numbers (got an object array of "
                            f"shape {array.shape}); pad sequences to one length, e.g. keras.utils.pad_sequences")
    if array.dtype.kind == "f" and array.dtype != np.float32:
        array = array.astype(np.float32)
    if array.ndim == 0:
        raise ShapeError(f"{op}: {what} is a scalar; it needs a first (batch) dimension")
    return array


def to_arrays(data, what, op):
    """`to_array` on every leaf of a list/tuple/dict structure (None stays None)."""
    if data is None:
        return None
    if isinstance(data, (list, tuple)) and data and all(isinstance(d, (np.ndarray, Tensor)) for d in data):
        return [to_array(d, f"{what}[{i}]", op) for i, d in enumerate(data)]
    if isinstance(data, dict):
        return {k: to_array(v, f"{what}[{k!r}]", op) for k, v in data.items()}
    return to_array(data, what, op)


def check_batch_size(batch_size, op):
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
        raise ArgumentError(f"{op}: batch_size must be a positive int, got {batch_size!r}")


def as_tensor(array):
    if isinstance(array, Tensor):
        return array
    return from_numpy(np.ascontiguousarray(array))


def as_tensors(structure):
    """`structure` with every leaf but None an ember tensor (arrays shared, not copied, when contiguous)."""
    if structure is None:
        return None
    if type(structure) is tuple:  # a batch's (x, y, sample_weight): once per step, so no map_structure
        return tuple([as_tensors(s) for s in structure])
    if isinstance(structure, (list, tuple, dict)):
        return map_structure(lambda a: None if a is None else as_tensor(a), structure)
    return as_tensor(structure)


def is_iterator(data):
    return callable(getattr(data, "__next__", None))


def is_loader(data):
    """A re-iterable source of batches (an ember DataLoader or any iterable that is not array-like)."""
    return (hasattr(data, "__iter__") and not isinstance(data, (np.ndarray, Tensor, list, tuple, dict, str))
            and not is_iterator(data))


def unpack(batch):
    """(x, y, sample_weight) from what a loader or generator yields."""
    if isinstance(batch, tuple) and 1 <= len(batch) <= 3:
        return tuple(batch) + (None,) * (3 - len(batch))
    if isinstance(batch, list) and len(batch) in (2, 3) and not isinstance(batch[0], (int, float)):
        return tuple(batch) + (None,) * (3 - len(batch))
    return batch, None, None


PRESHUFFLE_BYTES = 256 << 20  # arrays up to this size are shuffled as a whole each epoch (memory-mapped
                              # ones larger than it are gathered batch by batch, never read whole)


class ArrayAdapter:
    """Batches of in-memory arrays, shuffled per epoch (`shuffle=True`) with ember's default generator."""

    def __init__(self, x, y, sample_weight, batch_size, steps, shuffle, op):
        self.x, self.y, self.sample_weight, self.op = x, y, sample_weight, op
        lengths = {(what, a.shape[0]) for what, s in (("x", x), ("y", y), ("sample_weight", sample_weight))
                   for a in flatten(s) if a is not None}
        sizes = {n for _, n in lengths}
        if len(sizes) > 1:
            detail = ", ".join(f"{what} has {n}" for what, n in sorted(lengths))
            raise ShapeError(f"{op}: x and y have different lengths ({detail} samples); give one target (and "
                             f"weight) per input sample")
        self.n = sizes.pop() if sizes else 0
        self.batch_size, self.shuffle = batch_size, shuffle
        self.nbytes = sum(a.nbytes for s in (x, y, sample_weight) for a in flatten(s) if a is not None)
        full = -(-self.n // batch_size)
        self.steps = full if steps is None else min(steps, full)

    def take(self, index):
        return _take(self.x, index), _take(self.y, index), _take(self.sample_weight, index)

    def split(self, fraction):
        """Keras's `validation_split`: (train, validation) adapters, the validation the last `fraction`
        of the samples, taken before any shuffling."""
        if not 0 < fraction < 1:
            raise ArgumentError(f"{self.op}: validation_split must be in [0, 1), got {fraction!r}")
        cut = int(math.floor(self.n * (1 - fraction)))
        if cut == 0 or cut == self.n:
            raise ArgumentError(f"{self.op}: validation_split={fraction} of {self.n} samples leaves an empty "
                                "training or validation set")
        head, tail = self.take(slice(0, cut)), self.take(slice(cut, None))
        return (ArrayAdapter(*head, self.batch_size, None, self.shuffle, self.op),
                ArrayAdapter(*tail, self.batch_size, None, False, self.op))

    def first_x(self):
        return self.take(slice(0, 1))[0]

    def batches(self, tensors=False):
        """This epoch's batches (x, y, sample_weight), shuffled afresh with `shuffle`; ember tensors with
        `tensors=True`. In-memory data is gathered once per epoch and cut into batches up front (a
        step then only takes the next one); larger memory-mapped data is gathered batch by batch."""
        convert = as_tensors if tensors else _unchanged
        size, order = self.batch_size, randperm(self.n).numpy() if self.shuffle else None
        if order is not None and self.nbytes > PRESHUFFLE_BYTES:
            return (convert(self.take(order[lo:lo + size])) for lo in range(0, self.steps * size, size))
        whole = (self.x, self.y, self.sample_weight) if order is None else self.take(order)
        starts = range(0, self.steps * size, size)
        if tensors and all(a is None or type(a) is np.ndarray for a in whole):
            # one input, one target: a tensor over each whole array (its dtype checked once), then views of it
            return iter(list(zip(*[_cuts(None if a is None else as_tensor(a), starts, size) for a in whole])))
        return iter([convert(tuple(_take(s, slice(lo, lo + size)) for s in whole)) for lo in starts])


def _cuts(tensor, starts, size):
    """Rows [lo, lo + size) of a contiguous tensor with no autograd history for each lo in `starts`, as
    tensors over views of its array (no op recorded); Nones for None."""
    if tensor is None:
        return [None] * len(starts)
    data, device = tensor._data, tensor._device
    return [_wrap(data[lo:lo + size], device) for lo in starts]


def _unchanged(batch):
    return batch


def _take(structure, index):
    """The rows `index` (a slice or an array of indices) of each array in `structure`."""
    if isinstance(index, np.ndarray):  # a gather: np.take copies rows about twice as fast as indexing
        return map_structure(lambda a: None if a is None else np.take(a, index, axis=0), structure)
    if structure is None or isinstance(structure, np.ndarray):  # one array: no map_structure per batch
        return None if structure is None else structure[index]
    return map_structure(lambda a: None if a is None else a[index], structure)


class LoaderAdapter:
    """Batches from a re-iterable loader (walked afresh each epoch) or an iterator (drawn across epochs)."""

    def __init__(self, source, steps, op):
        self.source, self.op, self._first = source, op, None
        self.iterator = source if is_iterator(source) else None
        if steps is None and hasattr(source, "__len__"):
            steps = len(source)
        self.steps = steps
        self.exhausted = False

    def _convert(self, batch):
        x, y, sw = unpack(batch)
        return to_arrays(x, "x", self.op), to_arrays(y, "y", self.op), to_arrays(sw, "sample_weight", self.op)

    def first_x(self):
        if self._first is None:
            it = self.iterator if self.iterator is not None else iter(self.source)
            try:
                self._first = self._convert(next(it))
            except StopIteration:
                raise ArgumentError(f"{self.op}: the data source yielded no batches") from None
            if self.iterator is None:
                self._first = None  # a re-iterable loader starts again each epoch
                return self._convert(next(iter(self.source)))[0]
        return self._first[0]

    def batches(self, tensors=False):
        """The batches (x, y, sample_weight) of one epoch, as arrays (ember tensors with `tensors=True`)."""
        convert = as_tensors if tensors else _unchanged
        return (convert(batch) for batch in self._arrays())

    def _arrays(self):
        it = self.iterator if self.iterator is not None else iter(self.source)
        done = 0
        if self._first is not None:
            first, self._first = self._first, None
            yield first
            done = 1
        while self.steps is None or done < self.steps:
            try:
                batch = next(it)
            except StopIteration:
                self.exhausted = self.iterator is not None
                return
            yield self._convert(batch)
            done += 1


def is_indexed(data):
    """A Keras `PyDataset` (or `Sequence`): batches by index, `len` of them, `on_epoch_end()` after each epoch."""
    return hasattr(data, "__getitem__") and hasattr(data, "__len__") and hasattr(data, "on_epoch_end") and \
        not isinstance(data, (np.ndarray, Tensor, list, tuple, dict, str))


class IndexedEpochs:
    """One walk per epoch over a `PyDataset`'s batches, in a fresh random order with `shuffle` (as Keras
    shuffles a PyDataset's batches), then its `on_epoch_end()`."""

    def __init__(self, dataset, shuffle):
        self.dataset, self.shuffle = dataset, shuffle

    def __len__(self):
        return len(self.dataset)

    def __iter__(self):
        n = len(self.dataset)
        order = randperm(n).numpy() if self.shuffle else range(n)
        last = n - 1
        for position, index in enumerate(order):
            batch = self.dataset[int(index)]
            if position == last:  # fit stops drawing after len() batches: end the epoch with the last one drawn
                self.dataset.on_epoch_end()
            yield batch


def make(x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False, op="fit"):
    """The adapter for what `op` was given."""
    if x is None:
        raise ArgumentError(f"{op}: x is None; pass NumPy arrays, ember tensors, a DataLoader or a generator")
    if is_indexed(x):
        x = IndexedEpochs(x, shuffle)
    if is_iterator(x) or is_loader(x):
        if y is not None:
            raise ArgumentError(f"{op}: y must be None when x is a {type(x).__name__}; the data source yields "
                                "(x, y) batches itself")
        if batch_size is not None and op.startswith("fit"):
            raise ArgumentError(f"{op}: batch_size must be None when x is a {type(x).__name__}; the data "
                                "source batches itself")
        return LoaderAdapter(x, steps, op)
    batch_size = 32 if batch_size is None else batch_size
    check_batch_size(batch_size, op)
    return ArrayAdapter(to_arrays(x, "x", op), to_arrays(y, "y", op), to_arrays(sample_weight, "sample_weight", op),
                        batch_size, steps, shuffle, op)
