#!/usr/bin/env python3
"""Writes a synthetic float32 tfjs graph model for the perf benchmark.

Usage: bench/make_model.py OUT_DIR [--tensors 64] [--tensor-mib 16] [--shard-mib 4] [--seed 0]

OUT_DIR/model.json: format "graph-model", modelTopology {"node": []}, one
weightsManifest group with entries "layer{k}/kernel" (float32). Each tensor holds
tensor-mib MiB of N(0, 0.05) values from numpy.random.default_rng(seed); shape
[n/2048, 2048] when n is a multiple of 2048 (16 MiB gives [2048, 2048]), else [n].
The group's byte stream is cut into group1-shard{i}of{N}.bin files of shard-mib
MiB (spec 1.4). Tensors are generated and written one at a time, so memory stays
around one tensor. The defaults give 1 GiB in 256 shards.
"""
import argparse
import json
import os

import numpy as np

MIB = 1 << 20


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--tensors", type=int, default=64)
    ap.add_argument("--tensor-mib", type=float, default=16)
    ap.add_argument("--shard-mib", type=float, default=4)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    n = int(a.tensor_mib * MIB) // 4
    shard = int(a.shard_mib * MIB)
    if a.tensors < 1 or n < 1 or shard < 1:
        ap.error("--tensors, --tensor-mib and --shard-mib must be positive")
    shape = [n // 2048, 2048] if n % 2048 == 0 else [n]
    total = a.tensors * n * 4
    nshards = -(-total // shard)
    paths = [f"group1-shard{i + 1}of{nshards}.bin" for i in range(nshards)]

    os.makedirs(a.out_dir, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    idx, fill, f = 0, 0, None  # current shard, bytes in it, open file
    for k in range(a.tensors):
        data = rng.normal(0.0, 0.05, n).astype("<f4").tobytes()
        pos = 0
        while pos < len(data):
            if f is None:
                f = open(os.path.join(a.out_dir, paths[idx]), "wb")
            take = min(shard - fill, len(data) - pos)
            f.write(data[pos:pos + take])
            pos += take
            fill += take
            if fill == shard:
                f.close()
                f, fill, idx = None, 0, idx + 1
    if f is not None:
        f.close()

    model = {
        "format": "graph-model",
        "generatedBy": "bench/make_model.py",
        "convertedBy": None,
        "modelTopology": {"node": []},
        "weightsManifest": [{
            "paths": paths,
            "weights": [{"name": f"layer{k}/kernel", "shape": shape, "dtype": "float32"}
                        for k in range(a.tensors)],
        }],
    }
    with open(os.path.join(a.out_dir, "model.json"), "w") as fj:
        json.dump(model, fj)
    print(f"{a.out_dir}: {a.tensors} x {shape} float32, {total} bytes in {nshards} shards")


if __name__ == "__main__":
    main()
