#!/usr/bin/env python3
"""Plain numpy quantizer: the perf benchmark's comparison point.

Usage: bench/numpy_quantize.py IN OUT_DIR --dtype uint8|uint16|float16

IN is a model folder holding model.json, or a model JSON file (weights beside it).
Every float32 weight is quantized to --dtype; other dtypes are copied unchanged.

This is tensorflowjs_converter's algorithm done the converter's way, not an
optimized implementation (docs: tfjs-weights-format.md sections 1.3, 1.4, 3.3, 3.4;
tensorflowjs quantization.py quantize_weights and write_weights.py):
  * read: each group's shard files are joined into one bytes buffer (as
    read_weights does) and every entry is an np.frombuffer view into it;
  * quantize: float64 min/max of the tensor; scale = (max - min) / qmax; nudge
    min so 0 is a code when min <= 0 <= max; q = np.round((x.clip(min, max') -
    min) / scale).astype(uint); min == max gives all zeros and scale 1.0;
    float16 is x.astype(np.float16);
  * write: the quantized entries' bytes are concatenated per group (no padding)
    and cut into group{g}-shard{i}of{N}.bin files of 4 MiB; the manifest entry
    gets "quantization": {"dtype","min","scale","original_dtype"} (uint8/uint16)
    or {"dtype": "float16", "original_dtype": "float32"}; model.json is written
    with json.dump defaults, like the converter.

Arithmetic of step "q = ...": the expression is the converter's own, so its
precision is whatever the installed numpy does (spec 3.3). numpy < 2 (Debian 12
ships 1.24) uses value-based casting: min, max' and scale are rounded to float32
and the clip, subtraction and division run in float32; this matches
`tfjs-quant quantize --arithmetic float32`. numpy >= 2 (NEP 50) promotes to
float64; that matches tfjs-quant's default `--arithmetic float64`. By default
(--arithmetic float64) the script computes the numpy >= 2 expression on any
numpy, promoting the data to float64 itself, so its bytes equal tfjs-quant's
default output; --arithmetic native keeps the installed numpy's own behaviour.
float16 does not depend on the numpy version. The script prints which applies
on stderr.
"""
import argparse
import json
import os
import sys

import numpy as np

SHARD_BYTES = 4 * 1024 * 1024
NP_DTYPES = {"float32": "<f4", "int32": "<i4", "bool": "|u1", "complex64": "<c8",
             "uint8": "|u1", "uint16": "<u2", "float16": "<f2"}


def numpy_major():
    return int(np.__version__.split(".")[0])


def entry_nbytes(entry, buf, offset):
    """Bytes taken by one (unquantized) manifest entry starting at offset."""
    size = int(np.prod(entry["shape"], dtype=np.int64))
    if entry["dtype"] == "string":  # per element: uint32 LE length, then the bytes
        pos = offset
        for _ in range(size):
            pos += 4 + int(np.frombuffer(buf, "<u4", 1, pos)[0])
        return pos - offset
    if "quantization" in entry:
        sys.exit(f"numpy_quantize: {entry['name']} is already quantized")
    return size * np.dtype(NP_DTYPES[entry["dtype"]]).itemsize


# --- tensorflowjs quantization.py, quantize_weights / _get_affine_quantization_range ---
def affine_range(min_val, max_val, quantization_dtype):
    quant_max = np.iinfo(quantization_dtype).max
    scale = (max_val - min_val) / quant_max
    if min_val <= 0 <= max_val:
        quantized_zero_point = (0 - min_val) / scale
        nudged_zero_point = np.round(quantized_zero_point)
        nudged_min = -nudged_zero_point * scale
        nudged_max = quant_max * scale + nudged_min
    else:
        nudged_min, nudged_max = min_val, max_val
    return scale, nudged_min, nudged_max


def quantize_weights(data, quantization_dtype, promote=False):
    if quantization_dtype in (np.uint8, np.uint16):
        min_val = data.min().astype(np.float64)
        max_val = data.max().astype(np.float64)
        if min_val == max_val:
            quantized_data = np.zeros_like(data, dtype=quantization_dtype)
            scale = 1.0
        else:
            scale, min_val, max_val = affine_range(min_val, max_val, quantization_dtype)
            # promote: what numpy >= 2 does by itself (NEP 50), spelled out so
            # that numpy 1.x computes the same float64 expression.
            x = data.astype(np.float64) if promote else data
            quantized_data = np.round(
                (x.clip(min_val, max_val) - min_val) / scale).astype(quantization_dtype)
        return quantized_data, {"min": float(min_val), "scale": float(scale)}
    return data.astype(np.float16), {}
# ---------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("out_dir")
    ap.add_argument("--dtype", required=True, choices=["uint8", "uint16", "float16"])
    ap.add_argument("--weight_shard_size_bytes", type=int, default=SHARD_BYTES)
    ap.add_argument("--arithmetic", choices=["float64", "native"], default="float64",
                    help="float64: numpy >= 2 arithmetic (the converter on TF >= 2.18, tfjs-quant's default), "
                         "forced on numpy 1.x too; native: whatever this numpy does")
    a = ap.parse_args()
    promote = a.arithmetic == "float64" and numpy_major() < 2
    qdtype = {"uint8": np.uint8, "uint16": np.uint16, "float16": np.float16}[a.dtype]
    if a.dtype != "float16":
        arith = "float64 (numpy >= 2)" if numpy_major() >= 2 or promote else "float32 (numpy < 2)"
        print(f"numpy_quantize: numpy {np.__version__}, {a.dtype} arithmetic {arith}",
              file=sys.stderr)

    json_path = a.input if os.path.isfile(a.input) else os.path.join(a.input, "model.json")
    base = os.path.dirname(json_path)
    with open(json_path) as f:
        model = json.load(f)

    # Read: every group's shards joined into one buffer (read_weights).
    buffers = []
    for group in model["weightsManifest"]:
        parts = []
        for p in group["paths"]:
            with open(os.path.join(base, p), "rb") as f:
                parts.append(f.read())
        buffers.append(b"".join(parts))
        del parts

    os.makedirs(a.out_dir, exist_ok=True)
    manifest = []
    for g, (group, buf) in enumerate(zip(model["weightsManifest"], buffers), start=1):
        chunks, weights, offset = [], [], 0
        for entry in group["weights"]:
            n = entry_nbytes(entry, buf, offset)
            out = {k: v for k, v in entry.items()}
            if entry["dtype"] == "float32":
                data = np.frombuffer(buf, "<f4", n // 4, offset).reshape(entry["shape"])
                q, meta = quantize_weights(data, qdtype, promote)
                quant = {"dtype": a.dtype}
                quant.update(meta)
                quant["original_dtype"] = "float32"
                out["quantization"] = quant
                chunks.append(q.tobytes())
            else:
                chunks.append(buf[offset:offset + n])
            weights.append(out)
            offset += n
        if offset != len(buf):
            sys.exit(f"numpy_quantize: group {g} holds {len(buf)} bytes, manifest needs {offset}")
        group_bytes = b"".join(chunks)
        del chunks
        size = a.weight_shard_size_bytes
        nshards = -(-len(group_bytes) // size)
        paths = [f"group{g}-shard{i + 1}of{nshards}.bin" for i in range(nshards)]
        for i, p in enumerate(paths):
            with open(os.path.join(a.out_dir, p), "wb") as f:
                f.write(group_bytes[i * size:(i + 1) * size])
        new_group = {"paths": paths, "weights": weights}
        new_group.update({k: v for k, v in group.items() if k not in new_group})
        manifest.append(new_group)
        del group_bytes

    model["weightsManifest"] = manifest
    with open(os.path.join(a.out_dir, "model.json"), "w") as f:
        json.dump(model, f)


if __name__ == "__main__":
    main()
