// `tfjs-quant pack` on hostile names, patterns and paths, through the
// native tool and through `npx tfjs-quant` (the same C++ as WebAssembly),
// which must agree on the exit code, the message and every byte written:
// - --rename runs RE2 (linear time) on names from files: patterns that made
//   std::regex run for minutes or die of SIGSEGV finish, and a rename that
//   grows a name past 4,096 bytes is refused at that rename;
// - --name is checked by the rule the reader applies to shard paths, before
//   anything is written; --name '' is refused;
// - a tensor named '' is an error naming the input (no longer dropped by the
//   default --exclude);
// - a FIFO or a device as an input or as --model-json is refused at once
//   (npx used to block in open(2) and ignore SIGTERM);
// - a limit is named in its message; a dimension above 2^53 names the input;
// - a thousand .npy inputs pack under a soft limit of 1,024 descriptors.
//
// Run: TFJS_QUANT_BIN=/path/to/tfjs-quant node --test pack_hostile.test.mjs
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { NPX_CLI, makeTempDir, readEnv, readJson, removeDir, runSuite } from './helpers.mjs';

const env = readEnv({ needModels: false });
const NPX_BUILT = fs.existsSync(path.join(path.dirname(NPX_CLI), '..', 'dist', 'tfjs_quant_cli.wasm'));
const PYTHON = process.env.TFJS_QUANT_PYTHON || '/usr/bin/python3';

await runSuite(env, (e) => {
  describe('pack on hostile input', () => registerTests(e));
});

/**
 * Runs a command with a deadline; resolves {code, signal, stdout, stderr, ms}.
 * Past the deadline the process is killed with SIGKILL (a process blocked in
 * open(2) ignores SIGTERM) and `timedOut` is set.
 */
function run(file, args, { cwd, timeoutMs = 60000 } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: Date.now() - t0 });
    });
  });
}

/** A safetensors file holding one float32 [2] tensor per name. */
function writeSafetensors(file, names) {
  const header = {};
  names.forEach((n, i) => { header[n] = { dtype: 'F32', shape: [2], data_offsets: [8 * i, 8 * i + 8] }; });
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const data = Buffer.alloc(8 * names.length);
  for (let i = 0; i < 2 * names.length; i++) data.writeFloatLE(i + 0.5, 4 * i);
  fs.writeFileSync(file, Buffer.concat([len, json, data]));
}

/** A version 1 .npy of little-endian float32 with `shape` (as numpy writes its header) and `count` elements. */
function writeNpy(file, shape, count = shape.reduce((a, b) => a * b, 1)) {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.alloc(4 * count)]));
}

function registerTests({ bin }) {
  let dir;
  let n = 0;
  const fresh = () => path.join(dir, `out-${++n}`);

  before(async () => {
    dir = await makeTempDir('pack-hostile');
    writeSafetensors(path.join(dir, 'a40.safetensors'), [`${'a'.repeat(40)}!`]);
    writeSafetensors(path.join(dir, 'a4095.safetensors'), [`${'a'.repeat(4095)}!`, `${'a'.repeat(4000)}!`]);
    writeSafetensors(path.join(dir, 'a4001.safetensors'), ['a'.repeat(4001)]);
    writeSafetensors(path.join(dir, 'n1500.safetensors'), ['n'.repeat(1500)]);
    writeSafetensors(path.join(dir, 'names.safetensors'), ['conv1.weight', 'conv1.bias', 'café.é']);
    writeSafetensors(path.join(dir, 'empty_and_w.safetensors'), ['', 'w']);
    writeSafetensors(path.join(dir, 'empty.safetensors'), ['']);
    writeNpy(path.join(dir, 'rank4.npy'), [1, 1, 1, 2]);
    writeNpy(path.join(dir, 'huge_dim.npy'), [0, 2 ** 60], 0);
    spawnSync('mkfifo', [path.join(dir, 'fifo.safetensors')]);
    spawnSync('mkfifo', [path.join(dir, 'model.json')]);
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.npy'));
  });
  after(() => removeDir(dir));

  // Each case runs through the native tool and, when js/dist is built,
  // through npx; both must say the same and write the same bytes.
  const tools = [['native', () => [bin, []]]];
  if (NPX_BUILT) tools.push(['npx', () => [process.execPath, [NPX_CLI]]]);

  async function pack(tool, args, opts) {
    const [file, pre] = tool();
    const out = fresh();
    const r = await run(file, [...pre, 'pack', ...args.map((a) => (a === 'OUT' ? out : a))], { cwd: dir, ...opts });
    r.stderr = r.stderr.replaceAll(out, 'OUT');
    r.stdout = r.stdout.replaceAll(out, 'OUT');
    return { ...r, out };
  }

  function names(out) {
    return readJson(path.join(out, 'weights_manifest.json')).flatMap((g) => g.weights.map((w) => w.name));
  }

  /** Runs `args` through every tool; asserts they agree; resolves the native run. */
  async function packAll(args, opts) {
    const runs = [];
    for (const [label, tool] of tools) runs.push([label, await pack(tool, args, opts)]);
    const [, first] = runs[0];
    for (const [label, r] of runs) {
      assert.ok(!r.timedOut, `${label} pack ${args.join(' ').slice(0, 200)}: still running after ${r.ms} ms`);
      assert.equal(r.code, first.code, `${label}: exit ${r.code}, native ${first.code}\n${r.stderr}`);
      assert.equal(r.stderr, first.stderr, `${label}: stderr`);
      if (r.code === 0) assert.deepEqual(names(r.out), names(first.out), `${label}: names`);
    }
    return first;
  }

  function refused(r, code, message) {
    assert.equal(r.code, code, `exit ${r.code} (expected ${code}):\n${r.stderr}`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one error line:\n${r.stderr}`);
    assert.match(lines[0], message);
    assert.ok(!fs.existsSync(r.out), 'OUT was not created');
  }

  describe('--rename: RE2, linear in the name', () => {
    test('(a+)+$ on 40 and 4,096-byte names, (a|aa)*$, nested groups on 4,001 bytes: done, as JavaScript would rename', async () => {
      let r = await packAll(['a40.safetensors', 'OUT', '--rename', '(a+)+$=>x']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(names(r.out), [`${'a'.repeat(40)}!`]);
      r = await packAll(['a4095.safetensors', 'OUT', '--rename', '(a+)+$=>x', '--rename', '(a|aa)*b=>y']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(names(r.out), [`${'a'.repeat(4095)}!`, `${'a'.repeat(4000)}!`]);
      r = await packAll(['a4095.safetensors', 'OUT', '--include', `${'a'.repeat(4000)}!`, '--rename', '(a|aa)*$=>x']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(names(r.out), [`${'a'.repeat(4000)}!x`]);
      r = await packAll(['a4001.safetensors', 'OUT', '--rename', '(((((((((a)))))))))*=>x']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(names(r.out), ['xx']);
    });

    test('renames replace as String.prototype.replace with the g flag does', async () => {
      const specs = [['\\.(weight|bias)$', '/$1'], ['^conv(\\d)', 'c$1_$&'], ['é', 'e'], ['x*', '-']];
      const r = await packAll(['names.safetensors', 'OUT', ...specs.flatMap(([p, s]) => ['--rename', `${p}=>${s}`])]);
      assert.equal(r.code, 0, r.stderr);
      const js = (name) => specs.reduce((n, [p, s]) => n.replace(new RegExp(p, 'g'), s), name);
      assert.deepEqual(names(r.out), ['conv1.weight', 'conv1.bias', 'café.é'].map(js));
    });

    test('two renames doubling a 1,500-byte name: refused at the second, exit 2, nothing written', async () => {
      const r = await packAll(['n1500.safetensors', 'OUT', '--rename', '^(.*)$=>$1$1', '--rename', '^(.*)$=>$1$1']);
      refused(r, 2, /^tfjs-quant: error: 'n{100,}.*\(1500 bytes\)' from \.\/n1500\.safetensors: rename '\^\(\.\*\)\$=>\$1\$1' makes the name 'n{100,}.*\(3000 bytes\)' longer than 4096 bytes$/);
    });

    test('a pattern matching a name at every byte, searching far ahead each time: exit 2 at once; a huge program too', async () => {
      // '.*c|a' on 'aaa...': every 'a' a match, each search trying '.*c' to
      // the end: n searches of n bytes. More than 256 matches are refused.
      const names = Array.from({ length: 400 }, (_, i) => `${'a'.repeat(4090)}${String(i).padStart(6, '0')}`);
      writeSafetensors(path.join(dir, 'far.safetensors'), names);
      const r = await packAll(['far.safetensors', 'OUT', '--rename', '.*c|a=>b'], { timeoutMs: 60000 });
      refused(r, 2, /rename '\.\*c\|a=>b' matches 'a{100,}.*' more than 256 times; anchor it \(\^\.\.\.\$\) or make it match less$/);
      // A pattern whose program is far larger than a rename needs: refused before any name is read.
      const big = await packAll(['names.safetensors', 'OUT', '--rename', '(?:\\pL*(?:\\pL|\\pN){150}x)|a=>y']);
      refused(big, 2, /compiles to \d+ instructions; a rename may take 10000/);
    });

    test('a backreference or lookaround: exit 2 with RE2\'s reason and where the syntax is', async () => {
      for (const spec of ['(a)\\1=>x', 'a(?=b)=>x']) {
        const r = await packAll(['names.safetensors', 'OUT', '--rename', spec]);
        refused(r, 2, /not a valid regular expression \(.+; syntax: docs\/pack\.md\)$/);
      }
    });
  });

  describe('--name: the reader\'s rule for shard paths, checked before anything is written', () => {
    for (const name of ['face?v=2', 'a#b', 'c:d', 'new\nline', 'esc\x1b[31m', '', 'n'.repeat(240)]) {
      test(`--name ${JSON.stringify(name.slice(0, 20))}${name.length > 20 ? `... (${name.length} bytes)` : ''}: exit 2, nothing written`, async () => {
        const r = await packAll(['names.safetensors', 'OUT', '--name', name]);
        refused(r, 2, /^tfjs-quant: error: --name: /);
        assert.doesNotMatch(r.stderr.trimEnd(), /[\x00-\x08\x0b-\x1f\x7f]/, 'no control character echoed');
      });
    }

    test('a plain --name writes NAME-weights_manifest.json and NAME-shard1, read back by inspect', async () => {
      const [label, tool] = tools[0];
      const r = await pack(tool, ['names.safetensors', 'OUT', '--name', 'ported-v2.1']);
      assert.equal(r.code, 0, `${label}: ${r.stderr}`);
      assert.deepEqual(fs.readdirSync(r.out).sort(), ['ported-v2.1-shard1', 'ported-v2.1-weights_manifest.json']);
      const inspect = await run(bin, ['inspect', path.join(r.out, 'ported-v2.1-weights_manifest.json'), '--json']);
      assert.equal(inspect.code, 0, inspect.stderr);
    });
  });

  describe('a tensor without a name is an error naming the input', () => {
    test("safetensors with '' and 'w', and with '' alone: exit 3", async () => {
      for (const file of ['empty_and_w.safetensors', 'empty.safetensors']) {
        const r = await packAll([file, 'OUT']);
        refused(r, 3, new RegExp(`^tfjs-quant: error: \\./${file.replace('.', '\\.')}: a tensor has an empty name$`));
      }
    });

    test("npz with members '.npy' and 'w.npy' (numpy's savez(**{'': a, 'w': a})): exit 3", async () => {
      const made = spawnSync(PYTHON, ['-c', "import numpy as np; a = np.ones(2, 'f4'); np.savez('empty.npz', **{'': a, 'w': a})"],
                             { cwd: dir, encoding: 'utf8' });
      assert.equal(made.status, 0, `numpy could not write empty.npz: ${made.stderr}`);
      const r = await packAll(['empty.npz', 'OUT']);
      refused(r, 3, /^tfjs-quant: error: .*empty\.npz.*'\.npy'.*: a tensor has an empty name$/);
    });

    test('--include leaving the nameless tensor out packs the rest', async () => {
      const r = await packAll(['empty_and_w.safetensors', 'OUT', '--include', 'w']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(names(r.out), ['w']);
    });
  });

  describe('FIFOs and devices are refused at once, never opened', () => {
    test('a FIFO input and a link to /dev/zero: exit 3 saying what they are', async () => {
      let r = await packAll(['fifo.safetensors', 'OUT'], { timeoutMs: 20000 });
      refused(r, 3, /^tfjs-quant: error: fifo\.safetensors is a FIFO, not a regular file$/);
      r = await packAll(['zero.npy', 'OUT'], { timeoutMs: 20000 });
      refused(r, 3, /^tfjs-quant: error: zero\.npy is a character device, not a regular file$/);
    });

    test('--model-json naming a FIFO: exit 3 within seconds (npx used to hang, deaf to SIGTERM)', async () => {
      const r = await packAll(['names.safetensors', 'OUT', '--model-json', 'model.json'], { timeoutMs: 20000 });
      refused(r, 3, /^tfjs-quant: error: .*model\.json is a FIFO, not a regular file$/);
    });
  });

  describe('limits and dimensions name what the user can act on', () => {
    test('a rank over --limit rank=2 names the limit to raise', async () => {
      const r = await packAll(['rank4.npy', 'OUT', '--limit', 'rank=2']);
      refused(r, 9, /rank4\.npy: the shape has more than 2 dimensions, more than the limit rank \(2\) allows; to allow it, pass --limit rank=N \(docs\/safety\.md\)$/);
    });

    test('a dimension of 2^60 (in an empty array) names the input file', async () => {
      const r = await packAll(['huge_dim.npy', 'OUT']);
      refused(r, 3, /^tfjs-quant: error: .*huge_dim\.npy.*dimension \d{19} is larger than 2\^53/);
      assert.doesNotMatch(r.stderr, /weights_manifest\.json/);
    });
  });

  test('1,100 .npy inputs pack under a soft limit of 1,024 descriptors, and under a hard limit of 1,500', async () => {
    const many = path.join(dir, 'many');
    fs.mkdirSync(many);
    const files = [];
    for (let i = 0; i < 1100; i++) {
      const f = `t${String(i).padStart(4, '0')}.npy`;
      writeNpy(path.join(many, f), [2]);
      files.push(f);
    }
    // 1024:8192: pack raises its soft limit (Node does for npx). 1500:1500:
    // no raise is possible; one descriptor per file and one for their
    // folder fit, two per file (the folder opened per input) did not.
    for (const limit of ['1024:8192', '1500:1500']) {
      for (const [label, tool] of tools) {
        const [file, pre] = tool();
        const out = fresh();
        const r = await run('prlimit', [`--nofile=${limit}`, file, ...pre, 'pack', ...files, out], { cwd: many });
        assert.equal(r.code, 0, `${label} under ${limit}: ${r.stderr.slice(0, 500)}`);
        assert.equal(names(out).length, 1100);
      }
    }
  });
}
