// `auto` in JavaScript: the C++ search (the WebAssembly build's, the CLI's
// own code) measured by stock TensorFlow.js in this same process, in Node
// or a page. An evaluation is asynchronous and a WebAssembly call cannot
// wait for one, so the search is a session (src/wasm/search_session.cc):
// each call hands out the next plan to measure, with the candidate weights
// it needs as bytes in memory, and takes the previous measurement. The
// evaluator is evaluator/lib/evaluator.mjs, the code the CLI's Node process
// runs, shipped in dist/evaluator/.
import { Evaluator } from '../dist/evaluator/evaluator.mjs';
import { modelArtifacts } from '../dist/evaluator/artifacts.mjs';
import { samplesFromImages } from '../dist/evaluator/inputs.mjs';
import { TfjsQuantError, openSession } from './module.js';
import {
  OPTIONS_TEXT, OPTION_DEPTH, checkJson, checkKeys, checkOption, checkOptions, describe, invalid, request, shown, toFiles,
} from './options.js';

const decoder = new TextDecoder();

// "a/./b/../c.bin" -> "a/c.bin"; null if it climbs out of the files given.
function normalize(path) {
  const parts = [];
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (!parts.length) return null;
      parts.pop();
    } else {
      parts.push(p);
    }
  }
  return parts.join('/');
}

// The model JSON among the files: options.json, else the only .json at the top.
function modelJsonName(files, json) {
  if (json !== undefined) {
    if (typeof json !== 'string' || !files.has(json)) {
      throw invalid(`options.json: ${shown(json)} is not among the files given`);
    }
    return json;
  }
  const top = [...files.keys()].filter((n) => !n.includes('/') && n.endsWith('.json'));
  if (top.length !== 1) {
    throw invalid(top.length ? `several .json files (${shown(top.join(', '))}): say which is the model with the json option`
                             : 'no model JSON (.json) at the top of the files given');
  }
  return top[0];
}

// tfjs ModelArtifacts of the model JSON `name` among `files`.
function artifactsOf(files, name) {
  const folder = name.includes('/') ? name.slice(0, name.lastIndexOf('/') + 1) : '';
  try {
    return modelArtifacts(decoder.decode(files.get(name)), (p) => {
      const path = normalize(folder + p);
      const bytes = path === null ? undefined : files.get(path);
      if (!bytes) throw new TfjsQuantError(`${shown(name)} names the weight shard ${shown(p)}, which is not among the files given`, 'NOT_FOUND');
      return bytes;
    }, name).artifacts;
  } catch (e) {
    if (e instanceof TfjsQuantError) throw e;
    throw new TfjsQuantError(e.message, 'FORMAT_ERROR');
  }
}

function checkTf(tf) {
  const need = ['tensor', 'tidy', 'dispose', 'loadGraphModel', 'loadLayersModel'];
  const missing = tf && typeof tf === 'object' ? need.filter((k) => typeof tf[k] !== 'function') : need;
  if (missing.length || typeof tf.io?.decodeWeights !== 'function') {
    throw invalid('options.tf: auto measures in TensorFlow.js: pass the tfjs namespace (tfjs-core with ' +
                  `loadGraphModel and loadLayersModel, e.g. the global tf of a page); missing ${missing.join(', ') || 'io.decodeWeights'}`);
  }
}

const SEARCH_OPTIONS = ['budget', 'numInputs', 'outputs', 'screenInputs', 'json', 'limits'];

// A measurement goes to the core as JSON.stringify writes it (NaN as null,
// as from the evaluator's process), bounded as an option value is.
function checkMeasurement(measurement) {
  checkJson(measurement, 'measurement', {
    depth: OPTION_DEPTH, limit: `the limit for a measurement (${OPTION_DEPTH} levels)`,
    length: OPTIONS_TEXT, lengthLimit: `the limit for a measurement (${OPTIONS_TEXT} characters of JSON)`,
  });
}

/**
 * The search alone, driven by the caller's own measurements: `files` hold
 * the model; `options`: budget, numInputs and outputs (what the evaluator
 * measures), screenInputs, json, limits. Resolves an object with
 * next(measurement) -> {request: {entries, assign, inputs, weights}, progress}
 * or {done: true, result}; write() -> {files, report} once done;
 * check(measurement) -> {metrics, holds}; close(). `measurement` is the
 * evaluator's eval reply (evaluator/README.md), null for the first call.
 */
export async function search(files, options = {}) {
  checkOptions(options);
  checkKeys(options, SEARCH_OPTIONS, 'search');
  const req = request('searchOpen', options);
  const map = toFiles(files);
  req.json = modelJsonName(map, options.json);
  const session = await openSession(req, map);
  let step = null;  // the step the next measurement answers
  return {
    tensors: session.opened.tensors,
    async next(measurement = null) {
      checkMeasurement(measurement);
      const { report, files: out } = await session.call({ command: 'searchNext', measurement, step });
      if (report.done) return report;
      step = report.step;
      return { step, request: { ...report.request, weights: out.get('weights.bin') }, progress: report.progress };
    },
    async write(shardSizeBytes) {
      if (shardSizeBytes === undefined) return session.call({ command: 'searchWrite' });
      checkJson(shardSizeBytes, 'shardSizeBytes', { strict: true });
      return session.call({ command: 'searchWrite', shardSizeBytes });
    },
    async check(measurement) {
      checkMeasurement(measurement);
      return (await session.call({ command: 'searchCheck', measurement })).report;
    },
    close: () => session.close(),
  };
}

function elapsed(t0) {
  return Math.round(globalThis.performance.now() - t0);
}

const AUTO_OPTIONS = ['tf', 'budget', 'count', 'seed', 'dims', 'outputs', 'images', 'screenInputs', 'shardSizeBytes',
                      'json', 'limits', 'signal', 'onProgress'];
// Those that are JSON: the evaluator reads some (and shows them in its
// messages with JSON.stringify), the core the others.
const AUTO_JSON_OPTIONS = ['count', 'seed', 'dims', 'outputs', 'screenInputs', 'shardSizeBytes', 'json', 'limits'];

/**
 * `tfjs-quant auto` in JavaScript: the smallest per-tensor mix of uint8,
 * 16-bit and float32 whose outputs stay within `options.budget`
 * ('sqnr>=30', 'cosine>=0.999', 'maxabs<=0.01', 'top1>=0.99', joined by
 * ','), measured by the tfjs you pass as `options.tf` on its current
 * backend. `files`: the model's files (a Map or object of name -> bytes, a
 * model JSON with its shards). Options: count (8), seed (1), dims
 * ({default: 256}), outputs (names guarded; default all), images
 * ([{name, width, height, rgba}], decoded RGBA8: the inputs instead of
 * the default ones), screenInputs (2), shardSizeBytes, json, signal
 * (AbortSignal: rejects with code 'CANCELLED'), onProgress({evaluations,
 * estimatedTotal, phase, elapsedMs}). Resolves {files, plan, choices,
 * verified, check, holds, sizes, bytes, evaluations, inferences, ms}; a
 * written model that measures outside the budget rejects with code
 * 'BUDGET_UNREACHABLE' (the result is the error's `result`).
 */
export async function auto(files, options = {}) {
  checkOptions(options);
  checkKeys(options, AUTO_OPTIONS, 'auto');
  const { tf, budget, count, seed, dims, outputs, images, screenInputs, shardSizeBytes, json, limits, signal, onProgress } =
    options;
  checkTf(tf);
  if (typeof budget !== 'string') throw invalid(`options.budget: expected a budget such as "sqnr>=30", found ${describe(budget)}`);
  if (budget.length > 1000) throw invalid(`options.budget: ${budget.length} characters; a budget is a few conditions`);
  for (const key of AUTO_JSON_OPTIONS) {
    if (options[key] !== undefined) checkOption(key, options[key]);
  }
  if (images !== undefined && !Array.isArray(images)) throw invalid(`options.images: expected an array, found ${describe(images)}`);
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean')) {
    throw invalid(`options.signal: expected an AbortSignal, found ${describe(signal)}`);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw invalid(`options.onProgress: expected a function, found ${describe(onProgress)}`);
  }
  const t0 = globalThis.performance.now();
  const map = toFiles(files);
  const jsonName = modelJsonName(map, json);
  const cancelled = () => {
    if (signal?.aborted) throw new TfjsQuantError('auto was cancelled', 'CANCELLED');
  };
  const ev = new Evaluator(tf);
  let s = null;
  try {
    const loaded = await ev.load({
      artifacts: artifactsOf(map, jsonName), count, seed, dims, outputs, name: jsonName,
      samples: images ? (inputs, shapes) => samplesFromImages(images, inputs, shapes) : undefined,
    }).catch((e) => {
      throw e instanceof TfjsQuantError ? e : new TfjsQuantError(e.message, e.usage ? 'INVALID_ARGUMENT' : 'EVALUATOR_FAILED');
    });
    cancelled();
    s = await search(map, { budget, numInputs: loaded.count, outputs: loaded.outputs.map((o) => o.name), screenInputs,
                            json: jsonName, limits });
    let measurement = null;
    let step;
    for (;;) {
      step = await s.next(measurement);
      if (step.done) break;
      const { entries, assign, inputs, weights } = step.request;
      if (entries.length) ev.addWeights(entries, weights);
      measurement = await ev.eval({ assign, inputs });
      cancelled();
      const { evaluations, estimatedTotal, phase } = step.progress;
      onProgress?.({ evaluations: evaluations + 1, estimatedTotal, phase, elapsedMs: elapsed(t0) });
      // A turn of the event loop per evaluation: a page calling this on its
      // main thread gets to paint its progress and take a click on Cancel.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const written = await s.write(shardSizeBytes);
    // The final, independent check: the written files loaded afresh by tfjs.
    const final = await ev.evalArtifacts(artifactsOf(written.files, jsonName), null, jsonName);
    const check = await s.check(final);
    const r = step.result;
    const result = {
      files: written.files,
      plan: Object.fromEntries(r.tensors.map((t) => [t.name, t.target])),
      choices: r.tensors,
      verified: r.metrics.search_verified,
      allUint8: r.metrics.all_uint8,
      check: check.metrics,
      holds: check.holds,
      sizes: r.sizes,
      bytes: { before: written.report.bytesBefore, after: written.report.bytesAfter },
      report: written.report,
      evaluations: r.evaluations,
      inferences: r.inferences,
      kind: loaded.kind,
      inputs: loaded.inputs,
      outputs: loaded.outputs,
      ms: elapsed(t0),
    };
    if (!check.holds) {
      const e = new TfjsQuantError(`the written model measures ${check.described}, outside the budget ${shown(budget)}`,
                                   'BUDGET_UNREACHABLE');
      e.result = result;
      throw e;
    }
    return result;
  } finally {
    await s?.close();
    ev.reset();
  }
}
