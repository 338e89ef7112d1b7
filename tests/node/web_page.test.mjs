// The web page end to end, as a user gets it: `npm pack` of js/, the tarball
// unpacked, its dist/web served by `tfjs-quant serve DIR --port 0` and
// opened in headless Chromium (playwright-core driving the system
// Chromium) with ?backend=wasm. posenet is given through input#model-files;
// the report has its 62 tensors and the native `inspect --json` totals; a
// select changes the planned size by exactly the tensor's saved bytes;
// keyboard users reach the controls and sort with Enter; `auto` at
// sqnr>=30 on the default inputs moves its progress bar and ends within
// the budget; the downloaded zip (stored, CRC-32 checked here) holds the
// files the native CLI writes for the same plan, and, loaded back into tfjs
// on the page, its outputs stay within 30 dB SQNR of the float32 model on 8
// fresh inputs (4 of uniform noise, 4 smooth fields like auto's default
// inputs, seeds auto never saw). A truncated or missing shard is an error naming the file.
// No request leaves the server's origin. Screenshots (1600 wide, full page)
// go to tests/node/artifacts/web-report.png and web-auto.png.
//
// Needs js/dist/web (js/scripts/build_web.sh, after cd js && npm run build)
// and Chromium (/usr/bin/chromium or CHROMIUM_BIN); fails, never skips,
// when either is missing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { makeTempDir, missing, readEnv, removeDir, runCli } from './helpers.mjs';
import {
  compareOnPage, filePayloads, launchChromium, packAndUnpack, readStoredZip, serveWeb, waitForState, webProblem,
} from './web_helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(HERE, 'artifacts');
const MODEL = 'posenet';
const POSENET_TENSORS = 62;
const BUDGET_DB = 30;
const AUTO_TIMEOUT_MS = 15 * 60_000;
const REPORT_TIMEOUT_MS = 120_000;
const WIDTH = 1600;
// Where the test hands the page bytes of its own (the original model, the
// downloaded files) for tfjs to load: a path on the server's origin that
// the test's route answers, never the server.
const TEST_PREFIX = '__test__/';

const env = readEnv();
const problem = env.problem ?? webProblem();

if (problem) {
  await missing('TFJS_QUANT_BIN, TFJS_QUANT_MODELS, js/dist/web, Chromium', problem);
} else {
  registerTests(env);
}

/** Bytes of table#totals' rows: {stored, uint8, uint16, float16} as the page shows them. */
async function totalsOnPage(page) {
  return page.$$eval('#totals tbody tr', (trs) => {
    const keys = { 'as stored': 'stored', 'all uint8': 'uint8', 'all uint16': 'uint16', 'all float16': 'float16' };
    const out = {};
    for (const tr of trs) {
      const label = tr.cells[0]?.textContent.trim();
      const key = tr.dataset.variant ?? keys[label];
      // data-bytes where the page gives it, else the first number after the label ("1,258,195").
      const cell = tr.querySelector('[data-bytes]');
      const text = cell ? cell.dataset.bytes : [...tr.cells].slice(1).map((c) => c.textContent.trim())
        .find((t) => /^[\d,]+$/.test(t));
      out[key] = text === undefined ? null : Number(String(text).replace(/,/g, ''));
    }
    return out;
  });
}

/** {name: select value} of every table#tensors row. */
function selectsOnPage(page) {
  return page.$$eval('#tensors tbody tr[data-name]', (trs) => Object.fromEntries(trs.map((tr) =>
    [tr.dataset.name, tr.querySelector('select[name=target]')?.value ?? null])));
}

const sizeNow = (page) => page.$eval('#size-now', (e) => Number(e.dataset.bytes));

/** A full-page screenshot, 1600 wide (what overflows to the right is cut), in tests/node/artifacts/. */
async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: 0, width: WIDTH, height } });
  return file;
}

/** The outermost elements that reach past the window's right edge: ['table#tensors right 1604.8', ...]. */
function overflow(page) {
  return page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= w) return [];
    const out = [];
    for (const e of document.body.querySelectorAll('*')) {
      const r = e.getBoundingClientRect();
      if (r.right > w + 0.5 && !out.some((o) => o.el.contains(e))) out.push({ el: e, right: r.right });
    }
    return [`document ${document.documentElement.scrollWidth} px wide in a ${w} px window`,
            ...out.map((o) => `${o.el.tagName.toLowerCase()}${o.el.id ? `#${o.el.id}` : ''} reaches ${o.right.toFixed(1)} px`)];
  });
}

/** An fnmatch pattern matching exactly `name` (the CLI's --quantize_* patterns). */
const literalGlob = (name) => name.replace(/[[*?]/g, (c) => `[${c}]`);

function registerTests({ bin, models }) {
  describe(`the web page (npm pack → tfjs-quant serve → headless Chromium, ?backend=wasm), ${MODEL}`, () => {
    let tmp;
    let server;
    let browser;
    let context;
    let page;
    let origin;
    let report;          // native inspect --json
    const requests = []; // every request of every page
    const pageErrors = [];
    const consoleErrors = [];
    const served = new Map();  // TEST_PREFIX + name -> Buffer, answered by the test's route
    const timings = {};

    async function newPage() {
      const p = await context.newPage();
      p.on('pageerror', (e) => pageErrors.push(`${p.url()}: ${e.message}`));
      p.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
      await p.goto(`${server.base}?backend=wasm`);
      await p.waitForFunction(() => document.body?.dataset.state === 'empty', null, { timeout: 30_000 });
      return p;
    }

    before(async () => {
      tmp = await makeTempDir('web-page');
      report = JSON.parse((await runCli(bin, ['inspect', '--json', path.join(models, `${MODEL}.json`)])).stdout);
      assert.equal(report.tensors.length, POSENET_TENSORS, `${MODEL} holds ${POSENET_TENSORS} weights`);
      const { pkg, web } = await packAndUnpack(tmp);
      server = await serveWeb(pkg, web);
      origin = new URL(server.base).origin;
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: WIDTH, height: 1000 }, acceptDownloads: true });
      context.on('request', (r) => requests.push(r.url()));
      // Anything off the server's origin is refused (and reported by the last test).
      await context.route((url) => url.origin !== origin, (route) => route.abort());
      await context.route((url) => url.origin === origin && url.pathname.startsWith(`/${TEST_PREFIX}`), (route) => {
        const body = served.get(decodeURIComponent(new URL(route.request().url()).pathname.slice(1)));
        return body ? route.fulfill({ status: 200, body, contentType: 'application/octet-stream' })
          : route.fulfill({ status: 404, body: 'not served by the test' });
      });
      page = await newPage();
    });

    after(async () => {
      await browser?.close();
      await server?.stop();
      await removeDir(tmp);
      if (Object.keys(timings).length) console.log(`# web page timings: ${JSON.stringify(timings)}`);
    });

    test('tfjs-quant serve prints one line with the URL; the page starts empty with the wasm backend', async () => {
      assert.match(server.line, /^tfjs-quant: serving .+ at http:\/\/127\.0\.0\.1:\d+\/\n$/);
      assert.equal(fs.realpathSync(server.servedDir), fs.realpathSync(path.join(tmp, 'package', 'dist', 'web')));
      await page.waitForFunction(() => /wasm/.test(document.querySelector('#backend')?.textContent ?? ''), null,
                                 { timeout: 60_000 });
      assert.equal(await page.$eval('#message', (e) => e.getAttribute('role')), 'alert');
      assert.equal(await page.$eval('#status', (e) => e.getAttribute('role')), 'status');
      assert.equal(await page.$eval('#message', (e) => e.textContent.trim()), '', '#message is empty');
      assert.equal(await page.$eval('#budget', (e) => e.value), 'sqnr>=30', 'the default budget');
    });

    test(`the report: ${POSENET_TENSORS} rows, totals = native inspect --json; screenshot web-report.png`, async () => {
      const t0 = Date.now();
      await page.setInputFiles('input#model-files', filePayloads(models, [`${MODEL}.json`, `${MODEL}.bin`]));
      const state = await waitForState(page, ['report', 'error'], REPORT_TIMEOUT_MS);
      timings.reportMs = Date.now() - t0;
      assert.equal(state, 'report', `state after the drop: ${state} (#message: ${await page.textContent('#message')})`);
      assert.equal((await page.textContent('#message')).trim(), '', '#message is empty after a good drop');

      const names = await page.$$eval('#tensors tbody tr[data-name]', (trs) => trs.map((tr) => tr.dataset.name));
      assert.equal(names.length, POSENET_TENSORS, `${POSENET_TENSORS} rows in table#tensors`);
      assert.deepEqual([...names].sort(), report.tensors.map((t) => t.name).sort(), 'one row per tensor, by name');
      const cells = await page.$$eval('#tensors tbody tr[data-name]', (trs) => trs.map((tr) => ({
        name: tr.dataset.name,
        options: [...(tr.querySelector('select[name=target]')?.options ?? [])].map((o) => o.value),
        risk: tr.querySelector('td.risk') !== null,
        why: tr.querySelector('td.why') !== null,
        hist: tr.querySelector('svg.hist') !== null,
      })));
      const bad = cells.filter((c) => !(c.risk && c.why && c.hist) ||
        JSON.stringify(c.options) !== JSON.stringify(['keep', 'float32', 'uint8', 'uint16', 'float16']));
      assert.deepEqual(bad, [], 'every row has select[name=target] (keep, float32, uint8, uint16, float16), td.risk, ' +
                                'td.why and svg.hist');

      const totals = await totalsOnPage(page);
      for (const k of ['stored', 'uint8', 'float16']) {
        assert.equal(totals[k], report.totals[k].bytes, `table#totals ${k} bytes = inspect --json totals.${k}.bytes`);
      }
      assert.equal(await sizeNow(page), report.totals.stored.bytes, '#size-now data-bytes = as stored before any choice');

      const shot = await screenshot(page, 'web-report.png');
      assert.ok(fs.statSync(shot).size > 20 * 1024, `${shot} > 20 KB`);
      assert.equal(fs.readFileSync(shot).readUInt32BE(16), WIDTH, 'the screenshot is 1600 wide');
    });

    test(`the report fits a ${WIDTH} px wide window: no horizontal scrolling`, async () => {
      assert.deepEqual(await overflow(page), [], `nothing reaches past the right edge of a ${WIDTH} px window`);
    });

    test('uint8 for one row: #size-now data-bytes goes down by exactly 3 × its elements, and back', async () => {
      const selects = await selectsOnPage(page);
      const t = report.tensors.find((x) => x.dtype === 'float32' && x.stored_encoding === 'float32' && x.quantizable &&
                                           x.elements > 0 && !x.nan_count && !x.inf_count && selects[x.name] === 'keep');
      assert.ok(t, 'a float32 tensor whose select says keep');
      const before = await sizeNow(page);
      const select = page.locator(`#tensors tbody tr[data-name=${JSON.stringify(t.name)}] select[name=target]`);
      await select.selectOption('uint8');
      await page.waitForFunction((b) => Number(document.querySelector('#size-now').dataset.bytes) !== b, before,
                                 { timeout: 10_000 });
      assert.equal(await sizeNow(page), before - (4 - 1) * t.elements, `${t.name} (${t.elements} elements) as uint8`);
      await select.selectOption('keep');
      await page.waitForFunction((b) => Number(document.querySelector('#size-now').dataset.bytes) === b, before,
                                 { timeout: 10_000 });
    });

    test('a pattern sets every float32 tensor it takes, as the CLI matches names, and * resets them all', async () => {
      // posenet's weights are Const, Const_1 ... Const_61: fnmatch's class, ? and a list.
      const quantizable = report.tensors.filter((x) => x.quantizable).map((x) => x.name);
      const want = quantizable.filter((n) => /^Const_[12].$/.test(n) || n === 'Const_5').sort();
      assert.ok(want.length > 10 && want.length < quantizable.length, `${want.length} of ${quantizable.length}`);
      const applyPattern = async (pattern, target) => {
        await page.fill('#pattern', pattern);
        await page.selectOption('#pattern-target', target);
        await page.click('#apply-pattern');
      };
      await applyPattern('Const_[12]?, Const_5', 'float16');
      await page.waitForFunction((n) => [...document.querySelectorAll('#tensors select[name=target]')]
        .filter((s) => s.value === 'float16').length === n, want.length, { timeout: 10_000 });
      const selects = await selectsOnPage(page);
      assert.deepEqual(Object.keys(selects).filter((n) => selects[n] === 'float16').sort(), want);
      await applyPattern('*', 'keep');
      await page.waitForFunction(() => [...document.querySelectorAll('#tensors select[name=target]')]
        .every((s) => s.disabled || s.value === 'keep'), null, { timeout: 10_000 });
    });

    test('keyboard: Tab reaches #auto-run and the first row\'s select; Enter on a column header sorts', async () => {
      await page.evaluate(() => document.activeElement?.blur());
      await page.locator('h1').first().click();  // the sequential focus starts at the top
      const reached = { autoRun: 0, firstSelect: 0 };
      const seen = new Set();
      for (let i = 1; i <= 400 && !(reached.autoRun && reached.firstSelect); i++) {
        await page.keyboard.press('Tab');
        const where = await page.evaluate(() => {
          const a = document.activeElement;
          const first = document.querySelector('#tensors tbody tr select[name=target]');
          return { id: a?.id ?? '', autoRun: a?.id === 'auto-run', firstSelect: a === first,
                   key: a ? `${a.tagName}#${a.id}@${[...document.querySelectorAll('*')].indexOf(a)}` : '' };
        });
        if (where.autoRun && !reached.autoRun) reached.autoRun = i;
        if (where.firstSelect && !reached.firstSelect) reached.firstSelect = i;
        if (seen.has(where.key) && !where.key.startsWith('BODY#')) break;  // wrapped around
        seen.add(where.key);
      }
      assert.ok(reached.autoRun, `Tab never reached #auto-run (${seen.size} stops)`);
      assert.ok(reached.firstSelect, `Tab never reached the first row's select (${seen.size} stops)`);

      const header = page.locator('#tensors thead th button, #tensors thead th[tabindex]').first();
      await header.focus();
      const th = header.locator('xpath=ancestor-or-self::th[1]');
      const rows = () => page.$$eval('#tensors tbody tr[data-name]', (trs) => trs.map((tr) => tr.dataset.name));
      const sortBefore = await th.getAttribute('aria-sort');
      const orderBefore = await rows();
      await page.keyboard.press('Enter');
      const sortOnce = await th.getAttribute('aria-sort');
      assert.notEqual(sortOnce, sortBefore, `aria-sort of the first sortable header after Enter (was ${sortBefore})`);
      assert.ok(['ascending', 'descending'].includes(sortOnce), `aria-sort = ${sortOnce}`);
      const orderOnce = await rows();
      await page.keyboard.press('Enter');
      const sortTwice = await th.getAttribute('aria-sort');
      assert.ok(['ascending', 'descending'].includes(sortTwice) && sortTwice !== sortOnce,
                `a second Enter reverses the order (aria-sort ${sortOnce} then ${sortTwice})`);
      const orderTwice = await rows();
      assert.deepEqual([...orderTwice].sort(), [...orderBefore].sort(), 'the same rows');
      assert.notDeepEqual(orderTwice, orderOnce, 'the rows moved between the two sorts');
    });

    test(`auto at sqnr>=${BUDGET_DB} on the default inputs: progress moves, the result is within the budget`,
         { timeout: AUTO_TIMEOUT_MS + 60_000 }, async () => {
      // Every change of the progress bar and the ETA while auto runs, as the page shows them.
      await page.evaluate(() => {
        const progress = document.querySelector('progress#auto-progress');
        const eta = document.querySelector('#auto-eta');
        const trace = [];
        window.__autoTrace = trace;
        const take = () => trace.push({
          state: document.body.dataset.state, value: progress.getAttribute('value'), max: progress.max,
          eta: eta.textContent.trim(), t: performance.now(),
        });
        const mo = new MutationObserver(take);
        mo.observe(progress, { attributes: true });
        mo.observe(eta, { childList: true, characterData: true, subtree: true });
        mo.observe(document.body, { attributes: true, attributeFilter: ['data-state'] });
        window.__autoTraceStop = () => mo.disconnect();
      });
      assert.equal(await page.$eval('#budget', (e) => e.value), 'sqnr>=30');
      const t0 = Date.now();
      await page.click('#auto-run');
      const state = await waitForState(page, ['auto-done', 'error', 'report'], AUTO_TIMEOUT_MS).catch(async (e) => {
        await page.click('#auto-cancel').catch(() => {});
        throw e;
      });
      timings.autoMs = Date.now() - t0;
      const trace = await page.evaluate(() => {
        window.__autoTraceStop();
        return window.__autoTrace;
      });
      assert.equal(state, 'auto-done', `auto ended in state ${state}: #message ${await page.textContent('#message')}`);

      const running = trace.filter((s) => s.state === 'auto-running');
      assert.ok(running.length > 0, 'the page was in state auto-running');
      // An increase of the bar before its last change (the last one may be the page filling it at the end).
      const values = running.slice(0, -1).map((s) => Number(s.value ?? 0));
      const rises = values.filter((v, i) => i > 0 && v > values[i - 1]).length;
      assert.ok(rises >= 1, `progress#auto-progress value never rose while auto ran: ${JSON.stringify(running.map((s) => s.value))}`);
      const etaEmpty = running.filter((s) => s.eta === '');
      assert.deepEqual(etaEmpty, [], '#auto-eta is never empty while auto runs');
      timings.progressSteps = rises;

      const result = await page.$eval('#auto-result', (e) => ({ ...e.dataset, text: e.textContent.trim() }));
      const sqnr = result.sqnr === 'exact' ? Infinity : Number(result.sqnr);
      assert.ok(sqnr >= BUDGET_DB, `#auto-result data-sqnr ${result.sqnr} >= ${BUDGET_DB} (${result.text})`);
      assert.ok(Number(result.evaluations) > 0, `#auto-result data-evaluations ${result.evaluations}`);
      const bytes = Number(result.bytes);
      assert.ok(bytes > 0 && bytes < report.totals.stored.bytes, `#auto-result data-bytes ${result.bytes} < as stored`);
      assert.ok(bytes <= report.totals.float16.bytes, `auto's ${bytes} bytes <= all float16 (${report.totals.float16.bytes})`);
      assert.equal(await sizeNow(page), bytes, '#size-now data-bytes = #auto-result data-bytes');
      timings.auto = { sqnr, bytes, evaluations: Number(result.evaluations) };

      const whys = await page.$$eval('#tensors tbody tr[data-name]', (trs) => Object.fromEntries(trs.map((tr) =>
        [tr.dataset.name, tr.querySelector('td.why')?.textContent.trim() ?? ''])));
      const noWhy = report.tensors.filter((t) => t.dtype === 'float32' && !whys[t.name]).map((t) => t.name);
      assert.deepEqual(noWhy, [], 'td.why says why for every float32 tensor');

      const shot = await screenshot(page, 'web-auto.png');
      assert.ok(fs.statSync(shot).size > 20 * 1024, `${shot} > 20 KB`);
    });

    let zipFiles;  // Map name -> Buffer of the downloaded zip
    let jsonName;

    test('#download-zip: a stored zip with the CLI\'s files for the same plan', { timeout: 120_000 }, async () => {
      assert.equal(await page.evaluate(() => document.body.dataset.state), 'auto-done', 'auto ran first');
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('#download-zip')]);
      assert.equal(download.suggestedFilename(), `${MODEL}-quantized.zip`);
      const zipPath = path.join(tmp, download.suggestedFilename());
      await download.saveAs(zipPath);
      const entries = readStoredZip(fs.readFileSync(zipPath));
      zipFiles = new Map(entries.map((e) => [e.name, Buffer.from(e.data)]));
      const jsons = [...zipFiles.keys()].filter((n) => n.endsWith('.json'));
      assert.equal(jsons.length, 1, `one model JSON in the zip (${[...zipFiles.keys()].join(', ')})`);
      [jsonName] = jsons;
      assert.equal(path.posix.basename(jsonName), `${MODEL}.json`, 'the model JSON keeps its name');
      const json = JSON.parse(zipFiles.get(jsonName));
      const dir = path.posix.dirname(jsonName);
      const shards = json.weightsManifest.flatMap((g) => g.paths).map((p) => path.posix.join(dir, p));
      assert.deepEqual([...zipFiles.keys()].sort(), [jsonName, ...shards].sort(), 'the zip holds the JSON and its shards');
      const shardBytes = shards.reduce((n, s) => n + zipFiles.get(s).length, 0);
      assert.equal(shardBytes, await sizeNow(page), 'the shards hold #size-now data-bytes');

      // The links: the same files, one by one.
      const links = await page.$$eval('#download-files a[download]', (as) => as.map((a) => ({
        download: a.getAttribute('download'), text: a.textContent.trim() })));
      assert.deepEqual(links.map((l) => l.text).sort(), [...zipFiles.keys()].sort(), '#download-files a[download] name the zip\'s files');

      // The manifest encodes what the selects say.
      const selects = await selectsOnPage(page);
      const wrong = [];
      for (const w of json.weightsManifest.flatMap((g) => g.weights)) {
        const target = selects[w.name];
        const want = ['uint8', 'uint16', 'float16'].includes(target) ? target : null;
        const got = w.quantization?.dtype ?? null;
        if (want !== got) wrong.push(`${w.name}: select ${target}, manifest ${got ?? w.dtype}`);
      }
      assert.deepEqual(wrong, [], 'every manifest entry is encoded as its row\'s select says');

      // The native CLI with the same plan writes the same bytes.
      const byTarget = { uint8: [], uint16: [], float16: [] };
      for (const [name, target] of Object.entries(selects)) if (target in byTarget) byTarget[target].push(literalGlob(name));
      const args = ['quantize', path.join(models, `${MODEL}.json`), path.join(tmp, 'cli')];
      for (const [target, names] of Object.entries(byTarget)) if (names.length) args.push(`--quantize_${target}=${names.join(',')}`);
      await runCli(bin, args);
      const cliFiles = fs.readdirSync(path.join(tmp, 'cli')).sort();
      assert.deepEqual([...zipFiles.keys()].map((n) => path.posix.relative(dir, n)).sort(), cliFiles,
                       'the zip\'s files = the CLI\'s');
      for (const f of cliFiles) {
        assert.ok(zipFiles.get(path.posix.join(dir, f)).equals(fs.readFileSync(path.join(tmp, 'cli', f))),
                  `${f}: the page's bytes = the CLI's for the same plan`);
      }
    });

    test(`the downloaded model in tfjs on the page: output SQNR >= ${BUDGET_DB} dB on 8 fresh inputs`,
         { timeout: 300_000 }, async () => {
      assert.ok(zipFiles, 'the zip was downloaded');
      const dir = path.posix.dirname(jsonName);
      for (const [name, data] of zipFiles) served.set(`${TEST_PREFIX}q/${path.posix.relative(dir, name)}`, data);
      const original = JSON.parse(fs.readFileSync(path.join(models, `${MODEL}.json`)));
      served.set(`${TEST_PREFIX}f/${MODEL}.json`, fs.readFileSync(path.join(models, `${MODEL}.json`)));
      for (const p of original.weightsManifest.flatMap((g) => g.paths)) served.set(`${TEST_PREFIX}f/${p}`, fs.readFileSync(path.join(models, p)));

      const r = await compareOnPage(page, { prefix: `/${TEST_PREFIX}`, json: path.posix.basename(jsonName),
                                            reference: 'f', candidate: 'q' });

      assert.equal(r.backend, 'wasm', 'tfjs ran on the wasm backend');
      assert.equal(r.outputs.length, 4, `posenet's 4 outputs (${r.outputs.join(', ')})`);
      assert.deepEqual(r.sqnrs.filter((s) => !s.finite), [], 'every output value is finite');
      assert.equal(r.sqnrs.length, 2 * 4 * 4, '(4 smooth + 4 uniform inputs) × 4 outputs');
      const worstOf = (kind) => r.sqnrs.filter((s) => s.kind === kind).reduce((w, s) => (s.db < w.db ? s : w));
      timings.verify = { shape: r.shape, worstSmoothDb: Number(worstOf('smooth').db.toFixed(2)),
                         worstUniformDb: Number(worstOf('uniform').db.toFixed(2)) };
      for (const kind of ['smooth', 'uniform']) {
        const worst = worstOf(kind);
        assert.ok(worst.db >= BUDGET_DB, `${kind} inputs: worst output SQNR ${worst.db.toFixed(2)} dB (${worst.output}, ` +
                  `seed ${worst.seed}) >= ${BUDGET_DB}; all: ${r.sqnrs.filter((s) => s.kind === kind).map((s) => s.db.toFixed(1)).join(', ')}`);
      }
    });

    for (const [what, files, named] of [
      ['a truncated shard (posenet.bin, its first 1000 bytes)', () => [
        ...filePayloads(models, [`${MODEL}.json`]),
        { name: `${MODEL}.bin`, mimeType: 'application/octet-stream',
          buffer: fs.readFileSync(path.join(models, `${MODEL}.bin`)).subarray(0, 1000) }], `${MODEL}.bin`],
      ['the model JSON without its shard', () => filePayloads(models, [`${MODEL}.json`]), `${MODEL}.bin`],
    ]) {
      test(`a broken model, ${what}: state 'error', #message names ${named}`, async () => {
        const p = await newPage();
        try {
          await p.setInputFiles('input#model-files', files());
          const state = await waitForState(p, ['report', 'error'], REPORT_TIMEOUT_MS);
          const message = (await p.textContent('#message')).trim();
          assert.equal(state, 'error', `state ${state}, #message ${JSON.stringify(message)}`);
          assert.ok(message.includes(named), `#message names ${named}: ${JSON.stringify(message)}`);
          assert.equal(await p.$$eval('#tensors tbody tr', (trs) => trs.filter((tr) => tr.offsetParent !== null).length), 0,
                       'no report rows are shown');
        } finally {
          await p.close();
        }
      });
    }

    test('no request outside the server\'s origin (data: and blob: allowed); no script error', () => {
      const outside = requests.filter((u) => {
        const url = new URL(u);
        return !['data:', 'blob:'].includes(url.protocol) && url.origin !== origin;
      });
      assert.deepEqual(outside, [], `requests outside ${origin}`);
      assert.ok(requests.some((u) => u.includes('vendor/tf-backend-wasm')), 'the page loaded tfjs from the server');
      assert.deepEqual(pageErrors, [], 'page errors');
      if (consoleErrors.length) console.log(`# console errors: ${JSON.stringify(consoleErrors)}`);
    });
  });
}
