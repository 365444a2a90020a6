#!/usr/bin/env python3
"""Convert a RADIO torch-hub checkpoint (`.pth.tar`) into a hub-layout safetensors folder.

    python3 tools/convert_radio_pth.py radio_v2.5-b.pth.tar OUTDIR [--form hub|transformers]
            [--version radio_v2.5-b] [--preferred-resolution 768] [--trust-pickle]
    python3 tools/convert_radio_pth.py --self-test

The `.pth.tar` is a pickle of {"args": argparse.Namespace, "state_dict" or "state_dict_ema":
{...}} (NVlabs/RADIO hubconf.py). The backbone is under "base_model.", the input conditioner
under "input_conditioner."; teacher heads (_heads.*, _feature_projections.*) are dropped.
It is read with torch.load(weights_only=True) allowing argparse.Namespace; --trust-pickle
falls back to weights_only=False for files that need more (runs code from the file).

--form hub (default): the hub's remote-code layout that transformers' RadioModel conversion
mapping also reads:
  config.json  {"architectures": ["RADIOModel"], "auto_map": {...}, "args": <the checkpoint's
               args as JSON>, "version", "patch_size", "max_resolution" (= args.cpe_max_size),
               "preferred_resolution", "adaptor_names": null, ...}
  model.safetensors (float32; summary_idxs int64):
    base_model.patch_generator.embedder.weight   -> radio_model.model.patch_generator.embedder.weight
    base_model.patch_generator.pos_embed         -> radio_model.model.patch_generator.pos_embed
    base_model.patch_generator.cls_token.token   -> radio_model.model.patch_generator.cls_token.token
    base_model.blocks.{i}.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2}.*, ls1.gamma, ls2.gamma
                                                 -> radio_model.model.blocks.{i}.<same>
    base_model.norm.*  (kept only when args.model_norm) -> radio_model.model.norm.*
    input_conditioner.norm_mean / norm_std [3,1,1] -> radio_model.input_conditioner.norm_mean / norm_std
    (computed) [i for i, t in enumerate(args.teachers) if t.get("use_summary", True)]
                                                 -> radio_model.summary_idxs (int64)
--form transformers: the same tensors with LayerScale renamed ls{1,2}.gamma ->
  layer_scale{1,2}.lambda1 and a RadioConfig config.json (model_type radio), loadable by
  transformers' RadioModel (which has no final norm: refused when args.model_norm).
Geometry: timm name vit_{tiny,small,base,large,huge,giant}_patch{P} with args.model_kwargs
overrides; cls tokens = number of distinct teacher names if args.cls_token_per_teacher else 1;
registers = args.cpe_num_registers, else register_multiple - (cls % register_multiple), else 0.
The result is loaded back (transformers for both forms, through the inverse renaming for hub)
and must load with no missing or unused key.

--self-test builds a small model with the original module names and eval forward (CPE:
bilinear, align_corners=False, to max(h, w) squared, then top-left crop), saves it as a
.pth.tar, converts it to both forms and compares outputs; also a model_norm=True variant
through the plain-torch reference.

requires: torch==2.13.0+cpu transformers==5.24.0 safetensors==0.8.0 (tools/requirements.txt)
"""
import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import backbone_ref as ref  # noqa: E402

ref.quiet_transformers()

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

BLOCK_KEY = re.compile(r"blocks\.(\d+)\.(norm1\.(weight|bias)|attn\.qkv\.(weight|bias)|attn\.proj\.(weight|bias)"
                       r"|norm2\.(weight|bias)|mlp\.fc1\.(weight|bias)|mlp\.fc2\.(weight|bias)|ls1\.gamma|ls2\.gamma)")
PATCH_KEYS = {"patch_generator.embedder.weight", "patch_generator.pos_embed", "patch_generator.cls_token.token"}


def jsonable(v):
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, torch.dtype):
        return str(v).split(".")[-1]
    return str(v)


def radio_config(geo, norm_mean, norm_std, image_size):
    from transformers import RadioConfig

    if geo["model_norm"]:
        raise SystemExit("transformers' RadioModel has no final norm (args.model_norm): use --form hub")
    return RadioConfig(
        hidden_size=geo["hidden_size"], num_hidden_layers=geo["num_hidden_layers"],
        num_attention_heads=geo["num_attention_heads"], mlp_ratio=geo["mlp_ratio"],
        patch_size=geo["patch_size"], image_size=image_size, max_img_size=geo["max_img_size"],
        num_cls_tokens=geo["num_cls_tokens"], num_registers=geo["num_registers"],
        summary_idxs=list(geo["summary_idxs"]), norm_mean=[float(v) for v in norm_mean.flatten()],
        norm_std=[float(v) for v in norm_std.flatten()], layer_norm_eps=1e-6, hidden_act="gelu",
        architectures=["RadioModel"])


def load_transformers(folder, tensors_transformers_form, cfg):
    """Load tensors (transformers file names) + cfg with RadioModel; fail on any key problem."""
    from transformers import RadioModel

    tmp = Path(tempfile.mkdtemp())
    try:
        ref.save_hub_folder(tmp, tensors_transformers_form, cfg.to_dict())
        model, info = RadioModel.from_pretrained(tmp, output_loading_info=True)
    finally:
        shutil.rmtree(tmp)
    bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    # a checkpoint without LayerScale: transformers fills lambda = layerscale_value (1.0)
    if bad.get("missing_keys"):
        bad["missing_keys"] = {k for k in bad["missing_keys"] if not re.search(r"layer_scale\d\.lambda1$", k)}
        if not bad["missing_keys"]:
            del bad["missing_keys"]
    if bad:
        raise SystemExit(f"{folder}: transformers did not load the tensors cleanly: {bad}")
    return model.eval()


def convert(src, outdir, form="hub", version=None, preferred_resolution=None, trust_pickle=False,
            quiet=False):
    chk = ref.torch_load(src, trust_pickle=trust_pickle, safe_globals=[argparse.Namespace])
    if not isinstance(chk, dict) or "args" not in chk:
        raise SystemExit("not a RADIO torch-hub checkpoint (no 'args')")
    args = chk["args"]
    args = dict(vars(args)) if isinstance(args, argparse.Namespace) else dict(args)
    sd = chk.get("state_dict_ema") or chk.get("state_dict")
    if sd is None:
        raise SystemExit("no state_dict / state_dict_ema in the checkpoint")
    sd = {re.sub(r"^(module\.)+", "", k): v for k, v in sd.items()}
    if any(".parametrizations." in k for k in sd):
        raise SystemExit("spectral re-parametrised weights (training checkpoint) are not supported; "
                         "use a checkpoint with state_dict_ema or fold the parametrisations first")
    geo = ref.radio_geometry_from_args(args)
    P, D = geo["patch_size"], geo["hidden_size"]

    base = {k[len("base_model."):]: v for k, v in sd.items() if k.startswith("base_model.")}
    cond = {k[len("input_conditioner."):]: v for k, v in sd.items() if k.startswith("input_conditioner.")}
    dropped = sorted(k for k in sd if not k.startswith(("base_model.", "input_conditioner.")))
    out, unsupported = {}, []
    for k, v in base.items():
        if k in PATCH_KEYS or BLOCK_KEY.fullmatch(k):
            out["radio_model.model." + k] = v
        elif k.startswith("norm."):
            (out.__setitem__("radio_model.model." + k, v) if geo["model_norm"] else dropped.append("base_model." + k))
        elif k.startswith(("head.", "fc_norm.", "patch_generator.video_embedder.")):
            dropped.append("base_model." + k)
        else:
            unsupported.append("base_model." + k)
    if unsupported:
        raise SystemExit(f"unsupported backbone tensors (not a plain timm ViT with CPE): {unsupported[:10]}")
    mean = cond.get("norm_mean", torch.tensor([0.48145466, 0.4578275, 0.40821073])).reshape(3, 1, 1)
    std = cond.get("norm_std", torch.tensor([0.26862954, 0.26130258, 0.27577711])).reshape(3, 1, 1)
    out["radio_model.input_conditioner.norm_mean"] = mean
    out["radio_model.input_conditioner.norm_std"] = std
    out["radio_model.summary_idxs"] = torch.tensor(geo["summary_idxs"], dtype=torch.int64)

    # geometry checks
    layers = 1 + max(int(m.group(1)) for k in out if (m := re.match(r"radio_model\.model\.blocks\.(\d+)\.", k)))
    R = geo["max_img_size"] // P
    checks = {
        "depth": (layers, geo["num_hidden_layers"]),
        "embed dim": (out["radio_model.model.patch_generator.embedder.weight"].shape[0], D),
        "patch dim": (out["radio_model.model.patch_generator.embedder.weight"].shape[1], 3 * P * P),
        "pos_embed rows": (out["radio_model.model.patch_generator.pos_embed"].shape[1], R * R),
        "cls+register tokens": (out["radio_model.model.patch_generator.cls_token.token"].shape[0],
                                geo["num_cls_tokens"] + geo["num_registers"]),
    }
    wrong = {k: v for k, v in checks.items() if v[0] != v[1]}
    if wrong:
        raise SystemExit(f"checkpoint disagrees with its args (file, args): {wrong}")
    layer_scale = "radio_model.model.blocks.0.ls1.gamma" in out
    want = ref.expected_radio_keys(layers, "hub", layer_scale)
    if geo["model_norm"]:
        want |= {"radio_model.model.norm.weight", "radio_model.model.norm.bias"}
    if set(out) != want:
        raise SystemExit(f"unexpected key set: missing {sorted(want - set(out))} extra {sorted(set(out) - want)}")

    outdir = Path(outdir)
    if form == "hub":
        pref = preferred_resolution or args.get("preferred_resolution") or geo["max_img_size"]
        pref = pref if isinstance(pref, (list, tuple)) else (pref, pref)
        cfg = ref.radio_hub_config(jsonable(args), patch_size=P, max_resolution=geo["max_img_size"],
                                   preferred_resolution=pref, version=version or "radio_v2.5-b")
        ref.save_hub_folder(outdir, out, cfg)
        if not geo["model_norm"]:  # transformers must read it through its own conversion mapping
            load_transformers(outdir, ref.radio_hub_to_transformers(out), radio_config(geo, mean, std, pref[0]))
    elif form == "transformers":
        tens = ref.radio_hub_to_transformers(out)
        cfg = radio_config(geo, mean, std, (preferred_resolution or 224))
        ref.save_hub_folder(outdir, tens, cfg.to_dict())
        load_transformers(outdir, tens, cfg)
    else:
        raise SystemExit(f"unknown form {form}")
    if not quiet:
        print(f"wrote {outdir} ({form} form): D={D} layers={layers} heads={geo['num_attention_heads']} "
              f"patch={P} table={R}x{R} cls={geo['num_cls_tokens']} registers={geo['num_registers']} "
              f"summary_idxs={geo['summary_idxs']} layer_scale={layer_scale} model_norm={geo['model_norm']}; "
              f"dropped {len(dropped)} keys")
    return geo, out


# ------------------------------------------------------------------------------------------
# self-test: the original module names and eval forward
# ------------------------------------------------------------------------------------------

class _ClsToken(nn.Module):
    def __init__(self, dim, n):
        super().__init__()
        self.token = nn.Parameter(torch.zeros(n, dim))


class _PatchGenerator(nn.Module):
    def __init__(self, dim, patch, max_img, n_tokens):
        super().__init__()
        self.patch, self.rows = patch, max_img // patch
        self.embedder = nn.Linear(3 * patch * patch, dim, bias=False)
        self.pos_embed = nn.Parameter(torch.zeros(1, self.rows * self.rows, dim))
        self.cls_token = _ClsToken(dim, n_tokens)

    def forward(self, x):
        B, C, H, W = x.shape
        p = self.patch
        h, w = H // p, W // p
        t = x.reshape(B, C, h, p, w, p).permute(0, 2, 4, 1, 3, 5).reshape(B, h * w, C * p * p)
        t = self.embedder(t)
        if (h, w) == (self.rows, self.rows):
            pos = self.pos_embed
        else:
            g = self.pos_embed.reshape(1, self.rows, self.rows, -1).permute(0, 3, 1, 2)
            m = max(h, w)
            g = F.interpolate(g.float(), size=(m, m), align_corners=False, mode="bilinear")[..., :h, :w]
            pos = g.flatten(2).permute(0, 2, 1)
        t = t + pos
        return torch.cat([self.cls_token.token[None].expand(B, -1, -1), t], 1)


class _TimmViT(nn.Module):
    def __init__(self, dim, depth, heads, patch, max_img, n_tokens, model_norm, layer_scale):
        super().__init__()
        from convert_dinov2_pth import _Block

        self.patch_generator = _PatchGenerator(dim, patch, max_img, n_tokens)
        self.blocks = nn.ModuleList([_Block(dim, heads, False, layer_scale) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6) if model_norm else nn.Identity()

    def forward(self, x):
        x = self.patch_generator(x)
        for b in self.blocks:
            x = b(x)
        return self.norm(x)


class _Conditioner(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("norm_mean", torch.full((3, 1, 1), 0.5))
        self.register_buffer("norm_std", torch.full((3, 1, 1), 0.25))


class OrigRADIO(nn.Module):
    """hubconf's RADIOModel pieces: base_model (timm ViT + CPE) and input_conditioner."""

    def __init__(self, geo):
        super().__init__()
        self.geo = geo
        self.base_model = _TimmViT(geo["hidden_size"], geo["num_hidden_layers"], geo["num_attention_heads"],
                                   geo["patch_size"], geo["max_img_size"],
                                   geo["num_cls_tokens"] + geo["num_registers"], geo["model_norm"],
                                   geo["layer_scale"])
        self.input_conditioner = _Conditioner()

    def forward(self, x):
        c = self.input_conditioner
        y = self.base_model((x - c.norm_mean) / c.norm_std)
        nc = self.geo["num_cls_tokens"]
        idx = torch.tensor(self.geo["summary_idxs"])
        return {"last_hidden_state": y, "summary": y[:, :nc][:, idx].flatten(1),
                "features": y[:, nc + self.geo["num_registers"]:]}


def self_test():
    teachers = [{"name": "clip", "use_summary": True}, {"name": "siglip", "use_summary": True},
                {"name": "sam", "use_summary": False}]
    base_args = {
        "model": "vit_base_patch16_224", "cls_token_per_teacher": True, "teachers": teachers,
        "cpe_max_size": 32, "register_multiple": 4, "model_norm": False, "dtype": torch.float32,
        "model_kwargs": {"embed_dim": 32, "depth": 2, "num_heads": 4, "patch_size": 4, "init_values": 1e-5},
    }
    variants = [("layer scale, register_multiple", {}),
                ("no layer scale, cpe_num_registers", {"model_kwargs": {"embed_dim": 32, "depth": 2, "num_heads": 4,
                                                                       "patch_size": 4},
                                                      "cpe_num_registers": 2, "register_multiple": None}),
                ("model_norm", {"model_norm": True})]
    torch.manual_seed(0)
    xs = {"16x16": torch.rand(2, 3, 16, 16), "12x20": torch.rand(2, 3, 12, 20), "36x44": torch.rand(2, 3, 36, 44),
          "32x32 (table)": torch.rand(2, 3, 32, 32)}
    with tempfile.TemporaryDirectory() as tmp:
        for vi, (what, change) in enumerate(variants):
            args = dict(base_args, **change)
            geo = ref.radio_geometry_from_args(args)
            orig = OrigRADIO(geo)
            ref.perturb_(orig, 40 + vi)
            orig.eval()
            sd = {k: v for k, v in orig.state_dict().items()}
            sd["_heads.0.weight"] = torch.zeros(4, 32)  # a teacher head, to be dropped
            chk = {"args": argparse.Namespace(**args), "state_dict_ema": {"module." + k: v for k, v in sd.items()}}
            src = Path(tmp) / f"r{vi}.pth.tar"
            torch.save(chk, src)
            assert any(k.endswith("ls1.gamma") for k in sd) == geo["layer_scale"]
            errs = {}
            forms = ["hub"] if geo["model_norm"] else ["hub", "transformers"]
            for form in forms:
                out_dir = Path(tmp) / f"{form}{vi}"
                _, hub_tensors = convert(src, out_dir, form=form, quiet=True)
                cfg = json.loads((out_dir / "config.json").read_text())
                assert ("args" in cfg) == (form == "hub")
                if form == "hub":
                    # the plain-torch reference reads the hub tensors + args geometry
                    g2 = ref.radio_geometry_from_args(cfg["args"])
                    runners = {"plain-torch reference": lambda x, t=hub_tensors, g=g2: ref.ref_radio(t, g, x)}
                    if not geo["model_norm"]:
                        m = load_transformers(out_dir, ref.radio_hub_to_transformers(hub_tensors),
                                              radio_config(geo, hub_tensors["radio_model.input_conditioner.norm_mean"],
                                                           hub_tensors["radio_model.input_conditioner.norm_std"], 16))
                        runners["transformers via hub names"] = lambda x, m=m: m(pixel_values=x)
                else:
                    from transformers import RadioModel

                    m = RadioModel.from_pretrained(out_dir).eval()
                    runners = {"transformers folder": lambda x, m=m: m(pixel_values=x)}
                for rname, run in runners.items():
                    for xname, x in xs.items():
                        with torch.no_grad():
                            want, got = orig(x), run(x)
                        for f in ("last_hidden_state", "summary", "features"):
                            e = (want[f] - got[f]).abs().max().item()
                            assert e < 1e-5, (what, form, rname, xname, f, e)
                            errs[rname] = max(errs.get(rname, 0.0), e)
            print(f"self-test {what}: " + ", ".join(f"{k} max|diff| {v:.1e}" for k, v in errs.items()))
    print("self-test passed")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", nargs="?")
    ap.add_argument("outdir", nargs="?")
    ap.add_argument("--form", choices=["hub", "transformers"], default="hub")
    ap.add_argument("--version", help="the hub config's `version` (default radio_v2.5-b)")
    ap.add_argument("--preferred-resolution", type=int, help="written to config.json (pixels)")
    ap.add_argument("--trust-pickle", action="store_true",
                    help="allow torch.load(weights_only=False) if the file needs it (runs code from the file)")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        self_test()
    elif a.checkpoint and a.outdir:
        convert(a.checkpoint, a.outdir, a.form, a.version, a.preferred_resolution, a.trust_pickle)
    else:
        ap.error("give CHECKPOINT OUTDIR, or --self-test")


if __name__ == "__main__":
    main()
