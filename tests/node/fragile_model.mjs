// A tfjs-layers model with one planted fragile kernel, written as a model
// folder: what auto must keep above uint8 (auto.test.mjs: the CLI;
// js_auto.test.mjs: the JavaScript API).
import fs from 'node:fs';
import path from 'node:path';

import * as tfl from '@tensorflow/tfjs-layers';

import { tf } from './helpers.mjs';

// mulberry32: a seeded PRNG, so the model is the same on every run.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const FRAGILE = 'dense_2/kernel';
const DEAD = 7;  // hidden unit that dense_1 never feeds

/**
 * Dense 16 -> 64 -> 64 -> 8. dense_1's kernel is non-negative with column 7
 * all zero, so hidden unit 7 is exactly 0 in every encoding (uint8 min is 0).
 * dense_2's kernel has +-1000 in row 7: harmless to the outputs, but it sets
 * the uint8 range, so its real values (about 0.05) all fall on a few levels.
 * float16 keeps them; the other kernels are fine at uint8.
 */
export async function saveFragileModel(dir) {
  const r = rng(42);
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ inputShape: [16], units: 64, name: 'dense_1' }));
  m.add(tfl.layers.dense({ units: 64, name: 'dense_2' }));
  m.add(tfl.layers.dense({ units: 8, name: 'dense_3' }));
  const k1 = new Float32Array(16 * 64).map((_, i) => (i % 64 === DEAD ? 0 : 0.5 * r()));
  const k2 = new Float32Array(64 * 64).map((_, i) => {
    const row = Math.floor(i / 64);
    return row === DEAD ? (i % 2 ? 1000 : -1000) : 0.1 * (r() - 0.5);
  });
  const k3 = new Float32Array(64 * 8).map(() => 0.4 * (r() - 0.5));
  m.setWeights([
    tf.tensor2d(k1, [16, 64]), tf.zeros([64]),
    tf.tensor2d(k2, [64, 64]), tf.zeros([64]),
    tf.tensor2d(k3, [64, 8]), tf.zeros([8]),
  ]);
  let saved;
  await m.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
    format: 'layers-model', generatedBy: saved.generatedBy, convertedBy: null, modelTopology: saved.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: saved.weightSpecs }],
  }));
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(saved.weightData));
  return path.join(dir, 'model.json');
}

