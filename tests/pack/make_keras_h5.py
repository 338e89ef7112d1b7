# SPDX-License-Identifier: Apache-2.0
"""Writes Keras weight files with h5py, in the exact layouts Keras writes
(Keras itself is not installed), for tests/pack/hdf5_test.cc.

  OUTDIR/weights/weights.h5   model.save_weights('x.h5') (Keras 2 / tf.keras)
  OUTDIR/model/model.h5       legacy model.save('x.h5'): weights under /model_weights
  OUTDIR/keras/model.keras    Keras 3 archive, model.weights.h5 stored
  OUTDIR/keras/deflated.keras the same, deflated
  OUTDIR/bad/*                hostile files

Each good folder has expected.json ([{"name", "dtype", "shape", "file"}], in
the order the tfjs converter writes them) and N.raw (the C-order
little-endian bytes of each tensor).
"""
import json
import os
import sys
import zipfile

import h5py
import numpy as np

OUT = sys.argv[1]
rng = np.random.default_rng(7)


def names(*xs):
    # Keras's save_attributes_to_hdf5_group: np.asarray of bytes, an 'S' array
    # (and np.asarray([]), float64, for a layer without weights).
    return np.asarray([x.encode() for x in xs]) if xs else np.asarray([])


def write_expected(folder, tensors):
    exp = []
    for i, (name, arr) in enumerate(tensors):
        raw = f"{i}.raw"
        a = np.asarray(arr)
        a = a.astype(a.dtype.newbyteorder("<"), order="C")  # keeps a scalar's shape ()
        with open(os.path.join(folder, raw), "wb") as f:
            f.write(a.tobytes())
        exp.append({"name": name, "dtype": a.dtype.name, "shape": list(a.shape), "file": raw})
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(exp, f, indent=1)


# Layer name -> [(weight name, array, create_dataset options)], as Keras 2
# lists them in weight_names. A mix of dtypes and storage to cover the reader.
LAYERS = {
    "conv2d": [
        ("conv2d/kernel:0", rng.standard_normal((3, 3, 2, 4)).astype(np.float32),
         dict(chunks=(3, 3, 1, 2), compression="gzip", shuffle=True)),
        ("conv2d/bias:0", rng.standard_normal(4).astype(">f4"), {}),
    ],
    "batch_normalization": [
        ("batch_normalization/gamma:0", rng.standard_normal(4).astype(np.float16), {}),
        ("batch_normalization/beta:0", rng.standard_normal(4), {}),  # float64
        ("batch_normalization/moving_mean:0", rng.standard_normal(4).astype(np.float32), {}),
        ("batch_normalization/moving_variance:0", rng.random(4).astype(np.float32), {}),
    ],
    "flatten": [],
    "dense": [
        ("dense/kernel:0", rng.standard_normal((16, 3)).astype(np.float32), {}),
        ("dense/bias:0", rng.standard_normal(3).astype(np.float32), dict(chunks=(2,), compression="gzip")),
        ("dense/mask:0", np.array([True, False, True]), {}),
        ("dense/step", np.array(123456789012, dtype=np.int64), {}),  # no ":0": kept as is
        ("dense/offsets:1", np.array([[-3, 7]], dtype=np.int8), {}),  # only ":0" is stripped
    ],
}
ORDER = ["conv2d", "batch_normalization", "flatten", "dense"]  # model.layers order


def write_layers(g, layers):
    g.attrs["layer_names"] = names(*ORDER)
    g.attrs["backend"] = b"tensorflow"
    g.attrs["keras_version"] = b"2.11.0"
    for layer in sorted(layers):  # Keras creates the groups sorted by name
        lg = g.create_group(layer)
        lg.attrs["weight_names"] = names(*[w for w, _, _ in layers[layer]])
        for w, arr, opts in layers[layer]:
            lg.create_dataset(w, data=arr, **opts)
    g.create_group("top_level_model_weights").attrs["weight_names"] = names()


def converter_tensors(layer_order):
    out = []
    for layer in layer_order:
        for w, arr, _ in LAYERS[layer]:
            out.append((w[:-2] if w.endswith(":0") else w, arr))
    return out


def mkdir(name):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    return d


# (1) save_weights: layer_names order.
d = mkdir("weights")
with h5py.File(os.path.join(d, "weights.h5"), "w") as f:
    write_layers(f, LAYERS)
write_expected(d, converter_tensors(ORDER))

# (2) legacy model.save: the converter walks /model_weights's members in
# h5py's order (by name), not layer_names; a member without weight_names
# is a namespace whose members are walked in turn.
d = mkdir("model")
encoder_kernel = rng.standard_normal((2, 2)).astype(np.float32)
with h5py.File(os.path.join(d, "model.h5"), "w") as f:
    f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {"name": "sequential"}}).encode()
    f.attrs["keras_version"] = b"2.11.0"
    f.attrs["backend"] = b"tensorflow"
    mw = f.create_group("model_weights")
    write_layers(mw, LAYERS)
    inner = mw.create_group("encoder").create_group("dense_1")
    inner.attrs["weight_names"] = names("encoder/dense_1/kernel:0")
    inner.create_dataset("encoder/dense_1/kernel:0", data=encoder_kernel)
tensors = []
for layer in ["batch_normalization", "conv2d", "dense", "encoder", "flatten"]:
    if layer == "encoder":
        tensors.append(("encoder/dense_1/kernel", encoder_kernel))
    else:
        tensors += converter_tensors([layer])
write_expected(d, tensors)

# (3) Keras 3 .keras: model.weights.h5 holds /layers/<name>/vars/<i>, nested
# models under /layers/<outer>/layers/<inner>, the optimizer under
# /optimizer (not model weights: skipped). The converter names a weight by
# its path from the root.
d = mkdir("keras")
k3 = {
    "layers/conv2d/vars/0": rng.standard_normal((3, 3, 1, 2)).astype(np.float32),
    "layers/conv2d/vars/1": rng.standard_normal(2).astype(np.float32),
    "layers/dense/vars/0": rng.standard_normal((8, 2)).astype(np.float32),
    "layers/dense/vars/1": rng.standard_normal(2).astype(np.float32),
    "layers/functional/layers/dense_1/vars/0": rng.standard_normal((2, 2)).astype(np.float16),
    "layers/functional/layers/dense_1/vars/1": np.arange(2, dtype=np.int32),
}
h5_path = os.path.join(d, "model.weights.h5")
with h5py.File(h5_path, "w") as f:
    f.create_group("vars")
    f.create_group("layers/flatten/vars")
    f.create_group("layers/input_layer/vars")
    for path, arr in k3.items():
        f.create_dataset(path, data=arr)
    f.create_dataset("optimizer/vars/0", data=np.array(10, dtype=np.int64))
    f.create_dataset("optimizer/vars/1", data=np.zeros((8, 2), dtype=np.float32))
with open(h5_path, "rb") as fh:
    h5_bytes = fh.read()  # also left as is: Keras 3's save_weights writes this file
config = json.dumps({"module": "keras", "class_name": "Sequential", "config": {"name": "sequential"}})
metadata = json.dumps({"keras_version": "3.3.3", "date_saved": "2024-05-01@12:00:00"})
for name, method in [("model.keras", zipfile.ZIP_STORED), ("deflated.keras", zipfile.ZIP_DEFLATED)]:
    with zipfile.ZipFile(os.path.join(d, name), "w", method) as z:
        z.writestr("metadata.json", metadata)
        z.writestr("config.json", config)
        z.writestr("model.weights.h5", h5_bytes)
write_expected(d, sorted(k3.items()))

# Hostile files.
d = mkdir("bad")


def weights_file(name, make):
    with h5py.File(os.path.join(d, name), "w") as f:
        f.attrs["layer_names"] = names("dense")
        g = f.create_group("dense")
        make(g)


def string_ds(g):
    g.attrs["weight_names"] = names("dense/kernel:0")
    g.create_dataset("dense/kernel:0", data=np.array([b"ab", b"cd"]))


def compound_ds(g):
    g.attrs["weight_names"] = names("dense/kernel:0")
    g.create_dataset("dense/kernel:0", data=np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))


def missing_ds(g):
    g.attrs["weight_names"] = names("dense/kernel:0", "dense/bias:0")
    g.create_dataset("dense/kernel:0", data=np.zeros(2, dtype=np.float32))


def external_link(g):
    g.attrs["weight_names"] = names("dense/kernel:0")
    g["dense/kernel:0"] = h5py.ExternalLink("other.h5", "/kernel")


def external_storage(g):
    with open(os.path.join(d, "raw.bin"), "wb") as fh:
        fh.write(b"\0" * 16)
    g.attrs["weight_names"] = names("dense/kernel:0")
    g.create_dataset("dense/kernel:0", shape=(4,), dtype="<f4", external=[("raw.bin", 0, 16)])


def vlen_names(g):
    g.attrs["weight_names"] = np.array(["dense/kernel:0"], dtype=h5py.string_dtype())
    g.create_dataset("dense/kernel:0", data=np.arange(3, dtype=np.float32))


weights_file("string.h5", string_ds)
weights_file("compound.h5", compound_ds)
weights_file("missing.h5", missing_ds)
weights_file("external_link.h5", external_link)
weights_file("external_storage.h5", external_storage)
weights_file("vlen_names.h5", vlen_names)
with h5py.File(os.path.join(d, "other.h5"), "w") as f:
    f.create_dataset("kernel", data=np.zeros(2, dtype=np.float32))
with h5py.File(os.path.join(d, "no_layer_names.h5"), "w") as f:
    f.create_dataset("dense/kernel:0", data=np.zeros(2, dtype=np.float32))
with open(os.path.join(d, "not_hdf5.h5"), "wb") as fh:
    fh.write(b"this is not an HDF5 file\n" * 40)
with zipfile.ZipFile(os.path.join(d, "no_weights.keras"), "w") as z:
    z.writestr("metadata.json", metadata)
    z.writestr("config.json", config)
with zipfile.ZipFile(os.path.join(d, "not_hdf5.keras"), "w") as z:
    z.writestr("model.weights.h5", b"not hdf5 at all" * 10)


def short_chunk(g):
    # A gzip chunk that inflates to half a chunk: libhdf5 1.10 would copy a
    # whole chunk out of it, reading past its buffer.
    import zlib
    g.attrs["weight_names"] = names("dense/kernel:0")
    ds = g.create_dataset("dense/kernel:0", shape=(8,), dtype="<f4", chunks=(4,), compression="gzip")
    ds[...] = np.arange(8, dtype=np.float32)
    ds.id.write_direct_chunk((4,), zlib.compress(np.zeros(2, dtype="<f4").tobytes()))


def scaleoffset(g):
    g.attrs["weight_names"] = names("dense/kernel:0")
    g.create_dataset("dense/kernel:0", data=np.arange(10, dtype=np.float32), scaleoffset=4)


def null_space(g):
    g.attrs["weight_names"] = names("dense/kernel:0")
    g.create_dataset("dense/kernel:0", data=h5py.Empty("<f4"))


weights_file("short_chunk.h5", short_chunk)
weights_file("scaleoffset.h5", scaleoffset)
weights_file("null_space.h5", null_space)

# Names split over layer_names0, layer_names1 (Keras does this past 64 KiB).
with h5py.File(os.path.join(d, "split_names.h5"), "w") as f:
    f.attrs["layer_names0"] = names("b")
    f.attrs["layer_names1"] = names("a")
    for layer in ["a", "b"]:
        f.create_group(layer).attrs["weight_names"] = names(layer + "/w:0")
        f[layer].create_dataset(layer + "/w:0", data=np.zeros(1, dtype=np.float32))

# Keras 3 layouts made large by links: 24 levels of two hard links each
# (2^24 paths through 24 groups), and a soft link back to an ancestor.
with h5py.File(os.path.join(d, "dag.weights.h5"), "w") as f:
    below = f.create_group("layers/g24")
    for level in range(23, -1, -1):
        g = f.create_group(f"layers/g{level}")
        g["a"] = below
        g["b"] = below
        below = g
with h5py.File(os.path.join(d, "cycle.weights.h5"), "w") as f:
    f.create_group("layers/dense/vars")
    f["layers/dense/loop"] = h5py.SoftLink("/layers")
