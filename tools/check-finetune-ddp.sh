#!/usr/bin/env bash
# Data-parallel finetune under mpirun (CI runs this on a tiny model, as root):
#  1. the same command on 1, 2 and 3 processes gives the same training: per-step losses and the
#     final test errors agree to float summation order (20 unlabeled and 10 labeled rows per
#     step: 3 ranks get uneven shares); every checkpoint checks that all ranks hold the same
#     weights (a run stops with an error if not), and the runs checkpoint every step;
#  2. SIGKILL of one rank ends the whole job, and the rerun, on another number of processes,
#     resumes from the last checkpoint and ends where the uninterrupted run does.
# Usage: tools/check-finetune-ddp.sh <folder with the finetune binary> <work folder>
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1
work=$2/ddp
mkdir -p "$work"
# Open MPI refuses root without these (CI runs as root); --oversubscribe: 3 ranks on 2 cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Copy through shared memory only: containers often forbid the cross-process reads (CMA) Open MPI
# would use for large messages, and the tiny model does not need them.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# One machine: mpirun starts its processes itself (without this it wants ssh installed, even
# for local processes).
export OMPI_MCA_plm=isolated
mpi=(mpirun --oversubscribe --bind-to none)
args=(--model Tests/CSDBackbonesTests/Fixtures/dinov2_tiny --dataset "synthetic:?train=120&test=60&size=16"
      --labels 40 --epochs 3 --batch-size 20 --checkpoint-every 1 --backbone-lr 1e-3 --threads 1 --quiet
      labeled_batch=10 hidden=64 style_dim=8 disc_hidden=32)
fail() { echo "data-parallel finetune check FAILED: $*" >&2; exit 1; }

"$bin/finetune" "${args[@]}" --out "$work/r1" >/dev/null
for r in 2 3; do "${mpi[@]}" -np $r "$bin/finetune" "${args[@]}" --out "$work/r$r" >/dev/null; done
run=$(basename "$(ls -d "$work"/r1/runs/*/)")

# Losses of every step and the test errors: relative 1e-4 (float summation order).
agree() {
    python3 - "$1" "$2" "$run" <<'PY'
import json, sys
a, b, run = sys.argv[1:]
def log(root):
    return {r["step"]: r for r in map(json.loads, open(f"{root}/runs/{run}/train_log.jsonl"))}
def errors(root):
    return json.loads(open(f"{root}/results.jsonl").readline())["test_errors"]
la, lb = log(a), log(b)
assert la.keys() == lb.keys(), f"steps differ: {sorted(la)} vs {sorted(lb)}"
worst = 0.0
for step in la:
    for term in ("loss", "ce", "reconstruction", "adversarial_content", "adversarial_style", "discriminator"):
        x, y = la[step][term], lb[step][term]
        worst = max(worst, abs(x - y) / max(1e-3, abs(x)))
assert worst < 1e-4, f"{b}: a loss term differs from {a} by {worst:.2e} (relative)"
ea, eb = errors(a), errors(b)
assert all(abs(x - y) < 1e-9 for x, y in zip(ea, eb)) and len(ea) == len(eb), f"test errors {ea} vs {eb}"
print(f"{b.split('/')[-1]}: {len(la)} steps, worst relative loss difference {worst:.1e}, test errors {eb}")
PY
}
for r in 2 3; do agree "$work/r1" "$work/r$r" || fail "$r processes do not train as 1 does"; done
grep -q '"ranks":3' "$work/r3/runs/$run/train_log.jsonl" || fail "the log does not record the 3 ranks"

# Kill one rank of a 2-process job mid-training: mpirun ends the job; rerun on 3 processes.
"${mpi[@]}" -np 2 "$bin/finetune" "${args[@]}" --out "$work/killed" >/dev/null 2>&1 &
launcher=$!
for _ in $(seq 1 3000); do
    latest=$(cat "$work/killed/runs/$run/checkpoints/latest" 2>/dev/null || true)
    [[ "$latest" > "step-00000004" ]] && break
    sleep 0.01
done
# The ranks are mpirun's children; kill the last one (not rank 0, which writes the checkpoints).
victim=$(pgrep -P "$launcher" -f -n "finetune") || fail "no rank of the job to kill"
echo "killing rank process $victim: $(tr '\0' ' ' < "/proc/$victim/cmdline" | cut -c1-60)..."
kill -9 "$victim" 2>/dev/null || fail "the job ended before a rank could be killed"
status=0
wait "$launcher" || status=$?
[[ $status -ne 0 ]] || fail "the job ended normally after one of its ranks was killed"
pgrep -f "finetune .*--out $work/killed" >/dev/null && fail "ranks of the killed job are still running"
[[ ! -e "$work/killed/results.jsonl" ]] || fail "the run finished before the kill"
echo "killed a rank at $(cat "$work/killed/runs/$run/checkpoints/latest"): the job ended (status $status); resuming on 3 processes"
"${mpi[@]}" -np 3 "$bin/finetune" "${args[@]}" --out "$work/killed" >/dev/null
agree "$work/r1" "$work/killed" || fail "the resumed run does not end where the uninterrupted one does"
echo "data-parallel finetune: 1, 2 and 3 processes train alike; a killed rank ends the job, which resumes on another count: OK"
