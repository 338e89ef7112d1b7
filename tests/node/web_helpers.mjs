// Helpers for the web page's tests (web_page.test.mjs) and bench/page.sh:
// the npm package's tarball unpacked and its dist/web served by
// `tfjs-quant serve`, headless Chromium through playwright-core, the page's
// state, and a reader of the STORED zip the page downloads (CRC-32 checked).
// No tfjs here: bench/page.sh imports this file on its own.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { CHROMIUM, chromiumProblem } from './helpers.mjs';

export { CHROMIUM };
const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const JS_DIR = path.join(REPO_ROOT, 'js');
// A quiet, offline, throw-away browser (as html.test.mjs).
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * What is missing to run the page in a browser, in words ('' when nothing):
 * js/dist/web (js/scripts/build_web.sh), its vendor bundles, Chromium.
 */
export function webProblem() {
  const problems = [];
  const web = path.join(JS_DIR, 'dist', 'web');
  if (!fs.existsSync(path.join(web, 'index.html'))) {
    problems.push(`${web}/index.html is missing: assemble the page with bash js/scripts/build_web.sh ` +
                  '(after cd js && npm run build)');
  } else {
    const vendor = ['tf-core.min.js', 'tf-converter.min.js', 'tf-layers.min.js', 'tf-backend-wasm.min.js']
      .filter((f) => !fs.existsSync(path.join(web, 'vendor', f)));
    if (vendor.length) problems.push(`${web}/vendor/ lacks ${vendor.join(', ')}: run bash js/scripts/build_web.sh`);
  }
  if (chromiumProblem()) problems.push(chromiumProblem());
  return problems.join('\n');
}

/**
 * `npm pack` of js/ into `tmp`, the tarball unpacked there: resolves
 * {pkg: tmp/package, web: tmp/package/dist/web, files: [paths in the tarball]}.
 */
export async function packAndUnpack(tmp) {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: JS_DIR, maxBuffer: 64 << 20 });
  const [packed] = JSON.parse(stdout);
  await run('tar', ['-xzf', path.join(tmp, packed.filename), '-C', tmp]);
  const pkg = path.join(tmp, 'package');
  const web = path.join(pkg, 'dist', 'web');
  if (!fs.existsSync(path.join(web, 'index.html'))) {
    throw new Error(`the tarball ${packed.filename} has no dist/web/index.html: is dist/web/ in js/package.json "files", ` +
                    'and was js/scripts/build_web.sh run?');
  }
  return { pkg, web, files: packed.files.map((f) => f.path) };
}

/**
 * `node PKG/bin/tfjs-quant.js serve DIR --port 0`: resolves {base, proc,
 * stop()} once it printed "tfjs-quant: serving DIR at URL" (base: the URL).
 */
export function serveWeb(pkg, dir, { timeoutMs = 30_000 } = {}) {
  const proc = spawn(process.execPath, [path.join(pkg, 'bin', 'tfjs-quant.js'), 'serve', dir, '--port', '0'],
                     { stdio: ['ignore', 'pipe', 'pipe'] });
  // The server ends with this process, whatever way it ends.
  const orphan = () => proc.kill('SIGTERM');
  process.once('exit', orphan);
  proc.once('exit', () => process.removeListener('exit', orphan));
  let out = '';
  let err = '';
  const stop = () => new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`tfjs-quant serve printed no URL in ${timeoutMs} ms:\nstdout: ${out}\nstderr: ${err}`));
    }, timeoutMs);
    proc.stderr.on('data', (d) => { err += d; });
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /^tfjs-quant: serving (.+) at (http:\/\/\S+\/)\n/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ base: m[2], servedDir: m[1], line: m[0], proc, stop, stderr: () => err });
      }
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`tfjs-quant serve exited (${code ?? signal}) before printing its URL:\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

/** Headless Chromium through playwright-core (a pinned dev dependency of tests/node). */
export async function launchChromium() {
  let pw;
  try {
    pw = await import('playwright-core');
  } catch (e) {
    throw new Error(`playwright-core (a pinned dev dependency) is not installed: run npm ci in tests/node (${e.message})`);
  }
  return pw.chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** document.body.dataset.state of the page. */
export function pageState(page) {
  return page.evaluate(() => document.body?.dataset.state ?? null);
}

/**
 * Waits until the page's state is one of `states`; rejects with the state,
 * #message and #status it was in at the timeout.
 */
export async function waitForState(page, states, timeoutMs) {
  const want = Array.isArray(states) ? states : [states];
  try {
    await page.waitForFunction((w) => w.includes(document.body?.dataset.state), want,
                               { timeout: timeoutMs, polling: 100 });
  } catch (e) {
    const now = await page.evaluate(() => ({
      state: document.body?.dataset.state,
      message: document.querySelector('#message')?.textContent,
      status: document.querySelector('#status')?.textContent,
    })).catch(() => ({}));
    throw new Error(`the page did not reach state ${want.join(' or ')} in ${timeoutMs / 1000} s ` +
                    `(state ${JSON.stringify(now.state)}, #message ${JSON.stringify(now.message)}, ` +
                    `#status ${JSON.stringify(now.status)}): ${e.message.split('\n')[0]}`);
  }
  return pageState(page);
}

/** Files for setInputFiles: [{name, mimeType, buffer}] from a folder and names, or given buffers. */
export function filePayloads(dir, names) {
  return names.map((n) => ({ name: n, mimeType: n.endsWith('.json') ? 'application/json' : 'application/octet-stream',
                             buffer: fs.readFileSync(path.join(dir, n)) }));
}

// ---------------------------------------------------------------------------
// The stored zip the page writes

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; ++n) {
    let c = n;
    for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zip and gzip use it) of a Buffer/Uint8Array. */
export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; ++i) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Reads a zip whose entries are all STORED (method 0), checking everything
 * it can: the end record (one disk, no comment, no zip64), every central
 * entry against its local header (name, flags, method, CRC and sizes, the
 * same in both), sizes equal (no compression), the CRC-32 of the data, the
 * local entries one after the other from offset 0 up to the central
 * directory, no data descriptor, no duplicate name. Returns
 * [{name, data: Buffer, crc, time, date}] in central-directory order; throws
 * an Error saying what is wrong.
 */
export function readStoredZip(buf) {
  const fail = (m) => { throw new Error(`zip: ${m}`); };
  if (buf.length < 22) fail(`${buf.length} bytes: too short for an end of central directory record`);
  const eocd = buf.length - 22;
  if (buf.readUInt32LE(eocd) !== 0x06054b50) {
    fail('no end of central directory record in the last 22 bytes (a comment, zip64, or not a zip)');
  }
  const disk = buf.readUInt16LE(eocd + 4);
  const cdDisk = buf.readUInt16LE(eocd + 6);
  const countDisk = buf.readUInt16LE(eocd + 8);
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  const commentLen = buf.readUInt16LE(eocd + 20);
  if (disk !== 0 || cdDisk !== 0 || countDisk !== count) fail(`a multi-disk zip (disk ${disk}, ${countDisk} of ${count})`);
  if (commentLen !== 0) fail(`an archive comment of ${commentLen} bytes`);
  if (cdOffset + cdSize !== eocd) fail(`the central directory (${cdOffset} + ${cdSize}) does not end at the end record (${eocd})`);
  const entries = [];
  const names = new Set();
  let p = cdOffset;
  let expectedLocal = 0;
  for (let i = 0; i < count; ++i) {
    if (p + 46 > eocd || buf.readUInt32LE(p) !== 0x02014b50) fail(`central entry ${i} at ${p}: bad signature`);
    const c = {
      flags: buf.readUInt16LE(p + 8), method: buf.readUInt16LE(p + 10), time: buf.readUInt16LE(p + 12),
      date: buf.readUInt16LE(p + 14), crc: buf.readUInt32LE(p + 16), csize: buf.readUInt32LE(p + 20),
      usize: buf.readUInt32LE(p + 24), nameLen: buf.readUInt16LE(p + 28), extraLen: buf.readUInt16LE(p + 30),
      commentLen: buf.readUInt16LE(p + 32), local: buf.readUInt32LE(p + 42),
    };
    const name = buf.subarray(p + 46, p + 46 + c.nameLen).toString((c.flags & 0x800) ? 'utf8' : 'latin1');
    p += 46 + c.nameLen + c.extraLen + c.commentLen;
    if (p > eocd) fail(`central entry ${i} (${name}) runs past the central directory`);
    if (names.has(name)) fail(`the name ${name} is there twice`);
    names.add(name);
    if (c.method !== 0) fail(`${name}: method ${c.method}, not 0 (stored)`);
    if (c.flags & 0x8) fail(`${name}: a data descriptor (flag bit 3) in a stored zip`);
    if (c.flags & 0x1) fail(`${name}: encrypted`);
    if (c.csize !== c.usize) fail(`${name}: stored, yet its compressed size ${c.csize} != its size ${c.usize}`);
    if (c.local !== expectedLocal) fail(`${name}: its local header is at ${c.local}, expected ${expectedLocal} (entries one after the other)`);
    const l = c.local;
    if (l + 30 > cdOffset || buf.readUInt32LE(l) !== 0x04034b50) fail(`${name}: no local header at ${l}`);
    const local = {
      flags: buf.readUInt16LE(l + 6), method: buf.readUInt16LE(l + 8), time: buf.readUInt16LE(l + 10),
      date: buf.readUInt16LE(l + 12), crc: buf.readUInt32LE(l + 14), csize: buf.readUInt32LE(l + 18),
      usize: buf.readUInt32LE(l + 22), nameLen: buf.readUInt16LE(l + 26), extraLen: buf.readUInt16LE(l + 28),
    };
    const localName = buf.subarray(l + 30, l + 30 + local.nameLen).toString((local.flags & 0x800) ? 'utf8' : 'latin1');
    for (const k of ['flags', 'method', 'time', 'date', 'crc', 'csize', 'usize']) {
      if (local[k] !== c[k]) fail(`${name}: local header ${k} ${local[k]} != central ${c[k]}`);
    }
    if (localName !== name) fail(`local name ${JSON.stringify(localName)} != central name ${JSON.stringify(name)}`);
    const start = l + 30 + local.nameLen + local.extraLen;
    const end = start + c.usize;
    if (end > cdOffset) fail(`${name}: its ${c.usize} bytes run into the central directory`);
    const data = buf.subarray(start, end);
    const crc = crc32(data);
    if (crc !== c.crc) fail(`${name}: CRC-32 ${crc.toString(16)} of the data != ${c.crc.toString(16)} in the headers`);
    entries.push({ name, data, crc, time: c.time, date: c.date });
    expectedLocal = end;
  }
  if (p !== eocd) fail(`${eocd - p} bytes after the last central entry`);
  if (expectedLocal !== cdOffset) fail(`${cdOffset - expectedLocal} bytes between the last entry's data and the central directory`);
  return entries;
}

// ---------------------------------------------------------------------------
// A model against a reference, in tfjs on the page

/**
 * Loads two graph models on the page (global `tf`, the page's backend) from
 * `${prefix}${reference}/${json}` and `${prefix}${candidate}/${json}` (and
 * their shards beside them) with tf.loadGraphModel(tf.io.fromMemory(...)),
 * runs both on the same deterministic inputs of the first input's shape
 * (unknown dimensions 256, batch 1) and measures each output's SQNR of the
 * candidate against the reference in float64 (Infinity when equal):
 * 'smooth' inputs of the default inputs' kind (an 8x8 field of uniform
 * values in [0,1) bilinearly resized, align corners, times 0.9, plus 0.1 x
 * uniform noise), seeds `smoothSeeds`; 'uniform' inputs, uniform noise in
 * [0,1), seeds `uniformSeeds`. Resolves {shape, inputName, outputs,
 * sqnrs: [{kind, seed, output, db, finite}], backend}.
 */
export function compareOnPage(page, { prefix, json, reference, candidate, smoothSeeds = [101, 102, 103, 104],
                                      uniformSeeds = [201, 202, 203, 204] }) {
  return page.evaluate(async ({ prefix, json, reference, candidate, smoothSeeds, uniformSeeds }) => {
    const tf = window.tf;
    await tf.ready();
    const get = async (url) => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    };
    async function load(folder) {
      const model = JSON.parse(new TextDecoder().decode(await get(`${prefix}${folder}/${json}`)));
      const parts = [];
      for (const g of model.weightsManifest) for (const p of g.paths) parts.push(await get(`${prefix}${folder}/${p}`));
      const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        all.set(p, o);
        o += p.length;
      }
      return tf.loadGraphModel(tf.io.fromMemory({
        modelTopology: model.modelTopology, format: model.format, generatedBy: model.generatedBy,
        convertedBy: model.convertedBy, signature: model.signature, userDefinedMetadata: model.userDefinedMetadata,
        weightSpecs: model.weightsManifest.flatMap((g) => g.weights), weightData: all.buffer,
      }));
    }
    const ref = await load(reference);
    const cand = await load(candidate);
    const input = ref.inputs[0];
    const shape = input.shape.map((d, i) => (d == null || d < 0 ? (i === 0 ? 1 : 256) : d));
    const outputs = ref.outputNodes;
    // tf-core's bundle has no chained ops (x.mul): functions only.
    const smooth = (seed) => tf.tidy(() => {
      const grid = tf.randomUniform([shape[0], 8, 8, shape[3]], 0, 1, 'float32', seed);
      const field = tf.image.resizeBilinear(grid, [shape[1], shape[2]], true);
      return tf.add(tf.mul(field, 0.9), tf.mul(tf.randomUniform(shape, 0, 1, 'float32', seed + 1000), 0.1));
    });
    const uniform = (seed) => tf.randomUniform(shape, 0, 1, 'float32', seed);
    const sqnrs = [];
    for (const [kind, make, seeds] of [['smooth', smooth, smoothSeeds], ['uniform', uniform, uniformSeeds]]) {
      for (const seed of seeds) {
        const x = make(seed);
        const a = ref.execute({ [input.name]: x }, outputs);
        const b = cand.execute({ [input.name]: x }, outputs);
        for (let k = 0; k < outputs.length; k++) {
          const want = a[k].dataSync();
          const got = b[k].dataSync();
          let signal = 0;
          let noise = 0;
          for (let i = 0; i < want.length; i++) {
            const w = want[i];  // a JavaScript number: float64 from here on
            const d = w - got[i];
            signal += w * w;
            noise += d * d;
          }
          sqnrs.push({ kind, seed, output: outputs[k], db: noise === 0 ? Infinity : 10 * Math.log10(signal / noise),
                       finite: want.every(Number.isFinite) && got.every(Number.isFinite) });
        }
        tf.dispose([x, ...a, ...b]);
      }
    }
    ref.dispose();
    cand.dispose();
    return { shape, inputName: input.name, outputs, sqnrs, backend: tf.getBackend() };
  }, { prefix, json, reference, candidate, smoothSeeds, uniformSeeds });
}
