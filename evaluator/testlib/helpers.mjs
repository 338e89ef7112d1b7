// Shared test helpers: a client for the evaluator process, tiny layers models
// saved like a real tfjs save, and a uint8 quantizer in the tfjs format.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = path.join(here, '..', 'bin', 'tfjs-quant-eval.mjs');

export function tmpDir(prefix = 'tfjs-quant-eval-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Starts the evaluator; resolves after its ready line.
 * client.request(obj) sends one line and resolves with the response object.
 * Any stdout line that is not a JSON object fails the test (stdout purity).
 */
export async function startEvaluator() {
  const child = spawn(process.execPath, [BIN], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', d => { stderr += d; });
  const lines = [];
  const waiters = [];
  let buf = '';
  const badLines = [];
  child.stdout.on('data', d => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let obj;
      try { obj = JSON.parse(line); } catch { badLines.push(line); continue; }
      if (typeof obj !== 'object' || obj === null) { badLines.push(line); continue; }
      if (waiters.length) waiters.shift()(obj); else lines.push(obj);
    }
  });
  const exited = new Promise(resolve => child.on('exit', (code, signal) => resolve({ code, signal })));
  const next = () => new Promise((resolve, reject) => {
    if (lines.length) return resolve(lines.shift());
    const timer = setTimeout(() => reject(new Error(`no response from evaluator; stderr:\n${stderr}`)), 120000);
    waiters.push(obj => { clearTimeout(timer); resolve(obj); });
  });
  const ready = await next();
  let nextId = 1;
  return {
    child,
    ready,
    exited,
    get stderr() { return stderr; },
    get badLines() { return badLines; },
    async request(obj) {
      const req = { id: nextId++, ...obj };
      child.stdin.write(JSON.stringify(req) + '\n');
      const resp = await next();
      if (resp.id !== req.id) throw new Error(`response id ${resp.id} != request id ${req.id}`);
      return resp;
    },
    async sendRaw(line) {
      child.stdin.write(line + '\n');
      return next();
    },
    async quit() {
      const r = await this.request({ cmd: 'quit' });
      const ex = await exited;
      return { response: r, ...ex };
    },
  };
}

/** Writes ModelArtifacts as model.json + weights.bin (like a tfjs file save). */
export function writeArtifacts(dir, artifacts, weightSpecs = artifacts.weightSpecs, weightData = artifacts.weightData) {
  fs.mkdirSync(dir, { recursive: true });
  const json = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }],
  };
  if (artifacts.signature) json.signature = artifacts.signature;
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(weightData));
  return path.join(dir, 'model.json');
}

/** Builds a model with tfjs-layers in this process; returns its ModelArtifacts (in memory). */
export async function layersArtifacts(build) {
  const { tf, tfl, initWasm } = await import('../lib/tf.mjs');
  await initWasm();
  const model = build(tfl, tf);
  let saved;
  await model.save(tf.io.withSaveHandler(async artifacts => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  model.dispose();
  return saved;
}

/** Builds a model with tfjs-layers in this process and saves it to `dir`. */
export async function saveLayersModel(build, dir) {
  return writeArtifacts(dir, await layersArtifacts(build));
}

/** Dense 16 -> 32 (relu) -> 4, seeded initializers so runs are repeatable. */
export function denseModel(tfl) {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ inputShape: [16], units: 32, activation: 'relu',
    kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }), biasInitializer: tfl.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: 2 }) }));
  m.add(tfl.layers.dense({ units: 4,
    kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }), biasInitializer: tfl.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: 4 }) }));
  return m;
}

/** Conv 3x3 (2 filters) on an 8x8x3 image -> flatten -> dense 3: an image model. */
export function convModel(tfl) {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 6 }) }));
  return m;
}

/** Reads the float32 values of weight `name` from a saved model.json. */
export function readWeight(modelJson, name) {
  const json = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  const dir = path.dirname(modelJson);
  const data = Buffer.concat(json.weightsManifest.flatMap(g => g.paths.map(p => fs.readFileSync(path.join(dir, p)))));
  let off = 0;
  for (const g of json.weightsManifest) {
    for (const w of g.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (w.quantization) throw new Error('readWeight: quantized weights not supported');
      const bytes = n * 4;
      if (w.name === name) {
        const ab = data.buffer.slice(data.byteOffset + off, data.byteOffset + off + bytes);
        return { spec: w, values: new Float32Array(ab) };
      }
      off += bytes;
    }
  }
  throw new Error(`no weight ${name}`);
}

/** tfjs-style affine uint8 quantization: value = min + code*scale. */
export function quantizeUint8(values) {
  let min = Infinity, max = -Infinity;
  for (const v of values) { if (v < min) min = v; if (v > max) max = v; }
  const scale = max > min ? (max - min) / 255 : 1;
  const codes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) codes[i] = Math.max(0, Math.min(255, Math.round((values[i] - min) / scale)));
  return { codes, min, scale };
}

/** Copy of a model.json/weights with one weight stored uint8-quantized. */
export function writeQuantizedCopy(modelJson, name, dir) {
  const json = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  const src = path.dirname(modelJson);
  const data = Buffer.concat(json.weightsManifest.flatMap(g => g.paths.map(p => fs.readFileSync(path.join(src, p)))));
  const specs = json.weightsManifest.flatMap(g => g.weights);
  const parts = [];
  const outSpecs = [];
  let off = 0;
  for (const w of specs) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const bytes = n * 4;
    const chunk = data.subarray(off, off + bytes);
    off += bytes;
    if (w.name === name) {
      const vals = new Float32Array(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + bytes));
      const q = quantizeUint8(vals);
      parts.push(Buffer.from(q.codes));
      outSpecs.push({ ...w, quantization: { dtype: 'uint8', min: q.min, scale: q.scale, original_dtype: 'float32' } });
    } else {
      parts.push(chunk);
      outSpecs.push(w);
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  const out = { ...json, weightsManifest: [{ paths: ['weights.bin'], weights: outSpecs }] };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(out));
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat(parts));
  return path.join(dir, 'model.json');
}

export const allZeroErr = results => results.length > 0 && results.every(r => r.err === 0 && r.maxabs === 0 && r.nonfinite === 0);
