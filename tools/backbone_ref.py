"""Shared helpers for the backbone tools (fixtures, converters, benchmark).

Not a script: imported by make_backbone_fixtures.py, convert_*.py and bench_backbone.py.

What is in here
  * quiet_transformers()         silence transformers' import-time chatter
  * perturb_(model, seed)        move every parameter and buffer away from its initial value
  * key-name tables for the files on disk (what a Swift loader must find), per family
  * DINOv2: original facebookresearch state dict <-> Hugging Face file names
  * RADIO: transformers file names <-> hub remote-code file names, and the remote-code
    `args` dict <-> transformers' RadioConfig
  * plain-torch forward passes written from docs/BACKBONES.md that read only the tensors on disk
    (a second, independent check of the fixture semantics)
  * NumPy versions of the three position-table resamplers (bicubic, antialiased bicubic,
    bilinear) that are checked against torch.nn.functional.interpolate

requires: torch==2.13.0+cpu transformers==5.24.0 safetensors==0.8.0 numpy (tools/requirements.txt)
"""
import math
import os
import re

import numpy as np
import torch
import torch.nn.functional as F


def quiet_transformers():
    """Keep transformers' import-time and save-time log lines out of the output."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")
    import transformers

    transformers.logging.set_verbosity_error()
    try:
        transformers.utils.logging.disable_progress_bar()
    except AttributeError:
        pass


# --------------------------------------------------------------------------------------------
# Perturbation
# --------------------------------------------------------------------------------------------

def perturb_(model, seed):
    """Overwrite every floating parameter and buffer with seeded random values.

    LayerNorm weight 1 + 0.2 n, bias 0.2 n; Linear/Conv weights n / sqrt(fan_in) (so attention
    is far from uniform); every bias 0.2 n; LayerScale 1 + 0.2 n; cls / register / mask tokens
    and CLIP's class embedding 0.5 n; position tables 0.5 n; RADIO's norm_mean 0.45 + 0.05 n and
    norm_std 0.25 + 0.03 |n| + 0.02. Integer buffers (summary_idxs) are left alone.
    Raises if a floating tensor was not covered by a rule.
    """
    g = torch.Generator().manual_seed(seed)

    def n(shape):
        return torch.randn(shape, generator=g, dtype=torch.float32)

    layer_norms = {name for name, m in model.named_modules() if isinstance(m, torch.nn.LayerNorm)}
    with torch.no_grad():
        named = list(model.named_parameters()) + [
            (k, b) for k, b in model.named_buffers() if b.is_floating_point()
        ]
        for name, p in named:
            owner, _, leaf = name.rpartition(".")
            shape = p.shape
            if owner in layer_norms:
                val = 1 + 0.2 * n(shape) if leaf == "weight" else 0.2 * n(shape)
            elif leaf == "lambda1" or leaf == "gamma":
                val = 1 + 0.2 * n(shape)
            elif leaf == "bias":
                val = 0.2 * n(shape)
            elif leaf == "weight" and p.dim() >= 2 and "position_embedding" not in owner \
                    and not owner.endswith("token_embedding"):
                fan_in = int(np.prod(shape[1:]))
                val = n(shape) / math.sqrt(fan_in)
            elif leaf in ("cls_token", "mask_token", "register_tokens", "class_embedding",
                          "cls_register_token", "token"):
                val = 0.5 * n(shape)
            elif leaf in ("position_embeddings", "position_embedding", "pos_embed") or (
                    leaf == "weight" and ("position_embedding" in owner or owner.endswith("token_embedding"))):
                val = 0.5 * n(shape)
            elif leaf == "norm_mean":
                val = 0.45 + 0.05 * n(shape)
            elif leaf == "norm_std":
                val = 0.25 + 0.03 * n(shape).abs() + 0.02
            elif leaf == "logit_scale":
                val = 2.0 + 0.2 * n(shape)
            else:
                raise ValueError(f"perturb_: no rule for {name} {tuple(shape)}")
            p.copy_(val.to(p.dtype))
    return model


# --------------------------------------------------------------------------------------------
# Key names on disk
# --------------------------------------------------------------------------------------------

def expected_dinov2_keys(num_layers, swiglu=False, registers=False):
    keys = {
        "embeddings.cls_token", "embeddings.mask_token", "embeddings.position_embeddings",
        "embeddings.patch_embeddings.projection.weight", "embeddings.patch_embeddings.projection.bias",
        "layernorm.weight", "layernorm.bias",
    }
    if registers:
        keys.add("embeddings.register_tokens")
    mlp = ["mlp.weights_in", "mlp.weights_out"] if swiglu else ["mlp.fc1", "mlp.fc2"]
    for i in range(num_layers):
        p = f"encoder.layer.{i}."
        for m in ["norm1", "norm2", "attention.attention.query", "attention.attention.key",
                  "attention.attention.value", "attention.output.dense"] + mlp:
            keys |= {p + m + ".weight", p + m + ".bias"}
        keys |= {p + "layer_scale1.lambda1", p + "layer_scale2.lambda1"}
    return keys


def expected_clip_vision_keys(num_layers, projection=True, prefix="vision_model."):
    keys = {prefix + k for k in [
        "embeddings.class_embedding", "embeddings.patch_embedding.weight",
        "embeddings.position_embedding.weight", "pre_layrnorm.weight", "pre_layrnorm.bias",
        "post_layernorm.weight", "post_layernorm.bias"]}
    for i in range(num_layers):
        p = f"{prefix}encoder.layers.{i}."
        for m in ["layer_norm1", "layer_norm2", "self_attn.q_proj", "self_attn.k_proj",
                  "self_attn.v_proj", "self_attn.out_proj", "mlp.fc1", "mlp.fc2"]:
            keys |= {p + m + ".weight", p + m + ".bias"}
    if projection:
        keys.add("visual_projection.weight")
    return keys


def expected_radio_keys(num_layers, form="transformers", layer_scale=True):
    """form 'transformers': what RadioModel.save_pretrained writes; 'hub': remote-code names."""
    keys = {
        "radio_model.input_conditioner.norm_mean", "radio_model.input_conditioner.norm_std",
        "radio_model.summary_idxs", "radio_model.model.patch_generator.embedder.weight",
        "radio_model.model.patch_generator.pos_embed", "radio_model.model.patch_generator.cls_token.token",
    }
    ls = ("layer_scale1.lambda1", "layer_scale2.lambda1") if form == "transformers" else ("ls1.gamma", "ls2.gamma")
    for i in range(num_layers):
        p = f"radio_model.model.blocks.{i}."
        for m in ["norm1", "norm2", "attn.qkv", "attn.proj", "mlp.fc1", "mlp.fc2"]:
            keys |= {p + m + ".weight", p + m + ".bias"}
        if layer_scale:
            keys |= {p + ls[0], p + ls[1]}
    return keys


# --------------------------------------------------------------------------------------------
# DINOv2: original facebookresearch names <-> Hugging Face file names
# --------------------------------------------------------------------------------------------
# original                               Hugging Face file (transformers >= 4.x on disk)
# cls_token [1,1,D]                      embeddings.cls_token
# pos_embed [1,1+N,D]                    embeddings.position_embeddings
# register_tokens [1,R,D]                embeddings.register_tokens
# mask_token [1,D]                       embeddings.mask_token
# patch_embed.proj.{weight,bias}         embeddings.patch_embeddings.projection.{weight,bias}
# blocks.{i}.norm1.*                     encoder.layer.{i}.norm1.*
# blocks.{i}.attn.qkv.{weight,bias}      rows [0,D) -> attention.attention.query, [D,2D) -> .key,
#                                        [2D,3D) -> .value  (original: reshape(B,N,3,H,hd))
# blocks.{i}.attn.proj.*                 encoder.layer.{i}.attention.output.dense.*
# blocks.{i}.ls1.gamma                   encoder.layer.{i}.layer_scale1.lambda1
# blocks.{i}.norm2.*                     encoder.layer.{i}.norm2.*
# blocks.{i}.mlp.fc1.* / fc2.*           encoder.layer.{i}.mlp.fc1.* / fc2.*
# blocks.{i}.mlp.w12.* / w3.*  (SwiGLU)  encoder.layer.{i}.mlp.weights_in.* / weights_out.*
# blocks.{i}.ls2.gamma                   encoder.layer.{i}.layer_scale2.lambda1
# norm.*                                 layernorm.*
# Chunked training checkpoints (block_chunks > 0) name blocks blocks.{c}.{i}.*; i is global.

_DINO_SIMPLE = {
    "cls_token": "embeddings.cls_token",
    "pos_embed": "embeddings.position_embeddings",
    "register_tokens": "embeddings.register_tokens",
    "mask_token": "embeddings.mask_token",
    "patch_embed.proj.weight": "embeddings.patch_embeddings.projection.weight",
    "patch_embed.proj.bias": "embeddings.patch_embeddings.projection.bias",
    "norm.weight": "layernorm.weight",
    "norm.bias": "layernorm.bias",
}
_DINO_BLOCK = {
    "norm1": "norm1", "norm2": "norm2", "attn.proj": "attention.output.dense",
    "mlp.fc1": "mlp.fc1", "mlp.fc2": "mlp.fc2", "mlp.w12": "mlp.weights_in", "mlp.w3": "mlp.weights_out",
}


def dinov2_orig_to_hf(sd):
    """Original state dict -> (HF-file-named dict, list of ignored keys). Raises on unknown keys."""
    out, ignored = {}, []
    for k, v in sd.items():
        m = re.fullmatch(r"blocks\.(?:\d+\.)?(\d+)\.(.+)", k)
        if k in _DINO_SIMPLE:
            out[_DINO_SIMPLE[k]] = v
        elif m:
            i, rest = int(m.group(1)), m.group(2)
            p = f"encoder.layer.{i}."
            mod, _, leaf = rest.rpartition(".")
            if mod == "attn.qkv":
                q, kk, vv = v.chunk(3, dim=0)
                out[p + f"attention.attention.query.{leaf}"] = q.clone()
                out[p + f"attention.attention.key.{leaf}"] = kk.clone()
                out[p + f"attention.attention.value.{leaf}"] = vv.clone()
            elif rest == "ls1.gamma":
                out[p + "layer_scale1.lambda1"] = v
            elif rest == "ls2.gamma":
                out[p + "layer_scale2.lambda1"] = v
            elif mod in _DINO_BLOCK:
                out[p + f"{_DINO_BLOCK[mod]}.{leaf}"] = v
            else:
                raise KeyError(f"unknown DINOv2 block key {k}")
        elif k.startswith("head.") or k.startswith("dino_head.") or k.startswith("ibot_head."):
            ignored.append(k)
        else:
            raise KeyError(f"unknown DINOv2 key {k}")
    return out, ignored


def dinov2_hf_to_orig(hf, chunks=0):
    """HF-file-named dict -> original state dict (the inverse; chunks > 0 writes blocks.{c}.{i})."""
    inv_simple = {v: k for k, v in _DINO_SIMPLE.items()}
    inv_block = {v: k for k, v in _DINO_BLOCK.items()}
    num_layers = 1 + max(int(m.group(1)) for k in hf if (m := re.match(r"encoder\.layer\.(\d+)\.", k)))
    per_chunk = num_layers // chunks if chunks else 0
    out = {}

    def bname(i):
        return f"blocks.{i // per_chunk}.{i}." if chunks else f"blocks.{i}."

    for k, v in hf.items():
        if k in inv_simple:
            out[inv_simple[k]] = v
            continue
        m = re.fullmatch(r"encoder\.layer\.(\d+)\.(.+)", k)
        if not m:
            raise KeyError(k)
        i, rest = int(m.group(1)), m.group(2)
        mod, _, leaf = rest.rpartition(".")
        if mod == "attention.attention.query":
            out[bname(i) + f"attn.qkv.{leaf}"] = torch.cat([
                hf[f"encoder.layer.{i}.attention.attention.{n}.{leaf}"] for n in ("query", "key", "value")])
        elif mod in ("attention.attention.key", "attention.attention.value"):
            continue
        elif rest == "layer_scale1.lambda1":
            out[bname(i) + "ls1.gamma"] = v
        elif rest == "layer_scale2.lambda1":
            out[bname(i) + "ls2.gamma"] = v
        elif mod in inv_block:
            out[bname(i) + f"{inv_block[mod]}.{leaf}"] = v
        else:
            raise KeyError(k)
    return out


# --------------------------------------------------------------------------------------------
# RADIO: transformers files <-> hub remote-code files
# --------------------------------------------------------------------------------------------
# Both forms share every name except LayerScale:
#   transformers RadioModel.save_pretrained            hub remote-code (timm VisionTransformer)
#   radio_model.model.blocks.{i}.layer_scale1.lambda1  radio_model.model.blocks.{i}.ls1.gamma
#   radio_model.model.blocks.{i}.layer_scale2.lambda1  radio_model.model.blocks.{i}.ls2.gamma
# Shared: radio_model.input_conditioner.norm_{mean,std} [3,1,1], radio_model.summary_idxs (I64),
#   radio_model.model.patch_generator.{embedder.weight [D, 3*p*p], pos_embed [1,R*R,D],
#   cls_token.token [C+G, D]}, radio_model.model.blocks.{i}.{norm1, attn.qkv (fused [3D,D], rows
#   q,k,v), attn.proj, norm2, mlp.fc1, mlp.fc2}.{weight,bias}.
# (In memory transformers uses embeddings.patch_projection / position_embedding /
#  cls_register_token, encoder.layer.{i}.attention.{q,k,v,o}_proj; its conversion mapping turns
#  the file names into those on load and back on save.)

def radio_transformers_to_hub(tensors):
    out = {}
    for k, v in tensors.items():
        k2 = re.sub(r"\.layer_scale([12])\.lambda1$", r".ls\1.gamma", k)
        out[k2] = v
    return out


def radio_hub_to_transformers(tensors):
    out = {}
    for k, v in tensors.items():
        k2 = re.sub(r"\.ls([12])\.gamma$", r".layer_scale\1.lambda1", k)
        out[k2] = v
    return out


# timm ViT names -> (embed_dim, depth, num_heads, patch); model_kwargs in args override them.
TIMM_VIT = {
    "tiny": (192, 12, 3), "small": (384, 12, 6), "base": (768, 12, 12), "large": (1024, 24, 16),
    "huge": (1280, 32, 16), "giant": (1408, 40, 16),
}


def radio_geometry_from_args(args, patch_size=None):
    """Backbone geometry from a remote-code `args` dict (timm name + model_kwargs overrides)."""
    name = args["model"]
    m = re.match(r"vit_(tiny|small|base|large|huge|giant)_patch(\d+)", name)
    if not m:
        raise ValueError(f"unsupported RADIO backbone {name!r} (only timm vit_* models)")
    dim, depth, heads = TIMM_VIT[m.group(1)]
    patch = int(m.group(2))
    kw = dict(args.get("model_kwargs") or {})
    dim, depth, heads = kw.get("embed_dim", dim), kw.get("depth", depth), kw.get("num_heads", heads)
    patch = kw.get("patch_size", patch_size or patch)
    mlp_ratio = kw.get("mlp_ratio", 4.0)
    teachers = args.get("teachers") or []
    if args.get("cls_token_per_teacher"):
        num_cls = len({t["name"] for t in teachers})
    else:
        num_cls = 1
    if args.get("cpe_num_registers"):
        num_reg = int(args["cpe_num_registers"])
    elif args.get("register_multiple"):
        rm = int(args["register_multiple"])
        num_reg = rm - (num_cls % rm)
    else:
        num_reg = 0
    summary_idxs = [i for i, t in enumerate(teachers) if t.get("use_summary", True)]
    cpe = args["cpe_max_size"]
    max_img = int(round(cpe / patch) * patch)
    return dict(hidden_size=dim, num_hidden_layers=depth, num_attention_heads=heads, patch_size=patch,
                mlp_ratio=float(mlp_ratio), num_cls_tokens=num_cls, num_registers=num_reg,
                summary_idxs=summary_idxs, max_img_size=max_img,
                layer_scale=kw.get("init_values") is not None, model_norm=bool(args.get("model_norm")))


def radio_hub_config(args, patch_size, max_resolution, preferred_resolution, version="radio_v2.5-b"):
    """A config.json in the hub's remote-code form (hf_model.RADIOConfig)."""
    return {
        "architectures": ["RADIOModel"],
        "auto_map": {"AutoConfig": "hf_model.RADIOConfig", "AutoModel": "hf_model.RADIOModel"},
        "args": args,
        "version": version,
        "patch_size": patch_size,
        "max_resolution": max_resolution,
        "preferred_resolution": list(preferred_resolution),
        "adaptor_names": None,
        "adaptor_configs": {},
        "vitdet_window_size": None,
        "feature_normalizer_config": None,
        "inter_feature_normalizer_config": None,
        "torch_dtype": "float32",
    }


# --------------------------------------------------------------------------------------------
# Position-table resamplers in NumPy (float64), checked against torch in check_resamplers()
# --------------------------------------------------------------------------------------------

def _cubic(x, a):
    x = abs(x)
    if x <= 1:
        return ((a + 2) * x - (a + 3)) * x * x + 1
    if x < 2:
        return (((x - 5) * x + 8) * x - 4) * a
    return 0.0


def bicubic_matrix(n_in, n_out, scale=None):
    """torch bicubic, align_corners=False, antialias=False: A = -0.75, indices clamped to the
    border. src = (dst + 0.5) * s - 0.5 with s = n_in / n_out, or s = 1 / scale when a
    scale_factor was passed (DINOv2 original: scale = (n + 0.1) / sqrt(N))."""
    s = (1.0 / scale) if scale is not None else n_in / n_out
    W = np.zeros((n_out, n_in))
    for o in range(n_out):
        src = (o + 0.5) * s - 0.5
        i0 = math.floor(src)
        t = src - i0
        for k in range(-1, 3):
            W[o, min(max(i0 + k, 0), n_in - 1)] += _cubic(k - t, -0.75)
    return W


def bicubic_aa_matrix(n_in, n_out):
    """torch bicubic with antialias=True (PIL's resampler): A = -0.5, support 2 * max(s, 1),
    taps outside the input are dropped (no clamping) and the weights renormalised to sum 1."""
    s = n_in / n_out
    support = 2.0 * max(s, 1.0)
    inv = 1.0 / s if s > 1.0 else 1.0
    W = np.zeros((n_out, n_in))
    for o in range(n_out):
        center = s * (o + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), n_in)
        w = np.array([_cubic((j - center + 0.5) * inv, -0.5) for j in range(lo, hi)])
        W[o, lo:hi] = w / w.sum()
    return W


def bilinear_matrix(n_in, n_out):
    """torch bilinear, align_corners=False: src = max((dst + 0.5) * n_in / n_out - 0.5, 0),
    i1 = min(i0 + 1, n_in - 1)."""
    s = n_in / n_out
    W = np.zeros((n_out, n_in))
    for o in range(n_out):
        src = max((o + 0.5) * s - 0.5, 0.0)
        i0 = int(math.floor(src))
        i1 = min(i0 + 1, n_in - 1)
        lam = src - i0
        W[o, i0] += 1 - lam
        W[o, i1] += lam
    return W


def resample_table(table, rows, cols, kind, scale=None):
    """table [R, C, D] -> [rows, cols, D] with separable matrices (float64)."""
    R, C, _ = table.shape
    if kind == "bicubic":
        A = bicubic_matrix(R, rows, None if scale is None else scale[0])
        B = bicubic_matrix(C, cols, None if scale is None else scale[1])
    elif kind == "bicubic_aa":
        A, B = bicubic_aa_matrix(R, rows), bicubic_aa_matrix(C, cols)
    elif kind == "bilinear":
        A, B = bilinear_matrix(R, rows), bilinear_matrix(C, cols)
    else:
        raise ValueError(kind)
    return np.einsum("ri,ijd,cj->rcd", A, table.astype(np.float64), B)


def check_resamplers():
    """Compare the NumPy resamplers with F.interpolate in float64 (they agree to ~1e-14; in
    float32 torch computes source coordinates in float32 and differs by ~1e-5).
    Returns a list of (name, max abs error)."""
    g = torch.Generator().manual_seed(7)
    results = []
    for (R, C) in [(4, 4), (37, 37), (8, 8)]:
        t = torch.randn(1, 5, R, C, generator=g, dtype=torch.float64)
        tab = t[0].permute(1, 2, 0).numpy()
        for (h, w) in [(3, 5), (16, 16), (9, 11), (R, C), (2, 7)]:
            ref = F.interpolate(t, size=(h, w), mode="bicubic", align_corners=False)
            got = resample_table(tab, h, w, "bicubic")
            results.append((f"bicubic {R}x{C}->{h}x{w}", _err(ref, got)))
            ref = F.interpolate(t, size=(h, w), mode="bicubic", align_corners=False, antialias=True)
            got = resample_table(tab, h, w, "bicubic_aa")
            results.append((f"bicubic_aa {R}x{C}->{h}x{w}", _err(ref, got)))
            ref = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False)
            got = resample_table(tab, h, w, "bilinear")
            results.append((f"bilinear {R}x{C}->{h}x{w}", _err(ref, got)))
            if R == C:
                sf = ((h + 0.1) / R, (w + 0.1) / C)
                ref = F.interpolate(t, scale_factor=sf, mode="bicubic")
                assert tuple(ref.shape[-2:]) == (h, w), (ref.shape, h, w)
                got = resample_table(tab, h, w, "bicubic", scale=sf)
                results.append((f"bicubic scale_factor {R}x{C}->{h}x{w}", _err(ref, got)))
    return results


def _err(ref, got):
    return float(np.abs(ref[0].permute(1, 2, 0).double().numpy() - got).max())


def dinov2_original_interpolation(embeddings):
    """A replacement for transformers' Dinov2Embeddings.interpolate_pos_encoding that does what
    facebookresearch/dinov2 DinoVisionTransformer.interpolate_pos_encoding (interpolate_offset
    0.1, no antialias): bicubic with scale_factor = ((h + 0.1) / M, (w + 0.1) / M), M = sqrt(N),
    skipped when the patch count equals N and the image is square. (The original names the row
    count `w` because it unpacks `B, nc, w, h = x.shape`; the first factor applies to rows.)"""
    pos = embeddings.position_embeddings
    p = embeddings.patch_size

    def interpolate_pos_encoding(tokens, height, width):
        npatch, N = tokens.shape[1] - 1, pos.shape[1] - 1
        if npatch == N and height == width:
            return pos
        M = int(math.sqrt(N))
        h0, w0 = height // p, width // p
        grid = pos[:, 1:].float().reshape(1, M, M, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, scale_factor=((h0 + 0.1) / M, (w0 + 0.1) / M), mode="bicubic")
        assert tuple(grid.shape[-2:]) == (h0, w0)
        grid = grid.permute(0, 2, 3, 1).reshape(1, h0 * w0, -1)
        return torch.cat([pos[:, :1], grid], 1).to(pos.dtype)

    return interpolate_pos_encoding


# --------------------------------------------------------------------------------------------
# Plain-torch forward passes from the tensors on disk (independent of transformers' modules)
# --------------------------------------------------------------------------------------------

def _ln(x, t, p, eps):
    return F.layer_norm(x, x.shape[-1:], t[p + ".weight"], t[p + ".bias"], eps)


def _lin(x, t, p, bias=True):
    return F.linear(x, t[p + ".weight"], t.get(p + ".bias") if bias else None)


def _mha(q, k, v, heads):
    B, N, D = q.shape
    hd = D // heads
    q, k, v = (z.view(B, N, heads, hd).transpose(1, 2) for z in (q, k, v))
    a = torch.softmax((q @ k.transpose(-1, -2)) * hd ** -0.5, dim=-1)
    return (a @ v).transpose(1, 2).reshape(B, N, D)


def ref_dinov2(t, cfg, x, pos_mode="transformers"):
    """DINOv2 / DINOv2-with-registers from HF file tensors. pos_mode: 'transformers' or 'original'
    (facebookresearch scale_factor = (n + 0.1) / sqrt(N), plain bicubic)."""
    heads, eps, p = cfg["num_attention_heads"], cfg["layer_norm_eps"], cfg["patch_size"]
    B, _, H, W = x.shape
    h, w = H // p, W // p
    e = F.conv2d(x, t["embeddings.patch_embeddings.projection.weight"],
                 t["embeddings.patch_embeddings.projection.bias"], stride=p)
    e = e.flatten(2).transpose(1, 2)
    e = torch.cat([t["embeddings.cls_token"].expand(B, -1, -1), e], 1)
    pos = t["embeddings.position_embeddings"]
    M = int(round(math.sqrt(pos.shape[1] - 1)))
    registers = "embeddings.register_tokens" in t
    if not (h * w == M * M and H == W):
        grid = pos[:, 1:].reshape(1, M, M, -1).permute(0, 3, 1, 2).float()
        if pos_mode == "original":
            g = F.interpolate(grid, scale_factor=((h + 0.1) / M, (w + 0.1) / M), mode="bicubic")
        else:
            g = F.interpolate(grid, size=(h, w), mode="bicubic", align_corners=False, antialias=registers)
        pos = torch.cat([pos[:, :1], g.permute(0, 2, 3, 1).reshape(1, h * w, -1)], 1)
    e = e + pos
    if registers:
        r = t["embeddings.register_tokens"]
        e = torch.cat([e[:, :1], r.expand(B, -1, -1), e[:, 1:]], 1)
    n = cfg["num_hidden_layers"]
    for i in range(n):
        q = f"encoder.layer.{i}."
        y = _ln(e, t, q + "norm1", eps)
        a = _mha(_lin(y, t, q + "attention.attention.query"), _lin(y, t, q + "attention.attention.key"),
                 _lin(y, t, q + "attention.attention.value"), heads)
        e = e + t[q + "layer_scale1.lambda1"] * _lin(a, t, q + "attention.output.dense")
        y = _ln(e, t, q + "norm2", eps)
        if q + "mlp.weights_in.weight" in t:
            x12 = _lin(y, t, q + "mlp.weights_in")
            x1, x2 = x12.chunk(2, dim=-1)
            y = _lin(F.silu(x1) * x2, t, q + "mlp.weights_out")
        else:
            y = _lin(F.gelu(_lin(y, t, q + "mlp.fc1")), t, q + "mlp.fc2")
        e = e + t[q + "layer_scale2.lambda1"] * y
    e = _ln(e, t, "layernorm", eps)
    skip = 1 + (t["embeddings.register_tokens"].shape[1] if registers else 0)
    return {"last_hidden_state": e, "pooled": e[:, 0], "patch_mean": e[:, skip:].mean(1)}


def ref_clip(t, cfg, x):
    heads, eps, p = cfg["num_attention_heads"], cfg["layer_norm_eps"], cfg["patch_size"]
    pre = "vision_model." if "vision_model.pre_layrnorm.weight" in t else ""
    B, _, H, W = x.shape
    h, w = H // p, W // p
    e = F.conv2d(x, t[pre + "embeddings.patch_embedding.weight"], None, stride=p).flatten(2).transpose(1, 2)
    e = torch.cat([t[pre + "embeddings.class_embedding"].view(1, 1, -1).expand(B, -1, -1), e], 1)
    pos = t[pre + "embeddings.position_embedding.weight"][None]
    M = int(round(math.sqrt(pos.shape[1] - 1)))
    if not (h * w == M * M and H == W):
        grid = pos[:, 1:].reshape(1, M, M, -1).permute(0, 3, 1, 2)
        g = F.interpolate(grid, size=(h, w), mode="bicubic", align_corners=False)
        pos = torch.cat([pos[:, :1], g.permute(0, 2, 3, 1).reshape(1, h * w, -1)], 1)
    e = _ln(e + pos, t, pre + "pre_layrnorm", eps)
    for i in range(cfg["num_hidden_layers"]):
        q = f"{pre}encoder.layers.{i}."
        y = _ln(e, t, q + "layer_norm1", eps)
        a = _mha(_lin(y, t, q + "self_attn.q_proj"), _lin(y, t, q + "self_attn.k_proj"),
                 _lin(y, t, q + "self_attn.v_proj"), heads)
        e = e + _lin(a, t, q + "self_attn.out_proj")
        y = _lin(_ln(e, t, q + "layer_norm2", eps), t, q + "mlp.fc1")
        e = e + _lin(y * torch.sigmoid(1.702 * y), t, q + "mlp.fc2")
    pooled = _ln(e[:, 0], t, pre + "post_layernorm", eps)
    out = {"last_hidden_state": e, "pooled": pooled}
    if "visual_projection.weight" in t:
        out["image_embeds"] = F.linear(pooled, t["visual_projection.weight"])
    return out


def ref_radio(t, geo, x):
    """RADIO from hub-form tensors (ls*.gamma) and a geometry dict (radio_geometry_from_args)."""
    D, heads, p = geo["hidden_size"], geo["num_attention_heads"], geo["patch_size"]
    x = (x - t["radio_model.input_conditioner.norm_mean"]) / t["radio_model.input_conditioner.norm_std"]
    B, C, H, W = x.shape
    h, w = H // p, W // p
    patches = x.reshape(B, C, h, p, w, p).permute(0, 2, 4, 1, 3, 5).reshape(B, h * w, C * p * p)
    e = F.linear(patches, t["radio_model.model.patch_generator.embedder.weight"])
    table = t["radio_model.model.patch_generator.pos_embed"]
    R = int(round(math.sqrt(table.shape[1])))
    grid = table.reshape(1, R, R, D).permute(0, 3, 1, 2)
    m = max(h, w)
    grid = F.interpolate(grid.float(), size=(m, m), mode="bilinear", align_corners=False)[..., :h, :w]
    e = e + grid.flatten(2).transpose(1, 2)
    tok = t["radio_model.model.patch_generator.cls_token.token"]
    e = torch.cat([tok[None].expand(B, -1, -1), e], 1)
    pre = "radio_model.model.blocks."
    for i in range(geo["num_hidden_layers"]):
        q = f"{pre}{i}."
        y = _ln(e, t, q + "norm1", 1e-6)
        qkv = _lin(y, t, q + "attn.qkv")
        a = _mha(*qkv.chunk(3, dim=-1), heads)
        a = _lin(a, t, q + "attn.proj")
        if q + "ls1.gamma" in t:
            a = a * t[q + "ls1.gamma"]
        e = e + a
        y = _lin(F.gelu(_lin(_ln(e, t, q + "norm2", 1e-6), t, q + "mlp.fc1")), t, q + "mlp.fc2")
        if q + "ls2.gamma" in t:
            y = y * t[q + "ls2.gamma"]
        e = e + y
    if geo.get("model_norm"):
        e = _ln(e, t, "radio_model.model.norm", 1e-6)
    nc = geo["num_cls_tokens"]
    idx = t["radio_model.summary_idxs"]
    summary = e[:, :nc][:, idx].flatten(1)
    return {"last_hidden_state": e, "summary": summary,
            "features": e[:, nc + geo["num_registers"]:]}


# --------------------------------------------------------------------------------------------
# Converter helpers
# --------------------------------------------------------------------------------------------

def torch_load(path, trust_pickle=False, safe_globals=()):
    """torch.load with weights_only=True (tensors, dicts, lists, numbers, strings and the given
    extra classes only). trust_pickle=True falls back to weights_only=False, which runs
    arbitrary code from the file: only for files from a source you trust."""
    try:
        with torch.serialization.safe_globals(list(safe_globals)):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # pickle.UnpicklingError and friends
        if not trust_pickle:
            raise SystemExit(f"{path}: cannot be read with weights_only=True ({str(e).splitlines()[0]}). "
                             "Re-run with --trust-pickle if you trust this file.")
        return torch.load(path, map_location="cpu", weights_only=False)


def save_hub_folder(folder, tensors, config_dict):
    """Write config.json and model.safetensors (F32 unless the tensor is integer), keys sorted."""
    from safetensors.torch import save_file
    import json
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for k in sorted(tensors):
        v = tensors[k].detach()
        out[k] = (v.float() if v.is_floating_point() else v).contiguous().clone()
    save_file(out, folder / "model.safetensors", metadata={"format": "pt"})
    (folder / "config.json").write_text(json.dumps(config_dict, indent=2, sort_keys=True) + "\n")
