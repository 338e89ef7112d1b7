// `npx tfjs-quant serve` (js/bin/serve.js): the static server of the web
// page. It binds 127.0.0.1 (port 0: a free one) and prints one line; it
// serves files under DIR only, whatever the path says (.., encoded ..,
// backslashes, a symbolic link out of DIR) with their content types; HEAD
// has the headers and no body; other methods are refused; SIGTERM ends it
// with exit code 0; downloads cancelled by the client leak no file
// descriptor. Needs nothing built: plain Node.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'js', 'bin', 'tfjs-quant.js');

/**
 * Starts `tfjs-quant serve ...args`; resolves {child, url, line, dir} once it
 * listens. `nofile` runs it under that limit of open file descriptors (the
 * shell's ulimit, then exec: the child's pid is the server's).
 */
function startServer(args, { nofile } = {}) {
  const argv = [process.execPath, CLI, 'serve', ...args];
  const [file, ...rest] = nofile === undefined ? argv : ['/bin/sh', '-c', `ulimit -n ${nofile} && exec "$@"`, 'sh', ...argv];
  const child = spawn(file, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^tfjs-quant: serving (.+) at (http:\/\/127\.0\.0\.1:(\d+)\/)\n/.exec(out);
      if (m) {
        resolve({ child, line: out, dir: m[1], url: m[2], port: Number(m[3]), output: () => out, errors: () => err });
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
  });
}

/** A raw request: the path goes out exactly as written (no client-side normalization). */
function request(port, rawPath, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * GETs `rawPath` and destroys the socket once the first bytes arrive (a
 * cancelled download); resolves when the socket is closed, whatever came.
 */
function cancelledGet(port, rawPath) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET ${rawPath} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    });
    socket.once('data', () => socket.destroy());
    socket.on('error', () => {});
    socket.on('close', resolve);
  });
}

/** Runs `task(i)` for i in [0, n), at most `width` at a time. */
async function concurrently(n, width, task) {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

/** How many file descriptors process `pid` has open (Linux). */
function openFds(pid) {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

let tmp;
let root;
let server;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfq-serve-'));
  root = path.join(tmp, 'site');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  const files = {
    'index.html': '<!doctype html><title>t</title>', 'app.js': 'export {};', 'lib.mjs': 'export {};',
    'style.css': 'body{}', 'core.wasm': Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), 'm.json': '{}',
    'p.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'i.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
    'w.bin': Buffer.alloc(16, 7), 'sub/index.html': 'sub', 'sub/a b.txt': 'space', '.hidden': 'no',
  };
  for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(root, name), data);
  fs.writeFileSync(path.join(tmp, 'secret.txt'), 'outside');
  fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(root, 'out.txt'));  // leaves DIR
  fs.symlinkSync(tmp, path.join(root, 'outdir'));                            // a folder outside DIR
  fs.symlinkSync('app.js', path.join(root, 'alias.js'));                     // stays inside
  server = await startServer([root, '--port', '0']);
});

after(async () => {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('prints one line with DIR and a free port on 127.0.0.1', async () => {
  assert.equal(server.dir, fs.realpathSync(root));
  assert.ok(server.port > 0);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(server.output(), `tfjs-quant: serving ${fs.realpathSync(root)} at http://127.0.0.1:${server.port}/\n`);
});

test('content types', async () => {
  const want = {
    '/': 'text/html', '/index.html': 'text/html', '/app.js': 'text/javascript', '/lib.mjs': 'text/javascript',
    '/style.css': 'text/css', '/core.wasm': 'application/wasm', '/m.json': 'application/json', '/p.png': 'image/png',
    '/i.svg': 'image/svg+xml', '/w.bin': 'application/octet-stream', '/sub/': 'text/html',
    '/sub/a%20b.txt': 'text/plain', '/alias.js': 'text/javascript', '/app.js?v=1#x': 'text/javascript',
  };
  for (const [p, type] of Object.entries(want)) {
    const r = await request(server.port, p);
    assert.equal(r.status, 200, p);
    assert.equal(r.headers['content-type'].split(';')[0], type, p);
  }
  const wasm = await request(server.port, '/core.wasm');
  assert.deepEqual([...wasm.body], [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  assert.equal((await request(server.port, '/sub/a%20b.txt')).body.toString(), 'space');
});

test('nothing outside DIR: .., encoded .., backslashes, symbolic links out, dot-files', async () => {
  const attempts = ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt',
                    '/sub/../../secret.txt', '/sub/%2e%2e/%2e%2e/secret.txt', '/..%5csecret.txt', '/..\\secret.txt',
                    '/out.txt', '/outdir/secret.txt', '/outdir/', '/.hidden', '/%00', '/sub/%2e%2e%2f%2e%2e%2fsecret.txt',
                    '//etc/passwd', '/%252e%252e/secret.txt', '/%', 'http://example.com/secret.txt'];
  for (const p of attempts) {
    const r = await request(server.port, p);
    assert.ok([400, 403, 404].includes(r.status), `${p}: ${r.status}`);
    assert.ok(!r.body.toString().includes('outside'), p);
  }
});

test('HEAD has the headers and no body; other methods are refused; a folder without / is redirected', async () => {
  const head = await request(server.port, '/app.js', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], String('export {};'.length));
  assert.equal(head.body.length, 0);
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
    const r = await request(server.port, '/app.js', method);
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.allow, 'GET, HEAD');
  }
  assert.equal((await request(server.port, '/missing.js')).status, 404);
  const dir = await request(server.port, '/sub');
  assert.equal(dir.status, 301);
  assert.equal(dir.headers.location, 'sub/');
});

test('2,000 cancelled downloads of a 16 MiB file under a 1,024 descriptor limit leak no descriptor', async () => {
  const site = path.join(tmp, 'big');
  fs.mkdirSync(site);
  fs.writeFileSync(path.join(site, 'big.bin'), Buffer.alloc(16 << 20, 1));
  fs.writeFileSync(path.join(site, 'index.html'), 'still here');
  const s = await startServer([site, '--port', '0'], { nofile: 1024 });
  try {
    const linux = fs.existsSync(`/proc/${s.child.pid}/fd`);
    assert.equal((await request(s.port, '/index.html')).status, 200);
    const before = linux ? openFds(s.child.pid) : 0;
    await concurrently(2000, 32, () => cancelledGet(s.port, '/big.bin'));
    // A few at once: each needs a socket and the file's descriptor.
    for (const r of await Promise.all(Array.from({ length: 8 }, () => request(s.port, '/index.html')))) {
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'still here');
    }
    if (linux) {
      // The server closes its side of the sockets as it notices: give it a moment.
      let now = openFds(s.child.pid);
      for (let i = 0; i < 50 && now > before + 20; ++i) {
        await new Promise((done) => setTimeout(done, 100));
        now = openFds(s.child.pid);
      }
      assert.ok(now <= before + 20, `${now} descriptors open after the cancels, ${before} before`);
    }
    assert.equal(s.errors(), '');
    assert.equal(s.child.exitCode, null);
  } finally {
    s.child.kill('SIGKILL');
  }
});

test('SIGTERM ends it with exit code 0', async () => {
  const done = new Promise((resolve) => server.child.on('exit', (code, signal) => resolve({ code, signal })));
  server.child.kill('SIGTERM');
  assert.deepEqual(await done, { code: 0, signal: null });
});

test('SIGINT too; --help; usage errors; a missing DIR', async () => {
  const s = await startServer([root, '--port=0', '--host', '127.0.0.1']);
  const done = new Promise((resolve) => s.child.on('exit', (code) => resolve(code)));
  s.child.kill('SIGINT');
  assert.equal(await done, 0);
  const help = spawnSync(process.execPath, [CLI, 'serve', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: tfjs-quant serve \[DIR\] \[--port N\] \[--host H\]/);
  for (const args of [['--port', 'x'], ['--port', '70000'], ['--bogus'], [root, root], ['--port']]) {
    const r = spawnSync(process.execPath, [CLI, 'serve', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^tfjs-quant: error: serve: /, args.join(' '));
  }
  const missing = spawnSync(process.execPath, [CLI, 'serve', path.join(tmp, 'nope')], { encoding: 'utf8' });
  assert.equal(missing.status, 3);
  assert.match(missing.stderr, /nope: no such folder/);
});

test('a port in use is an error, not a hang', async () => {
  const blocker = http.createServer();
  await new Promise((r) => blocker.listen(0, '127.0.0.1', r));
  const r = spawnSync(process.execPath, [CLI, 'serve', root, '--port', String(blocker.address().port)],
                      { encoding: 'utf8', timeout: 10_000 });
  blocker.close();
  assert.equal(r.status, 1);
  assert.match(r.stderr, /is in use/);
});
