// What every API function shares: option checking (options go to the core
// as JSON) and turning bytes and file maps into Uint8Arrays.
import { TfjsQuantError } from './module.js';

const encoder = new TextEncoder();

export function invalid(message) {
  return new TfjsQuantError(message, 'INVALID_ARGUMENT');
}

export function describe(v) {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

// Options are JSON for the core, which checks them and refuses members a
// command does not use. What JSON cannot say (a function, a BigInt, NaN)
// is refused here rather than dropped.
function checkJsonValue(v, where) {
  const t = typeof v;
  if (v === null || t === 'boolean' || t === 'string') return;
  if (t === 'number') {
    if (!Number.isFinite(v)) throw invalid(`${where}: expected a finite number, found ${v}`);
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((e, i) => checkJsonValue(e, `${where}[${i}]`));
    return;
  }
  if (t === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(v))) {
    for (const [k, e] of Object.entries(v)) checkJsonValue(e, `${where}.${k}`);
    return;
  }
  throw invalid(`${where}: ${describe(v)} is not an option value`);
}

export function request(command, options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalid(`options: expected an object, found ${describe(options)}`);
  }
  const req = { command };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === 'command') throw invalid('options: "command" is not an option (call the function for it)');
    checkJsonValue(value, `options.${key}`);
    req[key] = value;
  }
  return req;
}

function isArrayBuffer(v) {
  const tag = Object.prototype.toString.call(v);
  return tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]';
}

export function isBytes(v) {
  return isArrayBuffer(v) || ArrayBuffer.isView(v);
}

export function toBytes(value, what) {
  if (value instanceof Uint8Array) return value;
  if (isArrayBuffer(value)) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return encoder.encode(value);
  throw invalid(`${what}: expected bytes (Uint8Array, ArrayBuffer or a typed array) or a string, found ` +
                describe(value));
}

// A Map or plain object of file name -> bytes, as a Map of Uint8Arrays.
export function toFiles(files) {
  const entries = files instanceof Map ? [...files] : Object.entries(files);
  const out = new Map();
  for (const [name, bytes] of entries) {
    if (typeof name !== 'string') throw invalid(`file names must be strings, found ${describe(name)}`);
    out.set(name, toBytes(bytes, `file ${JSON.stringify(name)}`));
  }
  return out;
}

export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}


/** A user's string for a message: quoted, control characters escaped, at most 200 characters. */
export function shown(value) {
  const text = String(value);
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}...` : text);
}
