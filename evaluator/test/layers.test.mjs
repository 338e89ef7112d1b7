// Protocol round trip on a tiny layers model built and saved by the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startEvaluator, saveLayersModel, denseModel, tmpDir, allZeroErr } from '../testlib/helpers.mjs';
import { swapRoundTrip } from '../testlib/scenario.mjs';

test('layers model: load, swap, restore, eval_model, errors', async t => {
  const dir = tmpDir();
  const modelJson = await saveLayersModel(denseModel, path.join(dir, 'dense'));
  const ev = await startEvaluator();
  try {
    assert.deepEqual(ev.ready, { ready: true, tfjs: '4.22.0', backend: 'wasm' });
    const { load } = await swapRoundTrip(t, ev, modelJson, {
      kind: 'layers', count: 8, dims: { default: 256 },
      pickWeight: names => names.find(n => n.endsWith('kernel')),
    });
    assert.deepEqual(load.inputs.map(i => i.shape), [[1, 16]]);
    assert.deepEqual(load.outputs.map(o => o.shape), [[1, 4]]);
    assert.equal(load.weights.length, 4);

    // Timing over more samples (reported, not asserted).
    await ev.request({ cmd: 'load', model: modelJson, count: 64, seed: 3 });
    const e = await ev.request({ cmd: 'eval', assign: {} });
    assert.ok(allZeroErr(e.results));
    t.diagnostic(`layers dense 16-32-4: ${(e.ms / e.inferences).toFixed(3)} ms/inference over ${e.inferences}`);

    const q = await ev.quit();
    assert.equal(q.response.ok, true);
    assert.equal(q.code, 0);
    assert.deepEqual(ev.badLines, [], 'stdout must carry only protocol lines');
  } finally {
    ev.child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad requests never crash the evaluator; stdin close exits 0', async () => {
  const ev = await startEvaluator();
  try {
    let r = await ev.sendRaw('this is not json');
    assert.equal(r.ok, false);
    assert.equal(r.id, null);
    r = await ev.sendRaw('{"cmd":"eval"}');
    assert.equal(r.ok, false);
    assert.match(r.error, /id/);
    r = await ev.request({ cmd: 'frobnicate' });
    assert.equal(r.ok, false);
    assert.match(r.error, /unknown cmd/);
    r = await ev.request({ cmd: 'eval', assign: {} });
    assert.equal(r.ok, false);
    assert.match(r.error, /load/);
    r = await ev.request({ cmd: 'load', model: '/definitely/not/here/model.json' });
    assert.equal(r.ok, false);
    assert.match(r.error, /not\/here/);
    r = await ev.request({ cmd: 'load', model: 123 });
    assert.equal(r.ok, false);
    ev.child.stdin.end();
    const ex = await ev.exited;
    assert.equal(ex.code, 0);
    assert.deepEqual(ev.badLines, []);
  } finally {
    ev.child.kill();
  }
});
