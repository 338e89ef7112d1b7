// Stock TensorFlow.js (tfjs-core + tfjs-converter 4.22.0, cpu backend) must
// decode tfjs-quant output exactly as tfjs-quant's own `dequantize` does, for
// the real models in TFJS_QUANT_MODELS (a sample that covers what they
// differ in; every one with TFJS_QUANT_SAMPLE=all: bench/compat.sh) and each
// quantization dtype; and every quantized graph model must run one inference.
//
// Run: TFJS_QUANT_BIN=/path/to/tfjs-quant TFJS_QUANT_MODELS=/path/to/models node --test
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';

import * as tfconv from '@tensorflow/tfjs-converter';

import {
  bytesOfTypedArray, describeMismatch, fileHandler, findJson, keptWeights, makeTempDir, manifestOf, readEnv,
  readJson, removeDir, runCli, runSuite, sampleModels, sliceUnquantized, tf,
} from './helpers.mjs';

const env = readEnv();
const DTYPES = ['uint8', 'uint16', 'float16'];

await runSuite(env, registerModelTests);

/** Quantizes `jsonPath` into `<tmp>/q` with --quantize_<dtype>, dequantizes that into `<tmp>/d`. */
async function quantizeAndDequantize(bin, jsonPath, dtype, tmp, extra = []) {
  const qDir = path.join(tmp, 'q');
  const dDir = path.join(tmp, 'd');
  const q = await runCli(bin, ['quantize', jsonPath, qDir, `--quantize_${dtype}`, ...extra]);
  await runCli(bin, ['dequantize', qDir, dDir]);
  return { qDir, dDir, stderr: q.stderr };
}

/**
 * The quantized manifest must hold the requested quantization for every
 * float32 weight, except the ones the CLI warned about (kept as stored).
 * Non-float32 weights are kept as stored. Returns the number of weights
 * quantized to `dtype`, so a run that quantized nothing fails.
 */
function checkQuantizedManifest(inManifest, outManifest, dtype, kept) {
  const inEntries = new Map(inManifest.flatMap((g) => g.weights).map((e) => [e.name, e]));
  const outEntries = outManifest.flatMap((g) => g.weights);
  assert.deepEqual(outEntries.map((e) => e.name), [...inEntries.keys()], 'the output keeps every weight, in order');
  let quantized = 0;
  for (const e of outEntries) {
    const orig = inEntries.get(e.name);
    assert.equal(e.dtype, orig.dtype, `weight ${e.name}: logical dtype changed`);
    assert.deepEqual(e.shape, orig.shape, `weight ${e.name}: shape changed`);
    if (e.dtype === 'float32' && !kept.has(e.name)) {
      assert.equal(e.quantization?.dtype, dtype,
        `weight ${e.name}: float32 weight not quantized to ${dtype}: ${JSON.stringify(e.quantization)}`);
      quantized++;
    } else {
      assert.deepEqual(e.quantization, orig.quantization,
        `weight ${e.name} (${e.dtype}${kept.has(e.name) ? ', CLI warned: kept as stored' : ''}) must keep its stored encoding`);
    }
  }
  for (const name of kept.keys()) {
    assert.equal(inEntries.get(name)?.dtype, 'float32', `the CLI warned about weight ${name}, which is not a float32 weight`);
  }
  return quantized;
}

/** Compares every weight in a GraphModel's weight map with tfjs-quant's decode, bit for bit. */
function compareWeightMap(weightMap, decoded, quantizedEntries) {
  const tfNames = Object.keys(weightMap).sort();
  const toolNames = [...decoded.keys()].sort();
  assert.deepEqual(tfNames, toolNames, 'tfjs and tfjs-quant decode the same set of weight names');
  const failures = [];
  for (const [name, { entry, bytes }] of decoded) {
    const tensors = weightMap[name];
    assert.equal(tensors.length, 1, `weight ${name}: one tensor`);
    const t = tensors[0];
    assert.equal(t.dtype, entry.dtype, `weight ${name}: tfjs dtype`);
    assert.deepEqual(t.shape, entry.shape, `weight ${name}: tfjs shape`);
    assert.ok(['float32', 'int32', 'bool'].includes(t.dtype), `weight ${name}: unexpected dtype ${t.dtype}`);
    const got = bytesOfTypedArray(t.dataSync());
    const msg = describeMismatch(name, t.dtype, got, bytes, quantizedEntries.get(name)?.quantization);
    if (msg) failures.push(msg);
  }
  assert.equal(failures.length, 0,
    `${failures.length} weight(s) decoded differently by tfjs and tfjs-quant:\n${failures.join('\n')}`);
}

// --- inference -------------------------------------------------------------

/**
 * Synthetic inputs from the graph's input nodes: unknown batch dims become 1,
 * other unknown dims 64; inputs of unknown rank (rvm's recurrent states and
 * downsample_ratio) become scalars. Float inputs get deterministic values in
 * [0,1] (scalars 0.5, a sensible rvm downsample_ratio), int32 inputs values in
 * [0,255] (image models), bool inputs alternate.
 */
function syntheticInputs(model) {
  const feeds = {};
  model.inputs.forEach((input, k) => {
    const shape = input.shape == null ? [] : input.shape.map((d, i) => (d != null && d >= 0 ? d : i === 0 ? 1 : 64));
    const n = shape.reduce((a, b) => a * b, 1);
    const dtype = input.dtype ?? 'float32';
    let values;
    if (dtype === 'int32') {
      values = new Int32Array(n).map((_, i) => (i * 37 + k * 11) % 256);
    } else if (dtype === 'bool') {
      values = new Uint8Array(n).map((_, i) => i % 2);
    } else if (dtype === 'float32') {
      values = n === 1 ? new Float32Array([0.5]) : new Float32Array(n).map((_, i) => ((i * 37 + k * 11) % 251) / 250);
    } else {
      throw new Error(`input ${input.name}: no synthetic values for dtype ${dtype}`);
    }
    feeds[input.name] = tf.tensor(values, shape, dtype);
  });
  return feeds;
}

/** executeAsync, without tfjs's advice to use execute() for graphs with no control flow. */
async function executeQuietly(model, feeds) {
  const warn = console.warn;
  console.warn = (...args) => {
    if (!String(args[0]).includes('You can use model.execute() instead')) warn(...args);
  };
  try {
    return await model.executeAsync(feeds);
  } finally {
    console.warn = warn;
  }
}

// --- registration ------------------------------------------------------------

function registerModelTests({ bin, models, modelFiles: all }) {
  const modelFiles = sampleModels(all);
  describe(`tfjs reads tfjs-quant output of ${modelFiles.length} real models like tfjs-quant does`, () => {
    for (const file of modelFiles) {
      const jsonPath = path.join(models, file);
      describe(file, () => {
        for (const dtype of DTYPES) {
          test(`--quantize_${dtype}: tf.loadGraphModel weights == tfjs-quant dequantize, bit for bit`, async (t) => {
            const tmp = await makeTempDir(`${dtype}`);
            t.after(() => removeDir(tmp));
            const { qDir, dDir, stderr } = await quantizeAndDequantize(bin, jsonPath, dtype, tmp);
            const kept = keptWeights(stderr);
            const qJsonPath = findJson(qDir);
            assert.equal(path.basename(qJsonPath), file, 'the output keeps the input JSON file name');
            const qManifest = manifestOf(readJson(qJsonPath));
            const quantized = checkQuantizedManifest(manifestOf(readJson(jsonPath)), qManifest, dtype, kept);
            assert.ok(quantized > 0, `no weight was quantized to ${dtype}`);

            const decoded = sliceUnquantized(dDir, manifestOf(readJson(findJson(dDir))));
            const qEntries = new Map(qManifest.flatMap((g) => g.weights).map((e) => [e.name, e]));
            for (const [name, { entry }] of decoded) {
              assert.equal(entry.dtype, qEntries.get(name)?.dtype, `weight ${name}: dequantized dtype`);
            }

            const model = await tfconv.loadGraphModel(fileHandler(qJsonPath));
            try {
              compareWeightMap(model.weights, decoded, qEntries);
            } finally {
              model.dispose();
            }
          });
        }

        test('one inference on the uint8 variant (executeAsync, cpu backend)', async (t) => {
          const tmp = await makeTempDir('infer');
          t.after(() => removeDir(tmp));
          const qDir = path.join(tmp, 'q');
          await runCli(bin, ['quantize', jsonPath, qDir, '--quantize_uint8']);
          const before = tf.memory().numTensors;
          const model = await tfconv.loadGraphModel(fileHandler(findJson(qDir)));
          const feeds = syntheticInputs(model);
          let outputs = [];
          try {
            const result = await executeQuietly(model, feeds);
            outputs = Array.isArray(result) ? result : [result];
            assert.ok(outputs.length > 0, 'the model returned no output');
            assert.equal(outputs.length, model.outputs.length, 'one tensor per model output');
            for (const [i, out] of outputs.entries()) {
              const where = `output ${i} (${model.outputs[i].name})`;
              assert.ok(out instanceof tf.Tensor, `${where} is not a tensor`);
              assert.ok(out.shape.every((d) => Number.isInteger(d) && d > 0),
                `${where} has shape ${JSON.stringify(out.shape)}: expected finite positive dims`);
              assert.equal(out.size, out.shape.reduce((a, b) => a * b, 1));
              const data = out.dataSync();
              assert.equal(data.length, out.size, `${where}: data length`);
              if (out.dtype === 'float32') {
                const bad = data.findIndex((v) => !Number.isFinite(v));
                assert.equal(bad, -1, `${where} holds a non-finite value ${data[bad]} at index ${bad}`);
              }
            }
          } finally {
            tf.dispose(outputs);
            tf.dispose(Object.values(feeds));
            model.dispose();
          }
          assert.equal(tf.memory().numTensors, before, 'every tensor was disposed');
        });
      });
    }
  });
}
