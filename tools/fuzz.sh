#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of the parsers of untrusted bytes: IDX, NPY, MAT v5,
# PNG, JPEG, safetensors, config.json, feature-cache journal records
# (Sources/Fuzzing/csd-fuzz/FuzzTargets.swift).
#   bash tools/fuzz.sh [target|all] [seconds per target]     (default: all, 60)
#   FUZZ_RUNS=N bash tools/fuzz.sh all    N inputs per target from a fixed seed (CI's smoke run)
# Builds csd-fuzz with -sanitize=fuzzer into .build/fuzz (a build of its own, about 5 minutes
# the first time), seeds fuzz/corpus/<target>/ from the target's fixtures, runs each target for
# the given time and keeps crashing, leaking or slow inputs in fuzz/crashes/<target>/ (replay
# one with: swift build --product csd-fuzz && .build/debug/csd-fuzz <target> <input>).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each input's scratch files on tmpfs when there is one: the journal target fsyncs, which is
# about 20x slower on a disk.
if [[ -z ${TMPDIR:-} && -d /dev/shm && -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi
which=${1:-all}
seconds=${2:-60}
# lld: gold fails with an internal error on the instrumented objects.
swift build --product csd-fuzz --build-path .build/fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DCSD_FUZZING -Xswiftc -use-ld=lld
bin=.build/fuzz/debug/csd-fuzz
swift build --product csd-fuzz >/dev/null
replayer=.build/debug/csd-fuzz
targets=(idx npy mat png jpeg safetensors config journal)
[[ $which == all ]] || targets=("$which")
status=0
for target in "${targets[@]}"; do
    corpus=fuzz/corpus/$target crashes=fuzz/crashes/$target
    mkdir -p "$corpus" "$crashes"
    while read -r seed; do [[ -n $seed ]] && cp -n "$seed" "$corpus/seed-$(basename "$seed")"; done < <("$replayer" seeds "$target")
    # -rss_limit_mb: a parser that sizes memory from a declared shape is a finding, not a swap storm.
    if [[ -n ${FUZZ_RUNS:-} ]]; then budget=(-runs="$FUZZ_RUNS" -seed=1); else budget=(-max_total_time="$seconds"); fi
    echo "== $target: ${budget[*]}"
    if ! CSD_FUZZ_TARGET=$target CSD_REPOSITORY=$PWD "$bin" "$corpus" "${budget[@]}" \
            -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$crashes/" -print_final_stats=1 2>&1 | tail -n 12; then
        status=1
    fi
done
exit $status
