#!/usr/bin/env python3
# requires: pillow==13.0.0 transformers==5.24.0 torch==2.13.0+cpu numpy
"""Fixtures for Tests/CSDImageTests: Pillow resizes, the DINOv2/CLIP processors, RADIO's resize.

    python3 tools/make_image_fixtures.py     # (re)write Tests/CSDImageTests/Fixtures

Writes `data.bin` (every array, raw little-endian, back to back) and `index.json` (each array's
dtype, shape and byte offset, plus the cases that use them). Images are stored HWC uint8, the
layout of `np.array(PIL.Image)`.

- resize: `PIL.Image.resize((w, h), BICUBIC | BILINEAR)` on "RGB" and "L" images, down, up,
  non-integer ratios, one axis unchanged.
- processors: `AutoImageProcessor` loaded (offline) from the hub's `preprocessor_config.json` of
  facebook/dinov2-small and openai/clip-vit-base-patch16; with torchvision absent that is
  `BitImageProcessorPil` / `CLIPImageProcessorPil`. The uint8 image after resize + crop comes
  from the same processor with rescale and normalise off. The final float32 tensor is a
  per-channel function of that uint8 value (asserted here), so it is stored as a [3, 256]
  table; one case also stores the full float array.
- radio: the RADIO README's recipe, uint8 RGB -> float32 / 255 -> F.interpolate(bilinear,
  align_corners=False, antialias=False).
"""
import json
import tempfile
from pathlib import Path

import numpy as np
import PIL
import torch
import torch.nn.functional as F
import transformers
from PIL import Image
from transformers import AutoImageProcessor

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "CSDImageTests" / "Fixtures"

# The hub files, verbatim (facebook/dinov2-small, openai/clip-vit-base-patch16).
HUB_CONFIGS = {
    "dinov2": {
        "crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_convert_rgb": True,
        "do_normalize": True, "do_rescale": True, "do_resize": True,
        "image_mean": [0.485, 0.456, 0.406], "image_processor_type": "BitImageProcessor",
        "image_std": [0.229, 0.224, 0.225], "resample": 3,
        "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 256},
    },
    "clip": {
        "crop_size": 224, "do_center_crop": True, "do_normalize": True, "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor",
        "image_mean": [0.48145466, 0.4578275, 0.40821073],
        "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 224,
    },
}


class Blob:
    """Arrays appended to one byte string; the index records where each one lies."""

    def __init__(self):
        self.parts, self.offset, self.arrays = [], 0, {}

    def add(self, name, array):
        assert name not in self.arrays, name
        array = np.ascontiguousarray(array)
        assert array.dtype in (np.uint8, np.float32), array.dtype
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        self.arrays[name] = {"dtype": str(array.dtype), "shape": list(array.shape),
                             "offset": self.offset, "bytes": len(data)}
        self.parts.append(data)
        self.offset += len(data)
        return name


def make_image(height, width, channels, seed):
    """Smooth gradients plus noise, with a salt-and-pepper patch so bicubic overshoots and clips."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    fy, fx = y / max(height - 1, 1), x / max(width - 1, 1)
    planes = [255 * fx, 255 * fy, 127.5 + 127.5 * np.sin(6.0 * fx + 4.0 * fy)][:channels]
    if channels == 1:
        planes = [255 * (0.6 * fx + 0.4 * fy)]
    image = np.stack(planes, axis=-1) + rng.normal(0, 25, (height, width, channels))
    ph, pw = max(1, height // 3), max(1, width // 3)
    image[:ph, :pw] = rng.choice([0.0, 255.0], size=(ph, pw, channels))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def to_pil(hwc):
    return Image.fromarray(hwc[..., 0], "L") if hwc.shape[2] == 1 else Image.fromarray(hwc, "RGB")


def main():
    assert PIL.__version__ == "13.0.0", PIL.__version__
    assert transformers.__version__ == "5.24.0", transformers.__version__
    FIXTURES.mkdir(parents=True, exist_ok=True)
    blob = Blob()
    index = {"versions": {"pillow": PIL.__version__, "transformers": transformers.__version__,
                          "torch": torch.__version__, "numpy": np.__version__}}

    images = {
        "rgb_37x53": make_image(37, 53, 3, 1),
        "gray_64x64": make_image(64, 64, 1, 2),
        "rgb_7x9": make_image(7, 9, 3, 3),
        "rgb_200x300": make_image(200, 300, 3, 4),
        "gray_110x151": make_image(110, 151, 1, 5),
        "rgb_1x6": make_image(1, 6, 3, 6),
    }
    index["images"] = {name: blob.add(f"image/{name}", img) for name, img in images.items()}

    # (height, width) targets: down, up, non-integer ratios, one axis kept, identity, 1x1.
    targets = {
        "rgb_37x53": [(15, 20), (18, 26), (29, 41), (61, 80), (74, 106), (50, 30), (20, 53),
                      (37, 20), (37, 53), (1, 1)],
        "gray_64x64": [(32, 32), (23, 17), (100, 100), (30, 64), (64, 7), (13, 13)],
        "rgb_7x9": [(2, 3), (15, 20), (1, 1), (14, 9), (7, 4)],
        "rgb_200x300": [(23, 37), (67, 100), (41, 61)],
        "gray_110x151": [(33, 45), (97, 130)],
        "rgb_1x6": [(3, 4), (1, 3), (2, 12)],
    }
    filters = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}
    index["resize"] = []
    for name, sizes in targets.items():
        for h, w in sizes:
            for fname, f in filters.items():
                out = np.array(to_pil(images[name]).resize((w, h), f))
                out = out.reshape(h, w, images[name].shape[2])
                key = blob.add(f"resize/{name}/{fname}/{h}x{w}", out)
                index["resize"].append({"image": name, "interpolation": fname,
                                        "height": h, "width": w, "array": key})

    # Processor cases: (preset, image, overrides, store the full float array too).
    cases = [
        ("dinov2", "rgb_200x300", {}, False),
        ("clip", "rgb_200x300", {}, False),
        ("dinov2", "gray_110x151", {}, False),
        ("clip", "gray_110x151", {}, False),
        # Crop larger than the resized image along one axis (by an odd amount): the processor
        # pads with zeros, the extra row on top.
        ("dinov2", "gray_110x151", {"size": {"shortest_edge": 181}}, False),
        ("clip", "rgb_37x53", {"size": {"shortest_edge": 100},
                               "crop_size": {"height": 151, "width": 120}}, True),
    ]
    index["processors"] = []
    with tempfile.TemporaryDirectory() as tmp:
        processors = {}
        for preset, config in HUB_CONFIGS.items():
            folder = Path(tmp) / preset
            folder.mkdir()
            (folder / "preprocessor_config.json").write_text(json.dumps(config))
            processors[preset] = AutoImageProcessor.from_pretrained(str(folder))
        for n, (preset, name, overrides, keep_values) in enumerate(cases):
            proc = processors[preset]
            pil = to_pil(images[name])
            pixels = proc(pil, do_rescale=False, do_normalize=False, return_tensors="np",
                          **overrides)["pixel_values"][0]
            values = proc(pil, return_tensors="np", **overrides)["pixel_values"][0]
            assert pixels.dtype == np.uint8 and values.dtype == np.float32
            table = np.full((3, 256), np.nan, dtype=np.float32)
            for c in range(3):
                table[c, pixels[c].ravel()] = values[c].ravel()
                assert np.array_equal(table[c, pixels[c]], values[c]), "not a per-channel map"
            case = {
                "name": f"{preset}_{name}_{n}", "preset": preset, "image": name,
                "processor": type(proc).__name__,
                "shortestEdge": overrides.get("size", {}).get("shortest_edge", proc.size.shortest_edge),
                "cropHeight": overrides.get("crop_size", {}).get("height", proc.crop_size.height),
                "cropWidth": overrides.get("crop_size", {}).get("width", proc.crop_size.width),
                "pixels": blob.add(f"processor/{n}/pixels", np.moveaxis(pixels, 0, -1)),
                "table": blob.add(f"processor/{n}/table", table),
            }
            if keep_values:
                case["values"] = blob.add(f"processor/{n}/values", values)
            index["processors"].append(case)

    radio = [("rgb_37x53", 32, 32), ("rgb_37x53", 48, 64), ("rgb_7x9", 16, 16),
             ("gray_64x64", 48, 48), ("rgb_200x300", 48, 64), ("rgb_1x6", 4, 8)]
    index["radio"] = []
    for name, h, w in radio:
        rgb = np.array(to_pil(images[name]).convert("RGB"))
        x = torch.from_numpy(rgb).permute(2, 0, 1).to(torch.float32).div_(255.0).unsqueeze(0)
        y = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False, antialias=False)
        key = blob.add(f"radio/{name}/{h}x{w}", y[0].numpy())
        index["radio"].append({"image": name, "height": h, "width": w, "array": key})

    index["arrays"] = blob.arrays
    (FIXTURES / "data.bin").write_bytes(b"".join(blob.parts))
    (FIXTURES / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    print(f"wrote {len(blob.arrays)} arrays, {blob.offset} bytes, to {FIXTURES}")


if __name__ == "__main__":
    main()
