"""Summary protos from arrays, one builder per kind, in the layouts TensorBoard's plugins read
(the same as PyTorch's `torch.utils.tensorboard.summary`). Every proto comes from the `tensorboard`
package; only PNG encoding of images is done here (zlib), so no imaging library is needed.

    >>> scalar("loss", 0.25).value[0].simple_value
    0.25
"""
import struct
import zlib

import numpy as np

from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, ShapeError
from ember.utils.tensorboard._deps import summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.plugins.pr_curve import metadata as pr_metadata
from tensorboard.plugins.text import plugin_data_pb2 as text_pb2


def as_numpy(x, what):
    """An ember tensor, NumPy array, list or number as a NumPy array."""
    if isinstance(x, Tensor):
        return x.detach().cpu().numpy() if hasattr(x, "cpu") else x.numpy()
    try:
        return np.asarray(x)
    except (TypeError, ValueError) as e:
        raise ArgumentError(f"{what}: expected a tensor, array or number, got {type(x).__name__} ({e})") from None


def scalar(tag, value):
    v = as_numpy(value, f"add_scalar({tag!r})")
    if v.size != 1:
        raise ShapeError(f"add_scalar({tag!r}): scalar_value must hold one number, got shape {v.shape}")
    return Summary(value=[Summary.Value(tag=tag, simple_value=float(v.reshape(())))])


# --- histograms -------------------------------------------------------------------------------------
def _tensorflow_edges():
    """TensorFlow's default bucket limits: +-1e-12 * 1.1^k up to 1e20, and 0."""
    pos = [1e-12]
    while pos[-1] < 1e20:
        pos.append(pos[-1] * 1.1)
    pos = np.array(pos)
    return np.concatenate([-pos[::-1], [0.0], pos])


def histogram(tag, values, bins="tensorflow", max_bins=None):
    x = as_numpy(values, f"add_histogram({tag!r})").astype(np.float64).ravel()
    if x.size == 0:
        raise ArgumentError(f"add_histogram({tag!r}): values is empty; a histogram needs at least one value")
    if not np.isfinite(x).all():
        raise ArgumentError(f"add_histogram({tag!r}): values hold NaN or Inf")
    edges = _tensorflow_edges() if bins == "tensorflow" else bins
    counts, limits = np.histogram(x, bins=edges)
    if max_bins is not None and len(counts) > max_bins:  # merge neighbours down to max_bins
        k = -(-len(counts) // max_bins)
        pad = (-len(counts)) % k
        counts = np.concatenate([counts, np.zeros(pad, counts.dtype)]).reshape(-1, k).sum(1)
        limits = np.concatenate([limits[:-1:k], [limits[-1]]])
    nz = np.nonzero(counts)[0]
    lo, hi = (nz[0], nz[-1] + 1) if nz.size else (0, len(counts))
    counts, upper = counts[lo:hi], limits[lo + 1:hi + 1]
    proto = HistogramProto(min=float(x.min()), max=float(x.max()), num=float(x.size), sum=float(x.sum()),
                           sum_squares=float((x * x).sum()), bucket_limit=upper.tolist(), bucket=counts.tolist())
    return Summary(value=[Summary.Value(tag=tag, histo=proto)])


# --- images -------------------------------------------------------------------------------------------
LAYOUTS = ("CHW", "HWC", "HW", "NCHW", "NHWC")


def to_hwc(img, dataformats, tag):
    """An image array in `dataformats` as uint8 HWC with 1, 3 or 4 channels (floats are taken as [0, 1])."""
    a = as_numpy(img, f"add_image({tag!r})")
    fmt = dataformats.upper()
    if fmt not in LAYOUTS or a.ndim != len(fmt):
        raise ShapeError(f"add_image({tag!r}): dataformats {dataformats!r} does not fit an array of shape "
                         f"{a.shape}; use one of {', '.join(LAYOUTS)} with as many dims as the array")
    if fmt.startswith("N"):
        a = make_grid(np.moveaxis(a, fmt.index("C"), 1) if "C" in fmt else a)
        fmt = "CHW"
    if fmt == "HW":
        a, fmt = a[None], "CHW"
    if fmt == "CHW":
        a = np.moveaxis(a, 0, -1)
    if a.shape[-1] not in (1, 3, 4):
        raise ShapeError(f"add_image({tag!r}): an image needs 1, 3 or 4 channels, got {a.shape[-1]} "
                         f"(shape {a.shape} as {dataformats})")
    if a.dtype != np.uint8:
        a = (np.clip(a.astype(np.float64), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return a


def make_grid(batch, ncols=8):
    """NCHW images as one CHW image, `ncols` per row (as torchvision's make_grid, without padding)."""
    n, c, h, w = batch.shape
    cols = min(n, ncols)
    rows = -(-n // cols)
    grid = np.zeros((c, rows * h, cols * w), batch.dtype)
    for i in range(n):
        r, k = divmod(i, cols)
        grid[:, r * h:(r + 1) * h, k * w:(k + 1) * w] = batch[i]
    return grid


def png(hwc):
    """PNG bytes of a uint8 HWC image (grey, RGB or RGBA)."""
    h, w, c = hwc.shape
    color = {1: 0, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + hwc[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def image(tag, img, dataformats="CHW"):
    hwc = to_hwc(img, dataformats, tag)
    proto = Summary.Image(height=hwc.shape[0], width=hwc.shape[1], colorspace=hwc.shape[2],
                          encoded_image_string=png(hwc))
    return Summary(value=[Summary.Value(tag=tag, image=proto)])


def figure_to_hwc(figure):
    """A matplotlib figure rendered to a uint8 RGBA array."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # the `plot` extra, only when figures are logged
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


# --- text, PR curves --------------------------------------------------------------------------------
def text(tag, text_string):
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="text", content=text_pb2.TextPluginData(version=0).SerializeToString()))
    tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[str(text_string).encode("utf-8")],
                                    tensor_shape=tensor_shape_pb2.TensorShapeProto(
                                        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=1)]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=meta, tensor=tensor)])


def pr_curve_data(labels, predictions, num_thresholds=127, weights=None):
    """Rows tp, fp, tn, fn, precision, recall at thresholds i / (num_thresholds - 1) (TensorBoard's layout)."""
    labels = np.asarray(labels).astype(np.float64).ravel()
    predictions = np.asarray(predictions).astype(np.float64).ravel()
    if labels.shape != predictions.shape:
        raise ShapeError(f"add_pr_curve: labels ({labels.size}) and predictions ({predictions.size}) must have "
                         f"the same number of elements")
    if predictions.size and (predictions.min() < 0 or predictions.max() > 1):
        raise ArgumentError("add_pr_curve: predictions must be probabilities in [0, 1]")
    if num_thresholds < 2:
        raise ArgumentError(f"add_pr_curve: num_thresholds must be >= 2, got {num_thresholds}")
    w = np.ones_like(labels) if weights is None else np.asarray(weights, np.float64).ravel()
    buckets = np.floor(predictions * (num_thresholds - 1)).astype(np.int64)
    tp_b = np.bincount(buckets, weights=labels * w, minlength=num_thresholds)
    fp_b = np.bincount(buckets, weights=(1 - labels) * w, minlength=num_thresholds)
    tp = np.cumsum(tp_b[::-1])[::-1]
    fp = np.cumsum(fp_b[::-1])[::-1]
    tn, fn = fp[0] - fp, tp[0] - tp
    precision = tp / np.maximum(1e-7, tp + fp)
    recall = tp / np.maximum(1e-7, tp + fn)
    return np.stack([tp, fp, tn, fn, precision, recall]).astype(np.float32)


def pr_curve(tag, labels, predictions, num_thresholds=127, weights=None):
    data = pr_curve_data(labels, predictions, num_thresholds, weights)
    meta = pr_metadata.create_summary_metadata(display_name=tag, description="", num_thresholds=num_thresholds)
    tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=data.ravel().tolist(),
                                    tensor_shape=tensor_shape_pb2.TensorShapeProto(
                                        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in data.shape]))
    return Summary(value=[Summary.Value(tag=tag, metadata=meta, tensor=tensor)])


__all__ = ["scalar", "histogram", "image", "text", "pr_curve", "pr_curve_data", "to_hwc", "png", "make_grid",
           "figure_to_hwc", "as_numpy", "summary_pb2"]
