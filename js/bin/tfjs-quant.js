#!/usr/bin/env node
// npx tfjs-quant: the native CLI's own C++ (tools/), compiled to WebAssembly
// with emscripten's NODERAWFS, so it reads and writes through Node's file
// system with the native tool's flags, messages, output folder policy and
// exit codes. Everything but `auto`, which runs evaluator processes.
//
// The CLI runs in a worker thread: WebAssembly cannot catch a signal, and
// a busy main thread would not get to its handlers. The worker reports the
// temporary paths it makes (tools/node_cleanup.cc); on SIGINT, SIGTERM or
// SIGHUP this thread stops it, removes them, and dies of the same signal,
// as the native tool does.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function runCli(args) {
  const createCli = createRequire(import.meta.url)('../dist/tfjs_quant_cli.cjs');
  createCli({
    // As bytes: emscripten's own loader would hand Node's fetch a file path.
    wasmBinary: fs.readFileSync(new URL('../dist/tfjs_quant_cli.wasm', import.meta.url)),
    arguments: args,
    thisProgram: 'tfjs-quant',
    // Node's environment, not emscripten's made-up one (NO_COLOR, TERM,
    // TFJS_QUANT_KERNELS).
    preRun: [(m) => {
      for (const k of Object.keys(m.ENV)) m.ENV[k] = undefined;
      Object.assign(m.ENV, process.env);
    }],
    onTrack: (path, removeTree) => parentPort.postMessage(['track', path, removeTree]),
    onUntrack: (path) => parentPort.postMessage(['untrack', path]),
  });
}

function supervise(args) {
  const tracked = new Map();  // path -> remove the whole tree (else: only if empty)
  const worker = new Worker(new URL(import.meta.url), { workerData: args });
  worker.on('message', ([op, path, removeTree]) => {
    if (op === 'track') tracked.set(path, removeTree);
    else tracked.delete(path);
  });
  const onSignal = async (signal) => {
    await worker.terminate();
    for (const [path, removeTree] of tracked) {
      if (removeTree) fs.rmSync(path, { recursive: true, force: true });
    }
    // Folders made for OUT, deepest first, if nothing else went in.
    const parents = [...tracked].filter(([, tree]) => !tree).map(([p]) => p).sort((a, b) => b.length - a.length);
    for (const p of parents) {
      try { fs.rmdirSync(p); } catch { /* not empty, or gone */ }
    }
    for (const s of SIGNALS) process.removeAllListeners(s);
    process.kill(process.pid, signal);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  worker.on('exit', (code) => {
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    process.exitCode = code;
  });
}

if (isMainThread) supervise(process.argv.slice(2));
else runCli(workerData);
