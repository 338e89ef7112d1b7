// What every API function shares: option checking (options go to the core
// as JSON), JSON text of the caller's values, and turning bytes and file
// maps into Uint8Arrays.
import { TfjsQuantError } from './module.js';

const encoder = new TextEncoder();

// The core reads a request at most 64 levels deep (src/wasm/api.cc), its
// own object being the first: an option's value may nest 63.
export const OPTION_DEPTH = 63;
// The longest string V8 makes (2^29 - 24 UTF-16 units): longer JSON text
// would be a RangeError.
export const MAX_TEXT = 2 ** 29 - 24;
// The JSON text a call's options may take together (a measurement too):
// as much as a model JSON by default (json_bytes), far more than a plan
// naming every weight of a real model. A value shared along many paths
// (x = [y, y], y = [z, z], ...) takes about a second per 16 MiB of text
// to be found too long: a few seconds at this bound, not a minute.
export const OPTIONS_TEXT = 64 << 20;
const OPTIONS_TEXT_LIMIT = `the limit for options (${OPTIONS_TEXT} characters of JSON)`;

export function invalid(message) {
  return new TfjsQuantError(message, 'INVALID_ARGUMENT');
}

function isPlain(v) {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

// A short identifier: shown as it is in a message.
const IDENTIFIER = /^[A-Za-z_$][\w$]{0,63}$/;

/** What `v` is, for a message: 'null', 'an array', 'an instance of Map', 'string'... */
export function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v !== 'object' || isPlain(v)) return typeof v;
  let name;
  try {
    name = Object.getPrototypeOf(v).constructor?.name;
  } catch {
    // A getter that throws (a Proxy): no name to give.
  }
  return typeof name === 'string' && IDENTIFIER.test(name) ? `an instance of ${name}` : 'an object that is not plain';
}

/** `base.key`, or `base["key"]` for a key that is not a short identifier. */
export function member(base, key) {
  return IDENTIFIER.test(key) ? `${base}.${key}` : `${base}[${shown(key)}]`;
}

// Where a walk of `where` is: the keys of its open arrays and objects, cut
// to a few hundred characters.
function pathText(where, stack) {
  let text = where;
  for (const f of stack) {
    text = f.keys ? member(text, f.key) : `${text}[${f.key}]`;
    if (text.length > 300) return `${text.slice(0, 300).replace(/[\ud800-\udbff]$/, '')}...`;  // no half of a pair
  }
  return text;
}

// What JSON.stringify writes for `v` at `key`: toJSON's result, a boxed
// primitive's value.
function toJsonValue(v, key) {
  if (v !== null && (typeof v === 'object' || typeof v === 'bigint') && typeof v.toJSON === 'function') {
    v = v.toJSON(key);
  }
  // A boxed primitive is known by its internal slot, as JSON.stringify
  // knows it (instanceof would miss one made in another realm).
  if (v !== null && typeof v === 'object') {
    if (hasSlot(Number.prototype.valueOf, v)) return Number(v);
    if (hasSlot(String.prototype.valueOf, v)) return String(v);
    if (hasSlot(Boolean.prototype.valueOf, v)) return Boolean.prototype.valueOf.call(v);
    if (hasSlot(BigInt.prototype.valueOf, v)) return BigInt.prototype.valueOf.call(v);  // refused as a BigInt
  }
  return v;
}

// Whether `v` carries the internal slot that `valueOf` reads.
function hasSlot(valueOf, v) {
  try {
    valueOf.call(v);
    return true;
  } catch {
    return false;
  }
}

// Left out of an object, null in an array, by JSON.stringify.
function unwritten(v) {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

// Options are JSON for the core, which checks them and refuses members a
// command does not use. What JSON cannot say (a function, a BigInt, NaN, a
// Map) is refused here rather than dropped.
function checkOptionValue(v, at) {
  const t = typeof v;
  if (v === null || t === 'boolean' || t === 'string' || Array.isArray(v)) return;
  if (t === 'number') {
    if (!Number.isFinite(v)) throw invalid(`${at()}: expected a finite number, found ${v}`);
    return;
  }
  if (t === 'object' && isPlain(v)) return;
  throw invalid(`${at()}: ${describe(v)} is not an option value`);
}

// Walks `value` as JSON.stringify does, without recursion: one frame per
// open array or object, so that no depth overflows the stack. Returns its
// JSON text (undefined where JSON.stringify writes nothing), or with
// `keep` false only the text's length. Arrays and objects nested deeper
// than `depth` levels are LIMIT_EXCEEDED (the message names `where` and
// `limit`), so is text longer than `length` (`lengthLimit`: a value shared
// along many paths makes it grow without bound); a value that holds itself
// is INVALID_ARGUMENT, as is a BigInt. `strict` (options): what JSON cannot
// say is refused rather than dropped or written as null.
function walkJson(value, where, {
  depth = OPTION_DEPTH, limit = `the limit for an option value (${OPTION_DEPTH} levels)`,
  length = MAX_TEXT, lengthLimit = 'what a JavaScript string holds', strict = false, keep = true,
} = {}) {
  const chunks = [];       // the text, joined a few thousand pieces at a time
  let pieces = [];
  let size = 0;
  const stack = [];        // the open arrays and objects: {value, keys (objects), n, i, key}
  const open = new Set();  // their values: meeting one of them again is a cycle
  const at = () => pathText(where, stack);
  const put = (text) => {
    size += text.length;
    if (size > length) throw new TfjsQuantError(`${at()}: its JSON text exceeds ${lengthLimit}`, 'LIMIT_EXCEEDED');
    if (!keep) return;
    pieces.push(text);
    if (pieces.length === 4096) {
      chunks.push(pieces.join(''));
      pieces = [];
    }
  };
  // Writes `v`; an array or object is opened here and written by the loop.
  const write = (v) => {
    if (strict) checkOptionValue(v, at);
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'bigint') throw invalid(`${at()}: a BigInt, which JSON cannot hold`);
      return put(JSON.stringify(v));
    }
    if (open.has(v)) throw invalid(`${at()}: holds itself (a cycle), which JSON cannot hold`);
    if (stack.length >= depth) {
      throw new TfjsQuantError(`${at()}: arrays and objects nested deeper than ${depth} levels exceed ${limit}`,
                               'LIMIT_EXCEEDED');
    }
    const keys = Array.isArray(v) ? null : Object.keys(v);
    open.add(v);
    stack.push({ value: v, keys, n: keys ? keys.length : v.length, i: 0, key: null });
    put(keys ? '{' : '[');
  };
  const first = strict ? value : toJsonValue(value, '');
  if (!strict && unwritten(first)) return keep ? undefined : 0;
  write(first);
  while (stack.length) {
    const f = stack[stack.length - 1];
    if (f.i === f.n) {
      stack.pop();
      open.delete(f.value);
      put(f.keys ? '}' : ']');
      continue;
    }
    f.key = f.keys ? f.keys[f.i] : f.i;
    const comma = f.i > 0 ? ',' : '';
    f.i += 1;
    let v = f.value[f.key];
    if (!strict) v = toJsonValue(v, String(f.key));
    if (!f.keys) {
      put(comma);
      if (!strict && unwritten(v)) put('null');
      else write(v);
    } else if (strict || !unwritten(v)) {
      // A member JSON.stringify leaves out takes no comma either.
      put(`${f.wrote ? ',' : ''}${JSON.stringify(f.key)}:`);
      f.wrote = true;
      write(v);
    }
  }
  if (!keep) return size;
  chunks.push(pieces.join(''));
  return chunks.join('');
}

/** JSON.stringify(value), bounded and without recursion (walkJson says how). */
export function jsonText(value, where, bounds = {}) {
  return walkJson(value, where, { ...bounds, keep: true });
}

/** Checks `value` as jsonText would write it; returns its text's length. */
export function checkJson(value, where, bounds = {}) {
  return walkJson(value, where, { ...bounds, keep: false });
}

/**
 * Checks the option `key`'s value: JSON, at most OPTION_DEPTH deep, no
 * cycle, at most `length` characters of it. Returns its length.
 */
export function checkOption(key, value, length = OPTIONS_TEXT) {
  return checkJson(value, member('options', key), { strict: true, length, lengthLimit: OPTIONS_TEXT_LIMIT });
}

/**
 * Options must be a plain object (its prototype Object.prototype or null):
 * a Map, an array or a class instance would otherwise be read as holding
 * no option at all, and the call would run without them.
 */
export function checkOptions(options) {
  if (options === null || typeof options !== 'object' || !isPlain(options)) {
    throw invalid(`options: expected a plain object ({name: value}), found ${describe(options)}`);
  }
  if (Object.getOwnPropertySymbols(options).length) throw invalid('options: a symbol key is not an option');
}

/**
 * Refuses the keys of `options` that are not among `known`: for functions
 * that read their options in JavaScript (the core names those of a request
 * it does not use).
 */
export function checkKeys(options, known, fn) {
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !known.includes(key)) {
      throw invalid(`options: ${shown(key)} is not an option of ${fn} (${known.join(', ')})`);
    }
  }
}

export function request(command, options) {
  checkOptions(options);
  // No prototype: an own "__proto__" key (JSON.parse makes them) becomes a
  // member, which the core refuses by name, instead of this object's
  // prototype, which JSON would not show and the core would never see.
  const req = Object.create(null);
  req.command = command;
  let room = OPTIONS_TEXT;  // for all of them together
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === 'command') throw invalid('options: "command" is not an option (call the function for it)');
    room -= checkOption(key, value, room);
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
  if (files === null || typeof files !== 'object') {
    throw invalid(`expected a Map of file name -> bytes, found ${describe(files)}`);
  }
  const entries = files instanceof Map ? [...files] : Object.entries(files);
  const out = new Map();
  for (const [name, bytes] of entries) {
    if (typeof name !== 'string') throw invalid(`file names must be strings, found ${describe(name)}`);
    out.set(name, toBytes(bytes, `file ${shown(name)}`));
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


// What JSON.stringify leaves as it is but a terminal or a log would act on
// or hide: DEL, C1 controls, zero-width and bidi controls, line separators
// (as the core's messages escape them, src/text.cc).
const UNSEEN = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * A user's string for a message: quoted, control characters escaped, at
 * most 200 characters once escaped. Not a string: what it is (String() of
 * a deep array recurses as deep).
 */
export function shown(value) {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return describe(value);
  let text = '';
  for (const c of value) {
    const e = JSON.stringify(c).slice(1, -1)
      .replace(UNSEEN, (u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (text.length + e.length > 200) return `"${text}..."`;
    text += e;
  }
  return `"${text}"`;
}
