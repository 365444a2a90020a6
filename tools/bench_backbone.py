#!/usr/bin/env python3
"""PyTorch reference side of the backbone forward benchmark (images/s and peak memory).

    python3 tools/make_backbone_fixtures.py --skip-tiny --full /tmp/full   # random ViT-S/14, B/16
    python3 tools/bench_backbone.py /tmp/full/dinov2_vits14 [--threads 2] [--batch 32]
            [--iters 5] [--size 224] [--attn sdpa|eager] [--precision fp32|bf16]
            [--pixels in.safetensors] [--save-tokens out.safetensors]

Loads a hub-layout folder (config.json + safetensors) with transformers, picking the class from
config.json (dinov2 -> Dinov2Model, dinov2_with_registers -> Dinov2WithRegistersModel,
clip_vision_model -> CLIPVisionModelWithProjection, radio -> RadioModel), float32, eval,
torch.no_grad, torch.set_num_threads(N). Inputs are random [batch, 3, size, size] tensors
(standard normal; uniform [0, 1] for RADIO, which normalises inside). One warm-up batch, then
--iters timed batches (time.perf_counter around the forward). --precision bf16 runs the forward
under torch.autocast("cpu", dtype=torch.bfloat16) (weights stay float32; linear layers,
attention and the patch convolution run in bf16 through oneDNN). --pixels reads the input
(`pixels`) from a safetensors file (backbone-bench --save-tokens writes one); --save-tokens writes
the first batch's image token (pooler_output; CLIP: the vision tower's; RADIO: summary) as float32
`tokens`.

Prints one JSON line on stdout (everything else goes to stderr):
  {"tool": "bench_backbone.py", "impl": "pytorch", "model": <folder name>, "model_type", "class",
   "attn", "threads", "batch", "size", "warmup": 1, "iters", "images_per_s" (median over
   batches), "images_per_s_all", "batch_seconds", "peak_rss_mib_after_load",
   "peak_rss_mib" (resource.getrusage(RUSAGE_SELF).ru_maxrss at the end: whole process peak),
   "torch", "transformers"}

requires: torch==2.13.0+cpu transformers==5.24.0 safetensors==0.8.0 (tools/requirements.txt)
"""
import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import backbone_ref as ref  # noqa: E402

ref.quiet_transformers()

import torch  # noqa: E402
import transformers  # noqa: E402

CLASSES = {
    "dinov2": "Dinov2Model",
    "dinov2_with_registers": "Dinov2WithRegistersModel",
    "clip_vision_model": "CLIPVisionModelWithProjection",
    "radio": "RadioModel",
}


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--iters", type=int, default=5, help="timed batches after one warm-up batch")
    ap.add_argument("--size", type=int, default=224, help="square input size in pixels")
    ap.add_argument("--attn", choices=["sdpa", "eager"], default="sdpa")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--pixels", help="safetensors file with the input `pixels`")
    ap.add_argument("--save-tokens", help="write the first batch's image tokens here (safetensors)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    folder = Path(a.model_dir)
    cfg = json.loads((folder / "config.json").read_text())
    model_type = cfg.get("model_type")
    if model_type not in CLASSES:
        raise SystemExit(f"{folder}: model_type {model_type!r} not supported "
                         f"(hub remote-code RADIO folders: convert with --form transformers)")
    cls = getattr(transformers, CLASSES[model_type])
    model = cls.from_pretrained(folder, attn_implementation=a.attn, dtype=torch.float32).eval()
    rss_load = peak_rss_mib()

    g = torch.Generator().manual_seed(a.seed)
    shape = (a.batch, 3, a.size, a.size)
    x = torch.rand(shape, generator=g) if model_type == "radio" else torch.randn(shape, generator=g)
    if a.pixels:
        from safetensors.torch import load_file
        x = load_file(a.pixels)["pixels"].float()
        a.batch = x.shape[0]
    kwargs = {}
    if model_type == "clip_vision_model" and a.size != cfg.get("image_size"):
        kwargs["interpolate_pos_encoding"] = True

    def forward():
        if a.precision == "fp32":
            return model(pixel_values=x, **kwargs)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return model(pixel_values=x, **kwargs)

    times = []
    with torch.no_grad():
        out = forward()  # warm-up
        if a.save_tokens:
            from safetensors.torch import save_file
            if model_type == "clip_vision_model":  # the tower's pooler_output, as our image token
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16"):
                    out = model.vision_model(pixel_values=x, **kwargs)
            token = out.summary if model_type == "radio" else out.pooler_output
            save_file({"tokens": token.float().contiguous()}, a.save_tokens, metadata={"precision": a.precision})
        for i in range(a.iters):
            t0 = time.perf_counter()
            forward()
            times.append(time.perf_counter() - t0)
            print(f"batch {i + 1}/{a.iters}: {times[-1]:.3f} s", file=sys.stderr)
    ips = [a.batch / t for t in times]
    print(json.dumps({
        "tool": "bench_backbone.py", "impl": "pytorch", "model": folder.name, "model_type": model_type,
        "class": cls.__name__, "attn": a.attn, "precision": a.precision, "threads": a.threads, "batch": a.batch, "size": a.size,
        "warmup": 1, "iters": a.iters, "images_per_s": round(statistics.median(ips), 3),
        "images_per_s_all": [round(v, 3) for v in ips], "batch_seconds": [round(t, 4) for t in times],
        "peak_rss_mib_after_load": round(rss_load, 1), "peak_rss_mib": round(peak_rss_mib(), 1),
        "torch": torch.__version__, "transformers": transformers.__version__,
    }), flush=True)


if __name__ == "__main__":
    main()
