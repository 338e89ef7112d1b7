// Reads a TensorFlow.js model.json plus its weight shards from the local file
// system; artifacts.mjs turns them into the ModelArtifacts that the STOCK
// tfjs loaders take through an IOHandler. Node-only (fs).
//
// Why a custom handler instead of tf.io.fileSystem / file:// URLs: those live in
// tfjs-node, which cannot be installed here.
import fs from 'node:fs';
import path from 'node:path';
import { modelArtifacts, artifactsHandler, modelKind } from './artifacts.mjs';

export { artifactsHandler, modelKind };

/** Reads model.json and all shards; returns { json, artifacts }. */
export function readModelArtifacts(modelJsonPath) {
  let text;
  try {
    text = fs.readFileSync(modelJsonPath, 'utf8');
  } catch (e) {
    throw new Error(`cannot read model file ${modelJsonPath}: ${e.code || e.message}`);
  }
  // Shard paths are relative to the model.json folder.
  const dir = path.dirname(modelJsonPath);
  return modelArtifacts(text, p => {
    const full = path.resolve(dir, p);
    try {
      return fs.readFileSync(full);
    } catch (e) {
      throw new Error(`cannot read weight shard ${full} (listed in ${modelJsonPath}): ${e.code || e.message}`);
    }
  }, modelJsonPath);
}

/** An IOHandler that reads the files when the loader asks. */
export function fileIOHandler(modelJsonPath) {
  return { load: async () => readModelArtifacts(modelJsonPath).artifacts };
}
