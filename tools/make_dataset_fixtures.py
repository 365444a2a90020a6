#!/usr/bin/env python3
# requires: numpy==2.4.6 scipy==1.17.1 h5py==3.16.0 pillow==13.0.0
"""Fixtures for Tests/CSDDataTests: tiny files in every format the data-set readers take, and
the values numpy / scipy / h5py / Pillow read from them (the Swift tests never need Python).

    python3 tools/make_dataset_fixtures.py     # (re)write Tests/CSDDataTests/Fixtures

- idx/: IDX files, plain (train) and gzipped (t10k); idx-dot/: the `train-images.idx3-ubyte.gz`
  spelling; idx-multi/: a gzip file of two concatenated members (valid gzip).
- cifar/cifar-10-batches-bin/: five train batches and a test batch of a few records each,
  batches.meta.txt.
- svhn/: scipy.io.savemat(..., do_compression=True): train (y uint8), test (y double), extra
  (two images: y uint8 fits a 4-byte small element); svhn-plain/: the same train file without
  compression (uncompressed miMATRIX elements).
- galaxy/: train_dataset.hdf5 (images gzip-chunked by h5py) and test_dataset.hdf5.gz.
- folder/train|test/<class>/: PNGs in every colour type (written by the small encoder below, so
  16-bit, low-bit gray, palette with transparency and Adam7 interlacing are all covered) and
  JPEGs by Pillow; a text file and a hidden file that the reader must skip. bad/cmyk.jpg.
- npy/: train/test pairs (v1 headers, int64 and int16 labels, gray and RGB); npy-pair/: images
  with a v3 header and uint8 labels, a v2 header label file.
- expected.json: labels and HWC pixels (base64) as numpy reads them, and facts of the real
  Fashion-MNIST files of Debian's dataset-fashion-mnist (counts, first labels, sums, images).

Expected PNG pixels follow the reader's documented rules: 16-bit -> high byte, gray 1/2/4-bit
scaled to 0..255, palette -> RGB, alpha dropped. JPEG pixels are Pillow's decode.
"""
import base64
import gzip
import io
import json
import shutil
import struct
import zlib
from pathlib import Path

import h5py
import numpy as np
import PIL
import scipy
import scipy.io
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "CSDDataTests" / "Fixtures"
FASHION = Path("/usr/share/datasets/fashion-mnist")


def b64(array):
    return base64.b64encode(np.ascontiguousarray(array, dtype=np.uint8).tobytes()).decode()


def gz(data):
    return gzip.compress(data, mtime=0)


# ---------------------------------------------------------------- IDX

def idx_bytes(array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def make_idx(rng):
    out = {}
    train_x = rng.integers(0, 256, (6, 5, 4), dtype=np.uint8)
    train_y = np.array([3, 1, 4, 1, 5, 9], dtype=np.uint8)
    test_x = rng.integers(0, 256, (3, 5, 4), dtype=np.uint8)
    test_y = np.array([2, 7, 0], dtype=np.uint8)
    d = FIXTURES / "idx"
    d.mkdir()
    (d / "train-images-idx3-ubyte").write_bytes(idx_bytes(train_x))
    (d / "train-labels-idx1-ubyte").write_bytes(idx_bytes(train_y))
    (d / "t10k-images-idx3-ubyte.gz").write_bytes(gz(idx_bytes(test_x)))
    (d / "t10k-labels-idx1-ubyte.gz").write_bytes(gz(idx_bytes(test_y)))
    d = FIXTURES / "idx-dot"
    d.mkdir()
    (d / "train-images.idx3-ubyte.gz").write_bytes(gz(idx_bytes(train_x)))
    (d / "train-labels.idx1-ubyte.gz").write_bytes(gz(idx_bytes(train_y)))
    d = FIXTURES / "idx-multi"
    d.mkdir()
    data = idx_bytes(train_x)
    (d / "train-images-idx3-ubyte.gz").write_bytes(gz(data[:50]) + gz(data[50:]))
    (d / "train-labels-idx1-ubyte.gz").write_bytes(gz(idx_bytes(train_y)))
    for split, x, y in [("train", train_x, train_y), ("test", test_x, test_y)]:
        out[split] = {"labels": y.tolist(), "height": 5, "width": 4, "channels": 1, "pixels": b64(x)}
    return out


def fashion_facts():
    def load(name):
        with gzip.open(FASHION / name) as f:
            data = f.read()
        ndim = data[3]
        dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
        return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)

    facts = {"path": str(FASHION)}
    for split, prefix in [("train", "train"), ("test", "t10k")]:
        x = load(f"{prefix}-images-idx3-ubyte.gz")
        y = load(f"{prefix}-labels-idx1-ubyte.gz")
        n = len(y)
        picks = sorted({0, 1, 2, n // 2, n - 2, n - 1})
        facts[split] = {
            "count": int(n),
            "first_labels": y[:20].tolist(),
            "last_labels": y[-10:].tolist(),
            "label_counts": np.bincount(y, minlength=10).tolist(),
            "pixel_sum": int(x.sum(dtype=np.int64)),
            "samples": [{"index": i, "label": int(y[i]), "sum": int(x[i].sum()), "pixels": b64(x[i])}
                        for i in picks],
        }
    return facts


# ---------------------------------------------------------------- CIFAR-10

CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def make_cifar(rng):
    d = FIXTURES / "cifar" / "cifar-10-batches-bin"
    d.mkdir(parents=True)
    out = {}
    batches = {"train": [f"data_batch_{i}.bin" for i in range(1, 6)], "test": ["test_batch.bin"]}
    sizes = {"data_batch_1.bin": 2, "data_batch_2.bin": 1, "data_batch_3.bin": 3, "data_batch_4.bin": 2,
             "data_batch_5.bin": 2, "test_batch.bin": 3}
    for split, files in batches.items():
        labels, images = [], []
        for name in files:
            n = sizes[name]
            y = rng.integers(0, 10, n, dtype=np.uint8)
            x = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
            records = np.concatenate([y[:, None], x.reshape(n, 3072)], axis=1)
            (d / name).write_bytes(records.tobytes())
            labels += y.tolist()
            images.append(x.transpose(0, 2, 3, 1))  # planar CHW -> HWC
        out[split] = {"labels": labels, "height": 32, "width": 32, "channels": 3,
                      "pixels": b64(np.concatenate(images))}
    (d / "batches.meta.txt").write_text("\n".join(CIFAR_CLASSES) + "\n\n")
    return out


# ---------------------------------------------------------------- SVHN

def fixed_mat_header(path):
    """savemat writes the creation time into the header text: fix it for reproducible bytes."""
    data = bytearray(path.read_bytes())
    text = b"MATLAB 5.0 MAT-file, written by tools/make_dataset_fixtures.py"
    data[:116] = text.ljust(116, b" ")
    path.write_bytes(bytes(data))


def make_svhn(rng):
    out = {}
    d = FIXTURES / "svhn"
    d.mkdir()
    plain = FIXTURES / "svhn-plain"
    plain.mkdir()
    for split, n, ytype in [("train", 5, np.uint8), ("test", 3, np.float64), ("extra", 2, np.uint8)]:
        x = rng.integers(0, 256, (32, 32, 3, n), dtype=np.uint8)
        digits = rng.integers(0, 10, n)
        digits[0] = 0  # stored as 10
        y = np.where(digits == 0, 10, digits).astype(ytype).reshape(n, 1)
        path = d / f"{split}_32x32.mat"
        scipy.io.savemat(path, {"X": x, "y": y}, do_compression=True)
        fixed_mat_header(path)
        if split == "train":
            scipy.io.savemat(plain / path.name, {"X": x, "y": y}, do_compression=False)
            fixed_mat_header(plain / path.name)
        out[split] = {"labels": digits.tolist(), "height": 32, "width": 32, "channels": 3,
                      "pixels": b64(x.transpose(3, 0, 1, 2))}  # (H, W, C, N) -> N x H x W x C
    return out


# ---------------------------------------------------------------- GalaxyMNIST

def make_galaxy(rng):
    out = {}
    d = FIXTURES / "galaxy"
    d.mkdir()
    for split, n in [("train", 6), ("test", 4)]:
        x = rng.integers(0, 256, (n, 8, 8, 3), dtype=np.uint8)
        y = rng.integers(0, 4, n, dtype=np.uint8)
        path = d / f"{split}_dataset.hdf5"
        with h5py.File(path, "w") as f:
            if split == "train":
                f.create_dataset("images", data=x, chunks=(4, 8, 8, 3), compression="gzip", track_times=False)
            else:
                f.create_dataset("images", data=x, track_times=False)
            f.create_dataset("labels", data=y, track_times=False)
        if split == "test":
            (d / "test_dataset.hdf5.gz").write_bytes(gz(path.read_bytes()))
            path.unlink()
        out[split] = {"labels": y.tolist(), "height": 8, "width": 8, "channels": 3, "pixels": b64(x)}
    return out


# ---------------------------------------------------------------- PNG / JPEG folder

def png_bytes(pixels, color_type, bit_depth, palette=None, trns=None, interlace=False):
    """A PNG of `pixels` (H x W x samples, values already at `bit_depth`), filter 0 per row."""
    h, w = pixels.shape[:2]
    samples = pixels.reshape(h, w, -1)

    def pack_rows(img):
        rows = []
        for row in img:
            if bit_depth == 16:
                raw = row.astype(">u2").tobytes()
            elif bit_depth == 8:
                raw = row.astype(np.uint8).tobytes()
            else:  # 1, 2, 4 bits, one sample per pixel
                bits = "".join(format(int(v), f"0{bit_depth}b") for v in row.reshape(-1))
                bits += "0" * (-len(bits) % 8)
                raw = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
            rows.append(b"\x00" + raw)
        return b"".join(rows)

    if interlace:
        passes = [(0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2), (1, 0, 2, 1)]
        raw = b"".join(pack_rows(samples[y0::dy, x0::dx]) for y0, x0, dy, dx in passes
                       if samples[y0::dy, x0::dx].size)
    else:
        raw = pack_rows(samples)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    body = chunk(b"IHDR", ihdr)
    if palette is not None:
        body += chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    if trns is not None:
        body += chunk(b"tRNS", trns)
    body += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def make_folder(rng):
    """Returns the expected samples of each split in reader order (classes, then files, sorted)."""
    root = FIXTURES / "folder"
    cases = {"train": {}, "test": {}}

    def add(split, cls, name, data, expected):
        path = root / split / cls / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        cases[split].setdefault(cls, []).append((name, expected))

    def u8(shape):
        return rng.integers(0, 256, shape, dtype=np.uint8)

    # Gray 8-bit, RGB 8-bit, RGBA (alpha dropped), Adam7-interlaced RGB.
    g = u8((7, 5))
    add("train", "cat", "a_gray8.png", png_bytes(g, 0, 8), g[..., None])
    rgb = u8((6, 9, 3))
    add("train", "cat", "b_rgb8.png", png_bytes(rgb, 2, 8), rgb)
    rgba = u8((5, 4, 4))
    add("train", "cat", "c_rgba8.png", png_bytes(rgba, 6, 8), rgba[..., :3])
    inter = u8((11, 10, 3))
    add("train", "cat", "d_interlaced.png", png_bytes(inter, 2, 8, interlace=True), inter)
    # 16-bit gray and RGBA: the high byte.
    g16 = rng.integers(0, 65536, (4, 6), dtype=np.uint16)
    add("train", "dog", "a_gray16.png", png_bytes(g16, 0, 16), (g16 >> 8).astype(np.uint8)[..., None])
    rgba16 = rng.integers(0, 65536, (3, 5, 4), dtype=np.uint16)
    add("train", "dog", "b_rgba16.png", png_bytes(rgba16, 6, 16), (rgba16[..., :3] >> 8).astype(np.uint8))
    # Gray + alpha, gray 2-bit (scaled: v * 255 / 3), palette 4-bit with transparency.
    ga = u8((5, 5, 2))
    add("train", "dog", "c_gray_alpha.png", png_bytes(ga, 4, 8), ga[..., :1])
    g2 = rng.integers(0, 4, (6, 7), dtype=np.uint8)
    add("train", "dog", "d_gray2.png", png_bytes(g2, 0, 2), (g2 * 85)[..., None])
    palette = u8((16, 3))
    idx = rng.integers(0, 16, (6, 5), dtype=np.uint8)
    add("train", "dog", "e_palette4.png", png_bytes(idx, 3, 4, palette=palette, trns=bytes(range(0, 160, 20))),
        palette[idx])
    # JPEGs (Pillow's encoder and decoder): RGB with 4:2:0 subsampling, gray, progressive.
    smooth = np.clip(np.add.outer(np.arange(16) * 12, np.arange(24) * 8)[..., None] + np.array([0, 40, 90]), 0, 255)
    photo = Image.fromarray(smooth.astype(np.uint8))
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=90)
    add("train", "cat", "e_photo.JPG", buf.getvalue(), np.array(Image.open(io.BytesIO(buf.getvalue()))))
    buf = io.BytesIO()
    photo.convert("L").save(buf, "JPEG", quality=85)
    add("test", "cat", "gray.jpeg", buf.getvalue(), np.array(Image.open(io.BytesIO(buf.getvalue())))[..., None])
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=75, progressive=True)
    add("test", "dog", "progressive.jpg", buf.getvalue(), np.array(Image.open(io.BytesIO(buf.getvalue()))))
    g1 = rng.integers(0, 2, (3, 9), dtype=np.uint8)
    add("test", "dog", "z_gray1.png", png_bytes(g1, 0, 1), (g1 * 255)[..., None])
    # Ignored: not an image extension, hidden.
    (root / "train" / "cat" / "notes.txt").write_text("not an image\n")
    (root / "train" / "dog" / ".hidden.png").write_bytes(b"not a png")

    bad = FIXTURES / "bad"
    bad.mkdir()
    buf = io.BytesIO()
    Image.fromarray(u8((8, 8, 3))).convert("CMYK").save(buf, "JPEG")
    (bad / "cmyk.jpg").write_bytes(buf.getvalue())

    out = {"classes": ["cat", "dog"]}
    for split, classes in cases.items():
        items = []
        for label, cls in enumerate(out["classes"]):
            for name, expected in sorted(classes.get(cls, [])):
                e = np.asarray(expected, dtype=np.uint8)
                items.append({"file": f"{split}/{cls}/{name}", "label": label, "height": e.shape[0],
                              "width": e.shape[1], "channels": e.shape[2], "pixels": b64(e)})
        out[split] = items
    return out


# ---------------------------------------------------------------- NPY

def make_npy(rng):
    out = {}
    d = FIXTURES / "npy"
    d.mkdir()
    train_x = rng.integers(0, 256, (5, 6, 7), dtype=np.uint8)
    train_y = np.array([0, 2, 1, 2, 0], dtype=np.int64)
    test_x = rng.integers(0, 256, (3, 6, 7, 3), dtype=np.uint8)
    test_y = np.array([1, 0, 3], dtype=np.int16)
    np.save(d / "train_images.npy", train_x)
    np.save(d / "train_labels.npy", train_y)
    np.save(d / "test_images.npy", test_x)
    np.save(d / "test_labels.npy", test_y)
    out["folder"] = {
        "classes": 4,
        "train": {"labels": train_y.tolist(), "height": 6, "width": 7, "channels": 1, "pixels": b64(train_x)},
        "test": {"labels": test_y.tolist(), "height": 6, "width": 7, "channels": 3, "pixels": b64(test_x)},
    }
    d = FIXTURES / "npy-pair"
    d.mkdir()
    x = rng.integers(0, 256, (4, 5, 5, 4), dtype=np.uint8)  # RGBA: alpha dropped
    y = np.array([1, 1, 0, 1], dtype=np.uint8)
    with open(d / "images.npy", "wb") as f:
        np.lib.format.write_array(f, x, version=(3, 0))
    with open(d / "labels.npy", "wb") as f:
        np.lib.format.write_array(f, y, version=(2, 0))
    out["pair"] = {"classes": 2, "train": {"labels": y.tolist(), "height": 5, "width": 5, "channels": 3,
                                           "pixels": b64(x[..., :3])}}
    return out


def main():
    if FIXTURES.exists():
        shutil.rmtree(FIXTURES)
    FIXTURES.mkdir(parents=True)
    rng = np.random.default_rng(20241002)
    expected = {
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "h5py": h5py.__version__,
                     "pillow": PIL.__version__},
        "idx": make_idx(rng),
        "cifar10": make_cifar(rng),
        "svhn": make_svhn(rng),
        "galaxymnist": make_galaxy(rng),
        "folder": make_folder(rng),
        "npy": make_npy(rng),
        "fashion_mnist": fashion_facts(),
    }
    (FIXTURES / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    total = sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file())
    print(f"wrote {FIXTURES} ({total} bytes)")


if __name__ == "__main__":
    main()
