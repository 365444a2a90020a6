#!/usr/bin/env bash
# The README's main job on an embedded default: no downloads, a few minutes on 2 cores.
# 1. extract: a random-weight ViT (preset vit-tiny) over the generated `synthetic` data set into
#    an HDF5 feature cache (cache/demo_synthetic.h5), then `extract inspect` on it.
# 2. Until `probe` lands: a tiny ViT trained end to end on generated images (vit-demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-system.sh
swift build -c release --product extract
swift build -c release --product vit-demo
bin=$(swift build -c release --show-bin-path)
"$bin/extract" --model random:vit-tiny --dataset "synthetic:?train=2000&test=500" --split train,test \
    --out cache/demo_synthetic.h5 --overwrite
"$bin/extract" inspect cache/demo_synthetic.h5
"$bin/vit-demo" "$@"
