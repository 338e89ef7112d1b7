// PNG/JPEG decoding in pure JS (pngjs, jpeg-js), because tfjs-node's
// decodeImage is not available here and the wasm backend has no image decoder.
// Node-only (bare imports); a web page decodes with a canvas instead. Resizing
// is in resize.mjs, shared by both.
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';

/** Decodes a PNG or JPEG buffer to { width, height, rgba: Uint8Array }. */
export function decodeImage(buf, name) {
  const lower = name.toLowerCase();
  try {
    if (lower.endsWith('.png')) {
      // pngjs always expands to 8-bit RGBA (gray, palette, 16-bit included).
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    }
    // jpeg-js: formatAsRGBA gives 4 channels, alpha 255.
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
    return { width: img.width, height: img.height, rgba: img.data };
  } catch (e) {
    throw new Error(`${name}: cannot decode image: ${e.message}`);
  }
}
