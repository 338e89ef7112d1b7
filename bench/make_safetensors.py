#!/usr/bin/env python3
"""A large safetensors file for bench/pack.sh, written by hand from the
published format (8-byte little-endian header length, JSON header, data):
TENSORS float32 tensors of [2048, 2048] (16 MiB each), N(0, 0.05), seeded.

Usage: bench/make_safetensors.py OUT.safetensors [--tensors 64] [--seed 0]
"""
import argparse
import json
import struct

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--tensors", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    shape = [2048, 2048]
    size = shape[0] * shape[1] * 4
    header = {f"layer{i}.weight": {"dtype": "F32", "shape": shape, "data_offsets": [i * size, (i + 1) * size]}
              for i in range(a.tensors)}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(a.out, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _ in range(a.tensors):
            f.write((rng.standard_normal(shape, dtype=np.float32) * np.float32(0.05)).astype("<f4").tobytes())


if __name__ == "__main__":
    main()
