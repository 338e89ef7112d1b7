// The npm package in a real browser (headless Chromium driven by
// playwright-core), loaded from the tarball `npm pack` makes: a page builds
// named tensors in stock tfjs, quantizes them to uint8 with one skipped,
// and reads them back with tf.io.decodeWeights: every value equals the
// CLI's decode of the same manifest, and the files are the CLI's bytes.
// Then a tfjs-layers model is saved through withQuantization and reloaded
// with tf.loadLayersModel. The page loads nothing but the local server's
// files. Needs js/dist/ (cd js && npm run build) and Chromium.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import {
  CHROMIUM, chromiumProblem, makeTempDir, readConcatenated, readEnv, readJson, removeDir, runCli, runSuite, tf,
} from './helpers.mjs';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const JS = path.resolve(HERE, '..', '..', 'js');
const TFJS = path.join(HERE, 'node_modules', '@tensorflow');

// The page: stock tfjs 4.22 from its UMD bundles (global `tf`), the package
// as ES modules from the unpacked tarball.
const PAGE = `<!doctype html><meta charset="utf-8"><title>tfjs-quant</title>
<script src="/tfjs/tfjs-core/dist/tf-core.min.js"></script>
<script src="/tfjs/tfjs-backend-cpu/dist/tf-backend-cpu.min.js"></script>
<script src="/tfjs/tfjs-layers/dist/tf-layers.min.js"></script>
<script type="module">
import * as tq from '/pkg/src/index.js';
const bits = (v) => (v instanceof Float32Array ? [...new Uint32Array(v.buffer, v.byteOffset, v.length)] : [...v]);
window.seedFlow = async () => {
  await tf.setBackend('cpu');
  const tensors = [
    { name: 'conv/kernel', tensor: tf.randomNormal([3, 3, 8, 16], 0, 0.2, 'float32', 1) },
    { name: 'conv/bias', tensor: tf.randomUniform([16], -1, 1, 'float32', 2) },
    { name: 'head/kernel', tensor: tf.randomNormal([16, 4], 0, 1, 'float32', 3), isSkipQuantization: true },
    { name: 'steps', tensor: tf.tensor1d([1, -2, 3], 'int32') },
  ];
  const q = await tq.quantizeTensors(tensors, { uint8: true });
  const decoded = tf.io.decodeWeights(q.weightData, q.manifest[0].weights);
  const input = await tf.io.encodeWeights(Object.fromEntries(tensors.map((t) => [t.name, t.tensor])));
  return {
    input: { specs: input.specs, data: [...new Uint8Array(input.data)] },
    files: Object.fromEntries([...q.files].map(([n, b]) => [n, [...b]])),
    decoded: Object.fromEntries(Object.entries(decoded).map(([n, t]) => [n, bits(t.dataSync())])),
  };
};
window.layersFlow = async () => {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 16, inputShape: [8], activation: 'relu' }),
                                         tf.layers.dense({ units: 4 })] });
  let saved = null;
  await model.save(tq.withQuantization({ async save(a) { saved = a; return { modelArtifactsInfo: {} }; } },
                                       { uint8: true }));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
  const x = tf.randomUniform([32, 8], -1, 1, 'float32', 4);
  const want = model.predict(x).dataSync();
  const got = loaded.predict(x).dataSync();
  return {
    dtypes: saved.weightSpecs.map((s) => s.quantization?.dtype ?? s.dtype),
    worst: Math.max(...want.map((v, i) => Math.abs(v - got[i]))),
    step: Math.max(...saved.weightSpecs.map((s) => s.quantization.scale)) / 2,
  };
};
window.pageReady = true;
</script>`;

// .mjs: auto's evaluator (dist/evaluator/), which src/index.js imports.
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html', '.json': 'application/json' };

/** Serves the page, tfjs's bundles and the unpacked package; resolves the base URL. */
function serve(pkg) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let file = null;
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(PAGE);
    }
    if (url.pathname.startsWith('/pkg/')) file = path.join(pkg, url.pathname.slice(5));
    if (url.pathname.startsWith('/tfjs/')) file = path.join(TFJS, url.pathname.slice(6));
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () =>
    resolve({ server, base: `http://127.0.0.1:${server.address().port}` })));
}

const env = readEnv({ needModels: false });
env.problem ??= chromiumProblem() || undefined;
await runSuite(env, ({ bin }) => {
  let tmp;
  let browser;
  let page;
  let server;
  const problems = [];

  before(async () => {
    tmp = await makeTempDir('js-browser');
    // The tarball a user installs, unpacked: what the page imports.
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: JS });
    await run('tar', ['-xzf', path.join(tmp, JSON.parse(stdout)[0].filename), '-C', tmp]);
    let base;
    ({ server, base } = await serve(path.join(tmp, 'package')));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
                                      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    page = await browser.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    await page.route((url) => url.origin !== base, (route) => {
      problems.push(`request outside the test server: ${route.request().url()}`);
      return route.abort();
    });
    await page.goto(base);
    await page.waitForFunction(() => window.pageReady === true, null, { timeout: 30_000 });
  });

  after(async () => {
    await browser?.close();
    server?.close();
    await removeDir(tmp);
  });

  test('named tensors quantized in the browser decode to the CLI decode, with the CLI bytes', async () => {
    const r = await page.evaluate(() => window.seedFlow());
    assert.deepEqual(problems, []);
    // The same input through the CLI: its quantize writes the page's files, its dequantize is the decode.
    const input = path.join(tmp, 'in');
    fs.mkdirSync(input);
    fs.writeFileSync(path.join(input, 'weights_manifest.json'),
                     JSON.stringify([{ paths: ['weights.bin'], weights: r.input.specs }]));
    fs.writeFileSync(path.join(input, 'weights.bin'), Uint8Array.from(r.input.data));
    await runCli(bin, ['quantize', input, path.join(tmp, 'q'), '--quantize_uint8', '--skip', 'head/kernel']);
    assert.deepEqual(Object.keys(r.files).sort(), fs.readdirSync(path.join(tmp, 'q')).sort());
    for (const [name, bytes] of Object.entries(r.files)) {
      assert.ok(Buffer.from(bytes).equals(fs.readFileSync(path.join(tmp, 'q', name))), `${name} = the CLI's`);
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(tmp, 'q', 'weights_manifest.json')));
    assert.deepEqual(manifest[0].weights.map((w) => w.quantization?.dtype ?? w.dtype),
                     ['uint8', 'uint8', 'float32', 'int32']);
    await runCli(bin, ['dequantize', path.join(tmp, 'q'), path.join(tmp, 'd')]);
    const d = readJson(path.join(tmp, 'd', 'weights_manifest.json'));
    const native = tf.io.decodeWeights(readConcatenated(path.join(tmp, 'd'), d), d.flatMap((g) => g.weights));
    for (const [name, t] of Object.entries(native)) {
      const v = t.dataSync();
      const expected = v instanceof Float32Array ? [...new Uint32Array(v.buffer, v.byteOffset, v.length)] : [...v];
      assert.deepEqual(r.decoded[name], expected, `${name}: the browser's decode = the CLI's`);
    }
  });

  test('model.save(withQuantization(...)) in the browser reloads within the quantization error', async () => {
    const r = await page.evaluate(() => window.layersFlow());
    assert.deepEqual(problems, []);
    assert.deepEqual(r.dtypes, ['uint8', 'uint8', 'uint8', 'uint8']);
    const bound = r.step * (8 + 1) * 16 * 4;
    assert.ok(r.worst > 0 && r.worst < bound, `largest difference ${r.worst}, bound ${bound}`);
  });
});
