#!/usr/bin/env bash
# GEMM benchmark: our entry points (BLAS.gemm, Tensor.matmul) against raw cblas_sgemm and
# PyTorch's torch.matmul on the ViT-S/14 block shapes, same threads, one table; and the bf16 rate:
# BLAS.gemm(precision: .bf16) (oneDNN, operand packing included) against our fp32 and PyTorch's
# matmul under CPU autocast (bf16 in and out).
# Usage: tools/bench-gemm.sh [threads=2]
#   env: REPS (timed calls per round, default 9), ROUNDS (Swift/PyTorch alternations, default 3),
#        SCRATCH_PATH (swift build folder)
# Every figure is a median over rounds of per-round medians. A wrapper's overhead is the median
# over calls of its time / cblas's time in the same rep, so load from other processes hits both.
# Exits 1 when a wrapper is more than 5% slower than raw cblas on any shape.
set -euo pipefail
cd "$(dirname "$0")/.."

threads=${1:-2}
reps=${REPS:-9}
rounds=${ROUNDS:-3}
scratch=()
if [[ -n "${SCRATCH_PATH:-}" ]]; then scratch=(--scratch-path "$SCRATCH_PATH"); fi

swift build -c release "${scratch[@]}" --product gemm-bench >&2
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((r = 1; r <= rounds; r++)); do
    # For the raw-cblas column (OpenBLAS threads): read at load time, stops its worker spinning.
    OPENBLAS_THREAD_TIMEOUT=4 "$bin/gemm-bench" --threads "$threads" --reps "$reps" --tsv >"$tmp/swift.$r.tsv"
    python3 tools/bench_gemm.py --threads "$threads" --reps "$reps" >"$tmp/torch.$r.tsv"
done

echo "GEMM GFLOP/s, $threads threads, median of $rounds rounds x $reps reps; overhead = wrapper time / cblas time - 1"
awk -F'\t' -v limit=5 '
    function median(list,   v, n, i, j, x) {
        n = split(list, v, " ")
        for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    FNR == 1 { next }
    { key = $1 FS $2 }
    FILENAME ~ /torch/ { torch[key] = torch[key] " " $6; torchbf[key] = torchbf[key] " " $7; next }
    !(key in dims) { order[++count] = key; dims[key] = $3 " x " $4 " x " $5 }
    { for (c = 6; c <= 11; c++) col[key, c] = col[key, c] " " $c }
    END {
        print "| weight | layer | M x N x K | cblas | BLAS.gemm (overhead) | Tensor.matmul (overhead) | torch | gemm/torch | matmul/torch | ours bf16 | bf16/fp32 | torch autocast bf16 | ours bf16/torch bf16 |"
        print "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
        for (i = 1; i <= count; i++) {
            key = order[i]; split(key, name, FS)
            raw = median(col[key, 6]); g = median(col[key, 7]); mm = median(col[key, 8]); bf = median(col[key, 9])
            go = median(col[key, 10]); mo = median(col[key, 11]); t = median(torch[key]); tb = median(torchbf[key])
            printf "| %s | %s | %s | %.1f | %.1f (%+.1f%%) | %.1f (%+.1f%%) | %.1f | %.2f | %.2f | %.1f | %.2f | %.1f | %.2f |\n",
                   name[1], name[2], dims[key], raw, g, go, mm, mo, t, g / t, mm / t, bf, bf / g, tb, bf / tb
            if (go > limit) bad = bad sprintf("  %s %s: BLAS.gemm %+.1f%%\n", name[1], name[2], go)
            if (mo > limit) bad = bad sprintf("  %s %s: Tensor.matmul %+.1f%%\n", name[1], name[2], mo)
        }
        if (bad != "") { printf "FAIL: wrapper overhead above %d%% over raw cblas:\n%s", limit, bad; exit 1 }
        printf "PASS: every wrapper within %d%% of raw cblas\n", limit
    }
' "$tmp"/torch.*.tsv "$tmp"/swift.*.tsv
