#!/usr/bin/env bash
# finetune training-step benchmark: our train-step-bench against PyTorch (tools/bench_finetune_torch.py)
# on the same random-weight DINOv2 ViT-S/14 checkpoint, 224 px, batch 16 (4 labeled), same threads:
# one step = backbone forward + content-style heads, backward, AdamW, discriminators' step.
# Runs alternate (ours, PyTorch) ROUNDS times, with and without activation recomputation; prints
# the median step time and peak memory of both and the ratio; exits 1 when ours is below TARGET x.
# Usage: tools/bench-finetune.sh [threads=2]
#   env: ROUNDS (default 2), STEPS (timed steps per run, default 3), MODELS_DIR (default
#        /tmp/csd-bench-models), TARGET (default 1.0, fp32), MODES (default "plain recompute"),
#        PRECISIONS (default "fp32 bf16"), BF16_OWN_TARGET (default 1.4, bf16 over our fp32),
#        BF16_TORCH_TARGET (default 1.2, over PyTorch autocast), SCRATCH_PATH (swift build folder)
set -euo pipefail
cd "$(dirname "$0")/.."

threads=${1:-2}
rounds=${ROUNDS:-2}
steps=${STEPS:-3}
target=${TARGET:-1.0}
modes=${MODES:-plain recompute}
precisions=${PRECISIONS:-fp32 bf16}
models=${MODELS_DIR:-/tmp/csd-bench-models}
scratch=()
if [[ -n "${SCRATCH_PATH:-}" ]]; then scratch=(--scratch-path "$SCRATCH_PATH"); fi

if [[ ! -f "$models/dinov2_vits14/config.json" ]]; then
    echo "bench-finetune: writing random-weight ViT-S/14 DINOv2 to $models" >&2
    python3 tools/make_backbone_fixtures.py --skip-tiny --full "$models" >&2
fi
swift build -c release "${scratch[@]}" --product train-step-bench >&2
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--model "$models/dinov2_vits14" --batch 16 --labeled 4 --size 224 --steps "$steps" --warmup 1 --threads "$threads")
for mode in $modes; do
    flag=(); [[ $mode == recompute ]] && flag=(--recompute)
    for ((r = 1; r <= rounds; r++)); do
        for precision in $precisions; do
            "$bin/train-step-bench" "${common[@]}" "${flag[@]}" --precision "$precision" >> "$tmp/swift-$mode-$precision.jsonl"
            python3 tools/bench_finetune_torch.py "${common[@]}" "${flag[@]}" --precision "$precision" 2>/dev/null \
                >> "$tmp/torch-$mode-$precision.jsonl"
        done
    done
done

python3 - "$tmp" "$threads" "$target" "$modes" "$precisions" <<'PY'
import json, os, statistics, sys
tmp, threads, target, modes, precisions = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4].split(), sys.argv[5].split()
def load(name):
    rows = [json.loads(l) for l in open(f"{tmp}/{name}.jsonl") if l.strip()]
    return statistics.median(r["step_seconds_median"] for r in rows), max(r["peak_rss_mib"] for r in rows)
print(f"one finetune training step, DINOv2 ViT-S/14 (random weights), 224 px, batch 16 (4 labeled), {threads} threads; "
      "bf16: ours = --precision bf16, PyTorch = backbone forward under torch.autocast(cpu, bfloat16)")
print("| mode | precision | ours s/step | PyTorch s/step | speed-up | ours peak MiB | PyTorch peak MiB |")
print("|---|---|---|---|---|---|---|")
ok = True
times = {}
for mode in modes:
    for precision in precisions:
        (ts, ms), (tt, mt) = load(f"swift-{mode}-{precision}"), load(f"torch-{mode}-{precision}")
        times[mode, precision] = (ts, tt)
        ratio = tt / ts
        if precision == "fp32":
            ok &= ratio >= target
        print(f"| {mode} | {precision} | {ts:.2f} | {tt:.2f} | {ratio:.2f}x | {ms:.0f} | {mt:.0f} |")
if "bf16" in precisions and "fp32" in precisions:
    own_target, torch_target = float(os.environ.get("BF16_OWN_TARGET", 1.4)), float(os.environ.get("BF16_TORCH_TARGET", 1.2))
    for mode in modes:
        own = times[mode, "fp32"][0] / times[mode, "bf16"][0]
        vs = times[mode, "bf16"][1] / times[mode, "bf16"][0]
        good = own >= own_target and vs >= torch_target
        ok &= good
        print(f"{'PASS' if good else 'FAIL'}: {mode} bf16 step = {own:.2f}x our fp32 (target {own_target}x), "
              f"{vs:.2f}x PyTorch autocast (target {torch_target}x); PyTorch's own bf16 speed-up "
              f"{times[mode, 'fp32'][1] / times[mode, 'bf16'][1]:.2f}x")
sys.exit(0 if ok else 1)
PY
