#!/usr/bin/env python3
"""Reference for one end-to-end finetune generator step (Tests/CSDFinetuneTests).

Usage: python3 tools/make_finetune_fixtures.py
Requires: torch==2.13.0+cpu transformers==5.24.0 safetensors==0.8.0 numpy (tools/requirements.txt).
Writes Tests/CSDFinetuneTests/Fixtures/finetune_step.safetensors and finetune_step.json.
Deterministic: running it twice writes the same bytes (deterministic algorithms, one thread, the
safetensors metadata keys sorted by make_probe_fixtures.canonicalize_header, json sort_keys).

The step (computed in float32, the stored values; repeated in float64 from the same float32
starting values to measure float32 rounding, reported in finetune_step.json "float32_vs_float64")
------------------------------------------------------------------------------------------------
Backbone  Dinov2Model.from_pretrained("Tests/CSDBackbonesTests/Fixtures/dinov2_tiny",
          attn_implementation="eager").train() (hidden 32, 2 layers, 4 heads, patch 4, image 16;
          dropout and drop path are 0, so train() == eval() here). Its initial weights are the
          file's (checked: every in-memory parameter, mapped back to the file's names with
          transformers' revert_weight_conversion, equals its model.safetensors tensor bit for bit);
          the test loads them from that file, they are not repeated here.
Heads     tools/csd_reference.ContentStyleModel(D = 32, K = 3) with hidden 16, style_dim 4,
          disc_hidden 8, every other option default (cosine reconstruction, decoder_content
          predicted, w_ce 1, w_rec 1, w_c 0.1, w_s 0.1), built right after torch.manual_seed(777)
          (PyTorch default nn.Linear init, modules in the order encoder.trunk, encoder.content,
          encoder.style, decoder, content_discriminator, style_discriminator).
Input     g = torch.Generator().manual_seed(4242); in this order, all float32:
            pixels = torch.randn(6, 3, 16, 16, generator=g)
            mean   = 0.5 * torch.randn(32, generator=g)
            std    = 0.5 + torch.rand(32, generator=g)
          labels = [2, 0] (int64) for rows 0-1; rows 2-5 are unlabeled.
Forward   y = backbone(pixel_values=pixels).pooler_output            [6, 32]
          x = (y - mean) / std                                        [6, 32]
          L, terms = csd_reference.generator_loss(heads, opts, x[:2], labels, x[2:])
            = 1 * ce + 1 * rec + 0.1 * adv_c + 0.1 * adv_s with
            ce    = cross_entropy(logits[:2], labels)            (mean over the 2 labeled rows)
            rec   = mean_i (1 - x_i.y_hat_i / (max(|x_i|,1e-8) max(|y_hat_i|,1e-8)))  all 6 rows,
                    target x.detach() (the live target: no gradient through it)
            adv_c = mean softplus(-Dc(p)), adv_s = mean softplus(-Ds(s))  all 6 rows
          The discriminators' parameters have requires_grad False: they get no gradient but pass
          gradients to their inputs p and s.
Backward  L.backward(): gradients of every backbone parameter (all but embeddings.mask_token,
          which only bool_masked_pos uses) and every encoder / decoder parameter.
Update    torch.optim.AdamW (single-tensor implementation, foreach=False), betas (0.9, 0.999),
          eps 1e-8, amsgrad False, two groups:
            backbone: list(backbone.parameters()), lr 1e-3, weight_decay 0.01
            heads:    ContentStyleModel.generator_parameters() (encoder then decoder), lr 1e-2,
                      weight_decay 0
          First step, per element (PyTorch's order of operations):
            w  <- w * (1 - lr * weight_decay)
            m   = (1 - 0.9) g ;  v = (1 - 0.999) g^2
            w  <- w - (lr / (1 - 0.9)) * m / (sqrt(v) / sqrt(1 - 0.999) + eps)
          i.e. w - lr * g / (|g| + eps) up to rounding. A parameter whose .grad is None
          (embeddings.mask_token) is skipped entirely (no decay either): after == before.

Keys (float32 unless noted; shapes in finetune_step.json "tensors")
  input.pixels [6,3,16,16], input.labels [2] int64, input.mean [32], input.std [32]
  heads.<name>           initial head parameters, all of them (discriminators included); <name>
                         as in Sources/CSDMethod/ContentStyleModel.swift, e.g. encoder.trunk.0.weight,
                         decoder.2.bias, content_discriminator.2.bias (nn.Linear layout [out, in])
  step.pooled [6,32]     y, the backbone's pooler_output (extra, for debugging the forward)
  step.x [6,32]          standardised tokens
  step.loss [1], step.ce [1], step.rec [1], step.adv_c [1], step.adv_s [1]   (terms unweighted)
  grad.backbone.<key>    dL/d<key> for every backbone parameter with a gradient; <key> exactly
                         as in dinov2_tiny/model.safetensors (transformers 5.24 renames e.g.
                         attention.attention.query -> attention.q_proj in memory; mapped back)
  grad.heads.<name>      dL/d<name> for every encoder and decoder parameter
  after.backbone.<key>   every backbone parameter after the AdamW step (mask_token included,
                         unchanged)
  after.heads.<name>     every encoder and decoder parameter after the step

Float32 rounding (see "float32_vs_float64" in the json): attention key biases get a gradient
that is exactly 0 in exact arithmetic (softmax is invariant to the q.b_k added to a whole row),
so their float32 gradient is rounding noise (~1e-9), and Adam's first step turns noise of
|g| >~ eps = 1e-8 into an update of up to lr in a noise-given direction: compare
after.backbone.*.attention.attention.key.bias with an absolute tolerance of ~lr (1e-3) plus the
decay, and their gradients with an absolute one.
"""
import copy
import hashlib
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
# Import side effects: transformers made quiet, deterministic algorithms, one thread.
from make_backbone_grad_fixtures import check_mapping, read_file, to_file_names  # noqa: E402
from make_probe_fixtures import canonicalize_header  # noqa: E402

import csd_reference as ref  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
import safetensors  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import Dinov2Model  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
BACKBONE = ROOT / "Tests/CSDBackbonesTests/Fixtures/dinov2_tiny"
OUT = ROOT / "Tests/CSDFinetuneTests/Fixtures"
NAME = "finetune_step"

D, K, H, S, HD = 32, 3, 16, 4, 8
BATCH, LABELED = 6, 2
LABELS = [2, 0]
HEAD_SEED, INPUT_SEED = 777, 4242
BACKBONE_LR, BACKBONE_WD = 1e-3, 0.01
HEADS_LR, HEADS_WD = 1e-2, 0.0
BETAS, EPS = (0.9, 0.999), 1e-8
OPTS = dict(ref.DEFAULTS, hidden=H, style_dim=S, disc_hidden=HD)
MAX_BYTES = 300_000

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


def make_inputs():
    g = torch.Generator().manual_seed(INPUT_SEED)
    pixels = torch.randn(BATCH, 3, 16, 16, generator=g)
    mean = 0.5 * torch.randn(D, generator=g)
    std = 0.5 + torch.rand(D, generator=g)
    labels = torch.tensor(LABELS, dtype=torch.int64)
    return pixels, labels, mean, std


def make_heads():
    torch.manual_seed(HEAD_SEED)
    return ref.ContentStyleModel(D, K, OPTS)


def load_backbone(disk):
    model = Dinov2Model.from_pretrained(BACKBONE, attn_implementation="eager")
    param_keys = check_mapping(model, disk, "dinov2_tiny")  # in-memory initial values == the file's
    cfg = model.config
    assert cfg.image_size == 16 and cfg.patch_size == 4 and cfg.hidden_size == D
    # native size: no position-table interpolation (the one step transformers forces to float32)
    assert cfg.hidden_dropout_prob == 0 and cfg.attention_probs_dropout_prob == 0 and cfg.drop_path_rate == 0
    return model.train(), param_keys


def step(backbone, heads, inputs, dtype):
    """One generator step in `dtype` on copies of the given float32 modules."""
    backbone = copy.deepcopy(backbone).to(dtype)
    heads = copy.deepcopy(heads).to(dtype)
    for p in heads.discriminator_parameters():
        p.requires_grad_(False)
    pixels, labels, mean, std = inputs
    pixels, mean, std = pixels.to(dtype), mean.to(dtype), std.to(dtype)

    y = backbone(pixel_values=pixels).pooler_output
    x = (y - mean) / std
    loss, terms, _, _ = ref.generator_loss(heads, OPTS, x[:LABELED], labels, x[LABELED:])
    assert set(terms) == {"ce", "rec", "adv_c", "adv_s"}
    loss.backward()

    b_named = dict(backbone.named_parameters())
    h_named = {n: p for n, p in heads.named_parameters()
               if not n.startswith(("content_discriminator", "style_discriminator"))}
    assert [id(p) for p in h_named.values()] == [id(p) for p in heads.generator_parameters()]
    assert all(p.grad is None for p in heads.discriminator_parameters())
    b_grads = to_file_names(backbone, {n: p.grad.detach().clone() for n, p in b_named.items()
                                       if p.grad is not None})
    b_no_grad = sorted(to_file_names(backbone, {n: p.detach() for n, p in b_named.items()
                                                if p.grad is None}))
    h_grads = {n: p.grad.detach().clone() for n, p in h_named.items()}
    assert all(g is not None for g in h_grads.values())

    opt = torch.optim.AdamW(
        [{"params": list(backbone.parameters()), "lr": BACKBONE_LR, "weight_decay": BACKBONE_WD},
         {"params": heads.generator_parameters(), "lr": HEADS_LR, "weight_decay": HEADS_WD}],
        betas=BETAS, eps=EPS, amsgrad=False, foreach=False)
    opt.step()
    b_after = to_file_names(backbone, {n: p.detach().clone() for n, p in b_named.items()})
    h_after = {n: p.detach().clone() for n, p in h_named.items()}
    return {
        "pooled": y.detach(), "x": x.detach(), "loss": loss.detach(),
        "terms": {k: v.detach() for k, v in terms.items()},
        "b_grads": b_grads, "b_no_grad": b_no_grad, "h_grads": h_grads,
        "b_after": b_after, "h_after": h_after,
    }


def g3(v):
    return float(f"{v:.3g}")


def compare(a32, a64):
    """Discrepancy of one float32 tensor against its float64 counterpart."""
    a = a32.double()
    diff = (a - a64).abs()
    norm64 = a64.norm().item()
    return {
        "max_abs": g3(diff.max().item()),
        "rel_norm": g3((a - a64).norm().item() / norm64) if norm64 > 0 else None,
        "max_abs_over_max": g3(diff.max().item() / a64.abs().max().item()) if norm64 > 0 else None,
        "max_abs_float64": g3(a64.abs().max().item()),
    }


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    disk = read_file(BACKBONE / "model.safetensors")
    backbone, param_keys = load_backbone(disk)
    heads = make_heads()
    heads_init = {n: p.detach().clone() for n, p in heads.named_parameters()}
    inputs = make_inputs()

    r32 = step(backbone, heads, inputs, torch.float32)
    r64 = step(backbone, heads, inputs, torch.float64)
    # the modules handed to step() are copies: the initial values are untouched
    assert all(torch.equal(p, heads_init[n]) for n, p in heads.named_parameters())

    # names: every gradient / updated weight is a file key of the right shape
    assert set(r32["b_after"]) == param_keys == set(disk)
    assert r32["b_no_grad"] == ["embeddings.mask_token"], r32["b_no_grad"]
    assert set(r32["b_grads"]) == param_keys - {"embeddings.mask_token"}
    for k, v in {**r32["b_grads"], **r32["b_after"]}.items():
        assert tuple(v.shape) == tuple(disk[k].shape), k
    assert torch.equal(r32["b_after"]["embeddings.mask_token"], disk["embeddings.mask_token"])
    assert set(r64["b_grads"]) == set(r32["b_grads"]) and r64["b_no_grad"] == r32["b_no_grad"]

    pixels, labels, mean, std = inputs
    out = {"input.pixels": pixels, "input.labels": labels, "input.mean": mean, "input.std": std,
           "step.pooled": r32["pooled"], "step.x": r32["x"], "step.loss": r32["loss"].reshape(1)}
    for t, v in r32["terms"].items():
        out[f"step.{t}"] = v.reshape(1)
    for n, v in heads_init.items():
        out[f"heads.{n}"] = v
    for k, v in r32["b_grads"].items():
        out[f"grad.backbone.{k}"] = v
    for n, v in r32["h_grads"].items():
        out[f"grad.heads.{n}"] = v
    for k, v in r32["b_after"].items():
        out[f"after.backbone.{k}"] = v
    for n, v in r32["h_after"].items():
        out[f"after.heads.{n}"] = v
    out = {k: v.detach().contiguous() for k, v in sorted(out.items())}
    for k, v in out.items():
        assert v.dtype == (torch.int64 if k == "input.labels" else torch.float32), k
        assert torch.isfinite(v.double()).all(), k

    # float32 vs float64
    loss_d = {"loss": compare(r32["loss"], r64["loss"])}
    loss_d.update({t: compare(r32["terms"][t], r64["terms"][t]) for t in r32["terms"]})
    loss_d["x"] = compare(r32["x"], r64["x"])
    loss_d["pooled"] = compare(r32["pooled"], r64["pooled"])
    grads_d = {f"grad.backbone.{k}": compare(v, r64["b_grads"][k]) for k, v in r32["b_grads"].items()}
    grads_d.update({f"grad.heads.{n}": compare(v, r64["h_grads"][n]) for n, v in r32["h_grads"].items()})
    after_d = {f"after.backbone.{k}": compare(v, r64["b_after"][k]) for k, v in r32["b_after"].items()}
    after_d.update({f"after.heads.{n}": compare(v, r64["h_after"][n]) for n, v in r32["h_after"].items()})
    key_bias = [k for k in grads_d if k.endswith("attention.attention.key.bias")]

    def worst(d, field, skip=()):
        vals = [(v[field], k) for k, v in d.items() if k not in skip and v[field] is not None]
        value, key = max(vals)
        return {"value": value, "tensor": key}

    after_key_bias = [f"after.backbone.{k[len('grad.backbone.'):]}" for k in key_bias]
    summary = {
        "loss_abs": loss_d["loss"]["max_abs"],
        "grad_rel_norm_worst_excluding_key_bias": worst(grads_d, "rel_norm", key_bias),
        "grad_max_abs_over_max_worst_excluding_key_bias": worst(grads_d, "max_abs_over_max", key_bias),
        "grad_key_bias_max_abs": worst({k: grads_d[k] for k in key_bias}, "max_abs"),
        "after_max_abs_worst_excluding_key_bias": worst(after_d, "max_abs", after_key_bias),
        "after_key_bias_max_abs": worst({k: after_d[k] for k in after_key_bias}, "max_abs"),
    }

    meta = {"generator": "tools/make_finetune_fixtures.py", "torch": torch.__version__,
            "transformers": transformers.__version__, "description": f"see {NAME}.json"}
    path = OUT / f"{NAME}.safetensors"
    save_file(out, str(path), metadata=meta)
    canonicalize_header(path)
    path.chmod(0o644)
    size = path.stat().st_size
    assert size < MAX_BYTES, size

    doc = {
        "generated_by": "tools/make_finetune_fixtures.py",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "safetensors": safetensors.__version__, "python": sys.version.split()[0]},
        "backbone": {"folder": "Tests/CSDBackbonesTests/Fixtures/dinov2_tiny",
                     "load": "Dinov2Model.from_pretrained(folder, attn_implementation='eager').train()",
                     "initial_weights": "dinov2_tiny/model.safetensors (checked equal to the in-memory "
                                        "parameters, mapped back with revert_weight_conversion)",
                     "no_grad": r32["b_no_grad"],
                     "in_memory_renames": "transformers 5.24: attention.attention.{query,key,value} -> "
                                          "attention.{q,k,v}_proj, attention.output.dense -> "
                                          "attention.o_proj; all keys here are the file's"},
        "heads": {"class": "tools/csd_reference.ContentStyleModel", "D": D, "K": K, "options": OPTS,
                  "init": f"torch.manual_seed({HEAD_SEED}) then ContentStyleModel(D, K, options)",
                  "trained": "encoder + decoder (generator_parameters); discriminators requires_grad False"},
        "seeds": {"heads": HEAD_SEED, "input": INPUT_SEED,
                  "input_draws": "g = torch.Generator().manual_seed(4242); pixels = randn(6,3,16,16, g); "
                                 "mean = 0.5 * randn(32, g); std = 0.5 + rand(32, g); float32"},
        "batch": {"rows": BATCH, "labeled_rows": "0-1", "labels": LABELS, "unlabeled_rows": "2-5"},
        "formulas": {
            "forward": "y = backbone(pixel_values).pooler_output; x = (y - mean) / std; "
                       "L = w_ce*ce + w_rec*rec + w_c*adv_c + w_s*adv_s = "
                       "csd_reference.generator_loss(heads, options, x[:2], labels, x[2:])",
            "ce": "cross_entropy(logits[:2], labels), mean over the labeled rows",
            "rec": "mean over 6 rows of 1 - x.y_hat / (max(|x|,1e-8) max(|y_hat|,1e-8)); target x.detach()",
            "adv_c": "mean over 6 rows of softplus(-Dc(p)), p = softmax(logits)",
            "adv_s": "mean over 6 rows of softplus(-Ds(s))",
            "decoder_input": "concat([p, s], 1), content first",
            "optimizer": "torch.optim.AdamW(foreach=False), betas (0.9, 0.999), eps 1e-8; groups "
                         "backbone (all parameters, lr 1e-3, weight_decay 0.01) and heads "
                         "(encoder + decoder, lr 1e-2, weight_decay 0)",
            "adamw_first_step": "w <- w*(1 - lr*wd); m = 0.1 g; v = 0.001 g^2; "
                                "w <- w - (lr/0.1) * m / (sqrt(v)/sqrt(0.001) + eps)  (~ w - lr*g/(|g|+eps)); "
                                "parameters with no gradient are skipped (no decay)",
            "precision": "stored values: float32 forward, backward and update; "
                         "float32_vs_float64: the same step in float64 from the same float32 start",
        },
        "keys": {
            "input.*": "pixels [6,3,16,16], labels [2] int64, mean [32], std [32]",
            "heads.<name>": "initial head parameters (all, discriminators included)",
            "step.*": "pooled [6,32], x [6,32], loss/ce/rec/adv_c/adv_s [1] (terms unweighted)",
            "grad.backbone.<file key>": "every backbone parameter with a gradient (all but embeddings.mask_token)",
            "grad.heads.<name>": "every encoder and decoder parameter",
            "after.backbone.<file key>": "every backbone parameter after the step (mask_token unchanged)",
            "after.heads.<name>": "every encoder and decoder parameter after the step",
        },
        "values": {"loss": float(r32["loss"].item()),
                   **{t: float(v.item()) for t, v in r32["terms"].items()},
                   "loss_float64": float(r64["loss"].item())},
        "tensors": {k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", "")}
                    for k, v in out.items()},
        "float32_vs_float64": {
            "measures": "max_abs = max|a32 - a64|; rel_norm = |a32 - a64| / |a64| (Frobenius); "
                        "max_abs_over_max = max_abs / max|a64|; max_abs_float64 = max|a64|",
            "note": "attention key-bias gradients are 0 in exact arithmetic (float64 ~1e-17): their "
                    "float32 values are rounding noise, rel_norm is meaningless there, and Adam's "
                    "first step maps noise |g| >~ eps to an update of up to lr (1e-3): compare those "
                    "gradients and after-weights with absolute tolerances",
            "summary": summary,
            "forward": loss_d,
            "gradients": grads_d,
            "after": after_d,
        },
        "file": {"name": f"{NAME}.safetensors", "bytes": size, "tensors": len(out)},
    }
    jpath = OUT / f"{NAME}.json"
    jpath.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    for p in (path, jpath):
        print(f"wrote {p.relative_to(ROOT)} ({p.stat().st_size} bytes, sha256 "
              f"{hashlib.sha256(p.read_bytes()).hexdigest()[:16]})")
    print(f"loss {r32['loss'].item():.7g} (float64 {r64['loss'].item():.10g}), {len(out)} tensors")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
