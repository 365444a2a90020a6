#!/usr/bin/env bash
# probe speed against the plain PyTorch reference (tools/csd_reference.py) on the same cache:
# 60000 x 384 tokens, 10 classes (Gaussian clusters), 10000 test rows.
#  - one csd run (100 labels), both with 2 threads;
#  - a sweep of 6 csd runs (100, 1000, all labels x seeds 0, 1): ours runs them in parallel (one
#    per core), the reference one after another;
#  - a mixed sweep of 6 runs (csd and supervised x 100, 1000, all labels, seed 0), unbalanced.
# Usage: tools/bench-probe.sh [threads=2]   env: EPOCHS (default 3; the method's default is 30 —
# time scales linearly with epochs), WORK (default /tmp/csd-bench-probe), SCRATCH_PATH
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
epochs=${EPOCHS:-3}
work=${WORK:-/tmp/csd-bench-probe}
scratch=()
if [[ -n "${SCRATCH_PATH:-}" ]]; then scratch=(--scratch-path "$SCRATCH_PATH"); fi
mkdir -p "$work"
cache="$work/tokens-60000x384.h5"
if [[ ! -f "$cache" ]]; then
    python3 - "$cache" <<'PY'
import sys, json, h5py, numpy as np
rng = np.random.default_rng(0)
centres = rng.normal(0, 1, (10, 384)).astype(np.float32)
with h5py.File(sys.argv[1], "w") as f:
    attrs = dict(schema_version=1, model_id="bench-clusters", weights_sha256="none", token="cls", preprocessing="{}",
                 dataset_id="clusters", dataset_fingerprint="seed0", tool_version="bench", dtype="f32", feature_dim=384)
    for k, v in attrs.items():
        f.attrs[k] = np.int64(v) if isinstance(v, int) else v
    for split, n in (("train", 60000), ("test", 10000)):
        y = rng.integers(0, 10, n)
        x = centres[y] + rng.normal(0, 2.5, (n, 384)).astype(np.float32)
        g = f.create_group(split)
        g.create_dataset("features", data=x.astype(np.float32), chunks=(512, 384), maxshape=(None, 384))
        g.create_dataset("labels", data=y.astype(np.int64), chunks=(4096,), maxshape=(None,))
        g.create_dataset("index", data=np.arange(n, dtype=np.int64), chunks=(4096,), maxshape=(None,))
        g.attrs["rows"] = np.int64(n); g.attrs["committed_rows"] = np.int64(n)
        g.attrs["class_names"] = np.array([f"c{i}" for i in range(10)], dtype=h5py.string_dtype())
PY
fi
swift build -c release "${scratch[@]}" --product probe >&2
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)

now() { python3 -c 'import time; print(time.time())'; }
rm -rf "$work/ours1" "$work/ours6" "$work/torch1.jsonl" "$work/torch6.jsonl"
t0=$(now); "$bin/probe" --cache "$cache" --methods csd --labels 100 --seeds 0 --epochs "$epochs" --parallel 1 --validation-per-class 0 \
    --threads "$threads" --out "$work/ours1" --quiet >/dev/null; t1=$(now)
python3 tools/csd_reference.py --cache "$cache" --methods csd --labels 100 --seeds 0 --epochs "$epochs" \
    --threads "$threads" --out "$work/torch1.jsonl" >/dev/null 2>&1; t2=$(now)
"$bin/probe" --cache "$cache" --methods csd --labels 100,1000,all --seeds 0,1 --epochs "$epochs" --validation-per-class 0 \
    --threads "$threads" --out "$work/ours6" --quiet >/dev/null; t3=$(now)
python3 tools/csd_reference.py --cache "$cache" --methods csd --labels 100,1000,all --seeds 0,1 \
    --epochs "$epochs" --threads "$threads" --out "$work/torch6.jsonl" >/dev/null 2>&1; t4=$(now)
rm -rf "$work/oursmix" "$work/torchmix.jsonl"
"$bin/probe" --cache "$cache" --methods csd,supervised --labels 100,1000,all --seeds 0 --epochs "$epochs" --validation-per-class 0 \
    --threads "$threads" --out "$work/oursmix" --quiet >/dev/null; t5=$(now)
python3 tools/csd_reference.py --cache "$cache" --methods csd,supervised --labels 100,1000,all --seeds 0 \
    --epochs "$epochs" --threads "$threads" --out "$work/torchmix.jsonl" >/dev/null 2>&1; t6=$(now)

python3 - "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$t6" "$epochs" "$threads" "$work" <<'PY'
import json, sys
t0, t1, t2, t3, t4, t5, t6 = map(float, sys.argv[1:8]); epochs, threads, work = sys.argv[8], sys.argv[9], sys.argv[10]
ours1, torch1, ours6, torch6, oursmix, torchmix = t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5
def errs(path):
    return {(r["method"], r["labels_requested"]): r["best_test_error"] for r in map(json.loads, open(path))}
o = errs(f"{work}/oursmix/results.jsonl")
t = errs(f"{work}/torchmix.jsonl")
print(f"probe vs PyTorch reference, 60000 x 384 tokens, 10 classes, {epochs} epochs, {threads} threads (wall s, incl. loading)")
print("| workload | ours | PyTorch | speed-up | target |")
print("|---|---|---|---|---|")
print(f"| one csd run, 100 labels | {ours1:.1f} | {torch1:.1f} | {torch1/ours1:.2f}x | >= 1.3x |")
print(f"| sweep of 6 csd runs (3 label counts x 2 seeds) | {ours6:.1f} | {torch6:.1f} | {torch6/ours6:.2f}x | >= 2x |")
print(f"| mixed sweep of 6 runs (csd + supervised x 3 label counts) | {oursmix:.1f} | {torchmix:.1f} | {torchmix/oursmix:.2f}x | - |")
print("best test error (ours / PyTorch):", ", ".join(f"{m} n={n}: {o[(m,n)]:.3f} / {t.get((m,n), float('nan')):.3f}" for (m, n) in sorted(o)))
sys.exit(0 if torch1 / ours1 >= 1.3 and torch6 / ours6 >= 2 else 1)
PY
