#!/usr/bin/env bash
# Checks the analysis export without the Swift tools: the notebook matches analysis.py, and
# analysis.py runs on a generated results folder (with a torn last line) plus a tiny cache and
# writes both figures and the study figure; then, as a study lays its runs out (probe and finetune
# in two folders), with --also the finetune folder: the study figure and tables. Installs nothing: CI installs notebooks-export/requirements.txt first.
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

for figure in error_vs_labels.png tokens_pca.png study_error_vs_labels.png domains_error_vs_labels.png codes_pca.png; do
    [[ -s "$work/$figure" ]] || fail "$figure was not written"
    # The PNG signature: a real image, not an empty or error file.
    [[ "$(head -c 8 "$work/$figure" | od -An -tx1 | tr -d ' \n')" == "89504e470d0a1a0a" ]] \
        || fail "$figure is not a PNG"
done
grep -q "skipped line .*torn last line" "$work/analysis.log" || fail "the torn last line was not reported"
grep -q "Best test error (%), mean ± std over 3 seeds" "$work/analysis.log" || fail "no summary table"
grep -q "/test: rows=600" "$work/analysis.log" || fail "no cache split sizes"
grep -q "^Domain yellow (2000 test rows): validation chosen test error (%)" "$work/analysis.log" \
    || fail "no evaluation-domain table"
grep -q "^Disentanglement on white" "$work/analysis.log" || fail "no disentanglement table"
grep -q "stripe_angle (R^2)" "$work/analysis.log" || fail "no attribute column in the disentanglement table"
grep -q "^Codes of csd-nall-s0 on white: 300 rows" "$work/analysis.log" || fail "the saved codes were not drawn"
grep -q "48 of 96 runs have no validation subset" "$work/analysis.log" \
    || fail "the study did not say which runs fall back to the best test error"

# A study: probe runs in one folder, finetune runs (csd and supervised at 100 labels) in another.
"$python" "$here/make_sample_results.py" "$work/study/probe" --finetune "$work/study/finetune" \
    || fail "make_sample_results.py --finetune"
MPLBACKEND=Agg "$python" "$here/analysis.py" "$work/study/probe" --also "$work/study/finetune" \
    > "$work/study.log" 2>&1 || { cat "$work/study.log" >&2; fail "analysis.py --also exited non-zero"; }
sed -n '/^Study: /,$p' "$work/study.log"
figure="$work/study/probe/study_error_vs_labels.png"
[[ -s "$figure" ]] || fail "study_error_vs_labels.png was not written"
[[ "$(head -c 8 "$figure" | od -An -tx1 | tr -d ' \n')" == "89504e470d0a1a0a" ]] \
    || fail "study_error_vs_labels.png is not a PNG"
grep -q "^Study: 54 runs from .*/study/probe, .*/study/finetune" "$work/study.log" || fail "the study did not read both folders"
for metric in "validation-chosen test error" "best test error"; do
    grep -q "^Study: $metric (%), mean ± std over 3 seeds" "$work/study.log" || fail "no study table ($metric)"
done
grep -q "^| fine-tuned | csd | — | — | — | [0-9.]* ± [0-9.]* | — " "$work/study.log" \
    || fail "no fine-tuned csd row at 100 labels in the study table"
grep -q "^| frozen | supervised | [0-9.]* ± " "$work/study.log" || fail "no frozen supervised row in the study table"
echo "notebooks-export check: OK (notebook in sync, summary printed, figures written, study with --also)"
