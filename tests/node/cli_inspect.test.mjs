// The `inspect` and `diff` subcommands of the real tfjs-quant binary, as a
// user runs them: the terminal table (totals, risk order, 20 rows by default,
// --all), exit codes and messages on bad input, the --json schema, diff of a
// model with its quantized copy and of two unrelated models, and no colour
// codes unless stdout is a terminal.
//
// Run: TFJS_QUANT_BIN=/path/to/tfjs-quant TFJS_QUANT_MODELS=/path/to/models node --test
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { findJson, makeTempDir, manifestOf, missing, readEnv, readJson, removeDir } from './helpers.mjs';

const env = readEnv();

const RISK_RANK = { high: 3, medium: 2, low: 1, '-': 0, none: 0 };
const ESC = '\x1b';

// Keys of every tensor in inspect --json, and the further keys of float32 tensors.
const COMMON_KEYS = ['name', 'dtype', 'shape', 'elements', 'stored_encoding', 'stored_bytes', 'quantizable', 'risk', 'reason'];
const FLOAT32_KEYS = ['min', 'max', 'mean', 'std', 'zero_share', 'nan_count', 'inf_count', 'channel_axis',
  'channel_axis_reason', 'channels', 'dead_channels', 'uint8', 'uint16', 'float16', 'uint8_levels_used',
  'worst_channel_range_share', 'worst_channel_levels', 'float16_overflow', 'float16_underflow', 'histogram', 'uint8_grid'];
const ESTIMATE_KEYS = ['sqnr_db', 'worst_channel_sqnr_db', 'worst_channel', 'max_abs_error'];

if (env.problem) {
  await missing('TFJS_QUANT_BIN, TFJS_QUANT_MODELS', env.problem);
} else {
  registerTests(env);
}

/** Runs the CLI and resolves {code, stdout, stderr} whatever the exit status. */
function run(bin, args, extraEnv = {}) {
  return new Promise((resolve) => {
    execFile(bin, args, { maxBuffer: 64 << 20, env: { ...process.env, ...extraEnv } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : err.signal) : 0, stdout, stderr });
    });
  });
}

async function runOk(bin, args, extraEnv) {
  const r = await run(bin, args, extraEnv);
  assert.equal(r.code, 0, `tfjs-quant ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r;
}

function grouped(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** inspect's terminal name column: names longer than 40 keep their last 39 characters after '…'. */
function clip(name, n) {
  return [...name].length <= n ? name : `…${[...name].slice(-(n - 1)).join('')}`;
}

/**
 * Parses the terminal table of inspect: rows after the header line that starts
 * with "risk", up to a blank line, the "... N more" line, or the end.
 */
function parseTable(stdout) {
  const lines = stdout.split('\n');
  const head = lines.findIndex((l) => /^\s+risk\s+name\s+shape\s+stored\s+bytes\b/.test(l));
  assert.ok(head >= 0, `no table header in:\n${stdout}`);
  const rows = [];
  let more = null;
  for (const line of lines.slice(head + 1)) {
    if (line.trim() === '') continue;
    const m = /^\s+\.\.\. (\d+) more \(--all shows every tensor\)$/.exec(line);
    if (m) {
      more = Number(m[1]);
      continue;
    }
    if (line.startsWith('wrote ')) continue;
    const cells = /^ {2}(\S+)\s+(.{40}) (\S+)\s+(\S+)\s+([\d,]+)\s/.exec(line);
    assert.ok(cells, `unexpected table line: ${JSON.stringify(line)}`);
    rows.push({ risk: cells[1], name: cells[2].trimEnd(), shape: cells[3], stored: cells[4], line });
  }
  return { rows, more, lines };
}

function checkRiskOrder(rows) {
  for (let i = 1; i < rows.length; i++) {
    assert.ok(RISK_RANK[rows[i - 1].risk] >= RISK_RANK[rows[i].risk],
      `risk order: row ${i - 1} (${rows[i - 1].risk} ${rows[i - 1].name}) before row ${i} (${rows[i].risk} ${rows[i].name})`);
  }
}

function registerTests({ bin, models }) {
  const posenet = path.join(models, 'posenet.json');
  const faceboxes = path.join(models, 'faceboxes.json');
  const antispoof = path.join(models, 'antispoof.json');
  const emotion = path.join(models, 'emotion.json');
  const age = path.join(models, 'age.json');

  let tmp;
  const reports = new Map();
  async function report(jsonPath) {
    if (!reports.has(jsonPath)) reports.set(jsonPath, JSON.parse((await runOk(bin, ['inspect', jsonPath, '--json'])).stdout));
    return reports.get(jsonPath);
  }
  before(async () => {
    tmp = await makeTempDir('cli-inspect');
  });
  after(() => removeDir(tmp));

  describe('inspect: terminal table', () => {
    test('posenet: header, totals == --json totals, risk counts, 20 risk-sorted rows and "... 42 more"', async () => {
      const r = await report(posenet);
      const { stdout, stderr } = await runOk(bin, ['inspect', posenet]);
      assert.equal(stderr, '', 'nothing on stderr');
      assert.ok(stdout.startsWith(`${posenet}: 62 weights (graph-model)\n`), `first line: ${stdout.split('\n')[0]}`);
      const labels = { stored: 'as stored', uint8: 'all uint8', uint16: 'all uint16', float16: 'all float16' };
      for (const [k, label] of Object.entries(labels)) {
        const t = r.totals[k];
        const re = new RegExp(`^ {2}${label}\\s+${grouped(t.bytes)}\\s+${grouped(t.gzip)}\\s+${grouped(t.brotli)}$`, 'm');
        assert.match(stdout, re, `totals row '${label}' shows bytes/gzip/brotli ${t.bytes}/${t.gzip}/${t.brotli}`);
        assert.ok(t.gzip > 0 && t.brotli > 0, `totals.${k}: compressed sizes`);
      }
      assert.equal(r.totals.uint8.bytes * 2, r.totals.uint16.bytes, 'posenet is all float32: uint16 bytes = 2 x uint8 bytes');
      const count = (risk) => r.tensors.filter((t) => t.risk === risk).length;
      assert.match(stdout, new RegExp(`risk: ${count('high')} high, ${count('medium')} medium, ${count('low')} low;`));

      const { rows, more } = parseTable(stdout);
      assert.equal(rows.length, 20, 'the default table shows 20 rows');
      assert.equal(more, 42, '"... 42 more (--all shows every tensor)"');
      checkRiskOrder(rows);
      assert.ok(RISK_RANK[rows[0].risk] >= Math.max(...r.tensors.map((t) => RISK_RANK[t.risk])),
        'the first row has the highest risk of the model');
      assert.deepEqual(rows.map((x) => x.name), r.tensors.slice(0, 20).map((t) => clip(t.name, 40)),
        'the 20 rows are the first 20 of --json (same risk order)');
      for (const row of rows) {
        const t = r.tensors.find((x) => clip(x.name, 40) === row.name);
        assert.equal(row.risk, t.risk, `${row.name}: risk`);
        assert.equal(row.shape, JSON.stringify(t.shape), `${row.name}: shape`);
        assert.ok(row.line.endsWith(t.reason), `${row.name}: the row ends with the reason "${t.reason}"`);
      }
    });

    test('posenet --all: every tensor, risk-sorted, no "more" line', async () => {
      const r = await report(posenet);
      const { stdout } = await runOk(bin, ['inspect', posenet, '--all']);
      const { rows, more } = parseTable(stdout);
      assert.equal(more, null, 'no "... N more" line with --all');
      assert.equal(rows.length, 62, 'one row per tensor');
      assert.deepEqual(rows.map((x) => x.name), r.tensors.map((t) => clip(t.name, 40)));
      checkRiskOrder(rows);
    });

    test('faceboxes --all: 350 rows incl. int32 and the Inf weight, long names clipped to 40 columns', async () => {
      const r = await report(faceboxes);
      const { stdout } = await runOk(bin, ['inspect', faceboxes, '--all']);
      const { rows, more } = parseTable(stdout);
      assert.equal(more, null);
      assert.equal(rows.length, r.tensors.length);
      assert.equal(rows.length, 350);
      assert.deepEqual(rows.map((x) => x.name), r.tensors.map((t) => clip(t.name, 40)));
      checkRiskOrder(rows);
      const inf = r.tensors.find((t) => t.inf_count > 0);
      assert.ok(inf, 'faceboxes has a weight holding Inf');
      const infRow = rows.find((x) => x.name === clip(inf.name, 40));
      assert.match(infRow.line, /holds 0 NaN and 1 Inf: will stay as stored$/);
      assert.match(infRow.line, /\s-\s+-\s+-\s+-\s+-\s+holds/, 'no dB figures for a tensor that stays as stored');
      const int32 = rows.filter((x) => x.stored === 'int32');
      assert.equal(int32.length, r.tensors.filter((t) => t.dtype === 'int32').length);
      for (const row of int32) assert.ok(row.line.endsWith('not float32: never quantized'), row.line);
    });

    test('a model with fewer than 20 weights (antispoof, 11): every row, no "more" line', async () => {
      const r = await report(antispoof);
      const { stdout } = await runOk(bin, ['inspect', antispoof]);
      const { rows, more } = parseTable(stdout);
      assert.equal(r.tensors.length, 11);
      assert.equal(rows.length, 11);
      assert.equal(more, null);
      checkRiskOrder(rows);
    });

    test('no colour codes when stdout is not a terminal (even with TERM=xterm-256color)', async () => {
      for (const args of [['inspect', posenet], ['inspect', posenet, '--all'], ['inspect', posenet, '--json']]) {
        const { stdout, stderr } = await runOk(bin, args, { TERM: 'xterm-256color', NO_COLOR: '' });
        assert.ok(!stdout.includes(ESC), `tfjs-quant ${args.join(' ')}: stdout holds an escape code`);
        assert.ok(!stderr.includes(ESC), `tfjs-quant ${args.join(' ')}: stderr holds an escape code`);
      }
      const d = await runOk(bin, ['diff', emotion, emotion], { TERM: 'xterm-256color' });
      assert.ok(!d.stdout.includes(ESC), 'diff: stdout holds an escape code');
    });

    test('on a terminal (script(1) pty): high rows red, medium yellow; none with NO_COLOR', async (t) => {
      let hasScript = true;
      try {
        execFileSync('script', ['--version'], { stdio: 'ignore' });
      } catch {
        hasScript = false;
      }
      if (!hasScript) {
        t.skip('script(1) from util-linux is not installed: no pty to test colours');
        return;
      }
      const env1 = { ...process.env, TERM: 'xterm-256color' };
      delete env1.NO_COLOR;
      const cmd = `'${bin}' inspect '${posenet}'`;
      const colored = execFileSync('script', ['-qec', cmd, '/dev/null'], { env: env1, encoding: 'utf8' });
      assert.match(colored, /\x1b\[31m {2}high /, 'high-risk rows are red on a terminal');
      assert.match(colored, /\x1b\[33m {2}medium /, 'medium-risk rows are yellow on a terminal');
      const plain = execFileSync('script', ['-qec', cmd, '/dev/null'], { env: { ...env1, NO_COLOR: '1' }, encoding: 'utf8' });
      assert.ok(!plain.includes(ESC), 'NO_COLOR turns colours off on a terminal');
    });
  });

  describe('inspect: bad input exits 3 with the error on stderr', () => {
    const cases = [
      ['invalid JSON', (dir) => {
        fs.writeFileSync(path.join(dir, 'model.json'), '{"modelTopology": {}, "weightsManifest": [');
        return path.join(dir, 'model.json');
      }, /^tfjs-quant: error: .*model\.json: invalid JSON at line 1, column \d+/],
      ['missing shard', (dir) => {
        fs.copyFileSync(emotion, path.join(dir, 'emotion.json'));
        return path.join(dir, 'emotion.json');
      }, /^tfjs-quant: error: .*emotion\.json: .*shard 'emotion\.bin' cannot be read/],
      ['short shard', (dir) => {
        fs.copyFileSync(emotion, path.join(dir, 'emotion.json'));
        fs.writeFileSync(path.join(dir, 'emotion.bin'), fs.readFileSync(path.join(models, 'emotion.bin')).subarray(0, 1000));
        return path.join(dir, 'emotion.json');
      }, /^tfjs-quant: error: .*emotion\.json: .*hold 1000 bytes but weight .* needs bytes/],
      ['no such file', (dir) => path.join(dir, 'nothing-here.json'), /^tfjs-quant: error: .*nothing-here\.json: no such file or folder/],
    ];
    for (const [what, make, message] of cases) {
      test(what, async () => {
        const dir = fs.mkdtempSync(path.join(tmp, 'bad-'));
        const model = make(dir);
        for (const extra of [[], ['--json'], ['--all']]) {
          const r = await run(bin, ['inspect', model, ...extra]);
          assert.equal(r.code, 3, `inspect ${extra.join(' ')} on a model with ${what}: exit code (stderr: ${r.stderr})`);
          assert.match(r.stderr, message, `inspect ${extra.join(' ')}: error message`);
          assert.equal(r.stdout, '', 'nothing on stdout');
        }
        const html = path.join(dir, 'report.html');
        const r = await run(bin, ['inspect', model, '--html', html]);
        assert.equal(r.code, 3);
        assert.ok(!fs.existsSync(html), '--html writes no page when the model cannot be read');
        assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('tfjs-quant-tmp')), [], 'no temporary file left');
      });
    }
  });

  describe('inspect --json: documented keys', () => {
    for (const [label, model] of [['posenet', posenet], ['faceboxes (float16, int32, an Inf weight)', faceboxes]]) {
      test(label, async () => {
        const r = await report(model);
        assert.deepEqual(Object.keys(r), ['model', 'format', 'totals', 'tensors']);
        assert.equal(r.model, model);
        assert.equal(r.format, 'graph-model');
        assert.deepEqual(Object.keys(r.totals), ['stored', 'uint8', 'uint16', 'float16']);
        for (const [k, v] of Object.entries(r.totals)) {
          assert.deepEqual(Object.keys(v), ['bytes', 'gzip', 'brotli'], `totals.${k}`);
          for (const n of Object.values(v)) assert.ok(Number.isInteger(n) && n > 0, `totals.${k}: ${JSON.stringify(v)}`);
        }
        const manifestNames = manifestOf(readJson(model)).flatMap((g) => g.weights).map((w) => w.name);
        assert.deepEqual(r.tensors.map((t) => t.name).sort(), [...manifestNames].sort(), 'one entry per weight');
        const problems = [];
        for (const t of r.tensors) {
          const want = t.dtype === 'float32' ? [...COMMON_KEYS, ...FLOAT32_KEYS] : COMMON_KEYS;
          const missing = want.filter((k) => !(k in t));
          const extra = Object.keys(t).filter((k) => !want.includes(k));
          if (missing.length || extra.length) problems.push(`${t.name} (${t.dtype}): missing ${missing}, extra ${extra}`);
          if (!['high', 'medium', 'low', 'none'].includes(t.risk)) problems.push(`${t.name}: risk ${t.risk}`);
          if (typeof t.reason !== 'string' || t.reason === '') problems.push(`${t.name}: empty reason`);
          if (t.elements !== t.shape.reduce((a, b) => a * b, 1)) problems.push(`${t.name}: elements`);
          if (t.quantizable !== (t.dtype === 'float32')) problems.push(`${t.name}: quantizable ${t.quantizable}`);
          if (t.dtype !== 'float32') continue;
          for (const enc of ['uint8', 'uint16', 'float16']) {
            const e = t[enc];
            if (!e || JSON.stringify(Object.keys(e)) !== JSON.stringify(ESTIMATE_KEYS)) {
              problems.push(`${t.name}.${enc}: keys ${e && Object.keys(e)}`);
              continue;
            }
            for (const k of ['sqnr_db', 'worst_channel_sqnr_db']) {
              if (e[k] !== null && typeof e[k] !== 'number') problems.push(`${t.name}.${enc}.${k}: ${e[k]}`);
            }
            if (!Number.isInteger(e.worst_channel) || e.worst_channel < -1) problems.push(`${t.name}.${enc}.worst_channel`);
            if (t.channel_axis >= 0 && t.dead_channels < t.channels && e.worst_channel >= t.channels) problems.push(`${t.name}.${enc}.worst_channel out of range`);
          }
          if (t.channel_axis >= 0 && t.channels !== t.shape[t.channel_axis]) problems.push(`${t.name}: channels ${t.channels} vs shape`);
          if (t.channel_axis < 0 && t.channels !== 0) problems.push(`${t.name}: channels ${t.channels} without an axis`);
          if (!(t.uint8_levels_used >= 0 && t.uint8_levels_used <= 256)) problems.push(`${t.name}: uint8_levels_used`);
          if (t.nan_count === 0 && t.inf_count === 0 && t.elements > 0 && !(t.min <= t.mean && t.mean <= t.max)) problems.push(`${t.name}: min/mean/max`);
        }
        assert.deepEqual(problems, [], 'per-tensor keys and values');
        for (let i = 1; i < r.tensors.length; i++) {
          assert.ok(RISK_RANK[r.tensors[i - 1].risk] >= RISK_RANK[r.tensors[i].risk], `--json risk order at ${i}`);
        }
      });
    }
  });

  describe('diff', () => {
    test('a model and its uint8 copy: exit 0, every tensor listed with A/B encodings, SQNR == inspect prediction', async () => {
      const r = await report(faceboxes);
      const q = path.join(tmp, 'faceboxes-uint8');
      await runOk(bin, ['quantize', faceboxes, q, '--quantize_uint8']);
      const d = await run(bin, ['diff', faceboxes, q]);
      assert.equal(d.code, 0, `diff exited ${d.code}: ${d.stderr}`);
      assert.equal(d.stderr, '');
      const lines = d.stdout.split('\n');
      assert.equal(lines[0], `A: ${faceboxes}`);
      assert.equal(lines[1], `B: ${findJson(q)}`);
      assert.match(lines[3], /^\s+name\s+A\s+B\s+max abs err\s+RMSE\s+SQNR dB\s+cosine$/);
      const rows = new Map();
      for (const line of lines.slice(4)) {
        const m = /^ {2}(.{44}) (\S+)\s+(\S+)\s+(\S+)(?:\s+(\S+)\s+(\S+)\s+(\S+))?$/.exec(line);
        if (m) rows.set(m[1].trimEnd(), { a: m[2], b: m[3], maxabs: m[4], rmse: m[5], sqnr: m[6], cosine: m[7], line });
      }
      assert.equal(rows.size, 350, 'one row per tensor');
      const problems = [];
      let differ = 0;
      for (const t of r.tensors) {
        const row = rows.get(clip(t.name, 44));
        if (!row) {
          problems.push(`${t.name}: not listed`);
          continue;
        }
        const kept = t.dtype !== 'float32' || t.inf_count > 0 || t.nan_count > 0;
        const wantB = kept ? t.stored_encoding : 'uint8';
        if (row.a !== t.stored_encoding || row.b !== wantB) problems.push(`${t.name}: A ${row.a} B ${row.b}, expected ${t.stored_encoding} ${wantB}`);
        const predicted = kept ? null : t.uint8.sqnr_db;
        if (predicted === null) {
          if (row.sqnr !== 'exact') problems.push(`${t.name}: SQNR ${row.sqnr}, expected exact`);
        } else {
          differ++;
          if (!(Math.abs(Number(row.sqnr) - predicted) <= 0.051)) problems.push(`${t.name}: diff SQNR ${row.sqnr} vs inspect ${predicted}`);
          const cos = Number(row.cosine);
          if (!(cos > 0.99 && cos <= 1.00000001)) problems.push(`${t.name}: cosine ${row.cosine}`);
          // diff prints 4 significant digits.
          if (!(Math.abs(Number(row.maxabs) - t.uint8.max_abs_error) <= 5e-4 * t.uint8.max_abs_error + 1e-12)) problems.push(`${t.name}: max abs err ${row.maxabs} vs inspect ${t.uint8.max_abs_error}`);
        }
      }
      assert.deepEqual(problems, [], 'diff rows agree with inspect --json');
      assert.match(d.stdout, new RegExp(`\\n350 tensors compared, ${differ} differ; lowest SQNR [\\d.]+ dB in \\S+\\n$`));
    });

    test('two different models (emotion, age): exit 6, stderr counts the differences and lists the first 20', async () => {
      const names = (m) => manifestOf(readJson(m)).flatMap((g) => g.weights);
      const a = names(emotion);
      const b = names(age);
      const bByName = new Map(b.map((w) => [w.name, w]));
      const aNames = new Set(a.map((w) => w.name));
      const expected = [];
      for (const w of a) {
        const o = bByName.get(w.name);
        if (!o) expected.push(`only in A: '${w.name}'`);
        else if (JSON.stringify(o.shape) !== JSON.stringify(w.shape)) expected.push(`shape differs: '${w.name}' ${JSON.stringify(w.shape)} vs ${JSON.stringify(o.shape)}`);
        else if (o.dtype !== w.dtype) expected.push(`dtype differs: '${w.name}' ${w.dtype} vs ${o.dtype}`);
      }
      for (const w of b) if (!aNames.has(w.name)) expected.push(`only in B: '${w.name}'`);
      const d = await run(bin, ['diff', emotion, age]);
      assert.equal(d.code, 6, `exit code (stderr: ${d.stderr.slice(0, 300)})`);
      assert.equal(d.stdout, '', 'no table on stdout');
      const lines = d.stderr.trimEnd().split('\n');
      assert.equal(lines[0], `tfjs-quant: error: the models do not hold the same weights (${expected.length} differences):`);
      // A bounded message: the first 20, then how many more.
      assert.ok(expected.length > 20, 'the case has more differences than are listed');
      assert.deepEqual(lines.slice(1).map((l) => l.replace(/^ {2}/, '')), [...expected.slice(0, 20), `and ${expected.length - 20} more`]);
      assert.ok(expected.some((l) => l.startsWith('only in A: ')), 'the case has names only in A');
    });

    test('same names, one shape reversed (same size): exit 6, "shape differs"', async () => {
      const dir = fs.mkdtempSync(path.join(tmp, 'shape-'));
      const model = readJson(emotion);
      for (const g of model.weightsManifest) for (const p of g.paths) fs.copyFileSync(path.join(models, p), path.join(dir, p));
      const w = model.weightsManifest.flatMap((g) => g.weights)
        .find((x) => JSON.stringify(x.shape) !== JSON.stringify([...x.shape].reverse()));
      assert.ok(w, 'emotion has a weight whose shape is not a palindrome');
      const before = JSON.stringify(w.shape);
      w.shape = [...w.shape].reverse();
      fs.writeFileSync(path.join(dir, 'emotion.json'), JSON.stringify(model));
      const d = await run(bin, ['diff', emotion, path.join(dir, 'emotion.json')]);
      assert.equal(d.code, 6, d.stderr);
      const lines = d.stderr.trimEnd().split('\n');
      assert.match(lines[0], /^tfjs-quant: error: the models do not hold the same weights \(1 differences?\):$/);
      assert.deepEqual(lines.slice(1), [`  shape differs: '${w.name}' ${before} vs ${JSON.stringify(w.shape)}`]);
      assert.equal(d.stdout, '');
    });

    test('a model with itself: exit 0, 0 differ, every SQNR exact', async () => {
      const d = await runOk(bin, ['diff', emotion, emotion]);
      const n = manifestOf(readJson(emotion)).flatMap((g) => g.weights).length;
      assert.match(d.stdout, new RegExp(`\\n${n} tensors compared, 0 differ\\n$`));
      const rows = d.stdout.split('\n').filter((l) => /^ {2}\S/.test(l) && !/^\s+name\s/.test(l));
      assert.equal(rows.length, n);
      for (const row of rows) assert.match(row, /\s0\s+0\s+exact\s+1\.00000000$/, row);
    });
  });
}
