"""SummaryWriter's files, read back by TensorBoard's own loader (EventAccumulator) and protos."""
import io
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import ember
from ember.errors import ArgumentError, ShapeError

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import metadata as hp_metadata  # noqa: E402
from tensorboard.plugins.pr_curve import metadata as pr_metadata  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

from ember.utils.tensorboard import SummaryWriter  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load(path):
    acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def test_scalars_read_back_with_steps_and_values(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(10):
            w.add_scalar("loss/train", 1.0 / (step + 1), step)
        w.add_scalar("lr", ember.tensor(0.125), 3)
        w.add_scalar("np", np.float64(2.5), 4)
    acc = load(tmp_path)
    events = acc.Scalars("loss/train")
    assert [e.step for e in events] == list(range(10))
    np.testing.assert_allclose([e.value for e in events], [1.0 / (s + 1) for s in range(10)], rtol=1e-6)
    assert acc.Scalars("lr")[0].value == 0.125 and acc.Scalars("lr")[0].step == 3
    assert acc.Scalars("np")[0].value == 2.5
    name = os.listdir(tmp_path)[0]
    assert name.startswith("events.out.tfevents.")   # PyTorch's (and TensorFlow's) file naming


def test_add_scalars_writes_one_run_per_key(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalars("run/loss", {"train": step, "val": 10 + step}, step)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["run_loss_train", "run_loss_val"]
    val = load(tmp_path / "run_loss_val").Scalars("run/loss")
    assert [e.value for e in val] == [10, 11, 12]


def test_histogram_matches_numpy(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(5000)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("default", ember.tensor(x.astype(np.float32)), 1)
        w.add_histogram("ten", x, 2, bins=10)
    acc = load(tmp_path)
    h = acc.Histograms("default")[0].histogram_value
    x32 = x.astype(np.float32).astype(np.float64)
    assert h.num == x.size and h.min == pytest.approx(x32.min()) and h.max == pytest.approx(x32.max())
    assert h.sum == pytest.approx(x32.sum(), rel=1e-9) and h.sum_squares == pytest.approx((x32 ** 2).sum(), rel=1e-9)
    assert sum(h.bucket) == x.size
    counts, edges = np.histogram(x, bins=10)
    h10 = acc.Histograms("ten")[0].histogram_value
    assert list(h10.bucket) == counts.tolist()
    np.testing.assert_allclose(list(h10.bucket_limit), edges[1:])


def test_images_in_every_layout_decode_to_the_pixels(tmp_path):
    from PIL import Image
    rng = np.random.default_rng(1)
    chw = rng.random((3, 5, 7)).astype(np.float32)
    u8 = (chw * 255 + 0.5).astype(np.uint8)
    with SummaryWriter(tmp_path) as w:
        w.add_image("chw", chw, 0)
        w.add_image("hwc", u8.transpose(1, 2, 0), 0, dataformats="HWC")
        w.add_image("gray", chw[0], 0, dataformats="HW")
        w.add_images("batch", np.stack([chw, chw * 0.5]), 0)
    acc = load(tmp_path)

    def pixels(tag):
        return np.asarray(Image.open(io.BytesIO(acc.Images(tag)[0].encoded_image_string)))
    np.testing.assert_array_equal(pixels("chw"), u8.transpose(1, 2, 0))
    np.testing.assert_array_equal(pixels("hwc"), u8.transpose(1, 2, 0))
    np.testing.assert_array_equal(pixels("gray"), u8[0])
    grid = pixels("batch")
    assert grid.shape == (5, 14, 3)
    np.testing.assert_array_equal(grid[:, :7], u8.transpose(1, 2, 0))
    with SummaryWriter(tmp_path / "bad") as w:
        with pytest.raises(ShapeError, match="1, 3 or 4 channels, got 7"):
            w.add_image("x", chw, 0, dataformats="HWC")
        with pytest.raises(ShapeError, match="dataformats 'NCHW' does not fit"):
            w.add_image("x", chw, 0, dataformats="NCHW")


def test_figure_is_rendered(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image
    fig = plt.figure(figsize=(2, 1), dpi=50)
    fig.add_subplot(1, 1, 1).plot([0, 1], [1, 0])
    with SummaryWriter(tmp_path) as w:
        w.add_figure("fig", fig, 0)
    img = Image.open(io.BytesIO(load(tmp_path).Images("fig")[0].encoded_image_string))
    assert img.size == (100, 50) and img.mode == "RGBA"


def test_text_pr_curve_and_hparams(tmp_path):
    rng = np.random.default_rng(2)
    labels, preds = rng.random(200) > 0.5, rng.random(200)
    with SummaryWriter(tmp_path) as w:
        w.add_text("notes", "hello **world**", 3)
        w.add_pr_curve("pr", labels, preds, 1, num_thresholds=11)
        w.add_hparams({"lr": 0.01, "optimizer": "adam", "bn": True}, {"hparam/accuracy": 0.75},
                      hparam_domain_discrete={"optimizer": ["adam", "sgd"]}, run_name="trial")
    acc = load(tmp_path)
    text = acc.Tensors("notes/text_summary")[0]
    assert text.step == 3 and tensor_util.make_ndarray(text.tensor_proto).tolist() == [b"hello **world**"]
    data = tensor_util.make_ndarray(acc.Tensors("pr")[0].tensor_proto)
    assert data.shape == (6, 11)
    assert pr_metadata.parse_plugin_metadata(acc.SummaryMetadata("pr").plugin_data.content).num_thresholds == 11
    for i, t in enumerate(np.arange(11) / 10):
        chosen = np.floor(preds * 10) >= i   # TensorBoard's bucketing: threshold i/(n-1)
        tp, fp = np.sum(chosen & labels), np.sum(chosen & ~labels)
        assert (data[0, i], data[1, i]) == (tp, fp)
        assert data[2, i] == np.sum(~labels) - fp and data[3, i] == np.sum(labels) - tp
        assert data[4, i] == pytest.approx(tp / max(tp + fp, 1e-7)) and data[5, i] == pytest.approx(tp / labels.sum())
    run = load(tmp_path / "trial")
    content = run.PluginTagToContent(hp_metadata.PLUGIN_NAME)
    start = hp_metadata.parse_session_start_info_plugin_data(content[hp_metadata.SESSION_START_INFO_TAG])
    assert start.hparams["lr"].number_value == 0.01 and start.hparams["optimizer"].string_value == "adam"
    assert start.hparams["bn"].bool_value is True
    experiment = hp_metadata.parse_experiment_plugin_data(content[hp_metadata.EXPERIMENT_TAG])
    assert [m.name.tag for m in experiment.metric_infos] == ["hparam/accuracy"]
    info = {h.name: h for h in experiment.hparam_infos}
    assert [v.string_value for v in info["optimizer"].domain_discrete.values] == ["adam", "sgd"]
    assert run.Scalars("hparam/accuracy")[0].value == 0.75


def test_embedding_projector_files(tmp_path):
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig
    mat = np.arange(12, dtype=np.float32).reshape(4, 3) / 7
    imgs = np.random.default_rng(3).random((4, 3, 2, 2))
    with SummaryWriter(tmp_path) as w:
        w.add_embedding(mat, metadata=["a", "b", "c", "d"], label_img=imgs, global_step=2)
    config = text_format.Parse((tmp_path / "projector_config.pbtxt").read_text(), ProjectorConfig())
    (emb,) = config.embeddings
    assert emb.tensor_path == "00002/tensors.tsv" and emb.metadata_path == "00002/metadata.tsv"
    assert list(emb.sprite.single_image_dim) == [2, 2]
    np.testing.assert_allclose(np.loadtxt(tmp_path / emb.tensor_path, delimiter="\t"), mat, rtol=1e-6)
    assert (tmp_path / emb.metadata_path).read_text().split() == ["a", "b", "c", "d"]


def test_purge_step_drops_later_events_of_the_earlier_run(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(10):
            w.add_scalar("x", step, step)
    with SummaryWriter(tmp_path, purge_step=5) as w:
        for step in range(5, 8):
            w.add_scalar("x", 100 + step, step)
    events = load(tmp_path).Scalars("x")
    assert [(e.step, e.value) for e in events] == [(s, s) for s in range(5)] + [(s, 100 + s) for s in range(5, 8)]


def test_queued_events_survive_interpreter_exit(tmp_path):
    """No close(), no flush(), a long flush_secs: the events are still on disk after the process exits."""
    code = ("from ember.utils.tensorboard import SummaryWriter\n"
            f"w = SummaryWriter({str(tmp_path)!r}, max_queue=1000, flush_secs=3600)\n"
            "for i in range(500):\n    w.add_scalar('x', i, i)\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert [e.value for e in load(tmp_path).Scalars("x")] == list(range(500))


def test_default_log_dir_is_pytorchs(tmp_path, monkeypatch):
    import socket
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_lr0.1") as w:
        w.add_scalar("x", 1.0, 0)
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.endswith(f"_{socket.gethostname()}_lr0.1") and w.get_logdir() == str(pathlib.Path("runs", run.name))
    assert load(run).Scalars("x")[0].value == 1.0


def test_bad_arguments_raise_ember_errors(tmp_path):
    with pytest.raises(ArgumentError, match="max_queue"):
        SummaryWriter(tmp_path, max_queue=0)
    w = SummaryWriter(tmp_path)
    with pytest.raises(ShapeError, match="add_scalar"):
        w.add_scalar("x", [1.0, 2.0], 0)
    with pytest.raises(ArgumentError, match="NaN"):
        w.add_histogram("h", [1.0, float("nan")], 0)
    with pytest.raises(ArgumentError, match="predictions"):
        w.add_pr_curve("p", [1, 0], [0.5, 1.5], 0)
    w.close()
    with pytest.raises(ArgumentError, match="closed"):
        w.add_scalar("x", 1.0, 0)
