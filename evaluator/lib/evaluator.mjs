// The evaluator's state and commands, on data in memory.
//
// One model is loaded per search. Its original float32 weights, the inputs and
// the reference outputs are kept for the whole session; candidate weights are
// decoded once into a cache and swapped into the live model in memory, so an
// evaluation costs only the inference itself.
//
// Browser-safe: the same module runs in the Node child process
// (bin/tfjs-quant-eval.mjs, which reads files and speaks the protocol through
// commands.mjs), in-process in Node, and in a web page. So it touches no file,
// imports only relative browser-safe modules and gets tfjs injected.
import { modelKind } from './artifacts.mjs';
import { resolveShape, defaultSamples, checkSamples } from './inputs.mjs';
import { loadStock, inputSignature, outputCatalog, selectOutputs, runSample, layerVariablesByManifestName } from './model.mjs';
import { compare } from './metrics.mjs';
import { UsageError } from './errors.mjs';

// Bytes per element of a weight as stored in a shard (tfjs weight format).
const QUANT_BYTES = { uint8: 1, uint16: 2, float16: 2 };
const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1 };

const sameShape = (a, b) => a.length === b.length && a.every((d, i) => d === b[i]);
// performance.now() is a global in Node 16+ and in browsers.
const now = () => globalThis.performance.now();
const ms = t0 => Math.round((now() - t0) * 1000) / 1000;

const asBytes = b => {
  if (b instanceof Uint8Array) return b;
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw new Error('weights bytes must be an ArrayBuffer or Uint8Array');
};

const checkArtifacts = a => {
  if (a == null || typeof a !== 'object' || a.modelTopology == null) {
    throw new Error('"artifacts" must be tfjs ModelArtifacts (modelTopology, weightSpecs, weightData)');
  }
};

/**
 * new Evaluator(tf)
 *   `tf`: the tfjs-core API plus loadGraphModel and loadLayersModel (the
 *   global `tf` of the UMD bundles in a page; in Node `tfjs` from tf.mjs).
 *   The backend must already be set up.
 *
 * await ev.load({artifacts, count = 8, seed = 1, dims = {default: 256},
 *                outputs = null, samples, name})
 *   Loads ModelArtifacts with the stock loader (graph or layers, see
 *   modelKind), builds the samples and computes the reference outputs.
 *   `samples`: absent/null = seeded default samples (count, seed, dims);
 *   an array of samples (each one {shape, dtype, data: TypedArray} per model
 *   input); or a function (inputs, shapes) => samples (or a promise of them),
 *   called once the signature is known (inputs [{name, shape, dtype}],
 *   shapes resolved from dims), e.g. (i, s) => samplesFromImages(imgs, i, s).
 *   `name` names the model in error messages. Returns the protocol's load
 *   response: {kind, inputs, outputs, count, weights, ms}. Frees the previous
 *   model first; on failure no model is loaded.
 *
 * ev.addWeights(entries, bytes, label)
 *   Decodes and caches candidates: entries [{key, name, shape, dtype,
 *   quantization?}] as in the "weights" request, `bytes` (Uint8Array or
 *   ArrayBuffer) their data one after another. All checks happen before
 *   anything is decoded; on failure the cache is unchanged. Returns
 *   {count, cached}. `label` names the bytes in errors.
 *
 * await ev.eval({assign = {}, inputs = null})
 *   assign {weightName: cacheKey}; inputs = sample indices or null (all).
 *   Returns {ms, inferences, results} as the "eval" response.
 *
 * await ev.evalArtifacts(artifacts, inputs = null, name)
 *   "eval_model" on artifacts in memory: loads them fresh, runs the samples,
 *   compares with the references, disposes the model. Kind, input names and
 *   guarded output names must match the loaded model.
 *
 * ev.drop({keys = null})  frees cached candidates (null = all): {dropped, cached}
 * ev.reset()              frees the model and every cached candidate
 *
 * Errors are thrown; those the user fixes through options (outputs, dims,
 * inputs) are UsageError (e.usage === true).
 */
export class Evaluator {
  constructor(tf) {
    const missing = ['tensor', 'tidy', 'dispose', 'loadGraphModel', 'loadLayersModel']
        .filter(k => !tf || typeof tf[k] !== 'function');
    if (!tf || !tf.io || typeof tf.io.decodeWeights !== 'function') missing.push('io.decodeWeights');
    if (missing.length) {
      throw new Error(`new Evaluator(tf): tf lacks ${missing.join(', ')}; pass the tfjs-core namespace together with loadGraphModel (tfjs-converter) and loadLayersModel (tfjs-layers), e.g. the global tf of the UMD bundles`);
    }
    this.tf = tf;
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
        if (st.layerOrig) this.tf.dispose(Object.values(st.layerOrig));
      }
    }
    for (const { tensor } of this.cache.values()) tensor.dispose();
    this.cache.clear();
  }

  // ---- load ---------------------------------------------------------------
  async load(opts = {}) {
    const t0 = now();
    this.reset();
    const tf = this.tf;
    const { artifacts } = opts;
    const name = opts.name != null ? opts.name : 'the model';
    checkArtifacts(artifacts);
    const kind = modelKind(artifacts);
    const model = await loadStock(tf, kind, artifacts, name);
    const st = { kind, model };
    try {
      st.inputs = inputSignature(model, kind);
      const dims = opts.dims == null ? {} : opts.dims;
      if (typeof dims !== 'object' || Array.isArray(dims)) throw new Error('"dims" must be an object like {"default":256}');
      st.shapes = st.inputs.map(inp => resolveShape(inp, dims));
      for (const inp of st.inputs) {
        if (!['float32', 'int32', 'bool'].includes(inp.dtype)) {
          throw new UsageError(`input "${inp.name}" has dtype ${inp.dtype}; only float32, int32 and bool inputs are supported`);
        }
      }
      let samples = opts.samples;
      if (typeof samples === 'function') {
        // Copies: the caller must not be able to change the evaluator's state.
        samples = await samples(st.inputs.map(i => ({ ...i, shape: i.shape && i.shape.slice() })), st.shapes.map(s => s.slice()));
      }
      if (samples != null) {
        st.samples = checkSamples(samples, st.inputs, st.shapes);
      } else {
        const count = opts.count == null ? 8 : opts.count;
        const seed = opts.seed == null ? 1 : opts.seed;
        st.samples = defaultSamples(st.inputs, st.shapes, count, seed);
      }
      st.catalog = outputCatalog(model, kind);
      st.outputs = selectOutputs(st.catalog, opts.outputs);

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
          res = await runSample(tf, model, kind, st.inputs, st.samples[s], st.outputs);
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
      inputs: st.inputs.map((inp, i) => ({ name: inp.name, shape: st.samples[0][i].shape.slice(), dtype: inp.dtype })),
      outputs: st.outputs.map((o, i) => ({ name: o.name, shape: st.outShapes[i].shape, dtype: st.outShapes[i].dtype })),
      count: st.samples.length,
      weights: st.weightNames.slice(),
      ms: ms(t0),
    };
  }

  // ---- weights ------------------------------------------------------------
  addWeights(entries, bytes, label = 'the weights bytes') {
    const st = this.requireModel();
    if (!Array.isArray(entries)) throw new Error('"entries" must be an array');
    const buf = asBytes(bytes);
    // Validate all entries and compute offsets before decoding anything, so a
    // bad request leaves the cache untouched.
    const plan = [];
    let offset = 0;
    for (const [i, e] of entries.entries()) {
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
      const size = per * e.shape.reduce((a, b) => a * b, 1);
      const { key, ...spec } = e;
      plan.push({ key, spec, offset, size });
      offset += size;
    }
    if (offset !== buf.length) {
      throw new Error(`${label} has ${buf.length} bytes but the entries describe ${offset}`);
    }
    const decoded = [];
    try {
      for (const p of plan) {
        // A copy of exactly this entry's bytes: decodeWeights reads an
        // ArrayBuffer from offset 0.
        const ab = buf.buffer.slice(buf.byteOffset + p.offset, buf.byteOffset + p.offset + p.size);
        // Stock decoder, one entry at a time: decodeWeights returns a map by
        // name and the same name may come twice under different keys.
        const m = this.tf.io.decodeWeights(ab, [p.spec]);
        decoded.push({ key: p.key, name: p.spec.name, tensor: m[p.spec.name] });
      }
    } catch (e) {
      this.tf.dispose(decoded.map(d => d.tensor));
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

  /** Frees cached candidates (`keys`: null = all). */
  drop({ keys = null } = {}) {
    this.requireModel();
    const list = keys == null ? [...this.cache.keys()] : keys;
    if (!Array.isArray(list)) throw new Error('"keys" must be null or an array of cache keys');
    // Make sure no live weight still refers to a dropped tensor.
    this.applyAssign({});
    let n = 0;
    for (const k of list) {
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
      const res = await runSample(this.tf, model, kind, st.inputs, st.samples[s], outputs);
      res.forEach((r, o) => results.push(compare(st.refs[s][o], r.data, s, st.outputs[o].name)));
    }
    return results;
  }

  // ---- eval -----------------------------------------------------------------
  async eval({ assign = null, inputs = null } = {}) {
    const st = this.requireModel();
    const t0 = now();
    const checked = this.checkAssign(assign);
    const indices = this.sampleIndices(inputs);
    this.applyAssign(checked);
    const results = await this.runAndCompare(st.model, st.kind, st.outputs, indices);
    return { ms: ms(t0), inferences: indices.length, results };
  }

  // ---- eval_model -------------------------------------------------------------
  async evalArtifacts(artifacts, inputs = null, name = 'the model') {
    const st = this.requireModel();
    const t0 = now();
    const indices = this.sampleIndices(inputs);
    checkArtifacts(artifacts);
    const kind = modelKind(artifacts);
    const model = await loadStock(this.tf, kind, artifacts, name);
    try {
      const sig = inputSignature(model, kind);
      const names = sig.map(i => i.name).join(',');
      if (kind !== st.kind || names !== st.inputs.map(i => i.name).join(',')) {
        throw new Error(`${name} is a ${kind} model with inputs [${names}], the loaded model is ${st.kind} with inputs [${st.inputs.map(i => i.name)}]`);
      }
      const catalog = outputCatalog(model, kind);
      const outputs = st.outputs.map(o => {
        const hit = catalog.find(c => c.aliases.has(o.name));
        if (!hit) throw new Error(`${name} has no output "${o.name}"; it has: ${catalog.map(c => c.name).join(', ')}`);
        return hit;
      });
      const results = await this.runAndCompare(model, kind, outputs, indices);
      return { ms: ms(t0), inferences: indices.length, results };
    } finally {
      model.dispose();
    }
  }
}
