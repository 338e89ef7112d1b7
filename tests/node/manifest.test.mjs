// Standalone weights manifests, the spec's worked test vectors
// (/work/shared/docs/tfjs-weights-format.md §7) and byte-exact round trips,
// all decoded by stock tfjs-core 4.22.0 (tf.io.decodeWeights and
// tf.io.weightsLoaderFactory).
//
// Run: TFJS_QUANT_BIN=/path/to/tfjs-quant TFJS_QUANT_MODELS=/path/to/models node --test
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';

import {
  bytesOfTypedArray, describeMismatch, entryByteLength, f32FromHex, f32Hex, findJson, keptWeights, makeTempDir,
  readConcatenated, readEnv, readJson, removeDir, runCli, sliceUnquantized, tf,
  runSuite,
} from './helpers.mjs';

const env = readEnv();

await runSuite(env, (e) => {
  registerStandaloneTests(e);
  registerSpecVectorTests(e);
  registerRoundTripTests(e);
});

/** Models used below; each must exist in TFJS_QUANT_MODELS. */
function requireModel(models, name) {
  const jsonPath = path.join(models, `${name}.json`);
  assert.ok(fs.existsSync(jsonPath), `${jsonPath} is missing from TFJS_QUANT_MODELS`);
  return jsonPath;
}

/** Compares a NamedTensorMap decoded by tfjs with tfjs-quant's decode (Map name -> {entry, bytes}). */
function compareTensorMap(what, tensors, decoded, quantizedEntries) {
  assert.deepEqual(Object.keys(tensors).sort(), [...decoded.keys()].sort(), `${what}: same weight names`);
  const failures = [];
  for (const [name, { entry, bytes }] of decoded) {
    const t = tensors[name];
    assert.equal(t.dtype, entry.dtype, `${what}: weight ${name} dtype`);
    assert.deepEqual(t.shape, entry.shape, `${what}: weight ${name} shape`);
    const msg = describeMismatch(name, t.dtype, bytesOfTypedArray(t.dataSync()), bytes,
      quantizedEntries.get(name)?.quantization);
    if (msg) failures.push(msg);
  }
  assert.equal(failures.length, 0, `${what}: ${failures.length} weight(s) differ:\n${failures.join('\n')}`);
}

/** A fetch function for tf.io.weightsLoaderFactory that reads local files. */
async function fetchFiles(paths) {
  return Promise.all(paths.map(async (p) => {
    const b = await fsp.readFile(p);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  }));
}

// --- 3. standalone weights manifests ----------------------------------------------

/**
 * Writes `<dir>/<name>-weights_manifest.json` holding the model's manifest alone.
 * groups == 1: one group whose single shard is renamed `<name>.bin`.
 * groups == 2: the entries split in two groups, shards `<name>-a.bin` and `<name>-b.bin`.
 */
function writeStandaloneManifest(jsonPath, dir, name, groups) {
  const model = readJson(jsonPath);
  assert.equal(model.weightsManifest.length, 1, `${jsonPath}: expected a single weight group`);
  const src = model.weightsManifest[0];
  const bytes = Buffer.from(readConcatenated(path.dirname(jsonPath), model.weightsManifest));
  let manifest;
  if (groups === 1) {
    fs.writeFileSync(path.join(dir, `${name}.bin`), bytes);
    manifest = [{ paths: [`${name}.bin`], weights: src.weights }];
  } else {
    const cut = Math.floor(src.weights.length / 2);
    const split = src.weights.slice(0, cut).reduce((n, e) => n + entryByteLength(e), 0);
    fs.writeFileSync(path.join(dir, `${name}-a.bin`), bytes.subarray(0, split));
    fs.writeFileSync(path.join(dir, `${name}-b.bin`), bytes.subarray(split));
    manifest = [
      { paths: [`${name}-a.bin`], weights: src.weights.slice(0, cut) },
      { paths: [`${name}-b.bin`], weights: src.weights.slice(cut) },
    ];
  }
  const file = path.join(dir, `${name}-weights_manifest.json`);
  fs.writeFileSync(file, JSON.stringify(manifest));
  return { file, manifest };
}

function registerStandaloneTests({ bin, models }) {
  const cases = [
    // posenet: float32 weights only; a small odd shard size splits weights across shards.
    { model: 'posenet', groups: 1, extra: ['--weight_shard_size_bytes', '300007'] },
    // meet: float16-stored weights plus int32, spread over two groups.
    { model: 'meet', groups: 2, extra: [] },
  ];
  describe('standalone weights manifest quantized to uint8, decoded by tf.io.decodeWeights', () => {
    for (const c of cases) {
      test(`${c.model}: ${c.groups} group(s)${c.extra.length ? ` ${c.extra.join(' ')}` : ''}`, async (t) => {
        const jsonPath = requireModel(models, c.model);
        const tmp = await makeTempDir('standalone');
        t.after(() => removeDir(tmp));
        const inDir = path.join(tmp, 'in');
        fs.mkdirSync(inDir);
        const { file, manifest: inManifest } = writeStandaloneManifest(jsonPath, inDir, c.model, c.groups);
        const qDir = path.join(tmp, 'q');
        const dDir = path.join(tmp, 'd');
        const { stderr } = await runCli(bin, ['quantize', file, qDir, '--quantize_uint8', ...c.extra]);
        const kept = keptWeights(stderr);
        await runCli(bin, ['dequantize', qDir, dDir]);

        const qFile = findJson(qDir);
        assert.equal(path.basename(qFile), path.basename(file), 'the output keeps the manifest file name');
        const qManifest = readJson(qFile);
        assert.ok(Array.isArray(qManifest), 'the output is still a standalone manifest (a bare JSON list of groups)');
        assert.equal(qManifest.length, inManifest.length, 'same number of groups');
        const qEntries = new Map(qManifest.flatMap((g) => g.weights).map((e) => [e.name, e]));
        let quantized = 0;
        for (const e of qEntries.values()) {
          if (e.dtype === 'float32' && !kept.has(e.name)) {
            assert.equal(e.quantization?.dtype, 'uint8', `weight ${e.name} not quantized to uint8`);
            quantized++;
          }
        }
        assert.ok(quantized > 0, 'no weight was quantized to uint8');
        if (c.extra.includes('--weight_shard_size_bytes')) {
          assert.ok(qManifest[0].paths.length > 1, 'the small shard size gives several shards');
        }

        const dManifest = readJson(findJson(dDir));
        assert.ok(Array.isArray(dManifest), 'dequantize output is a standalone manifest too');
        const decoded = sliceUnquantized(dDir, dManifest);

        // tf.io.decodeWeights on all shard bytes concatenated, specs flattened in group order.
        const specs = qManifest.flatMap((g) => g.weights);
        const tensors = tf.io.decodeWeights(readConcatenated(qDir, qManifest), specs);
        try {
          compareTensorMap('tf.io.decodeWeights', tensors, decoded, qEntries);
        } finally {
          tf.dispose(Object.values(tensors));
        }

        // The standalone-manifest loader (tf.io.loadWeights' engine), group by group.
        const loaded = await tf.io.weightsLoaderFactory(fetchFiles)(qManifest, qDir);
        try {
          compareTensorMap('tf.io.weightsLoaderFactory', loaded, decoded, qEntries);
        } finally {
          tf.dispose(Object.values(loaded));
        }
      });
    }
  });
}

// --- 4. spec §7 worked test vectors ---------------------------------------------------

// Little-endian shard bytes of float16 bit patterns given as 4-digit hex.
const f16Bytes = (hexes) => hexes.map((h) => h.slice(2) + h.slice(0, 2)).join('');
const bitsToF32 = (h) => f32FromHex([h])[0];

// Every vector from spec §7 (numpy-2 / float64 arithmetic, the CLI default).
// json: the manifest quantization fields; bytes: shard payload; js: float32 bits tfjs decodes.
const VECTORS = [
  {
    name: 'A', dtype: 'uint8', values: [-1.0, -0.1, 0.0, 0.5, 1.2],
    json: { min: -1.0007843354169061, scale: 0.008627451167387121 },
    bytes: '006874aeff', js: ['bf8019b3', 'bdd4073b', '00000000', '3f0019b3', '3f997fe7'],
  },
  {
    name: 'A16', dtype: 'uint16', values: [-1.0, -0.1, 0.0, 0.5, 1.2],
    json: { min: -1.0000122288921982, scale: 3.356984890033899e-05 },
    bytes: '0000ba685d748baeffff', js: ['bf800067', 'bdcccf34', '00000000', '3efffe9a', '3f999933'],
  },
  {
    name: 'A2', dtype: 'uint8', values: [0, -0.1, 1.2],
    json: { min: -0.10196078817049663, scale: 0.0050980394085248315 },
    bytes: '1400ff', js: ['00000000', 'bdd0d0d1', '3f99595a'],
  },
  {
    name: 'B', dtype: 'uint8', values: [0.5, 1.0, 1.5, 2.0, 3.25],
    json: { min: 0.5, scale: 0.010784313725490196 },
    bytes: '002e5d8bff', js: ['3f000000', '3f7efeff', '3fc06060', '3fffdfe0', '40500000'],
  },
  {
    name: 'B2', dtype: 'uint8', values: [0.0, 0.25, 0.5, 1.0],
    json: { min: -0.0, scale: 0.00392156862745098 },
    bytes: '004080ff', js: ['00000000', '3e808081', '3f008081', '3f800000'],
  },
  {
    name: 'C', dtype: 'uint8', values: [-3.0, -2.5, -1.0, -0.25],
    json: { min: -3.0, scale: 0.010784313725490196 },
    bytes: '002eb9ff', js: ['c0400000', 'c0204040', 'bf80a0a1', 'be800000'],
  },
  {
    name: 'C2', dtype: 'uint8', values: [-1.0, -0.5, 0.0],
    json: { min: -1.0, scale: 0.00392156862745098 },
    bytes: '0080ff', js: ['bf800000', 'befefeff', '00000000'],
  },
  {
    name: 'D', dtype: 'uint8', values: [0.7, 0.7, 0.7],
    json: { min: 0.699999988079071, scale: 1.0 },
    bytes: '000000', js: ['3f333333', '3f333333', '3f333333'],
  },
  {
    name: 'E', dtype: 'uint16', values: 3.5, shape: [],
    json: { min: 3.5, scale: 1.0 },
    bytes: '0000', js: ['40600000'],
  },
  {
    name: 'F', dtype: 'float16', values: [1.0, -2.0, 65520.0],
    bytes: '003c00c0007c', js: ['3f800000', 'c0000000', '7f800000'],
  },
  {
    // The rest of the §7 F table with finite inputs: rounding, overflow to Inf,
    // smallest normal, subnormals, the 2^-25 tie, -0.
    name: 'F_table', dtype: 'float16',
    values: [bitsToF32('3dcccccd'), bitsToF32('3eaaaaab'), 65504, 65519, 1e5, 2 ** -14, bitsToF32('33d6bf95'),
      2 ** -24, 2 ** -25, 1.5 * 2 ** -25, -0.0],
    bytes: f16Bytes(['2e66', '3555', '7bff', '7bff', '7c00', '0400', '0002', '0001', '0000', '0001', '8000']),
    js: ['3dccc000', '3eaaa000', '477fe000', '477fe000', '7f800000', '38800000', '34000000', '33800000',
      '00000000', '33800000', '80000000'],
  },
  {
    // Not quantized: no pattern matches it.
    name: 'K', dtype: null, values: [1.5, -0.25],
    bytes: '0000c03f000080be', js: ['3fc00000', 'be800000'],
  },
];

// NaN and +-Inf under float16. The converter stores 7e00 7c00 fc00 (§3.4);
// tfjs-quant may instead warn and keep the tensor as stored float32. Either way
// tfjs must decode what the tool wrote exactly as the tool does.
const SPECIAL = {
  name: 'F_special', dtype: 'float16', values: [bitsToF32('7fc00000'), Infinity, -Infinity],
  quantized: { bytes: f16Bytes(['7e00', '7c00', 'fc00']), js: ['7fc00000', '7f800000', 'ff800000'] },
  kept: { bytes: '0000c07f0000807f000080ff', js: ['7fc00000', '7f800000', 'ff800000'] },
};

function hexOf(buf) {
  return Buffer.from(buf).toString('hex');
}

/** Writes a standalone manifest (one group, one shard `spec.bin`) holding float32 tensors. */
function writeSpecManifest(dir, tensors) {
  const parts = [];
  const weights = [];
  for (const v of tensors) {
    const shape = v.shape ?? [v.values.length];
    const data = new Float32Array(Array.isArray(v.values) ? v.values : [v.values]);
    assert.equal(data.length, shape.reduce((a, b) => a * b, 1));
    parts.push(Buffer.from(data.buffer));
    weights.push({ name: v.name, shape, dtype: 'float32' });
  }
  fs.writeFileSync(path.join(dir, 'spec.bin'), Buffer.concat(parts));
  const file = path.join(dir, 'spec-weights_manifest.json');
  fs.writeFileSync(file, JSON.stringify([{ paths: ['spec.bin'], weights }]));
  return file;
}

/** Slices the concatenated shard bytes of a (possibly quantized) manifest per entry. */
function sliceStored(dir, manifest) {
  const all = Buffer.from(readConcatenated(dir, manifest));
  const out = new Map();
  let offset = 0;
  for (const e of manifest.flatMap((g) => g.weights)) {
    const n = entryByteLength(e);
    out.set(e.name, all.subarray(offset, offset + n));
    offset += n;
  }
  assert.equal(offset, all.length, 'the shards hold exactly the bytes of the manifest entries');
  return out;
}

function registerSpecVectorTests({ bin }) {
  describe('spec §7 worked test vectors through tf.io.decodeWeights', () => {
    const flags = [
      '--quantize_uint8=A,A2,B,B2,C,C2,D',
      '--quantize_uint16=A16,E',
      '--quantize_float16=F*',
    ];

    test(`quantize ${flags.join(' ')}: manifest, shard bytes and tfjs float32 bits`, async (t) => {
      const tmp = await makeTempDir('spec');
      t.after(() => removeDir(tmp));
      const inDir = path.join(tmp, 'in');
      fs.mkdirSync(inDir);
      const file = writeSpecManifest(inDir, [...VECTORS, SPECIAL]);
      const qDir = path.join(tmp, 'q');
      const dDir = path.join(tmp, 'd');
      const { stderr } = await runCli(bin, ['quantize', file, qDir, ...flags]);
      const kept = keptWeights(stderr);
      await runCli(bin, ['dequantize', qDir, dDir]);

      const qManifest = readJson(path.join(qDir, 'spec-weights_manifest.json'));
      assert.ok(Array.isArray(qManifest), 'the output is a standalone manifest');
      const entries = new Map(qManifest.flatMap((g) => g.weights).map((e) => [e.name, e]));
      assert.deepEqual([...entries.keys()], [...VECTORS, SPECIAL].map((v) => v.name));
      const stored = sliceStored(qDir, qManifest);
      const tensors = tf.io.decodeWeights(readConcatenated(qDir, qManifest), qManifest.flatMap((g) => g.weights));
      const decoded = sliceUnquantized(dDir, readJson(findJson(dDir)));
      try {
        for (const v of VECTORS) {
          const e = entries.get(v.name);
          assert.ok(!kept.has(v.name), `the CLI kept ${v.name} as stored: ${stderr}`);
          assert.equal(e.dtype, 'float32', `${v.name}: logical dtype`);
          assert.deepEqual(e.shape, v.shape ?? [v.values.length], `${v.name}: shape`);
          if (v.dtype === null) {
            assert.equal(e.quantization, undefined, `${v.name}: no pattern matches it, so it stays float32`);
          } else {
            assert.equal(e.quantization?.dtype, v.dtype, `${v.name}: quantization dtype`);
          }
          if (v.json) {
            // Exact doubles, including the sign of -0.0 (B2).
            assert.ok(Object.is(e.quantization.min, v.json.min),
              `${v.name}: min ${e.quantization.min}, spec ${v.json.min}`);
            assert.ok(Object.is(e.quantization.scale, v.json.scale),
              `${v.name}: scale ${e.quantization.scale}, spec ${v.json.scale}`);
          }
          assert.equal(hexOf(stored.get(v.name)), v.bytes, `${v.name}: shard bytes`);
          const tfData = tensors[v.name].dataSync();
          assert.deepEqual(f32Hex(tfData), v.js, `${v.name}: float32 bits tfjs decodes`);
          assert.deepEqual(f32Hex(new Float32Array(new Uint8Array(decoded.get(v.name).bytes).buffer)), v.js,
            `${v.name}: float32 bits tfjs-quant dequantize writes`);
        }

        const s = entries.get(SPECIAL.name);
        const want = kept.has(SPECIAL.name) ? SPECIAL.kept : SPECIAL.quantized;
        t.diagnostic(`${SPECIAL.name} (NaN, Inf, -Inf): ${kept.has(SPECIAL.name)
          ? 'tfjs-quant warned and kept it as stored float32' : 'quantized to float16'}`);
        if (kept.has(SPECIAL.name)) {
          assert.equal(s.quantization, undefined, `${SPECIAL.name}: kept as stored float32`);
        } else {
          assert.equal(s.quantization?.dtype, 'float16', `${SPECIAL.name}: quantization dtype`);
        }
        assert.equal(hexOf(stored.get(SPECIAL.name)), want.bytes, `${SPECIAL.name}: shard bytes`);
        assert.deepEqual(f32Hex(tensors[SPECIAL.name].dataSync()), want.js, `${SPECIAL.name}: tfjs float32 bits`);
        assert.deepEqual(f32Hex(new Float32Array(new Uint8Array(decoded.get(SPECIAL.name).bytes).buffer)), want.js,
          `${SPECIAL.name}: tfjs-quant dequantize bits`);
      } finally {
        tf.dispose(Object.values(tensors));
      }
    });

    test('--arithmetic float32 reproduces the numpy-1 codes of B2 and C2', async (t) => {
      const tmp = await makeTempDir('spec-np1');
      t.after(() => removeDir(tmp));
      const inDir = path.join(tmp, 'in');
      fs.mkdirSync(inDir);
      const vectors = VECTORS.filter((v) => v.name === 'B2' || v.name === 'C2');
      const file = writeSpecManifest(inDir, vectors);
      const qDir = path.join(tmp, 'q');
      await runCli(bin, ['quantize', file, qDir, '--quantize_uint8', '--arithmetic', 'float32']);
      const qManifest = readJson(path.join(qDir, 'spec-weights_manifest.json'));
      const stored = sliceStored(qDir, qManifest);
      // §7: numpy-1 gives q [0,64,127,255] for B2 and [0,127,255] for C2.
      assert.equal(hexOf(stored.get('B2')), '00407fff');
      assert.equal(hexOf(stored.get('C2')), '007fff');
      const tensors = tf.io.decodeWeights(readConcatenated(qDir, qManifest), qManifest.flatMap((g) => g.weights));
      try {
        // JS decode: float32(q * scale + min) in doubles.
        for (const v of vectors) {
          const q = qManifest[0].weights.find((e) => e.name === v.name).quantization;
          const codes = [...stored.get(v.name)];
          const want = f32Hex(new Float32Array(codes.map((c) => c * q.scale + q.min)));
          assert.deepEqual(f32Hex(tensors[v.name].dataSync()), want, `${v.name}: tfjs float32 bits`);
        }
      } finally {
        tf.dispose(Object.values(tensors));
      }
    });
  });
}

// --- 5. byte-exact round trip -------------------------------------------------------

function registerRoundTripTests({ bin, models }) {
  // posenet: float32; antispoof: float16 + int32; handtrack: uint8 + int32; rvm: uint8 + int32 + bool.
  const cases = [
    { model: 'posenet', pad: 0 },
    { model: 'antispoof', pad: 1000 },
    { model: 'handtrack', pad: 4096 },
    { model: 'rvm', pad: 0 },
  ];
  describe('round trip without quantization flags: the shard equals the input .bin byte for byte', () => {
    for (const c of cases) {
      test(`${c.model}: --weight_shard_size_bytes = .bin size${c.pad ? ` + ${c.pad}` : ''}`, async (t) => {
        const jsonPath = requireModel(models, c.model);
        const input = readJson(jsonPath);
        assert.equal(input.weightsManifest.length, 1);
        assert.equal(input.weightsManifest[0].paths.length, 1);
        const binPath = path.join(path.dirname(jsonPath), input.weightsManifest[0].paths[0]);
        const inBytes = fs.readFileSync(binPath);
        const tmp = await makeTempDir('roundtrip');
        t.after(() => removeDir(tmp));
        const out = path.join(tmp, 'out');
        await runCli(bin, ['quantize', jsonPath, out, '--weight_shard_size_bytes', String(inBytes.length + c.pad)]);
        const outJson = readJson(path.join(out, path.basename(jsonPath)));
        assert.deepEqual(outJson.weightsManifest.map((g) => g.paths), [['group1-shard1of1.bin']], 'a single shard');
        const outBytes = fs.readFileSync(path.join(out, 'group1-shard1of1.bin'));
        assert.equal(outBytes.length, inBytes.length, 'shard size');
        const diff = outBytes.findIndex((b, i) => b !== inBytes[i]);
        assert.equal(diff, -1, `first differing byte at offset ${diff}`);
        // Every entry, including quantization min/scale, and every other key survives unchanged.
        for (const j of [input, outJson]) for (const g of j.weightsManifest) g.paths = [];
        assert.deepEqual(outJson, input, 'model JSON unchanged apart from shard paths');
      });
    }
  });
}
