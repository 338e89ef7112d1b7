// tfjs-quant for JavaScript: the C++ core compiled to WebAssembly, behind an
// API shaped like tfjs's own (ModelArtifacts, IOHandlers, named tensors).
// This file only converts between tfjs shapes and files; every byte of a
// manifest or shard is written by the core (src/wasm/api.cc), as the CLI
// writes it.
import { TfjsQuantError, ready, run } from './module.js';

export { TfjsQuantError, ready };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// The options every writing call shares, passed to the core as they are
// (it checks them): uint8, uint16, float16, skip, shardSizeBytes,
// arithmetic, limits.
const WRITE_OPTIONS = ['uint8', 'uint16', 'float16', 'skip', 'shardSizeBytes', 'arithmetic', 'limits', 'json'];

function request(command, options = {}) {
  if (options === null || typeof options !== 'object') {
    throw new TfjsQuantError(`options: expected an object, found ${typeof options}`, 'INVALID_ARGUMENT');
  }
  const req = { command };
  for (const key of Object.keys(options)) {
    if (!WRITE_OPTIONS.includes(key)) {
      throw new TfjsQuantError(`options: unknown option ${JSON.stringify(key)} (known: ${WRITE_OPTIONS.join(', ')})`,
                               'INVALID_ARGUMENT');
    }
    if (options[key] !== undefined) req[key] = options[key];
  }
  return req;
}

function toBytes(value, what) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return encoder.encode(value);
  throw new TfjsQuantError(`${what}: expected bytes (Uint8Array, ArrayBuffer or a typed array) or a string`,
                           'INVALID_ARGUMENT');
}

// A map or plain object of file name -> bytes, as a Map of Uint8Arrays.
function toFiles(files) {
  const entries = files instanceof Map ? [...files] : Object.entries(files);
  return new Map(entries.map(([name, bytes]) => [String(name), toBytes(bytes, `file ${JSON.stringify(name)}`)]));
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer ?? p, p.byteOffset ?? 0, p.byteLength), at);
    at += p.byteLength;
  }
  return out;
}

function isArtifacts(input) {
  return input && typeof input === 'object' && !(input instanceof Map) &&
         ('weightSpecs' in input || 'modelTopology' in input);
}

// The model.json members tfjs's ModelArtifacts carry (tf.io's
// getModelJSONForModelArtifacts), besides the manifest.
const ARTIFACT_MEMBERS = ['modelTopology', 'format', 'generatedBy', 'convertedBy', 'signature', 'userDefinedMetadata',
                          'modelInitializer', 'initializerSignature', 'trainingConfig'];

function artifactsToFiles(a) {
  const json = {};
  for (const k of ARTIFACT_MEMBERS) if (a[k] !== undefined && a[k] !== null) json[k] = a[k];
  json.weightsManifest = [{ paths: ['weights.bin'], weights: a.weightSpecs ?? [] }];
  const data = Array.isArray(a.weightData) ? concat(a.weightData) : toBytes(a.weightData ?? new Uint8Array(0),
                                                                                'weightData');
  return new Map([['model.json', encoder.encode(JSON.stringify(json))], ['weights.bin', data]]);
}

// The written model back as ModelArtifacts: every group's weights in order,
// and the shards of every group as one ArrayBuffer.
function filesToArtifacts(files, jsonName) {
  const json = JSON.parse(decoder.decode(files.get(jsonName)));
  const artifacts = {};
  for (const k of ARTIFACT_MEMBERS) if (json[k] !== undefined) artifacts[k] = json[k];
  const groups = json.weightsManifest ?? [];
  artifacts.weightSpecs = groups.flatMap((g) => g.weights);
  artifacts.weightData = concat(groups.flatMap((g) => g.paths.map((p) => files.get(p)))).buffer;
  return artifacts;
}

async function write(command, input, options) {
  const req = request(command, options);
  if (isArtifacts(input)) {
    req.json = 'model.json';
    const out = await run(req, artifactsToFiles(input));
    return filesToArtifacts(out.files, 'model.json');
  }
  const out = await run(req, toFiles(input));
  return { files: out.files, report: out.report };
}

/**
 * Quantizes a model as `tfjs-quant quantize` does. `input` is tfjs
 * ModelArtifacts (returns ModelArtifacts) or the files of a model folder,
 * name -> bytes, holding a model JSON or a standalone weights manifest with
 * its shards (returns {files, report}, files as the CLI writes them).
 */
export function quantize(input, options = {}) {
  return write('quantize', input, options);
}

/** Writes every weight back as its dtype, as `tfjs-quant dequantize`. */
export function dequantize(input, options = {}) {
  return write('dequantize', input, options);
}

// Python fnmatch pattern matching exactly `name`.
function literalPattern(name) {
  return name.replace(/[[*?]/g, (c) => `[${c}]`);
}

const DTYPES = { float32: Float32Array, int32: Int32Array, bool: Uint8Array };

// One tensor's manifest entry and stored bytes, as tf.io.encodeWeights
// lays them out.
async function encodeTensor(name, tensor) {
  let { shape, dtype } = tensor;
  let data = tensor.data;
  if (typeof tensor.dataSync === 'function') data = await tensor.data();
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new TfjsQuantError(`tensor ${JSON.stringify(name)}: shape must be an array of whole numbers`,
                             'INVALID_ARGUMENT');
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'string') {
    if (!Array.isArray(data) || data.length !== size) {
      throw new TfjsQuantError(`tensor ${JSON.stringify(name)}: expected ${size} strings for shape [${shape}]`,
                               'INVALID_ARGUMENT');
    }
    const parts = [];
    for (const s of data) {
      const bytes = toBytes(s, `tensor ${JSON.stringify(name)}`);
      const len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, bytes.length, true);
      parts.push(len, bytes);
    }
    return { spec: { name, shape, dtype }, bytes: concat(parts) };
  }
  const Type = DTYPES[dtype];
  if (!Type) {
    throw new TfjsQuantError(`tensor ${JSON.stringify(name)}: dtype ${JSON.stringify(dtype)} is not one of ` +
                             'float32, int32, bool, string', 'INVALID_ARGUMENT');
  }
  if (!ArrayBuffer.isView(data) && !Array.isArray(data)) {
    throw new TfjsQuantError(`tensor ${JSON.stringify(name)}: data must be a typed array`, 'INVALID_ARGUMENT');
  }
  if (data.length !== size) {
    throw new TfjsQuantError(`tensor ${JSON.stringify(name)}: ${data.length} values for shape [${shape}], which ` +
                             `holds ${size}`, 'INVALID_ARGUMENT');
  }
  const typed = data instanceof Type ? data : Type.from(data, dtype === 'bool' ? (v) => (v ? 1 : 0) : undefined);
  return { spec: { name, shape, dtype }, bytes: new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength) };
}

/**
 * Named tensors to a quantized weights manifest and its shards, as
 * `tfjs-quant quantize` writes a standalone weights_manifest.json.
 * `tensors`: a NamedTensorMap ({name: tf.Tensor}) or an array of
 * {name, tensor, isSkipQuantization?}; a tensor is a tf.Tensor or
 * {data: TypedArray, shape, dtype}. Returns {manifest, files, weightData,
 * report}: `manifest` is the WeightsManifestConfig, `files` the manifest
 * file and shards by name, `weightData` the shards as one ArrayBuffer (what
 * tf.io.decodeWeights takes with the manifest's weights).
 */
export async function quantizeTensors(tensors, options = {}) {
  const list = Array.isArray(tensors)
    ? tensors
    : Object.entries(tensors ?? {}).map(([name, tensor]) => ({ name, tensor }));
  const specs = [];
  const parts = [];
  const skip = [];
  for (const item of list) {
    if (!item || typeof item.name !== 'string' || !item.tensor) {
      throw new TfjsQuantError('tensors: expected {name, tensor} items', 'INVALID_ARGUMENT');
    }
    const { spec, bytes } = await encodeTensor(item.name, item.tensor);
    specs.push(spec);
    parts.push(bytes);
    if (item.isSkipQuantization) skip.push(literalPattern(item.name));
  }
  const opts = { ...options };
  if (skip.length) {
    const given = opts.skip === undefined ? [] : typeof opts.skip === 'string' ? opts.skip.split(',') : opts.skip;
    opts.skip = [...given, ...skip];
  }
  const req = request('quantize', opts);
  req.json = 'weights_manifest.json';
  const manifestIn = [{ paths: ['weights.bin'], weights: specs }];
  const out = await run(req, new Map([['weights_manifest.json', encoder.encode(JSON.stringify(manifestIn))],
                                      ['weights.bin', concat(parts)]]));
  const manifest = JSON.parse(decoder.decode(out.files.get('weights_manifest.json')));
  const weightData = concat(manifest.flatMap((g) => g.paths.map((p) => out.files.get(p)))).buffer;
  return { manifest, files: out.files, weightData, report: out.report };
}

/**
 * Wraps a tfjs IOHandler so that what it saves is quantized first:
 * `await model.save(withQuantization(tf.io.browserDownloads('m'), {uint8: true}))`.
 */
export function withQuantization(handler, options = {}) {
  if (!handler || typeof handler.save !== 'function') {
    throw new TfjsQuantError('withQuantization: expected an IOHandler with a save method', 'INVALID_ARGUMENT');
  }
  request('quantize', options);  // unknown options fail now, not at save time
  return {
    async save(artifacts) {
      return handler.save(await quantize(artifacts, options));
    },
  };
}
