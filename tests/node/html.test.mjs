// `tfjs-quant inspect --html FILE` rendered by a real browser (Chromium,
// headless): the DOM has the totals table, one row per tensor, a histogram
// with the uint8 grid per float32 tensor; the page loads nothing from the
// network; the column headers sort the table (clicked with playwright-core,
// driving the system Chromium). A screenshot is kept as a test artifact at
// tests/node/artifacts/inspect-posenet.png.
//
// Run: TFJS_QUANT_BIN=/path/to/tfjs-quant TFJS_QUANT_MODELS=/path/to/models node --test
// Chromium: CHROMIUM_BIN, default /usr/bin/chromium.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { CHROMIUM, chromiumProblem, makeTempDir, missing, readEnv, removeDir, runCli } from './helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(HERE, 'artifacts');
const SCREENSHOT = path.join(ARTIFACTS, 'inspect-posenet.png');
const MODEL = 'posenet';
const POSENET_TENSORS = 62;
// Flags for a quiet, offline, throw-away browser.
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const env = readEnv();

if (env.problem) {
  await missing('TFJS_QUANT_BIN, TFJS_QUANT_MODELS', env.problem);
} else if (chromiumProblem()) {
  await missing('Chromium', chromiumProblem());
} else {
  registerTests(env);
}


/** Runs headless Chromium with a fresh profile under `tmp`; resolves stdout. */
async function chromium(tmp, args) {
  const profile = fs.mkdtempSync(path.join(tmp, 'profile-'));
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args],
      { maxBuffer: 64 << 20, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`chromium ${args.join(' ')} failed (${err.code ?? err.signal}):\n${stderr}`));
        else resolve(stdout);
      });
  });
}

/** The inner HTML of the element `<tag ... id="id" ...>` up to its matching close tag (no nesting of `tag` inside). */
function elementById(html, tag, id) {
  const open = new RegExp(`<${tag}\\b[^>]*\\bid="${id}"[^>]*>`, 'i');
  const m = open.exec(html);
  if (!m) return null;
  const end = html.indexOf(`</${tag}>`, m.index);
  assert.ok(end > m.index, `<${tag} id="${id}"> is not closed`);
  return html.slice(m.index + m[0].length, end);
}

function tbodyRows(tableHtml) {
  const tbody = /<tbody>([\s\S]*)<\/tbody>/i.exec(tableHtml);
  assert.ok(tbody, 'the table has a <tbody>');
  return tbody[1].split(/<tr\b/i).slice(1).map((r) => `<tr${r}`);
}

/** PNG width and height from the IHDR chunk. */
function pngSize(buf) {
  assert.equal(buf.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'PNG signature');
  assert.equal(buf.subarray(12, 16).toString('latin1'), 'IHDR', 'PNG starts with IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

function registerTests({ bin, models }) {
  describe(`inspect --html ${MODEL}: rendered by headless Chromium`, () => {
    let tmp;
    let htmlPath;
    let html;
    let report;
    before(async () => {
      tmp = await makeTempDir('html');
      const jsonPath = path.join(models, `${MODEL}.json`);
      htmlPath = path.join(tmp, 'report.html');
      const { stdout } = await runCli(bin, ['inspect', jsonPath, '--html', htmlPath]);
      assert.match(stdout, new RegExp(`wrote ${htmlPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'inspect says where it wrote the page');
      html = fs.readFileSync(htmlPath, 'utf8');
      report = JSON.parse((await runCli(bin, ['inspect', jsonPath, '--json'])).stdout);
      assert.equal(report.tensors.length, POSENET_TENSORS, `${MODEL} holds ${POSENET_TENSORS} weights`);
    });
    after(() => removeDir(tmp));

    test('self-contained: no network URL in src/href/url(), no external script or stylesheet', () => {
      const refs = [...html.matchAll(/\b(?:src|href|xlink:href|action|poster)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]);
      const network = refs.filter((r) => /^(?:[a-z][a-z0-9+.-]*:)?\/\//i.test(r));
      assert.deepEqual(network, [], 'src/href attributes that point to the network');
      const cssUrls = [...html.matchAll(/url\(\s*["']?([^"')]+)/gi)].map((m) => m[1]);
      assert.deepEqual(cssUrls.filter((u) => !u.startsWith('#')), [], 'url(...) references other than #fragment');
      assert.doesNotMatch(html, /@import/i, 'no CSS @import');
      assert.doesNotMatch(html, /<script\b[^>]*\bsrc=/i, 'no external script');
      assert.doesNotMatch(html, /<link\b/i, 'no <link> (stylesheets, fonts, preloads)');
      assert.doesNotMatch(html, /https?:\/\//i, 'no http:// or https:// anywhere in the page');
    });

    test(`--dump-dom: totals table, ${POSENET_TENSORS} tensor rows, an svg.hist with the uint8 grid <pattern> per float32 tensor`, async () => {
      const dom = await chromium(tmp, ['--dump-dom', pathToFileURL(htmlPath).href]);
      assert.match(dom, /<\/html>\s*$/i, 'Chromium dumped a whole document');

      const totals = elementById(dom, 'table', 'totals');
      assert.ok(totals, 'the DOM has table#totals');
      const totalRows = tbodyRows(totals);
      assert.deepEqual(totalRows.map((r) => /<td>([^<]*)<\/td>/.exec(r)?.[1]),
        ['as stored', 'all uint8', 'all uint16', 'all float16'], 'table#totals rows');
      const bytesCol = totalRows.map((r) => Number([...r.matchAll(/<td class="n">([\d,]+)<\/td>/g)][0][1].replace(/,/g, '')));
      assert.deepEqual(bytesCol, ['stored', 'uint8', 'uint16', 'float16'].map((k) => report.totals[k].bytes),
        'table#totals bytes column == inspect --json totals');

      const tensors = elementById(dom, 'table', 'tensors');
      assert.ok(tensors, 'the DOM has table#tensors');
      const rows = tbodyRows(tensors);
      assert.equal(rows.length, POSENET_TENSORS, `one table#tensors row per tensor (${POSENET_TENSORS})`);
      const names = rows.map((r) => /<td class="name"[^>]*>([^<]*)<\/td>/.exec(r)?.[1]);
      assert.deepEqual(names, report.tensors.map((t) => t.name), 'rows in the risk order of inspect --json');

      const float32 = report.tensors.filter((t) => t.dtype === 'float32');
      const svgs = [...dom.matchAll(/<svg\b[^>]*\bclass="hist"[^>]*>[\s\S]*?<\/svg>/g)].map((m) => m[0]);
      assert.ok(svgs.length >= float32.length, `${svgs.length} svg.hist for ${float32.length} float32 tensors`);
      const patternIds = new Set();
      const missing = [];
      rows.forEach((row, i) => {
        const t = report.tensors[i];
        if (t.dtype !== 'float32') return;
        const svg = /<svg\b[^>]*\bclass="hist"[^>]*>[\s\S]*?<\/svg>/.exec(row)?.[0];
        const pattern = svg && /<pattern\b[^>]*\bid="([^"]+)"[^>]*>[\s\S]*?<line\b[\s\S]*?<\/pattern>/.exec(svg);
        const filled = pattern && new RegExp(`<rect\\b[^>]*fill="url\\(#${pattern[1]}\\)"`).test(svg);
        if (!svg || !pattern || !filled) missing.push(`${t.name}: ${!svg ? 'no svg.hist' : !pattern ? 'no <pattern> with a line' : 'the pattern fills no rect'}`);
        else patternIds.add(pattern[1]);
        if (svg && !/<path\b[^>]*\bd="M/.test(svg)) missing.push(`${t.name}: no histogram bars`);
      });
      assert.deepEqual(missing, [], 'every float32 tensor row has an svg.hist with the uint8 grid pattern and bars');
      assert.equal(patternIds.size, float32.length, 'pattern ids are unique');
    });

    test('screenshot (1600x2400) saved as tests/node/artifacts/inspect-posenet.png, > 20 KB', async () => {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.rmSync(SCREENSHOT, { force: true });
      await chromium(tmp, [`--screenshot=${SCREENSHOT}`, '--window-size=1600,2400', '--hide-scrollbars',
        pathToFileURL(htmlPath).href]);
      assert.ok(fs.existsSync(SCREENSHOT), `${SCREENSHOT} was not written`);
      const png = fs.readFileSync(SCREENSHOT);
      assert.ok(png.length > 20 * 1024, `${SCREENSHOT} holds ${png.length} bytes, expected > 20 KB`);
      assert.deepEqual(pngSize(png), { width: 1600, height: 2400 }, 'screenshot size');
    });

    describe('sorting by clicking a column header (playwright-core driving the system Chromium)', () => {
      let browser;
      let page;
      let pageErrors;
      before(async () => {
        let pw;
        try {
          ({ chromium: pw } = await import('playwright-core'));
        } catch (e) {
          throw new Error(`playwright-core (a pinned dev dependency) is not installed: run npm ci in tests/node (${e.message})`);
        }
        browser = await pw.launch({ executablePath: CHROMIUM, headless: true,
          args: CHROMIUM_FLAGS.filter((f) => f !== '--headless') });
      });
      after(async () => {
        await browser?.close();
      });

      async function openPage() {
        page = await browser.newPage();
        pageErrors = [];
        page.on('pageerror', (e) => pageErrors.push(e.message));
        // The page must not fetch anything: a request for anything but the page itself is an error.
        await page.route((url) => url.protocol !== 'file:', (route) => {
          pageErrors.push(`network request: ${route.request().url()}`);
          return route.abort();
        });
        await page.goto(pathToFileURL(htmlPath).href);
      }

      /** data-v of column `col` of every table#tensors body row, and the row names. */
      function column(col) {
        return page.$$eval('#tensors tbody tr', (trs, c) => trs.map((tr) => ({
          v: tr.cells[c]?.dataset.v, name: tr.cells[1]?.dataset.v,
        })), col);
      }

      function isSorted(values, dir) {
        const num = values.every((v) => v !== undefined && !Number.isNaN(parseFloat(v)));
        for (let i = 1; i < values.length; i++) {
          const d = num ? parseFloat(values[i]) - parseFloat(values[i - 1]) : String(values[i]).localeCompare(String(values[i - 1]));
          if (dir * d < 0) return `row ${i}: ${values[i - 1]} then ${values[i]}`;
        }
        return null;
      }

      test("'uint8 dB': first click sorts ascending, second descending; the order changes", async () => {
        await openPage();
        try {
          const headers = await page.$$eval('#tensors thead th', (ths) => ths.map((th) => th.textContent.trim()));
          const col = headers.indexOf('uint8 dB');
          assert.ok(col >= 0, `no 'uint8 dB' header in ${JSON.stringify(headers)}`);
          const initial = await column(col);
          assert.equal(initial.length, POSENET_TENSORS);
          await page.click(`#tensors thead th:nth-child(${col + 1})`);
          const asc = await column(col);
          assert.notDeepEqual(asc.map((r) => r.name), initial.map((r) => r.name), 'clicking changed the row order');
          assert.deepEqual([...asc.map((r) => r.name)].sort(), [...initial.map((r) => r.name)].sort(), 'same rows');
          assert.equal(isSorted(asc.map((r) => r.v), 1), null,
            `after one click the rows are sorted by 'uint8 dB' ascending; first data-v: ${asc.slice(0, 8).map((r) => r.v).join(', ')}`);
          await page.click(`#tensors thead th:nth-child(${col + 1})`);
          const desc = await column(col);
          assert.equal(isSorted(desc.map((r) => r.v), -1), null,
            `after two clicks the rows are sorted by 'uint8 dB' descending; first data-v: ${desc.slice(0, 8).map((r) => r.v).join(', ')}`);
          assert.deepEqual(pageErrors, [], 'no script error');
        } finally {
          await page.close();
        }
      });

      test('every table#tensors header sorts by its own column, without a script error', async () => {
        await openPage();
        try {
          const headers = await page.$$eval('#tensors thead th', (ths) => ths.map((th) => th.textContent.trim()));
          const problems = [];
          for (let col = 0; col < headers.length; col++) {
            const errorsBefore = pageErrors.length;
            await page.click(`#tensors thead th:nth-child(${col + 1})`);
            const values = (await column(col)).map((r) => r.v);
            const unsorted = isSorted(values, 1);
            if (unsorted) problems.push(`'${headers[col]}' (column ${col}): not sorted ascending after a click: ${unsorted}`);
            if (pageErrors.length > errorsBefore) problems.push(`'${headers[col]}' (column ${col}): ${pageErrors.slice(errorsBefore).join('; ')}`);
          }
          // The totals table has headers too: clicking them must not reorder the tensors.
          const before = (await column(1)).map((r) => r.v);
          await page.click('#totals thead th:nth-child(1)');
          const afterClick = (await column(1)).map((r) => r.v);
          if (JSON.stringify(before) !== JSON.stringify(afterClick)) problems.push("clicking table#totals' 'size' header reordered table#tensors");
          assert.deepEqual(problems, [], 'column sorting');
        } finally {
          await page.close();
        }
      });
    });
  });
}
