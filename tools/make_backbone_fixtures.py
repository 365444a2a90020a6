#!/usr/bin/env python3
"""Reference checkpoints and expected outputs for Tests/CSDBackbonesTests (DINOv2, CLIP, RADIO).

    python3 tools/make_backbone_fixtures.py              # (re)write the tiny fixtures
    python3 tools/make_backbone_fixtures.py --full DIR   # also: full-size random ViT-S/14 DINOv2
                                                         # and CLIP ViT-B/16 in DIR (not committed)

Every model is built offline from a config with transformers (eager attention, float32, eval),
then every LayerNorm, LayerScale, token, position table, bias and RADIO's norm_mean/std is moved
away from its initial value with a fixed seed (backbone_ref.perturb_), so that a mistake cannot
hide behind ones and zeros. Output is deterministic: running twice gives identical files.

Writes Tests/CSDBackbonesTests/Fixtures/<case>/ for each case:
  config.json + model.safetensors      hub layout, written by save_pretrained (the file names are
                                       the hub names; checked against docs/BACKBONES.md)
  (dinov2_tiny_sharded: model-0000k-of-0000n.safetensors + model.safetensors.index.json instead)
  expected.safetensors                 <entry>.<field>, float32:
      <entry> = native (the position table's grid), other (non-square, interpolated),
                large (RADIO only: grid larger than the table), orig (dinov2_tiny and its sharded
                copy: the `other` input with the original facebookresearch interpolation)
      <field> = pixel_values [2,3,H,W]; last_hidden_state [2,T,D] (all tokens);
                DINOv2: pooled [2,D] (= pooler_output, normalised token 0), patch_mean [2,D]
                        (mean of the normalised patch tokens, CLS and registers excluded);
                CLIP:   pooled [2,D] (= pooler_output, post_layernorm of token 0), image_embeds [2,P];
                RADIO:  summary [2,k*D] (= RadioModel output `summary`), features [2,h*w,D]
  expected.json                        sizes, geometry, which fields exist, how each was made

Cases: dinov2_tiny, dinov2_tiny_sharded (same weights, sharded), dinov2_swiglu_tiny,
dinov2_reg_tiny (4 registers, antialiased interpolation), clip_tiny, radio_tiny (transformers'
own config + file names), radio_tiny_hub (the same weights in the hub's remote-code form:
config.json with an `args` dict, LayerScale named ls{1,2}.gamma; same expected outputs).

RADIO hub-form key mapping (tools/backbone_ref.py radio_transformers_to_hub), applied to the file
that RadioModel.save_pretrained writes:
  radio_model.model.blocks.{i}.layer_scale1.lambda1 -> radio_model.model.blocks.{i}.ls1.gamma
  radio_model.model.blocks.{i}.layer_scale2.lambda1 -> radio_model.model.blocks.{i}.ls2.gamma
  every other name unchanged (transformers already saves radio_model.input_conditioner.norm_mean,
  .norm_std, radio_model.summary_idxs, radio_model.model.patch_generator.{embedder.weight,
  pos_embed, cls_token.token}, radio_model.model.blocks.{i}.{norm1, attn.qkv (fused), attn.proj,
  norm2, mlp.fc1, mlp.fc2}.*)

Each case folder is rewritten whole: run tools/make_backbone_grad_fixtures.py afterwards to
add the reference gradients (gradients.safetensors) again.

Checks done on every run (the script fails otherwise): saved key names and dtypes; reload with
from_pretrained gives the same outputs; an independent plain-torch forward written from
docs/BACKBONES.md (backbone_ref.ref_*) that reads only the saved tensors matches transformers; the
NumPy position-table resamplers match F.interpolate.

requires: torch==2.13.0+cpu transformers==5.24.0 safetensors==0.8.0 numpy (tools/requirements.txt)
"""
import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import backbone_ref as ref  # noqa: E402

ref.quiet_transformers()

import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import (  # noqa: E402
    CLIPVisionConfig, CLIPVisionModelWithProjection, Dinov2Config, Dinov2Model,
    Dinov2WithRegistersConfig, Dinov2WithRegistersModel, RadioConfig, RadioModel,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "CSDBackbonesTests" / "Fixtures"
BATCH = 2
TOL = 1e-4  # transformers vs the plain-torch reference (both float32)

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------

def read_folder(folder):
    """All tensors of a hub folder (single file or shards) -> {name: tensor}, and dtypes."""
    folder = Path(folder)
    index = folder / "model.safetensors.index.json"
    files = sorted(set(json.loads(index.read_text())["weight_map"].values())) if index.exists() \
        else ["model.safetensors"]
    tensors, dtypes = {}, {}
    for f in files:
        with safe_open(folder / f, "pt") as h:
            for k in h.keys():
                if k in tensors:
                    raise ValueError(f"{k} in two shards")
                tensors[k] = h.get_tensor(k)
                dtypes[k] = h.get_slice(k).get_dtype()
    return tensors, dtypes


def clean_dir(path):
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def check_keys(got, want, what):
    missing, extra = sorted(want - set(got)), sorted(set(got) - want)
    if missing or extra:
        raise AssertionError(f"{what}: keys differ from docs/BACKBONES.md\n missing {missing}\n extra {extra}")


def check_close(a, b, what, tol=TOL):
    err = (a - b).abs().max().item()
    if not err <= tol:
        raise AssertionError(f"{what}: max abs diff {err:.3g} > {tol}")
    return err


def pixel_inputs(seed, sizes, unit=False):
    g = torch.Generator().manual_seed(seed)
    out = {}
    for entry, (h, w) in sizes.items():
        shape = (BATCH, 3, h, w)
        out[entry] = torch.rand(shape, generator=g) if unit else torch.randn(shape, generator=g)
    return out


def write_expected(folder, tensors, info):
    tensors = {k: v.detach().clone().contiguous() for k, v in sorted(tensors.items())}
    save_file(tensors, folder / "expected.safetensors", metadata={"format": "pt"})
    info["tensors"] = {k: {"shape": list(v.shape), "max_abs": round(v.abs().max().item(), 4)}
                       for k, v in tensors.items()}
    info["generated_by"] = "tools/make_backbone_fixtures.py"
    info["versions"] = {"torch": torch.__version__, "transformers": transformers.__version__}
    (folder / "expected.json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n")


def files_of(folder):
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("expected"))


# ------------------------------------------------------------------------------------------
# DINOv2
# ------------------------------------------------------------------------------------------

def dinov2_config(swiglu=False, registers=0, hidden=32, layers=2, heads=4, patch=4, image=16):
    common = dict(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                  mlp_ratio=4, patch_size=patch, image_size=image, layer_norm_eps=1e-6,
                  use_swiglu_ffn=swiglu)
    if registers:
        return Dinov2WithRegistersConfig(num_register_tokens=registers, **common)
    return Dinov2Config(**common)


def build(cls, cfg, seed):
    torch.manual_seed(seed)
    model = cls._from_config(cfg, attn_implementation="eager")
    ref.perturb_(model, seed)
    return model.float().eval()


def dinov2_outputs(model, x, num_registers):
    with torch.no_grad():
        out = model(pixel_values=x)
    last = out.last_hidden_state
    return {"pixel_values": x, "last_hidden_state": last, "pooled": out.pooler_output,
            "patch_mean": last[:, 1 + num_registers:].mean(1)}


def make_dinov2(root, name, seed, swiglu=False, registers=0, shard_of=None, with_orig=False):
    folder = root / name
    clean_dir(folder)
    cfg = dinov2_config(swiglu=swiglu, registers=registers)
    cls = Dinov2WithRegistersModel if registers else Dinov2Model
    model = build(cls, cfg, seed)
    if shard_of is not None:
        model.save_pretrained(folder, max_shard_size="40KB")
    else:
        model.save_pretrained(folder)
    disk, dtypes = read_folder(folder)
    check_keys(disk, ref.expected_dinov2_keys(cfg.num_hidden_layers, swiglu, bool(registers)), name)
    assert set(dtypes.values()) == {"F32"}, dtypes
    reloaded = cls.from_pretrained(folder, attn_implementation="eager").eval()

    sizes = {"native": (16, 16), "other": (12, 20)}
    inputs = pixel_inputs(seed + 1, sizes)
    tensors, entries = {}, {}
    rcfg = cfg.to_dict()
    for entry, x in inputs.items():
        o = dinov2_outputs(model, x, registers)
        o2 = dinov2_outputs(reloaded, x, registers)
        r = ref.ref_dinov2(disk, rcfg, x)
        for f in ("last_hidden_state", "pooled", "patch_mean"):
            check_close(o[f], o2[f], f"{name}.{entry}.{f} reload", 0.0)
            check_close(o[f], r[f], f"{name}.{entry}.{f} vs plain-torch reference")
        tensors.update({f"{entry}.{k}": v for k, v in o.items()})
        h, w = x.shape[-2] // cfg.patch_size, x.shape[-1] // cfg.patch_size
        entries[entry] = {"height": x.shape[-2], "width": x.shape[-1], "grid": [h, w],
                          "tokens": 1 + registers + h * w,
                          "position_interpolation": "none (grid equals the table, square)"
                          if entry == "native" else
                          ("bicubic A=-0.5 antialiased (PIL kernel), size=(h, w), float32" if registers
                           else "bicubic A=-0.75, align_corners=False, no antialias, size=(h, w), float32")}
    if with_orig:
        x = inputs["other"]
        emb = model.embeddings
        saved = emb.interpolate_pos_encoding
        emb.interpolate_pos_encoding = ref.dinov2_original_interpolation(emb)
        try:
            o = dinov2_outputs(model, x, registers)
        finally:
            emb.interpolate_pos_encoding = saved
        r = ref.ref_dinov2(disk, rcfg, x, pos_mode="original")
        for f in ("last_hidden_state", "pooled", "patch_mean"):
            check_close(o[f], r[f], f"{name}.orig.{f} vs plain-torch reference")
        diff = (o["last_hidden_state"] - tensors["other.last_hidden_state"]).abs().max().item()
        assert diff > 1e-3, "original and transformers interpolation should differ here"
        tensors.update({f"orig.{k}": v for k, v in o.items()})
        entries["orig"] = dict(entries["other"], position_interpolation=(
            "original facebookresearch: bicubic A=-0.75, align_corners=False, no antialias, "
            "scale_factor=((h+0.1)/M, (w+0.1)/M) with M = sqrt(N) = table side; output size "
            "floor(M*factor) = (h, w); source index (dst+0.5)/factor-0.5"))
    info = {
        "case": name, "family": "dinov2", "class": cls.__name__, "config_form": "transformers",
        "files": files_of(folder), "sharded": shard_of is not None, "seed": seed,
        "hidden_size": cfg.hidden_size, "num_layers": cfg.num_hidden_layers,
        "num_heads": cfg.num_attention_heads, "patch_size": cfg.patch_size,
        "position_table_grid": [cfg.image_size // cfg.patch_size] * 2,
        "mlp": "swiglu (weights_in = [gate; up], hidden %d)" % disk[
            "encoder.layer.0.mlp.weights_out.weight"].shape[1] if swiglu else "gelu (exact erf), hidden 128",
        "layer_norm_eps": cfg.layer_norm_eps, "num_registers": registers,
        "prefix_tokens": 1 + registers, "image_token": "pooled", "entries": entries,
        "notes": "last_hidden_state is after the final LayerNorm; pooled = last_hidden_state[:, 0]; "
                 "patch_mean = mean of last_hidden_state[:, 1 + num_registers:]",
    }
    if shard_of is not None:
        info["same_weights_as"] = shard_of
    write_expected(folder, tensors, info)
    return model


# ------------------------------------------------------------------------------------------
# CLIP
# ------------------------------------------------------------------------------------------

def make_clip(root, name, seed):
    folder = root / name
    clean_dir(folder)
    cfg = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                           num_attention_heads=4, patch_size=4, image_size=16, projection_dim=16,
                           hidden_act="quick_gelu", layer_norm_eps=1e-5)
    model = build(CLIPVisionModelWithProjection, cfg, seed)
    model.save_pretrained(folder)
    disk, dtypes = read_folder(folder)
    check_keys(disk, ref.expected_clip_vision_keys(cfg.num_hidden_layers), name)
    assert set(dtypes.values()) == {"F32"}, dtypes
    reloaded = CLIPVisionModelWithProjection.from_pretrained(folder, attn_implementation="eager").eval()
    sizes = {"native": (16, 16), "other": (12, 20)}
    inputs = pixel_inputs(seed + 1, sizes)
    tensors, entries = {}, {}
    for entry, x in inputs.items():
        interp = entry != "native"
        o, o2 = {"pixel_values": x}, {}
        with torch.no_grad():
            # CLIPVisionModelWithProjection's output has no pooler_output: take it from the tower
            vo = model.vision_model(pixel_values=x, interpolate_pos_encoding=interp)
            out = model(pixel_values=x, interpolate_pos_encoding=interp)
            out2 = reloaded(pixel_values=x, interpolate_pos_encoding=interp)
        o.update(last_hidden_state=out.last_hidden_state, pooled=vo.pooler_output, image_embeds=out.image_embeds)
        o2.update(last_hidden_state=out2.last_hidden_state, image_embeds=out2.image_embeds)
        check_close(vo.last_hidden_state, out.last_hidden_state, "vision_model vs full model", 0.0)
        check_close(model.visual_projection(o["pooled"]), o["image_embeds"], "image_embeds = proj(pooled)", 0.0)
        r = ref.ref_clip(disk, cfg.to_dict(), x)
        for f in ("last_hidden_state", "image_embeds"):
            check_close(o[f], o2[f], f"{name}.{entry}.{f} reload", 0.0)
        for f in ("last_hidden_state", "pooled", "image_embeds"):
            check_close(o[f], r[f], f"{name}.{entry}.{f} vs plain-torch reference")
        tensors.update({f"{entry}.{k}": v for k, v in o.items()})
        h, w = x.shape[-2] // cfg.patch_size, x.shape[-1] // cfg.patch_size
        entries[entry] = {"height": x.shape[-2], "width": x.shape[-1], "grid": [h, w], "tokens": 1 + h * w,
                          "position_interpolation": "none" if entry == "native" else
                          "interpolate_pos_encoding=True: bicubic A=-0.75, align_corners=False, "
                          "no antialias, size=(h, w) (CLIP raises on a non-native size without it)"}
    info = {
        "case": name, "family": "clip", "class": "CLIPVisionModelWithProjection",
        "config_form": "transformers", "files": files_of(folder), "sharded": False, "seed": seed,
        "hidden_size": 32, "num_layers": 2, "num_heads": 4, "patch_size": 4, "intermediate_size": 64,
        "projection_dim": 16, "position_table_grid": [4, 4], "layer_norm_eps": 1e-5,
        "activation": "quick_gelu", "prefix_tokens": 1, "image_token": "pooled", "entries": entries,
        "notes": "last_hidden_state is the encoder output (not normalised); pooled = "
                 "post_layernorm(last_hidden_state[:, 0]); image_embeds = pooled @ "
                 "visual_projection.weight^T (no bias, not normalised). Keys carry vision_model.",
    }
    write_expected(folder, tensors, info)


# ------------------------------------------------------------------------------------------
# RADIO
# ------------------------------------------------------------------------------------------

RADIO_TEACHERS = [{"name": "clip", "use_summary": True}, {"name": "sam", "use_summary": False},
                  {"name": "dino_v2", "use_summary": True}]


def radio_args(hidden=32, layers=2, heads=4, patch=4, image=16, cpe=32, register_multiple=8):
    """The remote-code `args` for the tiny model: a timm ViT whose dims are overridden by
    model_kwargs (timm's vit_* constructors let kwargs override the named size), LayerScale on
    (init_values), 3 teachers with one cls token each, summary from teachers 0 and 2."""
    return {
        "model": "vit_base_patch16_224",
        "model_kwargs": {"embed_dim": hidden, "depth": layers, "num_heads": heads, "mlp_ratio": 4.0,
                         "patch_size": patch, "img_size": image, "init_values": 1.0},
        "in_chans": None, "input_size": None, "pretrained": False, "num_classes": 0, "drop": 0.0,
        "drop_path": None, "drop_block": None, "gp": None, "bn_momentum": None, "bn_eps": None,
        "initial_checkpoint": "", "torchscript": False,
        "cls_token_per_teacher": True, "teachers": RADIO_TEACHERS, "cpe_max_size": cpe,
        "register_multiple": register_multiple, "model_norm": False, "spectral_reparam": False,
        "dtype": "float32",
    }


def radio_config_from_geometry(geo, norm_mean, norm_std, image_size):
    if geo["model_norm"]:
        raise ValueError("transformers' RadioModel has no final norm (args.model_norm)")
    return RadioConfig(
        hidden_size=geo["hidden_size"], num_hidden_layers=geo["num_hidden_layers"],
        num_attention_heads=geo["num_attention_heads"], mlp_ratio=geo["mlp_ratio"],
        patch_size=geo["patch_size"], image_size=image_size, max_img_size=geo["max_img_size"],
        num_cls_tokens=geo["num_cls_tokens"], num_registers=geo["num_registers"],
        summary_idxs=list(geo["summary_idxs"]), norm_mean=list(norm_mean), norm_std=list(norm_std),
        layer_norm_eps=1e-6, hidden_act="gelu")


def radio_outputs(model, x):
    with torch.no_grad():
        out = model(pixel_values=x)
    return {"pixel_values": x, "last_hidden_state": out.last_hidden_state, "summary": out.summary,
            "features": out.features}


def make_radio(root, name, hub_name, seed):
    folder, hub = root / name, root / hub_name
    clean_dir(folder)
    clean_dir(hub)
    args = radio_args()
    geo = ref.radio_geometry_from_args(args)
    assert (geo["num_cls_tokens"], geo["num_registers"], geo["summary_idxs"]) == (3, 5, [0, 2])
    cfg = radio_config_from_geometry(geo, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25], image_size=16)
    model = build(RadioModel, cfg, seed)
    # keep config.json consistent with the perturbed input conditioner buffers
    cfg.norm_mean = [round(v, 6) for v in model.input_conditioner.norm_mean.flatten().tolist()]
    cfg.norm_std = [round(v, 6) for v in model.input_conditioner.norm_std.flatten().tolist()]
    with torch.no_grad():
        model.input_conditioner.norm_mean.copy_(torch.tensor(cfg.norm_mean).view(-1, 1, 1))
        model.input_conditioner.norm_std.copy_(torch.tensor(cfg.norm_std).view(-1, 1, 1))
    model.save_pretrained(folder)
    disk, dtypes = read_folder(folder)
    check_keys(disk, ref.expected_radio_keys(cfg.num_hidden_layers, "transformers"), name)
    assert dtypes.pop("radio_model.summary_idxs") == "I64" and set(dtypes.values()) == {"F32"}, dtypes
    assert disk["radio_model.summary_idxs"].tolist() == [0, 2]
    reloaded = RadioModel.from_pretrained(folder, attn_implementation="eager").eval()

    # hub remote-code form: same tensors, timm LayerScale names, config.json with `args`
    hub_tensors = ref.radio_transformers_to_hub(disk)
    check_keys(hub_tensors, ref.expected_radio_keys(cfg.num_hidden_layers, "hub"), hub_name)
    save_file(dict(sorted(hub_tensors.items())), hub / "model.safetensors", metadata={"format": "pt"})
    hub_cfg = ref.radio_hub_config(args, patch_size=4, max_resolution=32, preferred_resolution=(16, 16))
    (hub / "config.json").write_text(json.dumps(hub_cfg, indent=2, sort_keys=True) + "\n")
    # load the hub form back through the inverse mapping into a fresh RadioModel (strict)
    hub_model = RadioModel._from_config(
        radio_config_from_geometry(ref.radio_geometry_from_args(hub_cfg["args"]), cfg.norm_mean,
                                   cfg.norm_std, 16), attn_implementation="eager").eval()
    back = ref.radio_hub_to_transformers(hub_tensors)
    tmp = root / (hub_name + ".tmp")
    clean_dir(tmp)
    save_file(back, tmp / "model.safetensors")
    hub_model.config.save_pretrained(tmp)
    hub_model = RadioModel.from_pretrained(tmp, attn_implementation="eager").eval()
    shutil.rmtree(tmp)

    sizes = {"native": (16, 16), "other": (12, 20), "large": (36, 44)}
    inputs = pixel_inputs(seed + 1, sizes, unit=True)
    tensors, entries = {}, {}
    for entry, x in inputs.items():
        o = radio_outputs(model, x)
        for other_model, what in ((reloaded, "reload"), (hub_model, "hub form")):
            o2 = radio_outputs(other_model, x)
            for f in ("last_hidden_state", "summary", "features"):
                check_close(o[f], o2[f], f"{name}.{entry}.{f} {what}", 0.0)
        r = ref.ref_radio(hub_tensors, geo, x)
        for f in ("last_hidden_state", "summary", "features"):
            check_close(o[f], r[f], f"{name}.{entry}.{f} vs plain-torch reference")
        tensors.update({f"{entry}.{k}": v for k, v in o.items()})
        h, w = x.shape[-2] // 4, x.shape[-1] // 4
        m = max(h, w)
        entries[entry] = {"height": x.shape[-2], "width": x.shape[-1], "grid": [h, w],
                          "tokens": 8 + h * w,
                          "position_interpolation": f"table 8x8 -> bilinear (align_corners=False, "
                                                    f"no antialias) to {m}x{m} -> top-left {h}x{w}"}
    common = {
        "family": "radio", "seed": seed, "sharded": False,
        "hidden_size": 32, "num_layers": 2, "num_heads": 4, "patch_size": 4, "mlp_hidden": 128,
        "position_table_grid": [8, 8], "cpe_max_size": 32, "num_cls_tokens": 3, "num_registers": 5,
        "prefix_tokens": 8, "summary_idxs": [0, 2], "layer_norm_eps": 1e-6, "layer_scale": True,
        "model_norm": False, "image_token": "summary", "entries": entries,
        "notes": "pixel_values are RGB in [0, 1]; the model subtracts norm_mean and divides by "
                 "norm_std from the file. last_hidden_state = all tokens after the last block (no "
                 "final norm); summary = RadioModel output `summary` = last_hidden_state[:, "
                 "summary_idxs] flattened ([2, 2*32]); features = last_hidden_state[:, 8:].",
    }
    write_expected(folder, tensors, dict(common, case=name, **{
        "class": "RadioModel", "config_form": "transformers", "files": files_of(folder)}))
    write_expected(hub, tensors, dict(common, case=hub_name, **{
        "class": "RADIOModel (hub remote code)", "config_form": "hub remote-code (args)",
        "files": files_of(hub), "same_weights_as": name,
        "key_mapping_from": {"radio_model.model.blocks.{i}.layer_scale1.lambda1":
                             "radio_model.model.blocks.{i}.ls1.gamma",
                             "radio_model.model.blocks.{i}.layer_scale2.lambda1":
                             "radio_model.model.blocks.{i}.ls2.gamma"}}))


# ------------------------------------------------------------------------------------------
# full-size models (not committed)
# ------------------------------------------------------------------------------------------

def make_full(outdir):
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    x = pixel_inputs(1001, {"native": (224, 224)})["native"]
    # DINOv2 ViT-S/14: D 384, 12 layers, 6 heads, patch 14, table for 518 px (37x37)
    cfg = dinov2_config(hidden=384, layers=12, heads=6, patch=14, image=518)
    model = build(Dinov2Model, cfg, 1000)
    folder = outdir / "dinov2_vits14"
    clean_dir(folder)
    model.save_pretrained(folder)
    disk, _ = read_folder(folder)
    check_keys(disk, ref.expected_dinov2_keys(12), "dinov2_vits14")
    o = dinov2_outputs(model, x, 0)
    emb = model.embeddings
    saved = emb.interpolate_pos_encoding
    emb.interpolate_pos_encoding = ref.dinov2_original_interpolation(emb)
    try:
        oo = dinov2_outputs(model, x, 0)
    finally:
        emb.interpolate_pos_encoding = saved
    tensors = {f"native.{k}": v for k, v in o.items()}
    tensors.update({f"orig.{k}": v for k, v in oo.items()})
    write_expected(folder, tensors, {"case": "dinov2_vits14", "family": "dinov2", "class": "Dinov2Model",
                                     "entries": {"native": {"height": 224, "width": 224, "grid": [16, 16]},
                                                 "orig": {"height": 224, "width": 224, "grid": [16, 16]}}})
    print(f"wrote {folder}")
    # CLIP ViT-B/16: D 768, 12 layers, 12 heads, MLP 3072, patch 16, 224 px, projection 512
    cfg = CLIPVisionConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                           num_attention_heads=12, patch_size=16, image_size=224, projection_dim=512,
                           hidden_act="quick_gelu", layer_norm_eps=1e-5)
    model = build(CLIPVisionModelWithProjection, cfg, 2000)
    folder = outdir / "clip_vitb16"
    clean_dir(folder)
    model.save_pretrained(folder)
    disk, _ = read_folder(folder)
    check_keys(disk, ref.expected_clip_vision_keys(12), "clip_vitb16")
    with torch.no_grad():
        out = model(pixel_values=x)
        vo = model.vision_model(pixel_values=x)
    tensors = {"native.pixel_values": x, "native.last_hidden_state": out.last_hidden_state,
               "native.pooled": vo.pooler_output, "native.image_embeds": out.image_embeds}
    write_expected(folder, tensors, {"case": "clip_vitb16", "family": "clip",
                                     "class": "CLIPVisionModelWithProjection",
                                     "entries": {"native": {"height": 224, "width": 224, "grid": [14, 14]}}})
    print(f"wrote {folder}")
    # RADIO ViT-B/16 (transformers form): D 768, 12 layers, 12 heads, patch 16, 3 teacher tokens
    # + 5 registers, position table for 2048 px; inputs in [0, 1]. No expected outputs: it is a
    # benchmark and fidelity model, its parity is the tiny fixtures'.
    geo = ref.radio_geometry_from_args(radio_args(hidden=768, layers=12, heads=12, patch=16, image=224,
                                                  cpe=2048))
    cfg = radio_config_from_geometry(geo, [0.48145466, 0.4578275, 0.40821073],
                                     [0.26862954, 0.26130258, 0.27577711], image_size=224)
    model = build(RadioModel, cfg, 3000)
    folder = outdir / "radio_vitb16"
    clean_dir(folder)
    model.save_pretrained(folder)
    print(f"wrote {folder}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(FIXTURES), help="fixture root (default: %(default)s)")
    ap.add_argument("--full", metavar="OUTDIR", help="also write the full-size random models here")
    ap.add_argument("--skip-tiny", action="store_true", help="with --full: only the full-size models")
    a = ap.parse_args()

    worst = max(e for _, e in ref.check_resamplers())
    assert worst < 1e-12, worst
    if not a.skip_tiny:
        root = Path(a.out)
        root.mkdir(parents=True, exist_ok=True)
        make_dinov2(root, "dinov2_tiny", 11, with_orig=True)
        make_dinov2(root, "dinov2_tiny_sharded", 11, shard_of="dinov2_tiny", with_orig=True)
        make_dinov2(root, "dinov2_swiglu_tiny", 12, swiglu=True)
        make_dinov2(root, "dinov2_reg_tiny", 13, registers=4)
        make_clip(root, "clip_tiny", 21)
        make_radio(root, "radio_tiny", "radio_tiny_hub", 31)
        a_files = sorted(p for p in root.rglob("*") if p.is_file())
        total = sum(p.stat().st_size for p in a_files)
        print(f"wrote {len(a_files)} files, {total / 1024:.0f} KiB, under {root}")
        assert total < 3 * 1024 * 1024
    if a.full:
        make_full(a.full)


if __name__ == "__main__":
    main()
