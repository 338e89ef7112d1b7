# SPDX-License-Identifier: Apache-2.0
"""Writes the safetensors fixtures of tests/pack/safetensors_test.cc into OUTDIR.

The safetensors package is not installed, so the files are written by hand,
byte for byte as its README's "Format" section specifies and as its
serializer lays them out: an 8-byte little-endian header length N, N bytes
of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]},
"__metadata__": {str: str}} padded with spaces to a multiple of 8, then the
tensors' little-endian bytes, sorted by decreasing alignment then name, with
offsets relative to the start of that buffer. expected.json lists every
tensor as make_numpy.py does ("source", "name", "dtype", "shape", "file").
"""
import json
import os
import struct
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
expected = []
rng = np.random.default_rng(11)


def bf16(values):
    # bfloat16 is the top half of a float32; round to nearest even as
    # torch does, so the values are real bfloat16 numbers.
    bits = np.asarray(values, dtype="<f4").view("<u4").astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype("<u2")


# name: (safetensors dtype, numpy dtype name for expected.json, array of
# the element bytes' numpy type)
tensors = {
    "model.embed.weight": ("F32", "float32", rng.standard_normal((4, 6)).astype("<f4")),
    "model.norm.weight": ("BF16", "bfloat16", bf16(rng.standard_normal((3, 5)))),
    "model.head.weight": ("F16", "float16", rng.standard_normal((2, 3)).astype("<f2")),
    "model.double": ("F64", "float64", rng.standard_normal((5,)).astype("<f8")),
    "position_ids": ("I64", "int64", np.arange(-3, 9, dtype="<i8").reshape(2, 6)),
    "counts32": ("I32", "int32", rng.integers(-2**31, 2**31, (7,), dtype="<i4")),
    "counts16": ("I16", "int16", rng.integers(-2**15, 2**15, (3, 1), dtype="<i2")),
    "counts8": ("I8", "int8", rng.integers(-128, 128, (9,), dtype="|i1")),
    "u64": ("U64", "uint64", rng.integers(0, 2**63, (2,), dtype="<u8") * 2 + 1),
    "u32": ("U32", "uint32", rng.integers(0, 2**32, (2, 2), dtype="<u4")),
    "u16": ("U16", "uint16", rng.integers(0, 2**16, (3,), dtype="<u2")),
    "pixels": ("U8", "uint8", rng.integers(0, 256, (2, 2, 3), dtype="|u1")),
    "mask": ("BOOL", "bool", rng.integers(0, 2, (3, 4)).astype("|b1")),
    "scalar": ("F32", "float32", np.array(0.5, dtype="<f4")),
    "empty": ("F32", "float32", np.zeros((0, 4), dtype="<f4")),
}


def write(file, entries, metadata=None):
    order = sorted(entries, key=lambda n: (-entries[n][2].dtype.itemsize, n))
    header, buffer = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in order:
        dtype, _, arr = entries[name]
        data = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [len(buffer), len(buffer) + len(data)]}
        buffer += data
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(out, file), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + buffer)
    return order


for name in write("model.safetensors", tensors, {"format": "pt", "note": "written by hand"}):
    _, dtype, arr = tensors[name]
    raw = f"{len(expected)}.raw"
    with open(os.path.join(out, raw), "wb") as f:
        f.write(np.ascontiguousarray(arr).tobytes())
    expected.append({"source": "model.safetensors", "name": name, "dtype": dtype, "shape": list(arr.shape), "file": raw})

# Valid files holding what tfjs cannot: 8-bit floats.
write("f8.safetensors", {"w": ("F8_E4M3", "", np.zeros((4,), dtype="|u1"))})

with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
