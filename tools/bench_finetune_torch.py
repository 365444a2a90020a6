#!/usr/bin/env python3
"""PyTorch side of the fine-tuning step benchmark: seconds and peak memory of one training step
of a DINOv2 backbone with the content-style heads (docs/METHOD.md, `finetune`), run next to the
Swift tool.

    python3 tools/make_backbone_fixtures.py --skip-tiny --full /tmp/full   # random ViT-S/14
    python3 tools/bench_finetune_torch.py --model /tmp/full/dinov2_vits14 --threads 2 \
        --batch 16 --labeled 4 --steps 5 --warmup 1 [--size 224] [--attn sdpa|eager] [--recompute]

Setup (untimed): transformers Dinov2Model from the folder, float32, attention as in
tools/bench_backbone.py (sdpa unless --attn), train mode (no dropout or drop path at the
defaults), every backbone parameter trainable. Fixed batch: pixels [batch, 3, size, size]
standard normal and labels for rows 0..labeled-1 (ints < 10) from a Generator seeded --seed;
all `batch` rows are B_L u B_U (the labeled rows first). Standardisation constants: per-feature
mean and population std (csd_reference.standardization_statistics) of pooler_output (the
layer-normed [CLS], D = 384) from one no-grad forward of the batch. Heads:
csd_reference.ContentStyleModel(D, 10, DEFAULTS) (H 512, S 32, Hd 256, weights 1/1/0.1/0.1,
cosine reconstruction), built after torch.manual_seed(--seed).

One step (timed with time.perf_counter, everything below):
  1. y = (backbone(pixels).pooler_output - mean) / std.
  2. L = csd_reference.generator_loss(heads, y[:labeled], labels, y[labeled:]) (target = y
     detached: the live token), with the discriminators' parameters frozen (requires_grad
     False, so they get no gradient); backward; AdamW (betas 0.9/0.999, eps 1e-8,
     weight_decay 0) over two groups: backbone lr 1e-5, encoder + decoder lr 1e-3; step;
     zero_grad.
  3. Codes p = softmax(logits), s recomputed under no_grad by the updated encoder on y detached
     (no backbone rerun); csd_reference.discriminator_loss with `batch` uniform-prior one-hots
     and z ~ N(0, I); Adam(lr 1e-3, betas 0.5/0.999) step.
--precision bf16: step 1's backbone forward runs under torch.autocast("cpu", dtype=torch.bfloat16)
(its linear layers, attention and patch convolution in bf16 through oneDNN; the backward follows
the forward's dtypes), and its pooler_output is cast back to float32 before standardisation;
parameters, optimiser state and heads stay float32. (--precision is also the Swift side's flag.)
--compare-gradients: no timing; the generator gradients of one step with the backbone forward under
autocast against fp32, as relative errors (one JSON line).
--recompute: activation checkpointing of every backbone layer (transformers'
activation_checkpointing_enable: torch.utils.checkpoint, use_reentrant=False, per Dinov2Layer).
Data-parallel under torchrun (WORLD_SIZE > 1; tools/bench-finetune-ddp.sh): gloo process group;
each rank takes its slice of the batch's labeled and of its unlabeled rows (the counts must
divide by the ranks, so DistributedDataParallel's gradient average is the batch's); the backbone
and the encoder/decoder in one DistributedDataParallel (buckets reduced during backward; the
unused mask token frozen), the discriminators' gradients averaged with all_reduce after their
backward; rank 0 prints the JSON line ("ranks" added).

Prints one JSON line on stdout (progress on stderr):
  {"framework": "pytorch", "model" (folder name), "batch", "size", "threads", "labeled",
   "attention", "recompute", "warmup", "steps", "step_seconds_median" (over the --steps timed
   steps after --warmup), "step_seconds_all", "peak_rss_mib" (ru_maxrss at the end: whole
   process peak), "peak_rss_mib_after_load", "loss_first" / "loss_last" (L of the first step,
   warm-up included, and of the last), "disc_loss_first" / "disc_loss_last", "torch",
   "transformers"}

requires: torch==2.13.0+cpu transformers==5.24.0 safetensors==0.8.0 (tools/requirements.txt)
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import backbone_ref  # noqa: E402

backbone_ref.quiet_transformers()

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import transformers  # noqa: E402

import csd_reference as csd  # noqa: E402

NUM_CLASSES = 10


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="transformers Dinov2Model folder")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--labeled", type=int, default=4, help="labeled rows among the batch")
    ap.add_argument("--steps", type=int, default=5, help="timed steps after the warm-up")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--size", type=int, default=224, help="square input size in pixels")
    ap.add_argument("--attn", choices=["sdpa", "eager"], default="sdpa")
    ap.add_argument("--recompute", action="store_true", help="checkpoint every backbone layer")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="bf16: the backbone forward under CPU autocast")
    ap.add_argument("--compare-gradients", action="store_true",
                    help="instead of timing: the generator gradients of one step under autocast against fp32")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if not 0 <= a.labeled <= a.batch or a.steps < 1 or a.warmup < 0:
        raise SystemExit("need 0 <= --labeled <= --batch, --steps >= 1, --warmup >= 0")

    torch.set_num_threads(a.threads)
    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    if world > 1:
        if a.labeled % world or (a.batch - a.labeled) % world:
            raise SystemExit(f"--labeled and the unlabeled rows must divide by the {world} ranks")
        torch.distributed.init_process_group("gloo")
    folder = Path(a.model)
    model_type = json.loads((folder / "config.json").read_text()).get("model_type")
    if model_type != "dinov2":
        raise SystemExit(f"{folder}: model_type {model_type!r}, expected dinov2")
    backbone = transformers.Dinov2Model.from_pretrained(folder, attn_implementation=a.attn,
                                                        dtype=torch.float32)
    backbone.train().requires_grad_(True)
    if a.recompute:
        backbone.activation_checkpointing_enable({"use_reentrant": False})
    rss_load = peak_rss_mib()

    gen = torch.Generator().manual_seed(a.seed)
    pixels = torch.randn((a.batch, 3, a.size, a.size), generator=gen)
    labels = torch.randint(0, NUM_CLASSES, (a.labeled,), generator=gen)
    with torch.no_grad():
        mean, std = csd.standardization_statistics(backbone(pixel_values=pixels).pooler_output)
    trainable = backbone
    if world > 1:
        # This rank's labeled rows, then its unlabeled rows; the step below sees only them.
        nl, nu = a.labeled // world, (a.batch - a.labeled) // world
        labels = labels[rank * nl:(rank + 1) * nl]
        pixels = torch.cat([pixels[rank * nl:(rank + 1) * nl], pixels[a.labeled + rank * nu:a.labeled + (rank + 1) * nu]])
        a.labeled, a.batch = nl, nl + nu
        backbone.embeddings.mask_token.requires_grad_(False)  # never used: DDP would wait for its gradient

    opts = dict(csd.DEFAULTS)
    torch.manual_seed(a.seed)
    heads = csd.ContentStyleModel(backbone.config.hidden_size, NUM_CLASSES, opts)
    opt = torch.optim.AdamW([{"params": list(backbone.parameters()), "lr": 1e-5},
                             {"params": heads.generator_parameters(), "lr": opts["lr"]}],
                            betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    disc_params = heads.discriminator_parameters()
    disc_opt = torch.optim.Adam(disc_params, lr=opts["disc_lr"], betas=(0.5, 0.999), eps=1e-8)
    prior = torch.full((NUM_CLASSES,), 1.0 / NUM_CLASSES, dtype=torch.float64)
    if world > 1:
        trainable = torch.nn.parallel.DistributedDataParallel(Trainable(backbone, heads))

    def forward():
        if a.precision == "fp32":
            return trainable(pixel_values=pixels).pooler_output
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return trainable(pixel_values=pixels).pooler_output.float()

    def step():
        y = (forward() - mean) / std
        for p in disc_params:
            p.requires_grad_(False)
        loss, _, _, _ = csd.generator_loss(heads, opts, y[:a.labeled], labels, y[a.labeled:])
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        for p in disc_params:
            p.requires_grad_(True)
        with torch.no_grad():
            logits, s = heads.encoder(y.detach())
            p = logits.softmax(dim=1)
        c_prior = F.one_hot(torch.multinomial(prior, a.batch, replacement=True, generator=gen),
                            NUM_CLASSES).float()
        z = torch.randn(a.batch, opts["style_dim"], generator=gen)
        dloss = csd.discriminator_loss(heads, p, s, c_prior, z)
        disc_opt.zero_grad(set_to_none=True)
        dloss.backward()
        if world > 1:
            for q in disc_params:
                torch.distributed.all_reduce(q.grad)
                q.grad /= world
        disc_opt.step()
        return loss.item(), dloss.item()

    if a.compare_gradients:
        print(json.dumps(gradient_errors(a, backbone, heads, opts, labels, mean, std, pixels, disc_params)), flush=True)
        return

    times, losses = [], []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        losses.append(step())
        dt = time.perf_counter() - t0
        if i >= a.warmup:
            times.append(dt)
        kind = "warm-up" if i < a.warmup else "step"
        print(f"{kind} {i + 1}: {dt:.3f} s, loss {losses[-1][0]:.5f}, disc {losses[-1][1]:.5f}",
              file=sys.stderr, flush=True)

    if rank > 0:
        return
    print(json.dumps({
        "framework": "pytorch", "ranks": world, "model": folder.name, "batch": a.batch * world, "size": a.size,
        "threads": a.threads, "labeled": a.labeled * world, "attention": a.attn, "recompute": a.recompute,
        "precision": a.precision,
        "warmup": a.warmup, "steps": a.steps,
        "step_seconds_median": round(statistics.median(times), 4),
        "step_seconds_all": [round(t, 4) for t in times],
        "peak_rss_mib": round(peak_rss_mib(), 1), "peak_rss_mib_after_load": round(rss_load, 1),
        "loss_first": losses[0][0], "loss_last": losses[-1][0],
        "disc_loss_first": losses[0][1], "disc_loss_last": losses[-1][1],
        "torch": torch.__version__, "transformers": transformers.__version__,
    }), flush=True)


class Trainable(torch.nn.Module):
    """The backbone and the heads' encoder and decoder: what one DistributedDataParallel reduces
    (the heads are used by the loss outside forward; their gradients' hooks fire all the same)."""

    def __init__(self, backbone, heads):
        super().__init__()
        self.backbone = backbone
        self.encoder = heads.encoder
        self.decoder = heads.decoder

    def forward(self, pixel_values):
        return self.backbone(pixel_values=pixel_values)


def gradient_errors(a, backbone, heads, opts, labels, mean, std, pixels, disc_params):
    """||g_autocast - g_fp32|| / ||g_fp32|| of the generator gradients of one step (the Swift
    side's train-step-bench --compare-gradients): backbone overall, per tensor, and the heads."""
    for p in disc_params:
        p.requires_grad_(False)

    def grads(precision):
        backbone.zero_grad(set_to_none=True)
        heads.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            token = backbone(pixel_values=pixels).pooler_output
        y = (token.float() - mean) / std
        loss, _, _, _ = csd.generator_loss(heads, opts, y[:a.labeled], labels, y[a.labeled:])
        loss.backward()
        out = {f"backbone.{k}": p.grad.clone() for k, p in backbone.named_parameters() if p.grad is not None}
        out.update({f"heads.{k}": p.grad.clone() for k, p in heads.named_parameters() if p.grad is not None})
        return out

    ref, bf16 = grads("fp32"), grads("bf16")
    total = [0.0, 0.0]
    heads_total = [0.0, 0.0]
    per_tensor = []
    for k, g in ref.items():
        d = (bf16[k].double() - g.double()).pow(2).sum().item()
        n = g.double().pow(2).sum().item()
        if k.startswith("heads."):
            heads_total[0] += d
            heads_total[1] += n
            continue
        total[0] += d
        total[1] += n
        if not k.endswith(("key.bias", "k_proj.bias")):  # exact gradient zero: softmax ignores a row shift
            per_tensor.append(((d / max(n, 1e-30)) ** 0.5, k))
    per_tensor.sort()
    return {"framework": "pytorch", "backbone_relative_error": (total[0] / total[1]) ** 0.5,
            "tensor_relative_error_median": per_tensor[len(per_tensor) // 2][0],
            "tensor_relative_error_worst": per_tensor[-1][0], "worst_tensor": per_tensor[-1][1],
            "heads_relative_error": (heads_total[0] / heads_total[1]) ** 0.5, "tensors": len(per_tensor)}


if __name__ == "__main__":
    main()
