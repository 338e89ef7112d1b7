// Reads a TensorFlow.js model.json plus its weight shards from the local file
// system and hands them to the STOCK tfjs loaders through a custom IOHandler.
//
// Why a custom handler instead of tf.io.fileSystem / file:// URLs: those live in
// tfjs-node, which cannot be installed here. The handler returns exactly the
// ModelArtifacts that tf.loadGraphModel / tf.loadLayersModel expect, so the
// loading code path (decodeWeights, graph transform, layer deserialization) is
// the one real applications use.
import fs from 'node:fs';
import path from 'node:path';

/** Reads model.json and all shards; returns { json, artifacts }. */
export function readModelArtifacts(modelJsonPath) {
  let text;
  try {
    text = fs.readFileSync(modelJsonPath, 'utf8');
  } catch (e) {
    throw new Error(`cannot read model file ${modelJsonPath}: ${e.code || e.message}`);
  }
  let json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`model file ${modelJsonPath} is not valid JSON: ${e.message}`);
  }
  if (json == null || typeof json !== 'object' || json.modelTopology == null) {
    throw new Error(`model file ${modelJsonPath} has no "modelTopology": not a TensorFlow.js model.json`);
  }
  const dir = path.dirname(modelJsonPath);
  const manifest = Array.isArray(json.weightsManifest) ? json.weightsManifest : [];
  // Shards are concatenated in manifest order (groups in order, paths in
  // order), which is how tfjs' own http/file loaders lay out weightData; the
  // specs are concatenated in the same order so offsets line up.
  const buffers = [];
  const weightSpecs = [];
  for (const group of manifest) {
    for (const p of group.paths || []) {
      const full = path.resolve(dir, p);
      try {
        buffers.push(fs.readFileSync(full));
      } catch (e) {
        throw new Error(`cannot read weight shard ${full} (listed in ${modelJsonPath}): ${e.code || e.message}`);
      }
    }
    weightSpecs.push(...(group.weights || []));
  }
  const all = Buffer.concat(buffers);
  // Copy into a fresh, exactly-sized ArrayBuffer (Buffer may view a pool).
  const weightData = new ArrayBuffer(all.byteLength);
  new Uint8Array(weightData).set(all);

  const artifacts = {
    modelTopology: json.modelTopology,
    weightSpecs,
    weightData,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
  };
  // Optional fields the loaders understand; pass them through untouched.
  for (const k of ['signature', 'userDefinedMetadata', 'modelInitializer',
                   'initializerSignature', 'trainingConfig']) {
    if (json[k] !== undefined) artifacts[k] = json[k];
  }
  return { json, artifacts };
}

/** graph vs layers, as the brief defines it. */
export function modelKind(json) {
  if (json.format === 'graph-model') return 'graph';
  const topo = json.modelTopology;
  if (topo && Array.isArray(topo.node)) return 'graph';
  return 'layers';
}

/** An IOHandler serving already-read artifacts (read once, used once). */
export function artifactsHandler(artifacts) {
  return { load: async () => artifacts };
}

/** An IOHandler that reads the files when the loader asks. */
export function fileIOHandler(modelJsonPath) {
  return { load: async () => readModelArtifacts(modelJsonPath).artifacts };
}
