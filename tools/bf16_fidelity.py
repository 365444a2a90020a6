#!/usr/bin/env python3
"""bf16 fidelity: image tokens with bf16 matrix products against fp32, ours and PyTorch's.

    python3 tools/bf16_fidelity.py BIN MODEL_DIR [MODEL_DIR ...] [--batch 8] [--size 224]
            [--threads 2]

BIN is the folder of the release binaries (`swift build -c release --show-bin-path`), holding
backbone-bench. For each hub-layout model folder (DINOv2, CLIP vision, RADIO; transformers form),
one batch of pixels is drawn here (standard normal; uniform [0, 1] for RADIO, which normalises
inside) and written to a safetensors file that both sides read. Then:
  - ours: backbone-bench --precision fp32 and bf16 (oneDNN's AVX512_BF16 products, or the
    emulation), tokens = the image token (DINOv2 [CLS] after the norm, CLIP pooler, RADIO summary);
  - PyTorch: tools/bench_backbone.py --precision fp32 and bf16 (torch.autocast("cpu", bfloat16)).
Prints a markdown table: per side, the smallest and the mean cosine between a row's bf16 and fp32
token, and the largest absolute difference relative to the largest fp32 token value; and ours
fp32 against PyTorch fp32 (the parity the fp32 path already has).

requires: torch==2.13.0+cpu transformers==5.24.0 safetensors==0.8.0 (tools/requirements.txt)
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

TOOLS = Path(__file__).resolve().parent


def compare(bf16, fp32):
    cos = torch.nn.functional.cosine_similarity(bf16.double(), fp32.double(), dim=1)
    rel = (bf16 - fp32).abs().max().item() / fp32.abs().max().item()
    return cos.min().item(), cos.mean().item(), rel


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bin")
    ap.add_argument("models", nargs="+")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    print(f"bf16 against fp32, image tokens of {a.batch} random images at {a.size} px: smallest / mean "
          "cosine over rows, largest |bf16 - fp32| / largest |fp32|")
    print()
    print("| model | ours bf16: min cos | mean cos | max rel diff | PyTorch autocast: min cos | mean cos "
          "| max rel diff | ours fp32 vs PyTorch fp32: max rel diff |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for folder in map(Path, a.models):
            model_type = json.loads((folder / "config.json").read_text())["model_type"]
            g = torch.Generator().manual_seed(7)
            shape = (a.batch, 3, a.size, a.size)
            pixels = torch.rand(shape, generator=g) if model_type == "radio" else torch.randn(shape, generator=g)
            save_file({"pixels": pixels}, tmp / "pixels.safetensors")
            tokens = {}
            for precision in ("fp32", "bf16"):
                ours, theirs = tmp / f"ours-{precision}.safetensors", tmp / f"torch-{precision}.safetensors"
                subprocess.run([f"{a.bin}/backbone-bench", "--model", str(folder), "--batches", "1",
                                "--pixels", str(tmp / "pixels.safetensors"), "--save-tokens", str(ours),
                                "--precision", precision, "--threads", str(a.threads)],
                               check=True, stdout=subprocess.DEVNULL)
                subprocess.run([sys.executable, str(TOOLS / "bench_backbone.py"), str(folder), "--iters", "1",
                                "--pixels", str(tmp / "pixels.safetensors"), "--save-tokens", str(theirs),
                                "--precision", precision, "--threads", str(a.threads)],
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                tokens[("ours", precision)] = load_file(ours)["tokens"]
                tokens[("torch", precision)] = load_file(theirs)["tokens"]
            o = compare(tokens[("ours", "bf16")], tokens[("ours", "fp32")])
            t = compare(tokens[("torch", "bf16")], tokens[("torch", "fp32")])
            parity = compare(tokens[("ours", "fp32")], tokens[("torch", "fp32")])[2]
            print(f"| {folder.name} | {o[0]:.5f} | {o[1]:.5f} | {o[2]:.4f} | {t[0]:.5f} | {t[1]:.5f} | {t[2]:.4f} "
                  f"| {parity:.1e} |", flush=True)


if __name__ == "__main__":
    main()
