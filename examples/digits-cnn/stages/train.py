"""train: a small CNN for the digits, trained with PyTorch and exported to ONNX.

Reads the samples files written by digits-preprocess (format version 1,
documented in conveyor's src/ml/samples.h), trains two conv layers and a
linear layer with Adam, and writes to --model-dir:

  model.onnx  opset 11, input "image" [N, 1, 20, 20] float32 (pixels in [0, 1]
              after preprocessing), output "probabilities" [N, 10]: the softmax
              is part of the graph, as conveyor's ONNX backend expects
              (src/ml/onnx_classifier.h).
  model.yaml  the model spec, format version 1 (src/ml/model_spec.h), with
              reference statistics computed exactly as src/ml/reference_stats.cc.

Deterministic for a given seed on a given machine: torch.manual_seed, 2 CPU
threads, deterministic algorithms, and a seeded generator for batch order.
Prints one summary line; on error prints "train.py: error: ..." and exits 1.
"""
import argparse
import bisect
import os
import struct
import sys
import time

import numpy as np
import torch

SAMPLES_MAGIC = b"CVSAMPLE"
SAMPLES_VERSION = 1
INK_THRESHOLD = 0.5  # kInkThreshold in src/ml/reference_stats.h
REFERENCE_BINS = 50  # kReferenceBins
NUM_CLASSES = 10


class StageError(Exception):
    pass


def read_samples(path):
    """Returns (labels int32 [n], pixels float32 [n, rows, cols])."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24 or data[:8] != SAMPLES_MAGIC:
        raise StageError(f"{path}: not a samples file (bad magic)")
    version, count, rows, cols = struct.unpack_from("<4I", data, 8)
    if version != SAMPLES_VERSION:
        raise StageError(f"{path}: samples format version {version} is not supported "
                         f"(oldest 1, current 1)")
    expected = 24 + count * (4 + 4 * rows * cols)
    if len(data) != expected:
        raise StageError(f"{path}: truncated: expected {expected} bytes for {count} samples "
                         f"of {rows}x{cols}, found {len(data)}")
    record = np.dtype([("label", "<i4"), ("pixels", "<f4", (rows, cols))])
    records = np.frombuffer(data, dtype=record, count=count, offset=24)
    return records["label"].astype(np.int64), records["pixels"].astype(np.float32)


def unit_histogram(values, bins):
    """Bins as AddToHistogram: edges i/bins, upper_bound - 1, clamped."""
    edges = [i / bins for i in range(bins + 1)]
    counts = [0] * bins
    for v in values:
        b = bisect.bisect_right(edges, v) - 1
        counts[min(max(b, 0), bins - 1)] += 1
    return edges, counts


def reference_stats(labels, pixels):
    """ComputeReferenceStats: per-sample mean (a sequential double sum, as the
    C++ loop) and ink fraction, their means, histograms and class priors."""
    n = len(labels)
    flat = pixels.reshape(n, -1).astype(np.float64)
    features = flat.shape[1]
    # cumsum adds left to right, like the C++ loop, so the sums match bit for bit.
    means = [float(s) / features for s in np.cumsum(flat, axis=1)[:, -1]]
    fractions = [int(c) / features for c in (flat > INK_THRESHOLD).sum(axis=1)]
    priors = [0.0] * NUM_CLASSES
    for label in labels:
        priors[int(label)] += 1.0
    mean_intensity = 0.0
    mean_ink = 0.0
    for m, f in zip(means, fractions):
        mean_intensity += m
        mean_ink += f
    return {
        "samples": n,
        "class_priors": [p / n for p in priors],
        "mean_intensity": mean_intensity / n,
        "mean_ink_fraction": mean_ink / n,
        "intensity_histogram": unit_histogram(means, REFERENCE_BINS),
        "ink_fraction_histogram": unit_histogram(fractions, REFERENCE_BINS),
    }


def number(v):
    """Shortest round-trip text, as fmt's "{}" in model_spec.cc ("0", not "0.0")."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def numbers(values):
    return "[" + ", ".join(number(v) for v in values) + "]"


def model_yaml(rows, cols, deskew, sample_pixels, expected_label, ref, params):
    """model.yaml, format version 1, laid out as EmitModelSpec writes it."""
    labels = ", ".join(f'"{k}"' for k in range(NUM_CLASSES))
    lines = [
        "format_version: 1",
        "name: digits-cnn",
        "backend: onnx",
        "model_file: model.onnx",
        "input:",
        "  kind: grayscale_image",
        f"  height: {rows}",
        f"  width: {cols}",
        f"  scale: {number(1.0 / 255.0)}",
        f"  deskew: {'true' if deskew else 'false'}",
        f"labels: [{labels}]",
        "sample_input:",
        "  pixels: [" + ", ".join(str(p) for p in sample_pixels) + "]",
        f'  expected_label: "{expected_label}"',
        "reference:",
        f"  samples: {ref['samples']}",
        f"  class_priors: {numbers(ref['class_priors'])}",
        f"  mean_intensity: {number(ref['mean_intensity'])}",
        f"  mean_ink_fraction: {number(ref['mean_ink_fraction'])}",
    ]
    for key in ("intensity_histogram", "ink_fraction_histogram"):
        edges, counts = ref[key]
        lines += [f"  {key}:", f"    edges: {numbers(edges)}",
                  "    counts: [" + ", ".join(str(c) for c in counts) + "]"]
    lines += ["training:", "  params:"]
    lines += [f'    {k}: "{v}"' for k, v in params]
    return "\n".join(lines) + "\n"


class Net(torch.nn.Module):
    """conv(1->16, 3x3) relu maxpool -> conv(16->32, 3x3) relu maxpool ->
    dropout -> linear(32*5*5 -> 10). The exported graph adds a softmax."""

    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2))
        self.classifier = torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Dropout(0.25), torch.nn.Linear(32 * 5 * 5, NUM_CLASSES))

    def forward(self, x):
        return self.classifier(self.features(x))


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def train(args):
    start = time.monotonic()
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    train_labels, train_pixels = read_samples(args.train)
    test_labels, test_pixels = read_samples(args.test)
    _, test_raw = read_samples(args.test_raw)
    if len(test_labels) == 0 or len(test_labels) != len(test_raw):
        raise StageError(f"{args.test} and {args.test_raw} must hold the same, non-zero number "
                         "of samples")
    if np.any((train_labels < 0) | (train_labels >= NUM_CLASSES)):
        raise StageError(f"{args.train}: labels must be in 0..{NUM_CLASSES - 1}")
    rows, cols = train_pixels.shape[1:]

    x = torch.from_numpy(train_pixels).unsqueeze(1)
    y = torch.from_numpy(train_labels)
    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.Generator().manual_seed(args.seed)
    for _ in range(args.epochs):
        model.train()
        perm = torch.randperm(len(y), generator=order)
        for i in range(0, len(y), args.batch_size):
            batch = perm[i:i + args.batch_size]
            optimizer.zero_grad()
            loss_fn(model(x[batch]), y[batch]).backward()
            optimizer.step()

    exported = torch.nn.Sequential(model, torch.nn.Softmax(dim=1)).eval()
    with torch.no_grad():
        proba = exported(torch.from_numpy(test_pixels).unsqueeze(1))
    predicted = proba.argmax(dim=1).numpy()
    accuracy = float((predicted == test_labels).mean())
    # The sample input: the first test sample the model gets right, as raw
    # pixels, so a server can check it reproduces the answer end to end.
    pick = 0
    while pick + 1 < len(test_labels) and predicted[pick] != test_labels[pick]:
        pick += 1
    sample_pixels = [int(v) for v in test_raw[pick].reshape(-1)]

    os.makedirs(args.model_dir, exist_ok=True)
    onnx_path = os.path.join(args.model_dir, "model.onnx")
    tmp = onnx_path + ".tmp"
    torch.onnx.export(exported, torch.zeros(1, 1, rows, cols), tmp, opset_version=11,
                      input_names=["image"], output_names=["probabilities"],
                      dynamic_axes={"image": {0: "n"}, "probabilities": {0: "n"}})
    os.replace(tmp, onnx_path)
    params = [
        ("framework", f"pytorch {torch.__version__.split('+')[0]}"),
        ("architecture", "conv16-pool-conv32-pool-dropout0.25-linear10"),
        ("output", "softmax"),
        ("onnx_opset", "11"),
        ("optimizer", "adam"),
        ("epochs", str(args.epochs)),
        ("batch_size", str(args.batch_size)),
        ("learning_rate", number(args.learning_rate)),
        ("seed", str(args.seed)),
        ("threads", "2"),
        ("train_samples", str(len(train_labels))),
    ]
    spec = model_yaml(rows, cols, args.deskew, sample_pixels, str(int(predicted[pick])),
                      reference_stats(train_labels, train_pixels), params)
    write_atomic(os.path.join(args.model_dir, "model.yaml"), spec.encode())
    print(f"train.py: {args.epochs} epochs on {len(train_labels)} samples in "
          f"{time.monotonic() - start:.1f} s, test accuracy {accuracy:.4f} -> {onnx_path}")


def parse_bool(text):
    if text in ("true", "True", "1"):
        return True
    if text in ("false", "False", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got '{text}'")


def main():
    p = argparse.ArgumentParser(
        prog="train.py", description="Train a small digits CNN; write model.onnx and model.yaml.")
    p.add_argument("--train", default="work/train.samples", help="train samples")
    p.add_argument("--test", default="work/test.samples", help="test samples (sample input)")
    p.add_argument("--test-raw", default="work/test_raw.samples",
                   help="the same test samples before preprocessing")
    p.add_argument("--model-dir", default="model", help="directory for model.onnx, model.yaml")
    p.add_argument("--deskew", type=parse_bool, default=True,
                   help="whether the samples were deskewed (recorded in model.yaml)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--learning-rate", type=float, default=0.003)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args()
    try:
        train(args)
    except (StageError, OSError) as e:
        print(f"train.py: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
