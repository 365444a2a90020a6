#!/usr/bin/env python3
"""Write a plausible probe results folder, so analysis.py can be checked without the Swift tools.

Usage: python make_sample_results.py OUT_DIR [--torn] [--finetune FINETUNE_DIR]

Writes OUT_DIR/results.jsonl (rows exactly as the Swift `RunResult` encodes them: one compact JSON
object per line, snake_case keys in sorted order, no `validation_chosen_test_error` or
`validation_errors` key when there is none) and OUT_DIR/cache.h5, a tiny feature cache with the schema of
Sources/CSDFeatureStore/CacheSchema.swift (root provenance attributes; /train and /test groups with
features [N, D] float32, labels int64, index int64 and attributes rows, committed_rows,
class_names). The probe rows (csd and supervised over the label grid, 3 seeds) held out a validation
subset: they carry `validation_errors` and `validation_chosen_test_error`. Without --finetune,
OUT_DIR also holds finetune rows over the same grid, without validation. With --finetune, OUT_DIR
holds the probe rows only and FINETUNE_DIR/results.jsonl a study's finetune runs: csd and
supervised at 100 labels, 3 seeds, with validation (the layout of study/probe + study/finetune).
--torn appends half a row without its newline to OUT_DIR/results.jsonl, as a killed sweep leaves it.
The probe rows also carry `evaluations` (domains `white` and `yellow`, as `probe --eval-cache`
writes them) and a `disentanglement` report, and OUT_DIR/codes/ holds the `--save-codes` file of
the csd runs with all labels (drawn from their own generator, so the rest is unchanged).
Deterministic: same arguments, same bytes (numpy's seeded generator, no clock).
"""
import argparse
import json
import math
from pathlib import Path

import h5py
import numpy as np

GRID = [10, 25, 50, 100, 250, 500, 1000, None]  # None = "all"
FINETUNE_LABELS = 100  # the study fine-tunes at one label count
VALIDATION_PER_CLASS = 5
SEEDS = [0, 1, 2]
POOL = 60000
CLASSES = [str(i) for i in range(10)]
CACHE_ATTRS = {
    "model_id": "facebook/dinov2-small",
    "dataset_id": "mnist",
    "token": "cls",
}


def swift_json(value):
    """JSON as Swift's JSONEncoder writes it with .sortedKeys and .withoutEscapingSlashes:
    compact, sorted keys, integral doubles without ".0", non-finite numbers as strings."""
    if isinstance(value, float):
        if math.isnan(value):
            return '"NaN"'
        if math.isinf(value):
            return '"Infinity"' if value > 0 else '"-Infinity"'
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k) + ":" + swift_json(value[k]) for k in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(swift_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def options_for(method, labels):
    base = {"hidden": "512", "style_dim": "32", "lr": "0.001", "unlabeled_batch": "256",
            "labeled_batch": str(min(labels, 64)), "standardize": "true"}
    if method == "csd":
        base.update({"w_ce": "1.0", "w_rec": "1.0", "w_c": "0.1", "w_s": "0.1", "disc_lr": "0.001"})
    return base


def run_row(rng, backbone, method, labels, seed, cache_path, validation=False):
    n = labels or POOL
    if method == "csd":
        base = 0.30 * (n / 10) ** -0.55 + 0.015
    else:
        base = 0.55 * (n / 10) ** -0.45 + 0.02
    if backbone == "finetune":
        base *= 0.85
    epochs = 30 if backbone == "probe" else 3
    curve = [round(float(base * (1 + 1.5 * math.exp(-5 * (e + 1) / epochs)) * (1 + rng.normal(0, 0.05))), 4)
             for e in range(epochs)]
    best = min(curve)
    requested = "all" if labels is None else str(labels)
    options = options_for(method, n)
    if validation:
        # A small held-out subset: its error follows the test error, noisier.
        validation_curve = [round(float(e * (1 + rng.normal(0, 0.12))), 4) for e in curve]
        options["validation_per_class"] = str(VALIDATION_PER_CLASS)
    row = {
        "run_id": f"{method}-n{requested}-s{seed}" + ("" if backbone == "probe" else "-finetune"),
        "method": method,
        "labels": n,
        "labels_requested": requested,
        "seed": seed,
        "options": options,
        "epochs": epochs,
        "final_test_error": curve[-1],
        "best_test_error": best,
        "best_epoch": curve.index(best) + 1,
        "test_errors": curve,
        "wall_seconds": round(float(2 + n ** 0.3 + rng.uniform(0, 1)), 3),
        "tool_version": "sample",
        "cache": {"path": cache_path, **CACHE_ATTRS, "feature_dim": "32", "dtype": "f32"},
        "subset_file": f"subsets/seed-{seed}.json",
        "train_rows": POOL,
        "test_rows": 10000,
        "backbone": backbone,
        "timestamp": f"2025-01-01T00:{seed:02d}:00Z",
    }
    if validation:
        row["validation_errors"] = validation_curve
        row["validation_chosen_test_error"] = curve[validation_curve.index(min(validation_curve))]
    if backbone == "probe" and validation:
        add_shift_fields(row, curve, validation_curve, method, n, seed)
    if backbone == "finetune":  # finetune records the model and data set, and no cache path
        row["cache"] = {**CACHE_ATTRS, "weights_sha256": "0" * 64, "feature_dim": "32", "path": ""}
    return row


DOMAINS = {"white": 1.6, "yellow": 1.9}  # error multipliers of the striped domains
ATTRIBUTES = ["stripe_angle", "stripe_phase", "stripe_spacing", "stripe_width"]


def add_shift_fields(row, curve, validation_curve, method, n, seed):
    """`evaluations` and `disentanglement` as probe writes them, from a generator of their own."""
    rng = np.random.default_rng(1000 + 10 * seed + (0 if method == "csd" else 5) + n % 997)
    chosen = validation_curve.index(min(validation_curve))
    row["evaluations"] = []
    for name, factor in DOMAINS.items():
        errors = [round(min(0.9, float(e * factor * (1 + rng.normal(0, 0.03)))), 4) for e in curve]
        best = min(errors)
        row["evaluations"].append({
            "name": name, "cache": {"path": f"/cache/{name}.h5", "dataset_id": f"mnist-{name}-stripes"},
            "test_rows": 2000, "test_errors": errors, "final_test_error": errors[-1], "best_test_error": best,
            "best_epoch": errors.index(best) + 1, "validation_chosen_test_error": errors[chosen]})
    scores = []
    for domain in ["home", *DOMAINS]:
        codes = ["tokens", "content"] + (["style"] if method == "csd" else [])
        for code in codes:
            accuracy = {"tokens": 0.8, "content": 1 - curve[-1], "style": 0.4}[code]
            scores.append({"domain": domain, "code": code, "target": "class", "metric": "accuracy",
                           "value": round(float(accuracy + rng.normal(0, 0.01)), 4), "rows": 2000})
            if domain == "home":
                continue
            for attribute in ATTRIBUTES:
                r2 = {"tokens": 0.7, "content": 0.05, "style": 0.6}[code]
                scores.append({"domain": domain, "code": code, "target": attribute, "metric": "r2",
                               "value": round(float(r2 + rng.normal(0, 0.02)), 4), "rows": 2000})
    row["disentanglement"] = scores


def write_codes(out, rows=300, style_dim=8):
    """codes/<run>.h5 of the csd runs with all labels, laid out as probe --save-codes writes them."""
    rng = np.random.default_rng(2)
    (out / "codes").mkdir(exist_ok=True)
    for seed in SEEDS:
        with h5py.File(out / "codes" / f"csd-nall-s{seed}.h5", "w") as f:
            f.attrs["run_id"] = f"csd-nall-s{seed}"
            f.attrs["method"] = "csd"
            f.attrs.create("class_names", CLASSES, dtype=h5py.string_dtype())
            for domain in ["home", *DOMAINS]:
                g = f.create_group(domain)
                labels = rng.integers(0, len(CLASSES), size=rows).astype(np.int64)
                logits = 3 * np.eye(len(CLASSES))[labels] + rng.normal(0, 1, size=(rows, len(CLASSES)))
                p = np.exp(logits - logits.max(axis=1, keepdims=True))
                g["content_probabilities"] = (p / p.sum(axis=1, keepdims=True)).astype(np.float32)
                angle = rng.uniform(-90, 90, size=rows).astype(np.float32)
                style = rng.normal(0, 1, size=(rows, style_dim))
                style[:, 0] += angle / 30
                g["style"] = style.astype(np.float32)
                g["labels"] = labels
                g["row"] = np.arange(rows, dtype=np.int64)
                if domain != "home":
                    a = g.create_group("attributes")
                    a["stripe_angle"] = angle
                    a["stripe_width"] = rng.integers(2, 5, size=rows).astype(np.float32)


def write_results(out, torn, finetune=None):
    rng = np.random.default_rng(0)
    lines, finetune_lines = [], []
    cache_path = str(out / "cache.h5")
    for method in ["csd", "supervised"]:
        for labels in GRID:
            for seed in SEEDS:
                lines.append(swift_json(run_row(rng, "probe", method, labels, seed, cache_path, validation=True)))
    for method in ["csd", "supervised"]:
        if finetune is None:  # the grid, without validation, next to the probe rows
            for labels in GRID:
                for seed in SEEDS:
                    lines.append(swift_json(run_row(rng, "finetune", method, labels, seed, cache_path)))
        else:
            for seed in SEEDS:
                finetune_lines.append(swift_json(run_row(rng, "finetune", method, FINETUNE_LABELS, seed, "",
                                                         validation=True)))
    text = "\n".join(lines) + "\n"
    if torn:
        text += lines[0][: len(lines[0]) // 2]  # a killed writer's half line, no newline
    (out / "results.jsonl").write_text(text, encoding="utf-8")
    if finetune is not None:
        finetune.mkdir(parents=True, exist_ok=True)
        (finetune / "results.jsonl").write_text("\n".join(finetune_lines) + "\n", encoding="utf-8")
    return len(lines), len(finetune_lines)


def write_cache(out, dim=32):
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 3, size=(len(CLASSES), dim)).astype(np.float32)
    with h5py.File(out / "cache.h5", "w") as f:
        f.attrs["schema_version"] = np.int64(1)
        for key, value in CACHE_ATTRS.items():
            f.attrs[key] = value
        f.attrs["weights_sha256"] = "0" * 64
        f.attrs["preprocessing"] = json.dumps({"size": 224, "crop": 224, "interpolation": "bicubic",
                                               "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]})
        f.attrs["dataset_fingerprint"] = "sample"
        f.attrs["tool_version"] = "sample"
        f.attrs["dtype"] = "f32"
        f.attrs["feature_dim"] = np.int64(dim)
        for split, rows in [("train", 1000), ("test", 600)]:
            labels = rng.integers(0, len(CLASSES), size=rows).astype(np.int64)
            features = centres[labels] + rng.normal(0, 1, size=(rows, dim)).astype(np.float32)
            g = f.create_group(split)
            g.attrs["rows"] = np.int64(rows)
            g.attrs["committed_rows"] = np.int64(rows)
            g.attrs.create("class_names", CLASSES, dtype=h5py.string_dtype())
            g.create_dataset("features", data=features.astype(np.float32), chunks=(min(rows, 512), dim),
                             maxshape=(None, dim))
            g.create_dataset("labels", data=labels, chunks=(min(rows, 512),), maxshape=(None,))
            g.create_dataset("index", data=np.arange(rows, dtype=np.int64), chunks=(min(rows, 512),),
                             maxshape=(None,))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--torn", action="store_true", help="end results.jsonl with a torn half line")
    parser.add_argument("--finetune", type=Path, metavar="DIR",
                        help="write the finetune rows (csd, supervised at 100 labels, 3 seeds) to DIR instead")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    count, finetune_count = write_results(args.out, args.torn, args.finetune)
    write_cache(args.out)
    write_codes(args.out)
    print(f"wrote {count} rows to {args.out / 'results.jsonl'}{' (+ a torn line)' if args.torn else ''} "
          f"and {args.out / 'cache.h5'}")
    if args.finetune is not None:
        print(f"wrote {finetune_count} finetune rows to {args.finetune / 'results.jsonl'}")


if __name__ == "__main__":
    main()
