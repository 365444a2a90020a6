#!/usr/bin/env bash
# Installs the C libraries the Swift package links against (Debian/Ubuntu, apt-get).
# Idempotent and quick: it only touches apt when a package is missing.
set -euo pipefail

# openmpi-bin: mpirun and Open MPI's library, which finetune loads at run time when a launcher
# starts it (data-parallel training); the tools build and run without it.
packages=(libopenblas-dev libdnnl-dev libhdf5-dev zlib1g-dev libpng-dev libjpeg-dev pkg-config dataset-fashion-mnist
          openmpi-bin)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

# tools/fetch-pretrained.sh makes a virtual environment: Debian's python3 needs python3-venv.
if command -v python3 >/dev/null && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    status=$(dpkg-query -W -f='${Status}' python3-venv 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=(python3-venv)
fi

if ((${#missing[@]} == 0)); then
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "setup-system: missing packages: ${missing[*]}" >&2
    echo "setup-system: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "setup-system: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
