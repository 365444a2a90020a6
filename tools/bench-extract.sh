#!/usr/bin/env bash
# Extraction pipeline benchmark: `extract` (generate/decode + preprocess + forward + cache write)
# on DINOv2 ViT-S/14 at 224 px, batch 32, against the bare forward of the same checkpoint
# (backbone-bench) and PyTorch's forward (tools/bench_backbone.py), in one run, at two data-set
# sizes to show that peak memory does not grow with the data set.
# Usage: tools/bench-extract.sh [threads=2]
#   env: SIZES (default "128 512"), MODELS_DIR (default /tmp/csd-bench-models), SCRATCH_PATH
# Exits 1 if the pipeline is more than 10% below the bare forward.
set -euo pipefail
cd "$(dirname "$0")/.."

threads=${1:-2}
sizes=${SIZES:-128 512}
models=${MODELS_DIR:-/tmp/csd-bench-models}
scratch=()
if [[ -n "${SCRATCH_PATH:-}" ]]; then scratch=(--scratch-path "$SCRATCH_PATH"); fi
model="$models/dinov2_vits14"
if [[ ! -f "$model/config.json" ]]; then
    python3 tools/make_backbone_fixtures.py --skip-tiny --full "$models" >&2
fi
swift build -c release "${scratch[@]}" --product extract >&2
swift build -c release "${scratch[@]}" --product backbone-bench >&2
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

forward=$("$bin/backbone-bench" --model "$model" --threads "$threads" --batches 3 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["images_per_second"])')
torch=$(python3 tools/bench_backbone.py "$model" --threads "$threads" --iters 3 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["images_per_s"])')

echo "| data set size | extract images/s | peak RSS MiB | bare forward images/s | PyTorch forward images/s | extract / forward | extract / PyTorch |"
echo "|---|---|---|---|---|---|---|"
status=0
for n in $sizes; do
    /usr/bin/time -f "%M" -o "$tmp/rss.$n" "$bin/extract" --model "$model" --dataset "synthetic:?train=$n&test=1&size=224" \
        --split train --out "$tmp/cache.$n.h5" --batch-size 32 --threads "$threads" 2>"$tmp/log.$n"
    rate=$(python3 -c 'import re,sys; print(re.search(r"train: extracted.*new, ([0-9.]+) images/s", open(sys.argv[1]).read()).group(1))' "$tmp/log.$n")
    rss=$(( $(cat "$tmp/rss.$n") / 1024 ))
    line=$(python3 -c "r,f,t=$rate,$forward,$torch; print(f'| {$n} | {r:.2f} | $rss | {f:.2f} | {t:.2f} | {r/f:.2f} | {r/t:.2f}x |'); import sys; sys.exit(0 if r >= 0.9*f else 1)") || status=1
    echo "$line"
done
exit $status
