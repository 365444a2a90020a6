#!/usr/bin/env python3
"""The README's shift-study tables from a results.jsonl of `probe --eval-cache` runs (csd and
supervised): test error per domain (validation-chosen, best, final), csd minus supervised and
each striped domain minus `clean` (paired by seed), and the disentanglement table per domain.
Usage: python3 tools/study_shift_tables.py docs/study/fashion-mnist-shift/results.jsonl
"""
import json, sys, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def ms(v):
    v = [x for x in v if isinstance(x, (int, float))]
    if not v: return "—"
    m = st.mean(v); s = st.stdev(v) if len(v) > 1 else 0
    return f"{100*m:.1f} ± {100*s:.1f}" + ("" if len(v) == 3 else f" ({len(v)})")
def msr(v):
    m = st.mean(v); s = st.stdev(v) if len(v) > 1 else 0
    return f"{m:.2f} ± {s:.2f}"
labels = sorted({r["labels_requested"] for r in rows}, key=int)
methods = ["csd", "supervised"]
domains = ["home"] + [e["name"] for e in rows[0].get("evaluations", [])]
def err(r, d, key):
    if d == "home": return r[key]
    return next(e[key] for e in r["evaluations"] if e["name"] == d)
for key, title in [("validation_chosen_test_error", "chosen"), ("best_test_error", "best"), ("final_test_error", "final")]:
    print(f"\n### test error (%) {title}\n")
    print("| method | domain | " + " | ".join(labels) + " |")
    print("|---|---|" + "---:|" * len(labels))
    for m in methods:
        for d in domains:
            cells = [ms([err(r, d, key) for r in rows if r["method"] == m and r["labels_requested"] == n]) for n in labels]
            print(f"| {m} | {d} | " + " | ".join(cells) + " |")
print("\n### csd minus supervised (chosen, paired by seed, points)\n")
print("| domain | " + " | ".join(labels) + " |")
print("|---|" + "---:|" * len(labels))
for d in domains:
    cells = []
    for n in labels:
        diffs = []
        for seed in (0, 1, 2):
            a = [err(r, d, "validation_chosen_test_error") for r in rows if r["method"] == "csd" and r["labels_requested"] == n and r["seed"] == seed]
            b = [err(r, d, "validation_chosen_test_error") for r in rows if r["method"] == "supervised" and r["labels_requested"] == n and r["seed"] == seed]
            if a and b: diffs.append(a[0] - b[0])
        cells.append(ms(diffs))
    print(f"| {d} | " + " | ".join(cells) + " |")
print("\n### shift cost: domain minus clean (chosen, paired, points)\n")
print("| method | domain | " + " | ".join(labels) + " |")
print("|---|---|" + "---:|" * len(labels))
for m in methods:
    for d in domains:
        if d in ("home", "clean"): continue
        cells = []
        for n in labels:
            rs = [r for r in rows if r["method"] == m and r["labels_requested"] == n]
            cells.append(ms([err(r, d, "validation_chosen_test_error") - err(r, "clean", "validation_chosen_test_error") for r in rs]))
        print(f"| {m} | {d} | " + " | ".join(cells) + " |")
for d in domains:
    targets = []
    for r in rows:
        for s in r.get("disentanglement", []):
            if s["domain"] == d and s["target"] not in targets: targets.append(s["target"])
    targets = ["class"] + sorted(t for t in targets if t != "class")
    print(f"\n### disentanglement on {d}\n")
    print("| code | labels | " + " | ".join(targets) + " |")
    print("|---|---|" + "---:|" * len(targets))
    def cell(sc):
        if not sc: return "—"
        v = [s["value"] for s in sc]
        return ms(v) if sc[0]["metric"] == "accuracy" else msr(v)
    tok = [s for s in rows[0]["disentanglement"] if s["domain"] == d and s["code"] == "tokens"]
    print("| tokens | — | " + " | ".join(cell([s for s in tok if s["target"] == t]) for t in targets) + " |")
    for m, code, name in [("csd", "content", "csd content (p)"), ("csd", "style", "csd style"), ("supervised", "content", "supervised logits")]:
        for n in labels:
            sc = [s for r in rows if r["method"] == m and r["labels_requested"] == n for s in r.get("disentanglement", []) if s["domain"] == d and s["code"] == code]
            print(f"| {name} | {n} | " + " | ".join(cell([s for s in sc if s["target"] == t]) for t in targets) + " |")
