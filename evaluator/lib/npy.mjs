// Minimal NumPy .npy reader (format versions 1.0, 2.0, 3.0). Written by hand
// because the few npm readers are unmaintained or pull in dependencies, and
// the format is small: magic, version, header length, a Python-dict header,
// then raw C-order data.
//
// Returns { shape, dtype, data } where data is a plain JS number array
// (float64 precision) so the caller can convert to whatever the model input
// needs (float32 / int32 / bool).

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

// descr -> [bytes per element, reader(DataView, byteOffset) -> number]
const READERS = {
  '<f4': [4, (v, o) => v.getFloat32(o, true)],
  '<f8': [8, (v, o) => v.getFloat64(o, true)],
  '<i4': [4, (v, o) => v.getInt32(o, true)],
  '<i8': [8, (v, o) => Number(v.getBigInt64(o, true))],
  '|u1': [1, (v, o) => v.getUint8(o)],
  '|i1': [1, (v, o) => v.getInt8(o)],
  '<u2': [2, (v, o) => v.getUint16(o, true)],
  '<i2': [2, (v, o) => v.getInt16(o, true)],
  '|b1': [1, (v, o) => (v.getUint8(o) ? 1 : 0)],
};
// Single-byte types may also be written with '<' or '=' by some writers.
for (const t of ['u1', 'i1', 'b1']) {
  READERS['<' + t] = READERS['|' + t];
  READERS['=' + t] = READERS['|' + t];
}

export const SUPPORTED_NPY_DTYPES = ['<f4', '<f8', '<i4', '<i8', '|u1', '|i1', '<u2', '<i2', '|b1'];

/** Parses the Python dict literal of the header, e.g.
 *  {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), } */
function parseHeader(text, name) {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) {
    throw new Error(`${name}: malformed .npy header: ${text.trim()}`);
  }
  const dims = shape[1].split(',').map(s => s.trim()).filter(s => s.length > 0)
      .map(s => {
        const n = Number(s.replace(/L$/, ''));
        if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: bad .npy shape (${shape[1]})`);
        return n;
      });
  return { descr: descr[1], fortranOrder: fortran[1] === 'True', shape: dims };
}

/** Parses a .npy file held in a Buffer/Uint8Array. `name` is used in errors. */
export function parseNpy(bytes, name = '.npy file') {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (u8.length < 10 || MAGIC.some((b, i) => u8[i] !== b)) {
    throw new Error(`${name}: not a .npy file (bad magic)`);
  }
  const major = u8[6];
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  let headerLen, headerStart;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (u8.length < 12) throw new Error(`${name}: truncated .npy header`);
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new Error(`${name}: unsupported .npy format version ${major}.${u8[7]} (supported: 1.0, 2.0, 3.0)`);
  }
  if (headerStart + headerLen > u8.length) throw new Error(`${name}: truncated .npy header`);
  // v3 allows UTF-8 in the header; v1/v2 are latin1 (ASCII in practice).
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1')
      .decode(u8.subarray(headerStart, headerStart + headerLen));
  const h = parseHeader(headerText, name);
  if (h.fortranOrder) {
    throw new Error(`${name}: fortran_order True is not supported; save a C-order array (np.ascontiguousarray)`);
  }
  const reader = READERS[h.descr];
  if (!reader) {
    throw new Error(`${name}: unsupported .npy dtype '${h.descr}' (supported: ${SUPPORTED_NPY_DTYPES.join(', ')})`);
  }
  const [size, read] = reader;
  const count = h.shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  const need = count * size;
  if (u8.length - dataStart < need) {
    throw new Error(`${name}: .npy data too short: expected ${need} bytes for shape [${h.shape}] ${h.descr}, found ${u8.length - dataStart}`);
  }
  const data = new Array(count);
  for (let i = 0, o = dataStart; i < count; i++, o += size) data[i] = read(view, o);
  return { shape: h.shape, dtype: h.descr, data };
}

/** Writes a .npy v1.0 file (little-endian) — used by tests and tools. */
export function writeNpy(shape, data, descr = '<f4') {
  const [size] = READERS[descr] || [];
  if (!size) throw new Error(`writeNpy: unsupported dtype ${descr}`);
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // Pad so that data starts on a 64-byte boundary, header ends with '\n'.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length * size);
  out.set(MAGIC, 0);
  out[6] = 1; out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  let o = 10 + header.length;
  for (const x of data) {
    switch (descr) {
      case '<f4': view.setFloat32(o, x, true); break;
      case '<f8': view.setFloat64(o, x, true); break;
      case '<i4': view.setInt32(o, x, true); break;
      case '<i8': view.setBigInt64(o, BigInt(x), true); break;
      case '<u2': view.setUint16(o, x, true); break;
      case '<i2': view.setInt16(o, x, true); break;
      case '|i1': view.setInt8(o, x); break;
      default: view.setUint8(o, x ? (descr === '|b1' ? 1 : x) : 0);
    }
    o += size;
  }
  return out;
}
