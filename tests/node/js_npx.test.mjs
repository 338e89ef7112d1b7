// The npx CLI (js/bin/tfjs-quant.js, the tool's C++ as WebAssembly in a
// worker thread) on what only a process can show: a signal in the middle
// of a write leaves nothing behind and ends the process by that signal;
// what a killed run left beside OUT is removed by the next run; a large
// model's run prints what the native one prints (no progress bar when
// stderr is not a terminal); a FIFO shard is refused, not waited on; a
// slow reader of stdout gets every byte; a full disk under stdout is an
// error in both builds. Needs js/dist/ (cd js && npm run build).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { NPX_CLI as NPX, execCapture as exec, makeTempDir, readEnv, removeDir, runSuite } from './helpers.mjs';

const run = (cmd, cwd) => exec('bash', ['-c', cmd], cwd);

/** A float32 graph-less model of `tensors` x 16 MiB in 4 MiB shards: above the 64 MiB progress-bar threshold. */
function writeBigModel(dir, tensors) {
  fs.mkdirSync(dir);
  const groups = [];
  const values = new Float32Array(4 << 20);
  for (let t = 0; t < tensors; ++t) {
    for (let i = 0; i < values.length; ++i) values[i] = Math.sin(i * 0.001 + t);
    const paths = [];
    for (let s = 0; s < 4; ++s) {
      const name = `t${t}-shard${s}.bin`;
      fs.writeFileSync(path.join(dir, name), values.subarray(s << 20, (s + 1) << 20));
      paths.push(name);
    }
    groups.push({ paths, weights: [{ name: `t${t}`, shape: [2048, 2048], dtype: 'float32' }] });
  }
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ format: 'graph-model', weightsManifest: groups }));
}

/** Every path under `dir`, relative. */
function tree(dir) {
  return fs.readdirSync(dir, { recursive: true }).sort();
}

await runSuite(readEnv(), ({ bin, models }) => {
  test('npx: SIGTERM or SIGINT mid-write leaves nothing and ends the process by the signal', async () => {
    const tmp = await makeTempDir('js-npx-signal');
    try {
      writeBigModel(path.join(tmp, 'model'), 6);
      for (const signal of ['SIGTERM', 'SIGINT']) {
        const work = path.join(tmp, `work-${signal}`);
        fs.mkdirSync(work);
        const child = spawn(process.execPath, [NPX, 'quantize', '--quantize_uint8', path.join(tmp, 'model'),
                                               'made/for/OUT'], { cwd: work, stdio: 'ignore' });
        const ended = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
        // Once the temporary folder beside OUT holds a shard, the write is under way.
        const parent = path.join(work, 'made', 'for');
        let writing = false;
        for (let i = 0; i < 2000 && !writing; ++i) {
          const temp = fs.existsSync(parent) ? fs.readdirSync(parent).find((f) => f.startsWith('.OUT.tfjs-quant-')) : null;
          writing = Boolean(temp) && fs.readdirSync(path.join(parent, temp)).length > 0;
          if (!writing) await new Promise((r) => setTimeout(r, 5));
        }
        assert.ok(writing, 'a shard was written before the signal');
        child.kill(signal);
        const { code, sig } = await ended;
        assert.deepEqual({ code, sig }, { code: null, sig: signal }, `ended by ${signal}`);
        assert.deepEqual(tree(work), [], `nothing left after ${signal}`);
      }
    } finally {
      await removeDir(tmp);
    }
  });

  test('npx: a dead run\'s leftovers beside OUT are removed, a live one\'s kept; a large model prints what the native tool prints',
       async () => {
    const tmp = await makeTempDir('js-npx-leftover');
    try {
      writeBigModel(path.join(tmp, 'model'), 5);
      const model = path.join(tmp, 'model');
      const runs = {};
      for (const [label, file, args] of [['native', bin, []], ['npx', process.execPath, [NPX]]]) {
        const work = path.join(tmp, label);
        fs.mkdirSync(work);
        // As a SIGKILLed run leaves it: a PID that no longer exists.
        const dead = path.join(work, '.OUT.tfjs-quant-999999999-0');
        fs.mkdirSync(dead);
        fs.writeFileSync(path.join(dead, 'model.json'), '{}');
        // A run still going (this test's own process) keeps its folder.
        fs.mkdirSync(path.join(work, `.OUT.tfjs-quant-${process.pid}-0`));
        runs[label] = await exec(file, [...args, 'quantize', '--quantize_float16', model, 'OUT'], work);
        assert.equal(runs[label].code, 0, runs[label].stderr);
        assert.deepEqual(fs.readdirSync(work).sort(), [`.OUT.tfjs-quant-${process.pid}-0`, 'OUT'],
                         `${label}: the dead run's leftover is gone, the live one's kept`);
      }
      assert.deepEqual(runs.npx, runs.native);
      for (const f of fs.readdirSync(path.join(tmp, 'native', 'OUT'))) {
        assert.ok(fs.readFileSync(path.join(tmp, 'npx', 'OUT', f)).equals(fs.readFileSync(path.join(tmp, 'native', 'OUT', f))), f);
      }
    } finally {
      await removeDir(tmp);
    }
  });

  test('npx: a FIFO shard, a slow stdout reader, stdout on a full disk, a name Node cannot pass', async () => {
    const tmp = await makeTempDir('js-npx-stdio');
    try {
      fs.mkdirSync(path.join(tmp, 'm'));
      fs.copyFileSync(path.join(models, 'blazeface.json'), path.join(tmp, 'm', 'blazeface.json'));
      await run('mkfifo m/blazeface.bin', tmp);
      const model = path.join(models, 'blazeface.json');
      const node = `"${process.execPath}" "${NPX}"`;
      for (const [cmd, code] of [
        ['quantize --quantize_uint8 m/blazeface.json out', 3],
        [`inspect --json "${model}" | (sleep 1; cat)`, 0],  // more than a pipe holds, read late
        [`quantize --quantize_uint8 "${model}" out2 >/dev/full`, 5],
      ]) {
        const native = await run(`rm -rf out out2; "${bin}" ${cmd}`, tmp);
        const npx = await run(`rm -rf out out2; ${node} ${cmd}`, tmp);
        assert.equal(native.code, code, `native ${cmd}: ${native.stderr}`);
        assert.deepEqual(npx, native, cmd);
      }
      const bad = await run(`${node} quantize "$(printf 'x\\377')" out3`, tmp);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /argument 2 is not valid UTF-8/);
    } finally {
      await removeDir(tmp);
    }
  });
});
