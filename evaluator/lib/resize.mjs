// Bilinear resizing of decoded RGBA8 images to a model input's H x W x C.
// Pure JS with no imports, so the same code resizes images decoded by pngjs /
// jpeg-js in Node and images read from a canvas in a web page: both paths
// then give the same sample values. Output is a Float64Array [H*W*C] of
// values in 0..255.

/**
 * Bilinear resize of RGBA8 to outH x outW with `channels` output channels
 * (3 = RGB, alpha dropped; 1 = luminance 0.299R + 0.587G + 0.114B).
 * Uses half-pixel centers (the convention of tf.image.resizeBilinear with
 * halfPixelCenters=true, PIL and OpenCV), clamped at the edges. When the size
 * is unchanged this is an exact copy.
 */
export function resizeBilinear({ width, height, rgba }, outH, outW, channels) {
  const out = new Float64Array(outH * outW * channels);
  const sy = height / outH;
  const sx = width / outW;
  const px = (y, x, c) => rgba[(y * width + x) * 4 + c];
  const value = (y, x, c) => channels === 3 ? px(y, x, c)
      : 0.299 * px(y, x, 0) + 0.587 * px(y, x, 1) + 0.114 * px(y, x, 2);
  for (let oy = 0; oy < outH; oy++) {
    let fy = (oy + 0.5) * sy - 0.5;
    if (fy < 0) fy = 0;
    const y0 = Math.min(Math.floor(fy), height - 1);
    const y1 = Math.min(y0 + 1, height - 1);
    const wy = fy - y0;
    for (let ox = 0; ox < outW; ox++) {
      let fx = (ox + 0.5) * sx - 0.5;
      if (fx < 0) fx = 0;
      const x0 = Math.min(Math.floor(fx), width - 1);
      const x1 = Math.min(x0 + 1, width - 1);
      const wx = fx - x0;
      for (let c = 0; c < channels; c++) {
        const top = value(y0, x0, c) * (1 - wx) + value(y0, x1, c) * wx;
        const bot = value(y1, x0, c) * (1 - wx) + value(y1, x1, c) * wx;
        out[(oy * outW + ox) * channels + c] = top * (1 - wy) + bot * wy;
      }
    }
  }
  return out;
}
