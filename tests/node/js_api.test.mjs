// The JavaScript package's API (js/) with stock TensorFlow.js: named
// tensors quantized and read back by tf.io.decodeWeights to the CLI's own
// decode, a layers model saved through withQuantization and reloaded,
// errors as TfjsQuantError with the CLI's message, and memory that stays
// flat over 1,000 calls. Needs js/dist/ (cd js && npm run build).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import * as tfl from '@tensorflow/tfjs-layers';

import * as tq from '../../js/src/index.js';
import { makeTempDir, readConcatenated, readEnv, readJson, removeDir, runCli, runSuite, tf } from './helpers.mjs';

function writeFolder(dir, files) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of files) fs.writeFileSync(path.join(dir, name), bytes);
}

// Float32 values as their bits (NaN payloads and -0 count); others as they are.
function bits(values) {
  return values instanceof Float32Array ? [...new Uint32Array(values.buffer, values.byteOffset, values.length)]
                                        : [...values];
}

/** The CLI's error line for `args`, without "tfjs-quant: error: ". */
async function cliError(bin, args) {
  const err = await runCli(bin, args).then(() => null, (e) => e);
  assert.ok(err, `tfjs-quant ${args.join(' ')} succeeded`);
  return err.message.split('\n').find((l) => l.startsWith('tfjs-quant: error: ')).slice('tfjs-quant: error: '.length);
}

await runSuite(readEnv({ needModels: false }), ({ bin }) => {
  test('named tensors: uint8 with one skipped, read back by tf.io.decodeWeights = the CLI decode', async () => {
    const rng = (seed => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5))(7);
    const conv = tf.tensor4d(Float32Array.from({ length: 3 * 3 * 4 * 8 }, rng), [3, 3, 4, 8]);
    const tensors = [
      { name: 'conv/kernel', tensor: conv },
      { name: 'conv/bias', tensor: { data: Float32Array.from({ length: 8 }, rng), shape: [8], dtype: 'float32' } },
      { name: 'head[0]*', tensor: tf.tensor1d([0.25, -3, 7.5]), isSkipQuantization: true },
      { name: 'steps', tensor: tf.tensor1d([1, 2, 3], 'int32') },
      { name: 'mask', tensor: tf.tensor1d([true, false, true], 'bool') },
      { name: 'labels', tensor: tf.tensor1d(['cat', 'dög'], 'string') },
    ];
    const got = await tq.quantizeTensors(tensors, { uint8: true });
    const entries = got.manifest[0].weights;
    assert.deepEqual(entries.map((e) => [e.name, e.quantization?.dtype ?? e.dtype]),
                     [['conv/kernel', 'uint8'], ['conv/bias', 'uint8'], ['head[0]*', 'float32'],
                      ['steps', 'int32'], ['mask', 'bool'], ['labels', 'string']]);

    // The same files through the CLI: same bytes; its dequantize is the decode.
    const tmp = await makeTempDir('js-api');
    try {
      const input = path.join(tmp, 'in');
      const specs = tensors.map(({ name, tensor }) => ({ name, shape: tensor.shape, dtype: tensor.dtype }));
      const data = await tf.io.encodeWeights(Object.fromEntries(tensors.map(({ name, tensor }) =>
        [name, tensor instanceof tf.Tensor ? tensor : tf.tensor(tensor.data, tensor.shape, tensor.dtype)])));
      assert.deepEqual(data.specs.map((s) => s.name), specs.map((s) => s.name));
      writeFolder(input, [['weights_manifest.json', JSON.stringify([{ paths: ['weights.bin'], weights: data.specs }])],
                          ['weights.bin', new Uint8Array(data.data)]]);
      await runCli(bin, ['quantize', input, path.join(tmp, 'q'), '--quantize_uint8', '--skip', 'head[[]0]*']);
      for (const [name, bytes] of got.files) {
        assert.ok(Buffer.from(bytes).equals(fs.readFileSync(path.join(tmp, 'q', name))), `${name} = the CLI's`);
      }
      await runCli(bin, ['dequantize', path.join(tmp, 'q'), path.join(tmp, 'd')]);
      const d = readJson(path.join(tmp, 'd', 'weights_manifest.json'));
      const native = tf.io.decodeWeights(readConcatenated(path.join(tmp, 'd'), d), d.flatMap((g) => g.weights));
      const decoded = tf.io.decodeWeights(got.weightData, entries);
      for (const { name } of tensors) {
        assert.deepEqual(bits(decoded[name].dataSync()), bits(native[name].dataSync()), name);
      }
    } finally {
      await removeDir(tmp);
    }
  });

  test('string tensors keep their bytes; ModelArtifacts keep everything but their weights', async () => {
    const raw = [new Uint8Array([0xff, 0xfe, 0]), new Uint8Array([0x61])];
    const t = tf.tensor(raw, [2], 'string');
    const got = await tq.quantizeTensors(new Map([['s', t]]));
    const expected = await tf.io.encodeWeights({ s: t });
    assert.ok(Buffer.from(got.weightData).equals(Buffer.from(expected.data)), 'bytes as tf.io.encodeWeights');

    const topology = new Uint8Array([1, 2, 3]).buffer;
    const artifacts = {
      modelTopology: topology, format: 'graph-model', convertedBy: null, userDefinedMetadata: { x: NaN },
      weightSpecs: [{ name: 'w', shape: [2], dtype: 'float32' }], weightData: [new Float32Array([0, 1]).buffer],
    };
    const q = await tq.quantize(artifacts, { float16: true });
    assert.equal(q.modelTopology, topology);
    assert.equal(q.convertedBy, null);
    assert.ok(Number.isNaN(q.userDefinedMetadata.x));
    assert.deepEqual(q.weightSpecs, [{ name: 'w', shape: [2], dtype: 'float32',
                                       quantization: { dtype: 'float16', original_dtype: 'float32' } }]);
    assert.deepEqual([...new Uint16Array(q.weightData)], [0, 0x3c00]);
  });

  test('inspect() and diff() give what tfjs-quant inspect --json and diff report', async () => {
    const values = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i) * (1 + (i % 7)));
    const artifacts = {
      weightSpecs: [{ name: 'conv/kernel', shape: [4, 4, 16, 16], dtype: 'float32' },
                    { name: 'steps', shape: [2], dtype: 'int32' }],
      weightData: [values.buffer, new Int32Array([7, -7]).buffer],
    };
    const tmp = await makeTempDir('js-inspect');
    try {
      const original = path.join(tmp, 'original');
      writeFolder(original, new Map([
        ['model.json', JSON.stringify({ weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] })],
        ['weights.bin', Buffer.concat([Buffer.from(values.buffer), Buffer.from(new Int32Array([7, -7]).buffer)])],
      ]));
      const { stdout } = await runCli(bin, ['inspect', '--json', path.join(original, 'model.json')]);
      assert.deepEqual(await tq.inspect(artifacts), { ...JSON.parse(stdout), model: 'model.json' });

      const q = await tq.quantize(artifacts, { uint8: true });
      const d = await tq.diff(artifacts, q);
      assert.deepEqual(d.tensors.map((t) => [t.name, t.a, t.b, t.differs]),
                       [['conv/kernel', 'raw', 'uint8', true], ['steps', 'raw', 'raw', false]]);
      assert.equal(d.differ, 1);
      assert.equal(d.tensors[1].sqnrDb, null, 'an exact decode has no finite SQNR');
      const quantized = path.join(tmp, 'quantized');
      await runCli(bin, ['quantize', original, quantized, '--quantize_uint8']);
      const table = (await runCli(bin, ['diff', original, quantized])).stdout;
      const row = table.split('\n').find((l) => l.trim().startsWith('conv/kernel')).trim().split(/\s+/);
      assert.equal(row[5], d.tensors[0].sqnrDb.toFixed(1), 'the SQNR column');
      assert.match(table, /2 tensors compared, 1 differ/);

      const other = { weightSpecs: [{ name: 'x', shape: [1], dtype: 'float32' }], weightData: new ArrayBuffer(4) };
      const err = await tq.diff(artifacts, other).then(() => null, (e) => e);
      assert.ok(err instanceof tq.TfjsQuantError);
      assert.equal(err.code, 'MISMATCH');
      const otherDir = path.join(tmp, 'other');
      writeFolder(otherDir, new Map([
        ['model.json', JSON.stringify({ weightsManifest: [{ paths: ['weights.bin'], weights: other.weightSpecs }] })],
        ['weights.bin', Buffer.alloc(4)],
      ]));
      const cli = await runCli(bin, ['diff', original, otherDir]).then(() => null, (e) => e.message);
      assert.ok(cli.includes(`tfjs-quant: error: ${err.message}\n`), `${err.message}\nnot in\n${cli}`);
      await assert.rejects(tq.inspect(artifacts, { command: 'dequantize' }), { code: 'INVALID_ARGUMENT' });
      await assert.rejects(tq.inspect(artifacts, { wire: 'yes' }),
                           { code: 'INVALID_ARGUMENT', message: 'option wire: expected true or false, found the string "yes"' });
    } finally {
      await removeDir(tmp);
    }
  });

  test('model.save(withQuantization(handler)) of a layers model reloads within the quantization error', async () => {
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ units: 16, inputShape: [8], activation: 'relu' }), tfl.layers.dense({ units: 4 })],
    });
    let saved = null;
    const handler = {
      async save(artifacts) {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      },
    };
    await model.save(tq.withQuantization(handler, { uint8: true }));
    assert.ok(saved.weightSpecs.every((s) => s.quantization?.dtype === 'uint8'), 'every weight in uint8');
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved));
    const x = tf.randomUniform([32, 8], -1, 1, 'float32', 3);
    const want = model.predict(x).dataSync();
    const got = loaded.predict(x).dataSync();
    // Each weight is off by at most scale/2; a bound for two small layers.
    const step = Math.max(...saved.weightSpecs.map((s) => s.quantization.scale)) / 2;
    const bound = step * (8 + 1) * 16 * 4;
    const worst = Math.max(...want.map((v, i) => Math.abs(v - got[i])));
    assert.ok(worst > 0 && worst < bound, `largest difference ${worst}, bound ${bound}`);
  });

  test('bad input throws TfjsQuantError with a code and the CLI message', async () => {
    const tmp = await makeTempDir('js-errors');
    try {
      const good = [{ paths: ['w.bin'], weights: [{ name: 'a', shape: [2], dtype: 'float32' }] }];
      const cases = {
        'malformed JSON': [['m.json', '{"weightsManifest": ['], ['w.bin', new Uint8Array(8)]],
        'truncated shard': [['m.json', JSON.stringify({ modelTopology: {}, weightsManifest: good })],
                            ['w.bin', new Uint8Array(7)]],
        'duplicate names': [['m.json', JSON.stringify({ modelTopology: {}, weightsManifest: [{
          paths: ['w.bin'], weights: [good[0].weights[0], good[0].weights[0]] }] })], ['w.bin', new Uint8Array(16)]],
      };
      for (const [label, files] of Object.entries(cases)) {
        const dir = path.join(tmp, label.replace(/ /g, '-'));
        writeFolder(dir, files);
        const expected = await cliError(bin, ['quantize', path.join(dir, 'm.json'), path.join(tmp, 'out'),
                                              '--quantize_uint8']);
        const err = await tq.quantize(new Map(files), { uint8: true }).then(() => null, (e) => e);
        assert.ok(err instanceof tq.TfjsQuantError, `${label}: ${err}`);
        assert.match(err.code, /^[A-Z_]+$/);
        // The CLI names files by their path on disk; the API by their name.
        assert.equal(err.message, expected.replaceAll(`'${dir}/`, "'").replaceAll(`${dir}/`, ''), label);
      }
      const model = new Map([['m.json', JSON.stringify({ modelTopology: {}, weightsManifest: good })],
                             ['w.bin', new Uint8Array(8)]]);
      const one = { a: { data: new Float32Array(1), shape: [1], dtype: 'float32' } };
      const typeCases = [
        [() => tq.quantize(new Map([['model.json', 42]])), 'INVALID_ARGUMENT'],
        [() => tq.quantize(null), 'INVALID_ARGUMENT'],
        [() => tq.quantize({}, { uint8: 3 }), 'INVALID_ARGUMENT'],
        [() => tq.quantize({}, { nope: true }), 'INVALID_ARGUMENT'],
        [() => tq.quantize(model, { uint8: () => 1 }), 'INVALID_ARGUMENT'],
        [() => tq.quantize(model, { shardSizeBytes: 10n }), 'INVALID_ARGUMENT'],
        [() => tq.dequantize(model, { uint8: true }), 'INVALID_ARGUMENT'],
        [() => tq.quantize(model, { json: 'sub/m.json' }), 'INVALID_ARGUMENT'],
        [() => tq.quantize(model, { json: '../m.json' }), 'INVALID_ARGUMENT'],
        [() => tq.quantize(new Map([...model, ['./w.bin', new Uint8Array(8)]])), 'INVALID_ARGUMENT'],
        [() => tq.quantize(new Map([...model, ['../x.bin', new Uint8Array(1)]])), 'UNSAFE_PATH'],
        [() => tq.quantize({ weightSpecs: [], weightData: [1, 2] }), 'INVALID_ARGUMENT'],
        [() => tq.quantizeTensors([{ name: 'a', tensor: { data: new Float32Array(3), shape: [2, 2], dtype: 'float32' } }]),
          'INVALID_ARGUMENT'],
        [() => tq.quantizeTensors(one, { shardSizeBytes: 0 }), 'INVALID_ARGUMENT'],
        [() => tq.quantizeTensors(one, { skip: true }), 'INVALID_ARGUMENT'],
        [() => tq.quantizeTensors(new Map()), 'INVALID_ARGUMENT'],
        [() => tq.quantize({}), 'NOT_FOUND'],
        // A model JSON named like its own shard: a second file of one name.
        [() => tq.quantize(new Map([['group1-shard1of1.bin', JSON.stringify({ weightsManifest: [{
          paths: ['w.bin'], weights: good[0].weights }] })], ['w.bin', new Uint8Array(8)]]),
        { json: 'group1-shard1of1.bin' }), 'ALREADY_EXISTS'],
      ];
      for (const [call, code] of typeCases) {
        await assert.rejects(call, (e) => e instanceof tq.TfjsQuantError && e.code === code, String(call));
      }
    } finally {
      await removeDir(tmp);
    }
  });

  test('matchNames() takes the names the CLI\'s patterns take (fnmatch: *, ?, [seq], a list)', async () => {
    const names = ['conv1/kernel', 'conv1/bias', 'conv2/kernel', 'dense/kernel', '[x]', 'a*b'];
    assert.deepEqual(await tq.matchNames(names, 'conv?/kernel'), ['conv1/kernel', 'conv2/kernel']);
    assert.deepEqual(await tq.matchNames(names, ['*/bias', '[[]x]']), ['conv1/bias', '[x]']);
    assert.deepEqual(await tq.matchNames(names, 'conv[!1]/*,a[*]b'), ['conv2/kernel', 'a*b']);
    // As the CLI splits its flags: no blanks trimmed.
    assert.deepEqual(await tq.matchNames(names, 'conv1/bias, a*b'), ['conv1/bias']);
    assert.deepEqual(await tq.matchNames(names, '*'), names);
    assert.deepEqual(await tq.matchNames(names, ''), []);
    await assert.rejects(tq.matchNames('conv1', '*'), (e) => e.code === 'INVALID_ARGUMENT');
    await assert.rejects(tq.matchNames([1], '*'), (e) => e.code === 'INVALID_ARGUMENT');
  });

  test('memory stays flat over 1,000 calls of every kind, failing and succeeding', async () => {
    const module = await tq.ready();
    const data = new Float32Array(4096).map((_, i) => Math.sin(i));
    const tensors = { w: { data, shape: [64, 64], dtype: 'float32' } };
    const bad = new Map([['model.json', '{"weightsManifest": [{"paths": ["x.bin"], "weights": []}]}']]);
    const files = new Map([['model.json', JSON.stringify({ weightsManifest: [{ paths: ['w.bin'],
      weights: [{ name: 'w', shape: [64, 64], dtype: 'float32' }] }] })], ['w.bin', data]]);
    const calls = [
      () => tq.quantizeTensors(tensors, { uint8: true }),
      () => tq.quantize(bad).catch((e) => e),
      () => tq.inspect(files),
      () => tq.diff(files, bad).catch((e) => e),
      () => tq.diff(files, files),
    ];
    const call = (i) => calls[i % calls.length]();
    for (let i = 0; i < 20; ++i) await call(i);
    const heap = module.exports.tfq_heap_in_use();
    const pages = module.memory.buffer.byteLength;
    for (let i = 0; i < 1000; ++i) await call(i);
    assert.equal(module.exports.tfq_heap_in_use(), heap, 'heap bytes in use');
    assert.equal(module.memory.buffer.byteLength, pages, 'the module memory grew');
  });
});
