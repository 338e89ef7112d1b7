// A zip writer without compression (method 0, "stored"): the shards of a
// quantized model hardly compress, and storing keeps the page free of a
// deflate implementation. CRC-32 as the format requires (polynomial
// 0xEDB88320). No zip64: at most 65,535 files and 4 GiB - 1 in all.

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; ++n) {
    let c = n;
    for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of `bytes` (continuing from `crc`, the CRC of what came before). */
export function crc32(bytes, crc = 0) {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; ++i) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// MS-DOS date and time (local time, two-second resolution, from 1980).
function dosDateTime(date) {
  const year = Math.min(Math.max(date.getFullYear(), 1980), 2107);
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
    day: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

const utf8 = new TextEncoder();
const UTF8_NAMES = 0x0800;  // general purpose flag 11: names are UTF-8
const VERSION = 20;  // 2.0

/**
 * A stored zip of `files` ([name, Uint8Array] pairs or a Map), as a Blob.
 * Names are kept as given ("a/b.bin" makes a folder entry-less path).
 */
export function zipStored(files, date = new Date()) {
  const { time, day } = dosDateTime(date);
  const parts = [];
  const central = [];
  let offset = 0;
  let count = 0;
  for (const [name, data] of files) {
    const nameBytes = utf8.encode(name);
    if (nameBytes.length > 0xffff) throw new Error(`zip: the name ${name} is too long`);
    const crc = crc32(data);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, VERSION, true);
    local.setUint16(6, UTF8_NAMES, true);
    local.setUint16(8, 0, true);  // stored
    local.setUint16(10, time, true);
    local.setUint16(12, day, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, data.length, true);
    local.setUint32(22, data.length, true);
    local.setUint16(26, nameBytes.length, true);
    local.setUint16(28, 0, true);
    parts.push(local, nameBytes, data);

    const entry = new DataView(new ArrayBuffer(46));
    entry.setUint32(0, 0x02014b50, true);
    entry.setUint16(4, VERSION, true);  // made by: MS-DOS, 2.0
    entry.setUint16(6, VERSION, true);
    entry.setUint16(8, UTF8_NAMES, true);
    entry.setUint16(10, 0, true);
    entry.setUint16(12, time, true);
    entry.setUint16(14, day, true);
    entry.setUint32(16, crc, true);
    entry.setUint32(20, data.length, true);
    entry.setUint32(24, data.length, true);
    entry.setUint16(28, nameBytes.length, true);
    // extra, comment, disk number, internal and external attributes: 0
    entry.setUint32(42, offset, true);
    central.push(entry, nameBytes);

    offset += 30 + nameBytes.length + data.length;
    if (offset > 0xffffffff) throw new Error('zip: more than 4 GiB (zip64 is not written): download the files one by one');
    if (++count > 0xffff) throw new Error('zip: more than 65,535 files');
  }
  const centralSize = central.reduce((n, p) => n + p.byteLength, 0);
  if (offset + centralSize > 0xffffffff) throw new Error('zip: more than 4 GiB (zip64 is not written)');
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, count, true);
  end.setUint16(10, count, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  return new Blob([...parts, ...central, end], { type: 'application/zip' });
}
