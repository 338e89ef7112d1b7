// Loads tfjs (core + converter + layers) and initializes the wasm backend.
// Kept in its own module so the entry point can redirect console output
// BEFORE any tfjs module runs (tfjs logs with console.log/console.warn, and
// stdout is reserved for protocol lines).
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-converter';
import * as tfl from '@tensorflow/tfjs-layers';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export { tf, tfc, tfl };

/**
 * The namespace Evaluator takes: tfjs-core plus the two stock loaders, i.e.
 * what the global `tf` of the UMD bundles offers in a page.
 */
export const tfjs = { ...tf, loadGraphModel: tfc.loadGraphModel, loadLayersModel: tfl.loadLayersModel };

let ready = null;

/** Resolves once tf.getBackend() === 'wasm'; throws a helpful error otherwise. */
export function initWasm() {
  if (ready) return ready;
  ready = (async () => {
    // The .wasm binaries sit next to the package's node build in dist/.
    // Pointing setWasmPaths at that folder (a plain file path: in Node the
    // emscripten loader reads it with fs) makes loading independent of the
    // working directory and of how the package was bundled.
    const require = createRequire(import.meta.url);
    const distDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    setWasmPaths(distDir + path.sep);
    const ok = await tf.setBackend('wasm');
    await tf.ready();
    if (!ok || tf.getBackend() !== 'wasm') {
      throw new Error(`could not initialize the tfjs wasm backend (active backend: ${tf.getBackend()}); check that node_modules/@tensorflow/tfjs-backend-wasm/dist has the .wasm files (run npm ci in evaluator/)`);
    }
    return tf.getBackend();
  })();
  return ready;
}
