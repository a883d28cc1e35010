"""`add_embedding`'s files: the vectors (TSV), labels (TSV), a sprite image and the projector config."""
import os

import numpy as np

from ember.errors import ArgumentError, ShapeError
from ember.utils.tensorboard.summary import as_numpy, make_grid, png, to_hwc

from google.protobuf import text_format
from tensorboard.plugins.projector.projector_config_pb2 import EmbeddingInfo, ProjectorConfig

CONFIG = "projector_config.pbtxt"


def write_embedding(log_dir, config, mat, metadata, label_img, global_step, tag, metadata_header):
    """Write one embedding and the updated config; returns the config (kept by the writer)."""
    x = as_numpy(mat, "add_embedding").astype(np.float64)
    if x.ndim != 2:
        raise ShapeError(f"add_embedding: mat must be 2-D (points, dims), got shape {x.shape}")
    sub = f"{global_step or 0:05d}" if tag == "default" else f"{global_step or 0:05d}_{tag}".replace("/", "_")
    path = os.path.join(log_dir, sub)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "tensors.tsv"), "w") as f:
        for row in x:
            f.write("\t".join(repr(float(v)) for v in row) + "\n")
    info = EmbeddingInfo(tensor_name=f"{tag}:{sub}", tensor_path=f"{sub}/tensors.tsv")
    if metadata is not None:
        _write_metadata(os.path.join(path, "metadata.tsv"), metadata, metadata_header, len(x))
        info.metadata_path = f"{sub}/metadata.tsv"
    if label_img is not None:
        imgs = as_numpy(label_img, "add_embedding")
        if imgs.ndim != 4 or imgs.shape[0] != len(x):
            raise ShapeError(f"add_embedding: label_img must be NCHW with one image per point, got {imgs.shape}")
        side = int(np.ceil(np.sqrt(len(imgs))))
        with open(os.path.join(path, "sprite.png"), "wb") as f:
            f.write(png(to_hwc(make_grid(imgs, ncols=side), "CHW", "sprite")))
        info.sprite.image_path = f"{sub}/sprite.png"
        info.sprite.single_image_dim.extend([imgs.shape[3], imgs.shape[2]])
    config = config or ProjectorConfig()
    config.embeddings.append(info)
    with open(os.path.join(log_dir, CONFIG), "w") as f:
        f.write(text_format.MessageToString(config))
    return config


def _write_metadata(path, metadata, header, n):
    rows = list(metadata)
    if len(rows) != n:
        raise ArgumentError(f"add_embedding: metadata has {len(rows)} rows for {n} points")
    with open(path, "w") as f:
        if header is not None:
            f.write("\t".join(str(h) for h in header) + "\n")
        for r in rows:
            f.write(("\t".join(str(c) for c in r) if isinstance(r, (list, tuple)) else str(r)) + "\n")
