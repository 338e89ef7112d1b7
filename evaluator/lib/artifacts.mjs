// tfjs ModelArtifacts from a model.json and its shards, without any I/O: the
// caller supplies the shard bytes (read with fs in Node, fetched or taken from
// <input type=file> in a page). The artifacts go to the STOCK loaders through
// artifactsHandler, so decoding, graph transform and layer deserialization
// are the code paths real applications use.
//
// Browser-safe: no imports at all.

const OPTIONAL_FIELDS = ['signature', 'userDefinedMetadata', 'modelInitializer',
  'initializerSignature', 'trainingConfig'];

/**
 * The model.json as an object. `model` is its text or the parsed object;
 * `name` names it in errors (a path in Node).
 */
export function parseModelJson(model, name = 'model.json') {
  let json = model;
  if (typeof model === 'string') {
    try {
      json = JSON.parse(model);
    } catch (e) {
      throw new Error(`model file ${name} is not valid JSON: ${e.message}`);
    }
  }
  if (json == null || typeof json !== 'object' || Array.isArray(json) || json.modelTopology == null) {
    throw new Error(`model file ${name} has no "modelTopology": not a TensorFlow.js model.json`);
  }
  return json;
}

/** Shard paths as listed in weightsManifest, in manifest order. */
export function shardPaths(json) {
  const manifest = Array.isArray(json.weightsManifest) ? json.weightsManifest : [];
  return manifest.flatMap(group => group.paths || []);
}

const asBytes = (b, what) => {
  if (b instanceof Uint8Array) return b;
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw new Error(`${what}: expected an ArrayBuffer or Uint8Array, got ${b === null ? 'null' : typeof b}`);
};

/**
 * ModelArtifacts for `model` (text or object), with `shardBytes(path)`
 * returning the bytes (Uint8Array, ArrayBuffer or any view) of the shard at
 * that manifest path, synchronously. Returns { json, artifacts }.
 *
 * Shards are concatenated in manifest order (groups in order, paths in
 * order), which is how tfjs' own http/file loaders lay out weightData; the
 * specs are concatenated in the same order so offsets line up.
 */
export function modelArtifacts(model, shardBytes, name = 'model.json') {
  const json = parseModelJson(model, name);
  const manifest = Array.isArray(json.weightsManifest) ? json.weightsManifest : [];
  const parts = [];
  const weightSpecs = [];
  for (const group of manifest) {
    for (const p of group.paths || []) parts.push(asBytes(shardBytes(p), `weight shard ${p} of ${name}`));
    weightSpecs.push(...(group.weights || []));
  }
  // One fresh, exactly-sized ArrayBuffer (the inputs may view larger pools).
  const weightData = new ArrayBuffer(parts.reduce((n, p) => n + p.byteLength, 0));
  const all = new Uint8Array(weightData);
  let off = 0;
  for (const p of parts) { all.set(p, off); off += p.byteLength; }

  const artifacts = {
    modelTopology: json.modelTopology,
    weightSpecs,
    weightData,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
  };
  // Optional fields the loaders understand; pass them through untouched.
  for (const k of OPTIONAL_FIELDS) if (json[k] !== undefined) artifacts[k] = json[k];
  return { json, artifacts };
}

/**
 * modelArtifacts with an async `shardBytes(path)` (e.g. fetch). Shards are
 * fetched one after another, in manifest order.
 */
export async function modelArtifactsAsync(model, shardBytes, name = 'model.json') {
  const json = parseModelJson(model, name);
  const got = new Map();
  for (const p of shardPaths(json)) if (!got.has(p)) got.set(p, await shardBytes(p));
  return modelArtifacts(json, p => got.get(p), name);
}

/**
 * graph vs layers: a graph model when `format` is "graph-model" or
 * modelTopology.node is an array; otherwise layers. Works on a model.json
 * object and on ModelArtifacts alike (both carry format and modelTopology).
 */
export function modelKind(json) {
  if (json.format === 'graph-model') return 'graph';
  const topo = json.modelTopology;
  if (topo && Array.isArray(topo.node)) return 'graph';
  return 'layers';
}

/** An IOHandler serving artifacts already in memory to tf.loadGraphModel / tf.loadLayersModel. */
export function artifactsHandler(artifacts) {
  return { load: async () => artifacts };
}
