// The protocol's commands (see README "Protocol") on top of Evaluator: the
// Node side of each request. Paths in requests are read here with fs (model
// files, --inputs folders, candidate files); Evaluator itself only sees
// artifacts, samples and bytes in memory, so that it also runs in a page.
import fs from 'node:fs';
import { readModelArtifacts } from './io_handler.mjs';
import { samplesFromDir } from './inputs_dir.mjs';

const ms = t0 => Math.round((performance.now() - t0) * 1000) / 1000;

/** {cmd: handler(req)} for protocol.serve, all working on `ev`. */
export function protocolHandlers(ev) {
  return {
    async load(req) {
      const t0 = performance.now();
      // Free the previous model before reading: a load that fails, even on an
      // unreadable file, leaves no model loaded.
      ev.reset();
      if (typeof req.model !== 'string' || req.model === '') throw new Error('"model" must be the path of a model.json');
      const dir = req.inputs_dir;
      if (dir != null && typeof dir !== 'string') throw new Error('"inputs_dir" must be null or a folder path');
      const { artifacts } = readModelArtifacts(req.model);
      const r = await ev.load({
        artifacts, count: req.count, seed: req.seed, dims: req.dims, outputs: req.outputs, name: req.model,
        samples: dir != null ? (inputs, shapes) => samplesFromDir(dir, inputs, shapes) : null,
      });
      // "ms" covers reading the files too, as it did before the split.
      return { ...r, ms: ms(t0) };
    },

    weights(req) {
      ev.requireModel();
      if (!Array.isArray(req.entries)) throw new Error('"entries" must be an array');
      // The bytes in the request itself (base64: what tfjs-quant sends), or
      // in a file the caller made (and deletes).
      if (typeof req.data === 'string') {
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(req.data) || req.data.length % 4) throw new Error('"data" is not base64');
        return ev.addWeights(req.entries, Buffer.from(req.data, 'base64'), 'the weights request');
      }
      if (typeof req.file !== 'string') throw new Error('"data" (base64) or "file" (a path) must hold the candidate weights');
      let buf;
      try {
        buf = fs.readFileSync(req.file);
      } catch (e) {
        throw new Error(`cannot read weights file ${req.file}: ${e.code || e.message}`);
      }
      return ev.addWeights(req.entries, buf, `weights file ${req.file}`);
    },

    eval: req => ev.eval({ assign: req.assign, inputs: req.inputs }),

    async eval_model(req) {
      const t0 = performance.now();
      ev.requireModel();
      if (typeof req.model !== 'string' || req.model === '') throw new Error('"model" must be the path of a model.json');
      const { artifacts } = readModelArtifacts(req.model);
      const r = await ev.evalArtifacts(artifacts, req.inputs, req.model);
      return { ...r, ms: ms(t0) };
    },

    drop: req => ev.drop({ keys: req.keys }),
    quit: async () => ({}),
  };
}
