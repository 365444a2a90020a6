#!/usr/bin/env python3
# requires: torch==2.13.0+cpu safetensors==0.7.0 numpy
"""Fixtures for Tests/CSDSafetensorsTests, written by the reference Python `safetensors`.

    python3 tools/make_safetensors_fixtures.py            # (re)write the fixtures
    python3 tools/make_safetensors_fixtures.py --check F  # check a file the Swift writer made

Expected float32 values come from torch's own `.float()` so the Swift reader can be compared
bit for bit. `--check` verifies that `safe_open` reads the Swift file and that its bytes equal
what `safetensors.torch.save` writes for the same tensors (produce F with
`CSD_SAFETENSORS_EXPORT=F swift test --filter CSDSafetensorsTests`).
"""
import argparse
import json
import struct
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save, save_file

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "CSDSafetensorsTests" / "Fixtures"


def from_bits(bits, np_uint, torch_dtype):
    """A tensor of `torch_dtype` with exactly the given bit patterns."""
    signed = {np.uint16: np.int16, np.uint64: np.int64}[np_uint]
    raw = torch.from_numpy(np.array(bits, dtype=np_uint).view(signed).copy())
    return raw.view(torch_dtype)


def dtype_tensors():
    f16_bits = [0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x3C00, 0x3555,
                0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00]  # odd length on purpose
    bf16_bits = [0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x3F80, 0x3EAB,
                 0x7F7F, 0xFF7F, 0x7F80, 0xFF80, 0x7FC0]
    f64_values = [0.1, -0.0, 1e-320, 1e300, -1e300, 3.4028235677973366e38, 1.401298464324817e-45,
                  2.0 ** -150, 1.0 + 2.0 ** -24, float("nan"), float("inf"), 1.0 / 3.0]
    return {
        "f32.matrix": torch.tensor([[1.5, -2.25, 0.0], [-0.0, 3.4028235e38, 1e-45]], dtype=torch.float32),
        "f32.special": torch.tensor([float("inf"), float("-inf"), float("nan")], dtype=torch.float32),
        "f32.scalar": torch.tensor(7.25, dtype=torch.float32),
        "f32.empty": torch.zeros((0, 3), dtype=torch.float32),
        "f16.special": from_bits(f16_bits, np.uint16, torch.float16),
        "bf16.special": from_bits(bf16_bits, np.uint16, torch.bfloat16),
        "f64.special": torch.tensor(f64_values, dtype=torch.float64),
        "i64.values": torch.tensor([[-2**63, -1, 0], [1, 2**53 + 1, 2**63 - 1]], dtype=torch.int64),
        "i32.values": torch.tensor([-5, 7], dtype=torch.int32),
        "u8.values": torch.tensor([0, 255], dtype=torch.uint8),
        "bool.mask": torch.tensor([True, False, True]),
    }


def write_misaligned(path):
    """F16 of odd length first, F32 right after it: the F32 data starts 2 bytes off alignment.
    The Python writer never produces this (it sorts F32 first), so the file is built by hand."""
    half = torch.tensor([1.0, -0.5, 65504.0], dtype=torch.float16)
    floats = torch.tensor([[0.1, -2.0], [float("inf"), 1e-40]], dtype=torch.float32)
    hb, fb = half.numpy().tobytes(), floats.numpy().tobytes()
    header = {
        "__metadata__": {"note": "misaligned"},
        "b.float": {"dtype": "F32", "shape": [2, 2], "data_offsets": [len(hb), len(hb) + len(fb)]},
        "a.half": {"dtype": "F16", "shape": [3], "data_offsets": [0, len(hb)]},
    }
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + hb + fb)
    return {"a.half": half, "b.float": floats}


def sharded_tensors():
    def grid(shape, start):
        n = int(np.prod(shape))
        return (torch.arange(n, dtype=torch.float32) * 0.5 + start).reshape(shape)
    first = {"embed.weight": grid([4, 3], 0), "layer.0.weight": grid([3, 3], 10), "layer.0.bias": grid([3], 20)}
    second = {"layer.1.weight": grid([3, 3], 30), "layer.1.bias": grid([3], 40), "head.weight": grid([2, 3], 50)}
    return first, second


def conversion_sources():
    """F32 values whose F16/BF16 rounding the Swift writer must reproduce (ties, subnormals, overflow)."""
    special = [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.996, 65520.0, 1e5, -1e5, 2.0 ** -14, 2.0 ** -24,
               2.0 ** -25, 3 * 2.0 ** -25, 2.0 ** -25 * 1.0000001, 2.0 ** -26, 1e-10,
               1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 1 + 2.0 ** -8 + 2.0 ** -20,
               3.4028235e38, -3.4028235e38, 1e-45, 1.17549435e-38, float("inf"), float("-inf"),
               0.1, 1.0 / 3.0, 2.0 / 3.0, 1000.1, -0.0001]
    g = torch.Generator().manual_seed(1234)
    scales = torch.tensor([1e-6, 1e-3, 1.0, 1e3, 1e5, 1e30], dtype=torch.float32)
    rand = torch.randn(240, generator=g) * scales[torch.randint(0, len(scales), (240,), generator=g)]
    return torch.cat([torch.tensor(special, dtype=torch.float32), rand.float()])


def describe(tensors, metadata):
    out = {"metadata": metadata, "tensors": {}}
    for name, t in tensors.items():
        entry = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape)}
        if t.dtype == torch.int64:
            entry["int64"] = t.flatten().tolist()
        out["tensors"][name] = entry
    return out


def make():
    FIXTURES.mkdir(parents=True, exist_ok=True)
    expected, described = {}, {}

    tensors = dtype_tensors()
    meta = {"format": "pt", "producer": "csd fixtures"}
    save_file(tensors, FIXTURES / "dtypes.safetensors", metadata=meta)
    for name, t in tensors.items():
        expected[f"dtypes/{name}"] = t.float()
    described["dtypes.safetensors"] = describe(tensors, meta)

    mis = write_misaligned(FIXTURES / "misaligned.safetensors")
    with safe_open(FIXTURES / "misaligned.safetensors", framework="pt") as f:  # the reference accepts it
        for name, t in mis.items():
            assert torch.equal(f.get_tensor(name), t), name
    for name, t in mis.items():
        expected[f"misaligned/{name}"] = t.float()
    described["misaligned.safetensors"] = describe(mis, {"note": "misaligned"})

    src = conversion_sources()
    save_file({"source": src, "to_f16": src.half(), "to_bf16": src.bfloat16()}, FIXTURES / "conversions.safetensors")

    shard_dir = FIXTURES / "sharded"
    shard_dir.mkdir(exist_ok=True)
    first, second = sharded_tensors()
    names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    weight_map, total = {}, 0
    for file, part in zip(names, (first, second)):
        save_file(part, shard_dir / file, metadata={"format": "pt"})
        for name, t in part.items():
            weight_map[name] = file
            expected[f"sharded/{name}"] = t.float()
            total += t.numel() * t.element_size()
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    (shard_dir / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")

    save_file({k: v.contiguous() for k, v in expected.items()}, FIXTURES / "expected.safetensors")
    (FIXTURES / "expected.json").write_text(json.dumps(described, indent=1) + "\n")
    total_bytes = sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file())
    print(f"wrote fixtures to {FIXTURES} ({total_bytes} bytes)")


def swift_export_tensors():
    """Must match `pythonExportEntries` in Tests/CSDSafetensorsTests/PythonExportTests.swift."""
    mixed = torch.tensor([0.1, -2.5, 65504.0, 6e-8, 1e5, -0.0], dtype=torch.float32)
    return {
        "weight": (torch.arange(12, dtype=torch.float32) * 0.25 - 1.5).reshape(3, 4),
        "scalar": torch.tensor(3.5, dtype=torch.float32),
        "empty": torch.zeros((0, 5), dtype=torch.float32),
        "half": mixed.half(),
        "brain": mixed.bfloat16(),
        "double": torch.tensor([0.1, -1e30], dtype=torch.float32).double(),
        "ids": torch.tensor([[-2**63, -1], [0, 2**63 - 1]], dtype=torch.int64),
    }, {"format": "pt"}


def check(path):
    want, meta = swift_export_tensors()
    with safe_open(path, framework="pt") as f:
        assert f.metadata() == meta, f.metadata()
        assert sorted(f.keys()) == sorted(want), f.keys()
        for name, t in want.items():
            got = f.get_tensor(name)
            assert got.dtype == t.dtype and got.shape == t.shape, (name, got.dtype, got.shape)
            as_bytes = lambda x: x.reshape(-1).view(torch.uint8)  # bit-exact, NaN-safe comparison
            assert torch.equal(as_bytes(got), as_bytes(t)), name
    reference = save(want, metadata=meta)
    actual = Path(path).read_bytes()
    assert actual == reference, "Swift file differs from safetensors.torch.save output byte for byte"
    print(f"OK: {path} is read by safe_open and equals safetensors.torch.save output ({len(actual)} bytes)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", metavar="FILE", help="verify a file written by the Swift writer")
    args = parser.parse_args()
    check(args.check) if args.check else make()
