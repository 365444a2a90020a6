#!/usr/bin/env bash
# Checks the analysis export without the Swift tools: the notebook matches analysis.py, and
# analysis.py runs on a generated results folder (with a torn last line) plus a tiny cache and
# writes both figures. Installs nothing: CI installs notebooks-export/requirements.txt first.
# Usage: bash notebooks-export/check.sh   (PYTHON=... to pick the interpreter)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() { echo "notebooks-export check FAILED: $*" >&2; exit 1; }

"$python" "$here/export.py" --check || fail "analysis.ipynb is stale (run: python notebooks-export/export.py)"
"$python" -c 'import json, sys; nb = json.load(open(sys.argv[1])); assert nb["nbformat"] == 4 and nb["cells"]' \
    "$here/analysis.ipynb" || fail "analysis.ipynb is not an nbformat 4 notebook"

"$python" "$here/make_sample_results.py" "$work" --torn || fail "make_sample_results.py"
MPLBACKEND=Agg "$python" "$here/analysis.py" "$work" "$work/cache.h5" > "$work/analysis.log" 2>&1 \
    || { cat "$work/analysis.log" >&2; fail "analysis.py exited non-zero"; }
cat "$work/analysis.log"

for figure in error_vs_labels.png tokens_pca.png; do
    [[ -s "$work/$figure" ]] || fail "$figure was not written"
    # The PNG signature: a real image, not an empty or error file.
    [[ "$(head -c 8 "$work/$figure" | od -An -tx1 | tr -d ' \n')" == "89504e470d0a1a0a" ]] \
        || fail "$figure is not a PNG"
done
grep -q "skipped line .*torn last line" "$work/analysis.log" || fail "the torn last line was not reported"
grep -q "Best test error (%), mean ± std over 3 seeds" "$work/analysis.log" || fail "no summary table"
grep -q "/test: rows=600" "$work/analysis.log" || fail "no cache split sizes"
echo "notebooks-export check: OK (notebook in sync, summary printed, both figures written)"
