#!/usr/bin/env bash
# The README's main job on an embedded default: no downloads, a few minutes on 2 cores.
# Until `extract` and `probe` land, it trains a tiny ViT built from this project's layers and
# autodiff on generated images and prints the loss and test error per epoch.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-system.sh
swift build -c release --product vit-demo
.build/release/vit-demo "$@"
