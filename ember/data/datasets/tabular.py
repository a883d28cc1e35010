"""`CSVDataset`: a table of numbers in a CSV file, one column of which is the target.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(path, "w").write("a,b,label\\n1,2,cat\\n3,4,dog\\n")
    >>> ds = CSVDataset(path, target="label")
    >>> ds.data.tolist(), ds.targets.tolist(), ds.classes
    ([[1.0, 2.0], [3.0, 4.0]], [0, 1], ['cat', 'dog'])
"""
import csv
import numbers
import os

import numpy as np

from ember.data.datasets.base import DataFileError, MissingDataError, SupervisedDataset
from ember.errors import ArgumentError

__all__ = ["CSVDataset"]


def _read_rows(path, delimiter):
    if not os.path.isfile(path):
        raise MissingDataError(f"CSVDataset: no file at {path}")
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f, delimiter=delimiter) if r and any(c.strip() for c in r)]
    if not rows:
        raise DataFileError(f"CSVDataset: {path} has no rows")
    width = len(rows[0])
    for i, r in enumerate(rows):
        if len(r) != width:
            raise DataFileError(f"CSVDataset: {path}: row {i + 1} has {len(r)} fields, the first row "
                                          f"has {width}; check the delimiter ({delimiter!r})")
    return rows


def _looks_like_header(row):
    for cell in row:
        try:
            float(cell)
        except ValueError:
            return True
    return False


def _target_column(target, names, width, path):
    if isinstance(target, str):
        if names is None or target not in names:
            raise ArgumentError(f"CSVDataset: {path}: no column named {target!r}; the columns are {names}"
                                if names else f"CSVDataset: {path} has no header, so target must be a "
                                f"column index, got {target!r}")
        return names.index(target)
    if isinstance(target, numbers.Integral) and -width <= target < width:
        return int(target) % width
    raise ArgumentError(f"CSVDataset: target must be a column name or an index in [-{width}, {width}), "
                        f"got {target!r}")


def _numbers(path, rows, col, first_line, names):
    out = np.empty((len(rows), len(col)), dtype=np.float64)
    for i, r in enumerate(rows):
        for j, c in enumerate(col):
            try:
                out[i, j] = float(r[c])
            except ValueError:
                column = f"column {c}" + (f" ({names[c]!r})" if names else "")
                raise DataFileError(f"CSVDataset: {path}: line {first_line + i}, {column}: {r[c]!r} is not a "
                                    f"number; every column but the target must hold numbers") from None
    return out


def _targets(values):
    """Numeric labels -> int64 (integers) or float32; other labels -> indices into the sorted names."""
    try:
        nums = np.array([float(v) for v in values])
    except ValueError:
        classes = sorted(set(values))
        lookup = {c: i for i, c in enumerate(classes)}
        return np.array([lookup[v] for v in values], dtype=np.int64), classes
    if np.all(np.isfinite(nums)) and np.all(nums == np.round(nums)):
        return nums.astype(np.int64), None
    return nums.astype(np.float32), None


class CSVDataset(SupervisedDataset):
    """The rows of a CSV file: float32 features and the `target` column (name or index; None for none).

    `header` is True, False or "infer" (a first row with a non-number is a
    header). Integer targets become int64, other numbers float32, and text
    labels int64 indices into `classes` (their sorted names).
    """

    def __init__(self, path, target=-1, header="infer", delimiter=",", transform=None, target_transform=None):
        path = os.fspath(path)
        rows = _read_rows(path, delimiter)
        has_header = _looks_like_header(rows[0]) if header == "infer" else bool(header)
        names = [c.strip() for c in rows[0]] if has_header else None
        rows = rows[1:] if has_header else rows
        if not rows:
            raise DataFileError(f"CSVDataset: {path} has a header but no data rows")
        width = len(rows[0])
        t = None if target is None else _target_column(target, names, width, path)
        features = [c for c in range(width) if c != t]
        data = _numbers(path, rows, features, 2 if has_header else 1, names).astype(np.float32)
        if t is None:
            targets, classes = np.zeros(len(rows), dtype=np.int64), None
        else:
            targets, classes = _targets([r[t].strip() for r in rows])
        super().__init__(data, targets, transform, target_transform, classes)
        self.columns = names
        self.feature_names = [names[c] for c in features] if names else None

