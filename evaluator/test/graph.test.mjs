// Protocol round trip on a real graph model: posenet from the human-models
// package (scripts/fetch-models.sh). Skipped when TFJS_QUANT_MODELS is unset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startEvaluator } from '../testlib/helpers.mjs';
import { swapRoundTrip } from '../testlib/scenario.mjs';

const models = process.env.TFJS_QUANT_MODELS;
const posenet = models ? path.join(models, 'posenet.json') : null;
const skip = !models
  ? 'TFJS_QUANT_MODELS is not set (point it at the human-models models folder, see scripts/fetch-models.sh)'
  : !fs.existsSync(posenet) ? `${posenet} does not exist` : false;

test('graph model (posenet): load, swap, restore, eval_model, errors', { skip }, async t => {
  const ev = await startEvaluator();
  try {
    const { load, e0 } = await swapRoundTrip(t, ev, posenet, {
      kind: 'graph', count: 3, dims: { default: 256 },
      // the largest 4-D weight: a conv kernel
      pickWeight: names => {
        const specs = JSON.parse(fs.readFileSync(posenet, 'utf8')).weightsManifest.flatMap(g => g.weights);
        const conv = specs.filter(s => s.shape.length === 4 && names.includes(s.name))
            .sort((a, b) => b.shape.reduce((x, y) => x * y, 1) - a.shape.reduce((x, y) => x * y, 1));
        return conv[0].name;
      },
    });
    assert.equal(load.inputs[0].name, 'image');
    assert.deepEqual(load.inputs[0].shape, [1, 385, 385, 3]);
    assert.equal(load.outputs.length, 4);
    t.diagnostic(`posenet 385x385: ${(e0.ms / e0.inferences).toFixed(1)} ms/inference (load+reference ${load.ms} ms for ${load.count})`);
    assert.ok(e0.ms / e0.inferences < 1000, 'posenet must evaluate in under a second per sample');
    const q = await ev.quit();
    assert.equal(q.code, 0);
    assert.deepEqual(ev.badLines, []);
  } finally {
    ev.child.kill();
  }
});
