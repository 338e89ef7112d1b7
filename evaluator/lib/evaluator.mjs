// The evaluator's state and the five protocol commands.
//
// One model is loaded per search. Its original float32 weights, the inputs and
// the reference outputs are kept for the whole session; candidate weights are
// decoded once into a cache and swapped into the live model in memory, so an
// evaluation costs only the inference itself.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { tf, tfc, tfl } from './tf.mjs';
import { readModelArtifacts, modelKind, artifactsHandler } from './io_handler.mjs';
import { resolveShape, defaultSamples, samplesFromDir } from './inputs.mjs';
import { compare } from './metrics.mjs';
import { UsageError } from './protocol.mjs';

// Bytes per element of a weight as stored in a shard (tfjs weight format).
const QUANT_BYTES = { uint8: 1, uint16: 2, float16: 2 };
const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1 };

const sameShape = (a, b) => a.length === b.length && a.every((d, i) => d === b[i]);
const ms = t0 => Math.round((performance.now() - t0) * 1000) / 1000;

// ---------------------------------------------------------------------------
// Model helpers (graph and layers hide their differences behind these)

async function loadStock(kind, artifacts) {
  const handler = artifactsHandler(artifacts);
  return kind === 'graph' ? tfc.loadGraphModel(handler) : tfl.loadLayersModel(handler);
}

/** Input signature: [{name, shape (may contain -1/null), dtype}] */
function inputSignature(model, kind) {
  if (kind === 'graph') {
    return model.inputs.map(i => ({ name: i.name, shape: i.shape == null ? null : i.shape.slice(), dtype: i.dtype || 'float32' }));
  }
  // Layers: the InputLayer names (as in model.json). Taken from the symbolic
  // tensors' source layers because Sequential leaves model.inputNames empty.
  return model.inputs.map((t, i) => ({ name: layerTensorName(model, t, i, 'inputNames'), shape: t.shape.slice(), dtype: t.dtype || 'float32' }));
}

function layerTensorName(model, t, i, listName) {
  const list = model[listName];
  if (Array.isArray(list) && list[i]) return list[i];
  return t.sourceLayer && t.sourceLayer.name ? t.sourceLayer.name : t.name;
}

/** All outputs: [{name, exec, index, aliases}] */
function outputCatalog(model, kind) {
  if (kind === 'graph') {
    const nodes = model.outputNodes; // signature keys, with :k for k > 0
    return model.outputs.map((o, i) => {
      const m = /:(\d+)$/.exec(nodes[i]);
      const k = m ? Number(m[1]) : 0;
      const name = k > 0 && !/:\d+$/.test(o.name) ? `${o.name}:${k}` : o.name;
      const aliases = new Set([name, `${name}:0`, nodes[i], nodes[i].replace(/:0$/, '')]);
      return { name, exec: nodes[i], index: i, aliases };
    });
  }
  return model.outputs.map((t, i) => {
    const n = layerTensorName(model, t, i, 'outputNames');
    return { name: n, exec: n, index: i, aliases: new Set([n, `${n}:0`]) };
  });
}

function selectOutputs(catalog, wanted) {
  if (wanted == null) return catalog;
  if (!Array.isArray(wanted) || wanted.length === 0 || !wanted.every(w => typeof w === 'string')) {
    throw new UsageError(`"outputs" must be null or a non-empty array of output names; available: ${catalog.map(c => c.name).join(', ')}`);
  }
  const seen = new Set();
  const out = [];
  for (const w of wanted) {
    const hit = catalog.find(c => c.aliases.has(w));
    if (!hit) throw new UsageError(`unknown output "${w}"; available outputs: ${catalog.map(c => c.name).join(', ')}`);
    if (!seen.has(hit.index)) { seen.add(hit.index); out.push(hit); }
  }
  return out;
}

/**
 * Runs one sample and returns [{data, shape, dtype}] for `outputs` (in that
 * order). Graph models always go through executeAsync so models with control
 * flow or dynamic shapes work too.
 */
async function runSample(model, kind, inputs, sample, outputs) {
  const tensors = sample.map(s => tf.tensor(s.data, s.shape, s.dtype));
  let outTensors = [];
  try {
    if (kind === 'graph') {
      const feed = {};
      inputs.forEach((inp, i) => { feed[inp.name] = tensors[i]; });
      const r = await model.executeAsync(feed, outputs.map(o => o.exec));
      outTensors = Array.isArray(r) ? r : [r];
    } else {
      const all = tf.tidy(() => {
        const r = model.predict(tensors.length === 1 ? tensors[0] : tensors);
        return Array.isArray(r) ? r : [r];
      });
      // keep only the guarded ones (in the requested order)
      outTensors = outputs.map(o => all[o.index]);
      tf.dispose(all.filter((t, i) => !outputs.some(o => o.index === i)));
    }
    const result = [];
    for (const t of outTensors) {
      if (t.dtype === 'string' || t.dtype === 'complex64') {
        throw new Error(`output of dtype ${t.dtype} cannot be compared numerically`);
      }
      result.push({ data: await t.data(), shape: t.shape.slice(), dtype: t.dtype });
    }
    return result;
  } finally {
    tf.dispose(outTensors);
    tf.dispose(tensors);
  }
}

/**
 * Layers: manifest name -> LayerVariable, matched the way tfjs-layers'
 * Container.loadWeights matches them (originalName, falling back to the name
 * with the TF 2.2 cell-name component removed).
 */
function layerVariablesByManifestName(model, specs) {
  const byOriginal = new Map();
  for (const v of model.weights) byOriginal.set(v.originalName, v);
  const map = new Map();
  for (const s of specs) {
    let v = byOriginal.get(s.name);
    if (!v) {
      const t = s.name.split('/');
      v = byOriginal.get(t.slice(0, -2).concat([t[t.length - 1]]).join('/'));
    }
    if (v) map.set(s.name, v);
  }
  return map;
}

// ---------------------------------------------------------------------------

/** Reads a model.json and its shards and loads it with the stock tfjs loader. */
async function loadModelFile(modelPath) {
  if (typeof modelPath !== 'string' || modelPath === '') throw new Error('"model" must be the path of a model.json');
  const { json, artifacts } = readModelArtifacts(modelPath);
  const kind = modelKind(json);
  try {
    return { kind, artifacts, model: await loadStock(kind, artifacts) };
  } catch (e) {
    throw new Error(`tfjs could not load ${modelPath} as a ${kind} model: ${e.message}`);
  }
}

export class Evaluator {
  constructor() {
    this.state = null;          // set by load
    this.cache = new Map();     // key -> { name, tensor }
  }

  requireModel() {
    if (!this.state) throw new Error('no model loaded: send a "load" request first');
    return this.state;
  }

  /** Frees everything that belongs to the current model. */
  reset() {
    const st = this.state;
    this.state = null;
    if (st) {
      if (st.kind === 'graph') {
        // Put the original map back first: GraphModel.dispose() disposes
        // whatever tensors its executor's weightMap holds, and those must not
        // be cached candidates (they are disposed below, once).
        if (st.graphOrig) st.model.executor.weightMap = st.graphOrig;
        st.model.dispose();
      } else {
        st.model.dispose();
        if (st.layerOrig) tf.dispose(Object.values(st.layerOrig));
      }
    }
    for (const { tensor } of this.cache.values()) tensor.dispose();
    this.cache.clear();
  }

  // ---- load ---------------------------------------------------------------
  async load(req) {
    const t0 = performance.now();
    this.reset();
    const { kind, model, artifacts } = await loadModelFile(req.model);
    const st = { kind, model, modelPath: req.model };
    try {
      st.inputs = inputSignature(model, kind);
      const dims = req.dims == null ? {} : req.dims;
      if (typeof dims !== 'object' || Array.isArray(dims)) throw new Error('"dims" must be an object like {"default":256}');
      st.shapes = st.inputs.map(inp => resolveShape(inp, dims));
      for (const inp of st.inputs) {
        if (!['float32', 'int32', 'bool'].includes(inp.dtype)) {
          throw new UsageError(`input "${inp.name}" has dtype ${inp.dtype}; only float32, int32 and bool inputs are supported`);
        }
      }
      if (req.inputs_dir != null) {
        if (typeof req.inputs_dir !== 'string') throw new Error('"inputs_dir" must be null or a folder path');
        st.samples = samplesFromDir(req.inputs_dir, st.inputs, st.shapes);
      } else {
        const count = req.count == null ? 8 : req.count;
        const seed = req.seed == null ? 1 : req.seed;
        st.samples = defaultSamples(st.inputs, st.shapes, count, seed);
      }
      st.catalog = outputCatalog(model, kind);
      st.outputs = selectOutputs(st.catalog, req.outputs);

      // Original weights, by manifest name.
      if (kind === 'graph') {
        // GraphModel keeps its weights only in executor.weightMap
        // ({name: [Tensor]}; model.weights is a getter for it). Keep that
        // exact map object: restoring it restores the exact tensors.
        st.graphOrig = model.executor.weightMap;
        st.weightNames = Object.keys(st.graphOrig);
        st.weightInfo = {};
        for (const n of st.weightNames) {
          const t = st.graphOrig[n][0];
          st.weightInfo[n] = { shape: t.shape.slice(), dtype: t.dtype };
        }
      } else {
        // loadLayersModel disposes its decoded tensors after writing them into
        // the variables, so decode the same bytes again to own the originals.
        st.varByName = layerVariablesByManifestName(model, artifacts.weightSpecs);
        const decoded = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
        st.layerOrig = {};
        for (const [n, t] of Object.entries(decoded)) {
          if (st.varByName.has(n)) st.layerOrig[n] = t; else t.dispose();
        }
        st.weightNames = artifacts.weightSpecs.map(s => s.name).filter(n => st.varByName.has(n));
        st.weightInfo = {};
        for (const n of st.weightNames) st.weightInfo[n] = { shape: st.layerOrig[n].shape.slice(), dtype: st.layerOrig[n].dtype };
        st.layerCurrent = {}; // name -> key currently written (absent = original)
      }
      st.currentAssign = {};

      // Reference outputs with the weights as loaded.
      st.refs = [];
      for (let s = 0; s < st.samples.length; s++) {
        let res;
        try {
          res = await runSample(model, kind, st.inputs, st.samples[s], st.outputs);
        } catch (e) {
          throw new Error(`reference inference failed on sample ${s} (input shapes ${st.samples[s].map(x => `[${x.shape}]`).join(', ')}): ${e.message}`);
        }
        st.refs.push(res.map(r => r.data));
        if (s === 0) st.outShapes = res.map(r => ({ shape: r.shape, dtype: r.dtype }));
      }
    } catch (e) {
      this.state = st;
      this.reset();
      throw e;
    }
    this.state = st;
    return {
      kind,
      inputs: st.inputs.map((inp, i) => ({ name: inp.name, shape: st.samples[0][i].shape, dtype: inp.dtype })),
      outputs: st.outputs.map((o, i) => ({ name: o.name, shape: st.outShapes[i].shape, dtype: st.outShapes[i].dtype })),
      count: st.samples.length,
      weights: st.weightNames,
      ms: ms(t0),
    };
  }

  // ---- weights ------------------------------------------------------------
  async weights(req) {
    const st = this.requireModel();
    if (typeof req.file !== 'string') throw new Error('"file" must be the path of the candidate weights file');
    if (!Array.isArray(req.entries)) throw new Error('"entries" must be an array');
    let buf;
    try {
      buf = fs.readFileSync(req.file);
    } catch (e) {
      throw new Error(`cannot read weights file ${req.file}: ${e.code || e.message}`);
    }
    // Validate all entries and compute offsets before decoding anything, so a
    // bad request leaves the cache untouched.
    const plan = [];
    let offset = 0;
    for (const [i, e] of req.entries.entries()) {
      const where = `entry ${i}${e && e.key ? ` ("${e.key}")` : ''}`;
      if (!e || typeof e.key !== 'string' || typeof e.name !== 'string' || !Array.isArray(e.shape) || typeof e.dtype !== 'string') {
        throw new Error(`${where}: needs "key", "name", "shape" and "dtype"`);
      }
      const info = st.weightInfo[e.name];
      if (!info) throw new Error(`${where}: "${e.name}" is not a weight of the loaded model`);
      if (!sameShape(info.shape, e.shape)) throw new Error(`${where}: shape [${e.shape}] differs from the model's [${info.shape}] for "${e.name}"`);
      if (e.dtype !== info.dtype) throw new Error(`${where}: dtype ${e.dtype} differs from the model's ${info.dtype} for "${e.name}"`);
      const q = e.quantization;
      const per = q ? QUANT_BYTES[q.dtype] : DTYPE_BYTES[e.dtype];
      if (!per) throw new Error(`${where}: unsupported ${q ? `quantization dtype ${q.dtype}` : `dtype ${e.dtype}`}`);
      const bytes = per * e.shape.reduce((a, b) => a * b, 1);
      const { key, ...spec } = e;
      plan.push({ key, spec, offset, bytes });
      offset += bytes;
    }
    if (offset !== buf.length) {
      throw new Error(`weights file ${req.file} has ${buf.length} bytes but the entries describe ${offset}`);
    }
    const decoded = [];
    try {
      for (const p of plan) {
        const ab = buf.buffer.slice(buf.byteOffset + p.offset, buf.byteOffset + p.offset + p.bytes);
        // Stock decoder, one entry at a time: decodeWeights returns a map by
        // name and the same name may come twice under different keys.
        const m = tf.io.decodeWeights(ab, [p.spec]);
        decoded.push({ key: p.key, name: p.spec.name, tensor: m[p.spec.name] });
      }
    } catch (e) {
      tf.dispose(decoded.map(d => d.tensor));
      throw new Error(`tf.io.decodeWeights failed: ${e.message}`);
    }
    for (const d of decoded) this.putCache(d.key, d.name, d.tensor);
    return { count: decoded.length, cached: this.cache.size };
  }

  putCache(key, name, tensor) {
    const old = this.cache.get(key);
    if (old) {
      // The live model may use the old tensor: go back to the originals
      // before freeing it (the next eval re-applies its own assignment).
      this.applyAssign({});
      old.tensor.dispose();
    }
    this.cache.set(key, { name, tensor });
  }

  /** Extension: free cached candidates ("keys": null = all). */
  drop(req) {
    const st = this.requireModel();
    const keys = req.keys == null ? [...this.cache.keys()] : req.keys;
    if (!Array.isArray(keys)) throw new Error('"keys" must be null or an array of cache keys');
    // Make sure no live weight still refers to a dropped tensor.
    this.applyAssign({});
    let n = 0;
    for (const k of keys) {
      const c = this.cache.get(k);
      if (c) { c.tensor.dispose(); this.cache.delete(k); n++; }
    }
    return { dropped: n, cached: this.cache.size };
  }

  // ---- swapping -----------------------------------------------------------
  checkAssign(assign) {
    const st = this.state;
    if (assign == null) return {};
    if (typeof assign !== 'object' || Array.isArray(assign)) throw new Error('"assign" must be an object {weightName: cacheKey}');
    for (const [name, key] of Object.entries(assign)) {
      if (!st.weightInfo[name]) throw new Error(`assign: "${name}" is not a weight of the loaded model`);
      const c = this.cache.get(key);
      if (!c) throw new Error(`assign: no cached candidate with key "${key}" (send it with a "weights" request first)`);
      const info = st.weightInfo[name];
      if (!sameShape(c.tensor.shape, info.shape) || c.tensor.dtype !== info.dtype) {
        throw new Error(`assign: candidate "${key}" is ${c.tensor.dtype}[${c.tensor.shape}] but weight "${name}" is ${info.dtype}[${info.shape}]`);
      }
    }
    return assign;
  }

  /** Makes the live model use `assign` (name -> key) and originals elsewhere. */
  applyAssign(assign) {
    const st = this.state;
    if (st.kind === 'graph') {
      // GraphExecutor.weightMap is a setter: it stores the map and recomputes
      // weightIds, the tensor ids that execution must never dispose. Every
      // execution reads weights from this map, so a new map is all it takes.
      const map = {};
      for (const n of st.weightNames) {
        const key = assign[n];
        map[n] = key != null ? [this.cache.get(key).tensor] : st.graphOrig[n];
      }
      st.model.executor.weightMap = map;
    } else {
      // Layers: LayerVariable.write() -> tf.Variable.assign(), which makes the
      // variable point at the candidate tensor's data (no copy).
      for (const n of st.weightNames) {
        const key = assign[n] != null ? assign[n] : undefined;
        if (st.layerCurrent[n] === key) continue;
        const v = st.varByName.get(n);
        v.write(key !== undefined ? this.cache.get(key).tensor : st.layerOrig[n]);
        if (key === undefined) delete st.layerCurrent[n]; else st.layerCurrent[n] = key;
      }
    }
    st.currentAssign = { ...assign };
  }

  sampleIndices(sel) {
    const n = this.state.samples.length;
    if (sel == null) return [...Array(n).keys()];
    if (!Array.isArray(sel) || !sel.every(i => Number.isInteger(i) && i >= 0 && i < n)) {
      throw new Error(`"inputs" must be null or an array of sample indices in 0..${n - 1}`);
    }
    return sel;
  }

  async runAndCompare(model, kind, outputs, indices) {
    const st = this.state;
    const results = [];
    for (const s of indices) {
      const res = await runSample(model, kind, st.inputs, st.samples[s], outputs);
      res.forEach((r, o) => results.push(compare(st.refs[s][o], r.data, s, st.outputs[o].name)));
    }
    return results;
  }

  // ---- eval -----------------------------------------------------------------
  async eval(req) {
    const st = this.requireModel();
    const t0 = performance.now();
    const assign = this.checkAssign(req.assign);
    const indices = this.sampleIndices(req.inputs);
    this.applyAssign(assign);
    const results = await this.runAndCompare(st.model, st.kind, st.outputs, indices);
    return { ms: ms(t0), inferences: indices.length, results };
  }

  // ---- eval_model -------------------------------------------------------------
  async evalModel(req) {
    const st = this.requireModel();
    const t0 = performance.now();
    const indices = this.sampleIndices(req.inputs);
    const { kind, model } = await loadModelFile(req.model);
    try {
      const inputs = inputSignature(model, kind);
      const names = inputs.map(i => i.name).join(',');
      if (kind !== st.kind || names !== st.inputs.map(i => i.name).join(',')) {
        throw new Error(`${req.model} is a ${kind} model with inputs [${names}], the loaded model is ${st.kind} with inputs [${st.inputs.map(i => i.name)}]`);
      }
      const catalog = outputCatalog(model, kind);
      const outputs = st.outputs.map(o => {
        const hit = catalog.find(c => c.aliases.has(o.name));
        if (!hit) throw new Error(`${req.model} has no output "${o.name}"; it has: ${catalog.map(c => c.name).join(', ')}`);
        return hit;
      });
      const results = await this.runAndCompare(model, kind, outputs, indices);
      return { ms: ms(t0), inferences: indices.length, results };
    } finally {
      model.dispose();
    }
  }
}
