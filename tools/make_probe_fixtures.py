#!/usr/bin/env python3
"""Fixtures for Tests/CSDProbeTests, from the PyTorch reference tools/csd_reference.py.

Usage: python3 tools/make_probe_fixtures.py
Requires: torch==2.13.0+cpu safetensors==0.8.0 numpy (tools/requirements.txt).
Deterministic: running it twice writes the same bytes (the safetensors header's metadata keys
are sorted after writing, see canonicalize_header).

Tests/CSDProbeTests/Fixtures/subsets.json
-----------------------------------------
The labeled subsets the reference picks (algorithm: docstring of tools/csd_reference.py) for a
synthetic label vector of 97 samples in 10 classes, class sizes
[15, 12, 11, 10, 10, 9, 9, 8, 11, 2] in a shuffled order (class 9 has only 2 samples, so a
subset of 25 or more must hand its missing picks to other classes), seeds 0, 1, 2 and sizes
10, 25, 33, 50, 77, 90, all. 33 and 77 (n % K != 0 with class 9 exhausted) tell the round-robin
hand-over apart from a "quota, then give the excess to the first classes" rule; 10, 25, 50 do
not. Fields:
  labels              [97] the train labels
  num_classes, train_rows
  splitmix64_vectors  [{"input": hex, "output": hex}] (64-bit values as "0x..." strings:
                      JSON numbers lose precision above 2^53)
  sample_keys         {seed: [hex key(i) for i = 0..4]}, key(i) = splitmix64(seed * GOLDEN + i)
  class_keys          {seed: [hex ckey(c) for c = 0..9]}
  class_orders        {seed: classes by ckey ascending}
  sequences           {seed: the 97 indices in labeling order}
  subsets             [{"seed", "labels_requested" ("10" ... or "all"), "n", "per_class",
                        "indices" (sorted ascending)}]

Tests/CSDProbeTests/Fixtures/objective_parity.safetensors
---------------------------------------------------------
One batch of the objective at tiny sizes: D = 8, H = 16, S = 4, Hd = 8, K = 3, 5 labeled rows
followed by 7 unlabeled rows (B = 12). All tensors float32 except input.labels (int64).
Parameters (PyTorch nn.Linear layout: weight [out, in], bias [out]; names as in
Sources/CSDMethod/ContentStyleModel.swift), PyTorch default init after torch.manual_seed(20241):
  encoder.trunk.0.{weight [16, 8], bias}      GELU after
  encoder.trunk.1.{weight [16, 16], bias}     GELU after (the trunk ends with its activation)
  encoder.content.{weight [3, 16], bias}      logits
  encoder.style.{weight [4, 16], bias}        style s
  decoder.0.{weight [16, 7], bias}            input concat([c, s]), content first; GELU
  decoder.1.{weight [16, 16], bias}           GELU
  decoder.2.{weight [8, 16], bias}            y_hat
  content_discriminator.{0 [8, 3], 1 [8, 8], 2 [1, 8]}.{weight, bias}   LeakyReLU(0.2) between
  style_discriminator.{0 [8, 4], 1 [8, 8], 2 [1, 8]}.{weight, bias}
Inputs (already standardised; x = concat(input.x_labeled, input.x_unlabeled)):
  input.x_labeled [5, 8], input.labels [5] int64 (every class present), input.x_unlabeled
  [7, 8], input.prior_one_hots [12, 3] (the discriminator's c_prior), input.gaussian [12, 4] (z)
Forward values (the same for every case):
  forward.logits [12, 3], forward.p [12, 3], forward.style [12, 4]
Per case <c> (options in the file's metadata, key "cases", JSON):
  default      all defaults (cosine, predicted, w_ce 1, w_rec 1, w_c 0.1, w_s 0.1)
  mse_label    reconstruction = mse, decoder_content = label_when_known, default weights
  weights      cosine, predicted, w_ce 0.5, w_rec 2, w_c 0.3, w_s 0 (no style discriminator:
               it is absent from both losses and has no gradients)
  <c>.y_hat [12, 8]                 decoder output
  <c>.gen.loss                      scalar L = w_ce ce + w_rec rec + w_c adv_c + w_s adv_s
  <c>.gen.{ce, rec, adv_c, adv_s}   the unweighted terms (absent when the weight is 0)
  <c>.gen.grad.<param>              dL/d<param> for every encoder and decoder parameter
  <c>.disc.loss                     scalar discriminator loss with the codes p, s of this
                                    batch (from the same weights, as constants),
                                    input.prior_one_hots and input.gaussian
  <c>.disc.grad.<param>             its gradient for every discriminator parameter present
Standardisation: standardize.x [20, 8] raw tokens (column 3 constant, so its std is floored at
  1e-6), standardize.mean [8], standardize.std [8] (population std, ddof 0), standardize.out
  [20, 8] = (x - mean) / std.
The losses and gradients are computed in float64 from the float32 parameters and inputs, then
rounded to float32, so they are references for a float32 implementation (compare with a
tolerance, ~1e-5 relative).
"""
import json
import pathlib
import struct
import sys

import numpy as np
import torch
from safetensors.torch import save_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import csd_reference as ref  # noqa: E402

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "Tests/CSDProbeTests/Fixtures"
CLASS_SIZES = [15, 12, 11, 10, 10, 9, 9, 8, 11, 2]
SEEDS = [0, 1, 2]
SIZES = ["10", "25", "33", "50", "77", "90", "all"]

D, H, S, HD, K, NL, NU = 8, 16, 4, 8, 3, 5, 7


def subsets_fixture():
    rng = np.random.default_rng(97)
    labels = np.concatenate([np.full(n, c) for c, n in enumerate(CLASS_SIZES)])
    rng.shuffle(labels)
    k = len(CLASS_SIZES)
    ref.verify_nested(labels, k, SEEDS, [10, 25, 50, 90, 97] + list(range(1, 98)))
    doc = ref.subsets_document(labels, k, SEEDS, SIZES, include_sequence=True)
    hexs = lambda v: f"0x{int(v):016x}"  # noqa: E731
    inputs = [0, 1, 0x9E3779B97F4A7C15, 0xFFFFFFFFFFFFFFFF, 0x0123456789ABCDEF]
    doc = {
        "algorithm": doc["algorithm"],
        "labels": labels.tolist(),
        "num_classes": k,
        "train_rows": int(labels.size),
        "splitmix64_vectors": [{"input": hexs(x), "output": hexs(ref.splitmix64(x))} for x in inputs],
        "sample_keys": {str(s): [hexs(v) for v in ref.sample_keys(s, 5)] for s in SEEDS},
        "class_keys": {str(s): [hexs(ref.splitmix64((ref._seed_base(s) + ref.CLASS_SALT + c) & ref.MASK64))
                                for c in range(k)] for s in SEEDS},
        "class_orders": doc["class_orders"],
        "sequences": doc["sequences"],
        "subsets": doc["subsets"],
    }
    path = FIXTURES / "subsets.json"
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


def objective_fixture():
    torch.manual_seed(20241)
    base = dict(ref.DEFAULTS, hidden=H, style_dim=S, disc_hidden=HD)
    model = ref.ContentStyleModel(D, K, base)
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}
    x_l = torch.randn(NL, D)
    y_l = torch.tensor([2, 0, 1, 1, 0], dtype=torch.int64)
    x_u = torch.randn(NU, D) * 1.5 + 0.3
    prior = torch.nn.functional.one_hot(torch.randint(0, K, (NL + NU,)), K).float()
    z = torch.randn(NL + NU, S)
    out = dict(params)
    out.update({"input.x_labeled": x_l, "input.labels": y_l, "input.x_unlabeled": x_u,
                "input.prior_one_hots": prior, "input.gaussian": z})

    cases = {
        "default": {},
        "mse_label": {"reconstruction": "mse", "decoder_content": "label_when_known"},
        "weights": {"w_ce": 0.5, "w_rec": 2.0, "w_c": 0.3, "w_s": 0.0},
    }
    x64 = torch.cat([x_l, x_u]).double()
    for name, change in cases.items():
        opts = dict(base, **change)
        m = ref.ContentStyleModel(D, K, opts).double()
        state = {k: v.double() for k, v in params.items() if k in m.state_dict()}
        m.load_state_dict(state, strict=True)
        loss, terms, p, s = ref.generator_loss(m, opts, x_l.double(), y_l, x_u.double())
        gen_params = dict((n, w) for n, w in m.named_parameters()
                          if not n.startswith(("content_discriminator", "style_discriminator")))
        grads = torch.autograd.grad(loss, list(gen_params.values()))
        out[f"{name}.gen.loss"] = loss.detach().float()
        for t, v in terms.items():
            out[f"{name}.gen.{t}"] = v.detach().float()
        for (n, _), g in zip(gen_params.items(), grads):
            out[f"{name}.gen.grad.{n}"] = g.float()
        with torch.no_grad():
            logits, s_ = m.encoder(x64)
            p_ = logits.softmax(dim=1)
            c = p_
            if opts["decoder_content"] == "label_when_known":
                c = torch.cat([torch.nn.functional.one_hot(y_l, K).double(), p_[NL:]])
            out[f"{name}.y_hat"] = m.decoder(torch.cat([c, s_], dim=1)).float()
        if name == "default":
            out["forward.logits"] = logits.float()
            out["forward.p"] = p_.float()
            out["forward.style"] = s_.float()
        dloss = ref.discriminator_loss(m, p_, s_, prior.double(), z.double())
        disc_params = dict((n, w) for n, w in m.named_parameters()
                           if n.startswith(("content_discriminator", "style_discriminator")))
        dgrads = torch.autograd.grad(dloss, list(disc_params.values()))
        out[f"{name}.disc.loss"] = dloss.detach().float()
        for (n, _), g in zip(disc_params.items(), dgrads):
            out[f"{name}.disc.grad.{n}"] = g.float()

    xs = torch.randn(20, D) * 3 + torch.arange(D).float()
    xs[:, 3] = 7.25
    mean, std = ref.standardization_statistics(xs)
    out.update({"standardize.x": xs, "standardize.mean": mean, "standardize.std": std,
                "standardize.out": (xs - mean) / std})

    out = {k: v.contiguous() for k, v in sorted(out.items())}
    meta = {"generator": "tools/make_probe_fixtures.py", "torch": torch.__version__,
            "sizes": json.dumps({"D": D, "H": H, "S": S, "Hd": HD, "K": K, "labeled": NL, "unlabeled": NU}),
            "cases": json.dumps({k: dict(base, **v) for k, v in cases.items()}, sort_keys=True)}
    path = FIXTURES / "objective_parity.safetensors"
    save_file(out, str(path), metadata=meta)
    canonicalize_header(path)
    path.chmod(0o644)  # save_file creates the file private
    print(f"wrote {path} ({len(out)} tensors, {path.stat().st_size} bytes)")


def canonicalize_header(path):
    """Rewrite the header with the metadata keys sorted: safetensors keeps metadata in a hash
    map, so its order (and the file's bytes) would otherwise change from run to run. Same
    compact JSON and space padding to 8 bytes as the library; tensor data untouched."""
    blob = path.read_bytes()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    assert len(text) == n, "the header length must not change (offsets are relative to it)"
    path.write_bytes(struct.pack("<Q", n) + text + blob[8 + n:])


def main():
    FIXTURES.mkdir(parents=True, exist_ok=True)
    subsets_fixture()
    objective_fixture()


if __name__ == "__main__":
    main()
