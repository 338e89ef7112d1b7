// What a loaded tfjs model looks like to the evaluator: its input signature,
// its outputs and their accepted names, the layer variables behind manifest
// names, and one inference. Graph and layers models hide their differences
// behind these functions.
//
// Browser-safe: tfjs is passed in (`tf`), never imported.
import { artifactsHandler } from './artifacts.mjs';
import { UsageError } from './errors.mjs';

/** Loads artifacts with the stock loader of `kind`; `name` names them in errors. */
export async function loadStock(tf, kind, artifacts, name) {
  const handler = artifactsHandler(artifacts);
  try {
    return await (kind === 'graph' ? tf.loadGraphModel(handler) : tf.loadLayersModel(handler));
  } catch (e) {
    throw new Error(`tfjs could not load ${name} as a ${kind} model: ${e.message}`);
  }
}

/** Input signature: [{name, shape (may contain -1/null), dtype}] */
export function inputSignature(model, kind) {
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
export function outputCatalog(model, kind) {
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

/** The guarded outputs: `wanted` names (null = all) looked up in the catalog. */
export function selectOutputs(catalog, wanted) {
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

// tfjs-converter warns on EVERY executeAsync of a graph without control flow
// ("You can use model.execute() instead"). executeAsync is used on purpose
// (models with control flow need it), and a search runs thousands of
// inferences, so while it runs that one notice is dropped; every other
// warning passes through. Counted, so overlapping runs put the original
// console.warn back exactly once.
const EXECUTE_HINT = /did not contain any nodes with control flow or dynamic output shapes/;
let quietRuns = 0;
let originalWarn = null;

async function executeQuietly(model, feed, names) {
  const con = globalThis.console;
  if (quietRuns++ === 0) {
    originalWarn = con.warn;
    con.warn = function warn(...args) {
      if (typeof args[0] === 'string' && EXECUTE_HINT.test(args[0])) return;
      return originalWarn.apply(this, args);
    };
  }
  try {
    return await model.executeAsync(feed, names);
  } finally {
    if (--quietRuns === 0) { con.warn = originalWarn; originalWarn = null; }
  }
}

/**
 * Runs one sample and returns [{data, shape, dtype}] for `outputs` (in that
 * order). Graph models always go through executeAsync so models with control
 * flow or dynamic shapes work too.
 */
export async function runSample(tf, model, kind, inputs, sample, outputs) {
  const tensors = sample.map(s => tf.tensor(s.data, s.shape, s.dtype));
  let outTensors = [];
  try {
    if (kind === 'graph') {
      const feed = {};
      inputs.forEach((inp, i) => { feed[inp.name] = tensors[i]; });
      const r = await executeQuietly(model, feed, outputs.map(o => o.exec));
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
export function layerVariablesByManifestName(model, specs) {
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
