#!/usr/bin/env python3
"""Convert an original facebookresearch DINOv2 `.pth` into a Hugging Face hub-layout folder.

    python3 tools/convert_dinov2_pth.py dinov2_vits14_pretrain.pth OUTDIR [--num-heads N]
    python3 tools/convert_dinov2_pth.py --self-test

Writes OUTDIR/config.json (Dinov2Config, or Dinov2WithRegistersConfig when the checkpoint has
`register_tokens`) and OUTDIR/model.safetensors (float32) with the file names transformers uses
(docs/BACKBONES.md), then loads the folder with transformers to check that no key is missing or
unused. Geometry comes from the tensors: D from cls_token, layers from the block indices,
patch size from the patch conv, image size = sqrt(N) * patch from pos_embed, SwiGLU when
`mlp.w12` is present; heads = D / 64 unless --num-heads is given (every released DINOv2 has
head dim 64).

Key mapping (original -> file; tools/backbone_ref.py has the table):
  cls_token -> embeddings.cls_token; pos_embed -> embeddings.position_embeddings;
  register_tokens -> embeddings.register_tokens; mask_token -> embeddings.mask_token;
  patch_embed.proj.* -> embeddings.patch_embeddings.projection.*;
  blocks.{i}.norm1/norm2.* -> encoder.layer.{i}.norm1/norm2.*;
  blocks.{i}.attn.qkv.* (rows q, k, v) -> encoder.layer.{i}.attention.attention.{query,key,value}.*;
  blocks.{i}.attn.proj.* -> encoder.layer.{i}.attention.output.dense.*;
  blocks.{i}.ls1.gamma / ls2.gamma -> encoder.layer.{i}.layer_scale1.lambda1 / layer_scale2.lambda1;
  blocks.{i}.mlp.fc1/fc2.* -> encoder.layer.{i}.mlp.fc1/fc2.*;
  blocks.{i}.mlp.w12/w3.* (SwiGLU) -> encoder.layer.{i}.mlp.weights_in/weights_out.*;
  norm.* -> layernorm.*
Chunked checkpoints (blocks.{chunk}.{i}.*) and training checkpoints ({"teacher": {"backbone.*"}},
"module." prefixes) are accepted; heads (dino_head, ibot_head, ...) are dropped and listed.
A checkpoint without LayerScale gets lambda = 1 (identity); one without mask_token gets zeros
(unused at inference).

Note: the folder describes transformers' behaviour, which interpolates position embeddings with
`size=(h, w)`; the original code used scale_factor = (h + 0.1) / sqrt(N) (plain models) and
size + antialias (register models, which transformers reproduces).

--self-test builds a small model with the original module names and forward (written from the
facebookresearch source), saves its state dict as a .pth (plain, SwiGLU, registers, chunked,
teacher-wrapped), converts it, reloads it with transformers and compares outputs.

requires: torch==2.13.0+cpu transformers==5.24.0 safetensors==0.8.0 (tools/requirements.txt)
"""
import argparse
import math
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import backbone_ref as ref  # noqa: E402

ref.quiet_transformers()

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def unwrap(obj):
    """Find the backbone state dict inside a checkpoint; returns (state dict, dropped keys)."""
    for key in ("teacher", "model", "state_dict", "model_ema"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict) and not torch.is_tensor(obj[key]):
            obj = obj[key]
            break
    cls = [k for k in obj if k.endswith("cls_token")]
    if len(cls) != 1:
        raise SystemExit(f"expected exactly one *cls_token key, found {cls}")
    prefix = cls[0][: -len("cls_token")]
    sd = {k[len(prefix):]: v for k, v in obj.items() if k.startswith(prefix) and torch.is_tensor(v)}
    dropped = [k for k in obj if not k.startswith(prefix)]
    return sd, dropped


def convert(src, outdir, num_heads=None, trust_pickle=False, quiet=False):
    obj = ref.torch_load(src, trust_pickle=trust_pickle)
    sd, dropped = unwrap(obj)
    hf, ignored = ref.dinov2_orig_to_hf(sd)
    dropped += ignored

    D = hf["embeddings.cls_token"].shape[-1]
    layers = 1 + max(int(m.group(1)) for k in hf if (m := re.match(r"encoder\.layer\.(\d+)\.", k)))
    heads = num_heads or D // 64
    if heads < 1 or D % heads:
        raise SystemExit(f"hidden size {D} is not divisible into {heads} heads: pass --num-heads")
    patch = hf["embeddings.patch_embeddings.projection.weight"].shape[-1]
    N = hf["embeddings.position_embeddings"].shape[1] - 1
    M = int(round(math.sqrt(N)))
    if M * M != N:
        raise SystemExit(f"position table of {N} patches is not square")
    swiglu = "encoder.layer.0.mlp.weights_in.weight" in hf
    registers = hf["embeddings.register_tokens"].shape[1] if "embeddings.register_tokens" in hf else 0
    if swiglu:
        mlp_ratio = 4
        hidden = (int(D * mlp_ratio * 2 / 3) + 7) // 8 * 8
        got = hf["encoder.layer.0.mlp.weights_out.weight"].shape[1]
        if got != hidden:
            raise SystemExit(f"SwiGLU hidden {got} is not the one transformers derives from mlp_ratio 4 ({hidden})")
    else:
        fc1 = hf["encoder.layer.0.mlp.fc1.weight"].shape[0]
        mlp_ratio = fc1 // D if fc1 % D == 0 else fc1 / D
    for i in range(layers):
        for n in (1, 2):
            k = f"encoder.layer.{i}.layer_scale{n}.lambda1"
            if k not in hf:
                hf[k] = torch.ones(D)
    if "embeddings.mask_token" not in hf:
        hf["embeddings.mask_token"] = torch.zeros(1, D)

    from transformers import Dinov2Config, Dinov2Model, Dinov2WithRegistersConfig, Dinov2WithRegistersModel

    common = dict(hidden_size=D, num_hidden_layers=layers, num_attention_heads=heads, mlp_ratio=mlp_ratio,
                  patch_size=patch, image_size=M * patch, layer_norm_eps=1e-6, use_swiglu_ffn=swiglu,
                  hidden_act="gelu", qkv_bias=True)
    if registers:
        cfg, cls = Dinov2WithRegistersConfig(num_register_tokens=registers, **common), Dinov2WithRegistersModel
    else:
        cfg, cls = Dinov2Config(**common), Dinov2Model
    cfg.architectures = [cls.__name__]
    d = cfg.to_dict()
    ref.save_hub_folder(outdir, hf, d)
    want = ref.expected_dinov2_keys(layers, swiglu, bool(registers))
    if set(hf) != want:
        raise SystemExit(f"unexpected key set: missing {sorted(want - set(hf))} extra {sorted(set(hf) - want)}")
    model, info = cls.from_pretrained(outdir, output_loading_info=True)
    bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    if bad:
        raise SystemExit(f"transformers did not load the folder cleanly: {bad}")
    if not quiet:
        print(f"wrote {outdir}: {cls.__name__} D={D} layers={layers} heads={heads} patch={patch} "
              f"table={M}x{M} swiglu={swiglu} registers={registers}; dropped {len(dropped)} keys"
              + (f" ({', '.join(dropped[:5])}{', ...' if len(dropped) > 5 else ''})" if dropped else ""))
    return model


# ------------------------------------------------------------------------------------------
# self-test: a small model with the original module names and forward
# ------------------------------------------------------------------------------------------

class _LayerScale(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * self.gamma


class _Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * (C // self.heads) ** -0.5, qkv[1], qkv[2]
        a = (q @ k.transpose(-2, -1)).softmax(-1)
        return self.proj((a @ v).transpose(1, 2).reshape(B, N, C))


class _Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class _SwiGLU(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        hidden = (int(hidden * 2 / 3) + 7) // 8 * 8
        self.w12, self.w3 = nn.Linear(dim, 2 * hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        x1, x2 = self.w12(x).chunk(2, dim=-1)
        return self.w3(F.silu(x1) * x2)


class _Block(nn.Module):
    def __init__(self, dim, heads, swiglu, layer_scale=True):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = _Attention(dim, heads)
        self.ls1 = _LayerScale(dim) if layer_scale else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = (_SwiGLU if swiglu else _Mlp)(dim, 4 * dim)
        self.ls2 = _LayerScale(dim) if layer_scale else nn.Identity()

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class _PatchEmbed(nn.Module):
    def __init__(self, dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, patch)


class OrigDinoViT(nn.Module):
    """DinoVisionTransformer's parameter names and inference forward (block_chunks=0)."""

    def __init__(self, dim=32, depth=2, heads=4, patch=4, img=16, swiglu=False, registers=0,
                 antialias=False, offset=0.1):
        super().__init__()
        self.patch, self.antialias, self.offset = patch, antialias, offset
        self.patch_embed = _PatchEmbed(dim, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, (img // patch) ** 2 + 1, dim))
        self.register_tokens = nn.Parameter(torch.zeros(1, registers, dim)) if registers else None
        self.blocks = nn.ModuleList([_Block(dim, heads, swiglu) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.mask_token = nn.Parameter(torch.zeros(1, dim))

    def interpolate_pos_encoding(self, x, h_px, w_px):
        npatch, N = x.shape[1] - 1, self.pos_embed.shape[1] - 1
        if npatch == N and h_px == w_px:
            return self.pos_embed
        M = int(math.sqrt(N))
        h0, w0 = h_px // self.patch, w_px // self.patch
        kw = {"scale_factor": ((h0 + self.offset) / M, (w0 + self.offset) / M)} if self.offset else {"size": (h0, w0)}
        g = F.interpolate(self.pos_embed[:, 1:].float().reshape(1, M, M, -1).permute(0, 3, 1, 2),
                          mode="bicubic", antialias=self.antialias, **kw)
        return torch.cat([self.pos_embed[:, :1], g.permute(0, 2, 3, 1).reshape(1, h0 * w0, -1)], 1)

    def forward(self, x):
        B, _, H, W = x.shape
        t = self.patch_embed.proj(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls_token.expand(B, -1, -1), t], 1)
        t = t + self.interpolate_pos_encoding(t, H, W)
        if self.register_tokens is not None:
            t = torch.cat([t[:, :1], self.register_tokens.expand(B, -1, -1), t[:, 1:]], 1)
        for blk in self.blocks:
            t = blk(t)
        return self.norm(t)


def self_test():
    torch.manual_seed(0)
    x_native, x_other = torch.randn(2, 3, 16, 16), torch.randn(2, 3, 12, 20)
    cases = [
        ("plain", dict(), None),
        ("swiglu", dict(swiglu=True), None),
        ("registers", dict(registers=4, antialias=True, offset=0.0), None),
        ("chunked + teacher wrapper", dict(), "wrap"),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for i, (what, kw, mode) in enumerate(cases):
            orig = OrigDinoViT(**kw)
            ref.perturb_(orig, 100 + i)
            orig.eval()
            sd = orig.state_dict()
            if mode == "wrap":  # training checkpoint layout: chunked blocks under teacher.backbone.
                hf_names, _ = ref.dinov2_orig_to_hf(sd)
                sd = ref.dinov2_hf_to_orig(hf_names, chunks=2)
                assert any(re.match(r"blocks\.1\.1\.", k) for k in sd), list(sd)[:8]
                sd = {"teacher": {**{"backbone." + k: v for k, v in sd.items()},
                                  "dino_head.mlp.0.weight": torch.zeros(2, 2)}}
            pth, out = Path(tmp) / f"c{i}.pth", Path(tmp) / f"hf{i}"
            torch.save(sd, pth)
            model = convert(pth, out, num_heads=4, quiet=True).eval()
            with torch.no_grad():
                want = orig(x_native)
                got = model(pixel_values=x_native).last_hidden_state
                err = (want - got).abs().max().item()
                assert err < 1e-5, (what, err)
                # other size: the register models match the original; the plain ones only with
                # the original interpolation patched in
                want_o = orig(x_other)
                got_o = model(pixel_values=x_other).last_hidden_state
                err_o = (want_o - got_o).abs().max().item()
            if kw.get("registers"):
                assert err_o < 1e-5, (what, err_o)
                note = f"other size {err_o:.1e} (same interpolation)"
            else:
                assert err_o > 1e-4, (what, err_o)
                # the fixtures' monkeypatch of the original interpolation reproduces it
                emb = model.embeddings
                emb.interpolate_pos_encoding = ref.dinov2_original_interpolation(emb)
                with torch.no_grad():
                    err_p = (want_o - model(pixel_values=x_other).last_hidden_state).abs().max().item()
                del emb.interpolate_pos_encoding
                assert err_p < 1e-5, (what, err_p)
                note = (f"other size differs by {err_o:.1e} (original scale_factor interpolation), "
                        f"{err_p:.1e} with backbone_ref.dinov2_original_interpolation patched in")
            print(f"self-test {what}: native max|diff| {err:.1e}; {note}")
    print("self-test passed")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", nargs="?")
    ap.add_argument("outdir", nargs="?")
    ap.add_argument("--num-heads", type=int, help="default: hidden size / 64")
    ap.add_argument("--trust-pickle", action="store_true",
                    help="allow torch.load(weights_only=False) if the file needs it (runs code from the file)")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        self_test()
    elif a.checkpoint and a.outdir:
        convert(a.checkpoint, a.outdir, a.num_heads, a.trust_pickle)
    else:
        ap.error("give CHECKPOINT OUTDIR, or --self-test")


if __name__ == "__main__":
    main()
