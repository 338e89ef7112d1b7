// `auto` and `search` of the npm package (js/; needs cd js && npm run build):
// - the same measurements give the same plan: the native CLI's posenet
//   search at sqnr>=30 is recorded (--record) and replayed through the
//   package's search(): it asks for the same candidates in the same order,
//   and writes the CLI's files byte for byte;
// - auto() in Node with stock tfjs (cpu backend) on a layers model with one
//   planted fragile kernel: that kernel alone stays above uint8, the written
//   model holds the budget and loads in tfjs-layers; progress is reported;
//   cancelling rejects with CANCELLED and leaves the module's heap as it was;
// - errors a user can act on: no tfjs, a missing shard, a score budget.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as tfc from '@tensorflow/tfjs-converter';
import * as tfl from '@tensorflow/tfjs-layers';

import * as tq from '../../js/src/index.js';
import { FRAGILE, saveFragileModel } from './fragile_model.mjs';
import { makeTempDir, readEnv, removeDir, runCli, runSuite, tf } from './helpers.mjs';

const env = readEnv();
await runSuite(env, registerTests);

// What auto measures with: tfjs-core plus the two loaders.
const tfjs = { ...tf, loadGraphModel: tfc.loadGraphModel, loadLayersModel: tfl.loadLayersModel };

function folderFiles(dir) {
  return new Map(fs.readdirSync(dir).map((n) => [n, new Uint8Array(fs.readFileSync(path.join(dir, n)))]));
}

async function heap() {
  return (await tq.ready()).exports.tfq_heap_in_use();
}

function registerTests({ bin, models }) {
  describe('the same measurements choose the same plan', () => {
    let dir;
    before(async () => { dir = await makeTempDir('js-auto-replay'); });
    after(() => removeDir(dir));

    test('posenet: the CLI search replayed through search() asks the same and writes the same bytes', async () => {
      const out = path.join(dir, 'cli');
      const record = path.join(dir, 'record.jsonl');
      const { stdout } = await runCli(bin, ['auto', path.join(models, 'posenet.json'), out, '--budget', 'sqnr>=30',
                                            '--json', '--record', record]);
      const cli = JSON.parse(stdout);
      const steps = fs.readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(steps.length, cli.evaluations, 'one recorded line per evaluation');
      const files = new Map([['posenet.json', fs.readFileSync(path.join(models, 'posenet.json'))],
                             ['posenet.bin', fs.readFileSync(path.join(models, 'posenet.bin'))]]);
      const s = await tq.search(files, { budget: 'sqnr>=30', numInputs: cli.inputs, outputs: cli.guarded_outputs });
      try {
        let reply = null;
        for (const [k, step] of steps.entries()) {
          const next = await s.next(reply);
          assert.ok(!next.done, `the replay ended at step ${k + 1} of ${steps.length}`);
          assert.deepEqual(next.request.assign, step.assign, `step ${k + 1}: the candidate`);
          assert.deepEqual(next.request.inputs, step.inputs, `step ${k + 1}: the inputs`);
          reply = step.reply;
        }
        const done = await s.next(reply);
        assert.equal(done.done, true, 'no evaluation beyond the recorded ones');
        assert.equal(done.result.evaluations, cli.evaluations);
        const choices = Object.fromEntries(done.result.tensors.map((t) => [t.name, t.target]));
        for (const t of cli.tensors) {
          assert.equal(choices[t.name] === 'keep' ? 'float32' : choices[t.name], t.choice, t.name);
        }
        const written = await s.write();
        const want = folderFiles(out);
        assert.deepEqual([...written.files.keys()].sort(), [...want.keys()].sort());
        for (const [name, bytes] of want) assert.ok(Buffer.from(written.files.get(name)).equals(bytes), `${name} differs`);
      } finally {
        await s.close();
      }
    });
  });

  describe('auto() with stock tfjs in this process', () => {
    let dir;
    let files;
    before(async () => {
      await tf.setBackend('cpu');
      dir = await makeTempDir('js-auto');
      await saveFragileModel(dir);
      files = folderFiles(dir);
    });
    after(() => removeDir(dir));

    test('keeps exactly the fragile kernel above uint8; the written model holds the budget and loads', async () => {
      const seen = [];
      const r = await tq.auto(files, { tf: tfjs, budget: 'sqnr>=30', onProgress: (p) => seen.push(p) });
      for (const c of r.choices) {
        if (c.name === FRAGILE) assert.equal(c.target, 'float16', JSON.stringify(r.choices));
        else assert.equal(c.target, 'uint8', `${c.name}: ${JSON.stringify(r.choices)}`);
        assert.ok(c.why.length > 0, `${c.name} has a reason`);
      }
      assert.equal(r.holds, true);
      assert.ok(r.check.sqnr_db === null || r.check.sqnr_db >= 30, `written model: ${JSON.stringify(r.check)}`);
      assert.deepEqual(r.check, r.verified, 'same weights, same inputs, same numbers');
      assert.equal(seen.length, r.evaluations, 'one progress report per evaluation');
      assert.deepEqual(seen.map((p) => p.evaluations), [...Array(r.evaluations).keys()].map((k) => k + 1));
      assert.ok(seen.every((p) => p.estimatedTotal >= p.evaluations - 1 && typeof p.phase === 'string'));
      assert.ok(r.bytes.after < r.bytes.before / 2, `${r.bytes.after} of ${r.bytes.before} bytes`);
      const json = JSON.parse(new TextDecoder().decode(r.files.get('model.json')));
      const m = await tfl.loadLayersModel(tf.io.fromMemory({
        modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
        weightData: r.files.get(json.weightsManifest[0].paths[0]).slice().buffer,
      }));
      assert.deepEqual(m.predict(tf.ones([1, 16])).shape, [1, 8]);
      m.dispose();
    });

    test('cancelling rejects with CANCELLED and frees the search', async () => {
      await tq.ready();
      const before = await heap();
      const stop = new AbortController();
      await assert.rejects(
        tq.auto(files, { tf: tfjs, budget: 'sqnr>=30', signal: stop.signal, onProgress: () => stop.abort() }),
        (e) => e.code === 'CANCELLED');
      assert.equal(await heap(), before, 'the session and the model it held are freed');
    });

    test('errors name what to fix', async () => {
      await assert.rejects(tq.auto(files, { budget: 'sqnr>=30' }), (e) => e.code === 'INVALID_ARGUMENT' && /tfjs/.test(e.message));
      const noShard = new Map([...files].filter(([n]) => n !== 'weights.bin'));
      await assert.rejects(tq.auto(noShard, { tf: tfjs, budget: 'sqnr>=30' }),
                           (e) => e.code === 'NOT_FOUND' && e.message.includes('weights.bin'));
      await assert.rejects(tq.auto(files, { tf: tfjs, budget: 'score>=0.9' }),
                           (e) => e.code === 'INVALID_ARGUMENT' && /score/.test(e.message));
    });
  });
}
