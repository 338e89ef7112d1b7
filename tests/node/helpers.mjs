// Shared helpers for the Node compatibility suite: environment checks, running
// the tfjs-quant CLI, a file-system IOHandler for stock tfjs, manifest slicing
// and bit-exact comparison with readable failure messages.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

export { tf };

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');

// Bytes per element, as tfjs-core's DTYPE_VALUE_SIZE_MAP.
export const DTYPE_SIZE = { float32: 4, int32: 4, bool: 1, complex64: 8, float16: 2, uint16: 2, uint8: 1 };

// ---------------------------------------------------------------------------
// Environment

// Which real models the sweeps (compat, js_identity) run on. TFJS_QUANT_SAMPLE
// = all: every model (bench/compat.sh, the compatibility command); quick:
// two small ones (scripts/test.sh --quick); unset: a sample that covers what
// the models differ in (scripts/test.sh, CI): the smallest, with the most
// int32 weights (age), float16 as stored (facemesh-detection-short), uint8
// as stored (handtrack), bool and uint8 (rvm), float32 only with depthwise
// kernels (posenet), the largest, in 7 shards (blazepose-heavy); face-api's
// smallest and largest manifests.
const SAMPLES = {
  quick: ['age.json', 'handtrack.json', 'face_landmark_68_tiny_model-weights_manifest.json'],
  ci: ['age.json', 'facemesh-detection-short.json', 'handtrack.json', 'rvm.json', 'posenet.json',
       'blazepose-heavy.json', 'face_landmark_68_tiny_model-weights_manifest.json',
       'face_recognition_model-weights_manifest.json'],
};

/** `names` as TFJS_QUANT_SAMPLE asks (see SAMPLES); a sampled name missing from `names` fails loudly. */
export function sampleModels(names) {
  const which = process.env.TFJS_QUANT_SAMPLE || 'ci';
  if (which === 'all') return names;
  const sample = SAMPLES[which];
  if (!sample) throw new Error(`TFJS_QUANT_SAMPLE=${which}: expected all, quick or nothing`);
  const picked = names.filter((n) => sample.includes(n));
  const manifests = names.some((n) => n.endsWith('weights_manifest.json'));
  const expected = sample.filter((n) => n.endsWith('weights_manifest.json') === manifests);
  if (picked.length !== expected.length) {
    throw new Error(`the model sample ${which} names ${expected.filter((n) => !names.includes(n)).join(', ')}, ` +
                    'which the models folder lacks');
  }
  return picked;
}

/**
 * Whether a test that cannot run here (no models fetched, no Chromium) is
 * skipped with one line saying why (a contributor's run) rather than failed
 * (CI, where CI is set, and scripts/test.sh's full tier, which sets
 * TFJS_QUANT_REQUIRE_ALL: everything must run there).
 */
export const SKIP_MISSING = !process.env.CI && !process.env.TFJS_QUANT_REQUIRE_ALL;

/** Headless Chromium for the page and report tests: CHROMIUM_BIN, else Debian's. */
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

export function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why Chromium cannot run the browser tests here, or ''. */
export function chromiumProblem() {
  return isExecutable(CHROMIUM) ? '' : `${CHROMIUM} is not an executable file: install Chromium or set CHROMIUM_BIN`;
}

/**
 * A test saying what is missing for the tests of this file (`problem`):
 * skipped with its first line outside CI, failed in CI.
 */
export async function missing(what, problem) {
  const { test } = await import('node:test');
  const assert = (await import('node:assert/strict')).default;
  const name = `environment (${what})`;
  if (SKIP_MISSING) test(name, { skip: problem.split('\n')[0] }, () => {});
  else test(name, () => assert.fail(`these tests cannot run:\n${problem}`));
}

/**
 * Reads TFJS_QUANT_BIN and TFJS_QUANT_MODELS. Returns {bin, models, modelFiles}
 * or {problem} with a message that says exactly what is missing.
 */
export function readEnv({ needModels = true } = {}) {
  const problems = [];
  const rawBin = process.env.TFJS_QUANT_BIN;
  const rawModels = process.env.TFJS_QUANT_MODELS;
  let bin;
  let models;
  if (!rawBin) {
    problems.push('TFJS_QUANT_BIN is not set: point it at the tfjs-quant CLI, e.g. TFJS_QUANT_BIN=/work/main/build/tfjs-quant');
  } else {
    bin = path.resolve(rawBin);
    try {
      fs.accessSync(bin, fs.constants.X_OK);
    } catch {
      problems.push(`TFJS_QUANT_BIN=${rawBin}: ${bin} is not an executable file (build it with cmake --build build)`);
    }
  }
  if (needModels) {
    if (!rawModels) {
      problems.push('TFJS_QUANT_MODELS is not set: point it at the folder printed by scripts/fetch-models.sh ' +
        '(e.g. TFJS_QUANT_MODELS=$(cd /work/main && realpath "$(scripts/fetch-models.sh)"))');
    } else {
      // fetch-models.sh prints a path relative to the repository root: accept that too.
      const candidates = [path.resolve(rawModels), path.resolve(REPO_ROOT, rawModels)];
      models = candidates.find((p) => fs.existsSync(p) && fs.statSync(p).isDirectory());
      if (!models) {
        problems.push(`TFJS_QUANT_MODELS=${rawModels}: no such folder (tried ${candidates.join(' and ')})`);
      }
    }
  }
  let modelFiles = [];
  if (models) {
    modelFiles = fs.readdirSync(models).filter((f) => f.endsWith('.json')).sort()
      .filter((f) => {
        try {
          const j = JSON.parse(fs.readFileSync(path.join(models, f), 'utf8'));
          return j && !Array.isArray(j) && j.modelTopology != null && Array.isArray(j.weightsManifest);
        } catch {
          return false;
        }
      });
    if (modelFiles.length === 0) problems.push(`TFJS_QUANT_MODELS=${rawModels}: ${models} holds no model JSON files`);
  }
  if (problems.length) return { problem: problems.join('\n') };
  return { bin, models, modelFiles };
}

// ---------------------------------------------------------------------------
// CLI

/**
 * Runs the CLI; resolves {stdout, stderr}; rejects with both streams on a
 * non-zero exit. `bin` ending in .js is the package's npx CLI, run by Node.
 */
export function runCli(bin, args) {
  const [file, argv] = bin.endsWith('.js') ? [process.execPath, [bin, ...args]] : [bin, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`tfjs-quant ${args.join(' ')} failed (exit ${err.code ?? err.signal}):\n${stderr}${stdout}`));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

/** The npm package's npx CLI (js/bin/tfjs-quant.js); runCli runs it with Node. */
export const NPX_CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'js', 'bin',
                                    'tfjs-quant.js');

/** Runs `file args` in `cwd`; resolves {code, stdout, stderr} whatever the exit code. */
export function execCapture(file, args, cwd) {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, maxBuffer: 64 << 20, timeout: 120000 },
             (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

/** Names of weights the CLI reported as "not quantized to X, kept as stored". */
export function keptWeights(stderr) {
  const kept = new Map();
  const re = /weight '(.*)' holds .* not quantized to (\w+), kept as stored/g;
  for (const m of stderr.matchAll(re)) kept.set(m[1], m[2]);
  return kept;
}

export async function makeTempDir(tag) {
  return fsp.mkdtemp(path.join(os.tmpdir(), `tfjs-quant-node-${tag}-`));
}

export async function removeDir(dir) {
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------
// Reading models and manifests

export function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The one JSON file in an output folder of the CLI (it keeps the input's file name). */
export function findJson(dir) {
  const jsons = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  if (jsons.length !== 1) throw new Error(`expected exactly one JSON file in ${dir}, found ${JSON.stringify(jsons)}`);
  return path.join(dir, jsons[0]);
}

/** The manifest (list of groups) of a model JSON or a standalone weights manifest. */
export function manifestOf(json) {
  return Array.isArray(json) ? json : json.weightsManifest;
}

function toArrayBuffer(buf) {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

/** A model JSON (or standalone manifest) of `dir` and its shards: file name -> bytes, as the JS API takes them. */
export function modelFiles(dir, jsonName) {
  const json = fs.readFileSync(path.join(dir, jsonName));
  const files = new Map([[jsonName, json]]);
  for (const group of manifestOf(JSON.parse(json))) {
    for (const p of group.paths) files.set(p, fs.readFileSync(path.join(dir, p)));
  }
  return files;
}

/** Every shard of every group, in manifest order, as separate ArrayBuffers (like tf.io.http). */
export function readShards(dir, manifest) {
  const out = [];
  for (const group of manifest) {
    for (const p of group.paths) out.push(toArrayBuffer(fs.readFileSync(path.join(dir, p))));
  }
  return out;
}

/** All shards of all groups concatenated into one ArrayBuffer. */
export function readConcatenated(dir, manifest) {
  const parts = [];
  for (const group of manifest) {
    for (const p of group.paths) parts.push(fs.readFileSync(path.join(dir, p)));
  }
  return toArrayBuffer(Buffer.concat(parts));
}

/**
 * A file-system IOHandler for tf.loadGraphModel: reads the model JSON and
 * every shard path relative to the JSON's folder, and hands tfjs one
 * ArrayBuffer per shard (as the stock http loader does).
 */
export function fileHandler(jsonPath) {
  return {
    async load() {
      const modelJSON = readJson(jsonPath);
      const dir = path.dirname(jsonPath);
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => [
        tf.io.getWeightSpecs(manifest),
        readShards(dir, manifest),
      ]);
    },
  };
}

export function sizeFromShape(shape) {
  return shape.reduce((a, b) => a * b, 1);
}

/** Stored byte length of one manifest entry (uses the quantization dtype when present). */
export function entryByteLength(entry) {
  const dtype = entry.quantization ? entry.quantization.dtype : entry.dtype;
  const size = DTYPE_SIZE[dtype];
  if (size === undefined) throw new Error(`weight ${entry.name}: no fixed element size for dtype ${dtype}`);
  return size * sizeFromShape(entry.shape);
}

/**
 * Slices the concatenated group bytes of an UNQUANTIZED manifest into its
 * weights, in manifest order. Returns Map name -> {entry, bytes: Buffer}.
 */
export function sliceUnquantized(dir, manifest) {
  const all = Buffer.from(readConcatenated(dir, manifest));
  const out = new Map();
  let offset = 0;
  for (const group of manifest) {
    for (const entry of group.weights) {
      if (entry.quantization) throw new Error(`weight ${entry.name} is still quantized in ${dir}`);
      const n = entryByteLength(entry);
      if (out.has(entry.name)) throw new Error(`duplicate weight name ${entry.name} in ${dir}`);
      out.set(entry.name, { entry, bytes: all.subarray(offset, offset + n) });
      offset += n;
    }
  }
  if (offset !== all.length) {
    throw new Error(`${dir}: manifest entries take ${offset} bytes but the shards hold ${all.length}`);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Comparison

export function bytesOfTypedArray(a) {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function hex32(u) {
  return u.toString(16).padStart(8, '0');
}

/**
 * Compares the bytes tfjs decoded for a weight with tfjs-quant's decode.
 * Returns null when identical, else a message naming the first mismatches
 * (element index, expected and actual bits and values).
 */
export function describeMismatch(name, dtype, got, expected, quantization) {
  if (got.length === expected.length && got.equals(expected)) return null;
  const lines = [`weight ${name} (${dtype}${quantization ? `, stored ${JSON.stringify(quantization)}` : ''}):`];
  if (got.length !== expected.length) {
    lines.push(`  tfjs decoded ${got.length} bytes, tfjs-quant ${expected.length} bytes`);
  }
  const elem = dtype === 'bool' ? 1 : 4;
  const n = Math.min(got.length, expected.length) / elem;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const g = elem === 4 ? got.readUInt32LE(i * 4) : got[i];
    const e = elem === 4 ? expected.readUInt32LE(i * 4) : expected[i];
    if (g === e) continue;
    if (count < 5) {
      const val = (u) => (dtype === 'float32' ? new Float32Array(new Uint32Array([u]).buffer)[0] : u | 0);
      lines.push(`  [${i}] tfjs ${hex32(g)} (${val(g)}) vs tfjs-quant ${hex32(e)} (${val(e)})`);
    }
    count++;
  }
  lines.push(`  ${count} of ${n} elements differ`);
  return lines.join('\n');
}

/** Float32 bit patterns of a Float32Array as 8-digit hex strings. */
export function f32Hex(values) {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length), hex32);
}

/** Float32Array from 8-digit hex bit patterns. */
export function f32FromHex(hexes) {
  return new Float32Array(new Uint32Array(hexes.map((h) => parseInt(h, 16))).buffer);
}

/**
 * Registers the suite's tests through `register(env)` once tfjs is ready on
 * the cpu backend, or one failing test that says what is missing: the suite
 * never skips silently.
 */
export async function runSuite(env, register) {
  if (env.problem) {
    await missing('TFJS_QUANT_BIN, TFJS_QUANT_MODELS', env.problem);
    return;
  }
  await tf.setBackend('cpu');
  await tf.ready();
  register(env);
}
