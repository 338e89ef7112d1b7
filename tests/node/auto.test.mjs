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

import { FRAGILE, rng, saveFragileModel } from './fragile_model.mjs';
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
