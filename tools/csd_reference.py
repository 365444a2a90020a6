#!/usr/bin/env python3
"""Plain PyTorch reference of the semi-supervised content-style decomposition probe
(docs/METHOD.md), the implementation the Swift `probe` is compared against.

Usage
-----
    python3 tools/csd_reference.py --cache FILE.h5 --methods csd,supervised,linear,knn \
        --labels 10,100,all --seeds 0,1,2 --epochs 30 [--threads 2] [name=value ...] \
        --out results_torch.jsonl [--dump-subsets subsets.json] [--verbose]

`name=value` sets an option (table below). Without --out only --dump-subsets runs. Rows are
appended to --out in the schema of Sources/CSDResults/RunResult.swift; a run whose run_id is
already in the file is skipped (--rerun forces it).

Requires torch==2.13.0+cpu, h5py, numpy (tools/requirements.txt).

Every choice, stated
--------------------
Data
  * The cache (README "extract: the feature cache") is read with h5py: /train/features [N, D]
    and /test/features (float16 is converted to float32), /train/labels, /test/labels (int64).
    K = len(/train attrs class_names) (max label + 1 if the attribute is missing). Labels
    outside 0..K-1 are an error.
  * standardize (default true): per-feature mean and population standard deviation (ddof = 0)
    of the WHOLE train split (features only, no labels), computed in float64 and cast to
    float32; std = max(sqrt(mean((x - mean)^2)), 1e-6). Every method sees
    (x - mean) / std in float32, train and test. The reconstruction target is this
    standardised token (the encoder's own input).

Labeled subsets (the spec; Sources/CSDMethod/LabelSubsets.swift must reproduce it exactly)
  All arithmetic is on unsigned 64-bit integers modulo 2^64; GOLDEN = 0x9E3779B97F4A7C15.
      splitmix64(x): z = x + GOLDEN
                     z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
                     z = (z ^ (z >> 27)) * 0x94D049BB133111EB
                     return z ^ (z >> 31)
      sample key  key(i) = splitmix64(seed * GOLDEN + i)           i = train row index
      class key   ckey(c) = splitmix64(seed * GOLDEN + 0xC1A55 + c) c = class 0..K-1
  (seed is taken modulo 2^64, i.e. a negative seed is its two's-complement bit pattern.)
  1. For each class c, list its train indices ordered by key ascending (ties by index; there
     are none: splitmix64 is a bijection and the arguments are distinct).
  2. Order the classes by ckey ascending (ties by c; none either).
  3. The labeling sequence is built round by round: for r = 0, 1, 2, ... and, within a round,
     for each class c in class order, append the r-th index of class c's list if the class has
     more than r samples (a class with no more samples is skipped).
  4. The subset of size n is the set of the first n entries of the sequence; n = "all" (or any
     n >= N) is the whole train split. Written and used sorted ascending.
  Consequences: while every class has enough samples, a class gets n // K samples and the first
  n % K classes in class order get one more (docs/METHOD.md's rule, with the "randomly chosen"
  remainder classes being the first in the seed's class order). A class with fewer samples
  than its share gives all it has, and its missing picks go to the other classes in class
  order, round by round (water-filling: the most balanced split the class sizes allow).
  Subsets of one seed are nested by construction (prefixes of one sequence), and the
  remainder classes are the same for every n, so n // K + [rank(c) < n % K] grows with n.
  `verify_nested()` checks nestedness and balance numerically.

Unlabeled pool
  The unlabeled pool is the WHOLE train split (all N rows, labeled ones included; docs/METHOD.md's
  Objective allows labeled samples in B_U; "the rest of the train split" would leave n = all
  with no pool). Its labels are never read during training. One epoch = one pass over the
  pool: ceil(N / unlabeled_batch) steps, the last batch holding the N % 256 leftover rows.

Model (parameter names are those of Sources/CSDMethod/ContentStyleModel.swift)
  encoder.trunk.0      Linear(D, H)     then GELU (exact, erf)
  encoder.trunk.1      Linear(H, H)     then GELU (the trunk ends with its activation)
  encoder.content      Linear(H, K)     logits; p = softmax(logits); prediction argmax p
  encoder.style        Linear(H, S)     style s (built when w_rec > 0 or w_s > 0)
  decoder.0/1/2        Linear(K+S, H), GELU, Linear(H, H), GELU, Linear(H, D)
                       input concat([c, s], dim 1), content first (built when w_rec > 0)
  content_discriminator.0/1/2   Linear(K, Hd), LeakyReLU(0.2), Linear(Hd, Hd), LeakyReLU(0.2),
                                Linear(Hd, 1)   (built when w_c > 0)
  style_discriminator.0/1/2     the same on S inputs (built when w_s > 0)
  Weights are [out, in] (PyTorch layout); PyTorch's default nn.Linear initialisation, after
  torch.manual_seed(seed), modules built in the order listed. No normalisation layers.

Objective for one step (B = |B_L| + |B_U| rows, x = concat(x_L, x_U) standardised)
  L = w_ce  * CE(logits[:|B_L|], labels)                mean over the labeled rows
    + w_rec * R(x, G(c, s))                             over all B rows
    + w_c   * mean(softplus(-Dc(p)))                    over all B rows
    + w_s   * mean(softplus(-Ds(s)))                    over all B rows
  R = cosine: mean_i (1 - x_i . y_i / (max(|x_i|, 1e-8) * max(|y_i|, 1e-8)))
      mse:    mean over all B x D elements of (x - y)^2
  c = p (decoder_content = predicted), or for label_when_known the one-hot label on the B_L rows
  and p on the B_U rows (a B_U row is treated as unlabeled even when it is in the subset).
  The target x carries no gradient (it is data). A weight of 0 removes its term and the module
  that only it uses (w_c: Dc, w_s: Ds, w_rec: G).
  Discriminator loss (codes p, s recomputed under torch.no_grad):
      mean softplus(-Dc(c_prior)) + mean softplus(Dc(p))        [= BCE(.,1) + BCE(.,0)]
    + mean softplus(-Ds(z))       + mean softplus(Ds(s))
  with B prior one-hots c_prior drawn with replacement from the class prior (uniform, or the
  label frequencies of the labeled subset for class_prior = labeled) and B draws z ~ N(0, I_S).

Order within one step
  1. E/G update: one Adam step of L over the E and G parameters (the discriminators are fixed,
     their gradients from L are discarded).
  2. disc_steps discriminator updates: the codes p, s of the SAME batch are recomputed once
     with torch.no_grad from the just-updated encoder (disc_codes = updated, the default), or
     taken from step 1's forward, detached (disc_codes = step: one encoder forward less); each
     update draws fresh c_prior and z.

Optimisers and batches
  Adam(lr, betas (0.9, 0.999), eps 1e-8) over E and G; Adam(disc_lr, betas (0.5, 0.999),
  eps 1e-8) over Dc and Ds (one optimiser; Adam is per parameter). No weight decay, no
  clipping, no schedule.
  Per epoch: a random permutation of the pool (unlabeled batches are consecutive slices of it)
  and a random permutation P of the n labeled indices. Step j (0-based within the epoch) uses
  the labeled rows P[(j * b + t) mod n] for t = 0..b-1, b = min(n, labeled_batch): the
  permutation is cycled. Random draws (one torch.Generator seeded with the run's seed): per
  epoch the pool permutation then the labeled permutation; per discriminator update the prior
  classes then z. The Swift tool is compared in distribution (errors over seeds), not step by
  step: its random streams differ.

Baselines
  supervised: the encoder's trunk and content head only (the style head is not built), CE on
    labeled batches, same optimiser and lr, same number of steps as csd
    (epochs x ceil(N / unlabeled_batch)), same cycled per-epoch labeled permutation.
  linear:     multinomial logistic regression, one Linear(D, K) on the standardised tokens,
    CE, Adam(lr), same steps and labeled batches as supervised.
  knn:        no training. Cosine similarity (norms clamped at 1e-8) between standardised
    test and labeled tokens; the k = min(knn_k, n) most similar labeled samples (ties at equal
    similarity: the smaller train index first); majority vote; a tie in votes goes to the
    class with the smaller summed cosine distance (1 - cos) among the tied classes, then to the
    smaller label. Reported with epochs = 0, test_errors = [error], best_epoch = 0.

Evaluation and reporting
  After every epoch: test error = 1 - accuracy of argmax of the content logits on the
  standardised test split (no_grad). final_test_error = last epoch's, best_test_error = the
  minimum, best_epoch = the first (1-based) epoch reaching it. validation_chosen_test_error is
  null (no validation split is used). wall_seconds covers model construction, training and
  evaluation of the run (not the cache loading). options: all 17 options of
  Sources/CSDMethod/MethodOptions.swift for every method, as strings (floats as float32 shortest
  text, booleans true/false, like Swift's description). run_id =
  "<method>/n=<labels_requested>/seed=<seed>" plus "/" + the comma-joined non-default
  name=value pairs in option order when any differ.

Options (name=value)
  hidden 512, style_dim 32, disc_hidden 256, reconstruction cosine|mse, decoder_content
  predicted|label_when_known, class_prior uniform|labeled, disc_codes updated|step, disc_steps 1, w_ce 1, w_rec 1,
  w_c 0.1, w_s 0.1, standardize true|false, lr 0.001, disc_lr 0.001, unlabeled_batch 256,
  labeled_batch 64, knn_k 20.
"""
import argparse
import datetime
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

TOOL_VERSION = f"torch-reference 1 (torch {torch.__version__})"

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
CLASS_SALT = 0xC1A55


# --------------------------------------------------------------------------------------------
# Label subsets


def splitmix64(x):
    """splitmix64 on one Python int (the definition; mod 2^64)."""
    z = (x + GOLDEN) & MASK64
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    return z ^ (z >> 31)


def splitmix64_np(x):
    """splitmix64 on a uint64 array (wrapping arithmetic), equal to splitmix64() elementwise."""
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = x + np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
        return z ^ (z >> np.uint64(31))


def _seed_base(seed):
    return (seed * GOLDEN) & MASK64


def sample_keys(seed, count):
    """key(i) = splitmix64(seed * GOLDEN + i) for i = 0..count-1, as uint64."""
    with np.errstate(over="ignore"):
        return splitmix64_np(np.uint64(_seed_base(seed)) + np.arange(count, dtype=np.uint64))


def class_order(seed, num_classes):
    """Classes sorted by splitmix64(seed * GOLDEN + 0xC1A55 + c) ascending, ties by c."""
    keys = [splitmix64((_seed_base(seed) + CLASS_SALT + c) & MASK64) for c in range(num_classes)]
    return sorted(range(num_classes), key=lambda c: (keys[c], c))


def labeling_sequence(labels, seed, num_classes):
    """The whole train split in labeling order; a subset of size n is its first n entries."""
    labels = np.asarray(labels, dtype=np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}")
    keys = sample_keys(seed, labels.size)
    per_class = []
    for c in range(num_classes):
        idx = np.flatnonzero(labels == c)  # increasing
        order = np.lexsort((idx, keys[idx]))  # primary key, then index
        per_class.append(idx[order].tolist())
    classes = class_order(seed, num_classes)
    sequence = []
    for r in range(max((len(p) for p in per_class), default=0)):
        for c in classes:
            if r < len(per_class[c]):
                sequence.append(per_class[c][r])
    return sequence


def label_subset(labels, n, seed, num_classes, sequence=None):
    """Sorted indices of the labeled subset of size n (None or n >= N: the whole split)."""
    if sequence is None:
        sequence = labeling_sequence(labels, seed, num_classes)
    if n is None or n >= len(sequence):
        return list(range(len(sequence)))
    if n < 1:
        raise ValueError("a labeled subset needs n >= 1")
    return sorted(sequence[:n])


def verify_nested(labels, num_classes, seeds, sizes):
    """Raise if some subset is not contained in a larger one or not balanced as specified."""
    labels = np.asarray(labels)
    available = np.bincount(labels, minlength=num_classes)
    for seed in seeds:
        seq = labeling_sequence(labels, seed, num_classes)
        subsets = [(n, set(label_subset(labels, n, seed, num_classes, seq))) for n in sorted(sizes)]
        for (n1, a), (n2, b) in zip(subsets, subsets[1:]):
            if not a <= b:
                raise AssertionError(f"seed {seed}: subset {n1} not inside subset {n2}")
        rank = {c: r for r, c in enumerate(class_order(seed, num_classes))}
        for n, s in subsets:
            counts = np.bincount(labels[list(s)], minlength=num_classes)
            if len(s) != min(n, len(labels)):
                raise AssertionError(f"seed {seed} n {n}: size {len(s)}")
            if (available >= n // num_classes + 1).all():  # the plain rule applies
                want = [n // num_classes + (rank[c] < n % num_classes) for c in range(num_classes)]
                if counts.tolist() != want:
                    raise AssertionError(f"seed {seed} n {n}: counts {counts.tolist()} != {want}")
            else:  # water-filling: no class may exceed another by more than one unless exhausted
                for c in range(num_classes):
                    for d in range(num_classes):
                        if counts[c] > counts[d] + 1 and counts[d] < available[d]:
                            raise AssertionError(f"seed {seed} n {n}: unbalanced {counts.tolist()}")


def parse_label_request(text):
    return None if text == "all" else int(text)


def subsets_document(labels, num_classes, seeds, requests, include_sequence=False):
    """The --dump-subsets JSON (also the fixture's): chosen indices per (seed, n)."""
    labels = np.asarray(labels)
    doc = {
        "algorithm": "csd-subsets-v1: see the docstring of tools/csd_reference.py",
        "num_classes": int(num_classes),
        "train_rows": int(labels.size),
        "subsets": [],
    }
    if include_sequence:
        doc["sequences"] = {}
    for seed in seeds:
        seq = labeling_sequence(labels, seed, num_classes)
        if include_sequence:
            doc["sequences"][str(seed)] = seq
            doc.setdefault("class_orders", {})[str(seed)] = class_order(seed, num_classes)
        for req in requests:
            n = parse_label_request(req)
            idx = label_subset(labels, n, seed, num_classes, seq)
            doc["subsets"].append({
                "seed": seed, "labels_requested": req, "n": len(idx),
                "per_class": np.bincount(labels[idx], minlength=num_classes).tolist(),
                "indices": idx,
            })
    return doc


# --------------------------------------------------------------------------------------------
# Data


class CacheData:
    def __init__(self, path):
        import h5py
        with h5py.File(path, "r") as f:
            for split in ("train", "test"):
                if split not in f:
                    raise SystemExit(f"{path}: no '{split}' split (has {list(f.keys())})")
            self.train_x = torch.from_numpy(np.asarray(f["train/features"][...], dtype=np.float32))
            self.train_y = torch.from_numpy(np.asarray(f["train/labels"][...], dtype=np.int64))
            self.test_x = torch.from_numpy(np.asarray(f["test/features"][...], dtype=np.float32))
            self.test_y = torch.from_numpy(np.asarray(f["test/labels"][...], dtype=np.int64))
            names = f["train"].attrs.get("class_names")
            self.class_names = [str(s) for s in names] if names is not None and len(names) else None
            self.provenance = {k: (v if isinstance(v, str) else str(v.item() if hasattr(v, "item") else v))
                               for k, v in f.attrs.items()}
        self.path = path
        self.num_classes = len(self.class_names) if self.class_names else int(self.train_y.max()) + 1
        for name, y in (("train", self.train_y), ("test", self.test_y)):
            if y.numel() and (int(y.min()) < 0 or int(y.max()) >= self.num_classes):
                raise SystemExit(f"{path}: {name} labels outside 0..{self.num_classes - 1}")
        if not (torch.isfinite(self.train_x).all() and torch.isfinite(self.test_x).all()):
            raise SystemExit(f"{path}: non-finite features")
        self.mean, self.std = standardization_statistics(self.train_x)

    def inputs(self, standardize):
        if not standardize:
            return self.train_x, self.test_x
        return (self.train_x - self.mean) / self.std, (self.test_x - self.mean) / self.std


def standardization_statistics(x):
    """Per-feature mean and population std (ddof 0, floor 1e-6), float64 then float32."""
    x64 = x.double()
    mean = x64.mean(dim=0)
    std = ((x64 - mean) ** 2).mean(dim=0).sqrt().clamp_min(1e-6)
    return mean.float(), std.float()


# --------------------------------------------------------------------------------------------
# Options


DEFAULTS = {
    "hidden": 512, "style_dim": 32, "disc_hidden": 256, "reconstruction": "cosine",
    "decoder_content": "predicted", "class_prior": "uniform", "disc_codes": "updated", "disc_steps": 1, "w_ce": 1.0,
    "w_rec": 1.0, "w_c": 0.1, "w_s": 0.1, "standardize": True, "lr": 1e-3, "disc_lr": 1e-3,
    "unlabeled_batch": 256, "labeled_batch": 64, "knn_k": 20,
}
OPTION_NAMES = list(DEFAULTS)  # the order of MethodOptions.names
CHOICES = {"reconstruction": ("cosine", "mse"), "decoder_content": ("predicted", "label_when_known"),
           "class_prior": ("uniform", "labeled"), "disc_codes": ("updated", "step")}
POSITIVE_FLOATS = ("lr", "disc_lr")


def parse_option(opts, name, value):
    if name not in DEFAULTS:
        raise SystemExit(f"unknown option '{name}' (known: {', '.join(OPTION_NAMES)})")
    default = DEFAULTS[name]
    if name in CHOICES:
        if value not in CHOICES[name]:
            raise SystemExit(f"{name} must be one of {', '.join(CHOICES[name])}, got '{value}'")
        opts[name] = value
    elif isinstance(default, bool):
        if value not in ("true", "false"):
            raise SystemExit(f"standardize must be true or false, got '{value}'")
        opts[name] = value == "true"
    elif isinstance(default, int):
        try:
            v = int(value)
        except ValueError:
            v = 0
        if v < 1:
            raise SystemExit(f"{name} must be an integer >= 1, got '{value}'")
        opts[name] = v
    else:
        try:
            v = float(value)
        except ValueError:
            v = float("nan")
        if not math.isfinite(v) or v < 0 or (name in POSITIVE_FLOATS and v == 0):
            raise SystemExit(f"{name} must be a {'positive' if name in POSITIVE_FLOATS else 'non-negative'} number, got '{value}'")
        opts[name] = v


def option_text(value):
    """Options as Swift prints them: Float's shortest text, Bool true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(np.float32(value))
    return str(value)


def option_strings(opts):
    return {k: option_text(opts[k]) for k in OPTION_NAMES}


def run_id(method, labels_requested, seed, opts):
    nondefault = [f"{k}={option_text(opts[k])}" for k in OPTION_NAMES
                  if option_text(opts[k]) != option_text(DEFAULTS[k])]
    rid = f"{method}/n={labels_requested}/seed={seed}"
    return rid + ("/" + ",".join(nondefault) if nondefault else "")


# --------------------------------------------------------------------------------------------
# Model


class MLP(nn.ModuleList):
    """Linear layers named 0, 1, ... with `act` between them (and after the last if `final`)."""

    def __init__(self, sizes, act, final=False):
        super().__init__([nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])
        self.act = act
        self.final = final

    def forward(self, x):
        for i, layer in enumerate(self):
            x = layer(x)
            if i + 1 < len(self) or self.final:
                x = self.act(x)
        return x


def gelu(x):
    return F.gelu(x)  # exact (erf) form


def leaky(x):
    return F.leaky_relu(x, 0.2)


class Encoder(nn.Module):
    def __init__(self, d, h, k, s, with_style):
        super().__init__()
        self.trunk = MLP([d, h, h], gelu, final=True)
        self.content = nn.Linear(h, k)
        self.style = nn.Linear(h, s) if with_style else None

    def forward(self, x):
        f = self.trunk(x)
        return self.content(f), (self.style(f) if self.style is not None else None)


class ContentStyleModel(nn.Module):
    def __init__(self, d, k, opts, supervised_only=False):
        super().__init__()
        full = not supervised_only
        with_style = full and (opts["w_rec"] > 0 or opts["w_s"] > 0)
        self.k = k
        self.encoder = Encoder(d, opts["hidden"], k, opts["style_dim"], with_style)
        h, s, hd = opts["hidden"], opts["style_dim"], opts["disc_hidden"]
        self.decoder = MLP([k + s, h, h, d], gelu) if full and opts["w_rec"] > 0 else None
        self.content_discriminator = MLP([k, hd, hd, 1], leaky) if full and opts["w_c"] > 0 else None
        self.style_discriminator = MLP([s, hd, hd, 1], leaky) if full and opts["w_s"] > 0 else None

    def generator_parameters(self):
        mods = [self.encoder] + ([self.decoder] if self.decoder is not None else [])
        return [p for m in mods for p in m.parameters()]

    def discriminator_parameters(self):
        mods = [m for m in (self.content_discriminator, self.style_discriminator) if m is not None]
        return [p for m in mods for p in m.parameters()]


def cosine_distance(target, y):
    """mean over rows of 1 - t.y / (max(|t|, 1e-8) max(|y|, 1e-8))."""
    eps = 1e-8
    dot = (target * y).sum(dim=1)
    nt = target.norm(dim=1).clamp_min(eps)
    ny = y.norm(dim=1).clamp_min(eps)
    return (1 - dot / (nt * ny)).mean()


def generator_loss(model, opts, x_l, y_l, x_u):
    """L over B_L u B_U (labeled rows first). Returns (L, terms, p, s)."""
    x = torch.cat([x_l, x_u], dim=0)
    b_l = x_l.shape[0]
    logits, s = model.encoder(x)
    p = logits.softmax(dim=1)
    terms = {}
    total = logits.new_zeros(())
    if opts["w_ce"] > 0 and b_l > 0:
        terms["ce"] = F.cross_entropy(logits[:b_l], y_l)
        total = total + opts["w_ce"] * terms["ce"]
    if model.decoder is not None:
        c = p
        if opts["decoder_content"] == "label_when_known" and b_l > 0:
            c = torch.cat([F.one_hot(y_l, model.k).to(p.dtype), p[b_l:]], dim=0)
        y_hat = model.decoder(torch.cat([c, s], dim=1))
        target = x.detach()
        if opts["reconstruction"] == "cosine":
            terms["rec"] = cosine_distance(target, y_hat)
        else:
            terms["rec"] = F.mse_loss(y_hat, target)
        total = total + opts["w_rec"] * terms["rec"]
    if model.content_discriminator is not None:
        terms["adv_c"] = F.softplus(-model.content_discriminator(p)).mean()
        total = total + opts["w_c"] * terms["adv_c"]
    if model.style_discriminator is not None:
        terms["adv_s"] = F.softplus(-model.style_discriminator(s)).mean()
        total = total + opts["w_s"] * terms["adv_s"]
    return total, terms, p, s


def discriminator_loss(model, p, s, c_prior, z):
    """BCE(D(prior), 1) + BCE(D(code), 0) for each discriminator present; codes are constants."""
    total = p.new_zeros(())
    if model.content_discriminator is not None:
        dc = model.content_discriminator
        total = total + F.softplus(-dc(c_prior)).mean() + F.softplus(dc(p.detach())).mean()
    if model.style_discriminator is not None:
        ds = model.style_discriminator
        total = total + F.softplus(-ds(z)).mean() + F.softplus(ds(s.detach())).mean()
    return total


# --------------------------------------------------------------------------------------------
# Training


def test_error(predict, test_x, test_y, chunk=8192):
    wrong = 0
    with torch.no_grad():
        for i in range(0, test_x.shape[0], chunk):
            wrong += int((predict(test_x[i:i + chunk]).argmax(dim=1) != test_y[i:i + chunk]).sum())
    return wrong / test_x.shape[0]


def labeled_batch_indices(perm_l, j, b):
    n = perm_l.shape[0]
    return perm_l[(j * b + torch.arange(b)) % n]


def train(method, data, train_x, test_x, labeled, seed, epochs, opts, log=None):
    """Train csd / supervised / linear; returns the test error after each epoch."""
    n_pool, d = train_x.shape
    k = data.num_classes
    y_all = data.train_y
    labeled = torch.as_tensor(labeled, dtype=torch.int64)
    n = labeled.numel()
    b_u = opts["unlabeled_batch"]
    b_l = min(n, opts["labeled_batch"])
    steps = math.ceil(n_pool / b_u)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)

    if method == "linear":
        model = nn.Linear(d, k)
        params, predict = list(model.parameters()), model
    else:
        model = ContentStyleModel(d, k, opts, supervised_only=(method == "supervised"))
        params = model.generator_parameters() if method == "csd" else \
            list(model.encoder.trunk.parameters()) + list(model.encoder.content.parameters())
        predict = lambda x: model.encoder(x)[0]  # noqa: E731
    opt = torch.optim.Adam(params, lr=opts["lr"], betas=(0.9, 0.999), eps=1e-8)
    disc_params = model.discriminator_parameters() if method == "csd" else []
    disc_opt = torch.optim.Adam(disc_params, lr=opts["disc_lr"], betas=(0.5, 0.999), eps=1e-8) \
        if disc_params else None
    if opts["class_prior"] == "labeled":
        prior = torch.bincount(y_all[labeled], minlength=k).double()
    else:
        prior = torch.ones(k, dtype=torch.float64)
    prior = prior / prior.sum()

    errors = []
    for epoch in range(1, epochs + 1):
        perm_u = torch.randperm(n_pool, generator=gen)
        perm_l = labeled[torch.randperm(n, generator=gen)]
        sums = {}
        for j in range(steps):
            il = labeled_batch_indices(perm_l, j, b_l)
            x_l, y_l = train_x[il], y_all[il]
            if method != "csd":
                loss = F.cross_entropy(predict(x_l), y_l)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sums["ce"] = sums.get("ce", 0.0) + loss.item()
                continue
            x_u = train_x[perm_u[j * b_u:(j + 1) * b_u]]
            loss, terms, p_step, s_step = generator_loss(model, opts, x_l, y_l, x_u)
            if loss.requires_grad:  # False only when every weight is 0
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            for name, v in terms.items():
                sums[name] = sums.get(name, 0.0) + v.item()
            if disc_opt is None:
                continue
            if opts["disc_codes"] == "step":
                # The codes of the generator step's forward, before the encoder update.
                p, s = p_step.detach(), (s_step.detach() if s_step is not None else None)
            else:
                # The codes of the updated encoder on the same batch (default).
                with torch.no_grad():
                    logits, s = model.encoder(torch.cat([x_l, x_u], dim=0))
                    p = logits.softmax(dim=1)
            rows = p.shape[0]
            for _ in range(opts["disc_steps"]):
                cls = torch.multinomial(prior, rows, replacement=True, generator=gen)
                c_prior = F.one_hot(cls, k).float()
                z = torch.randn(rows, opts["style_dim"], generator=gen)
                dloss = discriminator_loss(model, p, s, c_prior, z)
                disc_opt.zero_grad(set_to_none=True)
                dloss.backward()
                disc_opt.step()
                sums["disc"] = sums.get("disc", 0.0) + dloss.item() / opts["disc_steps"]
        errors.append(test_error(predict, test_x, data.test_y))
        if log:
            means = " ".join(f"{name} {v / steps:.4f}" for name, v in sums.items())
            log(f"  {method} n={n} seed={seed} epoch {epoch}/{epochs}: {means} test error {errors[-1]:.4f}")
    return errors


def knn_error(train_x, test_x, train_y, test_y, labeled, k_max, num_classes, chunk=256):
    labeled = torch.as_tensor(labeled, dtype=torch.int64)  # sorted ascending
    k = min(k_max, labeled.numel())
    ref = train_x[labeled]
    ref = ref / ref.norm(dim=1, keepdim=True).clamp_min(1e-8)
    ref_y = train_y[labeled]
    wrong = 0
    for i in range(0, test_x.shape[0], chunk):
        q = test_x[i:i + chunk]
        q = q / q.norm(dim=1, keepdim=True).clamp_min(1e-8)
        sim = q @ ref.T
        # Stable sort on -sim: equal similarities keep the smaller train index first.
        order = torch.sort(-sim, dim=1, stable=True).indices[:, :k]
        nb_y = ref_y[order]
        nb_d = 1 - torch.gather(sim, 1, order)
        votes = torch.zeros(q.shape[0], num_classes, dtype=torch.int64).scatter_add_(
            1, nb_y, torch.ones_like(nb_y))
        dist = torch.zeros(q.shape[0], num_classes, dtype=torch.float64).scatter_add_(
            1, nb_y, nb_d.double())
        top = votes.max(dim=1, keepdim=True).values
        # Among the tied classes: smallest summed distance, then smallest label (argmin's first).
        masked = torch.where(votes == top, dist, torch.full_like(dist, float("inf")))
        best = masked.min(dim=1, keepdim=True).values
        pred = ((masked == best) & (votes == top)).int().argmax(dim=1)
        wrong += int((pred != test_y[i:i + chunk]).sum())
    return wrong / test_x.shape[0]


# --------------------------------------------------------------------------------------------
# CLI


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--methods", default="csd,supervised")
    ap.add_argument("--labels", default="10,25,50,100,250,500,1000,all")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--out", help="results JSONL (appended)")
    ap.add_argument("--dump-subsets", help="write the chosen indices per (seed, n) as JSON")
    ap.add_argument("--rerun", action="store_true", help="rerun cells already in --out")
    ap.add_argument("--verbose", action="store_true", help="per-epoch losses on stderr")
    ap.add_argument("options", nargs="*", metavar="name=value")
    args = ap.parse_args(argv)

    opts = dict(DEFAULTS)
    for item in args.options:
        if "=" not in item:
            raise SystemExit(f"options are name=value, got '{item}'")
        parse_option(opts, *item.split("=", 1))
    methods = [m for m in args.methods.split(",") if m]
    for m in methods:
        if m not in ("csd", "supervised", "linear", "knn"):
            raise SystemExit(f"unknown method '{m}' (csd, supervised, linear, knn)")
    requests = [r.strip() for r in args.labels.split(",") if r.strip()]
    for r in requests:
        if r != "all" and (not r.isdigit() or int(r) < 1):
            raise SystemExit(f"label counts are positive integers or 'all', got '{r}'")
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if args.epochs < 1:
        raise SystemExit("--epochs must be >= 1")
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    data = CacheData(args.cache)
    labels_np = data.train_y.numpy()
    if args.dump_subsets:
        doc = subsets_document(labels_np, data.num_classes, seeds, requests)
        with open(args.dump_subsets, "w") as f:
            json.dump(doc, f)
        print(f"wrote {args.dump_subsets}", file=sys.stderr)
    if not args.out:
        return 0

    done = set()
    if os.path.exists(args.out) and not args.rerun:
        with open(args.out) as f:
            done = {json.loads(line)["run_id"] for line in f if line.strip()}
    train_x, test_x = data.inputs(opts["standardize"])
    cache_info = {"path": os.path.abspath(args.cache), **data.provenance}
    log = (lambda s: print(s, file=sys.stderr, flush=True)) if args.verbose else None
    n_train = train_x.shape[0]
    for seed in seeds:
        sequence = labeling_sequence(labels_np, seed, data.num_classes)
        for req in requests:
            n_req = parse_label_request(req)
            if n_req is not None and n_req > n_train:
                print(f"warning: {n_req} labels requested, the train split has {n_train}: using all",
                      file=sys.stderr)
            labeled = label_subset(labels_np, n_req, seed, data.num_classes, sequence)
            for method in methods:
                rid = run_id(method, req, seed, opts)
                if rid in done:
                    print(f"skip {rid} (in {args.out})", file=sys.stderr)
                    continue
                start = time.perf_counter()
                if method == "knn":
                    errors = [knn_error(train_x, test_x, data.train_y, data.test_y, labeled,
                                        opts["knn_k"], data.num_classes)]
                    epochs = 0
                else:
                    errors = train(method, data, train_x, test_x, labeled, seed, args.epochs, opts, log)
                    epochs = args.epochs
                wall = time.perf_counter() - start
                best = min(errors)
                row = {
                    "run_id": rid, "method": method, "labels": len(labeled), "labels_requested": req,
                    "seed": seed, "options": option_strings(opts), "epochs": epochs,
                    "final_test_error": errors[-1], "best_test_error": best,
                    "best_epoch": 0 if method == "knn" else errors.index(best) + 1,
                    "validation_chosen_test_error": None, "test_errors": errors,
                    "wall_seconds": wall, "tool_version": TOOL_VERSION, "cache": cache_info,
                    "subset_file": "", "train_rows": n_train, "test_rows": int(test_x.shape[0]),
                    "backbone": "probe",
                    "timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
                with open(args.out, "a") as f:
                    f.write(json.dumps(row) + "\n")
                print(f"{rid}: final {errors[-1]:.4f} best {best:.4f} ({wall:.1f} s)", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
