# SPDX-License-Identifier: Apache-2.0
"""Writes the numpy and zip fixtures of tests/pack/{npy,zip}_test.cc into OUTDIR.

Arrays are written by numpy itself (np.save, np.savez, np.savez_compressed,
np.lib.format.write_array for the 2.0 and 3.0 formats); zips by Python's
zipfile, including one whose ZIP64 records and extra fields are forced by
lowering zipfile's limits. expected.json lists every array a reader must
find: {"source": file, "name", "dtype", "shape", "file": N.raw}, where N.raw
holds its C-order little-endian bytes.
"""
import io
import json
import os
import sys
import zipfile

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
expected = []


def path(name):
    return os.path.join(out, name)


def expect(source, name, arr):
    raw = f"{len(expected)}.raw"
    le = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("<")))
    with open(path(raw), "wb") as f:
        f.write(le.tobytes())
    expected.append({"source": source, "name": name, "dtype": le.dtype.name, "shape": list(arr.shape), "file": raw})


rng = np.random.default_rng(7)
arrays = {
    "f4": rng.standard_normal((3, 5)).astype("<f4"),
    "f8": rng.standard_normal((7,)).astype("<f8"),
    "f2": rng.standard_normal((2, 3, 4)).astype("<f2"),
    "i8": rng.integers(-2**62, 2**62, (4, 2), dtype="<i8"),
    "i4": rng.integers(-2**31, 2**31, (9,), dtype="<i4"),
    "i2": rng.integers(-2**15, 2**15, (3, 3), dtype="<i2"),
    "i1": rng.integers(-128, 128, (11,), dtype="|i1"),
    "u1": rng.integers(0, 256, (2, 7), dtype="|u1"),
    "u2": rng.integers(0, 2**16, (5,), dtype="<u2"),
    "u4": rng.integers(0, 2**32, (2, 2), dtype="<u4"),
    "u8": rng.integers(0, 2**63, (3,), dtype="<u8") * 2 + 1,
    "b1": rng.integers(0, 2, (4, 3)).astype("|b1"),
    "be_f4": rng.standard_normal((4, 3)).astype(">f4"),
    "be_i8": rng.integers(-2**62, 2**62, (5,), dtype="<i8").astype(">i8"),
    "be_u2": rng.integers(0, 2**16, (3, 2), dtype="<u2").astype(">u2"),
    "scalar": np.array(2.5, dtype="<f4"),
    "empty": np.zeros((0, 3), dtype="<f4"),
    "fortran": np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4)),
    "fortran_be": np.asfortranarray(rng.standard_normal((5, 3)).astype(">f8")),
    "fortran_odd": np.asfortranarray(rng.integers(0, 256, (3, 1, 7), dtype="|u1")),
}
assert not arrays["fortran"].flags.c_contiguous
for name, arr in arrays.items():
    np.save(path(name + ".npy"), arr)
    expect(name + ".npy", name, arr)

# The 2.0 and 3.0 formats (4-byte header length), written by numpy's own
# writer; np.save picks them only for huge or non-latin-1 headers.
for version in [(2, 0), (3, 0)]:
    name = f"v{version[0]}"
    arr = rng.standard_normal((2, 6)).astype("<f4")
    with open(path(name + ".npy"), "wb") as f:
        np.lib.format.write_array(f, arr, version=version)
    expect(name + ".npy", name, arr)

# Refused: object, string, complex and structured arrays.
np.save(path("object.npy"), np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
np.save(path("unicode.npy"), np.array(["ab", "c"]))
np.save(path("complex.npy"), np.array([1 + 2j], dtype="<c8"))
np.save(path("structured.npy"), np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")]))

# npz: positional (arr_0, arr_1) and keyword names, stored and deflated.
plain = {"w": arrays["f4"], "b": arrays["f8"], "big": arrays["be_f4"], "flags": arrays["b1"]}
np.savez(path("savez.npz"), arrays["i4"], arrays["u1"], **plain)
np.savez_compressed(path("savez_compressed.npz"), arrays["i2"], **plain, fortran=arrays["fortran"],
                    scalar=arrays["scalar"], empty=arrays["empty"])
for source, positional in [("savez.npz", [arrays["i4"], arrays["u1"]]),
                           ("savez_compressed.npz", [arrays["i2"]])]:
    for i, arr in enumerate(positional):
        expect(source, f"arr_{i}", arr)
    for name, arr in plain.items():
        expect(source, name, arr)
for name in ["fortran", "scalar", "empty"]:
    expect("savez_compressed.npz", name, arrays[name])

# An npz with a member that is not an array, and one whose .npy member is
# not an npy file.
with zipfile.ZipFile(path("not_array.npz"), "w") as z:
    with z.open("w.npy", "w") as f:
        np.lib.format.write_array(f, arrays["f4"])
    z.writestr("notes.txt", b"not an array")
with zipfile.ZipFile(path("bad_member.npz"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("w.npy", b"this is no npy file at all")

# Zips for tests/pack/zip_test.cc. Contents the test knows: "a.bin" is
# bytes 0..255 repeated 40 times, "b.txt" b"hello zip\n" * 1000, "empty" b"".
contents = {"a.bin": bytes(range(256)) * 40, "b.txt": b"hello zip\n" * 1000, "empty": b""}


def write_zip(name, compression, comment=b"", stream=None):
    target = stream if stream is not None else path(name)
    with zipfile.ZipFile(target, "w", compression) as z:
        z.comment = comment
        for member, data in contents.items():
            with z.open(member, "w", force_zip64=True) as f:
                f.write(data)
    if stream is not None:
        with open(path(name), "wb") as f:
            f.write(stream.getvalue())


class Unseekable(io.BytesIO):
    # zipfile then writes data descriptors after each member (flag bit 3)
    # and zero sizes in the local headers.
    def seekable(self):
        return False

    def seek(self, *args):
        raise io.UnsupportedOperation("seek")


write_zip("stored.zip", zipfile.ZIP_STORED)
write_zip("deflated.zip", zipfile.ZIP_DEFLATED, comment=b"a zip comment")
write_zip("descriptor.zip", zipfile.ZIP_DEFLATED, stream=Unseekable())
write_zip("bzip2.zip", zipfile.ZIP_BZIP2)
# ZIP64 everywhere: an end record and locator, and 64-bit sizes and offsets
# in the central headers' extra fields (zipfile writes them when values pass
# these limits, normally 2 GiB and 65535 members).
saved = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 1, 1
write_zip("zip64.zip", zipfile.ZIP_DEFLATED)
np.savez(path("savez_zip64.npz"), **plain)
zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = saved
with zipfile.ZipFile(path("many.zip"), "w") as z:
    for i in range(40):
        z.writestr(f"m{i}", b"")
for name, arr in plain.items():
    expect("savez_zip64.npz", name, arr)

with open(path("expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
