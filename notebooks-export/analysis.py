# %% [markdown]
# # Content-style probe sweeps: analysis
#
# Reads a sweep folder written by `probe` (or `finetune`): its `results.jsonl`, one row per run.
# Prints the mean ± std over seeds of the best test error per method and label count, draws the
# paper's figure (best error against the number of labeled samples, log x axis, a band of ±1 std
# over seeds) to `<results_dir>/error_vs_labels.png`, and, given the feature cache the sweep read,
# prints its provenance and split sizes and draws a 2-D PCA of test tokens to
# `<results_dir>/tokens_pca.png`.
#
# As a script: `python analysis.py <results_dir> [cache.h5]`. In Jupyter: set `CSD_RESULTS_DIR`
# (and `CSD_CACHE`) in the environment, or edit the parameters cell. This file and
# `analysis.ipynb` hold the same cells (`python export.py` regenerates the notebook).

# %%
import json
import os
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

IN_NOTEBOOK = "ipykernel" in sys.modules
if not IN_NOTEBOOK:
    matplotlib.use("Agg")  # files only: no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402  (after the backend choice)

# %% Parameters
ARGS = [] if IN_NOTEBOOK else sys.argv[1:]
if not IN_NOTEBOOK and not ARGS:
    sys.exit("usage: python analysis.py <results_dir> [cache.h5]")
RESULTS_DIR = Path(ARGS[0] if ARGS else os.environ.get("CSD_RESULTS_DIR", "results"))
CACHE = ARGS[1] if len(ARGS) > 1 else os.environ.get("CSD_CACHE")
CACHE = Path(CACHE) if CACHE else None
PCA_SAMPLES = 2000  # test tokens drawn for the PCA figure
METHOD_COLORS = {"csd": "#0072B2", "supervised": "#D55E00", "linear": "#009E73", "knn": "#CC79A7"}
METHOD_MARKERS = {"csd": "o", "supervised": "s", "linear": "^", "knn": "D"}
BACKBONE_MODES = {"probe": "frozen", "finetune": "trainable"}

# %% [markdown]
# ## Load the runs
# One JSON object per line. A sweep killed mid-write can leave a torn last line: it is skipped
# (and reported), as the Swift reader does; its run is simply not finished.


# %%
def load_results(path):
    rows, skipped = [], []
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError:
            torn = number == len(lines)  # no newline after it
            skipped.append(f"line {number}: {'torn last line' if torn else 'not a result row'}")
    return rows, skipped


rows, skipped = load_results(RESULTS_DIR / "results.jsonl")
for note in skipped:
    print(f"skipped {note}")
if not rows:
    sys.exit(f"no runs in {RESULTS_DIR / 'results.jsonl'}")

df = pd.json_normalize(rows)  # options.<name> and cache.<key> become columns
for column in ["final_test_error", "best_test_error", "validation_chosen_test_error", "wall_seconds"]:
    if column in df:
        # Swift writes a non-finite number as the string "NaN": coerce to float.
        df[column] = pd.to_numeric(df[column], errors="coerce")
df = df.drop_duplicates("run_id", keep="first")
df["mode"] = df["backbone"].map(BACKBONE_MODES).fillna(df["backbone"])
df["column"] = df["labels_requested"].astype(str)
# The x position: the requested count, or the pool size actually used for "all".
df["x"] = np.where(df["column"] == "all", df["labels"], pd.to_numeric(df["column"], errors="coerce"))
print(f"{len(df)} runs from {RESULTS_DIR}")


# %% [markdown]
# ## Curves: backbone mode × method × swept options
# An option is "swept" when two runs of the same backbone, method, label count and seed differ
# in it; options that only follow the label count (a labeled batch of min(n, 64)) are not.


# %%
def curve_labels(frame):
    option_columns = [c for c in frame.columns if c.startswith("options.")]
    labels = pd.Series(frame["method"], index=frame.index, dtype=object)
    for (backbone, method), sub in frame.groupby(["backbone", "method"], sort=False):
        swept = [c for c in option_columns
                 if sub[c].notna().any()
                 and (sub.groupby(["column", "seed"])[c].nunique(dropna=False) > 1).any()]
        if swept:
            text = sub[swept].astype(str).apply(
                lambda r: ", ".join(f"{c[len('options.'):]}={v}" for c, v in r.items()), axis=1)
            labels[sub.index] = method + " (" + text + ")"
    return labels


def column_order(columns):
    return sorted(columns, key=lambda c: (c == "all", int(c) if c != "all" else 0))


df["curve"] = curve_labels(df)
method_rank = {m: i for i, m in enumerate(["csd", "supervised", "linear", "knn"])}
mode_rank = {"frozen": 0, "trainable": 1}
curves = sorted(df.groupby(["mode", "curve", "method"]).groups,
                key=lambda k: (mode_rank.get(k[0], 9), k[0], method_rank.get(k[2], 9), k[2], k[1]))

# %% [markdown]
# ## Summary: best test error (%), mean ± std over seeds
# std is the sample standard deviation (n - 1, pandas' default), 0 for a single seed, as in the
# Swift summary. A cell whose seed count differs from the usual one shows it in parentheses.

# %%
print("Cache: " + "; ".join(sorted({
    f"model {r.get('cache.model_id', '?')}, dataset {r.get('cache.dataset_id', '?')}, token {r.get('cache.token', '?')}"
    for r in df.to_dict("records")})))
print(f"Total wall time: {df['wall_seconds'].sum():.1f} s over {len(df)} runs")


def summary_table(frame, metric):
    stats = (frame.groupby(["mode", "curve", "column"])[metric]
             .agg(mean="mean", std="std", n="count", runs="size").reset_index())
    stats = stats[stats["n"] > 0]
    stats["std"] = stats["std"].fillna(0.0)
    # The number of runs most cells have; a cell averaging another number of values (fewer seeds,
    # or NaN in some runs) shows its count, as in the Swift summary.
    usual = int(stats["runs"].mode().max()) if len(stats) else 0

    def percent(fraction):
        # Snap to 6 decimals first (as the Swift summary does): summation order moves a mean by an
        # ulp, which would flip 14.05 between "14.0" and "14.1".
        return f"{round(100 * fraction, 6):.1f}"

    def cell(r):
        text = f"{percent(r['mean'])} ± {percent(r['std'])}"
        return text if r["n"] == usual else f"{text} ({r['n']})"

    stats["cell"] = stats.apply(cell, axis=1)
    table = stats.pivot(index=["mode", "curve"], columns="column", values="cell")
    table = table[column_order(table.columns)]
    order = [(mode, curve) for mode, curve, _ in curves if (mode, curve) in table.index]
    return table.reindex(order).fillna("—"), usual


for metric, title in [("best_test_error", "Best test error (%)"), ("final_test_error", "Final test error (%)")]:
    table, usual = summary_table(df, metric)
    print(f"\n{title}, mean ± std over {usual} seeds")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string())

# %% [markdown]
# ## Best test error against the number of labeled samples
# One line per method (and backbone mode): the mean over seeds, a band of ±1 std. Dashed lines
# and hollow markers: trainable backbone. Log x axis, ticks at the label counts used.

# %%
fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
# Colours as in the Swift SVG: a method keeps its own; other curves take unowned Okabe-Ito colours.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999"]
owned = {METHOD_COLORS[m] for m in df["method"].unique() if m in METHOD_COLORS}
free_colors = [c for c in PALETTE if c not in owned]
seen_curves = {}
for mode, curve, method in curves:
    sub = df[(df["mode"] == mode) & (df["curve"] == curve)]
    stats = sub.groupby("x")["best_test_error"].agg(["mean", "std"]).sort_index()
    stats["std"] = stats["std"].fillna(0.0)
    x, mean, std = stats.index.to_numpy(float), 100 * stats["mean"].to_numpy(), 100 * stats["std"].to_numpy()
    if curve not in seen_curves:  # frozen and trainable curves of one method share the colour
        own = METHOD_COLORS.get(method)
        if own is None or own in seen_curves.values():
            own = free_colors.pop(0) if free_colors else "#444444"
        seen_curves[curve] = own
    color = seen_curves[curve]
    dashed = mode == "trainable"
    label = curve if df["mode"].nunique() == 1 else f"{curve}, {mode}"
    ax.fill_between(x, np.clip(mean - std, 0, None), mean + std, color=color, alpha=0.15, linewidth=0)
    ax.plot(x, mean, color=color, linestyle="--" if dashed else "-", linewidth=2,
            marker=METHOD_MARKERS.get(method, "o"), markersize=5,
            markerfacecolor="white" if dashed else color, label=label)

ax.set_xscale("log")
ticks = df.drop_duplicates("x").sort_values("x")
ax.set_xticks(ticks["x"].to_numpy(float))
ax.set_xticklabels([f"{int(x)}\n(all)" if c == "all" else str(int(x)) for x, c in zip(ticks["x"], ticks["column"])])
ax.minorticks_on()
ax.tick_params(axis="x", which="minor", labelbottom=False)
ax.set_ylim(bottom=0)
ax.set_xlabel("Number of labeled samples")
ax.set_ylabel("Best test error (%)")
first = df.iloc[0]
ax.set_title(f"{first.get('cache.model_id', '?')} on {first.get('cache.dataset_id', '?')}")
ax.grid(True, which="major", color="#e4e4e4")
ax.legend(frameon=True, fontsize=8, title="band: ±1 std over seeds", title_fontsize=7)
fig.tight_layout()
figure_path = RESULTS_DIR / "error_vs_labels.png"
fig.savefig(figure_path)
print(f"wrote {figure_path}")
if not IN_NOTEBOOK:
    plt.close(fig)

# %% [markdown]
# ## The feature cache (optional)
# Provenance (root attributes), split sizes, and a 2-D PCA of a random subsample of the test
# tokens coloured by label: how separable the classes already are before any training.

# %%
if CACHE is not None:
    import h5py

    with h5py.File(CACHE, "r") as f:
        print(f"\nCache {CACHE}")
        for key in sorted(f.attrs):
            value = f.attrs[key]
            print(f"  {key}: {value.decode() if isinstance(value, bytes) else value}")
        for split in f:
            g = f[split]
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in g.attrs.get("class_names", [])]
            print(f"  /{split}: rows={int(g.attrs['rows'])} committed_rows={int(g.attrs['committed_rows'])} "
                  f"features={g['features'].shape} {g['features'].dtype} classes={len(names)}")
        test = f["test"]
        n = int(test.attrs["committed_rows"])
        rng = np.random.default_rng(0)
        pick = np.sort(rng.choice(n, size=min(PCA_SAMPLES, n), replace=False))
        tokens = test["features"][pick].astype(np.float64)  # h5py reads sorted indices
        labels = test["labels"][pick]
        class_names = [c.decode() if isinstance(c, bytes) else str(c) for c in test.attrs.get("class_names", [])]

    centred = tokens - tokens.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    explained = singular ** 2 / np.sum(singular ** 2)

    fig, ax = plt.subplots(figsize=(6.4, 5.2), dpi=120)
    cmap = plt.get_cmap("tab10" if len(np.unique(labels)) <= 10 else "tab20")
    for i, label in enumerate(np.unique(labels)):
        mask = labels == label
        name = class_names[label] if label < len(class_names) else str(label)
        ax.scatter(xy[mask, 0], xy[mask, 1], s=6, alpha=0.7, color=cmap(i % cmap.N), label=name)
    ax.set_xlabel(f"PC 1 ({100 * explained[0]:.1f}% of variance)")
    ax.set_ylabel(f"PC 2 ({100 * explained[1]:.1f}% of variance)")
    ax.set_title(f"Test tokens, PCA ({len(pick)} of {n})")
    ax.legend(markerscale=2.5, fontsize=7, ncol=2, loc="best", title="label", title_fontsize=8)
    fig.tight_layout()
    pca_path = RESULTS_DIR / "tokens_pca.png"
    fig.savefig(pca_path)
    print(f"wrote {pca_path}")
    if not IN_NOTEBOOK:
        plt.close(fig)
