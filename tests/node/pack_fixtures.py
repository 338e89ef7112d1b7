# SPDX-License-Identifier: Apache-2.0
"""Writes the inputs of tests/node/pack.test.mjs into OUTDIR with the real
writers (torch.save, np.save, np.savez, np.savez_compressed, h5py in the
Keras 2 save_weights layout, onnx) and a safetensors file written by hand
as the format specifies, plus OUTDIR/expected.json:

  {"files": {FILE: [{"name", "source_dtype", "shape", "dtype", "data"}]},
   "port": {"input": {...}, "output": {...}}, "marker": PATH}

"name" is the name pack gives the tensor, "shape" the writer's shape,
"dtype" the tfjs dtype (float32, int32 or bool) and "data" the base64 of
the C-order little-endian bytes of the writer's values converted to it by
numpy/torch (astype(float32), astype(int32), bfloat16 .float()). Nothing is
transposed here: the test permutes what it asked pack to permute.

Run: /usr/bin/python3 tests/node/pack_fixtures.py OUTDIR
"""
import base64
import json
import os
import shlex
import struct
import sys

import h5py
import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
files = {}
rng = np.random.default_rng(5)


def path(*parts):
    return os.path.join(OUT, *parts)


def to_numpy(t):
    """A torch tensor or numpy array as numpy, bfloat16 widened by torch."""
    if isinstance(t, torch.Tensor):
        t = t.detach().contiguous()
        if t.dtype == torch.bfloat16:
            return t.float().numpy(), "bfloat16"
        a = t.numpy()
        return a, a.dtype.name
    a = np.asarray(t)
    return a, a.dtype.name


def tfjs_bytes(a):
    """The writer's values as tfjs stores them: float32, int32 or bool."""
    if a.dtype == np.bool_:
        return "bool", np.ascontiguousarray(a).astype("|b1").tobytes()
    if np.issubdtype(a.dtype, np.floating):
        with np.errstate(over="ignore"):  # float64 beyond float32 becomes inf, as numpy rounds
            return "float32", np.ascontiguousarray(a).astype("<f4").tobytes()
    b = np.ascontiguousarray(a).astype(np.int64)
    assert b.min(initial=0) >= -2**31 and b.max(initial=0) < 2**31
    return "int32", b.astype("<i4").tobytes()


def expect(file, name, t):
    a, source_dtype = to_numpy(t)
    dtype, data = tfjs_bytes(a)
    files.setdefault(file, []).append({
        "name": name, "source_dtype": source_dtype, "shape": list(a.shape), "dtype": dtype,
        "data": base64.b64encode(data).decode()})


def b64f32(t):
    a = t.detach().contiguous().numpy().astype("<f4")
    return {"shape": list(a.shape), "data": base64.b64encode(a.tobytes()).decode()}


# --- PyTorch ---------------------------------------------------------------------
torch.manual_seed(3)


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3)
        self.bn1 = nn.BatchNorm2d(4)
        self.dw = nn.Conv2d(4, 4, 3, groups=4)  # depthwise: [4, 1, 3, 3]
        self.conv1d = nn.Conv1d(2, 3, 5)
        self.fc = nn.Linear(16, 5)


net = ConvNet()
with torch.no_grad():
    net.bn1.weight.uniform_(0.5, 1.5)
    net.bn1.bias.uniform_(-1, 1)
    net.bn1.running_mean.uniform_(-1, 1)
    net.bn1.running_var.uniform_(0.5, 2)
    net.bn1.num_batches_tracked.fill_(11)
sd = net.state_dict()
torch.save(sd, path("convnet.pt"))
for name, t in sd.items():
    expect("convnet.pt", name, t)

extras = {
    "double": torch.randn(3, 5, dtype=torch.float64) * 1e3,
    "ids": torch.tensor([[-(2**31), -3, 0], [7, 2**31 - 1, 42]], dtype=torch.int64),
    "bf16": torch.randn(2, 4).bfloat16(),
    "half": torch.randn(6).half(),
    "mask": torch.tensor([True, False, False, True]),
    "u8": torch.tensor([0, 1, 200, 255], dtype=torch.uint8),
    "i8": torch.tensor([-128, -1, 0, 127], dtype=torch.int8),
}
# Values at the edges of float32 and float16: float64 overflowing to inf,
# underflowing to a subnormal or to zero; float16 subnormals, -0 and inf.
extras["double"][0] = torch.tensor([1e300, -1e300, 1.401298464324817e-45, -1e-300, 3.4028235677973366e38],
                                   dtype=torch.float64)
extras["half"][:] = torch.tensor([65504.0, -0.0, 5.960464477539063e-08, -6.1e-05, float("inf"), 1.0]).half()
# A separate checkpoint: a dict whose "state_dict" holds the tensors.
torch.save({"epoch": 5, "note": "extras", "state_dict": extras}, path("extras.pt"))
for name, t in extras.items():
    expect("extras.pt", name, t)


class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + shlex.quote(path("MARKER")),))


# Pickling Evil only records the call; nothing here runs it.
torch.save({"w": torch.zeros(2), "evil": Evil()}, path("evil.pt"))

# --- numpy ------------------------------------------------------------------------
single = rng.standard_normal((2, 3, 4)).astype(np.float32)
np.save(path("single.npy"), single)
expect("single.npy", "single", single)

fortran = np.asfortranarray(rng.standard_normal((3, 4)))  # float64, fortran_order True
assert fortran.flags.f_contiguous and not fortran.flags.c_contiguous
np.save(path("fortran.npy"), fortran)
expect("fortran.npy", "fortran", fortran)

arrays = {
    "weight": rng.standard_normal((4, 5)).astype(np.float32),
    "ids": np.array([-5, 0, 5, 2**31 - 1], dtype=np.int64),
    "mask": np.array([[True, False], [False, True]]),
    "half": rng.standard_normal((3, 3)).astype(np.float16),
    "small": np.array([-128, 0, 127], dtype=np.int8),
    "u16": np.array([0, 65535, 300], dtype=np.uint16),
}
np.savez(path("arrays.npz"), **arrays)
np.savez_compressed(path("arrays_c.npz"), **arrays)
for file in ["arrays.npz", "arrays_c.npz"]:
    for name, a in arrays.items():
        expect(file, name, a)

# --- Keras 2 save_weights (.h5) ------------------------------------------------------


def names(*xs):
    return np.asarray([x.encode() for x in xs]) if xs else np.asarray([])


keras_layers = {
    "conv2d": [("conv2d/kernel:0", rng.standard_normal((3, 3, 2, 4)).astype(np.float32)),
               ("conv2d/bias:0", rng.standard_normal(4).astype(np.float32))],
    "flatten": [],
    "dense": [("dense/kernel:0", rng.standard_normal((8, 3)).astype(np.float32)),
              ("dense/bias:0", rng.standard_normal(3))],  # float64
}
with h5py.File(path("weights.h5"), "w") as f:
    f.attrs["layer_names"] = names("conv2d", "flatten", "dense")
    f.attrs["backend"] = b"tensorflow"
    f.attrs["keras_version"] = b"2.11.0"
    for layer in sorted(keras_layers):
        g = f.create_group(layer)
        g.attrs["weight_names"] = names(*[w for w, _ in keras_layers[layer]])
        for w, a in keras_layers[layer]:
            g.create_dataset(w, data=a)
for layer in ["conv2d", "flatten", "dense"]:
    for w, a in keras_layers[layer]:
        expect("weights.h5", w[:-2], a)  # the converter drops ":0"

# --- ONNX ------------------------------------------------------------------------------
onnx_arrays = {
    "conv.weight": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
    "conv.bias": rng.standard_normal(4).astype(np.float32),
    "fc.weight": rng.standard_normal((5, 16)).astype(np.float32),
    "fc.bias": rng.standard_normal(5).astype(np.float32),
    "shape": np.array([1, -1], dtype=np.int64),
}
inits = [numpy_helper.from_array(a, n) for n, a in onnx_arrays.items()]
typed = [1.5, -2.0, 3.25, 1e-3]
inits.append(helper.make_tensor("scale", TensorProto.FLOAT, [2, 2], typed))  # float_data, not raw_data
graph = helper.make_graph(
    [helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"]),
     helper.make_node("Reshape", ["c", "shape"], ["f"]),
     helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], transB=1)],
    "net", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])], initializer=inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save(model, path("model.onnx"))
for name, a in onnx_arrays.items():
    expect("model.onnx", name, a)
expect("model.onnx", "scale", np.array(typed, dtype=np.float32).reshape(2, 2))

# --- safetensors, by hand --------------------------------------------------------------
# 8-byte little-endian header length N, N bytes of JSON {name: {"dtype",
# "shape", "data_offsets": [begin, end]}} padded with spaces to a multiple
# of 8, then the data; offsets are relative to the end of the header.
bf = torch.randn(3, 2).bfloat16()


def le(name, dt, a):
    return (name, dt, a.tobytes(), a.shape, a)


st = [  # (name, safetensors dtype, little-endian bytes, shape, the values)
    le("encoder.weight", "F32", rng.standard_normal((3, 4)).astype("<f4")),
    ("encoder.norm", "BF16", bf.view(torch.int16).numpy().astype("<i2").tobytes(), tuple(bf.shape), bf),
    le("head.half", "F16", rng.standard_normal(5).astype("<f2")),
    le("head.double", "F64", rng.standard_normal((2, 2)).astype("<f8")),
    le("position_ids", "I64", np.arange(-2, 4, dtype="<i8").reshape(1, 6)),
    le("mask", "BOOL", np.array([True, False, True])),
    le("pixels", "U8", np.array([[0, 128], [255, 7]], dtype="|u1")),
]
header, data = {"__metadata__": {"format": "pt"}}, b""
for name, dt, raw, shape, _ in st:
    header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [len(data), len(data) + len(raw)]}
    data += raw
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
with open(path("hand.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + data)
for name, _, _, _, values in st:
    expect("hand.safetensors", name, values)

# Truncated: the header length points far beyond the end of the file.
with open(path("truncated.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", 1 << 20) + b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}')

# --- the end-to-end port ----------------------------------------------------------------
os.makedirs(path("port"), exist_ok=True)
torch.manual_seed(0)
port = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
    nn.Conv2d(8, 4, 3, stride=2, padding=1), nn.ReLU(),
    nn.Flatten(), nn.Linear(4 * 4 * 4, 10))
port.eval()
x = torch.randn(1, 3, 8, 8)
with torch.no_grad():
    y = port(x)
torch.save(port.state_dict(), path("port", "net.pt"))

with open(path("expected.json"), "w") as f:
    json.dump({"files": files, "port": {"input": b64f32(x), "output": b64f32(y)}, "marker": path("MARKER")}, f)
