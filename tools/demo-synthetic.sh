#!/usr/bin/env bash
# The offline demo (no downloads at all): the pipeline on random weights and generated images.
# Its errors are near chance by construction; tools/demo.sh is the real main job.
# 1. extract: a random-weight ViT (preset vit-tiny) over the generated `synthetic` data set
#    into an HDF5 feature cache (cache/demo_synthetic.h5).
# 2. probe: the content-style method and the supervised baseline over label counts and seeds on
#    those tokens; prints the summary table and where the plot is (cache/demo_sweep/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-system.sh
swift build -c release --product extract
swift build -c release --product probe
bin=$(swift build -c release --show-bin-path)
"$bin/extract" --model random:vit-tiny --dataset "synthetic:?train=2000&test=500" --split train,test \
    --out cache/demo_synthetic.h5
"$bin/extract" inspect cache/demo_synthetic.h5
"$bin/probe" --cache cache/demo_synthetic.h5 --methods csd,supervised --labels 10,50,250,all \
    --seeds 0,1,2 --epochs 20 --out cache/demo_sweep "$@"
