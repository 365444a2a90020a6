#!/usr/bin/env python3
"""Two probe sweeps of the same grid, cell by cell: the test error at the validation-chosen
epoch of each run in A and in B (same run IDs: same method, labels, seed and so the same labeled
subset), and the paired difference B - A, mean ± std over seeds, in percentage points.

    python3 tools/compare_sweeps.py A_FOLDER B_FOLDER [--names fp32,bf16]

Reads results.jsonl of both folders (standard library only). Prints a markdown table; a cell
whose runs are missing on one side is left out and counted at the end.
"""
import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path


def load(folder):
    rows = {}
    for line in (Path(folder) / "results.jsonl").read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            rows[r["run_id"]] = r
    return rows


def error(r):
    v = r.get("validation_chosen_test_error")
    return 100 * (v if v is not None else r["best_test_error"])


def mean_std(values):
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--names", default="A,B")
    args = ap.parse_args()
    name_a, name_b = args.names.split(",")
    a, b = load(args.a), load(args.b)
    cells = defaultdict(list)
    for run_id, ra in a.items():
        rb = b.get(run_id)
        if rb is None:
            continue
        cells[(ra["method"], ra["labels_requested"])].append((error(ra), error(rb)))
    missing = len(set(a) ^ set(b))
    label_order = lambda s: (s == "all", int(s) if s.isdigit() else 0)
    print(f"| method | labels | {name_a} | {name_b} | {name_b} - {name_a} (paired) |")
    print("|---|---|---|---|---|")
    for (method, labels) in sorted(cells, key=lambda c: (c[0], label_order(c[1]))):
        pairs = cells[(method, labels)]
        ma, sa = mean_std([p[0] for p in pairs])
        mb, sb = mean_std([p[1] for p in pairs])
        md, sd = mean_std([p[1] - p[0] for p in pairs])
        print(f"| {method} | {labels} | {ma:.1f} ± {sa:.1f} | {mb:.1f} ± {sb:.1f} | {md:+.1f} ± {sd:.1f} |")
    if missing:
        print(f"\n{missing} runs are in only one of the two folders")


if __name__ == "__main__":
    main()
