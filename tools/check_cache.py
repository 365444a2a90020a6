#!/usr/bin/env python3
"""Open a csd feature cache with h5py, print its layout and check it against schema version 1.

Usage: python3 tools/check_cache.py CACHE.h5 [...]
Requires: h5py==3.16.0 numpy (tools/requirements.txt). Exits 1 if any file breaks the schema.
The schema is documented in Sources/CSDFeatureStore/CacheSchema.swift.
"""
import json
import sys

import h5py
import numpy as np

ROOT_STRINGS = ["model_id", "weights_sha256", "token", "preprocessing", "dataset_id",
                "dataset_fingerprint", "tool_version", "dtype"]
ROOT_INTS = ["schema_version", "feature_dim"]
SHARD_ATTRS = ["row_range_start", "row_range_end"]


def describe(name, obj):
    if isinstance(obj, h5py.Dataset):
        chunks = obj.chunks
        chunk_bytes = int(np.prod(chunks)) * obj.dtype.itemsize if chunks else None
        print(f"  /{name}: dataset {obj.dtype} {obj.shape} chunks={chunks} ({chunk_bytes} B) "
              f"maxshape={obj.maxshape} compression={obj.compression}")
    else:
        print(f"  /{name}: group")
    for key, value in obj.attrs.items():
        print(f"      @{key} = {value!r}")


def check(path):
    errors = []

    def need(condition, message):
        if not condition:
            errors.append(message)

    with h5py.File(path, "r") as f:
        print(f"{path}")
        for key, value in f.attrs.items():
            print(f"  @{key} = {value!r}")
        f.visititems(describe)

        attrs = f.attrs
        for key in ROOT_INTS:
            need(key in attrs and np.issubdtype(np.asarray(attrs[key]).dtype, np.integer),
                 f"root attribute {key} must be an integer")
        for key in ROOT_STRINGS:
            need(key in attrs and isinstance(attrs[key], str), f"root attribute {key} must be a str")
        if errors:
            return errors
        need(int(attrs["schema_version"]) == 1, "schema_version must be 1")
        need(attrs["dtype"] in ("f32", "f16"), "dtype must be f32 or f16")
        try:
            json.loads(attrs["preprocessing"])
        except ValueError as e:
            errors.append(f"preprocessing is not JSON: {e}")
        dim = int(attrs["feature_dim"])
        want = np.float32 if attrs["dtype"] == "f32" else np.float16

        for split, group in f.items():
            need(isinstance(group, h5py.Group), f"/{split} must be a group")
            if not isinstance(group, h5py.Group):
                continue
            g = group.attrs
            for key in ["rows", "committed_rows"]:
                need(key in g and np.issubdtype(np.asarray(g[key]).dtype, np.integer), f"/{split}@{key} must be an integer")
            names = g.get("class_names")
            need(names is not None and all(isinstance(s, str) for s in names), f"/{split}@class_names must be str[]")
            shard = "row_range_start" in g
            need(shard == ("row_range_end" in g), f"/{split}: row_range_start/end come together")
            if errors:
                continue
            n = int(g["committed_rows"])
            expected = int(g["row_range_end"]) - int(g["row_range_start"]) if shard else int(g["rows"])
            need(n == expected, f"/{split}: committed_rows {n} != {expected} (incomplete)")
            for name, dtype, shape in [("features", want, (n, dim)), ("labels", np.int64, (n,)), ("index", np.int64, (n,))]:
                d = group.get(name)
                need(isinstance(d, h5py.Dataset), f"/{split}/{name} missing")
                if isinstance(d, h5py.Dataset):
                    need(d.dtype == dtype, f"/{split}/{name} is {d.dtype}, expected {np.dtype(dtype)}")
                    need(d.shape == shape, f"/{split}/{name} has shape {d.shape}, expected {shape}")
                    need(d.maxshape[0] is None, f"/{split}/{name} must be extendible along axis 0")
                    if d.chunks:
                        need(int(np.prod(d.chunks)) * d.dtype.itemsize <= 1 << 20, f"/{split}/{name} chunk over 1 MiB")
            if "attributes" in group:
                for name, d in group["attributes"].items():
                    need(d.dtype == np.float32 and d.shape == (n,), f"/{split}/attributes/{name} must be float32 [{n}]")
            if "features" in group and n > 0:
                x = group["features"][...]
                need(np.isfinite(x).all(), f"/{split}/features has non-finite values")
                labels = group["labels"][...]
                need(labels.min() >= 0 and (len(names) == 0 or labels.max() < len(names)), f"/{split}/labels out of range")
                print(f"  {split}: features mean {float(x.astype(np.float64).mean()):.6f}, "
                      f"labels {np.bincount(labels).tolist()}, index {int(group['index'][0])}..{int(group['index'][-1])}")
    return errors


def main(paths):
    if not paths:
        print(__doc__)
        return 2
    failed = False
    for path in paths:
        errors = check(path)
        for e in errors:
            print(f"  SCHEMA ERROR: {e}")
        print(f"  {'OK' if not errors else 'FAILED'}")
        failed |= bool(errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
