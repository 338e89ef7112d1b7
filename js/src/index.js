// tfjs-quant for JavaScript: the C++ core compiled to WebAssembly, behind an
// API shaped like tfjs's own (ModelArtifacts, IOHandlers, named tensors).
// This file only converts between tfjs shapes and files; every byte of a
// manifest or shard is written by the core (src/wasm/api.cc), as the CLI
// writes it.
import { TfjsQuantError, ready, run } from './module.js';
import {
  MAX_TEXT, checkJson, concat, describe, invalid, isBytes, jsonText, request, shown, toBytes, toFiles,
} from './options.js';

export { TfjsQuantError, ready };
export { auto, search } from './auto.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MANIFEST = 'weights_manifest.json';

// ModelArtifacts carry their weights as weightSpecs plus weightData; a
// files object is name -> bytes.
function isArtifacts(input) {
  return Array.isArray(input.weightSpecs) ||
         (Object.hasOwn(input, 'modelTopology') && !isBytes(input.modelTopology));
}

// The core's limit `name` as the request sets it (options.limits), else its
// default (include/tfjs_quant/limits.h); a value the core will refuse counts
// as the largest it allows (src/limits.cc), so that the core says why.
function limitOf(req, name, fallback, max) {
  const limits = req.limits;
  if (limits === null || typeof limits !== 'object' || !Object.hasOwn(limits, name)) return fallback;
  const v = limits[name];
  return Number.isSafeInteger(v) && v >= 1 && v <= max ? v : max;
}

// The model JSON the core reads for artifacts: their weightSpecs as the
// weights of its one group, written here without recursion (JSON.stringify
// overflows the stack a few thousand levels down) and held to the limits
// the core applies to it, so that an entry too deep is named, not found at
// a line and column of a JSON the caller never saw. The weights array sits
// 4 levels down: the JSON's object, weightsManifest, the group, its weights.
function manifestText(specs, req) {
  const jsonDepth = limitOf(req, 'json_depth', 1000, 2 ** 20);
  const jsonBytes = limitOf(req, 'json_bytes', 64 << 20, 2 ** 34);
  const weights = limitOf(req, 'weights', 65536, 2 ** 32);
  // Counted first: a sparse array of 2^32 - 1 holes is one line to make.
  if (Array.isArray(specs) && specs.length > weights) {
    throw new TfjsQuantError(`weightSpecs: ${specs.length} entries exceed the limit weights (${weights}); to allow ` +
                             `it, pass the option limits: {weights: N}`, 'LIMIT_EXCEEDED');
  }
  const head = '{"weightsManifest":[{"paths":["weights.bin"],"weights":';
  const tail = '}]}';
  const text = jsonText(specs, 'weightSpecs', {
    depth: jsonDepth - 3,
    limit: `the limit json_depth (${jsonDepth}) of the model JSON, where the entries sit 4 levels down ` +
           '(options.limits raises it)',
    length: Math.min(jsonBytes, MAX_TEXT) - head.length - tail.length,
    lengthLimit: jsonBytes <= MAX_TEXT ? `the limit json_bytes (${jsonBytes}) of the model JSON (options.limits raises it)`
                                       : 'what a JavaScript string holds',
  });
  return head + (text ?? 'null') + tail;
}

// Only the weights go to the core, as a model JSON holding nothing but the
// manifest: the topology and the rest stay as they are (an ArrayBuffer
// topology, NaN in metadata and convertedBy: null included).
function artifactsToFiles(a, req) {
  if (a.weightData === undefined && typeof a.getWeightStream === 'function') {
    throw new TfjsQuantError('ModelArtifacts with getWeightStream (streamed weights) are not supported: load ' +
                             'the model without streamWeights', 'UNSUPPORTED');
  }
  const data = Array.isArray(a.weightData)
    ? concat(a.weightData.map((b, i) => toBytes(b, `weightData[${i}]`)))
    : toBytes(a.weightData ?? new Uint8Array(0), 'weightData');
  const json = manifestText(a.weightSpecs ?? [], req);
  return new Map([['model.json', encoder.encode(json)], ['weights.bin', data]]);
}

// The written weights back into a copy of the artifacts: every group's
// entries in order, the shards of every group as one ArrayBuffer.
// Every group's shards in manifest order as one ArrayBuffer (tfjs's weightData).
function weightDataOf(manifest, files) {
  return concat(manifest.flatMap((g) => g.paths.map((p) => files.get(p)))).buffer;
}

function withWrittenWeights(artifacts, files, jsonName) {
  const groups = JSON.parse(decoder.decode(files.get(jsonName)));
  const manifest = Array.isArray(groups) ? groups : groups.weightsManifest;
  return { ...artifacts, weightSpecs: manifest.flatMap((g) => g.weights), weightData: weightDataOf(manifest, files) };
}

// The files a request reads: ModelArtifacts as a model.json holding their
// manifest (req[jsonMember] names it), or a files object as it is.
// `artifacts` says which.
function inputFiles(input, req, jsonMember) {
  if (input === null || typeof input !== 'object') {
    throw invalid(`expected ModelArtifacts or a Map of file name -> bytes, found ${describe(input)}`);
  }
  if (!(input instanceof Map) && isArtifacts(input)) {
    // The model JSON is the one written for them: a name given would be
    // replaced without a word.
    if (Object.hasOwn(req, jsonMember)) {
      throw invalid(`options.${jsonMember}: names the model JSON among files; ModelArtifacts have none (leave it out)`);
    }
    req[jsonMember] = 'model.json';
    return { files: artifactsToFiles(input, req), artifacts: true };
  }
  return { files: toFiles(input), artifacts: false };
}

async function write(command, input, options) {
  const req = request(command, options);
  const { files, artifacts } = inputFiles(input, req, 'json');
  const out = await run(req, files);
  if (artifacts) return withWrittenWeights(input, out.files, 'model.json');
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

/**
 * The report of `tfjs-quant inspect --json` (schema: docs/inspect.md) for
 * ModelArtifacts or a model's files; its `model` is the model JSON's name
 * ("model.json" for artifacts). Options: wire (default true: the gzip and
 * brotli sizes), json, limits.
 */
export async function inspect(input, options = {}) {
  const req = request('inspect', options);
  return (await run(req, inputFiles(input, req, 'json').files)).report;
}

/**
 * Compares two models that hold the same weights (a model and its quantized
 * copy) on the values tfjs decodes, as `tfjs-quant diff A B`. Resolves
 * {tensors: [{name, dtype, a, b, bytesOnly, differs, maxAbsError, rmse,
 * sqnrDb, cosine}], differ}; sqnrDb is null where B decodes exactly as A.
 */
export async function diff(a, b, options = {}) {
  const req = request('diff', options);
  const files = new Map();
  for (const [side, input] of [['a', a], ['b', b]]) {
    for (const [name, bytes] of inputFiles(input, req, side).files) files.set(`${side}/${name}`, bytes);
  }
  return (await run(req, files)).report;
}

/**
 * The names among `names` that the CLI's patterns take (Python's fnmatch:
 * `*`, `?`, `[seq]`; 'conv*,dense/*' or an array), as --quantize_uint8 and
 * --skip match weight names.
 */
export async function matchNames(names, patterns) {
  if (!Array.isArray(names)) throw invalid(`names: expected an array of strings, found ${describe(names)}`);
  // Arguments, not options: named as such.
  checkJson(names, 'names', { strict: true });
  if (patterns !== undefined) checkJson(patterns, 'patterns', { strict: true });
  const { report } = await run(request('match', { patterns, names }), new Map());
  return report.matches.map((i) => names[i]);
}

const DTYPES = { float32: Float32Array, int32: Int32Array, bool: Uint8Array };

// One tensor's manifest entry and stored bytes, as tf.io.encodeWeights
// lays them out.
async function encodeTensor(name, tensor) {
  const where = `tensor ${shown(name)}`;
  const { shape, dtype } = tensor;
  if (!Array.isArray(shape)) throw invalid(`${where}: shape must be an array of whole numbers, found ${describe(shape)}`);
  const bad = shape.findIndex((d) => !Number.isSafeInteger(d) || d < 0);
  if (bad >= 0) throw invalid(`${where}: shape[${bad}] must be a whole number from 0, found ${shown(shape[bad])}`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'string') {
    // bytes(), as encodeWeights: strings that are not UTF-8 stay as they are.
    const values = typeof tensor.bytes === 'function' ? await tensor.bytes()
                 : typeof tensor.data === 'function' ? await tensor.data() : tensor.data;
    if (!Array.isArray(values) || values.length !== size) {
      throw invalid(`${where}: expected ${size} strings for shape [${shape}]`);
    }
    const parts = [];
    for (const v of values) {
      const bytes = toBytes(v, where);
      const len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, bytes.length, true);
      parts.push(len, bytes);
    }
    return { spec: { name, shape, dtype }, bytes: concat(parts) };
  }
  const Type = DTYPES[dtype];
  if (!Type) throw invalid(`${where}: dtype ${shown(dtype)} is not one of float32, int32, bool, string`);
  const data = typeof tensor.data === 'function' ? await tensor.data() : tensor.data;
  if (!ArrayBuffer.isView(data) && !Array.isArray(data)) {
    throw invalid(`${where}: data must be a typed array or an array, found ${describe(data)}`);
  }
  if (data.length !== size) throw invalid(`${where}: ${data.length} values for shape [${shape}], which holds ${size}`);
  const typed = data instanceof Type ? data : Type.from(data, dtype === 'bool' ? (v) => (v ? 1 : 0) : undefined);
  return { spec: { name, shape, dtype }, bytes: new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength) };
}

// [{name, tensor, isSkipQuantization?}] from any of the accepted forms.
function tensorList(tensors) {
  if (Array.isArray(tensors)) return tensors;
  if (tensors instanceof Map) return [...tensors].map(([name, tensor]) => ({ name, tensor }));
  if (tensors !== null && typeof tensors === 'object') {
    return Object.entries(tensors).map(([name, tensor]) => ({ name, tensor }));
  }
  throw invalid(`tensors: expected a NamedTensorMap, a Map or an array, found ${describe(tensors)}`);
}

/**
 * Named tensors to a quantized weights manifest and its shards, as
 * `tfjs-quant quantize` writes a standalone weights_manifest.json.
 * `tensors`: a NamedTensorMap ({name: tf.Tensor}), a Map, or an array of
 * {name, tensor, isSkipQuantization?}; a tensor is a tf.Tensor or
 * {data: TypedArray, shape, dtype}. Returns {manifest, files, weightData,
 * report}: `manifest` is the WeightsManifestConfig, `files` the manifest
 * file and shards by name, `weightData` the shards as one ArrayBuffer (what
 * tf.io.decodeWeights takes with the manifest's weights).
 */
export async function quantizeTensors(tensors, options = {}) {
  const list = tensorList(tensors);
  if (list.length === 0) throw invalid('tensors: there are none');
  const req = request('quantize', options);
  // Set below from the tensors: a value given would be replaced without a word.
  if (Object.hasOwn(req, 'json')) throw invalid('options.json: quantizeTensors writes weights_manifest.json (leave it out)');
  if (Object.hasOwn(req, 'skipNames')) {
    throw invalid('options.skipNames: not an option of quantizeTensors (give the tensors isSkipQuantization: true)');
  }
  const specs = [];
  const parts = [];
  const skipNames = [];
  for (const item of list) {
    if (!item || typeof item.name !== 'string' || !item.tensor || typeof item.tensor !== 'object') {
      throw invalid('tensors: expected {name, tensor} items with a string name');
    }
    const { spec, bytes } = await encodeTensor(item.name, item.tensor);
    specs.push(spec);
    parts.push(bytes);
    if (item.isSkipQuantization) skipNames.push(item.name);
  }
  if (skipNames.length) req.skipNames = skipNames;
  req.json = MANIFEST;
  const input = [{ paths: ['weights.bin'], weights: specs }];
  const out = await run(req, new Map([[MANIFEST, encoder.encode(JSON.stringify(input))],
                                      ['weights.bin', concat(parts)]]));
  const manifest = JSON.parse(decoder.decode(out.files.get(MANIFEST)));
  return { manifest, files: out.files, weightData: weightDataOf(manifest, out.files), report: out.report };
}

/**
 * Wraps a tfjs IOHandler so that what it saves is quantized first:
 * `await model.save(withQuantization(tf.io.browserDownloads('m'), {uint8: true}))`.
 * Its load, if any, is the handler's.
 */
export function withQuantization(handler, options = {}) {
  if (!handler || typeof handler.save !== 'function') {
    throw invalid('withQuantization: expected an IOHandler with a save method');
  }
  // Checked now, not at the first save: a Map or a value JSON cannot hold
  // is the caller's error whatever is saved. (Keys are the core's to check.)
  if (Object.hasOwn(request('quantize', options), 'json')) {
    throw invalid('options.json: names the model JSON among files; what is saved is ModelArtifacts (leave it out)');
  }
  const wrapped = {
    async save(artifacts) {
      return handler.save(await quantize(artifacts, options));
    },
  };
  if (typeof handler.load === 'function') wrapped.load = (...args) => handler.load(...args);
  return wrapped;
}
