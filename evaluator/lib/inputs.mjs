// Builds the evaluation samples: deterministic synthetic inputs from a seed,
// or samples from bytes the caller already has (.npy files, decoded RGBA
// images). Browser-safe: reading a folder (--inputs DIR) is inputs_dir.mjs.
//
// A sample is an array with one entry per model input:
//   { shape: number[], dtype: 'float32'|'int32'|'bool', data: TypedArray }
// Plain typed arrays (not tensors) are kept so that samples survive model
// swaps and cost no wasm memory between evaluations.
import { mulberry32, streamSeed } from './prng.mjs';
import { parseNpy } from './npy.mjs';
import { resizeBilinear } from './resize.mjs';
import { UsageError } from './errors.mjs';

const GRID = 8; // grid points per spatial axis of the smooth random field

const isUnknown = d => d == null || d < 0;

export function shapeStr(s) {
  return `[${s.map(d => (isUnknown(d) ? '?' : d)).join(',')}]`;
}

function lookupDims(dims, name) {
  if (dims == null) return undefined;
  for (const k of [name, `${name}:0`, name.replace(/:0$/, '')]) {
    if (Object.prototype.hasOwnProperty.call(dims, k)) return dims[k];
  }
  return undefined;
}

/**
 * Concrete shape for an input. Unknown batch (axis 0) -> 1; other unknown
 * dims -> dims[name] if it is a number, else dims.default (256).
 * dims[name] may also be a full shape array; it must agree with every known
 * dim of the signature (the graph executor rejects other shapes anyway).
 */
export function resolveShape(input, dims) {
  const { name, shape } = input;
  const def = dims && dims.default != null ? dims.default : 256;
  if (!Number.isInteger(def) || def <= 0) {
    throw new UsageError(`dims.default must be a positive integer, got ${JSON.stringify(def)}`);
  }
  const override = lookupDims(dims, name);
  if (Array.isArray(override)) {
    if (!override.every(d => Number.isInteger(d) && d > 0)) {
      throw new UsageError(`dims["${name}"] must be an array of positive integers, got ${JSON.stringify(override)}`);
    }
    if (shape != null) {
      const ok = override.length === shape.length &&
          shape.every((d, i) => isUnknown(d) || d === override[i]);
      if (!ok) {
        throw new UsageError(`dims["${name}"] = ${JSON.stringify(override)} does not fit input "${name}" of shape ${shapeStr(shape)} (only unknown '?' dims can be chosen)`);
      }
    }
    return override.slice();
  }
  if (override != null && !(Number.isInteger(override) && override > 0)) {
    throw new UsageError(`dims["${name}"] must be a positive integer or a full shape array, got ${JSON.stringify(override)}`);
  }
  if (shape == null) {
    throw new UsageError(`input "${name}" has unknown rank; give its full shape as dims["${name}"], e.g. [1,224,224,3]`);
  }
  const fill = override != null ? override : def;
  return shape.map((d, i) => (isUnknown(d) ? (i === 0 ? 1 : fill) : d));
}

function typedFor(dtype, n) {
  if (dtype === 'float32') return new Float32Array(n);
  if (dtype === 'int32') return new Int32Array(n);
  if (dtype === 'bool') return new Uint8Array(n);
  throw new Error(`input dtype ${dtype} is not supported (float32, int32, bool only)`);
}

/**
 * Deterministic synthetic input, see README "Default inputs".
 * rank >= 3 [B, S1..Sk, C]: per batch item and channel, a GRID^k grid of
 * uniform values, multilinearly interpolated (align-corners) over the k
 * spatial axes; value = 0.9*smooth + 0.1*uniform noise (in [0,1)).
 * rank <= 2: plain uniform values. int32: round(value*255). bool: 0/1.
 * Draw order: all grid values (batch, channel, grid point row-major), then
 * one noise value per element in row-major order.
 */
export function defaultSample(shape, dtype, seed, inputIndex, sampleIndex) {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = typedFor(dtype, n);
  const rng = mulberry32(streamSeed(seed, inputIndex, sampleIndex));
  if (dtype === 'bool') {
    for (let i = 0; i < n; i++) out[i] = rng() < 0.5 ? 0 : 1;
    return { shape: shape.slice(), dtype, data: out };
  }
  const field = new Float64Array(n);
  if (shape.length <= 2) {
    for (let i = 0; i < n; i++) field[i] = rng();
  } else {
    const B = shape[0];
    const C = shape[shape.length - 1];
    const spatial = shape.slice(1, -1);
    const k = spatial.length;
    const gridN = GRID ** k;
    // Draw the grids first.
    const grids = new Float64Array(B * C * gridN);
    for (let i = 0; i < grids.length; i++) grids[i] = rng();
    // Per axis: for each position, lower grid index, upper index, weight.
    const axes = spatial.map(S => {
      const lo = new Int32Array(S), hi = new Int32Array(S), w = new Float64Array(S);
      for (let i = 0; i < S; i++) {
        const t = S > 1 ? (i * (GRID - 1)) / (S - 1) : 0;
        lo[i] = Math.min(Math.floor(t), GRID - 1);
        hi[i] = Math.min(lo[i] + 1, GRID - 1);
        w[i] = t - lo[i];
      }
      return { lo, hi, w };
    });
    const positions = spatial.reduce((a, b) => a * b, 1);
    const corners = 1 << k;
    const cIdx = new Int32Array(corners);
    const cW = new Float64Array(corners);
    const coord = new Int32Array(k);
    for (let p = 0; p < positions; p++) {
      // row-major decomposition of the spatial position
      let rem = p;
      for (let a = k - 1; a >= 0; a--) { coord[a] = rem % spatial[a]; rem = Math.floor(rem / spatial[a]); }
      for (let m = 0; m < corners; m++) {
        let gi = 0, wt = 1;
        for (let a = 0; a < k; a++) {
          const ax = axes[a], c = coord[a];
          const up = (m >> a) & 1;
          gi = gi * GRID + (up ? ax.hi[c] : ax.lo[c]);
          wt *= up ? ax.w[c] : 1 - ax.w[c];
        }
        cIdx[m] = gi; cW[m] = wt;
      }
      for (let b = 0; b < B; b++) {
        const base = (b * positions + p) * C;
        for (let c = 0; c < C; c++) {
          const g = (b * C + c) * gridN;
          let v = 0;
          for (let m = 0; m < corners; m++) v += cW[m] * grids[g + cIdx[m]];
          field[base + c] = v;
        }
      }
    }
    for (let i = 0; i < n; i++) field[i] = 0.9 * field[i] + 0.1 * rng();
  }
  if (dtype === 'int32') {
    for (let i = 0; i < n; i++) out[i] = Math.round(field[i] * 255);
  } else {
    for (let i = 0; i < n; i++) out[i] = field[i];
  }
  return { shape: shape.slice(), dtype, data: out };
}

/** `count` default samples for all inputs. */
export function defaultSamples(inputs, shapes, count, seed) {
  if (!Number.isInteger(count) || count < 1) throw new Error(`"count" must be a positive integer, got ${JSON.stringify(count)}`);
  if (!Number.isInteger(seed)) throw new Error(`"seed" must be an integer, got ${JSON.stringify(seed)}`);
  const samples = [];
  for (let s = 0; s < count; s++) {
    samples.push(inputs.map((inp, i) => defaultSample(shapes[i], inp.dtype, seed, i, s)));
  }
  return samples;
}


function convertValues(values, dtype) {
  const out = typedFor(dtype, values.length);
  if (dtype === 'float32') out.set(values);
  else if (dtype === 'int32') for (let i = 0; i < values.length; i++) out[i] = Math.round(values[i]);
  else for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
  return out;
}

// Last path component, for messages about a file's content (no node:path here).
const baseName = file => String(file).split(/[\\/]/).pop();

/**
 * Whether `shape` fits the input signature `sig`: same rank, known dims
 * equal, unknown dims free except the batch, which must be 1.
 */
const fitsSignature = (shape, sig) => shape.length === sig.length &&
    sig.every((d, i) => (isUnknown(d) ? (i > 0 || shape[i] === 1) : d === shape[i]));

/**
 * One input of a sample from the bytes of a .npy file. `file` names it in
 * errors. The array's shape must fit the input's signature, with or without
 * the leading batch 1; values are converted to the input dtype.
 */
export function sampleFromNpy(bytes, file, input, resolved) {
  const { shape, data } = parseNpy(bytes, baseName(file));
  const sig = input.shape || resolved;
  let full = shape;
  if (!fitsSignature(full, sig)) {
    full = [1, ...shape];
    if (!fitsSignature(full, sig)) {
      throw new UsageError(`${file}: .npy shape [${shape}] does not match input "${input.name}": expected ${shapeStr(sig.map((d, i) => (i === 0 && isUnknown(d) ? 1 : d)))} (or without the leading batch 1)`);
    }
  }
  return { shape: full, dtype: input.dtype, data: convertValues(data, input.dtype) };
}

/**
 * Throws unless images can feed `input` (resolved shape `resolved`): rank 4
 * [1,H,W,C] with C 1 or 3, float32 or int32. Separate from sampleFromImage
 * so that a folder reports this before it decodes the file.
 */
export function checkImageInput(file, input, resolved) {
  if (resolved.length !== 4 || resolved[0] !== 1 || !(resolved[3] === 1 || resolved[3] === 3)) {
    throw new UsageError(`${file}: images need an input of shape [1,H,W,1] or [1,H,W,3]; input "${input.name}" has shape ${shapeStr(input.shape || resolved)} (resolved [${resolved}]); use .npy files instead`);
  }
  if (input.dtype !== 'float32' && input.dtype !== 'int32') {
    throw new Error(`${file}: images can feed float32 or int32 inputs; input "${input.name}" is ${input.dtype}`);
  }
}

/**
 * One input of a sample from a decoded image { width, height, rgba } (RGBA8,
 * row-major). Resized bilinearly to the input's H x W (alpha dropped, C 1 =
 * luminance); float32 inputs get value/255, int32 inputs 0..255 rounded.
 */
export function sampleFromImage(image, file, input, resolved) {
  checkImageInput(file, input, resolved);
  const [, H, W, C] = resolved;
  const px = resizeBilinear(image, H, W, C);
  const out = typedFor(input.dtype, px.length);
  if (input.dtype === 'float32') for (let i = 0; i < px.length; i++) out[i] = px[i] / 255;
  else for (let i = 0; i < px.length; i++) out[i] = Math.round(px[i]);
  return { shape: resolved.slice(), dtype: input.dtype, data: out };
}

/**
 * Samples from already-decoded images (e.g. a canvas' getImageData in a
 * page): `images` is [{ name, width, height, rgba: Uint8Array |
 * Uint8ClampedArray }], one sample each, in the given order; same rules as
 * image files in --inputs DIR. `inputs` and `shapes` are the model's input
 * signature and resolved shapes (what Evaluator.load passes to a `samples`
 * function). Single-input models only.
 */
export function samplesFromImages(images, inputs, shapes) {
  if (inputs.length !== 1) {
    throw new UsageError(`images can only feed a model with one input; this model has ${inputs.length} (${inputs.map(i => i.name).join(', ')}); build the samples as arrays instead`);
  }
  if (!Array.isArray(images) || images.length === 0) throw new UsageError('no images: give at least one {name, width, height, rgba}');
  return images.map((img, i) => {
    const name = img && img.name != null ? String(img.name) : `image ${i}`;
    const ok = img && Number.isInteger(img.width) && img.width > 0 && Number.isInteger(img.height) && img.height > 0 &&
        (img.rgba instanceof Uint8Array || img.rgba instanceof Uint8ClampedArray);
    if (!ok) throw new Error(`${name}: an image needs positive integer width and height and rgba as a Uint8Array or Uint8ClampedArray`);
    if (img.rgba.length !== img.width * img.height * 4) {
      throw new Error(`${name}: rgba has ${img.rgba.length} bytes, expected width*height*4 = ${img.width * img.height * 4}`);
    }
    return [sampleFromImage(img, name, inputs[0], shapes[0])];
  });
}

const TYPED = { float32: Float32Array, int32: Int32Array, bool: Uint8Array };

/**
 * Checks samples the caller built (Evaluator.load's `samples`): a non-empty
 * array; each sample one {shape, dtype, data} per input, dtype the input's,
 * shape fitting the signature, data a typed array of the shape's size.
 * Catching this here gives a message naming the sample instead of a tfjs
 * error at reference time.
 */
export function checkSamples(samples, inputs, shapes) {
  if (!Array.isArray(samples) || samples.length === 0) throw new UsageError('"samples" must be a non-empty array of samples');
  samples.forEach((sample, s) => {
    if (!Array.isArray(sample) || sample.length !== inputs.length) {
      throw new UsageError(`sample ${s}: expected an array with one {shape, dtype, data} per model input (${inputs.length}: ${inputs.map(i => i.name).join(', ')})`);
    }
    sample.forEach((x, i) => {
      const inp = inputs[i];
      const where = `sample ${s}, input "${inp.name}"`;
      if (!x || !Array.isArray(x.shape) || !x.shape.every(d => Number.isInteger(d) && d >= 0)) throw new UsageError(`${where}: "shape" must be an array of sizes`);
      if (x.dtype !== inp.dtype) throw new UsageError(`${where}: dtype ${x.dtype} differs from the input's ${inp.dtype}`);
      const sig = inp.shape || shapes[i];
      if (!fitsSignature(x.shape, sig)) throw new UsageError(`${where}: shape [${x.shape}] does not fit the input's ${shapeStr(sig)} (batch must be 1)`);
      if (!(x.data instanceof TYPED[inp.dtype])) throw new UsageError(`${where}: "data" must be a ${TYPED[inp.dtype].name}`);
      const n = x.shape.reduce((a, b) => a * b, 1);
      if (x.data.length !== n) throw new UsageError(`${where}: data has ${x.data.length} values, shape [${x.shape}] needs ${n}`);
    });
  });
  return samples;
}
