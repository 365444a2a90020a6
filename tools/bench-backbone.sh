#!/usr/bin/env bash
# Backbone forward benchmark: our backbone-bench against transformers (tools/bench_backbone.py) on
# the same random-weight checkpoints, 224 px, batch 32, same threads, alternating runs.
# Prints images/s and peak memory of both and the ratio; exits 1 when ours is below TARGET x PyTorch.
# Usage: tools/bench-backbone.sh [threads=2]
#   env: ROUNDS (alternations, default 3), BATCHES (timed batches per run, default 3),
#        MODELS_DIR (where the random checkpoints live, default /tmp/csd-bench-models),
#        TARGET (default 1.2), SCRATCH_PATH (swift build folder)
set -euo pipefail
cd "$(dirname "$0")/.."

threads=${1:-2}
rounds=${ROUNDS:-3}
batches=${BATCHES:-3}
target=${TARGET:-1.2}
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
        "$bin/backbone-bench" --model "$models/$model" --threads "$threads" --batches "$batches" --json >>"$tmp/$model.swift"
        python3 tools/bench_backbone.py "$models/$model" --threads "$threads" --iters "$batches" 2>/dev/null >>"$tmp/$model.torch"
    done
done

python3 - "$tmp" "$target" "$threads" "$rounds" <<'PY'
import json, statistics, sys
tmp, target, threads, rounds = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
print(f"Backbone forward, 224 px, batch 32, {threads} threads, median of {rounds} alternating runs")
print("| model | ours images/s | PyTorch images/s | ratio | ours peak RSS MiB | PyTorch peak RSS MiB | ours RSS after each batch |")
print("|---|---|---|---|---|---|---|")
ok = True
for model in ("dinov2_vits14", "clip_vitb16"):
    ours = [json.loads(l) for l in open(f"{tmp}/{model}.swift")]
    ref = [json.loads(l) for l in open(f"{tmp}/{model}.torch")]
    a = statistics.median(o["images_per_second"] for o in ours)
    b = statistics.median(o["images_per_s"] for o in ref)
    ratio = a / b
    ok &= ratio >= target
    growth = ours[-1]["peak_rss_mib_after_each_batch"]
    print(f"| {model} | {a:.2f} | {b:.2f} | {ratio:.2f}x | {max(o['peak_rss_mib'] for o in ours):.0f} | "
          f"{max(o['peak_rss_mib'] for o in ref):.0f} | {', '.join(f'{g:.0f}' for g in growth)} |")
print(("PASS" if ok else "FAIL") + f": target {target}x PyTorch")
sys.exit(0 if ok else 1)
PY
