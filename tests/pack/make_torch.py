# SPDX-License-Identifier: Apache-2.0
"""Writes the PyTorch fixtures of tests/pack/torch_test.cc into OUTDIR with
the real torch.save, and for each tensor a reader must find its expected
values: expected.json = [{"source", "name", "dtype", "shape", "file": N.raw}],
N.raw holding the C-order little-endian bytes.

  make_torch.py OUTDIR [READDIR]

READDIR (default OUTDIR) is the folder the tests read the files from, when
OUTDIR is renamed to it afterwards (tests/pack/fixtures.h does): the MARKER
of the evil pickles is named in it.

  convnet.pt      a small conv net's state_dict (Conv2d, BatchNorm2d with its
                  int64 num_batches_tracked, Linear)
  dtypes.pt       a dict of float64, float16, bfloat16, int64, int32, int16,
                  int8, uint8 and bool tensors
  checkpoint.pt   {"epoch", "model_state_dict", "optimizer_state_dict", ...}:
                  only the model's tensors are expected
  views.pt        a transposed parameter, slices sharing one storage, a
                  stepped slice, an expand, nested dicts, lists and tuples
  proto4.pt       convnet's state_dict saved with pickle protocol 4
  deflated.pt     convnet.pt's members deflated, in archive "deflated/"
  scalar.pt       torch.save of a lone 0-d tensor (named after the file)
  evil.pt         torch.save({"x": Evil()}), Evil.__reduce__ giving
                  (os.system, ("touch READDIR/MARKER",))
  evil_plain.pt   pickle.dumps(Evil()) (protocol 2) as archive/data.pkl of a zip
  evil_plain4.pt  the same with protocol 4 (STACK_GLOBAL)
  legacy.pt       the pre-1.6 format (_use_new_zipfile_serialization=False)

Nothing here unpickles Evil: pickling it only records the call.
"""
import json
import os
import pickle
import sys
import zipfile

import torch
import torch.nn as nn

out = sys.argv[1]
marker = os.path.join(sys.argv[2] if len(sys.argv) > 2 else out, "MARKER")
os.makedirs(out, exist_ok=True)
expected = []
torch.manual_seed(7)


def path(name):
    return os.path.join(out, name)


def raw_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()  # little-endian on every machine torch tests run on


DTYPE_NAMES = {
    torch.float64: "float64", torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16",
    torch.int64: "int64", torch.int32: "int32", torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8",
    torch.bool: "bool",
}


def expect(source, name, t):
    raw = f"{len(expected)}.raw"
    with open(path(raw), "wb") as f:
        f.write(raw_bytes(t))
    expected.append({"source": source, "name": name, "dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                     "file": raw})


def expect_all(source, tensors):
    for name, t in tensors.items():
        expect(source, name, t)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        return self.fc(torch.flatten(self.bn(self.conv(x)), 1))


net = Net()
with torch.no_grad():
    net.bn.running_mean.uniform_(-1, 1)
    net.bn.running_var.uniform_(0.5, 2)
    net.bn.num_batches_tracked.fill_(7)
sd = net.state_dict()
torch.save(sd, path("convnet.pt"))
expect_all("convnet.pt", sd)
saved = {k: v.clone() for k, v in sd.items()}  # sd follows the net, which the optimizer changes below

dtypes = {
    "f64": torch.randn(3, 2, dtype=torch.float64),
    "f16": torch.randn(5).half(),
    "bf16": torch.randn(2, 3).bfloat16(),
    "i64": torch.tensor([-(2**62), 5, 2**40], dtype=torch.int64),
    "i32": torch.tensor([[-7, 2**30], [3, 4]], dtype=torch.int32),
    "i16": torch.tensor([-300, 300], dtype=torch.int16),
    "i8": torch.tensor([-128, 127, 0], dtype=torch.int8),
    "u8": torch.tensor([0, 255, 17], dtype=torch.uint8),
    "b": torch.tensor([True, False, True, True]),
    "empty": torch.zeros(0, 3),
}
torch.save(dtypes, path("dtypes.pt"))
expect_all("dtypes.pt", dtypes)

opt = torch.optim.Adam(net.parameters(), lr=0.01)
net(torch.randn(2, 3, 4, 4)).sum().backward()
opt.step()
checkpoint = {"epoch": 3, "loss": 0.25, "note": "best", "model_state_dict": net.state_dict(),
              "optimizer_state_dict": opt.state_dict()}
torch.save(checkpoint, path("checkpoint.pt"))
expect_all("checkpoint.pt", checkpoint["model_state_dict"])

param = nn.Parameter(torch.randn(3, 4))
base = torch.arange(24, dtype=torch.float32)
grid = torch.randn(4, 6)
views = {
    "transposed": param.detach().t(),
    "head": base[:10],
    "tail": base[10:].view(2, 7),
    "stepped": grid[:, ::2],
    "expanded": torch.randn(3, 1).expand(3, 5),
    "nested": {"w": torch.ones(2), "layers": [torch.randn(2, 2), (torch.zeros(1), torch.tensor(9.0))],
               "meta": {"depth": 2}},
}
assert not views["transposed"].is_contiguous() and not views["stepped"].is_contiguous()
assert views["head"].storage().data_ptr() == views["tail"].storage().data_ptr()
torch.save(views, path("views.pt"))
for name in ["transposed", "head", "tail", "stepped", "expanded"]:
    expect("views.pt", name, views[name])
expect("views.pt", "nested.w", views["nested"]["w"])
expect("views.pt", "nested.layers.0", views["nested"]["layers"][0])
expect("views.pt", "nested.layers.1.0", views["nested"]["layers"][1][0])
expect("views.pt", "nested.layers.1.1", views["nested"]["layers"][1][1])

torch.save(sd, path("proto4.pt"), pickle_protocol=4)
expect_all("proto4.pt", sd)

# The same members deflated, under another archive name (torch itself
# stores them, but a repacked zip may not).
with zipfile.ZipFile(path("convnet.pt")) as src:
    with zipfile.ZipFile(path("deflated.pt"), "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename.replace("convnet/", "deflated/", 1), src.read(info))
assert torch.load(path("deflated.pt"))["fc.bias"].equal(saved["fc.bias"])
expect_all("deflated.pt", saved)

scalar = torch.tensor(2.5)
torch.save(scalar, path("scalar.pt"))
expect("scalar.pt", "scalar", scalar)


class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + marker,))


torch.save({"x": Evil()}, path("evil.pt"))
for name, protocol in [("evil_plain.pt", 2), ("evil_plain4.pt", 4)]:
    with zipfile.ZipFile(path(name), "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(Evil(), protocol=protocol))
        z.writestr("archive/version", "3\n")

torch.save({"w": torch.randn(2, 2)}, path("legacy.pt"), _use_new_zipfile_serialization=False)

assert not os.path.exists(marker)
with open(path("expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
