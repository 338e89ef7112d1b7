// JSON-lines protocol over stdin/stdout. One request per line, one response
// per request, in order. stdout carries nothing but these lines; requests are
// handled strictly one at a time (the model is shared state).
import readline from 'node:readline';

// Re-exported for callers that imported it from here before errors.mjs existed.
export { UsageError } from './errors.mjs';

/** Writes one protocol line to stdout. */
export function send(obj) {
  return new Promise(resolve => {
    process.stdout.write(JSON.stringify(obj) + '\n', () => resolve());
  });
}

/**
 * Reads requests from `input` and answers them with `handlers[cmd](req)`.
 * A handler's return value is merged into {id, ok: true}; any thrown error
 * becomes {id, ok: false, error}. Resolves when stdin closes or on "quit".
 */
export async function serve(handlers, input = process.stdin) {
  const rl = readline.createInterface({ input, crlfDelay: Infinity, terminal: false });
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '') continue;
    let req;
    try {
      req = JSON.parse(line);
    } catch (e) {
      await send({ id: null, ok: false, error: `request is not valid JSON (${e.message}); send one JSON object per line` });
      continue;
    }
    if (req == null || typeof req !== 'object' || Array.isArray(req)) {
      await send({ id: null, ok: false, error: 'request must be a JSON object like {"id":1,"cmd":"load",...}' });
      continue;
    }
    const id = typeof req.id === 'number' ? req.id : null;
    if (id === null) {
      await send({ id: null, ok: false, error: 'request needs a numeric "id"' });
      continue;
    }
    const handler = Object.prototype.hasOwnProperty.call(handlers, req.cmd) ? handlers[req.cmd] : null;
    if (!handler) {
      await send({ id, ok: false, error: `unknown cmd ${JSON.stringify(req.cmd)}; known: ${Object.keys(handlers).join(', ')}` });
      continue;
    }
    let resp;
    try {
      const result = await handler(req);
      resp = { id, ok: true, ...(result || {}) };
    } catch (e) {
      const msg = e && e.message ? e.message : String(e);
      process.stderr.write(`tfjs-quant-eval: ${req.cmd} failed: ${e && e.stack ? e.stack : msg}\n`);
      resp = { id, ok: false, error: msg, ...(e && e.usage ? { usage: true } : {}) };
    }
    await send(resp);
    if (req.cmd === 'quit') break;
  }
  rl.close();
}
