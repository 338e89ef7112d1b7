// Hostile values through the package's API (js/src/; needs js/dist/, cd js
// && npm run build), where no model file is involved:
// - nesting: option values and ModelArtifacts weightSpecs 100,000 deep (and
//   auto's and search's values) are LIMIT_EXCEEDED, naming where and the
//   limit, never a RangeError of the stack; 2,000 deep is refused as it was
//   (the core's limits: an option at most 63 levels, the model JSON at most
//   json_depth), and passes where options.limits raises json_depth; a value
//   that holds itself is INVALID_ARGUMENT and one shared along 2^40 paths
//   is cut at json_bytes, neither a hang; weightSpecs are written as
//   JSON.stringify writes them; named tensors' messages are bounded;
// - options: anything but a plain object (a Map, an array, a class
//   instance, a Date, a function), an own "__proto__" key (JSON.parse makes
//   one) and an unknown key are INVALID_ARGUMENT naming the shape or the key,
//   never silently ignored.
// Every message is bounded and holds no control character.
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { after, before, describe, test } from 'node:test';

import * as tfc from '@tensorflow/tfjs-converter';
import * as tfl from '@tensorflow/tfjs-layers';

import * as tq from '../../js/src/index.js';
import { saveFragileModel } from './fragile_model.mjs';
import { makeTempDir, modelFiles, removeDir, tf } from './helpers.mjs';

const DEEP = 100_000;

/** `[[[...[]...]]]`, `n` arrays deep. */
function deepArray(n) {
  let v = [];
  for (let i = 1; i < n; ++i) v = [v];
  return v;
}

/** `{a: {a: ... {}}}`, `n` objects deep. */
function deepObject(n) {
  let v = {};
  for (let i = 1; i < n; ++i) v = { a: v };
  return v;
}

const SPECS = [{ name: 'w0', shape: [4], dtype: 'float32' }, { name: 'w1', shape: [2, 2], dtype: 'float32' }];
const DATA = new Float32Array([0.5, -1, 2, 0.25, 3, -0.75, 1.5, 0]);

function artifacts(specs = SPECS) {
  return { modelTopology: { node: [] }, format: 'graph-model', weightSpecs: specs, weightData: DATA.slice().buffer };
}

function files() {
  return new Map([['model.json', JSON.stringify({ modelTopology: { node: [] }, weightsManifest: [{
    paths: ['w.bin'], weights: SPECS }] })], ['w.bin', new Uint8Array(DATA.buffer.slice(0))]]);
}

/** SPECS with `extra` (a member tfjs ignores) in the second entry. */
function specsWith(extra) {
  return [SPECS[0], { ...SPECS[1], extra }];
}

/**
 * Asserts that `call()` throws or rejects with a TfjsQuantError of `code`
 * whose message matches every pattern of `want`, is short and has no
 * control character.
 */
async function rejectsWith(call, code, want, label) {
  const e = await Promise.resolve().then(call).then(() => null, (err) => err);
  assert.ok(e, `${label}: resolved`);
  assert.ok(e instanceof tq.TfjsQuantError, `${label}: ${e?.name}: ${String(e?.message).slice(0, 300)}`);
  assert.equal(e.code, code, `${label}: ${e.message}`);
  assert.ok(e.message.length < 500, `${label}: a message of ${e.message.length} characters`);
  assert.doesNotMatch(e.message, /[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/, label);
  for (const re of want) assert.match(e.message, re, label);
  return e;
}

describe('deep values', () => {
  for (const [shape, make] of [['arrays', deepArray], ['objects', deepObject]]) {
    test(`option values of ${shape} 100,000 deep are LIMIT_EXCEEDED naming the option`, async () => {
      const deep = make(DEEP);
      const cases = [
        ['quantize plan', () => tq.quantize(files(), { plan: { w0: deep } }), /options\.plan/],
        ['quantize uint8', () => tq.quantize(files(), { uint8: deep }), /options\.uint8/],
        ['quantize of artifacts', () => tq.quantize(artifacts(), { skip: deep }), /options\.skip/],
        ['dequantize', () => tq.dequantize(files(), { limits: deep }), /options\.limits/],
        ['inspect', () => tq.inspect(files(), { limits: { json_depth: deep } }), /options\.limits/],
        ['inspect of artifacts', () => tq.inspect(artifacts(), { wire: deep }), /options\.wire/],
        ['diff', () => tq.diff(files(), artifacts(), { limits: deep }), /options\.limits/],
        ['quantizeTensors', () => tq.quantizeTensors({ w: { data: DATA, shape: [8], dtype: 'float32' } },
                                                      { uint8: deep }), /options\.uint8/],
        ['matchNames', () => tq.matchNames(['a'], deep), /patterns/],
        ['matchNames names', () => tq.matchNames([deep], '*'), /names/],
      ];
      for (const [label, call, where] of cases) await rejectsWith(call, 'LIMIT_EXCEEDED', [where, /63/], label);
    });

    test(`a weightSpecs entry holding ${shape} 100,000 deep is LIMIT_EXCEEDED naming the entry and json_depth`,
         async () => {
      const specs = specsWith(make(DEEP));
      const want = [/weightSpecs\[1\]/, /json_depth \(1000\)/];
      await rejectsWith(() => tq.quantize(artifacts(specs), { uint8: true }), 'LIMIT_EXCEEDED', want, 'quantize');
      await rejectsWith(() => tq.dequantize(artifacts(specs)), 'LIMIT_EXCEEDED', want, 'dequantize');
      await rejectsWith(() => tq.inspect(artifacts(specs)), 'LIMIT_EXCEEDED', want, 'inspect');
      await rejectsWith(() => tq.diff(artifacts(specs), artifacts()), 'LIMIT_EXCEEDED', want, 'diff (a)');
      await rejectsWith(() => tq.diff(artifacts(), artifacts(specs)), 'LIMIT_EXCEEDED', want, 'diff (b)');
      const saved = [];
      const handler = tq.withQuantization({ save: async (a) => { saved.push(a); return {}; } }, { uint8: true });
      await rejectsWith(() => handler.save(artifacts(specs)), 'LIMIT_EXCEEDED', want, 'withQuantization');
      assert.equal(saved.length, 0);
      // The limit the message names is the one options.limits sets.
      await rejectsWith(() => tq.inspect(artifacts(specs), { limits: { json_depth: 5000 } }), 'LIMIT_EXCEEDED',
                        [/weightSpecs\[1\]/, /json_depth \(5000\)/], 'inspect, json_depth 5000');
    });
  }

  test('2,000 deep is refused as before: LIMIT_EXCEEDED for an option and for a weightSpecs entry', async () => {
    for (const make of [deepArray, deepObject]) {
      const deep = make(2000);
      await rejectsWith(() => tq.quantize(files(), { plan: { w0: deep } }), 'LIMIT_EXCEEDED', [/options\.plan/], 'option');
      await rejectsWith(() => tq.inspect(artifacts(), { wire: deep }), 'LIMIT_EXCEEDED', [/options\.wire/], 'option');
      await rejectsWith(() => tq.quantize(artifacts(specsWith(deep)), { uint8: true }), 'LIMIT_EXCEEDED',
                        [/json_depth \(1000\)/], 'weightSpecs');
      await rejectsWith(() => tq.diff(artifacts(specsWith(deep)), artifacts()), 'LIMIT_EXCEEDED', [/json_depth/], 'diff');
    }
  });

  test('a deep weightSpecs member within a raised json_depth is written as before (no stack overflow)', async () => {
    for (const depth of [2000, DEEP]) {
      const limits = { json_depth: depth + 10 };
      const specs = specsWith(deepObject(depth));
      const got = await tq.quantize(artifacts(specs), { uint8: true, limits });
      const plain = await tq.quantize(artifacts(), { uint8: true });
      assert.deepEqual(got.weightSpecs.map((s) => s.quantization?.dtype), ['uint8', 'uint8'], `${depth}`);
      assert.deepEqual(new Uint8Array(got.weightData), new Uint8Array(plain.weightData), `${depth}`);
      const report = await tq.inspect(artifacts(specs), { limits, wire: false });
      assert.equal(report.tensors.length, 2);
    }
  });

  test('weightSpecs are written as JSON.stringify writes them (the core reads the same manifest)', async () => {
    const { jsonText } = await import('../../js/src/options.js');  // the package's own, not exported
    class Spec {
      constructor() {
        this.name = 'c';
        this.shape = [1];
        this.skip = () => 1;
      }
    }
    const values = [
      SPECS, { name: 'é"\\\n\u2028\ud800', shape: [], dtype: 'string', group: undefined, z: -0, big: 1e300, nan: NaN,
               inf: -Infinity, date: new Date(0), sym: Symbol('s'), fn() {}, nul: null, 10: 'ten', 2: 'two' },
      [undefined, () => 1, Symbol('x'), NaN, [1, , 3], new Number(3), new String('s'), new Boolean(false),
       { toJSON: (key) => `key ${key}` }, { toJSON: () => undefined }],
      new Spec(), Object.assign(Object.create(null), { x: [1, { y: [] }] }), {}, [], 'text', 5, true, null,
      // Boxed values from another realm are known by their slot, as JSON.stringify knows them.
      [vm.runInNewContext('new String("s")'), vm.runInNewContext('new Number(5)'), vm.runInNewContext('new Boolean(true)')],
      [Object.create(Number.prototype)],
    ];
    for (const v of values) assert.equal(jsonText(v, 'v'), JSON.stringify(v));
    assert.equal(jsonText(undefined, 'v'), undefined);
    assert.throws(() => JSON.stringify([Object(1n)]), TypeError);
    assert.throws(() => jsonText([Object(1n)], 'v'), (e) => e.code === 'INVALID_ARGUMENT' && /BigInt/.test(e.message));
  });

  test('a sparse weightSpecs of 2^32 - 1 holes is LIMIT_EXCEEDED at once, naming the weights limit', async () => {
    const t0 = Date.now();
    await rejectsWith(() => tq.quantize(artifacts(new Array(2 ** 32 - 1)), { uint8: true }), 'LIMIT_EXCEEDED',
                      [/weightSpecs: 4294967295 entries exceed the limit weights \(65536\)/, /limits: \{weights: N\}/], 'sparse');
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  });

  test('a value that holds itself is INVALID_ARGUMENT, not a hang or a stack overflow', async () => {
    const loop = { name: 'w1', shape: [2, 2], dtype: 'float32' };
    loop.self = { back: loop };
    await rejectsWith(() => tq.quantize(artifacts([SPECS[0], loop]), { uint8: true }), 'INVALID_ARGUMENT',
                      [/weightSpecs\[1\]/, /itself/], 'weightSpecs');
    const plan = { w0: 'uint8' };
    plan.again = [plan];
    await rejectsWith(() => tq.quantize(files(), { plan }), 'INVALID_ARGUMENT', [/options\.plan/, /itself/], 'option');
    const list = [];
    list.push(list);
    await rejectsWith(() => tq.inspect(files(), { limits: { json_depth: list } }), 'INVALID_ARGUMENT',
                      [/options\.limits/, /itself/], 'inspect');
    // Shared along many paths: 2^40 copies of one array, cut at json_bytes.
    let dag = [1, 2, 3];
    for (let i = 0; i < 40; ++i) dag = [dag, dag];
    await rejectsWith(() => tq.quantize(artifacts(specsWith(dag)), { limits: { json_bytes: 1 << 20 } }), 'LIMIT_EXCEEDED',
                      [/weightSpecs\[1\]/, /json_bytes \(1048576\)/], 'shared');
    // The same object twice, side by side, is no cycle.
    const shared = { note: 'kept' };
    const r = await tq.quantize(artifacts(specsWith({ x: shared, y: [shared, shared] })), { uint8: true });
    assert.deepEqual(r.weightSpecs[1].extra, { x: shared, y: [shared, shared] });
  });

  test('named tensors: a deep shape or dtype, a long name: INVALID_ARGUMENT with a bounded message', async () => {
    const long = 'n'.repeat(1 << 20);
    const cases = [
      [{ w: { data: DATA, shape: deepArray(DEEP), dtype: 'float32' } }, [/shape/]],
      [{ w: { data: DATA, shape: [8], dtype: deepObject(DEEP) } }, [/dtype/]],
      [{ [long]: { data: DATA, shape: [8], dtype: 'float16\n' } }, [/dtype/, /\.\.\./]],
      [{ [long]: { data: DATA, shape: [-1], dtype: 'float32' } }, [/shape/]],
    ];
    for (const [tensors, want] of cases) {
      await rejectsWith(() => tq.quantizeTensors(tensors, { uint8: true }), 'INVALID_ARGUMENT', want, String(want));
    }
    await rejectsWith(() => tq.quantize(new Map([[`${long}\x1b.json`, 42]])), 'INVALID_ARGUMENT', [/file/], 'file name');
  });
});

test('a limit the core applies names the option that raises it, and that option raises it', async () => {
  const rank40 = [{ name: 'w', shape: [...new Array(39).fill(1), 8], dtype: 'float32' }];
  const data = new Float32Array(8).buffer;
  const a = { modelTopology: { node: [] }, format: 'graph-model', weightSpecs: rank40, weightData: data };
  await rejectsWith(() => tq.quantize(a, { uint8: true }), 'LIMIT_EXCEEDED',
                    [/more than the limit rank \(32\) allows; to allow it, pass the option limits: \{rank: N\}$/], 'rank 40');
  const out = await tq.quantize({ ...a, weightData: data.slice(0) }, { uint8: true, limits: { rank: 40 } });
  assert.equal(out.weightSpecs[0].shape.length, 40);
});

describe('auto and search', () => {
  let dir;
  let model;
  const tfjs = { ...tf, loadGraphModel: tfc.loadGraphModel, loadLayersModel: tfl.loadLayersModel };
  before(async () => {
    await tf.setBackend('cpu');
    dir = await makeTempDir('js-hostile');
    await saveFragileModel(dir);
    model = modelFiles(dir, 'model.json');
  });
  after(() => removeDir(dir));

  test('auto: deep option values are LIMIT_EXCEEDED naming the option', async () => {
    for (const make of [deepArray, deepObject]) {
      const deep = make(DEEP);
      for (const [key, value] of [['dims', { default: deep }], ['outputs', deep], ['count', deep],
                                  ['screenInputs', deep]]) {
        await rejectsWith(() => tq.auto(model, { tf: tfjs, budget: 'sqnr>=30', [key]: value }), 'LIMIT_EXCEEDED',
                          [new RegExp(`options\\.${key}`)], `auto ${key}`);
      }
    }
  });

  test('search: deep options and a deep measurement are LIMIT_EXCEEDED; the session still works', async () => {
    const deep = deepArray(DEEP);
    await rejectsWith(() => tq.search(model, { budget: 'sqnr>=30', numInputs: 8, outputs: deep }), 'LIMIT_EXCEEDED',
                      [/options\.outputs/], 'search outputs');
    const s = await tq.search(model, { budget: 'sqnr>=30', numInputs: 8, outputs: ['dense_3'] });
    try {
      const first = await s.next();
      assert.ok(!first.done);
      await rejectsWith(() => s.next({ results: deep }), 'LIMIT_EXCEEDED', [/measurement/], 'next');
      await rejectsWith(() => s.check({ results: deepObject(DEEP) }), 'LIMIT_EXCEEDED', [/measurement/], 'check');
      const loop = { results: [] };
      loop.results.push(loop);
      await rejectsWith(() => s.next(loop), 'INVALID_ARGUMENT', [/measurement/, /itself/], 'next, a cycle');
      const again = await s.next();
      assert.equal(again.step, first.step, 'the same step is asked again');
    } finally {
      await s.close();
    }
  });

  test('auto and search: options that are not a plain object, or unknown keys, are INVALID_ARGUMENT', async () => {
    const good = { tf: tfjs, budget: 'sqnr>=30' };
    await rejectsWith(() => tq.auto(model, new Map(Object.entries(good))), 'INVALID_ARGUMENT', [/Map/], 'auto Map');
    await rejectsWith(() => tq.auto(model, [good]), 'INVALID_ARGUMENT', [/array/], 'auto array');
    await rejectsWith(() => tq.auto(model, { ...good, budgets: 'x' }), 'INVALID_ARGUMENT', [/["']budgets["']/], 'auto key');
    // limits is auto's option too: it reaches the core, whose message names it.
    await rejectsWith(() => tq.auto(model, { ...good, limits: { rank: 1 } }), 'LIMIT_EXCEEDED',
                      [/limit rank \(1\)/, /pass the option limits: \{rank: N\}$/], 'auto limits');
    const parsed = Object.assign(JSON.parse('{"__proto__": {"count": 2}}'), good);
    await rejectsWith(() => tq.auto(model, parsed), 'INVALID_ARGUMENT', [/["']__proto__["']/], 'auto __proto__');
    const search = { budget: 'sqnr>=30', numInputs: 8, outputs: ['dense_3'] };
    await rejectsWith(() => tq.search(model, new Map(Object.entries(search))), 'INVALID_ARGUMENT', [/Map/], 'search Map');
    await rejectsWith(() => tq.search(model, { ...search, screen: 1 }), 'INVALID_ARGUMENT', [/["']screen["']/], 'search key');
    await rejectsWith(() => tq.auto(model, { ...good, ['\x1b[2J\x7f\u202e'.repeat(100)]: 1 }), 'INVALID_ARGUMENT',
                      [/\\u001b\[2J\\u007f\\u202e/], 'auto, a key with control characters');
    await rejectsWith(() => tq.search(model, Object.assign(JSON.parse('{"__proto__": 1}'), search)), 'INVALID_ARGUMENT',
                      [/["']__proto__["']/], 'search __proto__');
  });
});

describe('options must be a plain object of known keys', () => {
  class Options {
    constructor() {
      this.uint8 = true;
    }
  }
  const shapes = [
    ['a Map', new Map([['uint8', true]]), /Map/],
    ['an array', [['uint8', true]], /array/],
    ['a class instance', new Options(), /Options/],
    ['a Date', new Date(0), /Date/],
    ['a function', Object.assign(() => {}, { uint8: true }), /function/],
    ['a string', 'uint8', /string/],
    ['null', null, /null/],
  ];
  // Options built around one that the function takes (`valid`, as JSON).
  const keys = [
    ['an own __proto__ holding options', (valid) => JSON.parse(`{"__proto__": {${valid}}}`), /["']__proto__["']/],
    ['an own __proto__ beside an option', (valid) => JSON.parse(`{${valid}, "__proto__": 1}`), /["']__proto__["']/],
    ['an unknown key', (valid) => JSON.parse(`{${valid}, "uint9": true}`), /["']uint9["']/],
  ];

  test('quantize, dequantize, inspect, diff, quantizeTensors, withQuantization refuse other shapes', async () => {
    const one = { w: { data: DATA, shape: [8], dtype: 'float32' } };
    for (const [label, options, want] of shapes) {
      const calls = [
        ['quantize', () => tq.quantize(files(), options)],
        ['quantize of artifacts', () => tq.quantize(artifacts(), options)],
        ['dequantize', () => tq.dequantize(files(), options)],
        ['inspect', () => tq.inspect(files(), options)],
        ['diff', () => tq.diff(files(), files(), options)],
        ['quantizeTensors', () => tq.quantizeTensors(one, options)],
        // Refused when it is made, not when the model is saved.
        ['withQuantization', () => tq.withQuantization({ save: async () => ({}) }, options)],
      ];
      for (const [name, call] of calls) {
        await rejectsWith(call, 'INVALID_ARGUMENT', [/options/, want], `${name}: ${label}`);
      }
    }
  });

  test('an own __proto__ key or an unknown key is refused by name', async () => {
    for (const [label, make, want] of keys) {
      const calls = [
        ['quantize', () => tq.quantize(files(), make('"uint8": true'))],
        ['quantize of artifacts', () => tq.quantize(artifacts(), make('"uint8": true'))],
        ['dequantize', () => tq.dequantize(files(), make('"shardSizeBytes": 64'))],
        ['inspect', () => tq.inspect(files(), make('"wire": false'))],
        ['diff', () => tq.diff(files(), files(), make('"limits": {}'))],
        ['quantizeTensors', () => tq.quantizeTensors({ w: { data: DATA, shape: [8], dtype: 'float32' } },
                                                     make('"uint8": true'))],
        ['withQuantization', () => tq.withQuantization({ save: async () => ({}) }, make('"uint8": true'))
          .save(artifacts())],
      ];
      for (const [name, call] of calls) await rejectsWith(call, 'INVALID_ARGUMENT', [want], `${name}: ${label}`);
    }
    // An option the function sets itself is not silently replaced.
    await rejectsWith(() => tq.quantize(artifacts(), { uint8: true, json: 'other.json' }), 'INVALID_ARGUMENT',
                      [/options\.json/], 'json with artifacts');
    await rejectsWith(() => tq.diff(artifacts(), artifacts(), { a: 'model.json' }), 'INVALID_ARGUMENT', [/options\.a/],
                      'a with artifacts');
    const one = { w: { data: DATA, shape: [8], dtype: 'float32' } };
    await rejectsWith(() => tq.quantizeTensors(one, { uint8: true, json: 'x.json' }), 'INVALID_ARGUMENT',
                      [/options\.json/], 'quantizeTensors json');
  });

  test('a plain object still works, with or without a prototype', async () => {
    for (const options of [{ uint8: true }, Object.assign(Object.create(null), { uint8: true }),
                           JSON.parse('{"uint8": true}')]) {
      const r = await tq.quantize(files(), options);
      assert.deepEqual(r.report.tensors.map((t) => t.after), ['uint8', 'uint8']);
      const a = await tq.quantize(artifacts(), options);
      assert.deepEqual(a.weightSpecs.map((s) => s.quantization?.dtype), ['uint8', 'uint8']);
    }
    const saved = [];
    const handler = tq.withQuantization({ save: async (a) => { saved.push(a); return {}; } }, { float16: true });
    await handler.save(artifacts());
    assert.deepEqual(saved[0].weightSpecs.map((s) => s.quantization?.dtype), ['float16', 'float16']);
    // undefined is "not given", as before.
    const r = await tq.quantize(files(), { uint8: true, skip: undefined });
    assert.deepEqual(r.report.tensors.map((t) => t.after), ['uint8', 'uint8']);
  });
});
