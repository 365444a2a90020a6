#!/usr/bin/env python3
"""Reference gradients for Tests/CSDBackbonesTests (DINOv2, CLIP, RADIO backward parity).

    python3 tools/make_backbone_grad_fixtures.py         # (re)write the gradient fixtures

Reads the tiny checkpoints that tools/make_backbone_fixtures.py wrote (run that first; it deletes
each case folder, gradients included, when it runs) and adds, for each case dinov2_tiny,
dinov2_swiglu_tiny, dinov2_reg_tiny, clip_tiny and radio_tiny:

  gradients.safetensors   float32, keys sorted, per <entry> (native, other; radio_tiny also large):
      <entry>.pixel_values           [2,3,H,W]  the same input as expected.safetensors <entry>.pixel_values
      <entry>.loss                   [1]        the loss below (computed in float64)
      <entry>.weight.tokens          [2,T,D]    w_tokens
      <entry>.weight.image           [2,D] (RADIO [2,k*D])  w_image
      <entry>.weight.patch_mean      [2,D]      DINOv2 only
      <entry>.weight.image_embeds    [2,P]      CLIP only
      <entry>.grad.pixel_values      [2,3,H,W]  dloss/dpixel_values
      <entry>.grad.<name>            dloss/d<name> for every parameter that gets a gradient, <name>
                                     being the key of that tensor in the case's model.safetensors
                                     (RADIO: the fused attn.qkv gradient is [dq; dk; dv])
  gradients.json          per entry the model.safetensors keys with no gradient, the seeds, the
                          loss value, the check results; every tensor's shape; the loss formula;
                          versions; generated_by

No gradient: DINOv2's embeddings.mask_token (used only with bool_masked_pos). Zero up to rounding
(~1e-15 here): every attention key bias (DINOv2 attention.attention.key.bias, CLIP
self_attn.k_proj.bias, RADIO the middle third of attn.qkv.bias), since softmax is unchanged when
q.b is added to every logit of a row; a float32 implementation gets ~1e-6 of rounding noise there
(PyTorch float32: ~1e-6 absolute), so compare those with an absolute, not a relative, tolerance.

Loss (float64; tokens = last_hidden_state [B,T,D], all tokens):
  DINOv2  sum(tokens * w_tokens) + sum(pooler_output * w_image) + sum(patch_mean * w_patch_mean),
          patch_mean = tokens[:, 1 + num_registers:].mean(1)
  CLIP    sum(tokens * w_tokens) + sum(pooled * w_image) + sum(image_embeds * w_image_embeds),
          tokens, pooled = vision_model(x, interpolate_pos_encoding=(entry != native)) outputs
          last_hidden_state, pooler_output; image_embeds = visual_projection(pooled)
  RADIO   sum(tokens * w_tokens) + sum(summary * w_image), summary = RadioModel output `summary`
The weights are standard normal, drawn in float32 (so that the stored float32 values are exactly
the ones used) from a torch.Generator seeded with crc32("<case>/<entry>"), in the order tokens,
image, then patch_mean / image_embeds.

The model is loaded with from_pretrained(folder, attn_implementation="eager"), eval(), then
.double(); deterministic algorithms, one thread. transformers runs a few steps in float32 whatever
the model dtype (DINOv2 position-table interpolation, CLIP's eager softmax, RADIO's input
conditioner and position-table interpolation); for the reference these run in float64 instead
(float64_paths: the transformers code without the cast, checked bit-identical on the float32
model), else the gradients are only float32-accurate. Gradient names go back to the file's names
through transformers' own save-time mapping (revert_weight_conversion, what save_pretrained
uses), checked against model.safetensors (every parameter and buffer value maps to its key).

Checks done on every run (the script fails otherwise): the float64 forward matches the float32
expected.safetensors outputs within 1e-4; every written gradient name is a model.safetensors key
with the same shape; a central finite difference (float64, eps 1e-6) of the loss with respect to
3 random pixel_values entries and 3 entries each of one LayerNorm weight and the position table
(entries with a non-zero gradient) agrees with autograd to 1e-6, relative to max(|autograd|, rms
of that gradient tensor); the gradients of the independent plain-torch forward of backbone_ref
(docs/BACKBONES.md, reading the file tensors by their file names), taken in float64 with respect to
those file tensors, match every written gradient to 1e-5 of that tensor's max |gradient|
(a second check of the names, the fused RADIO qkv included). Output is deterministic: running twice gives
identical files.

requires: torch==2.13.0+cpu transformers==5.24.0 safetensors==0.8.0 numpy (tools/requirements.txt)
"""
import argparse
import contextlib
import json
import sys
import types
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import backbone_ref as ref  # noqa: E402

ref.quiet_transformers()

import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import (  # noqa: E402
    CLIPVisionModelWithProjection, Dinov2Model, Dinov2WithRegistersModel, RadioModel,
)
from transformers.core_model_loading import revert_weight_conversion  # noqa: E402
from transformers.models.clip import modeling_clip  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "CSDBackbonesTests" / "Fixtures"
FWD_TOL = 1e-4   # float64 forward vs the float32 expected outputs
FD_EPS = 1e-6    # central difference step (float64)
FD_REL = 1e-6    # finite difference vs autograd, relative to max(|autograd|, rms of the gradient)
FD_POINTS = 3    # entries per checked tensor
REF_TOL = 1e-5   # plain-torch reference gradients vs transformers, relative to each tensor's max

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

# case -> (model class, family, entries, LayerNorm weight and position table checked by finite
# differences, as in-memory parameter names)
CASES = {
    "dinov2_tiny": (Dinov2Model, "dinov2", ("native", "other"),
                    "encoder.layer.0.norm1.weight", "embeddings.position_embeddings"),
    "dinov2_swiglu_tiny": (Dinov2Model, "dinov2", ("native", "other"),
                           "encoder.layer.0.norm1.weight", "embeddings.position_embeddings"),
    "dinov2_reg_tiny": (Dinov2WithRegistersModel, "dinov2", ("native", "other"),
                        "encoder.layer.0.norm1.weight", "embeddings.position_embeddings"),
    "clip_tiny": (CLIPVisionModelWithProjection, "clip", ("native", "other"),
                  "vision_model.encoder.layers.0.layer_norm1.weight",
                  "vision_model.embeddings.position_embedding.weight"),
    "radio_tiny": (RadioModel, "radio", ("native", "other", "large"),
                   "encoder.layer.0.norm1.weight", "embeddings.position_embedding"),
}

LOSS = {
    "dinov2": "loss = sum(last_hidden_state * weight.tokens) + sum(pooler_output * weight.image) "
              "+ sum(patch_mean * weight.patch_mean); pooler_output = last_hidden_state[:, 0]; "
              "patch_mean = last_hidden_state[:, 1 + num_registers:].mean(1); float64",
    "clip": "loss = sum(last_hidden_state * weight.tokens) + sum(pooled * weight.image) "
            "+ sum(image_embeds * weight.image_embeds); last_hidden_state, pooled = "
            "vision_model(pixel_values, interpolate_pos_encoding=(entry != 'native')) "
            "last_hidden_state, pooler_output (= post_layernorm(last_hidden_state[:, 0])); "
            "image_embeds = visual_projection(pooled); float64",
    "radio": "loss = sum(last_hidden_state * weight.tokens) + sum(summary * weight.image); "
             "last_hidden_state = all tokens after the last block; summary = RadioModel output "
             "`summary` (last_hidden_state[:, summary_idxs] flattened); float64",
}

# the forward outputs compared with expected.safetensors (same field names)
CHECKED = {"dinov2": ("last_hidden_state", "pooled", "patch_mean"),
           "clip": ("last_hidden_state", "pooled", "image_embeds"),
           "radio": ("last_hidden_state", "summary", "features")}

# loss terms: (output field, weight name), in the order the weights are drawn
TERMS = {"dinov2": (("last_hidden_state", "tokens"), ("pooled", "image"), ("patch_mean", "patch_mean")),
         "clip": (("last_hidden_state", "tokens"), ("pooled", "image"), ("image_embeds", "image_embeds")),
         "radio": (("last_hidden_state", "tokens"), ("summary", "image"))}


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------

def read_file(path):
    with safe_open(path, "pt") as h:
        return {k: h.get_tensor(k) for k in h.keys()}


def seed_of(case, entry, what=""):
    return zlib.crc32(f"{case}/{entry}{what}".encode())


def forward(model, family, x, entry):
    """The outputs named in CHECKED / TERMS, with autograd."""
    if family == "dinov2":
        out = model(pixel_values=x)
        last = out.last_hidden_state
        registers = getattr(model.config, "num_register_tokens", 0)
        return {"last_hidden_state": last, "pooled": out.pooler_output,
                "patch_mean": last[:, 1 + registers:].mean(1)}
    if family == "clip":
        vo = model.vision_model(pixel_values=x, interpolate_pos_encoding=entry != "native")
        return {"last_hidden_state": vo.last_hidden_state, "pooled": vo.pooler_output,
                "image_embeds": model.visual_projection(vo.pooler_output)}
    out = model(pixel_values=x)
    return {"last_hidden_state": out.last_hidden_state, "summary": out.summary,
            "features": out.features}


def loss_of(outputs, weights, family):
    loss = None
    for field, wname in TERMS[family]:
        term = (outputs[field] * weights[wname]).sum()
        loss = term if loss is None else loss + term
    return loss


def to_file_names(model, tensors):
    """In-memory names -> model.safetensors names, with transformers' save-time mapping."""
    return revert_weight_conversion(model, dict(tensors))


def check_mapping(model, disk, case):
    """Every parameter and buffer, mapped to file names, must equal model.safetensors exactly."""
    params = {k: p.detach() for k, p in model.named_parameters()}
    buffers = {k: b for k, b in model.named_buffers() if k in model.state_dict()}
    mapped = to_file_names(model, {**params, **buffers})
    if set(mapped) != set(disk):
        raise AssertionError(f"{case}: mapped names differ from model.safetensors\n"
                             f" missing {sorted(set(disk) - set(mapped))}\n"
                             f" extra {sorted(set(mapped) - set(disk))}")
    for k, v in mapped.items():
        if v.shape != disk[k].shape or not torch.equal(v.to(disk[k].dtype), disk[k]):
            raise AssertionError(f"{case}: {k} does not map to the file's tensor")
    param_keys = set(to_file_names(model, params))
    return param_keys


def single_file_name(model, name, tensor, disk):
    mapped = to_file_names(model, {name: tensor.detach()})
    (key, value), = mapped.items()
    assert key in disk and value.shape == disk[key].shape, (name, key)
    return key


def finite_difference(model, family, x, entry, weights, tensors, grads, gen):
    """Central differences of the loss at FD_POINTS random entries (with a non-zero gradient) of
    each named tensor. The error is measured relative to max(|autograd|, rms of that gradient
    tensor): at eps 1e-6 the float64 rounding of the loss leaves ~1e-8 of absolute noise in the
    difference quotient, which a plain relative test cannot meet for entries whose gradient is
    far below the tensor's typical size (seen: 0.0185 -> 1.1e-6)."""
    worst, points = 0.0, []
    for name, t in tensors.items():
        g = grads[name]
        scale_of_tensor = g.pow(2).mean().sqrt().item()
        candidates = torch.nonzero(g.reshape(-1)).reshape(-1)
        pick = candidates[torch.randperm(candidates.numel(), generator=gen)[:FD_POINTS]].tolist()
        for i in pick:
            idx = tuple(int(v) for v in torch.unravel_index(torch.tensor(i), t.shape))
            with torch.no_grad():
                orig = t[idx].item()
                t[idx] = orig + FD_EPS
                up_at = t[idx].item()
                up = loss_of(forward(model, family, x, entry), weights, family).item()
                t[idx] = orig - FD_EPS
                down_at = t[idx].item()
                down = loss_of(forward(model, family, x, entry), weights, family).item()
                t[idx] = orig
            fd = (up - down) / (up_at - down_at)
            ad = g[idx].item()
            err = abs(fd - ad)
            rel = err / max(abs(ad), scale_of_tensor)
            if not rel <= FD_REL:
                raise AssertionError(f"finite difference {entry} {name}{list(idx)}: autograd {ad!r}, "
                                     f"central difference {fd!r}, error {err:.3g}, relative to "
                                     f"max(|autograd|, rms {scale_of_tensor:.3g}) {rel:.3g} > {FD_REL}")
            worst = max(worst, rel)
            points.append({"tensor": name, "index": list(idx), "autograd": float(f"{ad:.12g}"),
                           "finite_difference": float(f"{fd:.12g}"), "abs_error": float(f"{err:.3g}"),
                           "relative_error": float(f"{rel:.3g}"),
                           "gradient_rms": float(f"{scale_of_tensor:.6g}")})
    return worst, points


# ------------------------------------------------------------------------------------------
# float32 steps inside transformers, run in the model's dtype instead
# ------------------------------------------------------------------------------------------
# transformers does a few steps in float32 whatever the model dtype: DINOv2's position-table
# interpolation (.to(torch.float32)), CLIP's eager softmax (dtype=torch.float32), RADIO's input
# conditioner and position-table interpolation (.float()). In a .double() model they round to
# float32 and the gradients are then only float32-accurate (the finite-difference check fails by
# ~1e-2 relative). Inside float64_paths() these steps run in the tensors' own dtype: each
# replacement below is the transformers 5.24.0 code with the cast removed, and is checked to give
# bit-identical outputs on the float32 model (check_float64_paths).

def _dinov2_interpolate_pos_encoding(antialias):
    def interpolate_pos_encoding(self, embeddings, height, width):
        num_patches = embeddings.shape[1] - 1
        num_positions = self.position_embeddings.shape[1] - 1
        if num_patches == num_positions and height == width:
            return self.position_embeddings
        class_pos_embed = self.position_embeddings[:, :1]
        patch_pos_embed = self.position_embeddings[:, 1:]
        dim = embeddings.shape[-1]
        patch_height, patch_width = self.patch_embeddings.patch_size
        side = int(num_positions ** 0.5)
        patch_pos_embed = patch_pos_embed.reshape(1, side, side, dim).permute(0, 3, 1, 2)
        patch_pos_embed = torch.nn.functional.interpolate(
            patch_pos_embed, size=(height // patch_height, width // patch_width), mode="bicubic",
            align_corners=False, **({"antialias": True} if antialias else {}))
        patch_pos_embed = patch_pos_embed.permute(0, 2, 3, 1).view(1, -1, dim)
        return torch.cat((class_pos_embed, patch_pos_embed), dim=1)
    return interpolate_pos_encoding


def _clip_eager_attention_forward(module, query, key, value, attention_mask, scaling, dropout=0.0, **kwargs):
    attn_weights = torch.matmul(query, key.transpose(-1, -2)) * scaling
    if attention_mask is not None:
        attn_weights = attn_weights + attention_mask
    attn_weights = torch.nn.functional.softmax(attn_weights, dim=-1)
    attn_weights = torch.nn.functional.dropout(attn_weights, p=dropout, training=module.training)
    attn_output = torch.matmul(attn_weights, value).transpose(1, 2).contiguous()
    return attn_output, attn_weights


def _radio_condition(self, pixel_values):
    return (pixel_values - self.norm_mean.to(pixel_values.dtype)) / self.norm_std.to(pixel_values.dtype)


def _radio_interpolate_position_embedding(self, input_dims, dtype):
    interp = torch.nn.functional.interpolate
    pos = self.position_embedding.reshape(1, self.max_rows, self.max_cols, -1).permute(0, 3, 1, 2)
    max_dim = max(input_dims)
    pos = interp(pos, size=(max_dim, max_dim), mode="bilinear", align_corners=False).to(dtype)
    if input_dims[0] < pos.shape[-2]:
        pos = pos[..., : input_dims[0], :]
    if input_dims[1] < pos.shape[-1]:
        pos = pos[..., :, : input_dims[1]]
    if pos.shape[-2:] != tuple(input_dims):
        pos = interp(pos, size=tuple(input_dims), mode="bilinear", align_corners=False).to(dtype)
    return pos.flatten(2).permute(0, 2, 1)


@contextlib.contextmanager
def float64_paths(model, family):
    patched = []  # (module, attribute) set on the instance, removed on exit
    saved_attention = modeling_clip.eager_attention_forward

    def patch(module, name, fn):
        setattr(module, name, types.MethodType(fn, module))
        patched.append((module, name))

    try:
        if family == "dinov2":
            antialias = isinstance(model, Dinov2WithRegistersModel)
            patch(model.embeddings, "interpolate_pos_encoding", _dinov2_interpolate_pos_encoding(antialias))
        elif family == "clip":
            modeling_clip.eager_attention_forward = _clip_eager_attention_forward
        else:
            patch(model.input_conditioner, "forward", _radio_condition)
            patch(model.embeddings, "_interpolate_position_embedding", _radio_interpolate_position_embedding)
        yield model
    finally:
        modeling_clip.eager_attention_forward = saved_attention
        for module, name in patched:
            delattr(module, name)


def check_float64_paths(model, family, expected, entries, case):
    """On the float32 model the replacements must not change a single bit."""
    for entry in entries:
        x = expected[f"{entry}.pixel_values"]
        with torch.no_grad():
            plain = forward(model, family, x, entry)
            with float64_paths(model, family):
                patched = forward(model, family, x, entry)
        for field in CHECKED[family]:
            if not torch.equal(plain[field], patched[field]):
                raise AssertionError(f"{case}.{entry}.{field}: float64_paths changes the float32 forward")


def reference_gradients(disk, model, family, x32, weights):
    """Independent check of values and names: the plain-torch forward of backbone_ref (written
    from docs/BACKBONES.md, reading the file tensors by their file names), differentiated in float64
    with respect to the file tensors themselves. Returns {file key: grad} and the input grad."""
    leaves = {k: v.to(torch.float64).requires_grad_(True) for k, v in disk.items()
              if v.is_floating_point() and not k.startswith("radio_model.input_conditioner.")}
    t = {k: leaves.get(k, v.to(torch.float64) if v.is_floating_point() else v) for k, v in disk.items()}
    x = x32.to(torch.float64).requires_grad_(True)
    cfg = model.config
    if family == "dinov2":
        out = ref.ref_dinov2(t, cfg.to_dict(), x)
    elif family == "clip":
        out = ref.ref_clip(t, cfg.to_dict(), x)
    else:
        geo = {"hidden_size": cfg.hidden_size, "num_attention_heads": cfg.num_attention_heads,
               "patch_size": cfg.patch_size, "num_hidden_layers": cfg.num_hidden_layers,
               "num_cls_tokens": cfg.num_cls_tokens, "num_registers": cfg.num_registers, "model_norm": False}
        out = ref.ref_radio(ref.radio_transformers_to_hub(t), geo, x)
    loss_of(out, weights, family).backward()
    return {k: v.grad for k, v in leaves.items() if v.grad is not None}, x.grad


def check_reference_gradients(ref_grads, ref_x_grad, file_grads, x_grad, what):
    """Per tensor: max |difference| <= REF_TOL * max |gradient| (floor 1e-6, for tensors whose
    gradient is zero up to rounding, such as attention key biases)."""
    if set(ref_grads) != set(file_grads):
        raise AssertionError(f"{what}: reference gradient names differ\n only reference "
                             f"{sorted(set(ref_grads) - set(file_grads))}\n only transformers "
                             f"{sorted(set(file_grads) - set(ref_grads))}")
    worst = 0.0
    for k, g in [*file_grads.items(), ("pixel_values", x_grad)]:
        r = ref_x_grad if k == "pixel_values" else ref_grads[k]
        err = (g - r).abs().max().item() / max(g.abs().max().item(), 1e-6)
        if not err <= REF_TOL:
            raise AssertionError(f"{what}: gradient of {k} differs from the plain-torch reference by "
                                 f"{err:.3g} of its max")
        worst = max(worst, err)
    return worst


# ------------------------------------------------------------------------------------------
# one case
# ------------------------------------------------------------------------------------------

def make_case(root, case):
    cls, family, entries, ln_name, pos_name = CASES[case]
    folder = root / case
    disk = read_file(folder / "model.safetensors")
    expected = read_file(folder / "expected.safetensors")
    model = cls.from_pretrained(folder, attn_implementation="eager").eval()
    param_file_keys = check_mapping(model, disk, case)
    check_float64_paths(model, family, expected, entries, case)
    model = model.double()
    for p in model.parameters():
        p.requires_grad_(True)
    named = dict(model.named_parameters())
    fd_names = {k: single_file_name(model, k, named[k], disk) for k in (ln_name, pos_name)}

    tensors, info_entries, worst_fwd = {}, {}, 0.0
    with float64_paths(model, family):
        for entry in entries:
            x32 = expected[f"{entry}.pixel_values"]
            x = x32.to(torch.float64).requires_grad_(True)
            g = torch.Generator().manual_seed(seed_of(case, entry))
            model.zero_grad(set_to_none=True)
            out = forward(model, family, x, entry)
            weights32 = {wname: torch.randn(out[field].shape, generator=g, dtype=torch.float32)
                         for field, wname in TERMS[family]}
            weights = {k: v.to(torch.float64) for k, v in weights32.items()}

            # (a) float64 forward vs the float32 expected outputs
            fwd = {}
            for field in CHECKED[family]:
                err = (out[field].detach() - expected[f"{entry}.{field}"].to(torch.float64)).abs().max().item()
                if not err <= FWD_TOL:
                    raise AssertionError(f"{case}.{entry}.{field}: float64 vs expected max abs diff {err:.3g}")
                fwd[field] = float(f"{err:.3g}")
                worst_fwd = max(worst_fwd, err)

            loss = loss_of(out, weights, family)
            loss.backward()
            grads = {k: p.grad.detach().clone() for k, p in named.items() if p.grad is not None}
            no_grad = sorted(k for k, p in named.items() if p.grad is None)
            file_grads = to_file_names(model, grads)
            file_no_grad = sorted(to_file_names(model, {k: named[k].detach() for k in no_grad}))
            for k, v in file_grads.items():
                if k not in disk or tuple(v.shape) != tuple(disk[k].shape):
                    raise AssertionError(f"{case}.{entry}: gradient name {k} {tuple(v.shape)} is not a "
                                         f"model.safetensors key with that shape")
            if set(file_grads) | set(file_no_grad) != param_file_keys or set(file_grads) & set(file_no_grad):
                raise AssertionError(f"{case}.{entry}: gradient + no-gradient names do not cover the parameters")

            # independent plain-torch reference gradients, by file name
            ref_grads, ref_x_grad = reference_gradients(disk, model, family, x32, weights)
            ref_worst = check_reference_gradients(ref_grads, ref_x_grad, file_grads, x.grad, f"{case}.{entry}")

            # (b) finite differences: pixel_values, one LayerNorm weight, the position table
            fd_gen = torch.Generator().manual_seed(seed_of(case, entry, "/fd"))
            model.zero_grad(set_to_none=True)
            with torch.no_grad():
                xd = x.detach().clone()
            fd_worst, fd_points = finite_difference(
                model, family, xd, entry, weights,
                {"pixel_values": xd, ln_name: named[ln_name].data, pos_name: named[pos_name].data},
                {"pixel_values": x.grad, ln_name: grads[ln_name], pos_name: grads[pos_name]}, fd_gen)

            tensors[f"{entry}.pixel_values"] = x32
            tensors[f"{entry}.loss"] = loss.detach().reshape(1)
            for wname, w in weights32.items():
                tensors[f"{entry}.weight.{wname}"] = w
            tensors[f"{entry}.grad.pixel_values"] = x.grad
            for k, v in file_grads.items():
                tensors[f"{entry}.grad.{k}"] = v
            info_entries[entry] = {
                "height": x.shape[-2], "width": x.shape[-1], "weight_seed": seed_of(case, entry),
                "loss_float64": float(repr(loss.item())), "no_grad": file_no_grad,
                "forward_max_abs_diff_vs_expected": fwd,
                "plain_torch_reference_max_diff": float(f"{ref_worst:.3g}"),
                "finite_difference": {
                    "eps": FD_EPS, "tolerance": FD_REL, "max_relative_error": float(f"{fd_worst:.3g}"),
                    "error_measure": "|fd - autograd| / max(|autograd|, rms of that gradient tensor)",
                    "seed": seed_of(case, entry, "/fd"), "points": fd_points, "file_names": fd_names},
            }
            print(f"{case}.{entry}: loss {loss.item():.6f}, forward max diff {max(fwd.values()):.2g}, "
                  f"finite difference max rel {fd_worst:.2g}, plain-torch reference {ref_worst:.2g}, "
                  f"{len(file_grads)} gradients, no grad {file_no_grad}")

    tensors = {k: v.detach().to(torch.float32).contiguous() for k, v in sorted(tensors.items())}
    save_file(tensors, folder / "gradients.safetensors", metadata={"format": "pt"})
    info = {
        "case": case, "family": family, "class": cls.__name__, "entries": info_entries,
        "loss": LOSS[family],
        "compute": "from_pretrained(eager).eval().double(); float64 forward and backward; stored float32",
        "weights": "standard normal, drawn in float32 from torch.Generator().manual_seed(weight_seed), "
                   "weight_seed = zlib.crc32('<case>/<entry>'), order: " +
                   ", ".join(w for _, w in TERMS[family]),
        "grad_names": "<entry>.grad.<key>: <key> is the model.safetensors key of the parameter; "
                      "<entry>.grad.pixel_values is the input gradient",
        "tensors": {k: list(v.shape) for k, v in tensors.items()},
        "generated_by": "tools/make_backbone_grad_fixtures.py",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
    }
    (folder / "gradients.json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n")
    return worst_fwd


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(FIXTURES), help="fixture root (default: %(default)s)")
    a = ap.parse_args()
    root = Path(a.out)
    worst = 0.0
    for case in CASES:
        worst = max(worst, make_case(root, case))
    files = sorted(p for case in CASES for p in (root / case).glob("gradients.*"))
    for p in files:
        print(f"{p.relative_to(root)}: {p.stat().st_size} bytes")
    print(f"max float64-vs-expected forward difference {worst:.3g}")


if __name__ == "__main__":
    main()
