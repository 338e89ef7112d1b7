// Instantiates tfjs_quant.wasm (the C++ core, src/wasm/api.cc) and moves
// bytes across its boundary. No emscripten glue: the module imports only a
// memory-growth notice and a few WASI calls for stderr, which this file
// provides. Nothing here imports a Node built-in, so bundlers and browsers
// take it as is.
import { wasmBase64 } from '../dist/tfjs_quant.wasm.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The error every API call throws: `code` is machine-readable. */
export class TfjsQuantError extends Error {
  /**
   * @param {string} message
   * @param {string} code e.g. 'FORMAT_ERROR', 'LIMIT_EXCEEDED'
   */
  constructor(message, code) {
    super(message);
    this.name = 'TfjsQuantError';
    this.code = code;
  }
}

function decodeBase64(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; ++i) out[i] = bin.charCodeAt(i);
  return out;
}

let compiled = null;  // Promise<WebAssembly.Module>: compiled once
let current = null;   // Promise of the instance calls use; dropped after a trap or a large call

// An instance whose memory grew past this is dropped after its call:
// WebAssembly memory never shrinks, and the compiled module is kept.
const KEEP_MEMORY_BYTES = 256 << 20;
const MAX_MEMORY_BYTES = 4 * 1024 * 1024 * 1024 - 65536;
// What the module needs beyond its heap (data, stack) and beyond twice the
// inputs, when it is grown ahead.
const GROW_SLACK_BYTES = 8 << 20;

// What the module may write to stderr (a bug report, just before a trap).
function wasiImports(getMemory, stderr) {
  return {
    fd_write(fd, iovs, iovsLen, nwritten) {
      const view = new DataView(getMemory().buffer);
      let total = 0;
      for (let i = 0; i < iovsLen; ++i) {
        const ptr = view.getUint32(iovs + i * 8, true);
        const len = view.getUint32(iovs + i * 8 + 4, true);
        stderr.push(decoder.decode(new Uint8Array(getMemory().buffer, ptr, len)));
        total += len;
      }
      view.setUint32(nwritten, total, true);
      return 0;
    },
    fd_close: () => 0,
    fd_seek: () => 70,  // ESPIPE
    environ_sizes_get(count, size) {
      const view = new DataView(getMemory().buffer);
      view.setUint32(count, 0, true);
      view.setUint32(size, 0, true);
      return 0;
    },
    environ_get: () => 0,
    proc_exit(code) {
      throw new WebAssembly.RuntimeError(`tfjs-quant exited (${code})`);
    },
  };
}

async function instantiate() {
  compiled ??= WebAssembly.compile(decodeBase64(wasmBase64));
  const module = await compiled;
  const stderr = [];
  let memory = null;
  const inst = await WebAssembly.instantiate(module, {
    env: { emscripten_notify_memory_growth() {} },
    wasi_snapshot_preview1: wasiImports(() => memory, stderr),
  });
  memory = inst.exports.memory;
  inst.exports._initialize();
  return { exports: inst.exports, memory, stderr, dead: false };
}

/**
 * Loads the module (once). Every API function calls it; call it yourself
 * to pay the compile time up front. Resolves {exports, memory}.
 */
export function ready() {
  if (!current) {
    const p = instantiate().then((m) => Object.assign(m, { promise: p }));
    p.catch(() => {
      if (current === p) current = null;
    });
    current = p;
  }
  return current;
}

// A live instance: one that a trap or a large call has not retired.
async function live() {
  for (;;) {
    const m = await ready();
    if (!m.dead) return m;
    if (current === m.promise) current = null;
  }
}

// Retires `m`: the next call starts a fresh instance; `m`'s memory goes
// with its last reference.
function retire(m) {
  m.dead = true;
  if (current === m.promise) current = null;
}

function text(mem, ptr, size) {
  return decoder.decode(new Uint8Array(mem.buffer, ptr >>> 0, size >>> 0));
}

// The NUL-terminated ASCII code name at `ptr` (at most 64 bytes).
function cString(mem, ptr) {
  const bytes = new Uint8Array(mem.buffer, ptr >>> 0, 64);
  return decoder.decode(bytes.subarray(0, bytes.indexOf(0)));
}

/**
 * Runs one request of src/wasm/api.cc (an object) over `files` (a Map of
 * name -> Uint8Array). Resolves {report, files: Map<name, Uint8Array>};
 * rejects with a TfjsQuantError.
 */
export async function run(request, files) {
  // JSON.stringify recurses, but what the caller gave in a request was
  // walked by options.js first: no cycle, at most 63 levels.
  const req = encoder.encode(JSON.stringify(request));  // before anything is copied in
  return call(await live(), request, req, files);
}

/**
 * Opens a session of several calls on one instance (auto's search keeps the
 * model in the module between steps): runs `request` over `files`, then
 * resolves {opened: its report, call(request): a further call (no files),
 * close()}. The instance is not retired for its memory while a session is
 * open; a trap ends every session on it.
 */
export async function openSession(request, files) {
  const m = await live();
  // Counted before the call: the call's own end must not retire the
  // instance the session is about to live in.
  m.sessions = (m.sessions ?? 0) + 1;
  let opened;
  try {
    opened = await call(m, request, encoder.encode(JSON.stringify(request)), files);
  } catch (e) {
    m.sessions -= 1;
    throw e;
  }
  const session = opened.report.session;
  const send = (req) => call(m, { ...req, session }, encoder.encode(JSON.stringify({ ...req, session })), new Map());
  let open = true;
  return {
    opened: opened.report,
    call(req) {
      if (!open) return Promise.reject(new TfjsQuantError('the session is closed', 'INVALID_ARGUMENT'));
      if (m.dead) return Promise.reject(new TfjsQuantError('the session was lost with its WebAssembly instance', 'INTERNAL'));
      return send(req);
    },
    async close() {
      if (!open) return;
      open = false;
      m.sessions -= 1;
      if (!m.dead) await send({ command: request.command.replace(/Open$/, 'Close') }).catch(() => {});
      if (!m.sessions && m.memory.buffer.byteLength > KEEP_MEMORY_BYTES) retire(m);
    },
  };
}

async function call(m, request, req, files) {
  const x = m.exports;
  m.stderr.length = 0;
  let handle = 0;
  let result = 0;
  try {
    // Grown at once for the inputs (and about as much again for the outputs
    // of a command that writes), rather than by each allocation as it comes
    // (a 256 MiB model: a third faster).
    let bytes = 0;
    for (const [, b] of files) bytes += b.length;
    const writes = request.command === 'quantize' || request.command === 'dequantize';
    const want = Math.min(MAX_MEMORY_BYTES, x.tfq_heap_in_use() + (writes ? 2 : 1) * bytes + GROW_SLACK_BYTES);
    if (want > m.memory.buffer.byteLength) {
      try { m.memory.grow(Math.ceil((want - m.memory.buffer.byteLength) / 65536)); } catch { /* malloc grows or fails */ }
    }
    handle = x.tfq_files_new() >>> 0;
    if (!handle) throw new TfjsQuantError('out of memory', 'OUT_OF_MEMORY');
    for (const [name, bytes] of files) {
      const nameBytes = encoder.encode(name);
      const namePtr = copyIn(m, nameBytes);
      const dst = x.tfq_files_add(handle, namePtr, nameBytes.length, bytes.length) >>> 0;
      x.free(namePtr);
      if (!dst) throw new TfjsQuantError(`out of memory for ${name} (${bytes.length} bytes)`, 'OUT_OF_MEMORY');
      new Uint8Array(m.memory.buffer, dst, bytes.length).set(bytes);
    }
    const reqPtr = copyIn(m, req);
    result = x.tfq_run(reqPtr, req.length, handle) >>> 0;
    x.free(reqPtr);
    if (!result) throw new TfjsQuantError('out of memory', 'OUT_OF_MEMORY');
    const message = text(m.memory, x.tfq_result_text(result), x.tfq_result_text_size(result));
    if (x.tfq_result_code(result) !== 0) {
      throw new TfjsQuantError(message, cString(m.memory, x.tfq_result_code_id(result)));
    }
    const out = new Map();
    const n = x.tfq_result_file_count(result) >>> 0;
    for (let i = 0; i < n; ++i) {
      const name = text(m.memory, x.tfq_result_file_name(result, i), x.tfq_result_file_name_size(result, i));
      const size = x.tfq_result_file_size(result, i) >>> 0;
      const ptr = x.tfq_result_file_data(result, i) >>> 0;
      if (!ptr) throw new TfjsQuantError(`the result names ${name} but holds no such file`, 'INTERNAL');
      out.set(name, new Uint8Array(m.memory.buffer, ptr, size).slice());
    }
    return { report: JSON.parse(message), files: out };
  } catch (e) {
    if (e instanceof TfjsQuantError) throw e;
    // A trap (or a stack overflow, which V8 reports as a RangeError) leaves
    // the instance in an unknown state: it is dropped, the next call starts
    // a fresh one.
    retire(m);
    throw new TfjsQuantError(`tfjs-quant failed inside WebAssembly: ${e.message} ${m.stderr.join('')}`.trim(),
                             'INTERNAL');
  } finally {
    if (!m.dead) {
      if (result) x.tfq_result_free(result);
      if (handle) x.tfq_files_free(handle);
    }
    if (m.memory.buffer.byteLength > KEEP_MEMORY_BYTES && !m.sessions) retire(m);
  }
}

// Copies bytes into a fresh allocation of the module's (freed by the caller).
function copyIn(m, bytes) {
  const ptr = m.exports.malloc(bytes.length || 1) >>> 0;
  if (!ptr) throw new TfjsQuantError('out of memory', 'OUT_OF_MEMORY');
  new Uint8Array(m.memory.buffer, ptr, bytes.length).set(bytes);
  return ptr;
}
