"""DataLoader benchmark: ember against torch.utils.data in one run, reported as throughput ratios.

(a) in-memory arrays: 60000x784 float32 + int64 labels, batch 128, shuffled
    (ember `ArrayDataset` vs torch `TensorDataset`);
(b) an image folder: small image files decoded per item (PNG through Pillow
    if installed, else `.npy`), converted to float and normalized in the
    dataset's `__getitem__` (the same dataset class for both libraries).

Each case runs with 0, 1 and 2 workers (ember: processes, and threads for
comparison); a time is the best of a few full epochs, worker start included.

    python benchmarks/data.py            # ratio > 1 means ember reads more batches per second
    python benchmarks/data.py --quick    # smaller sizes
"""
import argparse
import os
import tempfile
import time

import numpy as np

import ember
from ember.data import ArrayDataset, DataLoader

try:
    import torch
    import torch.utils.data as tud
except ImportError:  # the benchmark needs the reference
    raise SystemExit("benchmarks/data.py compares against PyTorch: pip install torch==2.13.0")

try:
    from PIL import Image
except ImportError:
    Image = None


class ImageFolder:
    """Files `root/<i>.png|npy` with labels; decoding, float conversion and normalization per item."""

    def __init__(self, root, n, label_of):
        self.root, self.n, self.label_of = root, n, label_of
        self.ext = "png" if Image is not None else "npy"
        self.mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
        self.std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        path = os.path.join(self.root, f"{i}.{self.ext}")
        img = np.asarray(Image.open(path)) if Image is not None else np.load(path)
        x = (img.transpose(2, 0, 1).astype(np.float32) / 255.0 - self.mean) / self.std
        if i % 2:  # a flip, as augmentation would
            x = x[:, :, ::-1]
        return np.ascontiguousarray(x), self.label_of[i]


def write_images(root, n, size, rng):
    for i in range(n):
        img = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        if Image is not None:
            Image.fromarray(img).save(os.path.join(root, f"{i}.png"))
        else:
            np.save(os.path.join(root, f"{i}.npy"), img)


def epoch_time(make_loader, epochs):
    best = float("inf")
    for _ in range(epochs):
        loader = make_loader()
        start = time.perf_counter()
        n = sum(1 for _ in loader)
        best = min(best, time.perf_counter() - start)
        del loader
    return n / best


def run_case(name, ember_ds, torch_ds, batch, epochs, workers):
    print(f"\n{name}")
    print(f"{'workers':>8} {'torch b/s':>11} {'ember proc b/s':>15} {'ratio':>7} {'ember thread b/s':>17} {'ratio':>7}")
    for w in workers:
        t = epoch_time(lambda: tud.DataLoader(torch_ds, batch_size=batch, shuffle=True, num_workers=w), epochs)
        e = epoch_time(lambda: DataLoader(ember_ds, batch_size=batch, shuffle=True, num_workers=w), epochs)
        line = f"{w:>8} {t:>11.1f} {e:>15.1f} {e / t:>7.2f}"
        if w:
            th = epoch_time(lambda: DataLoader(ember_ds, batch_size=batch, shuffle=True, num_workers=w,
                                               worker_type="thread"), epochs)
            line += f" {th:>17.1f} {th / t:>7.2f}"
        print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    ember.manual_seed(0)
    print(f"ember {ember.__version__}, torch {torch.__version__}, {os.cpu_count()} CPUs; "
          f"image files: {'PNG (Pillow)' if Image is not None else '.npy (Pillow not installed)'}")
    torch.set_num_threads(1)

    n = 20000 if args.quick else 60000
    x = rng.standard_normal((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, n)
    run_case(f"(a) in-memory {n}x784 float32, batch 128", ArrayDataset(x, y),
             tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), 128, args.epochs, (0, 1, 2))

    n_img = 1000 if args.quick else 4000
    with tempfile.TemporaryDirectory() as root:
        write_images(root, n_img, 32, rng)
        labels = rng.integers(0, 10, n_img).tolist()
        ds = ImageFolder(root, n_img, labels)
        run_case(f"(b) image folder, {n_img} files of 32x32x3, batch 64", ds, ds, 64, args.epochs, (0, 1, 2))


if __name__ == "__main__":
    main()
