#!/usr/bin/env bash
# Backbone forward benchmark: our backbone-bench against transformers (tools/bench_backbone.py) on
# the same random-weight checkpoints, 224 px, batch 32, same threads, alternating runs, in fp32 and
# in bf16 (ours: --precision bf16; PyTorch: CPU autocast to bfloat16).
# Prints images/s and peak memory of both and the ratios; exits 1 when ours is below TARGET x
# PyTorch in fp32, or bf16 is below BF16_OWN_TARGET x our fp32 or BF16_TORCH_TARGET x PyTorch bf16.
# Usage: tools/bench-backbone.sh [threads=2]
#   env: ROUNDS (alternations, default 3), BATCHES (timed batches per run, default 3),
#        MODELS_DIR (where the random checkpoints live, default /tmp/csd-bench-models),
#        TARGET (default 1.2), PRECISIONS (default "fp32 bf16"), BF16_OWN_TARGET (default 1.6),
#        BF16_TORCH_TARGET (default 1.2), SCRATCH_PATH (swift build folder)
set -euo pipefail
cd "$(dirname "$0")/.."

threads=${1:-2}
rounds=${ROUNDS:-3}
batches=${BATCHES:-3}
target=${TARGET:-1.2}
precisions=${PRECISIONS:-fp32 bf16}
models=${MODELS_DIR:-/tmp/csd-bench-models}
scratch=()
if [[ -n "${SCRATCH_PATH:-}" ]]; then scratch=(--scratch-path "$SCRATCH_PATH"); fi

if [[ ! -f "$models/dinov2_vits14/config.json" || ! -f "$models/clip_vitb16/config.json" ]]; then
    echo "bench-backbone: writing random-weight ViT-S/14 DINOv2 and ViT-B/16 CLIP to $models" >&2
    python3 tools/make_backbone_fixtures.py --skip-tiny --full "$models" >&2
fi
swift build -c release "${scratch[@]}" --product backbone-bench >&2
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for model in dinov2_vits14 clip_vitb16; do
    for ((r = 1; r <= rounds; r++)); do
        for precision in $precisions; do
            "$bin/backbone-bench" --model "$models/$model" --threads "$threads" --batches "$batches" \
                --precision "$precision" --json >>"$tmp/$model.$precision.swift"
            python3 tools/bench_backbone.py "$models/$model" --threads "$threads" --iters "$batches" \
                --precision "$precision" 2>/dev/null >>"$tmp/$model.$precision.torch"
        done
    done
done

python3 - "$tmp" "$target" "$threads" "$rounds" "$precisions" <<'PY'
import json, os, statistics, sys
tmp, target, threads, rounds, precisions = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5].split()
print(f"Backbone forward, 224 px, batch 32, {threads} threads, median of {rounds} alternating runs; "
      "bf16: ours = oneDNN AVX512_BF16 products, PyTorch = torch.autocast(cpu, bfloat16)")
print("| model | precision | ours images/s | PyTorch images/s | ratio | ours peak RSS MiB | PyTorch peak RSS MiB | ours RSS after each batch |")
print("|---|---|---|---|---|---|---|---|")
ok = True
speed = {}
for model in ("dinov2_vits14", "clip_vitb16"):
    for precision in precisions:
        ours = [json.loads(l) for l in open(f"{tmp}/{model}.{precision}.swift")]
        ref = [json.loads(l) for l in open(f"{tmp}/{model}.{precision}.torch")]
        a = statistics.median(o["images_per_second"] for o in ours)
        b = statistics.median(o["images_per_s"] for o in ref)
        speed[model, precision] = (a, b)
        ratio = a / b
        if precision == "fp32":
            ok &= ratio >= target
        growth = ours[-1]["peak_rss_mib_after_each_batch"]
        print(f"| {model} | {precision} | {a:.2f} | {b:.2f} | {ratio:.2f}x | {max(o['peak_rss_mib'] for o in ours):.0f} | "
              f"{max(o['peak_rss_mib'] for o in ref):.0f} | {', '.join(f'{g:.0f}' for g in growth)} |")
print(("PASS" if ok else "FAIL") + f": fp32 target {target}x PyTorch")
if "bf16" in precisions and "fp32" in precisions:
    bf16_own, bf16_torch = float(os.environ.get("BF16_OWN_TARGET", 1.6)), float(os.environ.get("BF16_TORCH_TARGET", 1.2))
    for model in ("dinov2_vits14", "clip_vitb16"):
        own = speed[model, "bf16"][0] / speed[model, "fp32"][0]
        vs = speed[model, "bf16"][0] / speed[model, "bf16"][1]
        good = own >= bf16_own and vs >= bf16_torch
        ok &= good
        print(f"{'PASS' if good else 'FAIL'}: {model} bf16 = {own:.2f}x our fp32 (target {bf16_own}x), "
              f"{vs:.2f}x PyTorch autocast (target {bf16_torch}x); PyTorch's own bf16 speed-up "
              f"{speed[model, 'bf16'][1] / speed[model, 'fp32'][1]:.2f}x")
sys.exit(0 if ok else 1)
PY
