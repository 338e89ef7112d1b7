// `tfjs-quant auto` with the TensorFlow.js evaluator (evaluator/, wasm
// backend), as a user runs it:
// - a layers model built here with tfjs-layers, with one planted fragile
//   kernel: auto keeps exactly that tensor above uint8, measures the written
//   model again, and the written file loads in stock tfjs-layers;
// - --inputs with .npy files, --html, --outputs errors, Node missing;
// - posenet (a real graph model) within sqnr>=30 in fewer inferences than
//   one 8-input evaluation per tensor.
//
// Run: TFJS_QUANT_BIN=/path/to/tfjs-quant TFJS_QUANT_MODELS=/path/to/models node --test
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as tfl from '@tensorflow/tfjs-layers';

import { fileHandler, makeTempDir, readEnv, removeDir, runSuite, tf } from './helpers.mjs';

const env = readEnv();
await runSuite(env, registerTests);

function run(bin, args, extraEnv = {}) {
  return new Promise((resolve) => {
    execFile(bin, args, { maxBuffer: 64 << 20, env: { ...process.env, ...extraEnv } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : err.signal) : 0, stdout, stderr });
    });
  });
}

// mulberry32: a seeded PRNG, so the model is the same on every run.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGILE = 'dense_2/kernel';
const DEAD = 7;  // hidden unit that dense_1 never feeds

/**
 * Dense 16 -> 64 -> 64 -> 8. dense_1's kernel is non-negative with column 7
 * all zero, so hidden unit 7 is exactly 0 in every encoding (uint8 min is 0).
 * dense_2's kernel has +-1000 in row 7: harmless to the outputs, but it sets
 * the uint8 range, so its real values (about 0.05) all fall on a few levels.
 * float16 keeps them; the other kernels are fine at uint8.
 */
async function saveFragileModel(dir) {
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

/** A .npy (version 1.0) file of float32 values with the given shape. */
function writeNpy(file, shape, values) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(new Float32Array(values).buffer)]));
}

function choices(report) {
  return Object.fromEntries(report.tensors.map((t) => [t.name, t.choice]));
}

function registerTests({ bin, models }) {
  describe('auto on a layers model with one planted fragile tensor', () => {
    let dir;
    let modelJson;
    before(async () => {
      dir = await makeTempDir('auto');
      modelJson = await saveFragileModel(path.join(dir, 'in'));
    });
    after(() => removeDir(dir));

    test('keeps exactly the fragile kernel above uint8; the written model is measured again and loads in tfjs', async () => {
      const out = path.join(dir, 'out');
      const r = await run(bin, ['auto', modelJson, out, '--budget', 'sqnr>=30', '--json', '--compare']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stderr.includes('\r'), 'no progress bar when stderr is not a terminal');
      const rep = JSON.parse(r.stdout);
      assert.match(rep.evaluator, /TensorFlow\.js 4\.22\.0 \(wasm backend\) in Node, layers model/);
      assert.equal(rep.inputs, 8);
      const c = choices(rep);
      for (const [name, choice] of Object.entries(c)) {
        if (name === FRAGILE) assert.notEqual(choice, 'uint8', `${name}: ${JSON.stringify(rep.tensors)}`);
        else assert.equal(choice, 'uint8', `${name} should be uint8: ${JSON.stringify(rep.tensors)}`);
      }
      assert.equal(c[FRAGILE], 'float16', 'float16 keeps the small values the +-1000 row hides');
      assert.ok(rep.metrics.all_uint8.sqnr_db < 30, `all-uint8 breaks the budget: ${rep.metrics.all_uint8.sqnr_db}`);
      const final = rep.metrics.final.sqnr_db;
      assert.ok(final === 'exact' || final >= 30, `final ${final}`);
      assert.equal(rep.budget_holds, true);
      assert.deepEqual(rep.metrics.final, rep.metrics.search_verified, 'same weights, same inputs, same numbers');
      assert.ok(rep.evaluations >= 2 && rep.inferences === rep.inferences | 0);
      // The written manifest says what the report says.
      const written = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
      for (const w of written.weightsManifest[0].weights) {
        assert.equal(w.quantization?.dtype ?? 'float32', c[w.name], w.name);
      }
      // Stock tfjs-layers (cpu backend here) loads it and predicts close to the original.
      const orig = await tfl.loadLayersModel(fileHandler(modelJson));
      const quant = await tfl.loadLayersModel(fileHandler(path.join(out, 'model.json')));
      const x = tf.tensor2d(new Float32Array(16).map((_, i) => (i + 1) / 17), [1, 16]);
      const a = orig.predict(x).dataSync();
      const b = quant.predict(x).dataSync();
      let sig = 0;
      let err = 0;
      for (let i = 0; i < a.length; ++i) {
        sig += a[i] * a[i];
        err += (a[i] - b[i]) ** 2;
      }
      assert.ok(10 * Math.log10(sig / err) >= 30, `cpu-backend SQNR ${10 * Math.log10(sig / err)}`);
    });

    test('--inputs: a folder of .npy samples replaces the default inputs', async () => {
      const inputs = path.join(dir, 'npy');
      fs.mkdirSync(inputs, { recursive: true });
      const r0 = rng(7);
      for (let k = 0; k < 3; ++k) writeNpy(path.join(inputs, `s${k}.npy`), [1, 16], Array.from({ length: 16 }, r0));
      const r = await run(bin, ['auto', modelJson, path.join(dir, 'out-npy'), '--budget', 'sqnr>=30', '--json',
        '--inputs', inputs]);
      assert.equal(r.code, 0, r.stderr);
      const rep = JSON.parse(r.stdout);
      assert.equal(rep.inputs, 3);
      assert.match(rep.evaluator, /inputs from /);
      assert.notEqual(choices(rep)[FRAGILE], 'uint8');
    });

    test('--html shows the choice in the inspect report', async () => {
      const html = path.join(dir, 'auto.html');
      const r = await run(bin, ['auto', modelJson, path.join(dir, 'out-html'), '--budget', 'sqnr>=30', '--html', html]);
      assert.equal(r.code, 0, r.stderr);
      const page = fs.readFileSync(html, 'utf8');
      assert.match(page, /<p id="auto-summary"><b>auto:<\/b> budget sqnr&gt;=30: chose [\d,]+ bytes/);
      assert.match(page, /<th>auto<\/th><th>auto: why<\/th>/);
      assert.match(page, new RegExp(`${FRAGILE}</td>.*<td class="auto" data-v="float16">float16</td>`));
      // The text report: a row per tensor with its measured effect, and the sizes.
      assert.match(r.stdout, /dense_2\/kernel\s+4,096\s+float16\s+alone at uint8: outputs at -?[\d.]+ dB \(measured\)/);
      assert.match(r.stdout, /all uint8\s+[\d,]+\s+25\.0%\s+sqnr [\d.-]+ dB \(outside the budget\)/);
      assert.match(r.stdout, /search: \d+ evaluations, \d+ inferences/);
    });

    test('--outputs with an unknown name lists the outputs', async () => {
      const r = await run(bin, ['auto', modelJson, path.join(dir, 'out-bad'), '--budget', 'sqnr>=30', '--outputs', 'nope']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /tfjs-quant: error: .*nope.*dense_3/s);
      assert.ok(!fs.existsSync(path.join(dir, 'out-bad')));
    });

    test('without Node.js on PATH the error says what to install', async () => {
      const r = await run(bin, ['auto', modelJson, path.join(dir, 'out-nonode'), '--budget', 'sqnr>=30'],
        { PATH: '/nonexistent' });
      assert.equal(r.code, 7, r.stderr);
      assert.match(r.stderr, /Node\.js was not found on PATH/);
      assert.match(r.stderr, /--eval-cmd/);
    });
  });

  describe('auto on posenet (graph model)', () => {
    let dir;
    before(async () => { dir = await makeTempDir('auto-posenet'); });
    after(() => removeDir(dir));

    test('sqnr>=30 holds in the written model, below all-float16, in at most half the baseline inferences', async () => {
      const out = path.join(dir, 'out');
      const r = await run(bin, ['auto', path.join(models, 'posenet.json'), out, '--budget', 'sqnr>=30', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const rep = JSON.parse(r.stdout);
      assert.match(rep.evaluator, /graph model/);
      assert.ok(rep.metrics.final.sqnr_db >= 30, JSON.stringify(rep.metrics));
      assert.ok(rep.metrics.all_uint8.sqnr_db < 30);
      assert.ok(rep.sizes.chosen < rep.sizes.all_float16, JSON.stringify(rep.sizes));
      assert.equal(rep.sizes.chosen, rep.sizes.written);
      // The plain search: 54 evaluations x 8 inputs.
      assert.ok(rep.inferences <= 54 * 8 / 2, `inferences ${rep.inferences}`);
      // Some tensors had to stay above uint8, and each says why.
      const kept = rep.tensors.filter((t) => t.choice !== 'uint8');
      assert.ok(kept.length > 0);
      for (const t of kept) assert.match(t.why, /at uint8: outputs at/);
    });
  });
}
