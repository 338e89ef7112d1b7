// The npm package as a user gets it: `npm pack` in js/, the tarball
// installed offline into an empty folder, imported from Node, quantizing a
// model to the CLI's bytes; then `npx tfjs-quant` from that folder: the
// same files, output, messages and exit codes as the native CLI; and
// `npx tfjs-quant serve` serving the package's web page. Needs js/dist/
// (cd js && npm run build).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { execCapture as exec, makeTempDir, readEnv, removeDir, runCli, runSuite } from './helpers.mjs';

const run = promisify(execFile);
const JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'js');

await runSuite(readEnv(), ({ bin, models }) => {
  test('npm pack, install offline, import, quantize', async () => {
    const tmp = await makeTempDir('js-package');
    try {
      const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: JS });
      const [packed] = JSON.parse(stdout);
      const shipped = packed.files.map((f) => f.path).sort();
      // src/, auto's evaluator (dist/evaluator/) and the web page (dist/web/) ship whole, as built.
      const tree = (dir) => fs.readdirSync(path.join(JS, dir), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile()).map((e) => path.relative(JS, path.join(e.parentPath ?? e.path, e.name)));
      assert.deepEqual(shipped, ['THIRD_PARTY_NOTICES.md', 'bin/serve.js', 'bin/tfjs-quant.js', 'dist/tfjs_quant.wasm',
                                 'dist/tfjs_quant.wasm.js', 'dist/tfjs_quant_cli.cjs', 'dist/tfjs_quant_cli.wasm',
                                 'package.json', ...tree('src'), ...tree('dist/evaluator'), ...tree('dist/web')].sort());
      for (const f of ['src/index.d.ts', 'src/index.js', 'src/module.js', 'dist/evaluator/evaluator.mjs',
                       'dist/web/index.html', 'dist/web/app.js', 'dist/web/worker.js', 'dist/web/pkg/src/index.js',
                       'dist/web/pkg/dist/tfjs_quant.wasm.js', 'dist/web/pkg/dist/evaluator/evaluator.mjs',
                       ...['tf-core.min.js', 'tf-converter.min.js', 'tf-layers.min.js', 'tf-backend-webgl.min.js',
                           'tf-backend-wasm.min.js', 'tf-backend-cpu.min.js', 'tfjs-backend-wasm.wasm',
                           'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']
                         .map((v) => `dist/web/vendor/${v}`)]) {
        assert.ok(shipped.includes(f), `the package ships ${f}`);
      }
      const pkg = JSON.parse(fs.readFileSync(path.join(JS, 'package.json'), 'utf8'));
      assert.equal(pkg.dependencies, undefined, 'no runtime dependencies');
      for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) {
        assert.equal(pkg.scripts?.[hook], undefined, `no ${hook} script`);
      }

      const app = path.join(tmp, 'app');
      fs.mkdirSync(app);
      fs.writeFileSync(path.join(app, 'package.json'), '{"name": "app", "private": true, "type": "module"}');
      await run('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(tmp, packed.filename)],
                { cwd: app });
      // A small app that quantizes a model given as files, as a user writes it.
      fs.writeFileSync(path.join(app, 'main.js'), `
        import fs from 'node:fs';
        import path from 'node:path';
        import { quantize } from 'tfjs-quant';
        const [models, json] = process.argv.slice(2);
        const text = fs.readFileSync(path.join(models, json));
        const files = new Map([[json, text]]);
        for (const g of JSON.parse(text).weightsManifest)
          for (const p of g.paths) files.set(p, fs.readFileSync(path.join(models, p)));
        const { files: out } = await quantize(files, { uint8: true });
        fs.mkdirSync('out');
        for (const [name, bytes] of out) fs.writeFileSync(path.join('out', name), bytes);
      `);
      const json = 'blazeface.json';
      await run(process.execPath, ['main.js', models, json], { cwd: app });
      const expected = path.join(tmp, 'cli');
      await runCli(bin, ['quantize', path.join(models, json), expected, '--quantize_uint8']);
      const names = fs.readdirSync(expected).sort();
      assert.deepEqual(fs.readdirSync(path.join(app, 'out')).sort(), names);
      for (const n of names) {
        assert.ok(fs.readFileSync(path.join(app, 'out', n)).equals(fs.readFileSync(path.join(expected, n))), n);
      }

      // npx tfjs-quant, as the README shows it: stdout, stderr and exit
      // code as the native tool's for a success, a usage error, a missing
      // model, an OUT that exists, and `auto` (native only).
      const model = path.join(models, json);
      const cases = [
        ['quantize', model, 'OUT', '--quantize_uint8'],
        ['quantize', model, 'OUT', '--quantize_uint8'],
        ['quantize', path.join(models, 'missing.json'), 'OUT2'],
        ['quantize', '--quantize_uint8', 'x'],
        ['inspect', model],
        ['diff', model, 'OUT'],
        ['quantize', '--help'],
      ];
      const codes = [];
      for (const args of cases) {
        const native = await exec(bin, args, tmp);
        const npx = await exec('npx', ['--offline', '--no', 'tfjs-quant', ...args], app);
        assert.deepEqual(npx, native, `npx tfjs-quant ${args.join(' ')}`);
        codes.push(npx.code);
      }
      assert.deepEqual(codes, [0, 4, 3, 2, 0, 0, 0], 'exit codes: ok, OUT exists, not found, usage');
      for (const n of names) {
        assert.ok(fs.readFileSync(path.join(app, 'OUT', n)).equals(fs.readFileSync(path.join(tmp, 'OUT', n))), n);
      }
      const auto = await exec('npx', ['--offline', '--no', 'tfjs-quant', 'auto', model, 'OUT3'], app);
      assert.equal(auto.code, 2);
      assert.match(auto.stderr, /'auto' needs the native tfjs-quant/);

      // npx tfjs-quant serve: the installed package's web page, on a free port, until SIGTERM.
      const serve = spawn(process.execPath, [path.join(app, 'node_modules', 'tfjs-quant', 'bin', 'tfjs-quant.js'),
                                             'serve', '--port', '0'], { cwd: app, stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const line = await new Promise((resolve, reject) => {
          serve.stdout.once('data', (d) => resolve(String(d)));
          serve.once('exit', (code) => reject(new Error(`serve exited (${code})`)));
        });
        const web = fs.realpathSync(path.join(app, 'node_modules', 'tfjs-quant', 'dist', 'web'));
        const m = /^tfjs-quant: serving (.+) at (http:\/\/127\.0\.0\.1:\d+\/)\n$/.exec(line);
        assert.ok(m, line);
        assert.equal(m[1], web);
        for (const [p, type] of [['', 'text/html'], ['app.js', 'text/javascript'],
                                 ['vendor/tfjs-backend-wasm-simd.wasm', 'application/wasm']]) {
          const r = await fetch(m[2] + p);
          assert.equal(r.status, 200, p);
          assert.equal(r.headers.get('content-type').split(';')[0], type, p);
          assert.ok(Buffer.from(await r.arrayBuffer()).equals(fs.readFileSync(path.join(web, p || 'index.html'))), p);
        }
      } finally {
        const exited = new Promise((resolve) => serve.once('exit', (code) => resolve(code)));
        serve.kill('SIGTERM');
        assert.equal(await exited, 0);
      }
    } finally {
      await removeDir(tmp);
    }
  });
});
