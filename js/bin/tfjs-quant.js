#!/usr/bin/env node
// npx tfjs-quant: the native CLI's own C++ (tools/), compiled to WebAssembly
// with emscripten's NODERAWFS, so it reads and writes through Node's file
// system with the native tool's flags, messages, output folder policy and
// exit codes. Everything but `auto`, which runs evaluator processes.
// `tfjs-quant serve` is not the CLI's: bin/serve.js serves the web page.
//
// The CLI runs in a worker thread: WebAssembly cannot catch a signal, and
// a busy main thread would not get to its handlers. The worker reports the
// temporary paths it makes (tools/node_cleanup.cc) on a channel of their
// own; on SIGINT, SIGTERM or SIGHUP this thread stops it, reads what is
// still queued, removes those paths, and dies of the same signal, as the
// native tool does. A worker that dies of an error is cleaned up after too.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { MessageChannel, Worker, isMainThread, receiveMessageOnPort, workerData } from 'node:worker_threads';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
// What emscripten puts in a program's environment unless told otherwise.
const EMSCRIPTEN_ENV = ['USER', 'LOGNAME', 'PATH', 'PWD', 'HOME', 'LANG', '_'];

// The CLI writes stdout and stderr with fs.writeSync. When the main
// thread's stdout is a pipe, Node has made it non-blocking, and a full pipe
// fails a write with EAGAIN that the C library would count as lost output:
// wait for the reader instead, as a blocking write does.
function blockingStdio() {
  const writeSync = fs.writeSync;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  fs.writeSync = function (fd, ...rest) {
    for (;;) {
      try {
        return writeSync.call(fs, fd, ...rest);
      } catch (e) {
        if (e.code !== 'EAGAIN' || (fd !== 1 && fd !== 2)) throw e;
        Atomics.wait(nap, 0, 0, 1);
      }
    }
  };
}

function runCli({ args, port }) {
  blockingStdio();
  const createCli = createRequire(import.meta.url)('../dist/tfjs_quant_cli.cjs');
  createCli({
    // As bytes: emscripten's own loader would hand Node's fetch a file path.
    wasmBinary: fs.readFileSync(new URL('../dist/tfjs_quant_cli.wasm', import.meta.url)),
    arguments: args,
    thisProgram: 'tfjs-quant',
    // Node's environment, not emscripten's made-up one (NO_COLOR, TERM,
    // TFJS_QUANT_KERNELS).
    preRun: [(m) => {
      for (const k of EMSCRIPTEN_ENV) m.ENV[k] = undefined;
      Object.assign(m.ENV, process.env);
    }],
    onTrack: (path, removeTree) => port.postMessage(['track', path, removeTree]),
    onUntrack: (path) => port.postMessage(['untrack', path]),
  });
}

function supervise(args) {
  // Node turns bytes of an argument that are not UTF-8 into U+FFFD before
  // anything sees them: such a path would name another file.
  const mangled = args.findIndex((a) => a.includes('\uFFFD'));
  if (mangled >= 0) {
    process.stderr.write(`tfjs-quant: error: argument ${mangled + 1} is not valid UTF-8 (or holds U+FFFD); ` +
                         'Node passes file names as UTF-8: use the native tfjs-quant for such names\n');
    process.exitCode = 2;
    return;
  }
  const tracked = new Map();  // path -> remove the whole tree (else: only if empty)
  const apply = ([op, path, removeTree]) => {
    if (op === 'track') tracked.set(path, removeTree);
    else tracked.delete(path);
  };
  const { port1, port2 } = new MessageChannel();
  port1.on('message', apply);
  const worker = new Worker(new URL(import.meta.url), { workerData: { args, port: port2 }, transferList: [port2] });
  let stoppedBy = null;
  const onSignal = (signal) => {
    if (stoppedBy) return;  // one cleanup, whatever else comes meanwhile
    stoppedBy = signal;
    worker.terminate();
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  worker.on('error', (e) => process.stderr.write(`tfjs-quant: error: ${e?.message ?? e}\n`));
  worker.on('exit', (code) => {
    // What the worker reported before it ended, even if not yet delivered.
    for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) apply(m.message);
    port1.close();
    // A run that ended by itself has untracked everything it made; one
    // stopped by a signal, or killed by an error, has not.
    for (const [path, removeTree] of tracked) {
      if (removeTree) fs.rmSync(path, { recursive: true, force: true });
    }
    // Folders made for OUT, deepest first, if nothing else went in.
    const parents = [...tracked].filter(([, tree]) => !tree).map(([p]) => p).sort((a, b) => b.length - a.length);
    for (const p of parents) {
      try { fs.rmdirSync(p); } catch { /* not empty, or gone */ }
    }
    for (const s of SIGNALS) process.removeAllListeners(s);
    if (stoppedBy) process.kill(process.pid, stoppedBy);
    else process.exitCode = code;
  });
}

if (!isMainThread) runCli(workerData);
else if (process.argv[2] === 'serve') (await import('./serve.js')).main(process.argv.slice(3));  // the web page (Node only)
else supervise(process.argv.slice(2));
