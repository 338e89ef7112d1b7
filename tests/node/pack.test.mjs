// `tfjs-quant pack` and `tfjs-quant export` end to end: files written by the
// real writers (torch.save, np.save/savez/savez_compressed, h5py in the Keras
// 2 layout, onnx, a hand-written safetensors; tests/node/pack_fixtures.py) are
// packed and decoded by stock tfjs-core 4.22.0 (tf.io.decodeWeights), bit for
// bit against the writer's values; a PyTorch net ported to a tfjs layers
// model gives PyTorch's outputs; exports read back by numpy and by pack.
//
// Needs /usr/bin/python3 with numpy, torch, h5py and onnx (Debian's
// python3-numpy python3-torch python3-h5py python3-onnx; TFJS_QUANT_PYTHON
// overrides the interpreter). TFJS_QUANT_MODELS, if set, adds a real
// quantized graph model to the export tests.
//
// Run: TFJS_QUANT_BIN=/path/to/tfjs-quant node --test pack.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as tfl from '@tensorflow/tfjs-layers';

import {
  DTYPE_SIZE, NPX_CLI, bytesOfTypedArray, execCapture, fileHandler, makeTempDir, manifestOf, readConcatenated, readEnv,
  readJson, removeDir, runSuite, sizeFromShape, tf,
} from './helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.TFJS_QUANT_PYTHON || '/usr/bin/python3';
const PY_MODULES = ['numpy', 'torch', 'h5py', 'onnx'];
// A small real model quantized to float16 (human-models), for the export tests.
const REAL_MODEL = 'facemesh-detection-short.json';
const NPX_CLI_WASM = path.join(HERE, '..', '..', 'js', 'dist', 'tfjs_quant_cli.wasm');

const env = readEnv({ needModels: false });

await runSuite(env, (e) => {
  describe('pack and export', () => registerTests(e));
});

// ---------------------------------------------------------------------------
// Helpers

/** Runs the Python interpreter; fails with its stderr and what to install. */
async function python(args, cwd) {
  const r = await execCapture(PYTHON, args, cwd);
  if (r.code === 'ENOENT') assert.fail(`${PYTHON} not found: the pack tests need Python 3 with ${PY_MODULES.join(', ')}`);
  return r;
}

async function checkPythonModules() {
  const missing = [];
  for (const m of PY_MODULES) {
    const r = await python(['-c', `import ${m}`]);
    if (r.code !== 0) missing.push(m);
  }
  if (missing.length) {
    assert.fail(`${PYTHON} lacks the module(s) ${missing.join(', ')} that tests/node/pack_fixtures.py needs: ` +
      `apt-get install ${missing.map((m) => `python3-${m}`).join(' ')} ` +
      '(scripts/setup.sh installs them with TFJS_QUANT_TEST_TOOLS=1), or point TFJS_QUANT_PYTHON at a Python that has them');
  }
}

/** tfjs decodes a packed folder (standalone manifest or model JSON): Map name -> {dtype, shape, bytes, entry}. */
function decodeFolder(dir, jsonName) {
  const name = jsonName ?? (fs.existsSync(path.join(dir, 'weights_manifest.json')) ? 'weights_manifest.json' : null);
  assert.ok(name, `${dir} holds no weights_manifest.json (it holds ${JSON.stringify(fs.readdirSync(dir))})`);
  return decodeJson(path.join(dir, name));
}

function decodeJson(jsonPath) {
  const manifest = manifestOf(readJson(jsonPath));
  const specs = manifest.flatMap((g) => g.weights);
  const tensors = tf.io.decodeWeights(readConcatenated(path.dirname(jsonPath), manifest), specs);
  const out = new Map();
  for (const entry of specs) {
    const t = tensors[entry.name];
    assert.ok(t, `tfjs decoded no tensor named ${entry.name}`);
    out.set(entry.name, { dtype: t.dtype, shape: t.shape, bytes: Buffer.from(bytesOfTypedArray(t.dataSync())), entry });
  }
  tf.dispose(tensors);
  assert.equal(out.size, specs.length, `${jsonPath}: duplicate weight names in the manifest`);
  return out;
}

/** The writer's values of FILE (expected.json): [{name, dtype, shape, bytes}], in the writer's order. */
function expectedOf(expected, file) {
  const list = expected.files[file];
  assert.ok(list, `expected.json has no entry for ${file}`);
  return list.map((t) => ({ ...t, bytes: Buffer.from(t.data, 'base64') }));
}

/** Permutes a C-order tensor's elements: output axis i is input axis perm[i]. */
function permute(bytes, elemBytes, shape, perm) {
  const rank = shape.length;
  assert.equal(perm.length, rank, `permutation ${perm} for shape ${JSON.stringify(shape)}`);
  const inStride = new Array(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStride[i] = inStride[i + 1] * shape[i + 1];
  const outShape = perm.map((p) => shape[p]);
  const n = sizeFromShape(shape);
  const out = Buffer.alloc(bytes.length);
  const idx = new Array(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += idx[i] * inStride[perm[i]];
    bytes.copy(out, k * elemBytes, src * elemBytes, (src + 1) * elemBytes);
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return { bytes: out, shape: outShape };
}

function valueAt(dtype, bytes, i) {
  if (dtype === 'float32') return bytes.readFloatLE(i * 4);
  if (dtype === 'int32') return bytes.readInt32LE(i * 4);
  return bytes[i];
}

/** Null when equal bit for bit, else the first differing elements. */
function bitsMismatch(name, dtype, got, want) {
  if (got.equals(want)) return null;
  const lines = [`${name} (${dtype}): ${got.length} bytes decoded, ${want.length} expected`];
  const size = DTYPE_SIZE[dtype];
  const n = Math.min(got.length, want.length) / size;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const g = got.subarray(i * size, (i + 1) * size);
    const w = want.subarray(i * size, (i + 1) * size);
    if (g.equals(w)) continue;
    if (count++ < 5) {
      lines.push(`  [${i}] decoded ${g.toString('hex')} (${valueAt(dtype, got, i)}) vs expected ${w.toString('hex')} ` +
        `(${valueAt(dtype, want, i)})`);
    }
  }
  lines.push(`  ${count} of ${n} elements differ`);
  return lines.join('\n');
}

/**
 * Asserts that tfjs's decode of a packed folder holds exactly the expected
 * tensors (in that order): names, dtypes, shapes and bits. `want` entries:
 * {name, dtype, shape, bytes}.
 */
function assertDecodedEquals(what, decoded, want) {
  assert.deepEqual([...decoded.keys()], want.map((w) => w.name), `${what}: weight names in manifest order`);
  const failures = [];
  for (const w of want) {
    const d = decoded.get(w.name);
    assert.equal(d.dtype, w.dtype, `${what}: ${w.name} dtype`);
    assert.deepEqual(d.shape, w.shape, `${what}: ${w.name} shape`);
    const msg = bitsMismatch(w.name, w.dtype, d.bytes, w.bytes);
    if (msg) failures.push(msg);
  }
  assert.equal(failures.length, 0, `${what}: ${failures.length} weight(s) differ from the writer's values:\n${failures.join('\n')}`);
}

/** Expected tensors after renaming and permuting: perms maps an input name to its permutation. */
function transformed(list, { rename = (n) => n, perms = {}, drop = () => false } = {}) {
  return list.filter((t) => !drop(t.name)).map((t) => {
    const perm = perms[t.name];
    const p = perm ? permute(t.bytes, DTYPE_SIZE[t.dtype], t.shape, perm) : { bytes: t.bytes, shape: t.shape };
    return { name: rename(t.name), dtype: t.dtype, shape: p.shape, bytes: p.bytes };
  });
}

function floats(b64OrBuffer) {
  const b = typeof b64OrBuffer === 'string' ? Buffer.from(b64OrBuffer, 'base64') : b64OrBuffer;
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Hand parse of a safetensors file: Map name -> {dtype (tfjs), shape, bytes}, in header order. */
function parseSafetensors(file) {
  const buf = fs.readFileSync(file);
  assert.ok(buf.length >= 8, `${file}: shorter than the 8-byte header length`);
  const n = Number(buf.readBigUInt64LE(0));
  assert.ok(8 + n <= buf.length, `${file}: header of ${n} bytes runs past the end (${buf.length} bytes)`);
  assert.equal(n % 8, 0, `${file}: header of ${n} bytes; the safetensors serializer pads it so the data is 8-byte aligned`);
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const data = buf.subarray(8 + n);
  const dtypes = { F32: 'float32', I32: 'int32', BOOL: 'bool' };
  const out = new Map();
  const ranges = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const dtype = dtypes[info.dtype];
    assert.ok(dtype, `${file}: ${name} has dtype ${info.dtype}, expected F32, I32 or BOOL`);
    const [begin, end] = info.data_offsets;
    assert.equal(end - begin, sizeFromShape(info.shape) * DTYPE_SIZE[dtype], `${file}: ${name} data_offsets vs shape`);
    ranges.push([begin, end]);
    out.set(name, { dtype, shape: info.shape, bytes: Buffer.from(data.subarray(begin, end)) });
  }
  // The format has no holes: the ranges tile the data exactly.
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0;
  for (const [b, e] of ranges) {
    assert.equal(b, at, `${file}: a hole or overlap in the data at byte ${at}`);
    at = e;
  }
  assert.equal(at, data.length, `${file}: the tensors take ${at} of the ${data.length} data bytes`);
  return out;
}

function assertSameMaps(what, got, want) {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${what}: weight names`);
  const failures = [];
  for (const [name, w] of want) {
    const g = got.get(name);
    assert.equal(g.dtype, w.dtype, `${what}: ${name} dtype`);
    assert.deepEqual(g.shape, w.shape, `${what}: ${name} shape`);
    const msg = bitsMismatch(name, w.dtype, g.bytes, w.bytes);
    if (msg) failures.push(msg);
  }
  assert.equal(failures.length, 0, `${what}: ${failures.length} weight(s) differ:\n${failures.join('\n')}`);
}

// ---------------------------------------------------------------------------
// Tests

function registerTests({ bin }) {
  let fx; // the fixtures folder
  let work; // outputs
  let expected;
  let outCount = 0;

  before(async () => {
    await checkPythonModules();
    fx = await makeTempDir('pack-fixtures');
    work = await makeTempDir('pack-out');
    const r = await python([path.join(HERE, 'pack_fixtures.py'), fx]);
    assert.equal(r.code, 0, `pack_fixtures.py failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
    expected = readJson(path.join(fx, 'expected.json'));
  });
  after(async () => {
    await removeDir(fx);
    await removeDir(work);
  });

  /** A fresh, empty parent folder; OUT is `<parent>/out`. */
  function freshOut(tag) {
    const parent = path.join(work, `${String(++outCount).padStart(2, '0')}-${tag}`);
    fs.mkdirSync(parent);
    return { parent, out: path.join(parent, 'out') };
  }

  /** Runs `tfjs-quant ARGS` in the fixtures folder. */
  function cli(args) {
    return execCapture(bin, args, fx);
  }

  async function packOk(tag, inputs, options = []) {
    const { out } = freshOut(tag);
    const r = await cli(['pack', ...inputs, out, ...options]);
    assert.equal(r.code, 0, `tfjs-quant pack ${[...inputs, 'OUT', ...options].join(' ')} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
    return out;
  }

  /** A refused command: the exit code, and neither OUT nor any leftover in its parent. */
  async function packFails(tag, inputs, options, code) {
    const { parent, out } = freshOut(tag);
    const r = await cli(['pack', ...inputs, out, ...options]);
    assert.equal(r.code, code, `tfjs-quant pack ${[...inputs, 'OUT', ...options].join(' ')}: exit ${r.code}, expected ${code}:\n${r.stderr}${r.stdout}`);
    assert.ok(!fs.existsSync(out), 'OUT must not exist after a failed pack');
    assert.deepEqual(fs.readdirSync(parent), [], 'a failed pack leaves nothing behind next to OUT');
    assert.match(r.stderr, /error/, 'stderr says what went wrong');
    return r;
  }

  // --- 1. every format, bit for bit ------------------------------------------------

  describe('each format decodes to exactly the writer\'s values', () => {
    const TORCH_PERMS = {
      'conv1.weight': [2, 3, 1, 0], // Conv2d OIHW -> HWIO
      'dw.weight': [2, 3, 0, 1], // depthwise [C, 1, kH, kW] -> [kH, kW, C, 1]
      'conv1d.weight': [2, 1, 0], // Conv1d [O, I, k] -> [k, I, O]
      'fc.weight': [1, 0], // Linear [out, in] -> [in, out]
    };

    test('torch.save state_dict, --layout torch: convs HWIO, Linear [in,out], no num_batches_tracked', async () => {
      const out = await packOk('torch-layout', ['convnet.pt'], ['--layout', 'torch']);
      const want = transformed(expectedOf(expected, 'convnet.pt'), {
        perms: TORCH_PERMS, drop: (n) => n.endsWith('num_batches_tracked'),
      });
      assert.deepEqual(want.find((w) => w.name === 'conv1.weight').shape, [3, 3, 3, 4]);
      assertDecodedEquals('convnet.pt --layout torch', decodeFolder(out), want);
    });

    test('torch.save state_dict as stored, with --rename and --prefix; int64 num_batches_tracked -> int32', async () => {
      const out = await packOk('torch-rename', ['convnet.pt'],
        ['--rename', '^bn1\\.=>batch_norm/', '--rename', '\\.(weight|bias)$=>/$1', '--prefix', 'net/']);
      const rename = (n) => `net/${n.replace(/^bn1\./, 'batch_norm/').replace(/\.(weight|bias)$/, '/$1')}`;
      const want = transformed(expectedOf(expected, 'convnet.pt'), { rename });
      const decoded = decodeFolder(out);
      assert.ok(decoded.has('net/batch_norm/num_batches_tracked') && decoded.has('net/conv1/weight'),
        `renamed: ${[...decoded.keys()].join(', ')}`);
      assert.equal(decoded.get('net/batch_norm/num_batches_tracked').bytes.readInt32LE(0), 11, 'num_batches_tracked');
      assertDecodedEquals('convnet.pt renamed', decoded, want);
    });

    test('torch.save checkpoint dict: float64, int64, bfloat16, float16, bool, uint8, int8', async () => {
      const out = await packOk('torch-extras', ['extras.pt']);
      const want = expectedOf(expected, 'extras.pt');
      assert.deepEqual(want.map((w) => w.source_dtype),
        ['float64', 'int64', 'bfloat16', 'float16', 'bool', 'uint8', 'int8'], 'the writer wrote these dtypes');
      assertDecodedEquals('extras.pt', decodeFolder(out), want);
    });

    test('np.save .npy, with --transpose', async () => {
      const out = await packOk('npy', ['single.npy'], ['--transpose', 'single=2,0,1']);
      const want = transformed(expectedOf(expected, 'single.npy'), { perms: { single: [2, 0, 1] } });
      assert.deepEqual(want[0].shape, [4, 2, 3]);
      assertDecodedEquals('single.npy --transpose', decodeFolder(out), want);
    });

    test('np.save of a Fortran-ordered float64 array', async () => {
      const out = await packOk('npy-fortran', ['fortran.npy']);
      assertDecodedEquals('fortran.npy', decodeFolder(out), expectedOf(expected, 'fortran.npy'));
    });

    for (const file of ['arrays.npz', 'arrays_c.npz']) {
      test(`np.savez${file === 'arrays_c.npz' ? '_compressed' : ''} .npz`, async () => {
        const out = await packOk(file.replace('.', '-'), [file]);
        assertDecodedEquals(file, decodeFolder(out), expectedOf(expected, file));
      });
    }

    test('--keep-float16: a float16 input stays float16 in the shard, tfjs decodes its exact values', async () => {
      const out = await packOk('keep-f16', ['arrays.npz'], ['--keep-float16']);
      const decoded = decodeFolder(out);
      for (const [name, d] of decoded) {
        if (name === 'half') {
          assert.deepEqual(d.entry.quantization, { dtype: 'float16', original_dtype: 'float32' }, 'half is stored as float16');
          assert.equal(d.entry.dtype, 'float32');
        } else {
          assert.equal(d.entry.quantization, undefined, `${name} is not quantized`);
        }
      }
      const manifest = readJson(path.join(out, 'weights_manifest.json'));
      const bytes = manifest[0].paths.reduce((n, p) => n + fs.statSync(path.join(out, p)).size, 0);
      assert.equal(bytes, 80 + 16 + 4 + 9 * 2 + 12 + 12, 'shard bytes: half takes 2 bytes per element');
      assertDecodedEquals('arrays.npz --keep-float16', decoded, expectedOf(expected, 'arrays.npz'));
    });

    test('h5py, Keras 2 save_weights layout: names without ":0", in layer_names order', async () => {
      const out = await packOk('h5', ['weights.h5']);
      const want = expectedOf(expected, 'weights.h5');
      assert.deepEqual(want.map((w) => w.name), ['conv2d/kernel', 'conv2d/bias', 'dense/kernel', 'dense/bias']);
      assertDecodedEquals('weights.h5', decodeFolder(out), want);
    });

    test('onnx initializers (raw_data and float_data)', async () => {
      const out = await packOk('onnx', ['model.onnx']);
      assertDecodedEquals('model.onnx', decodeFolder(out), expectedOf(expected, 'model.onnx'));
    });

    test('hand-written safetensors: F32, BF16, F16, F64, I64, BOOL, U8', async () => {
      const out = await packOk('safetensors', ['hand.safetensors']);
      assertDecodedEquals('hand.safetensors', decodeFolder(out), expectedOf(expected, 'hand.safetensors'));
    });

    test('several inputs into one manifest, each its own names', async () => {
      const out = await packOk('multi', ['single.npy', 'hand.safetensors', 'weights.h5']);
      const want = [...expectedOf(expected, 'single.npy'), ...expectedOf(expected, 'hand.safetensors'),
        ...expectedOf(expected, 'weights.h5')];
      assertDecodedEquals('three inputs', decodeFolder(out), want);
    });
  });

  // --- 2. quantized -----------------------------------------------------------------

  test('--quantize_uint8 of the torch net: each float32 weight within scale/2 of the writer\'s value', async () => {
    const out = await packOk('uint8', ['convnet.pt'], ['--quantize_uint8']);
    const decoded = decodeFolder(out);
    const want = expectedOf(expected, 'convnet.pt');
    assert.deepEqual([...decoded.keys()], want.map((w) => w.name));
    const problems = [];
    for (const w of want) {
      const d = decoded.get(w.name);
      assert.deepEqual(d.shape, w.shape, `${w.name} shape`);
      if (w.dtype !== 'float32') {
        assert.equal(d.entry.quantization, undefined, `${w.name} (${w.dtype}) is not quantized`);
        assert.ok(d.bytes.equals(w.bytes), `${w.name} (${w.dtype}) is kept exactly`);
        continue;
      }
      const q = d.entry.quantization;
      assert.ok(q && q.dtype === 'uint8' && Number.isFinite(q.min) && q.scale > 0,
        `${w.name}: expected uint8 quantization with min and scale, got ${JSON.stringify(q)}`);
      const got = floats(d.bytes);
      const orig = floats(w.bytes);
      const eps = 4 * 2 ** -23 * (Math.abs(q.min) + 255 * q.scale);
      let worst = 0;
      let at = -1;
      for (let i = 0; i < orig.length; i++) {
        const err = Math.abs(got[i] - orig[i]);
        if (err > worst) { worst = err; at = i; }
      }
      if (worst > q.scale / 2 + eps) {
        problems.push(`${w.name}: max error ${worst} at [${at}] (${got[at]} vs ${orig[at]}) > scale/2 = ${q.scale / 2}`);
      }
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  // --- 3. hostile pickle -----------------------------------------------------------------

  test('a pickle calling os.system is refused: exit 3, the global named, nothing run or written', async () => {
    const r = await packFails('evil', ['evil.pt'], [], 3);
    assert.match(r.stderr, /(posix|os)\.system/, `stderr names the refused global:\n${r.stderr}`);
    assert.ok(!fs.existsSync(expected.marker), `${expected.marker} exists: the pickle's os.system ran`);
    assert.ok(!fs.existsSync(path.join(fx, 'MARKER')));
  });

  // --- 4. a PyTorch net ported to a tfjs layers model ------------------------------------

  describe('PyTorch net -> tfjs layers model', () => {
    const conv = (name, filters, strides, padding, extra = {}) => ({
      class_name: 'Conv2D',
      config: {
        name, trainable: true, dtype: 'float32', filters, kernel_size: [3, 3], strides, padding,
        data_format: 'channels_last', dilation_rate: [1, 1], activation: 'relu', use_bias: true, ...extra,
      },
    });
    // PyTorch: Conv2d(3,8,3,padding=1) ReLU Conv2d(8,4,3,stride=2,padding=1) ReLU Flatten Linear(64,10).
    // Keras 'same' pads stride-2 even sizes on one side only, so conv2 gets
    // an explicit ZeroPadding2D + 'valid'; Permute to CHW makes Flatten
    // flatten in PyTorch's NCHW order.
    const topology = {
      class_name: 'Sequential',
      config: {
        name: 'ported',
        layers: [
          conv('conv1', 8, [1, 1], 'same', { batch_input_shape: [null, 8, 8, 3] }),
          { class_name: 'ZeroPadding2D', config: { name: 'pad', padding: [[1, 1], [1, 1]], data_format: 'channels_last' } },
          conv('conv2', 4, [2, 2], 'valid'),
          { class_name: 'Permute', config: { name: 'to_chw', dims: [3, 1, 2] } },
          { class_name: 'Flatten', config: { name: 'flatten', data_format: 'channels_last' } },
          { class_name: 'Dense', config: { name: 'fc', units: 10, activation: 'linear', use_bias: true } },
        ],
      },
      keras_version: '2.11.0',
      backend: 'tensorflow',
    };
    const RENAMES = ['--rename', '^0\\.=>conv1/', '--rename', '^2\\.=>conv2/', '--rename', '^5\\.=>fc/',
      '--rename', '/weight$=>/kernel'];
    const SHAPES = [['conv1/kernel', [3, 3, 3, 8]], ['conv1/bias', [8]], ['conv2/kernel', [3, 3, 8, 4]],
      ['conv2/bias', [4]], ['fc/kernel', [64, 10]], ['fc/bias', [10]]];

    function writeModelJson(name, extra = {}) {
      const file = path.join(fx, 'port', name);
      fs.writeFileSync(file, JSON.stringify({ format: 'layers-model', generatedBy: 'pack.test.mjs', convertedBy: null,
        modelTopology: topology, ...extra }, null, 1));
      return file;
    }

    test('pack --layout torch --model-json --rename; tf.loadLayersModel gives PyTorch\'s outputs', async () => {
      const modelJson = writeModelJson('model.json');
      const out = await packOk('port', ['port/net.pt'], ['--layout', 'torch', '--model-json', modelJson, ...RENAMES]);
      const written = readJson(path.join(out, 'model.json'));
      assert.deepEqual(written.modelTopology, topology, 'the topology is kept');
      assert.equal(written.format, 'layers-model');
      assert.deepEqual(written.weightsManifest.flatMap((g) => g.weights).map((w) => [w.name, w.shape]), SHAPES,
        'a weightsManifest was added, in the state_dict\'s order');

      const model = await tfl.loadLayersModel(fileHandler(path.join(out, 'model.json')));
      const { input, output } = expected.port;
      assert.deepEqual(input.shape, [1, 3, 8, 8]);
      const nhwc = permute(Buffer.from(input.data, 'base64'), 4, input.shape, [0, 2, 3, 1]);
      const y = tf.tidy(() => model.predict(tf.tensor(floats(nhwc.bytes), nhwc.shape, 'float32')));
      assert.deepEqual(y.shape, output.shape);
      const got = y.dataSync();
      y.dispose();
      model.dispose();
      const want = floats(output.data);
      const bad = [];
      for (let i = 0; i < want.length; i++) {
        if (!(Math.abs(got[i] - want[i]) <= 1e-4 + 1e-4 * Math.abs(want[i]))) bad.push(`[${i}] tfjs ${got[i]} vs torch ${want[i]}`);
      }
      assert.deepEqual(bad, [], `tfjs outputs differ from PyTorch's:\n${bad.join('\n')}`);
      assert.ok(want.some((v) => Math.abs(v) > 1e-3), 'PyTorch\'s output is not all zeros');
    });

    test('the packed model goes through inspect and auto like any tfjs model', async () => {
      const modelJson = writeModelJson('model-auto.json');
      const out = await packOk('port-auto', ['port/net.pt'], ['--layout', 'torch', '--model-json', modelJson, ...RENAMES]);
      const ins = await cli(['inspect', path.join(out, 'model-auto.json'), '--json', '--no-wire']);
      assert.equal(ins.code, 0, ins.stderr);
      const report = JSON.parse(ins.stdout);
      assert.deepEqual(report.tensors.map((t) => t.name).sort(), SHAPES.map(([n]) => n).sort());
      // auto measures candidates in TensorFlow.js (evaluator/, installed by setup).
      const { out: autoOut } = freshOut('port-auto-out');
      const r = await cli(['auto', path.join(out, 'model-auto.json'), autoOut, '--budget', 'sqnr>=30', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const rep = JSON.parse(r.stdout);
      assert.match(rep.evaluator, /layers model/);
      assert.equal(rep.budget_holds, true);
      const final = rep.metrics.final.sqnr_db;
      assert.ok(final === 'exact' || final >= 30, `final ${final}`);
      const model = await tfl.loadLayersModel(fileHandler(path.join(autoOut, 'model-auto.json')));
      model.dispose();
    });

    test('--model-json whose weightsManifest agrees: packed and replaced', async () => {
      const manifest = [{ paths: ['old.bin'], weights: SHAPES.map(([name, shape]) => ({ name, shape, dtype: 'float32' })) }];
      const modelJson = writeModelJson('agrees.json', { weightsManifest: manifest });
      const out = await packOk('port-agrees', ['port/net.pt'], ['--layout', 'torch', '--model-json', modelJson, ...RENAMES]);
      const written = readJson(path.join(out, 'agrees.json'));
      const paths = written.weightsManifest.flatMap((g) => g.paths);
      assert.ok(!paths.includes('old.bin') && paths.every((p) => fs.existsSync(path.join(out, p))),
        `the manifest points at the new shards: ${paths}`);
      assert.deepEqual(written.weightsManifest.flatMap((g) => g.weights).map((w) => [w.name, w.shape]), SHAPES);
    });

    test('--model-json of a hand-written topology: the weights its layers declare are checked (exit 6)', async () => {
      // No weightsManifest: the layers' configs say what they need (Conv2D
      // kernel [3,3,?,8] for conv1, ...). Leaving out the fc renames leaves
      // the PyTorch names in place.
      const modelJson = writeModelJson('topology-only.json');
      const r = await packFails('port-topology', ['port/net.pt'],
        ['--layout', 'torch', '--model-json', modelJson, ...RENAMES.slice(0, 4), ...RENAMES.slice(6)], 6);
      assert.match(r.stderr, /2 missing[^\n]*\n\s+'fc\/bias' \[10\]\n\s+'fc\/kernel' \[\?,10\]/, r.stderr);
      assert.match(r.stderr, /2 extra[^\n]*\n\s+'5\.weight' \[64, ?10\]\n\s+'5\.bias' \[10\]/, r.stderr);
      assert.doesNotMatch(r.stderr, /another shape/, r.stderr);
    });

    test('--model-json whose weightsManifest disagrees: exit 6, missing/extra/shape listed, nothing written', async () => {
      const weights = [
        { name: 'conv1/kernel', shape: [3, 3, 3, 9], dtype: 'float32' }, // wrong shape
        { name: 'conv1/bias', shape: [8], dtype: 'float32' },
        { name: 'conv2/kernel', shape: [3, 3, 8, 4], dtype: 'float32' },
        { name: 'conv2/bias', shape: [4], dtype: 'float32' },
        { name: 'fc/kernel', shape: [64, 10], dtype: 'float32' },
        { name: 'fc/gamma', shape: [10], dtype: 'float32' }, // missing; fc/bias is extra
      ];
      const modelJson = writeModelJson('disagrees.json', { weightsManifest: [{ paths: ['x.bin'], weights }] });
      const r = await packFails('port-disagrees', ['port/net.pt'], ['--layout', 'torch', '--model-json', modelJson, ...RENAMES], 6);
      const err = r.stderr;
      assert.match(err, /1 missing[^\n]*\n\s+'fc\/gamma' \[10\]/, `missing fc/gamma:\n${err}`);
      assert.match(err, /1 extra[^\n]*\n\s+'fc\/bias' \[10\]/, `extra fc/bias:\n${err}`);
      assert.match(err, /1 with another shape[^\n]*\n\s+'conv1\/kernel': the model expects \[3, ?3, ?3, ?9\], packed \[3, ?3, ?3, ?8\]/,
        `shape of conv1/kernel:\n${err}`);
      assert.doesNotMatch(err, /'conv2\/kernel'|'conv1\/bias'/, 'weights that agree are not listed');
    });
  });

  // --- 5. export, then pack back -------------------------------------------------------------

  describe('export to .safetensors and .npz, read back by numpy, by hand and by pack', () => {
    const packed = (tag, inputs, options) => ({
      tag, make: async () => path.join(await packOk(`export-src-${tag}`, inputs, options), 'weights_manifest.json'),
    });
    const models = [
      packed('torch-uint8', ['convnet.pt'], ['--quantize_uint8']), // float32 as uint8, an int32
      packed('npz-float16', ['arrays.npz'], ['--keep-float16', '--quantize_uint16=weight']), // float16, uint16, bool, int32
    ];
    if (process.env.TFJS_QUANT_MODELS) {
      models.push({
        tag: REAL_MODEL,
        make: async () => {
          const m = readEnv({ needModels: true });
          assert.ok(!m.problem, m.problem);
          const file = path.join(m.models, REAL_MODEL);
          assert.ok(fs.existsSync(file), `${file} is missing from TFJS_QUANT_MODELS`);
          return file;
        },
      });
    }
    for (const { tag, make } of models) {
      test(`${tag}: export == tfjs's decode; pack of the export == tfjs's decode`, async () => {
        const modelPath = await make();
        const original = decodeJson(modelPath);
        assert.ok([...original.values()].some((d) => d.entry.quantization), `${tag} is a quantized model`);
        const want = new Map([...original].map(([n, d]) => [n, { dtype: d.dtype, shape: d.shape, bytes: d.bytes }]));
        const { parent } = freshOut(`export-${tag}`);
        const st = path.join(parent, 'w.safetensors');
        const npz = path.join(parent, 'w.npz');
        for (const file of [st, npz]) {
          const r = await cli(['export', modelPath, file]);
          assert.equal(r.code, 0, `tfjs-quant export MODEL ${path.basename(file)} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
        }

        // (a) the hand parse and numpy read the tfjs values.
        assertSameMaps(`${tag} -> safetensors (hand parse)`, parseSafetensors(st), want);
        const py = await python(['-c', [
          'import base64, json, sys', 'import numpy as np', 'd = np.load(sys.argv[1])', 'out = {}',
          'for k in d.files:',
          '    a = d[k]',
          '    out[k] = {"dtype": a.dtype.name, "shape": list(a.shape),',
          '              "data": base64.b64encode(np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<"))).tobytes()).decode()}',
          'print(json.dumps(out))'].join('\n'), npz]);
        assert.equal(py.code, 0, `numpy could not np.load ${npz}:\n${py.stderr}`);
        const fromNumpy = new Map(Object.entries(JSON.parse(py.stdout)).map(([n, a]) => [n,
          { dtype: a.dtype, shape: a.shape, bytes: Buffer.from(a.data, 'base64') }]));
        assertSameMaps(`${tag} -> npz (numpy)`, fromNumpy, want);

        // (b) pack reads the exports back to the same tfjs values.
        for (const file of [st, npz]) {
          const out = await packOk(`repack-${path.extname(file).slice(1)}`, [file]);
          const decoded = decodeFolder(out);
          for (const [n, d] of decoded) assert.equal(d.entry.quantization, undefined, `${n} is stored unquantized`);
          assertSameMaps(`${tag} -> ${path.basename(file)} -> pack`, decoded, want);
        }
      });
    }
  });

  // --- 6. bad input ------------------------------------------------------------------------

  describe('bad input: one error line, the right exit code, nothing written', () => {
    test('a safetensors header length beyond the file: exit 3', async () => {
      const r = await packFails('truncated', ['truncated.safetensors'], [], 3);
      assert.match(r.stderr, /truncated\.safetensors/, 'stderr names the file');
    });

    test('--transpose that does not fit the rank: exit 2 naming the tensor', async () => {
      const r = await packFails('bad-perm', ['convnet.pt'], ['--transpose', '*=1,0'], 2);
      assert.match(r.stderr, /'conv1\.weight'.*rank 4/, `stderr names the tensor and its rank:\n${r.stderr}`);
    });

    test('two names colliding after --rename: exit 2 naming both', async () => {
      const r = await packFails('collide', ['convnet.pt'], ['--rename', '\\.(weight|bias)$=>'], 2);
      assert.match(r.stderr, /'conv1'/, `stderr names the colliding name:\n${r.stderr}`);
      assert.match(r.stderr, /conv1\.bias/, `stderr names the second input tensor:\n${r.stderr}`);
    });
  });

  // --- 7. npx tfjs-quant pack: the same C++ as WebAssembly -----------------------------

  describe('npx tfjs-quant pack == the native tool', { skip: !fs.existsSync(NPX_CLI_WASM) && 'js/dist is not built (npm run build)' }, () => {
    // Every format but Keras (libhdf5 is native only), quantized and not:
    // stdout, stderr, exit code and every output byte equal.
    const cases = [
      [['convnet.pt'], ['--layout', 'torch', '--quantize_uint8']],
      [['arrays.npz', 'single.npy'], ['--keep-float16', '--name', 'ported']],
      [['arrays_c.npz'], ['--quantize_float16']],
      [['model.onnx'], ['--quantize_uint16=*']],
      [['hand.safetensors'], ['--rename', '^=>st/']],
      [['convnet.pt'], ['--transpose', '*=1,0']],
      [['evil.pt'], []],
    ];
    for (const [inputs, options] of cases) {
      test(`pack ${inputs.join(' ')} ${options.join(' ')}`, async () => {
        const a = freshOut('native'), b = freshOut('npx');
        const native = await execCapture(bin, ['pack', ...inputs, a.out, ...options], fx);
        const npx = await execCapture(process.execPath, [NPX_CLI, 'pack', ...inputs, b.out, ...options], fx);
        assert.equal(npx.code, native.code, `exit codes: npx ${npx.code}, native ${native.code}\n${npx.stderr}`);
        assert.equal(npx.stderr.replaceAll(b.out, 'OUT'), native.stderr.replaceAll(a.out, 'OUT'));
        assert.equal(npx.stdout.replaceAll(b.out, 'OUT'), native.stdout.replaceAll(a.out, 'OUT'));
        const files = (d) => (fs.existsSync(d) ? fs.readdirSync(d).sort() : []);
        assert.deepEqual(files(b.out), files(a.out));
        for (const f of files(a.out)) {
          assert.ok(fs.readFileSync(path.join(b.out, f)).equals(fs.readFileSync(path.join(a.out, f))), `${f} differs`);
        }
      });
    }
  });
}
