// The protocol round trip shared by the layers and the graph model tests:
// load, exact reference reproduction, in-memory swap to a uint8 copy and to
// zeros, restore, and the independent eval_model checks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readWeight, quantizeUint8, writeQuantizedCopy, allZeroErr, tmpDir } from './helpers.mjs';

export async function swapRoundTrip(t, ev, modelJson, { kind, count, dims, pickWeight }) {
  const load = await ev.request({ cmd: 'load', model: modelJson, count, seed: 1, dims, inputs_dir: null, outputs: null });
  assert.equal(load.ok, true, load.error);
  assert.equal(load.kind, kind);
  assert.equal(load.count, count);
  assert.ok(load.inputs.length >= 1 && load.inputs.every(i => Array.isArray(i.shape) && i.shape.every(d => d > 0)));
  assert.ok(load.outputs.length >= 1 && load.outputs.every(o => o.shape.every(d => d > 0)));
  const manifestNames = JSON.parse(fs.readFileSync(modelJson, 'utf8')).weightsManifest.flatMap(g => g.weights.map(w => w.name));
  assert.deepEqual([...load.weights].sort(), [...manifestNames].sort());
  const nOut = load.outputs.length;

  // Reference reproduced exactly with the original weights.
  const e0 = await ev.request({ cmd: 'eval', assign: {}, inputs: null });
  assert.equal(e0.ok, true, e0.error);
  assert.equal(e0.inferences, count);
  assert.equal(e0.results.length, count * nOut);
  assert.ok(allZeroErr(e0.results), 'empty assign must reproduce the reference bit-exactly');
  // results ordered by input, then output
  e0.results.forEach((r, i) => {
    assert.equal(r.input, Math.floor(i / nOut));
    assert.equal(r.output, load.outputs[i % nOut].name);
    assert.ok(r.sig > 0 && r.sig === r.dot && r.sig === r.nout);
    assert.equal(r.argmax_ref, r.argmax_out);
  });
  t.diagnostic(`${kind}: eval of ${count} samples in ${e0.ms} ms (${(e0.ms / count).toFixed(2)} ms/inference)`);

  // Candidates: uint8 copy and zeros of one weight, same name, two keys.
  const wname = pickWeight(load.weights);
  const { spec, values } = readWeight(modelJson, wname);
  const q = quantizeUint8(values);
  const dir = tmpDir();
  const file = path.join(dir, 'candidates-1.bin');
  const zeros = Buffer.alloc(values.length * 4);
  fs.writeFileSync(file, Buffer.concat([Buffer.from(q.codes), zeros]));
  const wr = await ev.request({ cmd: 'weights', file, entries: [
    { key: `${wname}@uint8`, name: wname, shape: spec.shape, dtype: 'float32',
      quantization: { dtype: 'uint8', min: q.min, scale: q.scale, original_dtype: 'float32' } },
    { key: `${wname}@zero`, name: wname, shape: spec.shape, dtype: 'float32' },
  ] });
  assert.equal(wr.ok, true, wr.error);
  assert.equal(wr.count, 2);
  assert.ok(fs.existsSync(file), 'the evaluator must not delete the candidates file');

  const eq = await ev.request({ cmd: 'eval', assign: { [wname]: `${wname}@uint8` }, inputs: null });
  assert.equal(eq.ok, true, eq.error);
  assert.ok(eq.results.every(r => r.err > 0 && r.nonfinite === 0), 'uint8 weight must change the outputs');
  const ez = await ev.request({ cmd: 'eval', assign: { [wname]: `${wname}@zero` }, inputs: [0] });
  assert.equal(ez.ok, true, ez.error);
  assert.equal(ez.inferences, 1);
  assert.ok(ez.results.every(r => r.input === 0 && r.err > 0));
  assert.notEqual(ez.results[0].err, eq.results[0].err);

  // Originals restored bit-exactly.
  const e1 = await ev.request({ cmd: 'eval', assign: {}, inputs: null });
  assert.ok(allZeroErr(e1.results), 'empty assign after a swap must restore the reference');

  // Same candidate again gives the same numbers (determinism).
  const eq2 = await ev.request({ cmd: 'eval', assign: { [wname]: `${wname}@uint8` }, inputs: null });
  assert.deepEqual(eq2.results, eq.results);

  // Independent checks of written files with the same references.
  const em = await ev.request({ cmd: 'eval_model', model: modelJson, inputs: null });
  assert.equal(em.ok, true, em.error);
  assert.ok(allZeroErr(em.results), 'eval_model on the original file must give err 0');
  const qjson = writeQuantizedCopy(modelJson, wname, path.join(dir, 'q'));
  const emq = await ev.request({ cmd: 'eval_model', model: qjson, inputs: null });
  assert.equal(emq.ok, true, emq.error);
  assert.deepEqual(emq.results.map(r => r.err), eq.results.map(r => r.err),
      'a written uint8 file must score exactly like the in-memory swap');

  // eval after eval_model still uses the live model correctly.
  const e2 = await ev.request({ cmd: 'eval', assign: {}, inputs: [count - 1] });
  assert.ok(allZeroErr(e2.results));

  // Errors are reported, not fatal.
  const bad1 = await ev.request({ cmd: 'eval', assign: { [wname]: 'no-such-key' } });
  assert.equal(bad1.ok, false);
  assert.match(bad1.error, /no-such-key/);
  const bad2 = await ev.request({ cmd: 'eval', assign: { 'no/such/weight': `${wname}@uint8` } });
  assert.equal(bad2.ok, false);
  const bad3 = await ev.request({ cmd: 'eval', assign: {}, inputs: [count] });
  assert.equal(bad3.ok, false);
  const bad4 = await ev.request({ cmd: 'weights', file, entries: [{ key: 'x', name: wname, shape: [1], dtype: 'float32' }] });
  assert.equal(bad4.ok, false);
  assert.match(bad4.error, /shape/);
  const e3 = await ev.request({ cmd: 'eval', assign: {}, inputs: [0] });
  assert.ok(allZeroErr(e3.results));

  // Unknown output name lists the available ones; a known alias works.
  const bo = await ev.request({ cmd: 'load', model: modelJson, count: 1, seed: 1, dims, outputs: ['nope'] });
  assert.equal(bo.ok, false);
  assert.match(bo.error, /nope/);
  assert.ok(load.outputs.every(o => bo.error.includes(o.name)), bo.error);
  const one = await ev.request({ cmd: 'load', model: modelJson, count: 1, seed: 1, dims, outputs: [`${load.outputs[0].name}:0`] });
  assert.equal(one.ok, true, one.error);
  assert.deepEqual(one.outputs.map(o => o.name), [load.outputs[0].name]);
  const e4 = await ev.request({ cmd: 'eval', assign: {} });
  assert.equal(e4.results.length, 1);
  assert.ok(allZeroErr(e4.results));

  fs.rmSync(dir, { recursive: true, force: true });
  return { load, e0 };
}
