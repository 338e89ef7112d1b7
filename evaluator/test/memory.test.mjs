// The in-memory JavaScript API (Evaluator on artifacts, samples and bytes in
// memory) against the protocol over the child process: the same requests must
// give the same numbers, since both are the same code on the same backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { tfjs, initWasm } from '../lib/tf.mjs';
import { Evaluator } from '../lib/evaluator.mjs';
import { modelArtifacts, modelArtifactsAsync } from '../lib/artifacts.mjs';
import { defaultSamples, samplesFromImages } from '../lib/inputs.mjs';
import { samplesFromDir } from '../lib/inputs_dir.mjs';
import { UsageError } from '../lib/errors.mjs';
import {
  startEvaluator, layersArtifacts, writeArtifacts, denseModel, convModel, readWeight,
  quantizeUint8, writeQuantizedCopy, tmpDir, allZeroErr,
} from '../testlib/helpers.mjs';

const models = process.env.TFJS_QUANT_MODELS;
const posenet = models ? path.join(models, 'posenet.json') : null;
const skipPosenet = !models
  ? 'TFJS_QUANT_MODELS is not set (point it at the human-models models folder, see scripts/fetch-models.sh)'
  : !fs.existsSync(posenet) ? `${posenet} does not exist` : false;

// What a protocol reply carries of an in-memory result: the JSON round trip
// (non-finite -> null, -0 -> 0), without "ms" (timing differs).
const wire = r => { const { ms, ...rest } = JSON.parse(JSON.stringify(r)); return rest; };
const reply = r => { assert.equal(r.ok, true, r.error); const { id, ok, ms, ...rest } = r; return rest; };

/** A uint8 copy and zeros of weight `name`, as addWeights entries and bytes. */
function candidates(modelJson, name) {
  const { spec, values } = readWeight(modelJson, name);
  const q = quantizeUint8(values);
  const entries = [
    { key: `${name}@uint8`, name, shape: spec.shape, dtype: 'float32',
      quantization: { dtype: 'uint8', min: q.min, scale: q.scale, original_dtype: 'float32' } },
    { key: `${name}@zero`, name, shape: spec.shape, dtype: 'float32' },
  ];
  const bytes = new Uint8Array(q.codes.length + values.length * 4);
  bytes.set(q.codes, 0);
  return { entries, bytes };
}

/** model.json on disk -> artifacts, through artifacts.mjs (as a page would, with fetched shards). */
const artifactsOf = modelJson => modelArtifacts(fs.readFileSync(modelJson, 'utf8'),
    p => fs.readFileSync(path.join(path.dirname(modelJson), p)), modelJson).artifacts;

/**
 * Runs the same session in memory and over the protocol and asserts equal
 * replies: load, weights, eval (uint8, zeros, originals), eval_model of a
 * written uint8 copy, drop.
 */
async function sameAsProtocol(t, { ev, child, artifacts, modelJson, load, weight, dir }) {
  const mem = await ev.load({ artifacts, ...load });
  const pro = await child.request({ cmd: 'load', model: modelJson, inputs_dir: null, outputs: null, ...load });
  assert.deepEqual(wire(mem), reply(pro));
  t.diagnostic(`load in memory ${mem.ms} ms, over the protocol ${pro.ms} ms`);

  const name = weight(mem.weights);
  const { entries, bytes } = candidates(modelJson, name);
  const file = path.join(dir, 'candidates.bin');
  fs.writeFileSync(file, bytes);
  assert.deepEqual(ev.addWeights(entries, bytes), { count: 2, cached: 2 });
  assert.deepEqual(reply(await child.request({ cmd: 'weights', file, entries })), { count: 2, cached: 2 });

  const requests = [
    { assign: { [name]: `${name}@uint8` }, inputs: null },
    { assign: { [name]: `${name}@zero` }, inputs: [0] },
    { assign: {}, inputs: null },
  ];
  const evals = [];
  for (const req of requests) {
    const m = await ev.eval(req);
    assert.deepEqual(wire(m), reply(await child.request({ cmd: 'eval', ...req })), JSON.stringify(req));
    evals.push(m);
  }
  assert.ok(evals[0].results.every(r => r.err > 0), 'the uint8 weight must change the outputs');
  assert.ok(allZeroErr(evals[2].results), 'an empty assign must give back the references');

  const qjson = writeQuantizedCopy(modelJson, name, path.join(dir, 'q'));
  const em = await ev.evalArtifacts(artifactsOf(qjson), null, qjson);
  assert.deepEqual(wire(em), reply(await child.request({ cmd: 'eval_model', model: qjson, inputs: null })));
  assert.deepEqual(em.results.map(r => r.err), evals[0].results.map(r => r.err), 'written uint8 file scores like the swap');

  assert.deepEqual(ev.drop({ keys: [`${name}@zero`] }), { dropped: 1, cached: 1 });
  assert.deepEqual(reply(await child.request({ cmd: 'drop', keys: [`${name}@zero`] })), { dropped: 1, cached: 1 });
  return { mem, name, entries, bytes };
}

test('in-memory API on a layers model gives the protocol\'s numbers', async t => {
  await initWasm();
  const dir = tmpDir();
  const artifacts = await layersArtifacts(denseModel);
  const modelJson = writeArtifacts(path.join(dir, 'dense'), artifacts);
  const ev = new Evaluator(tfjs);
  const child = await startEvaluator();
  try {
    assert.throws(() => ev.addWeights([], new Uint8Array(0)), /no model loaded/);
    const { mem, name, entries, bytes } = await sameAsProtocol(t, {
      ev, child, artifacts, modelJson, dir,
      load: { count: 4, seed: 1, dims: { default: 256 } },
      weight: names => names.find(n => n.endsWith('kernel')),
    });
    assert.equal(mem.kind, 'layers');

    // Checks before decoding: a wrong size leaves the cache as it was; an
    // ArrayBuffer works as well as a Uint8Array.
    assert.throws(() => ev.addWeights(entries, bytes.subarray(1), 'candidates'), /candidates has \d+ bytes but the entries describe/);
    assert.deepEqual(ev.drop(), { dropped: 1, cached: 0 });
    const ab = bytes.buffer.slice(0);
    assert.deepEqual(ev.addWeights(entries, ab), { count: 2, cached: 2 });
    assert.ok((await ev.eval({ assign: { [name]: `${name}@uint8` } })).results.every(r => r.err > 0));

    // Samples given as an array, and as a function of the signature, equal
    // the default samples they were built from.
    const viaDefault = await ev.eval({});
    const inputs = mem.inputs.map(i => ({ name: i.name, shape: [null, 16], dtype: i.dtype }));
    const built = defaultSamples(inputs, [[1, 16]], 4, 1);
    const ref = (await ev.load({ artifacts, count: 4, seed: 1 }));
    const e0 = await ev.eval({ assign: {} });
    await ev.load({ artifacts, samples: built });
    assert.deepEqual((await ev.eval({})).results, e0.results);
    let seen;
    const viaFn = await ev.load({ artifacts, samples: async (ins, shapes) => { seen = { ins, shapes }; return defaultSamples(ins, shapes, 4, 1); } });
    assert.deepEqual(seen.shapes, [[1, 16]]);
    assert.equal(seen.ins[0].name, ref.inputs[0].name);
    assert.deepEqual(wire(viaFn), wire(ref));
    assert.deepEqual((await ev.eval({})).results, e0.results);
    assert.ok(allZeroErr(viaDefault.results));

    // Bad samples and outputs are usage errors; a failed load leaves no model.
    await assert.rejects(ev.load({ artifacts, samples: [[{ shape: [1, 15], dtype: 'float32', data: new Float32Array(15) }]] }),
        e => e instanceof UsageError && e.usage === true && /\[1,15\]/.test(e.message));
    await assert.rejects(ev.eval({}), /no model loaded/);
    await assert.rejects(ev.load({ artifacts, samples: [[{ shape: [1, 16], dtype: 'float32', data: new Int32Array(16) }]] }), /Float32Array/);
    await assert.rejects(ev.load({ artifacts, outputs: ['nope'] }), e => e.usage === true && /nope/.test(e.message));
    await assert.rejects(ev.load({ artifacts: { weightSpecs: [] } }), /ModelArtifacts/);
    assert.throws(() => new Evaluator({ tensor() {} }), /loadGraphModel/);
    ev.reset();
    assert.equal((await child.quit()).code, 0);
  } finally {
    ev.reset();
    child.child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('in-memory API on posenet gives the protocol\'s numbers', { skip: skipPosenet }, async t => {
  await initWasm();
  const dir = tmpDir();
  // Shards fetched asynchronously, as a page does.
  const { artifacts } = await modelArtifactsAsync(await fs.promises.readFile(posenet, 'utf8'),
      p => fs.promises.readFile(path.join(path.dirname(posenet), p)), posenet);
  const ev = new Evaluator(tfjs);
  const child = await startEvaluator();
  try {
    const { mem } = await sameAsProtocol(t, {
      ev, child, artifacts, modelJson: posenet, dir,
      load: { count: 2, seed: 1, dims: { default: 256 } },
      // the largest 4-D weight: a conv kernel
      weight: names => artifacts.weightSpecs.filter(s => s.shape.length === 4 && names.includes(s.name))
          .sort((a, b) => b.shape.reduce((x, y) => x * y, 1) - a.shape.reduce((x, y) => x * y, 1))[0].name,
    });
    assert.equal(mem.kind, 'graph');
    assert.deepEqual(mem.inputs[0].shape, [1, 385, 385, 3]);
    assert.equal((await child.quit()).code, 0);
  } finally {
    ev.reset();
    child.child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('samplesFromImages equals a PNG of the same pixels read from a folder', async () => {
  const dir = tmpDir();
  try {
    const W = 12, H = 10;
    const rgba = new Uint8ClampedArray(W * H * 4);
    for (let i = 0; i < W * H; i++) rgba.set([i % 256, (i * 7) % 256, (i * 13) % 256, 128], i * 4);
    const png = new PNG({ width: W, height: H });
    png.data.set(rgba);
    fs.writeFileSync(path.join(dir, 'a.png'), PNG.sync.write(png));
    const image = { name: 'a.png', width: W, height: H, rgba };
    const cases = [
      [{ name: 'x', shape: [-1, 8, 8, 3], dtype: 'float32' }, [1, 8, 8, 3]],   // resized, /255
      [{ name: 'x', shape: [1, -1, -1, 1], dtype: 'int32' }, [1, H, W, 1]],    // same size, luminance, 0..255
      [{ name: 'x', shape: [1, 5, 7, 3], dtype: 'int32' }, [1, 5, 7, 3]],
    ];
    for (const [input, shape] of cases) {
      const fromDir = samplesFromDir(dir, [input], [shape]);
      const fromImages = samplesFromImages([image], [input], [shape]);
      assert.deepEqual(fromImages, fromDir, JSON.stringify(input));
    }
    // The same through Evaluator.load: a samples function over images gives
    // the references the protocol computes from the folder.
    await initWasm();
    const artifacts = await layersArtifacts(convModel);
    const modelJson = writeArtifacts(path.join(dir, 'conv'), artifacts);
    const ev = new Evaluator(tfjs);
    const child = await startEvaluator();
    try {
      const mem = await ev.load({ artifacts, samples: (inputs, shapes) => samplesFromImages([image, { ...image, name: 'b' }], inputs, shapes) });
      assert.equal(mem.count, 2);
      const pro = await child.request({ cmd: 'load', model: modelJson, inputs_dir: dir });
      assert.equal(pro.ok, true, pro.error);
      assert.equal(pro.count, 1);
      const a = await ev.eval({ inputs: [1] });
      const b = await child.request({ cmd: 'eval', assign: {} });
      assert.deepEqual(a.results.map(r => r.sig), b.results.map(r => r.sig));
      assert.ok(a.results[0].sig > 0);
      assert.equal((await child.quit()).code, 0);
    } finally {
      ev.reset();
      child.child.kill();
    }
    // Single-input models only; rgba must match the size.
    const two = [{ name: 'a', shape: [1, 8, 8, 3], dtype: 'float32' }, { name: 'b', shape: [1, 8, 8, 3], dtype: 'float32' }];
    assert.throws(() => samplesFromImages([image], two, [[1, 8, 8, 3], [1, 8, 8, 3]]), e => e.usage === true && /one input/.test(e.message));
    assert.throws(() => samplesFromImages([{ ...image, height: 9 }], [cases[0][0]], [cases[0][1]]), /a\.png: rgba has 480 bytes/);
    assert.throws(() => samplesFromImages([image], [{ name: 'x', shape: [1, 16], dtype: 'float32' }], [[1, 16]]), /a\.png: images need an input of shape/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
