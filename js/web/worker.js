// The module's calls off the page's thread: inspect (the wire sizes take
// seconds on a large model) and quantize. The model's files are sent once
// ('load') and kept here.
import * as tq from './pkg/src/index.js';

let model = null;  // {json, files}

async function handle(op, args) {
  if (op === 'load') {
    model = args;
    return { value: true };
  }
  if (op === 'match') return { value: await tq.matchNames(args.names, args.patterns) };
  if (!model) throw new tq.TfjsQuantError('no model loaded', 'INVALID_ARGUMENT');
  if (op === 'inspect') return { value: await tq.inspect(model.files, { wire: args.wire, json: model.json }) };
  if (op === 'quantize') {
    const r = await tq.quantize(model.files, { plan: args.plan, json: model.json });
    return { value: r, transfer: [...r.files.values()].map((b) => b.buffer) };
  }
  throw new tq.TfjsQuantError(`unknown operation ${op}`, 'INTERNAL');
}

self.onmessage = async ({ data: { id, op, args } }) => {
  try {
    const { value, transfer = [] } = await handle(op, args);
    self.postMessage({ id, ok: true, value }, transfer);
  } catch (e) {
    self.postMessage({ id, ok: false, error: { message: e?.message ?? String(e), code: e?.code ?? 'INTERNAL' } });
  }
};
tq.ready().catch(() => {});  // compile the core now: the first report comes sooner
self.postMessage({ id: 0, ok: true, value: 'ready' });
