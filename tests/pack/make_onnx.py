# SPDX-License-Identifier: Apache-2.0
# Writes the ONNX fixtures of tests/pack/onnx_test.cc into OUTDIR with the
# real onnx package, and for each tensor the expected values:
#   model.onnx          a Conv + Gemm graph; initializers in raw_data and in
#                       typed fields; expected.json + N.raw
#   ext/model.onnx      the same saved with external data in ext/weights.bin;
#                       ext/expected.json + ext/N.raw
#   ext/up.onnx, ext/abs.onnx   external locations "../weights.bin", "/etc/passwd"
#   ext/missing.onnx    an external location that does not exist
#   ext/short.onnx      an external length beyond the end of weights.bin
#   baddims.onnx        dims that disagree with raw_data's size
#   string.onnx         a STRING initializer
#   subgraph.onnx       an If node whose branch has its own initializer
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "ext"), exist_ok=True)
rng = np.random.default_rng(7)


def raw_init(name, arr):
    return numpy_helper.from_array(arr, name)


def conv_gemm_model(inits):
    nodes = [
        helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Flatten", ["c"], ["f"]),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "conv_gemm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model


arrays = [
    ("conv.weight", rng.standard_normal((4, 3, 3, 3)).astype(np.float32)),
    ("conv.bias", rng.standard_normal(4).astype(np.float32)),
    ("fc.weight", rng.standard_normal((5, 64)).astype(np.float32)),
    ("fc.bias", rng.standard_normal(5).astype(np.float32)),
    ("raw.f64", rng.standard_normal((2, 3))),
    ("raw.i64", np.array([-3, 0, 1 << 40, -(1 << 62), 7], dtype=np.int64)),
    ("raw.i8", rng.integers(-128, 128, (3, 4)).astype(np.int8)),
    ("raw.f16", rng.standard_normal((2, 2)).astype(np.float16)),
    ("raw.bool", np.array([True, False, True, True, False, False])),
    ("raw.u8", np.arange(250, 256, dtype=np.uint8)),
    ("raw.i16", np.array([-32768, 0, 32767], dtype=np.int16)),
    ("raw.u16", np.array([0, 65535], dtype=np.uint16)),
    ("raw.i32", np.array([[-(1 << 31), 5], [6, (1 << 31) - 1]], dtype=np.int32)),
    ("raw.u32", np.array([0, 1 << 31, (1 << 32) - 1], dtype=np.uint32)),
    ("raw.u64", np.array([(1 << 64) - 1, 3], dtype=np.uint64)),
    ("raw.scalar", np.array(2.5, dtype=np.float32)),
    ("raw.empty", np.zeros((0, 3), dtype=np.float32)),
]
raw_inits = [raw_init(n, a) for n, a in arrays]

typed_inits = [
    helper.make_tensor("typed.f32", TensorProto.FLOAT, [2, 3], [1.5, -2, 3.25, 0, 1e-3, -7]),
    helper.make_tensor("typed.i8", TensorProto.INT8, [4], [-128, -1, 0, 127]),
    helper.make_tensor("typed.f16", TensorProto.FLOAT16, [3], [1.0, -2.5, 65504.0]),
    helper.make_tensor("typed.bf16", TensorProto.BFLOAT16, [2], [1.0, -3.5]),
    helper.make_tensor("typed.bool", TensorProto.BOOL, [3], [True, False, True]),
    helper.make_tensor("typed.u16", TensorProto.UINT16, [2], [0, 65535]),
    helper.make_tensor("typed.i32", TensorProto.INT32, [3], [-(1 << 31), -1, (1 << 31) - 1]),
    helper.make_tensor("typed.i64", TensorProto.INT64, [3], [-5, 1 << 50, -(1 << 63)]),
    helper.make_tensor("typed.f64", TensorProto.DOUBLE, [2], [np.pi, -1e300]),
    helper.make_tensor("typed.u32", TensorProto.UINT32, [2], [0, (1 << 32) - 1]),
    helper.make_tensor("typed.u64", TensorProto.UINT64, [2], [(1 << 64) - 1, 9]),
]


def expected_bytes(t):
    if t.data_type == TensorProto.BFLOAT16:
        if t.HasField("raw_data"):
            return t.raw_data
        return np.array(t.int32_data, dtype=np.uint16).astype("<u2").tobytes()
    a = numpy_helper.to_array(t)
    return a.astype(a.dtype.newbyteorder("<")).tobytes()


def dtype_name(t):
    if t.data_type == TensorProto.BFLOAT16:
        return "bfloat16"
    return str(numpy_helper.to_array(t).dtype)


def write_expected(folder, inits):
    entries = []
    for i, t in enumerate(inits):
        with open(os.path.join(folder, "%d.raw" % i), "wb") as f:
            f.write(expected_bytes(t))
        entries.append({"name": t.name, "dtype": dtype_name(t), "shape": list(t.dims), "file": "%d.raw" % i})
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(entries, f)


inits = raw_inits + typed_inits
write_expected(out, inits)
model = conv_gemm_model(inits)
onnx.save_model(model, os.path.join(out, "model.onnx"))

# External data: every raw_data tensor moves to ext/weights.bin; typed
# fields stay in the model.
ext_model = conv_gemm_model([raw_init(n, a) for n, a in arrays] + list(typed_inits))
write_expected(os.path.join(out, "ext"), ext_model.graph.initializer)
onnx.save_model(ext_model, os.path.join(out, "ext", "model.onnx"), save_as_external_data=True,
                all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
assert os.path.getsize(os.path.join(out, "ext", "weights.bin")) > 0
# A file that "../weights.bin" from ext/ would reach inside the source.
with open(os.path.join(out, "weights.bin"), "wb") as f:
    f.write(b"\0" * 4096)


def patched(name, key, value):
    m = onnx.load(os.path.join(out, "ext", "model.onnx"), load_external_data=False)
    t = m.graph.initializer[0]
    assert t.data_location == TensorProto.EXTERNAL
    for e in t.external_data:
        if e.key == key:
            e.value = value
    # Serialized directly: save_model would write external data files.
    with open(os.path.join(out, "ext", name), "wb") as f:
        f.write(m.SerializeToString())


patched("up.onnx", "location", "../weights.bin")
patched("abs.onnx", "location", "/etc/passwd")
patched("missing.onnx", "location", "nothere.bin")
patched("short.onnx", "length", str(1 << 20))

bad = raw_init("bad", np.zeros((2, 3), dtype=np.float32))
bad.dims[1] = 4
onnx.save_model(conv_gemm_model(raw_inits + [bad]), os.path.join(out, "baddims.onnx"))

strings = helper.make_tensor("words", TensorProto.STRING, [2], [b"a", b"b"])
onnx.save_model(conv_gemm_model(raw_inits[:4] + [strings]), os.path.join(out, "string.onnx"))

# A subgraph's initializers belong to the If node, not to the model.
branch = helper.make_graph(
    [helper.make_node("Identity", ["inner"], ["o"])], "branch", [],
    [helper.make_tensor_value_info("o", TensorProto.FLOAT, [1])],
    initializer=[raw_init("inner", np.ones(1, dtype=np.float32))])
sub_graph = helper.make_graph(
    [helper.make_node("If", ["cond"], ["o"], then_branch=branch, else_branch=branch)], "outer",
    [helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
    [helper.make_tensor_value_info("o", TensorProto.FLOAT, [1])],
    initializer=[raw_init("outer.w", np.arange(3, dtype=np.float32))])
onnx.save_model(helper.make_model(sub_graph, opset_imports=[helper.make_opsetid("", 13)]),
                os.path.join(out, "subgraph.onnx"))
