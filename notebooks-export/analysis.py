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
# The study section then reads further folders (a study keeps its `probe` and `finetune` runs
# apart, e.g. `study/probe` and `study/finetune`), joins their runs with this folder's, and draws
# the paper-style figure, frozen and fine-tuned side by side with the validation-chosen and the
# best test error, to `<results_dir>/study_error_vs_labels.png`.
#
# As a script: `python analysis.py <results_dir> [cache.h5] [--also <other_results_dir> ...]`. In
# Jupyter: set `CSD_RESULTS_DIR` (and `CSD_CACHE`, and `CSD_ALSO`: folders separated by `:`) in the
# environment, or edit the parameters cell. This file and `analysis.ipynb` hold the same cells
# (`python export.py` regenerates the notebook).

# %%
import argparse
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
USAGE = "python analysis.py <results_dir> [cache.h5] [--also <other_results_dir> ...]"
ARGS = [] if IN_NOTEBOOK else sys.argv[1:]
if not IN_NOTEBOOK and not ARGS:
    sys.exit(f"usage: {USAGE}")
parser = argparse.ArgumentParser(usage=USAGE)
parser.add_argument("results_dir", nargs="?")
parser.add_argument("cache", nargs="?")
parser.add_argument("--also", nargs="+", action="extend", default=[], metavar="DIR",
                    help="more results folders for the study figure (e.g. the finetune runs)")
options = parser.parse_args(ARGS)
RESULTS_DIR = Path(options.results_dir or os.environ.get("CSD_RESULTS_DIR", "results"))
CACHE = options.cache or os.environ.get("CSD_CACHE")
CACHE = Path(CACHE) if CACHE else None
# Study folders besides RESULTS_DIR: --also, else CSD_ALSO ("dir1:dir2"), else none.
ALSO = [Path(p) for p in (options.also or os.environ.get("CSD_ALSO", "").split(":")) if str(p)]
for folder in ALSO:
    if not (folder / "results.jsonl").is_file():
        sys.exit(f"study folder {folder}: no results.jsonl there")
PCA_SAMPLES = 2000  # test tokens drawn for the PCA figure
METHOD_COLORS = {"csd": "#0072B2", "supervised": "#D55E00", "linear": "#009E73", "knn": "#CC79A7"}
METHOD_MARKERS = {"csd": "o", "supervised": "s", "linear": "^", "knn": "D"}
BACKBONE_MODES = {"probe": "frozen", "finetune": "trainable"}
STUDY_MODES = {"probe": "frozen", "finetune": "fine-tuned"}  # the study's names: solid, dashed


def save_figure(fig, name):
    """Writes `fig` to <results_dir>/<name> and closes it outside Jupyter."""
    path = RESULTS_DIR / name
    fig.savefig(path)
    print(f"wrote {path}")
    if not IN_NOTEBOOK:
        plt.close(fig)

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


def read_runs(folder):
    rows, skipped = load_results(folder / "results.jsonl")
    for note in skipped:
        print(f"skipped {note}")
    if not rows:
        sys.exit(f"no runs in {folder / 'results.jsonl'}")

    frame = pd.json_normalize(rows)  # options.<name> and cache.<key> become columns
    # A run without a validation subset has no validation_chosen_test_error key (or null); the
    # string "NaN" (a non-finite error) is a run that had one.
    chosen = frame.get("validation_chosen_test_error", pd.Series(np.nan, index=frame.index, dtype=object))
    frame["has_validation"] = chosen.notna()
    for column in ["final_test_error", "best_test_error", "validation_chosen_test_error", "wall_seconds"]:
        if column in frame:
            # Swift writes a non-finite number as the string "NaN": coerce to float.
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    frame = frame.drop_duplicates("run_id", keep="first")
    frame["mode"] = frame["backbone"].map(BACKBONE_MODES).fillna(frame["backbone"])
    frame["column"] = frame["labels_requested"].astype(str)
    # The x position: the requested count, or the pool size actually used for "all".
    frame["x"] = np.where(frame["column"] == "all", frame["labels"],
                          pd.to_numeric(frame["column"], errors="coerce"))
    print(f"{len(frame)} runs from {folder}")
    return frame


df = read_runs(RESULTS_DIR)


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
        if not swept:
            continue
        # An ablation (several swept options, one changed at a time): each label names what
        # differs from the reference, the value most runs share (ties to the smaller), as the
        # Swift summary does.
        reference = {}
        if len(swept) > 1:
            for c in swept:
                counts = sub[c].astype(str).value_counts()
                reference[c] = min(v for v, n in counts.items() if n == counts.max())

        def describe(r):
            shown = [f"{c[len('options.'):]}={v}" for c, v in r.items() if reference.get(c) != str(v)]
            return ", ".join(shown) if shown else "reference"

        labels[sub.index] = method + " (" + sub[swept].astype(str).apply(describe, axis=1) + ")"
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


def summary_table(frame, metric, order=None, flag=None):
    """Cells "mean ± std" (%) per (mode, curve) and label count, rows in `order` (default: the
    curves above). A cell with a run whose boolean column `flag` is set ends in " †"."""
    stats = (frame.groupby(["mode", "curve", "column"])[metric]
             .agg(mean="mean", std="std", n="count", runs="size").reset_index())
    if flag is not None:
        flagged = frame.groupby(["mode", "curve", "column"])[flag].any().rename("flagged").reset_index()
        stats = stats.merge(flagged, on=["mode", "curve", "column"], how="left")
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
        text = text if r["n"] == usual else f"{text} ({r['n']})"
        return f"{text} †" if flag is not None and r["flagged"] else text

    stats["cell"] = stats.apply(cell, axis=1)
    table = stats.pivot(index=["mode", "curve"], columns="column", values="cell")
    table = table[column_order(table.columns)]
    order = [(mode, curve) for mode, curve, _ in (curves if order is None else order)
             if (mode, curve) in table.index]
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
save_figure(fig, "error_vs_labels.png")

# %% [markdown]
# ## Study: frozen and fine-tuned
# The paper-style figure of a whole study: the runs of this folder and of every `--also` folder
# (`CSD_ALSO`), e.g. `study/probe` with `study/finetune`, read as above and joined (a folder given
# twice, or a run found twice, counts once). Two panels with one y axis: left the test error at
# the evaluation a validation subset chose (METHOD.md's protocol); a run without a validation
# subset has none, so its best test error stands in, and the panel and the table (†) say so.
# Right the best test error over the evaluations (an optimistic number: it peeks at test). One
# colour per method; solid lines and filled markers: frozen backbone (`probe`); dashed lines and
# hollow markers: fine-tuned backbone (`finetune`). The mean over seeds with a band of ±1 std
# (sample std, n - 1); a curve with a single label count (fine-tuning usually runs at one) is a
# marker with a ±1 std error bar. x: labeled samples on a log axis, "all" at the pool size.
# The tables below hold the same numbers, as Markdown.


# %%
def cache_field(frame, name):
    """A cache provenance field, under any of the names the Swift reports accept."""
    for column in [f"cache.{name}", f"cache.{name.replace('_id', 'ID')}", f"cache.{name.replace('_id', '')}"]:
        if column in frame:
            return frame[column].fillna("?").astype(str)
    return pd.Series("?", index=frame.index)


study_folders = [RESULTS_DIR]
for folder in ALSO:
    if folder.resolve() in {f.resolve() for f in study_folders}:
        print(f"study folder {folder}: already read, skipped")
        continue
    study_folders.append(folder)
study = pd.concat([df.drop(columns="curve")] + [read_runs(folder) for folder in study_folders[1:]],
                  ignore_index=True)
key = [c for c in ["backbone", "run_id", "cache.model_id", "cache.dataset_id"] if c in study]
repeated = int(study.duplicated(key).sum())
if repeated:
    print(f"{repeated} runs found twice (same backbone, run id, model and data set): the first one counts")
    study = study.drop_duplicates(key, keep="first").reset_index(drop=True)
study["mode"] = study["backbone"].map(STUDY_MODES).fillna(study["backbone"])
study["curve"] = curve_labels(study)
if "validation_chosen_test_error" not in study:
    study["validation_chosen_test_error"] = np.nan
study["has_validation"] = study["has_validation"].fillna(False).astype(bool)
study["no_validation"] = ~study["has_validation"]
# The left panel's number: validation-chosen, or the best test error for a run without validation.
study["chosen_or_best"] = study["validation_chosen_test_error"].where(
    study["has_validation"], study["best_test_error"])
study_mode_rank = {"frozen": 0, "fine-tuned": 1}
study_curves = sorted(study.groupby(["mode", "curve", "method"]).groups,
                      key=lambda k: (study_mode_rank.get(k[0], 9), k[0], method_rank.get(k[2], 9), k[2], k[1]))
print(f"\nStudy: {len(study)} runs from {', '.join(str(f) for f in study_folders)}")

# Say which runs had no validation subset (their best test error stands in on the left).
missing = study[study["no_validation"]]
if len(missing) == len(study):
    fallback_note = "no run has a validation subset: best test error shown"
    print(f"Validation-chosen error: {fallback_note}")
elif len(missing):
    fallback_note = f"best test error for the {len(missing)} of {len(study)} runs without validation"
    groups = [f"{mode} {curve} at {', '.join(column_order(sub['column'].unique()))}"
              for (mode, curve), sub in missing.groupby(["mode", "curve"], sort=False)]
    print(f"Validation-chosen error: {len(missing)} of {len(study)} runs have no validation subset, "
          f"their best test error stands in (marked †): {'; '.join(groups)}")
else:
    fallback_note = None

# Title: the model and data set of every mode (one pair when the study used one, as it should).
pairs = (cache_field(study, "model_id") + " on " + cache_field(study, "dataset_id")).rename("pair")
by_mode = pd.concat([study["mode"], pairs], axis=1).drop_duplicates()
if by_mode["pair"].nunique() == 1:
    study_title = by_mode["pair"].iloc[0]
else:
    study_title = "; ".join(f"{pair} ({mode})" for mode, pair in by_mode.itertuples(index=False))


def markdown_table(table):
    header = ["mode", "method"] + [str(c) for c in table.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * len(table.columns)) + "|"]
    for (mode, curve), cells in table.iterrows():
        lines.append("| " + " | ".join([mode, curve] + list(cells)) + " |")
    return "\n".join(lines)


STUDY_METRICS = [("chosen_or_best", "Validation-chosen test error (%)"), ("best_test_error", "Best test error (%)")]
for metric, title in STUDY_METRICS:
    partial = metric == "chosen_or_best" and 0 < len(missing) < len(study)  # mark the stand-ins
    table, usual = summary_table(study, metric, order=study_curves, flag="no_validation" if partial else None)
    note = ""
    if metric == "chosen_or_best" and fallback_note:
        note = f"; †: {fallback_note}" if partial else f"; {fallback_note}"
    print(f"\nStudy: {title[0].lower() + title[1:]}, mean ± std over {usual} seeds"
          + ("; (k): k seeds" if table.map(lambda c: "(" in c).any().any() else "") + note)
    print(markdown_table(table))

# The figure: two panels, one legend below them.
fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.8), dpi=120, sharey=True)
owned = {METHOD_COLORS[m] for m in study["method"].unique() if m in METHOD_COLORS}
free_colors = [c for c in PALETTE if c not in owned]
curve_colors = {}
for _, curve, method in study_curves:  # frozen and fine-tuned runs of one method share its colour
    if curve not in curve_colors:
        own = METHOD_COLORS.get(method)
        if own is None or own in curve_colors.values():
            own = free_colors.pop(0) if free_colors else "#444444"
        curve_colors[curve] = own
# Single-label-count curves (markers with error bars) at one x are set apart a little.
single = [(mode, curve) for mode, curve, _ in study_curves
          if study[(study["mode"] == mode) & (study["curve"] == curve)]["x"].nunique() == 1]
dodge = {key: 10 ** (0.035 * (i - (len(single) - 1) / 2)) for i, key in enumerate(single)}
top = 0.0  # the highest mean + std: the y axis ends a little above it, markers included
for ax, (metric, title) in zip(axes, STUDY_METRICS):
    for mode, curve, method in study_curves:
        sub = study[(study["mode"] == mode) & (study["curve"] == curve)]
        stats = sub.groupby("x")[metric].agg(["mean", "std"]).dropna(subset=["mean"]).sort_index()
        if stats.empty:
            continue
        stats["std"] = stats["std"].fillna(0.0)
        x, mean, std = stats.index.to_numpy(float), 100 * stats["mean"].to_numpy(), 100 * stats["std"].to_numpy()
        top = max(top, float(np.nanmax(mean + std)))
        color, frozen = curve_colors[curve], mode == "frozen"
        style = dict(color=color, marker=METHOD_MARKERS.get(method, "o"), markersize=6,
                     markerfacecolor=color if frozen else "white", markeredgewidth=1.5,
                     label=f"{curve}, {mode}")
        if (mode, curve) in dodge:
            ax.errorbar(x * dodge[(mode, curve)], mean, yerr=std, linestyle="none", elinewidth=1.5,
                        capsize=4, capthick=1.5, zorder=3, **style)
        else:
            ax.fill_between(x, np.clip(mean - std, 0, None), mean + std, color=color, alpha=0.15, linewidth=0)
            ax.plot(x, mean, linestyle="-" if frozen else "--", linewidth=2, **style)
    ax.set_xscale("log")
    ticks = study.drop_duplicates("x").sort_values("x")
    ax.set_xticks(ticks["x"].to_numpy(float))
    ax.set_xticklabels([f"{int(x)}\n(all)" if c == "all" else str(int(x))
                        for x, c in zip(ticks["x"], ticks["column"])])
    ax.minorticks_on()
    ax.tick_params(axis="x", which="minor", labelbottom=False)
    ax.set_xlabel("Number of labeled samples")
    panel = title.replace(" (%)", "")
    if metric == "chosen_or_best" and fallback_note:
        panel += f"\n({fallback_note})"
    ax.set_title(panel, fontsize=10)
    ax.grid(True, which="major", color="#e4e4e4")
axes[0].set_ylim(0, 1.07 * top if top > 0 else None)
axes[0].set_ylabel("Test error (%)")
axes[1].tick_params(axis="y", labelleft=True)
# One legend row per mode (matplotlib fills a legend by columns: pad each row, then transpose).
entries = dict(zip(*reversed(axes[1].get_legend_handles_labels())))
legend_rows = [[(label, entries[label]) for label in (f"{curve}, {mode}" for m, curve, _ in study_curves if m == mode)
                if label in entries] for mode in dict.fromkeys(m for m, _, _ in study_curves)]
legend_rows = [row for row in legend_rows if row]
ncol = max(len(row) for row in legend_rows)
blank = plt.Line2D([], [], linestyle="none")
padded = [row + [("", blank)] * (ncol - len(row)) for row in legend_rows]
ordered = [padded[r][c] for c in range(ncol) for r in range(len(padded))]
fig.suptitle(study_title, fontsize=12)
fig.legend([h for _, h in ordered], [label for label, _ in ordered], loc="lower center", ncol=ncol,
           fontsize=8.5, frameon=False, title_fontsize=8,
           title="mean over seeds, band or error bar ±1 std over seeds;  "
                 "filled, solid: frozen backbone (probe);  hollow, dashed: fine-tuned (finetune)")
fig.tight_layout(rect=(0, 0.06 + 0.045 * len(legend_rows), 1, 1))
save_figure(fig, "study_error_vs_labels.png")

# %% [markdown]
# ## Evaluation domains (`probe --eval-cache`)
# A run evaluated on other caches (the same images with stripes, say) carries `evaluations`: per
# domain its test errors with the home split's conventions (the validation-chosen one at the
# evaluation the home validation split chose). The tables give each domain's error next to the
# home test error; the figure draws one line style per domain (solid: the home test split) in
# each method's colour, to `<results_dir>/domains_error_vs_labels.png`.


# %%
def domain_frame(frame):
    """One row per (run, domain): the home test split as domain "home", then each evaluation."""
    parts = [frame.assign(domain="home")]
    for _, run in frame.iterrows():
        evaluations = run.get("evaluations")
        if not isinstance(evaluations, list):
            continue
        for e in evaluations:
            row = run.copy()
            row["domain"] = e["name"]
            for key in ["final_test_error", "best_test_error", "validation_chosen_test_error", "test_rows"]:
                row[key] = pd.to_numeric(e.get(key), errors="coerce")
            parts.append(row.to_frame().T)
    out = pd.concat(parts, ignore_index=True)
    for key in ["final_test_error", "best_test_error", "validation_chosen_test_error", "x"]:
        out[key] = pd.to_numeric(out[key], errors="coerce")
    return out


domains = domain_frame(df) if "evaluations" in df else None
if domains is not None and domains["domain"].nunique() > 1:
    DOMAIN_NAMES = list(dict.fromkeys(domains["domain"]))
    chosen = "validation_chosen_test_error" if domains["validation_chosen_test_error"].notna().any() else "best_test_error"
    for domain in DOMAIN_NAMES:
        sub = domains[domains["domain"] == domain]
        rows = ", ".join(str(int(r)) for r in sorted(pd.to_numeric(sub["test_rows"]).dropna().unique()))
        for metric in [chosen, "best_test_error", "final_test_error"]:
            table, usual = summary_table(sub, metric)
            print(f"\nDomain {domain} ({rows} test rows): {metric.replace('_', ' ')} (%), mean ± std over {usual} seeds")
            with pd.option_context("display.width", 200, "display.max_columns", 20):
                print(table.to_string())

    DASHES = ["-", ":", "--", "-.", (0, (1, 4)), (0, (8, 2, 1, 2, 1, 2))]
    fig, ax = plt.subplots(figsize=(7.2, 4.6), dpi=120)
    for mode, curve, method in curves:
        for i, domain in enumerate(DOMAIN_NAMES):
            sub = domains[(domains["mode"] == mode) & (domains["curve"] == curve) & (domains["domain"] == domain)]
            stats = sub.groupby("x")[chosen].agg(["mean", "std"]).sort_index().dropna(subset=["mean"])
            if stats.empty:
                continue
            x, mean = stats.index.to_numpy(float), 100 * stats["mean"].to_numpy(float)
            std = 100 * stats["std"].fillna(0.0).to_numpy(float)
            color = seen_curves.get(curve, "#444444")
            ax.fill_between(x, np.clip(mean - std, 0, None), mean + std, color=color, alpha=0.08, linewidth=0)
            label = (curve if df["mode"].nunique() == 1 else f"{curve}, {mode}") + f" · {domain}"
            ax.plot(x, mean, color=color, linestyle=DASHES[i % len(DASHES)], linewidth=1.8,
                    marker=METHOD_MARKERS.get(method, "o"), markersize=4,
                    markerfacecolor="white" if mode == "trainable" else color, label=label)
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Number of labeled samples")
    ax.set_ylabel(("Test error at the validation-chosen epoch" if chosen.startswith("validation") else "Best test error")
                  + " (%)")
    ax.set_title("Error per evaluation domain (line style) and method (colour)", fontsize=10)
    ax.grid(True, which="major", color="#e4e4e4")
    ax.legend(frameon=True, fontsize=7, ncol=2, title="band: ±1 std over seeds", title_fontsize=7)
    fig.tight_layout()
    save_figure(fig, "domains_error_vs_labels.png")
else:
    print("\nNo evaluation domains (the runs had no --eval-cache).")

# %% [markdown]
# ## Disentanglement: what each code holds
# Per domain, small probes fitted on half of the test rows and scored on the other half
# (docs/METHOD.md): the class and two-valued attributes as accuracy (%), the other attributes as
# R^2. `content` is csd's class probabilities (the baselines' logits), `style` csd's style code,
# `tokens` the standardised tokens (the same in every run). If the decomposition works, the class
# is read from `content` and the attributes from `style`, not the reverse.

# %%
scores = [dict(s, run_id=r["run_id"], mode=r["mode"], curve=r["curve"], column=r["column"])
          for r in df.to_dict("records") if isinstance(r.get("disentanglement"), list)
          for s in r["disentanglement"]]
if scores:
    scores = pd.DataFrame(scores)
    scores["value"] = pd.to_numeric(scores["value"], errors="coerce")
    scores.loc[scores["code"] == "tokens", ["mode", "curve", "column"]] = "—"
    scores = scores.drop_duplicates(["run_id", "domain", "code", "target"])
    token_rows = scores["code"] == "tokens"
    scores = pd.concat([scores[token_rows].drop_duplicates(["domain", "target"]), scores[~token_rows]])

    def score_cell(values, metric):
        mean, std = values.mean(), values.std() if len(values) > 1 else 0.0
        return f"{mean:.2f} ± {std:.2f}" if metric == "r2" else f"{100 * mean:.1f} ± {100 * std:.1f}"

    for domain, sub in scores.groupby("domain", sort=False):
        metric_of = dict(zip(sub["target"], sub["metric"]))
        cells = (sub.groupby(["mode", "curve", "column", "code", "target"], sort=False)["value"]
                 .apply(list).reset_index())
        cells["cell"] = [score_cell(pd.Series(v), metric_of[t]) for v, t in zip(cells["value"], cells["target"])]
        # Tokens first, then the curves in their usual order, label counts ascending, content before style.
        curve_rank = {(m, c): i for i, (m, c, _) in enumerate(curves)}
        cells["rank"] = [(-1 if code == "tokens" else curve_rank.get((m, c), 99),
                          (col == "all", int(col) if str(col).isdigit() else 0), code != "content")
                         for m, c, col, code in zip(cells["mode"], cells["curve"], cells["column"], cells["code"])]
        cells = cells.sort_values("rank", key=lambda r: r.map(lambda k: k), kind="stable")
        order = list(dict.fromkeys(zip(cells["mode"], cells["curve"], cells["column"], cells["code"])))
        table = cells.pivot(index=["mode", "curve", "column", "code"], columns="target", values="cell").reindex(order)
        targets = ["class"] + sorted(t for t in table.columns if t != "class")
        table = table[[t for t in targets if t in table.columns]]
        table.columns = [f"{t} ({'R^2' if metric_of[t] == 'r2' else 'acc. %'})" for t in table.columns]
        print(f"\nDisentanglement on {domain}")
        with pd.option_context("display.width", 220, "display.max_columns", 20):
            print(table.fillna("—").to_string())
else:
    print("\nNo disentanglement report in these runs.")

# %% [markdown]
# ## Saved codes (`probe --save-codes`)
# The class probabilities and style codes of one csd run (the one with the most labels, seed 0
# first) on one domain (the first with stored attributes, else the home test split), each
# projected on its first two principal components and coloured by class (left) and by an
# attribute (right, the first stored one), to `<results_dir>/codes_pca.png`.

# %%
code_files = sorted((RESULTS_DIR / "codes").glob("*.h5")) if (RESULTS_DIR / "codes").is_dir() else []
if code_files:
    import h5py

    def pca2(x):
        centred = x - x.mean(axis=0)
        _, singular, vt = np.linalg.svd(centred, full_matrices=False)
        explained = singular ** 2 / max(np.sum(singular ** 2), 1e-30)
        return centred @ vt[:2].T, explained

    csd_runs = df[df["method"] == "csd"].sort_values(["x", "seed"], ascending=[False, True])
    wanted = [RESULTS_DIR / "codes" / (str(r).replace("|", "_").replace("/", "_") + ".h5") for r in csd_runs["run_id"]]
    path = next((p for p in wanted if p.is_file()), code_files[0])
    with h5py.File(path, "r") as f:
        run_id = f.attrs["run_id"]
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in f.attrs["class_names"]]
        domain = next((d for d in f if "attributes" in f[d]), "home" if "home" in f else list(f)[0])
        g = f[domain]
        codes = {"content probabilities": g["content_probabilities"][()].astype(np.float64)}
        if "style" in g:
            codes["style"] = g["style"][()].astype(np.float64)
        labels = g["labels"][()]
        attribute = sorted(g["attributes"])[0] if "attributes" in g else None
        attribute_values = g["attributes"][attribute][()] if attribute else None
    print(f"\nCodes of {run_id} on {domain}: {len(labels)} rows, " + ", ".join(f"{k} {v.shape}" for k, v in codes.items()))
    fig, axes = plt.subplots(len(codes), 2, figsize=(9.6, 4.2 * len(codes)), dpi=110, squeeze=False)
    cmap = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
    for row, (name, x) in enumerate(codes.items()):
        xy, explained = pca2(x)
        ax = axes[row][0]
        for label in np.unique(labels):
            mask = labels == label
            ax.scatter(xy[mask, 0], xy[mask, 1], s=4, alpha=0.6, color=cmap(int(label) % cmap.N),
                       label=names[label] if label < len(names) else str(label))
        ax.set_title(f"{name}: by class", fontsize=9)
        ax.legend(markerscale=3, fontsize=6, ncol=2, loc="best")
        ax = axes[row][1]
        if attribute is not None:
            points = ax.scatter(xy[:, 0], xy[:, 1], s=4, alpha=0.7, c=attribute_values, cmap="viridis")
            fig.colorbar(points, ax=ax, label=attribute)
            ax.set_title(f"{name}: by {attribute}", fontsize=9)
        else:
            ax.set_axis_off()
        for ax in axes[row]:
            ax.set_xlabel(f"PC 1 ({100 * explained[0]:.1f}%)", fontsize=8)
            ax.set_ylabel(f"PC 2 ({100 * explained[1]:.1f}%)", fontsize=8)
    fig.suptitle(f"{run_id} on {domain}", fontsize=10)
    fig.tight_layout()
    save_figure(fig, "codes_pca.png")
else:
    print("\nNo saved codes (the runs had no --save-codes).")

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
    save_figure(fig, "tokens_pca.png")
