#!/usr/bin/env python3
"""Convert a Hugging Face CLIP `pytorch_model.bin` (+ its config.json) to a safetensors folder.

    python3 tools/convert_clip_bin.py SRC_DIR OUTDIR [--keep-text]
    python3 tools/convert_clip_bin.py --self-test

SRC_DIR holds pytorch_model.bin and config.json as on the hub (e.g. openai/clip-vit-base-patch16,
a full CLIPModel). The keys are already Hugging Face names, so nothing is renamed:
  default      OUTDIR gets the vision tower only, as CLIPVisionModelWithProjection writes it:
               vision_model.* and visual_projection.weight; config.json is a CLIPVisionConfig
               (model_type clip_vision_model) with projection_dim from the CLIPModel config and
               architectures ["CLIPVisionModelWithProjection"].
  --keep-text  OUTDIR keeps every tensor (text_model.*, text_projection.weight, logit_scale
               too) with the CLIPModel config.
Non-persistent buffers that old files carry (*.embeddings.position_ids) are dropped. The file is
read with torch.load(weights_only=True); tensors are written as float32. The folder is then
loaded with transformers to check that no key is missing or unused.

--self-test builds a small random CLIPModel, saves its state dict (with position_ids, as old
files have) as pytorch_model.bin, converts it both ways, reloads and compares outputs.

requires: torch==2.13.0+cpu transformers==5.24.0 safetensors==0.8.0 (tools/requirements.txt)
"""
import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import backbone_ref as ref  # noqa: E402

ref.quiet_transformers()

import torch  # noqa: E402


def convert(src_dir, outdir, keep_text=False, quiet=False):
    from transformers import CLIPConfig, CLIPModel, CLIPVisionConfig, CLIPVisionModelWithProjection

    src_dir = Path(src_dir)
    sd = ref.torch_load(src_dir / "pytorch_model.bin")
    if not isinstance(sd, dict) or not all(torch.is_tensor(v) for v in sd.values()):
        raise SystemExit("pytorch_model.bin is not a flat state dict")
    full_cfg = json.loads((src_dir / "config.json").read_text())
    dropped = [k for k in sd if k.endswith("position_ids")]
    sd = {k: v for k, v in sd.items() if not k.endswith("position_ids")}
    if "vision_config" in full_cfg:
        cfg = CLIPConfig.from_dict(full_cfg)
    elif full_cfg.get("model_type") == "clip_vision_model":
        cfg = None
        if keep_text:
            raise SystemExit("--keep-text: the source has no text tower")
    else:
        raise SystemExit("config.json is neither a CLIPModel nor a CLIP vision config")

    if keep_text:
        tensors = sd
        cfg.architectures = ["CLIPModel"]
        out_cfg, cls = cfg.to_dict(), CLIPModel
    else:
        if not any(k.startswith("vision_model.") for k in sd):
            sd = {("visual_projection.weight" if k == "visual_projection.weight" else "vision_model." + k): v
                  for k, v in sd.items()}  # files saved without the prefix
        tensors = {k: v for k, v in sd.items() if k.startswith("vision_model.") or k == "visual_projection.weight"}
        dropped += sorted(set(sd) - set(tensors))
        if cfg is not None:
            vcfg = CLIPVisionConfig.from_dict(cfg.vision_config.to_dict())
            vcfg.projection_dim = cfg.projection_dim
        else:
            vcfg = CLIPVisionConfig.from_dict(full_cfg)
        vcfg.architectures = ["CLIPVisionModelWithProjection"]
        out_cfg, cls = vcfg.to_dict(), CLIPVisionModelWithProjection
        layers = vcfg.num_hidden_layers
        want = ref.expected_clip_vision_keys(layers)
        if set(tensors) != want:
            raise SystemExit(f"unexpected keys: missing {sorted(want - set(tensors))} extra {sorted(set(tensors) - want)}")
    ref.save_hub_folder(outdir, tensors, out_cfg)
    model, info = cls.from_pretrained(outdir, output_loading_info=True)
    bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    if bad:
        raise SystemExit(f"transformers did not load the folder cleanly: {bad}")
    if not quiet:
        print(f"wrote {outdir}: {cls.__name__}, {len(tensors)} tensors; dropped {len(dropped)} keys")
    return model


def self_test():
    from transformers import CLIPConfig, CLIPModel

    cfg = CLIPConfig(
        text_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                         vocab_size=99, max_position_embeddings=16),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                           patch_size=4, image_size=16, projection_dim=99),
        projection_dim=16)
    torch.manual_seed(0)
    full = CLIPModel._from_config(cfg, attn_implementation="eager")
    ref.perturb_(full, 5)
    full.eval()
    x = torch.randn(2, 3, 16, 16)
    ids = torch.randint(0, 99, (2, 7))
    with torch.no_grad():
        vo = full.vision_model(pixel_values=x)
        want_embeds = full.visual_projection(vo.pooler_output)
        want_text = full.text_projection(full.text_model(input_ids=ids).pooler_output)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        sd = dict(full.state_dict())
        sd["vision_model.embeddings.position_ids"] = torch.arange(17)[None]
        sd["text_model.embeddings.position_ids"] = torch.arange(16)[None]
        torch.save(sd, src / "pytorch_model.bin")
        cfg.architectures = ["CLIPModel"]
        (src / "config.json").write_text(json.dumps(cfg.to_dict()))

        vis = convert(src, Path(tmp) / "vision", quiet=True).eval()
        with torch.no_grad():
            out = vis(pixel_values=x)
        e1 = (out.image_embeds - want_embeds).abs().max().item()
        e2 = (out.last_hidden_state - vo.last_hidden_state).abs().max().item()
        assert e1 < 1e-5 and e2 < 1e-5, (e1, e2)  # eager vs sdpa attention
        assert vis.config.projection_dim == 16
        print(f"self-test vision tower: image_embeds and last_hidden_state match "
              f"(max|diff| {max(e1, e2):.1e})")

        both = convert(src, Path(tmp) / "full", keep_text=True, quiet=True).eval()
        with torch.no_grad():
            t = both.text_projection(both.text_model(input_ids=ids).pooler_output)
            v = both.visual_projection(both.vision_model(pixel_values=x).pooler_output)
        e3 = max((t - want_text).abs().max().item(), (v - want_embeds).abs().max().item())
        assert e3 < 1e-5, e3
        print(f"self-test --keep-text: text and image embeddings match (max|diff| {e3:.1e})")
    print("self-test passed")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src_dir", nargs="?", help="folder with pytorch_model.bin and config.json")
    ap.add_argument("outdir", nargs="?")
    ap.add_argument("--keep-text", action="store_true", help="keep the text tower (CLIPModel)")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        self_test()
    elif a.src_dir and a.outdir:
        convert(a.src_dir, a.outdir, a.keep_text)
    else:
        ap.error("give SRC_DIR OUTDIR, or --self-test")


if __name__ == "__main__":
    main()
