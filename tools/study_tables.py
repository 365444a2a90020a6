"""Prints the README's study tables (markdown) from the committed study folders.

    python3 tools/study_tables.py [docs/study/fashion-mnist]

Reads probe/, finetune/, finetune-heads-only/ and ablation/ results.jsonl (whichever exist)
and prints:
- per method, the test error at the validation-chosen evaluation, the best and the final one;
- csd's paired differences against the supervised and linear baselines (same subsets and seeds);
- finetune against the frozen runs at the same label count (the probe grid's, and the same
  finetune command with every block frozen);
- the ablation, one row per option set: the validation error (what a choice may be made on), the
  validation-chosen test error and how much the last epoch gives back (best - final).
Standard library only: cells are mean ± sample std over seeds, in percent.
"""
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

LABEL_ORDER = ["10", "25", "50", "100", "250", "500", "1000", "all"]
METRICS = [("chosen", "validation_chosen_test_error"), ("best", "best_test_error"), ("final", "final_test_error")]


def load(folder):
    path = folder / "results.jsonl"
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # a torn last line: that run did not finish
    return rows


def cell(values):
    if not values:
        return "—"
    mean = 100 * statistics.mean(values)
    std = 100 * statistics.stdev(values) if len(values) > 1 else 0.0
    suffix = "" if len(values) == 3 else f" ({len(values)})"
    return f"{mean:.1f} ± {std:.1f}{suffix}"


def validation_at_choice(row):
    """The validation error at the evaluation the validation split chose (the smallest, first)."""
    errors = row.get("validation_errors") or []
    return min(errors) if errors else None


def non_default(row, defaults):
    return ", ".join(f"{k}={v}" for k, v in sorted(row["options"].items()) if defaults.get(k) != v) or "defaults"


def frozen_tables(rows):
    groups = defaultdict(list)
    for r in rows:
        groups[(r["method"], r["labels_requested"])].append(r)
    labels = [n for n in LABEL_ORDER if any(key[1] == n for key in groups)]
    print("| method | error | " + " | ".join(labels) + " |")
    print("|---|---|" + "---:|" * len(labels))
    for method in ["csd", "supervised", "linear", "knn"]:
        for name, field in METRICS:
            if method == "knn" and name != "chosen":
                continue  # no epochs: one number per run
            cells = [cell([r[field] for r in groups.get((method, n), [])]) for n in labels]
            print(f"| {method} | {name} | " + " | ".join(cells) + " |")
    print()
    print("| csd minus | " + " | ".join(labels) + " |")
    print("|---|" + "---:|" * len(labels))
    for other in ["supervised", "linear", "knn"]:
        cells = []
        for n in labels:
            ours = {r["seed"]: r["validation_chosen_test_error"] for r in groups.get(("csd", n), [])}
            theirs = {r["seed"]: r["validation_chosen_test_error"] for r in groups.get((other, n), [])}
            cells.append(cell([ours[s] - theirs[s] for s in sorted(ours.keys() & theirs.keys())]))
        print(f"| {other} | " + " | ".join(cells) + " |")
    print()


def finetune_table(finetune, frozen, heads_only):
    """Fine-tuned runs next to the frozen grid's at the same label count and, when run, the
    same finetune command with every block frozen (the heads alone, same images and steps)."""
    sources = [("frozen, probe (224 px, 30 epochs)", frozen),
               ("frozen, finetune --freeze-blocks 12 (112 px, 100 steps)", heads_only),
               ("fine-tuned (112 px, 100 steps, blocks 7-12)", finetune)]
    counts = {r["labels_requested"] for r in finetune}
    print("| backbone | method | labels | chosen | best | final | validation | minutes per run |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for method in ["csd", "supervised"]:
        for n in sorted(counts, key=LABEL_ORDER.index):
            for label, rows in sources:
                runs = [r for r in rows if r["method"] == method and r["labels_requested"] == n]
                if not runs:
                    continue
                minutes = statistics.mean(r["wall_seconds"] for r in runs) / 60
                print(f"| {label} | {method} | {n} | " + " | ".join(cell([r[f] for r in runs]) for _, f in METRICS)
                      + f" | {cell([validation_at_choice(r) for r in runs])} | {minutes:.1f} |")
    print()


def ablation_table(rows, frozen):
    # The defaults are the option values most rows share (each option set changes one option).
    counts = defaultdict(lambda: defaultdict(int))
    for r in rows:
        for k, v in r["options"].items():
            counts[k][v] += 1
    defaults = {k: max(values, key=values.get) for k, values in counts.items()}
    groups = defaultdict(list)
    for r in rows:
        groups[(non_default(r, defaults), r["labels_requested"])].append(r)
    labels = [n for n in LABEL_ORDER if any(key[1] == n for key in groups)]
    # The defaults at the grid's epochs, from the frozen grid, as the epochs row.
    epochs = sorted({r["epochs"] for r in rows})
    for r in frozen:
        if r["method"] == "csd" and r["labels_requested"] in labels and non_default(r, defaults) == "defaults":
            groups[(f"defaults, {r['epochs']} epochs", r["labels_requested"])].append(r)
    settings = sorted({key[0] for key in groups}, key=lambda s: (not s.startswith("defaults"), s))
    print(f"({', '.join(map(str, epochs))} epochs unless said; cells: validation error / test error at the "
          "validation-chosen epoch ± its std; last column: best − final test error, mean over the label counts)\n")
    print("| option set | " + " | ".join(f"{n} labels" for n in labels) + " | best − final |")
    print("|---|" + "---:|" * (len(labels) + 1))
    for s in settings:
        cells, gaps = [], []
        for n in labels:
            runs = groups.get((s, n), [])
            if not runs:
                cells.append("—")
                continue
            validation = statistics.mean(validation_at_choice(r) for r in runs)
            cells.append(f"{100 * validation:.1f} / {cell([r['validation_chosen_test_error'] for r in runs])}")
            gaps += [r["best_test_error"] - r["final_test_error"] for r in runs]
        gap = f"{100 * statistics.mean(gaps):.1f}" if gaps else "—"
        print(f"| {s} | " + " | ".join(cells) + f" | {gap} |")
    print()


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/study/fashion-mnist")
    frozen, finetune, ablation = load(root / "probe"), load(root / "finetune"), load(root / "ablation")
    heads_only = load(root / "finetune-heads-only")
    if frozen:
        print("## Frozen backbone\n")
        frozen_tables(frozen)
    if finetune:
        print("## Fine-tuned\n")
        finetune_table(finetune, frozen, heads_only)
    if ablation:
        print("## Ablation\n")
        ablation_table(ablation, frozen)


if __name__ == "__main__":
    main()
