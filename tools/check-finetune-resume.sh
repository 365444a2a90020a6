#!/usr/bin/env bash
# A finetune run killed with SIGKILL mid-training and started again ends with the same weights,
# heads and test errors as a run that was never interrupted (CI runs this on a tiny model).
# Usage: tools/check-finetune-resume.sh <folder with the finetune binary> <work folder>
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1
work=$2
args=(--model Tests/CSDBackbonesTests/Fixtures/dinov2_tiny --dataset "synthetic:?train=120&test=60&size=16"
      --labels 40 --epochs 4 --batch-size 20 --checkpoint-every 1 --backbone-lr 1e-3 --quiet
      labeled_batch=10 hidden=64 style_dim=8 disc_hidden=32)
fail() { echo "finetune resume check FAILED: $*" >&2; exit 1; }

"$bin/finetune" "${args[@]}" --out "$work/whole" >/dev/null
run=$(basename "$(ls -d "$work"/whole/runs/*/)")   # the run's folder name, the same in both outputs

"$bin/finetune" "${args[@]}" --out "$work/killed" >/dev/null &
pid=$!
# Kill once a few checkpoints exist, in the middle of the first epochs.
for _ in $(seq 1 2000); do
    latest=$(cat "$work/killed/runs/$run/checkpoints/latest" 2>/dev/null || true)
    [[ "$latest" > "step-00000004" ]] && break
    sleep 0.01
done
kill -9 "$pid" 2>/dev/null || fail "the run ended before it could be killed"
wait "$pid" 2>/dev/null || true
[[ ! -e "$work/killed/results.jsonl" ]] || fail "the run finished before the kill"
echo "killed at $(cat "$work/killed/runs/$run/checkpoints/latest"), resuming"
"$bin/finetune" "${args[@]}" --out "$work/killed" >/dev/null

for file in backbone/model.safetensors heads.safetensors; do
    cmp -s "$work/whole/runs/$run/$file" "$work/killed/runs/$run/$file" || fail "$file differs from the uninterrupted run"
done
errors() { python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["test_errors"])' "$1/results.jsonl"; }
[[ "$(errors "$work/whole")" == "$(errors "$work/killed")" ]] || fail "test errors differ"
echo "finetune resumed after SIGKILL to the same weights, heads and errors: OK"
